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
    /// Σ over the cells of P(i, j)·f(i, j), with i a grey level and j a count.
    fn sum(&self, f: impl Fn(f64, f64) -> f64) -> f64 {
        let mut total = 0.0;
        for (g, level) in self.levels.iter().enumerate() {
            for c in 0..self.counts {
                let v = self.p[g * self.counts + c];
                if v != 0.0 {
                    total += v * f(*level, (c + 1) as f64);
                }
            }
        }
        total
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

    /// The feature `kind` over `nz` zones (PyRadiomics divides by its own `N_z`, which each
    /// class guards against 0 in its way).
    pub fn feature(&self, kind: Kind, nz: f64) -> f64 {
        let pg = self.by_level();
        let ps = self.by_count();
        let squares = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>();
        match kind {
            Kind::SmallEmphasis => self.sum(|_, j| 1.0 / (j * j)) / nz,
            Kind::LargeEmphasis => self.sum(|_, j| j * j) / nz,
            Kind::LevelNonUniformity => squares(&pg) / nz,
            Kind::LevelNonUniformityNormalized => squares(&pg) / (nz * nz),
            Kind::CountNonUniformity => squares(&ps) / nz,
            Kind::CountNonUniformityNormalized => squares(&ps) / (nz * nz),
            Kind::Percentage => nz / self.sum(|_, j| j),
            Kind::LevelVariance => {
                let mean = self.sum(|i, _| i) / nz;
                self.sum(|i, _| (i - mean).powi(2)) / nz
            }
            Kind::CountVariance => {
                let mean = self.sum(|_, j| j) / nz;
                self.sum(|_, j| (j - mean).powi(2)) / nz
            }
            Kind::Entropy => -self
                .p
                .iter()
                .map(|v| {
                    let q = v / nz;
                    q * (q + f64::EPSILON).log2()
                })
                .sum::<f64>(),
            Kind::LowLevelEmphasis => self.sum(|i, _| 1.0 / (i * i)) / nz,
            Kind::HighLevelEmphasis => self.sum(|i, _| i * i) / nz,
            Kind::SmallLowEmphasis => self.sum(|i, j| 1.0 / (i * i * j * j)) / nz,
            Kind::SmallHighEmphasis => self.sum(|i, j| i * i / (j * j)) / nz,
            Kind::LargeLowEmphasis => self.sum(|i, j| j * j / (i * i)) / nz,
            Kind::LargeHighEmphasis => self.sum(|i, j| i * i * j * j) / nz,
        }
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
