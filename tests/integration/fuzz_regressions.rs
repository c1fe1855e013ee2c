//! Every input a fuzzer (`fuzz/`) found a crash with, run through the same check as its
//! target, so that the bug stays fixed. The inputs are in `tests/fuzz_regressions/<target>/`.

use crate::common::root;

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = root().join("tests/fuzz_regressions").join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `parse`: what parses prints back to text that parses to the same tree.
#[test]
fn parse_crashes_stay_fixed() {
    let found = inputs("parse");
    assert!(!found.is_empty());
    for (name, data) in found {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(statements) = rgdb::syntax::parse_statements(text) {
            for statement in statements {
                let printed = statement.to_string();
                let again = rgdb::syntax::parse_statement(&printed)
                    .unwrap_or_else(|e| panic!("{name}: {printed}: {e}"));
                assert_eq!(again, statement, "{name}: {printed}");
            }
        }
    }
    // The first find: `ADJUST BY` printed as `ADJUST "by"`.
    let statement = rgdb::syntax::parse_statement("CORRELATE a WITH b ADJUST BY").unwrap();
    assert_eq!(statement.to_string(), "CORRELATE a WITH b ADJUST BY");
}

/// `python_literal`: any text is read or refused, never a panic.
#[test]
fn python_literal_crashes_stay_fixed() {
    let found = inputs("python_literal");
    assert!(!found.is_empty());
    for (_, data) in found {
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = rgdb::ingest::parse_python_literal(text);
        }
    }
    // The first find: a backslash before a multi-byte character.
    // Python keeps an unknown escape as written: backslash, then the character.
    let read = rgdb::ingest::parse_python_literal("'a\\\u{664}b'").unwrap();
    assert_eq!(read, serde_json::Value::String("a\\\u{664}b".into()));
}
