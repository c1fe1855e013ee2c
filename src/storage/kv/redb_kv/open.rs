//! Opening redb as the writer or as a reader, and naming the writer to a second one.

use std::fs::File;
use std::path::Path;

use redb::{
    Builder, ConcurrencyMode, Database, DatabaseError, ReadOnlyDatabase, ReadTransaction,
    ReadableDatabase,
};

use super::guard::guarded;
use super::{CACHE_BYTES, HOLDER_FILE, Handle, REDB_FILE, backend, io};
use crate::storage::error::StorageError;

pub(super) fn builder() -> Builder {
    let mut builder = Builder::new();
    builder
        .set_concurrency_mode(ConcurrencyMode::SingleWriter)
        .set_cache_size(CACHE_BYTES);
    builder
}

pub(super) fn begin_read(handle: &Handle) -> Result<ReadTransaction, StorageError> {
    guarded(|| {
        match handle {
            Handle::Write(db) => db.begin_read(),
            Handle::Read(db) => db.begin_read(),
            Handle::Closed => return Err(StorageError::Internal("a closed redb handle".into())),
        }
        .map_err(backend)
    })
}

pub(super) fn open_error(dir: &Path, e: DatabaseError) -> StorageError {
    match e {
        DatabaseError::DatabaseAlreadyOpen => StorageError::Locked {
            path: dir.display().to_string(),
            holder: holder(dir),
        },
        other => StorageError::Backend(format!("opening {}: {other}", dir.display())),
    }
}

/// Opens the writer, retrying a lock conflict for a quarter of a second: a writer that is
/// exiting releases its lock a moment after it is done.
pub(super) fn open_writer(dir: &Path) -> Result<Database, StorageError> {
    let path = dir.join(REDB_FILE);
    let mut attempts = 0;
    loop {
        match builder().open(&path) {
            Ok(db) => return Ok(db),
            Err(DatabaseError::DatabaseAlreadyOpen) if attempts < 5 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(open_error(dir, e)),
        }
    }
}

pub(super) fn open_reader(dir: &Path) -> Result<ReadOnlyDatabase, StorageError> {
    let path = dir.join(REDB_FILE);
    match builder().open_read_only(&path) {
        Ok(db) => Ok(db),
        // Left unclean by a killed writer: a writing open repairs it, then it is read.
        Err(DatabaseError::RepairAborted) => {
            match builder().open(&path) {
                Ok(db) => drop(db),
                // A writer is back: it has repaired the file.
                Err(DatabaseError::DatabaseAlreadyOpen) => {}
                Err(e) => return Err(open_error(dir, e)),
            }
            builder()
                .open_read_only(&path)
                .map_err(|e| open_error(dir, e))
        }
        Err(e) => Err(open_error(dir, e)),
    }
}

pub(super) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}

/// Records who holds the database for writing. Best effort: the message a second writer gets
/// is the only use.
pub(super) fn write_holder(dir: &Path) {
    let args: Vec<String> = std::env::args().collect();
    let text = format!(
        "pid {}, `{}`, since {}",
        std::process::id(),
        crate::storage::shorten(&args.join(" ")),
        crate::storage::now_rfc3339()
    );
    let _ = std::fs::write(dir.join(HOLDER_FILE), text);
}

/// Who holds the database for writing, as the holder wrote it.
pub(super) fn holder(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(HOLDER_FILE))
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|t| format!("another process ({t})"))
        .unwrap_or_else(|| "another process".into())
}
