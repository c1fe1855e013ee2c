//! `EXPORT`: runs a query and writes Parquet, CSV or TSV atomically (a temporary file beside
//! the target, renamed into place), with each column's label and unit in the Arrow field
//! metadata and the statement's provenance in the Parquet key-value metadata.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{ExecError, QueryResult};
use crate::error::Error;
use crate::resolve::{BoundExport, ExportFormat, Item};
use crate::storage::{META_DESCRIPTION, META_LABEL, META_UNIT};

/// Facts written into an exported file.
pub struct Provenance {
    pub database_version: u64,
    pub time: String,
}

/// Writes the query's rows to the export's path. Returns a one-row summary.
pub async fn write(
    export: &BoundExport,
    stream: SendableRecordBatchStream,
    provenance: Provenance,
) -> Result<QueryResult, Error> {
    let path = PathBuf::from(&export.path);
    if path.exists() && !export.overwrite {
        return Err(ExecError::ExportExists {
            path: export.path.clone(),
        }
        .into());
    }
    let temp = TempFile(temp_path(&path));
    let rows = write_to(&temp.0, export, stream, &provenance).await?;
    std::fs::rename(&temp.0, &path).map_err(|e| failed(&export.path, e))?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    summary(&export.path, export.format, rows, bytes)
}

fn failed(path: &str, e: impl std::fmt::Display) -> Error {
    ExecError::ExportFailed {
        path: path.to_string(),
        message: e.to_string(),
    }
    .into()
}

/// The file being written; removed unless it was renamed into place, also when the export is
/// abandoned half-way (an error, or a cancelled task dropping the future).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.rgdb-tmp-{}", std::process::id()))
}

/// The output schema with each column's source label, unit and description attached.
fn annotated(schema: &SchemaRef, items: &[Item]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut meta: HashMap<String, String> = f.metadata().clone();
            if let Some(source) = items.get(i).and_then(|item| item.source.as_ref()) {
                meta.insert(META_LABEL.into(), source.label.clone());
                if let Some(unit) = &source.unit {
                    meta.insert(META_UNIT.into(), unit.clone());
                }
                if let Some(d) = &source.description {
                    meta.insert(META_DESCRIPTION.into(), d.clone());
                }
            }
            f.as_ref().clone().with_metadata(meta)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

async fn write_to(
    temp: &Path,
    export: &BoundExport,
    mut stream: SendableRecordBatchStream,
    provenance: &Provenance,
) -> Result<u64, Error> {
    let file = File::create(temp).map_err(|e| failed(&export.path, e))?;
    let schema = annotated(&stream.schema(), &export.query.items);
    let mut rows = 0u64;
    match export.format {
        ExportFormat::Parquet => {
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
                .set_key_value_metadata(Some(key_values(export, provenance)))
                .build();
            let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
                .map_err(|e| failed(&export.path, e))?;
            while let Some(batch) = stream.next().await {
                let batch = RecordBatch::try_new(schema.clone(), batch?.columns().to_vec())
                    .map_err(|e| failed(&export.path, e))?;
                rows += batch.num_rows() as u64;
                writer.write(&batch).map_err(|e| failed(&export.path, e))?;
            }
            writer.close().map_err(|e| failed(&export.path, e))?;
        }
        ExportFormat::Csv | ExportFormat::Tsv => {
            let delimiter = if export.format == ExportFormat::Csv {
                b','
            } else {
                b'\t'
            };
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(file);
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                rows += batch.num_rows() as u64;
                let batch =
                    super::result::lists_as_text(&batch).map_err(|e| failed(&export.path, e))?;
                writer.write(&batch).map_err(|e| failed(&export.path, e))?;
            }
            if rows == 0 {
                // The header row, even when no row matched.
                let empty = RecordBatch::new_empty(stream.schema());
                let empty =
                    super::result::lists_as_text(&empty).map_err(|e| failed(&export.path, e))?;
                writer.write(&empty).map_err(|e| failed(&export.path, e))?;
            }
            let file = writer.into_inner();
            file.sync_all().map_err(|e| failed(&export.path, e))?;
        }
    }
    Ok(rows)
}

fn key_values(export: &BoundExport, provenance: &Provenance) -> Vec<KeyValue> {
    let mut kv = vec![
        KeyValue::new("rgdb.statement".into(), export.statement.clone()),
        KeyValue::new(
            "rgdb.database_version".into(),
            provenance.database_version.to_string(),
        ),
        KeyValue::new("rgdb.version".into(), env!("CARGO_PKG_VERSION").to_string()),
        KeyValue::new("rgdb.time".into(), provenance.time.clone()),
    ];
    if let Some(c) = &export.cohort {
        kv.push(KeyValue::new("rgdb.cohort".into(), c.name.clone()));
        kv.push(KeyValue::new(
            "rgdb.cohort_definition".into(),
            c.definition.clone(),
        ));
        kv.push(KeyValue::new(
            "rgdb.cohort_version".into(),
            c.version.to_string(),
        ));
    }
    kv
}

fn summary(path: &str, format: ExportFormat, rows: u64, bytes: u64) -> Result<QueryResult, Error> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("format", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
    ]));
    let format = match format {
        ExportFormat::Parquet => "parquet",
        ExportFormat::Csv => "csv",
        ExportFormat::Tsv => "tsv",
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec![path])),
            Arc::new(StringArray::from(vec![format])),
            Arc::new(UInt64Array::from(vec![rows])),
            Arc::new(UInt64Array::from(vec![bytes])),
        ],
    )
    .map_err(datafusion::error::DataFusionError::from)?;
    Ok(QueryResult::of_batch(batch, None))
}
