//! The PyRadiomics importer on the real 60-subject output of PyRadiomics 3.0.1, and the files
//! it refuses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rgdb::Database;
use rgdb::ingest::{ImportRequest, IngestError, RadiomicsImport};

use crate::common::*;

fn features_csv() -> PathBuf {
    root().join("data/nsclc_radiogenomics/pyradiomics_features_60.csv")
}

fn radiomics(path: &Path, options: RadiomicsImport) -> ImportRequest {
    ImportRequest::Radiomics {
        path: path.to_path_buf(),
        options,
    }
}

/// The file as the test reads it, with the csv crate: header and rows of cells.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    let mut records = reader.records().map(|r| {
        r.unwrap()
            .iter()
            .map(str::to_string)
            .collect::<Vec<String>>()
    });
    let header = records.next().unwrap();
    (header, records.collect())
}

fn radiomic_db() -> (tempfile::TempDir, Database) {
    let (dir, db) = clinical_db();
    db.import(&radiomics(&features_csv(), RadiomicsImport::default()))
        .unwrap();
    (dir, db)
}

#[test]
fn the_real_pyradiomics_output_imports_with_its_provenance() {
    let (_dir, db) = clinical_db();
    let summary = db
        .import(&radiomics(&features_csv(), RadiomicsImport::default()))
        .unwrap();
    assert_eq!(summary.table, "radiomic");
    assert_eq!(summary.rows, 60);
    assert_eq!(summary.genes, 1764, "feature columns");
    assert_eq!(
        summary.new_subjects, 0,
        "every subject is in the clinical table"
    );
    assert!(
        summary.notes.iter().any(|n| n
            == "37 diagnostics: 7 in the provenance record (versions, settings), 30 as per-row columns"),
        "{:?}",
        summary.notes
    );
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM radiomic")), 60);
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE has(radiomic)"),
        vec![vec!["60".to_string()]]
    );

    // Values of named subjects, against the file itself.
    let (header, file_rows) = read_csv(&features_csv());
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let by_subject: HashMap<String, &Vec<String>> = file_rows
        .iter()
        .map(|r| {
            let image = &r[at("Image")];
            let id = image.rsplit('/').next().unwrap().trim_end_matches(".nii");
            (id.to_string(), r)
        })
        .collect();
    for subject in ["R01-012", "R01-028", "R01-003", "R01-104"] {
        let got = rows(
            &db,
            &format!(
                "SELECT radiomic.original_shape_MeshVolume, radiomic.original_glcm_Contrast, \
                 radiomic.\"log-sigma-1-0-mm-3D_firstorder_Mean\", radiomic.\"wavelet-LLH_glszm_ZoneEntropy\" \
                 FROM subjects WHERE subject_id = '{subject}'"
            ),
        );
        let want = by_subject[subject];
        for (i, label) in [
            "original_shape_MeshVolume",
            "original_glcm_Contrast",
            "log-sigma-1-0-mm-3D_firstorder_Mean",
            "wavelet-LLH_glszm_ZoneEntropy",
        ]
        .iter()
        .enumerate()
        {
            let expected: f64 = want[at(label)].parse().unwrap();
            let actual: f64 = got[0][i].parse().unwrap();
            assert_eq!(actual, expected, "{subject} {label}");
        }
    }
    // Two values written down from the file, as a reader would check them.
    assert_eq!(
        rows(
            &db,
            "SELECT original_shape_meshvolume, original_glcm_contrast FROM radiomic WHERE subject_id = 'R01-012'"
        ),
        vec![vec![
            "109996.625".to_string(),
            "1.2881772107268787".to_string()
        ]]
    );
    // Scientific notation is read as a number.
    let (sci_label, sci_subject, sci_text) = file_rows
        .iter()
        .find_map(|r| {
            header.iter().enumerate().skip(40).find_map(|(i, h)| {
                r[i].contains("e-").then(|| {
                    let image = &r[at("Image")];
                    let id = image.rsplit('/').next().unwrap().trim_end_matches(".nii");
                    (h.clone(), id.to_string(), r[i].clone())
                })
            })
        })
        .expect("the file has scientific notation");
    let got = rows(
        &db,
        &format!(
            "SELECT radiomic.\"{sci_label}\" FROM subjects WHERE subject_id = '{sci_subject}'"
        ),
    );
    assert_eq!(
        got[0][0].parse::<f64>().unwrap(),
        sci_text.parse::<f64>().unwrap()
    );

    // Column patterns.
    let shape = db
        .query("SELECT radiomic.original_shape_* FROM subjects WHERE has(radiomic) LIMIT 2")
        .unwrap();
    assert_eq!(
        shape.column_names(),
        header
            .iter()
            .filter(|h| h.starts_with("original_shape_"))
            .cloned()
            .collect::<Vec<_>>(),
        "the 16 shape features of the params file, in file order"
    );
    let all = db
        .query("SELECT radiomic.* FROM subjects WHERE has(radiomic) LIMIT 1")
        .unwrap();
    // subject_id, Image, Mask and the features; the 30 diagnostics are metadata, read by name.
    assert_eq!(all.schema.fields().len(), 1 + 2 + 1764);
}

#[test]
fn describe_shows_how_the_features_were_made() {
    let (_dir, db) = radiomic_db();
    let result = db.query("DESCRIBE radiomic").unwrap();
    let header = result.header.clone().expect("DESCRIBE has a header");
    assert!(
        header.starts_with("table radiomic (radiomic, one row per subject): 60 rows, 1797 columns"),
        "{header}"
    );
    assert!(header.contains("  pyradiomics: v3.0.1\n"), "{header}");
    assert!(
        header.contains("\"Numpy\":\"1.23.3\"") && header.contains("\"Python\":\"3.10.4\""),
        "{header}"
    );
    // The settings are those of data/nsclc_radiogenomics/pyradiomics_params.yaml.
    let meta = db.snapshot().table("radiomic").unwrap();
    let record: serde_json::Value = serde_json::from_str(&meta.properties["provenance"]).unwrap();
    let settings = &record["settings"];
    assert_eq!(settings["interpolator"], "sitkBSpline");
    assert_eq!(
        settings["resampledPixelSpacing"],
        serde_json::json!([1, 1, 1])
    );
    assert_eq!(settings["padDistance"], 10);
    assert_eq!(settings["binWidth"], 25);
    assert_eq!(settings["voxelArrayShift"], 1250);
    assert_eq!(settings["label"], 255);
    assert_eq!(settings["removeOutliers"], serde_json::Value::Null);
    assert_eq!(
        record["enabled_image_types"]["LoG"]["sigma"],
        serde_json::json!([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
    );
    assert_eq!(record["features"], 1764);
    assert_eq!(record["diagnostics"], 37);
    // Per-row provenance: hashes and spacing for each image and mask.
    assert_eq!(
        rows(
            &db,
            "SELECT diagnostics_image_original_hash, diagnostics_mask_original_hash, \
             diagnostics_image_original_spacing, diagnostics_mask_original_voxelnum \
             FROM radiomic WHERE subject_id = 'R01-012'"
        ),
        vec![vec![
            "97acf5cd9ae7d456e978a775743ce7d819696724".to_string(),
            "b6e49b39bd1d97bac2076c7713d2041804035be7".to_string(),
            "[0.69921875,0.69921875,1.0]".to_string(),
            "225361".to_string(),
        ]]
    );
    // Diagnostics are not features: they are not floats named like features.
    let described = rows(&db, "SHOW COLUMNS FROM radiomic LIKE 'diagnostics_%'");
    assert_eq!(described.len(), 30);
}

/// The real file with some rows changed by `edit(row_index, cells)`.
fn edited(dir: &Path, name: &str, edit: impl Fn(usize, &mut Vec<String>)) -> PathBuf {
    let (header, mut file_rows) = read_csv(&features_csv());
    for (i, r) in file_rows.iter_mut().enumerate() {
        edit(i, r);
    }
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&header).unwrap();
    for r in &file_rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    path
}

#[test]
fn several_rois_per_subject_make_a_lesion_level_table() {
    let (dir, db) = clinical_db();
    // Rows 1 and 2 become second ROIs of the subject of row 0.
    let (_, file_rows) = read_csv(&features_csv());
    let first_image = file_rows[0][1].clone();
    let path = edited(dir.path(), "rois.csv", |i, r| {
        if i == 1 || i == 2 {
            r[1] = first_image.clone();
        }
    });
    let summary = db
        .import(&radiomics(&path, RadiomicsImport::default()))
        .unwrap();
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("several rows per subject"))
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(radiomic) FROM subjects WHERE subject_id = 'R01-012'"
        ),
        vec![vec!["3".to_string()]]
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE has(radiomic)"),
        vec![vec!["58".to_string()]]
    );
    // The largest ROI's texture, per subject.
    let largest = rows(
        &db,
        "SELECT arg_max(radiomic.original_glcm_contrast, radiomic.original_shape_meshvolume) \
         FROM subjects WHERE subject_id = 'R01-012'",
    );
    assert_eq!(largest, vec![vec!["1.2881772107268787".to_string()]]);
}

#[test]
fn the_subject_comes_from_a_column_or_a_pattern() {
    let (dir, db) = clinical_db();
    // A subject column instead of the paths.
    let path = edited(dir.path(), "ids.csv", |_, r| {
        let id = r[1]
            .rsplit('/')
            .next()
            .unwrap()
            .trim_end_matches(".nii")
            .to_string();
        r[0] = id;
    });
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("PatientID{text}")).unwrap();
    let mut options = RadiomicsImport::new("by_column");
    options.subject_column = Some("PatientID".into());
    db.import(&radiomics(&path, options)).unwrap();
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM by_column")), 60);
    // Paths without an ID are refused, naming the line and the path.
    let bare = edited(dir.path(), "bare.csv", |_, r| {
        let number = r[1].rsplit('-').next().unwrap().to_string();
        r[1] = format!("/scans/{number}");
        r[2] = r[1].clone();
    });
    let err = refused_import(&db, &radiomics(&bare, RadiomicsImport::new("t")));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: no subject ID matching `[A-Za-z][A-Za-z0-9]*-[0-9]+` in `/scans/012.nii`; pass --subject-column or --subject-pattern",
            bare.display()
        )
    );
    // A name with more than the ID: the default pattern takes `subjR01-012` for a new subject
    // (the summary says so); a pattern picks the ID out.
    let long = edited(dir.path(), "long.csv", |_, r| {
        r[1] = r[1].replace("/images/", "/images/subj");
        r[2] = r[1].clone();
    });
    let summary = db
        .import(&radiomics(&long, RadiomicsImport::new("by_default")))
        .unwrap();
    assert_eq!(summary.new_subjects, 60);
    let mut options = RadiomicsImport::new("by_pattern");
    options.subject_pattern = Some(r"R01-\d{3}".into());
    let summary = db.import(&radiomics(&long, options)).unwrap();
    assert_eq!(summary.new_subjects, 0);
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM subjects WHERE has(by_pattern) AND has(clinical)"
        ),
        vec![vec!["60".to_string()]]
    );
}

#[test]
fn bad_radiomics_files_are_refused_naming_the_place() {
    let (dir, db) = clinical_db();
    // A ragged row.
    let ragged = dir.path().join("ragged.csv");
    let text = std::fs::read_to_string(features_csv()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let cut = lines[3].rfind(',').unwrap();
    lines[3].truncate(cut);
    std::fs::write(&ragged, lines.join("\n")).unwrap();
    assert_eq!(
        refused_import(&db, &radiomics(&ragged, RadiomicsImport::default())),
        IngestError::RaggedRow {
            file: ragged.display().to_string(),
            line: 4,
            expected: 1804,
            found: 1803
        }
    );
    // A feature cell that is not a number.
    let (header, _) = read_csv(&features_csv());
    let contrast = header
        .iter()
        .position(|h| h == "original_glcm_Contrast")
        .unwrap();
    let word = edited(dir.path(), "word.csv", |i, r| {
        if i == 4 {
            r[contrast] = "high".into();
        }
    });
    assert_eq!(
        refused_import(&db, &radiomics(&word, RadiomicsImport::default())).to_string(),
        format!(
            "{}:6:{}: `high` in feature column `original_glcm_Contrast` is not a number (a missing feature is an empty cell or nan)",
            word.display(),
            contrast + 1
        )
    );
    // Rows made with other settings.
    let settings = header
        .iter()
        .position(|h| h == "diagnostics_Configuration_Settings")
        .unwrap();
    let mixed = edited(dir.path(), "mixed.csv", |i, r| {
        if i == 9 {
            r[settings] = r[settings].replace("'binWidth': 25", "'binWidth': 10");
        }
    });
    let err = refused_import(&db, &radiomics(&mixed, RadiomicsImport::default()));
    assert_eq!(err.code(), "E0427");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}:11: `diagnostics_Configuration_Settings` differs from line 2",
            mixed.display()
        )),
        "{text}"
    );
    assert!(
        text.ends_with("Pass --allow-mixed-settings (ALLOW MIXED SETTINGS) to import them anyway")
    );
    // … unless the user says so; then both variants are recorded.
    let mut allow = RadiomicsImport::new("mixed");
    allow.allow_mixed_settings = true;
    let summary = db.import(&radiomics(&mixed, allow)).unwrap();
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.starts_with("2 different versions or settings"))
    );
    let meta = db.snapshot().table("mixed").unwrap();
    let record: serde_json::Value = serde_json::from_str(&meta.properties["provenance"]).unwrap();
    assert_eq!(record["mixed_settings"].as_array().unwrap().len(), 2);
    // A diagnostics cell that is not a Python literal.
    let spacing = header
        .iter()
        .position(|h| h == "diagnostics_Image-original_Spacing")
        .unwrap();
    let literal = edited(dir.path(), "literal.csv", |i, r| {
        if i == 0 {
            r[spacing] = "(0.7, 0.7".into();
        }
    });
    assert_eq!(
        refused_import(&db, &radiomics(&literal, RadiomicsImport::default())).to_string(),
        format!(
            "{}:2:{}: `diagnostics_Image-original_Spacing` is not a Python literal: expected `,` or `)` at offset 9, found the end",
            literal.display(),
            spacing + 1
        )
    );
    // A subject pattern that is not a regular expression.
    let bad = RadiomicsImport {
        subject_pattern: Some("(R01".into()),
        ..RadiomicsImport::default()
    };
    assert_eq!(
        refused_import(&db, &radiomics(&features_csv(), bad)).to_string(),
        "invalid subject pattern `(R01`: regex parse error:\n    (R01\n    ^\nerror: unclosed group"
    );
}

#[test]
fn the_statement_and_the_subcommand_import_the_same_table() {
    let (dir, db) = clinical_db();
    let path = features_csv();
    db.query(&format!(
        "IMPORT RADIOMICS FROM '{}' SUBJECT PATTERN 'R01-[0-9]+' AS rad",
        path.display()
    ))
    .unwrap();
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE has(rad)"),
        vec![vec!["60".to_string()]]
    );
    drop(db);
    let db_path = dir.path().join("test.rgdb");
    let (code, text, err) = run_cli(&[
        "--db",
        db_path.to_str().unwrap(),
        "import",
        "radiomics",
        path.to_str().unwrap(),
        "--table",
        "rad2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("1764 radiomic feature columns (float)"),
        "{text}"
    );
    assert!(
        text.contains("note: extracted with PyRadiomics v3.0.1"),
        "{text}"
    );
}

#[test]
fn a_directory_of_batches_is_one_table_with_one_set_of_settings() {
    let (dir, db) = clinical_db();
    let (header, file_rows) = read_csv(&features_csv());
    let batches = dir.path().join("batches");
    std::fs::create_dir_all(batches.join("site2")).unwrap();
    let write = |path: &Path, header: &[String], rows: &[Vec<String>]| {
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record(header).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    };
    write(&batches.join("batch1.csv"), &header, &file_rows[..25]);
    // The second batch lists its columns in another order (the pandas index stays first).
    let order: Vec<usize> = std::iter::once(0).chain((1..header.len()).rev()).collect();
    let reorder = |r: &Vec<String>| order.iter().map(|i| r[*i].clone()).collect::<Vec<_>>();
    let second: Vec<Vec<String>> = file_rows[25..].iter().map(reorder).collect();
    write(
        &batches.join("site2/batch2.csv"),
        &reorder(&header),
        &second,
    );
    let summary = db
        .import(&radiomics(&batches, RadiomicsImport::default()))
        .unwrap();
    assert_eq!(summary.rows, 60);
    assert_eq!(summary.notes[0], "60 rows from 2 files");
    assert_eq!(
        rows(
            &db,
            "SELECT original_shape_meshvolume FROM radiomic WHERE subject_id = 'R01-012'"
        ),
        vec![vec!["109996.625".to_string()]]
    );
    // A batch made with other settings is refused, naming both files.
    let settings = header
        .iter()
        .position(|h| h == "diagnostics_Configuration_Settings")
        .unwrap();
    let mut changed = second.clone();
    let at = order.iter().position(|i| *i == settings).unwrap();
    for r in &mut changed {
        r[at] = r[at].replace("'binWidth': 25", "'binWidth': 50");
    }
    write(
        &batches.join("site2/batch2.csv"),
        &reorder(&header),
        &changed,
    );
    let err = refused_import(&db, &radiomics(&batches, RadiomicsImport::default()));
    assert!(
        err.to_string().starts_with(&format!(
            "{}:2: `diagnostics_Configuration_Settings` differs from {}:2 (",
            batches.join("site2/batch2.csv").display(),
            batches.join("batch1.csv").display()
        )),
        "{err}"
    );
    // A batch with other features is refused, naming what differs.
    let fewer: Vec<String> = header[..header.len() - 1].to_vec();
    let rows_fewer: Vec<Vec<String>> = file_rows[25..]
        .iter()
        .map(|r| r[..r.len() - 1].to_vec())
        .collect();
    write(&batches.join("site2/batch2.csv"), &fewer, &rows_fewer);
    let err = refused_import(&db, &radiomics(&batches, RadiomicsImport::default()));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: its columns differ from those of {}: missing `{}`",
            batches.join("site2/batch2.csv").display(),
            batches.join("batch1.csv").display(),
            header.last().unwrap()
        )
    );
}

#[test]
fn feature_names_keep_the_pyradiomics_case() {
    let (dir, db) = radiomic_db();
    let names = column_names(&db, "radiomic");
    for name in [
        "original_shape_MeshVolume",
        "original_glcm_Contrast",
        "log_sigma_1_0_mm_3D_firstorder_Mean",
        "wavelet_LLH_glszm_ZoneEntropy",
        "diagnostics_Image_original_Hash",
        "diagnostics_Mask_original_VoxelNum",
        "image",
        "mask",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} not in the catalog");
    }
    assert!(!names.iter().any(|n| n == "original_shape_meshvolume"));
    // Matching stays case-insensitive; results name the column as the catalog does.
    for spelled in [
        "original_shape_meshvolume",
        "ORIGINAL_SHAPE_MESHVOLUME",
        "original_shape_MeshVolume",
    ] {
        let result = db
            .query(&format!(
                "SELECT {spelled} FROM radiomic WHERE subject_id = 'R01-012'"
            ))
            .unwrap();
        assert_eq!(result.column_names(), ["original_shape_MeshVolume"]);
        assert_eq!(
            rows(
                &db,
                &format!("SELECT {spelled} FROM radiomic WHERE subject_id = 'R01-012'")
            ),
            [["109996.625"]]
        );
    }
    let result = db
        .query("SELECT radiomic.original_shape_m* FROM subjects LIMIT 1")
        .unwrap();
    assert_eq!(
        result.column_names(),
        [
            "original_shape_MeshVolume",
            "original_shape_Maximum3DDiameter",
            "original_shape_Maximum2DDiameterSlice",
            "original_shape_Maximum2DDiameterColumn",
            "original_shape_Maximum2DDiameterRow",
            "original_shape_MajorAxisLength",
        ]
    );
    // SHOW COLUMNS … LIKE matches in any case, as names do.
    assert_eq!(
        rows(
            &db,
            "SHOW COLUMNS FROM radiomic LIKE 'original_shape_mesh%'"
        )[0][0],
        "original_shape_MeshVolume"
    );
    // DESCRIBE.
    let described = rows(&db, "DESCRIBE radiomic");
    assert!(
        described
            .iter()
            .any(|r| r[0] == "log_sigma_1_0_mm_3D_firstorder_Mean"
                && r[4] == "log-sigma-1-0-mm-3D_firstorder_Mean"),
        "{described:?}"
    );
    // CORRELATE's x and y.
    let map = rows(
        &db,
        "SELECT x, y FROM (CORRELATE radiomic.original_shape_meshvolume WITH radiomic.\"wavelet-LLH_glszm_ZoneEntropy\")",
    );
    assert_eq!(
        map,
        [[
            "radiomic.original_shape_MeshVolume",
            "radiomic.wavelet_LLH_glszm_ZoneEntropy"
        ]]
    );
    // Completion.
    let index = rgdb::repl::Index::build(&db.snapshot());
    let line = "SELECT radiomic.original_shape_mesh";
    assert_eq!(
        index.complete(line, line.len()).1,
        ["radiomic.original_shape_MeshVolume"]
    );
    let line = "SELECT original_glcm_contr";
    assert_eq!(
        index.complete(line, line.len()).1,
        ["original_glcm_Contrast"]
    );
    // EXPORT headers, and plot labels.
    let csv = dir.path().join("shape.csv");
    db.query(&format!(
        "EXPORT (SELECT subject_id, radiomic.original_shape_mesh* FROM subjects WHERE has(radiomic)) TO '{}'",
        csv.display()
    ))
    .unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "subject_id,original_shape_MeshVolume"
    );
    let svg = dir.path().join("map.svg");
    db.query(&format!(
        "PLOT CORRELATE radiomic.ORIGINAL_SHAPE_MESHVOLUME WITH radiomic.original_glcm_contrast TO '{}'",
        svg.display()
    ))
    .unwrap();
    let drawn = std::fs::read_to_string(&svg).unwrap();
    let labels: Vec<&str> = drawn
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("radiomic."))
        .collect();
    assert_eq!(
        labels,
        [
            "radiomic.original_shape_MeshVolume",
            "radiomic.original_glcm_Contrast"
        ]
    );
}

#[test]
fn a_database_made_with_lower_cased_feature_names_keeps_working() {
    // tests/fixtures/radiomic-lowercase-v2.rgdb: six rows of the real file (the first six
    // subjects; the index, paths, diagnostics and five features), imported by rgdb 6ee940d,
    // before names kept their case.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("old.rgdb");
    crate::common::old_fixture("radiomic-lowercase-v2.rgdb", &copy);
    let db = Database::open(&copy).unwrap();
    assert!(db.check().unwrap().is_empty());
    let stored: Vec<String> = column_names(&db, "radiomic")
        .into_iter()
        .filter(|n| n.starts_with("original_"))
        .collect();
    assert_eq!(
        stored,
        [
            "original_shape_meshvolume",
            "original_firstorder_mean",
            "original_glcm_contrast"
        ]
    );
    // Every spelling still finds the stored column.
    let want = [["R01-012", "109996.625", "1.2881772107268787"]];
    for (volume, contrast) in [
        ("original_shape_MeshVolume", "original_glcm_Contrast"),
        ("original_shape_meshvolume", "original_glcm_contrast"),
        (
            "\"original_shape_MeshVolume\"",
            "\"original_glcm_Contrast\"",
        ),
    ] {
        assert_eq!(
            rows(
                &db,
                &format!(
                    "SELECT subject_id, radiomic.{volume}, radiomic.{contrast} FROM subjects \
                     WHERE subject_id = 'R01-012'"
                )
            ),
            want
        );
    }
    assert_eq!(
        rows(
            &db,
            "SELECT n FROM (CORRELATE radiomic.original_shape_MeshVolume WITH radiomic.original_glcm_*)"
        ),
        [["6"]]
    );
    // Importing the file again gives the names their case, and old spellings still match.
    db.import(&radiomics(
        &root().join("tests/fixtures/radiomic-lowercase-v2.csv"),
        RadiomicsImport::default(),
    ))
    .unwrap();
    let result = db
        .query("SELECT original_shape_meshvolume FROM radiomic WHERE subject_id = 'R01-012'")
        .unwrap();
    assert_eq!(result.column_names(), ["original_shape_MeshVolume"]);
    assert_eq!(
        rows(
            &db,
            "SELECT radiomic.original_glcm_contrast FROM subjects WHERE subject_id = 'R01-012'"
        ),
        [["1.2881772107268787"]]
    );
}

#[test]
fn patterns_over_radiomic_features_leave_the_diagnostics_out() {
    let (_dir, db) = radiomic_db();
    use rgdb::storage::ColumnRole::{Attribute, Measurement, Metadata};
    let columns = db.columns("radiomic").unwrap();
    let count = |role: rgdb::storage::ColumnRole, prefix: &str| {
        columns
            .iter()
            .filter(|c| c.role == role && c.name.starts_with(prefix))
            .count()
    };
    // Python's csv module on the file's header: 1,764 `<image type>_<class>_<feature>` columns,
    // 30 per-row diagnostics (besides 7 `diagnostics_Versions_*`/`Configuration_*` settings,
    // which are table properties), `Image`, `Mask` and the unnamed index.
    assert_eq!(columns.len(), 1 + 1764 + 30 + 2);
    assert_eq!(count(Metadata, "diagnostics_"), 30);
    assert_eq!(count(Metadata, ""), 30);
    assert_eq!(count(Measurement, ""), 1764);
    // The subject and the image and mask paths.
    assert_eq!(count(Attribute, ""), 3);
    // `radiomic.*` is the features (and the paths), never the diagnostics …
    let star = db.query("SELECT radiomic.* FROM subjects LIMIT 1").unwrap();
    assert!(
        star.column_names()
            .iter()
            .all(|n| !n.starts_with("diagnostics_"))
    );
    assert!(
        star.column_names()
            .contains(&"original_shape_MeshVolume".to_string())
    );
    // … in CORRELATE, whose correction then counts features only …
    let pairs = rows(
        &db,
        "SELECT count(*), sum(CASE WHEN x LIKE 'diagnostics%' THEN 1 ELSE 0 END) \
         FROM (CORRELATE radiomic.* WITH radiomic.original_shape_MeshVolume)",
    );
    assert_eq!(pairs, [["1764", "0"]]);
    // … and a diagnostic is read by naming it.
    assert_eq!(
        rows(
            &db,
            "SELECT radiomic.diagnostics_Mask_original_VoxelNum FROM subjects WHERE subject_id = 'R01-012'"
        )
        .len(),
        1
    );
}
