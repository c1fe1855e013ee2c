//! `IMPORT RADIOMICS FROM DICOM 'dir'` and `IMPORT RADIOMICS FROM IMAGES 'batch.csv'`: features
//! computed by rgdb itself, imported as a table, against PyRadiomics v3.0.1's values.

use std::path::{Path, PathBuf};

use crate::common::*;

fn radiomics_ref() -> PathBuf {
    root().join("tests/reference/radiomics")
}

/// PyRadiomics' features of one row of a reference CSV, by name.
fn reference_row(file: &Path, id: &str) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == id)
        .unwrap_or_else(|| panic!("{id} in {}", file.display()));
    header
        .iter()
        .zip(row.iter())
        .filter(|(h, v)| h.starts_with("original_") && !v.is_empty())
        .map(|(h, v)| (h.clone(), v.parse().unwrap()))
        .collect()
}

/// Asserts that the table's row `condition` holds PyRadiomics' features within 1e-6.
fn assert_features(db: &rgdb::Database, table: &str, condition: &str, want: &[(String, f64)]) {
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    let got = rows(
        db,
        &format!("SELECT {} FROM {table} WHERE {condition}", names.join(", ")),
    );
    assert_eq!(got.len(), 1, "{condition}");
    let mut agreement = Agreement::default();
    for ((name, w), g) in want.iter().zip(&got[0]) {
        let g: f64 = g.parse().unwrap();
        assert!(
            agreement.close(|| name.clone(), g, *w),
            "{condition} {name}: rgdb {g}, PyRadiomics {w}"
        );
    }
    agreement.report(&format!("{table} WHERE {condition}"));
}

/// `IMPORT RADIOMICS FROM DICOM` on the repository's DICOM folder (`data/dicom`: real SEGs from
/// highdicom, dcmqi and ePAD, and the CT they reference where it is public):
/// - without `SKIP BAD`, the SEGs whose CT series is not in the folder are a clear E0430 and
///   the database is unchanged;
/// - with it, one row per segment that can be computed (3), lesion level, keyed to
///   `segmentations` and `series`; the others listed, each with its reason;
/// - the features of `CT_small` and of the three evenly spaced `ct2_series` slices equal
///   PyRadiomics v3.0.1's (`dicom_pairs_original_binwidth25.csv`) within 1e-6;
/// - the provenance has the settings exactly as PyRadiomics reports them for the same
///   parameter file, "PyRadiomics v3.0.1 compatible", and the SHA-256 of every input;
/// - CORRELATE runs over the table.
#[test]
fn features_computed_from_dicom_segmentations() {
    let (_dir, db) = fresh_db();
    let dicom = root().join("data/dicom");
    db.query(&format!("IMPORT DICOM FROM '{}' SKIP BAD", dicom.display()))
        .unwrap();
    let params = radiomics_ref().join("original_binwidth25.yaml");
    let statement = format!(
        "IMPORT RADIOMICS FROM DICOM '{}' PARAMS '{}' AS rad",
        dicom.display(),
        params.display()
    );
    let version = db.version();
    let err = db.query(&statement).unwrap_err();
    assert_eq!(err.code(), "E0430", "{err}");
    let text = err.to_string();
    assert!(
        text.contains("epad_testseg.dcm")
            && text.contains("references the CT series 1.2.840.113704.1.111.424.1207241028.11, which is not under"),
        "{text}"
    );
    assert_eq!(db.version(), version);
    assert!(db.check().unwrap().is_empty());
    eprintln!("figures: without SKIP BAD, refused and the database unchanged: {text}");

    let result = db
        .query(
            &format!("{} SKIP BAD", statement.trim_end_matches(" AS rad"))
                .replace(" SKIP BAD", " SKIP BAD AS rad"),
        )
        .unwrap();
    let note = result.note.unwrap_or_default();
    eprintln!("figures: with SKIP BAD: {note}");
    assert!(note.contains("3 cases computed natively"), "{note}");
    for skipped in [
        "skipped",
        "epad_testseg.dcm",
        "liver_1frame.dcm",
        "seg_image_ct_binary_overlap.dcm segment 2",
    ] {
        assert!(note.contains(skipped), "{skipped} in {note}");
    }
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM rad")), 3);
    assert_eq!(
        scalar_i64(&sql(
            &db,
            "SELECT count(*) FROM rad WHERE sop_instance_uid IN (SELECT sop_instance_uid FROM segmentations) AND referenced_series_uid IN (SELECT series_uid FROM series)"
        )),
        3
    );
    let pairs = radiomics_ref().join("dicom_pairs_original_binwidth25.csv");
    assert_features(
        &db,
        "rad",
        "seg_file LIKE '%seg_image_ct_binary_single_frame.dcm'",
        &reference_row(&pairs, "CT_small"),
    );
    assert_features(
        &db,
        "rad",
        "seg_file LIKE '%seg_image_ct_binary.dcm'",
        &reference_row(&pairs, "ct2_series_seg_slices"),
    );
    let meta = db.snapshot().table("rad").unwrap();
    let record: serde_json::Value = serde_json::from_str(&meta.properties["provenance"]).unwrap();
    assert_eq!(
        record["pyradiomics"],
        "v3.0.1 compatible (computed by rgdb)"
    );
    let text = std::fs::read_to_string(&pairs).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "diagnostics_Configuration_Settings")
        .unwrap();
    let theirs = reader.records().next().unwrap().unwrap()[at].to_string();
    assert_eq!(
        record["settings"],
        rgdb::ingest::parse_python_literal(&theirs).unwrap(),
        "the settings compare with PyRadiomics' own"
    );
    let inputs = record["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["file"].as_str().unwrap().ends_with("CT_small.dcm")
                && i["sha256"].as_str().unwrap().len() == 64)
    );
    let correlated = rows(
        &db,
        "CORRELATE max(rad.original_shape_VoxelVolume) AS volume WITH max(rad.original_firstorder_Mean) AS mean",
    );
    assert_eq!(correlated.len(), 1);
    eprintln!("figures: CORRELATE over the lesion table: {correlated:?}");
}

/// `IMPORT RADIOMICS FROM IMAGES` reads PyRadiomics' batch layout: brain1, brain2 and breast1
/// with `default.yaml` give PyRadiomics v3.0.1's features (`pyradiomics301/default.csv`), the
/// subject from a column; a case that cannot be computed stops the import with its place and
/// code, or with `SKIP BAD` is listed; cases of different labels are mixed settings (E0427).
#[test]
fn features_computed_from_a_batch_of_images() {
    let (dir, db) = fresh_db();
    let cases = radiomics_ref().join("pyradiomics");
    let batch = dir.path().join("batch.csv");
    let mut text = String::from("ID,Image,Mask,Reader\n");
    for (k, case) in ["brain1", "brain2", "breast1"].iter().enumerate() {
        text += &format!(
            "R01-00{},{}/{case}_image.nrrd,{}/{case}_label.nrrd,{case}\n",
            k + 1,
            cases.display(),
            cases.display()
        );
    }
    std::fs::write(&batch, &text).unwrap();
    let params = radiomics_ref().join("tools/params/default.yaml");
    let statement = |extra: &str| {
        format!(
            "IMPORT RADIOMICS FROM IMAGES '{}' PARAMS '{}' SUBJECT COLUMN 'ID'{extra} AS rad",
            batch.display(),
            params.display()
        )
    };
    db.query(&statement("")).unwrap();
    let v301 = radiomics_ref().join("pyradiomics301/default.csv");
    for (subject, case) in [
        ("R01-001", "brain1"),
        ("R01-002", "brain2"),
        ("R01-003", "breast1"),
    ] {
        assert_features(
            &db,
            "rad",
            &format!("subject_id = '{subject}'"),
            &reference_row(&v301, case),
        );
    }
    assert_eq!(
        rows(&db, "SELECT reader FROM rad WHERE subject_id = 'R01-002'"),
        [["brain2"]]
    );

    // A missing image: its row and code; nothing changes.
    std::fs::write(
        &batch,
        format!(
            "{text}R01-004,{}/none.nrrd,{}/brain1_label.nrrd,x\n",
            cases.display(),
            cases.display()
        ),
    )
    .unwrap();
    let version = db.version();
    let err = db.query(&statement("")).unwrap_err();
    assert_eq!(err.code(), "E0441", "{err}");
    assert!(
        err.to_string().contains("batch.csv:5: cannot read "),
        "{err}"
    );
    assert_eq!(db.version(), version);
    let result = db.query(&statement(" SKIP BAD")).unwrap();
    let note = result.note.unwrap_or_default();
    assert!(
        note.contains("skipped") && note.contains("batch.csv:5: error[E0441]"),
        "{note}"
    );
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM rad")), 3);

    // Nothing left to import.
    std::fs::write(
        &batch,
        format!(
            "ID,Image,Mask\nR01-004,{}/none.nrrd,{}/brain1_label.nrrd\n",
            cases.display(),
            cases.display()
        ),
    )
    .unwrap();
    let err = db.query(&statement(" SKIP BAD")).unwrap_err();
    assert_eq!(err.code(), "E0450", "{err}");
    assert!(
        err.to_string().contains(
            "batch.csv: no case could be computed (1 skipped); nothing was imported. The first: "
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("batch.csv:2: error[E0441] cannot read "),
        "{err}"
    );
    assert_eq!(db.version(), version + 1);

    // Two labels are two settings.
    std::fs::write(
        &batch,
        text.replace("ID,Image,Mask,Reader", "ID,Image,Mask,Label")
            .replace(",brain2\n", ",2\n")
            .replace(",brain1\n", ",1\n")
            .replace(",breast1\n", ",1\n"),
    )
    .unwrap();
    let err = db.query(&statement("")).unwrap_err();
    assert_eq!(err.code(), "E0427", "{err}");
}

/// Ctrl-C (the REPL's cancel flag) during `IMPORT RADIOMICS FROM IMAGES` stops the work
/// between cases: the import fails with E0451, saying how far it got, and writes nothing.
#[test]
fn ctrl_c_stops_a_radiomics_import_between_cases_and_writes_nothing() {
    let (dir, db) = fresh_db();
    let cases = radiomics_ref().join("pyradiomics");
    let batch = dir.path().join("many.csv");
    let mut text = String::from("ID,Image,Mask\n");
    for k in 0..2000 {
        text += &format!(
            "R01-{k:04},{}/brain1_image.nrrd,{}/brain1_label.nrrd\n",
            cases.display(),
            cases.display()
        );
    }
    std::fs::write(&batch, text).unwrap();
    let version = db.version();
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let setter = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let err = db
        .query_cancellable(
            &format!(
                "IMPORT RADIOMICS FROM IMAGES '{}' SUBJECT COLUMN 'ID' AS rad",
                batch.display()
            ),
            None,
            &cancel,
        )
        .unwrap_err();
    setter.join().unwrap();
    assert_eq!(err.code(), "E0451", "{err}");
    let text = err.to_string();
    assert!(
        text.contains("stopped (Ctrl-C) after ")
            && text.ends_with(" of 2000 cases; nothing was imported"),
        "{text}"
    );
    // Stopped between cases, not after all of them.
    let done: usize = text
        .split("stopped (Ctrl-C) after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {text}"));
    assert!(done < 2000, "{text}");
    assert_eq!(db.version(), version);
    assert!(db.snapshot().table("rad").is_err());
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM subjects")), 0);
    // The stop was the statement's own: the next import runs to its end.
    let few: String = std::fs::read_to_string(&batch)
        .unwrap()
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&batch, few).unwrap();
    db.query(&format!(
        "IMPORT RADIOMICS FROM IMAGES '{}' SUBJECT COLUMN 'ID' AS rad",
        batch.display()
    ))
    .unwrap();
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM rad")), 2);
}
