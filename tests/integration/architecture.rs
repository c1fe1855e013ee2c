//! The direction of imports between the crate's modules (issue 24): a module may use only the
//! modules below it. The layers are written here once, and in `docs/ARCHITECTURE.md`
//! ("Allowed directions"), which this test also checks.
//!
//! Every `crate::<module>` path outside comments and `#[cfg(test)]` blocks counts: `use`
//! lines and paths written inline alike. `crate::Error`, `crate::Result`, `crate::Database`
//! and `crate::Config` are the modules that define them.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::root;

/// The layers, lowest first. A module imports only modules of lower layers.
const LAYERS: &[&[&str]] = &[
    &["parallel", "progress", "embedded", "digest"],
    &["syntax", "storage", "radiomics"],
    &["diagnostic", "ingest", "stats"],
    &["plot"],
    &["resolve"],
    &["plan"],
    &["exec"],
    &["synth"],
    &["config", "error"],
    &["session"],
    &["database"],
    &["demo"],
    &["repl"],
    &["cli"],
];

/// Imports that break the layers today, each named with why it remains and what removes it.
/// The list may only shrink: an import that is not here fails the test, and so does an entry
/// that no longer happens.
const KNOWN: &[(&str, &str, &str)] = &[];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The module a `crate::` path names.
fn module_of(name: &str) -> &str {
    match name {
        "Error" | "Result" => "error",
        "Database" | "BatchIter" | "CATALOG" | "SCHEMA" => "database",
        "Config" => "config",
        other => other,
    }
}

/// `(from, to) → files`: every import of one module by another.
fn imports() -> BTreeMap<(String, String), BTreeSet<String>> {
    let src = root().join("src");
    let mut found: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let names = regex::Regex::new(r"crate::(\w+)").unwrap();
    let groups = regex::Regex::new(r"use crate::\{([^}]*)\}").unwrap();
    for path in crate::common::files_under(&src) {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let from = relative
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if matches!(from.as_str(), "lib" | "main") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let text = match text.find("#[cfg(test)]") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut targets: Vec<String> = names
            .captures_iter(&code)
            .map(|c| c[1].to_string())
            .collect();
        for group in groups.captures_iter(&code) {
            targets.extend(
                group[1]
                    .split(',')
                    .filter_map(|t| t.trim().split("::").next().map(str::to_string))
                    .filter(|t| !t.is_empty()),
            );
        }
        for to in targets {
            let to = module_of(&to).to_string();
            if to != from {
                found
                    .entry((from.clone(), to))
                    .or_default()
                    .insert(relative.clone());
            }
        }
    }
    found
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let mut wrong = Vec::new();
    let mut seen_known = BTreeSet::new();
    for ((from, to), files) in imports() {
        let (Some(a), Some(b)) = (layer(&from), layer(&to)) else {
            wrong.push(format!(
                "`{from}` or `{to}` is in no layer: add it to LAYERS here and in docs/ARCHITECTURE.md"
            ));
            continue;
        };
        if b < a {
            continue;
        }
        if KNOWN.iter().any(|(f, t, _)| *f == from && *t == to) {
            seen_known.insert((from.clone(), to.clone()));
            continue;
        }
        wrong.push(format!(
            "`{from}` imports `{to}`, which is {} it ({})",
            if a == b { "beside" } else { "above" },
            files.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for (from, to, _) in KNOWN {
        if !seen_known.contains(&(from.to_string(), to.to_string())) {
            wrong.push(format!(
                "`{from}` no longer imports `{to}`: remove it from KNOWN"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// docs/ARCHITECTURE.md states the same layers, in the same order.
#[test]
fn the_architecture_document_states_the_layers() {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("## Allowed directions")
        .nth(1)
        .expect("docs/ARCHITECTURE.md has a section \"Allowed directions\"");
    let listed: Vec<Vec<String>> = section
        .lines()
        .skip_while(|l| !l.starts_with("| layer"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.split('|')
                .nth(2)
                .unwrap_or("")
                .split(',')
                .map(|m| m.trim().trim_matches('`').to_string())
                .filter(|m| !m.is_empty())
                .collect()
        })
        .collect();
    let expected: Vec<Vec<String>> = LAYERS
        .iter()
        .rev()
        .map(|l| l.iter().map(|m| m.to_string()).collect())
        .collect();
    assert_eq!(
        listed, expected,
        "the table in docs/ARCHITECTURE.md, top layer first"
    );
}
