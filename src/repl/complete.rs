//! Tab completion: keywords, tables, cohorts, columns (gene and feature names included), and
//! after `table.` the columns of that table. The index is built from the catalog on the first
//! Tab after each change and answers by binary search, so 20,000 names cost microseconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::resolve::functions;
use crate::storage::Snapshot;
use crate::syntax::RESERVED;

/// Words that start or shape statements, besides the reserved words.
const WORDS: &[&str] = &[
    "CREATE",
    "COHORT",
    "DROP",
    "SHOW",
    "TABLES",
    "COHORTS",
    "COLUMNS",
    "HISTORY",
    "DESCRIBE",
    "EXPLAIN",
    "EXPORT",
    "IMPORT",
    "CLINICAL",
    "TABLE",
    "SUBJECT",
    "COLUMN",
    "LEVEL",
    "MULTI",
    "FORMAT",
    "OVERWRITE",
    "LONG",
    "PARTITION",
    "COMPRESSION",
    "REFRESH",
    "VACUUM",
    "KEEP",
    "VERSION",
    "FIRST",
    "LAST",
    "DATE",
    "IF",
    "EXISTS",
    "EXPRESSION",
    "GEO",
    "ALIASES",
    "RADIOMICS",
    "AIM",
    "DICOM",
    "SERIES",
    "TEMPLATE",
    "PATTERN",
    "SKIP",
    "BAD",
    "SURVIVAL",
    "CURVE",
    "TEST",
    "WITH",
    "OVER",
    "PARTITION",
    "REPLACE",
    "OF",
    "TIME",
    "EVENT",
    "SPLIT",
    "MEDIAN",
    "QUANTILES",
    "COX",
    "ON",
    "subjects",
    "subject_id",
];

/// Sorted completion candidates, found by lower-case prefix.
#[derive(Debug, Default)]
pub struct Words {
    /// `(lower-case key, text to insert)`, sorted by key.
    entries: Vec<(String, String)>,
}

impl Words {
    fn new(mut entries: Vec<(String, String)>) -> Self {
        entries.sort();
        entries.dedup();
        Words { entries }
    }

    /// Up to `limit` candidates starting with `prefix` (case-insensitive).
    pub fn starting_with(&self, prefix: &str, limit: usize) -> Vec<&str> {
        let key = prefix.to_lowercase();
        let start = self
            .entries
            .partition_point(|(k, _)| k.as_str() < key.as_str());
        self.entries[start..]
            .iter()
            .take_while(|(k, _)| k.starts_with(&key))
            .take(limit)
            .map(|(_, text)| text.as_str())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Everything completion knows about one version of the catalog.
#[derive(Debug, Default)]
pub struct Index {
    /// Keywords, functions, tables, cohorts and every column name.
    pub all: Words,
    /// Columns of each table.
    pub columns: HashMap<String, Words>,
}

/// Writes a name so that it parses: bare when it can be, double-quoted otherwise.
pub fn as_identifier(name: &str) -> String {
    let bare = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name));
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

impl Index {
    /// Reads the names of every table, cohort and column of `snapshot`.
    pub fn build(snapshot: &Snapshot) -> Index {
        let word = |text: String| (text.to_lowercase(), text);
        let mut all: Vec<(String, String)> = RESERVED
            .iter()
            .chain(WORDS)
            .map(|w| word(w.to_string()))
            .chain(functions::NAMES.iter().map(|(n, _)| word(format!("{n}("))))
            .chain(
                functions::WINDOW_NAMES
                    .iter()
                    .map(|(n, _)| word(format!("{n}("))),
            )
            .collect();
        let mut columns = HashMap::new();
        for table in snapshot.tables().unwrap_or_default() {
            all.push((table.name.clone(), as_identifier(&table.name)));
            let names: Vec<(String, String)> = snapshot
                .columns(&table)
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    let text = as_identifier(&c.name);
                    (c.name.to_lowercase(), text)
                })
                .collect();
            for (key, text) in &names {
                all.push((key.clone(), text.clone()));
            }
            columns.insert(table.name.clone(), Words::new(names));
        }
        for cohort in snapshot.cohorts().unwrap_or_default() {
            all.push(word(cohort.name));
        }
        Index {
            all: Words::new(all),
            columns,
        }
    }

    /// Candidates for the word ending at `pos` in `line`: `(start of the word, candidates)`.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        const LIMIT: usize = 200;
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
        let word = &before[start..];
        if let Some((table, partial)) = word.rsplit_once('.') {
            let Some(columns) = self.columns.get(&table.to_lowercase()) else {
                return (pos, Vec::new());
            };
            let found = columns
                .starting_with(partial, LIMIT)
                .into_iter()
                .map(|c| format!("{table}.{c}"))
                .collect();
            return (start, found);
        }
        let found = self
            .all
            .starting_with(word, LIMIT)
            .into_iter()
            .map(str::to_string)
            .collect();
        (start, found)
    }
}

/// The completion index of the current version, built on demand.
#[derive(Debug, Clone, Default)]
pub struct Completions {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// Whether anything completes: only an interactive session does, so a script never
    /// builds the index.
    enabled: bool,
    /// The version the index is for.
    version: Option<u64>,
    /// The snapshot to build it from, held only until it is built: a snapshot is a read
    /// transaction, and a long-lived one keeps the writer from reusing freed pages and
    /// from compacting the file.
    snapshot: Option<Snapshot>,
    index: Option<Arc<Index>>,
    /// Threads building an index that may not have finished.
    building: Vec<std::thread::JoinHandle<()>>,
}

impl Completions {
    /// Points completion at a (new) version and rebuilds the index in the background, so that
    /// it is ready before the next Tab (a Tab that comes first builds it itself). `take` is
    /// called only when completion is on (an interactive session): a script pins no snapshot.
    pub fn update(&self, take: impl FnOnce() -> Snapshot) {
        let snapshot = {
            let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            if !state.enabled {
                return;
            }
            let snapshot = take();
            if state.version == Some(snapshot.version()) {
                return;
            }
            state.version = Some(snapshot.version());
            state.snapshot = Some(snapshot.clone());
            state.index = None;
            snapshot
        };
        let this = self.clone();
        let building = std::thread::spawn(move || {
            let index = Arc::new(Index::build(&snapshot));
            let version = snapshot.version();
            drop(snapshot);
            let mut state = this.inner.lock().unwrap_or_else(|p| p.into_inner());
            if state.version == Some(version) && state.index.is_none() {
                state.index = Some(index);
                state.snapshot = None;
            }
        });
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        state.building.retain(|b| !b.is_finished());
        state.building.push(building);
    }

    /// Turns completion on (an interactive session); [`Completions::update`] does nothing
    /// before.
    pub fn enable(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).enabled = true;
    }

    /// Waits for the index being built and lets go of every snapshot, so that the database
    /// can be closed with no read transaction left (see `RedbKv`'s compaction at close).
    pub fn settle(&self) {
        let building = {
            let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            state.snapshot = None;
            std::mem::take(&mut state.building)
        };
        for thread in building {
            let _ = thread.join();
        }
    }

    /// The index, building it if needed.
    pub fn index(&self) -> Arc<Index> {
        let mut state = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if state.index.is_none() {
            let index = state
                .snapshot
                .take()
                .map(|s| Index::build(&s))
                .unwrap_or_default();
            state.index = Some(Arc::new(index));
        }
        state.index.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_search_is_case_insensitive_and_bounded() {
        let words = Words::new(
            ["EGFR", "egfr_mutation_status", "ERBB2", "abc"]
                .iter()
                .map(|w| (w.to_lowercase(), w.to_string()))
                .collect(),
        );
        assert_eq!(
            words.starting_with("eg", 10),
            ["EGFR", "egfr_mutation_status"]
        );
        assert_eq!(words.starting_with("EGFR_", 10), ["egfr_mutation_status"]);
        assert_eq!(words.starting_with("e", 1).len(), 1);
        assert!(words.starting_with("z", 10).is_empty());
    }

    #[test]
    fn names_that_need_quotes_get_them() {
        assert_eq!(as_identifier("egfr"), "egfr");
        assert_eq!(as_identifier("HLA-A"), "\"HLA-A\"");
        assert_eq!(as_identifier("select"), "\"select\"");
    }
}
