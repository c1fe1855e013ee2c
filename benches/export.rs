//! Export bench (whole process): 5,000 subjects × (40 clinical + 1,800 radiomic + 20,000
//! genes) exported to zstd Parquet by the release `rgdb` binary, in one statement:
//!
//! ```text
//! EXPORT (SELECT clinical.*, radiomic.*, rnaseq.* FROM subjects) TO 'wide.parquet'
//! ```
//!
//! Reports seconds, MB/s of output, MB/s of values (8 bytes per cell), peak RSS, and the
//! file's size; then the radiomic and gene columns in `LONG` form (109 million rows). Target (issue 11):
//! at least 100 MB/s of output. Run with `cargo bench --bench export`; the inputs and the
//! database are built once under `$CARGO_TARGET_DIR/rgdb-bench/`. Figures go to
//! `benches/README.md`.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use common::{dir, mix, timed};

const SUBJECTS: usize = 5_000;
const CLINICAL: usize = 40;
const RADIOMIC: usize = 1_800;
const GENES: usize = 20_000;

fn subject(i: usize) -> String {
    format!("S{i:05}")
}

fn unit(seed: u64) -> f64 {
    (mix(seed) >> 11) as f64 / (1u64 << 53) as f64
}

/// 40 clinical columns: age, gender, histology, smoking status, survival, and 34 labs.
fn clinical(path: &Path) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    write!(
        out,
        "Patient ID,age,gender,histology,smoking_status,os_days,os_event"
    )
    .unwrap();
    for k in 0..CLINICAL - 6 {
        write!(out, ",lab_{k}").unwrap();
    }
    writeln!(out).unwrap();
    let kinds = ["Adenocarcinoma", "Squamous cell carcinoma", "NSCLC NOS"];
    let smoking = ["Current", "Former", "Nonsmoker"];
    for s in 0..SUBJECTS {
        let m = mix(s as u64);
        write!(
            out,
            "{},{},{},{},{},{},{}",
            subject(s),
            30 + m % 60,
            if m & 1 == 0 { "Female" } else { "Male" },
            kinds[(m >> 8) as usize % 3],
            smoking[(m >> 16) as usize % 3],
            (m >> 24) % 3000,
            (m >> 40) & 1
        )
        .unwrap();
        for k in 0..CLINICAL - 6 {
            write!(out, ",{:.2}", unit((s * 64 + k) as u64) * 100.0).unwrap();
        }
        writeln!(out).unwrap();
    }
}

/// 1,800 radiomic features per subject, written with 17 significant digits as pandas does.
fn radiomic(path: &Path) {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    write!(out, "Patient ID").unwrap();
    for k in 0..RADIOMIC {
        write!(out, ",original_feature_{k}").unwrap();
    }
    writeln!(out).unwrap();
    for s in 0..SUBJECTS {
        write!(out, "{}", subject(s)).unwrap();
        for k in 0..RADIOMIC {
            write!(
                out,
                ",{:.17}",
                unit((s * RADIOMIC + k) as u64 ^ 0xFEED) * 1000.0
            )
            .unwrap();
        }
        writeln!(out).unwrap();
    }
}

/// FPKM-like values, genes as rows as GEO ships them.
fn rnaseq(path: &Path) {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    for s in 0..SUBJECTS {
        write!(out, "\t{}", subject(s)).unwrap();
    }
    writeln!(out).unwrap();
    for g in 0..GENES {
        write!(out, "G{g:05}").unwrap();
        for s in 0..SUBJECTS {
            let u = unit((g * SUBJECTS + s) as u64);
            write!(
                out,
                "\t{}",
                ((u * 12.0).exp2() / 100.0 * 1000.0).round() / 1000.0
            )
            .unwrap();
        }
        writeln!(out).unwrap();
    }
}

/// Builds the database once.
fn database() -> PathBuf {
    let db = dir().join("export-5000.rgdb");
    if db.join("db").exists() {
        return db;
    }
    let files = [
        ("clinical", dir().join("export_clinical_5000.csv")),
        ("radiomic", dir().join("export_radiomic_5000.csv")),
        ("rnaseq", dir().join("export_rnaseq_5000.tsv")),
    ];
    clinical(&files[0].1);
    radiomic(&files[1].1);
    rnaseq(&files[2].1);
    let db_arg = db.to_str().unwrap();
    for (table, file) in &files[..2] {
        timed(&[
            "--db",
            db_arg,
            "import",
            "table",
            table,
            file.to_str().unwrap(),
            "--subject-column",
            "Patient ID",
        ]);
    }
    timed(&[
        "--db",
        db_arg,
        "import",
        "expression",
        files[2].1.to_str().unwrap(),
        "--table",
        "rnaseq",
        "--orientation",
        "genes-by-subjects",
        "--unit",
        "FPKM",
    ]);
    db
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::create_dir_all(dir()).unwrap();
    let db = database();
    let db_arg = db.to_str().unwrap();
    let columns = 1 + CLINICAL + RADIOMIC + GENES;
    let numeric = RADIOMIC + GENES;
    for (name, select, options, what, cells) in [
        (
            "wide",
            "clinical.*, radiomic.*, rnaseq.*",
            "",
            format!("{SUBJECTS} rows × {columns} columns"),
            SUBJECTS * (columns - 1),
        ),
        (
            "long",
            "subject_id, radiomic.*, rnaseq.*",
            "LONG",
            format!(
                "{} rows × 3 columns (radiomic and genes)",
                SUBJECTS * numeric
            ),
            SUBJECTS * numeric,
        ),
    ] {
        let out = dir().join(format!("export-{name}.parquet"));
        let statement = format!(
            "EXPORT (SELECT {select} FROM subjects) TO '{}' {options} OVERWRITE",
            out.display()
        );
        let (seconds, rss) = timed(&["--db", db_arg, "-c", &statement]);
        let bytes = std::fs::metadata(&out).unwrap().len() as f64;
        let values = cells as f64 * 8.0;
        println!(
            "export/{name}: {what} in {seconds:.1} s: file {:.0} MB = {:.0} MB/s of output, {:.0} MB/s of values, peak RSS {rss:.0} MB",
            bytes / 1e6,
            bytes / 1e6 / seconds,
            values / 1e6 / seconds,
        );
    }
}
