//! The expression importer on the real RNA-seq subset (both orientations, gzip), the real GEO
//! series matrix GSE42872, subject aliases, and refused matrices.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rgdb::ingest::{
    DuplicatePolicy, ExpressionImport, GeoImport, ImportRequest, IngestError, Orientation,
};
use rgdb::{Database, Error};

use crate::common::*;

fn subset() -> PathBuf {
    root().join("data/nsclc_radiogenomics/rnaseq_fpkm_subset_130x140.tsv")
}

fn geo_file() -> PathBuf {
    root().join("data/geo/GSE42872_series_matrix.txt.gz")
}

/// The subset as the test reads it: subject → gene → value text.
fn subset_values() -> (Vec<String>, HashMap<String, HashMap<String, String>>) {
    let text = std::fs::read_to_string(subset()).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .map(str::to_string)
        .collect();
    let mut values = HashMap::new();
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        let row = header
            .iter()
            .zip(&cells)
            .skip(1)
            .map(|(g, v)| (g.clone(), v.to_string()))
            .collect();
        values.insert(cells[0].to_string(), row);
    }
    (header, values)
}

fn expression(
    db: &Database,
    path: &Path,
    options: ExpressionImport,
) -> Result<rgdb::ingest::ImportSummary, Error> {
    db.import(&ImportRequest::Expression {
        path: path.to_path_buf(),
        options,
    })
}

fn value(db: &Database, table: &str, gene: &str, subject: &str) -> String {
    let q = format!("SELECT {table}.\"{gene}\" FROM subjects WHERE subject_id = '{subject}'");
    rows(db, &q)[0][0].clone()
}

#[test]
fn the_real_subset_imports_with_exact_values() {
    let (_dir, db) = clinical_db();
    let summary = expression(
        &db,
        &subset(),
        ExpressionImport::new("rnaseq").with_unit("FPKM"),
    )
    .unwrap();
    assert_eq!(
        (summary.rows, summary.genes, summary.new_subjects),
        (130, 140, 0)
    );
    assert_eq!(summary.columns.len(), 1, "Recurrence is its own column");
    assert_eq!(summary.columns[0].ty, rgdb::storage::ColumnType::Boolean);
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE has(rnaseq)"),
        [["130"]]
    );
    // The Cufflinks blow-up is kept exactly.
    assert_eq!(value(&db, "rnaseq", "MIB1", "R01-007"), "295000030.0");
    // Every value of five genes for five subjects equals the file's.
    let (_, file) = subset_values();
    for subject in ["R01-023", "R01-100", "R01-007", "AMC-017", "R01-146"] {
        let Some(row) = file.get(subject) else {
            continue;
        };
        for gene in ["CD52", "TXNIP", "HOXC11", "ITGAL", "AHNAK"] {
            let ours: f64 = value(&db, "rnaseq", gene, subject).parse().unwrap();
            let theirs: f64 = row[gene].parse().unwrap();
            assert_eq!(ours, theirs, "{subject} {gene}");
        }
    }
    let table = db.table("rnaseq").unwrap();
    assert_eq!(
        table.properties.get("unit").map(String::as_str),
        Some("FPKM")
    );
    assert_eq!(
        table.properties.get("orientation").map(String::as_str),
        Some("subjects-by-genes")
    );
}

/// Writes the subset transposed, as GEO ships matrices: genes as rows, an empty first header
/// cell, and `NA` in some cells.
fn transposed(dir: &Path, gzip: bool) -> (PathBuf, Vec<(String, String)>) {
    let (header, file) = subset_values();
    let subjects: Vec<String> = {
        let mut s: Vec<String> = file.keys().cloned().collect();
        s.sort();
        s
    };
    let mut text = String::from("");
    for s in &subjects {
        text += &format!("\t{s}");
    }
    text.push('\n');
    let mut blanked = Vec::new();
    for (g, gene) in header.iter().enumerate().skip(2) {
        text += gene;
        for (i, s) in subjects.iter().enumerate() {
            if (g * 7 + i) % 97 == 0 {
                text += "\tNA";
                blanked.push((gene.clone(), s.clone()));
            } else {
                text += &format!("\t{}", file[s][gene]);
            }
        }
        text.push('\n');
    }
    let path = dir.join(if gzip {
        "genes_by_subjects.tsv.gz"
    } else {
        "genes_by_subjects.tsv"
    });
    if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
    } else {
        std::fs::write(&path, text).unwrap();
    }
    (path, blanked)
}

#[test]
fn the_transposed_file_imports_to_identical_values_plain_and_gzip() {
    let (dir, db) = clinical_db();
    expression(&db, &subset(), ExpressionImport::new("rnaseq")).unwrap();
    for gzip in [false, true] {
        let (path, blanked) = transposed(dir.path(), gzip);
        let table = if gzip { "by_gene_gz" } else { "by_gene" };
        let summary = expression(&db, &path, ExpressionImport::new(table)).unwrap();
        assert_eq!((summary.rows, summary.genes), (130, 140), "{table}");
        assert!(!blanked.is_empty());
        let genes: Vec<String> = summary_genes(&db, table);
        for gene in genes.iter().step_by(7) {
            let q = format!(
                "SELECT count(*) FROM subjects WHERE has(rnaseq) AND \
                 (rnaseq.\"{gene}\" = {table}.\"{gene}\" OR {table}.\"{gene}\" IS NULL)"
            );
            assert_eq!(rows(&db, &q), [["130"]], "{table} {gene}");
        }
        let (gene, subject) = &blanked[0];
        assert_eq!(value(&db, table, gene, subject), "NULL");
        let props = db.table(table).unwrap().properties;
        assert_eq!(
            props.get("orientation").map(String::as_str),
            Some("genes-by-subjects")
        );
        if gzip {
            let source = db.table(table).unwrap().source.unwrap();
            assert_eq!(source.size, std::fs::metadata(&path).unwrap().len());
            assert_eq!(
                source.sha256,
                rgdb::ingest::sha256_hex(&std::fs::read(&path).unwrap())
            );
        }
    }
}

fn summary_genes(db: &Database, table: &str) -> Vec<String> {
    db.columns(table)
        .unwrap()
        .into_iter()
        .skip(1)
        .map(|c| c.name)
        .collect()
}

#[test]
fn gse42872_has_6_samples_33297_probes_and_queryable_characteristics() {
    let (_dir, db) = fresh_db();
    let request = ImportRequest::Geo {
        path: geo_file(),
        options: GeoImport::new("gse42872"),
    };
    let summary = db.import(&request).unwrap();
    assert_eq!(
        (summary.rows, summary.genes, summary.new_subjects),
        (6, 33_297, 6)
    );
    assert_eq!(value(&db, "gse42872", "7892501", "GSM1052615"), "7.24559");
    assert_eq!(value(&db, "gse42872", "8180418", "GSM1052620"), "12.0653");
    assert_eq!(
        rows(
            &db,
            "SELECT cell_line, cell_type, count(*) FROM gse42872_samples GROUP BY cell_line, cell_type"
        ),
        [["A375", "Melanoma cell line", "6"]]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM gse42872_samples WHERE title LIKE '%Vemurafenib%'"
        ),
        [["3"]]
    );
    let props = db.table("gse42872").unwrap().properties;
    assert_eq!(props.get("platform").map(String::as_str), Some("GPL6244"));
    assert_eq!(
        props.get("series_geo_accession").map(String::as_str),
        Some("GSE42872")
    );
}

#[test]
fn geo_samples_map_to_cohort_subjects_through_aliases_or_a_field() {
    let (dir, db) = clinical_db();
    let aliases = dir.path().join("aliases.csv");
    std::fs::write(
        &aliases,
        "alias,subject_id\nGSM1052615,R01-001\nGSM1052616,R01-002\nold-name-3,R01-003\n",
    )
    .unwrap();
    let summary = db
        .import(&ImportRequest::Aliases { path: aliases })
        .unwrap();
    assert_eq!(summary.rows, 3);
    // Aliases name subjects in any later import.
    let geo = db
        .import(&ImportRequest::Geo {
            path: geo_file(),
            options: GeoImport::new("arrays"),
        })
        .unwrap();
    assert_eq!(
        geo.new_subjects, 4,
        "two samples are aliases of cohort subjects"
    );
    assert_eq!(value(&db, "arrays", "7892501", "R01-001"), "7.24559");
    // With a subject field, samples that match nothing are skipped and reported.
    let by_title = GeoImport::new("titled").with_subject_field("title");
    let summary = db
        .import(&ImportRequest::Geo {
            path: geo_file(),
            options: by_title,
        })
        .unwrap();
    assert_eq!(summary.rows, 0);
    assert!(
        summary.notes[0].starts_with(
            "6 samples match no subject and were not imported: A375 cells 24h Control rep1"
        ),
        "{:?}",
        summary.notes
    );
    // An alias file naming unknown subjects is refused whole.
    let bad = dir.path().join("bad_aliases.csv");
    std::fs::write(&bad, "alias,subject_id\nx,R01-001\ny,NOBODY\n").unwrap();
    let err = db
        .import(&ImportRequest::Aliases { path: bad.clone() })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "import error E0416: {}: 1 aliases name subjects that are not registered, such as `NOBODY`; import the clinical table first",
            bad.display()
        )
    );
}

#[test]
fn repeated_symbols_follow_the_policy() {
    let (dir, db) = clinical_db();
    let path = dir.path().join("dups.tsv");
    std::fs::write(
        &path,
        "\tR01-001\tR01-002\nEGFR\t1.5\t2\nKRAS\t3\t4\nEGFR\t5\t6\n",
    )
    .unwrap();
    let suffix = expression(&db, &path, ExpressionImport::new("suffixed")).unwrap();
    assert_eq!(suffix.genes, 3);
    assert_eq!(
        suffix.notes,
        ["1 repeated gene symbols: suffixed _2, _3, …"]
    );
    assert_eq!(value(&db, "suffixed", "EGFR_2", "R01-002"), "6.0");
    let first = expression(
        &db,
        &path,
        ExpressionImport::new("firsts").with_duplicates(DuplicatePolicy::First),
    )
    .unwrap();
    assert_eq!(first.genes, 2);
    assert_eq!(value(&db, "firsts", "EGFR", "R01-002"), "2.0");
    let err = expression(
        &db,
        &path,
        ExpressionImport::new("strict").with_duplicates(DuplicatePolicy::Error),
    )
    .unwrap_err();
    assert_eq!(err.code(), "E0413");
    assert!(
        err.to_string().ends_with(
            ":4: gene `EGFR` appears again (first on line 2); choose --duplicates first or suffix"
        ),
        "{err}"
    );
}

fn refused(db: &Database, path: &Path, options: ExpressionImport) -> IngestError {
    let version = db.version();
    let err = expression(db, path, options).unwrap_err();
    assert_eq!(
        db.version(),
        version,
        "a refused matrix changed the database"
    );
    assert!(db.check().unwrap().is_empty());
    match err {
        Error::Ingest(e) => e,
        other => panic!("expected an ingest error, got {other}"),
    }
}

#[test]
fn bad_matrices_are_refused_naming_file_and_line() {
    let (dir, db) = clinical_db();
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let ragged = file("ragged.tsv", "\tR01-001\tR01-002\nEGFR\t1\t2\nKRAS\t3\n");
    assert_eq!(
        refused(&db, &ragged, ExpressionImport::new("t")),
        IngestError::RaggedRow {
            file: ragged.display().to_string(),
            line: 3,
            expected: 3,
            found: 2
        }
    );
    let text = file("text.tsv", "\tR01-001\tR01-002\nEGFR\t1\thigh\n");
    let err = refused(&db, &text, ExpressionImport::new("t"));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:3: `high` is not a number (expression values are numbers; missing values are written NA or left empty)",
            text.display()
        )
    );
    let twice = file("twice.tsv", "\tR01-001\tR01-002\tR01-001\nEGFR\t1\t2\t3\n");
    assert_eq!(
        refused(&db, &twice, ExpressionImport::new("t")).to_string(),
        format!(
            "{}:1: subject `R01-001` heads columns 2 and 4",
            twice.display()
        )
    );
    let nobody = file("nobody.tsv", "something\ta\tb\nx\t1\t2\n");
    assert_eq!(
        refused(&db, &nobody, ExpressionImport::new("t")).to_string(),
        format!(
            "{}: cannot tell whether subjects are rows or columns; pass --orientation genes-by-subjects or subjects-by-genes",
            nobody.display()
        )
    );
    // A gzip file cut short.
    let (whole, _) = transposed(dir.path(), true);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.tsv.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&db, &cut, ExpressionImport::new("t"));
    assert_eq!(err.code(), "E0410");
    assert!(
        err.to_string().starts_with(&format!("{}:", cut.display())),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("the compressed file is truncated or corrupt"),
        "{err}"
    );
    // A subject-major file with a repeated subject.
    let rows_twice = file("rows.tsv", "PID\tEGFR\nR01-001\t1\nR01-001\t2\n");
    assert_eq!(
        refused(
            &db,
            &rows_twice,
            ExpressionImport::new("t").with_orientation(Orientation::SubjectsByGenes)
        ),
        IngestError::DuplicateSubject {
            file: rows_twice.display().to_string(),
            subject: "R01-001".into(),
            first_line: 2,
            line: 3
        }
    );
}

#[test]
fn import_statements_and_subcommands_share_the_importer() {
    let (dir, db) = clinical_db();
    let q = format!(
        "IMPORT EXPRESSION FROM '{}' UNIT 'FPKM' PLATFORM 'HiSeq' AS rna",
        subset().display()
    );
    let result = db.query(&q).unwrap();
    assert!(
        result
            .note
            .unwrap()
            .contains("140 numeric matrix columns (float)")
    );
    assert_eq!(value(&db, "rna", "MIB1", "R01-007"), "295000030.0");
    let err = db
        .query(&format!("IMPORT EXPRESSION FROM '{}'", subset().display()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0220: IMPORT EXPRESSION needs the table to create: … AS name"
    );
    let err = db
        .query(&format!(
            "IMPORT CLINICAL FROM '{}' UNIT 'x'",
            subset().display()
        ))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "error E0220: IMPORT CLINICAL does not take UNIT"
    );
    drop(db);
    let path = dir.path().join("test.rgdb");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rgdb"))
        .args([
            "--db",
            path.to_str().unwrap(),
            "import",
            "geo",
            geo_file().to_str().unwrap(),
            "--table",
            "gse",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.contains("33297 numeric matrix columns (float)"),
        "{out}"
    );
    let db = Database::open(&path).unwrap();
    let history = rows(&db, "SHOW HISTORY");
    assert!(
        history.last().unwrap()[3].starts_with("IMPORT GEO FROM '"),
        "{history:?}"
    );
}

/// The subset's `Recurrence` column is sample metadata: `rnaseq.*` leaves it out of queries,
/// CORRELATE (and so its BH denominator) and `EXPORT … LONG`; naming it reads it.
#[test]
fn a_pattern_over_an_expression_table_matches_measurements_only() {
    let (dir, db) = clinical_db();
    expression(&db, &subset(), ExpressionImport::new("rnaseq")).unwrap();
    let star = db
        .query("SELECT rnaseq.* FROM subjects WHERE has(rnaseq) LIMIT 1")
        .unwrap();
    let names: Vec<String> = star
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    // subject_id, then the 140 genes.
    assert_eq!(names.len(), 1 + 140, "{names:?}");
    assert_eq!(names[0], "subject_id");
    assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("recurrence")));
    assert_eq!(
        db.query("SELECT rnaseq.C* FROM subjects LIMIT 1")
            .unwrap()
            .schema
            .fields()
            .len(),
        rows(&db, "SHOW COLUMNS FROM rnaseq LIKE 'C%'").len()
    );
    // By name it is there, a boolean; EXCEPT may name it.
    assert_eq!(
        rows(
            &db,
            "SELECT rnaseq.recurrence, count(*) FROM subjects WHERE has(rnaseq) GROUP BY 1 ORDER BY 1"
        ),
        [["false", "92"], ["true", "38"]]
    );
    let except = db
        .query("SELECT rnaseq.* EXCEPT (recurrence, MIB1) FROM subjects LIMIT 1")
        .unwrap();
    assert_eq!(except.schema.fields().len(), 1 + 139);
    // DESCRIBE shows each column's role.
    let roles = roles(&db, "rnaseq");
    assert_eq!(roles["subject_id"], "attribute");
    assert_eq!(roles["MIB1"], "measurement");
    assert_eq!(roles["recurrence"], "metadata");
    // CORRELATE: 140 tests, and q is Benjamini–Hochberg over those 140.
    let pairs = rows(
        &db,
        "SELECT y, p, q FROM (CORRELATE age_at_histological_diagnosis WITH rnaseq.* METHOD pearson) ORDER BY p",
    );
    assert_eq!(pairs.len(), 140);
    assert!(
        !pairs
            .iter()
            .any(|r| r[0].eq_ignore_ascii_case("rnaseq.recurrence"))
    );
    let p: Vec<f64> = pairs.iter().map(|r| r[1].parse().unwrap()).collect();
    let q: Vec<f64> = pairs.iter().map(|r| r[2].parse().unwrap()).collect();
    let m = p.len() as f64;
    let mut running = 1.0f64;
    for k in (0..p.len()).rev() {
        running = running.min(p[k] * m / (k + 1) as f64);
        assert!(
            (q[k] - running).abs() <= 1e-12 * running.max(1e-300),
            "{k}: {} vs {running}",
            q[k]
        );
    }
    // EXPORT … LONG: one variable per gene, and the values are floats.
    let out = dir.path().join("long.csv");
    db.execute(&format!(
        "EXPORT (SELECT subject_id, rnaseq.* FROM subjects WHERE has(rnaseq)) TO '{}' LONG",
        out.display()
    ))
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let variables: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(variables.len(), 140);
    assert!(!variables.iter().any(|v| v.contains("recurrence")));
    assert_eq!(text.lines().count(), 1 + 130 * 140);
}

/// A database written before roles were recorded: its expression table's non-float columns
/// are metadata, its floats measurements.
#[test]
fn an_old_expression_table_gives_its_metadata_the_metadata_role() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("v2.rgdb");
    crate::common::old_fixture("format-v2.rgdb", &copy);
    let db = Database::open(&copy).unwrap();
    let star = db.query("SELECT rnaseq.* FROM subjects LIMIT 1").unwrap();
    assert_eq!(star.schema.fields().len(), 1 + 140);
    let rnaseq = roles(&db, "rnaseq");
    assert_eq!(rnaseq.len(), 142);
    assert_eq!(rnaseq["recurrence"], "metadata");
    assert_eq!(rnaseq["subject_id"], "attribute");
    assert_eq!(rnaseq.values().filter(|r| *r == "measurement").count(), 140);
    assert!(roles(&db, "clinical").values().all(|r| r == "attribute"));
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE rnaseq.recurrence"),
        [["38"]]
    );
}

/// Column → role, from `DESCRIBE` (its first and last columns).
fn roles(db: &Database, table: &str) -> HashMap<String, String> {
    let result = db.query(&format!("DESCRIBE {table}")).unwrap();
    let schema = result.batches[0].schema();
    assert_eq!(schema.field(schema.fields().len() - 1).name(), "role");
    rows(db, &format!("DESCRIBE {table}"))
        .into_iter()
        .map(|r| (r[0].clone(), r[r.len() - 1].clone()))
        .collect()
}
