//! What the image readers share: reading a file whole, streaming its data (gunzipped with a
//! bound), and the voxel number types with their decoding, a block at a time, into
//! [`Voxels`] of that type.

use std::io::Read;
use std::path::Path;

use super::RadiomicsError;
use super::voxels::Voxels;

/// `$body` with `$t` the Rust type of the [`Number`] `$number`, its vector made [`Voxels`].
macro_rules! typed {
    ($number:expr, $t:ident => $body:expr) => {
        typed!(@ $number, $t, $body; I8 i8, U8 u8, I16 i16, U16 u16, I32 i32, U32 u32,
            I64 i64, U64 u64, F32 f32, F64 f64)
    };
    (@ $number:expr, $t:ident, $body:expr; $($variant:ident $ty:ty),*) => {
        match $number {
            $(Number::$variant => Voxels::from({
                type $t = $ty;
                $body
            }),)*
        }
    };
}

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
        Ok(
            typed!(self, T => read_numbers::<{ std::mem::size_of::<T>() }, T>(
            input,
            count,
            |b| if big { T::from_be_bytes(b) } else { T::from_le_bytes(b) },
        )?),
        )
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

/// The first two bytes of every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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
        if bytes.starts_with(&GZIP_MAGIC) {
            Stream::gzip(bytes)
        } else {
            Stream::new_raw(bytes)
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

/// `count` voxels of `number` after the first `skip` bytes of the single-member gzip stream
/// `gz`, inflated by libdeflate in one call straight into the voxels' memory. `None` when
/// that does not apply, and the caller streams instead: several members or trailing bytes,
/// a stated size (the gzip trailer) other than `skip` plus the voxels, a `skip` that is not a
/// whole number of voxels, damaged data (whose error the stream then places), or no memory.
pub fn inflate_voxels(
    gz: &[u8],
    skip: usize,
    number: Number,
    big: bool,
    count: usize,
) -> Option<Voxels> {
    let width = number.width();
    let total = count.checked_mul(width)?.checked_add(skip)?;
    let stated = u32::from_le_bytes(gz.get(gz.len().checked_sub(4)?..)?.try_into().ok()?);
    // Deflate expands at most 1,032 times: a stream that claims more (a forged header and
    // trailer) cannot hold its voxels, and the stream reports where it ends, having held only
    // what it read.
    let possible = gz.len().saturating_mul(MAX_RATIO);
    if !gz.starts_with(&GZIP_MAGIC)
        || stated != total as u32
        || !skip.is_multiple_of(width)
        || total > possible
    {
        return None;
    }
    let swap = big != cfg!(target_endian = "big");
    Some(typed!(number, T => inflate_into::<T>(gz, skip / width, count, swap)?))
}

/// The most a deflate stream expands (zlib's technical notes: 1,032 to 1).
const MAX_RATIO: usize = 1032;

/// A voxel type libdeflate can fill as bytes, with its byte order reversible.
trait Filled: zerocopy::IntoBytes + zerocopy::FromBytes + Copy + Default {
    fn swapped(self) -> Self;
}

macro_rules! filled {
    ($($t:ty),*) => {$(
        impl Filled for $t {
            fn swapped(self) -> Self {
                self.swap_bytes()
            }
        }
    )*};
}
filled!(i8, u8, i16, u16, i32, u32, i64, u64);

impl Filled for f32 {
    fn swapped(self) -> Self {
        f32::from_bits(self.to_bits().swap_bytes())
    }
}

impl Filled for f64 {
    fn swapped(self) -> Self {
        f64::from_bits(self.to_bits().swap_bytes())
    }
}

/// The stream inflated into `skip + count` values of `T`, the first `skip` (the header
/// before the voxels) then dropped.
fn inflate_into<T: Filled>(gz: &[u8], skip: usize, count: usize, swap: bool) -> Option<Vec<T>> {
    use zerocopy::IntoBytes;
    // Declined when the room cannot be had; else zeroed pages, mapped as they are written:
    // nothing is touched that the stream does not fill.
    Vec::<T>::new().try_reserve_exact(skip + count).ok()?;
    let mut out = vec![T::default(); skip + count];
    let bytes = out.as_mut_bytes();
    let n = libdeflater::Decompressor::new()
        .gzip_decompress(gz, bytes)
        .ok()?;
    if n != bytes.len() {
        return None;
    }
    if skip > 0 {
        out.copy_within(skip.., 0);
        out.truncate(count);
    }
    if swap {
        out.iter_mut().for_each(|v| *v = v.swapped());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    /// The one-call inflate gives the voxels the stream gives, in either byte order and after
    /// a header; it declines what only the stream reads (two members, a wrong stated size, a
    /// header that is not a whole number of voxels, a cut stream).
    #[test]
    fn the_one_call_inflate_equals_the_stream_or_declines() {
        let values: Vec<i16> = (0..5000)
            .map(|v: i32| ((v * 7919) % 4001 - 2000) as i16)
            .collect();
        for big in [false, true] {
            let mut plain = vec![0xAAu8; 352];
            for v in &values {
                plain.extend(if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                });
            }
            let gz = gzip(&plain);
            let fast = inflate_voxels(&gz, 352, Number::I16, big, values.len()).unwrap();
            let mut stream = Stream::new(&gz);
            stream.skip(352).unwrap();
            let streamed = stream.voxels(Number::I16, big, values.len()).unwrap();
            assert_eq!(fast, streamed);
            assert_eq!(fast, Voxels::I16(values.clone()));
            // Declined: two members (the last one's stated size agreeing), more voxels than
            // stated, a header of 351 bytes (its stated size agreeing), a cut.
            let mut two = gzip(b"");
            two.extend(gzip(&plain));
            let short = gzip(&plain[1..]);
            assert_eq!(
                inflate_voxels(&short, 351, Number::I16, big, values.len()),
                None
            );
            assert_eq!(
                inflate_voxels(&two, 352, Number::I16, big, values.len()),
                None
            );
            assert_eq!(
                inflate_voxels(&gz, 352, Number::I16, big, values.len() + 1),
                None
            );
            assert_eq!(
                inflate_voxels(&gz, 351, Number::I16, big, values.len()),
                None
            );
            assert_eq!(
                inflate_voxels(&gz[..gz.len() - 20], 352, Number::I16, big, values.len()),
                None
            );
            // A header and trailer forged to claim 4 GiB: declined before any room is made.
            let mut forged = gz.clone();
            let n = forged.len();
            forged[n - 4..].copy_from_slice(&352u32.to_le_bytes());
            assert_eq!(
                inflate_voxels(&forged, 352, Number::I16, big, 1 << 31),
                None
            );
            // The stream reads the two members as one.
            let mut stream = Stream::new(&two);
            stream.skip(352).unwrap();
            assert_eq!(stream.voxels(Number::I16, big, values.len()).unwrap(), fast);
        }
        let floats: Vec<f32> = (0..100).map(|v| v as f32 * 0.25 - 3.0).collect();
        let plain: Vec<u8> = floats.iter().flat_map(|v| v.to_be_bytes()).collect();
        assert_eq!(
            inflate_voxels(&gzip(&plain), 0, Number::F32, true, 100),
            Some(Voxels::F32(floats))
        );
    }
}
