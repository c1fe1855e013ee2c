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
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
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
    }
    assert!(missing.is_empty(), "not in docs/errors.md: {missing:?}");
}
