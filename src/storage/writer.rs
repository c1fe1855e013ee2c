//! Writing: a [`WriteTxn`] stages new table generations and subjects, then commits them as
//! one new version with a single atomic catalog batch.
//!
//! The order of durable effects is what makes imports atomic:
//! 1. chunks, then each table's column records and name index, are written under fresh data
//!    ids that no committed version references;
//! 2. the backend is flushed, so they are durable;
//! 3. one batch writes the table entries, new subjects and version record;
//! 4. the backend is flushed again.
//!
//! A failure or kill before step 3 leaves only unreferenced chunks and column records, which
//! are removed when the database is next opened (or when the transaction is dropped). Column
//! records stay out of the atomic batch because a batch holds every copy of the tree's nodes
//! it rewrites until it ends: 100,000 columns made a 200,000-entry batch of 1 GB.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, MutexGuard};

use super::catalog::{
    Action, CHUNK_ROWS, CohortEntry, CohortMeta, Level, TableEntry, TableMeta, VersionRecord,
};
use super::error::StorageError;
use super::key;
use super::kv::{BatchOp, Space};
use super::snapshot::Snapshot;
use super::store::{Store, SubjectRegistry, now, to_json};
use super::table_writer::{StagedTable, TableWriter};

/// Names that cannot be table names because the language gives them a meaning.
pub const RESERVED_TABLE_NAMES: &[&str] = &["subjects", "cohorts", "tables", "history"];

/// The one open write transaction of a store.
pub struct WriteTxn<'s> {
    store: &'s Store,
    guard: MutexGuard<'s, ()>,
    base: VersionRecord,
    registry: Arc<SubjectRegistry>,
    new_subjects: Vec<String>,
    new_ids: HashMap<String, u32>,
    next_data_id: u64,
    tables: Vec<StagedTable>,
    dropped: Vec<String>,
    cohorts: Vec<CohortMeta>,
    dropped_cohorts: Vec<String>,
    aliases: Vec<(String, String)>,
    committed: bool,
}

impl<'s> WriteTxn<'s> {
    pub(crate) fn new(
        store: &'s Store,
        guard: MutexGuard<'s, ()>,
        base: VersionRecord,
        registry: Arc<SubjectRegistry>,
    ) -> Self {
        WriteTxn {
            store,
            guard,
            next_data_id: base.next_data_id,
            base,
            registry,
            new_subjects: Vec::new(),
            new_ids: HashMap::new(),
            tables: Vec::new(),
            dropped: Vec::new(),
            cohorts: Vec::new(),
            dropped_cohorts: Vec::new(),
            aliases: Vec::new(),
            committed: false,
        }
    }

    /// The version this transaction builds on.
    pub fn base(&self) -> Snapshot {
        Snapshot::new(
            self.store.kv().clone(),
            self.base.clone(),
            self.registry.clone(),
        )
    }

    /// The dense id of a registered subject, or of one staged in this transaction.
    pub fn subject_id(&self, name: &str) -> Option<u32> {
        self.registry
            .id(name)
            .or_else(|| self.new_ids.get(name).copied())
    }

    /// The dense id of `name`, registering it in this transaction if it is new.
    pub fn register_subject(&mut self, name: &str) -> u32 {
        if let Some(id) = self.subject_id(name) {
            return id;
        }
        let id = self.base.subjects + self.new_subjects.len() as u32;
        self.new_subjects.push(name.to_string());
        self.new_ids.insert(name.to_string(), id);
        id
    }

    /// The dense id `name` denotes: a subject ID (registered, or staged here), or an alias of
    /// one (committed, or staged here).
    pub fn resolve_subject(&self, name: &str) -> Result<Option<u32>, StorageError> {
        if let Some(id) = self.subject_id(name) {
            return Ok(Some(id));
        }
        let staged = self.aliases.iter().rev().find(|(a, _)| a == name);
        let subject = match staged {
            Some((_, s)) => Some(s.clone()),
            None => self.base().alias(name)?,
        };
        Ok(subject.and_then(|s| self.subject_id(&s)))
    }

    /// Records that `alias` names subject `subject` (which must be registered).
    pub fn add_alias(&mut self, alias: &str, subject: &str) {
        self.aliases.push((alias.to_string(), subject.to_string()));
    }

    /// How many subjects this transaction registers.
    pub fn new_subject_count(&self) -> usize {
        self.new_subjects.len()
    }

    /// Starts a new generation of table `name`, replacing any live table of that name when the
    /// transaction commits.
    pub fn table(
        &mut self,
        name: &str,
        level: Level,
        kind: &str,
    ) -> Result<TableWriter, StorageError> {
        let name = validate_table_name(name, "table")?;
        if self.base().find_cohort(&name)?.is_some() {
            return Err(StorageError::NameTaken {
                name,
                taken_by: "cohort".into(),
            });
        }
        Ok(self.writer(name, level, kind))
    }

    /// A writer for a new generation under a fresh data id.
    fn writer(&mut self, name: String, level: Level, kind: &str) -> TableWriter {
        let data_id = self.next_data_id;
        self.next_data_id += 1;
        TableWriter::new(
            self.store.kv().clone(),
            self.store.encoding(),
            TableMeta {
                name,
                data_id,
                level,
                kind: kind.to_string(),
                rows: 0,
                columns: 0,
                chunk_rows: CHUNK_ROWS as u32,
                version: self.base.version + 1,
                source: None,
                properties: BTreeMap::new(),
                content_sha256: None,
            },
        )
    }

    /// Adds a finished table to what this transaction commits.
    pub fn stage(&mut self, table: StagedTable) {
        self.tables.retain(|t| t.meta().name != table.meta().name);
        self.tables.push(table);
    }

    /// Saves a cohort: its members (dense ids) and the statement that defines them.
    pub fn cohort(
        &mut self,
        name: &str,
        definition: &str,
        evaluated_at: u64,
        members: Vec<u32>,
    ) -> Result<(), StorageError> {
        let name = validate_table_name(name, "cohort")?;
        let base = self.base();
        for (taken, kind) in [
            (base.find_table(&name)?.is_some(), "table"),
            (base.find_cohort(&name)?.is_some(), "cohort"),
        ] {
            if taken {
                return Err(StorageError::NameTaken {
                    name,
                    taken_by: kind.into(),
                });
            }
        }
        self.put_cohort(name, definition, evaluated_at, members)
    }

    /// Saves new members for an existing cohort (`REFRESH COHORT`).
    pub fn replace_cohort(
        &mut self,
        name: &str,
        definition: &str,
        evaluated_at: u64,
        members: Vec<u32>,
    ) -> Result<(), StorageError> {
        let name = validate_table_name(name, "cohort")?;
        if self.base().find_cohort(&name)?.is_none() {
            return Err(StorageError::Internal(format!(
                "cohort {name} to replace does not exist"
            )));
        }
        self.put_cohort(name, definition, evaluated_at, members)
    }

    fn put_cohort(
        &mut self,
        name: String,
        definition: &str,
        evaluated_at: u64,
        members: Vec<u32>,
    ) -> Result<(), StorageError> {
        let mut writer = self.writer(name.clone(), Level::Subject, "cohort");
        let data_id = writer.data_id();
        let count = members.len() as u64;
        writer.subjects(members, "members")?;
        self.cohorts.retain(|c| c.name != name);
        self.cohorts.push(CohortMeta {
            name,
            data_id,
            definition: definition.to_string(),
            evaluated_at,
            version: self.base.version + 1,
            members: count,
        });
        Ok(())
    }

    /// Marks a live cohort for removal at commit.
    pub fn drop_cohort(&mut self, name: &str) {
        self.dropped_cohorts.push(name.to_ascii_lowercase());
    }

    /// Marks a live table for removal at commit.
    pub fn drop_table(&mut self, name: &str) {
        self.dropped.push(name.to_ascii_lowercase());
    }

    /// Makes everything staged durable as one new version, and publishes it to readers.
    pub fn commit(
        mut self,
        action: Action,
        statement: Option<String>,
    ) -> Result<VersionRecord, StorageError> {
        let kv = self.store.kv().clone();
        kv.flush()?;
        let record = VersionRecord {
            version: self.base.version + 1,
            time: now(),
            action,
            statement,
            subjects: self.base.subjects + self.new_subjects.len() as u32,
            next_data_id: self.next_data_id,
        };
        let ops = self.catalog_ops(&record)?;
        kv.apply_batch(Space::Meta, ops)?;
        // From here the version exists: its chunks must never be swept, and readers in this
        // process may see it. A failed final flush means it may not survive a crash, not that
        // it is half there (sled recovers a prefix of its writes).
        self.committed = true;
        let new_subjects = std::mem::take(&mut self.new_subjects);
        self.store
            .publish(&self.guard, record.clone(), new_subjects);
        kv.flush().map_err(|e| {
            StorageError::Backend(format!(
                "version {} was committed but could not be flushed to disk: {e}",
                record.version
            ))
        })?;
        Ok(record)
    }

    fn catalog_ops(&self, record: &VersionRecord) -> Result<Vec<BatchOp>, StorageError> {
        let mut ops: Vec<BatchOp> = Vec::new();
        for table in &self.tables {
            let entry = TableEntry::Live(table.meta().clone());
            ops.push((
                key::table(&table.meta().name, record.version),
                Some(to_json(&entry)?),
            ));
        }
        for name in &self.dropped {
            let entry = TableEntry::Dropped {
                version: record.version,
            };
            ops.push((key::table(name, record.version), Some(to_json(&entry)?)));
        }
        for cohort in &self.cohorts {
            let entry = CohortEntry::Live(cohort.clone());
            ops.push((
                key::cohort(&cohort.name, record.version),
                Some(to_json(&entry)?),
            ));
        }
        for name in &self.dropped_cohorts {
            let entry = CohortEntry::Dropped {
                version: record.version,
            };
            ops.push((key::cohort(name, record.version), Some(to_json(&entry)?)));
        }
        for (alias, subject) in &self.aliases {
            ops.push((key::alias(alias), Some(subject.as_bytes().to_vec())));
        }
        for (i, name) in self.new_subjects.iter().enumerate() {
            let id = self.base.subjects + i as u32;
            ops.push((key::subject_by_name(name), Some(id.to_be_bytes().to_vec())));
            ops.push((key::subject_by_id(id), Some(name.as_bytes().to_vec())));
        }
        if !self.new_subjects.is_empty() {
            // The block the first new subject falls in is rewritten whole, and any after it.
            let first_block = self.base.subjects / key::SUBJECT_BLOCK_SIZE;
            let from = (first_block * key::SUBJECT_BLOCK_SIZE) as usize;
            let old = self.registry.names();
            let mut names =
                old[from.min(old.len())..(self.base.subjects as usize).min(old.len())].to_vec();
            names.extend(self.new_subjects.iter().cloned());
            ops.extend(super::store::block_ops(&names, first_block));
        }
        ops.push((key::version(record.version), Some(to_json(record)?)));
        Ok(ops)
    }
}

impl Drop for WriteTxn<'_> {
    /// An abandoned transaction removes the chunks it wrote (best effort: opening the database
    /// sweeps whatever is left).
    fn drop(&mut self) {
        if !self.committed && self.next_data_id > self.base.next_data_id {
            let kv = self.store.kv();
            let _ = kv.remove_range(
                Space::Data,
                &key::chunks_from(self.base.next_data_id),
                &key::chunks_from(self.next_data_id),
            );
            for (lower, upper) in
                key::column_record_ranges(self.base.next_data_id, self.next_data_id)
            {
                let _ = kv.remove_range(Space::Meta, &lower, &upper);
            }
        }
    }
}

/// The longest table or cohort name, in characters.
pub const MAX_TABLE_NAME: usize = 64;

/// Lower-cases a table or cohort name (`kind`) and checks that it is an identifier of at most
/// [`MAX_TABLE_NAME`] characters and not reserved.
pub fn validate_table_name(name: &str, kind: &'static str) -> Result<String, StorageError> {
    let invalid = |reason: String| StorageError::InvalidName {
        kind,
        name: name.into(),
        reason,
    };
    let length = name.chars().count();
    if length > MAX_TABLE_NAME {
        return Err(invalid(format!(
            "it has {length} characters; a name has at most {MAX_TABLE_NAME}"
        )));
    }
    match name.chars().next() {
        None => return Err(invalid("a name cannot be empty".into())),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Err(invalid(format!("a name starts with a letter, not `{c}`")));
        }
        Some(_) => {}
    }
    if let Some(c) = name
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '_')
    {
        return Err(invalid(format!(
            "`{c}` is not allowed; use letters, digits and `_`"
        )));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_TABLE_NAMES.contains(&lower.as_str()) {
        return Err(StorageError::ReservedTableName { name: name.into() });
    }
    Ok(lower)
}

pub use crate::digest::hex;
