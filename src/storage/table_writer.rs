//! Writing one table generation: a [`TableWriter`] puts its chunks as columns (or chunks of
//! rows) arrive, then writes its column records and name index and hands the transaction a
//! [`StagedTable`].

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt32Array};
use sha2::{Digest, Sha256};

use super::catalog::{ColumnMeta, ColumnRole, ColumnType, SUBJECT_COLUMN, SourceFile, TableMeta};
use super::codec;
use super::error::StorageError;
use super::key;
use super::kv::{BatchOp, KvStore, Space};
use super::snapshot::fold;
use super::store::to_json;
use super::writer::hex;

/// A finished table generation, waiting for its transaction to commit.
#[derive(Debug)]
pub struct StagedTable {
    meta: TableMeta,
    columns: Vec<ColumnMeta>,
}

/// What a column is, before it has an ordinal and a count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewColumn {
    pub name: String,
    pub label: String,
    pub unit: Option<String>,
    pub description: Option<String>,
}

/// Builds one table generation, column by column. Chunks go to the backend as they are
/// added; nothing is visible until the transaction commits.
#[derive(Debug)]
pub struct TableWriter {
    kv: Arc<dyn KvStore>,
    encoding: codec::Encoding,
    meta: TableMeta,
    columns: Vec<ColumnMeta>,
    /// Chunks written so far in row-chunk mode ([`TableWriter::begin_rows`]).
    row_chunks: Option<u32>,
    /// One running SHA-256 per column, over its chunks' stored bytes in chunk order.
    hashes: Vec<Sha256>,
}

impl TableWriter {
    /// A writer for the new generation `meta` describes, with no column yet.
    pub(super) fn new(
        kv: Arc<dyn KvStore>,
        encoding: codec::Encoding,
        meta: TableMeta,
    ) -> TableWriter {
        TableWriter {
            kv,
            encoding,
            meta,
            columns: Vec::new(),
            row_chunks: None,
            hashes: Vec::new(),
        }
    }

    /// The data id the generation is written under.
    pub(super) fn data_id(&self) -> u64 {
        self.meta.data_id
    }

    /// Sets the rows per chunk (before any column is written). Smaller chunks bound the memory
    /// of an importer that receives rows, not columns.
    pub fn set_chunk_rows(&mut self, rows: u32) -> Result<(), StorageError> {
        if !self.columns.is_empty() || rows == 0 {
            return Err(StorageError::Internal(
                "chunk size is set once, before any column".into(),
            ));
        }
        self.meta.chunk_rows = rows;
        Ok(())
    }

    /// Starts writing the table by rows: declares the subject column and `columns`, whose
    /// values then arrive in chunks through [`TableWriter::push_rows`].
    pub fn begin_rows(
        &mut self,
        subject_label: &str,
        columns: Vec<(NewColumn, ColumnType)>,
    ) -> Result<(), StorageError> {
        if !self.columns.is_empty() {
            return Err(StorageError::Internal(
                "row mode starts on an empty table".into(),
            ));
        }
        let subject = NewColumn {
            name: SUBJECT_COLUMN.into(),
            label: subject_label.into(),
            unit: None,
            description: Some("The subject this row belongs to".into()),
        };
        let all = std::iter::once((subject, ColumnType::Subject)).chain(columns);
        for (ordinal, (column, ty)) in all.enumerate() {
            self.columns.push(ColumnMeta {
                ordinal: ordinal as u32,
                name: column.name,
                label: column.label,
                ty,
                unit: column.unit,
                description: column.description,
                non_null: 0,
                role: ColumnRole::default(),
            });
        }
        self.row_chunks = Some(0);
        Ok(())
    }

    /// Appends the next chunk of rows: the subjects and one array per declared column, each of
    /// `chunk_rows` values (only the last chunk may be shorter).
    pub fn push_rows(&mut self, ids: Vec<u32>, arrays: Vec<ArrayRef>) -> Result<(), StorageError> {
        let chunk = self
            .row_chunks
            .ok_or_else(|| StorageError::Internal("push_rows before begin_rows".into()))?;
        let full = self.meta.chunk_rows as u64;
        let rows = ids.len();
        let misfit = arrays.len() + 1 != self.columns.len()
            || self.meta.rows != chunk as u64 * full
            || rows as u64 > full
            || arrays.iter().any(|a| a.len() != rows);
        if misfit {
            return Err(StorageError::Internal(format!(
                "chunk {chunk} of table {} does not fit the declared columns",
                self.meta.name
            )));
        }
        let ids: ArrayRef = Arc::new(UInt32Array::from(ids));
        let all: Vec<&ArrayRef> = std::iter::once(&ids).chain(&arrays).collect();
        for (ordinal, array) in all.iter().enumerate() {
            let column = &self.columns[ordinal];
            if array.data_type() != &column.ty.storage_type() {
                return Err(StorageError::Internal(format!(
                    "column {} got {} values, expected {}",
                    column.name,
                    array.data_type(),
                    column.ty.storage_type()
                )));
            }
        }
        // A chunk of a wide table holds thousands of columns: compress them on every core, a
        // group at a time so that only one group's compressed bytes are held at once.
        const GROUP: usize = 512;
        for (g, group) in all.chunks(GROUP).enumerate() {
            let encoded = encode_parallel(group, self.encoding)?;
            for (i, (array, bytes)) in group.iter().zip(encoded).enumerate() {
                let ordinal = g * GROUP + i;
                let k = key::chunk(self.meta.data_id, ordinal as u32, chunk);
                self.kv.put(Space::Data, &k, &bytes)?;
                self.hash(ordinal as u32, &bytes);
                self.columns[ordinal].non_null += (array.len() - array.null_count()) as u64;
            }
        }
        self.meta.rows += rows as u64;
        self.row_chunks = Some(chunk + 1);
        Ok(())
    }

    fn put_chunk(
        &mut self,
        ordinal: u32,
        chunk: u32,
        array: &ArrayRef,
    ) -> Result<(), StorageError> {
        let bytes = codec::encode(array, self.encoding).map_err(StorageError::Internal)?;
        let k = key::chunk(self.meta.data_id, ordinal, chunk);
        self.kv.put(Space::Data, &k, &bytes)?;
        self.hash(ordinal, &bytes);
        Ok(())
    }

    /// Adds a stored chunk to its column's content hash.
    fn hash(&mut self, ordinal: u32, bytes: &[u8]) {
        let ordinal = ordinal as usize;
        if self.hashes.len() <= ordinal {
            self.hashes.resize_with(ordinal + 1, Sha256::new);
        }
        self.hashes[ordinal].update(bytes);
    }

    /// Records where the table's data came from.
    pub fn set_source(&mut self, source: SourceFile) {
        self.meta.source = Some(source);
    }

    /// Records an importer-specific fact, such as the platform or the unit.
    pub fn set_property(&mut self, key: &str, value: &str) {
        self.meta.properties.insert(key.into(), value.into());
    }

    /// Writes the subject column (ordinal 0). Must come first; fixes the row count.
    pub fn subjects(&mut self, ids: Vec<u32>, source_label: &str) -> Result<(), StorageError> {
        if !self.columns.is_empty() || self.row_chunks.is_some() {
            return Err(StorageError::Internal(
                "the subject column must be written first".into(),
            ));
        }
        self.meta.rows = ids.len() as u64;
        let column = NewColumn {
            name: SUBJECT_COLUMN.into(),
            label: source_label.into(),
            unit: None,
            description: Some("The subject this row belongs to".into()),
        };
        let array: ArrayRef = Arc::new(UInt32Array::from(ids));
        self.write_column(column, ColumnType::Subject, &array)
    }

    /// Writes one data column holding one value per row.
    pub fn column(
        &mut self,
        column: NewColumn,
        ty: ColumnType,
        array: &ArrayRef,
    ) -> Result<(), StorageError> {
        if self.columns.is_empty() || self.row_chunks.is_some() {
            return Err(StorageError::Internal(
                "the subject column must be written first, outside row mode".into(),
            ));
        }
        if ty == ColumnType::Subject {
            return Err(StorageError::Internal(
                "a table has one subject column".into(),
            ));
        }
        self.write_column(column, ty, array)
    }

    fn write_column(
        &mut self,
        column: NewColumn,
        ty: ColumnType,
        array: &ArrayRef,
    ) -> Result<(), StorageError> {
        if array.len() as u64 != self.meta.rows || array.data_type() != &ty.storage_type() {
            return Err(StorageError::Internal(format!(
                "column {} has {} values of type {}, the table has {} rows of type {}",
                column.name,
                array.len(),
                array.data_type(),
                self.meta.rows,
                ty.storage_type()
            )));
        }
        let ordinal = self.columns.len() as u32;
        let step = self.meta.chunk_rows as usize;
        for (chunk, start) in (0..array.len()).step_by(step).enumerate() {
            let len = step.min(array.len() - start);
            self.put_chunk(ordinal, chunk as u32, &array.slice(start, len))?;
        }
        self.columns.push(ColumnMeta {
            ordinal,
            name: column.name,
            label: column.label,
            ty,
            unit: column.unit,
            description: column.description,
            non_null: (array.len() - array.null_count()) as u64,
            role: ColumnRole::default(),
        });
        Ok(())
    }

    /// Gives every data column (not the subject column) the role `role_of` says.
    pub fn set_roles(&mut self, role_of: impl Fn(&ColumnMeta) -> ColumnRole) {
        for column in self.columns.iter_mut().skip(1) {
            column.role = role_of(column);
        }
    }

    /// Ends the table and writes its column records and name index (under its fresh data id,
    /// so that no version sees them yet). It becomes visible when the transaction commits.
    pub fn finish(mut self) -> Result<StagedTable, StorageError> {
        if self.columns.is_empty() {
            return Err(StorageError::Internal(
                "a table needs its subject column".into(),
            ));
        }
        self.meta.columns = self.columns.len() as u32;
        let mut whole = Sha256::new();
        for column in std::mem::take(&mut self.hashes) {
            whole.update(column.finalize());
        }
        self.meta.content_sha256 = Some(hex(&whole.finalize()));
        self.write_records()?;
        Ok(StagedTable {
            meta: self.meta,
            columns: self.columns,
        })
    }

    /// Writes the column records and the name index in batches of a bounded size, after
    /// clearing whatever an abandoned transaction left under this data id.
    fn write_records(&self) -> Result<(), StorageError> {
        const BATCH: usize = 1_024;
        let data_id = self.meta.data_id;
        for (lower, upper) in key::column_record_ranges(data_id, data_id + 1) {
            self.kv.remove_range(Space::Meta, &lower, &upper)?;
        }
        let mut index: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut ops: Vec<BatchOp> = Vec::with_capacity(BATCH);
        for c in &self.columns {
            ops.push((key::column(data_id, c.ordinal), Some(to_json(c)?)));
            index.entry(fold(&c.name)).or_default().push(c.ordinal);
            if fold(&c.label) != fold(&c.name) {
                index.entry(fold(&c.label)).or_default().push(c.ordinal);
            }
            if ops.len() == BATCH {
                self.kv.apply_batch(Space::Meta, std::mem::take(&mut ops))?;
            }
        }
        for (name, mut ordinals) in index {
            ordinals.dedup();
            let k = key::column_name(data_id, &name);
            ops.push((k, Some(key::pack_ordinals(&ordinals))));
            if ops.len() == BATCH {
                self.kv.apply_batch(Space::Meta, std::mem::take(&mut ops))?;
            }
        }
        self.kv.apply_batch(Space::Meta, ops)
    }
}

impl StagedTable {
    /// The catalog record the table will have.
    pub fn meta(&self) -> &TableMeta {
        &self.meta
    }

    /// The columns, in ordinal order.
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }
}

/// Encodes arrays on up to as many threads as there are cores, keeping their order.
fn encode_parallel(
    arrays: &[&ArrayRef],
    encoding: codec::Encoding,
) -> Result<Vec<Vec<u8>>, StorageError> {
    crate::parallel::try_map(arrays, |a| codec::encode(a, encoding)).map_err(StorageError::Internal)
}
