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
mod reclaim;
mod segments;
mod view;
mod write;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use redb::{Database, ReadOnlyDatabase, ReadableTable, TableDefinition, WriteTransaction};

use super::{Access, BatchOp, Entry, KvStore, Space};
use crate::storage::error::{StorageError, io};
use guard::guarded;
use open::{begin_read, builder, open_error, open_reader, open_writer, sync_dir, write_holder};
use segments::{OpenSegment, SegmentFiles};
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
}

/// The reading operations (the writing ones are in `write.rs`), each run by the [`KvStore`]
/// impl under [`guarded`].
impl RedbKv {
    fn get_unguarded(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_table(space, |t| self.resolved(space).get(t, key))
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
