//! PyRadiomics import bench (whole process): a generated batch output of 10,000 rows × the
//! real file's 1,764 features and 37 diagnostics (about 1,800 columns), imported with the
//! release `rgdb` binary. Reports MB/s and peak RSS.
//!
//! The file copies the header and the diagnostics cells of the real
//! `data/nsclc_radiogenomics/pyradiomics_features_60.csv`, so every row has the same settings;
//! feature values are drawn around the real row's values, written with 17 significant digits
//! as pandas writes them. Run with `cargo bench --bench radiomics`; figures go to
//! `benches/README.md`.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use common::{dir, du, mix, timed};

const ROWS: usize = 10_000;

fn generate() -> PathBuf {
    let path = dir().join(format!("pyradiomics_{ROWS}.csv"));
    if path.exists() {
        return path;
    }
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/nsclc_radiogenomics/pyradiomics_features_60.csv");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&real)
        .unwrap();
    let mut records = reader.records().map(Result::unwrap);
    let header = records.next().unwrap();
    let template = records.next().unwrap();
    let mut out = csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        File::create(&path).unwrap(),
    ));
    out.write_record(&header).unwrap();
    for r in 0..ROWS {
        let mut row: Vec<String> = Vec::with_capacity(header.len());
        for (i, (label, cell)) in header.iter().zip(template.iter()).enumerate() {
            let value = if i == 0 {
                r.to_string()
            } else if label == "Image" || label == "Mask" {
                format!("/data/nifti/{}/BENCH-{r:05}.nii", label.to_lowercase())
            } else if label.starts_with("diagnostics_") {
                cell.to_string()
            } else {
                let base: f64 = cell.parse().unwrap_or(1.0);
                let u = (mix((r * 4096 + i) as u64) >> 11) as f64 / (1u64 << 53) as f64;
                format!("{:.17}", base * (0.5 + u))
            };
            row.push(value);
        }
        out.write_record(&row).unwrap();
    }
    out.into_inner().unwrap().flush().unwrap();
    path
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::create_dir_all(dir()).unwrap();
    let file = generate();
    let bytes = std::fs::metadata(&file).unwrap().len();
    let db = dir().join("radiomics.rgdb");
    let _ = std::fs::remove_dir_all(&db);
    let (seconds, rss) = timed(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        "radiomics",
        file.to_str().unwrap(),
    ]);
    let mb = bytes as f64 / 1e6;
    println!(
        "ingest/radiomics: {ROWS} rows × 1,804 columns, {mb:.0} MB in {seconds:.1} s = {:.0} MB/s, peak RSS {rss:.0} MB, database {:.0} MB",
        mb / seconds,
        du(&db) as f64 / 1e6
    );
}
