//! resolve: ast + catalog -> bound statement (names, tables, types, "did you mean").
//!
//! Every name in a statement is looked up in one snapshot of the catalog. Columns of
//! one-row-per-subject tables become left joins on `subject_id`; columns of tables with
//! several rows per subject must sit inside an aggregate, which is then computed per subject.

mod analysis;
mod as_of;
pub mod bound;
mod error;
mod expr;
pub mod functions;
mod scope;
mod select;

pub use analysis::analysis_schema;
pub use as_of::version_as_of;
pub use bound::*;
pub use error::ResolveError;
pub use select::STAR_MAX_COLUMNS;

use std::path::PathBuf;

use crate::ingest::{ClinicalImport, ImportRequest, NullTokens, TableImport};
use crate::storage::{CohortMeta, Level, RESERVED_TABLE_NAMES, SUBJECT_COLUMN, Snapshot, closest};
use crate::syntax::{
    Export, ExportSource, Expr, Ident, Import, ImportFlag, ImportKey, ImportKind, ImportOption,
    Select, SelectItem, Show, Source, Statement, StringLit,
};
use scope::Scope;

/// Tables a caller registered for its session (`Database::register`: a pandas, polars or
/// Arrow frame), by lower-case name: read like files, never stored.
pub type Frames =
    std::collections::BTreeMap<String, Vec<datafusion::arrow::record_batch::RecordBatch>>;

thread_local! {
    /// The frames of the statement being resolved on this thread, set by [`resolve_in`] for
    /// the duration of the call. Every scope (a subquery's, a `WITH` query's, an analysis's)
    /// is made deep inside the binders; this is how they all see the session's frames without
    /// each binder passing them on. Resolving is synchronous and never leaves the thread.
    static FRAMES: std::cell::RefCell<std::sync::Arc<Frames>> = std::cell::RefCell::default();
}

/// The frames registered for the statement being resolved.
fn frames() -> std::sync::Arc<Frames> {
    FRAMES.with(|f| f.borrow().clone())
}

/// Binds a statement with the session's registered frames in reach (as sources named like
/// tables: `FROM my_frame`).
pub fn resolve_in(
    statement: &Statement,
    snapshot: &Snapshot,
    frames: std::sync::Arc<Frames>,
) -> Result<Bound, ResolveError> {
    let outer = FRAMES.with(|f| std::mem::replace(&mut *f.borrow_mut(), frames));
    let bound = resolve(statement, snapshot);
    FRAMES.with(|f| *f.borrow_mut() = outer);
    bound
}

/// Binds a parsed statement to the catalog of `snapshot`.
pub fn resolve(statement: &Statement, snapshot: &Snapshot) -> Result<Bound, ResolveError> {
    match statement {
        Statement::Select(select) => Ok(Bound::Query(query(snapshot, select)?)),
        Statement::CreateCohort {
            name,
            query: q,
            replace,
            ..
        } => create_cohort(snapshot, name, q, *replace),
        Statement::DropCohort {
            name, if_exists, ..
        } => {
            let scope = Scope::new(snapshot)?;
            let exists = scope.cohort(&name.name).is_some();
            if !exists && !if_exists {
                let names = scope.cohorts.iter().map(|c| c.name.as_str());
                return Err(ResolveError::UnknownCohort {
                    name: name.name.clone(),
                    candidates: closest(&name.name.to_ascii_lowercase(), names),
                    span: name.span,
                });
            }
            Ok(Bound::DropCohort {
                name: name.name.to_ascii_lowercase(),
                exists,
            })
        }
        Statement::Show(show) => match show {
            Show::Tables { .. } => Ok(Bound::ShowTables),
            Show::Cohorts { .. } => Ok(Bound::ShowCohorts),
            Show::History { .. } => Ok(Bound::ShowHistory),
            Show::Cohort { name, .. } => Ok(Bound::ShowCohort(cohort_named(snapshot, name)?)),
            Show::Columns { table, like, .. } => {
                let scope = Scope::new(snapshot)?;
                let meta = scope
                    .table(&table.name)
                    .cloned()
                    .ok_or_else(|| scope.unknown_source(table))?;
                Ok(Bound::ShowColumns {
                    table: meta,
                    like: like.as_ref().map(|l| l.value.clone()),
                })
            }
        },
        Statement::Describe { name, .. } => {
            let scope = Scope::new(snapshot)?;
            if let Some(table) = scope.table(&name.name) {
                Ok(Bound::DescribeTable(table.clone()))
            } else if let Some(cohort) = scope.cohort(&name.name) {
                Ok(Bound::DescribeCohort(cohort.clone()))
            } else {
                Err(scope.unknown_source(name))
            }
        }
        Statement::Explain { statement, .. } => {
            Ok(Bound::Explain(Box::new(resolve(statement, snapshot)?)))
        }
        Statement::Export(export) => Ok(Bound::Export(Box::new(bind_export(snapshot, export)?))),
        Statement::Import(import) => Ok(Bound::Import(Box::new(bind_import(import)?))),
        Statement::Survival(s) => Ok(Bound::Survival(Box::new(analysis::bind_survival(
            snapshot, s,
        )?))),
        Statement::Cox(c) => Ok(Bound::Cox(Box::new(analysis::bind_cox(snapshot, c)?))),
        Statement::Correlate(c) => Ok(Bound::Correlate(Box::new(analysis::bind_correlate(
            snapshot, c,
        )?))),
        Statement::Plot(p) => Ok(Bound::Plot(Box::new(analysis::bind_plot(snapshot, p)?))),
        Statement::DropTable {
            name, if_exists, ..
        } => {
            let scope = Scope::new(snapshot)?;
            match scope.table(&name.name) {
                Some(table) => Ok(Bound::DropTable {
                    name: table.name.clone(),
                    exists: true,
                }),
                None if *if_exists => Ok(Bound::DropTable {
                    name: name.name.to_ascii_lowercase(),
                    exists: false,
                }),
                None => Err(scope.unknown_source(name)),
            }
        }
        Statement::Check { .. } => Ok(Bound::Check),
        Statement::RefreshCohort { name, .. } => {
            Ok(Bound::RefreshCohort(cohort_named(snapshot, name)?))
        }
        Statement::Vacuum {
            keep, keep_span, ..
        } => match keep.parse::<u64>() {
            Ok(keep) if keep >= 1 => Ok(Bound::Vacuum { keep }),
            _ => Err(ResolveError::InvalidArgument {
                message: format!(
                    "VACUUM KEEP takes how many versions to keep, a whole number of at least 1 (the current version), not `{keep}`"
                ),
                span: *keep_span,
            }),
        },
    }
}

/// The live cohort called `name`, or an error with suggestions.
fn cohort_named(snapshot: &Snapshot, name: &Ident) -> Result<CohortMeta, ResolveError> {
    let scope = Scope::new(snapshot)?;
    match scope.cohort(&name.name) {
        Some(c) => Ok(c.clone()),
        None => {
            let names = scope.cohorts.iter().map(|c| c.name.as_str());
            Err(ResolveError::UnknownCohort {
                name: name.name.clone(),
                candidates: closest(&name.name.to_ascii_lowercase(), names),
                span: name.span,
            })
        }
    }
}

/// Binds one `SELECT`.
pub fn query(snapshot: &Snapshot, select: &Select) -> Result<BoundQuery, ResolveError> {
    let mut scope = Scope::new(snapshot)?;
    select::bind_select(&mut scope, select)
}

fn create_cohort(
    snapshot: &Snapshot,
    name: &Ident,
    select: &Select,
    or_replace: bool,
) -> Result<Bound, ResolveError> {
    let scope = Scope::new(snapshot)?;
    let folded = name.name.to_ascii_lowercase();
    let taken = |kind: &str, hint: &str| ResolveError::NameTaken {
        name: folded.clone(),
        kind: kind.into(),
        hint: hint.into(),
        span: name.span,
    };
    if scope.table(&folded).is_some() {
        return Err(taken("table", "choose another name for the cohort"));
    }
    if RESERVED_TABLE_NAMES.contains(&folded.as_str()) {
        return Err(taken("built-in", "choose another name for the cohort"));
    }
    let exists = scope.cohort(&folded).is_some();
    if exists && !or_replace {
        return Err(taken(
            "cohort",
            "CREATE OR REPLACE COHORT redefines it (or DROP COHORT it first)",
        ));
    }
    let bound = query(snapshot, select)?;
    let selects_subject = matches!(
        bound.items.as_slice(),
        [Item { expr: BExpr::Column { column, .. }, .. }] if column == SUBJECT_COLUMN
    );
    if !selects_subject || bound.aggregate {
        return Err(ResolveError::CohortNeedsSubjectId { span: select.span });
    }
    Ok(Bound::CreateCohort {
        name: folded,
        query: bound,
        definition: select.to_string(),
        replace: exists,
    })
}

fn bind_export(snapshot: &Snapshot, export: &Export) -> Result<BoundExport, ResolveError> {
    let scope = Scope::new(snapshot)?;
    let (query, cohort) = match &export.source {
        ExportSource::Query(select) => (query(snapshot, select)?, None),
        ExportSource::Cohort(name) => {
            let cohort = scope
                .cohort(&name.name)
                .cloned()
                .ok_or_else(|| scope.unknown_source(name))?;
            let select = members_of(name);
            (query(snapshot, &select)?, Some(cohort))
        }
    };
    let format = match &export.format {
        Some(f) => (f.name.to_ascii_lowercase(), f.span),
        None => (
            std::path::Path::new(&export.path.value)
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default(),
            export.path.span,
        ),
    };
    let format = match format.0.as_str() {
        // A partitioned export is a directory, usually named without an extension.
        "" if !export.partition_by.is_empty() => ExportFormat::Parquet,
        "parquet" | "pq" => ExportFormat::Parquet,
        "csv" => ExportFormat::Csv,
        "tsv" | "txt" => ExportFormat::Tsv,
        "arrow" | "feather" | "ipc" => ExportFormat::Arrow,
        "jsonl" | "ndjson" => ExportFormat::Jsonl,
        other => {
            return Err(ResolveError::UnsupportedExportFormat {
                format: other.to_string(),
                span: format.1,
            });
        }
    };
    let position = |name: &str| {
        query
            .items
            .iter()
            .position(|item| item.name.eq_ignore_ascii_case(name))
    };
    let long = match export.long {
        Some(span) => Some(
            position(SUBJECT_COLUMN).ok_or(ResolveError::InvalidArgument {
                message: "LONG writes (subject_id, variable, value) rows: select `subject_id` too"
                    .into(),
                span,
            })?,
        ),
        None => None,
    };
    let mut partition_by = Vec::new();
    for column in &export.partition_by {
        let i = position(&column.name).ok_or_else(|| ResolveError::InvalidArgument {
            message: format!(
                "PARTITION BY names an exported column, and `{}` is not one (the columns are {})",
                column.name,
                query
                    .items
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            span: column.span,
        })?;
        if Some(i) == long {
            return Err(ResolveError::InvalidArgument {
                message: "a LONG export is not partitioned by subject_id: every folder would hold one subject".into(),
                span: column.span,
            });
        }
        partition_by.push(i);
    }
    if !partition_by.is_empty() && partition_by.len() == query.items.len() {
        return Err(ResolveError::InvalidArgument {
            message: "PARTITION BY every exported column leaves nothing in the files".into(),
            span: export.partition_by[0].span,
        });
    }
    let compression = match &export.compression {
        None => ParquetCompression::Zstd(3),
        Some(c) if format != ExportFormat::Parquet => {
            return Err(ResolveError::InvalidArgument {
                message: format!(
                    "COMPRESSION applies to Parquet; {} files are written uncompressed",
                    format.name()
                ),
                span: c.codec.span,
            });
        }
        Some(c) => compression(c)?,
    };
    Ok(BoundExport {
        query,
        path: export.path.value.clone(),
        format,
        overwrite: export.overwrite,
        long,
        partition_by,
        compression,
        cohort,
        statement: export.to_string(),
    })
}

/// `COMPRESSION codec [level]`, checked against what the codec accepts.
fn compression(c: &crate::syntax::Compression) -> Result<ParquetCompression, ResolveError> {
    let codec = c.codec.name.to_ascii_lowercase();
    let (range, default): (std::ops::RangeInclusive<i64>, i64) = match codec.as_str() {
        "zstd" => (1..=22, 3),
        "gzip" => (0..=9, 6),
        "brotli" => (0..=11, 1),
        "snappy" | "lz4" | "none" | "uncompressed" => (0..=0, 0),
        other => {
            return Err(ResolveError::InvalidArgument {
                message: format!(
                    "COMPRESSION `{other}` is not one of zstd, gzip, brotli, snappy, lz4, none"
                ),
                span: c.codec.span,
            });
        }
    };
    let level = match &c.level {
        None => default,
        Some((text, span)) => match text.parse::<i64>() {
            Ok(level) if range.contains(&level) && *range.end() > 0 => level,
            _ => {
                let message = if *range.end() == 0 {
                    format!("{codec} takes no level")
                } else {
                    format!(
                        "{codec} takes a level from {} to {}, not {text}",
                        range.start(),
                        range.end()
                    )
                };
                return Err(ResolveError::InvalidArgument {
                    message,
                    span: *span,
                });
            }
        },
    };
    Ok(match codec.as_str() {
        "zstd" => ParquetCompression::Zstd(level as i32),
        "gzip" => ParquetCompression::Gzip(level as u32),
        "brotli" => ParquetCompression::Brotli(level as u32),
        "snappy" => ParquetCompression::Snappy,
        "lz4" => ParquetCompression::Lz4,
        _ => ParquetCompression::None,
    })
}

fn bind_import(import: &Import) -> Result<ImportRequest, ResolveError> {
    use crate::ingest::{
        AimImport, DuplicatePolicy, ExpressionImport, GeoImport, Orientation, PersonField,
        RadiomicsImport,
    };
    let path = PathBuf::from(&import.path.value);
    let allowed: &[ImportKey] = match import.kind {
        ImportKind::Clinical | ImportKind::Aliases | ImportKind::Dicom | ImportKind::Series => &[],
        ImportKind::Table => &[ImportKey::SubjectColumn],
        ImportKind::Expression => &[
            ImportKey::Orientation,
            ImportKey::Platform,
            ImportKey::Unit,
            ImportKey::Duplicates,
        ],
        ImportKind::Geo => &[
            ImportKey::SubjectField,
            ImportKey::Annotation,
            ImportKey::SymbolColumn,
            ImportKey::Unit,
        ],
        ImportKind::Radiomics => &[ImportKey::SubjectColumn, ImportKey::SubjectPattern],
        ImportKind::Aim => &[
            ImportKey::SubjectField,
            ImportKey::SubjectPattern,
            ImportKey::Template,
        ],
    };
    let flag_allowed = |flag: ImportFlag| match flag {
        ImportFlag::LevelMulti => import.kind == ImportKind::Table,
        ImportFlag::SkipBad => matches!(import.kind, ImportKind::Aim | ImportKind::Dicom),
        ImportFlag::AllowMixedSettings => import.kind == ImportKind::Radiomics,
    };
    for option in &import.options {
        let (ok, span, what) = match option {
            ImportOption::Flag(flag, span) => {
                (flag_allowed(*flag), *span, flag.keywords().join(" "))
            }
            ImportOption::Value(key, value) => {
                (allowed.contains(key), value.span, key.keywords().join(" "))
            }
        };
        if !ok {
            return Err(ResolveError::InvalidArgument {
                message: format!("IMPORT {} does not take {what}", import.kind.keyword()),
                span,
            });
        }
    }
    let value = |key| import.option(key).map(|v: &StringLit| v.value.clone());
    let invalid = |key: ImportKey, message: String| ResolveError::InvalidArgument {
        message,
        span: import.option(key).map_or(import.span, |v| v.span),
    };
    let needs_table = |what: &str| ResolveError::InvalidArgument {
        message: format!("IMPORT {what} needs the table to create: … AS name"),
        span: import.span,
    };
    Ok(match import.kind {
        ImportKind::Clinical => {
            let mut options = ClinicalImport::default();
            if let Some(t) = &import.table {
                options = options.with_table(&t.name);
            }
            ImportRequest::Clinical { path, options }
        }
        ImportKind::Table => {
            let (Some(table), Some(column)) = (&import.table, value(ImportKey::SubjectColumn))
            else {
                return Err(ResolveError::InvalidArgument {
                    message: "IMPORT TABLE needs the subject column: \
                              IMPORT TABLE name FROM 'file.csv' SUBJECT COLUMN 'Patient ID'"
                        .into(),
                    span: import.span,
                });
            };
            let level = if import.multi() {
                Level::Multi
            } else {
                Level::Subject
            };
            let options = TableImport::new(&table.name, &column)
                .with_level(level)
                .with_null_tokens(NullTokens::default());
            ImportRequest::Table { path, options }
        }
        ImportKind::Expression => {
            let table = import
                .table
                .as_ref()
                .ok_or_else(|| needs_table("EXPRESSION"))?;
            let mut options = ExpressionImport::new(&table.name);
            if let Some(o) = value(ImportKey::Orientation) {
                let parsed: Orientation =
                    o.parse().map_err(|m| invalid(ImportKey::Orientation, m))?;
                options = options.with_orientation(parsed);
            }
            if let Some(d) = value(ImportKey::Duplicates) {
                let parsed: DuplicatePolicy =
                    d.parse().map_err(|m| invalid(ImportKey::Duplicates, m))?;
                options = options.with_duplicates(parsed);
            }
            options.platform = value(ImportKey::Platform);
            options.unit = value(ImportKey::Unit);
            ImportRequest::Expression { path, options }
        }
        ImportKind::Geo => {
            let table = import.table.as_ref().ok_or_else(|| needs_table("GEO"))?;
            let mut options = GeoImport::new(&table.name);
            options.subject_field = value(ImportKey::SubjectField);
            options.annotation = value(ImportKey::Annotation).map(PathBuf::from);
            options.symbol_column = value(ImportKey::SymbolColumn);
            options.unit = value(ImportKey::Unit);
            ImportRequest::Geo { path, options }
        }
        ImportKind::Aliases => ImportRequest::Aliases { path },
        ImportKind::Radiomics => {
            let mut options = RadiomicsImport::default();
            if let Some(t) = &import.table {
                options.table = t.name.clone();
            }
            options.subject_column = value(ImportKey::SubjectColumn);
            options.subject_pattern = value(ImportKey::SubjectPattern);
            options.allow_mixed_settings = import.flag(ImportFlag::AllowMixedSettings);
            ImportRequest::Radiomics { path, options }
        }
        ImportKind::Dicom | ImportKind::Series if import.table.is_some() => {
            return Err(ResolveError::InvalidArgument {
                message: format!(
                    "IMPORT {} writes the tables dicom_files, series and segmentations; it takes no AS",
                    import.kind.keyword()
                ),
                span: import.span,
            });
        }
        ImportKind::Dicom => ImportRequest::Dicom {
            path,
            options: crate::ingest::DicomImport {
                skip_bad: import.flag(ImportFlag::SkipBad),
            },
        },
        ImportKind::Series => ImportRequest::Series { path },
        ImportKind::Aim => {
            let mut options = AimImport::default();
            if let Some(t) = &import.table {
                options.table = t.name.clone();
            }
            if let Some(field) = value(ImportKey::SubjectField) {
                options.subject_field = PersonField::parse(&field).ok_or_else(|| {
                    invalid(
                        ImportKey::SubjectField,
                        format!("SUBJECT FIELD for AIM is 'id' or 'name', not '{field}'"),
                    )
                })?;
            }
            options.subject_pattern = value(ImportKey::SubjectPattern);
            options.template = value(ImportKey::Template).map(PathBuf::from);
            options.skip_bad = import.flag(ImportFlag::SkipBad);
            ImportRequest::Aim { path, options }
        }
    })
}

/// `SELECT subject_id FROM <cohort>`.
fn members_of(cohort: &Ident) -> Select {
    let subject_id = Expr::Column {
        table: None,
        column: Ident {
            name: SUBJECT_COLUMN.into(),
            quoted: false,
            span: cohort.span,
        },
    };
    Select::plain(
        vec![SelectItem::Expr {
            expr: subject_id,
            alias: None,
        }],
        Source::Named(cohort.clone()),
        cohort.span,
    )
}
