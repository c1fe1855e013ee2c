//! Wide results without a wide plan: the stored columns of a selection (`rnaseq.*`,
//! `radiomic.*`) read straight from the store, a column at a time, by subject.
//!
//! `plan::Split` (`plan/wide.rs`) decides which queries take this path and splits them: the
//! **narrow query** (the same rows, the subject and the items that are not stored columns),
//! planned by `plan` and run by DataFusion as usual, and the **wide columns**: here, for each,
//! the stored chunks are decoded once and the values taken in the narrow query's subject
//! order.
//!
//! The export writers then pull one column (Parquet) or one slab of rows (the row formats) at a
//! time, and a `SELECT` (`exec::query_stream`) gets its batches a slab at a time, so memory
//! follows one column or one slab, not the result.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt32Array};
use datafusion::arrow::compute::{concat, concat_batches, take};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt32Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

use crate::exec::ExecError as Error;
use crate::plan::{Split, WideSource};
use crate::resolve::BoundQuery;
use crate::storage::{Snapshot, TableMeta};

/// About this many bytes of values per batch of a wide result.
const SLAB_BYTES: usize = 64 << 20;

/// The rows of a split query: the narrow result and, for each table of stored columns, the
/// table row of each output row.
pub struct WideRows {
    snapshot: Snapshot,
    sources: Vec<WideSource>,
    narrow: RecordBatch,
    /// Subject ID of each output row.
    subjects: ArrayRef,
    /// Per table data id: the table's row for each output row (NULL: no row).
    table_rows: HashMap<u64, UInt32Array>,
    /// The output schema, each item's name and type.
    pub schema: SchemaRef,
}

impl WideRows {
    /// Reads the subject column of every table the stored columns come from.
    pub fn new(
        split: &Split,
        query: &BoundQuery,
        snapshot: &Snapshot,
        narrow_schema: &SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<WideRows, Error> {
        let narrow = concat_batches(narrow_schema, batches).map_err(df)?;
        let subjects = narrow.column(0).clone();
        let ids: Vec<Option<u32>> = subjects
            .as_string::<i32>()
            .iter()
            .map(|s| s.and_then(|s| snapshot.subject_id(s)))
            .collect();
        let mut table_rows = HashMap::new();
        for source in &split.sources {
            if let WideSource::Stored { table, .. } = source
                && !table_rows.contains_key(&table.data_id)
            {
                table_rows.insert(table.data_id, rows_of(snapshot, table, &ids)?);
            }
        }
        let fields: Vec<Field> = query
            .items
            .iter()
            .zip(&split.sources)
            .map(|(item, source)| match source {
                WideSource::Narrow(k) => narrow_schema.field(*k).clone().with_name(&item.name),
                WideSource::Stored { column, .. } => {
                    Field::new(&item.name, column.ty.arrow_type(), true)
                }
            })
            .collect();
        Ok(WideRows {
            snapshot: snapshot.clone(),
            sources: split.sources.clone(),
            narrow,
            subjects,
            table_rows,
            schema: Arc::new(Schema::new(fields)),
        })
    }

    /// How many rows the result has.
    pub fn num_rows(&self) -> usize {
        self.narrow.num_rows()
    }

    /// The subject ID of each output row.
    pub fn subjects(&self) -> &ArrayRef {
        &self.subjects
    }

    /// Output column `i` at output rows `rows` (all rows when `None`). A stored column is
    /// decoded whole, once per call.
    pub fn column(&self, i: usize, rows: Option<&UInt32Array>) -> Result<ArrayRef, Error> {
        match &self.sources[i] {
            WideSource::Narrow(k) => {
                let all = self.narrow.column(*k);
                match rows {
                    Some(rows) => take(all.as_ref(), rows, None).map_err(df),
                    None => Ok(all.clone()),
                }
            }
            WideSource::Stored { table, column } => {
                let mut parts = Vec::new();
                for chunk in 0..Snapshot::chunk_count(table) {
                    parts.push(self.snapshot.read_chunk(table, column, chunk)?);
                }
                let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                let whole = if refs.is_empty() {
                    datafusion::arrow::array::new_empty_array(&column.ty.arrow_type())
                } else {
                    concat(&refs).map_err(df)?
                };
                let table_rows = &self.table_rows[&table.data_id];
                let wanted = match rows {
                    Some(rows) => take(table_rows, rows, None).map_err(df)?,
                    None => Arc::new(table_rows.clone()),
                };
                take(whole.as_ref(), wanted.as_ref(), None).map_err(df)
            }
        }
    }

    /// Output rows `rows` of every column, as one batch of the output schema.
    pub fn batch(&self, rows: &UInt32Array) -> Result<RecordBatch, Error> {
        let columns = (0..self.sources.len())
            .map(|i| self.column(i, Some(rows)))
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(self.schema.clone(), columns).map_err(df)
    }
}

impl WideRows {
    /// Every row, for a caller that keeps them all: each stored column is decoded once (on
    /// all cores) and the batches of about 64 MiB are slices of the whole columns. (The
    /// stream below decodes each column once per batch, so that it never holds the result
    /// whole; for a result that is kept whole, that was 16 decodes of every column at 6,400
    /// rows × 20,000 genes.)
    pub fn collect(self) -> Result<Vec<RecordBatch>, Error> {
        let indices: Vec<usize> = (0..self.sources.len()).collect();
        let columns = crate::parallel::try_map(&indices, |&i| self.column(i, None))?;
        let whole = RecordBatch::try_new(self.schema.clone(), columns).map_err(df)?;
        let rows = whole.num_rows();
        let slab = (SLAB_BYTES / row_bytes(&self.schema)).clamp(64, 65_536);
        Ok((0..rows)
            .step_by(slab)
            .map(|start| whole.slice(start, slab.min(rows - start)))
            .collect())
    }

    /// The rows as a stream of batches of about 64 MiB of values, each built when it is pulled,
    /// so a 20,000-column result never has to be whole in memory.
    pub fn into_stream(self) -> SendableRecordBatchStream {
        let schema = self.schema.clone();
        let rows = self.num_rows();
        let slab = (SLAB_BYTES / row_bytes(&schema)).clamp(64, 65_536);
        let wide = Arc::new(self);
        let batches = (0..rows).step_by(slab).map(move |start| {
            let end = (start + slab).min(rows);
            let indices = UInt32Array::from_iter_values(start as u32..end as u32);
            wide.batch(&indices).map_err(|e| match e {
                Error::Storage(s) => DataFusionError::External(Box::new(s)),
                other => DataFusionError::Execution(other.to_string()),
            })
        });
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::iter(batches),
        ))
    }
}

/// Bytes of values in one row of `schema` (text and lists counted at 24).
pub fn row_bytes(schema: &Schema) -> usize {
    schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Boolean => 1,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::List(_) => 24,
            t => t.primitive_width().unwrap_or(8),
        })
        .sum::<usize>()
        .max(1)
}

/// For each dense subject id in `ids`, its row in `table` (a one-row-per-subject table).
pub fn rows_of(
    snapshot: &Snapshot,
    table: &TableMeta,
    ids: &[Option<u32>],
) -> Result<UInt32Array, Error> {
    let subject_column = snapshot.column(table, 0)?;
    let mut row_of: Vec<Option<u32>> = vec![None; snapshot.subjects().len()];
    let mut row = 0u32;
    for chunk in 0..Snapshot::chunk_count(table) {
        let part = snapshot.read_chunk(table, &subject_column, chunk)?;
        for id in part.as_primitive::<UInt32Type>().iter() {
            if let Some(id) = id
                && let Some(slot) = row_of.get_mut(id as usize)
            {
                slot.get_or_insert(row);
            }
            row += 1;
        }
    }
    Ok(ids
        .iter()
        .map(|id| id.and_then(|id| row_of.get(id as usize).copied().flatten()))
        .collect())
}

fn df(e: datafusion::arrow::error::ArrowError) -> Error {
    datafusion::error::DataFusionError::from(e).into()
}
