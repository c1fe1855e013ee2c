//! `EXPORT`: streams a query's rows into Parquet, CSV, TSV, Arrow IPC or JSON-lines files.
//!
//! - **Atomic.** Everything is written under a temporary name beside the target (a file, or a
//!   directory for `PARTITION BY`) and renamed into place at the end. An error, or a cancelled
//!   task dropping the future, removes the temporary; nothing half-written is left.
//! - **Streaming.** Batches go to the writer as the query yields them; Parquet row groups are
//!   sized by bytes (about 64 MiB of values), so a 20,000-column export holds one row group,
//!   not the whole result.
//! - **Provenance.** Each column's source label, unit and description go into the Arrow field
//!   metadata. The statement, database version, content hash of the tables read, rgdb version,
//!   time and the cohort (when one is exported) go into the Parquet key-value metadata and the
//!   Arrow schema metadata; CSV, TSV and JSON-lines files get them in a sidecar
//!   `<file>.provenance.json`, and a partitioned directory in `_rgdb_provenance.json`.
//! - **Long form.** `LONG` writes one `(subject_id, variable, value)` row per value.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, StringArray, StringBuilder, UInt32Array, UInt64Array,
};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use sha2::{Digest, Sha256};

mod partition;
mod sink;
mod wide_files;

use partition::partitions;
use sink::{Sink, open_sink};
use wide_files::write_wide;

use super::target::{EXPORT_MARKER, check_replaceable, output_target};
use super::wide::WideRows;
use super::{ExecError, QueryResult};
use crate::exec::ExecError as Error;
use crate::resolve::{BoundExport, ExportFormat, Item};
use crate::storage::{META_DESCRIPTION, META_LABEL, META_UNIT, Snapshot};

/// The bytes of values a Parquet row group aims at.
const ROW_GROUP_BYTES: usize = 64 << 20;
/// Row-group bounds: Parquet's default upper bound, and a floor for very wide rows.
const ROW_GROUP_ROWS: (usize, usize) = (64, 1 << 20);
/// More folders than this for `PARTITION BY` is almost surely the wrong column.
const MAX_PARTITIONS: usize = 10_000;

/// Facts written into an exported file.
pub struct Provenance {
    pub database_version: u64,
    pub time: String,
    /// One line per table or cohort read: `name version rows sha256`.
    pub tables: Vec<String>,
    /// SHA-256 over the names and content hashes of what was read: changes whenever any data
    /// read changes, and only then.
    pub content_sha256: String,
}

impl Provenance {
    /// The provenance of an export run on `snapshot`.
    pub fn of(export: &BoundExport, snapshot: &Snapshot) -> Result<Provenance, Error> {
        let (tables, cohorts) = export.query.sources();
        // `tables`: what was read, with versions; the hash covers names and content only, so
        // that re-importing identical data keeps it.
        let mut lines = Vec::new();
        let mut hasher = Sha256::new();
        for t in tables {
            // Tables imported before content hashes were kept are identified by generation.
            let sha = t.content_sha256.clone().unwrap_or_else(|| {
                format!(
                    "generation-{}-{}",
                    t.data_id,
                    t.source.as_ref().map_or("", |s| &s.sha256)
                )
            });
            hasher.update(format!("{} {sha}\n", t.name).as_bytes());
            lines.push(format!("{} {} {} {sha}", t.name, t.version, t.rows));
        }
        for c in cohorts {
            let mut members = Sha256::new();
            for id in snapshot.cohort_members(c)? {
                members.update(snapshot.subjects()[id as usize].as_bytes());
                members.update(b"\n");
            }
            let sha = crate::storage::hex(&members.finalize());
            hasher.update(format!("cohort:{} {sha}\n", c.name).as_bytes());
            lines.push(format!(
                "cohort:{} {} {} {sha}",
                c.name, c.version, c.members
            ));
        }
        Ok(Provenance {
            database_version: snapshot.version(),
            time: crate::storage::now_rfc3339(),
            tables: lines,
            content_sha256: crate::storage::hex(&hasher.finalize()),
        })
    }
}

/// The rows an export writes: a DataFusion stream, or a wide selection read column by column.
pub enum Rows {
    Stream(SendableRecordBatchStream),
    Wide(Box<WideRows>),
}

/// Writes the query's rows to the export's path. Returns a one-row summary.
pub async fn write(
    export: &BoundExport,
    rows: Rows,
    provenance: Provenance,
) -> Result<QueryResult, Error> {
    let path = output_target(&export.path, export.overwrite)?;
    let sidecar_target = sidecar_path(&path);
    if export.partition_by.is_empty()
        && !matches!(export.format, ExportFormat::Parquet | ExportFormat::Arrow)
    {
        check_replaceable(
            &sidecar_target.display().to_string(),
            &sidecar_target,
            export.overwrite,
        )?;
    }
    let metadata = key_values(export, &provenance);
    let temp = Temp(temp_path(&path, "tmp"));
    let partitioned = !export.partition_by.is_empty();
    let sidecar = match (partitioned, export.format) {
        (true, _) => Some(temp.0.join(EXPORT_MARKER)),
        (false, ExportFormat::Parquet | ExportFormat::Arrow) => None,
        (false, _) => Some(sidecar_path(&temp.0)),
    };
    let sidecar_temp = Temp(sidecar.clone().unwrap_or_default());
    if partitioned {
        std::fs::create_dir(&temp.0).map_err(|e| failed(&export.path, e))?;
    }
    let (rows, files) = match rows {
        Rows::Stream(stream) => {
            let shape = Shape::new(export, &stream.schema());
            let written = write_rows(&temp.0, export, &shape, stream, &metadata).await?;
            write_sidecar_if(&sidecar, &shape, &metadata, export)?;
            written
        }
        Rows::Wide(wide) => {
            let shape = Shape::new(export, &wide.schema);
            let written = write_wide(&temp.0, export, &shape, &wide, &metadata)?;
            write_sidecar_if(&sidecar, &shape, &metadata, export)?;
            written
        }
    };
    check_replaceable(&export.path, &path, export.overwrite)?;
    replace(&temp.0, &path).map_err(|e| failed(&export.path, e))?;
    std::mem::forget(temp);
    if sidecar.is_some() && !partitioned {
        replace(&sidecar_temp.0, &sidecar_target).map_err(|e| failed(&export.path, e))?;
    }
    std::mem::forget(sidecar_temp);
    let bytes = disk_size(&path);
    summary(&export.path, export.format, rows, files, bytes)
}

fn write_sidecar_if(
    sidecar: &Option<PathBuf>,
    shape: &Shape,
    metadata: &BTreeMap<String, String>,
    export: &BoundExport,
) -> Result<(), Error> {
    match sidecar {
        Some(path) => {
            write_sidecar(path, &shape.schema, metadata).map_err(|e| failed(&export.path, e))
        }
        None => Ok(()),
    }
}

fn failed(path: &str, e: impl std::fmt::Display) -> Error {
    ExecError::ExportFailed {
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// A file or directory being written; removed unless it was renamed into place, also when
/// the export is abandoned half-way (an error, or a cancelled task dropping the future).
struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else if !self.0.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn temp_path(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    path.with_file_name(format!(".{name}.rgdb-{what}-{}", std::process::id()))
}

/// `cohort.csv` → `cohort.csv.provenance.json`.
fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".provenance.json");
    PathBuf::from(name)
}

/// Renames `from` to `to`, replacing what is there. A directory in the way is moved aside
/// first and removed after, so the target is never missing for longer than two renames.
fn replace(from: &Path, to: &Path) -> std::io::Result<()> {
    if to.is_dir() {
        let old = temp_path(to, "old");
        std::fs::rename(to, &old)?;
        std::fs::rename(from, to)?;
        std::fs::remove_dir_all(&old)
    } else if to.is_file() && from.is_dir() {
        std::fs::remove_file(to)?;
        std::fs::rename(from, to)
    } else {
        std::fs::rename(from, to)
    }
}

fn disk_size(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .map(|d| d.flatten().map(|e| disk_size(&e.path())).sum())
            .unwrap_or(0)
    } else {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }
}

/// What the files hold: the output columns (with their metadata) after `LONG` and without
/// the partition columns.
struct Shape {
    /// The query's columns, annotated with label, unit and description.
    input: SchemaRef,
    /// The columns written to each file.
    schema: SchemaRef,
    /// Indices (in `input`) of the columns written, in file order, when not `LONG`.
    kept: Vec<usize>,
    /// `LONG`: the subject column and the value columns (indices in `input`).
    long: Option<(usize, Vec<usize>)>,
}

impl Shape {
    fn new(export: &BoundExport, schema: &SchemaRef) -> Shape {
        let input = annotated(schema, &export.query.items);
        let kept: Vec<usize> = (0..input.fields().len())
            .filter(|i| !export.partition_by.contains(i))
            .collect();
        let Some(subject) = export.long else {
            let fields: Vec<Field> = kept.iter().map(|&i| input.field(i).clone()).collect();
            return Shape {
                schema: Arc::new(Schema::new(fields)),
                input,
                kept,
                long: None,
            };
        };
        let values: Vec<usize> = kept.iter().copied().filter(|&i| i != subject).collect();
        let numeric = values.iter().all(|&i| {
            let t = input.field(i).data_type();
            t.is_numeric() || t == &DataType::Boolean
        });
        let value_type = if numeric {
            DataType::Float64
        } else {
            DataType::Utf8
        };
        let schema = Schema::new(vec![
            input.field(subject).clone(),
            Field::new("variable", DataType::Utf8, false),
            Field::new("value", value_type, true),
        ]);
        Shape {
            schema: Arc::new(schema),
            input,
            kept,
            long: Some((subject, values)),
        }
    }

    /// The rows of one input batch as they are written.
    fn apply(
        &self,
        batch: &RecordBatch,
    ) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
        let Some((subject, values)) = &self.long else {
            let columns = self.kept.iter().map(|&i| batch.column(i).clone()).collect();
            return RecordBatch::try_new(self.schema.clone(), columns);
        };
        let value_type = self.schema.field(2).data_type();
        let rows = batch.num_rows();
        let n = values.len();
        // Row-major: every variable of the first subject, then the next subject.
        let order: Vec<u32> = (0..rows as u32)
            .flat_map(|r| std::iter::repeat_n(r, n))
            .collect();
        let subjects = take(batch.column(*subject), &UInt32Array::from(order), None)?;
        let mut names = StringBuilder::with_capacity(rows * n, rows * n * 12);
        for _ in 0..rows {
            for &v in values {
                names.append_value(self.input.field(v).name());
            }
        }
        let columns: Vec<ArrayRef> = values
            .iter()
            .map(|&v| as_value(batch.column(v), value_type))
            .collect::<Result<_, _>>()?;
        // Interleave: value k*n + j is row k of column j.
        let indices: Vec<(usize, usize)> = (0..rows)
            .flat_map(|r| (0..n).map(move |j| (j, r)))
            .collect();
        let refs: Vec<&dyn Array> = columns.iter().map(|c| c.as_ref()).collect();
        let value = datafusion::arrow::compute::interleave(&refs, &indices)?;
        RecordBatch::try_new(
            self.schema.clone(),
            vec![subjects, Arc::new(names.finish()), value],
        )
    }
}

/// A value column in the long form's value type: numbers as floats, anything else as text.
fn as_value(
    array: &ArrayRef,
    to: &DataType,
) -> Result<ArrayRef, datafusion::arrow::error::ArrowError> {
    if to == &DataType::Float64 || !matches!(array.data_type(), DataType::List(_)) {
        return cast(array, to);
    }
    // A text list: its values joined by "; ".
    let options = FormatOptions::default();
    let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
    let mut out = StringBuilder::new();
    for i in 0..array.len() {
        if array.is_null(i) {
            out.append_null();
        } else {
            out.append_value(formatter.value(i).to_string());
        }
    }
    Ok(Arc::new(out.finish()))
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

/// Streams every batch into the file at `target`, or into one file per partition under the
/// directory `target`. Returns rows and files written.
async fn write_rows(
    target: &Path,
    export: &BoundExport,
    shape: &Shape,
    mut stream: SendableRecordBatchStream,
    metadata: &BTreeMap<String, String>,
) -> Result<(u64, u64), Error> {
    let fail = |e: String| failed(&export.path, e);
    let mut rows = 0u64;
    if export.partition_by.is_empty() {
        let mut sink = open_sink(target, export, &shape.schema, metadata).map_err(fail)?;
        while let Some(batch) = stream.next().await {
            let batch = with_schema(&shape.input, batch?).map_err(arrow)?;
            let batch = shape.apply(&batch).map_err(arrow)?;
            rows += batch.num_rows() as u64;
            sink.write(&batch).map_err(fail)?;
        }
        sink.finish().map_err(fail)?;
        return Ok((rows, 1));
    }
    let mut sinks: BTreeMap<String, Box<dyn Sink>> = BTreeMap::new();
    while let Some(batch) = stream.next().await {
        let batch = with_schema(&shape.input, batch?).map_err(arrow)?;
        for (folder, indices) in
            partitions(&batch, &shape.input, &export.partition_by).map_err(arrow)?
        {
            let part =
                datafusion::arrow::compute::take_record_batch(&batch, &UInt32Array::from(indices))
                    .map_err(arrow)?;
            let part = shape.apply(&part).map_err(arrow)?;
            rows += part.num_rows() as u64;
            if !sinks.contains_key(&folder) {
                if sinks.len() == MAX_PARTITIONS {
                    return Err(fail(format!(
                        "PARTITION BY makes more than {MAX_PARTITIONS} folders; partition by a column with fewer values"
                    )));
                }
                let dir = target.join(&folder);
                std::fs::create_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
                let file = dir.join(format!("part-0.{}", export.format.name()));
                let sink = open_sink(&file, export, &shape.schema, metadata).map_err(fail)?;
                sinks.insert(folder.clone(), sink);
            }
            if let Some(sink) = sinks.get_mut(&folder) {
                sink.write(&part).map_err(fail)?;
            }
        }
    }
    let files = sinks.len() as u64;
    for sink in sinks.into_values() {
        sink.finish().map_err(fail)?;
    }
    Ok((rows, files))
}

fn arrow(e: datafusion::arrow::error::ArrowError) -> Error {
    datafusion::error::DataFusionError::from(e).into()
}

fn with_schema(
    schema: &SchemaRef,
    batch: RecordBatch,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    RecordBatch::try_new(schema.clone(), batch.columns().to_vec())
}

/// The provenance keys, written into every file (and the sidecar).
fn key_values(export: &BoundExport, provenance: &Provenance) -> BTreeMap<String, String> {
    let mut kv = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        kv.insert(k.to_string(), v);
    };
    put("rgdb.statement", export.statement.clone());
    put(
        "rgdb.database_version",
        provenance.database_version.to_string(),
    );
    put("rgdb.content_sha256", provenance.content_sha256.clone());
    put("rgdb.tables", provenance.tables.join("\n"));
    put("rgdb.version", env!("CARGO_PKG_VERSION").to_string());
    put("rgdb.time", provenance.time.clone());
    put(
        "rgdb.shape",
        if export.long.is_some() {
            "long"
        } else {
            "wide"
        }
        .to_string(),
    );
    if let Some(c) = &export.cohort {
        put("rgdb.cohort", c.name.clone());
        put("rgdb.cohort_definition", c.definition.clone());
        put("rgdb.cohort_version", c.version.to_string());
        put("rgdb.cohort_evaluated_at", c.evaluated_at.to_string());
    }
    kv
}

/// `<file>.provenance.json`: the provenance keys and each column's metadata, for formats
/// that have no place for them.
fn write_sidecar(
    path: &Path,
    schema: &Schema,
    metadata: &BTreeMap<String, String>,
) -> std::io::Result<()> {
    let columns: Vec<serde_json::Value> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut column = serde_json::Map::new();
            column.insert("name".into(), f.name().clone().into());
            column.insert("type".into(), f.data_type().to_string().into());
            for (k, v) in f.metadata() {
                column.insert(k.clone(), v.clone().into());
            }
            serde_json::Value::Object(column)
        })
        .collect();
    let json = serde_json::json!({ "metadata": metadata, "columns": columns });
    let mut file = File::create(path)?;
    file.write_all(serde_json::to_string_pretty(&json)?.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

fn summary(
    path: &str,
    format: ExportFormat,
    rows: u64,
    files: u64,
    bytes: u64,
) -> Result<QueryResult, Error> {
    let count = |v: u64| -> ArrayRef { Arc::new(UInt64Array::from(vec![v])) };
    QueryResult::of_columns(
        vec![
            ("path", Arc::new(StringArray::from(vec![path]))),
            ("format", Arc::new(StringArray::from(vec![format.name()]))),
            ("rows", count(rows)),
            ("files", count(files)),
            ("bytes", count(bytes)),
        ],
        None,
    )
}
