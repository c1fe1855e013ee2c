//! What the image readers share: reading a file whole, streaming its data (gunzipped with a
//! bound), and the voxel number types with their decoding, a block at a time, into
//! [`Voxels`] of that type.

use std::io::Read;
use std::path::Path;

use super::RadiomicsError;
use super::voxels::Voxels;

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

    /// Reads `count` voxels of this type (big or little endian) from `input`, converting a
    /// block at a time: no buffer of the whole data is held besides the voxels themselves.
    pub fn read(self, big: bool, count: usize, input: &mut dyn Read) -> Result<Voxels, Short> {
        macro_rules! numbers {
            ($t:ty, $variant:ident) => {
                Voxels::$variant(read_numbers::<{ std::mem::size_of::<$t>() }, $t>(
                    input,
                    count,
                    |b| {
                        if big {
                            <$t>::from_be_bytes(b)
                        } else {
                            <$t>::from_le_bytes(b)
                        }
                    },
                )?)
            };
        }
        Ok(match self {
            Number::I8 => numbers!(i8, I8),
            Number::U8 => numbers!(u8, U8),
            Number::I16 => numbers!(i16, I16),
            Number::U16 => numbers!(u16, U16),
            Number::I32 => numbers!(i32, I32),
            Number::U32 => numbers!(u32, U32),
            Number::I64 => numbers!(i64, I64),
            Number::U64 => numbers!(u64, U64),
            Number::F32 => numbers!(f32, F32),
            Number::F64 => numbers!(f64, F64),
        })
    }
}

/// Why voxels could not all be read.
#[derive(Debug)]
pub enum Short {
    /// The data ended after `got` bytes.
    Truncated { got: usize },
    /// The stream failed (damaged gzip data) after `got` bytes.
    Damaged { got: usize, message: String },
    /// The room for the voxels could not be had.
    NoMemory { bytes: usize },
}

/// `count` numbers of `W` bytes each, converted by `from` as they come.
fn read_numbers<const W: usize, T>(
    input: &mut dyn Read,
    count: usize,
    from: impl Fn([u8; W]) -> T,
) -> Result<Vec<T>, Short> {
    let mut out: Vec<T> = Vec::new();
    out.try_reserve_exact(count)
        .map_err(|_| Short::NoMemory { bytes: count * W })?;
    let mut block = vec![0u8; 1 << 16];
    // Bytes at the block's start left over from the last read (part of one number).
    let mut carried = 0;
    while out.len() < count {
        // Never past the last voxel: what follows is not read here.
        let room = (block.len() - carried).min((count - out.len()) * W - carried);
        let n = match input.read(&mut block[carried..carried + room]) {
            Ok(0) => {
                return Err(Short::Truncated {
                    got: out.len() * W + carried,
                });
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Short::Damaged {
                    got: out.len() * W + carried,
                    message: e.to_string(),
                });
            }
        };
        let have = carried + n;
        let whole = have / W * W;
        out.extend(
            block[..whole]
                .chunks_exact(W)
                .map(|c| from(c.try_into().expect("chunks_exact gives whole values"))),
        );
        block.copy_within(whole..have, 0);
        carried = have - whole;
    }
    Ok(out)
}

/// The bytes of the file at `path`.
pub fn read_file(path: &Path) -> Result<Vec<u8>, RadiomicsError> {
    std::fs::read(path).map_err(|e| RadiomicsError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

/// A volume file's bytes as they are read: gunzipped on the way when they are a gzip stream
/// (recognised by its magic bytes), counted, so that an error can say where the data ended.
pub struct Stream<'a> {
    input: Box<dyn Read + 'a>,
    gzip: bool,
    /// The bytes read so far (decompressed).
    got: usize,
}

impl<'a> Stream<'a> {
    /// The stream of `bytes`, gunzipped when it starts with gzip's magic bytes.
    pub fn new(bytes: &'a [u8]) -> Stream<'a> {
        let gzip = bytes.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn Read + 'a> = if gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(bytes))
        } else {
            Box::new(bytes)
        };
        Stream {
            input,
            gzip,
            got: 0,
        }
    }

    /// `bytes` as they are, whatever their first bytes.
    pub fn new_raw(bytes: &'a [u8]) -> Stream<'a> {
        Stream {
            input: Box::new(bytes),
            gzip: false,
            got: 0,
        }
    }

    /// The gzip stream `bytes` (read as gzip whatever its first bytes).
    pub fn gzip(bytes: &'a [u8]) -> Stream<'a> {
        Stream {
            input: Box::new(flate2::bufread::MultiGzDecoder::new(bytes)),
            gzip: true,
            got: 0,
        }
    }

    fn damaged(&self, e: impl std::fmt::Display) -> String {
        format!(
            "the gzip data is damaged or truncated after {} bytes: {e}",
            self.got
        )
    }

    /// The next `n` bytes, or fewer where the data ends.
    pub fn bytes(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let read = (&mut self.input).take(n as u64).read_to_end(&mut out);
        self.got += out.len();
        read.map_err(|e| self.damaged(e))?;
        Ok(out)
    }

    /// Passes over the next `n` bytes; the count passed over (fewer where the data ends).
    pub fn skip(&mut self, n: usize) -> Result<usize, String> {
        let skipped = std::io::copy(&mut (&mut self.input).take(n as u64), &mut std::io::sink());
        let skipped = skipped.map_err(|e| self.damaged(e))? as usize;
        self.got += skipped;
        Ok(skipped)
    }

    /// The next `count` voxels of `number`: `Err(Ok(got))` when the data ends after `got` of
    /// the bytes they need, `Err(Err(why))` when it cannot be read.
    pub fn voxels(
        &mut self,
        number: Number,
        big: bool,
        count: usize,
    ) -> Result<Voxels, Result<usize, String>> {
        match number.read(big, count, &mut self.input) {
            Ok(voxels) => {
                self.got += count * number.width();
                Ok(voxels)
            }
            Err(Short::Truncated { got }) => {
                self.got += got;
                Err(Ok(got))
            }
            Err(Short::Damaged { got, message }) => {
                self.got += got;
                Err(Err(self.damaged(message)))
            }
            Err(Short::NoMemory { bytes }) => Err(Err(format!(
                "{bytes} bytes of voxels cannot be held in memory"
            ))),
        }
    }

    /// Reads a gzip stream to its end (at most `limit` bytes all told), so that damage past
    /// the voxels (a cut trailer, a wrong checksum) is refused as it was when it was read
    /// whole; memory stays one block whatever the stream holds.
    pub fn finish(mut self, limit: usize) -> Result<(), String> {
        if !self.gzip {
            return Ok(());
        }
        let rest = limit.saturating_sub(self.got);
        self.skip(rest).map(|_| ())
    }
}
