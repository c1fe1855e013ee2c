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
use std::io::{BufWriter, Write};
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
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, compute_leaves};
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use super::wide::WideRows;
use super::{ExecError, QueryResult};
use crate::error::Error;
use crate::resolve::{BoundExport, ExportFormat, Item, ParquetCompression};
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
    let path = PathBuf::from(&export.path);
    if path.exists() && !export.overwrite {
        return Err(ExecError::ExportExists {
            path: export.path.clone(),
        }
        .into());
    }
    let metadata = key_values(export, &provenance);
    let temp = Temp(temp_path(&path, "tmp"));
    let partitioned = !export.partition_by.is_empty();
    let sidecar = match (partitioned, export.format) {
        (true, _) => Some(temp.0.join("_rgdb_provenance.json")),
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
    replace(&temp.0, &path).map_err(|e| failed(&export.path, e))?;
    std::mem::forget(temp);
    if sidecar.is_some() && !partitioned {
        replace(&sidecar_temp.0, &sidecar_path(&path)).map_err(|e| failed(&export.path, e))?;
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
    .into()
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

/// One open output file.
trait Sink: Send {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String>;
    fn finish(self: Box<Self>) -> Result<(), String>;
}

struct ParquetSink(ArrowWriter<File>);

impl Sink for ParquetSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }
    fn finish(self: Box<Self>) -> Result<(), String> {
        let file = self.0.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())
    }
}

struct ArrowSink(datafusion::arrow::ipc::writer::FileWriter<BufWriter<File>>);

impl Sink for ArrowSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }
    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.0.finish().map_err(|e| e.to_string())?;
        let file = self.0.into_inner().map_err(|e| e.to_string())?;
        let file = file.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())
    }
}

struct CsvSink {
    writer: datafusion::arrow::csv::Writer<BufWriter<File>>,
    schema: SchemaRef,
    wrote: bool,
}

impl Sink for CsvSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        let batch = super::result::lists_as_text(batch).map_err(|e| e.to_string())?;
        self.wrote = true;
        self.writer.write(&batch).map_err(|e| e.to_string())
    }
    fn finish(mut self: Box<Self>) -> Result<(), String> {
        if !self.wrote {
            // The header row, even when no row matched.
            let empty = RecordBatch::new_empty(self.schema.clone());
            let empty = super::result::lists_as_text(&empty).map_err(|e| e.to_string())?;
            self.writer.write(&empty).map_err(|e| e.to_string())?;
        }
        let mut file = self.writer.into_inner();
        file.flush().map_err(|e| e.to_string())?;
        let file = file.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())
    }
}

struct JsonSink(datafusion::arrow::json::LineDelimitedWriter<BufWriter<File>>);

impl Sink for JsonSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }
    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.0.finish().map_err(|e| e.to_string())?;
        let mut file = self.0.into_inner();
        file.flush().map_err(|e| e.to_string())?;
        let file = file.into_inner().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())
    }
}

/// Parquet writer settings: the codec, row groups of about [`ROW_GROUP_BYTES`], and the
/// provenance as key-value metadata.
fn parquet_properties(
    export: &BoundExport,
    schema: &Schema,
    metadata: &BTreeMap<String, String>,
    wide: bool,
) -> WriterProperties {
    let compression = match export.compression {
        ParquetCompression::Zstd(level) => {
            Compression::ZSTD(ZstdLevel::try_new(level).unwrap_or_default())
        }
        ParquetCompression::Gzip(level) => {
            Compression::GZIP(GzipLevel::try_new(level).unwrap_or_default())
        }
        ParquetCompression::Brotli(level) => {
            Compression::BROTLI(BrotliLevel::try_new(level).unwrap_or_default())
        }
        ParquetCompression::Snappy => Compression::SNAPPY,
        ParquetCompression::Lz4 => Compression::LZ4_RAW,
        ParquetCompression::None => Compression::UNCOMPRESSED,
    };
    let rows = rows_per_group(schema);
    let kv = metadata
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    // A dictionary pays for text (categories, the `variable` of a long table) and for a long
    // column of repeated measurements, but costs a hash per value and some size on the short
    // columns of a wide file, whose values are mostly distinct: there, text columns only.
    let mut builder = WriterProperties::builder().set_dictionary_enabled(!wide);
    if wide {
        for field in schema.fields() {
            if matches!(field.data_type(), DataType::Utf8 | DataType::LargeUtf8) {
                builder = builder.set_column_dictionary_enabled(
                    parquet::schema::types::ColumnPath::from(field.name().as_str()),
                    true,
                );
            }
        }
    }
    builder
        .set_compression(compression)
        .set_max_row_group_row_count(Some(rows))
        .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
        .set_key_value_metadata(Some(kv))
        .build()
}

/// One column of a row group, encoded on its own: a column writer for a one-field schema,
/// whose chunk fits the file's column of the same name and type. (Creating the writers of
/// every column of a 20,000-column row group at once costs gigabytes.)
fn encode_column(
    field: &Field,
    array: &ArrayRef,
    props: &parquet::file::properties::WriterPropertiesPtr,
) -> Result<ArrowColumnChunk, parquet::errors::ParquetError> {
    let one = Arc::new(Schema::new(vec![field.clone()]));
    let descriptor = parquet::arrow::ArrowSchemaConverter::new()
        .with_coerce_types(props.coerce_types())
        .convert(&one)?;
    #[allow(deprecated)]
    let writers = parquet::arrow::arrow_writer::get_column_writers(&descriptor, props, &one)?;
    let mut writer = writers.into_iter().next().ok_or_else(|| {
        parquet::errors::ParquetError::General(format!("no column writer for {}", field.name()))
    })?;
    for leaf in compute_leaves(field, array)? {
        writer.write(&leaf)?;
    }
    writer.close()
}

/// Rows of `schema` that make about [`ROW_GROUP_BYTES`] of values, within [`ROW_GROUP_ROWS`].
fn rows_per_group(schema: &Schema) -> usize {
    let row_bytes: usize = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Boolean => 1,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::List(_) => 24,
            t => t.primitive_width().unwrap_or(8),
        })
        .sum::<usize>()
        .max(1);
    (ROW_GROUP_BYTES / row_bytes).clamp(ROW_GROUP_ROWS.0, ROW_GROUP_ROWS.1)
}

fn open_sink(
    path: &Path,
    export: &BoundExport,
    schema: &SchemaRef,
    metadata: &BTreeMap<String, String>,
) -> Result<Box<dyn Sink>, String> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(match export.format {
        ExportFormat::Parquet => {
            let props = parquet_properties(export, schema, metadata, false);
            let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
                .map_err(|e| e.to_string())?;
            Box::new(ParquetSink(writer))
        }
        ExportFormat::Arrow => {
            let meta: HashMap<String, String> = metadata.clone().into_iter().collect();
            let schema = schema.as_ref().clone().with_metadata(meta);
            let writer =
                datafusion::arrow::ipc::writer::FileWriter::try_new(BufWriter::new(file), &schema)
                    .map_err(|e| e.to_string())?;
            Box::new(ArrowSink(writer))
        }
        ExportFormat::Csv | ExportFormat::Tsv => {
            let delimiter = if export.format == ExportFormat::Csv {
                b','
            } else {
                b'\t'
            };
            let writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(BufWriter::new(file));
            Box::new(CsvSink {
                writer,
                schema: schema.clone(),
                wrote: false,
            })
        }
        ExportFormat::Jsonl => Box::new(JsonSink(
            datafusion::arrow::json::LineDelimitedWriter::new(BufWriter::new(file)),
        )),
    })
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
                let file = dir.join(format!("part-0.{}", extension(export.format)));
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

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Parquet => "parquet",
        ExportFormat::Csv => "csv",
        ExportFormat::Tsv => "tsv",
        ExportFormat::Arrow => "arrow",
        ExportFormat::Jsonl => "jsonl",
    }
}

fn with_schema(
    schema: &SchemaRef,
    batch: RecordBatch,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    RecordBatch::try_new(schema.clone(), batch.columns().to_vec())
}

/// The rows of a batch grouped by their hive folder path (`col=value/col2=value2`).
fn partitions(
    batch: &RecordBatch,
    schema: &Schema,
    by: &[usize],
) -> Result<BTreeMap<String, Vec<u32>>, datafusion::arrow::error::ArrowError> {
    let columns: Vec<(&str, &ArrayRef)> = by
        .iter()
        .map(|&i| (schema.field(i).name().as_str(), batch.column(i)))
        .collect();
    folders(&columns, batch.num_rows())
}

/// Rows grouped by the hive folder their partition values name.
fn folders(
    columns: &[(&str, &ArrayRef)],
    rows: usize,
) -> Result<BTreeMap<String, Vec<u32>>, datafusion::arrow::error::ArrowError> {
    let options = FormatOptions::default();
    let formatters: Vec<ArrayFormatter<'_>> = columns
        .iter()
        .map(|(_, array)| ArrayFormatter::try_new(array.as_ref(), &options))
        .collect::<Result<_, _>>()?;
    let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for row in 0..rows {
        let mut folder = String::new();
        for (k, (name, array)) in columns.iter().enumerate() {
            if k > 0 {
                folder.push('/');
            }
            let value = if array.is_null(row) {
                "__HIVE_DEFAULT_PARTITION__".to_string()
            } else {
                escape(&formatters[k].value(row).to_string())
            };
            folder += &format!("{}={value}", escape(name));
        }
        groups.entry(folder).or_default().push(row as u32);
    }
    Ok(groups)
}

/// Writes a wide selection: one file, or one per partition, each from the rows it holds.
fn write_wide(
    target: &Path,
    export: &BoundExport,
    shape: &Shape,
    wide: &WideRows,
    metadata: &BTreeMap<String, String>,
) -> Result<(u64, u64), Error> {
    let all: Vec<u32> = (0..wide.num_rows() as u32).collect();
    if export.partition_by.is_empty() {
        let rows = write_wide_file(target, export, shape, wide, &all, metadata)?;
        return Ok((rows, 1));
    }
    let arrays: Vec<ArrayRef> = export
        .partition_by
        .iter()
        .map(|&i| wide.column(i, None))
        .collect::<Result<_, _>>()?;
    let columns: Vec<(&str, &ArrayRef)> = export
        .partition_by
        .iter()
        .zip(&arrays)
        .map(|(&i, a)| (shape.input.field(i).name().as_str(), a))
        .collect();
    let groups = folders(&columns, wide.num_rows()).map_err(arrow)?;
    if groups.len() > MAX_PARTITIONS {
        return Err(failed(
            &export.path,
            format!(
                "PARTITION BY makes more than {MAX_PARTITIONS} folders; partition by a column with fewer values"
            ),
        ));
    }
    let mut rows = 0;
    for (folder, indices) in &groups {
        let dir = target.join(folder);
        std::fs::create_dir_all(&dir).map_err(|e| failed(&export.path, e))?;
        let file = dir.join(format!("part-0.{}", extension(export.format)));
        rows += write_wide_file(&file, export, shape, wide, indices, metadata)?;
    }
    Ok((rows, groups.len() as u64))
}

/// One file of a wide selection: Parquet a column at a time (each stored column decoded once
/// per row group), `LONG` a variable at a time, other formats a slab of rows at a time.
fn write_wide_file(
    path: &Path,
    export: &BoundExport,
    shape: &Shape,
    wide: &WideRows,
    rows: &[u32],
    metadata: &BTreeMap<String, String>,
) -> Result<u64, Error> {
    let fail = |e: String| failed(&export.path, e);
    if let Some((_, values)) = &shape.long {
        let mut sink = open_sink(path, export, &shape.schema, metadata).map_err(fail)?;
        let indices = UInt32Array::from(rows.to_vec());
        let subjects = take(wide.subjects().as_ref(), &indices, None).map_err(arrow)?;
        let value_type = shape.schema.field(2).data_type();
        let mut written = 0u64;
        for &v in values {
            let value = as_value(&wide.column(v, Some(&indices))?, value_type).map_err(arrow)?;
            let names = StringArray::from_iter_values(std::iter::repeat_n(
                shape.input.field(v).name().as_str(),
                rows.len(),
            ));
            let batch = RecordBatch::try_new(
                shape.schema.clone(),
                vec![subjects.clone(), Arc::new(names), value],
            )
            .map_err(arrow)?;
            written += batch.num_rows() as u64;
            sink.write(&batch).map_err(fail)?;
        }
        sink.finish().map_err(fail)?;
        return Ok(written);
    }
    if export.format == ExportFormat::Parquet {
        let file = File::create(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let props = parquet_properties(export, &shape.schema, metadata, true);
        let writer = ArrowWriter::try_new(file, shape.schema.clone(), Some(props))
            .map_err(|e| fail(e.to_string()))?;
        let (mut writer, factory) = writer
            .into_serialized_writer()
            .map_err(|e| fail(e.to_string()))?;
        let props = writer.properties().clone();
        drop(factory);
        let fields: Vec<(Field, usize)> = shape
            .schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .zip(shape.kept.iter().copied())
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for group in rows.chunks(ROW_GROUP_ROWS.1) {
            let indices = UInt32Array::from(group.to_vec());
            let mut row_group = writer.next_row_group().map_err(|e| fail(e.to_string()))?;
            // Columns are read and encoded on every core, a window at a time, and appended in
            // order; only one window's encoded chunks are held.
            for window in fields.chunks(16 * threads) {
                let per = window.len().div_ceil(threads);
                let chunks = std::thread::scope(|scope| {
                    let handles: Vec<_> = window
                        .chunks(per)
                        .map(|part| {
                            let (indices, props) = (&indices, &props);
                            scope.spawn(move || {
                                part.iter()
                                    .map(|(field, i)| {
                                        let array = wide.column(*i, Some(indices))?;
                                        encode_column(field, &array, props)
                                            .map_err(|e| failed(&export.path, e))
                                    })
                                    .collect::<Result<Vec<_>, Error>>()
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| {
                            h.join().unwrap_or_else(|_| {
                                Err(failed(&export.path, "an encoding thread panicked"))
                            })
                        })
                        .collect::<Result<Vec<_>, Error>>()
                })?;
                for chunk in chunks.into_iter().flatten() {
                    chunk
                        .append_to_row_group(&mut row_group)
                        .map_err(|e| fail(e.to_string()))?;
                }
            }
            row_group.close().map_err(|e| fail(e.to_string()))?;
        }
        let file = writer.into_inner().map_err(|e| fail(e.to_string()))?;
        file.sync_all().map_err(|e| fail(e.to_string()))?;
        return Ok(rows.len() as u64);
    }
    let mut sink = open_sink(path, export, &shape.schema, metadata).map_err(fail)?;
    let slab = rows_per_group(&wide.schema).min(65_536);
    for part in rows.chunks(slab) {
        let batch = wide.batch(&UInt32Array::from(part.to_vec()))?;
        let batch = with_schema(&shape.input, batch).map_err(arrow)?;
        sink.write(&shape.apply(&batch).map_err(arrow)?)
            .map_err(fail)?;
    }
    sink.finish().map_err(fail)?;
    Ok(rows.len() as u64)
}

/// Hive's escaping of a path component: `%XX` for characters that paths or Hive reserve.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out += &format!("%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out == "." || out == ".." {
        out = out.replace('.', "%2E");
        if out.is_empty() {
            out = "__HIVE_DEFAULT_PARTITION__".into();
        }
    }
    out
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
    let schema = Arc::new(Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("format", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("files", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec![path])),
            Arc::new(StringArray::from(vec![format.name()])),
            Arc::new(UInt64Array::from(vec![rows])),
            Arc::new(UInt64Array::from(vec![files])),
            Arc::new(UInt64Array::from(vec![bytes])),
        ],
    )
    .map_err(datafusion::error::DataFusionError::from)?;
    Ok(QueryResult::of_batch(batch, None))
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn partition_values_are_escaped_like_hive() {
        assert_eq!(escape("Adenocarcinoma"), "Adenocarcinoma");
        assert_eq!(
            escape("NSCLC NOS (not otherwise specified)"),
            "NSCLC NOS (not otherwise specified)"
        );
        assert_eq!(escape("a/b=c"), "a%2Fb%3Dc");
        assert_eq!(escape(".."), "%2E%2E");
        assert_eq!(escape(""), "__HIVE_DEFAULT_PARTITION__");
    }
}
