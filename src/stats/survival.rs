//! Kaplan–Meier curves and the log-rank test.
//!
//! - **Kaplan–Meier:** one row per distinct time (event or censoring) with the number at risk,
//!   events, censored, survival, Greenwood standard error and a log-log 95 % interval
//!   (`S^exp(±z·σ)`, σ² = Σ d/(n(n−d)) / (ln S)², as R's `conf.type = "log-log"` and lifelines'
//!   exponential Greenwood). The median is the first time survival falls to 0.5 or below; its
//!   interval is where the interval's bounds do.
//! - **Log-rank:** R `survival::survdiff` with rho = 0 for two or more groups: observed and
//!   expected events per group, the hypergeometric variance, χ² on k − 1 degrees of freedom.

use super::dist::{chi2_sf, normal_quantile};

/// One observation: a time and whether the event happened then (else censored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub time: f64,
    pub event: bool,
}

/// One step of a Kaplan–Meier curve.
#[derive(Debug, Clone, PartialEq)]
pub struct KmRow {
    pub time: f64,
    pub at_risk: usize,
    pub events: usize,
    pub censored: usize,
    pub survival: f64,
    /// Greenwood standard error of the survival.
    pub std_err: f64,
    pub lower: f64,
    pub upper: f64,
}

/// A Kaplan–Meier fit.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    pub n: usize,
    pub events: usize,
    pub curve: Vec<KmRow>,
    /// `None` while survival stays above 0.5.
    pub median: Option<f64>,
    pub median_lower: Option<f64>,
    pub median_upper: Option<f64>,
}

impl KaplanMeier {
    /// Fits the curve; `confidence` is the interval's level (0.95).
    pub fn fit(observations: &[Observation], confidence: f64) -> KaplanMeier {
        let z = normal_quantile(0.5 + confidence / 2.0);
        let mut sorted: Vec<Observation> = observations
            .iter()
            .copied()
            .filter(|o| o.time.is_finite())
            .collect();
        sorted.sort_by(|a, b| a.time.total_cmp(&b.time));
        let mut curve = Vec::new();
        let mut at_risk = sorted.len();
        let mut survival = 1.0;
        let mut greenwood = 0.0;
        let mut i = 0;
        while i < sorted.len() {
            let time = sorted[i].time;
            let (mut events, mut censored) = (0, 0);
            while i < sorted.len() && sorted[i].time == time {
                if sorted[i].event {
                    events += 1;
                } else {
                    censored += 1;
                }
                i += 1;
            }
            if events > 0 {
                survival *= 1.0 - events as f64 / at_risk as f64;
                if at_risk > events {
                    greenwood += events as f64 / (at_risk as f64 * (at_risk - events) as f64);
                } else {
                    greenwood = f64::INFINITY;
                }
            }
            let (lower, upper) = log_log_interval(survival, greenwood, z);
            curve.push(KmRow {
                time,
                at_risk,
                events,
                censored,
                survival,
                std_err: survival * greenwood.sqrt(),
                lower,
                upper,
            });
            at_risk -= events + censored;
        }
        let first_at_or_below =
            |value: fn(&KmRow) -> f64| curve.iter().find(|r| value(r) <= 0.5).map(|r| r.time);
        KaplanMeier {
            n: sorted.len(),
            events: sorted.iter().filter(|o| o.event).count(),
            median: first_at_or_below(|r| r.survival),
            median_lower: first_at_or_below(|r| r.lower),
            median_upper: first_at_or_below(|r| r.upper),
            curve,
        }
    }

    /// Survival at each of `times` (the last step at or before it).
    pub fn at(&self, time: f64) -> f64 {
        self.curve
            .iter()
            .take_while(|r| r.time <= time)
            .last()
            .map_or(1.0, |r| r.survival)
    }
}

/// The log-log interval around `s` with Greenwood sum `g`: `s^exp(±z·√g / |ln s|)`.
fn log_log_interval(s: f64, g: f64, z: f64) -> (f64, f64) {
    if s >= 1.0 || s <= 0.0 || !g.is_finite() {
        return if s >= 1.0 { (1.0, 1.0) } else { (0.0, 0.0) };
    }
    let sigma = g.sqrt() / s.ln().abs();
    (s.powf((z * sigma).exp()), s.powf((-z * sigma).exp()))
}

/// A log-rank test over groups.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
    pub chi2: f64,
    pub df: usize,
    pub p: f64,
}

impl LogRank {
    /// The test over `groups` (two or more; a group may have no events). `None` with fewer
    /// than two groups, or when no event happened at all.
    pub fn test(groups: &[Vec<Observation>]) -> Option<LogRank> {
        let k = groups.len();
        if k < 2 {
            return None;
        }
        let mut all: Vec<(f64, usize, bool)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, obs)| obs.iter().map(move |o| (o.time, g, o.event)))
            .filter(|(t, _, _)| t.is_finite())
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut at_risk: Vec<f64> = (0..k)
            .map(|g| all.iter().filter(|(_, h, _)| *h == g).count() as f64)
            .collect();
        let mut observed = vec![0.0; k];
        let mut expected = vec![0.0; k];
        let mut variance = vec![vec![0.0; k]; k];
        let mut i = 0;
        while i < all.len() {
            let time = all[i].0;
            let mut deaths = vec![0.0; k];
            let mut leaving = vec![0.0; k];
            while i < all.len() && all[i].0 == time {
                let (_, g, event) = all[i];
                if event {
                    deaths[g] += 1.0;
                }
                leaving[g] += 1.0;
                i += 1;
            }
            let d: f64 = deaths.iter().sum();
            let n: f64 = at_risk.iter().sum();
            if d > 0.0 {
                for g in 0..k {
                    observed[g] += deaths[g];
                    expected[g] += at_risk[g] * d / n;
                }
                if n > 1.0 {
                    let factor = d * (n - d) / (n - 1.0) / (n * n);
                    for a in 0..k {
                        for b in 0..k {
                            let delta = if a == b { n } else { 0.0 };
                            variance[a][b] += factor * at_risk[a] * (delta - at_risk[b]);
                        }
                    }
                }
            }
            for g in 0..k {
                at_risk[g] -= leaving[g];
            }
        }
        if observed.iter().sum::<f64>() == 0.0 {
            return None;
        }
        // χ² = (O − E)ᵀ V⁻ (O − E) over the first k − 1 groups.
        let m = k - 1;
        let diff: Vec<f64> = (0..m).map(|g| observed[g] - expected[g]).collect();
        let sub: Vec<Vec<f64>> = (0..m).map(|a| variance[a][..m].to_vec()).collect();
        let solved = solve(sub, diff.clone())?;
        let chi2: f64 = diff.iter().zip(&solved).map(|(a, b)| a * b).sum();
        Some(LogRank {
            observed,
            expected,
            chi2,
            df: m,
            p: chi2_sf(chi2, m as f64),
        })
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (offset, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[col + 1 + offset] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}
