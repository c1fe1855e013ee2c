//! `rgdb synth`: the generated files are in the real formats (they import with the real
//! importers and match the real files' headers and tokens), the same seed gives the same
//! bytes, and the planted effects are found by CORRELATE and COX.

use std::collections::BTreeSet;
use std::path::Path;

use rgdb::Database;
use rgdb::synth::{SIGNATURE, Spec, generate};

use crate::common::*;

fn small() -> Spec {
    Spec {
        subjects: 300,
        genes: 400,
        features: 120,
        seed: 7,
        dicom_subjects: 2,
        na_rate: 0.001,
        ..Spec::default()
    }
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Builds a database from the generated `import.rgdb`, statement by statement.
fn build(out: &Path, db_dir: &Path) -> Database {
    let db = Database::create(db_dir).unwrap();
    let script = std::fs::read_to_string(out.join("import.rgdb")).unwrap();
    for statement in script.lines() {
        db.execute(statement)
            .unwrap_or_else(|e| panic!("{}", e.render(statement)));
    }
    db
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(&small(), &dir.path().join("a")).unwrap();
    let b = generate(&small(), &dir.path().join("b")).unwrap();
    let c = generate(&Spec { seed: 8, ..small() }, &dir.path().join("c")).unwrap();
    let (ta, tb, tc) = (tree(&a.out), tree(&b.out), tree(&c.out));
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ta), names(&tb));
    // The scripts name their own directory; every data file is identical.
    for ((name, x), (_, y)) in ta.iter().zip(&tb) {
        if name != "import.rgdb" {
            assert!(x == y, "{name} differs between two runs with seed 7");
        }
    }
    let clinical =
        |t: &[(String, Vec<u8>)]| t.iter().find(|f| f.0 == "clinical.csv").unwrap().1.clone();
    assert_ne!(
        clinical(&ta),
        clinical(&tc),
        "seed 8 wrote seed 7's clinical table"
    );
    assert_eq!(
        names(&ta)
            .iter()
            .filter(|n| n.starts_with("dicom/"))
            .count(),
        16,
        "8 CT slices for each of 2 subjects"
    );
}

#[test]
fn the_files_have_the_real_headers_tokens_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&small(), dir.path()).unwrap();
    let read = |name: &str| std::fs::read_to_string(summary.out.join(name)).unwrap();

    // Clinical: the TCIA header exactly, and only tokens the real file uses in its
    // categorical columns.
    let real = std::fs::read_to_string(clinical_csv()).unwrap();
    let synthetic = read("clinical.csv");
    let parse = |text: &str| {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        (header, rows)
    };
    let (real_header, real_rows) = parse(&real);
    let (header, rows) = parse(&synthetic);
    assert_eq!(header, real_header);
    assert_eq!(rows.len(), 300);
    for column in [
        "Patient affiliation",
        "Gender",
        "Smoking status",
        "%GG",
        "Tumor Location (choice=RUL)",
        "Histology ",
        "Pathological T stage",
        "Pathological N stage",
        "EGFR mutation status",
        "KRAS mutation status",
        "ALK translocation status",
        "Recurrence",
        "Recurrence Location",
        "Survival Status",
    ] {
        let at = header.iter().position(|h| h == column).unwrap();
        let allowed: BTreeSet<&str> = real_rows.iter().map(|r| r[at].as_str()).collect();
        let used: BTreeSet<&str> = rows.iter().map(|r| r[at].as_str()).collect();
        assert!(
            used.is_subset(&allowed),
            "{column}: {:?} are not in the real file",
            used.difference(&allowed).collect::<Vec<_>>()
        );
        assert!(used.len() >= 2, "{column} has one value: {used:?}");
    }
    assert_eq!(rows[0][0], "R01-001");
    assert_eq!(rows[299][0], "AMC-069");

    // RNA-seq: GEO's layout, genes as rows with an empty first header cell.
    let matrix = read("rnaseq_fpkm.txt");
    let mut lines = matrix.lines();
    let first = lines.next().unwrap();
    assert!(first.starts_with('\t'), "the first header cell is empty");
    let subjects = first.split('\t').count() - 1;
    let lines: Vec<&str> = lines.collect();
    let genes: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let na = lines
        .iter()
        .flat_map(|l| l.split('\t'))
        .filter(|c| *c == "NA")
        .count();
    let cells = 400 * subjects;
    assert!(
        (cells / 2000..=cells / 500).contains(&na),
        "{na} NA cells of {cells} at --na-rate 0.001"
    );
    assert_eq!(genes.len(), 400);
    assert_eq!(&genes[..10], &SIGNATURE);
    assert!(
        genes.contains(&"EGFR") && genes.contains(&"SMC1B"),
        "drivers and real symbols"
    );
    assert!(
        (150..=220).contains(&subjects),
        "about 130/211 of 300 subjects have RNA-seq, not {subjects}"
    );

    // PyRadiomics: the real file's first columns, diagnostics and feature names.
    let real_radiomics = rgdb::demo::FILES
        .iter()
        .find(|f| f.name.starts_with("pyradiomics"))
        .unwrap()
        .bytes()
        .unwrap();
    let real_header: Vec<String> = csv::Reader::from_reader(real_radiomics.as_slice())
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let radiomics = read("radiomics.csv");
    let header: Vec<&str> = radiomics.lines().next().unwrap().split(',').collect();
    assert_eq!(header.len(), 3 + 37 + 120);
    assert_eq!(
        header,
        real_header[..160]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_synthetic_cohort_imports_and_its_planted_effects_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&small(), &dir.path().join("files")).unwrap();
    let db = build(&summary.out, &dir.path().join("db"));
    let got = rows(
        &db,
        "SELECT count(*), count(rnaseq.EGFR), count(radiomic.original_shape_meshvolume), \
         sum(CAST(has(semantic) AS INT)), sum(CAST(os_event AS INT)) FROM subjects",
    );
    let n: Vec<i64> = got[0].iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(n[0], 300);
    assert!((150..=220).contains(&n[1]), "{n:?}");
    assert!((170..=240).contains(&n[2]), "{n:?}");
    assert!((250..=295).contains(&n[3]), "{n:?}");
    assert!((90..=250).contains(&n[4]), "deaths: {n:?}");
    // Ground glass is commoner in EGFR-mutant tumours, as planted.
    let gg = rows(
        &db,
        "SELECT egfr_mutation_status, avg(CAST(nodule_attenuation = 'ground glass' AS INT)) \
         FROM semantic WHERE egfr_mutation_status IN ('Mutant', 'Wildtype') \
         GROUP BY egfr_mutation_status ORDER BY egfr_mutation_status",
    );
    let share = |i: usize| gg[i][1].parse::<f64>().unwrap();
    assert!(share(0) > share(1) + 0.15, "{gg:?}");
    assert_eq!(rows(&db, "SELECT count(*) FROM series")[0][0], "2");

    // The 10 signature genes are the genes most correlated with the tumour volume.
    let top = rows(
        &db,
        "SELECT y FROM (CORRELATE radiomic.original_shape_MeshVolume WITH rnaseq.*) \
         ORDER BY p LIMIT 10",
    );
    let top: BTreeSet<String> = top.into_iter().map(|r| r[0].clone()).collect();
    let expected: BTreeSet<String> = SIGNATURE.iter().map(|g| format!("rnaseq.{g}")).collect();
    assert_eq!(top, expected);

    // Survival depends on the tumour burden (through its volume) and on age.
    let cox = rows(
        &db,
        "SELECT term, hr, p FROM (COX OF subjects ON ln(radiomic.original_shape_MeshVolume), \
         age_at_histological_diagnosis)",
    );
    let hr: f64 = cox[0][1].parse().unwrap();
    let p: f64 = cox[0][2].parse().unwrap();
    assert!(hr > 1.5 && p < 1e-6, "volume: hr {hr}, p {p}");
    let hr_age: f64 = cox[1][1].parse().unwrap();
    assert!(hr_age > 1.0, "age: hr {hr_age}");
    assert!(db.check().unwrap().is_empty());
}

#[test]
fn synth_on_the_command_line_writes_the_files_and_refuses_bad_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cohort");
    let out_arg = out.to_str().unwrap();
    let (code, stdout, stderr) = run_cli(&[
        "synth",
        "--subjects",
        "40",
        "--genes",
        "50",
        "--features",
        "20",
        "--complete",
        "--out",
        out_arg,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("clinical.csv"), "{stdout}");
    assert!(stdout.contains("50 genes × 40 subjects"), "{stdout}");
    assert!(stdout.contains("40 rows × 20 features"), "{stdout}");
    assert!(stdout.contains("--create -f"), "{stdout}");

    // The printed command builds the database.
    let db_path = dir.path().join("c.rgdb");
    let script = out.join("import.rgdb");
    let (code, _, stderr) = run_cli(&[
        "--db",
        db_path.to_str().unwrap(),
        "--create",
        "-f",
        script.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let db = Database::open(&db_path).unwrap();
    assert_eq!(
        rows(&db, "SELECT count(rnaseq.EGFR) FROM subjects")[0][0],
        "40"
    );
    drop(db);

    // Without --create, a missing database is still an error.
    let (code, _, stderr) = run_cli(&[
        "--db",
        dir.path().join("typo.rgdb").to_str().unwrap(),
        "-c",
        "SHOW TABLES",
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E0503"), "{stderr}");

    let (code, _, stderr) = run_cli(&["synth", "--subjects", "0", "--out", out_arg]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error[E0312]: rgdb synth: --subjects must be at least 1\n"
    );
    let (_, _, stderr) = run_cli(&["synth", "--features", "3000", "--out", out_arg]);
    assert_eq!(
        stderr,
        "error[E0312]: rgdb synth: --features is at most 2500\n"
    );
    let (_, _, stderr) = run_cli(&["synth", "--rnaseq-fraction", "1.5", "--out", out_arg]);
    assert_eq!(
        stderr,
        "error[E0312]: rgdb synth: --rnaseq-fraction must be between 0 and 1, not 1.5\n"
    );
    // A file where the directory should be.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let (code, _, stderr) = run_cli(&["synth", "--out", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.starts_with("error[E0312]: rgdb synth: cannot write ") && stderr.contains("a-file"),
        "{stderr}"
    );
}
