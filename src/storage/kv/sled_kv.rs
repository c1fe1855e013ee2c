//! The sled backend: the storage of rgdb before the redb decision (`docs/storage-format.md`,
//! "Backend"). Kept to read databases that older builds made (`rgdb upgrade` converts them) and
//! to measure it beside the default.

use std::ops::Bound;
use std::path::Path;

use super::{Access, BatchOp, Entry, KvStore, Space};
use crate::storage::error::StorageError;

/// One sled database with a tree per [`Space`].
#[derive(Debug)]
pub struct SledKv {
    read_only: bool,
    db: ::sled::Db,
    meta: ::sled::Tree,
    data: ::sled::Tree,
}

impl SledKv {
    /// Opens (creating if needed) the sled database in `dir`.
    ///
    /// sled releases its file lock only when its background threads let go of a dropped
    /// database, a few milliseconds after the drop; a lock conflict is therefore retried
    /// for up to half a second before it is reported.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        Self::open_with(dir, Access::ReadWrite)
    }

    /// [`SledKv::open`] for a given access. sled has no read-only open: for a reader this is
    /// sled "fixed as far as it can be" (issue 22), with no background flusher (whose sleep a
    /// process waits out at exit) and no flush, and every write refused above it.
    pub fn open_with(dir: &Path, access: Access) -> Result<Self, StorageError> {
        let read_only = access == Access::ReadOnly;
        let mut config = ::sled::Config::new()
            .path(dir)
            .cache_capacity(256 * 1024 * 1024);
        if read_only {
            config = config.flush_every_ms(None);
        }
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
        Ok(SledKv {
            read_only,
            db,
            meta,
            data,
        })
    }

    fn tree(&self, space: Space) -> &::sled::Tree {
        match space {
            Space::Meta => &self.meta,
            Space::Data => &self.data,
        }
    }
}

fn open_error(dir: &Path, e: ::sled::Error) -> StorageError {
    let text = e.to_string();
    if text.contains("could not acquire lock") {
        StorageError::Locked {
            path: dir.display().to_string(),
            holder: "another process".into(),
        }
    } else {
        StorageError::Backend(format!("opening {}: {text}", dir.display()))
    }
}

fn backend(e: ::sled::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

fn collect(iter: ::sled::Iter) -> Result<Vec<Entry>, StorageError> {
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
        let mut batch = ::sled::Batch::default();
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
        if !self.read_only {
            self.db.flush().map_err(backend)?;
        }
        Ok(())
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

impl SledKv {
    /// Calls `visit` on every entry of `space` in key order, one at a time (a conversion
    /// streams a database larger than memory through this).
    pub fn for_each(
        &self,
        space: Space,
        mut visit: impl FnMut(&[u8], &[u8]) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        for entry in self.tree(space).iter() {
            let (k, v) = entry.map_err(backend)?;
            visit(&k, &v)?;
        }
        Ok(())
    }
}
