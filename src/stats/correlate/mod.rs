//! Correlation maps: Pearson or Spearman for every pair of two column sets, on
//! pairwise-complete observations, with p-values and multiple-testing adjustment.
//!
//! - Spearman is Pearson on average ranks (ties share their mean rank), ranked per pair over
//!   the rows both columns have, as `scipy.stats.spearmanr(..., nan_policy='omit')` does pair
//!   by pair.
//! - p is two-sided from Student's t with n − 2 degrees of freedom (`t = r √((n−2)/(1−r²))`),
//!   as scipy's `pearsonr` and `spearmanr`. It is computed in logarithms (`log10_p`), which stay
//!   finite where p underflows (r = 0.99 at 10,000 subjects has p ≈ 1e-10021); p itself is
//!   never below [`SMALLEST_P`].
//! - [`map`] computes every pair of two column sets at once: columns that have the same rows
//!   are ranked (Spearman) and standardised once for the rows they share with the other side,
//!   and their pairs are dot products, on all cores.
//! - q adjusts the p-values of the whole map: Benjamini–Hochberg, Benjamini–Yekutieli or
//!   Bonferroni, as `statsmodels.stats.multitest.multipletests`.

mod near;
mod rank;

use self::near::{NEAR, differing, near_pairs, shared};
pub use self::rank::ranks;
use super::dist::{ln_gamma, off_zero};

/// Which coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Pearson,
    Spearman,
}

/// Which adjustment of the p-values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    Bh,
    By,
    Bonferroni,
    None,
}

/// The smallest p reported: `f64::MIN_POSITIVE` (2.2250738585072014e-308), the smallest
/// normal double. A p below it (the true p of a strong pair at thousands of subjects) is
/// reported as this, and `log10_p` holds its true magnitude; subnormal values are avoided
/// because they keep only a few significant digits.
pub const SMALLEST_P: f64 = f64::MIN_POSITIVE;

/// One pair's result. `r` and `log10_p` are `None` with fewer than 3 complete rows or a
/// constant column (scipy returns NaN there). `log10_p` is the true log10 of p (−∞ for
/// |r| = 1, whose p is 0); [`Pair::p`] derives p from it. (A map holds tens of millions of
/// pairs: p is not stored twice.)
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub n: usize,
    pub r: Option<f64>,
    pub log10_p: Option<f64>,
}

impl Pair {
    /// The pair of coefficient `r` over `n` rows, with its p.
    fn of(n: usize, r: Option<f64>) -> Pair {
        let log10_p = r.map(|r| ln_p_value(r, n) / std::f64::consts::LN_10);
        Pair { n, r, log10_p }
    }

    /// The two-sided p, at least [`SMALLEST_P`].
    pub fn p(&self) -> Option<f64> {
        self.log10_p.map(p_from_log10)
    }

    /// A pair without a coefficient.
    fn none(n: usize) -> Pair {
        Pair::of(n, None)
    }
}

/// 10^`log10`, at least [`SMALLEST_P`] (as `exp`, which costs a third of `powf`: it runs
/// for every pair of a map, twice).
pub fn p_from_log10(log10: f64) -> f64 {
    (log10 * std::f64::consts::LN_10).exp().max(SMALLEST_P)
}

/// The coefficient and p of one pair of columns (`NaN` marks a missing value).
pub fn pair(x: &[f64], y: &[f64], method: Method) -> Pair {
    let (mut a, mut b): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(u, v)| u.is_finite() && v.is_finite())
        .map(|(u, v)| (*u, *v))
        .unzip();
    let n = a.len();
    if n < 3 {
        return Pair::none(n);
    }
    if method == Method::Spearman {
        a = ranks(&a);
        b = ranks(&b);
    }
    Pair::of(n, pearson(&a, &b))
}

/// Every pair of `xs` × `ys` (each a column over the same rows, `NaN` for missing), with
/// `pairs[j * xs.len() + i]` the pair of `xs[i]` and `ys[j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub nx: usize,
    pub ny: usize,
    pub pairs: Vec<Pair>,
}

impl Map {
    /// The pair of `xs[i]` and `ys[j]`.
    pub fn get(&self, i: usize, j: usize) -> &Pair {
        &self.pairs[j * self.nx + i]
    }
}

/// A column restricted to some rows, ranked (Spearman), centred and scaled to unit length;
/// `None` when it is constant there.
fn unit(column: &[f64], rows: &[usize], method: Method) -> Option<Vec<f64>> {
    let picked: Vec<f64> = rows.iter().map(|&r| column[r]).collect();
    let mut v = match method {
        Method::Spearman => ranks(&picked),
        Method::Pearson => picked,
    };
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter_mut().for_each(|x| *x -= mean);
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

/// A dot product with four accumulators, which the compiler turns into SIMD.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Four dot products of `a` with `b[0..4]`, reading `a` once. Each is summed exactly as
/// [`dot`] sums it (four accumulators over chunks of four, then the tail), so that a pair's r
/// is the same bits whether its column was computed in a group of four or alone, which
/// depends on how the columns fall into groups of rows and into CORRELATE's blocks.
fn dot4(a: &[f64], b: [&[f64]; 4]) -> [f64; 4] {
    let n = a.len();
    let whole = n - n % 4;
    let mut acc = [[0.0f64; 4]; 4];
    for i in (0..whole).step_by(4) {
        let x = &a[i..i + 4];
        for k in 0..4 {
            let y = &b[k][i..i + 4];
            for l in 0..4 {
                acc[k][l] += x[l] * y[l];
            }
        }
    }
    let mut out = [0.0; 4];
    for k in 0..4 {
        let tail: f64 = a[whole..]
            .iter()
            .zip(&b[k][whole..])
            .map(|(x, y)| x * y)
            .sum();
        out[k] = (acc[k][0] + acc[k][1]) + (acc[k][2] + acc[k][3]) + tail;
    }
    out
}

/// Which rows of a column hold a value, as a bit set.
type Mask = Vec<u64>;

fn mask(column: &[f64]) -> Mask {
    let mut bits = vec![0u64; column.len().div_ceil(64)];
    for (r, v) in column.iter().enumerate() {
        if v.is_finite() {
            bits[r / 64] |= 1 << (r % 64);
        }
    }
    bits
}

/// The columns grouped by which rows they have, in order of first appearance.
fn by_mask(columns: &[Vec<f64>]) -> Vec<(Mask, Vec<usize>)> {
    let masks = crate::parallel::map(columns, |c| mask(c));
    let mut groups: Vec<(Mask, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<Mask, usize> = std::collections::HashMap::new();
    for (k, m) in masks.into_iter().enumerate() {
        match index.get(&m) {
            Some(&g) => groups[g].1.push(k),
            None => {
                index.insert(m.clone(), groups.len());
                groups.push((m, vec![k]));
            }
        }
    }
    groups
}

/// The correlation map of `xs` × `ys` (see [`Map`]), on all available cores.
///
/// Columns are grouped by which rows they have (all radiomic features of a cohort usually
/// share one set, the genes another). For each pair of groups the rows both have are fixed,
/// so each column is ranked and standardised once for it, and every pair is a dot product.
/// This gives exactly the pairwise-complete result of [`pair`]. Spearman pairs of groups
/// whose rows differ in a few rows take [`near_pairs`] instead, which ranks each column once.
pub fn map(xs: &[Vec<f64>], ys: &[Vec<f64>], method: Method) -> Map {
    let never = std::sync::atomic::AtomicBool::new(false);
    crate::progress::start((xs.len() * ys.len()) as u64, "pairs");
    map_until(xs, ys, method, &never).unwrap_or(Map {
        nx: xs.len(),
        ny: ys.len(),
        pairs: Vec::new(),
    })
}

/// [`map`], stopping between blocks of columns once `stop` is set (a cancelled or timed-out
/// statement): `None` then. It advances the progress counter by the pairs it computes; the
/// caller starts it.
pub fn map_until(
    xs: &[Vec<f64>],
    ys: &[Vec<f64>],
    method: Method,
    stop: &std::sync::atomic::AtomicBool,
) -> Option<Map> {
    let job = Job {
        xs,
        ys,
        method,
        stop,
    };
    let rows = xs.first().or(ys.first()).map_or(0, Vec::len);
    debug_assert!(xs.iter().chain(ys).all(|c| c.len() == rows));
    let (nx, ny) = (xs.len(), ys.len());
    let mut pairs = vec![Pair::none(0); nx * ny];
    let (gx, gy) = (by_mask(xs), by_mask(ys));
    let mut near: Vec<(usize, usize)> = Vec::new();
    for (a, (mx, xi)) in gx.iter().enumerate() {
        for (b, (my, yj)) in gy.iter().enumerate() {
            if method == Method::Spearman {
                let differ = differing(mx, my);
                if differ > 0 && differ <= NEAR && shared(mx, my) >= 3 {
                    near.push((a, b));
                    continue;
                }
            }
            let common = common_rows(mx, my, rows);
            let n = common.len();
            if n < 3 {
                for &j in yj {
                    for &i in xi {
                        pairs[j * nx + i].n = n;
                    }
                }
                crate::progress::advance((xi.len() * yj.len()) as u64);
                continue;
            }
            for (j, row) in job.block(xi, yj, &common)?.into_iter().flatten() {
                for (&i, pair) in xi.iter().zip(row) {
                    pairs[j * nx + i] = pair;
                }
            }
        }
    }
    if !near.is_empty() && !job.stopped() {
        // Near pairs run in one pass at the end; they count as done when it is.
        for (j, row) in near_pairs(xs, ys, &gx, &gy, &near, job.stop) {
            crate::progress::advance(row.len() as u64);
            for (i, pair) in row {
                pairs[j * nx + i] = pair;
            }
        }
    }
    if job.stopped() {
        return None;
    }
    Some(Map { nx, ny, pairs })
}

/// The rows, of the first `rows`, that both masks have.
fn common_rows(mx: &Mask, my: &Mask, rows: usize) -> Vec<usize> {
    (0..rows)
        .filter(|&r| ((mx[r / 64] & my[r / 64]) >> (r % 64)) & 1 == 1)
        .collect()
}

/// What every block of a map reads: both column sets, the method, and when to stop.
struct Job<'a> {
    xs: &'a [Vec<f64>],
    ys: &'a [Vec<f64>],
    method: Method,
    stop: &'a std::sync::atomic::AtomicBool,
}

/// The pairs of one y column with a block's x columns: its index, then a pair per x column.
type Row = (usize, Vec<Pair>);

impl Job<'_> {
    /// Whether the statement was cancelled or timed out.
    fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every pair of the x columns `xi` and the y columns `yj` on the rows `common` (at least 3)
    /// that both groups have, in rows per y column (in the order of `xi`), four y columns to a
    /// part; `None` once stopped.
    fn block(&self, xi: &[usize], yj: &[usize], common: &[usize]) -> Option<Vec<Vec<Row>>> {
        let px: Vec<Option<Vec<f64>>> =
            crate::parallel::map(xi, |&i| unit(&self.xs[i], common, self.method));
        // Four y columns at a time: each x column is read once for the four dot products
        // (it comes from further out in the cache).
        let fours: Vec<&[usize]> = yj.chunks(4).collect();
        let done = crate::parallel::map(&fours, |four| {
            if self.stopped() {
                return Vec::new();
            }
            self.four(four, &px, common)
        });
        if self.stopped() {
            return None;
        }
        Some(done)
    }

    /// The pairs of up to four y columns (`four`) with the x columns `px`, each already ranked
    /// and standardised on the rows `common` (`None`: constant there).
    fn four(&self, four: &[usize], px: &[Option<Vec<f64>>], common: &[usize]) -> Vec<Row> {
        let n = common.len();
        let bs: Vec<Option<Vec<f64>>> = four
            .iter()
            .map(|&j| unit(&self.ys[j], common, self.method))
            .collect();
        let mut rows: Vec<Vec<Pair>> = vec![Vec::with_capacity(px.len()); four.len()];
        let present: Vec<&[f64]> = bs.iter().flatten().map(Vec::as_slice).collect();
        for a in px {
            let rs = match a {
                Some(a) if present.len() == 4 => {
                    dot4(a, [present[0], present[1], present[2], present[3]]).to_vec()
                }
                Some(a) => present.iter().map(|b| dot(a, b)).collect(),
                None => Vec::new(),
            };
            let mut next = rs.into_iter();
            for (k, b) in bs.iter().enumerate() {
                let pair = match (a, b) {
                    (Some(_), Some(_)) => {
                        Pair::of(n, Some(next.next().unwrap_or(0.0).clamp(-1.0, 1.0)))
                    }
                    _ => Pair::none(n),
                };
                rows[k].push(pair);
            }
        }
        crate::progress::advance((four.len() * px.len()) as u64);
        four.iter().copied().zip(rows).collect::<Vec<_>>()
    }
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa == 0.0 || sbb == 0.0 {
        return None;
    }
    Some((sab / (saa.sqrt() * sbb.sqrt())).clamp(-1.0, 1.0))
}

/// The natural logarithm of the two-sided p of a correlation `r` over `n` rows: P(|T| > t) =
/// I_x(df/2, 1/2) with x = df/(df + t²) = 1 − r² (−∞ for |r| = 1).
fn ln_p_value(r: f64, n: usize) -> f64 {
    let df = (n - 2) as f64;
    if r.abs() >= 1.0 {
        return f64::NEG_INFINITY;
    }
    let r2 = r * r;
    ln_beta_inc(df / 2.0, 0.5, 1.0 - r2, (-r2).ln_1p(), 2.0 * r.abs().ln())
}

/// ln I_x(a, b), given x, ln x and ln(1 − x) (the caller has them more exactly than `ln` of a
/// rounded x): the prefactor x^a (1 − x)^b / B(a, b) is taken in logarithms, so the result
/// stays finite where I_x underflows; the fraction is [`beta_fraction`].
fn ln_beta_inc(a: f64, b: f64, x: f64, ln_x: f64, ln_1mx: f64) -> f64 {
    if x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * ln_x + b * ln_1mx;
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front + beta_fraction(a, b, x).ln() - a.ln()
    } else {
        (-ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b).ln_1p()
    }
}

/// The continued fraction of I_x(a, b) (Lentz's method), for x < (a + 1)/(a + b + 2).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = off_zero(d);
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + even * d;
        d = off_zero(d);
        c = 1.0 + even / c;
        c = off_zero(c);
        d = 1.0 / d;
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + odd * d;
        d = off_zero(d);
        c = 1.0 + odd / c;
        c = off_zero(c);
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// Adjusted p-values, in the order given; `None` stays `None` and does not count as a test.
pub fn adjust(p: &[Option<f64>], method: Adjust) -> Vec<Option<f64>> {
    step_up(p, method, |v, factor| (v * factor).min(1.0))
}

/// [`adjust`] on log10 p-values: the same adjustment, as log10 q (finite where q underflows).
pub fn adjust_log10(log10_p: &[Option<f64>], method: Adjust) -> Vec<Option<f64>> {
    step_up(log10_p, method, |v, factor| (v + factor.log10()).min(0.0))
}

/// Bonferroni, or the Benjamini–Hochberg/–Yekutieli step-up: `scale(v, f)` is v times f
/// (capped at 1) in whatever scale the values are in, and ranks follow the values' order, which
/// a logarithm keeps.
fn step_up(
    values: &[Option<f64>],
    method: Adjust,
    scale: impl Fn(f64, f64) -> f64,
) -> Vec<Option<f64>> {
    let present: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    let m = present.len() as f64;
    let mut out = vec![None; values.len()];
    match method {
        Adjust::None => return values.to_vec(),
        Adjust::Bonferroni => {
            for (i, v) in present {
                out[i] = Some(scale(v, m));
            }
            return out;
        }
        Adjust::Bh | Adjust::By => {}
    }
    let factor = if method == Adjust::By {
        (1..=present.len()).map(|k| 1.0 / k as f64).sum::<f64>()
    } else {
        1.0
    };
    let mut order = present.clone();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut running = f64::INFINITY;
    for (k, (i, v)) in order.iter().enumerate() {
        let rank = m - k as f64;
        running = running.min(scale(*v, m * factor / rank));
        out[*i] = Some(running);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The near pairs (columns whose missing rows differ a little) stop with the statement:
    /// with the flag set they compute nothing, so a timed-out map ends at once.
    #[test]
    fn near_pairs_stop_when_the_statement_does() {
        let column = |seed: usize, gap: usize| -> Vec<f64> {
            (0..50)
                .map(|i| {
                    if i == gap {
                        f64::NAN
                    } else {
                        ((i * 7 + seed * 13) % 23) as f64
                    }
                })
                .collect()
        };
        let xs: Vec<Vec<f64>> = (0..3).map(|k| column(k, 1)).collect();
        let ys: Vec<Vec<f64>> = (0..20).map(|k| column(k + 5, 2 + k % 3)).collect();
        let (gx, gy) = (by_mask(&xs), by_mask(&ys));
        let near: Vec<(usize, usize)> = (0..gx.len())
            .flat_map(|a| (0..gy.len()).map(move |b| (a, b)))
            .collect();
        let go = std::sync::atomic::AtomicBool::new(false);
        assert_eq!(near_pairs(&xs, &ys, &gx, &gy, &near, &go).len(), 20);
        let stop = std::sync::atomic::AtomicBool::new(true);
        assert!(near_pairs(&xs, &ys, &gx, &gy, &near, &stop).is_empty());
    }

    /// A pair's r must not depend on whether its column was computed in a group of four
    /// (`dot4`) or alone (`dot`): which happens depends on how the columns fall into
    /// groups of rows and into CORRELATE's blocks.
    #[test]
    fn a_dot_product_is_the_same_bits_alone_or_in_four() {
        let column = |seed: u64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| ((seed * 7919 + i as u64 * 104_729) % 1_000_003) as f64 / 1_000.0 - 500.0)
                .collect()
        };
        for n in [1, 2, 3, 10, 211, 1_001] {
            let a = column(1, n);
            let bs: Vec<Vec<f64>> = (2..6).map(|s| column(s, n)).collect();
            let four = dot4(&a, [&bs[0], &bs[1], &bs[2], &bs[3]]);
            for (k, b) in bs.iter().enumerate() {
                assert_eq!(dot(&a, b).to_bits(), four[k].to_bits(), "n = {n}, k = {k}");
            }
        }
    }
}
