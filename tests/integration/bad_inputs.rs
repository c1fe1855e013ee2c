//! The bad-input corpus (`tests/bad_inputs/`, see its README): every case ends in its expected
//! error, with the database unchanged, or, for hostile-looking but valid input, imports.

use std::path::{Path, PathBuf};

use rgdb::Database;

use crate::common::*;

/// What must not change when an input is refused.
fn state(db: &Database) -> String {
    let mut out = format!(
        "version {} subjects {}\n",
        db.version(),
        db.subjects().len()
    );
    for t in db.tables().unwrap() {
        out += &format!(
            "{} {} {} {:?}\n",
            t.name, t.rows, t.columns, t.content_sha256
        );
    }
    out
}

/// The bound on lines and fields the corpus runs with, so that the over-long cases stay small.
const MAX_LINE_BYTES: usize = 8 << 20;

/// Writes a `generated:` case into `dir`.
fn generate(name: &str, dir: &Path) -> PathBuf {
    let path = dir.join(name);
    let text = match name {
        "line_9mb.tsv.gz" => {
            let line = format!("gene\tR01-001\nEGFR\t{}\n", "1".repeat(9 << 20));
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, line.as_bytes()).unwrap();
            std::fs::write(&path, gz.finish().unwrap()).unwrap();
            return path;
        }
        "field_9mb_quoted.csv" => format!(
            "Patient ID,note\nR01-001,\"{}\"\nR01-002,short\n",
            "a short line\n".repeat((9 << 20) / 13)
        ),
        "subject_id_1mb.csv" => format!("Patient ID,score\nR01-001,1\n{},2\n", "R".repeat(1 << 20)),
        "subject_id_1mb_header.tsv" => {
            format!("gene\tR01-001\t{}\nEGFR\t1\t2\n", "S".repeat(1 << 20))
        }
        "wide_3x100000.csv" => {
            let header: String = (0..100_000).map(|i| format!(",c{i}")).collect();
            let mut text = format!("Patient ID{header}\n");
            for s in 1..=3 {
                text += &format!("R01-00{s}");
                text.extend((0..100_000).map(|i| format!(",{}.{}", s, i % 1000)));
                text.push('\n');
            }
            text
        }
        "field_1mb.csv" => format!(
            "Patient ID,note\nR01-001,{}\nR01-002,short\n",
            "x".repeat(1 << 20)
        ),
        "parens_10000.sql" => format!(
            "SELECT count(*) FROM subjects WHERE {}1{} = 1",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
        "operators_5000.sql" => format!("SELECT 1{} FROM subjects", " + 1".repeat(5_000)),
        "literal_1mb.sql" => format!(
            "SELECT count(*) FROM subjects WHERE gender = '{}'",
            "y".repeat(1 << 20)
        ),
        "ident_1mb.sql" => format!("SELECT clinical.{} FROM subjects", "x".repeat(1 << 20)),
        "cohort_name_1000.sql" => format!(
            "CREATE COHORT {} AS SELECT subject_id FROM subjects",
            "c".repeat(1_000)
        ),
        "fifo.parquet" => return special(&path, "fifo"),
        "link_loop.parquet" => return special(&path, "loop"),
        "folder" => return special(&path, "folder"),
        "dicom_link_loop" => return special(&path, "dicom_loop"),
        other => panic!("no generator for {other}"),
    };
    std::fs::write(&path, text).unwrap();
    path
}

/// Makes a file that is not a regular one at `path`: a named pipe, a loop of two symlinks, or
/// a folder of the user's (not an rgdb export).
fn special(path: &Path, what: &str) -> PathBuf {
    match what {
        "fifo" => {
            let made = std::process::Command::new("mkfifo")
                .arg(path)
                .status()
                .unwrap();
            assert!(made.success());
        }
        "loop" => {
            let other = path.with_extension("other");
            std::os::unix::fs::symlink(&other, path).unwrap();
            std::os::unix::fs::symlink(path, &other).unwrap();
        }
        "dicom_loop" => {
            std::fs::create_dir(path).unwrap();
            std::os::unix::fs::symlink(path, path.join("again")).unwrap();
        }
        _ => {
            std::fs::create_dir(path).unwrap();
            std::fs::write(path.join("notes.txt"), "mine").unwrap();
        }
    }
    path.to_path_buf()
}

#[test]
fn every_case_ends_as_expected() {
    let corpus = root().join("tests/bad_inputs");
    let manifest = std::fs::read_to_string(corpus.join("cases.tsv")).unwrap();
    let (dir, db) = demo_db();
    let path = db.path().unwrap().to_path_buf();
    drop(db);
    let config = rgdb::Config::default().with_max_line_bytes(MAX_LINE_BYTES);
    let db = Database::open_with(&path, config).unwrap();
    let mut cases = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, statement, expect, fragment] = fields[..] else {
            panic!("cases.tsv: a line needs 4 tab-separated fields: {line}");
        };
        let path = match file.strip_prefix("generated:") {
            Some(name) => generate(name, dir.path()),
            None => corpus.join(file),
        };
        let statement = if statement == "{text}" {
            std::fs::read_to_string(&path).unwrap()
        } else {
            statement.replace("{path}", &path.display().to_string())
        };
        let before = state(&db);
        let result = db.run_script(&statement);
        match (expect, result) {
            ("ok", Ok(_)) => {}
            ("ok", Err(e)) => panic!("{file}: expected to succeed, got {e}"),
            (code, Ok(_)) => panic!("{file}: expected {code}, but it succeeded"),
            (code, Err(e)) => {
                assert_eq!(e.code(), code, "{file}: {e}");
                assert!(
                    e.to_string().contains(fragment),
                    "{file}: `{fragment}` not in: {e}"
                );
                assert_eq!(state(&db), before, "{file}: the database changed");
            }
        }
        cases += 1;
    }
    assert!(cases >= 75, "{cases} cases");
    assert!(db.check().unwrap().is_empty());
    // The valid ones arrived whole.
    assert_eq!(
        rows(&db, "SELECT score FROM bom ORDER BY subject_id"),
        [["1.5"], ["2.5"]]
    );
    // A `;`-separated file is read with its own delimiter.
    assert_eq!(
        rows(&db, "SELECT score FROM semi ORDER BY subject_id"),
        [["1"], ["2"]]
    );
    // A `|`-delimited file too, as DuckDB's sniffer reads it.
    assert_eq!(
        rows(&db, "SELECT age, score FROM piped ORDER BY subject_id"),
        [["60", "1.5"], ["70", "2.5"]]
    );
    // NaN and infinities in a table are IEEE floats, as DuckDB and R read them (a missing
    // value is an empty cell or a null token such as `NA`).
    assert_eq!(
        rows(
            &db,
            "SELECT age, score FROM table_nan_inf ORDER BY subject_id"
        ),
        [["NaN", "inf"], ["70.0", "-inf"], ["71.0", "NaN"]]
    );
    assert_eq!(
        rows(&db, "SELECT length(note) FROM notes ORDER BY subject_id"),
        [[(1 << 20).to_string()], ["5".to_string()]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT nan_inf.KRAS, nan_inf.EGFR FROM subjects WHERE subject_id = 'R01-002'"
        ),
        [["-inf", "NaN"]]
    );
    // 3 rows of 100,000 columns, every value where it belongs.
    assert_eq!(db.table("wide").unwrap().columns, 100_001);
    assert_eq!(
        rows(&db, "SELECT c0, c99999 FROM wide ORDER BY subject_id"),
        [["1.0", "1.999"], ["2.0", "2.999"], ["3.0", "3.999"]]
    );
}
