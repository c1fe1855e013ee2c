//! The generic per-subject table importer, and the steps every delimited importer shares:
//! find the subject column, check subjects, infer column types, write a table generation.

use std::collections::HashMap;
use std::path::Path;

use super::IngestError;
use super::delimited::Sheet;
use super::infer::{NullTokens, TypedColumn, infer};
use super::names::{UniqueNames, snake_case};
use super::pipeline::{self, Format, Written};
use super::source::SourceText;
use super::subjects::check_subject_id;
use super::summary::{ColumnSummary, ImportSummary};
use crate::storage::{
    Level, NewColumn, SUBJECT_COLUMN, StagedTable, Store, TableWriter, WriteTxn, closest,
};

/// How to import a delimited file as a table keyed by subject.
#[derive(Debug, Clone, PartialEq)]
pub struct TableImport {
    /// The table to create or replace.
    pub table: String,
    /// The header cell that holds subject IDs (matched exactly, then case-insensitively).
    pub subject_column: String,
    /// One row per subject (duplicates refused) or several.
    pub level: Level,
    /// Which cells are missing.
    pub null_tokens: NullTokens,
    /// `None` guesses from the header line.
    pub delimiter: Option<u8>,
}

impl TableImport {
    /// A one-row-per-subject import with the default missing-value tokens.
    pub fn new(table: &str, subject_column: &str) -> Self {
        TableImport {
            table: table.to_string(),
            subject_column: subject_column.to_string(),
            level: Level::Subject,
            null_tokens: NullTokens::default(),
            delimiter: None,
        }
    }

    /// Sets the table level.
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Replaces the missing-value tokens.
    pub fn with_null_tokens(mut self, tokens: NullTokens) -> Self {
        self.null_tokens = tokens;
        self
    }

    /// Fixes the delimiter instead of guessing it.
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }
}

/// One inferred column, ready to write.
#[derive(Debug, Clone)]
pub struct PreparedColumn {
    pub column: NewColumn,
    pub typed: TypedColumn,
    /// Whether rgdb computed it rather than read it.
    pub derived: bool,
}

/// A sheet checked and typed, not yet written.
#[derive(Debug, Clone)]
pub struct PreparedTable {
    pub subject_label: String,
    /// Subject ID of each row, in file order.
    pub subjects: Vec<String>,
    pub columns: Vec<PreparedColumn>,
}

impl PreparedTable {
    /// The column called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&PreparedColumn> {
        self.columns.iter().find(|c| c.column.name == name)
    }
}

/// Imports `path` as a table keyed by subject, as one new version.
pub fn import_table(
    store: &Store,
    path: &Path,
    options: &TableImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &TableFormat { path, options }, statement)
}

/// `IMPORT TABLE`: a delimited file, one row per subject or several.
struct TableFormat<'a> {
    path: &'a Path,
    options: &'a TableImport,
}

impl Format for TableFormat<'_> {
    type Checked = (SourceText, PreparedTable);

    fn check(&self, store: &Store) -> Result<Self::Checked, IngestError> {
        let source = SourceText::read(self.path, store.config().max_line_bytes)?;
        let sheet = Sheet::parse(&source, self.options.delimiter)?;
        let subject = find_subject_column(&sheet, &[self.options.subject_column.as_str()])?;
        let prepared = prepare(
            &sheet,
            subject,
            self.options.level,
            &self.options.null_tokens,
        )?;
        Ok((source, prepared))
    }

    fn write(
        &self,
        (source, prepared): Self::Checked,
        txn: &mut WriteTxn<'_>,
    ) -> Result<Written, IngestError> {
        let table = Prepared {
            source: &source,
            table: &self.options.table,
            level: self.options.level,
            kind: "table",
        };
        table.written(txn, prepared, Vec::new())
    }
}

/// Finds the subject column among `wanted` header labels.
pub fn find_subject_column(sheet: &Sheet, wanted: &[&str]) -> Result<usize, IngestError> {
    let header = &sheet.header;
    let exact = wanted
        .iter()
        .find_map(|w| header.iter().position(|h| h == w));
    let loose = || {
        wanted.iter().find_map(|w| {
            header.iter().position(|h| {
                h.trim().eq_ignore_ascii_case(w.trim()) || snake_case(h) == snake_case(w)
            })
        })
    };
    exact.or_else(loose).ok_or_else(|| {
        let candidates = wanted
            .iter()
            .flat_map(|w| closest(&w.to_lowercase(), header.iter().map(String::as_str)))
            .collect();
        IngestError::MissingSubjectColumn {
            file: sheet.file.clone(),
            wanted: wanted.iter().map(|w| w.to_string()).collect(),
            header: header.clone(),
            candidates,
        }
    })
}

/// Checks the subject cells and infers every other column.
pub fn prepare(
    sheet: &Sheet,
    subject: usize,
    level: Level,
    nulls: &NullTokens,
) -> Result<PreparedTable, IngestError> {
    let subjects = check_subjects(sheet, subject, level)?;
    let mut names = UniqueNames::reserving([SUBJECT_COLUMN]);
    let columns = (0..sheet.header.len())
        .filter(|i| *i != subject)
        .map(|i| {
            let label = sheet.header[i].clone();
            PreparedColumn {
                column: NewColumn {
                    name: names.claim(snake_case(&label)),
                    unit: unit_of(&label),
                    label,
                    description: None,
                },
                typed: infer(sheet.column(i), nulls),
                derived: false,
            }
        })
        .collect();
    Ok(PreparedTable {
        subject_label: sheet.header[subject].clone(),
        subjects,
        columns,
    })
}

fn check_subjects(sheet: &Sheet, subject: usize, level: Level) -> Result<Vec<String>, IngestError> {
    let mut first_seen: HashMap<&str, u64> = HashMap::new();
    let mut subjects = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        let id = row.cells[subject].as_str();
        if id.is_empty() {
            return Err(IngestError::EmptySubject {
                file: sheet.file.clone(),
                line: row.line,
                column: sheet.header[subject].clone(),
            });
        }
        check_subject_id(id, || format!("{}:{}", sheet.file, row.line))?;
        if let Some(first) = first_seen.insert(id, row.line)
            && level == Level::Subject
        {
            return Err(IngestError::DuplicateSubject {
                file: sheet.file.clone(),
                subject: id.to_string(),
                first_line: first,
                line: row.line,
            });
        }
        subjects.push(id.to_string());
    }
    Ok(subjects)
}

/// A unit written as a trailing parenthesis, such as `Weight (lbs)` or `Time (days)`.
fn unit_of(label: &str) -> Option<String> {
    const UNITS: &[&str] = &[
        "lbs", "kg", "days", "months", "years", "mm", "cm", "ml", "%",
    ];
    let inner = label.trim().strip_suffix(')')?.rsplit_once('(')?.1.trim();
    UNITS
        .iter()
        .find(|u| u.eq_ignore_ascii_case(inner))
        .map(|u| u.to_string())
}

/// Where a prepared table goes: its source, name, level and importer.
pub struct Prepared<'a> {
    pub source: &'a SourceText,
    pub table: &'a str,
    pub level: Level,
    pub kind: &'static str,
}

impl Prepared<'_> {
    /// Writes a prepared table in `txn`, for the pipeline to commit, with its summary.
    pub fn written(
        &self,
        txn: &mut WriteTxn<'_>,
        prepared: PreparedTable,
        notes: Vec<String>,
    ) -> Result<Written, IngestError> {
        let replaced = txn
            .base()
            .find_table(&self.table.to_ascii_lowercase())?
            .is_some();
        let staged = write(
            txn,
            self.source,
            self.table,
            self.level,
            self.kind,
            &prepared,
        )?;
        Ok(Written {
            importer: self.kind.to_string(),
            summary: ImportSummary {
                table: staged.meta().name.clone(),
                kind: self.kind.to_string(),
                version: 0,
                rows: prepared.subjects.len() as u64,
                new_subjects: 0,
                replaced,
                source: self.source.provenance.clone(),
                columns: prepared.columns.iter().map(ColumnSummary::of).collect(),
                genes: 0,
                notes,
            },
            tables: vec![staged],
        })
    }
}

/// Registers the subjects and writes every column into a new table generation.
pub fn write(
    txn: &mut WriteTxn<'_>,
    source: &SourceText,
    table: &str,
    level: Level,
    kind: &str,
    prepared: &PreparedTable,
) -> Result<StagedTable, IngestError> {
    let ids = prepared
        .subjects
        .iter()
        .map(|s| txn.register_subject(s))
        .collect();
    let mut writer: TableWriter = txn.table(table, level, kind)?;
    writer.set_source(source.provenance.clone());
    writer.subjects(ids, &prepared.subject_label)?;
    for c in &prepared.columns {
        writer.column(c.column.clone(), c.typed.ty, &c.typed.array)?;
    }
    Ok(writer.finish()?)
}
