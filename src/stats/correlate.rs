//! Correlation maps: Pearson or Spearman for every pair of two column sets, on
//! pairwise-complete observations, with p-values and multiple-testing adjustment.
//!
//! - Spearman is Pearson on average ranks (ties share their mean rank), ranked per pair over
//!   the rows both columns have, as `scipy.stats.spearmanr(..., nan_policy='omit')` does pair
//!   by pair.
//! - p is two-sided from Student's t with n − 2 degrees of freedom (`t = r √((n−2)/(1−r²))`),
//!   as scipy's `pearsonr` and `spearmanr`.
//! - [`map`] computes every pair of two column sets at once: columns that have the same rows
//!   are ranked (Spearman) and standardised once for the rows they share with the other side,
//!   and their pairs are dot products, on all cores.
//! - q adjusts the p-values of the whole map: Benjamini–Hochberg, Benjamini–Yekutieli or
//!   Bonferroni, as `statsmodels.stats.multitest.multipletests`.

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

/// One pair's result. `r` and `p` are `None` with fewer than 3 complete rows or a constant
/// column (scipy returns NaN there).
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub n: usize,
    pub r: Option<f64>,
    pub p: Option<f64>,
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
        return Pair {
            n,
            r: None,
            p: None,
        };
    }
    if method == Method::Spearman {
        a = ranks(&a);
        b = ranks(&b);
    }
    let r = pearson(&a, &b);
    Pair {
        n,
        r,
        p: r.map(|r| p_value(r, n)),
    }
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

/// Four dot products of `a` with `b[0..4]`, reading `a` once.
fn dot4(a: &[f64], b: [&[f64]; 4]) -> [f64; 4] {
    let n = a.len();
    let mut acc = [[0.0f64; 2]; 4];
    let pairs = n / 2;
    for i in 0..pairs {
        let (a0, a1) = (a[2 * i], a[2 * i + 1]);
        for k in 0..4 {
            acc[k][0] += a0 * b[k][2 * i];
            acc[k][1] += a1 * b[k][2 * i + 1];
        }
    }
    let mut out = [0.0; 4];
    for k in 0..4 {
        out[k] = acc[k][0] + acc[k][1];
        if n % 2 == 1 {
            out[k] += a[n - 1] * b[k][n - 1];
        }
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
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = columns.len().div_ceil(threads).max(1);
    let masks: Vec<Mask> = std::thread::scope(|scope| {
        let handles: Vec<_> = columns
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(|c| mask(c)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a mask worker does not panic"))
            .collect()
    });
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
    let rows = xs.first().or(ys.first()).map_or(0, Vec::len);
    debug_assert!(xs.iter().chain(ys).all(|c| c.len() == rows));
    let (nx, ny) = (xs.len(), ys.len());
    let mut pairs = vec![
        Pair {
            n: 0,
            r: None,
            p: None
        };
        nx * ny
    ];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
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
            let common: Vec<usize> = (0..rows)
                .filter(|&r| ((mx[r / 64] & my[r / 64]) >> (r % 64)) & 1 == 1)
                .collect();
            let n = common.len();
            if n < 3 {
                for &j in yj {
                    for &i in xi {
                        pairs[j * nx + i].n = n;
                    }
                }
                continue;
            }
            let px: Vec<Option<Vec<f64>>> =
                xi.iter().map(|&i| unit(&xs[i], &common, method)).collect();
            let per_thread = yj.len().div_ceil(threads);
            let done: Vec<Vec<(usize, Vec<Pair>)>> = std::thread::scope(|scope| {
                let handles: Vec<_> = yj
                    .chunks(per_thread)
                    .map(|part| {
                        let (px, common) = (&px, &common);
                        scope.spawn(move || {
                            let mut out = Vec::with_capacity(part.len());
                            // Four y columns at a time: each x column is read once for the
                            // four dot products (it comes from further out in the cache).
                            for four in part.chunks(4) {
                                let bs: Vec<Option<Vec<f64>>> =
                                    four.iter().map(|&j| unit(&ys[j], common, method)).collect();
                                let mut rows: Vec<Vec<Pair>> =
                                    vec![Vec::with_capacity(px.len()); four.len()];
                                let present: Vec<&[f64]> =
                                    bs.iter().flatten().map(Vec::as_slice).collect();
                                for a in px {
                                    let rs = match a {
                                        Some(a) if present.len() == 4 => dot4(
                                            a,
                                            [present[0], present[1], present[2], present[3]],
                                        )
                                        .to_vec(),
                                        Some(a) => present.iter().map(|b| dot(a, b)).collect(),
                                        None => Vec::new(),
                                    };
                                    let mut next = rs.into_iter();
                                    for (k, b) in bs.iter().enumerate() {
                                        let pair = match (a, b) {
                                            (Some(_), Some(_)) => {
                                                let r = next.next().unwrap_or(0.0).clamp(-1.0, 1.0);
                                                Pair {
                                                    n,
                                                    r: Some(r),
                                                    p: Some(p_value(r, n)),
                                                }
                                            }
                                            _ => Pair {
                                                n,
                                                r: None,
                                                p: None,
                                            },
                                        };
                                        rows[k].push(pair);
                                    }
                                }
                                out.extend(four.iter().copied().zip(rows));
                            }
                            out
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("correlation worker panicked"))
                    .collect()
            });
            for (j, row) in done.into_iter().flatten() {
                for (&i, pair) in xi.iter().zip(row) {
                    pairs[j * nx + i] = pair;
                }
            }
        }
    }
    if !near.is_empty() {
        for (j, row) in near_pairs(xs, ys, &gx, &gy, &near, threads) {
            for (i, pair) in row {
                pairs[j * nx + i] = pair;
            }
        }
    }
    Map { nx, ny, pairs }
}

/// Group pairs whose row sets differ in at most this many rows take [`near_pairs`].
const NEAR: usize = 16;
/// y columns per block in [`near_pairs`] (their ranks stay in the core's cache).
const NEAR_BLOCK: usize = 8;

fn differing(a: &Mask, b: &Mask) -> usize {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x ^ y).count_ones() as usize)
        .sum()
}

fn shared(a: &Mask, b: &Mask) -> usize {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x & y).count_ones() as usize)
        .sum()
}

/// The rows set in `a` but not in `b`.
fn only_in(a: &Mask, b: &Mask) -> Vec<usize> {
    let mut rows = Vec::new();
    for (w, (x, y)) in a.iter().zip(b).enumerate() {
        let mut bits = x & !y;
        while bits != 0 {
            rows.push(w * 64 + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
    }
    rows
}

/// A column ranked once over all the rows it has: average ranks (0 where missing), the size
/// of each row's tie group, and Σ (t³ − t) over its tie groups.
struct Ranked<'a> {
    values: &'a [f64],
    ranks: Vec<f64>,
    ties: Vec<u32>,
    tie_sum: f64,
}

impl<'a> Ranked<'a> {
    fn new(values: &'a [f64]) -> Ranked<'a> {
        let present: Vec<u32> = (0..values.len() as u32)
            .filter(|&r| values[r as usize].is_finite())
            .collect();
        let picked: Vec<f64> = present.iter().map(|&r| values[r as usize]).collect();
        let order = sorted(&picked);
        let mut ranks = vec![0.0; values.len()];
        let mut ties = vec![0u32; values.len()];
        let mut tie_sum = 0.0;
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && order[j + 1].0 == order[i].0 {
                j += 1;
            }
            let t = (j - i + 1) as u32;
            tie_sum += tie_term(t);
            for k in &order[i..=j] {
                let row = present[k.1 as usize] as usize;
                ranks[row] = (i + j) as f64 / 2.0 + 1.0;
                ties[row] = t;
            }
            i = j + 1;
        }
        Ranked {
            values,
            ranks,
            ties,
            tie_sum,
        }
    }

    /// Σ (t³ − t) over the tie groups that remain when `removed` rows are taken out.
    fn tie_sum_without(&self, removed: &[usize]) -> f64 {
        let mut sum = self.tie_sum;
        let mut seen: Vec<usize> = Vec::new();
        for (k, &row) in removed.iter().enumerate() {
            let value = self.values[row];
            if seen.iter().any(|&s| self.values[s] == value) {
                continue;
            }
            seen.push(row);
            let gone = removed[k..]
                .iter()
                .filter(|&&r| self.values[r] == value)
                .count() as u32;
            let t = self.ties[row];
            sum += tie_term(t - gone) - tie_term(t);
        }
        sum
    }
}

fn tie_term(t: u32) -> f64 {
    let t = f64::from(t);
    t * t * t - t
}

/// Σ over rows of (`ranks[i]` − Σₘ step(`ranks[i]` − `thresholds[m]`)) × `weights[i]`, where
/// step is 1 above the threshold, ½ at it and 0 below: the ranks lowered by removing the rows
/// of those ranks, dotted with the weights. Thresholds are taken four at a time (padded
/// with +∞); the first four share the pass of the dot product.
///
/// Distinct values have average ranks at least 1 apart, and ranks are half-integers, so
/// step(d) = clamp(d + ½, 0, 1) exactly; a missing row has rank 0, below every threshold.
/// Written as arithmetic without branches, the loop becomes SIMD.
fn lowered_dot(ranks: &[f64], thresholds: &[f64], weights: &[f64]) -> f64 {
    if thresholds.len() <= 2 {
        // The common case (a gene missing one or two subjects): one pass of two steps.
        return lowered_pass::<2>(ranks, thresholds, 1.0, weights);
    }
    thresholds
        .chunks(4)
        .enumerate()
        // The ranks themselves count once, in the first pass.
        .map(|(b, batch)| lowered_pass::<4>(ranks, batch, if b == 0 { 1.0 } else { 0.0 }, weights))
        .sum()
}

/// One pass of [`lowered_dot`] over up to `K` thresholds (the rest +∞), with the ranks
/// themselves weighted by `own` (1 or 0).
fn lowered_pass<const K: usize>(
    ranks: &[f64],
    thresholds: &[f64],
    own: f64,
    weights: &[f64],
) -> f64 {
    let clamp = |d: f64| {
        let d = if d < 0.0 { 0.0 } else { d };
        if d > 1.0 { 1.0 } else { d }
    };
    let mut t = [f64::INFINITY; K];
    t[..thresholds.len()].copy_from_slice(thresholds);
    let t = t.map(|t| 0.5 - t);
    let lowered = |r: f64| own * r - t.iter().map(|t| clamp(r + t)).sum::<f64>();
    let mut acc = [0.0f64; 4];
    let (cr, cw) = (ranks.chunks_exact(4), weights.chunks_exact(4));
    let (rr, rw) = (cr.remainder(), cw.remainder());
    for (r, w) in cr.zip(cw) {
        for k in 0..4 {
            acc[k] += lowered(r[k]) * w[k];
        }
    }
    for (r, w) in rr.iter().zip(rw) {
        acc[0] += lowered(*r) * w;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Spearman for pairs of groups whose rows differ in a few rows (`A` = rows only x has, `B` =
/// rows only y has): each column is ranked once over its own rows, and each pair's ranks on
/// the shared rows S are those ranks lowered by the removed rows below them (½ for a removed
/// tie), so that
///
/// Σ_S r′x r′y = Σ rx ry − Σ_{j∈A} Σ_S [xᵢ ≥ xⱼ]·ry − Σ_{l∈B} Σ_S [yᵢ ≥ yₗ]·rx + Σ_S dx dy
///
/// and Σ_S r′² = m(m+1)(2m+1)/6 − Σ(t³ − t)/12 over the ties left on S. Ranks are
/// half-integers, so every sum is exact in f64 and the result equals ranking per pair. This
/// keeps scattered missing values (a `NA` here and there in a 10,000-subject matrix, which
/// gives almost every gene its own row set) from costing a sort of every feature per gene.
fn near_pairs(
    xs: &[Vec<f64>],
    ys: &[Vec<f64>],
    gx: &[(Mask, Vec<usize>)],
    gy: &[(Mask, Vec<usize>)],
    near: &[(usize, usize)],
    threads: usize,
) -> Vec<(usize, Vec<(usize, Pair)>)> {
    let mut used_x = vec![false; gx.len()];
    for &(a, _) in near {
        used_x[a] = true;
    }
    let x_columns: Vec<usize> = gx
        .iter()
        .zip(&used_x)
        .filter(|(_, used)| **used)
        .flat_map(|((_, xi), _)| xi.iter().copied())
        .collect();
    let mut ranked_x: Vec<Option<Ranked<'_>>> = (0..xs.len()).map(|_| None).collect();
    for (i, r) in rank_all(&x_columns, xs, threads) {
        ranked_x[i] = Some(r);
    }
    // The y groups, each with the x groups it is near.
    let mut by_y: Vec<(usize, Vec<usize>)> = Vec::new();
    for &(a, b) in near {
        match by_y.iter_mut().find(|(y, _)| *y == b) {
            Some((_, list)) => list.push(a),
            None => by_y.push((b, vec![a])),
        }
    }
    let work: Vec<(usize, &[usize])> = by_y
        .iter()
        .flat_map(|(b, list)| gy[*b].1.iter().map(move |&j| (j, list.as_slice())))
        .collect();
    let per = work.len().div_ceil(threads).max(1);
    let ranked_x = &ranked_x;
    std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(per)
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    // A block of y columns at a time, so that each x column's ranks are read
                    // from memory once per block rather than once per y column.
                    for block in part.chunks(NEAR_BLOCK) {
                        let ys_ranked: Vec<(Ranked<'_>, Mask)> = block
                            .iter()
                            .map(|&(j, _)| (Ranked::new(&ys[j]), mask(&ys[j])))
                            .collect();
                        let mut rows: Vec<Vec<(usize, Pair)>> = vec![Vec::new(); block.len()];
                        let mut groups: Vec<usize> =
                            block.iter().flat_map(|w| w.1.iter().copied()).collect();
                        groups.sort_unstable();
                        groups.dedup();
                        for a in groups {
                            let (mx, xi) = &gx[a];
                            // (block index, only x, only y, shared rows, Σ r′y²) of the y
                            // columns near this x group.
                            let near_y: Vec<_> = block
                                .iter()
                                .enumerate()
                                .filter(|(_, w)| w.1.contains(&a))
                                .map(|(k, _)| {
                                    let (y, my) = &ys_ranked[k];
                                    let only_x = only_in(mx, my);
                                    let only_y = only_in(my, mx);
                                    let m = shared(mx, my);
                                    let syy = rank_square_sum(m, y.tie_sum_without(&only_y));
                                    (k, only_x, only_y, m, syy)
                                })
                                .collect();
                            for &i in xi {
                                let x = ranked_x[i].as_ref().expect("x columns are ranked");
                                for (k, only_x, only_y, m, syy) in &near_y {
                                    let sxx = rank_square_sum(*m, x.tie_sum_without(only_x));
                                    let y = &ys_ranked[*k].0;
                                    rows[*k]
                                        .push((i, near_pair(x, y, only_x, only_y, *m, sxx, *syy)));
                                }
                            }
                        }
                        out.extend(block.iter().map(|w| w.0).zip(rows));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("correlation worker panicked"))
            .collect()
    })
}

/// [`Ranked`] of each of `columns`, on all cores.
fn rank_all<'a>(columns: &[usize], of: &'a [Vec<f64>], threads: usize) -> Vec<(usize, Ranked<'a>)> {
    let per = columns.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = columns
            .chunks(per)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&i| (i, Ranked::new(&of[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("ranking worker panicked"))
            .collect()
    })
}

/// Σ r² of average ranks over m rows whose ties give Σ (t³ − t) = `ties`.
fn rank_square_sum(m: usize, ties: f64) -> f64 {
    let m = m as f64;
    m * (m + 1.0) * (2.0 * m + 1.0) / 6.0 - ties / 12.0
}

fn near_pair(
    x: &Ranked<'_>,
    y: &Ranked<'_>,
    only_x: &[usize],
    only_y: &[usize],
    m: usize,
    sxx: f64,
    syy: f64,
) -> Pair {
    // Σ_S r′x r′y = Σ (rx − dx) ry − Σ dy rx + Σ_S dx dy.
    let tx: Vec<f64> = only_x.iter().map(|&j| x.ranks[j]).collect();
    let ty: Vec<f64> = only_y.iter().map(|&l| y.ranks[l]).collect();
    let mut sxy = if only_y.is_empty() {
        lowered_dot(&x.ranks, &tx, &y.ranks)
    } else if only_x.is_empty() {
        lowered_dot(&y.ranks, &ty, &x.ranks)
    } else {
        lowered_dot(&x.ranks, &tx, &y.ranks)
            - (dot(&y.ranks, &x.ranks) - lowered_dot(&y.ranks, &ty, &x.ranks))
    };
    if !only_x.is_empty() && !only_y.is_empty() {
        let step = |v: f64, t: f64| {
            if v > t {
                1.0
            } else if v == t {
                0.5
            } else {
                0.0
            }
        };
        for i in 0..x.values.len() {
            let (xv, yv) = (x.values[i], y.values[i]);
            if xv.is_finite() && yv.is_finite() {
                let dx: f64 = only_x.iter().map(|&j| step(xv, x.values[j])).sum();
                let dy: f64 = only_y.iter().map(|&l| step(yv, y.values[l])).sum();
                sxy += dx * dy;
            }
        }
    }
    let mf = m as f64;
    let centre = mf * ((mf + 1.0) / 2.0).powi(2);
    let (cov, vx, vy) = (sxy - centre, sxx - centre, syy - centre);
    if vx <= 0.0 || vy <= 0.0 {
        return Pair {
            n: m,
            r: None,
            p: None,
        };
    }
    let r = (cov / (vx * vy).sqrt()).clamp(-1.0, 1.0);
    Pair {
        n: m,
        r: Some(r),
        p: Some(p_value(r, m)),
    }
}

/// Average ranks, 1-based (`NaN` sorts last; callers pass finite values).
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    let order = sorted(v);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && order[j + 1].0 == order[i].0 {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            out[k.1 as usize] = mean;
        }
        i = j + 1;
    }
    out
}

/// `(key, row)` sorted by value: the key is the value's bits mapped so that unsigned order is
/// `f64::total_cmp` order, which sorts much faster than comparing through the rows.
fn sorted(v: &[f64]) -> Vec<(u64, u32)> {
    let mut order: Vec<(u64, u32)> = v
        .iter()
        .enumerate()
        .map(|(i, x)| {
            // -0.0 and 0.0 are one value for ranking.
            let bits = if *x == 0.0 { 0u64 } else { x.to_bits() };
            let key = if bits >> 63 == 1 {
                !bits
            } else {
                bits | (1 << 63)
            };
            (key, i as u32)
        })
        .collect();
    radix_sort(&mut order);
    order
}

/// Sorts by key (then row, as rows start in order and each pass is stable): least-significant
/// digit first, skipping the digits every key shares (the sign and exponent of values of one
/// magnitude). About 3× faster than a comparison sort on 10,000 values.
fn radix_sort(items: &mut Vec<(u64, u32)>) {
    if items.len() < 256 {
        items.sort_unstable();
        return;
    }
    let mut buffer = vec![(0u64, 0u32); items.len()];
    // Six passes of 11 bits (the last 9): the counts fit in the first-level cache.
    for shift in (0..64).step_by(11) {
        let mut counts = [0usize; 2048];
        for item in items.iter() {
            counts[((item.0 >> shift) & 0x7FF) as usize] += 1;
        }
        if counts.contains(&items.len()) {
            continue;
        }
        let mut start = [0usize; 2048];
        let mut sum = 0;
        for (b, c) in counts.iter().enumerate() {
            start[b] = sum;
            sum += c;
        }
        for item in items.iter() {
            let b = ((item.0 >> shift) & 0x7FF) as usize;
            buffer[start[b]] = *item;
            start[b] += 1;
        }
        std::mem::swap(items, &mut buffer);
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

/// Two-sided p of a correlation `r` over `n` rows.
fn p_value(r: f64, n: usize) -> f64 {
    let df = (n - 2) as f64;
    if r.abs() >= 1.0 {
        return 0.0;
    }
    // P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2).
    let t2 = r * r * df / (1.0 - r * r);
    beta_inc(df / 2.0, 0.5, df / (df + t2))
}

/// The regularized incomplete beta function I_x(a, b) (Lentz's continued fraction).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

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
    let present: Vec<(usize, f64)> = p
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    let m = present.len() as f64;
    let mut out = vec![None; p.len()];
    match method {
        Adjust::None => return p.to_vec(),
        Adjust::Bonferroni => {
            for (i, v) in present {
                out[i] = Some((v * m).min(1.0));
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
        running = running.min(v * m * factor / rank);
        out[*i] = Some(running.min(1.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_radix_sort_orders_as_total_cmp_does() {
        let mut state = 3u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for n in [300usize, 10_000] {
            let v: Vec<f64> = (0..n)
                .map(|i| match i % 7 {
                    0 => -((next() % 1000) as f64) / 8.0,
                    1 => 0.0,
                    2 => -0.0,
                    3 => f64::INFINITY,
                    4 => (next() % 50) as f64,
                    _ => (next() as f64) * 1e-9,
                })
                .collect();
            let got: Vec<u32> = sorted(&v).into_iter().map(|p| p.1).collect();
            let mut want: Vec<u32> = (0..n as u32).collect();
            want.sort_by(|&a, &b| {
                let (x, y) = (v[a as usize], v[b as usize]);
                let (x, y) = (
                    if x == 0.0 { 0.0 } else { x },
                    if y == 0.0 { 0.0 } else { y },
                );
                x.total_cmp(&y).then(a.cmp(&b))
            });
            assert_eq!(got, want, "n = {n}");
        }
    }
}
