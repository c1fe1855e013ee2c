//! First-order features as PyRadiomics v3.0.1 defines them (`radiomics/firstorder.py`), over
//! the intensities of the region of interest.
//!
//! - Energy, TotalEnergy and RootMeanSquared add `voxelArrayShift` to every intensity first.
//! - Entropy and Uniformity use the discretised intensities (`discretise`): the fraction of
//!   voxels `p_i` in each occupied bin.
//! - Percentiles are numpy's default (linear interpolation between order statistics), so
//!   Median, InterquartileRange and RobustMeanAbsoluteDeviation follow numpy too.
//! - Variance, Skewness and Kurtosis are population moments (Kurtosis is not the excess); a
//!   flat region has Skewness and Kurtosis 0.

use super::discretise::{Binning, discretise};

/// The first-order features PyRadiomics enables by default, in its order (alphabetical).
pub const FEATURES: [&str; 18] = [
    "10Percentile",
    "90Percentile",
    "Energy",
    "Entropy",
    "InterquartileRange",
    "Kurtosis",
    "Maximum",
    "MeanAbsoluteDeviation",
    "Mean",
    "Median",
    "Minimum",
    "Range",
    "RobustMeanAbsoluteDeviation",
    "RootMeanSquared",
    "Skewness",
    "TotalEnergy",
    "Uniformity",
    "Variance",
];

/// Every feature of [`FEATURES`], in that order, then the deprecated `StandardDeviation`, for
/// the intensities `values` of the region (at least one), each voxel `voxel_volume` mm³.
pub fn firstorder(
    values: &[f64],
    voxel_volume: f64,
    binning: &Binning,
    voxel_array_shift: f64,
) -> Vec<(&'static str, f64)> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let n = values.len() as f64;
    let mean = mean(values);
    let energy: f64 = values.iter().map(|v| (v + voxel_array_shift).powi(2)).sum();
    let m2 = moment(values, mean, 2);
    let (m3, m4) = (moment(values, mean, 3), moment(values, mean, 4));
    let flat = if m2 == 0.0 { 1.0 } else { m2 };
    let p = bin_fractions(values, binning);
    let eps = f64::EPSILON;
    let (p10, p90) = (percentile(&sorted, 10.0), percentile(&sorted, 90.0));
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let values_of = |name: &str| -> f64 {
        match name {
            "10Percentile" => p10,
            "90Percentile" => p90,
            "Energy" => energy,
            "Entropy" => -p.iter().map(|p| p * (p + eps).log2()).sum::<f64>(),
            "InterquartileRange" => percentile(&sorted, 75.0) - percentile(&sorted, 25.0),
            "Kurtosis" => m4 / flat.powi(2),
            "Maximum" => max,
            "Mean" => mean,
            "MeanAbsoluteDeviation" => mean_absolute_deviation(values),
            "Median" => percentile(&sorted, 50.0),
            "Minimum" => min,
            "Range" => max - min,
            "RobustMeanAbsoluteDeviation" => {
                let inner: Vec<f64> = values
                    .iter()
                    .copied()
                    .filter(|v| *v >= p10 && *v <= p90)
                    .collect();
                mean_absolute_deviation(&inner)
            }
            "RootMeanSquared" => (energy / n).sqrt(),
            "Skewness" => m3 / flat.powf(1.5),
            "TotalEnergy" => voxel_volume * energy,
            "Uniformity" => p.iter().map(|p| p * p).sum(),
            // Deprecated in PyRadiomics, computed when named: numpy's nanstd.
            "StandardDeviation" => m2.sqrt(),
            _ => m2,
        }
    };
    FEATURES
        .iter()
        .chain(&["StandardDeviation"])
        .map(|f| (*f, values_of(f)))
        .collect()
}

/// The arithmetic mean.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The `k`-th central moment (population).
fn moment(values: &[f64], mean: f64, k: i32) -> f64 {
    values.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / values.len() as f64
}

/// The mean absolute deviation from the mean.
fn mean_absolute_deviation(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|v| (v - m).abs()).sum::<f64>() / values.len() as f64
}

/// The fraction of the voxels in each occupied bin, in bin order.
fn bin_fractions(values: &[f64], binning: &Binning) -> Vec<f64> {
    let bins = discretise(values, binning);
    let mut counts = std::collections::BTreeMap::<usize, usize>::new();
    for b in bins {
        *counts.entry(b).or_default() += 1;
    }
    let n = values.len() as f64;
    counts.values().map(|c| *c as f64 / n).collect()
}

/// numpy's `percentile(a, q)` with its default method (`linear`) of the sorted `sorted`,
/// computed as numpy 1.26 computes it: the virtual index `n·q + (1 − q) − 1`, then a linear
/// interpolation that counts back from the upper value when the fraction is at least ½.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let quantile = q / 100.0;
    // numpy's `alpha` and `beta` of the `linear` method.
    let (alpha, beta) = (1.0, 1.0);
    let virtual_index = n as f64 * quantile + (alpha + quantile * (1.0 - alpha - beta)) - 1.0;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let lo = (below.max(0.0) as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    if gamma >= 0.5 {
        b - diff * (1.0 - gamma)
    } else {
        a + diff * gamma
    }
}
