//! `EXPORT (SELECT …) | cohort TO '…' [options]`: the query, the format and its settings.

use super::bound::*;
use super::cohort::members_of;
use super::error::ResolveError;
use super::query;
use super::scope::Scope;
use crate::storage::{CohortMeta, SUBJECT_COLUMN, Snapshot};
use crate::syntax::{Export, ExportSource};

/// Binds an `EXPORT`: its source query, the format (named or from the extension), `LONG`,
/// `PARTITION BY` and Parquet's compression.
pub(super) fn bind_export(
    snapshot: &Snapshot,
    export: &Export,
) -> Result<BoundExport, ResolveError> {
    let (query, cohort) = source(snapshot, export)?;
    let format = format(export)?;
    let long = long_column(export, &query)?;
    let partition_by = partition_columns(export, &query, long)?;
    let compression = export_compression(export, format)?;
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

/// The exported query: the `SELECT`, or a cohort's members (with the cohort).
fn source(
    snapshot: &Snapshot,
    export: &Export,
) -> Result<(BoundQuery, Option<CohortMeta>), ResolveError> {
    let scope = Scope::new(snapshot)?;
    Ok(match &export.source {
        ExportSource::Query(select) => (query(snapshot, select)?, None),
        ExportSource::Cohort(name) => {
            let cohort = scope
                .cohort(&name.name)
                .cloned()
                .ok_or_else(|| scope.unknown_source(name))?;
            let select = members_of(name);
            (query(snapshot, &select)?, Some(cohort))
        }
    })
}

/// The file format: `FORMAT name`, else the path's extension (Parquet for a partitioned export
/// without one).
fn format(export: &Export) -> Result<ExportFormat, ResolveError> {
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
    Ok(match format.0.as_str() {
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
    })
}

/// The position of the exported column `name` (case-insensitive), if there is one.
fn item_position(query: &BoundQuery, name: &str) -> Option<usize> {
    query
        .items
        .iter()
        .position(|item| item.name.eq_ignore_ascii_case(name))
}

/// `LONG`: the position of `subject_id`, which a long export must select.
fn long_column(export: &Export, query: &BoundQuery) -> Result<Option<usize>, ResolveError> {
    Ok(match export.long {
        Some(span) => Some(
            item_position(query, SUBJECT_COLUMN).ok_or(ResolveError::InvalidArgument {
                message: "LONG writes (subject_id, variable, value) rows: select `subject_id` too"
                    .into(),
                span,
            })?,
        ),
        None => None,
    })
}

/// `PARTITION BY`: the positions of the named exported columns, neither the long export's
/// `subject_id` nor every column.
fn partition_columns(
    export: &Export,
    query: &BoundQuery,
    long: Option<usize>,
) -> Result<Vec<usize>, ResolveError> {
    let mut partition_by = Vec::new();
    for column in &export.partition_by {
        let i = item_position(query, &column.name).ok_or_else(|| {
            ResolveError::InvalidArgument {
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
            }
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
    Ok(partition_by)
}

/// Parquet's codec: zstd level 3 unless `COMPRESSION` says otherwise, which only Parquet takes.
fn export_compression(
    export: &Export,
    format: ExportFormat,
) -> Result<ParquetCompression, ResolveError> {
    Ok(match &export.compression {
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
