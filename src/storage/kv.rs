//! The key-value backend trait that the column store is written against, with its sled and
//! in-memory implementations.
//!
//! The store needs little from its backend: two ordered keyspaces (`Meta` for the catalog,
//! `Data` for column chunks), point reads, prefix scans, an atomic batch on `Meta`, and a
//! durable flush. Everything above this file is backend-agnostic, and the test suite runs the
//! same store tests against both backends.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::RwLock;

use super::error::StorageError;

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
}

/// The on-disk backend: one sled database with a tree per [`Space`].
#[derive(Debug)]
pub struct SledKv {
    db: sled::Db,
    meta: sled::Tree,
    data: sled::Tree,
}

impl SledKv {
    /// Opens (creating if needed) the sled database in `dir`.
    ///
    /// sled releases its file lock only when its background threads let go of a dropped
    /// database, a few milliseconds after the drop; a lock conflict is therefore retried
    /// for up to half a second before it is reported.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(256 * 1024 * 1024);
        let mut attempts = 0;
        let db = loop {
            match config.open().map_err(|e| open_error(dir, e)) {
                Err(StorageError::Locked { .. }) if attempts < 10 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        let meta = db.open_tree("meta").map_err(backend)?;
        let data = db.open_tree("data").map_err(backend)?;
        Ok(SledKv { db, meta, data })
    }

    fn tree(&self, space: Space) -> &sled::Tree {
        match space {
            Space::Meta => &self.meta,
            Space::Data => &self.data,
        }
    }
}

fn open_error(dir: &Path, e: sled::Error) -> StorageError {
    let text = e.to_string();
    if text.contains("could not acquire lock") {
        StorageError::Locked {
            path: dir.join("db").display().to_string(),
        }
    } else {
        StorageError::Backend(format!("opening {}: {text}", dir.display()))
    }
}

fn backend(e: sled::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

fn collect(iter: sled::Iter) -> Result<Vec<Entry>, StorageError> {
    iter.map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(backend))
        .collect()
}

impl KvStore for SledKv {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .tree(space)
            .get(key)
            .map_err(backend)?
            .map(|v| v.to_vec()))
    }

    fn put(&self, space: Space, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.tree(space).insert(key, value).map_err(backend)?;
        Ok(())
    }

    fn apply_batch(&self, space: Space, ops: Vec<BatchOp>) -> Result<(), StorageError> {
        let mut batch = sled::Batch::default();
        for (key, value) in ops {
            match value {
                Some(v) => batch.insert(key, v),
                None => batch.remove(key),
            }
        }
        self.tree(space).apply_batch(batch).map_err(backend)
    }

    fn scan_prefix(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        collect(self.tree(space).scan_prefix(prefix))
    }

    fn last_in_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        let range = (Bound::Included(lower), Bound::Included(upper));
        match self.tree(space).range::<&[u8], _>(range).next_back() {
            Some(r) => {
                let (k, v) = r.map_err(backend)?;
                Ok(Some((k.to_vec(), v.to_vec())))
            }
            None => Ok(None),
        }
    }

    fn remove_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<usize, StorageError> {
        let tree = self.tree(space);
        let mut removed = 0;
        for r in tree.range::<&[u8], _>(lower..upper) {
            let (k, _) = r.map_err(backend)?;
            tree.remove(k).map_err(backend)?;
            removed += 1;
        }
        Ok(removed)
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.db.flush().map_err(backend)?;
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

type MemoryKey = (Space, Vec<u8>);
type MemoryMap = BTreeMap<MemoryKey, Vec<u8>>;

/// An in-memory backend, for tests and throwaway databases.
#[derive(Debug, Default)]
pub struct MemoryKv {
    spaces: RwLock<MemoryMap>,
}

impl MemoryKv {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, MemoryMap> {
        self.spaces.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, MemoryMap> {
        self.spaces.write().unwrap_or_else(|p| p.into_inner())
    }

    fn bounds(
        space: Space,
        lower: &[u8],
        upper: Bound<&[u8]>,
    ) -> (Bound<MemoryKey>, Bound<MemoryKey>) {
        let upper = match upper {
            Bound::Included(u) => Bound::Included((space, u.to_vec())),
            Bound::Excluded(u) => Bound::Excluded((space, u.to_vec())),
            Bound::Unbounded => Bound::Unbounded,
        };
        (Bound::Included((space, lower.to_vec())), upper)
    }
}

impl KvStore for MemoryKv {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.read().get(&(space, key.to_vec())).cloned())
    }

    fn put(&self, space: Space, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.write().insert((space, key.to_vec()), value.to_vec());
        Ok(())
    }

    fn apply_batch(&self, space: Space, ops: Vec<BatchOp>) -> Result<(), StorageError> {
        let mut map = self.write();
        for (key, value) in ops {
            match value {
                Some(v) => map.insert((space, key), v),
                None => map.remove(&(space, key)),
            };
        }
        Ok(())
    }

    fn scan_prefix(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        let map = self.read();
        let range = Self::bounds(space, prefix, Bound::Unbounded);
        Ok(map
            .range(range)
            .take_while(|((s, k), _)| *s == space && k.starts_with(prefix))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn last_in_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        let map = self.read();
        let range = Self::bounds(space, lower, Bound::Included(upper));
        Ok(map
            .range(range)
            .next_back()
            .map(|((_, k), v)| (k.clone(), v.clone())))
    }

    fn remove_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<usize, StorageError> {
        let mut map = self.write();
        let keys: Vec<_> = map
            .range(Self::bounds(space, lower, Bound::Excluded(upper)))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            map.remove(k);
        }
        Ok(keys.len())
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        0
    }
}
