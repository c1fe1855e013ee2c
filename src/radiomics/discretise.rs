//! Grey-level discretisation as PyRadiomics v3.0.1 does it (`imageoperations.getBinEdges` and
//! `binImage`): bin edges from the intensities of the region, then numpy's `digitize`.
//!
//! - `binWidth` w: edges from the largest multiple of w at or below the minimum, every w, up to
//!   below `maximum + 2w` (numpy's `arange`); a flat region whose minimum is a multiple of w
//!   gets the edges `[min − ½, min + ½]`.
//! - `binCount` k: numpy's `histogram` edges (k + 1 evenly spaced from the minimum to the
//!   maximum, or ±½ around a flat region), the last one raised by 1 so that the maximum falls in
//!   bin k.
//!
//! A voxel's grey level is the index of its bin, from 1.

/// How intensities are binned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    Width(f64),
    Count(usize),
}

/// The most grey levels a discretisation may make: beyond it the bin edges alone would take
/// gigabytes (a `binWidth` of 1e-9 over a CT's range), and the texture matrices far more.
pub const MAX_BINS: f64 = 1_048_576.0;

/// How many bins `binning` makes over `values` (at least one value), as a float (it can be
/// astronomically large before [`check`] refuses it).
pub fn bins(values: &[f64], binning: &Binning) -> f64 {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match *binning {
        Binning::Width(w) => width_bins(min, max, w).1,
        Binning::Count(k) => k as f64,
    }
}

/// `binWidth`'s first edge (the largest multiple of `w` at or below `min`; Python's `%`, whose
/// remainder has the divisor's sign) and how many edges reach past `max` + `w`.
fn width_bins(min: f64, max: f64, w: f64) -> (f64, f64) {
    let low = min - min.rem_euclid(w);
    let high = max + 2.0 * w;
    (low, ((high - low) / w).ceil())
}

/// Refuses a discretisation of more than [`MAX_BINS`] grey levels (E0446), naming the setting.
pub fn check(values: &[f64], binning: &Binning) -> Result<(), super::RadiomicsError> {
    let n = bins(values, binning);
    if n.is_finite() && n <= MAX_BINS {
        return Ok(());
    }
    let (setting, value) = match binning {
        Binning::Width(w) => ("binWidth", w.to_string()),
        Binning::Count(k) => ("binCount", k.to_string()),
    };
    Err(super::RadiomicsError::BadSetting {
        setting: setting.into(),
        value,
        why: format!(
            "it makes {n:.3e} grey levels over the region's intensities; at most {MAX_BINS} (raise binWidth, or use a smaller binCount)"
        ),
    })
}

/// The bin edges of `values` (at least one value; [`check`] first).
pub fn edges(values: &[f64], binning: &Binning) -> Vec<f64> {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match *binning {
        Binning::Width(w) => {
            let (low, count) = width_bins(min, max, w);
            let count = count.max(0.0) as usize;
            let edges: Vec<f64> = (0..count).map(|i| low + i as f64 * w).collect();
            if edges.len() == 1 {
                vec![edges[0] - 0.5, edges[0] + 0.5]
            } else {
                edges
            }
        }
        Binning::Count(k) => {
            let (first, last) = if min == max {
                (min - 0.5, max + 0.5)
            } else {
                (min, max)
            };
            let step = (last - first) / k as f64;
            let mut edges: Vec<f64> = (0..=k).map(|i| i as f64 * step + first).collect();
            edges[k] = last + 1.0;
            edges
        }
    }
}

/// The grey level (bin index, from 1) of every value, as `numpy.digitize(values, edges)`.
pub fn discretise(values: &[f64], binning: &Binning) -> Vec<usize> {
    let edges = edges(values, binning);
    values
        .iter()
        .map(|v| edges.partition_point(|e| e <= v))
        .collect()
}
