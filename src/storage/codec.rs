//! Encoding of one column chunk: an Arrow IPC stream of a single-column batch, compressed
//! with zstd, behind a 5-byte header carrying the codec version and a CRC-32 checksum.
//!
//! ```text
//! byte 0      codec version (1)
//! bytes 1..5  CRC-32 (IEEE) of bytes 5.., little-endian
//! bytes 5..   zstd frame holding an Arrow IPC stream: schema + one record batch
//! ```

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{Field, Schema};
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;

const CODEC_VERSION: u8 = 1;
const HEADER: usize = 5;

/// Encodes one chunk. `level` is the zstd level.
pub fn encode(array: &ArrayRef, level: i32) -> Result<Vec<u8>, String> {
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
    let compressed = zstd::bulk::compress(&ipc, level).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(HEADER + compressed.len());
    out.push(CODEC_VERSION);
    out.extend_from_slice(&crc32fast::hash(&compressed).to_le_bytes());
    out.extend_from_slice(&compressed);
    Ok(out)
}

/// Checks a chunk's header and checksum without decoding it.
pub fn verify(bytes: &[u8]) -> Result<(), String> {
    payload(bytes).map(|_| ())
}

fn payload(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.len() < HEADER {
        return Err(format!(
            "chunk is {} bytes, shorter than its header",
            bytes.len()
        ));
    }
    if bytes[0] != CODEC_VERSION {
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
    Ok(body)
}

/// Decodes one chunk back into its array.
pub fn decode(bytes: &[u8]) -> Result<ArrayRef, String> {
    let body = payload(bytes)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Float64Array, StringArray};

    #[test]
    fn round_trip_keeps_values_and_nulls() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.5), None, Some(f64::NAN)]));
        let back = decode(&encode(&a, 3).unwrap()).unwrap();
        let back = back.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(back.value(0), 1.5);
        assert!(back.is_null(1));
        assert!(back.value(2).is_nan());
    }

    #[test]
    fn flipped_byte_is_detected() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["Adenocarcinoma"; 100]));
        let mut bytes = encode(&a, 3).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        assert!(decode(&bytes).unwrap_err().contains("checksum mismatch"));
    }
}
