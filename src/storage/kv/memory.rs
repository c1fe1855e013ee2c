//! An in-memory backend, for tests and throwaway databases.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;

use super::{BatchOp, Entry, KvStore, Space};
use crate::storage::error::StorageError;

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
