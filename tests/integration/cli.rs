//! The command line, driven with buffers: outputs, exit codes, and errors on stderr.

use crate::common::*;

#[test]
fn import_tables_describe_history_check() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.rgdb");
    let db = db.to_str().unwrap();
    let csv = clinical_csv();
    let (code, out, err) = run_cli(&["--db", db, "import", "clinical", csv.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains("created table `clinical`"), "{out}");
    assert!(
        out.contains("211 rows, 45 columns, 211 new subjects"),
        "{out}"
    );

    let (code, out, _) = run_cli(&["--db", db, "tables"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("│ clinical ┆ clinical ┆ one row per subject ┆  211 ┆      45 ┆       1 │"),
        "{out}"
    );

    let (code, out, _) = run_cli(&["--db", db, "describe", "clinical"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(
            "table clinical (clinical, one row per subject): 211 rows, 45 columns, version 1\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("sha256 0b34e5efa655c53e899bc04e554dcc5cae744ba765022e1af188542a9a21231a"),
        "{out}"
    );
    assert!(out.contains("│ weight_lbs "), "{out}");
    assert!(out.contains("┆ Weight (lbs)"), "{out}");

    let (code, out, _) = run_cli(&["--db", db, "history"]);
    assert_eq!(code, 0);
    assert!(out.contains("import clinical: clinical"), "{out}");

    let (code, out, _) = run_cli(&["--db", db, "check"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "ok: version 1, every chunk verified\n")
    );
}

#[test]
fn import_table_takes_a_subject_column_and_a_level() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.rgdb");
    let db = db.to_str().unwrap();
    let file = bad_input("clinical_duplicate_subject.csv");
    let file = file.to_str().unwrap();
    let (code, _, err) = run_cli(&[
        "--db",
        db,
        "import",
        "table",
        "visits",
        file,
        "--subject-column",
        "Patient ID",
    ]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error[E0406]: "), "{err}");
    assert!(
        err.contains(":7: subject `AMC-002` appears again (first on line 3)"),
        "{err}"
    );
    let (code, out, err) = run_cli(&[
        "--db",
        db,
        "import",
        "table",
        "visits",
        file,
        "--subject-column",
        "patient id",
        "--level",
        "multi",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains("6 rows, 40 columns, 5 new subjects"), "{out}");
}

#[test]
fn errors_go_to_stderr_with_a_code_and_exit_nonzero() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.rgdb");
    let (code, out, err) = run_cli(&["--db", missing.to_str().unwrap(), "tables"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        format!("error[E0503]: no rgdb database at {}\n", missing.display())
    );

    let db = dir.path().join("cli.rgdb");
    run_cli(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        "clinical",
        clinical_csv().to_str().unwrap(),
    ]);
    let (code, _, err) = run_cli(&["--db", db.to_str().unwrap(), "describe", "clinicl"]);
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error[E0505]: unknown table `clinicl`; did you mean `clinical`?\n"
        )
    );

    let (code, _, err) = run_cli(&["--db", db.to_str().unwrap(), "frobnicate"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
}

#[test]
fn a_second_process_gets_the_lock_error() {
    let (dir, _db) = clinical_db();
    let path = dir.path().join("test.rgdb");
    let rgdb = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rgdb"))
            .arg("--db")
            .arg(&path)
            .args(args)
            .output()
            .unwrap()
    };
    // Reading commands open read-only, beside this process's writer.
    let tables = rgdb(&["tables"]);
    assert_eq!(tables.status.code(), Some(0), "{tables:?}");
    let count = rgdb(&["--format", "csv", "-c", "SELECT count(*) FROM subjects"]);
    assert_eq!(String::from_utf8(count.stdout).unwrap(), "count(*)\n211\n");
    // A second writer is refused, naming the holder.
    let output = rgdb(&["-c", "DROP TABLE clinical"]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8(output.stderr).unwrap();
    let expected = format!(
        "error[E0501]: the database {} is open for writing by another process (pid {}, `",
        path.display(),
        std::process::id()
    );
    assert!(err.starts_with(&expected), "{err}");
    // So is a write in a read-only session, before it reads its input.
    let output = rgdb(&["--readonly", "-c", "DROP TABLE clinical"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "error[E0515]: the database {} is open read-only; it cannot be changed in this session. Open it without --readonly (or with `Database::open`) to write\n",
            path.display()
        )
    );
}

#[test]
fn demo_builds_the_cohort_and_prints_the_banner() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.rgdb");
    let (code, out, err) = run_cli(&["demo", path.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.contains("211 subjects; tables: clinical (211 rows × 45 columns)"),
        "{out}"
    );
    assert!(out.contains("DOI 10.7937/K9/TCIA.2017.7hs46erv"), "{out}");
    // Run again, it has nothing to do (the README's commands re-run).
    let (code, out, err) = run_cli(&["demo", path.to_str().unwrap()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.starts_with("the demo cohort is already built at "),
        "{out}"
    );
    // Another database there is never overwritten.
    let other = dir.path().join("other.rgdb");
    rgdb::Database::create(&other).unwrap();
    let (code, _, err) = run_cli(&["demo", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error[E0504]: a database already exists at "),
        "{err}"
    );
}

#[test]
fn without_db_the_demo_is_built_in_the_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let rgdb = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rgdb"));
        cmd.env("RGDB_HOME", home.path());
        cmd
    };
    // Empty input on stdin runs nothing and prints nothing, but the demo is built.
    let first = rgdb().output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(String::from_utf8(first.stdout).unwrap(), "");
    assert!(home.path().join("demo.rgdb").join("rgdb.redb").is_file());
    let tables = rgdb().arg("tables").output().unwrap();
    assert!(
        String::from_utf8(tables.stdout)
            .unwrap()
            .contains("│ clinical ")
    );
    let import = rgdb()
        .args(["import", "clinical", "x.csv"])
        .output()
        .unwrap();
    assert_eq!(import.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(import.stderr).unwrap(),
        "error: `import` needs --db PATH, the database to import into\n"
    );
}

/// `--create` makes a database in a directory that exists but is empty (a fresh temporary
/// directory, say), as `Database::create` does.
#[test]
fn create_accepts_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rgdb"))
        .args(["--db", &dir.path().display().to_string(), "--create"])
        .args(["-c", "SELECT count(*) AS n FROM subjects"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains("│ 0 │"));
    assert!(dir.path().join("rgdb.redb").is_file());
}

#[test]
fn statements_with_c_print_tables_or_csv_and_errors_exit_1() {
    let (dir, _db) = demo_db_closed();
    let db = dir.path().join("demo.rgdb");
    let db = db.to_str().unwrap();
    let (code, out, err) = run_cli(&[
        "--db",
        db,
        "-c",
        "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender",
    ]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "┌────────┬─────┐\n│ gender ┆   n │\n╞════════╪═════╡\n│ Female ┆  76 │\n│ Male   ┆ 135 │\n└────────┴─────┘\n2 rows\n"
    );
    let (code, out, _) = run_cli(&[
        "--db",
        db,
        "--format",
        "csv",
        "-c",
        "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender",
    ]);
    assert_eq!((code, out.as_str()), (0, "gender,n\nFemale,76\nMale,135\n"));
    let (code, out, _) = run_cli(&[
        "--db",
        db,
        "--format",
        "tsv",
        "-c",
        "SELECT count(*) AS n FROM subjects; SELECT 1 AS one FROM subjects LIMIT 1",
    ]);
    assert_eq!((code, out.as_str()), (0, "n\n211\none\n1\n"));
    let (code, out, err) = run_cli(&[
        "--db",
        db,
        "-c",
        "SELECT count(*) FROM subjects WHERE gendr = 'Male'",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error[E0202]: unknown column `gendr`; did you mean `gender`?\n --> line 1, column 37\n  |\n1 | SELECT count(*) FROM subjects WHERE gendr = 'Male'\n  |                                     ^^^^^\n"
    );
}

/// The demo cohort built at `<dir>/demo.rgdb` and closed again, for commands that open it.
fn demo_db_closed() -> (tempfile::TempDir, ()) {
    let dir = tempfile::tempdir().unwrap();
    drop(rgdb::demo::build(&dir.path().join("demo.rgdb")).unwrap());
    (dir, ())
}

/// The demo's embedded files are the files in `data/`, compressed. Run with
/// `RGDB_WRITE_EMBEDDED=1` after changing a file in `data/nsclc_radiogenomics/`.
#[test]
fn embedded_demo_files_match_the_data_folder() {
    for file in &rgdb::demo::FILES {
        let source =
            std::fs::read(root().join("data/nsclc_radiogenomics").join(file.name)).unwrap();
        let embedded = root()
            .join("data/embedded")
            .join(format!("{}.zst", file.name));
        if std::env::var_os("RGDB_WRITE_EMBEDDED").is_some() {
            std::fs::write(&embedded, zstd::bulk::compress(&source, 19).unwrap()).unwrap();
            continue;
        }
        assert_eq!(
            file.bytes().unwrap(),
            source,
            "{} differs from data/",
            file.name
        );
        assert!(
            file.compressed.len() * 2 < source.len(),
            "{} is not compressed",
            file.name
        );
    }
}

#[test]
fn a_demo_built_by_an_older_rgdb_is_rebuilt_on_open() {
    // An older demo: the clinical table only, and `series` imported as a generic table.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.rgdb");
    {
        let db = rgdb::Database::create(&path).unwrap();
        db.import_clinical(crate::common::clinical_csv()).unwrap();
        let options = rgdb::ingest::TableImport::new("series", "PatientID")
            .with_level(rgdb::storage::Level::Multi);
        db.import_table(
            crate::common::root().join("data/nsclc_radiogenomics/idc_series_manifest.csv"),
            &options,
        )
        .unwrap();
    }
    let db = rgdb::demo::open_or_build(&path, false).unwrap();
    let tables: Vec<(String, String)> = db
        .tables()
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.kind))
        .collect();
    for (name, kind) in rgdb::demo::TABLES {
        assert!(
            tables.contains(&(name.to_string(), kind.to_string())),
            "{name} ({kind}) in {tables:?}"
        );
    }
    assert!(!path.with_extension("rgdb-old").exists());
}

#[test]
fn a_demo_with_lower_cased_feature_names_is_rebuilt_on_open() {
    // The demo as older builds made it: every table, but the PyRadiomics names lower-cased (the radiomic table of tests/fixtures/radiomic-lowercase-v2.rgdb, which
    // such a build made).
    use rgdb::ingest::{ExpressionImport, ImportRequest, Orientation};
    let root = crate::common::root();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.rgdb");
    crate::common::old_fixture("radiomic-lowercase-v2.rgdb", &path);
    {
        let db = rgdb::Database::open(&path).unwrap();
        db.import_clinical(crate::common::clinical_csv()).unwrap();
        let data = root.join("data/nsclc_radiogenomics");
        db.import(&ImportRequest::Expression {
            path: data.join("rnaseq_fpkm_subset_130x140.tsv"),
            options: ExpressionImport::new("rnaseq").with_orientation(Orientation::SubjectsByGenes),
        })
        .unwrap();
        db.import(&ImportRequest::Series {
            path: data.join("idc_series_manifest.csv"),
        })
        .unwrap();
    }
    let db = rgdb::demo::open_or_build(&path, false).unwrap();
    let names = crate::common::column_names(&db, "radiomic");
    assert!(names.contains(&"original_shape_MeshVolume".to_string()));
    assert!(!names.contains(&"original_shape_meshvolume".to_string()));
    assert_eq!(db.table("radiomic").unwrap().rows, 60);
    // A current demo opens as it is.
    let version = db.version();
    drop(db);
    assert_eq!(
        rgdb::demo::open_or_build(&path, false).unwrap().version(),
        version
    );
}

#[test]
fn upgrade_needs_a_database_to_convert() {
    let (code, out, err) = run_cli(&["upgrade"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (2, "", "error: `upgrade` needs a PATH (or --db PATH)\n")
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run_cli(&["upgrade", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "error[E0503]: no rgdb database at {}\n",
            dir.path().display()
        )
    );
    // A sled database is converted, and says what it did.
    let copy = dir.path().join("v1.rgdb");
    crate::common::copy_dir(
        &crate::common::root().join("tests/fixtures/format-v1.rgdb"),
        &copy,
    );
    let (code, out, err) = run_cli(&["--db", copy.to_str().unwrap(), "upgrade"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.starts_with(&format!("converted {} from sled to redb: ", copy.display())),
        "{out}"
    );
    assert_eq!(run_cli(&["--db", copy.to_str().unwrap(), "check"]).0, 0);
}

/// A demo an rgdb before the storage change built (sled) is rebuilt, not refused with E0516:
/// it is rgdb's own, and `cargo run --release` must keep opening the REPL on it.
#[test]
fn a_demo_built_on_sled_is_rebuilt_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.rgdb");
    crate::common::copy_dir(
        &crate::common::root().join("tests/fixtures/format-v2.rgdb"),
        &path,
    );
    let db = rgdb::demo::open_or_build(&path, true).unwrap();
    assert!(db.is_read_only());
    assert_eq!(db.table("radiomic").unwrap().rows, 60);
    assert!(path.join("rgdb.redb").is_file());
    assert!(!path.join("db").exists());
    assert!(!path.with_extension("rgdb-old").exists());
}

#[test]
fn batch_output_carries_the_test_statistics_as_data() {
    // JSON: the groups and the test, both parseable.
    let (code, out, err) = run_cli(&[
        "--format",
        "json",
        "-c",
        "SURVIVAL OF subjects BY egfr_mutation_status",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["rows"][1]["median"],
        serde_json::Value::Null,
        "nulls are explicit"
    );
    let p = json["test"]["p"].as_f64().unwrap();
    assert!((p - 0.13653375748935873).abs() < 1e-12, "{p}");
    assert!((json["test"]["chisq"].as_f64().unwrap() - 3.98236677463652).abs() < 1e-9);
    // CSV stays one table; SURVIVAL TEST gives the test as CSV.
    let (code, out, err) = run_cli(&[
        "--format",
        "csv",
        "-c",
        "SURVIVAL TEST OF subjects BY egfr_mutation_status",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "test", "chisq", "df", "p", "groups", "n", "events", "dropped", "note"
        ]
    );
    let record = reader.records().next().unwrap().unwrap();
    assert_eq!(&record[0], "log-rank");
    let chisq: f64 = record[1].parse().unwrap();
    assert!((chisq - 3.98236677463652).abs() < 1e-9, "{chisq}");
    let (code, out, _) = run_cli(&[
        "--format",
        "csv",
        "-c",
        "SURVIVAL OF subjects BY egfr_mutation_status",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 4, "a header and three groups: {out}");
    // `--tests` prints the test table in its place: the same command gives chi-square and p.
    let (code, out, err) = run_cli(&[
        "--format",
        "csv",
        "--tests",
        "-c",
        "SURVIVAL OF subjects BY egfr_mutation_status",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let record = reader.records().next().unwrap().unwrap();
    let p: f64 = record[3].parse().unwrap();
    assert!((p - 0.13653375748935873).abs() < 1e-12, "{out}");
    let (_, out, _) = run_cli(&[
        "-csv",
        "--tests",
        "-c",
        "COX OF subjects ON age_at_histological_diagnosis, gender, pack_years",
    ]);
    assert!(
        out.starts_with("n,events,dropped,lr_chisq,lr_df,lr_p,wald_chisq"),
        "{out}"
    );
    assert!(
        out.contains(",0.6497055576002945,"),
        "the concordance, every digit: {out}"
    );
    // Markdown shows the test as a second table.
    let (_, out, _) = run_cli(&[
        "--format",
        "markdown",
        "-c",
        "COX OF subjects ON age_at_histological_diagnosis",
    ]);
    assert!(
        out.contains("\n\n| n | events | dropped | lr_chisq |"),
        "{out}"
    );
}

#[test]
fn duckdb_habits_on_the_command_line() {
    let (dir, _db) = demo_db();
    drop(_db);
    let path = dir.path().join("demo.rgdb");
    let path = path.to_str().unwrap();
    // `rgdb PATH -c …`, `rgdb PATH "…"`, and duckdb's single-dash flags.
    let (code, out, err) = run_cli(&[path, "-csv", "-c", "SELECT count(*) AS n FROM subjects"]);
    assert_eq!((code, out.as_str()), (0, "n\n211\n"), "{err}");
    let (code, out, err) = run_cli(&[path, "SELECT 2 * 3 AS x"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("│ 6 │"), "{out}");
    let (code, out, err) = run_cli(&["-json", "-readonly", "--db", path, "-s", "SELECT 1 AS a"]);
    assert_eq!((code, out.as_str()), (0, "[{\"a\":1}]\n"), "{err}");
    let (code, out, _) = run_cli(&[path, "-markdown", "-c", "SELECT '-json' AS flag"]);
    assert_eq!((code, out.as_str()), (0, "| flag |\n|---|\n| -json |\n"));
    let (code, out, _) = run_cli(&[path, "-line", "-c", "SELECT 1 AS a, 'x' AS b"]);
    assert_eq!((code, out.as_str()), (0, "a = 1\nb = x\n"));
    // Both a positional path and --db is a usage error, as is a statement without a path.
    let (code, _, err) = run_cli(&[path, "--db", path, "-c", "SELECT 1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("a database is given once: --db PATH or PATH"),
        "{err}"
    );
    // A missing database is named, and not created.
    let missing = dir.path().join("typo.rgdb");
    let (code, _, err) = run_cli(&[missing.to_str().unwrap(), "-c", "SELECT 1"]);
    assert_eq!(code, 1);
    assert!(err.contains("no rgdb database at"), "{err}");
    assert!(!missing.exists());
}

#[test]
fn a_script_error_names_the_file_and_line() {
    let (dir, db) = demo_db();
    drop(db);
    let db_path = dir.path().join("demo.rgdb");
    let script = dir.path().join("analysis.sql");
    std::fs::write(
        &script,
        "-- an analysis\nSELECT 1;\n\nSELECT\n  nosuch\nFROM subjects;\nSELECT 2;\n",
    )
    .unwrap();
    let (code, out, err) = run_cli(&[
        "--db",
        db_path.to_str().unwrap(),
        "-f",
        script.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(out.matches(" row").count(), 1, "stops at the error: {out}");
    let shown = script.display().to_string();
    assert_eq!(
        err,
        format!(
            "error[E0202]: unknown column `nosuch`\n --> {shown}:5:3\n  |\n5 |   nosuch\n  |   ^^^^^^\n"
        )
    );
    // A meta-command's error, and a file read by `.read`, name their own lines.
    let outer = dir.path().join("outer.sql");
    std::fs::write(
        &outer,
        format!("SELECT 1;\n.mode bogus\n.read {}\n", script.display()),
    )
    .unwrap();
    let (_, _, err) = run_cli(&[
        "--db",
        db_path.to_str().unwrap(),
        "-f",
        outer.to_str().unwrap(),
    ]);
    assert!(
        err.contains(&format!(
            "unknown mode `bogus`: use table, csv, tsv, json, markdown, line or columns\n --> {}:2",
            outer.display()
        )),
        "{err}"
    );
    let inner = dir.path().join("inner.sql");
    std::fs::write(&inner, format!("\n.read {}\n", script.display())).unwrap();
    let (_, _, err) = run_cli(&[
        "--db",
        db_path.to_str().unwrap(),
        "-f",
        inner.to_str().unwrap(),
    ]);
    assert!(err.contains(&format!(" --> {shown}:5:3\n")), "{err}");
}

/// Every subcommand's `--help` shows an example that names real files, and `import` never
/// falls back to the demo cohort.
#[test]
fn every_subcommand_help_has_an_example() {
    let commands: &[&[&str]] = &[
        &["import"],
        &["import", "clinical"],
        &["import", "table"],
        &["import", "expression"],
        &["import", "geo"],
        &["import", "aliases"],
        &["import", "radiomics"],
        &["import", "aim"],
        &["import", "dicom"],
        &["import", "series"],
        &["tables"],
        &["describe"],
        &["history"],
        &["check"],
        &["upgrade"],
        &["demo"],
        &["synth"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let (code, out, err) = run_cli(&args);
        assert_eq!(code, 0, "{command:?}: {err}");
        assert!(
            out.contains("Example"),
            "{command:?} has no example:\n{out}"
        );
        // The files an example names are in the checkout.
        for word in out.split_whitespace() {
            if word.starts_with("data/") || word.starts_with("tests/") {
                assert!(root().join(word).exists(), "{command:?} names {word}");
            }
        }
    }
    let (_, out, _) = run_cli(&["import", "--help"]);
    assert!(
        out.contains("an import never goes into the demo cohort"),
        "{out}"
    );
    let (code, _, err) = run_cli(&["import", "clinical", clinical_csv().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: `import` needs --db PATH, the database to import into\n"
    );
}
