//! The features shared by the matrices of grey level × a count (GLRLM: run length, GLSZM: zone
//! size, GLDM: dependence), as PyRadiomics v3.0.1 writes them: `P(i, j)` with `i` the grey
//! levels present in the region (their values) and `j` the counts 1, 2, …, `N_z = Σ P`.

/// One such matrix: `p[g * counts + c]` zones (runs, voxels) of grey level `levels[g]` and
/// count `c + 1`.
pub struct CountMatrix {
    pub p: Vec<f64>,
    pub levels: Vec<f64>,
    pub counts: usize,
}

impl CountMatrix {
    /// The cells that are not 0, as (i, j, P(i, j)), grey level by grey level.
    fn cells(&self) -> Vec<(f64, f64, f64)> {
        let mut cells = Vec::new();
        for (g, level) in self.levels.iter().enumerate() {
            for c in 0..self.counts {
                let v = self.p[g * self.counts + c];
                if v != 0.0 {
                    cells.push((*level, (c + 1) as f64, v));
                }
            }
        }
        cells
    }

    /// `p_g(i) = Σ_j P(i, j)`.
    fn by_level(&self) -> Vec<f64> {
        (0..self.levels.len())
            .map(|g| self.p[g * self.counts..(g + 1) * self.counts].iter().sum())
            .collect()
    }

    /// `p_s(j) = Σ_i P(i, j)`.
    fn by_count(&self) -> Vec<f64> {
        (0..self.counts)
            .map(|c| {
                (0..self.levels.len())
                    .map(|g| self.p[g * self.counts + c])
                    .sum()
            })
            .collect()
    }

    /// `N_z`, the zones (runs, voxels) counted.
    pub fn total(&self) -> f64 {
        self.p.iter().sum()
    }

    /// The marginal sums every feature reads, computed once per matrix.
    pub fn margins(&self) -> Margins {
        Margins {
            pg: self.by_level(),
            ps: self.by_count(),
            cells: self.cells(),
        }
    }
}

/// A matrix's sums by grey level (`p_g`) and by count (`p_s`), and its cells that are not 0
/// (a zone-size matrix is mostly zeros: one column per size up to the largest zone).
pub struct Margins {
    pg: Vec<f64>,
    ps: Vec<f64>,
    cells: Vec<(f64, f64, f64)>,
}

impl Margins {
    /// The margins of a matrix of `counts` columns given as (grey level, count) pairs, one
    /// per zone, computed from its cells alone: the same cells, in the same order (grey
    /// level, then count), and the same sums (of whole numbers, so exact in any order) as
    /// [`CountMatrix::margins`] of the dense matrix.
    pub fn of_counts(levels: &[u32], counts: usize, mut pairs: Vec<(u32, usize)>) -> Margins {
        pairs.sort_unstable();
        let rows = super::padded::Rows::new(levels);
        let mut pg = vec![0.0; levels.len()];
        let mut ps = vec![0.0; counts];
        let mut cells: Vec<(f64, f64, f64)> = Vec::new();
        for (k, (level, count)) in pairs.iter().enumerate() {
            pg[rows.of(*level)] += 1.0;
            ps[count - 1] += 1.0;
            match cells.last_mut() {
                Some(last) if k > 0 && pairs[k - 1] == (*level, *count) => last.2 += 1.0,
                _ => cells.push((*level as f64, *count as f64, 1.0)),
            }
        }
        Margins { pg, ps, cells }
    }

    /// `N_z`, the zones (runs, voxels) counted.
    pub fn total(&self) -> f64 {
        self.pg.iter().sum()
    }

    /// The feature `kind` over `nz` zones (PyRadiomics divides by its own `N_z`, which each
    /// class guards against 0 in its way), from the margins.
    pub fn feature(&self, kind: Kind, nz: f64) -> f64 {
        let (pg, ps, m) = (&self.pg, &self.ps, self);
        let squares = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        match kind {
            Kind::SmallEmphasis => m.sum(|_, j| 1.0 / (j * j)) / nz,
            Kind::LargeEmphasis => m.sum(|_, j| j * j) / nz,
            Kind::LevelNonUniformity => squares(pg) / nz,
            Kind::LevelNonUniformityNormalized => squares(pg) / (nz * nz),
            Kind::CountNonUniformity => squares(ps) / nz,
            Kind::CountNonUniformityNormalized => squares(ps) / (nz * nz),
            Kind::Percentage => nz / m.sum(|_, j| j),
            Kind::LevelVariance => {
                let mean = m.sum(|i, _| i) / nz;
                m.sum(|i, _| (i - mean).powi(2)) / nz
            }
            Kind::CountVariance => {
                let mean = m.sum(|_, j| j) / nz;
                m.sum(|_, j| (j - mean).powi(2)) / nz
            }
            // A cell of 0 adds −0, which changes no sum that has another cell.
            Kind::Entropy => -m
                .cells
                .iter()
                .map(|(_, _, v)| {
                    let q = v / nz;
                    q * (q + f64::EPSILON).log2()
                })
                .sum::<f64>(),
            Kind::LowLevelEmphasis => m.sum(|i, _| 1.0 / (i * i)) / nz,
            Kind::HighLevelEmphasis => m.sum(|i, _| i * i) / nz,
            Kind::SmallLowEmphasis => m.sum(|i, j| 1.0 / (i * i * j * j)) / nz,
            Kind::SmallHighEmphasis => m.sum(|i, j| i * i / (j * j)) / nz,
            Kind::LargeLowEmphasis => m.sum(|i, j| j * j / (i * i)) / nz,
            Kind::LargeHighEmphasis => m.sum(|i, j| i * i * j * j) / nz,
        }
    }

    /// Σ over the cells of P(i, j)·f(i, j), with i a grey level and j a count (cells of 0
    /// add nothing, so they are skipped).
    fn sum(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        let mut total = 0.0;
        for (i, j, v) in &self.cells {
            total += v * f(*i, *j);
        }
        total
    }
}

/// The shared features, named for the zone-size matrix; each class gives them its names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    SmallEmphasis,
    LargeEmphasis,
    LevelNonUniformity,
    LevelNonUniformityNormalized,
    CountNonUniformity,
    CountNonUniformityNormalized,
    Percentage,
    LevelVariance,
    CountVariance,
    Entropy,
    LowLevelEmphasis,
    HighLevelEmphasis,
    SmallLowEmphasis,
    SmallHighEmphasis,
    LargeLowEmphasis,
    LargeHighEmphasis,
}
