//! Statistics bench: the survival functions on generated cohorts.
//!
//! Target (issue 8): a Cox fit with 5 covariates on 10,000 subjects under 100 ms. Also
//! reported: Kaplan–Meier and a 4-group log-rank test on the same 10,000 subjects.
//! Run with `cargo bench --bench stats`; figures go to `benches/README.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use rgdb::stats::{KaplanMeier, LogRank, Observation, cox};

const N: usize = 10_000;

/// A deterministic uniform in [0, 1).
fn uniform(i: usize, k: usize) -> f64 {
    let mut z = (i * 31 + k) as u64;
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Exponential survival times with hazard exp(xβ), 30 % censored, times rounded to days
/// (so there are ties).
fn cohort() -> (Vec<f64>, Vec<bool>, Vec<Vec<f64>>) {
    let beta = [0.5, -0.3, 0.2, 0.0, 0.8];
    let mut time = Vec::with_capacity(N);
    let mut event = Vec::with_capacity(N);
    let mut x = Vec::with_capacity(N);
    for i in 0..N {
        let row: Vec<f64> = (0..5)
            .map(|k| {
                if k == 4 {
                    (uniform(i, k) < 0.5) as u8 as f64
                } else {
                    uniform(i, k) * 2.0 - 1.0
                }
            })
            .collect();
        let eta: f64 = row.iter().zip(beta).map(|(v, b)| v * b).sum();
        let t = -(1.0 - uniform(i, 7)).ln() / eta.exp() * 1000.0;
        time.push(t.round().max(1.0));
        event.push(uniform(i, 9) > 0.3);
        x.push(row);
    }
    (time, event, x)
}

fn stats(c: &mut Criterion) {
    let (time, event, x) = cohort();
    let observations: Vec<Observation> = time
        .iter()
        .zip(&event)
        .map(|(&time, &event)| Observation { time, event })
        .collect();
    let groups: Vec<Vec<Observation>> = (0..4)
        .map(|g| observations.iter().skip(g).step_by(4).copied().collect())
        .collect();
    let mut group = c.benchmark_group("stats");
    group.sample_size(20);
    group.bench_function("cox_5_covariates_10000_subjects", |b| {
        b.iter(|| cox::fit(&time, &event, &x).unwrap())
    });
    group.bench_function("kaplan_meier_10000_subjects", |b| {
        b.iter(|| KaplanMeier::fit(&observations, 0.95))
    });
    group.bench_function("log_rank_4_groups_10000_subjects", |b| {
        b.iter(|| LogRank::test(&groups).unwrap())
    });
    group.finish();
}

criterion_group!(benches, stats);
criterion_main!(benches);
