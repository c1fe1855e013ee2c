//! Many processes on one database (issue 22): read-only opens that write nothing, readers in
//! their own processes beside a writer that imports, a second writer refused, VACUUM beside a
//! live reader, and readers killed at random.

use std::collections::BTreeMap;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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

/// Fails a test that holds `writer` at a gate: kills it (else it would wait there for good)
/// and tells the reader threads to stop.
fn give_up(writer: &mut std::process::Child, done: &AtomicBool, why: String) -> ! {
    let _ = writer.kill();
    done.store(true, Ordering::SeqCst);
    panic!("{why}");
}

/// Two reader processes query in a loop while a third imports version after version; each
/// answer is one committed version, whole (all 3,000 rows, every value that version's), and
/// readers killed at random leave the writer and the database unharmed. The writer stops after
/// its fourth import, the database still open, until both readers have read that version: so
/// each surely reads beside a live writer (not only before or after it), and again once it is
/// done.
#[test]
fn two_reader_processes_see_committed_versions_while_a_third_imports() {
    /// The import after which the writer waits at the gate.
    const HELD: usize = 4;
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
    // The gate: a FIFO that the writer's `.read` blocks on (opening it waits for a writer)
    // until the test opens it and closes it unwritten.
    let gate = dir.path().join("gate");
    nix::unistd::mkfifo(&gate, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let mut script = String::new();
    for k in 1..=8 {
        let file = dir.path().join(format!("v{k}.csv"));
        write_version(&file, k);
        script += &import(&file);
        if k == HELD {
            script += &format!(".read '{}'\n", gate.display());
        }
    }
    let script_file = dir.path().join("imports.rgdb");
    std::fs::write(&script_file, script).unwrap();

    let started = Instant::now();
    let mut writer = rgdb(&path)
        .arg("-f")
        .arg(&script_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let query = "SELECT count(t.c0), min(t.c0), max(t.c39), count(DISTINCT t.c17) FROM subjects";
    // The version each reader answered last (none yet: `usize::MAX`), and whether the writer
    // is done.
    let latest = Arc::new([AtomicUsize::new(usize::MAX), AtomicUsize::new(usize::MAX)]);
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (path, latest, done) = (path.clone(), latest.clone(), done.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut killed = 0usize;
                let mut runs = 0usize;
                // At least 40 runs, and on until one that started after the writer was done.
                loop {
                    let after_writer = done.load(Ordering::SeqCst);
                    let mut child = rgdb(&path)
                        .args(["--format", "csv", "-c", query])
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    // Every fifth reader of the second thread is killed mid-flight.
                    if r == 1 && runs.is_multiple_of(5) {
                        std::thread::sleep(Duration::from_millis(3 + (runs % 40) as u64));
                        let _ = child.kill();
                        let _ = child.wait();
                        killed += 1;
                        runs += 1;
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
                    let version = values[1]
                        .parse::<usize>()
                        .unwrap_or_else(|e| panic!("{values:?}: {e}"));
                    latest[r].store(version, Ordering::SeqCst);
                    seen.push(values);
                    runs += 1;
                    if after_writer && runs >= 40 {
                        break;
                    }
                }
                (seen, killed, runs)
            })
        })
        .collect();
    // The writer waits at the gate, holding the database, until both readers have answered
    // with version HELD; a writer or reader that stops first fails the test.
    let deadline = Instant::now() + Duration::from_secs(120);
    while latest.iter().any(|v| v.load(Ordering::SeqCst) != HELD) {
        if let Some(status) = writer.try_wait().unwrap() {
            give_up(
                &mut writer,
                &done,
                format!("the writer ended ({status}) before the gate"),
            );
        }
        if readers.iter().any(|reader| reader.is_finished()) {
            give_up(
                &mut writer,
                &done,
                "a reader failed while the writer was held".into(),
            );
        }
        if Instant::now() > deadline {
            give_up(
                &mut writer,
                &done,
                format!("the readers did not both read version {HELD}: {latest:?}"),
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Opened without blocking: refused (ENXIO) until the writer's `.read` has the FIFO open, a
    // moment after its commit. Closed unwritten, it gives the writer an empty file.
    let deadline = Instant::now() + Duration::from_secs(20);
    let opened = loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&gate)
        {
            Ok(file) => break file,
            Err(e) if e.raw_os_error() == Some(nix::libc::ENXIO) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => give_up(&mut writer, &done, format!("opening the gate: {e}")),
        }
    };
    drop(opened);
    let out = writer.wait_with_output().unwrap();
    done.store(true, Ordering::SeqCst);
    assert!(out.status.success(), "{out:?}");
    let mut versions = std::collections::BTreeSet::new();
    for (r, reader) in readers.into_iter().enumerate() {
        let (seen, killed, runs) = reader.join().expect("a reader failed");
        // Every run answered or was killed: every fifth of the second thread, none of the first.
        assert_eq!(seen.len() + killed, runs, "reader {r}");
        assert_eq!(
            killed,
            if r == 1 { runs.div_ceil(5) } else { 0 },
            "reader {r}"
        );
        assert!(runs >= 40, "reader {r}: {runs} runs");
        let mut answered = Vec::new();
        for values in seen {
            // count, min(c0), max(c39), distinct c17: one version's values, all rows.
            assert_eq!(values[0], "3000", "{values:?}");
            assert_eq!(values[1], values[2], "a torn read: {values:?}");
            assert_eq!(values[3], "1", "{values:?}");
            answered.push(values[1].parse::<usize>().unwrap());
        }
        // Versions only move forward; each reader read version HELD while the writer held the
        // database open at the gate, and the last version in a run started after the writer
        // was done.
        assert!(
            answered.windows(2).all(|w| w[0] <= w[1]),
            "reader {r}: {answered:?}"
        );
        assert!(answered.contains(&HELD), "reader {r}: {answered:?}");
        assert_eq!(answered.last(), Some(&8), "reader {r}: {answered:?}");
        versions.extend(answered);
    }
    assert!(versions.len() >= 2, "{versions:?}");
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
    // Killed once it holds the database for writing, not before (nor after: 60,000 rows take
    // far longer). The holder file `writer` (until then naming this test's process, which built
    // the database) names the child once redb has opened the file for writing, which marks it
    // as needing repair until a clean close.
    let holder = format!("pid {}, ", child.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(path.join("writer")).is_ok_and(|text| text.starts_with(&holder))
    {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the importer ended ({status}) before the holder file named it");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the importer did not open the database within 20 s");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
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
