//! Every example in `docs/language.md` runs, in order, against the demo cohort: blocks fenced
//! as `rgdb` must succeed, blocks fenced as `rgdb-error` must fail.

use crate::common::*;

/// `(fence, body, line)` of every rgdb block.
fn blocks(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```rgdb") => {
                current = Some((
                    l.trim_start_matches("```").to_string(),
                    String::new(),
                    n + 1,
                ));
            }
            (Some(_), "```") => out.push(current.take().unwrap()),
            (Some((_, body, _)), l) => {
                body.push_str(l);
                body.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_language_example_runs() {
    let doc = std::fs::read_to_string(root().join("docs/language.md")).unwrap();
    let examples = blocks(&doc);
    assert!(
        examples.len() >= 12,
        "only {} examples found",
        examples.len()
    );
    let (dir, db) = demo_db();
    let out = dir.path().display().to_string();
    for (fence, body, line) in examples {
        // Exports go to the temporary directory, not the working directory.
        let body = body.replace("TO '", &format!("TO '{out}/"));
        let result = db.run_script(&body);
        match fence.as_str() {
            "rgdb" => {
                if let Err(e) = result {
                    panic!("docs/language.md:{line}: {}", e.render(&body));
                }
            }
            "rgdb-error" => assert!(
                result.is_err(),
                "docs/language.md:{line} should fail:\n{body}"
            ),
            other => panic!("docs/language.md:{line}: unknown fence {other}"),
        }
    }
    assert!(dir.path().join("adeno_smokers.parquet").exists());
}

/// Every error code the source can return has its row in `docs/errors.md` (an earlier commit
/// emptied that file by accident; this keeps it whole).
#[test]
fn every_error_code_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/errors.md")).unwrap();
    let mut missing = Vec::new();
    for path in files_under(&root().join("src")) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (at, _) in text.match_indices("\"E0") {
            let code = &text[at + 1..(at + 6).min(text.len())];
            if code[1..].bytes().all(|b| b.is_ascii_digit())
                && !doc.contains(&format!("| {code} |"))
                && !missing.contains(&code.to_string())
            {
                missing.push(code.to_string());
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/errors.md: {missing:?}");
}

/// The fenced blocks of `text` opened with exactly this fence (`text`, `sh`), as written.
fn fenced<'a>(text: &'a str, fence: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in text.lines() {
        match (&mut current, line.trim()) {
            (None, l) if l == format!("```{fence}") => current = Some(Vec::new()),
            (Some(_), "```") => out.extend(current.take()),
            (Some(body), _) => body.push(line),
            _ => {}
        }
    }
    out
}

/// The README's tour (the REPL session) and its shell examples (every `sh` block made only of
/// `rgdb` commands, but the synthetic cohort's, which builds 10,000 subjects), run as a new user
/// would, twice in a row in the same place: each run must succeed and print no error. The
/// files they name are the checkout's (`data/`, `tests/`), and the demo is built under a
/// temporary `RGDB_HOME`.
#[test]
fn the_readme_runs_twice() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let tour: Vec<&str> = fenced(&readme, "text")
        .into_iter()
        .flatten()
        .filter_map(|l| l.strip_prefix("rgdb> "))
        .collect();
    assert!(tour.len() >= 5, "the tour: {tour:?}");
    let shell: Vec<String> = fenced(&readme, "sh")
        .into_iter()
        .filter(|block| {
            block
                .iter()
                .filter(|l| !l.trim().is_empty() && !l.starts_with(' '))
                .all(|l| l.starts_with("rgdb ") && !l.starts_with("rgdb synth"))
                && !block.iter().any(|l| l.contains("big.rgdb"))
        })
        .map(|block| block.join("\n"))
        .collect();
    assert!(shell.len() >= 2, "the shell examples: {shell:#?}");
    let dir = tempfile::tempdir().unwrap();
    for name in ["data", "tests"] {
        std::os::unix::fs::symlink(root().join(name), dir.path().join(name)).unwrap();
    }
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_rgdb"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |mut cmd: std::process::Command, input: Option<String>| {
        cmd.current_dir(dir.path())
            .env("RGDB_HOME", dir.path().join("home"))
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        if let Some(text) = input {
            use std::io::Write;
            let mut stdin = stdin;
            stdin.write_all(text.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    for round in 1..=2 {
        let output = run(std::process::Command::new(bin), Some(tour.join("\n")));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "round {round} of the tour: {stderr}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("log-rank"), "round {round}: {stdout}");
        for block in &shell {
            let mut sh = std::process::Command::new("sh");
            sh.args(["-ec", block]);
            let output = run(sh, None);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && !stderr.contains("error"),
                "round {round} of\n{block}\n{stderr}"
            );
        }
    }
    assert!(dir.path().join("adeno_smokers.parquet").exists());
    assert!(dir.path().join("km.png").exists());
    assert!(dir.path().join("my.rgdb").exists());
}
