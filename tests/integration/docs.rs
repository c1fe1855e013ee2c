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
