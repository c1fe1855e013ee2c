//! Encoding of one column chunk. Three codecs, told apart by the first byte:
//!
//! ```text
//! codec 1 (any type)
//! byte 0         1
//! bytes 1..5     CRC-32 (IEEE) of bytes 5.., little-endian
//! bytes 5..      zstd frame holding an Arrow IPC stream: schema + one record batch
//!
//! codec 2 (Float64 whose values are short decimals; storage format 2)
//! byte 0         2
//! bytes 1..5     CRC-32 (IEEE) of bytes 5.., little-endian
//! bytes 5..9     value count n, u32 LE
//! bytes 9..13    null count, u32 LE
//! byte 13        exponent e (0..=15)
//! byte 14        width w (0..=8)
//! bytes 15..23   base, i64 LE
//! bytes 23..27   exception count x, u32 LE
//! bytes 27..     zstd frame of: the validity bitmap (ceil(n/8) bytes, Arrow's bit order; only
//!                when the null count is not 0); n offsets, w bytes each, LE; x exceptions,
//!                each a row (u32 LE) and the value's bits (u64 LE)
//!
//! codec 3 (Float64 that codec 2 declines; storage format 3)
//! byte 0         3
//! bytes 1..5     CRC-32 (IEEE) of bytes 5.., little-endian
//! bytes 5..9     value count n, u32 LE
//! bytes 9..13    null count, u32 LE
//! bytes 13..     zstd frame of: the validity bitmap (as codec 2's); then the n values'
//!                IEEE-754 bits (LE) split by byte: every value's byte 0, then every byte 1, …,
//!                every byte 7
//! ```
//!
//! Value i of a codec-2 chunk is `(base + offset_i) as f64 / 10^e`, computed exactly so, unless
//! row i is an exception, whose bits are stored. Measured data is written as short decimals
//! (FPKM with 6 significant digits, three-decimal intensities), so its floats are integers
//! divided by a power of ten: the encoder takes the fewest decimals that a sample of the chunk
//! needs, checks every value gives back its exact bits, and stores the integers, less the
//! smallest, in the fewest bytes the chunk's range needs: 2 bytes a value for three-decimal
//! values below 65 (the ingest bench), 4 for six decimals below 4,294, up to 7 for six decimals
//! and values in the hundreds of millions (R01-007's MIB1), instead of 8; zstd then has that
//! much less to compress. Nothing about the array's type is stored: a
//! codec-2 chunk is always Float64. A chunk whose values are not short decimals (PyRadiomics'
//! 17 significant digits), or has more than one exception in 16 values, is written in codec 3
//! in a format-3 database and in codec 1 in an older one.
//!
//! Codec 3 is Parquet's BYTE_STREAM_SPLIT: the bytes of a full-precision float are split into
//! eight streams, so that the exponent bytes, nearly constant down a column, sit together and
//! zstd finds them. On the real PyRadiomics file it is 9.3% smaller than zstd of the plain
//! values, on `rgdb synth`'s 6%.
//!
//! zstd compression contexts, and codec 2's decompression context, are kept per thread and
//! reused, so writing a chunk costs no context allocation.

use std::cell::RefCell;
use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow::datatypes::{Field, Schema};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;

use super::catalog::CHUNK_ROWS;

mod decimal;
mod split;

use decimal::{decode_decimal, encode_decimal};
use split::{decode_split, encode_split};

const IPC_CODEC: u8 = 1;
const DECIMAL_CODEC: u8 = 2;
const SPLIT_CODEC: u8 = 3;
const HEADER: usize = 5;

/// How chunks are encoded: the zstd level, and whether Float64 chunks may use codec 2 (only in
/// databases of storage format 2 and later) and codec 3 (format 3 and later), so that an older
/// rgdb never meets a chunk it cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub level: i32,
    pub decimal_floats: bool,
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
        Some(floats) if encoding.decimal_floats => match encode_decimal(floats, encoding.level)? {
            Some(bytes) => Ok(bytes),
            None if encoding.split_floats => encode_split(floats, encoding.level),
            None => encode_ipc(array, encoding.level),
        },
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
    if ![IPC_CODEC, DECIMAL_CODEC, SPLIT_CODEC].contains(&bytes[0]) {
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
        (DECIMAL_CODEC, body) => decode_decimal(body),
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

/// A Float64 array of `values` whose validity is `bitmap` (Arrow's bit order; empty when
/// `null_count` is 0), checking that the bitmap holds the null count the header gave.
fn float_array(values: Vec<f64>, bitmap: &[u8], null_count: usize) -> Result<ArrayRef, String> {
    let n = values.len();
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
    let array =
        Float64Array::try_new(ScalarBuffer::from(values), nulls).map_err(|e| e.to_string())?;
    Ok(Arc::new(array))
}

#[cfg(test)]
mod tests {
    use super::decimal::POW10;
    use super::*;
    use arrow::array::StringArray;
    use proptest::prelude::*;

    /// `good` with `bytes` written at `at` and its checksum made to match again: damage that
    /// only the codec's own checks can catch.
    fn resealed(good: &[u8], at: usize, bytes: &[u8]) -> Vec<u8> {
        let mut bad = good.to_vec();
        bad[at..at + bytes.len()].copy_from_slice(bytes);
        let crc = crc32fast::hash(&bad[5..]);
        bad[1..5].copy_from_slice(&crc.to_le_bytes());
        bad
    }

    const IPC: Encoding = Encoding {
        level: 1,
        decimal_floats: false,
        split_floats: false,
    };
    const DECIMAL: Encoding = Encoding {
        level: 1,
        decimal_floats: true,
        split_floats: false,
    };
    const SPLIT: Encoding = Encoding {
        level: 1,
        decimal_floats: true,
        split_floats: true,
    };

    fn floats(array: &ArrayRef) -> &Float64Array {
        array.as_any().downcast_ref::<Float64Array>().unwrap()
    }

    fn array(values: Vec<Option<f64>>) -> ArrayRef {
        Arc::new(Float64Array::from(values))
    }

    /// Equal values bit for bit (NaN payloads and -0.0 included) and equal nulls.
    fn same(a: &Float64Array, b: &Float64Array) -> bool {
        a.len() == b.len()
            && (0..a.len()).all(|i| {
                a.is_null(i) == b.is_null(i)
                    && (a.is_null(i) || a.value(i).to_bits() == b.value(i).to_bits())
            })
    }

    /// Encodes, checks the codec byte, decodes and compares.
    fn round_trip(a: &ArrayRef, encoding: Encoding, codec: u8) -> Vec<u8> {
        let bytes = encode(a, encoding).unwrap();
        assert_eq!(bytes[0], codec);
        let back = decode(&bytes).unwrap();
        assert!(same(floats(&back), floats(a)));
        bytes
    }

    #[test]
    fn round_trip_keeps_values_and_nulls() {
        let a = array(vec![Some(1.5), None, Some(f64::NAN)]);
        round_trip(&a, IPC, 1);
        // Three values allow no exception, and NaN is not a decimal: codec 1.
        round_trip(&a, DECIMAL, 1);
    }

    #[test]
    fn the_real_rnaseq_values_are_short_decimals() {
        // A row of tests/../rnaseq_fpkm_subset_130x140.tsv (R01-023), and R01-007's MIB1.
        let row = [
            0.608692,
            0.0,
            5.25214,
            5.67746,
            2.54001,
            2.756338,
            4.887704,
            25.15467,
            7.681565,
            2.052899,
            3.398158,
            5.319459,
            9.225343,
            11.7704,
            0.0,
            9.911958,
            295_000_030.0,
        ];
        let a = array(row.iter().map(|&v| Some(v)).collect());
        let bytes = round_trip(&a, DECIMAL, 2);
        assert_eq!(bytes[13], 6, "six decimals");
        // 295000030 × 10^6 needs 49 bits: 7 bytes an offset.
        assert_eq!(bytes[14], 7);
    }

    #[test]
    fn exceptions_keep_every_bit_pattern() {
        let mut values: Vec<Option<f64>> = (0..128).map(|i| Some(i as f64 / 8.0)).collect();
        let specials = [
            f64::NAN,
            f64::from_bits(0x7ff8_dead_beef_0001), // a NaN with a payload
            f64::INFINITY,
            -0.0,
        ];
        for (k, v) in specials.iter().enumerate() {
            values[10 + 7 * k] = Some(*v);
        }
        values[3] = None;
        let a = array(values);
        let bytes = round_trip(&a, DECIMAL, 2);
        assert_eq!(u32::from_le_bytes(bytes[23..27].try_into().unwrap()), 4);
        // More exceptions than one in 16: codec 1.
        let mut many: Vec<Option<f64>> = (0..128).map(|i| Some(i as f64)).collect();
        for k in 0..9 {
            many[1 + 13 * k] = Some(f64::NAN);
        }
        round_trip(&array(many), DECIMAL, 1);
    }

    #[test]
    fn full_precision_floats_stay_codec_1() {
        // PyRadiomics prints 17 significant digits: no short decimal gives them back.
        let a = array(
            (1..100)
                .map(|i| Some((i as f64).sqrt() * 1234.5678))
                .collect(),
        );
        round_trip(&a, DECIMAL, 1);
        // A format-3 database splits their bytes instead, and it is smaller.
        let split = round_trip(&a, SPLIT, 3);
        assert!(split.len() < encode(&a, DECIMAL).unwrap().len());
        // Short decimals still take codec 2.
        round_trip(&array(vec![Some(1.25); 100]), SPLIT, 2);
    }

    #[test]
    fn codec_3_keeps_every_bit_pattern_nulls_and_slices() {
        let mut values: Vec<Option<f64>> = (0..500)
            .map(|i| Some((i as f64 + 0.1).ln() * std::f64::consts::PI))
            .collect();
        values.extend([
            Some(f64::NAN),
            Some(-0.0),
            Some(f64::INFINITY),
            Some(f64::MIN_POSITIVE / 3.0),
            None,
            None,
        ]);
        let a = array(values);
        round_trip(&a, SPLIT, 3);
        round_trip(&a.slice(3, 400), SPLIT, 3);
        round_trip(&array(vec![None; 9]), SPLIT, 2);
        round_trip(&array(vec![]), SPLIT, 2);
    }

    #[test]
    fn codec_3_headers_that_disagree_are_errors_not_panics() {
        let a = array(vec![Some(1.0 / 3.0), None, Some(2.0f64.sqrt())]);
        let good = encode(&a, SPLIT).unwrap();
        assert_eq!(good[0], 3);
        let damage: [(usize, &[u8]); 4] = [
            (5, &4u32.to_le_bytes()),
            (5, &(CHUNK_ROWS as u32 + 1).to_le_bytes()),
            (9, &0u32.to_le_bytes()),
            (9, &9u32.to_le_bytes()),
        ];
        for (at, bytes) in damage {
            assert!(
                decode(&resealed(&good, at, bytes)).is_err(),
                "byte {at} = {bytes:?}"
            );
        }
        let mut bad = good.clone();
        bad[7] ^= 1;
        assert!(decode(&bad).unwrap_err().contains("checksum mismatch"));
    }

    #[test]
    fn codec_2_handles_empty_all_null_constant_and_sliced_arrays() {
        round_trip(&array(vec![]), DECIMAL, 2);
        let bytes = round_trip(&array(vec![None; 13]), DECIMAL, 2);
        assert_eq!(bytes[14], 0, "no width for nothing");
        let bytes = round_trip(&array(vec![Some(-2.5); 1000]), DECIMAL, 2);
        assert_eq!((bytes[13], bytes[14]), (1, 0));
        // A slice at a bit offset that is not a byte boundary.
        let base = Float64Array::from(
            (0..40)
                .map(|i| (i % 3 != 0).then_some(i as f64 - 20.25))
                .collect::<Vec<_>>(),
        );
        let sliced: ArrayRef = Arc::new(base.slice(3, 30));
        round_trip(&sliced, DECIMAL, 2);
    }

    #[test]
    fn other_types_keep_codec_1() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("Adenocarcinoma"), None]));
        let bytes = encode(&a, DECIMAL).unwrap();
        assert_eq!(bytes[0], 1);
        assert_eq!(decode(&bytes).unwrap().as_ref(), a.as_ref());
    }

    #[test]
    fn flipped_byte_is_detected() {
        let text: ArrayRef = Arc::new(StringArray::from(vec!["Adenocarcinoma"; 100]));
        let numbers = array(vec![Some(1.25); 100]);
        for bytes in [
            encode(&text, IPC).unwrap(),
            encode(&numbers, DECIMAL).unwrap(),
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
    fn inconsistent_codec_2_headers_are_errors_not_panics() {
        let a = array(vec![Some(1.0), None, Some(3.5)]);
        let good = encode(&a, DECIMAL).unwrap();
        assert_eq!(good[0], 2);
        // (byte offset, new value) pairs that make the header disagree with the frame.
        let damage: [(usize, &[u8]); 8] = [
            (5, &4u32.to_le_bytes()),
            (5, &u32::MAX.to_le_bytes()),
            (9, &0u32.to_le_bytes()),
            (9, &9u32.to_le_bytes()),
            (13, &[16]),
            (14, &[9]),
            (23, &1u32.to_le_bytes()),
            (5, &(CHUNK_ROWS as u32 + 1).to_le_bytes()),
        ];
        for (at, bytes) in damage {
            assert!(
                decode(&resealed(&good, at, bytes)).is_err(),
                "byte {at} = {bytes:?}"
            );
        }
        assert!(decode(&[2, 0, 0, 0, 0]).is_err());
        // Frames whose contents disagree with a consistent header: a bitmap with another null
        // count, and an exception row past the end.
        let frame = |plain: &[u8]| zstd::bulk::compress(plain, 1).unwrap();
        let chunk = |counts: [u32; 2], e: u8, width: u8, exceptions: u32, plain: &[u8]| {
            let mut out = vec![2, 0, 0, 0, 0];
            out.extend_from_slice(&counts[0].to_le_bytes());
            out.extend_from_slice(&counts[1].to_le_bytes());
            out.extend_from_slice(&[e, width]);
            out.extend_from_slice(&0i64.to_le_bytes());
            out.extend_from_slice(&exceptions.to_le_bytes());
            out.extend_from_slice(&frame(plain));
            seal(out).unwrap()
        };
        // 3 values and 1 null: the bitmap 0b011 agrees (row 2 is NULL); 0b001 has two.
        assert!(decode(&chunk([3, 1], 0, 1, 0, &[0b011, 1, 2, 3])).is_ok());
        let err = decode(&chunk([3, 1], 0, 1, 0, &[0b001, 1, 2, 3])).unwrap_err();
        assert!(
            err.contains("the bitmap holds 2 nulls, the header says 1"),
            "{err}"
        );
        let mut past = vec![1, 2, 3];
        past.extend_from_slice(&7u32.to_le_bytes());
        past.extend_from_slice(&1.5f64.to_bits().to_le_bytes());
        let err = decode(&chunk([3, 0], 0, 1, 1, &past)).unwrap_err();
        assert!(err.contains("exception at row 7 of 3"), "{err}");
    }

    #[test]
    fn codec_2_is_smaller_on_decimal_floats() {
        // FPKM-like values with three decimals, as the ingest bench writes them.
        let values: Vec<Option<f64>> = (0..2048u64)
            .map(|i| Some(((i * 2_654_435_761) % 40_000) as f64 / 1000.0))
            .collect();
        let a = array(values);
        let ipc = round_trip(&a, IPC, 1);
        let decimal = round_trip(&a, DECIMAL, 2);
        // 2 bytes a value (the integers below 40,000) against 3 for zstd on the f64 bytes.
        assert!(
            decimal.len() * 4 < ipc.len() * 3,
            "decimal {} vs ipc {}",
            decimal.len(),
            ipc.len()
        );
    }

    proptest! {
        #[test]
        fn codec_2_round_trips_any_floats(
            bits in proptest::collection::vec(any::<u64>(), 0..300),
            null_every in 0usize..5,
        ) {
            let values = bits
                .iter()
                .enumerate()
                .map(|(i, b)| (null_every == 0 || i % (null_every + 1) != 0).then(|| f64::from_bits(*b)))
                .collect();
            let a = array(values);
            let back = decode(&encode(&a, DECIMAL).unwrap()).unwrap();
            prop_assert!(same(floats(&back), floats(&a)));
        }

        #[test]
        fn codec_2_round_trips_decimals(
            ints in proptest::collection::vec(-10_000_000_000i64..10_000_000_000, 1..300),
            decimals in 0usize..10,
            odd in proptest::collection::vec(any::<u64>(), 0..4),
            null_every in 0usize..5,
            offset in 0usize..9,
        ) {
            let mut values: Vec<Option<f64>> = ints
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    (null_every == 0 || i % (null_every + 1) != 0)
                        .then(|| v as f64 / POW10[decimals])
                })
                .collect();
            for (k, b) in odd.iter().enumerate() {
                let at = (k * 37) % values.len();
                values[at] = Some(f64::from_bits(*b));
            }
            let whole = Float64Array::from(values);
            let offset = offset.min(whole.len());
            let a: ArrayRef = Arc::new(whole.slice(offset, whole.len() - offset));
            let bytes = encode(&a, DECIMAL).unwrap();
            // Pure decimals (|i| · 10^-d, exact below 2^53) always take codec 2.
            if odd.is_empty() {
                prop_assert_eq!(bytes[0], 2);
            }
            let back = decode(&bytes).unwrap();
            prop_assert!(same(floats(&back), floats(&a)));
        }
    }
}
