//! Resource limits: a memory limit that spills or fails cleanly, a statement timeout, and the
//! printed-row limit.

use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn a_query_over_the_memory_limit_fails_with_a_clear_error() {
    let (_dir, mut db) = demo_db();
    let distinct = "SELECT DISTINCT rnaseq.* FROM subjects";
    let sort = "SELECT subject_id, rnaseq.* FROM subjects ORDER BY rnaseq.MIB1, subject_id";
    let unlimited = rows(&db, sort);
    db.set_memory_limit(Some(64 << 10));
    let err = db.query(distinct).unwrap_err();
    assert_eq!(err.code(), "E0310");
    assert!(
        err.to_string().starts_with(
            "error E0310: the query needs more memory than the limit allows (Additional allocation failed for "
        ),
        "{err}"
    );
    assert!(
        err.to_string().ends_with(
            "); raise the limit (--memory-limit), select fewer columns, or filter first"
        )
    );
    // Small queries run under a small limit (with room for DataFusion's exchange buffers,
    // which grow when the machine is busy), and the database is fine.
    db.set_memory_limit(Some(4 << 20));
    assert_eq!(rows(&db, "SELECT count(*) FROM subjects"), [["211"]]);
    // A limit the sort fits in (with its merge reservation scaled to the limit, and room for
    // exchange buffers on a busy machine).
    db.set_memory_limit(Some(64 << 20));
    assert_eq!(rows(&db, sort), unlimited);
    assert_eq!(rows(&db, distinct).len(), 211);
    db.set_memory_limit(None);
    assert_eq!(rows(&db, distinct).len(), 211);
}

#[test]
fn the_statistics_draw_on_the_memory_pool() {
    let (_dir, mut db) = demo_db();
    // The map of 1,764 features × 140 genes holds 246,960 pairs (about 10 MB): over a 1 MB
    // limit it fails as any query does, and under no limit it runs.
    let map = "SELECT count(*) FROM (CORRELATE radiomic.* WITH rnaseq.*)";
    db.set_memory_limit(Some(1 << 20));
    let err = db.query(map).unwrap_err();
    assert_eq!(err.code(), "E0310", "{err}");
    assert_eq!(
        err.to_string(),
        "error E0310: the query needs more memory than the limit allows (Additional allocation \
         failed for CorrelateMapExec[0]); raise the limit (--memory-limit), select fewer \
         columns, or filter first"
    );
    db.set_memory_limit(None);
    assert_eq!(rows(&db, map), [["246960"]]);
}

#[test]
fn a_statement_timeout_stops_reads_but_never_a_change() {
    let (dir, mut db) = demo_db();
    db.set_statement_timeout(Some(Duration::from_millis(20)));
    let started = Instant::now();
    let err = db
        .query("CORRELATE radiomic.* WITH rnaseq.* METHOD pearson")
        .unwrap_err();
    assert_eq!(err.code(), "E0311");
    assert_eq!(
        err.to_string(),
        "error E0311: the statement ran longer than the time limit of 20 ms and was stopped"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Changes run to the end whatever the limit: an import either happens or does not.
    db.set_statement_timeout(Some(Duration::from_millis(1)));
    let path = dir.path().join("lab.csv");
    std::fs::write(&path, "Patient ID,score\nR01-001,1\n").unwrap();
    db.execute(&format!(
        "IMPORT TABLE lab FROM '{}' SUBJECT COLUMN 'Patient ID'",
        path.display()
    ))
    .unwrap();
    db.set_statement_timeout(None);
    assert_eq!(rows(&db, "SELECT score FROM lab"), [["1"]]);
    assert!(db.check().unwrap().is_empty());
}

/// `query_cancellable`, what a binding calls when its user presses Ctrl-C: another thread sets
/// the flag and a read stops with E0307; once it is set no further statement starts.
#[test]
fn a_cancel_flag_stops_reads_from_another_thread_and_then_every_statement() {
    let (dir, db) = demo_db();
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let err = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        db.query_cancellable(
            "CORRELATE radiomic.* WITH rnaseq.* METHOD pearson",
            None,
            &cancel,
        )
        .unwrap_err()
    });
    assert_eq!(err.to_string(), "error E0307: query cancelled");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Once the flag is set no statement starts, not even a change (a change that has started
    // runs to the end, as under a time limit: `a_statement_timeout_stops_reads_but_never_a_change`).
    let path = dir.path().join("lab.csv");
    let mut csv = String::from("Patient ID,score\n");
    for (i, subject) in db.snapshot().subjects().iter().enumerate() {
        csv += &format!("{subject},{i}\n");
    }
    std::fs::write(&path, csv).unwrap();
    let import = format!(
        "IMPORT TABLE lab FROM '{}' SUBJECT COLUMN 'Patient ID'",
        path.display()
    );
    let err = db.query_cancellable(&import, None, &cancel).unwrap_err();
    assert_eq!(err.code(), "E0307");
    assert!(db.table("lab").is_err(), "nothing ran");
    cancel.store(false, std::sync::atomic::Ordering::SeqCst);
    db.query_cancellable(&import, None, &cancel).unwrap();
    assert_eq!(db.table("lab").unwrap().rows, 211);
    let params = vec![datafusion::scalar::ScalarValue::Int64(Some(0))];
    let result = db
        .query_cancellable(
            "SELECT score FROM lab WHERE score > $1",
            Some(params.into()),
            &cancel,
        )
        .unwrap();
    assert_eq!(result.num_rows(), 210);
    assert!(db.check().unwrap().is_empty());
}

#[test]
fn the_command_line_takes_the_limits() {
    let (dir, db) = demo_db();
    drop(db);
    let path = dir.path().join("demo.rgdb");
    let db = path.to_str().unwrap();
    let (code, _, err) = run_cli(&[
        "--db",
        db,
        "--memory-limit",
        "64KB",
        "-c",
        "SELECT DISTINCT rnaseq.* FROM subjects",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("error[E0310]"), "{err}");
    let (code, _, err) = run_cli(&[
        "--db",
        db,
        "--timeout",
        "10ms",
        "-c",
        "CORRELATE radiomic.* WITH rnaseq.*",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[E0311]: the statement ran longer than the time limit of 10 ms"),
        "{err}"
    );
    let (code, _, err) = run_cli(&[
        "--db",
        db,
        "--memory-limit",
        "lots",
        "-c",
        "SELECT 1 FROM subjects",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`lots` is not a size; write e.g. 512MB or 2GB"),
        "{err}"
    );
    let (code, _, err) = run_cli(&[
        "--db",
        db,
        "--timeout",
        "soon",
        "-c",
        "SELECT 1 FROM subjects",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`soon` is not a duration; write e.g. 30s, 500ms or 2m"),
        "{err}"
    );
    // The printed-row limit: --max-rows (and `.maxrows` in the REPL).
    let (code, out, _) = run_cli(&[
        "--db",
        db,
        "--max-rows",
        "3",
        "-c",
        "SELECT subject_id FROM subjects",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("… 208 more rows"), "{out}");
}
