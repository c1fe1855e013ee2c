//! Reading a large source file as a stream: plain or gzip (detected by its magic bytes), hashed
//! (SHA-256 of the bytes on disk) and counted as it is read, so the file is read once. The
//! decompressed text goes through a [`Guard`]: no line past the bound, no NUL byte.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::IngestError;
use super::guard::{Guard, Mode, guard_error};
use crate::storage::SourceFile;

/// What has been read of the file so far: its hash and size.
#[derive(Debug, Default)]
struct Tally {
    hasher: Sha256,
    bytes: u64,
}

/// Passes bytes through while hashing and counting them.
struct Hashing<R> {
    inner: R,
    tally: Arc<Mutex<Tally>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        tally.hasher.update(&buf[..n]);
        tally.bytes += n as u64;
        crate::progress::advance(n as u64);
        Ok(n)
    }
}

/// A source file opened for streaming.
pub struct Stream {
    /// The path as the user gave it.
    pub file: String,
    /// The (decompressed) text.
    pub reader: Box<dyn Read + Send>,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
    tally: Arc<Mutex<Tally>>,
    /// Size of the file on disk.
    pub size: u64,
    /// The longest line or field its readers may read, in bytes.
    pub max_line_bytes: usize,
}

impl Stream {
    /// Opens `path`, decompressing gzip when the file starts with its magic bytes; reading
    /// stops with an error at a line longer than `max_line_bytes`.
    pub fn open(path: &Path, max_line_bytes: usize) -> Result<Stream, IngestError> {
        let file = path.display().to_string();
        let io = |e: std::io::Error| IngestError::Io {
            file: file.clone(),
            message: e.to_string(),
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        let mut handle = File::open(path).map_err(io)?;
        let gzip = is_gzip(&mut handle).map_err(io)?;
        let tally = Arc::new(Mutex::new(Tally::default()));
        crate::progress::start(size, "bytes");
        let hashing = Hashing {
            inner: handle,
            tally: tally.clone(),
        };
        let text: Box<dyn Read + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                1 << 20,
                MultiGzDecoder::new(BufReader::with_capacity(1 << 20, hashing)),
            ))
        } else {
            Box::new(BufReader::with_capacity(1 << 20, hashing))
        };
        let reader = Box::new(Guard::new(text, &file, max_line_bytes, Mode::Lines, 1));
        Ok(Stream {
            file,
            reader,
            gzip,
            tally,
            size,
            max_line_bytes,
        })
    }

    /// The provenance of the bytes read so far; call once the whole file has been read.
    pub fn provenance(&self) -> SourceFile {
        let tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        SourceFile {
            path: self.file.clone(),
            size: tally.bytes.max(self.size),
            sha256: crate::digest::hex(&tally.hasher.clone().finalize()),
            imported_at: crate::storage::now_rfc3339(),
        }
    }

    /// The error for a failed read at `line`: the guard's, a truncated or corrupt gzip
    /// stream, or I/O.
    pub fn read_error(&self, line: u64, e: std::io::Error) -> IngestError {
        if let Some(guarded) = guard_error(&e) {
            guarded
        } else if self.gzip {
            IngestError::Truncated {
                file: self.file.clone(),
                line,
                message: e.to_string(),
            }
        } else {
            IngestError::Io {
                file: self.file.clone(),
                message: e.to_string(),
            }
        }
    }
}

/// Whether the file starts with gzip's magic bytes; reads them and goes back to the start.
pub fn is_gzip(handle: &mut File) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 2];
    let n = handle.read(&mut magic)?;
    handle.seek(SeekFrom::Start(0))?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Reads a tab- or comma-separated header line's delimiter from the first bytes of `text`.
pub fn sniff(first_line: &[u8]) -> u8 {
    let tabs = first_line.iter().filter(|b| **b == b'\t').count();
    let commas = first_line.iter().filter(|b| **b == b',').count();
    if tabs >= commas { b'\t' } else { b',' }
}
