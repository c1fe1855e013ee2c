//! Parse bench: the language's example statements, text to AST.
//!
//! Target (issue 3, together with `plan.rs`): parse + plan under 1 ms per statement.

use criterion::{Criterion, criterion_group, criterion_main};
use rgdb::syntax::parse_statement;

/// The statements of `docs/language.md`'s overview.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "count",
        "SELECT count(*) FROM subjects WHERE histology = 'Adenocarcinoma' AND egfr_mutation_status = 'Mutant'",
    ),
    (
        "group",
        "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender",
    ),
    (
        "wide",
        "SELECT subject_id, age_at_histological_diagnosis AS age, rnaseq.MIB1, rnaseq.\"CD52\", count(series) AS n FROM subjects WHERE has(rnaseq) AND pack_years > 20 ORDER BY age DESC LIMIT 10",
    ),
    (
        "having",
        "SELECT histology, avg(os_days), median(rnaseq.MIB1) FROM subjects GROUP BY histology HAVING count(*) > 5",
    ),
    (
        "cohort",
        "CREATE COHORT adeno_smokers AS SELECT subject_id FROM subjects WHERE histology = 'Adenocarcinoma' AND smoking_status <> 'Nonsmoker'",
    ),
    ("show", "SHOW COLUMNS FROM rnaseq LIKE 'CD%'"),
];

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, text) in EXAMPLES {
        group.bench_function(*name, |b| b.iter(|| parse_statement(text).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
