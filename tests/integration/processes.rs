//! Many processes on one database (issue 22): read-only opens that write nothing, readers in
//! their own processes beside a writer that imports, a second writer refused, VACUUM beside a
//! live reader, and readers killed at random.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rgdb::Database;

use crate::common::*;

/// Every file under `dir` with its size, mtime and bytes.
fn state(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let bytes = std::fs::read(entry.path()).unwrap();
                out.insert(
                    entry.path().strip_prefix(dir).unwrap().to_path_buf(),
                    (meta.len(), meta.modified().unwrap(), bytes),
                );
            }
        }
    }
    out
}

/// The clinical database with the cohort `women` (76 subjects), closed.
fn closed_db_with_a_cohort() -> (tempfile::TempDir, PathBuf) {
    let (dir, db) = clinical_db();
    db.execute("CREATE COHORT women AS SELECT subject_id FROM subjects WHERE gender = 'Female'")
        .unwrap();
    drop(db);
    let path = dir.path().join("test.rgdb");
    (dir, path)
}

fn rgdb(db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgdb"));
    cmd.arg("--db").arg(db);
    cmd
}

#[test]
fn a_read_only_query_leaves_every_file_byte_identical_with_its_mtime() {
    let (_dir, path) = closed_db_with_a_cohort();
    let before = state(&path);
    // Reading statements from the shell, the reading commands, --readonly, the API.
    for args in [
        &["-c", "SELECT count(*) FROM subjects"][..],
        &[
            "-c",
            "SELECT gender, avg(os_days) FROM subjects GROUP BY gender; SHOW TABLES",
        ],
        &["--readonly", "-c", "SELECT count(*) FROM women"],
        &["tables"],
        &["describe", "clinical"],
        &["history"],
        &["check"],
    ] {
        let out = rgdb(&path).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
    let mut repl = rgdb(&path)
        .arg("--readonly")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    repl.stdin
        .take()
        .unwrap()
        .write_all(b"SELECT count(*) FROM clinical;\n.tables\n")
        .unwrap();
    assert!(repl.wait().unwrap().success());
    let reader = Database::open_read_only(&path).unwrap();
    assert_eq!(rows(&reader, "SELECT count(*) FROM women"), [["76"]]);
    drop(reader);
    let after = state(&path);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (file, (size, mtime, bytes)) in &before {
        let (size2, mtime2, bytes2) = &after[file];
        assert_eq!((size, mtime), (size2, mtime2), "{}", file.display());
        assert!(bytes == bytes2, "{} changed", file.display());
    }
}

fn write_version(path: &Path, value: usize) {
    write_rows(path, value, 3_000);
}

/// `rows` subjects, 40 columns, every value `value`.
fn write_rows(path: &Path, value: usize, rows: usize) {
    let mut text = String::from("id");
    for j in 0..40 {
        text += &format!(",c{j}");
    }
    text.push('\n');
    for i in 0..rows {
        text += &format!("S{i:05}");
        for _ in 0..40 {
            text += &format!(",{value}");
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// Two reader processes query in a loop while a third imports version after version; each
/// answer is one committed version, whole (all 3,000 rows, every value that version's), and
/// readers killed at random leave the writer and the database unharmed.
#[test]
fn two_reader_processes_see_committed_versions_while_a_third_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.rgdb");
    let first = dir.path().join("v0.csv");
    write_version(&first, 0);
    let import = |file: &Path| {
        format!(
            "IMPORT TABLE t FROM '{}' SUBJECT COLUMN 'id';\n",
            file.display()
        )
    };
    {
        let db = Database::create(&path).unwrap();
        db.execute(&import(&first)).unwrap();
    }
    let mut script = String::new();
    for k in 1..=8 {
        let file = dir.path().join(format!("v{k}.csv"));
        write_version(&file, k);
        script += &import(&file);
    }
    let script_file = dir.path().join("imports.rgdb");
    std::fs::write(&script_file, script).unwrap();

    let started = Instant::now();
    let writer = rgdb(&path)
        .arg("-f")
        .arg(&script_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let query = "SELECT count(t.c0), min(t.c0), max(t.c39), count(DISTINCT t.c17) FROM subjects";
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut killed = 0;
                for i in 0..40 {
                    let mut child = rgdb(&path)
                        .args(["--format", "csv", "-c", query])
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    // Every fifth reader of the second thread is killed mid-flight.
                    if r == 1 && i % 5 == 0 {
                        std::thread::sleep(Duration::from_millis(3 + i as u64));
                        let _ = child.kill();
                        let _ = child.wait();
                        killed += 1;
                        continue;
                    }
                    let out = child.wait_with_output().unwrap();
                    assert_eq!(out.status.code(), Some(0), "{out:?}");
                    let text = String::from_utf8(out.stdout).unwrap();
                    let values: Vec<String> = text
                        .lines()
                        .nth(1)
                        .unwrap()
                        .split(',')
                        .map(String::from)
                        .collect();
                    seen.push(values);
                }
                (seen, killed)
            })
        })
        .collect();
    let mut versions = std::collections::BTreeSet::new();
    for reader in readers {
        let (seen, killed) = reader.join().unwrap();
        assert!(killed > 0 || seen.len() == 40);
        for values in seen {
            // count, min(c0), max(c39), distinct c17: one version's values, all rows.
            assert_eq!(values[0], "3000", "{values:?}");
            assert_eq!(values[1], values[2], "a torn read: {values:?}");
            assert_eq!(values[3], "1", "{values:?}");
            versions.insert(values[1].parse::<usize>().unwrap());
        }
    }
    let out = writer.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    eprintln!(
        "readers saw versions {versions:?} while 8 imports ran ({:?})",
        started.elapsed()
    );
    let db = Database::open(&path).unwrap();
    assert!(db.check().unwrap().is_empty());
    assert_eq!(db.version(), 9);
    assert_eq!(rows(&db, "SELECT min(t.c0) FROM subjects"), [["8"]]);
}

/// A reader in its own handle keeps the version it pinned while the writer replaces the table
/// and runs `VACUUM KEEP 1`; the segment files that version needs are deleted only once the
/// reader is gone.
#[test]
fn vacuum_never_removes_what_a_live_reader_holds() {
    let (dir, db) = clinical_db();
    let path = dir.path().join("test.rgdb");
    let csv = |value: usize| {
        let file = dir.path().join(format!("lab{value}.csv"));
        std::fs::write(
            &file,
            format!("Patient ID,score\nR01-001,{value}.5\nR01-002,{value}.5\n"),
        )
        .unwrap();
        file
    };
    db.execute(&format!(
        "IMPORT TABLE lab FROM '{}' SUBJECT COLUMN 'Patient ID'",
        csv(1).display()
    ))
    .unwrap();
    let segments = || std::fs::read_dir(path.join("chunks")).unwrap().count();
    let reader = Database::open_read_only(&path).unwrap();
    let pinned = reader.snapshot();
    let old = pinned.table("lab").unwrap();
    db.execute(&format!(
        "IMPORT TABLE lab FROM '{}' SUBJECT COLUMN 'Patient ID'",
        csv(2).display()
    ))
    .unwrap();
    let before_vacuum = segments();
    db.execute("VACUUM KEEP 1").unwrap();
    let with_reader = segments();
    assert_eq!(
        with_reader, before_vacuum,
        "a segment went while a reader held it"
    );
    // The pinned version still reads, whole.
    let batches = pinned_scores(&pinned, &old);
    assert_eq!(batches, [1.5, 1.5]);
    // The reader's next statement sees the new version only.
    assert_eq!(
        rows(
            &reader,
            "SELECT lab.score FROM subjects WHERE subject_id = 'R01-001'"
        ),
        [["2.5"]]
    );
    drop(pinned);
    drop(reader);
    // With no reader left, the next commit deletes the dead segment.
    db.execute("CREATE COHORT c AS SELECT subject_id FROM subjects LIMIT 3")
        .unwrap();
    // One segment more (the cohort's), one fewer (the old table's).
    assert_eq!(segments(), with_reader);
    // Its file is closed once no snapshot of this process is left, so its space comes back.
    db.execute("SELECT count(*) FROM subjects").unwrap();
    let deleted_and_open = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .filter(|target| {
            let text = target.to_string_lossy();
            text.contains(path.join("chunks").to_str().unwrap()) && text.ends_with("(deleted)")
        })
        .count();
    assert_eq!(deleted_and_open, 0);
    assert!(db.check().unwrap().is_empty());
}

fn pinned_scores(snapshot: &rgdb::storage::Snapshot, table: &rgdb::storage::TableMeta) -> Vec<f64> {
    let array = snapshot.read_whole_column(table, "score").unwrap().unwrap();
    use arrow::array::AsArray;
    array
        .as_primitive::<arrow::datatypes::Float64Type>()
        .values()
        .to_vec()
}

/// A writer killed mid-import leaves a file that needs redb's repair; the next read-only
/// process does it and reads the last committed version.
#[test]
fn a_reader_after_a_killed_writer_reads_the_last_committed_version() {
    let (dir, db) = clinical_db();
    drop(db);
    let path = dir.path().join("test.rgdb");
    let csv = dir.path().join("big.csv");
    write_rows(&csv, 5, 60_000);
    let mut child = rgdb(&path)
        .args(["import", "table", "t"])
        .arg(&csv)
        .args(["--subject-column", "id"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    let _ = child.kill();
    // Killed mid-import, not after it: the file is left as a killed writer leaves it.
    assert!(!child.wait().unwrap().success());
    let out = rgdb(&path)
        .args(["--format", "csv", "-c", "SELECT count(*) FROM clinical"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "count(*)\n211\n");
    let db = Database::open(&path).unwrap();
    assert!(db.check().unwrap().is_empty());
}

/// Every statement that would change the database is refused in a read-only session, before it
/// reads its input, and the database is as it was.
#[test]
fn a_read_only_session_refuses_every_writing_statement() {
    let (_dir, path) = closed_db_with_a_cohort();
    let before = state(&path);
    let reader = Database::open_read_only(&path).unwrap();
    assert!(reader.is_read_only());
    let expected = format!(
        "storage error E0515: the database {} is open read-only; it cannot be changed in this session. Open it without --readonly (or with `Database::open`) to write",
        path.display()
    );
    for statement in [
        "IMPORT CLINICAL FROM '/no/such/file.csv'",
        "IMPORT TABLE t FROM '/no/such/file.csv' SUBJECT COLUMN 'id'",
        "CREATE COHORT men AS SELECT subject_id FROM subjects WHERE gender = 'Male'",
        "REFRESH COHORT women",
        "DROP COHORT women",
        "DROP TABLE clinical",
        "VACUUM KEEP 1",
    ] {
        let err = reader.execute(statement).unwrap_err();
        assert_eq!(err.code(), "E0515", "{statement}");
        assert_eq!(err.to_string(), expected, "{statement}");
    }
    // The API's imports are refused too.
    let err = reader.import_clinical(clinical_csv()).unwrap_err();
    assert_eq!(err.code(), "E0515");
    // Reading goes on.
    assert_eq!(rows(&reader, "SELECT count(*) FROM women"), [["76"]]);
    drop(reader);
    assert!(state(&path) == before);
}
