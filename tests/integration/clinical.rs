//! The clinical importer on the real TCIA file, checked against the cohort's published counts
//! and against values computed independently (tests/reference/clinical_reference.py).

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Date32Type, Float64Type, Int64Type};
use rgdb::storage::{ColumnType, Level};

use crate::common::*;

#[test]
fn the_cohort_has_211_subjects_162_r01_and_49_amc() {
    let (_dir, db) = clinical_db();
    let subjects = db.subjects();
    assert_eq!(subjects.len(), 211);
    assert_eq!(
        subjects.iter().filter(|s| s.starts_with("R01-")).count(),
        162
    );
    assert_eq!(
        subjects.iter().filter(|s| s.starts_with("AMC-")).count(),
        49
    );
    let table = db.table("clinical").unwrap();
    assert_eq!(
        (table.rows, table.level, table.kind.as_str()),
        (211, Level::Subject, "clinical")
    );
}

#[test]
fn published_counts_of_gender_and_histology() {
    let (_dir, db) = clinical_db();
    let gender = counts(&sql(
        &db,
        "SELECT gender, count(*) FROM clinical GROUP BY gender",
    ));
    assert_eq!(gender, [("Female".into(), 76), ("Male".into(), 135)]);
    let histology = counts(&sql(
        &db,
        "SELECT histology, count(*) FROM clinical GROUP BY histology",
    ));
    assert_eq!(
        histology,
        [
            ("Adenocarcinoma".into(), 172),
            ("NSCLC NOS (not otherwise specified)".into(), 4),
            ("Squamous cell carcinoma".into(), 35),
        ]
    );
}

#[test]
fn missing_tokens_become_null_and_unknown_stays_a_value() {
    let (_dir, db) = clinical_db();
    let egfr = counts(&sql(
        &db,
        "SELECT egfr_mutation_status, count(*) FROM clinical GROUP BY 1",
    ));
    assert_eq!(
        egfr,
        [
            ("Mutant".into(), 43),
            ("NULL".into(), 5),
            ("Unknown".into(), 34),
            ("Wildtype".into(), 129),
        ]
    );
    let columns = db.columns("clinical").unwrap();
    let by_name: HashMap<_, _> = columns.iter().map(|c| (c.name.as_str(), c)).collect();
    assert_eq!(by_name["egfr_mutation_status"].non_null, 206);
    assert_eq!(by_name["weight_lbs"].non_null, 152);
    assert_eq!(by_name["pack_years"].non_null, 155);
}

#[test]
fn import_summary_reports_types_and_mapped_tokens() {
    let (_dir, db) = fresh_db();
    let summary = db.import_clinical(clinical_csv()).unwrap();
    assert_eq!(
        (summary.rows, summary.new_subjects, summary.version),
        (211, 211, 1)
    );
    let weight = summary.column("weight_lbs").unwrap();
    assert_eq!(weight.ty, ColumnType::Float64);
    assert_eq!(weight.null_tokens.get("Not Collected"), Some(&59));
    let pack = summary.column("pack_years").unwrap();
    assert_eq!(pack.null_tokens.get("N/A"), Some(&48));
    assert_eq!(pack.null_tokens.get("Not Collected"), Some(&8));
    let egfr = summary.column("egfr_mutation_status").unwrap();
    assert_eq!(egfr.null_tokens.get("Not collected"), Some(&5));
    assert!(summary.notes.is_empty(), "{:?}", summary.notes);
    let text = summary.to_string();
    assert!(
        text.contains("211 rows, 45 columns, 211 new subjects"),
        "{text}"
    );
    assert!(text.contains("\"Not Recorded In Database\" ×49"), "{text}");
}

#[test]
fn column_types_are_inferred_from_the_real_file() {
    let (_dir, db) = clinical_db();
    let ty = |name: &str| {
        db.columns("clinical")
            .unwrap()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .ty
    };
    assert_eq!(ty("subject_id"), ColumnType::Subject);
    assert_eq!(ty("age_at_histological_diagnosis"), ColumnType::Int64);
    assert_eq!(ty("weight_lbs"), ColumnType::Float64);
    assert_eq!(ty("ct_date"), ColumnType::Date32);
    assert_eq!(ty("recurrence"), ColumnType::Boolean);
    assert_eq!(ty("chemotherapy"), ColumnType::Boolean);
    assert_eq!(ty("tumor_location_choice_rul"), ColumnType::Boolean);
    assert_eq!(ty("histology"), ColumnType::Utf8);
    assert_eq!(ty("pct_gg"), ColumnType::Utf8);
}

#[test]
fn names_are_snake_case_and_keep_their_labels() {
    let (_dir, db) = clinical_db();
    let columns = db.columns("clinical").unwrap();
    let histology = columns.iter().find(|c| c.name == "histology").unwrap();
    assert_eq!(histology.label, "Histology ");
    let weight = columns.iter().find(|c| c.name == "weight_lbs").unwrap();
    assert_eq!(
        (weight.label.as_str(), weight.unit.as_deref()),
        ("Weight (lbs)", Some("lbs"))
    );
    assert_eq!(columns[0].label, "Patient ID");
    // A column can be named by its original label, exactly or in any case.
    let snapshot = db.snapshot();
    let table = snapshot.table("clinical").unwrap();
    assert_eq!(
        snapshot.column_by_name(&table, "Pack Years").unwrap().name,
        "pack_years"
    );
    assert_eq!(
        snapshot
            .column_by_name(&table, "EGFR MUTATION STATUS")
            .unwrap()
            .name,
        "egfr_mutation_status"
    );
    assert_eq!(
        snapshot.column_by_name(&table, "%GG").unwrap().name,
        "pct_gg"
    );
    assert_eq!(
        snapshot.column_by_name(&table, "Histology").unwrap().name,
        "histology"
    );
}

#[test]
fn unknown_column_suggests_the_closest_names() {
    let (_dir, db) = clinical_db();
    let err = db.read_columns("clinical", &["egfr_mutation"]).unwrap_err();
    assert_eq!(err.code(), "E0506");
    assert_eq!(
        err.to_string(),
        "storage error E0506: table `clinical` has no column `egfr_mutation`; did you mean `egfr_mutation_status`?"
    );
    let err = db.table("clinicl").unwrap_err();
    assert_eq!(
        err.to_string(),
        "storage error E0505: unknown table `clinicl`; did you mean `clinical`?"
    );
}

#[test]
fn sixty_three_deaths_and_survival_matches_the_reference_script() {
    let (_dir, db) = clinical_db();
    assert_eq!(
        scalar_i64(&sql(&db, "SELECT count(*) FROM clinical WHERE os_event")),
        63
    );
    let reference =
        std::fs::read_to_string(root().join("tests/reference/clinical_survival.csv")).unwrap();
    let batches = sql(
        &db,
        "SELECT subject_id, os_days, os_event, rfs_days, rfs_event, tumor_location FROM clinical",
    );
    let mut ours = HashMap::new();
    for b in &batches {
        let text = |i: usize, row: usize| {
            let col = arrow::compute::cast(b.column(i), &arrow::datatypes::DataType::Utf8).unwrap();
            let col = col.as_string::<i32>();
            if col.is_null(row) {
                String::new()
            } else {
                col.value(row).to_string()
            }
        };
        for row in 0..b.num_rows() {
            let values: Vec<String> = (1..6).map(|i| text(i, row)).collect();
            ours.insert(text(0, row), values.join(","));
        }
    }
    let mut checked = 0;
    for line in reference.lines().skip(1) {
        let (subject, expected) = line.split_once(',').unwrap();
        let expected = expected.trim_matches('"').replace("\"", "");
        assert_eq!(ours[subject], expected, "{subject}");
        checked += 1;
    }
    assert_eq!(checked, 211);
}

#[test]
fn dates_and_floats_hold_the_file_values() {
    let (_dir, db) = clinical_db();
    let batches = sql(
        &db,
        "SELECT ct_date, weight_lbs, age_at_histological_diagnosis FROM clinical WHERE subject_id = 'AMC-001' OR subject_id = 'R01-001' ORDER BY subject_id",
    );
    let b = &batches[0];
    let ct = b.column(0).as_primitive::<Date32Type>();
    // AMC-001: CT Date 8/10/1994, Weight Not Collected, age 34.
    assert_eq!(ct.value_as_date(0).unwrap().to_string(), "1994-08-10");
    assert!(b.column(1).is_null(0));
    assert_eq!(b.column(2).as_primitive::<Int64Type>().value(0), 34);
    let weight = b.column(1).as_primitive::<Float64Type>();
    assert!(weight.is_valid(1), "R01-001 has a weight");
}

#[test]
fn configured_null_tokens_replace_the_defaults() {
    let (_dir, db) = fresh_db();
    let options = rgdb::ingest::ClinicalImport::default()
        .with_null_tokens(rgdb::ingest::NullTokens::new(["N/A"]));
    let summary = db.import_clinical_with(clinical_csv(), &options).unwrap();
    // "Not Collected" is now a value, so the weight column becomes text.
    assert_eq!(summary.column("weight_lbs").unwrap().ty, ColumnType::Utf8);
    assert_eq!(
        summary.column("egfr_mutation_status").unwrap().non_null,
        211
    );
}

#[test]
fn reimport_replaces_the_table_as_a_new_version() {
    let (_dir, db) = clinical_db();
    let again = db.import_clinical(clinical_csv()).unwrap();
    assert!(again.replaced);
    assert_eq!((again.version, again.new_subjects), (2, 0));
    assert_eq!(db.subjects().len(), 211);
    let history = db.history().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(
        history[1]
            .statement
            .as_deref()
            .map(|s| s.starts_with("IMPORT CLINICAL FROM")),
        Some(true)
    );
    match &history[2].action {
        rgdb::storage::Action::Import {
            source: Some(s),
            tables,
            ..
        } => {
            assert_eq!(tables, &["clinical".to_string()]);
            assert_eq!(s.size, 66434);
            // As printed by `sha256sum` for the committed file.
            assert_eq!(
                s.sha256,
                "0b34e5efa655c53e899bc04e554dcc5cae744ba765022e1af188542a9a21231a"
            );
        }
        other => panic!("{other:?}"),
    }
}
