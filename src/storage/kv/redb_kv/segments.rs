//! Segment files: where the chunks of a write session go, where each chunk is, which files
//! are open for reading, and the per-segment records (committed length, live bytes) that tell
//! when a segment is dead.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use redb::{ReadableTable, WriteTransaction};

use super::{DEAD, SEGMENT_DIR, SEGMENTS, backend, io};
use crate::storage::error::StorageError;

/// The open segment: chunks of the current write session.
pub(super) struct OpenSegment {
    pub(super) id: u64,
    pub(super) out: BufWriter<File>,
    /// Bytes written so far.
    pub(super) len: u64,
    /// The length at the last commit that recorded this segment.
    pub(super) committed: u64,
}

/// A chunk's place in a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Location {
    pub(super) segment: u64,
    pub(super) offset: u64,
    pub(super) len: u32,
}

impl Location {
    pub(super) fn encode(self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[..8].copy_from_slice(&self.segment.to_be_bytes());
        out[8..16].copy_from_slice(&self.offset.to_be_bytes());
        out[16..].copy_from_slice(&self.len.to_be_bytes());
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<Location, StorageError> {
        let bytes: &[u8; 20] = bytes.try_into().map_err(|_| StorageError::CorruptCatalog {
            key: "chunk location".into(),
            detail: format!("{} bytes, expected 20", bytes.len()),
        })?;
        Ok(Location {
            segment: u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            offset: u64::from_be_bytes(bytes[8..16].try_into().expect("8 bytes")),
            len: u32::from_be_bytes(bytes[16..].try_into().expect("4 bytes")),
        })
    }
}

/// The segment files of one database, opened for reading on first use and kept open.
#[derive(Debug)]
pub(super) struct SegmentFiles {
    pub(super) dir: PathBuf,
    pub(super) open: Mutex<HashMap<u64, Arc<File>>>,
    /// Segments deleted while a snapshot of this process could still read them: their files
    /// stay open (and their space taken) until no such snapshot is left.
    pub(super) doomed: Mutex<Vec<u64>>,
}

impl SegmentFiles {
    pub(super) fn path(&self, id: u64) -> PathBuf {
        segment_path(&self.dir, id)
    }

    pub(super) fn file(&self, id: u64) -> Result<Arc<File>, StorageError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = open.get(&id) {
            return Ok(file.clone());
        }
        let path = self.path(id);
        let file = Arc::new(File::open(&path).map_err(|e| io(&path, e))?);
        open.insert(id, file.clone());
        Ok(file)
    }

    pub(super) fn read(&self, at: Location) -> Result<Vec<u8>, StorageError> {
        let file = self.file(at.segment)?;
        let mut bytes = vec![0u8; at.len as usize];
        file.read_exact_at(&mut bytes, at.offset)
            .map_err(|e| io(&self.path(at.segment), e))?;
        Ok(bytes)
    }
}

pub(super) fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(SEGMENT_DIR).join(format!("{id:08}.seg"))
}

pub(super) fn encode_segment(len: u64, live: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&len.to_le_bytes());
    out[8..].copy_from_slice(&live.to_le_bytes());
    out
}

pub(super) fn decode_segment(bytes: &[u8]) -> Result<(u64, u64), StorageError> {
    if bytes.len() != 16 {
        return Err(StorageError::CorruptCatalog {
            key: "segment record".into(),
            detail: format!("{} bytes, expected 16", bytes.len()),
        });
    }
    Ok((
        u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")),
        u64::from_le_bytes(bytes[8..].try_into().expect("8 bytes")),
    ))
}

/// Takes removed chunks' bytes off their segments' live counts; a segment left with none is
/// dead, to be deleted when no reader is left.
pub(super) fn release(txn: &WriteTransaction, removed: &[Location]) -> Result<(), StorageError> {
    if removed.is_empty() {
        return Ok(());
    }
    let mut by_segment: HashMap<u64, u64> = HashMap::new();
    for at in removed {
        *by_segment.entry(at.segment).or_default() += at.len as u64;
    }
    let mut segments = txn.open_table(SEGMENTS).map_err(backend)?;
    let mut dead = txn.open_table(DEAD).map_err(backend)?;
    for (id, bytes) in by_segment {
        let Some((len, live)) = segments
            .get(id)
            .map_err(backend)?
            .map(|v| decode_segment(v.value()))
            .transpose()?
        else {
            // Written in this transaction and not yet recorded: the next commit records what
            // is left of it.
            continue;
        };
        let live = live.saturating_sub(bytes);
        if live == 0 {
            segments.remove(id).map_err(backend)?;
            dead.insert(id, len).map_err(backend)?;
        } else {
            segments
                .insert(id, &encode_segment(len, live)[..])
                .map_err(backend)?;
        }
    }
    Ok(())
}
