//! exec: LogicalPlan -> RecordBatch stream, export files; and the statements that change the
//! database (CREATE COHORT, DROP COHORT) carried out through the store.

mod analysis;
pub mod cohorts;
mod correlate;
mod cox;
mod error;
mod export;
mod plot;
pub mod result;
mod survival;
mod target;
pub mod wide;

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray, UInt64Array};
use datafusion::common::ParamValues;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

pub use analysis::{Carried, Planner, Report, report_of};
pub use error::{ExecError, Failure};
pub use export::Provenance;
pub use result::QueryResult;

use crate::exec::ExecError as Error;
use crate::plan::Reads;
use crate::resolve::{Bound, BoundQuery};
use crate::storage::{Action, Snapshot, Store};
use crate::syntax::Statement;

/// The statement being carried out: its text (for the history) and its parameters.
/// A cancelled or timed-out statement is stopped by dropping its task: DataFusion's
/// operators, and rgdb's own (`analysis.rs`), stop when their streams are dropped.
#[derive(Clone, Copy)]
pub struct Running<'a> {
    pub statement: &'a Statement,
    pub params: Option<&'a ParamValues>,
}

/// Carries out one bound statement, resolved on `snapshot` and planned (`reads`) by
/// `crate::session`, which chains the stages. `definition` is the saved definition of the
/// cohort a `REFRESH COHORT` or `SHOW COHORT` names, bound and planned again by the session;
/// `None` for every other statement.
pub async fn run(
    store: &Store,
    ctx: &SessionContext,
    snapshot: Snapshot,
    bound: Bound,
    reads: Reads,
    running: Running<'_>,
    definition: Option<Result<cohorts::Definition, String>>,
) -> Result<QueryResult, Error> {
    let Running { statement, params } = running;
    match &bound {
        Bound::CreateCohort {
            name,
            definition,
            replace,
            ..
        } => {
            let cohort = NewCohort {
                name,
                definition,
                replace: *replace,
            };
            let members = bind_params(the_plan(reads)?, params)?;
            create_cohort(store, ctx, &snapshot, &cohort, members, statement).await
        }
        Bound::DropCohort { name, exists } => drop_cohort(store, name, *exists, statement),
        Bound::Import(request) => {
            let summary = crate::ingest::run(store, request, Some(statement.to_string()))?;
            import_result(&summary)
        }
        Bound::Survival(_) | Bound::Cox(_) | Bound::Correlate(_) => {
            analysis(ctx, bind_params(the_plan(reads)?, params)?).await
        }
        Bound::Plot(p) => plot::run(p, ctx, the_plan(reads)?, params).await,
        Bound::Export(export) => {
            let provenance = Provenance::of(export, &snapshot)?;
            let (rows, physical) = match rows(ctx, &snapshot, &export.query, reads, params).await? {
                Rows::Wide(wide) => (export::Rows::Wide(wide), None),
                Rows::Plan(plan) => {
                    let (rows, physical) = stream_reporting(ctx, plan).await?;
                    (export::Rows::Stream(rows), Some(physical))
                }
            };
            let mut result = export::write(export, rows, provenance).await?;
            // An export of an analysis's rows shows the analysis's header.
            if result.header.is_none() {
                result.header = physical.as_ref().and_then(report_of).and_then(|r| r.header);
            }
            Ok(result)
        }
        Bound::Query(query) => select(ctx, &snapshot, query, reads, params).await,
        Bound::ShowCohort(cohort) => {
            cohorts::show(store, ctx, &snapshot, cohort, undefined(definition)).await
        }
        Bound::RefreshCohort(cohort) => {
            let definition = undefined(definition).map_err(|message| {
                Error::Storage(crate::storage::StorageError::Internal(message))
            })?;
            cohorts::refresh(store, ctx, cohort, definition, statement).await
        }
        Bound::Vacuum { keep } => vacuum(store, *keep, statement),
        Bound::DropTable { name, exists } => drop_table(store, name, *exists, statement),
        Bound::Check => check(store),
        other => {
            let mut result = collect(ctx, bind_params(the_plan(reads)?, params)?).await?;
            if let Bound::DescribeTable(table) = other {
                result.header = Some(table.facts());
            }
            Ok(result)
        }
    }
}

/// The one plan a statement reads through, or the internal error that the session planned
/// none (it plans one for every statement that reads).
fn the_plan(reads: Reads) -> Result<LogicalPlan, Error> {
    match reads {
        Reads::Plan(plan) => Ok(plan),
        Reads::Nothing | Reads::Wide { .. } => Err(ExecError::NotAQuery),
    }
}

/// The definition the session bound for a cohort statement, or the internal error that it
/// did not (the session binds one for every `REFRESH COHORT` and `SHOW COHORT`).
fn undefined(
    definition: Option<Result<cohorts::Definition, String>>,
) -> Result<cohorts::Definition, String> {
    definition
        .unwrap_or_else(|| Err("a cohort statement reached exec without its definition".into()))
}

/// `SURVIVAL`, `COX` or `CORRELATE`: its rows, with the header, figure and test row its
/// operator reports.
async fn analysis(ctx: &SessionContext, plan: LogicalPlan) -> Result<QueryResult, Error> {
    let (mut result, report) = collect_reporting(ctx, plan).await?;
    if let Some(report) = report {
        (result.header, result.figure, result.test) = (report.header, report.figure, report.test);
    }
    Ok(result)
}

/// A `SELECT`'s result. A query over an analysis (`FROM (SURVIVAL …)`) shows the analysis's
/// header and carries its test row.
async fn select(
    ctx: &SessionContext,
    snapshot: &Snapshot,
    query: &BoundQuery,
    reads: Reads,
    params: Option<&ParamValues>,
) -> Result<QueryResult, Error> {
    match rows(ctx, snapshot, query, reads, params).await? {
        Rows::Wide(rows) => Ok(QueryResult {
            schema: rows.schema.clone(),
            batches: rows.collect()?,
            note: None,
            header: None,
            figure: None,
            test: None,
        }),
        Rows::Plan(plan) => {
            let (mut result, report) = collect_reporting(ctx, plan).await?;
            if let Some(report) = report {
                (result.header, result.test) = (report.header, report.test);
            }
            Ok(result)
        }
    }
}

/// Where a query's rows come from: its plan (parameters bound), or, for a selection of many
/// stored columns, the narrow plan run and the columns read from the store (`wide.rs`).
enum Rows {
    Plan(LogicalPlan),
    Wide(Box<wide::WideRows>),
}

async fn rows(
    ctx: &SessionContext,
    snapshot: &Snapshot,
    query: &BoundQuery,
    reads: Reads,
    params: Option<&ParamValues>,
) -> Result<Rows, Error> {
    match reads {
        Reads::Wide { split, narrow } => {
            let narrow = collect(ctx, bind_params(narrow, params)?).await?;
            let rows =
                wide::WideRows::new(&split, query, snapshot, &narrow.schema, &narrow.batches)?;
            Ok(Rows::Wide(Box::new(rows)))
        }
        Reads::Plan(plan) => Ok(Rows::Plan(bind_params(plan, params)?)),
        Reads::Nothing => Err(ExecError::NotAQuery),
    }
}

/// The rows of a reading statement as a stream: a `SELECT` through DataFusion or the wide
/// path (`wide.rs`), anything else through its plan.
pub async fn query_stream(
    ctx: &SessionContext,
    snapshot: &Snapshot,
    bound: &Bound,
    reads: Reads,
) -> Result<SendableRecordBatchStream, Error> {
    let query = match bound {
        Bound::Query(query) => query,
        // They change the database (or write a file): no rows to stream.
        Bound::CreateCohort { .. } | Bound::Export(_) | Bound::Plot(_) => {
            return Err(ExecError::NotAQuery);
        }
        _ => return stream(ctx, bind_params(the_plan(reads)?, None)?).await,
    };
    match rows(ctx, snapshot, query, reads, None).await? {
        Rows::Wide(rows) => Ok(rows.into_stream()),
        Rows::Plan(plan) => stream(ctx, plan).await,
    }
}

/// Substitutes parameter values, or reports the first parameter without one.
pub fn bind_params(plan: LogicalPlan, params: Option<&ParamValues>) -> Result<LogicalPlan, Error> {
    let names = plan.get_parameter_names()?;
    if names.is_empty() {
        return Ok(plan);
    }
    match params {
        Some(values) => {
            let mut sorted: Vec<_> = names.iter().collect();
            sorted.sort();
            for name in sorted {
                if values.get_placeholders_with_values(name).is_err() {
                    return Err(ExecError::MissingParameter { name: name.clone() });
                }
            }
            Ok(plan.with_param_values(values.clone())?)
        }
        None => {
            let mut sorted: Vec<_> = names.into_iter().collect();
            sorted.sort();
            Err(ExecError::MissingParameter {
                name: sorted.remove(0),
            })
        }
    }
}

/// Runs a plan to completion.
pub async fn collect(ctx: &SessionContext, plan: LogicalPlan) -> Result<QueryResult, Error> {
    Ok(collect_reporting(ctx, plan).await?.0)
}

/// Runs a plan to completion, with the report of the statistics operator in it, if any
/// (its header, test row and figure).
pub async fn collect_reporting(
    ctx: &SessionContext,
    plan: LogicalPlan,
) -> Result<(QueryResult, Option<Report>), Error> {
    let schema = Arc::new(plan.schema().as_arrow().clone());
    let (physical, task) = physical_plan(ctx, &plan).await?;
    let batches = datafusion::physical_plan::collect(physical.clone(), task).await?;
    let result = QueryResult {
        schema,
        batches,
        note: None,
        header: None,
        figure: None,
        test: None,
    };
    Ok((result, report_of(&physical)))
}

/// Runs a plan as a stream of batches.
pub async fn stream(
    ctx: &SessionContext,
    plan: LogicalPlan,
) -> Result<SendableRecordBatchStream, Error> {
    Ok(stream_reporting(ctx, plan).await?.0)
}

/// The physical plan of `plan` (rgdb's planner: `analysis.rs`) and the task context it runs
/// in, from one copy of the session's state (as `DataFrame::collect` makes them).
async fn physical_plan(
    ctx: &SessionContext,
    plan: &LogicalPlan,
) -> Result<
    (
        Arc<dyn ExecutionPlan>,
        Arc<datafusion::execution::TaskContext>,
    ),
    Error,
> {
    let state = ctx.state();
    let physical = state.create_physical_plan(plan).await?;
    Ok((
        physical,
        Arc::new(datafusion::execution::TaskContext::from(&state)),
    ))
}

/// Runs a plan as a stream of batches, with its physical plan: once the stream has run, a
/// statistics operator in it has left its report there ([`report_of`]).
async fn stream_reporting(
    ctx: &SessionContext,
    plan: LogicalPlan,
) -> Result<(SendableRecordBatchStream, Arc<dyn ExecutionPlan>), Error> {
    let (physical, task) = physical_plan(ctx, &plan).await?;
    let rows = datafusion::physical_plan::execute_stream(physical.clone(), task)?;
    Ok((rows, physical))
}

/// What `CREATE [OR REPLACE] COHORT` saves.
struct NewCohort<'a> {
    name: &'a str,
    definition: &'a str,
    /// The cohort exists and is redefined (`OR REPLACE`).
    replace: bool,
}

async fn create_cohort(
    store: &Store,
    ctx: &SessionContext,
    snapshot: &Snapshot,
    cohort: &NewCohort<'_>,
    members: LogicalPlan,
    statement: &Statement,
) -> Result<QueryResult, Error> {
    let name = cohort.name;
    let (rows, report) = collect_reporting(ctx, members).await?;
    let ids = cohorts::ids_of(snapshot, &rows.batches);
    let mut txn = store.begin()?;
    if cohort.replace {
        txn.replace_cohort(name, cohort.definition, snapshot.version(), ids.clone())?;
    } else {
        txn.cohort(name, cohort.definition, snapshot.version(), ids.clone())?;
    }
    let record = txn.commit(
        Action::CreateCohort {
            cohort: name.to_string(),
        },
        Some(statement.to_string()),
    )?;
    // A cohort of an analysis's rows shows the analysis's header.
    let mut result = summary(name, Some(ids.len() as u64), record.version)?;
    result.header = report.and_then(|r| r.header);
    Ok(result)
}

/// `CHECK DATABASE`: one row per problem (`code, problem`), and a header that says whether
/// all is well.
fn check(store: &Store) -> Result<QueryResult, Error> {
    let problems = store.check()?;
    let header = if problems.is_empty() {
        format!("check: all is well (version {})\n", store.version())
    } else {
        format!("check: {} problem(s) found\n", problems.len())
    };
    let codes = StringArray::from_iter_values(problems.iter().map(|p| p.code()));
    let texts = StringArray::from_iter_values(problems.iter().map(|p| p.to_string()));
    QueryResult::of_columns(
        vec![("code", Arc::new(codes)), ("problem", Arc::new(texts))],
        Some(header),
    )
}

/// `DROP TABLE`: a new version without the table. `table | version`.
fn drop_table(
    store: &Store,
    name: &str,
    exists: bool,
    statement: &Statement,
) -> Result<QueryResult, Error> {
    let version = if exists {
        let mut txn = store.begin()?;
        txn.drop_table(name);
        txn.commit(
            Action::Drop {
                tables: vec![name.to_string()],
            },
            Some(statement.to_string()),
        )?
        .version
    } else {
        store.version()
    };
    QueryResult::of_columns(
        vec![
            ("table", Arc::new(StringArray::from(vec![name]))),
            ("version", Arc::new(UInt64Array::from(vec![version]))),
        ],
        None,
    )
}

/// `VACUUM KEEP n`: one row saying what was removed.
fn vacuum(store: &Store, keep: u64, statement: &Statement) -> Result<QueryResult, Error> {
    let report = store.vacuum(keep, Some(statement.to_string()))?;
    let count = |v: u64| -> Arc<dyn Array> { Arc::new(UInt64Array::from(vec![v])) };
    QueryResult::of_columns(
        vec![
            ("oldest_version", count(report.oldest)),
            ("versions_compacted", count(report.versions_compacted)),
            ("generations_removed", count(report.generations_removed)),
            ("chunks_removed", count(report.chunks_removed)),
            ("size_on_disk", count(report.size_on_disk)),
        ],
        None,
    )
}

fn drop_cohort(
    store: &Store,
    name: &str,
    exists: bool,
    statement: &Statement,
) -> Result<QueryResult, Error> {
    if !exists {
        return summary(name, None, store.version());
    }
    let mut txn = store.begin()?;
    txn.drop_cohort(name);
    let record = txn.commit(
        Action::DropCohort {
            cohort: name.to_string(),
        },
        Some(statement.to_string()),
    )?;
    summary(name, None, record.version)
}

/// `table | version | rows | columns | new_subjects | source_sha256`, with the full summary as
/// the result's note.
fn import_result(summary: &crate::ingest::ImportSummary) -> Result<QueryResult, Error> {
    let count = |v: u64| -> Arc<dyn Array> { Arc::new(UInt64Array::from(vec![v])) };
    let result = QueryResult::of_columns(
        vec![
            (
                "table",
                Arc::new(StringArray::from(vec![summary.table.as_str()])),
            ),
            ("version", count(summary.version)),
            ("rows", count(summary.rows)),
            ("columns", count(summary.columns.len() as u64 + 1)),
            ("new_subjects", count(summary.new_subjects as u64)),
            (
                "source_sha256",
                Arc::new(StringArray::from(vec![summary.source.sha256.as_str()])),
            ),
        ],
        None,
    )?;
    Ok(QueryResult {
        note: Some(summary.to_string()),
        ..result
    })
}

/// `cohort | subjects | version`: what a cohort statement did.
pub(crate) fn summary(
    name: &str,
    subjects: Option<u64>,
    version: u64,
) -> Result<QueryResult, Error> {
    QueryResult::of_columns(
        vec![
            ("cohort", Arc::new(StringArray::from(vec![name]))),
            ("subjects", Arc::new(UInt64Array::from(vec![subjects]))),
            ("version", Arc::new(UInt64Array::from(vec![version]))),
        ],
        None,
    )
}
