//! Scan bench: reading 5 columns through the TableProvider from a 10,000-subject ×
//! 20,000-column float table, against the same read from a 10,000 × 100 table; and the
//! end-to-end query of 5 expression columns with 2 clinical filters over that database.
//!
//! Targets: the 5-column read under 20 ms and within 2× of the 100-column read (issue 2); the
//! query under 50 ms (issue 3). The databases are built once under
//! `$CARGO_TARGET_DIR/rgdb-bench/` (about 1.6 GB) and reused. See `benches/README.md`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use criterion::{Criterion, criterion_group, criterion_main};
use rgdb::Database;
use rgdb::storage::{Action, ColumnType, Level, NewColumn};

const SUBJECTS: usize = 10_000;

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("rgdb-bench")
}

/// splitmix64: a deterministic stream of well-mixed u64s.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FPKM-like values: log-uniform over 0.01–40, rounded to 3 decimals.
fn column_values(column: usize) -> ArrayRef {
    let values = (0..SUBJECTS).map(|row| {
        let u = (mix((column * SUBJECTS + row) as u64) >> 11) as f64 / (1u64 << 53) as f64;
        ((u * 12.0).exp2() / 100.0 * 1000.0).round() / 1000.0
    });
    Arc::new(Float64Array::from_iter_values(values))
}

/// Opens the bench database with `columns` float columns, building it on first use.
fn wide_db(columns: usize) -> Database {
    let path = bench_dir().join(format!("scan-{SUBJECTS}x{columns}.rgdb"));
    if let Ok(db) = Database::open(&path)
        && db
            .table("wide")
            .is_ok_and(|t| t.columns as usize == columns + 1)
        && db.table("clinical").is_ok()
    {
        return db;
    }
    let _ = std::fs::remove_dir_all(&path);
    build(&path, columns)
}

fn build(path: &Path, columns: usize) -> Database {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let started = std::time::Instant::now();
    let db = Database::create(path).unwrap();
    let mut txn = db.store().begin().unwrap();
    let ids = (0..SUBJECTS)
        .map(|i| txn.register_subject(&format!("S{i:05}")))
        .collect();
    let mut writer = txn.table("wide", Level::Subject, "expression").unwrap();
    writer.subjects(ids, "subject").unwrap();
    for c in 0..columns {
        let column = NewColumn {
            name: format!("g{c}"),
            label: format!("G{c}"),
            ..Default::default()
        };
        writer
            .column(column, ColumnType::Float64, &column_values(c))
            .unwrap();
    }
    txn.stage(writer.finish().unwrap());
    txn.commit(Action::Create, None).unwrap();
    add_clinical(&db);
    eprintln!(
        "built {} ({SUBJECTS} × {columns}) in {:.1?}",
        path.display(),
        started.elapsed()
    );
    db
}

/// A two-column clinical table for the same subjects: age 30–89 and one of three histologies.
fn add_clinical(db: &Database) {
    let mut txn = db.store().begin().unwrap();
    let ids = (0..SUBJECTS)
        .map(|i| txn.register_subject(&format!("S{i:05}")))
        .collect();
    let mut writer = txn.table("clinical", Level::Subject, "clinical").unwrap();
    writer.subjects(ids, "subject").unwrap();
    let age: ArrayRef = Arc::new(Int64Array::from_iter_values(
        (0..SUBJECTS).map(|i| 30 + (mix(i as u64 ^ 0xA5) % 60) as i64),
    ));
    let kinds = ["Adenocarcinoma", "Squamous cell carcinoma", "NSCLC NOS"];
    let histology: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..SUBJECTS).map(|i| kinds[(mix(i as u64 ^ 0x5A) % 3) as usize]),
    ));
    for (name, ty, array) in [
        ("age", ColumnType::Int64, age),
        ("histology", ColumnType::Utf8, histology),
    ] {
        let column = NewColumn {
            name: name.into(),
            label: name.into(),
            ..Default::default()
        };
        writer.column(column, ty, &array).unwrap();
    }
    txn.stage(writer.finish().unwrap());
    txn.commit(Action::Create, None).unwrap();
}

const FIVE: [&str; 5] = ["g17", "g42", "g63", "g77", "g99"];

fn scan(c: &mut Criterion) {
    let narrow = wide_db(100);
    let wide = wide_db(20_000);
    let mut group = c.benchmark_group("scan");
    group.sample_size(50);
    group.bench_function("5_of_100_columns_10000_subjects", |b| {
        b.iter(|| narrow.read_columns("wide", &FIVE).unwrap())
    });
    group.bench_function("5_of_20000_columns_10000_subjects", |b| {
        b.iter(|| wide.read_columns("wide", &FIVE).unwrap())
    });
    let spread = ["g17", "g4242", "g9999", "g15000", "g19999"];
    group.bench_function("5_spread_of_20000_columns_10000_subjects", |b| {
        b.iter(|| wide.read_columns("wide", &spread).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("query");
    group.sample_size(50);
    let text = "SELECT subject_id, wide.g17, wide.g4242, wide.g9999, wide.g15000, wide.g19999 \
                FROM subjects WHERE age > 60 AND histology = 'Adenocarcinoma'";
    let rows = wide.query(text).unwrap().num_rows();
    eprintln!("query returns {rows} rows");
    group.bench_function("5_genes_2_filters_10000x20000", |b| {
        b.iter(|| wide.query(text).unwrap())
    });
    group.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
