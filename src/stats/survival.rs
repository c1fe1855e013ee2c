//! Kaplan–Meier curves and the log-rank test.
//!
//! - **Kaplan–Meier:** one row per distinct time (event or censoring) with the number at risk,
//!   events, censored, survival, Greenwood standard error and a log-log 95 % interval
//!   (`S^exp(±z·σ)`, σ² = Σ d/(n(n−d)) / (ln S)², as R's `conf.type = "log-log"` and lifelines'
//!   exponential Greenwood). The median is the first time survival falls to 0.5 or below; its
//!   interval is where the interval's bounds do.
//! - **Exact halves:** the survival product Π (n − d)/n is kept as an exact fraction (see
//!   [`Product`]), so a curve that is exactly 1/2 reads 0.5 and its median is that time. Formed
//!   in floats the product drifts (24 deaths in 24 reach 0.5000000000000001 after 12 of them),
//!   and "the first time S ≤ 0.5" came one event late; lifelines has the same drift.
//! - **Log-rank:** R `survival::survdiff` with rho = 0 for two or more groups: observed and
//!   expected events per group, the hypergeometric variance, χ² on k − 1 degrees of freedom.
//!   As survdiff, a group with no one at risk at any event time (expected 0) is left out of the
//!   test, which then has one degree of freedom fewer; [`NoTest`] says why there is no test.

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

/// The survival product Π (n − d)/n, exact while it can be.
///
/// It is a reduced fraction while numerator and denominator fit in `u128`: then "S ≤ 1/2" is
/// decided exactly, and [`Product::value`] is the fraction correctly rounded (while both fit in
/// 53 bits, which covers every uncensored curve, whose product telescopes to (n − k)/n). Past
/// that (many distinct censorings in a large group) it goes on in floats, counting roundings:
/// each factor adds at most two (the quotient and the product), so the float is within
/// `roundings · ε` of the exact product (relative), and "S ≤ 1/2" allows exactly that much.
/// Hand-written because no crate of the dependency tree offers rationals.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Product {
    Exact { num: u128, den: u128 },
    Float { value: f64, roundings: u32 },
}

impl Product {
    const ONE: Product = Product::Exact { num: 1, den: 1 };

    /// The product times `(at_risk − events) / at_risk`.
    fn times(self, at_risk: usize, events: usize) -> Product {
        let (a, b) = ((at_risk - events) as u128, at_risk as u128);
        match self {
            Product::Exact { num, den } => {
                let g = gcd(a, b);
                let (a, b) = (a / g, b / g);
                let (g1, g2) = (gcd(a, den), gcd(num, b));
                let exact = (num / g2)
                    .checked_mul(a / g1)
                    .zip((den / g1).checked_mul(b / g2));
                match exact {
                    Some((0, _)) => Product::Exact { num: 0, den: 1 },
                    Some((num, den)) => Product::Exact { num, den },
                    None => Product::Float {
                        value: self.value() * (a as f64 / b as f64),
                        roundings: 5,
                    },
                }
            }
            Product::Float { value, roundings } => Product::Float {
                value: value * (a as f64 / b as f64),
                roundings: roundings + 2,
            },
        }
    }

    fn value(self) -> f64 {
        match self {
            Product::Exact { num, den } => num as f64 / den as f64,
            Product::Float { value, .. } => value,
        }
    }

    /// S ≤ 1/2: exactly, or within the float's rounding bound.
    fn at_or_below_half(self) -> bool {
        match self {
            Product::Exact { num, den } => num <= den - num,
            Product::Float { value, roundings } => {
                value <= 0.5 * (1.0 + f64::from(roundings) * f64::EPSILON)
            }
        }
    }
}

/// Euclid's greatest common divisor (`gcd(0, b) = b`).
fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
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
        let mut product = Product::ONE;
        let mut median = None;
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
                product = product.times(at_risk, events);
                if median.is_none() && product.at_or_below_half() {
                    median = Some(time);
                }
                if at_risk > events {
                    greenwood += events as f64 / (at_risk as f64 * (at_risk - events) as f64);
                } else {
                    greenwood = f64::INFINITY;
                }
            }
            let survival = product.value();
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
        // The bounds S^exp(±zσ) are irrational but where S is 0 or 1, so they compare as floats.
        let first_at_or_below =
            |value: fn(&KmRow) -> f64| curve.iter().find(|r| value(r) <= 0.5).map(|r| r.time);
        KaplanMeier {
            n: sorted.len(),
            events: sorted.iter().filter(|o| o.event).count(),
            median,
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
    /// Groups with no one at risk at any event time (expected 0), left out of the test as R's
    /// `survdiff` leaves them out.
    pub left_out: Vec<usize>,
}

/// Why there is no log-rank test.
#[derive(Debug, Clone, PartialEq)]
pub enum NoTest {
    /// Fewer than two groups.
    OneGroup,
    /// No group has an event.
    NoEvents,
    /// At most one group (the one given, if any) had anyone at risk at the event times; the
    /// others (listed) had no one.
    NoOverlap {
        at_risk: Option<usize>,
        absent: Vec<usize>,
    },
    /// The variance of the groups compared is singular: wherever they were at risk together,
    /// everyone at risk had the event (two groups whose only subjects die at the same time).
    Singular,
}

/// Per-group sums of the log-rank test: observed and expected events, and their covariance.
struct Sums {
    observed: Vec<f64>,
    expected: Vec<f64>,
    variance: Vec<Vec<f64>>,
}

impl LogRank {
    /// The test over `groups` (two or more; a group may have no events), or why there is none.
    /// Memory is k² for k groups: callers bound k.
    pub fn test(groups: &[Vec<Observation>]) -> Result<LogRank, NoTest> {
        let k = groups.len();
        if k < 2 {
            return Err(NoTest::OneGroup);
        }
        let Sums {
            observed,
            expected,
            variance,
        } = sums(groups);
        if observed.iter().sum::<f64>() == 0.0 {
            return Err(NoTest::NoEvents);
        }
        let (kept, left_out): (Vec<usize>, Vec<usize>) = (0..k).partition(|&g| expected[g] > 0.0);
        if kept.len() < 2 {
            return Err(NoTest::NoOverlap {
                at_risk: kept.first().copied(),
                absent: left_out,
            });
        }
        // χ² = (O − E)ᵀ V⁻ (O − E) over all kept groups but the last.
        let m = kept.len() - 1;
        let diff: Vec<f64> = kept[..m]
            .iter()
            .map(|&g| observed[g] - expected[g])
            .collect();
        let sub: Vec<Vec<f64>> = kept[..m]
            .iter()
            .map(|&a| kept[..m].iter().map(|&b| variance[a][b]).collect())
            .collect();
        let solved = solve(sub, diff.clone()).ok_or(NoTest::Singular)?;
        let chi2: f64 = diff.iter().zip(&solved).map(|(a, b)| a * b).sum();
        Ok(LogRank {
            observed,
            expected,
            chi2,
            df: m,
            p: chi2_sf(chi2, m as f64),
            left_out,
        })
    }
}

/// Observed and expected events per group and the hypergeometric covariance, summed over the
/// distinct event times of the pooled groups.
fn sums(groups: &[Vec<Observation>]) -> Sums {
    let k = groups.len();
    let mut all: Vec<(f64, usize, bool)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, obs)| obs.iter().map(move |o| (o.time, g, o.event)))
        .filter(|(t, _, _)| t.is_finite())
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = vec![0.0; k];
    for (_, g, _) in &all {
        at_risk[*g] += 1.0;
    }
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut variance = vec![vec![0.0; k]; k];
    let mut deaths = vec![0.0; k];
    let mut leaving = vec![0.0; k];
    let mut i = 0;
    while i < all.len() {
        let time = all[i].0;
        deaths.iter_mut().for_each(|d| *d = 0.0);
        leaving.iter_mut().for_each(|l| *l = 0.0);
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
    Sums {
        observed,
        expected,
        variance,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_is_exact_while_it_fits() {
        // 24 deaths in 24: after twelve the product telescopes to 12/24 = 1/2 exactly.
        let mut s = Product::ONE;
        for n in (13..=24).rev() {
            assert!(!s.at_or_below_half());
            s = s.times(n, 1);
        }
        assert_eq!(s, Product::Exact { num: 1, den: 2 });
        assert_eq!(s.value(), 0.5);
        assert!(s.at_or_below_half());
        // Everyone dies: 0, exactly.
        assert_eq!(s.times(12, 12), Product::Exact { num: 0, den: 1 });
    }

    #[test]
    fn past_128_bits_the_product_goes_on_in_floats_within_its_rounding_bound() {
        // At-risk counts that are distinct primes never cancel: the denominator outgrows u128.
        let primes = [
            1_000_003, 999_983, 999_979, 999_961, 999_959, 999_953, 999_931, 999_917,
        ];
        let mut s = Product::ONE;
        let mut exact_log = 0.0f64;
        for &n in &primes {
            s = s.times(n, 1);
            exact_log += ((n - 1) as f64 / n as f64).ln();
        }
        let Product::Float { value, roundings } = s else {
            panic!("still exact: {s:?}");
        };
        assert!(roundings >= 5);
        let bound = f64::from(roundings) * f64::EPSILON;
        assert!((value / exact_log.exp() - 1.0).abs() <= bound, "{value}");
        // The comparison with 1/2 allows exactly that bound.
        let just_above = Product::Float {
            value: 0.5 * (1.0 + 2.0 * f64::EPSILON),
            roundings: 3,
        };
        assert!(just_above.at_or_below_half());
        let above = Product::Float {
            value: 0.5 * (1.0 + 4.0 * f64::EPSILON),
            roundings: 3,
        };
        assert!(!above.at_or_below_half());
    }
}
