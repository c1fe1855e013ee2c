//! `SHOW` and `DESCRIBE` as plans over in-memory tables built from the catalog: they read the
//! catalog only, never column data, and filter (`LIKE`) with DataFusion.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::expr::Like;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, lit};

use super::PlanError;
use super::expr::output;
use crate::storage::{Action, CohortMeta, Snapshot, TableMeta, VersionRecord};

/// A column of a listing.
enum Col {
    Text(Vec<Option<String>>),
    Count(Vec<u64>),
    Flag(Vec<bool>),
}

fn listing(name: &str, columns: Vec<(&str, Col)>) -> Result<LogicalPlanBuilder, PlanError> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, c)| match c {
            Col::Text(_) => Field::new(*n, DataType::Utf8, true),
            Col::Count(_) => Field::new(*n, DataType::UInt64, false),
            Col::Flag(_) => Field::new(*n, DataType::Boolean, false),
        })
        .collect();
    let arrays: Vec<ArrayRef> = columns
        .into_iter()
        .map(|(_, c)| -> ArrayRef {
            match c {
                Col::Text(v) => Arc::new(StringArray::from(v)),
                Col::Count(v) => Arc::new(UInt64Array::from(v)),
                Col::Flag(v) => Arc::new(BooleanArray::from(v)),
            }
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)
        .map_err(datafusion::error::DataFusionError::from)?;
    let table = MemTable::try_new(schema, vec![vec![batch]])?;
    Ok(LogicalPlanBuilder::scan(
        name,
        provider_as_source(Arc::new(table)),
        None,
    )?)
}

fn text<T>(items: &[T], f: impl Fn(&T) -> Option<String>) -> Col {
    Col::Text(items.iter().map(f).collect())
}

fn count<T>(items: &[T], f: impl Fn(&T) -> u64) -> Col {
    Col::Count(items.iter().map(f).collect())
}

/// `SHOW TABLES`
pub fn show_tables(snapshot: &Snapshot) -> Result<LogicalPlan, PlanError> {
    let t: Vec<TableMeta> = snapshot.tables()?;
    Ok(listing(
        "tables",
        vec![
            ("table", text(&t, |m| Some(m.name.clone()))),
            ("kind", text(&t, |m| Some(m.kind.clone()))),
            ("level", text(&t, |m| Some(m.level.to_string()))),
            ("rows", count(&t, |m| m.rows)),
            ("columns", count(&t, |m| m.columns as u64)),
            ("version", count(&t, |m| m.version)),
            (
                "source",
                text(&t, |m| m.source.as_ref().map(|s| file_name(&s.path))),
            ),
        ],
    )?
    .build()?)
}

/// The file name of a source path (the full path is in `DESCRIBE` and `SHOW HISTORY`).
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// `SHOW COHORTS`
pub fn show_cohorts(snapshot: &Snapshot) -> Result<LogicalPlan, PlanError> {
    let c: Vec<CohortMeta> = snapshot.cohorts()?;
    Ok(cohort_listing(&c)?.build()?)
}

fn cohort_listing(c: &[CohortMeta]) -> Result<LogicalPlanBuilder, PlanError> {
    listing(
        "cohorts",
        vec![
            ("cohort", text(c, |m| Some(m.name.clone()))),
            ("subjects", count(c, |m| m.members)),
            ("version", count(c, |m| m.version)),
            ("evaluated_at", count(c, |m| m.evaluated_at)),
            ("definition", text(c, |m| Some(m.definition.clone()))),
        ],
    )
}

/// `DESCRIBE cohort`
pub fn describe_cohort(cohort: &CohortMeta) -> Result<LogicalPlan, PlanError> {
    Ok(cohort_listing(std::slice::from_ref(cohort))?.build()?)
}

/// `SHOW HISTORY`
///
/// `readable` is `false` for versions that `VACUUM` compacted (below `oldest`).
pub fn show_history(versions: &[VersionRecord], oldest: u64) -> Result<LogicalPlan, PlanError> {
    let v = versions;
    Ok(listing(
        "history",
        vec![
            ("version", count(v, |r| r.version)),
            ("time", text(v, |r| Some(r.time.clone()))),
            ("action", text(v, |r| Some(action(&r.action)))),
            ("statement", text(v, |r| r.statement.clone())),
            (
                "source_sha256",
                text(v, |r| match &r.action {
                    Action::Import { source, .. } => source.as_ref().map(|s| s.sha256.clone()),
                    _ => None,
                }),
            ),
            (
                "readable",
                Col::Flag(v.iter().map(|r| r.version >= oldest).collect()),
            ),
        ],
    )?
    .build()?)
}

/// One line saying what a version did.
pub fn action(a: &Action) -> String {
    match a {
        Action::Create => "create".into(),
        Action::Import {
            importer, tables, ..
        } => format!("import {importer}: {}", tables.join(", ")),
        Action::Drop { tables } => format!("drop {}", tables.join(", ")),
        Action::CreateCohort { cohort } => format!("create cohort {cohort}"),
        Action::DropCohort { cohort } => format!("drop cohort {cohort}"),
        Action::RefreshCohort { cohort } => format!("refresh cohort {cohort}"),
    }
}

/// `SHOW COLUMNS FROM t [LIKE p]`, `DESCRIBE t`: from the catalog only.
pub fn show_columns(
    snapshot: &Snapshot,
    table: &TableMeta,
    like: Option<&str>,
) -> Result<LogicalPlan, PlanError> {
    let c = snapshot.columns(table)?;
    let mut builder = listing(
        "columns",
        vec![
            ("column", text(&c, |m| Some(m.name.clone()))),
            ("type", text(&c, |m| Some(m.ty.name().to_string()))),
            ("non_null", count(&c, |m| m.non_null)),
            ("unit", text(&c, |m| m.unit.clone())),
            ("label", text(&c, |m| Some(m.label.clone()))),
            ("description", text(&c, |m| m.description.clone())),
            ("role", text(&c, |m| Some(m.role.name().to_string()))),
        ],
    )?;
    // Case-insensitive, as every other match of a column name is.
    if let Some(pattern) = like {
        builder = builder.filter(Expr::Like(Like::new(
            false,
            Box::new(output("column")),
            Box::new(lit(pattern)),
            None,
            true,
        )))?;
    }
    Ok(builder.build()?)
}
