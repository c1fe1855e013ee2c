//! Writing a wide selection (`exec/wide.rs`): Parquet a column at a time, `LONG` a variable
//! at a time, the row formats a slab at a time.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::Field;
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;

use super::partition::folders;
use super::sink::{encode_column, open_sink, parquet_properties, rows_per_group, with_provenance};
use super::{MAX_PARTITIONS, ROW_GROUP_ROWS, Shape, arrow, as_value, failed, with_schema};
use crate::exec::ExecError as Error;
use crate::exec::wide::WideRows;
use crate::resolve::{BoundExport, ExportFormat};

/// Writes a wide selection: one file, or one per partition, each from the rows it holds.
pub(super) fn write_wide(
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
        let file = dir.join(format!("part-0.{}", export.format.name()));
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
    let file = WideFile {
        path,
        export,
        shape,
        wide,
        rows,
        metadata,
    };
    if let Some((_, values)) = &shape.long {
        return file.long(values);
    }
    if export.format == ExportFormat::Parquet {
        return file.parquet();
    }
    let fail = |e: String| failed(&export.path, e);
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

/// What one file of a wide selection is written from.
struct WideFile<'a> {
    path: &'a Path,
    export: &'a BoundExport,
    shape: &'a Shape,
    wide: &'a WideRows,
    rows: &'a [u32],
    metadata: &'a BTreeMap<String, String>,
}

impl WideFile<'_> {
    fn fail(&self, e: String) -> Error {
        failed(&self.export.path, e)
    }

    /// `LONG`: the rows of one variable (column `v` of the selection) after another.
    fn long(&self, values: &[usize]) -> Result<u64, Error> {
        let (shape, rows) = (self.shape, self.rows);
        let mut sink = open_sink(self.path, self.export, &shape.schema, self.metadata)
            .map_err(|e| self.fail(e))?;
        let indices = UInt32Array::from(rows.to_vec());
        let subjects = take(self.wide.subjects().as_ref(), &indices, None).map_err(arrow)?;
        let value_type = shape.schema.field(2).data_type();
        let mut written = 0u64;
        for &v in values {
            let value =
                as_value(&self.wide.column(v, Some(&indices))?, value_type).map_err(arrow)?;
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
            sink.write(&batch).map_err(|e| self.fail(e))?;
        }
        sink.finish().map_err(|e| self.fail(e))?;
        Ok(written)
    }

    /// Parquet: a row group at a time, each column read and encoded on every core.
    fn parquet(&self) -> Result<u64, Error> {
        let (path, export, shape) = (self.path, self.export, self.shape);
        let fail = |e: String| self.fail(e);
        let file = File::create(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
        let props = parquet_properties(export, &shape.schema, self.metadata, true);
        let writer = ArrowWriter::try_new(
            file,
            with_provenance(&shape.schema, self.metadata),
            Some(props),
        )
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
        for group in self.rows.chunks(ROW_GROUP_ROWS.1) {
            let indices = UInt32Array::from(group.to_vec());
            let mut row_group = writer.next_row_group().map_err(|e| fail(e.to_string()))?;
            // Columns are read and encoded on every core, a window at a time, and appended in
            // order; only one window's encoded chunks are held.
            for window in fields.chunks(16 * threads) {
                let chunks = crate::parallel::try_map(window, |(field, i)| {
                    let array = self.wide.column(*i, Some(&indices))?;
                    encode_column(field, &array, &props).map_err(|e| failed(&export.path, e))
                })?;
                for chunk in chunks {
                    chunk
                        .append_to_row_group(&mut row_group)
                        .map_err(|e| fail(e.to_string()))?;
                }
            }
            row_group.close().map_err(|e| fail(e.to_string()))?;
        }
        let file = writer.into_inner().map_err(|e| fail(e.to_string()))?;
        file.sync_all().map_err(|e| fail(e.to_string()))?;
        Ok(self.rows.len() as u64)
    }
}
