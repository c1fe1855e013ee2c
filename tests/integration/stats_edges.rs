//! The statistics at their edges (issue 21): a Kaplan–Meier curve that reaches exactly 1/2,
//! quantile cuts that fall on a value, Cox fits that diverge, limits on groups and levels,
//! negative times, and p-values below the smallest double. Each against a reference recorded
//! with the script that made it (`tests/reference/`), or an exact count.

use rgdb::Database;

use crate::common::{fresh_db, root, rows};

/// A database with one table `t` (one row per subject) from CSV text whose first column is
/// `subject`.
fn table_db(csv: &str) -> (tempfile::TempDir, Database) {
    let (dir, db) = fresh_db();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, csv).unwrap();
    db.query(&format!(
        "IMPORT TABLE t FROM '{}' SUBJECT COLUMN 'subject'",
        path.display()
    ))
    .unwrap();
    (dir, db)
}

fn reference(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/reference").join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// 24 deaths at 10, 20, …, 240: the curve is exactly 1/2 at 120, so the median is 120 (the
/// product formed in floats gave 0.5000000000000001 there, and the median 130).
#[test]
fn the_median_is_the_time_the_curve_reaches_exactly_one_half() {
    let mut csv = String::from("subject,days,died\n");
    for k in 1..=24 {
        csv += &format!("S{k:02},{},1\n", 10 * k);
    }
    let (_dir, db) = table_db(&csv);
    let summary = rows(
        &db,
        "SURVIVAL OF t TIME t.days EVENT t.died AT (110, 120, 125)",
    );
    assert_eq!(
        summary,
        [[
            "all",
            "24",
            "24",
            "NULL",
            "120.0",
            "70.0",
            "170.0",
            "0.5416666666666666",
            "0.5",
            "0.5"
        ]]
    );
    let curve = rows(
        &db,
        "SELECT time, survival FROM (SURVIVAL CURVE OF t TIME t.days EVENT t.died) WHERE time = 120",
    );
    assert_eq!(curve, [["120.0", "0.5"]]);
}

/// Type-7 quantiles of 1, 2, …, 91 in ten groups are 1 + 9q: whole numbers. The index
/// (n − 1)·q/k formed in floats is 62.99999999999999 for q = 7, which cut at
/// 63.99999999999999 and moved the subject at 64 into the next group.
#[test]
fn quantile_cuts_that_fall_on_a_value_are_that_value() {
    let mut csv = String::from("subject,days,died,v\n");
    for k in 1..=91 {
        csv += &format!("S{k:03},{},{},{k}\n", 5 * k, k % 2);
    }
    let (_dir, db) = table_db(&csv);
    let result = db
        .query("SURVIVAL OF t TIME t.days EVENT t.died BY t.v QUANTILES 10")
        .unwrap();
    let header = result.header.unwrap();
    assert!(
        header.contains("groups cut at 10, 19, 28, 37, 46, 55, 64, 73, 82\n"),
        "{header}"
    );
    let groups = rows(
        &db,
        "SELECT stratum, n FROM (SURVIVAL OF t TIME t.days EVENT t.died BY t.v QUANTILES 10) WHERE stratum LIKE '%<= 64'",
    );
    assert_eq!(groups, [["55 < t.v <= 64", "9"]]);
    // numpy's `quantile(np.arange(1, 92), 0.7)` is 63.99999999999999 (the same float index).
    // An even group split at its median: the mean of the two middle values, 4.5 and
    // 4.6000000000000005, correctly rounded (numpy's `median` gives the same).
    let split = db
        .query("SURVIVAL OF t TIME t.days EVENT t.died BY CASE WHEN t.v < 91 THEN t.v * 0.1 END SPLIT AT MEDIAN")
        .unwrap();
    let header = split.header.unwrap();
    assert!(
        header.contains("90 rows, 1 dropped")
            && header.contains("groups cut at 4.550000000000001\n"),
        "{header}"
    );
}

/// SURVIVAL takes at most 100 groups; more is refused before anything is fitted, with a hint.
#[test]
fn survival_refuses_more_groups_than_its_limit() {
    let mut csv = String::from("subject,days,died,g\n");
    for k in 0..202 {
        csv += &format!("S{k:03},{},{},G{}\n", 10 + k, k % 3 == 0, k / 2);
    }
    let (_dir, db) = table_db(&csv);
    let before = db.version();
    let err = db
        .query("SURVIVAL OF t TIME t.days EVENT t.died BY t.g")
        .unwrap_err();
    assert_eq!(err.code(), "E0313");
    assert_eq!(
        err.to_string(),
        "error E0313: SURVIVAL BY `t.g` makes 101 groups, and it compares at most 100; cut a number with SPLIT AT MEDIAN or QUANTILES k, or group the values with CASE"
    );
    assert_eq!(db.version(), before);
    // 100 groups are fitted.
    let fitted = rows(
        &db,
        "SELECT count(*) FROM (SURVIVAL OF t TIME t.days EVENT t.died BY CASE WHEN t.g <> 'G100' THEN t.g END) WHERE n = 2",
    );
    assert_eq!(fitted, [["100"]]);
}

/// Where the log-rank test is not computed, the header says why.
#[test]
fn the_log_rank_header_says_why_there_is_no_test() {
    let csv = "subject,days,died,g\n\
               S1,1,0,A\nS2,2,0,A\nS3,5,1,B\nS4,6,1,B\nS5,7,0,B\n\
               S6,3,0,C\nS7,4,0,C\n";
    let (_dir, db) = table_db(csv);
    let header = |statement: &str| db.query(statement).unwrap().header.unwrap();
    let one = header("SURVIVAL OF t TIME t.days EVENT t.died");
    assert!(
        one.contains("log-rank test: not computed: there is one group\n"),
        "{one}"
    );
    let none =
        header("SURVIVAL OF t TIME t.days EVENT t.died BY CASE WHEN t.g <> 'B' THEN t.g END");
    assert!(
        none.contains("log-rank test: not computed: no group has an event\n"),
        "{none}"
    );
    // A and C leave before the first death at 5: only B is at risk at the event times.
    let alone = header("SURVIVAL OF t TIME t.days EVENT t.died BY t.g");
    assert!(
        alone.contains(
            "log-rank test: not computed: only B had anyone at risk at the event times (A, C had no one)\n"
        ),
        "{alone}"
    );
    // B and D both die at once: no event time tells them apart.
    let csv = "subject,days,died,g\nS1,1,1,B\nS2,1,1,D\n";
    let (_dir2, db2) = table_db(csv);
    let apart = db2
        .query("SURVIVAL OF t TIME t.days EVENT t.died BY t.g")
        .unwrap()
        .header
        .unwrap();
    assert!(
        apart.contains("log-rank test: not computed: the variance of the groups is singular (wherever they were at risk together, everyone at risk had the event)\n"),
        "{apart}"
    );
    // As R's survdiff, a group with no one at risk at any event time is left out of the test.
    let csv = "subject,days,died,g\nS1,1,0,A\nS2,3,1,B\nS3,4,0,B\nS4,5,1,B\nS5,3,0,C\nS6,4,1,C\nS7,6,0,C\n";
    let (_dir3, db3) = table_db(csv);
    let left = db3
        .query("SURVIVAL OF t TIME t.days EVENT t.died BY t.g")
        .unwrap()
        .header
        .unwrap();
    assert!(
        left.contains(" on 1 df, p = ")
            && left.contains("; left out A (no one at risk at any event time)\n"),
        "{left}"
    );
}

/// COX refuses a text term with more than 100 levels (one coefficient each), with a hint.
#[test]
fn cox_refuses_a_text_term_with_more_levels_than_its_limit() {
    let mut csv = String::from("subject,days,died,level,age\n");
    for k in 0..202 {
        csv += &format!(
            "S{k:03},{},{},L{},{}\n",
            10 + k,
            k % 3 != 0,
            k / 2,
            40 + k % 30
        );
    }
    let (_dir, db) = table_db(&csv);
    let err = db
        .query("COX OF t TIME t.days EVENT t.died ON t.age, t.level")
        .unwrap_err();
    assert_eq!(err.code(), "E0314");
    assert_eq!(
        err.to_string(),
        "error E0314: the text term `t.level` has 101 levels, and COX codes at most 100 (one coefficient each); group the rare levels with CASE, or use a number"
    );
}

/// COX and SURVIVAL refuse negative times with the same message.
#[test]
fn cox_refuses_negative_times_as_survival_does() {
    let (_dir, db) = crate::common::demo_db();
    let message = "error E0309: 16 rows have a negative time `os_days - 100`; survival times count from a start date";
    let survival = db
        .query("SURVIVAL OF subjects TIME os_days - 100 EVENT os_event")
        .unwrap_err();
    assert_eq!(survival.to_string(), message);
    let cox = db
        .query("COX OF subjects TIME os_days - 100 EVENT os_event ON age_at_histological_diagnosis")
        .unwrap_err();
    assert_eq!(cox.to_string(), message);
}

/// Complete and quasi-complete separation (`tests/reference/survival/cox_separation.py`,
/// where lifelines warns on both): the diverging terms carry a warning, the others none, and
/// the header says so; an ordinary model has no warning.
#[test]
fn cox_flags_coefficients_that_diverge() {
    let want = reference("survival/cox_separation.json");
    let data = |case: &str, covariate: &str| -> String {
        let d = &want[case];
        let mut csv = format!("subject,days,died,{covariate}\n");
        for k in 0..d["time"].as_array().unwrap().len() {
            let value = &d[covariate][k];
            csv += &format!(
                "S{k:02},{},{},{}\n",
                d["time"][k],
                d["event"][k],
                value.as_str().map_or(value.to_string(), str::to_string)
            );
        }
        csv
    };
    let warning = "the log-likelihood converged while this coefficient kept growing: its estimate is infinite (complete or quasi-complete separation), and its hr, se, interval and p mean nothing";
    let (_dir, db) = table_db(&data("complete", "x"));
    let statement = "COX OF t TIME t.days EVENT t.died ON t.x";
    let header = db.query(statement).unwrap().header.unwrap();
    assert!(
        header.contains("warning: `t.x` diverges (complete or quasi-complete separation), as R's coxph warns \"coefficient may be infinite\"\n"),
        "{header}"
    );
    let flagged = rows(&db, &format!("SELECT term, warning FROM ({statement})"));
    assert_eq!(flagged, [["t.x", warning]]);
    assert!(
        !want["complete"]["lifelines_warnings"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (_dir, db) = table_db(&data("quasi", "grp"));
    let statement = "COX OF t TIME t.days EVENT t.died ON t.grp";
    let flagged = rows(&db, &format!("SELECT term, warning FROM ({statement})"));
    assert_eq!(flagged, [["t.grp = B", "NULL"], ["t.grp = C", warning]]);
    // The finite coefficient is lifelines' to 1e-4 (the other one keeps moving it a little).
    let b: f64 = rows(
        &db,
        &format!("SELECT coef FROM ({statement}) WHERE term = 't.grp = B'"),
    )[0][0]
        .parse()
        .unwrap();
    let lifelines_b = want["quasi"]["coef"]["grp = B"].as_f64().unwrap();
    assert!((b - lifelines_b).abs() < 1e-4, "{b} vs {lifelines_b}");

    let (_dir, db) = crate::common::demo_db();
    let ordinary = rows(
        &db,
        "SELECT warning FROM (COX OF subjects ON age_at_histological_diagnosis, gender, pack_years)",
    );
    assert_eq!(ordinary, [["NULL"], ["NULL"], ["NULL"]]);
}

/// At 10,000 subjects the strongest pairs' p is far below the smallest double
/// (`tests/reference/correlate/underflow.py`, exact with mpmath): `p` is clamped to
/// `f64::MIN_POSITIVE`, `log10_p` and `log10_q` hold the true magnitudes, and the rows are in
/// the order of the true p.
#[test]
fn p_values_below_the_smallest_double_keep_their_order() {
    let want = reference("correlate/underflow_reference.json");
    let mut csv = String::from("subject,x,y1,y3,y10,y300,twice,noise\n");
    for i in 1..=10_000i64 {
        let e = (7919 * i) % 1000;
        csv += &format!(
            "S{i:05},{i},{},{},{},{},{},{e}\n",
            i + e,
            i + 3 * e,
            i + 10 * e,
            i + 300 * e,
            2 * i
        );
    }
    let (_dir, db) = table_db(&csv);
    for method in ["pearson", "spearman"] {
        let statement = format!(
            "CORRELATE t.x WITH t.y1, t.y3, t.y10, t.y300, t.twice, t.noise METHOD {method}"
        );
        let got = rows(
            &db,
            &format!("SELECT y, r, p, log10_p, q, log10_q FROM ({statement}) ORDER BY log10_p"),
        );
        let order: Vec<&str> = got.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            order,
            ["t.twice", "t.y1", "t.y3", "t.y10", "t.y300", "t.noise"],
            "{method}"
        );
        // The statement's own rows come in that order too.
        let own: Vec<String> = rows(&db, &statement)
            .into_iter()
            .map(|r| r[1].clone())
            .collect();
        assert_eq!(own, order, "{method}");
        for w in want[method].as_array().unwrap() {
            let name = format!("t.{}", w["y"].as_str().unwrap());
            let row = got.iter().find(|r| r[0] == name).unwrap();
            let at = format!("{method} {name}");
            let (r, p, log10_p): (f64, f64, f64) = (
                row[1].parse().unwrap(),
                row[2].parse().unwrap(),
                row[3].parse().unwrap(),
            );
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs();
            assert!(close(r, w["r"].as_f64().unwrap()), "{at} r {r}");
            match w["log10_p"].as_f64() {
                Some(lp) => {
                    assert!(close(log10_p, lp), "{at} log10_p {log10_p} vs {lp}");
                    if lp < f64::MIN_POSITIVE.log10() {
                        assert_eq!(p, f64::MIN_POSITIVE, "{at} p clamped");
                    } else {
                        assert!(close(p, 10f64.powf(lp)), "{at} p {p}");
                        assert!(close(p, w["scipy_p"].as_f64().unwrap()), "{at} p vs scipy");
                    }
                    let lq = w["log10_q"].as_f64().unwrap();
                    let log10_q: f64 = row[5].parse().unwrap();
                    assert!(close(log10_q, lq), "{at} log10_q {log10_q} vs {lq}");
                    let q: f64 = row[4].parse().unwrap();
                    if lq < f64::MIN_POSITIVE.log10() {
                        assert_eq!(q, f64::MIN_POSITIVE, "{at} q clamped");
                    } else {
                        assert!(close(q, 10f64.powf(lq)), "{at} q {q}");
                    }
                }
                // r = 1: the true p is 0. In floats r may come out a hair below 1, and then
                // log10_p is finite but far below every other pair's.
                None => {
                    assert!(r >= 1.0 - 1e-15, "{at} r {r}");
                    assert!(log10_p < -70_000.0, "{at} log10_p {log10_p}");
                    assert_eq!(p, f64::MIN_POSITIVE, "{at} p clamped");
                }
            }
        }
    }
}
