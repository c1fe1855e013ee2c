//! Shared by the importer targets: one in-memory database with the clinical table, and a
//! scratch file in memory-backed storage.

use std::sync::OnceLock;

pub fn db() -> &'static rgdb::Database {
    static DB: OnceLock<rgdb::Database> = OnceLock::new();
    DB.get_or_init(|| {
        let db = rgdb::Database::in_memory().unwrap();
        db.import_clinical(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"
        ))
        .unwrap();
        db
    })
}

/// Writes `data` to a per-process scratch file with extension `ext` and runs `statement`
/// (with `{path}` replaced). Refusals are fine; a refused import must change nothing.
pub fn import(data: &[u8], ext: &str, statement: &str) {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("rgdb-fuzz-{}.{ext}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let db = db();
    let before = db.version();
    let statement = statement.replace("{path}", &path.display().to_string());
    if db.execute(&statement).is_err() {
        assert_eq!(db.version(), before, "a refused import changed the database");
    }
}
