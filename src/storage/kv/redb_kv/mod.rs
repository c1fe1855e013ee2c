//! The default backend: one redb file (`rgdb.redb`) for the catalog and the chunk index, and
//! the chunks themselves appended to immutable segment files (`chunks/*.seg`).
//!
//! Why this shape (`docs/storage-format.md`, "Backend", has the measurements):
//! - redb's `ConcurrencyMode::SingleWriter` gives what sled lacks: one writing process and any
//!   number of read-only processes, each read transaction a snapshot that the writer's later
//!   commits (and the pages they free) never touch, and a read-only open that opens the file
//!   `O_RDONLY` and so cannot write a byte.
//! - redb allocates a value larger than a page in a power-of-two run of 4 KiB pages, so a 5 KB
//!   chunk takes 8 KiB. Chunks are therefore not stored in the tree: each write session appends
//!   them to a segment file, and the tree maps a chunk key to 20 bytes (segment, offset, length).
//!   The database is then the chunk bytes plus a small tree, whatever the chunk sizes.
//!   `ChunkPlacement::Tree` keeps chunks in the tree instead; it exists to be measured.
//!
//! Segments are written by the one writer, fsynced before the commit that first references
//! them, and never changed after that commit (the bytes past a segment's committed length are
//! an interrupted write's and are cut off at the next writing open). A segment whose chunks are
//! all removed (by `VACUUM` or the sweep of an interrupted import) is deleted once no reading
//! process has the database open: readers hold a shared `flock` on the `readers` file, and the
//! writer deletes dead segments only while it can take that lock exclusively. Within one
//! process, a segment's file is opened before it is deleted, so the snapshots of this process
//! that still need it keep reading it.

mod guard;
mod open;
mod segments;
mod view;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::{
    Database, ReadOnlyDatabase, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, WriteTransaction,
};

use super::{Access, BatchOp, Entry, KvStore, Space};
use crate::storage::error::{StorageError, io};
use guard::guarded;
use open::{begin_read, builder, open_error, open_reader, open_writer, sync_dir, write_holder};
use segments::{Location, OpenSegment, SegmentFiles, decode_segment, encode_segment, release};
use view::{Reads, RedbView, Resolved, table_of};

/// The redb file inside a database directory; its presence marks a database of this backend.
pub const REDB_FILE: &str = "rgdb.redb";
/// The folder of segment files.
const SEGMENT_DIR: &str = "chunks";
/// Readers hold a shared lock on this file while they have the database open.
const READERS_FILE: &str = "readers";
/// The writing process writes who it is here, for the message a second writer gets.
const HOLDER_FILE: &str = "writer";

type Bytes = &'static [u8];
const META: TableDefinition<Bytes, Bytes> = TableDefinition::new("meta");
/// Chunk key → chunk bytes (`Tree`) or location (`Segments`).
const DATA: TableDefinition<Bytes, Bytes> = TableDefinition::new("data");
/// Segment id → committed length and live bytes, u64 LE each.
const SEGMENTS: TableDefinition<u64, Bytes> = TableDefinition::new("segments");
/// Segments with no live chunk, waiting for no reader to be left.
const DEAD: TableDefinition<u64, u64> = TableDefinition::new("dead_segments");
/// `"chunks"` → `"segments"` or `"tree"`.
const LAYOUT: TableDefinition<&str, &str> = TableDefinition::new("layout");

/// redb's page cache. Pages are cached as they are read, so a small query stays small.
const CACHE_BYTES: usize = 256 << 20;
/// Buffer of the open segment.
const SEGMENT_BUFFER: usize = 1 << 20;

/// Where a redb database keeps its chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkPlacement {
    /// In segment files, the tree holding their locations (the default).
    Segments,
    /// In the redb tree itself.
    Tree,
}

impl ChunkPlacement {
    fn name(self) -> &'static str {
        match self {
            ChunkPlacement::Segments => "segments",
            ChunkPlacement::Tree => "tree",
        }
    }
}

enum Handle {
    /// Taken apart by `Drop`.
    Closed,
    Write(Database),
    Read(ReadOnlyDatabase),
}

struct Pending {
    txn: WriteTransaction,
    segment: Option<OpenSegment>,
}

/// The redb backend (see the module documentation).
pub struct RedbKv {
    dir: PathBuf,
    handle: Handle,
    placement: ChunkPlacement,
    pending: Mutex<Option<Pending>>,
    files: Arc<SegmentFiles>,
    /// The writer's next segment id.
    next_segment: Mutex<u64>,
    /// The `readers` file: a reader holds a shared lock on it; the writer tries an exclusive one
    /// before deleting segments.
    readers: File,
    /// Whether this writer committed anything: only then is the file compacted at close.
    wrote: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for RedbKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbKv")
            .field("dir", &self.dir)
            .field("placement", &self.placement)
            .field("read_only", &self.is_read_only())
            .finish()
    }
}

fn backend(e: impl std::fmt::Display) -> StorageError {
    StorageError::Backend(e.to_string())
}

impl RedbKv {
    /// Creates a new database in the empty directory `dir`.
    pub fn create(dir: &Path, placement: ChunkPlacement) -> Result<RedbKv, StorageError> {
        std::fs::create_dir_all(dir.join(SEGMENT_DIR)).map_err(|e| io(dir, e))?;
        let readers = dir.join(READERS_FILE);
        File::create(&readers).map_err(|e| io(&readers, e))?;
        // The redb file comes last: its presence is what makes the directory a database.
        let path = dir.join(REDB_FILE);
        let db = builder().create(&path).map_err(|e| open_error(dir, e))?;
        let txn = db.begin_write().map_err(backend)?;
        {
            txn.open_table(META).map_err(backend)?;
            txn.open_table(DATA).map_err(backend)?;
            txn.open_table(SEGMENTS).map_err(backend)?;
            txn.open_table(DEAD).map_err(backend)?;
            let mut layout = txn.open_table(LAYOUT).map_err(backend)?;
            layout.insert("chunks", placement.name()).map_err(backend)?;
        }
        txn.commit().map_err(backend)?;
        sync_dir(dir)?;
        drop(db);
        RedbKv::open(dir, Access::ReadWrite)
    }

    /// Opens the database in `dir`, as its one writer or as a reader.
    ///
    /// A second writer is refused with [`StorageError::Locked`], naming the holder. A reader
    /// writes nothing, except in one case: after a writer was killed, redb must repair the
    /// file before anyone reads it, and the first process to open it does that (as SQLite's
    /// readers roll back a journal left by a crash).
    pub fn open(dir: &Path, access: Access) -> Result<RedbKv, StorageError> {
        guarded(|| RedbKv::open_unguarded(dir, access))
    }

    fn open_unguarded(dir: &Path, access: Access) -> Result<RedbKv, StorageError> {
        let path = dir.join(REDB_FILE);
        let handle = match access {
            Access::ReadWrite => Handle::Write(open_writer(dir)?),
            Access::ReadOnly => Handle::Read(open_reader(dir)?),
        };
        let placement = {
            let txn = begin_read(&handle)?;
            let layout = txn.open_table(LAYOUT).map_err(backend)?;
            let value = layout.get("chunks").map_err(backend)?;
            match value.as_ref().map(|v| v.value()) {
                Some("tree") => ChunkPlacement::Tree,
                Some("segments") => ChunkPlacement::Segments,
                other => {
                    return Err(StorageError::CorruptCatalog {
                        key: format!("{} layout", path.display()),
                        detail: format!("unknown chunk placement {other:?}"),
                    });
                }
            }
        };
        let readers_path = dir.join(READERS_FILE);
        let readers = match access {
            Access::ReadOnly => {
                let file = File::open(&readers_path).map_err(|e| io(&readers_path, e))?;
                file.lock_shared().map_err(|e| io(&readers_path, e))?;
                file
            }
            Access::ReadWrite => OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&readers_path)
                .map_err(|e| io(&readers_path, e))?,
        };
        let kv = RedbKv {
            dir: dir.to_path_buf(),
            handle,
            placement,
            pending: Mutex::new(None),
            files: Arc::new(SegmentFiles {
                dir: dir.to_path_buf(),
                open: Mutex::new(HashMap::new()),
                doomed: Mutex::new(Vec::new()),
            }),
            next_segment: Mutex::new(1),
            readers,
            wrote: std::sync::atomic::AtomicBool::new(false),
        };
        if access == Access::ReadWrite {
            write_holder(dir);
            kv.tidy_segments()?;
        }
        Ok(kv)
    }

    /// Where this database keeps its chunks.
    pub fn placement(&self) -> ChunkPlacement {
        self.placement
    }

    fn writer(&self) -> Result<&Database, StorageError> {
        match &self.handle {
            Handle::Write(db) => Ok(db),
            Handle::Closed => Err(StorageError::Internal("a closed redb handle".into())),
            Handle::Read(_) => Err(StorageError::ReadOnly {
                path: self.dir.display().to_string(),
            }),
        }
    }

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

    /// At a writing open: cuts each segment back to its committed length, deletes segment
    /// files that no commit recorded (an interrupted import's), and deletes dead segments if no
    /// reader is left.
    fn tidy_segments(&self) -> Result<(), StorageError> {
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
    fn reclaim(&self) -> Result<(), StorageError> {
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
}

impl RedbKv {
    /// Runs `read` on the pending write transaction's table if there is one (a writer reads its
    /// own writes), else on a fresh read transaction's.
    fn with_table<R>(
        &self,
        space: Space,
        read: impl FnOnce(&dyn Reads) -> Result<R, StorageError>,
    ) -> Result<R, StorageError> {
        let mut guard = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pending) = guard.as_mut() {
            if let Some(segment) = &mut pending.segment {
                segment
                    .out
                    .flush()
                    .map_err(|e| io(&self.files.path(segment.id), e))?;
            }
            let table = pending.txn.open_table(table_of(space)).map_err(backend)?;
            return read(&table);
        }
        drop(guard);
        let txn = begin_read(&self.handle)?;
        let table = txn.open_table(table_of(space)).map_err(backend)?;
        read(&table)
    }

    fn resolved(&self, space: Space) -> Resolved<'_> {
        Resolved {
            placement: self.placement,
            files: &self.files,
            space,
        }
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

/// The backend operations, each run by the [`KvStore`] impl under [`guarded`].
impl RedbKv {
    fn get_unguarded(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_table(space, |t| self.resolved(space).get(t, key))
    }

    fn put_unguarded(&self, space: Space, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        let mut guard = self.pending()?;
        let pending = guard.as_mut().expect("pending was just begun");
        self.put_in(pending, space, key, value)
    }

    fn apply_batch_unguarded(&self, space: Space, ops: Vec<BatchOp>) -> Result<(), StorageError> {
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

    fn scan_prefix_unguarded(
        &self,
        space: Space,
        prefix: &[u8],
    ) -> Result<Vec<Entry>, StorageError> {
        self.with_table(space, |t| self.resolved(space).scan(t, prefix))
    }

    fn last_in_range_unguarded(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        self.with_table(space, |t| self.resolved(space).last(t, lower, upper))
    }

    fn remove_range_unguarded(
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

    fn flush_unguarded(&self) -> Result<(), StorageError> {
        if self.is_read_only() {
            return Ok(());
        }
        self.commit(true)
    }

    fn pin_unguarded(&self) -> Result<Option<Arc<dyn KvStore>>, StorageError> {
        if Arc::strong_count(&self.files) == 1 {
            // No snapshot is left that could read a deleted segment: close their files, which
            // gives their space back.
            let doomed =
                std::mem::take(&mut *self.files.doomed.lock().unwrap_or_else(|p| p.into_inner()));
            let mut open = self.files.open.lock().unwrap_or_else(|p| p.into_inner());
            for id in doomed {
                open.remove(&id);
            }
        }
        let txn = begin_read(&self.handle)?;
        let meta = txn.open_table(META).map_err(backend)?;
        let data = txn.open_table(DATA).map_err(backend)?;
        Ok(Some(Arc::new(RedbView {
            dir: self.dir.clone(),
            _txn: txn,
            meta,
            data,
            placement: self.placement,
            files: self.files.clone(),
        })))
    }
}

/// What a database holds beside `rgdb.redb` (the holder file aside).
pub(crate) const SIDE_FILES: [&str; 2] = [SEGMENT_DIR, READERS_FILE];

/// The bytes of the redb database in `dir`: its file and its segments (file sizes only; the
/// database need not be open).
pub(crate) fn size_on_disk(dir: &Path) -> u64 {
    let mut total = std::fs::metadata(dir.join(REDB_FILE))
        .map(|m| m.len())
        .unwrap_or(0);
    if let Ok(entries) = std::fs::read_dir(dir.join(SEGMENT_DIR)) {
        for entry in entries.flatten() {
            total += entry.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

/// Moves the closed redb database built in `from` into `to`: its other files first, then
/// `rgdb.redb`, whose rename is the commit point of a conversion (`storage::upgrade`); then
/// syncs `to`.
pub(crate) fn move_database(from: &Path, to: &Path) -> Result<(), StorageError> {
    let _ = std::fs::remove_file(from.join(HOLDER_FILE));
    for name in SIDE_FILES.into_iter().chain([REDB_FILE]) {
        std::fs::rename(from.join(name), to.join(name)).map_err(|e| io(to, e))?;
    }
    sync_dir(to)
}

impl KvStore for RedbKv {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        guarded(|| self.get_unguarded(space, key))
    }

    fn put(&self, space: Space, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        guarded(|| self.put_unguarded(space, key, value))
    }

    fn apply_batch(&self, space: Space, ops: Vec<BatchOp>) -> Result<(), StorageError> {
        guarded(|| self.apply_batch_unguarded(space, ops))
    }

    fn scan_prefix(&self, space: Space, prefix: &[u8]) -> Result<Vec<Entry>, StorageError> {
        guarded(|| self.scan_prefix_unguarded(space, prefix))
    }

    fn last_in_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<Entry>, StorageError> {
        guarded(|| self.last_in_range_unguarded(space, lower, upper))
    }

    fn remove_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<usize, StorageError> {
        guarded(|| self.remove_range_unguarded(space, lower, upper))
    }

    fn flush(&self) -> Result<(), StorageError> {
        guarded(|| self.flush_unguarded())
    }

    fn size_on_disk(&self) -> u64 {
        size_on_disk(&self.dir)
    }

    fn pin(&self) -> Result<Option<Arc<dyn KvStore>>, StorageError> {
        guarded(|| self.pin_unguarded())
    }

    fn is_read_only(&self) -> bool {
        matches!(self.handle, Handle::Read(_))
    }
}

impl Drop for RedbKv {
    /// A writer that committed compacts the file as it closes. Catalog entries are written in
    /// key order, and redb splits a full leaf in half, so the catalog's leaves end up about half
    /// full: at M (21,800 columns) compaction takes the file from 10.0 to about 6 MiB. redb
    /// refuses while any read transaction of any process is live, and a refusal or failure
    /// changes nothing (the file is as the last commit left it).
    ///
    /// Everything is taken apart under [`guarded`]: after redb panicked on a damaged page, its
    /// locks are poisoned and dropping its transaction or database panics again.
    fn drop(&mut self) {
        let pending = self
            .pending
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let wrote = *self.wrote.get_mut();
        let mut handle = std::mem::replace(&mut self.handle, Handle::Closed);
        let _ = guarded(|| {
            drop(pending);
            if let Handle::Write(db) = &mut handle
                && wrote
            {
                while let Ok(true) = db.compact(redb::CompactionMode::Maximum) {}
            }
            drop(handle);
            Ok(())
        });
    }
}
