//! `rgdb check` / `CHECK DATABASE`: everything the store holds, verified against the catalog.
//!
//! - **Versions:** records `0..=head`, none missing; subjects and data ids never shrink.
//! - **Subject registry:** the two halves (`s\0` name → id, `i\0` id → name) agree for every id
//!   the head counts, and nothing lies beyond it.
//! - **Every stored generation** (each live table and cohort entry of any kept version): its
//!   data id was allocated before its version; it has a column record for every ordinal, a name
//!   index that points at them, and every chunk, each passing its checksum, decoding to the
//!   right type and length, with the stored non-null count; subject ids the registry knows;
//!   and no chunk beyond the last.
//!
//! Problems are reported by table and column (`Corrupt`) or by catalog key (`CorruptCatalog`).
//! Chunks of no generation (left by a killed `VACUUM`) are not problems: the next `VACUUM`
//! collects them.

use arrow::array::{Array, AsArray};
use arrow::datatypes::UInt32Type;

use super::catalog::{CohortEntry, ColumnMeta, ColumnType, TableEntry, TableMeta, VersionRecord};
use super::error::StorageError;
use super::key;
use super::kv::{KvStore, Space};
use super::snapshot::{ChunkAt, Snapshot, fold};
use super::store::{Store, from_json};

impl Store {
    /// Verifies the whole store. Empty means all is well.
    pub fn check(&self) -> Result<Vec<StorageError>, StorageError> {
        let mut problems = Vec::new();
        let kv = self.kv().clone();
        let head = self.snapshot();
        let versions = self.versions()?;
        check_versions(&versions, &mut problems);
        let count = head.record().subjects;
        check_registry(kv.as_ref(), count, &mut problems)?;
        check_blocks(kv.as_ref(), count, &mut problems)?;
        check_tables(kv.as_ref(), &head, &versions, &mut problems)?;
        check_cohorts(kv.as_ref(), &head, &versions, &mut problems)?;
        Ok(problems)
    }
}

/// A problem with the catalog entry `key`.
fn catalog(key: &str, detail: String) -> StorageError {
    StorageError::CorruptCatalog {
        key: key.to_string(),
        detail,
    }
}

/// The version records: `0..=head`, none missing, subjects and data ids never shrinking.
fn check_versions(versions: &[VersionRecord], problems: &mut Vec<StorageError>) {
    for (i, v) in versions.iter().enumerate() {
        if v.version != i as u64 {
            problems.push(catalog(
                &format!("version {}", v.version),
                format!("expected version {i} here: a version record is missing"),
            ));
            break;
        }
        if let Some(previous) = i.checked_sub(1).map(|p| &versions[p])
            && (v.subjects < previous.subjects || v.next_data_id < previous.next_data_id)
        {
            problems.push(catalog(
                &format!("version {}", v.version),
                "counts subjects or data ids that go backwards".into(),
            ));
        }
    }
}

/// The subject registry: every id below the head's `count` maps to a name that maps back to
/// it, and no id lies beyond.
fn check_registry(
    kv: &dyn KvStore,
    count: u32,
    problems: &mut Vec<StorageError>,
) -> Result<(), StorageError> {
    for (k, v) in kv.scan_prefix(Space::Meta, &key::subjects_by_id_prefix())? {
        let Some(id) = key::parse_subject_id(&k) else {
            problems.push(catalog("subjects", "a malformed subject key".into()));
            continue;
        };
        let name = String::from_utf8_lossy(&v).into_owned();
        if id >= count {
            problems.push(catalog(
                &format!("subject {id}"),
                format!("`{name}` has an id beyond the {count} subjects the head counts"),
            ));
            continue;
        }
        let back = kv
            .get(Space::Meta, &key::subject_by_name(&name))?
            .and_then(|b| <[u8; 4]>::try_from(b.as_slice()).ok())
            .map(u32::from_be_bytes);
        if back != Some(id) {
            problems.push(catalog(
                &format!("subject {id}"),
                format!("`{name}` maps back to {back:?}, not to {id}"),
            ));
        }
    }
    Ok(())
}

/// The registry blocks hold the same names, in the same order.
fn check_blocks(
    kv: &dyn KvStore,
    count: u32,
    problems: &mut Vec<StorageError>,
) -> Result<(), StorageError> {
    let mut by_id: Vec<(u32, String)> = kv
        .scan_prefix(Space::Meta, &key::subjects_by_id_prefix())?
        .into_iter()
        .filter_map(|(k, v)| {
            Some((
                key::parse_subject_id(&k)?,
                String::from_utf8_lossy(&v).into_owned(),
            ))
        })
        .filter(|(id, _)| *id < count)
        .collect();
    by_id.sort();
    match super::store::read_blocks(kv, count)? {
        Some(names) => {
            if let Some(((id, expected), got)) = by_id
                .iter()
                .zip(&names)
                .find(|((_, expected), got)| expected != *got)
            {
                problems.push(catalog(
                    &format!("subject block {}", id / key::SUBJECT_BLOCK_SIZE),
                    format!("holds `{got}` for subject {id} where the id index has `{expected}`"),
                ));
            }
        }
        None => problems.push(catalog(
            "subject blocks",
            format!("do not hold the {count} subjects the head counts"),
        )),
    }
    Ok(())
}

/// The record of `version`, if there is one.
fn record_of(versions: &[VersionRecord], version: u64) -> Option<&VersionRecord> {
    versions.iter().find(|v| v.version == version)
}

/// Every stored table generation (live entries of any kept version).
fn check_tables(
    kv: &dyn KvStore,
    head: &Snapshot,
    versions: &[VersionRecord],
    problems: &mut Vec<StorageError>,
) -> Result<(), StorageError> {
    for (k, v) in kv.scan_prefix(Space::Meta, &key::tables_prefix())? {
        let shown = String::from_utf8_lossy(&k).into_owned();
        let TableEntry::Live(table) = from_json::<TableEntry>(&v, &shown)? else {
            continue;
        };
        let Some(record) = record_of(versions, table.version) else {
            problems.push(catalog(&shown, "its version has no record".into()));
            continue;
        };
        check_generation(head, &table, record, problems)?;
    }
    Ok(())
}

/// Every stored cohort: its members readable, each a subject registered by its version.
fn check_cohorts(
    kv: &dyn KvStore,
    head: &Snapshot,
    versions: &[VersionRecord],
    problems: &mut Vec<StorageError>,
) -> Result<(), StorageError> {
    let count = head.record().subjects;
    for (k, v) in kv.scan_prefix(Space::Meta, &key::cohorts_prefix())? {
        let shown = String::from_utf8_lossy(&k).into_owned();
        let CohortEntry::Live(cohort) = from_json::<CohortEntry>(&v, &shown)? else {
            continue;
        };
        match head.cohort_members(&cohort) {
            Ok(ids) => {
                let known = record_of(versions, cohort.version).map_or(count, |r| r.subjects);
                if let Some(bad) = ids.iter().find(|id| **id >= known) {
                    problems.push(StorageError::Corrupt {
                        table: cohort.name.clone(),
                        column: "members".into(),
                        chunk: 0,
                        detail: format!("subject id {bad} was never registered"),
                    });
                }
            }
            Err(e) => problems.push(e),
        }
    }
    Ok(())
}

/// A table generation being checked, with the record of the version that wrote it.
struct Generation<'a> {
    head: &'a Snapshot,
    table: &'a TableMeta,
    record: &'a VersionRecord,
}

/// One table generation: column records, name index, chunks.
fn check_generation(
    head: &Snapshot,
    table: &TableMeta,
    record: &VersionRecord,
    problems: &mut Vec<StorageError>,
) -> Result<(), StorageError> {
    let generation = Generation {
        head,
        table,
        record,
    };
    if table.data_id >= record.next_data_id {
        problems.push(generation.corrupt(
            "",
            0,
            format!(
                "data id {} was not allocated by version {}",
                table.data_id, table.version
            ),
        ));
    }
    let columns = head.columns(table)?;
    if columns.len() != table.columns as usize {
        problems.push(StorageError::CorruptCatalog {
            key: format!("table {}", table.name),
            detail: format!(
                "catalog lists {} columns, {} are stored",
                table.columns,
                columns.len()
            ),
        });
    }
    let chunks = Snapshot::chunk_count(table);
    for (i, column) in columns.iter().enumerate() {
        generation.check_column(i, column, chunks, problems)?;
    }
    Ok(())
}

impl Generation<'_> {
    /// A problem in `column` (empty: the table itself) at `chunk`.
    fn corrupt(&self, column: &str, chunk: u32, detail: String) -> StorageError {
        StorageError::Corrupt {
            table: self.table.name.clone(),
            column: column.to_string(),
            chunk,
            detail,
        }
    }

    /// The column at position `i` of the table: its ordinal, the name index leading to it, its
    /// `chunks` chunks, and no chunk beyond the last.
    fn check_column(
        &self,
        i: usize,
        column: &ColumnMeta,
        chunks: u32,
        problems: &mut Vec<StorageError>,
    ) -> Result<(), StorageError> {
        let (table, kv) = (self.table, self.head.kv());
        if column.ordinal != i as u32 {
            problems.push(self.corrupt(
                &column.name,
                0,
                format!("stored as ordinal {}, expected {i}", column.ordinal),
            ));
        }
        let indexed = kv
            .get(
                Space::Meta,
                &key::column_name(table.data_id, &fold(&column.name)),
            )?
            .map(|o| key::unpack_ordinals(&o))
            .unwrap_or_default();
        if !indexed.contains(&column.ordinal) {
            problems.push(self.corrupt(
                &column.name,
                0,
                "the name index does not lead to this column".into(),
            ));
        }
        self.check_chunks(column, chunks, problems);
        if kv
            .get(
                Space::Data,
                &key::chunk(table.data_id, column.ordinal, chunks),
            )?
            .is_some()
        {
            problems.push(self.corrupt(
                &column.name,
                chunks,
                format!("a chunk beyond the {chunks} the table's rows need"),
            ));
        }
        Ok(())
    }

    /// Reads the column's `chunks` chunks: each passes its checksum and decodes, subject ids
    /// are registered, and together they hold the stored non-null count.
    fn check_chunks(&self, column: &ColumnMeta, chunks: u32, problems: &mut Vec<StorageError>) {
        let at = ChunkAt::of(self.table, column);
        let mut non_null = 0u64;
        let mut readable = true;
        for chunk in 0..chunks {
            match self.head.read_raw(&at, chunk) {
                Ok(array) => {
                    non_null += (array.len() - array.null_count()) as u64;
                    if column.ty == ColumnType::Subject
                        && let Some(bad) = array
                            .as_primitive::<UInt32Type>()
                            .iter()
                            .flatten()
                            .find(|id| *id >= self.record.subjects)
                    {
                        problems.push(self.corrupt(
                            &column.name,
                            chunk,
                            format!("subject id {bad} was never registered"),
                        ));
                    }
                }
                Err(e) => {
                    readable = false;
                    problems.push(e);
                }
            }
        }
        if readable && non_null != column.non_null {
            problems.push(self.corrupt(
                &column.name,
                0,
                format!(
                    "holds {non_null} values, the catalog says {}",
                    column.non_null
                ),
            ));
        }
    }
}
