//! Reads: through any table (a read transaction's or the pending write transaction's), with
//! chunk locations turned into chunk bytes, and [`RedbView`], a snapshot's pinned read
//! transaction.

use std::path::PathBuf;
use std::sync::Arc;

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition};

use super::guard::guarded;
use super::segments::{Location, SegmentFiles};
use super::{Bytes, ChunkPlacement, DATA, META, backend};
use crate::storage::error::StorageError;
use crate::storage::kv::{BatchOp, Entry, KvStore, Space};

pub(super) fn table_of(space: Space) -> TableDefinition<'static, Bytes, Bytes> {
    match space {
        Space::Meta => META,
        Space::Data => DATA,
    }
}

/// Reads through any table (a read transaction's or the pending write transaction's). Each
/// runs under [`guarded`]: a snapshot's reads reach redb only here.
pub(super) trait Reads {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    fn scan_raw(&self, prefix: &[u8]) -> Result<Vec<Entry>, StorageError>;
    fn last_raw(&self, lower: &[u8], upper: &[u8]) -> Result<Option<Entry>, StorageError>;
    /// Whether any key is in `[lower, upper)`.
    fn any_raw(&self, lower: &[u8], upper: &[u8]) -> Result<bool, StorageError>;
}

impl<T: ReadableTable<Bytes, Bytes>> Reads for T {
    fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        guarded(|| Ok(self.get(key).map_err(backend)?.map(|v| v.value().to_vec())))
    }

    fn scan_raw(&self, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        guarded(|| {
            let mut out = Vec::new();
            for entry in self.range(prefix..).map_err(backend)? {
                let (k, v) = entry.map_err(backend)?;
                if !k.value().starts_with(prefix) {
                    break;
                }
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    fn last_raw(&self, lower: &[u8], upper: &[u8]) -> Result<Option<Entry>, StorageError> {
        guarded(
            || match self.range(lower..=upper).map_err(backend)?.next_back() {
                Some(entry) => {
                    let (k, v) = entry.map_err(backend)?;
                    Ok(Some((k.value().to_vec(), v.value().to_vec())))
                }
                None => Ok(None),
            },
        )
    }

    fn any_raw(&self, lower: &[u8], upper: &[u8]) -> Result<bool, StorageError> {
        guarded(|| Ok(self.range(lower..upper).map_err(backend)?.next().is_some()))
    }
}

/// Reads of one keyspace with what the `data` table holds (a location, with segments) turned
/// into chunk bytes; the writer and [`RedbView`] read through it.
#[derive(Clone, Copy)]
pub(super) struct Resolved<'a> {
    pub(super) placement: ChunkPlacement,
    pub(super) files: &'a SegmentFiles,
    pub(super) space: Space,
}

impl Resolved<'_> {
    fn bytes(&self, stored: Vec<u8>) -> Result<Vec<u8>, StorageError> {
        match (self.space, self.placement) {
            (Space::Data, ChunkPlacement::Segments) => self.files.read(Location::decode(&stored)?),
            _ => Ok(stored),
        }
    }

    pub(super) fn get(&self, t: &dyn Reads, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        t.get_raw(key)?.map(|v| self.bytes(v)).transpose()
    }

    pub(super) fn scan(&self, t: &dyn Reads, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        t.scan_raw(prefix)?
            .into_iter()
            .map(|(k, v)| Ok((k, self.bytes(v)?)))
            .collect()
    }

    pub(super) fn last(
        &self,
        t: &dyn Reads,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        t.last_raw(lower, upper)?
            .map(|(k, v)| Ok((k, self.bytes(v)?)))
            .transpose()
    }
}

/// A read transaction: one committed state of the database, whatever commits later.
pub(super) struct RedbView {
    pub(super) dir: PathBuf,
    pub(super) _txn: ReadTransaction,
    pub(super) meta: ReadOnlyTable<Bytes, Bytes>,
    pub(super) data: ReadOnlyTable<Bytes, Bytes>,
    pub(super) placement: ChunkPlacement,
    pub(super) files: Arc<SegmentFiles>,
}

impl std::fmt::Debug for RedbView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbView").field("dir", &self.dir).finish()
    }
}

impl RedbView {
    fn table(&self, space: Space) -> &ReadOnlyTable<Bytes, Bytes> {
        match space {
            Space::Meta => &self.meta,
            Space::Data => &self.data,
        }
    }

    fn resolved(&self, space: Space) -> Resolved<'_> {
        Resolved {
            placement: self.placement,
            files: &self.files,
            space,
        }
    }

    fn refuse(&self) -> StorageError {
        StorageError::Internal(format!(
            "a write through a snapshot of {}",
            self.dir.display()
        ))
    }
}

impl KvStore for RedbView {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.resolved(space).get(self.table(space), key)
    }

    fn put(&self, _: Space, _: &[u8], _: &[u8]) -> Result<(), StorageError> {
        Err(self.refuse())
    }

    fn apply_batch(&self, _: Space, _: Vec<BatchOp>) -> Result<(), StorageError> {
        Err(self.refuse())
    }

    fn scan_prefix(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        self.resolved(space).scan(self.table(space), prefix)
    }

    fn last_in_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        self.resolved(space).last(self.table(space), lower, upper)
    }

    fn remove_range(&self, _: Space, _: &[u8], _: &[u8]) -> Result<usize, StorageError> {
        Err(self.refuse())
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        0
    }

    fn is_read_only(&self) -> bool {
        true
    }
}
