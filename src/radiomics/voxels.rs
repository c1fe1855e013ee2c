//! A volume's voxels, kept in the number type of the file they were read from: a CT's `i16`
//! takes a quarter of the memory of `f64`, a label map's `u8` an eighth, and a case reads,
//! scans and frees two whole volumes. Every reading of a voxel gives `f64` (exact for every
//! type a CT or a label map is stored in), so what computes on voxels sees one number type.
//!
//! Hand-written rather than taken from a crate (`ndarray`, `num-traits`): the few operations
//! the extraction runs over whole volumes (find a label, gather a region, sum and bound every
//! voxel) are monomorphised per type here, with no dependency brought in.

/// The voxels of a volume, x fastest, in their number type.
#[derive(Debug, Clone, PartialEq)]
pub enum Voxels {
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Runs `$body` with `$v` bound to the typed vector of whichever variant `$voxels` is.
macro_rules! each {
    ($voxels:expr, $v:ident => $body:expr) => {
        match $voxels {
            Voxels::I8($v) => $body,
            Voxels::U8($v) => $body,
            Voxels::I16($v) => $body,
            Voxels::U16($v) => $body,
            Voxels::I32($v) => $body,
            Voxels::U32($v) => $body,
            Voxels::I64($v) => $body,
            Voxels::U64($v) => $body,
            Voxels::F32($v) => $body,
            Voxels::F64($v) => $body,
        }
    };
}

/// A voxel number type.
pub trait Sample: Copy + PartialEq + PartialOrd + Default {
    /// The value as `f64`, as every reader has always given it.
    fn to_f64(self) -> f64;
    /// `v` in this type, when comparing a voxel with it natively is the same as comparing the
    /// voxel's `f64` with `v` (for integers: `v` whole, in range and below 2⁵³).
    fn native(v: f64) -> Option<Self>;
    /// An integer of at most 16 bits: a sum of up to 2³¹ of them (`MAX_VOXELS`) is exact in
    /// `i64` and in `f64`, so summing in integers gives the same bits as summing in `f64` one
    /// by one; and the bounds are found in the type itself.
    const SMALL_INTEGER: bool;
    /// The value as `i64` (used only for a [`Sample::SMALL_INTEGER`]).
    fn to_i64(self) -> i64;
}

macro_rules! integer {
    ($t:ty, $exact:expr) => {
        impl Sample for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn native(v: f64) -> Option<Self> {
                let whole = v.fract() == 0.0 && v.abs() < (1u64 << 53) as f64;
                (whole && v >= <$t>::MIN as f64 && v <= <$t>::MAX as f64).then(|| v as $t)
            }
            const SMALL_INTEGER: bool = $exact;
            fn to_i64(self) -> i64 {
                self as i64
            }
        }
    };
}

integer!(i8, true);
integer!(u8, true);
integer!(i16, true);
integer!(u16, true);
integer!(i32, false);
integer!(u32, false);
integer!(i64, false);
integer!(u64, false);

impl Sample for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn native(v: f64) -> Option<Self> {
        ((v as f32) as f64 == v).then_some(v as f32)
    }
    const SMALL_INTEGER: bool = false;
    fn to_i64(self) -> i64 {
        self as i64
    }
}

impl Sample for f64 {
    fn to_f64(self) -> f64 {
        self
    }
    fn native(v: f64) -> Option<Self> {
        Some(v)
    }
    const SMALL_INTEGER: bool = false;
    fn to_i64(self) -> i64 {
        self as i64
    }
}

/// The mean, the least and the greatest voxel (NaN voxels left out of the bounds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

macro_rules! from_vec {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<Vec<$t>> for Voxels {
            fn from(v: Vec<$t>) -> Voxels {
                Voxels::$variant(v)
            }
        }
    )*};
}

from_vec!(i8 => I8, u8 => U8, i16 => I16, u16 => U16, i32 => I32, u32 => U32, i64 => I64,
    u64 => U64, f32 => F32, f64 => F64);

impl Voxels {
    /// The voxel count.
    pub fn len(&self) -> usize {
        each!(self, v => v.len())
    }

    /// Whether there is no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The voxel at index `k`.
    #[inline]
    pub fn get(&self, k: usize) -> f64 {
        each!(self, v => v[k].to_f64())
    }

    /// Every voxel as `f64`.
    pub fn to_f64(&self) -> Vec<f64> {
        each!(self, v => v.iter().map(|x| x.to_f64()).collect())
    }

    /// The voxels at `indices`, as `f64`.
    pub fn gather(&self, indices: &[usize]) -> Vec<f64> {
        each!(self, v => indices.iter().map(|k| v[*k].to_f64()).collect())
    }

    /// The indices, ascending, of the voxels equal to `value`.
    pub fn positions(&self, value: f64) -> Vec<usize> {
        each!(self, v => positions(v, value))
    }

    /// Every voxel's value `f` maps to, as `f64` voxels.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Voxels {
        each!(self, v => Voxels::F64(v.iter().map(|x| f(x.to_f64())).collect()))
    }

    /// The mean, least and greatest voxel (the bounds ignoring NaN); the sum is exact for
    /// whole-number voxels.
    pub fn summary(&self) -> Summary {
        each!(self, v => summary(v))
    }

    /// The `limit` smallest distinct values, ascending, as whole numbers (what a label map
    /// holds), for an error message: memory stays `limit` values whatever the volume's size.
    pub fn labels(&self, limit: usize) -> Vec<i64> {
        let mut present = std::collections::BTreeSet::new();
        each!(self, v => for x in v {
            present.insert(x.to_f64() as i64);
            if present.len() > limit {
                present.pop_last();
            }
        });
        present.into_iter().collect()
    }
}

fn positions<T: Sample>(v: &[T], value: f64) -> Vec<usize> {
    let Some(t) = T::native(value) else {
        return (0..v.len()).filter(|k| v[*k].to_f64() == value).collect();
    };
    // Whole blocks without the value are passed over by a comparison the compiler vectorises:
    // a label is a few per cent of a volume.
    const BLOCK: usize = 64;
    let mut out = Vec::new();
    for (b, block) in v.chunks(BLOCK).enumerate() {
        if !block.iter().fold(false, |any, x| any | (*x == t)) {
            continue;
        }
        let base = b * BLOCK;
        out.extend(
            (0..block.len())
                .filter(|k| block[*k] == t)
                .map(|k| base + k),
        );
    }
    out
}

fn summary<T: Sample>(v: &[T]) -> Summary {
    let n = v.len() as f64;
    if T::SMALL_INTEGER {
        // Summed in integers (exact, so the same bits as in f64 one by one) and bounded in
        // the type itself: passes the compiler vectorises.
        let sum = v.iter().map(|x| x.to_i64()).sum::<i64>() as f64;
        let lo = v.iter().copied().reduce(|a, b| if b < a { b } else { a });
        let hi = v.iter().copied().reduce(|a, b| if b > a { b } else { a });
        return Summary {
            mean: sum / n,
            min: lo.map_or(f64::INFINITY, T::to_f64),
            max: hi.map_or(f64::NEG_INFINITY, T::to_f64),
        };
    }
    // One pass in eight lanes the compiler vectorises. A sum of whole-number voxels (a CT,
    // whatever its type) is exact in any order while it stays below 2⁵³, so it has the bits of
    // a sum one by one; fractional voxels may differ from that in the last bit (numpy sums
    // pairwise anyway).
    const LANES: usize = 8;
    let mut sum = [-0.0f64; LANES];
    let mut lo = [f64::INFINITY; LANES];
    let mut hi = [f64::NEG_INFINITY; LANES];
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..LANES {
            let x = chunk[lane].to_f64();
            sum[lane] += x;
            lo[lane] = lo[lane].min(x);
            hi[lane] = hi[lane].max(x);
        }
    }
    for x in rest {
        let x = x.to_f64();
        sum[0] += x;
        lo[0] = lo[0].min(x);
        hi[0] = hi[0].max(x);
    }
    Summary {
        mean: sum.iter().fold(-0.0, |a, b| a + b) / n,
        min: lo.into_iter().fold(f64::INFINITY, f64::min),
        max: hi.into_iter().fold(f64::NEG_INFINITY, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_found_in_every_type_as_in_f64() {
        let values = [0.0, 1.0, 2.0, 1.0, 255.0, 0.0];
        let f: Vec<f64> = values.to_vec();
        let typed = [
            Voxels::U8(values.iter().map(|v| *v as u8).collect()),
            Voxels::I16(values.iter().map(|v| *v as i16).collect()),
            Voxels::U32(values.iter().map(|v| *v as u32).collect()),
            Voxels::F32(values.iter().map(|v| *v as f32).collect()),
            Voxels::F64(f.clone()),
        ];
        for v in &typed {
            for label in [1.0, 255.0, 0.5, -1.0, 1e20, f64::NAN] {
                let expected: Vec<usize> = (0..f.len()).filter(|k| f[*k] == label).collect();
                assert_eq!(v.positions(label), expected, "{v:?} {label}");
            }
        }
        // Across block boundaries.
        let mut long = vec![0u8; 1000];
        long[63] = 3;
        long[64] = 3;
        long[999] = 3;
        assert_eq!(Voxels::U8(long).positions(3.0), vec![63, 64, 999]);
    }

    #[test]
    fn the_summary_is_the_f64_one() {
        // 19 values: two whole blocks of eight lanes and a remainder.
        let ints: Vec<i16> = (0..19).map(|k| (k * 397 % 4066 - 1000) as i16).collect();
        let as_f64: Vec<f64> = ints.iter().map(|v| *v as f64).collect();
        let expected = Summary {
            mean: as_f64.iter().sum::<f64>() / 19.0,
            min: as_f64.iter().copied().fold(f64::INFINITY, f64::min),
            max: as_f64.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        };
        assert_eq!((expected.min, expected.max), (-1000.0, 2970.0));
        assert_eq!(Voxels::I16(ints.clone()).summary(), expected);
        assert_eq!(Voxels::F64(as_f64.clone()).summary(), expected);
        let floats: Vec<f32> = ints.iter().map(|v| *v as f32).collect();
        assert_eq!(Voxels::F32(floats).summary(), expected);
        // A NaN inside a whole block: the mean is NaN, the bounds leave it out.
        let mut holed = as_f64;
        holed[5] = f64::NAN;
        let s = Voxels::F64(holed).summary();
        assert!(s.mean.is_nan());
        assert_eq!((s.min, s.max), (-1000.0, 2970.0));
    }
}
