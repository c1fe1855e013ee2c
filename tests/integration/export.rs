//! `EXPORT` in every format, read back by another reader of the format (the `parquet` crate,
//! Arrow's IPC reader, a CSV split, `serde_json`; pyarrow reads them in `python/tests/test_arrow.py`), with the
//! provenance keys; `LONG`, `PARTITION BY`, `COMPRESSION`; refused overwrites and writes that
//! fail half-way.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::Float64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rgdb::Database;

use crate::common::*;

/// Every provenance key an export carries.
const KEYS: &[&str] = &[
    "rgdb.statement",
    "rgdb.database_version",
    "rgdb.content_sha256",
    "rgdb.tables",
    "rgdb.version",
    "rgdb.time",
    "rgdb.shape",
];

const QUERY: &str = "SELECT subject_id, gender, age_at_histological_diagnosis, ct_date, \
                     rnaseq.MIB1 FROM subjects WHERE has(rnaseq) ORDER BY subject_id";

pub fn read_parquet(path: &Path) -> (RecordBatch, HashMap<String, String>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|e| (e.key.clone(), e.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (concat_batches(&schema, &batches).unwrap(), kv)
}

fn read_arrow(path: &Path) -> RecordBatch {
    let reader = arrow::ipc::reader::FileReader::try_new(File::open(path).unwrap(), None).unwrap();
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    concat_batches(&schema, &batches).unwrap()
}

/// The query's own rows, in one batch.
fn expected(db: &Database, query: &str) -> RecordBatch {
    let result = db.query(query).unwrap();
    concat_batches(&result.schema, &result.batches).unwrap()
}

fn sidecar(path: &Path) -> serde_json::Value {
    let mut name = path.as_os_str().to_owned();
    name.push(".provenance.json");
    serde_json::from_str(&std::fs::read_to_string(name).unwrap()).unwrap()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".rgdb-"))
        .collect()
}

#[test]
fn every_format_round_trips_with_values_types_and_provenance() {
    let (dir, db) = demo_db();
    let want = expected(&db, QUERY);
    assert_eq!(want.num_rows(), 130);
    let mut content_hashes = Vec::new();

    // Parquet: identical values and types, provenance in the key-value metadata, labels and
    // units in the Arrow field metadata.
    let parquet = dir.path().join("cohort.parquet");
    let statement = format!("EXPORT ({QUERY}) TO '{}'", parquet.display());
    let summary = rows(&db, &statement);
    assert_eq!(summary[0][1..4], ["parquet", "130", "1"]);
    let (got, kv) = read_parquet(&parquet);
    assert_eq!(got.num_columns(), want.num_columns());
    for (i, field) in want.schema().fields().iter().enumerate() {
        assert_eq!(got.schema().field(i).data_type(), field.data_type());
        assert_eq!(
            got.column(i).as_ref(),
            want.column(i).as_ref(),
            "{}",
            field.name()
        );
    }
    for key in KEYS {
        assert!(kv.contains_key(*key), "{key} missing from {kv:?}");
    }
    assert_eq!(kv["rgdb.statement"], statement);
    assert_eq!(kv["rgdb.database_version"], db.version().to_string());
    assert_eq!(kv["rgdb.shape"], "wide");
    assert_eq!(kv["rgdb.content_sha256"].len(), 64);
    // The tables read, each with its content hash: clinical and rnaseq.
    let tables: Vec<&str> = kv["rgdb.tables"]
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(tables, ["clinical", "rnaseq"]);
    content_hashes.push(kv["rgdb.content_sha256"].clone());
    let age = got.schema().field(2).metadata().clone();
    assert_eq!(age["rgdb.label"], "Age at Histological Diagnosis");
    let mib1 = got.schema().field(4).metadata().clone();
    assert_eq!(mib1["rgdb.unit"], "FPKM");
    // R01-007's MIB1, the real Cufflinks blow-up, crosses exactly.
    let ids = got.column(0).as_string::<i32>();
    let r01_007 = (0..got.num_rows())
        .find(|&i| ids.value(i) == "R01-007")
        .unwrap();
    assert_eq!(
        got.column(4).as_primitive::<Float64Type>().value(r01_007),
        295000030.0
    );

    // Arrow IPC: the same batch, provenance in the schema metadata.
    let arrow_path = dir.path().join("cohort.arrow");
    db.execute(&format!("EXPORT ({QUERY}) TO '{}'", arrow_path.display()))
        .unwrap();
    let got = read_arrow(&arrow_path);
    for (i, field) in want.schema().fields().iter().enumerate() {
        assert_eq!(got.schema().field(i).data_type(), field.data_type());
        assert_eq!(
            got.column(i).as_ref(),
            want.column(i).as_ref(),
            "{}",
            field.name()
        );
    }
    for key in KEYS {
        assert!(got.schema().metadata().contains_key(*key), "{key}");
    }
    content_hashes.push(got.schema().metadata()["rgdb.content_sha256"].clone());
    assert_eq!(got.schema().field(3).metadata()["rgdb.label"], "CT Date");

    // CSV and TSV: the header, the values as text, provenance and columns in the sidecar.
    for (ext, sep) in [("csv", ','), ("tsv", '\t')] {
        let path = dir.path().join(format!("cohort.{ext}"));
        db.execute(&format!("EXPORT ({QUERY}) TO '{}'", path.display()))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 131);
        let header: Vec<&str> = lines[0].split(sep).collect();
        assert_eq!(
            header,
            [
                "subject_id",
                "gender",
                "age_at_histological_diagnosis",
                "ct_date",
                "MIB1"
            ]
        );
        let r01_007: Vec<&str> = lines
            .iter()
            .find(|l| l.starts_with("R01-007"))
            .unwrap()
            .split(sep)
            .collect();
        assert_eq!(r01_007[4], "295000030.0");
        let meta = sidecar(&path);
        for key in KEYS {
            assert!(meta["metadata"][*key].is_string(), "{ext}: {key}");
        }
        content_hashes.push(
            meta["metadata"]["rgdb.content_sha256"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        assert_eq!(meta["columns"][4]["name"], "MIB1");
        assert_eq!(meta["columns"][4]["rgdb.unit"], "FPKM");
        assert_eq!(meta["columns"][2]["type"], "Int64");
    }

    // JSON lines: one object per row, typed as JSON can.
    let jsonl = dir.path().join("cohort.jsonl");
    db.execute(&format!("EXPORT ({QUERY}) TO '{}'", jsonl.display()))
        .unwrap();
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let objects: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 130);
    let row = objects
        .iter()
        .find(|o| o["subject_id"] == "R01-007")
        .unwrap();
    assert_eq!(row["MIB1"].as_f64(), Some(295000030.0));
    assert!(row["age_at_histological_diagnosis"].is_i64());
    let meta = sidecar(&jsonl);
    content_hashes.push(
        meta["metadata"]["rgdb.content_sha256"]
            .as_str()
            .unwrap()
            .to_string(),
    );

    // The same data read gives the same content hash in every format.
    content_hashes.dedup();
    assert_eq!(content_hashes.len(), 1);

    // FORMAT overrides the extension.
    let odd = dir.path().join("cohort.dat");
    assert_eq!(
        rows(
            &db,
            &format!("EXPORT ({QUERY}) TO '{}' FORMAT tsv", odd.display())
        )[0][1],
        "tsv"
    );
    assert!(
        std::fs::read_to_string(&odd)
            .unwrap()
            .starts_with("subject_id\tgender")
    );
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn the_content_hash_follows_the_data() {
    let (dir, db) = demo_db();
    let hash = |name: &str, query: &str| {
        let path = dir.path().join(name);
        db.execute(&format!("EXPORT ({query}) TO '{}'", path.display()))
            .unwrap();
        read_parquet(&path).1["rgdb.content_sha256"].clone()
    };
    let clinical = hash("a.parquet", "SELECT subject_id, gender FROM clinical");
    let again = hash("b.parquet", "SELECT gender, subject_id FROM clinical");
    assert_eq!(clinical, again, "the same table read, whatever the columns");
    // Importing the same file again makes a new generation with the same content.
    db.import_clinical(clinical_csv()).unwrap();
    assert_eq!(
        hash("c.parquet", "SELECT subject_id FROM clinical"),
        clinical
    );
    let both = hash("d.parquet", "SELECT subject_id, rnaseq.MIB1 FROM clinical");
    assert_ne!(both, clinical, "reading rnaseq too changes the hash");
}

#[test]
fn a_cohort_export_carries_the_cohort_and_its_version() {
    let (dir, db) = demo_db();
    db.execute("CREATE COHORT egfr AS SELECT subject_id FROM subjects WHERE egfr_mutation_status = 'Mutant'")
        .unwrap();
    let path = dir.path().join("egfr.arrow");
    db.execute(&format!("EXPORT egfr TO '{}'", path.display()))
        .unwrap();
    let got = read_arrow(&path);
    assert_eq!(got.num_rows(), 43);
    let meta = got.schema().metadata().clone();
    assert_eq!(meta["rgdb.cohort"], "egfr");
    assert_eq!(
        meta["rgdb.cohort_definition"],
        "SELECT subject_id FROM subjects WHERE egfr_mutation_status = 'Mutant'"
    );
    assert_eq!(meta["rgdb.cohort_version"], db.version().to_string());
    assert_eq!(
        meta["rgdb.cohort_evaluated_at"],
        (db.version() - 1).to_string()
    );
    assert!(
        meta["rgdb.tables"].starts_with("cohort:egfr "),
        "{}",
        meta["rgdb.tables"]
    );
}

#[test]
fn long_form_has_one_row_per_subject_and_variable() {
    let (dir, db) = demo_db();
    let path = dir.path().join("long.parquet");
    let summary = rows(
        &db,
        &format!(
            "EXPORT (SELECT subject_id, rnaseq.MIB1, rnaseq.CD52, age_at_histological_diagnosis AS age \
             FROM subjects WHERE has(rnaseq) ORDER BY subject_id) TO '{}' LONG",
            path.display()
        ),
    );
    assert_eq!(summary[0][2], (130 * 3).to_string());
    let (got, kv) = read_parquet(&path);
    assert_eq!(kv["rgdb.shape"], "long");
    let names: Vec<String> = got
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["subject_id", "variable", "value"]);
    assert_eq!(
        got.schema().field(2).data_type(),
        &arrow::datatypes::DataType::Float64
    );
    let subjects = got.column(0).as_string::<i32>();
    let variables = got.column(1).as_string::<i32>();
    let values = got.column(2).as_primitive::<Float64Type>();
    // Row-major: the first subject's three variables, in select order.
    assert_eq!(
        (0..3).map(|i| variables.value(i)).collect::<Vec<_>>(),
        ["MIB1", "CD52", "age"]
    );
    assert!((0..3).all(|i| subjects.value(i) == subjects.value(0)));
    let wide = rows(
        &db,
        "SELECT rnaseq.MIB1, age_at_histological_diagnosis FROM subjects WHERE subject_id = 'R01-007'",
    );
    let at = (0..got.num_rows())
        .find(|&i| subjects.value(i) == "R01-007" && variables.value(i) == "MIB1")
        .unwrap();
    assert_eq!(values.value(at), 295000030.0);
    assert_eq!(values.value(at + 2).to_string(), wide[0][1]);

    // Text values make a text value column; a LONG export without subject_id is refused.
    let text = dir.path().join("long.csv");
    db.execute(&format!(
        "EXPORT (SELECT subject_id, gender, age_at_histological_diagnosis FROM subjects) TO '{}' LONG",
        text.display()
    ))
    .unwrap();
    let body = std::fs::read_to_string(&text).unwrap();
    assert_eq!(body.lines().next(), Some("subject_id,variable,value"));
    assert_eq!(body.lines().count(), 1 + 211 * 2);
    let err = db
        .query(&format!(
            "EXPORT (SELECT gender FROM subjects) TO '{}' LONG OVERWRITE",
            text.display()
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0220: LONG writes (subject_id, variable, value) rows: select `subject_id` too"
    );
}

#[test]
fn partition_by_writes_a_hive_directory() {
    let (dir, db) = demo_db();
    let out = dir.path().join("by_gender");
    let query =
        "SELECT subject_id, gender, smoking_status, age_at_histological_diagnosis FROM subjects";
    let summary = rows(
        &db,
        &format!(
            "EXPORT ({query}) TO '{}' PARTITION BY gender, smoking_status",
            out.display()
        ),
    );
    assert_eq!(summary[0][1..3], ["parquet", "211"]);
    let mut total = 0;
    let mut folders = Vec::new();
    for gender in std::fs::read_dir(&out).unwrap().flatten() {
        let name = gender.file_name().to_string_lossy().into_owned();
        if name == "_rgdb_provenance.json" {
            continue;
        }
        for smoking in std::fs::read_dir(gender.path()).unwrap().flatten() {
            folders.push(format!("{name}/{}", smoking.file_name().to_string_lossy()));
            let (batch, kv) = read_parquet(&smoking.path().join("part-0.parquet"));
            assert_eq!(kv["rgdb.database_version"], db.version().to_string());
            let names: Vec<String> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            assert_eq!(names, ["subject_id", "age_at_histological_diagnosis"]);
            total += batch.num_rows();
        }
    }
    folders.sort();
    assert_eq!(
        folders,
        [
            "gender=Female/smoking_status=Current",
            "gender=Female/smoking_status=Former",
            "gender=Female/smoking_status=Nonsmoker",
            "gender=Male/smoking_status=Current",
            "gender=Male/smoking_status=Former",
            "gender=Male/smoking_status=Nonsmoker",
        ]
    );
    assert_eq!(total, 211);
    let female = out.join("gender=Female");
    let females: usize = std::fs::read_dir(&female)
        .unwrap()
        .flatten()
        .map(|d| read_parquet(&d.path().join("part-0.parquet")).0.num_rows())
        .sum();
    assert_eq!(females, 76);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("_rgdb_provenance.json")).unwrap())
            .unwrap();
    assert!(
        meta["metadata"]["rgdb.statement"]
            .as_str()
            .unwrap()
            .contains("PARTITION BY gender")
    );

    // The directory is replaced only with OVERWRITE.
    let again = format!(
        "EXPORT ({query}) TO '{}' PARTITION BY gender",
        out.display()
    );
    assert_eq!(db.query(&again).unwrap_err().code(), "E0304");
    db.execute(&format!("{again} OVERWRITE")).unwrap();
    let mut now: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    now.sort();
    assert_eq!(
        now,
        ["_rgdb_provenance.json", "gender=Female", "gender=Male"]
    );
    assert!(leftovers(dir.path()).is_empty());

    let err = db
        .query(&format!(
            "EXPORT ({query}) TO '{}' PARTITION BY sex",
            out.display()
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0220: PARTITION BY names an exported column, and `sex` is not one (the columns are subject_id, gender, smoking_status, age_at_histological_diagnosis)"
    );
}

#[test]
fn compression_is_chosen_and_checked() {
    let (dir, db) = demo_db();
    let query = "SELECT subject_id, rnaseq.* FROM subjects WHERE has(rnaseq)";
    let codec = |name: &str, options: &str| -> String {
        let path = dir.path().join(name);
        db.execute(&format!(
            "EXPORT ({query}) TO '{}' {options}",
            path.display()
        ))
        .unwrap();
        let (batch, _) = read_parquet(&path);
        assert_eq!(batch.num_rows(), 130);
        let footer = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        footer
            .metadata()
            .row_group(0)
            .column(1)
            .compression()
            .to_string()
    };
    // The footer names the codec; the level is not stored in Parquet, but shows in the size.
    assert!(codec("default.parquet", "").starts_with("ZSTD"));
    assert!(codec("zstd1.parquet", "COMPRESSION zstd 1").starts_with("ZSTD"));
    assert!(codec("zstd19.parquet", "COMPRESSION zstd 19").starts_with("ZSTD"));
    assert!(codec("gzip.parquet", "COMPRESSION gzip 9").starts_with("GZIP"));
    assert_eq!(codec("snappy.parquet", "COMPRESSION snappy"), "SNAPPY");
    assert_eq!(codec("lz4.parquet", "COMPRESSION lz4"), "LZ4_RAW");
    assert_eq!(codec("none.parquet", "COMPRESSION none"), "UNCOMPRESSED");
    let size = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().len();
    assert!(size("zstd19.parquet") < size("zstd1.parquet"));
    for (options, message) in [
        (
            "COMPRESSION zstd 23",
            "zstd takes a level from 1 to 22, not 23",
        ),
        ("COMPRESSION snappy 3", "snappy takes no level"),
        (
            "COMPRESSION lzma",
            "COMPRESSION `lzma` is not one of zstd, gzip, brotli, snappy, lz4, none",
        ),
    ] {
        let err = db
            .query(&format!("EXPORT ({query}) TO 'x.parquet' {options}"))
            .unwrap_err();
        assert_eq!(err.to_string(), format!("error E0220: {message}"));
    }
    let err = db
        .query(&format!("EXPORT ({query}) TO 'x.csv' COMPRESSION zstd"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0220: COMPRESSION applies to Parquet; csv files are written uncompressed"
    );
}

#[test]
fn a_write_that_fails_half_way_leaves_nothing() {
    let (dir, db) = demo_db();
    // An integer `%` by zero fails while the rows stream, after the file was opened.
    let ages = rows(
        &db,
        "SELECT min(age_at_histological_diagnosis) FROM subjects",
    );
    let failing = format!(
        "SELECT subject_id, 1 % (age_at_histological_diagnosis - {}) AS x FROM subjects",
        ages[0][0]
    );
    for target in [
        "half.parquet",
        "half.csv",
        "half.arrow",
        "half.jsonl",
        "half_dir",
    ] {
        let path = dir.path().join(target);
        let partition = if target == "half_dir" {
            " PARTITION BY x"
        } else {
            ""
        };
        let err = db
            .query(&format!(
                "EXPORT ({failing}) TO '{}'{partition}",
                path.display()
            ))
            .unwrap_err();
        assert_eq!(err.code(), "E0306", "{target}: {err}");
        assert!(!path.exists(), "{target}");
    }
    // An existing file survives a failed OVERWRITE untouched.
    let keep = dir.path().join("keep.csv");
    std::fs::write(&keep, "precious\n").unwrap();
    let err = db
        .query(&format!(
            "EXPORT ({failing}) TO '{}' OVERWRITE",
            keep.display()
        ))
        .unwrap_err();
    assert_eq!(err.code(), "E0306");
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    // A directory that cannot be written: a path under a file.
    let under_file = keep.join("x.parquet");
    let err = db
        .query(&format!(
            "EXPORT (SELECT subject_id FROM subjects) TO '{}'",
            under_file.display()
        ))
        .unwrap_err();
    assert_eq!(err.code(), "E0305");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
}

/// A 300-column table for 150 of the cohort's subjects (with holes), so that selections take
/// the wide path (stored columns read a column at a time, `exec::wide`).
pub fn wide_db() -> (tempfile::TempDir, Database) {
    let (dir, db) = clinical_db();
    let subjects = rows(
        &db,
        "SELECT subject_id FROM subjects ORDER BY subject_id LIMIT 150",
    );
    let mut text = String::from("Patient ID,note,count");
    for g in 0..300 {
        text += &format!(",g{g}");
    }
    text.push('\n');
    for (i, s) in subjects.iter().enumerate() {
        text += &format!("{},note {},{}", s[0], i % 7, i * 3);
        for g in 0..300 {
            if (i + g) % 37 == 0 {
                text.push(',');
            } else {
                text += &format!(",{}", ((i * 31 + g * 17) % 1000) as f64 / 8.0);
            }
        }
        text.push('\n');
    }
    let path = dir.path().join("wide.csv");
    std::fs::write(&path, text).unwrap();
    db.execute(&format!(
        "IMPORT TABLE wide FROM '{}' SUBJECT COLUMN 'Patient ID'",
        path.display()
    ))
    .unwrap();
    (dir, db)
}

/// The same columns, fields (names, types, nullability, labels) and values; the file-level
/// metadata (the statement) may differ.
fn assert_same(a: &RecordBatch, b: &RecordBatch, what: &str) {
    assert_eq!(a.schema().fields(), b.schema().fields(), "{what}");
    assert_eq!(a.columns(), b.columns(), "{what}");
}

#[test]
fn wide_selections_are_read_column_by_column_with_the_same_result() {
    let (dir, db) = wide_db();
    let select = "subject_id, gender, wide.note, wide.g* FROM subjects \
                  WHERE age_at_histological_diagnosis > 60 ORDER BY subject_id";
    let wide = format!("SELECT {select}");
    // DISTINCT changes nothing here (one row per subject), but keeps DataFusion's plan.
    let planned = format!("SELECT DISTINCT {select}");
    let snapshot = db.snapshot();
    let bound = |q: &str| match rgdb::resolve::resolve(
        &rgdb::syntax::parse_statement(q).unwrap(),
        &snapshot,
    )
    .unwrap()
    {
        rgdb::resolve::Bound::Query(q) => q,
        _ => unreachable!(),
    };
    assert!(rgdb::plan::Split::of(&bound(&wide), &[]).is_some());
    assert!(rgdb::plan::Split::of(&bound(&planned), &[]).is_none());

    let export = |query: &str, name: &str, options: &str| {
        let path = dir.path().join(name);
        let summary = rows(
            &db,
            &format!("EXPORT ({query}) TO '{}' {options}", path.display()),
        );
        (path, summary)
    };
    // Parquet: the same schema (with labels), the same values.
    let (a, summary) = export(&wide, "wide.parquet", "");
    let (b, _) = export(&planned, "planned.parquet", "");
    let (wide_batch, wide_kv) = read_parquet(&a);
    let (planned_batch, _) = read_parquet(&b);
    assert_eq!(wide_batch.num_columns(), 3 + 300);
    assert!(
        wide_batch.num_rows() > 100 && wide_batch.num_rows() < 211,
        "{}",
        wide_batch.num_rows()
    );
    assert_eq!(summary[0][2], wide_batch.num_rows().to_string());
    assert_same(&wide_batch, &planned_batch, "parquet");
    assert_eq!(wide_batch.schema().field(3).metadata()["rgdb.label"], "g0");
    assert!(wide_kv["rgdb.tables"].contains("wide "));
    // Subjects without a row in `wide` have NULLs, as a left join gives.
    let g0 = wide_batch.column(3);
    assert!(g0.null_count() > 0);
    // Arrow, CSV and JSON lines: identical files.
    for ext in ["arrow", "csv", "jsonl"] {
        let (a, _) = export(&wide, &format!("w.{ext}"), "");
        let (b, _) = export(&planned, &format!("planned.{ext}"), "");
        if ext == "arrow" {
            assert_same(&read_arrow(&a), &read_arrow(&b), ext);
        } else {
            assert_eq!(
                std::fs::read(&a).unwrap(),
                std::fs::read(&b).unwrap(),
                "{ext}"
            );
        }
    }
    // LONG: the same rows (in variable order rather than subject order).
    let long_query = |q: &str| q.replace("gender, wide.note, ", "");
    let (a, _) = export(&long_query(&wide), "wide_long.csv", "LONG");
    let (b, _) = export(&long_query(&planned), "planned_long.csv", "LONG");
    let sorted = |p: &Path| {
        let mut lines: Vec<String> = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        lines.sort();
        lines
    };
    let long = sorted(&a);
    assert_eq!(long.len(), 1 + wide_batch.num_rows() * 300);
    assert_eq!(long, sorted(&b));
    // PARTITION BY a narrow column: the same folders with the same rows.
    let (a, _) = export(&wide, "wide_parts", "PARTITION BY gender");
    let (b, _) = export(&planned, "planned_parts", "PARTITION BY gender");
    for folder in ["gender=Female", "gender=Male"] {
        let (x, _) = read_parquet(&a.join(folder).join("part-0.parquet"));
        let (y, _) = read_parquet(&b.join(folder).join("part-0.parquet"));
        assert_eq!(x.num_columns(), 2 + 300);
        assert_same(&x, &y, folder);
    }
    assert!(leftovers(dir.path()).is_empty());
}

/// A `SELECT` of many stored columns takes the same wide path as an export: the same rows as
/// the planned query, through `query` and through `query_stream` in batches.
#[test]
fn wide_selects_return_the_rows_of_the_planned_query() {
    let (_dir, db) = wide_db();
    let select = "subject_id, gender, wide.note, wide.g* FROM subjects \
                  WHERE age_at_histological_diagnosis > 60 ORDER BY subject_id";
    let wide = db.query(&format!("SELECT {select}")).unwrap();
    let planned = db.query(&format!("SELECT DISTINCT {select}")).unwrap();
    let (a, b) = (
        concat_batches(&wide.schema, &wide.batches).unwrap(),
        concat_batches(&planned.schema, &planned.batches).unwrap(),
    );
    assert_eq!(a.num_columns(), 303);
    assert_eq!(a.columns(), b.columns());
    let names = |s: &arrow::datatypes::Schema| -> Vec<String> {
        s.fields().iter().map(|f| f.name().clone()).collect()
    };
    assert_eq!(names(&a.schema()), names(&b.schema()));
    let streamed: Vec<RecordBatch> = db
        .query_stream(&format!("SELECT {select} LIMIT 50"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let streamed = concat_batches(&streamed[0].schema(), &streamed).unwrap();
    assert_eq!(streamed.num_rows(), 50);
    assert_eq!(streamed.columns(), a.slice(0, 50).columns());
}

/// What is at `path`, without following a link: `link`, `file`, `dir`, `fifo` or `other`.
fn kind_at(path: &Path) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path).map(|m| m.file_type()) {
        Ok(t) if t.is_symlink() => "link",
        Ok(t) if t.is_file() => "file",
        Ok(t) if t.is_dir() => "dir",
        Ok(t) if t.is_fifo() => "fifo",
        Ok(_) => "other",
        Err(_) => "nothing",
    }
}

#[test]
fn overwrite_replaces_only_regular_files_and_rgdb_exports() {
    let (dir, db) = demo_db();
    let query = "SELECT subject_id, gender FROM subjects";
    let export =
        |to: &Path, how: &str| db.query(&format!("EXPORT ({query}) TO '{}' {how}", to.display()));
    let before = db.version();

    // A named pipe stays a named pipe, with or without OVERWRITE (on a FIFO, opening it to
    // write would block; renaming over it would replace it).
    let fifo = dir.path().join("pipe.parquet");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert_eq!(export(&fifo, "").unwrap_err().code(), "E0304");
    let err = export(&fifo, "OVERWRITE").unwrap_err();
    assert_eq!(err.code(), "E0316");
    assert_eq!(
        err.to_string(),
        format!(
            "error E0316: refusing to overwrite {}: it is a named pipe (FIFO); OVERWRITE replaces only a regular file or the directory of a partitioned export",
            fifo.display()
        )
    );
    assert_eq!(kind_at(&fifo), "fifo");

    // A link to a character device: the device is checked, and the link is left alone.
    let null = dir.path().join("to-null.csv");
    std::os::unix::fs::symlink("/dev/null", &null).unwrap();
    let err = export(&null, "FORMAT CSV OVERWRITE").unwrap_err();
    assert_eq!(err.code(), "E0316");
    assert!(
        err.to_string().contains(&format!(
            "refusing to overwrite {} (a link to /dev/null): it is a character device",
            null.display()
        )),
        "{err}"
    );
    assert_eq!(kind_at(&null), "link");
    assert_eq!(kind_at(Path::new("/dev/null")), "other");

    // A directory that is not an export of rgdb's keeps its files.
    let folder = dir.path().join("my-analysis");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("notes.txt"), "keep me").unwrap();
    let err = export(&folder, "FORMAT parquet OVERWRITE").unwrap_err();
    assert_eq!(err.code(), "E0316");
    assert!(err.to_string().contains("it is a directory that is not a partitioned export of rgdb's (it has no _rgdb_provenance.json)"), "{err}");
    assert_eq!(
        std::fs::read_to_string(folder.join("notes.txt")).unwrap(),
        "keep me"
    );
    let err = export(&folder, "PARTITION BY gender OVERWRITE").unwrap_err();
    assert_eq!(err.code(), "E0316");

    // A link to a regular file: the file it names is replaced, and the link stays a link.
    let real = dir.path().join("real.parquet");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.parquet");
    std::os::unix::fs::symlink("real.parquet", &link).unwrap();
    assert_eq!(export(&link, "").unwrap_err().code(), "E0304");
    export(&link, "OVERWRITE").unwrap();
    assert_eq!(kind_at(&link), "link");
    assert_eq!(read_parquet(&real).0.num_rows(), 211);
    // A dangling link is written through too.
    let dangling = dir.path().join("dangling.parquet");
    std::os::unix::fs::symlink("made-by-export.parquet", &dangling).unwrap();
    export(&dangling, "").unwrap();
    assert_eq!(kind_at(&dangling), "link");
    assert_eq!(
        read_parquet(&dir.path().join("made-by-export.parquet"))
            .0
            .num_rows(),
        211
    );
    // A loop of links is an error, not a hang.
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let err = export(&a, "OVERWRITE").unwrap_err();
    assert_eq!(err.code(), "E0305");
    assert!(
        err.to_string()
            .contains("more than 40 symbolic links to follow (a loop?)"),
        "{err}"
    );

    // A CSV's provenance sidecar is checked the same way.
    let csv = dir.path().join("cohort.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("cohort.csv.provenance.json"))
        .status()
        .unwrap();
    assert!(made.success());
    let err = export(&csv, "FORMAT CSV OVERWRITE").unwrap_err();
    assert_eq!(err.code(), "E0316");
    assert_eq!(kind_at(&csv), "nothing");

    // PLOT follows the same rules.
    let svg = dir.path().join("km.svg");
    let made = std::process::Command::new("mkfifo")
        .arg(&svg)
        .status()
        .unwrap();
    assert!(made.success());
    let err = db
        .query(&format!(
            "PLOT SURVIVAL OF subjects BY gender TO '{}' OVERWRITE",
            svg.display()
        ))
        .unwrap_err();
    assert_eq!(err.code(), "E0316");
    assert_eq!(kind_at(&svg), "fifo");

    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    assert_eq!(db.version(), before);
}
