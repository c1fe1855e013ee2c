//! The column store, run against every backend: versions, snapshots, wide tables read in
//! O(k), the format-version check, orphan sweeping and the lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::Float64Type;
use rgdb::Database;
use rgdb::storage::*;

use crate::common::*;

/// A backend wrapper that counts reads of each keyspace.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn KvStore>,
    data_gets: AtomicUsize,
    meta_gets: AtomicUsize,
    meta_scanned: AtomicUsize,
    /// The most operations one atomic batch held.
    largest_batch: AtomicUsize,
}

impl Counting {
    fn new(inner: Arc<dyn KvStore>) -> Self {
        Counting {
            inner,
            data_gets: 0.into(),
            meta_gets: 0.into(),
            meta_scanned: 0.into(),
            largest_batch: 0.into(),
        }
    }
    fn reset(&self) {
        self.data_gets.store(0, Ordering::SeqCst);
        self.meta_gets.store(0, Ordering::SeqCst);
        self.meta_scanned.store(0, Ordering::SeqCst);
    }
}

impl KvStore for Counting {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        match space {
            Space::Data => self.data_gets.fetch_add(1, Ordering::SeqCst),
            Space::Meta => self.meta_gets.fetch_add(1, Ordering::SeqCst),
        };
        self.inner.get(space, key)
    }
    fn put(&self, space: Space, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.inner.put(space, key, value)
    }
    fn apply_batch(
        &self,
        space: Space,
        ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(), StorageError> {
        self.largest_batch.fetch_max(ops.len(), Ordering::SeqCst);
        self.inner.apply_batch(space, ops)
    }
    fn scan_prefix(
        &self,
        space: Space,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let rows = self.inner.scan_prefix(space, prefix)?;
        self.meta_scanned.fetch_add(rows.len(), Ordering::SeqCst);
        Ok(rows)
    }
    fn last_in_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>, StorageError> {
        self.inner.last_in_range(space, lower, upper)
    }
    fn remove_range(
        &self,
        space: Space,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<usize, StorageError> {
        self.inner.remove_range(space, lower, upper)
    }
    fn flush(&self) -> Result<(), StorageError> {
        self.inner.flush()
    }
    fn size_on_disk(&self) -> u64 {
        self.inner.size_on_disk()
    }
}

/// Both backends, so every test below runs against each.
fn backends() -> Vec<(&'static str, tempfile::TempDir, Arc<dyn KvStore>)> {
    let dir = tempfile::tempdir().unwrap();
    let sled: Arc<dyn KvStore> = Arc::new(SledKv::open(&dir.path().join("db")).unwrap());
    let redb_dir = tempfile::tempdir().unwrap();
    let redb: Arc<dyn KvStore> =
        Arc::new(RedbKv::create(&redb_dir.path().join("db"), ChunkPlacement::Segments).unwrap());
    let tree_dir = tempfile::tempdir().unwrap();
    let tree: Arc<dyn KvStore> =
        Arc::new(RedbKv::create(&tree_dir.path().join("db"), ChunkPlacement::Tree).unwrap());
    vec![
        (
            "memory",
            tempfile::tempdir().unwrap(),
            Arc::new(MemoryKv::default()),
        ),
        ("sled", dir, sled),
        ("redb", redb_dir, redb),
        ("redb-tree", tree_dir, tree),
    ]
}

fn value(i: usize, j: usize) -> f64 {
    (i * 31 + j * 7) as f64 / 8.0
}

/// Writes a `rows` × `cols` float table named `name`, registering subjects S0…
fn write_wide(store: &Store, name: &str, rows: usize, cols: usize) -> VersionRecord {
    let mut txn = store.begin().unwrap();
    let ids = (0..rows)
        .map(|i| txn.register_subject(&format!("S{i}")))
        .collect();
    let mut writer = txn.table(name, Level::Subject, "test").unwrap();
    writer.subjects(ids, "id").unwrap();
    for j in 0..cols {
        let array: ArrayRef = Arc::new(Float64Array::from_iter_values(
            (0..rows).map(|i| value(i, j)),
        ));
        let column = NewColumn {
            name: format!("g{j}"),
            label: format!("G{j}"),
            ..Default::default()
        };
        writer.column(column, ColumnType::Float64, &array).unwrap();
    }
    txn.stage(writer.finish().unwrap());
    txn.commit(Action::Create, None).unwrap()
}

#[test]
fn reading_k_of_n_columns_touches_k_columns() {
    for (backend, _dir, kv) in backends() {
        let counting = Arc::new(Counting::new(kv));
        let store = Store::create(counting.clone(), StoreConfig::default(), backend).unwrap();
        write_wide(&store, "wide", 100, 2_000);
        counting.reset();
        let snapshot = store.snapshot();
        let table = snapshot.table("wide").unwrap();
        let provider = StoreTable::with_columns(snapshot, table, &["g5", "G1999", "g42"]).unwrap();
        let db = Database::in_memory().unwrap();
        let batches = db
            .block_on(async {
                let ctx = datafusion::prelude::SessionContext::new();
                ctx.read_table(Arc::new(provider))?.collect().await
            })
            .unwrap();
        assert_eq!(batches[0].num_columns(), 4, "{backend}");
        // 4 column chunks (subject + 3), 4 column records (+ the 3 name lookups), and no
        // scan over the 2,000-column catalog.
        assert_eq!(counting.data_gets.load(Ordering::SeqCst), 4, "{backend}");
        assert!(counting.meta_gets.load(Ordering::SeqCst) <= 8, "{backend}");
        assert_eq!(counting.meta_scanned.load(Ordering::SeqCst), 0, "{backend}");
        let g1999 = batches[0].column(2).as_primitive::<Float64Type>();
        assert_eq!(g1999.value(7), value(7, 1999), "{backend}");
    }
}

#[test]
fn snapshots_keep_reading_their_version_after_a_replace() {
    for (backend, _dir, kv) in backends() {
        let store = Store::create(kv, StoreConfig::default(), backend).unwrap();
        write_wide(&store, "t", 10, 2);
        let old = store.snapshot();
        write_wide(&store, "t", 20, 3);
        assert_eq!(store.version(), 2);
        let old_table = old.table("t").unwrap();
        assert_eq!((old_table.rows, old_table.columns), (10, 3), "{backend}");
        let new = store.snapshot().table("t").unwrap();
        assert_eq!((new.rows, new.columns), (20, 4), "{backend}");
        let column = old.column_by_name(&old_table, "g1").unwrap();
        let chunk = old.read_chunk(&old_table, &column, 0).unwrap();
        assert_eq!(chunk.len(), 10, "{backend}");
        // An earlier version can be opened by number.
        let at1 = store.snapshot_at(1).unwrap();
        assert_eq!(at1.table("t").unwrap().rows, 10);
        assert_eq!(at1.subjects().len(), 10, "{backend}");
        assert_eq!(store.snapshot().subjects().len(), 20, "{backend}");
        assert_eq!(
            store.snapshot_at(9).unwrap_err(),
            StorageError::UnknownVersion {
                version: 9,
                latest: 2
            }
        );
    }
}

#[test]
fn chunks_of_a_dropped_transaction_are_removed() {
    for (backend, _dir, kv) in backends() {
        let store = Store::create(kv.clone(), StoreConfig::default(), backend).unwrap();
        {
            let mut txn = store.begin().unwrap();
            let id = txn.register_subject("S0");
            let mut writer = txn.table("t", Level::Subject, "test").unwrap();
            writer.subjects(vec![id], "id").unwrap();
            assert_eq!(kv.scan_prefix(Space::Data, &[]).unwrap().len(), 1);
            // dropped without commit
        }
        assert_eq!(
            kv.scan_prefix(Space::Data, &[]).unwrap().len(),
            0,
            "{backend}"
        );
        assert_eq!(store.version(), 0);
        assert!(store.snapshot().subjects().is_empty());
    }
}

#[test]
fn opening_sweeps_chunks_no_version_references() {
    for (backend, _dir, kv) in backends() {
        let store = Store::create(kv.clone(), StoreConfig::default(), backend).unwrap();
        write_wide(&store, "t", 5, 1);
        // A chunk under the next data id, as a killed import leaves behind.
        kv.put(
            Space::Data,
            &key::chunk(store.snapshot().record().next_data_id, 0, 0),
            b"x",
        )
        .unwrap();
        drop(store);
        let before = kv.scan_prefix(Space::Data, &[]).unwrap().len();
        let store = Store::open(kv.clone(), StoreConfig::default(), backend).unwrap();
        assert_eq!(
            kv.scan_prefix(Space::Data, &[]).unwrap().len(),
            before - 1,
            "{backend}"
        );
        assert!(store.check().unwrap().is_empty());
    }
}

/// Column records are written under the table's fresh data id before the commit: a table
/// dropped uncommitted removes them, and opening sweeps those a killed import left.
#[test]
fn column_records_no_version_references_are_removed() {
    for (backend, _dir, kv) in backends() {
        let store = Store::create(kv.clone(), StoreConfig::default(), backend).unwrap();
        write_wide(&store, "t", 5, 3);
        let before = kv.scan_prefix(Space::Meta, &[]).unwrap();
        drop(stage_one_column(&store, kv.as_ref()));
        assert_eq!(
            kv.scan_prefix(Space::Meta, &[]).unwrap(),
            before,
            "{backend}"
        );
        // A kill: the transaction never ends.
        std::mem::forget(stage_one_column(&store, kv.as_ref()));
        drop(store);
        let store = Store::open(kv.clone(), StoreConfig::default(), backend).unwrap();
        assert_eq!(
            kv.scan_prefix(Space::Meta, &[]).unwrap(),
            before,
            "{backend}"
        );
        assert!(store.check().unwrap().is_empty());
    }
}

/// Stages a one-column table without committing it; its column records are written.
fn stage_one_column<'s>(store: &'s Store, kv: &dyn KvStore) -> WriteTxn<'s> {
    let next = store.snapshot().record().next_data_id;
    let mut txn = store.begin().unwrap();
    let mut writer = txn.table("u", Level::Subject, "table").unwrap();
    writer.subjects(vec![0, 1], "id").unwrap();
    let values: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.0]));
    let column = NewColumn {
        name: "v".into(),
        label: "V".into(),
        ..NewColumn::default()
    };
    writer.column(column, ColumnType::Float64, &values).unwrap();
    txn.stage(writer.finish().unwrap());
    assert!(
        kv.get(Space::Meta, &key::column(next, 1))
            .unwrap()
            .is_some()
    );
    txn
}

/// The commit batch holds the table entries, subjects and version record, whatever the
/// width of the table: 20,000 columns once made a batch of 40,000 operations (and 100,000
/// columns a gigabyte of sled's copy-on-write nodes).
#[test]
fn a_wide_import_commits_in_batches_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(Counting::new(Arc::new(
        SledKv::open(&dir.path().join("db")).unwrap(),
    )));
    let db = Database::with_backend(kv.clone(), rgdb::Config::default()).unwrap();
    let columns = 20_000;
    let mut csv = String::from("Patient ID");
    csv.extend((0..columns).map(|i| format!(",c{i}")));
    for s in 0..3 {
        csv += &format!("\nS-{s}");
        csv.extend((0..columns).map(|i| format!(",{}", s * columns + i)));
    }
    let path = dir.path().join("wide.csv");
    std::fs::write(&path, csv + "\n").unwrap();
    kv.largest_batch.store(0, Ordering::SeqCst);
    db.import_table(&path, &rgdb::ingest::TableImport::new("wide", "Patient ID"))
        .unwrap();
    let largest = kv.largest_batch.load(Ordering::SeqCst);
    assert!(largest <= 1_100, "a batch of {largest} operations");
    assert_eq!(db.table("wide").unwrap().columns, columns as u32 + 1);
    assert_eq!(
        rows(&db, "SELECT c0, c19999 FROM wide ORDER BY subject_id"),
        [["0", "19999"], ["20000", "39999"], ["40000", "59999"]]
    );
    assert!(db.check().unwrap().is_empty());
}

#[test]
fn an_unknown_format_version_is_refused() {
    for (backend, _dir, kv) in backends() {
        Store::create(kv.clone(), StoreConfig::default(), backend).unwrap();
        kv.apply_batch(
            Space::Meta,
            vec![(key::FORMAT.to_vec(), Some(7u32.to_be_bytes().to_vec()))],
        )
        .unwrap();
        let err = Store::open(kv, StoreConfig::default(), backend).unwrap_err();
        assert_eq!(
            err,
            StorageError::UnknownFormat {
                found: 7,
                supported: FORMAT_VERSION
            }
        );
        assert_eq!(
            err.to_string(),
            "unsupported storage format version 7 (this rgdb reads versions 1 to 3); upgrade rgdb to open this database"
        );
    }
}

#[test]
fn a_flipped_byte_is_reported_by_table_and_column() {
    for (backend, _dir, kv) in backends() {
        let store = Store::create(kv.clone(), StoreConfig::default(), backend).unwrap();
        write_wide(&store, "t", 50, 2);
        let snapshot = store.snapshot();
        let table = snapshot.table("t").unwrap();
        let k = key::chunk(table.data_id, 2, 0);
        let mut bytes = kv.get(Space::Data, &k).unwrap().unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        kv.put(Space::Data, &k, &bytes).unwrap();
        kv.flush().unwrap();
        let problems = store.check().unwrap();
        assert_eq!(problems.len(), 1, "{backend}");
        assert!(
            problems[0]
                .to_string()
                .starts_with("corrupt data in table `t`, column `g1`, chunk 0: checksum mismatch"),
            "{}",
            problems[0]
        );
    }
}

#[test]
fn a_database_directory_round_trips_and_refuses_misuse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.rgdb");
    {
        let db = Database::create(&path).unwrap();
        db.import_clinical(clinical_csv()).unwrap();
        let err = Database::create(&path).unwrap_err();
        assert_eq!(err.code(), "E0504");
    }
    let db = Database::open(&path).unwrap();
    assert_eq!((db.version(), db.subjects().len()), (1, 211));
    drop(db);
    let err = Database::open(dir.path().join("nothing")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "storage error E0503: no rgdb database at {}",
            dir.path().join("nothing").display()
        )
    );
    assert!(
        !dir.path().join("nothing").exists(),
        "open must not create anything"
    );
}

#[test]
fn a_second_open_gets_the_lock_error() {
    let (dir, db) = clinical_db();
    let path = dir.path().join("test.rgdb");
    let err = Database::open(&path).unwrap_err();
    assert_eq!(err.code(), "E0501");
    let text = err.to_string();
    let expected = format!(
        "storage error E0501: the database {} is open for writing by another process (pid {}, `",
        path.display(),
        std::process::id()
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(
        text.ends_with("one process writes at a time. Read beside it with a read-only open (`rgdb --readonly`, `Database::open_read_only`, `rgdb.open(path, read_only=True)`), or close the other session and try again"),
        "{text}"
    );
    // Reading beside the writer is allowed, and sees what it commits.
    let reader = Database::open_read_only(&path).unwrap();
    assert_eq!(reader.version(), db.version());
    db.execute("CREATE COHORT women AS SELECT subject_id FROM subjects WHERE gender = 'Female'")
        .unwrap();
    assert_eq!(reader.version(), db.version());
    assert_eq!(rows(&reader, "SELECT count(*) FROM women"), [["76"]]);
    drop(db);
    assert!(Database::open(&path).is_ok());
}

/// The codec byte of every stored chunk, counted.
fn codecs(db: &Database) -> std::collections::BTreeMap<u8, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for (_, bytes) in db.store().kv().scan_prefix(Space::Data, &[]).unwrap() {
        *seen.entry(bytes[0]).or_default() += 1;
    }
    seen
}

/// The format recorded in a database directory.
fn stored_format(db: &Database) -> u32 {
    let bytes = db
        .store()
        .kv()
        .get(Space::Meta, key::FORMAT)
        .unwrap()
        .unwrap();
    u32::from_be_bytes(bytes.try_into().unwrap())
}

#[test]
fn the_committed_fixtures_of_every_format_still_open() {
    let dir = tempfile::tempdir().unwrap();
    // Format 1: the clinical table, written before codec 2 existed, by an rgdb on sled.
    let copy = dir.path().join("v1.rgdb");
    copy_dir(&root().join("tests/fixtures/format-v1.rgdb"), &copy);
    let err = Database::open(&copy).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "storage error E0516: the database {0} was made by an earlier rgdb (sled storage). Convert it once with `rgdb upgrade {0}` (or open it with --upgrade); the conversion is atomic and keeps every version",
            copy.display()
        )
    );
    let report = Database::upgrade(&copy).unwrap().unwrap();
    assert_eq!((report.from, report.to), ("sled", "redb"));
    assert!(
        report.chunks > 0 && report.catalog_entries > 0,
        "{report:?}"
    );
    assert!(Database::upgrade(&copy).unwrap().is_none());
    let left: Vec<String> = std::fs::read_dir(&copy)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(left, ["chunks", "readers", "rgdb.redb", "writer"]);
    let db = Database::open(&copy).unwrap();
    assert_eq!((db.version(), db.store().format()), (1, 1));
    assert!(db.check().unwrap().is_empty());
    let gender = counts(&sql(
        &db,
        "SELECT gender, count(*) FROM clinical GROUP BY gender",
    ));
    assert_eq!(gender, [("Female".into(), 76), ("Male".into(), 135)]);
    // An import into it keeps format 1 and codec 1, so the rgdb that made it still reads it.
    db.execute(&format!(
        "IMPORT EXPRESSION FROM '{}' AS rnaseq",
        root()
            .join("data/nsclc_radiogenomics/rnaseq_fpkm_subset_130x140.tsv")
            .display()
    ))
    .unwrap();
    assert_eq!(stored_format(&db), 1);
    assert_eq!(codecs(&db).keys().copied().collect::<Vec<_>>(), [1]);
    drop(db);

    // Format 2: the clinical table and the RNA-seq subset, floats in codec 2, converted on
    // open as `--upgrade` asks.
    let copy = dir.path().join("v2.rgdb");
    copy_dir(&root().join("tests/fixtures/format-v2.rgdb"), &copy);
    let db = Database::open_with(&copy, rgdb::Config::default().with_upgrade(true)).unwrap();
    assert_eq!((db.version(), db.store().format()), (2, 2));
    assert!(db.check().unwrap().is_empty());
    let seen = codecs(&db);
    assert!(seen[&2] >= 140, "{seen:?}");
    assert_eq!(
        rows(
            &db,
            "SELECT rnaseq.MIB1 FROM subjects WHERE subject_id = 'R01-007'"
        ),
        [["295000030.0"]]
    );
    assert_eq!(
        rows(&db, "SELECT count(*), count(weight_lbs) FROM clinical"),
        [["211", "152"]]
    );
}

/// A conversion killed at any step leaves the old database, which the next attempt converts;
/// every chunk comes across byte for byte.
#[test]
fn an_interrupted_upgrade_starts_over_and_copies_every_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("v2.rgdb");
    copy_dir(&root().join("tests/fixtures/format-v2.rgdb"), &copy);
    let before: Vec<(Vec<u8>, Vec<u8>)> = {
        let sled = SledKv::open(&copy).unwrap();
        let mut all = sled.scan_prefix(Space::Meta, &[]).unwrap();
        all.extend(sled.scan_prefix(Space::Data, &[]).unwrap());
        all
    };
    // What a conversion killed before its commit point leaves: a half-built work folder and
    // segment files moved in.
    std::fs::create_dir_all(copy.join("upgrade.tmp/chunks")).unwrap();
    std::fs::write(copy.join("upgrade.tmp/rgdb.redb"), b"half written").unwrap();
    std::fs::create_dir_all(copy.join("chunks")).unwrap();
    std::fs::write(copy.join("chunks/00000001.seg"), b"stale").unwrap();
    assert_eq!(Database::open(&copy).unwrap_err().code(), "E0516");
    Database::upgrade(&copy).unwrap().unwrap();
    let db = Database::open_read_only(&copy).unwrap();
    let kv = db.store().kv();
    let mut after = kv.scan_prefix(Space::Meta, &[]).unwrap();
    after.extend(kv.scan_prefix(Space::Data, &[]).unwrap());
    assert_eq!(after.len(), before.len());
    assert!(after == before, "the converted entries differ");
    assert!(db.check().unwrap().is_empty());
    // `rgdb upgrade` on a current database has nothing to do.
    drop(db);
    let (code, out, _) = run_cli(&["upgrade", copy.to_str().unwrap()]);
    assert_eq!(
        (code, out),
        (
            0,
            format!("{} is already current; nothing to do\n", copy.display())
        )
    );
}

#[test]
fn a_new_database_is_format_3_and_stores_floats_in_codecs_2_and_3() {
    let (_dir, db) = fresh_db();
    assert_eq!((db.store().format(), stored_format(&db)), (3, 3));
    db.import_clinical(clinical_csv()).unwrap();
    let seen = codecs(&db);
    // clinical's float columns (weight, pack years, …) are codec 2, the rest codec 1.
    assert!(seen.get(&2).is_some_and(|&n| n > 0), "{seen:?}");
    assert!(seen.get(&1).is_some_and(|&n| n > 0), "{seen:?}");
    assert_eq!(seen.get(&3), None, "{seen:?}");
    // PyRadiomics' 17-digit floats are no short decimals: codec 3, and they read back exact
    // (the radiomics tests compare them with the file).
    db.execute(&format!(
        "IMPORT RADIOMICS FROM '{}'",
        root()
            .join("data/nsclc_radiogenomics/pyradiomics_features_60.csv")
            .display()
    ))
    .unwrap();
    let seen = codecs(&db);
    assert!(seen.get(&3).is_some_and(|&n| n > 1_000), "{seen:?}");
    assert!(db.check().unwrap().is_empty());
}

#[test]
fn a_table_cannot_take_a_cohorts_name() {
    let (_dir, db) = demo_db();
    db.execute("CREATE COHORT cases AS SELECT subject_id FROM subjects WHERE os_event")
        .unwrap();
    let options = rgdb::ingest::TableImport::new("cases", "Patient ID");
    let err = db.import_table(clinical_csv(), &options).unwrap_err();
    assert_eq!(err.code(), "E0513");
    assert_eq!(
        err.to_string(),
        "storage error E0513: `cases` already names a cohort; choose another name"
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM cases"), [["63"]]);
}

#[test]
fn a_statement_on_a_wide_table_reads_only_the_columns_it_names() {
    let counting = Arc::new(Counting::new(Arc::new(MemoryKv::default())));
    let db = Database::with_backend(counting.clone(), rgdb::Config::default()).unwrap();
    write_wide(db.store(), "wide", 100, 2_000);
    counting.reset();
    let result = db
        .query("SELECT subject_id, wide.g5, wide.\"G1999\", g42 FROM subjects WHERE g5 > 1 ORDER BY subject_id")
        .unwrap();
    assert_eq!(result.schema.fields().len(), 4);
    // subject_id + three columns, one chunk each: four data reads, whatever the width.
    assert_eq!(counting.data_gets.load(Ordering::SeqCst), 4);
    // The catalog reads do not scale with the 2,000 columns either.
    assert!(
        counting.meta_scanned.load(Ordering::SeqCst) < 20,
        "{:?}",
        counting.meta_scanned
    );
    assert!(
        counting.meta_gets.load(Ordering::SeqCst) < 40,
        "{:?}",
        counting.meta_gets
    );
    let first = &result.batches[0];
    assert_eq!(
        first.column(1).as_primitive::<Float64Type>().value(0),
        value(0, 5)
    );
}

#[test]
fn query_stream_yields_batches_of_a_large_result() {
    let (_dir, db) = demo_db();
    let batches: Vec<_> = db
        .query_stream("SELECT subject_id, series.subject_id AS s FROM series")
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1722);
}

#[test]
fn a_cohort_name_is_checked_again_inside_the_transaction() {
    let (_dir, db) = demo_db();
    db.execute("CREATE COHORT c AS SELECT subject_id FROM subjects")
        .unwrap();
    // A writer that resolved before `c` existed must not silently replace it.
    let mut txn = db.store().begin().unwrap();
    let err = txn
        .cohort("c", "SELECT subject_id FROM subjects", 3, vec![0, 1])
        .unwrap_err();
    assert_eq!(
        err,
        StorageError::NameTaken {
            name: "c".into(),
            taken_by: "cohort".into()
        }
    );
}
