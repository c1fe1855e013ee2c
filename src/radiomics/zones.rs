//! GLRLM (runs), GLSZM (zones), GLDM (dependence) and NGTDM (neighbourhood differences), as
//! PyRadiomics v3.0.1 counts them (`cmatrices.c`) and computes their features (`glrlm.py`,
//! `glszm.py`, `gldm.py`, `ngtdm.py`).
//!
//! - GLRLM: along each of GLCM's 13 angles, runs of consecutive region voxels of one grey
//!   level; an angle along which no line crosses two region voxels is dropped, as are angles
//!   without runs; each feature is averaged over the angles (NaN ignored).
//! - GLSZM: zones of one grey level connected through any of the 26 neighbours.
//! - GLDM: for each region voxel, the neighbours (of 26 at the default `distances` [1], in the
//!   region) within `gldm_a` grey levels of it; its dependence is that count plus 1.
//! - NGTDM: for each region voxel, the absolute difference between its grey level and the mean
//!   of its neighbours' (at `distances`) in the region (0 without any), summed by grey level.

use super::glcm::{angles, nan_mean};
use super::padded::{Padded, Rows};
use super::sizes::{CountMatrix, Kind, Margins};
use super::{Grid, Weighting};

/// The GLRLM features PyRadiomics enables by default, in its order, with the shared feature
/// each is.
pub const GLRLM: [(&str, Kind); 16] = [
    ("GrayLevelNonUniformity", Kind::LevelNonUniformity),
    (
        "GrayLevelNonUniformityNormalized",
        Kind::LevelNonUniformityNormalized,
    ),
    ("GrayLevelVariance", Kind::LevelVariance),
    ("HighGrayLevelRunEmphasis", Kind::HighLevelEmphasis),
    ("LongRunEmphasis", Kind::LargeEmphasis),
    ("LongRunHighGrayLevelEmphasis", Kind::LargeHighEmphasis),
    ("LongRunLowGrayLevelEmphasis", Kind::LargeLowEmphasis),
    ("LowGrayLevelRunEmphasis", Kind::LowLevelEmphasis),
    ("RunEntropy", Kind::Entropy),
    ("RunLengthNonUniformity", Kind::CountNonUniformity),
    (
        "RunLengthNonUniformityNormalized",
        Kind::CountNonUniformityNormalized,
    ),
    ("RunPercentage", Kind::Percentage),
    ("RunVariance", Kind::CountVariance),
    ("ShortRunEmphasis", Kind::SmallEmphasis),
    ("ShortRunHighGrayLevelEmphasis", Kind::SmallHighEmphasis),
    ("ShortRunLowGrayLevelEmphasis", Kind::SmallLowEmphasis),
];

/// The GLSZM features, as [`GLRLM`].
pub const GLSZM: [(&str, Kind); 16] = [
    ("GrayLevelNonUniformity", Kind::LevelNonUniformity),
    (
        "GrayLevelNonUniformityNormalized",
        Kind::LevelNonUniformityNormalized,
    ),
    ("GrayLevelVariance", Kind::LevelVariance),
    ("HighGrayLevelZoneEmphasis", Kind::HighLevelEmphasis),
    ("LargeAreaEmphasis", Kind::LargeEmphasis),
    ("LargeAreaHighGrayLevelEmphasis", Kind::LargeHighEmphasis),
    ("LargeAreaLowGrayLevelEmphasis", Kind::LargeLowEmphasis),
    ("LowGrayLevelZoneEmphasis", Kind::LowLevelEmphasis),
    ("SizeZoneNonUniformity", Kind::CountNonUniformity),
    (
        "SizeZoneNonUniformityNormalized",
        Kind::CountNonUniformityNormalized,
    ),
    ("SmallAreaEmphasis", Kind::SmallEmphasis),
    ("SmallAreaHighGrayLevelEmphasis", Kind::SmallHighEmphasis),
    ("SmallAreaLowGrayLevelEmphasis", Kind::SmallLowEmphasis),
    ("ZoneEntropy", Kind::Entropy),
    ("ZonePercentage", Kind::Percentage),
    ("ZoneVariance", Kind::CountVariance),
];

/// The GLDM features, as [`GLRLM`].
pub const GLDM: [(&str, Kind); 14] = [
    ("DependenceEntropy", Kind::Entropy),
    ("DependenceNonUniformity", Kind::CountNonUniformity),
    (
        "DependenceNonUniformityNormalized",
        Kind::CountNonUniformityNormalized,
    ),
    ("DependenceVariance", Kind::CountVariance),
    ("GrayLevelNonUniformity", Kind::LevelNonUniformity),
    ("GrayLevelVariance", Kind::LevelVariance),
    ("HighGrayLevelEmphasis", Kind::HighLevelEmphasis),
    ("LargeDependenceEmphasis", Kind::LargeEmphasis),
    (
        "LargeDependenceHighGrayLevelEmphasis",
        Kind::LargeHighEmphasis,
    ),
    (
        "LargeDependenceLowGrayLevelEmphasis",
        Kind::LargeLowEmphasis,
    ),
    ("LowGrayLevelEmphasis", Kind::LowLevelEmphasis),
    ("SmallDependenceEmphasis", Kind::SmallEmphasis),
    (
        "SmallDependenceHighGrayLevelEmphasis",
        Kind::SmallHighEmphasis,
    ),
    (
        "SmallDependenceLowGrayLevelEmphasis",
        Kind::SmallLowEmphasis,
    ),
];

/// The NGTDM features PyRadiomics enables by default, in its order.
pub const NGTDM: [&str; 5] = [
    "Busyness",
    "Coarseness",
    "Complexity",
    "Contrast",
    "Strength",
];

/// The neighbour offsets at `distances` both ways (at distance 1: 26, or 8 in the plane with
/// `force2D`).
fn neighbours(grid: &Grid, distances: &[u32]) -> Vec<[i64; 3]> {
    let one_way = angles(grid.flat, grid.size, distances);
    one_way
        .iter()
        .copied()
        .chain(one_way.iter().map(|a| a.map(|v| -v)))
        .collect()
}

/// The GLRLM features ([`GLRLM`] order): per angle and averaged, or with `weighting` of one
/// matrix summed over the angles, each weighted by its length.
pub fn glrlm(grid: &Grid, weighting: Option<Weighting>) -> Vec<(&'static str, f64)> {
    let levels = grid.present();
    let mut per_angle: Vec<CountMatrix> = Vec::new();
    let runs = Runs::new(grid, &levels);
    let longest = runs.longest;
    let mut lengths = vec![0u32; runs.padded.levels.len()];
    for angle in angles(grid.flat, grid.size, &[1]) {
        let Some(counts) = runs.count(angle, &mut lengths) else {
            continue;
        };
        // Lengths up to the longest run of this angle (the columns beyond are all 0), or of
        // any angle when the angles are summed into one matrix.
        let width = match weighting {
            Some(_) => longest,
            None => (1..=longest)
                .rev()
                .find(|n| (0..levels.len()).any(|g| counts[g * longest + n - 1] > 0))
                .unwrap_or(1),
        };
        let mut matrix = CountMatrix {
            p: (0..levels.len() * width)
                .map(|k| counts[(k / width) * longest + k % width] as f64)
                .collect(),
            levels: levels.iter().map(|l| *l as f64).collect(),
            counts: width,
        };
        if let Some(w) = weighting {
            let weight = w.norm(angle, grid.spacing);
            matrix.p.iter_mut().for_each(|v| *v *= weight);
            if let Some(total) = per_angle.first_mut() {
                total.p.iter_mut().zip(&matrix.p).for_each(|(t, v)| *t += v);
                continue;
            }
        }
        per_angle.push(matrix);
    }
    per_angle.retain(|m| m.total() > 0.0);
    let margins: Vec<(f64, Margins)> = per_angle.iter().map(|m| (m.total(), m.margins())).collect();
    GLRLM
        .iter()
        .map(|(name, kind)| {
            let values = margins
                .iter()
                .map(|(total, sums)| sums.feature(*kind, *total));
            (*name, nan_mean(values))
        })
        .collect()
}

/// What GLRLM counts runs on: the grid padded by one voxel that no grey level takes (a line
/// ends where it meets one), its region voxels in memory order, and each level's row.
struct Runs<'a> {
    padded: Padded,
    region: Vec<usize>,
    rows: Rows<'a>,
    size: [usize; 3],
    longest: usize,
}

impl<'a> Runs<'a> {
    fn new(grid: &Grid, levels: &'a [u32]) -> Runs<'a> {
        let padded = Padded::new(grid, 1, OFF_GRID);
        let cells = &padded.levels;
        let region = (0..cells.len())
            .filter(|k| cells[*k] != 0 && cells[*k] != OFF_GRID)
            .collect();
        Runs {
            padded,
            region,
            rows: Rows::new(levels),
            size: grid.size,
            longest: grid.size.into_iter().max().unwrap_or(1),
        }
    }

    /// The runs along `angle`, counted by grey level (rows) and length (`longest` columns):
    /// `None` when no line crosses two region voxels (PyRadiomics drops the angle then).
    ///
    /// One pass over the region voxels in memory order, without a branch on the data: the
    /// voxel before each along the angle comes earlier in memory (an angle's first non-zero
    /// component, z then y then x, is positive), so its run length in `lengths` is already
    /// known; a voxel whose next voxel holds another level ends a run, which is counted.
    fn count(&self, angle: [i64; 3], lengths: &mut [u32]) -> Option<Vec<u32>> {
        let step = self.padded.step(angle).unsigned_abs();
        let cells = &self.padded.levels;
        let levels = self.rows.count();
        let mut counts = vec![0u32; levels * self.longest];
        // Two region voxels next to each other along the angle: their line crosses two.
        let mut adjacent = false;
        for &k in &self.region {
            let level = cells[k];
            let (before, after) = (cells[k - step], cells[k + step]);
            let run = if before == level {
                lengths[k - step] + 1
            } else {
                1
            };
            lengths[k] = run;
            adjacent |= before != 0 && before != OFF_GRID;
            counts[self.rows.of(level) * self.longest + run as usize - 1] +=
                u32::from(after != level);
        }
        (adjacent || apart(&self.padded, self.size, angle)).then_some(counts)
    }
}

/// Whether a line along `angle` holds two region voxels with no region voxel between them
/// next to either (rare: a region of scattered voxels), walked line by line from the box's
/// faces.
fn apart(padded: &Padded, size: [usize; 3], angle: [i64; 3]) -> bool {
    let size = size.map(|s| s as i64);
    // The lines start where the voxel before them is off the grid: on the box's faces. A row
    // (fixed y and z) starts everywhere when its y or z is on such a face, else only at its
    // first or last x (or nowhere, when the angle does not move along x).
    let off = |c: i64, a: usize| c - angle[a] < 0 || c - angle[a] >= size[a];
    let mut starts = Vec::new();
    for z in 0..size[2] {
        for y in 0..size[1] {
            if off(y, 1) || off(z, 2) {
                starts.extend((0..size[0]).map(|x| [x, y, z]));
            } else if angle[0] > 0 {
                starts.push([0, y, z]);
            } else if angle[0] < 0 {
                starts.push([size[0] - 1, y, z]);
            }
        }
    }
    let step = padded.step(angle);
    starts.into_iter().any(|start| {
        let mut j = padded.index(start.map(|v| v as usize));
        let mut elements = 0;
        while padded.levels[j] != OFF_GRID {
            elements += usize::from(padded.levels[j] > 0);
            j = j.wrapping_add_signed(step);
        }
        elements > 1
    })
}

/// The padding of the runs' grid: no grey level (bin numbers start at 1 and stay far below).
const OFF_GRID: u32 = u32::MAX;

/// The GLSZM features ([`GLSZM`] order).
pub fn glszm(grid: &Grid) -> Vec<(&'static str, f64)> {
    let levels = grid.present();
    // A zone's voxels are set to 0 once reached, so each is counted once.
    let mut padded = Padded::new(grid, 1, 0);
    let steps = padded.steps(&neighbours(grid, &[1]));
    let cells = &mut padded.levels;
    let mut zones = Vec::new();
    let mut stack = Vec::new();
    for k in 0..cells.len() {
        let level = cells[k];
        if level == 0 {
            continue;
        }
        cells[k] = 0;
        stack.push(k);
        let mut size = 0;
        while let Some(j) = stack.pop() {
            size += 1;
            for s in &steps {
                let n = j.wrapping_add_signed(*s);
                if cells[n] == level {
                    cells[n] = 0;
                    stack.push(n);
                }
            }
        }
        zones.push((level, size));
    }
    // Sizes up to the largest zone (PyRadiomics crops its matrix there too): the columns
    // beyond it are all 0 and change no feature. The matrix is kept as its cells, not
    // levels × sizes (a large homogeneous zone makes it wide and nearly empty).
    let largest = zones.iter().map(|(_, size)| *size).max().unwrap_or(1);
    let margins = Margins::of_counts(&levels, largest, zones);
    let nz = match margins.total() {
        0.0 => 1.0,
        n => n,
    };
    GLSZM
        .iter()
        .map(|(name, kind)| (*name, margins.feature(*kind, nz)))
        .collect()
}

/// The GLDM features ([`GLDM`] order), neighbours dependent within `alpha` grey levels.
pub fn gldm(grid: &Grid, alpha: u32) -> Vec<(&'static str, f64)> {
    let levels = grid.present();
    let offsets = neighbours(grid, &grid.distances);
    let padded = Padded::new(grid, Padded::reach(&offsets), 0);
    let steps = padded.steps(&offsets);
    let cells = &padded.levels;
    let dependences = (0..cells.len()).filter(|k| cells[*k] > 0).map(|k| {
        let level = cells[k];
        let dependent = steps
            .iter()
            .map(|s| cells[k.wrapping_add_signed(*s)])
            .filter(|n| *n > 0 && n.abs_diff(level) <= alpha)
            .count();
        (level, dependent + 1)
    });
    // Kept as its cells, like GLSZM's: with many distances a voxel has up to 35,937
    // neighbours, and a dense levels × dependences matrix would take gigabytes.
    let margins = Margins::of_counts(&levels, offsets.len() + 1, dependences.collect());
    let nz = match margins.total() {
        0.0 => 1.0,
        n => n,
    };
    GLDM.iter()
        .map(|(name, kind)| (*name, margins.feature(*kind, nz)))
        .collect()
}

/// The NGTDM features ([`NGTDM`] order).
pub fn ngtdm(grid: &Grid) -> Vec<(&'static str, f64)> {
    let levels = grid.present();
    let offsets = neighbours(grid, &grid.distances);
    let padded = Padded::new(grid, Padded::reach(&offsets), 0);
    let steps = padded.steps(&offsets);
    let cells = &padded.levels;
    let rows = Rows::new(&levels);
    let mut n = vec![0.0; levels.len()];
    let mut s = vec![0.0; levels.len()];
    for k in (0..cells.len()).filter(|k| cells[*k] > 0) {
        let level = cells[k];
        let (mut count, mut sum) = (0.0, 0.0);
        for step in &steps {
            let l = cells[k.wrapping_add_signed(*step)];
            if l > 0 {
                count += 1.0;
                sum += l as f64;
            }
        }
        let diff = if count == 0.0 {
            0.0
        } else {
            (level as f64 - sum / count).abs()
        };
        let g = rows.of(level);
        n[g] += 1.0;
        s[g] += diff;
    }
    let i: Vec<f64> = levels.iter().map(|l| *l as f64).collect();
    let nvp: f64 = n.iter().sum();
    let p: Vec<f64> = n.iter().map(|v| v / nvp).collect();
    NGTDM
        .iter()
        .map(|name| (*name, ngtdm_feature(name, &p, &s, &i, nvp)))
        .collect()
}

fn ngtdm_feature(name: &str, p: &[f64], s: &[f64], i: &[f64], nvp: f64) -> f64 {
    let ng = p.len();
    let ngp = p.iter().filter(|v| **v > 0.0).count() as f64;
    let sum_s: f64 = s.iter().sum();
    let ps: f64 = p.iter().zip(s).map(|(p, s)| p * s).sum();
    let pairs = |f: &dyn Fn(usize, usize) -> f64| -> f64 {
        (0..ng)
            .flat_map(|a| (0..ng).map(move |b| (a, b)))
            .map(|(a, b)| f(a, b))
            .sum()
    };
    match name {
        "Coarseness" => {
            if ps != 0.0 {
                1.0 / ps
            } else {
                1e6
            }
        }
        "Contrast" => {
            let div = ngp * (ngp - 1.0);
            if div == 0.0 {
                return 0.0;
            }
            pairs(&|a, b| p[a] * p[b] * (i[a] - i[b]).powi(2)) * sum_s / nvp / div
        }
        "Busyness" => {
            let absdiff = pairs(&|a, b| (i[a] * p[a] - i[b] * p[b]).abs());
            if absdiff == 0.0 { 0.0 } else { ps / absdiff }
        }
        "Complexity" => {
            pairs(&|a, b| {
                let divisor = p[a] + p[b];
                let divisor = if divisor == 0.0 { 1.0 } else { divisor };
                (i[a] - i[b]).abs() * (p[a] * s[a] + p[b] * s[b]) / divisor
            }) / nvp
        }
        _ => {
            let strength = pairs(&|a, b| (p[a] + p[b]) * (i[a] - i[b]).powi(2));
            if sum_s == 0.0 { 0.0 } else { strength / sum_s }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs as the lines give them: every line along `angle` walked from the box's face,
    /// voxel by voxel with its (x, y, z) checked against the box (the plain reading of
    /// `cmatrices.c`'s `calculate_glrlm`).
    fn walked(grid: &Grid, angle: [i64; 3]) -> (Vec<(u32, usize)>, bool) {
        let size = grid.size.map(|s| s as i64);
        let on = |a: [i64; 3]| (0..3).all(|d| a[d] >= 0 && a[d] < size[d]);
        let (mut out, mut crossed) = (Vec::new(), false);
        for z in 0..size[2] {
            for y in 0..size[1] {
                for x in 0..size[0] {
                    let start = [x, y, z];
                    if on(std::array::from_fn(|d| start[d] - angle[d])) {
                        continue;
                    }
                    let (mut at, mut run, mut elements) = (start, (0u32, 0usize), 0);
                    while on(at) {
                        let level = grid.level(at[0] as usize, at[1] as usize, at[2] as usize);
                        elements += usize::from(level > 0);
                        if level > 0 && level == run.0 {
                            run.1 += 1;
                        } else {
                            if run.0 > 0 {
                                out.push(run);
                            }
                            run = (level, usize::from(level > 0));
                        }
                        at = std::array::from_fn(|d| at[d] + angle[d]);
                    }
                    if run.0 > 0 {
                        out.push(run);
                    }
                    crossed |= elements > 1;
                }
            }
        }
        (out, crossed)
    }

    fn grid_of(size: [usize; 3], levels: Vec<u32>) -> Grid {
        Grid {
            size,
            levels,
            flat: None,
            spacing: [1.0; 3],
            distances: vec![1],
        }
    }

    /// [`Runs::count`] of a grid along one angle.
    fn counted(grid: &Grid, angle: [i64; 3]) -> Option<Vec<u32>> {
        let levels = grid.present();
        let runs = Runs::new(grid, &levels);
        let mut lengths = vec![0u32; runs.padded.levels.len()];
        runs.count(angle, &mut lengths)
    }

    /// The runs counted in one pass, and whether an angle is crossed, are those of the line
    /// walk, on dense and scattered regions (where only non-adjacent voxels share lines).
    #[test]
    fn runs_are_those_of_the_line_walk() {
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for (size, density, levels) in [
            ([7, 5, 4], 90, 3),
            ([9, 9, 3], 50, 2),
            ([6, 1, 1], 100, 1),
            ([11, 7, 5], 8, 4),
            ([5, 5, 5], 3, 2),
        ] {
            for _ in 0..20 {
                let cells = size.iter().product();
                let levels = (0..cells)
                    .map(|_| {
                        if next() % 100 < density {
                            1 + next() % levels
                        } else {
                            0
                        }
                    })
                    .collect();
                let grid = grid_of(size, levels);
                let present = grid.present();
                let rows = Rows::new(&present);
                let longest = size.into_iter().max().unwrap_or(1);
                for angle in angles(None, size, &[1]) {
                    let (walked, crossed) = walked(&grid, angle);
                    let mut expected = vec![0u32; present.len() * longest];
                    for (level, n) in walked {
                        expected[rows.of(level) * longest + n - 1] += 1;
                    }
                    let expected = crossed.then_some(expected);
                    assert_eq!(
                        counted(&grid, angle),
                        expected,
                        "{size:?} {angle:?} {:?}",
                        grid.levels
                    );
                }
            }
        }
        // Two voxels apart on one line, none next to another: the angle is crossed.
        let grid = grid_of([6, 1, 1], vec![1, 0, 2, 0, 0, 0]);
        let mut expected = vec![0u32; 2 * 6];
        expected[0] = 1;
        expected[6] = 1;
        assert_eq!(counted(&grid, [1, 0, 0]), Some(expected));
    }
}
