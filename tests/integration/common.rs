//! Shared fixtures: the real clinical file, fresh databases, and value extraction.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use rgdb::Database;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The real TCIA clinical table (211 subjects × 40 columns).
pub fn clinical_csv() -> PathBuf {
    root().join(
        "data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv",
    )
}

/// A bad-input fixture.
pub fn bad_input(name: &str) -> PathBuf {
    root().join("tests/bad_inputs").join(name)
}

/// A new database in a temporary directory.
pub fn fresh_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::create(dir.path().join("test.rgdb")).unwrap();
    (dir, db)
}

/// A database holding the real clinical table.
pub fn clinical_db() -> (tempfile::TempDir, Database) {
    let (dir, db) = fresh_db();
    db.import_clinical(clinical_csv()).unwrap();
    (dir, db)
}

/// Runs DataFusion SQL in the database's session and returns the batches.
pub fn sql(db: &Database, text: &str) -> Vec<RecordBatch> {
    let ctx = db.session();
    db.block_on(async { ctx.sql(text).await?.collect().await })
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// `(text, count)` rows of a two-column `SELECT key, count(*)` result.
pub fn counts(batches: &[RecordBatch]) -> Vec<(String, i64)> {
    let mut rows = Vec::new();
    for b in batches {
        let keys = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
        let keys = keys.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let key = if keys.is_null(i) {
                "NULL".to_string()
            } else {
                keys.value(i).to_string()
            };
            rows.push((key, n.value(i)));
        }
    }
    rows.sort();
    rows
}

/// The single integer of a one-row, one-column result.
pub fn scalar_i64(batches: &[RecordBatch]) -> i64 {
    let b = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    b.column(0).as_primitive::<Int64Type>().value(0)
}

/// The names of a table's columns, in ordinal order.
pub fn column_names(db: &Database, table: &str) -> Vec<String> {
    db.columns(table)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// Copies a database directory (for crash and corruption tests).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh copy of the demo cohort (clinical, rnaseq, series), as `rgdb demo` builds it.
pub fn demo_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let db = rgdb::demo::build(&dir.path().join("demo.rgdb")).unwrap();
    (dir, db)
}

/// The rows of a query as text cells (NULL as "NULL").
pub fn rows(db: &Database, text: &str) -> Vec<Vec<String>> {
    let result = db
        .query(text)
        .unwrap_or_else(|e| panic!("{}", e.render(text)));
    let mut out = Vec::new();
    for b in &result.batches {
        for row in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(row) {
                            "NULL".to_string()
                        } else {
                            arrow::util::display::array_value_to_string(c, row).unwrap()
                        }
                    })
                    .collect(),
            );
        }
    }
    out
}

/// Runs an import that must fail: checks that the database did not change and returns the
/// importer's error.
pub fn refused_import(
    db: &Database,
    request: &rgdb::ingest::ImportRequest,
) -> rgdb::ingest::IngestError {
    let version = db.version();
    let err = db.import(request).unwrap_err();
    assert_eq!(
        db.version(),
        version,
        "a refused import changed the database"
    );
    assert!(db.check().unwrap().is_empty());
    match err {
        rgdb::Error::Ingest(e) => e,
        other => panic!("expected an ingest error, got {other}"),
    }
}

/// Runs the command line in this process: (exit code, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args: Vec<std::ffi::OsString> = std::iter::once("rgdb")
        .chain(args.iter().copied())
        .map(Into::into)
        .collect();
    let code = rgdb::cli::run(args, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// A committed fixture of a database an earlier rgdb made (sled storage), copied to `to` and
/// converted by `Database::upgrade`.
pub fn old_fixture(name: &str, to: &Path) {
    copy_dir(&root().join("tests/fixtures").join(name), to);
    let report = rgdb::Database::upgrade(to).unwrap().unwrap();
    assert_eq!((report.from, report.to), ("sled", "redb"));
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Agreement with a reference implementation as issue 25 states it: within 1e-6 relative, or
/// 1e-9 absolute near zero. It counts the values compared and keeps the largest differences,
/// which a test prints at its end as the figures of its check
/// (`cargo test --test integration -- NAME --nocapture`).
#[derive(Default)]
pub struct Agreement {
    pub compared: usize,
    worst_relative: (f64, String),
    worst_absolute: (f64, String),
}

impl Agreement {
    /// Whether `got` is within the tolerance of `want`; `what` names the value in the figures.
    pub fn close(&mut self, what: impl Fn() -> String, got: f64, want: f64) -> bool {
        self.compared += 1;
        let difference = (got - want).abs();
        // Relative where the reference is away from zero, absolute near it.
        let (worst, d) = if want.abs() > 1e-3 {
            (&mut self.worst_relative, difference / want.abs())
        } else {
            (&mut self.worst_absolute, difference)
        };
        if d > worst.0 {
            *worst = (d, what());
        }
        difference <= 1e-6 * want.abs() || difference <= 1e-9
    }

    /// Prints the figures: values compared, the largest relative difference (where the
    /// reference's magnitude is over 1e-3) and the largest absolute one (where it is not).
    pub fn report(&self, check: &str) {
        eprintln!(
            "figures: {check}: {} values; largest relative difference {:.1e} ({}); largest absolute difference near zero {:.1e} ({})",
            self.compared,
            self.worst_relative.0,
            self.worst_relative.1,
            self.worst_absolute.0,
            self.worst_absolute.1
        );
    }
}
