//! What the image readers share: reading a file whole, gunzipping with a bound, and the voxel
//! number types with their decoding into `f64`.

use std::io::Read;
use std::path::Path;

use super::RadiomicsError;

/// A voxel's number type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl Number {
    /// Bytes per voxel.
    pub fn width(self) -> usize {
        match self {
            Number::I8 | Number::U8 => 1,
            Number::I16 | Number::U16 => 2,
            Number::I32 | Number::U32 | Number::F32 => 4,
            Number::I64 | Number::U64 | Number::F64 => 8,
        }
    }

    /// The voxels of `data` (whole values, big or little endian) as `f64`.
    pub fn decode(self, big: bool, data: &[u8]) -> Vec<f64> {
        macro_rules! numbers {
            ($t:ty) => {
                data.chunks_exact(std::mem::size_of::<$t>())
                    .map(|c| {
                        let bytes = c.try_into().expect("chunks_exact gives whole values");
                        let v = if big {
                            <$t>::from_be_bytes(bytes)
                        } else {
                            <$t>::from_le_bytes(bytes)
                        };
                        v as f64
                    })
                    .collect()
            };
        }
        match self {
            Number::I8 => numbers!(i8),
            Number::U8 => numbers!(u8),
            Number::I16 => numbers!(i16),
            Number::U16 => numbers!(u16),
            Number::I32 => numbers!(i32),
            Number::U32 => numbers!(u32),
            Number::I64 => numbers!(i64),
            Number::U64 => numbers!(u64),
            Number::F32 => numbers!(f32),
            Number::F64 => numbers!(f64),
        }
    }
}

/// The bytes of the file at `path`.
pub fn read_file(path: &Path) -> Result<Vec<u8>, RadiomicsError> {
    std::fs::read(path).map_err(|e| RadiomicsError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

/// The gzip stream `bytes` decompressed, at most `limit` bytes (so that memory follows what a
/// header declares, never a zip bomb), or why it could not be read.
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    // The size the gzip trailer states (modulo 2³²), as room to reserve at once rather than
    // doubling; only a hint, capped by the limit and by 64 times the compressed size (images
    // compress 2–10 times; a larger output still grows as it is read), so that a lying trailer
    // cannot make a small file reserve gigabytes.
    let stated = bytes.len().checked_sub(4).map_or(0, |at| {
        u32::from_le_bytes(bytes[at..].try_into().unwrap_or([0; 4])) as usize
    });
    let mut out = Vec::new();
    // Only a hint: when the room cannot be had, the data still grows as it is read.
    let _ = out.try_reserve(stated.min(limit).min(bytes.len().saturating_mul(64)));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit as u64)
        .read_to_end(&mut out)
        .map_err(|e| {
            format!(
                "the gzip data is damaged or truncated after {} bytes: {e}",
                out.len()
            )
        })?;
    Ok(out)
}
