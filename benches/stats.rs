//! Statistics bench: the survival functions on generated cohorts.
//!
//! Targets (issue 8): a Cox fit with 5 covariates on 10,000 subjects under 100 ms; a Spearman
//! map of 100 features × 20,000 genes over 500 subjects under 3 s. Also reported:
//! Kaplan–Meier and a 4-group log-rank test on the same 10,000 subjects, and the map when 2 %
//! of the genes miss one value each (so their pairs are ranked on other rows).
//! Run with `cargo bench --bench stats`; figures go to `benches/README.md`.

use criterion::{Criterion, criterion_group, criterion_main};
use rgdb::stats::correlate::{Adjust, Method, adjust, map};
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

/// 100 features and 20,000 genes over 500 subjects; each gene is a mix of one feature and
/// noise, so the map has real correlations to find. With `missing`, every 50th gene lacks one
/// subject's value.
fn map_columns(missing: bool) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    const SUBJECTS: usize = 500;
    let features: Vec<Vec<f64>> = (0..100)
        .map(|f| (0..SUBJECTS).map(|s| uniform(s, 1000 + f)).collect())
        .collect();
    let genes = (0..20_000)
        .map(|g| {
            let mut v: Vec<f64> = (0..SUBJECTS)
                .map(|s| 0.3 * features[g % 100][s] + uniform(s, 200_000 + g))
                .collect();
            if missing && g % 50 == 0 {
                v[g % SUBJECTS] = f64::NAN;
            }
            v
        })
        .collect();
    (features, genes)
}

fn correlation_map(c: &mut Criterion) {
    let mut group = c.benchmark_group("stats");
    group.sample_size(10);
    for (name, missing) in [
        ("spearman_map_100x20000_500_subjects", false),
        ("spearman_map_100x20000_500_subjects_2pct_missing", true),
    ] {
        let (x, y) = map_columns(missing);
        group.bench_function(name, |b| {
            b.iter(|| {
                let m = map(&x, &y, Method::Spearman);
                let p: Vec<Option<f64>> = m.pairs.iter().map(|p| p.p()).collect();
                adjust(&p, Adjust::Bh)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stats, correlation_map);
criterion_main!(benches);
