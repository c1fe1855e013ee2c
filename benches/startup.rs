//! Whole-process bench of the `rgdb` binary on the demo cohort: the REPL from start to its
//! first prompt (in a pseudo-terminal), and `rgdb --db DEMO -c "SELECT count(*) FROM subjects"`.
//!
//! Targets (issue 4): REPL start to prompt under 100 ms; the `-c` process under 150 ms.

use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use rexpect::session::spawn_command;

fn startup(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.rgdb");
    drop(rgdb::cli::demo::build(&db).unwrap());
    let db = db.display().to_string();
    let exe = env!("CARGO_BIN_EXE_rgdb");
    let mut group = c.benchmark_group("startup");
    group.sample_size(30);
    group.bench_function("c_count_subjects_process", |b| {
        b.iter(|| {
            let out = Command::new(exe)
                .args(["--db", &db, "-c", "SELECT count(*) FROM subjects"])
                .output()
                .unwrap();
            assert!(out.status.success());
        })
    });
    group.bench_function("repl_start_to_prompt", |b| {
        b.iter(|| {
            let mut cmd = Command::new(exe);
            cmd.args(["--db", &db])
                .env("TERM", "xterm")
                .env("RGDB_HISTORY", dir.path().join("history"));
            let mut p = spawn_command(cmd, Some(10_000)).unwrap();
            p.exp_string("rgdb> ").unwrap();
            p.send_control('d').unwrap();
            p.exp_eof().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
