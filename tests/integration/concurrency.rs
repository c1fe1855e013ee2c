//! Concurrency in one process: readers on many threads see whole versions while imports
//! commit beside them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rgdb::Database;

use crate::common::*;

fn write_values(path: &std::path::Path, value: i64) {
    let mut text = String::from("Patient ID,g0,g1\n");
    for i in 0..80 {
        text += &format!("R01-{:03},{value},{}\n", i + 1, value * 2);
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn eight_readers_see_the_old_or_the_new_version_while_imports_commit() {
    let (dir, db) = clinical_db();
    let files: Vec<std::path::PathBuf> = (0..6)
        .map(|k| {
            let path = dir.path().join(format!("v{k}.csv"));
            write_values(&path, k);
            path
        })
        .collect();
    let import = |db: &Database, k: usize| {
        db.execute(&format!(
            "IMPORT TABLE lab FROM '{}' SUBJECT COLUMN 'Patient ID'",
            files[k].display()
        ))
        .unwrap();
    };
    import(&db, 0);
    let db = Arc::new(db);
    let done = Arc::new(AtomicBool::new(false));
    let started = Arc::new(std::sync::Barrier::new(9));
    let readers: Vec<_> = (0..8)
        .map(|r| {
            let (db, done, dir) = (db.clone(), done.clone(), dir.path().to_path_buf());
            let started = started.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut n = 0;
                while !done.load(Ordering::SeqCst) || n < 3 {
                    // Within one statement both columns come from one version: g1 = 2·g0.
                    let row = rows(&db, "SELECT count(*), min(g0), max(g0), sum(g1) FROM lab");
                    let k: i64 = row[0][1].parse().unwrap();
                    assert_eq!(
                        row[0],
                        [
                            "80".to_string(),
                            k.to_string(),
                            k.to_string(),
                            (160 * k).to_string()
                        ]
                    );
                    seen.push(k);
                    if r % 2 == 0 {
                        // Exports read one snapshot too.
                        let path = dir.join(format!("r{r}_{n}.csv"));
                        db.execute(&format!(
                            "EXPORT (SELECT subject_id, g0, g1 FROM lab) TO '{}'",
                            path.display()
                        ))
                        .unwrap();
                        let text = std::fs::read_to_string(&path).unwrap();
                        let values: std::collections::BTreeSet<&str> = text
                            .lines()
                            .skip(1)
                            .map(|l| l.split_once(',').unwrap().1)
                            .collect();
                        assert_eq!(values.len(), 1, "one version per export: {values:?}");
                    }
                    if n == 0 {
                        started.wait();
                    }
                    n += 1;
                }
                seen
            })
        })
        .collect();
    started.wait();
    for k in 1..6 {
        import(&db, k);
        db.execute(&format!(
            "CREATE COHORT c{k} AS SELECT subject_id FROM subjects WHERE lab.g0 = {k}"
        ))
        .unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let mut versions = std::collections::BTreeSet::new();
    for reader in readers {
        let seen = reader.join().expect("a reader panicked");
        versions.extend(seen.iter().copied());
        // Versions only move forward for each reader.
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!(!seen.is_empty());
    }
    assert!(
        versions.len() >= 2,
        "the readers ran beside the imports: {versions:?}"
    );
    assert_eq!(rows(&db, "SELECT max(g0) FROM lab"), [["5"]]);
    assert_eq!(rows(&db, "SELECT count(*) FROM c5"), [["80"]]);
    assert!(db.check().unwrap().is_empty());
}
