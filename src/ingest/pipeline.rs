//! The one import pipeline: read → check → build columns → write → commit → summary.
//!
//! Every importer is a [`Format`]: how to read and check its source ([`Format::check`], before
//! the database is touched), and how to build its columns and write its tables
//! ([`Format::write`], into the transaction the pipeline opens). [`run`] does the rest, the
//! same for all of them: it opens the one transaction, stages the tables the format wrote,
//! commits them as one version, and completes the summary with that version and the subjects
//! the import registered. No importer opens or commits a transaction of its own, so an import
//! that fails at any step leaves the database as it was.
//!
//! Formats that stream a file larger than memory (`expression`, `geo`) check its header in
//! `check` and its rows as they write them; an error there drops the transaction, and nothing
//! it wrote is referenced by any version (the store sweeps it).

use super::IngestError;
use super::summary::ImportSummary;
use crate::storage::{Action, StagedTable, Store, WriteTxn};

/// What a format wrote: the tables to stage (each a new generation), the importer's name in
/// the history, and its summary. The summary's `version` and `new_subjects` are filled in by
/// [`run`].
pub struct Written {
    pub importer: String,
    pub tables: Vec<StagedTable>,
    pub summary: ImportSummary,
}

/// An importer: a source format described in two steps.
pub trait Format {
    /// What `check` hands to `write`: the source read and checked.
    type Checked;

    /// Reads the source and checks everything that can be checked before the database is
    /// touched (the file's layout, its cells, its subject IDs). Nothing is written.
    fn check(&self, store: &Store) -> Result<Self::Checked, IngestError>;

    /// Builds the columns of the checked source and writes its tables in `txn` (registering
    /// the subjects it brings). What it returns is staged and committed by [`run`].
    fn write(&self, checked: Self::Checked, txn: &mut WriteTxn<'_>)
    -> Result<Written, IngestError>;
}

/// Imports one source: `format.check`, then one transaction in which `format.write` builds
/// and writes its tables, then one commit, then the summary.
pub fn run<F: Format>(
    store: &Store,
    format: &F,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    let checked = format.check(store)?;
    let mut txn = store.begin()?;
    let Written {
        importer,
        tables,
        mut summary,
    } = format.write(checked, &mut txn)?;
    summary.new_subjects = txn.new_subject_count();
    let names: Vec<String> = tables.iter().map(|t| t.meta().name.clone()).collect();
    for table in tables {
        txn.stage(table);
    }
    let record = txn.commit(
        Action::Import {
            importer,
            tables: names,
            source: Some(summary.source.clone()),
        },
        statement,
    )?;
    summary.version = record.version;
    Ok(summary)
}
