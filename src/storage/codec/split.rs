//! Codec 3: Float64 chunks that codec 2 declines, their bytes split into eight streams
//! (Parquet's BYTE_STREAM_SPLIT; the layout is in `mod.rs` and `docs/storage-format.md`).

use arrow::array::{Array, ArrayRef, Float64Array};

use super::{CHUNK_ROWS, HEADER, SPLIT_CODEC, compress_into, decompress_exact, seal};

/// Codec 3's header: the common 5 bytes, the value count and the null count.
const SPLIT_HEADER: usize = HEADER + 8;

/// Codec 3: the validity bitmap, then the values' bytes split into eight streams.
pub(super) fn encode_split(array: &Float64Array, level: i32) -> Result<Vec<u8>, String> {
    let n = array.len();
    let count = u32::try_from(n).map_err(|_| format!("a chunk of {n} values is too long"))?;
    let nulls = array.nulls().filter(|b| b.null_count() > 0);
    let bitmap_len = nulls.map_or(0, |_| n.div_ceil(8));
    let mut plain = vec![0u8; bitmap_len + 8 * n];
    if let Some(nulls) = nulls {
        plain[..bitmap_len].copy_from_slice(&nulls.inner().sliced()[..bitmap_len]);
    }
    let streams = &mut plain[bitmap_len..];
    for (i, v) in array.values().iter().enumerate() {
        for (b, byte) in v.to_bits().to_le_bytes().into_iter().enumerate() {
            streams[b * n + i] = byte;
        }
    }
    let mut out = Vec::with_capacity(SPLIT_HEADER + plain.len());
    out.extend_from_slice(&[SPLIT_CODEC, 0, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(array.null_count() as u32).to_le_bytes());
    compress_into(&plain, level, &mut out)?;
    seal(out)
}

pub(super) fn decode_split(body: &[u8]) -> Result<ArrayRef, String> {
    let Some((head, frame)) = body.split_first_chunk::<{ SPLIT_HEADER - HEADER }>() else {
        return Err("codec 3 chunk shorter than its header".into());
    };
    let n = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let null_count = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    // No chunk holds more than CHUNK_ROWS values, so no header can ask for a large allocation.
    if n > CHUNK_ROWS || null_count > n {
        return Err(format!(
            "codec 3 header out of range: {n} values, {null_count} nulls"
        ));
    }
    let bitmap_len = if null_count > 0 { n.div_ceil(8) } else { 0 };
    let plain = decompress_exact(frame, bitmap_len + 8 * n)?;
    let (bitmap, streams) = plain.split_at(bitmap_len);
    let values: Vec<f64> = (0..n)
        .map(|i| {
            let mut le = [0u8; 8];
            for (b, byte) in le.iter_mut().enumerate() {
                *byte = streams[b * n + i];
            }
            f64::from_bits(u64::from_le_bytes(le))
        })
        .collect();
    super::float_array(values, bitmap, null_count)
}
