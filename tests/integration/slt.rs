//! The sqllogictest suite: every `tests/slt/*.slt` file runs against a fresh copy of the
//! demo cohort. Run with `RGDB_SLT_COMPLETE=1` to rewrite the expected output in place.

use std::path::PathBuf;

use arrow::datatypes::DataType;
use arrow::util::display::array_value_to_string;
use rgdb::Database;
use sqllogictest::{DBOutput, DefaultColumnType};

/// One `Database` as a sqllogictest connection.
pub struct Slt {
    db: Database,
    _dir: tempfile::TempDir,
}

impl Slt {
    fn new() -> Self {
        let (dir, db) = crate::common::demo_db();
        Slt { db, _dir: dir }
    }
}

fn column_type(ty: &DataType) -> DefaultColumnType {
    if ty.is_integer() {
        DefaultColumnType::Integer
    } else if ty.is_floating() {
        DefaultColumnType::FloatingPoint
    } else {
        DefaultColumnType::Text
    }
}

impl sqllogictest::DB for Slt {
    type Error = rgdb::Error;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, rgdb::Error> {
        let result = self.db.query(sql)?;
        let types = result
            .schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let mut rows = Vec::new();
        for batch in &result.batches {
            for row in 0..batch.num_rows() {
                let cells = batch
                    .columns()
                    .iter()
                    .map(|c| {
                        if c.is_null(row) {
                            "NULL".to_string()
                        } else {
                            match array_value_to_string(c, row) {
                                Ok(s) if s.is_empty() => "(empty)".to_string(),
                                Ok(s) => s,
                                Err(e) => format!("<{e}>"),
                            }
                        }
                    })
                    .collect();
                rows.push(cells);
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }
}

fn slt_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate::common::root().join("tests/slt"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    files
}

#[test]
fn sqllogictest_suite() {
    let files = slt_files();
    assert!(files.len() >= 5, "the suite lost files: {files:?}");
    let complete = std::env::var_os("RGDB_SLT_COMPLETE").is_some();
    for file in files {
        let mut runner = sqllogictest::Runner::new(|| async { Ok(Slt::new()) });
        if complete {
            let col = " ";
            futures::executor::block_on(runner.update_test_file(
                &file,
                col,
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::default_column_validator,
            ))
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        } else if let Err(e) = runner.run_file(&file) {
            panic!("{}: {}", file.display(), e.display(true));
        }
    }
}
