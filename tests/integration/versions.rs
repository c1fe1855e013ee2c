//! Versions: `AS OF VERSION n` and `AS OF 'timestamp'`, `SHOW HISTORY`, cohorts that remember
//! their definition (`SHOW COHORT`, `REFRESH COHORT`), and `VACUUM KEEP n`, which removes
//! exactly what no kept version can see.

use rgdb::Database;
use rgdb::storage::{Space, key};

use crate::common::*;

fn write_lab(dir: &std::path::Path, name: &str, scores: [i64; 3]) -> String {
    let path = dir.join(name);
    let text = format!(
        "Patient ID,score\nR01-001,{}\nR01-002,{}\nR01-003,{}\n",
        scores[0], scores[1], scores[2]
    );
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn import_lab(db: &Database, path: &str) {
    db.execute(&format!(
        "IMPORT TABLE lab FROM '{path}' SUBJECT COLUMN 'Patient ID'"
    ))
    .unwrap();
}

fn message(db: &Database, text: &str) -> String {
    db.query(text).unwrap_err().to_string()
}

fn chunks_of(db: &Database, data_id: u64) -> usize {
    db.store()
        .kv()
        .scan_prefix(Space::Data, &key::chunks_from(data_id))
        .unwrap()
        .len()
}

#[test]
fn as_of_cohorts_and_vacuum_over_a_changing_table() {
    let (dir, db) = clinical_db();
    assert_eq!(db.version(), 1);
    import_lab(&db, &write_lab(dir.path(), "lab1.csv", [3, 7, 9]));
    db.execute("CREATE COHORT high AS SELECT subject_id FROM subjects WHERE lab.score > 5")
        .unwrap();
    assert_eq!(db.version(), 3);
    // Timestamps are kept to the second: let the next version start a new one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    import_lab(&db, &write_lab(dir.path(), "lab2.csv", [8, 2, 9]));
    assert_eq!(db.version(), 4);

    let score = "SELECT score FROM lab WHERE subject_id = 'R01-001'";
    assert_eq!(rows(&db, score), [["8"]]);
    assert_eq!(rows(&db, &format!("{score} AS OF VERSION 3")), [["3"]]);
    assert_eq!(rows(&db, &format!("{score} AS OF VERSION 2")), [["3"]]);
    let time_of_3 = db.history().unwrap()[3].time.clone();
    assert_eq!(rows(&db, &format!("{score} AS OF '{time_of_3}'")), [["3"]]);
    let time_of_4 = db.history().unwrap()[4].time.clone();
    assert_eq!(rows(&db, &format!("{score} AS OF '{time_of_4}'")), [["8"]]);
    // Before the table existed, it is unknown.
    assert_eq!(
        message(&db, &format!("{score} AS OF VERSION 1")),
        "error E0201: unknown table or cohort `lab`"
    );
    // Statistics and exports read an old version through FROM (…) and the query.
    let old = dir.path().join("old.csv");
    db.execute(&format!(
        "EXPORT (SELECT subject_id, lab.score FROM subjects WHERE has(lab) ORDER BY 1 AS OF VERSION 3) TO '{}'",
        old.display()
    ))
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&old).unwrap(),
        "subject_id,score\nR01-001,3\nR01-002,7\nR01-003,9\n"
    );

    // The cohort keeps the members it was saved with; SHOW COHORT compares them with now.
    let members = "SELECT subject_id FROM high ORDER BY subject_id";
    assert_eq!(rows(&db, members), [["R01-002"], ["R01-003"]]);
    let shown = db.query("SHOW COHORT high").unwrap();
    let header = shown.header.clone().unwrap();
    assert!(
        header.contains("cohort high: 2 subjects, evaluated at version 2 (saved as version 3)"),
        "{header}"
    );
    assert!(
        header.contains("definition: SELECT subject_id FROM subjects WHERE lab.score > 5"),
        "{header}"
    );
    assert!(
        header.contains("now (version 4): 2 subjects; 1 joined, 1 left"),
        "{header}"
    );
    assert_eq!(
        rows(&db, "SHOW COHORT high"),
        [["R01-001", "joined"], ["R01-002", "left"]]
    );

    // REFRESH saves the new members as a new version; the old ones stay readable.
    assert_eq!(
        rows(&db, "REFRESH COHORT high"),
        [["high", "2", "5", "4", "1", "1"]]
    );
    assert_eq!(rows(&db, members), [["R01-001"], ["R01-003"]]);
    assert_eq!(
        rows(&db, &format!("{members} AS OF VERSION 4")),
        [["R01-002"], ["R01-003"]]
    );
    assert!(
        db.query("SHOW COHORT high")
            .unwrap()
            .header
            .unwrap()
            .contains("0 joined, 0 left")
    );
    let history = rows(&db, "SHOW HISTORY");
    assert_eq!(history.len(), 6);
    assert_eq!(history[5][2], "refresh cohort high");
    assert_eq!(history[5][3], "REFRESH COHORT high");
    assert!(history.iter().all(|r| r[5] == "true"));
    assert_eq!(history[2][4].len(), 64, "the source file's SHA-256");

    // VACUUM KEEP 2 keeps versions 4 and 5: the first lab generation goes, nothing else.
    let first_lab = db.snapshot_at(2).unwrap().table("lab").unwrap().data_id;
    let second_lab = db.table("lab").unwrap().data_id;
    let first_high = db
        .snapshot_at(4)
        .unwrap()
        .find_cohort("high")
        .unwrap()
        .unwrap()
        .data_id;
    assert_eq!(chunks_of(&db, first_lab), 2);
    let path = db.path().unwrap().to_path_buf();
    assert_eq!(rows(&db, "VACUUM KEEP 2")[0][..4], ["4", "4", "1", "2"]);
    assert_eq!(chunks_of(&db, first_lab), 0);
    assert_eq!(chunks_of(&db, second_lab), 2);
    assert_eq!(
        chunks_of(&db, first_high),
        1,
        "version 4 still sees the first members"
    );
    assert!(db.check().unwrap().is_empty());
    assert_eq!(
        message(&db, &format!("{score} AS OF VERSION 3")),
        "error E0222: version 3 was compacted by VACUUM; the oldest version that can be read is 4"
    );
    assert_eq!(
        db.snapshot_at(3).unwrap_err().to_string(),
        "storage error E0514: version 3 was compacted by VACUUM; the oldest version that can be read is 4"
    );
    assert_eq!(
        rows(&db, &format!("{members} AS OF VERSION 4")),
        [["R01-002"], ["R01-003"]]
    );
    assert_eq!(rows(&db, score), [["8"]]);
    let readable: Vec<String> = rows(&db, "SHOW HISTORY")
        .into_iter()
        .map(|r| r[5].clone())
        .collect();
    assert_eq!(
        readable,
        ["false", "false", "false", "false", "true", "true"]
    );
    // A VACUUM is not a version: nothing about the data changed.
    assert_eq!(db.version(), 5);

    // Everything holds after reopening.
    drop(db);
    let db = Database::open(&path).unwrap();
    assert_eq!(rows(&db, score), [["8"]]);
    assert_eq!(
        message(&db, &format!("{score} AS OF VERSION 2"))
            .split(':')
            .next(),
        Some("error E0222")
    );
    assert_eq!(rows(&db, &format!("{members} AS OF VERSION 4")).len(), 2);

    // KEEP 1: only the current version; the first member list goes too.
    assert_eq!(rows(&db, "VACUUM KEEP 1")[0][..4], ["5", "1", "1", "1"]);
    assert_eq!(chunks_of(&db, first_high), 0);
    assert_eq!(rows(&db, members), [["R01-001"], ["R01-003"]]);
    assert_eq!(rows(&db, "SELECT count(*) FROM clinical"), [["211"]]);
    assert!(db.check().unwrap().is_empty());
    // Keeping more than there is changes nothing.
    assert_eq!(rows(&db, "VACUUM KEEP 100")[0][..4], ["5", "0", "0", "0"]);
}

#[test]
fn version_errors_name_the_version() {
    let (_dir, db) = clinical_db();
    let q = "SELECT count(*) FROM subjects";
    for (text, expected) in [
        (
            format!("{q} AS OF VERSION 99"),
            "error E0221: version 99 does not exist; the database is at version 1 (SHOW HISTORY lists them)",
        ),
        (
            format!("{q} AS OF VERSION 1.5"),
            "error E0220: `1.5` is not a version number; SHOW HISTORY lists the versions",
        ),
        (
            format!("{q} AS OF 'last tuesday'"),
            "error E0220: 'last tuesday' is not a timestamp: write '2026-11-28T10:00:00Z', '2026-11-28 10:00:00' (UTC) or '2026-11-28'",
        ),
        (
            "VACUUM KEEP 0".to_string(),
            "error E0220: VACUUM KEEP takes how many versions to keep, a whole number of at least 1 (the current version), not `0`",
        ),
        (
            "REFRESH COHORT nope".to_string(),
            "error E0215: unknown cohort `nope`",
        ),
        (
            "SHOW COHORT nope".to_string(),
            "error E0215: unknown cohort `nope`",
        ),
    ] {
        assert_eq!(message(&db, &text), expected, "{text}");
    }
    let before = message(&db, &format!("{q} AS OF '1999-01-01'"));
    assert!(
        before.starts_with("error E0220: the database did not exist yet at 1999-01-01T00:00:00Z: it was created at "),
        "{before}"
    );
    // Version 0 is the empty database; the subjects came with version 1.
    assert_eq!(rows(&db, &format!("{q} AS OF VERSION 0")), [["0"]]);
    assert_eq!(rows(&db, &format!("{q} AS OF VERSION 1")), [["211"]]);
    // The rendered error points at the version.
    let text = format!("{q} AS OF VERSION 99");
    let rendered = db.query(&text).unwrap_err().render(&text);
    assert!(rendered.contains("^^"), "{rendered}");
}

#[test]
fn drop_table_is_a_version_and_vacuum_removes_its_data() {
    let (dir, db) = clinical_db();
    import_lab(&db, &write_lab(dir.path(), "lab.csv", [1, 2, 3]));
    let lab = db.table("lab").unwrap().data_id;
    assert_eq!(rows(&db, "DROP TABLE lab"), [["lab", "3"]]);
    assert_eq!(
        message(&db, "SELECT score FROM lab"),
        "error E0201: unknown table or cohort `lab`"
    );
    assert_eq!(
        rows(
            &db,
            "SELECT score FROM lab ORDER BY subject_id AS OF VERSION 2"
        ),
        [["1"], ["2"], ["3"]]
    );
    assert_eq!(rows(&db, "SHOW HISTORY")[3][2], "drop lab");
    assert_eq!(rows(&db, "DROP TABLE IF EXISTS lab"), [["lab", "3"]]);
    assert_eq!(
        message(&db, "DROP TABLE lab"),
        "error E0201: unknown table or cohort `lab`"
    );
    assert_eq!(chunks_of(&db, lab), 2, "a drop removes nothing");
    assert_eq!(rows(&db, "VACUUM KEEP 1")[0][..4], ["3", "3", "1", "2"]);
    assert_eq!(chunks_of(&db, lab), 0);
    assert_eq!(
        message(&db, "SELECT score FROM lab AS OF VERSION 2")
            .split(':')
            .next(),
        Some("error E0222")
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM clinical"), [["211"]]);
    // The name is free again.
    import_lab(&db, &write_lab(dir.path(), "lab.csv", [4, 5, 6]));
    assert_eq!(rows(&db, "SELECT max(score) FROM lab"), [["6"]]);
    assert!(db.check().unwrap().is_empty());
}
