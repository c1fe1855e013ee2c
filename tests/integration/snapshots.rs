//! insta snapshots: the logical plans of the language's example statements, and every
//! rendered error message (with its caret), over the demo cohort.

use rgdb::plan::to_logical_plan;
use rgdb::resolve::resolve;
use rgdb::syntax::parse_statement;

use crate::common::*;

const PLANNED: &[&str] = &[
    "SELECT count(*) FROM subjects WHERE histology = 'Adenocarcinoma' AND egfr_mutation_status = 'Mutant'",
    "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender",
    "SELECT subject_id, age_at_histological_diagnosis AS age, rnaseq.MIB1, rnaseq.\"CD52\" FROM subjects WHERE has(rnaseq) AND pack_years > 20 ORDER BY age DESC LIMIT 10",
    "SELECT histology, avg(os_days), median(rnaseq.MIB1) FROM subjects GROUP BY histology HAVING count(*) > 5",
    "SELECT subject_id, count(series) AS n, max(series.idc_version) FROM subjects WHERE has(series) ORDER BY n DESC",
    "SELECT subject_id FROM subjects ORDER BY ct_date - pet_date LIMIT 3",
    "SHOW COLUMNS FROM rnaseq LIKE 'CD%'",
];

#[test]
fn logical_plans() {
    let (_dir, db) = demo_db();
    let snapshot = db.snapshot();
    let history = db.history().unwrap();
    let mut text = String::new();
    for statement in PLANNED {
        let parsed = parse_statement(statement).unwrap();
        let bound = resolve(&parsed, &snapshot).unwrap();
        let plan = to_logical_plan(&bound, &snapshot, &history, 0)
            .unwrap()
            .unwrap();
        text += &format!("{statement}\n{}\n\n", plan.display_indent());
    }
    insta::assert_snapshot!(text);
}

#[test]
fn cohort_queries_restrict_every_scan_to_the_cohort() {
    let (_dir, db) = demo_db();
    db.execute("CREATE COHORT f AS SELECT subject_id FROM subjects WHERE gender = 'Female'")
        .unwrap();
    let plan = db.explain("SELECT avg(rnaseq.MIB1) FROM f").unwrap();
    assert!(
        plan.contains("TableScan: f projection=[subject_id]"),
        "{plan}"
    );
    assert!(
        plan.contains("TableScan: rnaseq projection=[subject_id, MIB1]"),
        "{plan}"
    );
}

/// Statements users get wrong, each with the error it gets.
const REFUSED: &[&str] = &[
    "SELECT FROM subjects",
    "SELECT count(*) FROM",
    "SELECT count(*) FROM subjects WHERE gender = 'Male",
    "SELECT rnaseq.\"HLA-A FROM subjects",
    "SELECT count(*) FROM subjects gender",
    "FROBNICATE",
    "SELECT count(*) FROM clinicl",
    "SELECT egfr_mutation FROM subjects",
    "SELECT rnaseq.mib FROM subjects",
    "SELECT recurrence FROM subjects",
    "SELECT series.collection_id FROM subjects",
    "SELECT medain(os_days) FROM subjects",
    "SELECT abs(1, 2) FROM subjects",
    "SELECT count(*) FROM subjects\nWHERE gender > 5",
    "SELECT count(*) FROM subjects WHERE pack_years",
    "SELECT gender, age_at_histological_diagnosis, count(*) FROM subjects GROUP BY gender",
    "SELECT gender FROM subjects WHERE count(*) > 5 GROUP BY gender",
    "SELECT avg(count(*)) FROM subjects",
    "SELECT max(series.idc_version + age_at_histological_diagnosis) FROM subjects",
    "SELECT rnaseq.zzz* FROM subjects",
    "SELECT subject_id FROM subjects LIMIT -1",
    "SELECT subject_id FROM subjects ORDER BY 4",
    "SELECT count(*) FROM subjects WHERE ct_date > DATE '1994-13-45'",
    "SELECT percentile(os_days, 1.5) FROM subjects",
    "CREATE COHORT clinical AS SELECT subject_id FROM subjects",
    "CREATE COHORT x AS SELECT gender FROM subjects",
    "DROP COHORT nope",
    "EXPORT (SELECT subject_id FROM subjects) TO 'cohort.xlsx'",
    "SELECT count(*) FROM subjects WHERE age_at_histological_diagnosis > $1",
    "SELECT 1 % 0 FROM subjects LIMIT 1",
];

#[test]
fn rendered_errors() {
    let (_dir, db) = demo_db();
    let version = db.version();
    let mut text = String::new();
    for statement in REFUSED {
        let err = match db.query(statement) {
            Err(e) => e,
            Ok(r) => panic!("{statement} succeeded: {}", r.to_table()),
        };
        text += &format!("{statement}\n{}\n\n", err.render(statement));
    }
    assert_eq!(
        db.version(),
        version,
        "a refused statement changed the database"
    );
    insta::assert_snapshot!(text);
}
