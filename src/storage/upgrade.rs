//! Converting a database made by an earlier rgdb (sled) to the current backend, once and
//! atomically (`rgdb upgrade PATH`, `Database::upgrade`, or `--upgrade` on open).
//!
//! Every key of both keyspaces is copied as it is, so the catalog, every version and every
//! chunk (with its checksum and codec) are the same after the conversion; only the container
//! changes. The new database is built in `upgrade.tmp/` beside the old files and made durable,
//! then moved in; the rename of `rgdb.redb` is the commit point. Killed before it, the directory
//! is still the old database (the next attempt starts over); killed after, it is the new one,
//! and the old files left behind are removed at the next writing open. The conversion ends
//! with one writing open of the new database, which writes what an open of the old one by this
//! build would have (the subject registry's blocks, the sweep of an interrupted import).

use std::path::Path;
use std::time::Instant;

use super::error::{StorageError, io};
use super::kv::{
    Backend, ChunkPlacement, KvStore, REDB_FILE, RedbKv, SIDE_FILES, SledKv, Space, move_database,
    size_on_disk,
};

/// What a conversion did.
#[derive(Debug, Clone, PartialEq)]
pub struct UpgradeReport {
    /// The backend converted from (`"sled"`).
    pub from: &'static str,
    /// The backend converted to (`"redb"`).
    pub to: &'static str,
    /// Catalog entries copied.
    pub catalog_entries: u64,
    /// Chunks copied.
    pub chunks: u64,
    /// Bytes on disk before and after.
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Wall time of the conversion.
    pub seconds: f64,
}

const WORK_DIR: &str = "upgrade.tmp";

/// Converts the sled database in `dir`. `Ok(None)` if it already is current.
pub fn upgrade(dir: &Path) -> Result<Option<UpgradeReport>, StorageError> {
    let shown = dir.display().to_string();
    match Backend::detect(dir) {
        Some(Backend::Sled) => {}
        Some(_) => return Ok(None),
        None => return Err(StorageError::NotADatabase { path: shown }),
    }
    let started = Instant::now();
    let old = SledKv::open(dir)?;
    let bytes_before = old.size_on_disk();
    if old.get(Space::Meta, super::key::FORMAT)?.is_none() {
        return Err(StorageError::NotADatabase { path: shown });
    }
    // What an interrupted conversion left (it moves these before `rgdb.redb`).
    let work = dir.join(WORK_DIR);
    remove_any(&work)?;
    for name in SIDE_FILES {
        remove_any(&dir.join(name))?;
    }
    let new = RedbKv::create(&work, ChunkPlacement::Segments)?;
    let mut catalog = Vec::new();
    let mut catalog_entries = 0u64;
    old.for_each(Space::Meta, |k, v| {
        catalog.push((k.to_vec(), Some(v.to_vec())));
        catalog_entries += 1;
        if catalog.len() == 4096 {
            new.apply_batch(Space::Meta, std::mem::take(&mut catalog))?;
        }
        Ok(())
    })?;
    new.apply_batch(Space::Meta, catalog)?;
    let mut chunks = 0u64;
    old.for_each(Space::Data, |k, v| {
        chunks += 1;
        new.put(Space::Data, k, v)
    })?;
    new.flush()?;
    drop(new);
    drop(old);
    move_database(&work, dir)?;
    tidy(dir)?;
    // One writing open brings the catalog up to date, as it would for the old database: the
    // subject registry's blocks (absent in databases older than them) are written, and the
    // chunks an interrupted import left are swept. Read-only opens never do that.
    {
        let kv: std::sync::Arc<dyn KvStore> =
            std::sync::Arc::new(RedbKv::open(dir, super::kv::Access::ReadWrite)?);
        super::store::Store::open(kv, super::store::StoreConfig::default(), &shown)?;
    }
    let bytes_after = size_on_disk(dir);
    Ok(Some(UpgradeReport {
        from: Backend::Sled.name(),
        to: Backend::Redb.name(),
        catalog_entries,
        chunks,
        bytes_before,
        bytes_after,
        seconds: started.elapsed().as_secs_f64(),
    }))
}

/// Removes what a conversion that passed its commit point left of the old database.
pub fn tidy(dir: &Path) -> Result<(), StorageError> {
    if !dir.join(REDB_FILE).is_file() {
        return Ok(());
    }
    remove_any(&dir.join(WORK_DIR))?;
    for name in ["db", "conf", "blobs"] {
        remove_any(&dir.join(name))?;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("snap.") {
                remove_any(&entry.path())?;
            }
        }
    }
    Ok(())
}

fn remove_any(path: &Path) -> Result<(), StorageError> {
    let result = match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(()),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    result.map_err(|e| io(path, e))
}
