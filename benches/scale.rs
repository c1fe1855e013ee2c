//! The scale bench (issue 11): rgdb's targets at three scales of cohort, built with
//! `rgdb synth` and the release binary's importers, and how cost grows with subjects and with
//! the genes a query selects.
//!
//! - **S**: the real demo cohort (211 subjects; `rgdb demo`).
//! - **M**: 10,000 subjects × 20,000 genes × 1,800 radiomic features (`rgdb synth`, every
//!   subject with every modality, no AIM).
//! - **L**: 100,000 subjects of clinical and radiomic (1,800 features) data.
//!
//! Run with `cargo bench --bench scale` (about 15 minutes the first time, most of it
//! generating and importing M and L; the inputs and databases are kept under
//! `$CARGO_TARGET_DIR/rgdb-bench/` and reused). `RGDB_SCALES=S,M` limits the scales.
//! Query times are the median of repeated in-process runs through `Database::query` (the
//! parse, resolve, plan, optimise and execute a user pays), after a warm-up run; imports,
//! the correlation map and exports are whole `rgdb` processes under `/usr/bin/time -v`.
//! The figures are printed as a Markdown table and written to `rgdb-bench/scale.md`; the
//! growth plots are written to `docs/performance/*.svg`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{dir, du, timed};
use plotters::prelude::*;
use rgdb::Database;

/// Median and minimum of repeated runs.
#[derive(Debug, Clone, Copy)]
struct Timing {
    median: Duration,
    min: Duration,
    runs: usize,
}

impl Timing {
    fn ms(&self) -> f64 {
        self.median.as_secs_f64() * 1e3
    }
}

/// Runs `f` once to warm up, then until 2 s or 30 runs have passed (at least 3).
fn time(mut f: impl FnMut()) -> Timing {
    f();
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 3 || (samples.len() < 30 && started.elapsed() < Duration::from_secs(2)) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    samples.sort();
    Timing {
        median: samples[samples.len() / 2],
        min: samples[0],
        runs: samples.len(),
    }
}

fn rgdb(args: &[&str]) -> (f64, f64) {
    timed(args)
}

/// `rgdb synth` into `rgdb-bench/synth-NAME/` unless done before.
fn synth(name: &str, args: &[&str]) -> PathBuf {
    let out = dir().join(format!("synth-{name}"));
    if !out.join("import.rgdb").exists() {
        let (s, _) = rgdb(&[&["synth", "--out", out.to_str().unwrap()], args].concat());
        println!("synth {name}: {s:.1} s");
    }
    out
}

/// What an import cost.
struct Import {
    what: String,
    bytes: u64,
    seconds: f64,
    rss_mb: f64,
}

/// Builds `rgdb-bench/scale-NAME.rgdb` from a synth directory unless done before.
fn build(name: &str, files: &Path, imports: &[&[&str]]) -> (PathBuf, Vec<Import>) {
    let db = dir().join(format!("scale-{name}.rgdb"));
    let mut figures = Vec::new();
    if db.join("built").exists() {
        return (db, figures);
    }
    let _ = std::fs::remove_dir_all(&db);
    for args in imports {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{files}", files.to_str().unwrap()))
            .collect();
        let file = Path::new(&args[1]);
        let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let mut full = vec!["--db", db.to_str().unwrap(), "import"];
        full.extend(args.iter().map(String::as_str));
        let (seconds, rss_mb) = rgdb(&full);
        println!(
            "import {name} {}: {:.0} MB in {seconds:.1} s = {:.0} MB/s, peak RSS {rss_mb:.0} MB",
            args[0],
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / seconds
        );
        figures.push(Import {
            what: args[0].clone(),
            bytes,
            seconds,
            rss_mb,
        });
    }
    std::fs::write(db.join("built"), "").unwrap();
    (db, figures)
}

const CLINICAL: &[&str] = &["clinical", "{files}/clinical.csv"];
const RNASEQ: &[&str] = &[
    "expression",
    "{files}/rnaseq_fpkm.txt",
    "--table",
    "rnaseq",
    "--orientation",
    "genes-by-subjects",
    "--unit",
    "FPKM",
];
const RADIOMICS: &[&str] = &["radiomics", "{files}/radiomics.csv"];

const COUNT_3: &str = "SELECT count(*) FROM subjects WHERE age_at_histological_diagnosis > 60 \
     AND gender = 'Male' AND smoking_status = 'Former'";
/// 5 genes and 3 clinical columns for a filtered cohort. The demo's RNA-seq subset has none of
/// the synthetic cohort's named genes, so S asks for five of its own.
fn genes_5(scale: &str) -> String {
    let genes = if scale == "S" {
        ["MIB1", "SMC1B", "AURKC", "CLIC2", "OSBPL1A"]
    } else {
        ["EGFR", "KRAS", "MKI67", "TP53", "STK11"]
    };
    format!(
        "SELECT subject_id, age_at_histological_diagnosis, gender, histology, {} FROM subjects \
         WHERE histology = 'Adenocarcinoma' AND age_at_histological_diagnosis > 65",
        genes.map(|g| format!("rnaseq.{g}")).join(", ")
    )
}
const GROUP_4: &str = "SELECT histology, smoking_status, count(*), \
     avg(age_at_histological_diagnosis), min(os_days), max(pack_years) FROM subjects \
     GROUP BY histology, smoking_status";

fn query(db: &Database, text: &str) -> Timing {
    time(|| {
        db.query(text)
            .unwrap_or_else(|e| panic!("{}", e.render(text)));
    })
}

/// One line of the targets table.
struct Row {
    what: String,
    scale: &'static str,
    figure: String,
    target: String,
    met: bool,
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::create_dir_all(dir()).unwrap();
    let scales = std::env::var("RGDB_SCALES").unwrap_or_else(|_| "S,M,L".into());
    let wanted = |s: &str| scales.split(',').any(|x| x.trim() == s);
    let mut rows: Vec<Row> = Vec::new();
    let mut push = |what: &str, scale, figure: String, target: &str, met: bool| {
        println!(
            "{scale} {what}: {figure} (target {target}{})",
            if met { "" } else { ", MISSED" }
        );
        rows.push(Row {
            what: what.into(),
            scale,
            figure,
            target: target.into(),
            met,
        })
    };
    // (scale, subjects, count ms, group ms, genes ms)
    let mut by_subjects: Vec<BySubjects> = Vec::new();

    let mut dbs: Vec<(&'static str, PathBuf, usize)> = Vec::new();
    if wanted("S") {
        let db = dir().join("scale-S.rgdb");
        if !db.join("db").exists() {
            rgdb(&["demo", db.to_str().unwrap()]);
        }
        dbs.push(("S", db, 211));
    }
    let mut m_imports = Vec::new();
    if wanted("M") {
        let files = synth(
            "M",
            &[
                "--subjects",
                "10000",
                "--genes",
                "20000",
                "--features",
                "1800",
                "--rnaseq-fraction",
                "1",
                "--radiomic-fraction",
                "1",
                "--aim-fraction",
                "0",
            ],
        );
        let (db, imports) = build("M", &files, &[CLINICAL, RNASEQ, RADIOMICS]);
        m_imports = imports;
        dbs.push(("M", db, 10_000));
    }
    if wanted("L") {
        let files = synth(
            "L",
            &[
                "--subjects",
                "100000",
                "--genes",
                "0",
                "--features",
                "1800",
                "--radiomic-fraction",
                "1",
                "--aim-fraction",
                "0",
            ],
        );
        let (db, _) = build("L", &files, &[CLINICAL, RADIOMICS]);
        dbs.push(("L", db, 100_000));
    }

    for (scale, path, subjects) in &dbs {
        let open = time(|| {
            drop(Database::open(path).unwrap());
        });
        let ready = time(|| {
            let db = Database::open(path).unwrap();
            db.query("SELECT count(*) FROM subjects").unwrap();
        });
        push(
            "open the database",
            scale,
            format!(
                "{:.1} ms (open + first count: {:.1} ms)",
                open.ms(),
                ready.ms()
            ),
            "< 50 ms",
            ready.ms() < 50.0,
        );
        let db = Database::open(path).unwrap();
        let count = query(&db, COUNT_3);
        let target = if *scale == "L" { 50.0 } else { 20.0 };
        push(
            "count a cohort with 3 clinical predicates",
            scale,
            format!("{:.2} ms", count.ms()),
            &format!("< {target} ms"),
            count.ms() < target,
        );
        let genes = (*scale != "L").then(|| query(&db, &genes_5(scale)));
        if let Some(g) = genes {
            push(
                "5 genes + 3 clinical columns, filtered cohort",
                scale,
                format!("{:.2} ms", g.ms()),
                "< 50 ms",
                g.ms() < 50.0,
            );
        }
        let group = query(&db, GROUP_4);
        // The issue sets this target for M (and S); at L it is reported against M's.
        let (target, met) = if *scale == "L" {
            ("none (M's: < 30 ms)", true)
        } else {
            ("< 30 ms", group.ms() < 30.0)
        };
        push(
            "group-by over 2 clinical columns, 4 aggregates",
            scale,
            format!("{:.2} ms", group.ms()),
            target,
            met,
        );
        println!(
            "{scale}: count min {:.2} ms over {} runs",
            count.min.as_secs_f64() * 1e3,
            count.runs
        );
        by_subjects.push((*subjects, count.ms(), group.ms(), genes.map(|g| g.ms())));
    }

    if let Some(expression) = m_imports.iter().find(|i| i.what == "expression") {
        let mbs = expression.bytes as f64 / 1e6 / expression.seconds;
        push(
            "import the 20,000 × 10,000 expression matrix",
            "M",
            format!(
                "{:.0} MB in {:.1} s = {mbs:.0} MB/s, peak RSS {:.0} MB",
                expression.bytes as f64 / 1e6,
                expression.seconds,
                expression.rss_mb
            ),
            "≥ 100 MB/s, RSS < 2 GB",
            mbs >= 100.0 && expression.rss_mb < 2048.0,
        );
    }

    if let Some((_, m, _)) = dbs.iter().find(|d| d.0 == "M") {
        let m_arg = m.to_str().unwrap();
        // 100 features: the original image's 92 texture and first-order features and 8 of its
        // shape features.
        let features = "radiomic.original_firstorder_*, radiomic.original_gl*, \
             radiomic.original_ngtdm_*, radiomic.original_shape_MeshVolume, \
             radiomic.original_shape_VoxelVolume, radiomic.original_shape_SurfaceArea, \
             radiomic.original_shape_Sphericity, radiomic.original_shape_Maximum3DDiameter, \
             radiomic.original_shape_MajorAxisLength, radiomic.original_shape_Elongation, \
             radiomic.original_shape_LeastAxisLength";
        let statement =
            format!("SELECT count(*), min(q) FROM (CORRELATE {features} WITH rnaseq.*)");
        let (seconds, rss) = rgdb(&["--db", m_arg, "-c", &statement]);
        push(
            "Spearman map, 100 features × 20,000 genes, 10,000 subjects (1 cell in 5,000 NA)",
            "M",
            format!("{seconds:.1} s (whole process), peak RSS {rss:.0} MB"),
            "< 10 s",
            seconds < 10.0,
        );
        // The same map on a matrix without missing values (M's size, `--na-rate 0`, the 108
        // original-image features only).
        let files = synth(
            "Mc",
            &[
                "--subjects",
                "10000",
                "--genes",
                "20000",
                "--features",
                "108",
                "--rnaseq-fraction",
                "1",
                "--radiomic-fraction",
                "1",
                "--aim-fraction",
                "0",
                "--na-rate",
                "0",
            ],
        );
        let (complete, _) = build("Mc", &files, &[CLINICAL, RNASEQ, RADIOMICS]);
        let (seconds, rss) = rgdb(&["--db", complete.to_str().unwrap(), "-c", &statement]);
        push(
            "Spearman map, 100 features × 20,000 genes, 10,000 subjects (no NA)",
            "M",
            format!("{seconds:.1} s (whole process), peak RSS {rss:.0} MB"),
            "< 10 s",
            seconds < 10.0,
        );

        let out = dir().join("scale-M-export-5000.parquet");
        let statement = format!(
            "EXPORT (SELECT subject_id, rnaseq.* FROM subjects WHERE subject_id <= 'R01-05000') \
             TO '{}' OVERWRITE",
            out.display()
        );
        let (seconds, rss) = rgdb(&["--db", m_arg, "-c", &statement]);
        let bytes = std::fs::metadata(&out).unwrap().len() as f64;
        push(
            "export 5,000 subjects × 20,000 genes to Parquet",
            "M",
            format!(
                "{:.0} MB in {seconds:.1} s = {:.0} MB/s of output ({:.0} MB/s of values), peak RSS {rss:.0} MB",
                bytes / 1e6,
                bytes / 1e6 / seconds,
                5_000.0 * 20_000.0 * 8.0 / 1e6 / seconds
            ),
            "≥ 100 MB/s of output",
            bytes / 1e6 / seconds >= 100.0,
        );

        let all = dir().join("scale-M-all.parquet");
        let statement = format!(
            "EXPORT (SELECT clinical.*, radiomic.*, rnaseq.* FROM subjects) TO '{}' OVERWRITE",
            all.display()
        );
        rgdb(&["--db", m_arg, "-c", &statement]);
        let parquet = std::fs::metadata(&all).unwrap().len() as f64;
        let stored = du(m) as f64;
        push(
            "on-disk size against zstd Parquet",
            "M",
            format!(
                "{:.0} MB against {:.0} MB = {:.2}×",
                stored / 1e6,
                parquet / 1e6,
                stored / parquet
            ),
            "≤ 1.1×",
            stored / parquet <= 1.1,
        );

        // Cost against the genes selected, at 10,000 subjects.
        let db = Database::open(m).unwrap();
        let names = rgdb::synth::gene_names(20_000);
        let mut by_genes = Vec::new();
        for k in [1usize, 5, 50, 500, 5_000, 20_000] {
            let select = if k == 20_000 {
                "rnaseq.*".to_string()
            } else {
                names[..k]
                    .iter()
                    .map(|g| format!("rnaseq.\"{g}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let text = format!("SELECT subject_id, {select} FROM subjects WHERE gender = 'Male'");
            let t = query(&db, &text);
            println!(
                "M: {k} genes of 20,000 for ~6,400 subjects: {:.2} ms ({} runs)",
                t.ms(),
                t.runs
            );
            by_genes.push((k, t.ms()));
        }
        // The same 5 genes from tables of 200, 2,000 and 20,000 genes.
        let mut by_width = Vec::new();
        for genes in [200usize, 2_000] {
            let name = format!("G{genes}");
            let files = synth(
                &name,
                &[
                    "--subjects",
                    "10000",
                    "--genes",
                    &genes.to_string(),
                    "--features",
                    "0",
                    "--rnaseq-fraction",
                    "1",
                    "--aim-fraction",
                    "0",
                ],
            );
            let (path, _) = build(&name, &files, &[CLINICAL, RNASEQ]);
            let db = Database::open(&path).unwrap();
            by_width.push((genes, query(&db, &genes_5("M")).ms()));
        }
        by_width.push((20_000, query(&db, &genes_5("M")).ms()));
        for (genes, ms) in &by_width {
            println!("5 genes of a {genes}-gene table, 10,000 subjects: {ms:.2} ms");
        }
        plot_genes(&by_genes, &by_width);
    }
    if by_subjects.len() > 1 {
        plot_subjects(&by_subjects);
    }

    let mut table =
        String::from("| target | scale | measured | target | met |\n|---|---|---|---|---|\n");
    for r in &rows {
        table += &format!(
            "| {} | {} | {} | {} | {} |\n",
            r.what,
            r.scale,
            r.figure,
            r.target,
            if r.met { "yes" } else { "**no**" }
        );
    }
    println!("\n{table}");
    std::fs::write(dir().join("scale.md"), &table).unwrap();
}

fn docs() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/performance");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A log–log line plot: one series per (label, points).
fn plot(path: &Path, title: &str, x_label: &str, series: &[(&str, Vec<(f64, f64)>)]) {
    rgdb::plot::ensure_fonts().unwrap();
    let root = SVGBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE).unwrap();
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| s.1.iter().map(|p| p.1));
    let (x0, x1) = (xs.clone().fold(f64::MAX, f64::min), xs.fold(0.0, f64::max));
    let (y0, y1) = (ys.clone().fold(f64::MAX, f64::min), ys.fold(0.0, f64::max));
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (x0 * 0.8..x1 * 1.25).log_scale(),
            (y0 * 0.5..y1 * 2.0).log_scale(),
        )
        .unwrap();
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc("median time (ms)")
        .draw()
        .unwrap();
    let colours = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
    ];
    for (i, (label, points)) in series.iter().enumerate() {
        let colour = colours[i % colours.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))
            .unwrap()
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))
            .unwrap();
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .unwrap();
    root.present().unwrap();
}

/// Subjects, and the count, group-by and genes query times (ms) at that many.
type BySubjects = (usize, f64, f64, Option<f64>);

fn plot_subjects(points: &[BySubjects]) {
    let series = |f: &dyn Fn(&BySubjects) -> Option<f64>| {
        points
            .iter()
            .filter_map(|p| f(p).map(|y| (p.0 as f64, y)))
            .collect::<Vec<_>>()
    };
    plot(
        &docs().join("subjects.svg"),
        "Query time against subjects stored",
        "subjects",
        &[
            ("count, 3 predicates", series(&|p| Some(p.1))),
            ("group-by, 4 aggregates", series(&|p| Some(p.2))),
            ("5 genes + 3 clinical", series(&|p| p.3)),
        ],
    );
}

fn plot_genes(by_genes: &[(usize, f64)], by_width: &[(usize, f64)]) {
    plot(
        &docs().join("genes.svg"),
        "Query time against genes (10,000 subjects)",
        "genes",
        &[
            (
                "k genes selected, of 20,000 stored",
                by_genes.iter().map(|(k, ms)| (*k as f64, *ms)).collect(),
            ),
            (
                "5 genes selected, of G stored",
                by_width.iter().map(|(g, ms)| (*g as f64, *ms)).collect(),
            ),
        ],
    );
}
