//! Spearman for pairs of column groups whose rows differ in a few rows: each column ranked
//! once over its own rows, the ranks lowered exactly for the rows the other column lacks.

use super::rank::sorted;
use super::{Mask, Pair, dot, mask};

/// Group pairs whose row sets differ in at most this many rows take [`near_pairs`].
pub(super) const NEAR: usize = 16;
/// y columns per block in [`near_pairs`] (their ranks stay in the core's cache).
const NEAR_BLOCK: usize = 8;

pub(super) fn differing(a: &Mask, b: &Mask) -> usize {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x ^ y).count_ones() as usize)
        .sum()
}

pub(super) fn shared(a: &Mask, b: &Mask) -> usize {
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

/// The x columns of the groups that have near pairs, ranked once (`None` for the others).
fn rank_near_x<'a>(
    xs: &'a [Vec<f64>],
    gx: &[(Mask, Vec<usize>)],
    near: &[(usize, usize)],
) -> Vec<Option<Ranked<'a>>> {
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
    let mut ranked_x: Vec<Option<Ranked<'a>>> = (0..xs.len()).map(|_| None).collect();
    for (i, r) in rank_all(&x_columns, xs) {
        ranked_x[i] = Some(r);
    }
    ranked_x
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
pub(super) fn near_pairs(
    xs: &[Vec<f64>],
    ys: &[Vec<f64>],
    gx: &[(Mask, Vec<usize>)],
    gy: &[(Mask, Vec<usize>)],
    near: &[(usize, usize)],
    stop: &std::sync::atomic::AtomicBool,
) -> Vec<(usize, Vec<(usize, Pair)>)> {
    let ranked_x = rank_near_x(xs, gx, near);
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
    // A block of y columns at a time, so that each x column's ranks are read from memory once
    // per block rather than once per y column.
    let blocks: Vec<&[(usize, &[usize])]> = work.chunks(NEAR_BLOCK).collect();
    let done = crate::parallel::map(&blocks, |block| {
        // A cancelled or timed-out statement: the rest is not computed (the caller gives
        // nothing then).
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Vec::new();
        }
        let ys_ranked: Vec<(Ranked<'_>, Mask)> = block
            .iter()
            .map(|&(j, _)| (Ranked::new(&ys[j]), mask(&ys[j])))
            .collect();
        let mut rows: Vec<Vec<(usize, Pair)>> = vec![Vec::new(); block.len()];
        let mut groups: Vec<usize> = block.iter().flat_map(|w| w.1.iter().copied()).collect();
        groups.sort_unstable();
        groups.dedup();
        for a in groups {
            let (mx, xi) = &gx[a];
            // (block index, only x, only y, shared rows, Σ r′y²) of the y columns near this x
            // group.
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
                    rows[*k].push((i, near_pair(x, y, only_x, only_y, *m, sxx, *syy)));
                }
            }
        }
        block.iter().map(|w| w.0).zip(rows).collect::<Vec<_>>()
    });
    done.into_iter().flatten().collect()
}

/// [`Ranked`] of each of `columns`, on all cores.
fn rank_all<'a>(columns: &[usize], of: &'a [Vec<f64>]) -> Vec<(usize, Ranked<'a>)> {
    crate::parallel::map(columns, |&i| (i, Ranked::new(&of[i])))
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
        return Pair::none(m);
    }
    let r = (cov / (vx * vy).sqrt()).clamp(-1.0, 1.0);
    Pair::of(m, Some(r))
}
