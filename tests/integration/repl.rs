//! The REPL driven with buffers, batch use of the binary (`-c`, `-f`, stdin, formats, exit
//! codes), and the real binary in a pseudo-terminal (completion, multi-line input, carets,
//! Ctrl-C, `.quit`).

use std::io::Write as _;
use std::process::{Command, Stdio};

use rgdb::repl::{Flow, Repl, Settings};

use crate::common::*;

fn repl() -> (tempfile::TempDir, Repl<Vec<u8>, Vec<u8>>) {
    let (dir, db) = demo_db();
    (
        dir,
        Repl::new(db, Vec::new(), Vec::new(), Settings::default()),
    )
}

fn take(repl: Repl<Vec<u8>, Vec<u8>>) -> (String, String) {
    let (out, err) = repl.into_writers();
    (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn statements_and_modes() {
    let (_dir, mut r) = repl();
    r.feed("SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender");
    r.feed(".mode csv");
    r.feed("SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender");
    r.feed(".mode json");
    r.feed("SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender");
    r.feed(".mode markdown");
    r.feed("SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender");
    r.feed(".mode line");
    r.feed("SELECT subject_id, os_days FROM subjects WHERE subject_id = 'AMC-001'");
    let (out, err) = take(r);
    assert_eq!(err, "");
    assert!(
        out.contains("│ Female ┆  76 │"),
        "numbers right-aligned: {out}"
    );
    assert!(out.contains("gender,n\nFemale,76\nMale,135\n"), "{out}");
    assert!(
        out.contains("[{\"gender\":\"Female\",\"n\":76},{\"gender\":\"Male\",\"n\":135}]"),
        "{out}"
    );
    assert!(
        out.contains("| gender | n |\n|---|---|\n| Female | 76 |\n| Male | 135 |\n"),
        "{out}"
    );
    assert!(
        out.contains("subject_id = AMC-001\n   os_days = 881\n"),
        "{out}"
    );
}

#[test]
fn long_results_are_cut_with_a_count_of_the_rest() {
    let (_dir, mut r) = repl();
    r.feed(".maxrows 3");
    r.feed("SELECT subject_id FROM subjects ORDER BY subject_id");
    let (out, _) = take(r);
    assert!(out.contains("│ AMC-003    │\n└"), "{out}");
    assert!(
        out.contains("… 208 more rows (.maxrows N to show more)\n211 rows\n"),
        "{out}"
    );
}

#[test]
fn errors_show_the_caret_and_the_suggestion() {
    let (_dir, mut r) = repl();
    r.feed("SELECT egfr_mutaton FROM subjects");
    assert_eq!(r.errors(), 1);
    let (out, err) = take(r);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error[E0202]: unknown column `egfr_mutaton`; did you mean `egfr_mutation_status`?\n --> line 1, column 8\n  |\n1 | SELECT egfr_mutaton FROM subjects\n  |        ^^^^^^^^^^^^\n"
    );
}

#[test]
fn meta_commands() {
    let (dir, mut r) = repl();
    let out_file = dir.path().join("out.csv");
    let script = dir.path().join("script.rgdb");
    std::fs::write(
        &script,
        ".mode csv\nSELECT count(*) AS n\n  FROM subjects\n  WHERE os_event;\n",
    )
    .unwrap();
    for line in [
        ".help",
        ".tables",
        ".cohorts",
        ".schema series",
        ".timer on",
        &format!(".output {}", out_file.display()),
        "SELECT count(*) AS n FROM subjects",
        ".output",
        ".timer off",
        &format!(".read {}", script.display()),
        ".plan SELECT count(*) FROM subjects",
        ".ast SELECT 1 FROM t",
        ".history",
        ".frobnicate",
    ] {
        assert_eq!(r.feed(line), Flow::Continue, "{line}");
    }
    assert_eq!(r.feed(".quit"), Flow::Quit);
    let (out, err) = take(r);
    assert!(out.contains(".schema [table]"), "{out}");
    assert!(
        out.contains("│ series   ┆ series     ┆ several rows per subject"),
        "{out}"
    );
    assert!(
        out.contains("│ source_doi             ┆ text    ┆     1722"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "┌─────┐\n│   n │\n╞═════╡\n│ 211 │\n└─────┘\n1 row\n"
    );
    assert!(out.contains("n\n63\n"), "{out}");
    assert!(out.contains("logical_plan"), "{out}");
    assert!(out.contains("Select(\n    Select {"), "{out}");
    assert!(out.contains("   1  .help\n"), "{out}");
    assert!(err.contains("time: "), "{err}");
    assert!(
        err.contains("error: unknown command `.frobnicate`; .help lists them"),
        "{err}"
    );
}

#[test]
fn import_statement_and_meta_command_share_one_path() {
    let (_dir, mut r) = repl();
    let csv = clinical_csv();
    r.feed(&format!(
        "IMPORT CLINICAL FROM '{}' AS clinical_again",
        csv.display()
    ));
    r.feed(&format!(
        ".import table visits {} 'Patient ID' multi",
        bad_input("clinical_duplicate_subject.csv").display()
    ));
    r.feed(".mode csv");
    r.feed("SELECT count(*) FROM clinical_again");
    r.feed("SELECT count(*) AS n FROM visits");
    r.feed("SHOW HISTORY");
    let (out, err) = take(r);
    assert_eq!(err, "");
    assert!(out.contains("created table `clinical_again`"), "{out}");
    assert!(out.contains("created table `visits`"), "{out}");
    assert!(out.contains("count(*)\n211\n"), "{out}");
    assert!(out.contains("n\n6\n"), "{out}");
    assert!(
        out.contains(&format!(
            "IMPORT CLINICAL FROM '{}' AS clinical_again",
            csv.display()
        )),
        "{out}"
    );
    assert!(
        out.contains("SUBJECT COLUMN 'Patient ID' LEVEL MULTI"),
        "{out}"
    );
}

fn rgdb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rgdb"))
}

fn demo_path() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.rgdb");
    drop(rgdb::demo::build(&path).unwrap());
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn batch_formats_and_exit_codes() {
    let (_dir, db) = demo_path();
    let q = "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender";
    let expected = [
        ("csv", "gender,n\nFemale,76\nMale,135\n"),
        ("tsv", "gender\tn\nFemale\t76\nMale\t135\n"),
        (
            "json",
            "[{\"gender\":\"Female\",\"n\":76},{\"gender\":\"Male\",\"n\":135}]\n",
        ),
        (
            "markdown",
            "| gender | n |\n|---|---|\n| Female | 76 |\n| Male | 135 |\n",
        ),
    ];
    for (format, want) in expected {
        let output = rgdb()
            .args(["--db", &db, "--format", format, "-c", q])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{format}");
        assert_eq!(String::from_utf8(output.stdout).unwrap(), want, "{format}");
    }
    let bad = rgdb()
        .args(["--db", &db, "-c", "SELECT nope FROM subjects"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8(bad.stderr)
            .unwrap()
            .starts_with("error[E0202]: unknown column `nope`")
    );
    let usage = rgdb()
        .args(["--db", &db, "--format", "xml", "-c", q])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let help = rgdb().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(
        help.contains(
            "Examples:\n  rgdb                                          REPL on the demo cohort"
        ),
        "{help}"
    );
    let version = rgdb().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap(),
        format!("rgdb {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn scripts_from_a_file_and_from_stdin() {
    let (dir, db) = demo_path();
    let script = dir.path().join("s.rgdb");
    std::fs::write(&script, "-- a script\nCREATE COHORT f AS\n  SELECT subject_id FROM subjects WHERE gender = 'Female';\n.mode csv\nSELECT count(*) AS n FROM f;\n").unwrap();
    let output = rgdb()
        .args(["--db", &db, "-f", script.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .ends_with("n\n76\n")
    );

    let mut child = rgdb()
        .args(["--db", &db, "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"SELECT count(*) AS n\nFROM f WHERE os_event;\nSELECT 1 AS one FROM subjects LIMIT 1;\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    // 10 of the 76 women died (Survival Status = Dead), as the clinical file says.
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "n\n10\none\n1\n");

    // The first error stops a script, with exit code 1.
    let mut child = rgdb()
        .args(["--db", &db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT nope FROM subjects;\nSELECT 1 AS one FROM subjects LIMIT 1;\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "");
}

mod terminal {
    //! The real binary in a pseudo-terminal.
    use rexpect::session::{PtySession, spawn_command};

    use super::*;

    fn start(db: &str, home: &std::path::Path) -> PtySession {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgdb"));
        cmd.args(["--db", db])
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env("RGDB_HISTORY", home.join("history"));
        let mut p = spawn_command(cmd, Some(30_000)).unwrap();
        p.exp_string("rgdb> ").unwrap();
        p
    }

    #[test]
    fn a_session() {
        let (dir, db) = demo_path();
        let mut p = start(&db, dir.path());
        // A query and its table.
        p.send_line("SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender;")
            .unwrap();
        p.exp_string("Female").unwrap();
        p.exp_string("2 rows").unwrap();
        // A SELECT without FROM.
        p.send_line("SELECT 6 * 7 AS answer;").unwrap();
        p.exp_string("     42 ").unwrap();
        p.exp_string("1 row").unwrap();
        // Tab completes a column name.
        p.send("SELECT egfr_m").unwrap();
        p.flush().unwrap();
        p.send("\t").unwrap();
        p.flush().unwrap();
        p.exp_string("egfr_mutation_status").unwrap();
        p.send_line(" FROM subjects LIMIT 1;").unwrap();
        p.exp_string("1 row").unwrap();
        // A statement over three lines runs only at its `;`: the lines before get the
        // continuation prompt, even where they would parse on their own.
        p.send_line("SELECT count(*) AS deaths").unwrap();
        p.exp_string("  ... ").unwrap();
        p.send_line("FROM subjects").unwrap();
        p.exp_string("  ... ").unwrap();
        p.send_line("WHERE os_event;").unwrap();
        p.exp_string("63").unwrap();
        p.exp_string("rgdb> ").unwrap();
        // Tab completes on a continuation line.
        p.send_line("SELECT count(*) AS n FROM subjects").unwrap();
        p.exp_string("  ... ").unwrap();
        p.send("WHERE kras_m").unwrap();
        p.flush().unwrap();
        p.send("\t").unwrap();
        p.flush().unwrap();
        p.exp_string("kras_mutation_status").unwrap();
        p.send_line(" = 'Mutant';").unwrap();
        p.exp_string("1 row").unwrap();
        // Ctrl-C drops a statement being typed.
        p.send_line("SELECT nonsense").unwrap();
        p.exp_string("  ... ").unwrap();
        p.send_control('c').unwrap();
        p.exp_string("rgdb> ").unwrap();
        // A meta-command ends at its line.
        p.send_line(".mode csv").unwrap();
        p.exp_string("rgdb> ").unwrap();
        p.send_line("SELECT 6 * 7 AS answer FROM subjects LIMIT 1;")
            .unwrap();
        // CSV, not a table: the header line, then the value.
        p.exp_string("answer\r\n42").unwrap();
        p.exp_string("rgdb> ").unwrap();
        p.send_line(".mode table").unwrap();
        p.exp_string("rgdb> ").unwrap();
        // `SELECT 1` prints 1: a header `1`, the value 1, one row (rexpect reads the box
        // characters as Latin-1, so the ASCII around the digit is matched).
        p.send_line("SELECT 1;").unwrap();
        p.exp_string(" 1 ").unwrap();
        p.exp_string(" 1 ").unwrap();
        p.exp_string("1 row").unwrap();
        p.exp_string("rgdb> ").unwrap();
        // A wrong column: the caret and the suggestion.
        p.send_line("SELECT gendr FROM subjects;").unwrap();
        p.exp_string("did you mean `gender`?").unwrap();
        p.exp_string("^^^^^").unwrap();
        p.send_line(".quit").unwrap();
        p.exp_eof().unwrap();
        // History keeps each statement whole, the three-line one included.
        let history = std::fs::read_to_string(dir.path().join("history")).unwrap();
        assert!(history.contains("SELECT gendr FROM subjects;"), "{history}");
        // rustyline writes an entry's line breaks as `\n`: one entry, not three.
        assert!(
            history.contains(r"SELECT count(*) AS deaths\nFROM subjects\nWHERE os_event;"),
            "{history}"
        );
        assert!(!history.contains("SELECT nonsense"), "{history}");
    }

    /// A session in a terminal `cols` characters wide (`stty`, then the binary).
    fn start_sized(db: &str, home: &std::path::Path, cols: u16) -> PtySession {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!("stty cols {cols} rows 60 && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_rgdb"),
            "--db",
            db,
        ])
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("RGDB_HISTORY", home.join("history"));
        let mut p = spawn_command(cmd, Some(30_000)).unwrap();
        p.exp_string("rgdb> ").unwrap();
        p
    }

    /// What the terminal shows for one statement: its output lines, without the echoed input
    /// and the line editor's escape sequences.
    fn shown(p: &mut PtySession, statement: &str) -> Vec<String> {
        p.send_line(statement).unwrap();
        let text = p.exp_string("rgdb> ").unwrap();
        // rexpect reads the bytes as Latin-1: back to bytes, then UTF-8.
        let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let escapes = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r").unwrap();
        let text = escapes.replace_all(&text, "");
        text.lines()
            .filter(|l| !l.contains(statement) && !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    /// A result wider than the terminal shows the columns that fit and says how many there
    /// are; no line is wider than the terminal, so none is wrapped.
    #[test]
    fn wide_results_fit_the_terminal() {
        let (dir, db) = demo_path();
        let mut p = start_sized(&db, dir.path(), 120);
        let lines = shown(&mut p, "SELECT clinical.* FROM subjects LIMIT 3;");
        assert!(lines.len() <= 15, "{} lines: {lines:#?}", lines.len());
        for line in &lines {
            assert!(line.chars().count() <= 120, "too wide: {line}");
        }
        let footer = lines.last().unwrap();
        assert!(
            footer.starts_with("3 rows, 45 columns (") && footer.contains(" shown;"),
            "{footer}"
        );
        assert!(
            lines[1].contains("┆ … ┆"),
            "the left-out columns: {}",
            lines[1]
        );
        // `.columns` shows every column, one line each.
        shown(&mut p, ".columns");
        let lines = shown(&mut p, "SELECT clinical.* FROM subjects LIMIT 3;");
        assert!(
            lines.iter().any(|l| l.contains("│ pack_years ")),
            "{lines:#?}"
        );
        assert_eq!(lines.last().unwrap(), "3 rows, 45 columns");
        p.send_line(".quit").unwrap();
        p.exp_eof().unwrap();

        // A COX table at 100 columns: the numbers are whole and no line is wrapped.
        let mut p = start_sized(&db, dir.path(), 100);
        let lines = shown(
            &mut p,
            "COX OF subjects ON age_at_histological_diagnosis, gender, pack_years;",
        );
        for line in &lines {
            assert!(line.chars().count() <= 100, "too wide: {line}");
        }
        let text = lines.join("\n");
        for number in [
            "0.02407392",
            "1.266445",
            "-0.006160441",
            "0.00859",
            "0.6497055576002945",
        ] {
            assert!(text.contains(number), "{number} whole: {text}");
        }
        assert!(text.contains("concordance"), "{text}");
        p.send_line(".quit").unwrap();
        p.exp_eof().unwrap();
    }

    /// A CORRELATE on a terminal shows a bar with the fraction of pairs done, on one line that
    /// fits the terminal, its statement cut between words.
    #[test]
    fn a_long_statement_shows_a_bar_with_the_fraction_done() {
        let (_dir, db) = demo_path();
        let statement = "SELECT count(*) AS pairs FROM (CORRELATE radiomic.* WITH rnaseq.* METHOD spearman ADJUST bh)";
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "stty cols 80 rows 40 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_rgdb"),
            "--db",
            &db,
            "-c",
            statement,
        ])
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .env("RGDB_PROGRESS_AFTER_MS", "0");
        let mut p = spawn_command(cmd, Some(60_000)).unwrap();
        let text = p.exp_eof().unwrap();
        let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let escapes = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap();
        let text = escapes.replace_all(&text, "");
        let frames: Vec<&str> = text
            .split(['\r', '\n'])
            .filter(|f| f.contains("/246960 pairs"))
            .collect();
        assert!(!frames.is_empty(), "no bar: {text}");
        for frame in &frames {
            assert!(
                frame.trim_end().chars().count() <= 80,
                "wider than the terminal: {frame}"
            );
            assert!(frame.starts_with('[') && frame.contains("% "), "{frame}");
            // The statement is cut after a whole word.
            let shown = frame.trim_end().split_once(" pairs ").unwrap().1;
            match shown.strip_suffix('…') {
                Some(start) => assert!(
                    statement.starts_with(start) && statement[start.len()..].starts_with(' '),
                    "cut inside a word: {frame}"
                ),
                None => assert_eq!(shown, statement),
            }
        }
        assert!(text.contains("246960"), "the count printed: {text}");
    }

    /// History is written after each statement: a terminal killed mid-session keeps it.
    #[test]
    fn history_survives_a_killed_terminal() {
        let (dir, db) = demo_path();
        let mut p = start(&db, dir.path());
        p.send_line("SELECT count(*) AS survivors FROM subjects WHERE NOT os_event;")
            .unwrap();
        p.exp_string("1 row").unwrap();
        p.exp_string("rgdb> ").unwrap();
        p.process_mut()
            .kill(nix::sys::signal::Signal::SIGKILL)
            .unwrap();
        let history = std::fs::read_to_string(dir.path().join("history")).unwrap();
        assert!(
            history.contains("SELECT count(*) AS survivors FROM subjects WHERE NOT os_event;"),
            "{history}"
        );
    }

    #[test]
    fn ctrl_c_cancels_a_running_query_and_keeps_the_repl() {
        let (dir, db) = demo_path();
        // A table big enough that sorting it takes seconds in a debug build.
        let csv = dir.path().join("big.csv");
        let mut text = String::from("id,x,y\n");
        for i in 0..2_000_000u64 {
            text += &format!("S{},{},{}\n", i % 211, (i * 7919) % 1_000_003, i % 97);
        }
        std::fs::write(&csv, text).unwrap();
        {
            let database = rgdb::Database::open(&db).unwrap();
            let options =
                rgdb::ingest::TableImport::new("big", "id").with_level(rgdb::storage::Level::Multi);
            database.import_table(&csv, &options).unwrap();
        }
        let mut p = start(&db, dir.path());
        // Press Ctrl-C every 50 ms while the query runs. A press that lands before the statement
        // starts is, by design, not carried over to it, and on a fast machine the query may
        // finish first: then it is sent again.
        let query = "SELECT x, y, x * 31 % 9973 AS k FROM big ORDER BY k, y DESC, x LIMIT 1;";
        let pause = std::time::Duration::from_millis(50);
        let mut cancelled = false;
        'attempts: for _ in 0..20 {
            p.send_line(query).unwrap();
            let mut seen = String::new();
            for _ in 0..400 {
                std::thread::sleep(pause);
                p.send_control('c').unwrap();
                while let Some(c) = p.try_read() {
                    seen.push(c);
                }
                if seen.contains("error[E0307]: query cancelled") {
                    cancelled = true;
                    break 'attempts;
                }
                if seen.contains("1 row") {
                    continue 'attempts;
                }
            }
        }
        assert!(cancelled, "no Ctrl-C press cancelled the query");
        // Let the last presses reach the prompt (rustyline reads them as keys), then go on:
        // input typed while the terminal switches mode would be dropped.
        std::thread::sleep(std::time::Duration::from_millis(500));
        while p.try_read().is_some() {}
        p.send_line("SELECT count(*) AS n FROM clinical;").unwrap();
        p.exp_string("211").unwrap();
        p.send_control('d').unwrap();
        p.exp_eof().unwrap();
    }

    /// The REPL on the demo (no `--db`) falls back to read-only beside a writer too.
    #[test]
    fn the_demo_session_beside_a_writer_is_read_only() {
        let home = tempfile::tempdir().unwrap();
        let demo = home.path().join("demo.rgdb");
        drop(rgdb::demo::build(&demo).unwrap());
        let writer = rgdb::Database::open(&demo).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgdb"));
        cmd.env("RGDB_HOME", home.path())
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env("RGDB_HISTORY", home.path().join("history"));
        let mut p = spawn_command(cmd, Some(30_000)).unwrap();
        p.exp_string("this session is read-only and sees each version it commits")
            .unwrap();
        p.exp_string("rgdb> ").unwrap();
        p.send_line("SELECT count(*) AS n FROM subjects;").unwrap();
        p.exp_string("211").unwrap();
        p.send_line(".quit").unwrap();
        p.exp_eof().unwrap();
        drop(writer);
    }

    /// An interactive session on a database another process is writing opens read-only,
    /// says so, follows that writer, and refuses writes with E0515.
    #[test]
    fn a_session_beside_a_writer_is_read_only() {
        let (dir, db) = demo_path();
        let writer = rgdb::Database::open(&db).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rgdb"));
        cmd.args(["--db", &db])
            .env("TERM", "xterm")
            .env("NO_COLOR", "1")
            .env("RGDB_HISTORY", dir.path().join("history"));
        let mut p = spawn_command(cmd, Some(30_000)).unwrap();
        p.exp_string(&format!(
            "note: another process (pid {}, ",
            std::process::id()
        ))
        .unwrap();
        p.exp_string("this session is read-only and sees each version it commits")
            .unwrap();
        p.exp_string("rgdb> ").unwrap();
        writer
            .execute("CREATE COHORT dead AS SELECT subject_id FROM subjects WHERE os_event")
            .unwrap();
        p.send_line("SELECT count(*) AS n FROM dead;").unwrap();
        p.exp_string("63").unwrap();
        p.send_line("DROP COHORT dead;").unwrap();
        p.exp_string("error[E0515]: the database").unwrap();
        p.exp_string("is open read-only").unwrap();
        p.send_line(".quit").unwrap();
        p.exp_eof().unwrap();
    }
}

#[test]
fn scripts_handle_comments_meta_lines_and_errors_in_later_statements() {
    let (dir, mut r) = repl();
    let script = "-- analysis\n.mode csv\nSELECT count(*) AS n FROM subjects  -- no semicolon\n.mode tsv\n/* a block\n   comment */ SELECT 1 AS one FROM subjects LIMIT 1;\n";
    assert!(r.run_script(script));
    // A file that reads itself stops, with an error.
    let selfish = dir.path().join("self.rgdb");
    std::fs::write(&selfish, format!(".read {}\n", selfish.display())).unwrap();
    r.feed(&format!(".read {}", selfish.display()));
    // An error in the second statement is drawn under the second statement.
    r.feed(".mode table");
    r.feed("SELECT 1 AS one FROM subjects LIMIT 1; SELECT gendr\n  FROM subjects");
    // Pasted lines: each meta-command stands alone.
    r.feed(".mode csv\nSELECT count(*) AS m FROM subjects WHERE os_event;");
    r.feed(".plan IMPORT CLINICAL FROM 'x.csv'");
    let (out, err) = take(r);
    assert!(out.starts_with("n\n211\none\n1\n"), "{out}");
    assert!(out.contains("m\n63\n"), "{out}");
    assert!(err.contains("nests more than 16 files deep"), "{err}");
    assert!(
        err.contains("error[E0202]: unknown column `gendr`; did you mean `gender`?\n --> line 1, column 47\n  |\n1 | SELECT 1 AS one FROM subjects LIMIT 1; SELECT gendr\n  |                                               ^^^^^\n"),
        "{err}"
    );
    assert!(
        err.contains("error[E0308]: only statements that read"),
        "{err}"
    );
}

#[test]
fn an_unterminated_comment_is_incomplete_input() {
    assert!(!rgdb::repl::is_complete("SELECT 1 /* still typing"));
    assert!(rgdb::repl::is_complete("SELECT 1 FROM t /* done */"));
    assert!(!rgdb::repl::is_complete("SELECT count(*) FROM"));
    assert!(rgdb::repl::is_complete(".tables"));
    let err = rgdb::syntax::parse_statement("SELECT 1 /* x").unwrap_err();
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("E0107", "unterminated /* comment")
    );
}

#[test]
fn an_empty_csv_export_still_has_its_header() {
    let (dir, db) = demo_db();
    let path = dir.path().join("none.csv");
    db.execute(&format!("EXPORT (SELECT subject_id, gender FROM subjects WHERE age_at_histological_diagnosis > 200) TO '{}'", path.display())).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "subject_id,gender\n"
    );
}

#[test]
fn usage_errors_and_failed_imports_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.rgdb");
    let output = rgdb()
        .args([
            "--db",
            db.to_str().unwrap(),
            "import",
            "clinical",
            "missing.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .starts_with("error[E0401]: missing.csv: cannot read the file")
    );
    assert!(!db.exists(), "a failed import created a database");
    let both = rgdb()
        .args(["-c", "SELECT 1 FROM subjects", "tables"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    let demo = dir.path().join("demo.rgdb");
    std::fs::create_dir(&demo).unwrap();
    let output = rgdb()
        .args(["demo", demo.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("demo.rgdb")]);
}
