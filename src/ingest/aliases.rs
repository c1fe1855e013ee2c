//! Subject aliases: other names of registered subjects (older subject names, GEO sample
//! accessions), from a CSV or TSV with an alias column and a subject column. Every importer
//! that meets a name it does not know as a subject ID looks it up here.

use std::path::Path;

use super::IngestError;
use super::delimited::Sheet;
use super::pipeline::{self, Format, Written};
use super::source::SourceText;
use super::subjects::check_subject_id;
use super::summary::ImportSummary;
use crate::storage::{Store, WriteTxn};

/// Imports `alias, subject_id` pairs as one new version. Every subject must be registered; a
/// file naming unknown subjects is refused whole.
pub fn import_aliases(
    store: &Store,
    path: &Path,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &AliasesFormat { path }, statement)
}

/// `IMPORT ALIASES`: a table of other names of registered subjects.
struct AliasesFormat<'a> {
    path: &'a Path,
}

/// The file, its name, and its `(alias, subject)` pairs.
type Pairs = (SourceText, String, Vec<(String, String)>);

impl Format for AliasesFormat<'_> {
    type Checked = Pairs;

    fn check(&self, store: &Store) -> Result<Pairs, IngestError> {
        let source = SourceText::read(self.path, store.config().max_line_bytes)?;
        let sheet = Sheet::parse(&source, None)?;
        let header: Vec<String> = sheet
            .header
            .iter()
            .map(|h| h.trim().to_lowercase())
            .collect();
        let alias = header.iter().position(|h| h == "alias").unwrap_or(0);
        let subject = header
            .iter()
            .position(|h| h == "subject_id" || h == "subject")
            .unwrap_or(if alias == 0 { 1 } else { 0 });
        let mut pairs = Vec::new();
        for row in &sheet.rows {
            let (a, s) = (row.cells[alias].clone(), row.cells[subject].clone());
            if a.is_empty() || s.is_empty() {
                return Err(IngestError::EmptySubject {
                    file: sheet.file.clone(),
                    line: row.line,
                    column: sheet.header[if a.is_empty() { alias } else { subject }].clone(),
                });
            }
            check_subject_id(&a, || format!("{}:{}", sheet.file, row.line))?;
            pairs.push((a, s));
        }
        Ok((source, sheet.file.clone(), pairs))
    }

    fn write(
        &self,
        (source, file, pairs): Pairs,
        txn: &mut WriteTxn<'_>,
    ) -> Result<Written, IngestError> {
        let unknown: Vec<&String> = pairs
            .iter()
            .map(|(_, s)| s)
            .filter(|s| txn.subject_id(s).is_none())
            .collect();
        if let Some(example) = unknown.first() {
            return Err(IngestError::UnknownAliasSubjects {
                file,
                count: unknown.len(),
                example: example.to_string(),
            });
        }
        for (a, s) in &pairs {
            txn.add_alias(a, s);
        }
        Ok(Written {
            importer: "aliases".into(),
            tables: Vec::new(),
            summary: ImportSummary {
                table: "(aliases)".into(),
                kind: "aliases".into(),
                version: 0,
                rows: pairs.len() as u64,
                new_subjects: 0,
                replaced: false,
                source: source.provenance,
                columns: Vec::new(),
                genes: 0,
                notes: vec![format!("{} aliases of registered subjects", pairs.len())],
            },
        })
    }
}
