//! What an import reports: rows, subjects, and for each column its type, its non-null count
//! and which cell texts became NULL.

use std::collections::BTreeMap;
use std::fmt;

use super::table::PreparedColumn;
use crate::storage::{ColumnType, SourceFile};

/// The result of one import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSummary {
    pub table: String,
    /// The importer: `clinical`, `table`, …
    pub kind: String,
    /// The version the import created.
    pub version: u64,
    pub rows: u64,
    /// Subjects this import added to the registry.
    pub new_subjects: usize,
    /// Whether a table of that name existed and was replaced.
    pub replaced: bool,
    pub source: SourceFile,
    /// Typed columns (for a matrix: its non-gene columns).
    pub columns: Vec<ColumnSummary>,
    /// Numeric matrix columns (genes, probes) imported as floats; not listed one by one.
    pub genes: usize,
    /// Anything the user should know, such as a derived column that could not be made.
    pub notes: Vec<String>,
}

/// One column of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    pub name: String,
    pub label: String,
    pub ty: ColumnType,
    pub non_null: usize,
    pub derived: bool,
    /// Cell texts mapped to NULL, with their counts.
    pub null_tokens: BTreeMap<String, usize>,
}

impl ColumnSummary {
    pub(crate) fn of(c: &PreparedColumn) -> Self {
        ColumnSummary {
            name: c.column.name.clone(),
            label: c.column.label.clone(),
            ty: c.typed.ty,
            non_null: c.typed.array.len() - c.typed.array.null_count(),
            derived: c.derived,
            null_tokens: c.typed.null_tokens.clone(),
        }
    }
}

impl ImportSummary {
    /// The summary of one column by name.
    pub fn column(&self, name: &str) -> Option<&ColumnSummary> {
        self.columns.iter().find(|c| c.name == name)
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.replaced { "replaced" } else { "created" };
        writeln!(
            f,
            "{verb} table `{}` from {} ({} bytes, sha256 {}…): version {}",
            self.table,
            self.source.path,
            self.source.size,
            &self.source.sha256[..12.min(self.source.sha256.len())],
            self.version
        )?;
        writeln!(
            f,
            "{} rows, {} columns, {} new subjects",
            self.rows,
            self.columns.len() + self.genes + 1,
            self.new_subjects
        )?;
        if self.genes > 0 {
            let what = if self.kind == "radiomic" {
                "radiomic feature columns"
            } else {
                "numeric matrix columns"
            };
            writeln!(f, "{} {what} (float)", self.genes)?;
        }
        if self.columns.is_empty() {
            return self.write_notes(f);
        }
        let width = self
            .columns
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(4)
            .max(6);
        writeln!(
            f,
            "  {:width$}  {:9}  {:>8}  mapped to NULL",
            "column", "type", "non-null"
        )?;
        for c in &self.columns {
            let nulls: Vec<String> = c
                .null_tokens
                .iter()
                .map(|(t, n)| format!("{t:?} ×{n}"))
                .collect();
            let note = if c.derived {
                "(derived)".to_string()
            } else {
                nulls.join(", ")
            };
            writeln!(
                f,
                "  {:width$}  {:9}  {:>8}  {note}",
                c.name,
                c.ty.name(),
                c.non_null
            )?;
        }
        self.write_notes(f)
    }
}

impl ImportSummary {
    fn write_notes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}
