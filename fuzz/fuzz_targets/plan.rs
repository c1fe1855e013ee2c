//! parse → resolve → plan against the demo database: every statement is planned or refused
//! with an error, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn demo() -> &'static (rgdb::storage::Snapshot, Vec<rgdb::storage::VersionRecord>) {
    static DEMO: OnceLock<(rgdb::storage::Snapshot, Vec<rgdb::storage::VersionRecord>)> =
        OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rgdb-fuzz-plan-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = rgdb::cli::demo::build(&dir).expect("the demo builds");
        let snapshot = db.snapshot();
        let history = db.history().unwrap();
        // The snapshot keeps the store open; the database handle may go.
        std::mem::forget(db);
        (snapshot, history)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (snapshot, history) = demo();
    let Ok(statements) = rgdb::syntax::parse_statements(text) else {
        return;
    };
    for statement in statements {
        if let Ok(bound) = rgdb::resolve::resolve(&statement, snapshot) {
            let _ = rgdb::plan::to_logical_plan(&bound, snapshot, history, 0);
        }
    }
});
