//! The key-value backend trait that the column store is written against, and its
//! implementations: redb (the default, `redb_kv/`), sled (databases of earlier builds,
//! `sled_kv.rs`) and memory.
//!
//! The store needs little from its backend: two ordered keyspaces (`Meta` for the catalog,
//! `Data` for column chunks), point reads, prefix scans, an atomic batch on `Meta`, a durable
//! flush, and a pinned read view for snapshots. Everything above this folder is
//! backend-agnostic, and the test suite runs the same store tests against every backend.

use std::path::Path;
use std::sync::Arc;

use super::error::StorageError;

mod memory;
mod redb_kv;
mod sled_kv;

pub use memory::MemoryKv;
pub use redb_kv::{ChunkPlacement, REDB_FILE, RedbKv};
pub(crate) use redb_kv::{SIDE_FILES, move_database, size_on_disk};
pub use sled_kv::SledKv;

/// The two keyspaces of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Space {
    /// The catalog: format version, versions, tables, columns, subjects.
    Meta,
    /// Column chunks, keyed by data id, column ordinal and chunk number.
    Data,
}

/// One change in an atomic batch: `Some(value)` writes, `None` removes.
pub type BatchOp = (Vec<u8>, Option<Vec<u8>>);

/// A key and its value, as returned by scans.
pub type Entry = (Vec<u8>, Vec<u8>);

/// The operations the column store needs from a key-value backend.
pub trait KvStore: Send + Sync + std::fmt::Debug {
    /// The value stored under `key`, if any.
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// Writes one value. Not atomic with other writes; used for chunks that nothing references
    /// until a later [`KvStore::apply_batch`] commits them.
    fn put(&self, space: Space, key: &[u8], value: &[u8]) -> Result<(), StorageError>;
    /// Applies every operation of `ops` or none of them.
    fn apply_batch(&self, space: Space, ops: Vec<BatchOp>) -> Result<(), StorageError>;
    /// All entries whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StorageError>;
    /// The entry with the greatest key in `[lower, upper]`, if any.
    fn last_in_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError>;
    /// Removes every key in `[lower, upper)`. Returns how many were removed.
    fn remove_range(&self, space: Space, lower: &[u8], upper: &[u8])
    -> Result<usize, StorageError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StorageError>;
    /// Approximate bytes used on disk (0 for memory).
    fn size_on_disk(&self) -> u64;
    /// A read view fixed at the last commit, which later commits (by this process or another)
    /// do not change, for a [`crate::storage::Snapshot`]. `None` when reads of `self` already
    /// are such a view for as long as the store is open in this process (memory, sled).
    fn pin(&self) -> Result<Option<Arc<dyn KvStore>>, StorageError> {
        Ok(None)
    }
    /// Whether this handle was opened read-only: every write fails.
    fn is_read_only(&self) -> bool {
        false
    }
}

/// The storage engine of a database directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// redb holding the catalog and the chunk index; chunks in immutable segment files
    /// (the default, `docs/storage-format.md`).
    #[default]
    Redb,
    /// redb holding the catalog and the chunks themselves (measured, not the default).
    RedbTree,
    /// sled, as every build before the storage decision made (measured; read to upgrade).
    Sled,
}

impl Backend {
    /// The backend whose files are in `dir`, if any.
    pub fn detect(dir: &Path) -> Option<Backend> {
        if dir.join(REDB_FILE).is_file() {
            Some(Backend::Redb)
        } else if dir.join("db").is_file() && dir.join("conf").is_file() {
            Some(Backend::Sled)
        } else {
            None
        }
    }

    /// The name used by `--backend` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Redb => "redb",
            Backend::RedbTree => "redb-tree",
            Backend::Sled => "sled",
        }
    }

    /// The backend a `--backend` value names.
    pub fn parse(name: &str) -> Option<Backend> {
        match name.to_ascii_lowercase().as_str() {
            "redb" | "redb-segments" => Some(Backend::Redb),
            "redb-tree" => Some(Backend::RedbTree),
            "sled" => Some(Backend::Sled),
            _ => None,
        }
    }
}

/// How a process opens a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The one writing process: others may read beside it.
    ReadWrite,
    /// Reads only and writes no byte to the database directory.
    ReadOnly,
}
