//! Segment housekeeping: at a writing open, the segment folder made to match the commits; and
//! dead segments deleted once no reading process is left.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::sync::Arc;

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::segments::decode_segment;
use super::{DEAD, RedbKv, SEGMENT_DIR, SEGMENTS, backend, io};
use crate::storage::error::StorageError;

impl RedbKv {
    /// At a writing open: cuts each segment back to its committed length, deletes segment
    /// files that no commit recorded (an interrupted import's), and deletes dead segments if no
    /// reader is left.
    pub(super) fn tidy_segments(&self) -> Result<(), StorageError> {
        let db = self.writer()?;
        let txn = db.begin_read().map_err(backend)?;
        let segments = txn.open_table(SEGMENTS).map_err(backend)?;
        let dead = txn.open_table(DEAD).map_err(backend)?;
        let mut known = HashMap::new();
        for entry in segments.range(..).map_err(backend)? {
            let (id, value) = entry.map_err(backend)?;
            known.insert(id.value(), decode_segment(value.value())?.0);
        }
        let mut highest = 0;
        for entry in dead.range(..).map_err(backend)? {
            let (id, _) = entry.map_err(backend)?;
            highest = highest.max(id.value());
            known.insert(id.value(), u64::MAX);
        }
        drop((segments, dead, txn));
        let folder = self.dir.join(SEGMENT_DIR);
        for entry in std::fs::read_dir(&folder).map_err(|e| io(&folder, e))? {
            let entry = entry.map_err(|e| io(&folder, e))?;
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".seg"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            highest = highest.max(id);
            let path = entry.path();
            match known.get(&id) {
                None => std::fs::remove_file(&path).map_err(|e| io(&path, e))?,
                Some(&committed) if committed != u64::MAX => {
                    let len = entry.metadata().map_err(|e| io(&path, e))?.len();
                    if len > committed {
                        let file = OpenOptions::new()
                            .write(true)
                            .open(&path)
                            .map_err(|e| io(&path, e))?;
                        file.set_len(committed).map_err(|e| io(&path, e))?;
                        file.sync_all().map_err(|e| io(&path, e))?;
                    }
                }
                Some(_) => {}
            }
        }
        highest = highest.max(known.keys().copied().max().unwrap_or(0));
        *self.next_segment.lock().unwrap_or_else(|p| p.into_inner()) = highest + 1;
        self.reclaim()
    }

    /// Deletes dead segments if no reading process has the database open.
    pub(super) fn reclaim(&self) -> Result<(), StorageError> {
        let db = self.writer()?;
        let dead: Vec<u64> = {
            let txn = db.begin_read().map_err(backend)?;
            let table = txn.open_table(DEAD).map_err(backend)?;
            if table.is_empty().map_err(backend)? {
                return Ok(());
            }
            table
                .range(..)
                .map_err(backend)?
                .map(|e| e.map(|(k, _)| k.value()).map_err(backend))
                .collect::<Result<_, _>>()?
        };
        let readers = &self.readers;
        if readers.try_lock().is_err() {
            return Ok(());
        }
        let result = (|| {
            // Every view (snapshot) of this process holds the segment files; the store holds
            // them once.
            let views_alive = Arc::strong_count(&self.files) > 1;
            for &id in &dead {
                if views_alive {
                    // This process's snapshots may still read it: open it first; the open
                    // file outlives the name, until `pin` finds no snapshot left.
                    let _ = self.files.file(id);
                    self.files
                        .doomed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(id);
                } else {
                    self.files
                        .open
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                }
                let path = self.files.path(id);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(&path, e)),
                }
            }
            let txn = db.begin_write().map_err(backend)?;
            {
                let mut table = txn.open_table(DEAD).map_err(backend)?;
                for &id in &dead {
                    table.remove(id).map_err(backend)?;
                }
            }
            txn.commit().map_err(backend)
        })();
        let _ = readers.unlock();
        result
    }
}
