//! The survival statistics against lifelines (`tests/reference/survival/reference.py`): the
//! real cohort's overall survival by EGFR status and by gender, and a synthetic set with ties,
//! a group without events and several groups, and even-size groups whose curve reaches exactly
//! 1/2 (issue 21). Relative tolerance 1e-6, as issue 8 asks; medians and times exactly.

use std::collections::BTreeMap;

use rgdb::stats::{KaplanMeier, LogRank, NoTest, Observation};

use crate::common::root;

/// `set → group column → group → observations`, from the reference script's input.csv.
fn input() -> BTreeMap<(String, String), BTreeMap<String, Vec<Observation>>> {
    let mut reader =
        csv::Reader::from_path(root().join("tests/reference/survival/input.csv")).unwrap();
    let mut out: BTreeMap<(String, String), BTreeMap<String, Vec<Observation>>> = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        let o = Observation {
            time: r[2].parse().unwrap(),
            event: &r[3] == "1",
        };
        for (by, value) in [("egfr", &r[4]), ("gender", &r[5])] {
            if !value.is_empty() {
                out.entry((r[0].to_string(), by.to_string()))
                    .or_default()
                    .entry(value.to_string())
                    .or_default()
                    .push(o);
            }
        }
    }
    out
}

fn reference() -> serde_json::Value {
    let text =
        std::fs::read_to_string(root().join("tests/reference/survival/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(what: &str, actual: f64, expected: f64) {
    let tolerance = 1e-6 * expected.abs().max(1e-12);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs {expected}"
    );
}

fn optional(what: &str, actual: Option<f64>, expected: &serde_json::Value) {
    match (actual, expected.as_f64()) {
        (Some(a), Some(e)) => close(what, a, e),
        (None, None) => {}
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
fn kaplan_meier_and_log_rank_match_lifelines() {
    let data = input();
    let reference = reference();
    for (name, set, by) in [
        ("cohort_by_egfr", "cohort", "egfr"),
        ("cohort_by_gender", "cohort", "gender"),
        ("synthetic_by_group", "synthetic", "egfr"),
        ("even_by_group", "even", "egfr"),
    ] {
        let groups = &data[&(set.to_string(), by.to_string())];
        let expected = &reference[name];
        for (group, observations) in groups {
            let fit = KaplanMeier::fit(observations, 0.95);
            let want = &expected["groups"][group];
            let label = format!("{name} {group}");
            assert_eq!(fit.n as u64, want["n"].as_u64().unwrap(), "{label} n");
            assert_eq!(
                fit.events as u64,
                want["events"].as_u64().unwrap(),
                "{label} events"
            );
            // The median is a time: exactly the reference's (the exact product's first time at
            // or below 1/2), and where the exact curve is 1/2 it reads 0.5.
            assert_eq!(fit.median, want["median"].as_f64(), "{label} median");
            for t in want["half_at"].as_array().unwrap() {
                let t = t.as_f64().unwrap();
                assert_eq!(fit.at(t), 0.5, "{label} S({t})");
            }
            optional(
                &format!("{label} median lower"),
                fit.median_lower,
                &want["median_lower"],
            );
            optional(
                &format!("{label} median upper"),
                fit.median_upper,
                &want["median_upper"],
            );
            let curve = want["curve"].as_array().unwrap();
            assert_eq!(fit.curve.len(), curve.len(), "{label} steps");
            for (row, w) in fit.curve.iter().zip(curve) {
                let at = format!("{label} t={}", row.time);
                close(&at, row.time, w["time"].as_f64().unwrap());
                assert_eq!(
                    row.at_risk as u64,
                    w["at_risk"].as_u64().unwrap(),
                    "{at} at risk"
                );
                assert_eq!(
                    row.events as u64,
                    w["events"].as_u64().unwrap(),
                    "{at} events"
                );
                assert_eq!(
                    row.censored as u64,
                    w["censored"].as_u64().unwrap(),
                    "{at} censored"
                );
                close(
                    &format!("{at} S"),
                    row.survival,
                    w["survival"].as_f64().unwrap(),
                );
                close(
                    &format!("{at} lower"),
                    row.lower,
                    w["lower"].as_f64().unwrap(),
                );
                close(
                    &format!("{at} upper"),
                    row.upper,
                    w["upper"].as_f64().unwrap(),
                );
            }
        }
        let tested = LogRank::test(&groups.values().cloned().collect::<Vec<_>>()).unwrap();
        let want = &expected["logrank"];
        close(
            &format!("{name} chi2"),
            tested.chi2,
            want["chi2"].as_f64().unwrap(),
        );
        close(&format!("{name} p"), tested.p, want["p"].as_f64().unwrap());
        assert_eq!(tested.df as u64, want["df"].as_u64().unwrap());
    }
}

#[test]
fn survival_edge_cases() {
    let obs = |pairs: &[(f64, bool)]| -> Vec<Observation> {
        pairs
            .iter()
            .map(|&(time, event)| Observation { time, event })
            .collect()
    };
    // All censored: survival stays 1, no median, intervals [1, 1].
    let censored = KaplanMeier::fit(&obs(&[(3.0, false), (5.0, false)]), 0.95);
    assert!(
        censored
            .curve
            .iter()
            .all(|r| r.survival == 1.0 && r.lower == 1.0)
    );
    assert_eq!(censored.median, None);
    // Everyone dies at once: survival 0, median at that time.
    let all = KaplanMeier::fit(&obs(&[(4.0, true), (4.0, true)]), 0.95);
    assert_eq!(all.curve[0].survival, 0.0);
    assert_eq!(all.median, Some(4.0));
    // A single group, or no events anywhere: no log-rank test.
    assert_eq!(LogRank::test(&[obs(&[(1.0, true)])]), Err(NoTest::OneGroup));
    assert_eq!(
        LogRank::test(&[obs(&[(1.0, false)]), obs(&[(2.0, false)])]),
        Err(NoTest::NoEvents)
    );
    // Survival at fixed times reads the last step at or before each.
    let fit = KaplanMeier::fit(
        &obs(&[(2.0, true), (4.0, true), (6.0, false), (8.0, true)]),
        0.95,
    );
    assert_eq!(fit.at(1.0), 1.0);
    assert_eq!(fit.at(4.0), 0.5);
    assert_eq!(fit.at(7.0), 0.5);
    assert_eq!(fit.at(9.0), 0.0);
}

#[test]
fn the_survival_statement_matches_lifelines_on_the_demo() {
    let (_dir, db) = crate::common::demo_db();
    let reference = reference();
    // The demo's os_days/os_event are the columns of tests/reference/clinical_survival.csv.
    let result = db
        .query("SURVIVAL OF subjects BY egfr_mutation_status AT (365, 1825)")
        .unwrap();
    let header = result.header.clone().unwrap();
    assert!(
        header.starts_with("Kaplan–Meier of `os_days` (event `os_event`) by `egfr_mutation_status`: 206 rows, 5 dropped for a missing time, event or group"),
        "{header}"
    );
    assert!(
        header
            .contains("log-rank test (R survdiff, rho = 0): chi-square 3.9824 on 2 df, p = 0.137"),
        "{header}"
    );
    let rows = crate::common::rows(
        &db,
        "SURVIVAL OF subjects BY egfr_mutation_status AT (365, 1825)",
    );
    let groups = &reference["cohort_by_egfr"]["groups"];
    for row in &rows {
        let want = &groups[&row[0]];
        assert_eq!(row[1], want["n"].to_string(), "{row:?}");
        assert_eq!(row[2], want["events"].to_string(), "{row:?}");
        match want["median"].as_f64() {
            Some(m) => close("median", row[4].parse().unwrap(), m),
            None => assert_eq!(row[4], "NULL"),
        }
    }
    assert_eq!(rows.len(), 3);
    // A curve, another endpoint, and a numeric covariate cut at its median.
    let curve = crate::common::rows(&db, "SURVIVAL CURVE OF subjects BY gender");
    let female: Vec<&Vec<String>> = curve.iter().filter(|r| r[0] == "Female").collect();
    let want = reference["cohort_by_gender"]["groups"]["Female"]["curve"]
        .as_array()
        .unwrap();
    assert_eq!(female.len(), want.len());
    for (row, w) in female.iter().zip(want) {
        close(
            "survival",
            row[5].parse().unwrap(),
            w["survival"].as_f64().unwrap(),
        );
        close(
            "lower",
            row[7].parse().unwrap(),
            w["lower"].as_f64().unwrap(),
        );
    }
    let split = db
        .query("SURVIVAL OF subjects TIME rfs_days EVENT rfs_event BY age_at_histological_diagnosis QUANTILES 3")
        .unwrap();
    assert_eq!(split.num_rows(), 3);
    assert!(split.header.unwrap().contains("groups cut at "));
    // Inputs it cannot use are errors that say why.
    let err = db
        .query("SURVIVAL OF subjects TIME gender EVENT os_event")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0309: the time `gender` must be a number (days, months), not Utf8"
    );
    let err = db
        .query("SURVIVAL OF subjects BY histology SPLIT AT MEDIAN")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0309: SPLIT and QUANTILES cut a number, but `histology` is Utf8"
    );
}

#[test]
fn cox_regression_matches_lifelines_on_the_cohort() {
    let (_dir, db) = crate::common::demo_db();
    let text = std::fs::read_to_string(root().join("tests/reference/survival/cox_reference.json"))
        .unwrap();
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = crate::common::rows(
        &db,
        "SELECT os_days, os_event, age_at_histological_diagnosis, gender = 'Male', pack_years \
         FROM subjects WHERE os_days IS NOT NULL AND pack_years IS NOT NULL \
         AND age_at_histological_diagnosis IS NOT NULL",
    );
    assert_eq!(
        rows.len() as u64,
        want["n"].as_u64().unwrap(),
        "the same subjects"
    );
    let time: Vec<f64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let event: Vec<bool> = rows.iter().map(|r| r[1] == "true").collect();
    let x: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            vec![
                r[2].parse().unwrap(),
                if r[3] == "true" { 1.0 } else { 0.0 },
                r[4].parse().unwrap(),
            ]
        })
        .collect();
    let fit = rgdb::stats::cox::fit(&time, &event, &x).unwrap();
    assert_eq!(fit.events as u64, want["events"].as_u64().unwrap());
    for (k, name) in ["age", "male", "pack_years"].iter().enumerate() {
        let t = &want["terms"][name];
        close(
            &format!("{name} coef"),
            fit.coef[k],
            t["coef"].as_f64().unwrap(),
        );
        close(&format!("{name} se"), fit.se[k], t["se"].as_f64().unwrap());
        close(&format!("{name} z"), fit.z[k], t["z"].as_f64().unwrap());
        close(&format!("{name} p"), fit.p[k], t["p"].as_f64().unwrap());
        close(
            &format!("{name} lower"),
            fit.hr_lower[k],
            t["hr_lower"].as_f64().unwrap(),
        );
        close(
            &format!("{name} upper"),
            fit.hr_upper[k],
            t["hr_upper"].as_f64().unwrap(),
        );
    }
    close(
        "log-likelihood",
        fit.log_likelihood,
        want["log_likelihood"].as_f64().unwrap(),
    );
    close("LR chi2", fit.lr_chi2, want["lr_chi2"].as_f64().unwrap());
    close("LR p", fit.lr_p, want["lr_p"].as_f64().unwrap());
    close("Wald", fit.wald_chi2, want["wald_chi2"].as_f64().unwrap());
    close("Wald p", fit.wald_p, want["wald_p"].as_f64().unwrap());
    close(
        "score",
        fit.score_chi2,
        want["score_chi2"].as_f64().unwrap(),
    );
    close("score p", fit.score_p, want["score_p"].as_f64().unwrap());
    close(
        "concordance",
        fit.concordance,
        want["concordance"].as_f64().unwrap(),
    );
}

#[test]
fn the_cox_statement_codes_terms_and_matches_lifelines() {
    let (_dir, db) = crate::common::demo_db();
    let text = std::fs::read_to_string(root().join("tests/reference/survival/cox_reference.json"))
        .unwrap();
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    let result = db
        .query("COX OF subjects ON age_at_histological_diagnosis, gender, pack_years")
        .unwrap();
    let header = result.header.clone().unwrap();
    assert!(
        header.starts_with("Cox proportional hazards of `os_days` (event `os_event`): 155 rows, 53 events, 56 dropped for a missing value; Efron ties"),
        "{header}"
    );
    assert!(
        header.contains("reference levels: gender = Female\n"),
        "{header}"
    );
    assert!(header.contains("concordance 0.6497"), "{header}");
    let rows = crate::common::rows(
        &db,
        "COX OF subjects ON age_at_histological_diagnosis, gender, pack_years",
    );
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "age_at_histological_diagnosis",
            "gender = Male",
            "pack_years"
        ]
    );
    for (row, name) in rows.iter().zip(["age", "male", "pack_years"]) {
        let t = &want["terms"][name];
        for (col, key) in [
            (1, "coef"),
            (2, "hr"),
            (3, "se"),
            (4, "hr_lower"),
            (5, "hr_upper"),
            (6, "z"),
            (7, "p"),
        ] {
            close(
                &format!("{name} {key}"),
                row[col].parse().unwrap(),
                t[key].as_f64().unwrap(),
            );
        }
    }
    // A constant term cannot be estimated.
    let err = db
        .query("COX OF subjects ON age_at_histological_diagnosis * 0")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0309: the terms are collinear or one is constant: the model cannot separate their effects"
    );
}

#[test]
fn correlations_and_adjusted_p_values_match_scipy_and_statsmodels() {
    use rgdb::stats::correlate::{Adjust, Method, adjust, pair};
    let text =
        std::fs::read_to_string(root().join("tests/reference/correlate/reference.json")).unwrap();
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut reader =
        csv::Reader::from_path(root().join("tests/reference/correlate/input.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .skip(1)
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let column = |name: &str| -> Vec<f64> {
        let k = header.iter().position(|h| h == name).unwrap() - 1;
        rows.iter().map(|r| r[k]).collect()
    };
    for (method, key) in [(Method::Spearman, "spearman"), (Method::Pearson, "pearson")] {
        let pairs = want[key].as_array().unwrap();
        let results: Vec<_> = pairs
            .iter()
            .map(|p| {
                pair(
                    &column(p["feature"].as_str().unwrap()),
                    &column(p["gene"].as_str().unwrap()),
                    method,
                )
            })
            .collect();
        let ps: Vec<Option<f64>> = results.iter().map(|r| r.p()).collect();
        let adjusted = [
            ("q_bh", adjust(&ps, Adjust::Bh)),
            ("q_by", adjust(&ps, Adjust::By)),
            ("q_bonferroni", adjust(&ps, Adjust::Bonferroni)),
        ];
        for (k, (got, w)) in results.iter().zip(pairs).enumerate() {
            let at = format!("{key} {} × {}", w["feature"], w["gene"]);
            assert_eq!(got.n as u64, w["n"].as_u64().unwrap(), "{at} n");
            close(&format!("{at} r"), got.r.unwrap(), w["r"].as_f64().unwrap());
            close(
                &format!("{at} p"),
                got.p().unwrap(),
                w["p"].as_f64().unwrap(),
            );
            for (name, q) in &adjusted {
                close(
                    &format!("{at} {name}"),
                    q[k].unwrap(),
                    w[*name].as_f64().unwrap(),
                );
            }
        }
    }
    // Edge cases: a constant column and fewer than 3 rows have no r (scipy gives NaN).
    let constant = pair(
        &[1.0, 1.0, 1.0, 1.0],
        &[1.0, 2.0, 3.0, 4.0],
        Method::Pearson,
    );
    assert_eq!((constant.n, constant.r, constant.p()), (4, None, None));
    let short = pair(&[1.0, 2.0, f64::NAN], &[3.0, 4.0, 5.0], Method::Spearman);
    assert_eq!((short.n, short.r), (2, None));
    assert_eq!(
        adjust(&[Some(0.01), None, Some(0.04)], Adjust::Bh),
        [Some(0.02), None, Some(0.04)]
    );
}

/// The `CORRELATE` statement on the demo (radiomic features × RNA-seq genes) against the same
/// scipy/statsmodels reference: names as stored, rows sorted by p, every adjustment.
#[test]
fn the_correlate_statement_matches_scipy_on_the_demo() {
    let (_dir, db) = crate::common::demo_db();
    let text =
        std::fs::read_to_string(root().join("tests/reference/correlate/reference.json")).unwrap();
    let want: serde_json::Value = serde_json::from_str(&text).unwrap();
    let features: Vec<String> = want["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("radiomic.\"{}\"", f.as_str().unwrap()))
        .collect();
    let genes: Vec<String> = want["genes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| format!("rnaseq.{}", g.as_str().unwrap()))
        .collect();
    let stored = |name: &str| name.replace('-', "_");
    for (method, key) in [("spearman", "spearman"), ("pearson", "pearson")] {
        for (adjust, q_key) in [
            ("bh", "q_bh"),
            ("by", "q_by"),
            ("bonferroni", "q_bonferroni"),
        ] {
            let statement = format!(
                "CORRELATE {} WITH {} METHOD {method} ADJUST {adjust}",
                features.join(", "),
                genes.join(", ")
            );
            let result = db.query(&statement).unwrap();
            let header = result.header.clone().unwrap();
            assert!(
                header.contains("over the 211 rows of `subjects`"),
                "{header}"
            );
            let rows = crate::common::rows(&db, &statement);
            assert_eq!(rows.len(), want[key].as_array().unwrap().len());
            let ps: Vec<f64> = rows.iter().map(|r| r[4].parse().unwrap()).collect();
            assert!(ps.windows(2).all(|w| w[0] <= w[1]), "sorted by p: {ps:?}");
            for w in want[key].as_array().unwrap() {
                let x = format!("radiomic.{}", stored(w["feature"].as_str().unwrap()));
                let y = format!("rnaseq.{}", w["gene"].as_str().unwrap());
                let row = rows
                    .iter()
                    .find(|r| r[0] == x && r[1] == y)
                    .unwrap_or_else(|| panic!("{x} × {y} in {rows:?}"));
                let at = format!("{method}/{adjust} {x} × {y}");
                assert_eq!(row[2], w["n"].to_string(), "{at} n");
                close(
                    &format!("{at} r"),
                    row[3].parse().unwrap(),
                    w["r"].as_f64().unwrap(),
                );
                close(
                    &format!("{at} p"),
                    row[4].parse().unwrap(),
                    w["p"].as_f64().unwrap(),
                );
                close(
                    &format!("{at} q"),
                    row[5].parse().unwrap(),
                    w[q_key].as_f64().unwrap(),
                );
            }
        }
    }
}

/// The map computed at once (grouped by which rows each column has, dot products) equals the
/// pair-by-pair definition, with missing values scattered, constant columns and short overlaps.
#[test]
fn the_correlation_map_equals_pair_by_pair() {
    use rgdb::stats::correlate::{Method, map, pair};
    let mut state = 7u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let rows = 40;
    let mut column = |missing: f64, ties: bool| -> Vec<f64> {
        (0..rows)
            .map(|_| {
                let v = next();
                if next() < missing {
                    f64::NAN
                } else if ties {
                    (v * 4.0).floor()
                } else {
                    v
                }
            })
            .collect()
    };
    let mut xs: Vec<Vec<f64>> = (0..6).map(|k| column(0.1 * k as f64, k % 2 == 0)).collect();
    xs.push(vec![3.0; rows]);
    let mut ys: Vec<Vec<f64>> = (0..9)
        .map(|k| column(0.05 * k as f64, k % 3 == 0))
        .collect();
    ys.push(
        (0..rows)
            .map(|r| if r < 2 { 1.0 } else { f64::NAN })
            .collect(),
    );
    ys.push(ys[0].clone());
    for method in [Method::Spearman, Method::Pearson] {
        let m = map(&xs, &ys, method);
        for (i, x) in xs.iter().enumerate() {
            for (j, y) in ys.iter().enumerate() {
                let (got, want) = (m.get(i, j), pair(x, y, method));
                assert_eq!(got.n, want.n, "{method:?} {i} × {j}");
                match (got.r, want.r) {
                    (Some(a), Some(b)) => {
                        assert!((a - b).abs() < 1e-12, "{method:?} {i} × {j}: {a} vs {b}");
                        let (pa, pb) = (got.p().unwrap(), want.p().unwrap());
                        assert!((pa - pb).abs() <= 1e-9 * pb.max(1e-300), "{pa} vs {pb}");
                    }
                    (None, None) => assert_eq!(got.p(), None),
                    other => panic!("{method:?} {i} × {j}: {other:?}"),
                }
            }
        }
    }
    // The constant column and the two-row column have no r.
    let m = map(&xs, &ys, Method::Spearman);
    assert_eq!(m.get(6, 0).r, None);
    assert_eq!((m.get(0, 9).n <= 2, m.get(0, 9).r), (true, None));
}

/// Scattered missing values (a few per column, as in a large expression matrix) give almost
/// every column its own row set; those pairs are computed from ranks over each column's own
/// rows with exact corrections. They must still equal ranking pair by pair, ties included.
#[test]
fn the_correlation_map_with_scattered_missing_values_equals_pair_by_pair() {
    use rgdb::stats::correlate::{Method, map, pair};
    let mut state = 11u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let rows = 300;
    let mut column = |missing: usize, ties: bool| -> Vec<f64> {
        let mut c: Vec<f64> = (0..rows)
            .map(|_| {
                let v = next();
                if ties { (v * 7.0).floor() } else { v }
            })
            .collect();
        for _ in 0..missing {
            let at = (next() * rows as f64) as usize;
            c[at] = f64::NAN;
        }
        c
    };
    // x: complete, 1 and 3 missing, with and without ties; y: 0 to 5 missing.
    let xs: Vec<Vec<f64>> = [(0, false), (0, true), (1, true), (3, false), (3, true)]
        .iter()
        .map(|&(m, t)| column(m, t))
        .collect();
    let mut ys: Vec<Vec<f64>> = (0..12).map(|k| column(k % 6, k % 2 == 1)).collect();
    // A column constant on the rows it shares with x but for one removed row.
    let mut nearly_constant = vec![2.0; rows];
    nearly_constant[5] = 9.0;
    ys.push(nearly_constant);
    let m = map(&xs, &ys, Method::Spearman);
    for (i, x) in xs.iter().enumerate() {
        for (j, y) in ys.iter().enumerate() {
            let (got, want) = (m.get(i, j), pair(x, y, Method::Spearman));
            assert_eq!(got.n, want.n, "{i} × {j}");
            match (got.r, want.r) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() < 1e-12, "{i} × {j}: {a} vs {b}");
                    let (pa, pb) = (got.p().unwrap(), want.p().unwrap());
                    assert!((pa - pb).abs() <= 1e-9 * pb.max(1e-300), "{pa} vs {pb}");
                }
                (None, None) => assert_eq!(got.p(), None),
                other => panic!("{i} × {j}: {other:?}"),
            }
        }
    }
}

/// Statistics results are tables: `FROM (CORRELATE …)`, `FROM (SURVIVAL …)`, `FROM (COX …)`
/// filter, sort and aggregate like any query, and say what they computed above the rows.
#[test]
fn analysis_results_can_be_queried() {
    let (_dir, db) = crate::common::demo_db();
    let all = db
        .query("CORRELATE radiomic.original_shape_* WITH rnaseq.* METHOD pearson")
        .unwrap();
    let significant = crate::common::rows(
        &db,
        "SELECT x, y, q FROM (CORRELATE radiomic.original_shape_* WITH rnaseq.* METHOD pearson) \
         WHERE q < 0.05 ORDER BY q, x, y",
    );
    let expected = crate::common::rows(
        &db,
        "SELECT count(*) FROM (CORRELATE radiomic.original_shape_* WITH rnaseq.* METHOD pearson) WHERE q < 0.05",
    );
    assert_eq!(significant.len().to_string(), expected[0][0]);
    assert!(!significant.is_empty() && significant.len() < all.num_rows());
    assert!(
        significant
            .iter()
            .all(|r| r[2].parse::<f64>().unwrap() < 0.05)
    );
    let result = db
        .query(
            "SELECT * FROM (CORRELATE radiomic.original_shape_MeshVolume WITH rnaseq.MIB1) LIMIT 1",
        )
        .unwrap();
    assert!(result.header.unwrap().starts_with("Spearman's rho"));
    let names: Vec<String> = result
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["x", "y", "n", "r", "p", "q", "log10_p", "log10_q"]);
    // Survival groups and Cox terms.
    let groups = crate::common::rows(
        &db,
        "SELECT stratum, n FROM (SURVIVAL OF subjects BY gender) WHERE n > 50 ORDER BY n DESC",
    );
    // 135 men and 76 women, as the clinical CSV counts them (Python `csv` agrees).
    assert_eq!(groups, [["Male", "135"], ["Female", "76"]]);
    let terms = crate::common::rows(
        &db,
        "SELECT term FROM (COX OF subjects ON age_at_histological_diagnosis, gender) WHERE p < 1",
    );
    assert_eq!(terms.len(), 2);
    // EXPLAIN shows the analysis as a node of the plan, with the filter above it, and does
    // not compute it.
    let plan = crate::common::rows(
        &db,
        "EXPLAIN SELECT x, y, q FROM (CORRELATE radiomic.original_shape_* WITH rnaseq.*) \
         WHERE q < 0.05",
    );
    let (logical, physical) = (&plan[0][1], &plan[1][1]);
    let line = |text: &str, what: &str| -> usize {
        text.lines()
            .position(|l| l.trim_start().starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` in\n{text}"))
    };
    assert!(
        line(logical, "Filter: q < Float64(0.05)")
            < line(logical, "Correlate: spearman of 16 × 140 columns, q by bh"),
        "{logical}"
    );
    assert!(
        line(physical, "FilterExec: q@") < line(physical, "CorrelateExec: q by bh")
            && line(physical, "CorrelateExec")
                < line(
                    physical,
                    "CorrelateMapExec: spearman of 16 × 140 columns, 1 block(s)"
                ),
        "{physical}"
    );
    // ORDER BY p LIMIT composes with it as with any source: the 5 smallest p of the map.
    let all = crate::common::rows(
        &db,
        "SELECT x, y, p FROM (CORRELATE radiomic.original_shape_* WITH rnaseq.*)",
    );
    let top = crate::common::rows(
        &db,
        "SELECT x, y, p FROM (CORRELATE radiomic.original_shape_* WITH rnaseq.*) ORDER BY p LIMIT 5",
    );
    assert_eq!(top, all[..5]);
}

#[test]
fn a_column_named_twice_in_correlate_is_correlated_twice() {
    let (_dir, db) = crate::common::demo_db();
    // Once alone and once through a pattern on the left; twice on the right.
    let rows = crate::common::rows(
        &db,
        "SELECT x, y, n, r FROM (CORRELATE radiomic.original_shape_MeshVolume, \
         radiomic.original_shape_Mesh* WITH rnaseq.MIB1, rnaseq.MIB1) ORDER BY x, y",
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r[0] == "radiomic.original_shape_MeshVolume" && r[1] == "rnaseq.MIB1"),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r[2] == rows[0][2] && r[3] == rows[0][3]),
        "{rows:?}"
    );
    // A statistics statement exported, or made a cohort, still says what it computed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("groups.csv");
    let exported = db
        .query(&format!(
            "EXPORT (SELECT * FROM (SURVIVAL OF subjects BY gender)) TO '{}'",
            path.display()
        ))
        .unwrap();
    assert!(
        exported
            .header
            .as_deref()
            .is_some_and(|h| h.starts_with("Kaplan–Meier of `os_days`")),
        "{:?}",
        exported.header
    );
}

#[test]
fn correlate_errors_say_what_is_wrong() {
    let (_dir, db) = crate::common::demo_db();
    let cases = [
        (
            "CORRELATE radiomic.original_shape_MeshVolume WITH rnaseq.MIB1 METHOD kendall",
            "error E0220: METHOD `kendall` is not one of spearman, pearson",
        ),
        (
            "CORRELATE radiomic.original_shape_MeshVolume WITH rnaseq.MIB1 ADJUST holm",
            "error E0220: ADJUST `holm` is not one of bh, by, bonferroni, none",
        ),
        (
            "CORRELATE radiomic.original_shape_MeshVolume WITH gender",
            "error E0207: type mismatch: CORRELATE needs numbers, and this is text",
        ),
        (
            "CORRELATE radiomic.image* WITH rnaseq.MIB1",
            "error E0220: no numeric column to correlate here",
        ),
        (
            "CORRELATE rnaseq.MIB1 WITH rnaseq.CD52 IN series",
            "error E0220: `series` has several rows per subject; CORRELATE … IN takes subjects, a cohort or a table with one row per subject",
        ),
        (
            "SELECT rho FROM (CORRELATE rnaseq.MIB1 WITH rnaseq.CD52)",
            "error E0202: unknown column `rho` in table `correlate`; did you mean `r`?",
        ),
        (
            "SELECT subject_id FROM (SURVIVAL OF subjects)",
            "error E0202: unknown column `subject_id` in table `survival`",
        ),
    ];
    for (statement, message) in cases {
        let err = db.query(statement).unwrap_err();
        assert!(
            err.to_string().starts_with(message),
            "{statement}\n{}",
            err.render(statement)
        );
    }
}

/// `PLOT` writes Kaplan–Meier curves and correlation heatmaps as SVG (well-formed XML with the
/// groups, the p and the numbers at risk) and PNG (a valid file: signature, size, CRCs, and
/// pixel rows that inflate to the stated size).
#[test]
fn plots_are_written_as_svg_and_png() {
    let (dir, db) = crate::common::demo_db();
    let svg = dir.path().join("km.svg");
    let result = db
        .query(&format!(
            "PLOT SURVIVAL OF subjects BY gender TO '{}'",
            svg.display()
        ))
        .unwrap();
    assert!(result.header.unwrap().contains("log-rank test"));
    let text = std::fs::read_to_string(&svg).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut texts = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Text(t) => texts.push(t.html_content().into_owned()),
            _ => {}
        }
    }
    for wanted in [
        "Female (n = 76)",
        "Male (n = 135)",
        "Number at risk",
        "log-rank p = 0.0006",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(wanted)),
            "{wanted} not in {texts:?}"
        );
    }
    // The numbers at risk at time 0 are the group sizes.
    assert!(texts.iter().any(|t| t.trim() == "76") && texts.iter().any(|t| t.trim() == "135"));

    let png = dir.path().join("map.png");
    db.query(&format!(
        "PLOT CORRELATE radiomic.original_shape_* WITH rnaseq.* TO '{}'",
        png.display()
    ))
    .unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let (mut at, mut size, mut idat) = (8, (0u32, 0u32), Vec::new());
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(bytes[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(
            crc,
            crc32fast::hash(&bytes[at + 4..at + 8 + len]),
            "CRC of {kind:?}"
        );
        match kind {
            b"IHDR" => {
                size = (
                    u32::from_be_bytes(data[0..4].try_into().unwrap()),
                    u32::from_be_bytes(data[4..8].try_into().unwrap()),
                );
                assert_eq!(&data[8..], [8, 2, 0, 0, 0]);
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut pixels = Vec::new();
    use std::io::Read;
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut pixels)
        .unwrap();
    assert!(size.0 > 300 && size.1 > 200, "{size:?}");
    assert_eq!(pixels.len(), (size.0 as usize * 3 + 1) * size.1 as usize);
    // Not a blank image: blue and red cells are there.
    let rgb: Vec<[i32; 3]> = pixels
        .chunks(size.0 as usize * 3 + 1)
        .flat_map(|row| {
            row[1..]
                .chunks(3)
                .map(|p| [p[0].into(), p[1].into(), p[2].into()])
        })
        .collect();
    assert!(rgb.iter().any(|p| p[2] > p[0] + 60) && rgb.iter().any(|p| p[0] > p[2] + 60));

    // The REPL's small text plot of SURVIVAL.
    let km = db
        .query("SURVIVAL OF subjects BY egfr_mutation_status")
        .unwrap();
    let figure = km.figure.unwrap();
    assert!(
        figure.contains("* Mutant   o Unknown   + Wildtype"),
        "{figure}"
    );
    assert!(
        figure.contains(" 1.0 |") && figure.contains("(os_days)"),
        "{figure}"
    );

    // Refusals: an existing file, another format, a COX plot. Nothing is written.
    let cases = [
        (
            format!("PLOT SURVIVAL OF subjects TO '{}'", svg.display()),
            "error E0304",
        ),
        (
            "PLOT SURVIVAL OF subjects TO 'km.pdf'".to_string(),
            "error E0220: a plot is written as .svg or .png, and `km.pdf` is neither",
        ),
        (
            "PLOT COX OF subjects ON gender TO 'cox.svg'".to_string(),
            "error E0220: PLOT draws SURVIVAL (Kaplan–Meier curves) and CORRELATE (a heatmap); a COX result is a table",
        ),
    ];
    for (statement, message) in cases {
        let err = db.query(&statement).unwrap_err();
        assert!(err.to_string().starts_with(message), "{statement}: {err}");
    }
    assert!(!std::path::Path::new("km.pdf").exists() && !std::path::Path::new("cox.svg").exists());
    db.query(&format!(
        "PLOT SURVIVAL OF subjects TO '{}' OVERWRITE",
        svg.display()
    ))
    .unwrap();
}

/// A one-row result's columns as name → text.
fn one_row(db: &rgdb::Database, text: &str) -> BTreeMap<String, String> {
    let result = db.query(text).unwrap();
    let rows = crate::common::rows(db, text);
    assert_eq!(rows.len(), 1, "{text}");
    result
        .column_names()
        .into_iter()
        .zip(rows[0].clone())
        .collect()
}

#[test]
fn survival_test_and_cox_test_are_rows_that_match_lifelines() {
    let (_dir, db) = crate::common::demo_db();
    let number = |row: &BTreeMap<String, String>, k: &str| -> f64 { row[k].parse().unwrap() };
    // SURVIVAL TEST: the log-rank row, as lifelines' multivariate_logrank_test.
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/reference/survival/reference.json")).unwrap(),
    )
    .unwrap();
    let want = &reference["cohort_by_egfr"]["logrank"];
    let row = one_row(&db, "SURVIVAL TEST OF subjects BY egfr_mutation_status");
    assert_eq!(row["test"], "log-rank");
    close(
        "chisq",
        number(&row, "chisq"),
        want["chi2"].as_f64().unwrap(),
    );
    close("p", number(&row, "p"), want["p"].as_f64().unwrap());
    assert_eq!(row["df"], "2");
    assert_eq!(
        (&*row["groups"], &*row["n"], &*row["dropped"]),
        ("3", "206", "5")
    );
    // The same row rides along the groups table, and composes as a source.
    let result = db
        .query("SURVIVAL OF subjects BY egfr_mutation_status")
        .unwrap();
    let test = result.test.expect("SURVIVAL carries its test table");
    assert_eq!(test.schema().field(1).name(), "chisq");
    let p = crate::common::rows(
        &db,
        "SELECT p < 0.05 AS significant, n + dropped AS total FROM (SURVIVAL TEST OF subjects BY egfr_mutation_status)",
    );
    assert_eq!(p, [["false", "211"]]);
    // One group: no test; the numbers are NULL and the note says why.
    let row = one_row(&db, "SURVIVAL TEST OF subjects");
    assert_eq!((&*row["chisq"], &*row["p"]), ("NULL", "NULL"));
    assert_eq!(
        row["note"],
        "log-rank test: not computed: there is one group"
    );

    // COX TEST: the model's row, as lifelines' CoxPHFitter (cox_reference.py).
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/reference/survival/cox_reference.json"))
            .unwrap(),
    )
    .unwrap();
    let row = one_row(
        &db,
        "COX TEST OF subjects ON age_at_histological_diagnosis, gender, pack_years",
    );
    for (column, key) in [("n", "n"), ("events", "events"), ("dropped", "dropped")] {
        assert_eq!(row[column], want[key].to_string(), "{column}");
    }
    for (column, key) in [
        ("lr_chisq", "lr_chi2"),
        ("lr_p", "lr_p"),
        ("wald_chisq", "wald_chi2"),
        ("wald_p", "wald_p"),
        ("score_chisq", "score_chi2"),
        ("score_p", "score_p"),
        ("concordance", "concordance"),
        ("log_likelihood", "log_likelihood"),
    ] {
        close(column, number(&row, column), want[key].as_f64().unwrap());
    }
    assert_eq!(
        (&*row["lr_df"], &*row["wald_df"], &*row["score_df"]),
        ("3", "3", "3")
    );
    // The concordance is the full double, not the 4 decimals the header used to show.
    assert_eq!(
        number(&row, "concordance"),
        want["concordance"].as_f64().unwrap()
    );
    let cox = db
        .query("COX OF subjects ON age_at_histological_diagnosis, gender, pack_years")
        .unwrap();
    assert_eq!(cox.num_rows(), 3, "the terms");
    assert_eq!(
        cox.test.expect("COX carries its test table").num_columns(),
        16
    );
}

/// A CORRELATE stops within a second of a Ctrl-C or its time limit: the statement returns its
/// error at once, and the map itself stops between blocks of columns (`map_until`).
#[test]
fn a_cancelled_or_timed_out_correlate_stops_within_a_second() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    let statement = "SELECT count(*) FROM (CORRELATE radiomic.* WITH rnaseq.* METHOD spearman)";
    let (_dir, mut db) = crate::common::demo_db();
    db.set_statement_timeout(Some(Duration::from_millis(100)));
    let started = Instant::now();
    let err = db.query(statement).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), "E0311", "{err}");
    db.set_statement_timeout(None);
    // Ctrl-C: the flag another thread sets.
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let err = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            cancel.store(true, Ordering::SeqCst);
        });
        db.query_cancellable(statement, None, &cancel).unwrap_err()
    });
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.code(), "E0307", "{err}");
    // The map itself: with the flag set it stops and gives nothing.
    let xs = vec![vec![1.0, 2.0, 3.0, 4.0]; 8];
    let ys = vec![vec![4.0, 1.0, 3.0, 2.0]; 8];
    let stop = AtomicBool::new(true);
    assert!(
        rgdb::stats::correlate::map_until(
            &xs,
            &ys,
            rgdb::stats::correlate::Method::Spearman,
            &stop
        )
        .is_none()
    );
    stop.store(false, Ordering::SeqCst);
    let map = rgdb::stats::correlate::map_until(
        &xs,
        &ys,
        rgdb::stats::correlate::Method::Spearman,
        &stop,
    )
    .unwrap();
    assert_eq!(map.pairs.len(), 64);
    // After a stop the database answers the next statement.
    assert_eq!(crate::common::rows(&db, "SELECT 1"), [["1"]]);
}
