//! Bounds on what an import reads, in every text reader: the length of a line and of a field
//! (configurable), quotes left open, NUL bytes, and the length of a subject ID. Each refusal
//! names the file and line and leaves the database as it was.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use rgdb::{Config, Database};

use crate::common::*;

const LIMIT: usize = 1 << 20;

/// A database whose imports read lines and fields of at most 1 MiB.
fn bounded_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::default().with_max_line_bytes(LIMIT);
    let db = Database::create_with(dir.path().join("db.rgdb"), config).unwrap();
    db.import_clinical(clinical_csv()).unwrap();
    (dir, db)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// Runs `statement` (with `{path}`), which must fail with `code` and a message starting with
/// `{path}` + `rest`, leaving the database unchanged.
fn refused(db: &Database, statement: &str, path: &Path, code: &str, rest: &str) {
    let version = db.version();
    let tables = db.tables().unwrap().len();
    let subjects = db.subjects().len();
    let err = db
        .execute(&statement.replace("{path}", &path.display().to_string()))
        .unwrap_err();
    assert_eq!(err.code(), code, "{err}");
    let expected = format!("{}{rest}", path.display());
    assert!(
        err.message().starts_with(&expected),
        "{}\nexpected it to start with {expected}",
        err.message()
    );
    assert_eq!(
        (
            db.version(),
            db.tables().unwrap().len(),
            db.subjects().len()
        ),
        (version, tables, subjects)
    );
    assert!(db.check().unwrap().is_empty());
}

const TOO_LONG: &str = "this line is longer than 1 MiB, the longest line rgdb reads; if the file is right, raise the limit (--max-line-bytes, Config::with_max_line_bytes)";

#[test]
fn every_text_reader_stops_at_a_line_past_the_bound() {
    let (dir, db) = bounded_db();
    let d = dir.path();
    let long = "7".repeat(3 * LIMIT);
    // CSV (the table and clinical importers).
    let csv = write(
        d,
        "long.csv",
        format!("Patient ID,x\nR01-001,1\nR01-002,{long}\n").as_bytes(),
    );
    let table = "IMPORT TABLE t FROM '{path}' SUBJECT COLUMN 'Patient ID'";
    refused(&db, table, &csv, "E0433", &format!(":3: {TOO_LONG}"));
    refused(
        &db,
        "IMPORT CLINICAL FROM '{path}'",
        &csv,
        "E0433",
        ":3: this line",
    );
    // TSV expression, plain and gzip: a 3 MB line in a gzip of a few kB.
    let tsv = format!("gene\tR01-001\tR01-002\nEGFR\t1\t2\nKRAS\t{long}\t3\n");
    let plain = write(d, "long.tsv", tsv.as_bytes());
    let gz = write(d, "long.tsv.gz", &gzip(&tsv));
    assert!(std::fs::metadata(&gz).unwrap().len() < 50_000);
    let expression = "IMPORT EXPRESSION FROM '{path}' AS e";
    refused(&db, expression, &plain, "E0433", &format!(":3: {TOO_LONG}"));
    refused(&db, expression, &gz, "E0433", &format!(":3: {TOO_LONG}"));
    // The first line, read before the matrix's delimiter is known.
    let header = write(d, "long_header.tsv.gz", &gzip(&format!("gene\t{long}\n")));
    refused(&db, expression, &header, "E0433", ":1: this line");
    // GEO: a metadata line, and a table line.
    let geo = |description: &str, value: &str| {
        format!(
            "!Series_title\t\"t\"\n!Sample_description\t\"{description}\"\n!Sample_geo_accession\t\"GSM1\"\n\
             !series_matrix_table_begin\n\"ID_REF\"\t\"GSM1\"\n\"p1\"\t{value}\n!series_matrix_table_end\n"
        )
    };
    let geo_header = write(d, "header.txt.gz", &gzip(&geo(&long, "1")));
    let geo_table = write(d, "table.txt.gz", &gzip(&geo("d", &long)));
    refused(
        &db,
        "IMPORT GEO FROM '{path}' AS g",
        &geo_header,
        "E0433",
        ":2: this line",
    );
    refused(
        &db,
        "IMPORT GEO FROM '{path}' AS g",
        &geo_table,
        "E0433",
        ":6: this line",
    );
    // PyRadiomics.
    let radiomics = write(
        d,
        "long_radiomics.csv",
        format!("PID,original_firstorder_Mean\nR01-001,1.5\nR01-002,{long}\n").as_bytes(),
    );
    let statement = "IMPORT RADIOMICS FROM '{path}' SUBJECT COLUMN 'PID' AS r";
    refused(&db, statement, &radiomics, "E0433", ":3: this line");
    // A line just under the bound imports.
    let fits = "x".repeat(LIMIT - 100);
    let csv = write(
        d,
        "fits.csv",
        format!("Patient ID,x\nR01-001,{fits}\n").as_bytes(),
    );
    db.execute(&table.replace("{path}", &csv.display().to_string()))
        .unwrap();
    assert_eq!(
        rows(&db, "SELECT length(x) FROM t"),
        [[(LIMIT - 100).to_string()]]
    );
}

/// A quoted field may span lines in a CSV, but not past the bound: a quote left open in a
/// large file is refused there, not read to its end.
#[test]
fn a_quoted_field_past_the_bound_is_refused_where_it_opens() {
    let (dir, db) = bounded_db();
    let field = "a line of a note\n".repeat(3 * LIMIT / 17);
    let csv = write(
        dir.path(),
        "note.csv",
        format!("Patient ID,note\nR01-001,short\nR01-002,\"{field}\"\n").as_bytes(),
    );
    let table = "IMPORT TABLE notes FROM '{path}' SUBJECT COLUMN 'Patient ID'";
    refused(
        &db,
        table,
        &csv,
        "E0437",
        ":3: a quoted field opens on this line and runs past 1 MiB, the longest field rgdb reads; is its closing quote missing?",
    );
    // Under the bound, a note over several lines is one cell.
    let csv = write(
        dir.path(),
        "short_note.csv",
        b"Patient ID,note\nR01-001,\"two\nlines\"\nR01-002,one\n",
    );
    db.execute(&table.replace("{path}", &csv.display().to_string()))
        .unwrap();
    assert_eq!(
        rows(&db, "SELECT note FROM notes ORDER BY subject_id"),
        [["two\nlines"], ["one"]]
    );
}

/// The issue's case: a quote opened on line 3 swallowed the rest of the file into one cell,
/// and the import reported success with 2 of 4 rows.
#[test]
fn a_quote_left_open_is_refused_naming_the_line_it_opened_on() {
    let (dir, db) = clinical_db();
    let csv = bad_input("csv_unterminated_quote.csv");
    let table = "IMPORT TABLE t FROM '{path}' SUBJECT COLUMN 'Patient ID'";
    refused(
        &db,
        table,
        &csv,
        "E0434",
        ":3: a quoted field opens on this line and is never closed; a `\"` at the start of a field quotes it up to the next lone `\"` (write `\"\"` for a quote inside it)",
    );
    // The same rows with the quote closed import whole: 4 rows.
    let fixed = std::fs::read_to_string(&csv)
        .unwrap()
        .replace("opened here", "opened here\"");
    let fixed = write(dir.path(), "closed.csv", fixed.as_bytes());
    db.execute(&table.replace("{path}", &fixed.display().to_string()))
        .unwrap();
    assert_eq!(
        rows(&db, "SELECT subject_id, note FROM t ORDER BY subject_id"),
        [
            ["R01-001", "fine"],
            ["R01-002", "opened here"],
            ["R01-003", "fine"],
            ["R01-004", "fine"]
        ]
    );
    // A matrix (TSV, GEO): no cell spans lines, so the quote is refused at its line's end.
    let tsv = bad_input("expression_unterminated_quote.tsv");
    let matrix_message = ":3: a quoted field opens on this line and is not closed on it; a matrix cell holds no line break (write `\"\"` for a quote inside a quoted cell)";
    refused(
        &db,
        "IMPORT EXPRESSION FROM '{path}' AS e",
        &tsv,
        "E0434",
        matrix_message,
    );
    let gz = write(
        dir.path(),
        "quoted.tsv.gz",
        &gzip(&std::fs::read_to_string(&tsv).unwrap()),
    );
    refused(
        &db,
        "IMPORT EXPRESSION FROM '{path}' AS e",
        &gz,
        "E0434",
        matrix_message,
    );
    let geo = bad_input("geo_unterminated_quote.txt");
    refused(
        &db,
        "IMPORT GEO FROM '{path}' AS g",
        &geo,
        "E0434",
        ":7: a quoted field opens",
    );
    let radiomics = bad_input("radiomics_unterminated_quote.csv");
    refused(
        &db,
        "IMPORT RADIOMICS FROM '{path}' AS r",
        &radiomics,
        "E0434",
        ":3: a quoted field opens on this line and is never closed",
    );
}

#[test]
fn a_nul_byte_is_refused_with_its_line_and_column() {
    let (dir, db) = clinical_db();
    let csv = bad_input("csv_nul_byte.csv");
    refused(
        &db,
        "IMPORT TABLE t FROM '{path}' SUBJECT COLUMN 'Patient ID'",
        &csv,
        "E0435",
        ":3:10: a NUL byte (0x00); text files hold none. Is it a binary file, or text saved as UTF-16? Re-save it as UTF-8",
    );
    // A UTF-16 file is all NUL bytes between its letters.
    let utf16: Vec<u8> = "gene\tR01-001\nEGFR\t1\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let tsv = write(dir.path(), "utf16.tsv", &utf16);
    refused(
        &db,
        "IMPORT EXPRESSION FROM '{path}' AS e",
        &tsv,
        "E0435",
        ":1:2: a NUL byte",
    );
}

#[test]
fn a_subject_id_past_256_bytes_is_refused_by_every_importer() {
    let (dir, db) = clinical_db();
    let d = dir.path();
    let huge = "R".repeat(10 << 20);
    let table = write(
        d,
        "ids.csv",
        format!("Patient ID,x\nR01-001,1\n{huge},2\n").as_bytes(),
    );
    refused(
        &db,
        "IMPORT TABLE t FROM '{path}' SUBJECT COLUMN 'Patient ID'",
        &table,
        "E0436",
        &format!(
            ":3: a subject ID of 10485760 bytes (`{}…`); subject IDs are at most 256 bytes",
            "R".repeat(40)
        ),
    );
    let long = "S".repeat(257);
    let expression = "IMPORT EXPRESSION FROM '{path}' AS e";
    let rows_file = write(
        d,
        "rows.tsv",
        format!("PID\tEGFR\nR01-001\t1\n{long}\t2\n").as_bytes(),
    );
    refused(
        &db,
        expression,
        &rows_file,
        "E0436",
        ":3: a subject ID of 257 bytes",
    );
    let columns_file = write(
        d,
        "columns.tsv",
        format!("gene\tR01-001\t{long}\nEGFR\t1\t2\n").as_bytes(),
    );
    refused(
        &db,
        expression,
        &columns_file,
        "E0436",
        ":1: a subject ID of 257 bytes",
    );
    let geo = write(
        d,
        "geo.txt",
        format!(
            "!Series_title\t\"t\"\n!Sample_geo_accession\t\"{long}\"\n!series_matrix_table_begin\n\
             \"ID_REF\"\t\"{long}\"\n\"p1\"\t1\n!series_matrix_table_end\n"
        )
        .as_bytes(),
    );
    refused(
        &db,
        "IMPORT GEO FROM '{path}' AS g",
        &geo,
        "E0436",
        ":4: a subject ID of 257 bytes",
    );
    let radiomics = write(
        d,
        "radiomics.csv",
        format!("PID,original_firstorder_Mean\nR01-001,1.5\n{long},2.5\n").as_bytes(),
    );
    refused(
        &db,
        "IMPORT RADIOMICS FROM '{path}' SUBJECT COLUMN 'PID' AS r",
        &radiomics,
        "E0436",
        ":3: a subject ID of 257 bytes",
    );
    let aliases = write(
        d,
        "aliases.csv",
        format!("alias,subject_id\nA1,R01-001\n{long},R01-002\n").as_bytes(),
    );
    refused(
        &db,
        "IMPORT ALIASES FROM '{path}'",
        &aliases,
        "E0436",
        ":3: a subject ID of 257 bytes",
    );
    // 256 bytes is an ID.
    let edge = "E".repeat(256);
    let ok = write(
        d,
        "edge.csv",
        format!("Patient ID,x\n{edge},1\n").as_bytes(),
    );
    db.execute(&format!(
        "IMPORT TABLE t FROM '{}' SUBJECT COLUMN 'Patient ID'",
        ok.display()
    ))
    .unwrap();
    assert!(db.subjects().contains(&edge));
}

#[test]
fn the_command_line_sets_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.rgdb");
    let csv = write(
        dir.path(),
        "wide_line.csv",
        format!("Patient ID,x\nR01-001,{}\n", "1".repeat(3 << 20)).as_bytes(),
    );
    let import = |limit: &str| {
        run_cli(&[
            "--db",
            db.to_str().unwrap(),
            "import",
            "table",
            "t",
            csv.to_str().unwrap(),
            "--subject-column",
            "Patient ID",
            "--max-line-bytes",
            limit,
        ])
    };
    let (code, _, err) = import("2MiB");
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "error[E0433]: {}:2: this line is longer than 2 MiB",
            csv.display()
        )),
        "{err}"
    );
    let (code, _, err) = import("4MB");
    assert_eq!(code, 0, "{err}");
    let db = Database::open(&db).unwrap();
    assert_eq!(db.table("t").unwrap().rows, 1);
}

/// AIM and DICOM files have no lines to speak of: the error names the annotation's place
/// (file and line of its element) or the DICOM file.
#[test]
fn aim_and_dicom_subject_ids_are_bounded_too() {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    let (dir, db) = clinical_db();
    let long = "P".repeat(300);
    let aim = std::fs::read_to_string(root().join("data/aim/recist_sample.xml"))
        .unwrap()
        .replace("<id value=\"7\"/>", &format!("<id value=\"{long}\"/>"));
    let aim = write(dir.path(), "long_id.xml", aim.as_bytes());
    let version = db.version();
    let err = db
        .execute(&format!("IMPORT AIM FROM '{}'", aim.display()))
        .unwrap_err();
    assert_eq!(err.code(), "E0436");
    let message = err.message();
    assert!(
        message.starts_with(&format!("{}:", aim.display())),
        "{message}"
    );
    assert!(
        message.contains(": a subject ID of 300 bytes (`PPPP"),
        "{message}"
    );
    let mut obj = dicom_object::open_file(root().join("data/dicom/CT_small.dcm")).unwrap();
    obj.put(DataElement::new(
        tags::PATIENT_ID,
        VR::LO,
        PrimitiveValue::from(long.as_str()),
    ));
    let scans = dir.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let ct = scans.join("ct.dcm");
    obj.write_to_file(&ct).unwrap();
    let err = db
        .execute(&format!("IMPORT DICOM FROM '{}'", scans.display()))
        .unwrap_err();
    assert_eq!(err.code(), "E0436");
    assert_eq!(
        err.message(),
        format!(
            "{}: a subject ID of 300 bytes (`{}…`); subject IDs are at most 256 bytes",
            ct.display(),
            "P".repeat(40)
        )
    );
    assert_eq!(db.version(), version);
    assert!(db.check().unwrap().is_empty());
}
