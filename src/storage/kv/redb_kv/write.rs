//! The writer's side of the redb backend: the pending write transaction, puts, batches and
//! range removals, and the commit that makes the open segment durable first.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::sync::MutexGuard;

use redb::ReadableTable;

use super::open::sync_dir;
use super::segments::{Location, OpenSegment, decode_segment, encode_segment, release};
use super::view::table_of;
use super::{
    BatchOp, ChunkPlacement, DATA, KvStore, Pending, RedbKv, SEGMENT_BUFFER, SEGMENT_DIR, SEGMENTS,
    Space, backend, io,
};
use crate::storage::error::StorageError;

impl RedbKv {
    /// The pending write transaction, begun here if there is none.
    fn pending(&self) -> Result<MutexGuard<'_, Option<Pending>>, StorageError> {
        let db = self.writer()?;
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(Pending {
                txn: db.begin_write().map_err(backend)?,
                segment: None,
            });
        }
        Ok(guard)
    }

    /// Ends the pending transaction: the open segment is made durable and its committed length
    /// recorded, then the transaction commits. With `close_segment`, the next chunk starts a new
    /// segment.
    fn commit(&self, close_segment: bool) -> Result<(), StorageError> {
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let Some(mut pending) = guard.take() else {
            return Ok(());
        };
        if let Some(segment) = &mut pending.segment {
            segment
                .out
                .flush()
                .map_err(|e| io(&self.files.path(segment.id), e))?;
            segment
                .out
                .get_ref()
                .sync_data()
                .map_err(|e| io(&self.files.path(segment.id), e))?;
            let mut table = pending.txn.open_table(SEGMENTS).map_err(backend)?;
            let live = match table.get(segment.id).map_err(backend)? {
                Some(v) => decode_segment(v.value())?.1,
                None => 0,
            } + (segment.len - segment.committed);
            table
                .insert(segment.id, &encode_segment(segment.len, live)[..])
                .map_err(backend)?;
            segment.committed = segment.len;
        }
        pending.txn.commit().map_err(backend)?;
        self.wrote.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(segment) = pending.segment.take().filter(|_| !close_segment) {
            // The segment stays open for the rest of this write session's chunks.
            *guard = Some(Pending {
                txn: self.writer()?.begin_write().map_err(backend)?,
                segment: Some(segment),
            });
            return Ok(());
        }
        drop(guard);
        self.reclaim()
    }

    /// Writes one value in the pending transaction: a chunk goes to the open segment (opened
    /// here if there is none) and its location to the tree.
    fn put_in(
        &self,
        pending: &mut Pending,
        space: Space,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StorageError> {
        let stored: Vec<u8> = match (space, self.placement) {
            (Space::Data, ChunkPlacement::Segments) => {
                if pending.segment.is_none() {
                    let mut next = self.next_segment.lock().unwrap_or_else(|p| p.into_inner());
                    let id = *next;
                    *next += 1;
                    let path = self.files.path(id);
                    let file = OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .map_err(|e| io(&path, e))?;
                    sync_dir(&self.dir.join(SEGMENT_DIR))?;
                    pending.segment = Some(OpenSegment {
                        id,
                        out: BufWriter::with_capacity(SEGMENT_BUFFER, file),
                        len: 0,
                        committed: 0,
                    });
                }
                let segment = pending.segment.as_mut().expect("opened above");
                let len = u32::try_from(value.len()).map_err(|_| {
                    StorageError::Internal(format!("a chunk of {} bytes", value.len()))
                })?;
                segment
                    .out
                    .write_all(value)
                    .map_err(|e| io(&self.files.path(segment.id), e))?;
                let at = Location {
                    segment: segment.id,
                    offset: segment.len,
                    len,
                };
                segment.len += value.len() as u64;
                at.encode().to_vec()
            }
            _ => value.to_vec(),
        };
        let mut table = pending.txn.open_table(table_of(space)).map_err(backend)?;
        let replaced = table
            .insert(key, stored.as_slice())
            .map_err(backend)?
            .map(|old| old.value().to_vec());
        drop(table);
        if let (Some(old), Space::Data, ChunkPlacement::Segments) =
            (replaced, space, self.placement)
        {
            release(&pending.txn, &[Location::decode(&old)?])?;
        }
        Ok(())
    }
}

/// The writing operations, each run by the [`KvStore`](super::KvStore) impl under
/// [`guarded`](super::guard::guarded).
impl RedbKv {
    pub(super) fn put_unguarded(
        &self,
        space: Space,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), StorageError> {
        let mut guard = self.pending()?;
        let pending = guard.as_mut().expect("pending was just begun");
        self.put_in(pending, space, key, value)
    }

    pub(super) fn apply_batch_unguarded(
        &self,
        space: Space,
        ops: Vec<BatchOp>,
    ) -> Result<(), StorageError> {
        {
            let mut guard = self.pending()?;
            let pending = guard.as_mut().expect("pending was just begun");
            if space == Space::Data && self.placement == ChunkPlacement::Segments {
                // Chunks go through their segment, one at a time; the space of removed ones
                // is released once, for all of them.
                let mut removed = Vec::new();
                for (key, value) in ops {
                    match value {
                        Some(v) => self.put_in(pending, space, &key, &v)?,
                        None => {
                            let mut table = pending.txn.open_table(DATA).map_err(backend)?;
                            if let Some(old) = table.remove(key.as_slice()).map_err(backend)? {
                                removed.push(Location::decode(old.value())?);
                            }
                        }
                    }
                }
                release(&pending.txn, &removed)?;
            } else {
                let mut table = pending.txn.open_table(table_of(space)).map_err(backend)?;
                for (key, value) in ops {
                    match value {
                        Some(v) => {
                            table
                                .insert(key.as_slice(), v.as_slice())
                                .map_err(backend)?;
                        }
                        None => {
                            table.remove(key.as_slice()).map_err(backend)?;
                        }
                    }
                }
            }
        }
        self.commit(false)
    }

    pub(super) fn remove_range_unguarded(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<usize, StorageError> {
        if self.is_read_only() {
            return Err(StorageError::ReadOnly {
                path: self.dir.display().to_string(),
            });
        }
        // Most calls find nothing (the sweep at every open): look before starting a write.
        if !self.with_table(space, |t| t.any_raw(lower, upper))? {
            return Ok(0);
        }
        let mut guard = self.pending()?;
        let pending = guard.as_mut().expect("pending was just begun");
        let mut table = pending.txn.open_table(table_of(space)).map_err(backend)?;
        let mut removed = Vec::new();
        for entry in table
            .extract_if(lower..upper, |_, _| true)
            .map_err(backend)?
        {
            let (_, v) = entry.map_err(backend)?;
            removed.push(v.value().to_vec());
        }
        drop(table);
        if space == Space::Data && self.placement == ChunkPlacement::Segments {
            let locations = removed
                .iter()
                .map(|v| Location::decode(v))
                .collect::<Result<Vec<_>, _>>()?;
            release(&pending.txn, &locations)?;
        }
        Ok(removed.len())
    }

    pub(super) fn flush_unguarded(&self) -> Result<(), StorageError> {
        if self.is_read_only() {
            return Ok(());
        }
        self.commit(true)
    }
}
