//! Reading a source file whole: its bytes, its provenance (size, SHA-256) and its text, with
//! invalid UTF-8 reported by line and column, read through the [`Guard`] (lines bounded, no
//! NUL bytes).

use std::io::Read;
use std::path::Path;

use super::IngestError;
use super::guard::{Guard, Mode, guard_error};
use super::stream::is_gzip;
use crate::storage::SourceFile;

/// A source file read into memory.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The path as the user gave it; every error names it.
    pub file: String,
    /// The text, without a leading byte-order mark.
    pub text: String,
    /// Size and hash of the bytes on disk.
    pub provenance: SourceFile,
    /// The longest line or field its parsers may read, in bytes.
    pub max_line_bytes: usize,
}

impl SourceText {
    /// Reads `path`, no line longer than `max_line_bytes` (reading stops at the first that
    /// is), and checks that it is UTF-8 without NUL bytes.
    pub fn read(path: &Path, max_line_bytes: usize) -> Result<SourceText, IngestError> {
        let file = path.display().to_string();
        let io = |e: std::io::Error| {
            guard_error(&e).unwrap_or_else(|| IngestError::Io {
                file: file.clone(),
                message: e.to_string(),
            })
        };
        let mut handle = std::fs::File::open(path).map_err(io)?;
        let size = handle.metadata().map_err(io)?.len();
        if is_gzip(&mut handle).map_err(io)? {
            return Err(IngestError::Compressed { file });
        }
        // The whole file is read, so room for it is reserved (virtual memory: pages are used
        // as they fill); a reservation the system refuses only means growing as it goes.
        let mut bytes = Vec::new();
        let _ = bytes.try_reserve_exact(size.saturating_add(1) as usize);
        Guard::new(handle, &file, max_line_bytes, Mode::Lines, 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        let provenance = SourceFile {
            path: file.clone(),
            size: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
            imported_at: crate::storage::now_rfc3339(),
        };
        let text = decode_utf8(&file, bytes)?;
        Ok(SourceText {
            file,
            text,
            provenance,
            max_line_bytes,
        })
    }
}

/// The provenance of several files imported as one: their total size, and the SHA-256 of
/// their hex hashes concatenated in path order. One file is simply itself.
pub fn combined_source(path: &str, files: impl Iterator<Item = (u64, String)>) -> SourceFile {
    let files: Vec<(u64, String)> = files.collect();
    let sha256 = match files.as_slice() {
        [(_, one)] => one.clone(),
        many => sha256_hex(
            many.iter()
                .map(|(_, h)| h.as_str())
                .collect::<String>()
                .as_bytes(),
        ),
    };
    SourceFile {
        path: path.to_string(),
        size: files.iter().map(|(s, _)| s).sum(),
        sha256,
        imported_at: crate::storage::now_rfc3339(),
    }
}

pub use crate::digest::sha256_hex;

/// Turns bytes into text, or reports the first invalid byte by line and column (1-based).
pub fn decode_utf8(file: &str, bytes: Vec<u8>) -> Result<String, IngestError> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let before = &bytes[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count() as u64
                + 1;
            Err(IngestError::NotUtf8 {
                file: file.to_string(),
                line,
                column,
                byte: bytes[at],
            })
        }
    }
}
