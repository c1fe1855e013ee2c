//! The TableProvider: projection push-down, subject restriction (by API and by pushed-down
//! filters), field metadata, and the session's catalog.

use std::sync::Arc;

use arrow::array::AsArray;
use rgdb::storage::{META_LABEL, META_UNIT, StoreTable};

use crate::common::*;

#[test]
fn read_columns_returns_the_subject_and_the_named_columns() {
    let (_dir, db) = clinical_db();
    let batches = db
        .read_columns("clinical", &["Gender", "weight_lbs"])
        .unwrap();
    let schema = batches[0].schema();
    let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["subject_id", "gender", "weight_lbs"]);
    let weight = schema.field(2);
    assert_eq!(
        weight.metadata().get(META_LABEL).map(String::as_str),
        Some("Weight (lbs)")
    );
    assert_eq!(
        weight.metadata().get(META_UNIT).map(String::as_str),
        Some("lbs")
    );
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 211);
}

#[test]
fn a_scan_can_be_restricted_to_subjects() {
    let (_dir, db) = clinical_db();
    let snapshot = db.snapshot();
    let ids: Vec<u32> = ["R01-001", "AMC-049", "R01-162"]
        .iter()
        .map(|s| snapshot.subject_id(s).unwrap())
        .collect();
    let table = snapshot.table("clinical").unwrap();
    let provider = StoreTable::with_columns(snapshot, table, &["gender"])
        .unwrap()
        .restrict_to(ids);
    let ctx = db.session();
    let batches = db
        .block_on(async { ctx.read_table(Arc::new(provider))?.collect().await })
        .unwrap();
    let mut subjects: Vec<String> = batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_string::<i32>()
                .iter()
                .map(|s| s.unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["AMC-049", "R01-001", "R01-162"]);
}

#[test]
fn subject_filters_are_pushed_into_the_scan() {
    let (_dir, db) = clinical_db();
    let plan = sql(
        &db,
        "EXPLAIN SELECT gender FROM clinical WHERE subject_id IN ('R01-001', 'AMC-002')",
    );
    let text = arrow::util::pretty::pretty_format_batches(&plan)
        .unwrap()
        .to_string();
    assert!(
        text.contains("partial_filters=[clinical.subject_id = Utf8(\"R01-001\") OR"),
        "{text}"
    );
    let rows = counts(&sql(
        &db,
        "SELECT gender, count(*) FROM clinical WHERE subject_id IN ('R01-001', 'AMC-001', 'AMC-002', 'NOPE') GROUP BY gender",
    ));
    // In the file: AMC-001 Male, AMC-002 Female, R01-001 Female.
    assert_eq!(rows, [("Female".into(), 2), ("Male".into(), 1)]);
}

#[test]
fn the_session_lists_tables_and_the_subject_universe() {
    let (_dir, db) = clinical_db();
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM subjects")), 211);
    let tables = counts(&sql(
        &db,
        "SELECT table_name, count(*) FROM information_schema.tables WHERE table_schema = 'main' GROUP BY table_name",
    ));
    assert_eq!(tables, [("clinical".into(), 1), ("subjects".into(), 1)]);
}

#[test]
fn an_earlier_version_is_queryable_through_its_session() {
    let (_dir, db) = clinical_db();
    let options = rgdb::ingest::TableImport::new("clinical", "Patient ID");
    db.import_table(
        bad_input("clinical_duplicate_subject.csv"),
        &options.with_level(rgdb::storage::Level::Multi),
    )
    .unwrap();
    assert_eq!(db.version(), 2);
    let ctx = db.session_at(1).unwrap();
    let n = db
        .block_on(async {
            ctx.sql("SELECT count(*) FROM clinical")
                .await?
                .collect()
                .await
        })
        .unwrap();
    assert_eq!(scalar_i64(&n), 211);
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM clinical")), 6);
}

#[test]
fn the_scan_itself_returns_only_the_pushed_subjects() {
    use datafusion::catalog::TableProvider;
    use datafusion::prelude::{col, lit};
    let (_dir, db) = clinical_db();
    let provider = db.provider("clinical", &["gender"]).unwrap();
    let ctx = db.session();
    let filter = col("subject_id").in_list(vec![lit("R01-001"), lit("AMC-002")], false);
    let batches = db
        .block_on(async {
            let state = ctx.state();
            let plan = provider.scan(&state, None, &[filter], None).await?;
            datafusion::physical_plan::collect(plan, ctx.task_ctx()).await
        })
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
}

/// A caller's frame, registered for the session, is a source like a file: its own columns, and
/// with a subject_id the stored tables join to it. Nothing is written to the database.
#[test]
fn a_registered_frame_is_queryable_and_joins_by_subject() {
    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;

    let (_dir, db) = crate::common::demo_db();
    let version = db.version();
    let schema = Arc::new(Schema::new(vec![
        Field::new("subject_id", DataType::Utf8, false),
        Field::new("score", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["R01-013", "R01-022", "AMC-001"])),
            Arc::new(Float64Array::from(vec![Some(1.5), None, Some(4.0)])),
        ],
    )
    .unwrap();
    db.register("Scores", schema.clone(), vec![batch]).unwrap();
    assert_eq!(db.registered(), ["scores"]);
    let rows = crate::common::rows(
        &db,
        "SELECT subject_id, score, gender, os_days FROM scores WHERE score IS NOT NULL ORDER BY subject_id",
    );
    assert_eq!(
        rows,
        [
            ["AMC-001", "4.0", "Male", "881"],
            ["R01-013", "1.5", "Female", "3500"],
        ]
    );
    let rows = crate::common::rows(
        &db,
        "SELECT count(*) FROM subjects WHERE subject_id IN (SELECT subject_id FROM scores)",
    );
    assert_eq!(rows, [["3"]]);
    assert_eq!(db.version(), version, "nothing written");
    // A stored name is refused; a registered name can be replaced and forgotten.
    let err = db
        .register("clinical", schema.clone(), Vec::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0214: `clinical` already names a table; register the frame under another name"
    );
    let err = db
        .register("my scores", schema.clone(), Vec::new())
        .unwrap_err();
    assert!(
        err.to_string().contains("use letters, digits and _"),
        "{err}"
    );
    db.register("scores", schema, Vec::new()).unwrap();
    assert_eq!(
        crate::common::rows(&db, "SELECT count(*) FROM scores"),
        [["0"]]
    );
    assert!(db.unregister("SCORES"));
    let err = db.query("SELECT count(*) FROM scores").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("error E0201: unknown table or cohort `scores`"),
        "{err}"
    );
}
