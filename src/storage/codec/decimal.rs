//! Codec 2: Float64 chunks whose values are short decimals, stored as integers of the fewest
//! bytes (the layout is in `mod.rs` and `docs/storage-format.md`).

use arrow::array::{Array, ArrayRef, Float64Array};

use super::{CHUNK_ROWS, DECIMAL_CODEC, HEADER, compress_into, decompress_exact, seal};

/// Codec 2's header: the common 5 bytes, counts, exponent, width, base and exception count.
const DECIMAL_HEADER: usize = HEADER + 22;

/// Powers of ten up to the largest exponent codec 2 uses; all exact in f64.
pub(super) const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];
/// Integers at or beyond 2^53 are not all exact in f64.
const EXACT: f64 = 9_007_199_254_740_992.0;
/// Values looked at to choose the exponent.
const SAMPLE: usize = 64;

/// `v` as an integer `i` with `i as f64 / 10^e` equal to `v` bit for bit, if there is one.
fn as_decimal(v: f64, e: usize) -> Option<i64> {
    let scaled = (v * POW10[e]).round();
    if scaled.abs() >= EXACT {
        return None;
    }
    let i = scaled as i64;
    ((i as f64 / POW10[e]).to_bits() == v.to_bits()).then_some(i)
}

/// The fewest decimals that give `v` back exactly, if 15 or fewer do.
fn decimals(v: f64) -> Option<usize> {
    (0..POW10.len()).find(|&e| as_decimal(v, e).is_some())
}

/// A chunk's values as integers at one exponent.
struct Scaled {
    /// The exponent: each integer is its value times 10^e.
    e: usize,
    /// One per row; None for a null slot or an exception.
    ints: Vec<Option<i64>>,
    /// The rows whose values are no short decimal, with their bits.
    exceptions: Vec<(u32, u64)>,
    /// The smallest integer (0 when there is none).
    base: i64,
}

/// Codec 2, or None when the values are not short decimals (then codec 1 is used).
pub(super) fn encode_decimal(array: &Float64Array, level: i32) -> Result<Option<Vec<u8>>, String> {
    let n = array.len();
    let count = u32::try_from(n).map_err(|_| format!("a chunk of {n} values is too long"))?;
    let Some(e) = sample_exponent(array) else {
        return Ok(None);
    };
    let Some(scaled) = scale(array, e) else {
        return Ok(None);
    };
    let (plain, width) = pack(array, &scaled);
    let mut out = Vec::with_capacity(DECIMAL_HEADER + plain.len() / 2);
    out.extend_from_slice(&[DECIMAL_CODEC, 0, 0, 0, 0]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&(array.null_count() as u32).to_le_bytes());
    out.push(scaled.e as u8);
    out.push(width as u8);
    out.extend_from_slice(&scaled.base.to_le_bytes());
    out.extend_from_slice(&(scaled.exceptions.len() as u32).to_le_bytes());
    compress_into(&plain, level, &mut out)?;
    seal(out).map(Some)
}

/// The exponent: the most decimals any of a sample of values needs; None when more than one
/// sampled value in 16 is no short decimal. Values that are no short decimal (NaN, infinities,
/// -0.0, full precision) are left to the exceptions.
fn sample_exponent(array: &Float64Array) -> Option<usize> {
    let n = array.len();
    let values = array.values();
    let step = (n / SAMPLE).max(1);
    let (mut e, mut sampled, mut misses) = (0, 0, 0);
    for i in (0..n).step_by(step).filter(|&i| array.is_valid(i)) {
        sampled += 1;
        match decimals(values[i]) {
            Some(d) => e = e.max(d),
            None => misses += 1,
        }
    }
    if misses * 16 > sampled {
        return None;
    }
    Some(e)
}

/// Every value as an integer at exponent `e`, or None when more than one value in 16 is no
/// short decimal. A value that needs more decimals than the sample did raises the exponent and
/// starts the pass again (at most 15 times); values that are no short decimal at all go as
/// exceptions.
fn scale(array: &Float64Array, mut e: usize) -> Option<Scaled> {
    let n = array.len();
    let values = array.values();
    let (ints, exceptions, mut base) = 'pass: loop {
        let mut ints: Vec<Option<i64>> = Vec::with_capacity(n);
        let mut exceptions: Vec<(u32, u64)> = Vec::new();
        let mut base = i64::MAX;
        for (i, &v) in values.iter().enumerate() {
            if !array.is_valid(i) {
                ints.push(None);
                continue;
            }
            if let Some(int) = as_decimal(v, e) {
                base = base.min(int);
                ints.push(Some(int));
                continue;
            }
            match decimals(v) {
                Some(more) if more > e => {
                    e = more;
                    continue 'pass;
                }
                _ if exceptions.len() < n / 16 => {
                    exceptions.push((i as u32, v.to_bits()));
                    ints.push(None);
                }
                _ => return None,
            }
        }
        break (ints, exceptions, base);
    };
    if base == i64::MAX {
        base = 0;
    }
    Some(Scaled {
        e,
        ints,
        exceptions,
        base,
    })
}

/// The body before compression: the null bitmap (if any value is null), every offset from the
/// base in the fewest bytes that hold the largest, then the exceptions. Returns it with that
/// width.
fn pack(array: &Float64Array, scaled: &Scaled) -> (Vec<u8>, usize) {
    let n = array.len();
    let Scaled {
        ints,
        exceptions,
        base,
        ..
    } = scaled;
    // Offsets from the smallest integer; null slots and exceptions take 0, costing no width.
    let offsets: Vec<u64> = ints
        .iter()
        .map(|int| int.map_or(0, |v| v.wrapping_sub(*base) as u64))
        .collect();
    let largest = offsets.iter().copied().max().unwrap_or(0);
    let width = (8 - largest.leading_zeros() as usize / 8).min(8);
    let nulls = array.nulls().filter(|b| b.null_count() > 0);
    let bitmap_len = nulls.map_or(0, |_| n.div_ceil(8));
    let mut plain = Vec::with_capacity(bitmap_len + width * n + 12 * exceptions.len());
    if let Some(nulls) = nulls {
        // `sliced` starts the bitmap at bit 0 whatever the array's offset.
        plain.extend_from_slice(&nulls.inner().sliced()[..bitmap_len]);
    }
    match width {
        0 => {}
        1 => plain.extend(offsets.iter().map(|&o| o as u8)),
        2 => offsets
            .iter()
            .for_each(|&o| plain.extend_from_slice(&(o as u16).to_le_bytes())),
        4 => offsets
            .iter()
            .for_each(|&o| plain.extend_from_slice(&(o as u32).to_le_bytes())),
        _ => offsets
            .iter()
            .for_each(|&o| plain.extend_from_slice(&o.to_le_bytes()[..width])),
    }
    for (row, bits) in exceptions {
        plain.extend_from_slice(&row.to_le_bytes());
        plain.extend_from_slice(&bits.to_le_bytes());
    }
    (plain, width)
}

pub(super) fn decode_decimal(body: &[u8]) -> Result<ArrayRef, String> {
    let Some((head, frame)) = body.split_first_chunk::<{ DECIMAL_HEADER - HEADER }>() else {
        return Err("codec 2 chunk shorter than its header".into());
    };
    let u32_at =
        |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let n = u32_at(0) as usize;
    let null_count = u32_at(4) as usize;
    let (e, width) = (head[8] as usize, head[9] as usize);
    let mut base_bytes = [0u8; 8];
    base_bytes.copy_from_slice(&head[10..18]);
    let base = i64::from_le_bytes(base_bytes);
    let exceptions = u32_at(18) as usize;
    // No chunk holds more than CHUNK_ROWS values, so no header can ask for a large allocation.
    if n > CHUNK_ROWS || null_count > n || exceptions > n || e >= POW10.len() || width > 8 {
        return Err(format!(
            "codec 2 header out of range: {n} values, {null_count} nulls, exponent {e}, width {width}, {exceptions} exceptions"
        ));
    }
    let bitmap_len = if null_count > 0 { n.div_ceil(8) } else { 0 };
    let plain = decompress_exact(frame, bitmap_len + width * n + 12 * exceptions)?;
    let (bitmap, rest) = plain.split_at(bitmap_len);
    let (packed, listed) = rest.split_at(width * n);
    let scale = POW10[e];
    let value = |offset: u64| (base.wrapping_add(offset as i64)) as f64 / scale;
    let mut values: Vec<f64> = match width {
        0 => vec![value(0); n],
        1 => packed.iter().map(|&b| value(u64::from(b))).collect(),
        2 => packed
            .chunks_exact(2)
            .map(|b| value(u64::from(u16::from_le_bytes([b[0], b[1]]))))
            .collect(),
        4 => packed
            .chunks_exact(4)
            .map(|b| value(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
            .collect(),
        _ => packed
            .chunks_exact(width)
            .map(|b| {
                let mut le = [0u8; 8];
                le[..width].copy_from_slice(b);
                value(u64::from_le_bytes(le))
            })
            .collect(),
    };
    for entry in listed.chunks_exact(12) {
        let row = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]) as usize;
        let mut bits = [0u8; 8];
        bits.copy_from_slice(&entry[4..12]);
        let slot = values
            .get_mut(row)
            .ok_or_else(|| format!("codec 2 exception at row {row} of {n}"))?;
        *slot = f64::from_bits(u64::from_le_bytes(bits));
    }
    super::float_array(values, bitmap, null_count)
}
