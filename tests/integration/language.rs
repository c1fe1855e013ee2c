//! The language end to end through `Database::query`: parameters, exports read back by the
//! `parquet` crate, cohorts that persist, and the statements of the issue.

use arrow::array::{AsArray, RecordBatch};
use datafusion::common::ScalarValue;
use rgdb::Database;

use crate::common::*;

#[test]
fn positional_and_named_parameters() {
    let (_dir, db) = demo_db();
    let text =
        "SELECT count(*) FROM subjects WHERE gender = $1 AND age_at_histological_diagnosis > $2";
    let result = db
        .query_with(
            text,
            Some(vec![ScalarValue::from("Female"), ScalarValue::from(60i64)].into()),
        )
        .unwrap();
    assert_eq!(scalar_i64(&result.batches), 57);
    let named = "SELECT count(*) FROM subjects WHERE histology = $histology";
    let result = db
        .query_with(
            named,
            Some(vec![("histology", ScalarValue::from("Squamous cell carcinoma"))].into()),
        )
        .unwrap();
    assert_eq!(scalar_i64(&result.batches), 35);
    let err = db.query(text).unwrap_err();
    assert_eq!(err.code(), "E0303");
    assert_eq!(
        err.to_string(),
        "error E0303: no value was given for parameter $1; pass it with the query's parameters"
    );
}

fn read_parquet(
    path: &std::path::Path,
) -> (Vec<RecordBatch>, std::collections::HashMap<String, String>) {
    let (batch, kv) = crate::export::read_parquet(path);
    (vec![batch], kv)
}

#[test]
fn export_reads_back_with_the_parquet_crate() {
    let (dir, db) = demo_db();
    db.execute("CREATE COHORT adeno_smokers AS SELECT subject_id FROM subjects WHERE histology = 'Adenocarcinoma' AND smoking_status <> 'Nonsmoker'").unwrap();
    let path = dir.path().join("adeno_smokers.parquet");
    let statement = format!(
        "EXPORT (SELECT clinical.*, rnaseq.* FROM adeno_smokers) TO '{}'",
        path.display()
    );
    let summary = db.query(&statement).unwrap();
    assert_eq!(rows(&db, "SELECT count(*) FROM adeno_smokers"), [["125"]]);
    let written = summary.batches[0]
        .column(2)
        .as_primitive::<arrow::datatypes::UInt64Type>()
        .value(0);
    assert_eq!(written, 125);

    let (batches, kv) = read_parquet(&path);
    let schema = batches[0].schema();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 125);
    // subject_id, 44 clinical columns, the 140 genes of rnaseq (its `recurrence` column is
    // sample metadata, which a pattern leaves out).
    assert_eq!(schema.fields().len(), 1 + 44 + 140);
    assert_eq!(schema.field(0).name(), "subject_id");
    assert!(schema.field_with_name("recurrence").is_ok());
    assert!(schema.field_with_name("rnaseq.recurrence").is_err());
    let weight = schema.field_with_name("weight_lbs").unwrap();
    assert_eq!(
        weight.metadata().get("rgdb.label").map(String::as_str),
        Some("Weight (lbs)")
    );
    assert_eq!(
        weight.metadata().get("rgdb.unit").map(String::as_str),
        Some("lbs")
    );
    assert_eq!(kv.get("rgdb.statement"), Some(&statement));
    assert_eq!(
        kv.get("rgdb.database_version").map(String::as_str),
        Some(db.version().to_string().as_str()),
        "the version after the cohort"
    );
    assert_eq!(
        kv.get("rgdb.version").map(String::as_str),
        Some(env!("CARGO_PKG_VERSION"))
    );

    // The same rows as the query, value for value (R01-007's MIB1 blow-up included).
    let mib1 = schema.index_of("MIB1").unwrap();
    let ids = schema.index_of("subject_id").unwrap();
    let mut found = None;
    for b in &batches {
        let subjects = b.column(ids).as_string::<i32>();
        for i in 0..b.num_rows() {
            if subjects.value(i) == "R01-007" {
                found = Some(
                    b.column(mib1)
                        .as_primitive::<arrow::datatypes::Float64Type>()
                        .value(i),
                );
            }
        }
    }
    let in_cohort = rows(
        &db,
        "SELECT count(*) FROM adeno_smokers WHERE subject_id = 'R01-007'",
    );
    if in_cohort == [["1"]] {
        assert_eq!(found, Some(295000030.0));
    } else {
        assert_eq!(found, None);
    }

    // An existing file is not overwritten without OVERWRITE, and nothing half-written is left.
    let err = db.query(&statement).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "error E0304: {} already exists; add OVERWRITE to replace it",
            path.display()
        )
    );
    db.query(&format!("{statement} OVERWRITE")).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("rgdb-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn exporting_a_cohort_records_its_definition() {
    let (dir, db) = demo_db();
    db.execute("CREATE COHORT females AS SELECT subject_id FROM subjects WHERE gender = 'Female'")
        .unwrap();
    let path = dir.path().join("females.parquet");
    db.execute(&format!("EXPORT females TO '{}'", path.display()))
        .unwrap();
    let (batches, kv) = read_parquet(&path);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 76);
    assert_eq!(kv.get("rgdb.cohort").map(String::as_str), Some("females"));
    assert_eq!(
        kv.get("rgdb.cohort_definition").map(String::as_str),
        Some("SELECT subject_id FROM subjects WHERE gender = 'Female'")
    );
    let csv = dir.path().join("females.csv");
    db.execute(&format!(
        "EXPORT (SELECT subject_id, gender FROM females ORDER BY subject_id) TO '{}'",
        csv.display()
    ))
    .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 77);
    assert_eq!(text.lines().next(), Some("subject_id,gender"));
    assert_eq!(text.lines().nth(1), Some("AMC-002,Female"));
}

#[test]
fn an_export_into_a_missing_directory_fails_cleanly() {
    let (dir, db) = demo_db();
    let path = dir.path().join("no/such/dir/x.parquet");
    let err = db
        .query(&format!(
            "EXPORT (SELECT subject_id FROM subjects) TO '{}'",
            path.display()
        ))
        .unwrap_err();
    assert_eq!(err.code(), "E0305");
    assert!(
        err.to_string()
            .starts_with(&format!("error E0305: cannot write {}:", path.display())),
        "{err}"
    );
    assert!(!path.exists());
}

#[test]
fn cohorts_persist_with_their_definition_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.rgdb");
    {
        let db = rgdb::demo::build(&path).unwrap();
        db.execute("CREATE COHORT with_rna AS SELECT subject_id FROM subjects WHERE has(rnaseq)")
            .unwrap();
        // Version 0 is the empty database, then one import per demo table, then the cohort.
        assert_eq!(db.version(), rgdb::demo::TABLES.len() as u64 + 1);
    }
    let cohort = (rgdb::demo::TABLES.len() + 1).to_string();
    let evaluated = rgdb::demo::TABLES.len().to_string();
    let db = Database::open(&path).unwrap();
    assert_eq!(
        rows(&db, "SHOW COHORTS"),
        [[
            "with_rna",
            "130",
            &cohort,
            &evaluated,
            "SELECT subject_id FROM subjects WHERE has(rnaseq)"
        ]]
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM with_rna WHERE gender = 'Male'").len(),
        1
    );
    let history = rows(&db, "SHOW HISTORY");
    let last = history.last().unwrap();
    assert_eq!(last[2], "create cohort with_rna");
    assert_eq!(
        last[3],
        "CREATE COHORT with_rna AS SELECT subject_id FROM subjects WHERE has(rnaseq)"
    );
    // The cohort's members are fixed at creation, as its version says.
    assert!(db.check().unwrap().is_empty());
}

#[test]
fn scripts_run_in_order_and_comments_are_ignored() {
    let (_dir, db) = demo_db();
    let results = db
        .run_script(
            "-- a comment\nCREATE COHORT f AS SELECT subject_id FROM subjects WHERE gender = 'Female';\n\
             /* block */ SELECT count(*) FROM f; ;\nSELECT count(*) FROM f WHERE os_event",
        )
        .unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(scalar_i64(&results[1].1.batches), 76);
}

#[test]
fn keywords_are_case_insensitive_and_quoted_names_exact() {
    let (_dir, db) = demo_db();
    assert_eq!(
        rows(&db, "select COUNT(*) from SUBJECTS where GENDER = 'Male'"),
        [["135"]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT clinical.\"Pack Years\" FROM subjects WHERE subject_id = 'R01-005'"
        ),
        [["20"]]
    );
    let err = db
        .query("SELECT clinical.\"pack years\" FROM subjects")
        .unwrap_err();
    assert_eq!(err.code(), "E0202");
}

#[test]
fn column_patterns_expand_from_the_catalog() {
    let (_dir, db) = demo_db();
    let result = db
        .query("SELECT clinical.tumor_location_choice_* FROM subjects LIMIT 1")
        .unwrap();
    assert_eq!(
        result.column_names(),
        [
            "tumor_location_choice_rul",
            "tumor_location_choice_rml",
            "tumor_location_choice_rll",
            "tumor_location_choice_lul",
            "tumor_location_choice_lll",
            "tumor_location_choice_l_lingula",
            "tumor_location_choice_unknown"
        ]
    );
    let result = db
        .query("SELECT clinical.* EXCEPT (weight_lbs, ethnicity) FROM subjects LIMIT 1")
        .unwrap();
    assert_eq!(result.schema.fields().len(), 1 + 44 - 2);
    assert!(!result.column_names().contains(&"weight_lbs".to_string()));
    let star = db.query("SELECT * FROM subjects LIMIT 1").unwrap();
    // subject_id + clinical (44) + rnaseq's 140 genes (not its metadata column); series has
    // several rows per subject.
    assert_eq!(star.schema.fields().len(), 1 + 44 + 140);
    let from_table = db.query("SELECT * FROM series LIMIT 1").unwrap();
    // subject_id and the 26 columns of the series table (DICOM header fields and the
    // manifest's), whichever source filled them.
    assert_eq!(from_table.schema.fields().len(), 27);
}

#[test]
fn explain_shows_logical_and_physical_plans() {
    let (_dir, db) = demo_db();
    let text = db
        .explain("SELECT gender, count(*) FROM subjects WHERE has(rnaseq) GROUP BY gender")
        .unwrap();
    assert!(text.contains("logical_plan"), "{text}");
    assert!(text.contains("physical_plan"), "{text}");
    assert!(
        text.contains("TableScan: rnaseq projection=[subject_id]"),
        "{text}"
    );
}
