//! Encoding of one column chunk. Two codecs, told apart by the first byte:
//!
//! ```text
//! codec 1 (any type)
//! byte 0       1
//! bytes 1..5   CRC-32 (IEEE) of bytes 5.., little-endian
//! bytes 5..    zstd frame holding an Arrow IPC stream: schema + one record batch
//!
//! codec 2 (Float64, storage format 2)
//! byte 0       2
//! bytes 1..5   CRC-32 (IEEE) of bytes 5.., little-endian
//! bytes 5..9   value count n, u32 LE
//! bytes 9..13  null count, u32 LE
//! bytes 13..   zstd frame of: the validity bitmap (ceil(n/8) bytes, Arrow's bit order; only
//!              when the null count is not 0), then the values byte-stream-split: 8 planes of
//!              n bytes, plane b holding byte b of every value's little-endian bits
//! ```
//!
//! Codec 2 is Parquet's BYTE_STREAM_SPLIT. Floats of measured data (expression, radiomics) have
//! sign and exponent bytes that repeat and mantissa bytes that do not; split into planes, zstd
//! compresses the first quickly and stores the others nearly as they are, which is both smaller
//! and cheaper than compressing the interleaved bytes. Nothing about the array's type is
//! stored: a codec-2 chunk is always Float64.
//!
//! zstd contexts are kept per thread and reused, so a chunk costs no context allocation.

use std::cell::RefCell;
use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow::datatypes::{Field, Schema};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;

const IPC_CODEC: u8 = 1;
const SPLIT_CODEC: u8 = 2;
const HEADER: usize = 5;
/// Codec 2's header: the common 5 bytes, the value count and the null count.
const SPLIT_HEADER: usize = HEADER + 8;

/// How chunks are encoded: the zstd level, and whether Float64 chunks may use codec 2 (only in
/// databases of storage format 2, so that an older rgdb never meets a chunk it cannot read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub level: i32,
    pub split_floats: bool,
}

thread_local! {
    static COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// zstd-compresses `data` at `level` with this thread's context, appending the frame to `out`.
fn compress_into(data: &[u8], level: i32, out: &mut Vec<u8>) -> Result<(), String> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(l, _)| *l != level) {
            let compressor = zstd::bulk::Compressor::new(level).map_err(|e| e.to_string())?;
            *slot = Some((level, compressor));
        }
        let (_, compressor) = slot.as_mut().expect("set above");
        let start = out.len();
        out.resize(start + zstd::zstd_safe::compress_bound(data.len()), 0);
        let written = compressor
            .compress_to_buffer(data, &mut out[start..])
            .map_err(|e| e.to_string())?;
        out.truncate(start + written);
        Ok(())
    })
}

/// Decompresses a zstd frame that must hold exactly `size` bytes. The frame's own size field
/// is checked first, so a damaged count never allocates more than the frame says it holds.
fn decompress_exact(frame: &[u8], size: usize) -> Result<Vec<u8>, String> {
    match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(held)) if held == size as u64 => {}
        Ok(Some(held)) => return Err(format!("zstd frame holds {held} bytes, expected {size}")),
        Ok(None) | Err(_) => return Err("zstd frame without a readable size".to_string()),
    }
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(|e| format!("zstd: {e}"))?);
        }
        let decompressor = slot.as_mut().expect("set above");
        let mut out = vec![0u8; size];
        let written = decompressor
            .decompress_to_buffer(frame, &mut out[..])
            .map_err(|e| format!("zstd: {e}"))?;
        if written != size {
            return Err(format!("zstd: {written} bytes, expected {size}"));
        }
        Ok(out)
    })
}

/// Encodes one chunk.
pub fn encode(array: &ArrayRef, encoding: Encoding) -> Result<Vec<u8>, String> {
    match array.as_any().downcast_ref::<Float64Array>() {
        Some(floats) if encoding.split_floats => encode_split(floats, encoding.level),
        _ => encode_ipc(array, encoding.level),
    }
}

fn encode_ipc(array: &ArrayRef, level: i32) -> Result<Vec<u8>, String> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "v",
        array.data_type().clone(),
        true,
    )]));
    let batch =
        RecordBatch::try_new(schema.clone(), vec![array.clone()]).map_err(|e| e.to_string())?;
    let mut ipc = Vec::with_capacity(array.get_array_memory_size() + 256);
    {
        let mut writer = StreamWriter::try_new(&mut ipc, &schema).map_err(|e| e.to_string())?;
        writer.write(&batch).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    let mut out = vec![IPC_CODEC, 0, 0, 0, 0];
    compress_into(&ipc, level, &mut out)?;
    seal(out)
}

fn encode_split(array: &Float64Array, level: i32) -> Result<Vec<u8>, String> {
    let n = array.len();
    let count = u32::try_from(n).map_err(|_| format!("a chunk of {n} values is too long"))?;
    let nulls = array.nulls().filter(|b| b.null_count() > 0);
    let bitmap_len = nulls.map_or(0, |_| n.div_ceil(8));
    let mut plain = Vec::with_capacity(bitmap_len + 8 * n);
    if let Some(nulls) = nulls {
        // `sliced` starts the bitmap at bit 0 whatever the array's offset.
        plain.extend_from_slice(&nulls.inner().sliced()[..bitmap_len]);
    }
    let values = array.values();
    for byte in 0..8 {
        let shift = 8 * byte;
        plain.extend(values.iter().map(|v| (v.to_bits() >> shift) as u8));
    }
    let mut out = Vec::with_capacity(SPLIT_HEADER + plain.len() / 2);
    out.extend_from_slice(&[SPLIT_CODEC, 0, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(array.null_count() as u32).to_le_bytes());
    compress_into(&plain, level, &mut out)?;
    seal(out)
}

/// Writes the CRC of bytes 5.. into bytes 1..5.
fn seal(mut out: Vec<u8>) -> Result<Vec<u8>, String> {
    let crc = crc32fast::hash(&out[HEADER..]);
    out[1..HEADER].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Checks a chunk's header and checksum without decoding it.
pub fn verify(bytes: &[u8]) -> Result<(), String> {
    payload(bytes).map(|_| ())
}

/// The codec byte and the checksummed body after the 5-byte header.
fn payload(bytes: &[u8]) -> Result<(u8, &[u8]), String> {
    if bytes.len() < HEADER {
        return Err(format!(
            "chunk is {} bytes, shorter than its header",
            bytes.len()
        ));
    }
    if bytes[0] != IPC_CODEC && bytes[0] != SPLIT_CODEC {
        return Err(format!("unknown chunk codec version {}", bytes[0]));
    }
    let stored = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let body = &bytes[HEADER..];
    let actual = crc32fast::hash(body);
    if stored != actual {
        return Err(format!(
            "checksum mismatch (stored {stored:08x}, computed {actual:08x})"
        ));
    }
    Ok((bytes[0], body))
}

/// Decodes one chunk back into its array.
pub fn decode(bytes: &[u8]) -> Result<ArrayRef, String> {
    match payload(bytes)? {
        (SPLIT_CODEC, body) => decode_split(body),
        (_, body) => decode_ipc(body),
    }
}

fn decode_ipc(body: &[u8]) -> Result<ArrayRef, String> {
    let ipc = zstd::stream::decode_all(body).map_err(|e| format!("zstd: {e}"))?;
    let mut reader =
        StreamReader::try_new(Cursor::new(ipc), None).map_err(|e| format!("arrow ipc: {e}"))?;
    let batch = reader
        .next()
        .ok_or_else(|| "chunk holds no record batch".to_string())?
        .map_err(|e| format!("arrow ipc: {e}"))?;
    if batch.num_columns() != 1 {
        return Err(format!(
            "chunk holds {} columns, not 1",
            batch.num_columns()
        ));
    }
    Ok(batch.column(0).clone())
}

fn decode_split(body: &[u8]) -> Result<ArrayRef, String> {
    let (counts, frame) = body
        .split_first_chunk::<8>()
        .ok_or_else(|| "codec 2 chunk shorter than its counts".to_string())?;
    let n = u32::from_le_bytes([counts[0], counts[1], counts[2], counts[3]]) as usize;
    let null_count = u32::from_le_bytes([counts[4], counts[5], counts[6], counts[7]]) as usize;
    if null_count > n {
        return Err(format!("{null_count} nulls in a chunk of {n} values"));
    }
    let bitmap_len = if null_count > 0 { n.div_ceil(8) } else { 0 };
    let plain = decompress_exact(frame, bitmap_len + 8 * n)?;
    let (bitmap, planes) = plain.split_at(bitmap_len);
    let mut bits = vec![0u64; n];
    for (byte, plane) in planes.chunks_exact(n.max(1)).enumerate().take(8) {
        let shift = 8 * byte;
        for (b, &p) in bits.iter_mut().zip(plane) {
            *b |= u64::from(p) << shift;
        }
    }
    // The u64 bit patterns are the f64 values: the buffer is reinterpreted, not copied.
    let values = ScalarBuffer::<f64>::new(Buffer::from_vec(bits), 0, n);
    let nulls = if null_count > 0 {
        let nulls = NullBuffer::new(BooleanBuffer::new(Buffer::from(bitmap), 0, n));
        if nulls.null_count() != null_count {
            return Err(format!(
                "the bitmap holds {} nulls, the header says {null_count}",
                nulls.null_count()
            ));
        }
        Some(nulls)
    } else {
        None
    };
    let array = Float64Array::try_new(values, nulls).map_err(|e| e.to_string())?;
    Ok(Arc::new(array))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;
    use proptest::prelude::*;

    const IPC: Encoding = Encoding {
        level: 3,
        split_floats: false,
    };
    const SPLIT: Encoding = Encoding {
        level: 1,
        split_floats: true,
    };

    fn floats(array: &ArrayRef) -> &Float64Array {
        array.as_any().downcast_ref::<Float64Array>().unwrap()
    }

    /// Equal values bit for bit (NaN payloads and -0.0 included) and equal nulls.
    fn same(a: &Float64Array, b: &Float64Array) -> bool {
        a.len() == b.len()
            && (0..a.len()).all(|i| {
                a.is_null(i) == b.is_null(i)
                    && (a.is_null(i) || a.value(i).to_bits() == b.value(i).to_bits())
            })
    }

    #[test]
    fn round_trip_keeps_values_and_nulls() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.5), None, Some(f64::NAN)]));
        for encoding in [IPC, SPLIT] {
            let bytes = encode(&a, encoding).unwrap();
            assert_eq!(bytes[0], if encoding.split_floats { 2 } else { 1 });
            let back = decode(&bytes).unwrap();
            assert!(same(floats(&back), floats(&a)));
        }
    }

    #[test]
    fn codec_2_keeps_every_bit_pattern() {
        let specials = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::from_bits(0x7ff8_dead_beef_0001), // a NaN with a payload
            f64::MIN_POSITIVE / 3.0,               // subnormal
            f64::MAX,
            295_000_030.0, // R01-007's MIB1 in the NSCLC RNA-seq
        ];
        let a: ArrayRef = Arc::new(Float64Array::from(specials.to_vec()));
        let bytes = encode(&a, SPLIT).unwrap();
        assert!(same(floats(&decode(&bytes).unwrap()), floats(&a)));
        // Without nulls there is no bitmap: header, then the frame of the 8 planes.
        assert_eq!(&bytes[5..13], &[8, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn codec_2_handles_empty_all_null_and_sliced_arrays() {
        let empty: ArrayRef = Arc::new(Float64Array::from(Vec::<f64>::new()));
        assert_eq!(decode(&encode(&empty, SPLIT).unwrap()).unwrap().len(), 0);
        let nulls: ArrayRef = Arc::new(Float64Array::from(vec![None::<f64>; 13]));
        let back = decode(&encode(&nulls, SPLIT).unwrap()).unwrap();
        assert_eq!((back.len(), back.null_count()), (13, 13));
        // A slice at a bit offset that is not a byte boundary.
        let base = Float64Array::from(
            (0..40)
                .map(|i| (i % 3 != 0).then_some(i as f64))
                .collect::<Vec<_>>(),
        );
        let sliced: ArrayRef = Arc::new(base.slice(3, 30));
        let back = decode(&encode(&sliced, SPLIT).unwrap()).unwrap();
        assert!(same(floats(&back), floats(&sliced)));
    }

    #[test]
    fn other_types_keep_codec_1() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("Adenocarcinoma"), None]));
        let bytes = encode(&a, SPLIT).unwrap();
        assert_eq!(bytes[0], 1);
        assert_eq!(decode(&bytes).unwrap().as_ref(), a.as_ref());
    }

    #[test]
    fn flipped_byte_is_detected() {
        let text: ArrayRef = Arc::new(StringArray::from(vec!["Adenocarcinoma"; 100]));
        let numbers: ArrayRef = Arc::new(Float64Array::from(vec![1.25; 100]));
        for bytes in [
            encode(&text, IPC).unwrap(),
            encode(&numbers, SPLIT).unwrap(),
        ] {
            for at in [1, 6, 10, bytes.len() - 1] {
                let mut bad = bytes.clone();
                bad[at] ^= 0x40;
                assert!(
                    decode(&bad).unwrap_err().contains("checksum mismatch"),
                    "byte {at}"
                );
            }
        }
    }

    #[test]
    fn inconsistent_codec_2_counts_are_errors_not_panics() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0)]));
        let good = encode(&a, SPLIT).unwrap();
        for (count, nulls) in [(4u32, 1u32), (2, 1), (3, 0), (3, 2), (3, 9), (u32::MAX, 0)] {
            let mut bad = good.clone();
            bad[5..9].copy_from_slice(&count.to_le_bytes());
            bad[9..13].copy_from_slice(&nulls.to_le_bytes());
            let crc = crc32fast::hash(&bad[5..]);
            bad[1..5].copy_from_slice(&crc.to_le_bytes());
            assert!(decode(&bad).is_err(), "count {count}, nulls {nulls}");
        }
        assert!(decode(&[2, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn codec_2_is_smaller_on_measured_floats() {
        // FPKM-like values with three decimals, as in the NSCLC RNA-seq matrix.
        let values: Vec<f64> = (0..2048u64)
            .map(|i| ((i * 2_654_435_761) % 40_000) as f64 / 1000.0)
            .collect();
        let a: ArrayRef = Arc::new(Float64Array::from(values));
        let ipc = encode(
            &a,
            Encoding {
                level: 1,
                split_floats: false,
            },
        )
        .unwrap();
        let split = encode(&a, SPLIT).unwrap();
        assert!(
            split.len() < ipc.len(),
            "split {} vs ipc {}",
            split.len(),
            ipc.len()
        );
    }

    proptest! {
        #[test]
        fn codec_2_round_trips_any_floats(
            bits in proptest::collection::vec(any::<u64>(), 0..300),
            null_every in 0usize..5,
        ) {
            let a = Float64Array::from(
                bits.iter()
                    .enumerate()
                    .map(|(i, b)| (null_every == 0 || i % (null_every + 1) != 0).then(|| f64::from_bits(*b)))
                    .collect::<Vec<_>>(),
            );
            let a: ArrayRef = Arc::new(a);
            let back = decode(&encode(&a, SPLIT).unwrap()).unwrap();
            prop_assert!(same(floats(&back), floats(&a)));
        }
    }
}
