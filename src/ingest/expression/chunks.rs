//! What the parse thread hands the writer thread: whole gene columns (genes-by-subjects
//! files), or chunks of subject rows transposed into columns (subjects-by-genes files).

use crate::ingest::IngestError;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use arrow::array::{ArrayRef, Float64Array};
use arrow::buffer::NullBuffer;

use super::{Kind, SUBJECT_MAJOR_CHUNK};
use crate::storage::{ColumnType, NewColumn, TableWriter};

/// Work sent to the writer thread.
pub(super) enum Job {
    Column(NewColumn, ArrayRef),
    /// A chunk of subject rows, one array per column.
    Rows(Vec<u32>, Vec<ArrayRef>),
}

/// Gene values of a chunk of rows, row-major as they were read.
pub(super) struct GeneBlock {
    /// Positions of the gene columns among the chunk's columns.
    pub(super) slots: Vec<usize>,
    values: Vec<f64>,
    /// Row-major validity, allocated at the first missing cell.
    valid: Option<Vec<bool>>,
}

impl GeneBlock {
    fn new(slots: Vec<usize>) -> Self {
        let capacity = SUBJECT_MAJOR_CHUNK * slots.len();
        GeneBlock {
            slots,
            values: Vec::with_capacity(capacity),
            valid: None,
        }
    }

    pub(super) fn push(&mut self, value: Option<f64>) {
        match value {
            Some(v) => {
                self.values.push(v);
                if let Some(valid) = &mut self.valid {
                    valid.push(true);
                }
            }
            None => {
                let filled = self.values.len();
                self.valid
                    .get_or_insert_with(|| vec![true; filled])
                    .push(false);
                self.values.push(0.0);
            }
        }
    }

    /// One array per gene column. The transpose runs over 8 columns at a time (one cache
    /// line of each row), so both the reads and the 8 output streams stay sequential.
    pub(super) fn columns(self) -> Vec<ArrayRef> {
        const BLOCK: usize = 8;
        let width = self.slots.len();
        if width == 0 {
            return Vec::new();
        }
        let rows = self.values.len() / width;
        let mut out = Vec::with_capacity(width);
        for start in (0..width).step_by(BLOCK) {
            let end = (start + BLOCK).min(width);
            let mut block: Vec<Vec<f64>> = (start..end).map(|_| Vec::with_capacity(rows)).collect();
            for row in self.values.chunks_exact(width) {
                for (column, value) in block.iter_mut().zip(&row[start..end]) {
                    column.push(*value);
                }
            }
            for (j, values) in block.into_iter().enumerate() {
                let nulls = self.valid.as_ref().map(|valid| {
                    NullBuffer::from_iter((0..rows).map(|r| valid[r * width + start + j]))
                });
                out.push(Arc::new(Float64Array::new(values.into(), nulls)) as ArrayRef);
            }
        }
        out
    }
}

/// Stores columns or row chunks as they arrive, on its own thread, while parsing goes on.
pub(super) fn write_jobs(
    mut writer: TableWriter,
    jobs: Receiver<Job>,
) -> Result<TableWriter, crate::storage::StorageError> {
    for job in jobs {
        match job {
            Job::Column(column, array) => writer.column(column, ColumnType::Float64, &array)?,
            Job::Rows(ids, arrays) => writer.push_rows(ids, arrays)?,
        }
    }
    Ok(writer)
}

/// The rows of one chunk as they are read.
pub(super) struct RowChunk {
    pub(super) ids: Vec<u32>,
    pub(super) genes: GeneBlock,
    /// Each metadata column's cells and the lines they came from (for errors).
    pub(super) texts: Vec<(Vec<String>, Vec<u64>)>,
}

impl RowChunk {
    pub(super) fn new(kept: &[(usize, Kind)]) -> Self {
        let slots = kept
            .iter()
            .enumerate()
            .filter(|(_, (_, kind))| *kind == Kind::Gene)
            .map(|(slot, _)| slot)
            .collect();
        RowChunk {
            ids: Vec::with_capacity(SUBJECT_MAJOR_CHUNK),
            genes: GeneBlock::new(slots),
            texts: kept
                .iter()
                .filter(|(_, kind)| *kind != Kind::Gene)
                .map(|_| (Vec::new(), Vec::new()))
                .collect(),
        }
    }
}

pub(super) fn unreachable_kind<T>() -> Result<T, IngestError> {
    Err(
        crate::storage::StorageError::Internal("a column buffer does not match its kind".into())
            .into(),
    )
}
