//! Integrity: `rgdb check` and `CHECK DATABASE` find damage by table and column, queries never
//! return wrong numbers from a damaged chunk, and random byte flips in a copy of a database
//! never crash rgdb.

use std::path::Path;

use rgdb::Database;
use rgdb::storage::{Space, key};

use crate::common::*;

/// A closed clinical database with a second table and a cohort, and its path.
fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, db) = clinical_db();
    let csv = dir.path().join("lab.csv");
    std::fs::write(&csv, "Patient ID,score\nR01-001,1.5\nR01-002,2.5\n").unwrap();
    db.execute(&format!(
        "IMPORT TABLE lab FROM '{}' SUBJECT COLUMN 'Patient ID'",
        csv.display()
    ))
    .unwrap();
    db.execute("CREATE COHORT females AS SELECT subject_id FROM subjects WHERE gender = 'Female'")
        .unwrap();
    let path = db.path().unwrap().to_path_buf();
    drop(db);
    (dir, path)
}

fn damaged_copy(dir: &Path, path: &Path, name: &str) -> std::path::PathBuf {
    let copy = dir.join(name);
    copy_dir(path, &copy);
    copy
}

#[test]
fn a_healthy_database_checks_clean_everywhere() {
    let (_dir, path) = built();
    let db = Database::open(&path).unwrap();
    assert!(db.check().unwrap().is_empty());
    let result = db.query("CHECK DATABASE").unwrap();
    assert_eq!(result.num_rows(), 0);
    assert_eq!(
        result.header.as_deref(),
        Some("check: all is well (version 3)\n")
    );
    drop(db);
    let (code, out, _) = run_cli(&["--db", path.to_str().unwrap(), "check"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: version 3"), "{out}");
}

#[test]
fn a_flipped_chunk_is_found_by_check_and_refused_by_queries() {
    let (dir, path) = built();
    let copy = damaged_copy(dir.path(), &path, "flipped.rgdb");
    let db = Database::open(&copy).unwrap();
    let clinical = db.table("clinical").unwrap();
    let gender = db
        .columns("clinical")
        .unwrap()
        .into_iter()
        .find(|c| c.name == "gender")
        .unwrap();
    let k = key::chunk(clinical.data_id, gender.ordinal, 0);
    let kv = db.store().kv().clone();
    let mut bytes = kv.get(Space::Data, &k).unwrap().unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    kv.put(Space::Data, &k, &bytes).unwrap();
    kv.flush().unwrap();
    let problems = db.check().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].to_string().starts_with(
            "corrupt data in table `clinical`, column `gender`, chunk 0: checksum mismatch"
        ),
        "{}",
        problems[0]
    );
    // A query reading the column fails naming it; one that does not read it is unaffected.
    let err = db
        .query("SELECT gender, count(*) FROM subjects GROUP BY gender")
        .unwrap_err();
    assert_eq!(err.code(), "E0508");
    assert!(
        err.to_string()
            .contains("table `clinical`, column `gender`"),
        "{err}"
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM clinical WHERE os_days > 0").len(),
        1
    );
    let listed = rows(&db, "CHECK DATABASE");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0][0], "E0508");
    drop(kv);
    drop(db);
    let (code, out, err) = run_cli(&["--db", copy.to_str().unwrap(), "check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("problem[E0508]: corrupt data in table `clinical`, column `gender`, chunk 0"),
        "{out}{err}"
    );
    // The original is untouched.
    assert_eq!(run_cli(&["--db", path.to_str().unwrap(), "check"]).0, 0);
}

#[test]
fn missing_chunks_catalog_damage_and_registry_damage_are_named() {
    let (dir, path) = built();
    // A missing chunk of the cohort's members and one of a table.
    let copy = damaged_copy(dir.path(), &path, "missing.rgdb");
    let db = Database::open(&copy).unwrap();
    let lab = db.table("lab").unwrap();
    let kv = db.store().kv().clone();
    kv.remove_range(
        Space::Data,
        &key::chunk(lab.data_id, 1, 0),
        &key::chunk(lab.data_id, 1, 1),
    )
    .unwrap();
    let females = db.snapshot().find_cohort("females").unwrap().unwrap();
    kv.remove_range(
        Space::Data,
        &key::chunks_from(females.data_id),
        &key::chunks_from(females.data_id + 1),
    )
    .unwrap();
    // Direct writes reach snapshots when they are flushed.
    kv.flush().unwrap();
    let problems: Vec<String> = db.check().unwrap().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "corrupt data in table `lab`, column `score`, chunk 0: the chunk is missing",
            "corrupt data in table `females`, column `members`, chunk 0: the chunk is missing",
        ]
    );
    drop(db);

    // A stray chunk beyond a column's last, and a column record that lies about its count.
    let copy = damaged_copy(dir.path(), &path, "catalog.rgdb");
    let db = Database::open(&copy).unwrap();
    let lab = db.table("lab").unwrap();
    let kv = db.store().kv().clone();
    let chunk = kv
        .get(Space::Data, &key::chunk(lab.data_id, 1, 0))
        .unwrap()
        .unwrap();
    kv.put(Space::Data, &key::chunk(lab.data_id, 1, 1), &chunk)
        .unwrap();
    let column = kv
        .get(Space::Meta, &key::column(lab.data_id, 1))
        .unwrap()
        .unwrap();
    let text = String::from_utf8(column)
        .unwrap()
        .replace("\"non_null\":2", "\"non_null\":7");
    kv.put(Space::Meta, &key::column(lab.data_id, 1), text.as_bytes())
        .unwrap();
    kv.flush().unwrap();
    let problems: Vec<String> = db.check().unwrap().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "corrupt data in table `lab`, column `score`, chunk 0: holds 2 values, the catalog says 7",
            "corrupt data in table `lab`, column `score`, chunk 1: a chunk beyond the 1 the table's rows need",
        ]
    );
    drop(db);

    // The two halves of the subject registry disagree.
    let copy = damaged_copy(dir.path(), &path, "registry.rgdb");
    let db = Database::open(&copy).unwrap();
    let kv = db.store().kv().clone();
    kv.put(Space::Meta, &key::subject_by_id(5), b"NOT-A-SUBJECT")
        .unwrap();
    kv.flush().unwrap();
    let problems: Vec<String> = db.check().unwrap().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "corrupt catalog entry subject 5: `NOT-A-SUBJECT` maps back to None, not to 5",
            "corrupt catalog entry subject block 0: holds `AMC-006` for subject 5 where the id index has `NOT-A-SUBJECT`",
        ]
    );
    drop(kv);
    drop(db);

    // The registry blocks: a database without them (as written before they existed) opens
    // with the same subjects and gets them back; a block cut short is named.
    let copy = damaged_copy(dir.path(), &path, "blocks.rgdb");
    let db = Database::open(&copy).unwrap();
    let names = db.snapshot().subjects().to_vec();
    let kv = db.store().kv().clone();
    kv.remove_range(
        Space::Meta,
        &key::subject_block(0),
        &key::subject_block(u32::MAX),
    )
    .unwrap();
    kv.flush().unwrap();
    assert_eq!(
        db.check()
            .unwrap()
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        ["corrupt catalog entry subject blocks: do not hold the 211 subjects the head counts"]
    );
    drop(kv);
    drop(db);
    let db = Database::open(&copy).unwrap();
    assert_eq!(db.snapshot().subjects(), names.as_slice());
    assert!(
        db.check().unwrap().is_empty(),
        "the blocks were rewritten at open"
    );
    assert!(
        db.store()
            .kv()
            .get(Space::Meta, &key::subject_block(0))
            .unwrap()
            .is_some()
    );
}

/// Bytes flipped at random places of the files of a copy (the redb file and the segments): rgdb may refuse to open it, and
/// `check` may report damage, but it never panics, and a query that answers answers right.
/// Damage to a segment file is always reported by `check`.
#[test]
fn random_byte_flips_never_crash_and_never_give_wrong_numbers() {
    let (dir, path) = built();
    let query = "SELECT gender, count(*), sum(os_days), max(lab.score) FROM subjects GROUP BY gender ORDER BY gender";
    let (code, truth, _) = run_cli(&[
        "--db",
        path.to_str().unwrap(),
        "--format",
        "csv",
        "-c",
        query,
    ]);
    assert_eq!(code, 0);
    // The redb file and every segment file, each flipped in turn (in name order, so that each
    // trial flips the same file every run).
    let mut segments: Vec<std::path::PathBuf> = std::fs::read_dir(path.join("chunks"))
        .unwrap()
        .map(|entry| Path::new("chunks").join(entry.unwrap().file_name()))
        .collect();
    segments.sort();
    assert!(!segments.is_empty());
    // Every byte of a segment is a byte of a chunk of a live table or cohort (nothing was
    // replaced or removed since the segments were written: their sizes add up to the chunks'),
    // and `check` reads and decodes every such chunk. A chunk is its codec byte (another value
    // is refused, or makes the rest another codec's header, out of range or not followed by a
    // zstd frame), a CRC-32 of the rest, and the rest: a change passes the CRC only if it is
    // one of the 2^-32 it misses, and no change of 3 bits or fewer is one of those in a chunk
    // under 91,607 bits (CRC-32's Hamming distance there is 4).
    let chunk_bytes: u64 = Database::open_read_only(&path)
        .unwrap()
        .store()
        .kv()
        .scan_prefix(Space::Data, &[])
        .unwrap()
        .iter()
        .map(|(_, chunk)| chunk.len() as u64)
        .sum();
    let segment_bytes: u64 = segments
        .iter()
        .map(|file| std::fs::metadata(path.join(file)).unwrap().len())
        .sum();
    assert_eq!(
        segment_bytes, chunk_bytes,
        "segment bytes that are no chunk's"
    );
    let files: Vec<std::path::PathBuf> = std::iter::once(std::path::PathBuf::from("rgdb.redb"))
        .chain(segments)
        .collect();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut outcomes = [0usize; 3];
    let mut found = 0;
    for trial in 0..24 {
        let copy = damaged_copy(dir.path(), &path, &format!("flip{trial}.rgdb"));
        let name = &files[trial % files.len()];
        let file = copy.join(name);
        let original = std::fs::read(&file).unwrap();
        let mut bytes = original.clone();
        let size = bytes.len() as u64;
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % size) as usize;
            bytes[at] ^= 1 << (state >> 60 & 7);
        }
        // A bit flipped twice is as it was: only bytes that differ are damage.
        let changed = bytes != original;
        std::fs::write(&file, bytes).unwrap();
        let db_arg = copy.to_str().unwrap();
        let (code, out, err) = run_cli(&["--db", db_arg, "check"]);
        assert!(
            code == 0 || code == 1,
            "trial {trial}: exit {code}\n{out}{err}"
        );
        assert!(!err.contains("panicked"), "trial {trial}: {err}");
        if name.starts_with("chunks") && changed {
            assert_eq!(
                code,
                1,
                "trial {trial}: damage to {} went unreported\n{out}{err}",
                name.display()
            );
            assert!(
                out.contains("problem[E0508]: corrupt data in table"),
                "trial {trial}: {out}{err}"
            );
        }
        if code == 1 {
            found += 1;
        }
        let (code, out, err) = run_cli(&["--db", db_arg, "--format", "csv", "-c", query]);
        assert!(!err.contains("panicked"), "trial {trial}: {err}");
        if code == 0 {
            assert_eq!(
                out, truth,
                "trial {trial}: a damaged database answered wrong"
            );
            outcomes[0] += 1;
        } else {
            assert!(err.starts_with("error[E05"), "trial {trial}: {err}");
            outcomes[if err.contains("E0508") { 1 } else { 2 }] += 1;
        }
        std::fs::remove_dir_all(&copy).unwrap();
    }
    assert!(found > 0, "no flip was found by `check`");
    eprintln!(
        "byte flips: {found} found by check; {} answered right, {} refused as corrupt data, {} refused otherwise",
        outcomes[0], outcomes[1], outcomes[2]
    );
}

/// The registry blocks across block boundaries: subjects added by later imports rewrite only
/// the blocks from the first new id, and a reopened database reads the same names in order.
#[test]
fn subject_blocks_hold_every_subject_across_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.rgdb");
    let db = Database::create(&path).unwrap();
    let mut expected = Vec::new();
    for (k, range) in [(0, 0..5_000), (1, 4_900..9_000), (2, 9_000..9_001)] {
        let csv = dir.path().join(format!("t{k}.csv"));
        let mut text = String::from("Patient ID,x\n");
        for i in range {
            text += &format!("S-{i:05},{i}\n");
            if !expected.contains(&format!("S-{i:05}")) {
                expected.push(format!("S-{i:05}"));
            }
        }
        std::fs::write(&csv, text).unwrap();
        db.execute(&format!(
            "IMPORT TABLE t{k} FROM '{}' SUBJECT COLUMN 'Patient ID'",
            csv.display()
        ))
        .unwrap();
        assert!(db.check().unwrap().is_empty(), "after import {k}");
    }
    drop(db);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.snapshot().subjects(), expected.as_slice());
    assert_eq!(
        rows(&db, "SELECT x FROM t1 WHERE subject_id = 'S-08999'"),
        [["8999"]]
    );
    assert!(db.check().unwrap().is_empty());
}
