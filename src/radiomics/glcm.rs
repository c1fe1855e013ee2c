//! The grey-level co-occurrence matrix (GLCM) and its 24 features, as PyRadiomics v3.0.1
//! computes them (`radiomics/glcm.py`, `cmatrices.c`'s `calculate_glcm`).
//!
//! - One matrix per angle: the 13 neighbour offsets of infinity-norm distance 1 in 3-D whose
//!   first non-zero component (z, then y, then x) is positive (the 4 in the plane with
//!   `force2D`). A pair counts when both voxels are in the region.
//! - Symmetrical by default (the matrix plus its transpose); only the grey levels present in
//!   the region are rows and columns, and they keep their values (`i`, `j` below).
//! - Angles without any pair are dropped; each matrix is divided by its sum.
//! - Every feature is computed per angle and averaged over the angles, ignoring NaN (numpy's
//!   `nanmean`); `JointAverage` is the plain mean of `μx`.

use super::eigen::symmetric_eigenvalues;
use super::{Grid, Weighting};

/// The GLCM features PyRadiomics enables by default, in its order (alphabetical).
pub const FEATURES: [&str; 24] = [
    "Autocorrelation",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "Correlation",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "Id",
    "Idm",
    "Idmn",
    "Idn",
    "Imc1",
    "Imc2",
    "InverseVariance",
    "JointAverage",
    "JointEnergy",
    "JointEntropy",
    "MCC",
    "MaximumProbability",
    "SumAverage",
    "SumEntropy",
    "SumSquares",
];

/// numpy's `spacing(1)`.
const EPS: f64 = f64::EPSILON;

/// The offsets (dx, dy, dz) whose infinity norm is one of `distances` and whose first
/// non-zero component in numpy's axis order (z, y, x) is positive, in the order
/// `cmatrices.c`'s `build_angles` makes them (each component from +d down to −d, z slowest).
/// An offset as long as the grid (`size`, x, y, z) or longer in some axis is left out, as is,
/// with `force2D`, one that moves along `flat` (0 = x, 1 = y, 2 = z).
pub fn angles(flat: Option<usize>, size: [usize; 3], distances: &[u32]) -> Vec<[i64; 3]> {
    let max = distances.iter().copied().max().unwrap_or(1) as i64;
    let fits = |offset: [i64; 3]| {
        (0..3).all(|a| {
            offset[a].unsigned_abs() < size[a] as u64 && (flat != Some(a) || offset[a] == 0)
        })
    };
    // An offset as long as the grid is left out anyway, so each axis only goes as far as the
    // grid (a parameter file's `distances: [100000]` loops over the grid, not 10¹⁵ offsets).
    let reach = |a: usize| max.min(size[a].saturating_sub(1) as i64);
    let (rx, ry, rz) = (reach(0), reach(1), reach(2));
    let mut out = Vec::new();
    for dz in (-rz..=rz).rev() {
        for dy in (-ry..=ry).rev() {
            for dx in (-rx..=rx).rev() {
                let first = [dz, dy, dx].into_iter().find(|v| *v != 0);
                let offset = [dx, dy, dz];
                let norm = offset.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
                if first.is_some_and(|f| f > 0)
                    && fits(offset)
                    && distances.iter().any(|d| u64::from(*d) == norm)
                {
                    out.push(offset);
                }
            }
        }
    }
    out
}

/// The normalised matrices of the angles that have pairs, over the grey levels present
/// (`levels`, ascending).
fn matrices(
    grid: &Grid,
    levels: &[u32],
    symmetrical: bool,
    weighting: Option<Weighting>,
) -> Vec<Vec<f64>> {
    let n = levels.len();
    // Each voxel's row in the matrix (its grey level's place among `levels`, at most
    // `MAX_GLCM_LEVELS`), looked up once.
    let rows = super::padded::Rows::new(levels);
    let index: Vec<u32> = grid
        .levels
        .iter()
        .map(|l| match l {
            0 => u32::MAX,
            l => rows.of(*l) as u32,
        })
        .collect();
    let [nx, ny, nz] = grid.size.map(|s| s as i64);
    let mut out = Vec::new();
    for [dx, dy, dz] in angles(grid.flat, grid.size, &grid.distances) {
        let mut p = vec![0.0; n * n];
        // The voxels whose neighbour at the angle is on the grid, and the step to it.
        let range = |d: i64, size: i64| (-d).max(0)..(size - d).min(size);
        let step = dx + nx * (dy + ny * dz);
        for z in range(dz, nz) {
            for y in range(dy, ny) {
                let row = nx * (y + ny * z);
                for x in range(dx, nx) {
                    let k = (row + x) as usize;
                    let here = index[k];
                    if here == u32::MAX {
                        continue;
                    }
                    let there = index[(k as i64 + step) as usize];
                    if there != u32::MAX {
                        p[here as usize * n + there as usize] += 1.0;
                    }
                }
            }
        }
        if symmetrical {
            let t: Vec<f64> = (0..n * n).map(|k| p[(k % n) * n + k / n]).collect();
            p.iter_mut().zip(t).for_each(|(a, b)| *a += b);
        }
        if let Some(w) = weighting {
            // One matrix for all angles: each weighted by exp(−‖a‖²).
            let weight = (-w.norm([dx, dy, dz], grid.spacing).powi(2)).exp();
            let weight = if w == Weighting::NoWeighting {
                1.0
            } else {
                weight
            };
            match out.first_mut() {
                Some(total) => {
                    let total: &mut Vec<f64> = total;
                    total.iter_mut().zip(&p).for_each(|(t, v)| *t += v * weight);
                }
                None => out.push(p.iter().map(|v| v * weight).collect()),
            }
            continue;
        }
        out.push(p);
    }
    // Angles without a pair are dropped; each matrix is divided by its sum.
    out.retain(|p| p.iter().sum::<f64>() > 0.0);
    for p in &mut out {
        let sum: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= sum);
    }
    out
}

/// The 24 features of [`FEATURES`], in that order, of the grey levels of `grid` (0 outside
/// the region), with PyRadiomics' `Ng` the highest grey level in the region.
pub fn glcm(
    grid: &Grid,
    symmetrical: bool,
    weighting: Option<Weighting>,
) -> Vec<(&'static str, f64)> {
    let levels = grid.present();
    let ng = levels.last().copied().unwrap_or(0) as f64;
    let matrices = matrices(grid, &levels, symmetrical, weighting);
    let per_angle: Vec<Angle> = matrices.iter().map(|p| Angle::of(p, &levels, ng)).collect();
    FEATURES
        .iter()
        .map(|name| {
            let value = if *name == "JointAverage" {
                plain_mean(per_angle.iter().map(|a| a.ux))
            } else if *name == "MCC" && levels.len() < 2 {
                1.0
            } else {
                nan_mean(per_angle.iter().map(|a| a.feature(name)))
            };
            (*name, value)
        })
        .collect()
}

fn plain_mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// numpy's `nanmean`: the mean of the values that are not NaN (NaN when there is none).
pub(super) fn nan_mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.filter(|v| !v.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// One angle's normalised matrix and the coefficients its features share.
struct Angle<'a> {
    p: &'a [f64],
    g: Vec<f64>,
    n: usize,
    ng: f64,
    px: Vec<f64>,
    py: Vec<f64>,
    ux: f64,
    uy: f64,
    /// `p_{x+y}(k)` for k = 2 … 2·Ng.
    sum_of: Vec<f64>,
    /// `p_{x−y}(k)` for k = 0 … Ng − 1.
    difference_of: Vec<f64>,
    hxy: f64,
}

impl<'a> Angle<'a> {
    fn of(p: &'a [f64], levels: &[u32], ng: f64) -> Angle<'a> {
        let n = levels.len();
        let g: Vec<f64> = levels.iter().map(|l| *l as f64).collect();
        let px: Vec<f64> = (0..n).map(|i| (0..n).map(|j| p[i * n + j]).sum()).collect();
        let py: Vec<f64> = (0..n).map(|j| (0..n).map(|i| p[i * n + j]).sum()).collect();
        let mut ux = 0.0;
        let mut uy = 0.0;
        let mut sum_of = vec![0.0; (2.0 * ng) as usize - 1];
        let mut difference_of = vec![0.0; ng as usize];
        for i in 0..n {
            for j in 0..n {
                let v = p[i * n + j];
                ux += g[i] * v;
                uy += g[j] * v;
                sum_of[(g[i] + g[j]) as usize - 2] += v;
                difference_of[(g[i] - g[j]).abs() as usize] += v;
            }
        }
        let hxy = -p.iter().map(|v| v * (v + EPS).log2()).sum::<f64>();
        Angle {
            p,
            g,
            n,
            ng,
            px,
            py,
            ux,
            uy,
            sum_of,
            difference_of,
            hxy,
        }
    }

    /// Σ p(i, j)·f(i, j) over the grey levels' values.
    fn sum(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        let mut total = 0.0;
        for i in 0..self.n {
            for j in 0..self.n {
                total += self.p[i * self.n + j] * f(self.g[i], self.g[j]);
            }
        }
        total
    }

    fn feature(&self, name: &str) -> f64 {
        let (ux, uy, ng) = (self.ux, self.uy, self.ng);
        let diff = &self.difference_of;
        let over_diff = |f: &dyn Fn(f64) -> f64| -> f64 {
            diff.iter().enumerate().map(|(k, v)| v * f(k as f64)).sum()
        };
        match name {
            "Autocorrelation" => self.sum(|i, j| i * j),
            "ClusterProminence" => self.sum(|i, j| (i + j - ux - uy).powi(4)),
            "ClusterShade" => self.sum(|i, j| (i + j - ux - uy).powi(3)),
            "ClusterTendency" => self.sum(|i, j| (i + j - ux - uy).powi(2)),
            "Contrast" => self.sum(|i, j| (i - j).abs().powi(2)),
            "Correlation" => self.correlation(),
            "DifferenceAverage" => over_diff(&|k| k),
            "DifferenceEntropy" => entropy(diff),
            "DifferenceVariance" => {
                let average = over_diff(&|k| k);
                over_diff(&|k| (k - average).powi(2))
            }
            "Id" => over_diff(&|k| 1.0 / (1.0 + k)),
            "Idm" => over_diff(&|k| 1.0 / (1.0 + k.powi(2))),
            "Idmn" => over_diff(&|k| 1.0 / (1.0 + k.powi(2) / ng.powi(2))),
            "Idn" => over_diff(&|k| 1.0 / (1.0 + k / ng)),
            "Imc1" => self.imc1(),
            "Imc2" => self.imc2(),
            "InverseVariance" => diff
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, v)| v / (k as f64).powi(2))
                .sum(),
            "JointEnergy" => self.p.iter().map(|v| v * v).sum(),
            "JointEntropy" => self.hxy,
            "MCC" => self.mcc(),
            "MaximumProbability" => self.p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "SumAverage" => self
                .sum_of
                .iter()
                .enumerate()
                .map(|(k, v)| (k + 2) as f64 * v)
                .sum(),
            "SumEntropy" => entropy(&self.sum_of),
            "SumSquares" => self.sum(|i, _| (i - ux).powi(2)),
            _ => f64::NAN,
        }
    }

    fn correlation(&self) -> f64 {
        let (ux, uy) = (self.ux, self.uy);
        let sigx = self.sum(|i, _| (i - ux).powi(2)).sqrt();
        let sigy = self.sum(|_, j| (j - uy).powi(2)).sqrt();
        if sigx * sigy == 0.0 {
            return 1.0;
        }
        self.sum(|i, j| (i - ux) * (j - uy)) / (sigx * sigy + EPS)
    }

    fn imc1(&self) -> f64 {
        let hx = entropy(&self.px);
        let hy = entropy(&self.py);
        let mut hxy1 = 0.0;
        for i in 0..self.n {
            for j in 0..self.n {
                hxy1 -= self.p[i * self.n + j] * (self.px[i] * self.py[j] + EPS).log2();
            }
        }
        let div = hx.max(hy);
        if div == 0.0 {
            return 0.0;
        }
        (self.hxy - hxy1) / div
    }

    fn imc2(&self) -> f64 {
        let mut hxy2 = 0.0;
        for i in 0..self.n {
            for j in 0..self.n {
                let q = self.px[i] * self.py[j];
                hxy2 -= q * (q + EPS).log2();
            }
        }
        if hxy2 == self.hxy {
            return 0.0;
        }
        (1.0 - (-2.0 * (hxy2 - self.hxy)).exp()).sqrt()
    }

    /// The maximal correlation coefficient: the square root of the second largest
    /// eigenvalue of `Q(i, j) = Σ_k p(i, k)·p(j, k) / (p_x(i)·p_y(k))`. Q is similar to the
    /// symmetric `D^½ Q D^-½` (D = diag p_x), whose eigenvalues are found instead; grey levels
    /// without a pair at this angle give eigenvalues 0.
    fn mcc(&self) -> f64 {
        let n = self.n;
        let rows: Vec<usize> = (0..n).filter(|i| self.px[*i] > 0.0).collect();
        let m = rows.len();
        let mut s = vec![0.0; m * m];
        for (a, &i) in rows.iter().enumerate() {
            for (b, &j) in rows.iter().enumerate().skip(a) {
                let mut v = 0.0;
                for k in 0..n {
                    if self.py[k] > 0.0 {
                        v += self.p[i * n + k] * self.p[j * n + k] / self.py[k];
                    }
                }
                let v = v / (self.px[i] * self.px[j]).sqrt();
                s[a * m + b] = v;
                s[b * m + a] = v;
            }
        }
        let mut eigen = symmetric_eigenvalues(&s, m);
        eigen.extend(std::iter::repeat_n(0.0, n - m));
        eigen.sort_by(f64::total_cmp);
        eigen[n - 2].sqrt()
    }
}

/// `−Σ v·log2(v + ε)`.
fn entropy(values: &[f64]) -> f64 {
    -values.iter().map(|v| v * (v + EPS).log2()).sum::<f64>()
}
