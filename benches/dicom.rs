//! DICOM indexing bench (whole process): a generated tree of 20,000 small DICOM files (CT
//! slices of 16×16, 100 series of 200 slices for 50 subjects, written with `dicom-object` in
//! the setup), indexed by the release `rgdb` binary with `import dicom`. Reports files/s and
//! peak RSS. Target (issue 7): at least 2,000 files/s.
//!
//! Run with `cargo bench --bench dicom`; the tree is generated once under
//! `$CARGO_TARGET_DIR/rgdb-bench/dicom-tree/`. Figures go to `benches/README.md`.

mod common;

use std::path::PathBuf;

use common::{dir, du, timed};

const SUBJECTS: usize = 50;
const SERIES_PER_SUBJECT: usize = 2;
const SLICES: usize = 200;

fn generate() -> (PathBuf, usize) {
    let root = dir().join("dicom-tree");
    let files = SUBJECTS * SERIES_PER_SUBJECT * SLICES;
    if root.join("done").exists() {
        return (root, files);
    }
    let _ = std::fs::remove_dir_all(&root);
    for s in 0..SUBJECTS {
        for series in 0..SERIES_PER_SUBJECT {
            let folder = root.join(format!("BENCH-{s:03}/series{series}"));
            std::fs::create_dir_all(&folder).unwrap();
            let study = format!("2.25.1{s:03}");
            let series_uid = format!("2.25.2{s:03}{series}");
            for k in 0..SLICES {
                let sop = format!("2.25.3{s:03}{series}{k:04}");
                let file = rgdb::synth::ct_slice(
                    &format!("BENCH-{s:03}"),
                    &study,
                    &series_uid,
                    &sop,
                    k + 1,
                )
                .unwrap();
                file.write_to_file(folder.join(format!("{k:04}"))).unwrap();
            }
        }
    }
    std::fs::write(root.join("done"), "").unwrap();
    (root, files)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::create_dir_all(dir()).unwrap();
    let (tree, files) = generate();
    let db = dir().join("dicom.rgdb");
    let _ = std::fs::remove_dir_all(&db);
    let (seconds, rss) = timed(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        "dicom",
        tree.to_str().unwrap(),
    ]);
    println!(
        "ingest/dicom: {files} files ({:.0} MB) in {seconds:.2} s = {:.0} files/s, peak RSS {rss:.0} MB, database {:.1} MB",
        du(&tree) as f64 / 1e6,
        files as f64 / seconds,
        du(&db) as f64 / 1e6
    );
}
