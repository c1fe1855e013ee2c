//! Ingest bench (whole process): importing a generated 20,000-gene × 10,000-subject FPKM
//! matrix (about 1.6 GB of text) in both orientations with the release `rgdb` binary, then
//! querying 5 genes for a filtered cohort, and comparing the database's size with the same
//! values written as zstd Parquet.
//!
//! Targets (issue 5): import at least 100 MB/s with peak memory under 2 GB; the query under
//! 50 ms. Run with `cargo bench --bench ingest`; files are generated once under
//! `$CARGO_TARGET_DIR/rgdb-bench/`. Figures go to `benches/README.md`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

mod common;

use common::{dir, du, mix, timed};

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

const GENES: usize = 20_000;
const SUBJECTS: usize = 10_000;

/// FPKM-like: log-uniform over 0.01–40, three decimals.
fn fpkm(gene: usize, subject: usize) -> f64 {
    let u = (mix((gene * SUBJECTS + subject) as u64) >> 11) as f64 / (1u64 << 53) as f64;
    ((u * 12.0).exp2() / 100.0 * 1000.0).round() / 1000.0
}

fn subject(i: usize) -> String {
    format!("S{i:05}")
}

fn gene(g: usize) -> String {
    format!("G{g:05}")
}

/// Writes the matrix once in each orientation; returns (genes-by-subjects, subjects-by-genes).
fn matrices() -> (PathBuf, PathBuf) {
    let by_gene = dir().join("fpkm_genes_by_subjects.tsv");
    let by_subject = dir().join("fpkm_subjects_by_genes.tsv");
    if !by_gene.exists() {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&by_gene).unwrap());
        for s in 0..SUBJECTS {
            write!(out, "\t{}", subject(s)).unwrap();
        }
        writeln!(out).unwrap();
        for g in 0..GENES {
            write!(out, "{}", gene(g)).unwrap();
            for s in 0..SUBJECTS {
                write!(out, "\t{}", fpkm(g, s)).unwrap();
            }
            writeln!(out).unwrap();
        }
    }
    if !by_subject.exists() {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&by_subject).unwrap());
        write!(out, "PID").unwrap();
        for g in 0..GENES {
            write!(out, "\t{}", gene(g)).unwrap();
        }
        writeln!(out).unwrap();
        for s in 0..SUBJECTS {
            write!(out, "{}", subject(s)).unwrap();
            for g in 0..GENES {
                write!(out, "\t{}", fpkm(g, s)).unwrap();
            }
            writeln!(out).unwrap();
        }
    }
    (by_gene, by_subject)
}

/// A clinical-like table for the same subjects: age and histology.
fn clinical() -> PathBuf {
    let path = dir().join("clinical_10000.csv");
    let kinds = ["Adenocarcinoma", "Squamous cell carcinoma", "NSCLC NOS"];
    let mut text = String::from("Patient ID,age,histology\n");
    for s in 0..SUBJECTS {
        let age = 30 + mix(s as u64 ^ 0xA5) % 60;
        text += &format!(
            "{},{age},{}\n",
            subject(s),
            kinds[(mix(s as u64 ^ 0x5A) % 3) as usize]
        );
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// The same values as zstd(3) Parquet, 1,024 subjects per row group.
fn parquet_size() -> u64 {
    let path = dir().join("fpkm.parquet");
    let mut fields = vec![Field::new("subject_id", DataType::Utf8, false)];
    fields.extend((0..GENES).map(|g| Field::new(gene(g), DataType::Float64, true)));
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap()))
        .set_max_row_group_row_count(Some(1_024))
        .build();
    let mut writer =
        ArrowWriter::try_new(File::create(&path).unwrap(), schema.clone(), Some(props)).unwrap();
    for start in (0..SUBJECTS).step_by(1_024) {
        let end = (start + 1_024).min(SUBJECTS);
        let mut columns: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(
            (start..end).map(subject),
        ))];
        columns.extend((0..GENES).map(|g| {
            Arc::new(Float64Array::from_iter_values(
                (start..end).map(|s| fpkm(g, s)),
            )) as ArrayRef
        }));
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
    std::fs::metadata(&path).unwrap().len()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::create_dir_all(dir()).unwrap();
    let started = Instant::now();
    let (by_gene, by_subject) = matrices();
    eprintln!("matrices ready in {:.1?}", started.elapsed());
    let clinical = clinical();
    for (name, file, orientation) in [
        ("genes-by-subjects", &by_gene, "genes-by-subjects"),
        ("subjects-by-genes", &by_subject, "subjects-by-genes"),
    ] {
        let db = dir().join(format!("ingest-{name}.rgdb"));
        let _ = std::fs::remove_dir_all(&db);
        let db_arg = db.to_str().unwrap();
        timed(&[
            "--db",
            db_arg,
            "import",
            "table",
            "clinical",
            clinical.to_str().unwrap(),
            "--subject-column",
            "Patient ID",
        ]);
        let (seconds, rss) = timed(&[
            "--db",
            db_arg,
            "import",
            "expression",
            file.to_str().unwrap(),
            "--table",
            "rnaseq",
            "--orientation",
            orientation,
            "--unit",
            "FPKM",
        ]);
        let mb = std::fs::metadata(file).unwrap().len() as f64 / 1e6;
        println!(
            "ingest/{name}: {mb:.0} MB in {seconds:.1} s = {:.0} MB/s, peak RSS {rss:.0} MB, database {:.0} MB",
            mb / seconds,
            du(&db) as f64 / 1e6
        );
        let database = rgdb::Database::open(&db).unwrap();
        let q = "SELECT subject_id, rnaseq.G00017, rnaseq.G04242, rnaseq.G09999, rnaseq.G15000, \
                 rnaseq.G19999 FROM subjects WHERE age > 60 AND histology = 'Adenocarcinoma'";
        let rows = database.query(q).unwrap().num_rows();
        let mut times: Vec<f64> = (0..21)
            .map(|_| {
                let t = Instant::now();
                database.query(q).unwrap();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "query/{name}: 5 genes, 2 filters, {rows} rows: median {:.2} ms",
            times[10]
        );
    }
    println!(
        "parquet (zstd 3, 1,024-row groups): {:.0} MB",
        parquet_size() as f64 / 1e6
    );
}
