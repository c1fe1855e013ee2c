//! Plan bench: the language's example statements, AST to DataFusion `LogicalPlan` (resolve
//! against the demo cohort's catalog, then plan), and the whole text → plan path.
//!
//! Target (issue 3): parse + plan under 1 ms per statement.

use criterion::{Criterion, criterion_group, criterion_main};
use rgdb::plan::to_logical_plan;
use rgdb::resolve::resolve;
use rgdb::syntax::parse_statement;

#[path = "parse.rs"]
#[allow(dead_code)]
mod parse_bench;

fn plan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = rgdb::demo::build(&dir.path().join("demo.rgdb")).unwrap();
    let snapshot = db.snapshot();
    let history = db.history().unwrap();
    let mut group = c.benchmark_group("plan");
    for (name, text) in parse_bench::EXAMPLES {
        let statement = parse_statement(text).unwrap();
        group.bench_function(format!("resolve_plan_{name}"), |b| {
            b.iter(|| {
                let bound = resolve(&statement, &snapshot).unwrap();
                to_logical_plan(&bound, &snapshot, &history, 0).unwrap()
            })
        });
        group.bench_function(format!("parse_resolve_plan_{name}"), |b| {
            b.iter(|| {
                let statement = parse_statement(text).unwrap();
                let bound = resolve(&statement, &snapshot).unwrap();
                to_logical_plan(&bound, &snapshot, &history, 0).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, plan);
criterion_main!(benches);
