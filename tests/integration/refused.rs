//! Refused input: each bad file gives its error, naming file, line and column, and leaves the
//! database exactly as it was (same version, same tables, same data).

use rgdb::Database;
use rgdb::ingest::IngestError;
use rgdb::ingest::TableImport;
use rgdb::{Error, storage::StorageError};

use crate::common::*;

/// What a test compares before and after a refused import.
fn state(db: &Database) -> (u64, Vec<String>, Vec<String>, usize) {
    let tables = db.tables().unwrap();
    let names = tables
        .iter()
        .map(|t| format!("{}@{}", t.name, t.version))
        .collect();
    let gender = counts(&sql(
        db,
        "SELECT gender, count(*) FROM clinical GROUP BY gender",
    ))
    .into_iter()
    .map(|(k, n)| format!("{k}={n}"))
    .collect();
    (db.version(), names, gender, db.subjects().len())
}

fn refused(file: &str) -> (Error, String) {
    let (_dir, db) = clinical_db();
    let before = state(&db);
    let path = bad_input(file);
    let err = db.import_clinical(&path).unwrap_err();
    assert_eq!(state(&db), before, "{file} changed the database");
    assert!(db.check().unwrap().is_empty());
    (err, path.display().to_string())
}

fn ingest(err: Error) -> IngestError {
    match err {
        Error::Ingest(e) => e,
        other => panic!("expected an ingest error, got {other}"),
    }
}

#[test]
fn duplicated_subject_is_refused_with_both_lines() {
    let (err, file) = refused("clinical_duplicate_subject.csv");
    assert_eq!(err.code(), "E0406");
    assert_eq!(
        ingest(err),
        IngestError::DuplicateSubject {
            file: file.clone(),
            subject: "AMC-002".into(),
            first_line: 3,
            line: 7,
        }
    );
}

#[test]
fn duplicate_error_message() {
    let (err, file) = refused("clinical_duplicate_subject.csv");
    assert_eq!(
        err.to_string(),
        format!(
            "import error E0406: {file}:7: subject `AMC-002` appears again (first on line 3); a per-subject table holds one row per subject"
        )
    );
}

#[test]
fn short_row_is_refused_naming_the_line() {
    let (err, file) = refused("clinical_short_row.csv");
    assert_eq!(
        err.to_string(),
        format!("import error E0405: {file}:4: this row has 37 fields but the header has 40")
    );
}

#[test]
fn non_utf8_is_refused_naming_line_and_column() {
    let (err, file) = refused("clinical_not_utf8.csv");
    assert_eq!(
        ingest(err),
        IngestError::NotUtf8 {
            file: file.clone(),
            line: 5,
            column: 14,
            byte: 0xE9
        }
    );
    let (err, _) = refused("clinical_not_utf8.csv");
    assert_eq!(
        err.to_string(),
        format!(
            "import error E0402: {file}:5:14: the file is not valid UTF-8 (byte 0xE9); re-save it as UTF-8"
        )
    );
}

#[test]
fn header_only_and_empty_files_are_refused() {
    let (err, file) = refused("clinical_header_only.csv");
    assert_eq!(
        err.to_string(),
        format!("import error E0404: {file}: the file has a header but no data rows")
    );
    let (err, file) = refused("empty.csv");
    assert_eq!(
        err.to_string(),
        format!(
            "import error E0403: {file}: the file is empty; expected a header row and data rows"
        )
    );
}

#[test]
fn missing_subject_column_lists_what_the_header_has() {
    let (err, file) = refused("clinical_no_subject_column.csv");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("import error E0407: {file}:1: no subject column: expected one of `Case ID`, `Patient ID`")),
        "{text}"
    );
    assert!(
        text.contains("the header has `Patient`, `Patient affiliation`"),
        "{text}"
    );
    assert!(
        text.ends_with("did you mean `Patient`?") || text.contains("did you mean one of `Patient`"),
        "{text}"
    );
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let (_dir, db) = clinical_db();
    let err = db.import_clinical("no/such/file.csv").unwrap_err();
    assert_eq!(err.code(), "E0401");
    assert!(
        err.to_string()
            .starts_with("import error E0401: no/such/file.csv: cannot read the file"),
        "{err}"
    );
}

#[test]
fn generic_import_refuses_an_unknown_subject_column() {
    let (_dir, db) = clinical_db();
    let before = state(&db);
    let err = db
        .import_table(clinical_csv(), &TableImport::new("extra", "PID"))
        .unwrap_err();
    assert_eq!(err.code(), "E0407");
    assert_eq!(state(&db), before);
}

#[test]
fn invalid_and_reserved_table_names_are_refused() {
    let (_dir, db) = clinical_db();
    let err = db
        .import_table(clinical_csv(), &TableImport::new("2x", "Patient ID"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Storage(StorageError::InvalidName { .. })),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "storage error E0510: invalid table name `2x`: a name starts with a letter, not `2`"
    );
    let err = db
        .import_table(clinical_csv(), &TableImport::new("my-table", "Patient ID"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "storage error E0510: invalid table name `my-table`: `-` is not allowed; use letters, digits and `_`"
    );
    let err = db
        .import_table(clinical_csv(), &TableImport::new("subjects", "Patient ID"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "storage error E0511: `subjects` is a reserved name and cannot name a table"
    );
    assert_eq!(db.version(), 1);
}

#[test]
fn a_long_cohort_name_is_refused_for_its_length_and_not_echoed_whole() {
    let (_dir, db) = clinical_db();
    let name = "a".repeat(1_000);
    let err = db
        .query(&format!(
            "CREATE COHORT {name} AS SELECT subject_id FROM subjects"
        ))
        .unwrap_err();
    assert_eq!(err.code(), "E0510");
    assert_eq!(
        err.to_string(),
        format!(
            "storage error E0510: invalid cohort name `{}…`: it has 1000 characters; a name has at most 64",
            "a".repeat(40)
        )
    );
    // 100,000 characters are refused by the parser, with the length, not the name.
    let err = db
        .query(&format!(
            "CREATE COHORT {} AS SELECT subject_id FROM subjects",
            "a".repeat(100_000)
        ))
        .unwrap_err();
    assert_eq!(err.code(), "E0108");
    assert!(err.to_string().len() < 200, "{err}");
    // At the limit it is a name like any other.
    let name = "c".repeat(64);
    db.query(&format!(
        "CREATE COHORT {name} AS SELECT subject_id FROM subjects"
    ))
    .unwrap();
    assert_eq!(db.version(), 2);
}

#[test]
fn an_empty_subject_cell_is_refused_naming_the_line() {
    let (err, file) = refused("clinical_empty_subject.csv");
    assert_eq!(
        err.to_string(),
        format!(
            "import error E0408: {file}:5: the subject column `Patient ID` is empty on this row"
        )
    );
}
