//! The file formats: one `Sink` per open file, and Parquet's settings.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, compute_leaves};
use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::{ROW_GROUP_BYTES, ROW_GROUP_ROWS};
use crate::exec::result::lists_as_text;
use crate::resolve::{BoundExport, ExportFormat, ParquetCompression};

/// One open output file.
pub(super) trait Sink: Send {
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
        let batch = lists_as_text(batch).map_err(|e| e.to_string())?;
        self.wrote = true;
        self.writer.write(&batch).map_err(|e| e.to_string())
    }
    fn finish(mut self: Box<Self>) -> Result<(), String> {
        if !self.wrote {
            // The header row, even when no row matched.
            let empty = RecordBatch::new_empty(self.schema.clone());
            let empty = lists_as_text(&empty).map_err(|e| e.to_string())?;
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
pub(super) fn parquet_properties(
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

/// `schema` carrying the provenance as its metadata. A Parquet file then holds the provenance
/// twice: as key-value metadata (where parquet-tools and DuckDB's `parquet_kv_metadata` look)
/// and inside the embedded Arrow schema (`ARROW:schema`, where pyarrow, pandas and polars
/// take `schema.metadata` from).
pub(super) fn with_provenance(
    schema: &SchemaRef,
    metadata: &BTreeMap<String, String>,
) -> SchemaRef {
    let mut meta: HashMap<String, String> = schema.metadata().clone();
    meta.extend(metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
    Arc::new(schema.as_ref().clone().with_metadata(meta))
}

/// One column of a row group, encoded on its own: a column writer for a one-field schema,
/// whose chunk fits the file's column of the same name and type. (Creating the writers of
/// every column of a 20,000-column row group at once costs gigabytes.)
pub(super) fn encode_column(
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
pub(super) fn rows_per_group(schema: &Schema) -> usize {
    (ROW_GROUP_BYTES / crate::exec::wide::row_bytes(schema))
        .clamp(ROW_GROUP_ROWS.0, ROW_GROUP_ROWS.1)
}

pub(super) fn open_sink(
    path: &Path,
    export: &BoundExport,
    schema: &SchemaRef,
    metadata: &BTreeMap<String, String>,
) -> Result<Box<dyn Sink>, String> {
    let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(match export.format {
        ExportFormat::Parquet => {
            let props = parquet_properties(export, schema, metadata, false);
            let writer = ArrowWriter::try_new(file, with_provenance(schema, metadata), Some(props))
                .map_err(|e| e.to_string())?;
            Box::new(ParquetSink(writer))
        }
        ExportFormat::Arrow => {
            let schema = with_provenance(schema, metadata);
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
