//! One description of an import, shared by the `IMPORT` statement, the `import` subcommand and
//! the library, and the one function that carries it out.

use std::path::PathBuf;

use super::clinical::{ClinicalImport, import_clinical};
use super::summary::ImportSummary;
use super::table::{TableImport, import_table};
use crate::error::Error;
use crate::storage::Store;

/// What to import, from where.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportRequest {
    /// A TCIA-style clinical CSV.
    Clinical {
        path: PathBuf,
        options: ClinicalImport,
    },
    /// Any CSV or TSV keyed by a subject column.
    Table { path: PathBuf, options: TableImport },
}

impl ImportRequest {
    /// The file being imported.
    pub fn path(&self) -> &PathBuf {
        match self {
            ImportRequest::Clinical { path, .. } | ImportRequest::Table { path, .. } => path,
        }
    }

    /// The command that records this import in the history when no statement is given.
    pub fn describe(&self) -> String {
        match self {
            ImportRequest::Clinical { path, options } => {
                format!(
                    "IMPORT CLINICAL FROM '{}' AS {}",
                    path.display(),
                    options.table
                )
            }
            ImportRequest::Table { path, options } => format!(
                "IMPORT TABLE {} FROM '{}' SUBJECT COLUMN '{}'{}",
                options.table,
                path.display(),
                options.subject_column,
                if options.level == crate::storage::Level::Multi {
                    " LEVEL MULTI"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Carries out an import as one new version. `statement` is recorded in the history.
pub fn run(
    store: &Store,
    request: &ImportRequest,
    statement: Option<String>,
) -> Result<ImportSummary, Error> {
    let statement = statement.or_else(|| Some(request.describe()));
    match request {
        ImportRequest::Clinical { path, options } => {
            import_clinical(store, path, options, statement)
        }
        ImportRequest::Table { path, options } => import_table(store, path, options, statement),
    }
}
