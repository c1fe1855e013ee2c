//! `VACUUM KEEP n`: the only thing that ever removes committed data.
//!
//! Versions older than the newest `n` stop being readable. Every table or cohort generation
//! that no kept version can see loses its catalog entry, its column records, its name index
//! and its chunks. The version records themselves stay, so `SHOW HISTORY` still tells what
//! happened.
//!
//! Order of durable effects, so that a kill at any point leaves a readable database:
//! 1. one batch on `meta` removes the unreachable entries, column records and name indexes,
//!    and writes the new `vacuum` record (the horizon);
//! 2. flush;
//! 3. chunks of every data id below `next_data_id` that no remaining entry references are
//!    removed (this also collects chunks a killed earlier VACUUM left behind);
//! 4. flush.

use std::collections::{BTreeMap, BTreeSet};

use super::catalog::{CohortEntry, TableEntry, VacuumRecord};
use super::error::StorageError;
use super::key;
use super::kv::{BatchOp, KvStore, Space};
use super::store::{Store, from_json, now, to_json};

/// What one `VACUUM` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacuumReport {
    /// The oldest version that can still be read.
    pub oldest: u64,
    /// Versions that became unreadable with this run.
    pub versions_compacted: u64,
    /// Table and cohort generations whose data was removed.
    pub generations_removed: u64,
    /// Column chunks removed.
    pub chunks_removed: u64,
    /// Bytes the backend reports on disk afterwards (sled reuses freed space gradually).
    pub size_on_disk: u64,
}

/// A catalog entry, reduced to what compaction needs.
struct Entry {
    key: Vec<u8>,
    version: u64,
    /// The data id of a live entry; `None` for a tombstone.
    data_id: Option<u64>,
}

impl Store {
    /// The oldest version that can be read: 0 until the first `VACUUM`.
    pub fn oldest_version(&self) -> Result<u64, StorageError> {
        Ok(self.vacuum_record()?.map_or(0, |r| r.oldest))
    }

    /// The record of the last `VACUUM`, if there was one.
    pub fn vacuum_record(&self) -> Result<Option<VacuumRecord>, StorageError> {
        match self.kv().get(Space::Meta, key::VACUUM)? {
            Some(bytes) => Ok(Some(from_json(&bytes, "vacuum")?)),
            None => Ok(None),
        }
    }

    /// Keeps the newest `keep` versions readable and removes whatever only older versions
    /// could see. `keep` must be at least 1 (the current version).
    pub fn vacuum(
        &self,
        keep: u64,
        statement: Option<String>,
    ) -> Result<VacuumReport, StorageError> {
        if keep == 0 {
            return Err(StorageError::Internal(
                "VACUUM keeps at least the current version".into(),
            ));
        }
        let txn = self.begin()?;
        let head = txn.base().version();
        let before = self.oldest_version()?;
        let oldest = (head + 1).saturating_sub(keep).max(before);
        let kv = self.kv().clone();

        let mut compaction = compaction(kv.as_ref(), oldest)?;
        let record = VacuumRecord {
            oldest,
            at_version: head,
            time: now(),
            statement,
        };
        compaction
            .ops
            .push((key::VACUUM.to_vec(), Some(to_json(&record)?)));
        kv.apply_batch(Space::Meta, compaction.ops)?;
        kv.flush()?;

        let next_data_id = txn.base().record().next_data_id;
        let chunks_removed = sweep(kv.as_ref(), &compaction.live, next_data_id)?;
        kv.flush()?;
        drop(txn);
        Ok(VacuumReport {
            oldest,
            versions_compacted: oldest - before,
            generations_removed: compaction.removed.len() as u64,
            chunks_removed,
            size_on_disk: kv.size_on_disk(),
        })
    }
}

/// What a `VACUUM` removes from `meta`, and the generations it keeps.
struct Compaction {
    /// The deletions: unreachable catalog entries, then their column records and name indexes.
    ops: Vec<BatchOp>,
    /// The data ids of the generations removed.
    removed: Vec<u64>,
    /// The data ids of the generations a kept version can still see.
    live: BTreeSet<u64>,
}

/// Sorts every table and cohort generation into kept and removed for a horizon at `oldest`,
/// and lists the deletions from `meta` that removing them takes.
fn compaction(kv: &dyn KvStore, oldest: u64) -> Result<Compaction, StorageError> {
    let tables = table_entries(kv)?;
    let cohorts = cohort_entries(kv)?;
    let mut compaction = Compaction {
        ops: Vec::new(),
        removed: Vec::new(),
        live: BTreeSet::new(),
    };
    for entries in tables.values().chain(cohorts.values()) {
        compaction.sort_out(entries, oldest);
    }
    for &id in &compaction.removed {
        for prefix in [key::columns_prefix(id), key::column_names_prefix(id)] {
            for (k, _) in kv.scan_prefix(Space::Meta, &prefix)? {
                compaction.ops.push((k, None));
            }
        }
    }
    Ok(compaction)
}

impl Compaction {
    /// Sorts the entries of one name (oldest first) into kept and removed.
    fn sort_out(&mut self, entries: &[Entry], oldest: u64) {
        // The entry in effect at `oldest` and everything after it stay; what came before
        // it is seen by no kept version. A tombstone in effect at `oldest` goes too, once
        // nothing older is left for it to hide.
        let effective = entries.iter().rposition(|e| e.version <= oldest);
        for (i, entry) in entries.iter().enumerate() {
            let unreachable = match effective {
                Some(e) => i < e || (i == e && entry.data_id.is_none()),
                None => false,
            };
            if unreachable {
                self.ops.push((entry.key.clone(), None));
                if let Some(id) = entry.data_id {
                    self.removed.push(id);
                }
            } else if let Some(id) = entry.data_id {
                self.live.insert(id);
            }
        }
    }
}

/// Every table catalog entry, grouped by table name, oldest first.
fn table_entries(kv: &dyn KvStore) -> Result<BTreeMap<String, Vec<Entry>>, StorageError> {
    grouped(
        kv,
        &key::tables_prefix(),
        |k| key::parse_table(k).map(|(n, v)| (n.to_string(), v)),
        |bytes, what| {
            Ok(match from_json::<TableEntry>(bytes, what)? {
                TableEntry::Live(m) => Some(m.data_id),
                TableEntry::Dropped { .. } => None,
            })
        },
    )
}

/// Every cohort catalog entry, grouped by cohort name, oldest first.
fn cohort_entries(kv: &dyn KvStore) -> Result<BTreeMap<String, Vec<Entry>>, StorageError> {
    grouped(
        kv,
        &key::cohorts_prefix(),
        |k| key::parse_cohort(k).map(|(n, v)| (n.to_string(), v)),
        |bytes, what| {
            Ok(match from_json::<CohortEntry>(bytes, what)? {
                CohortEntry::Live(m) => Some(m.data_id),
                CohortEntry::Dropped { .. } => None,
            })
        },
    )
}

/// Every entry under `prefix`, grouped by name, oldest first.
fn grouped(
    kv: &dyn KvStore,
    prefix: &[u8],
    parse: impl Fn(&[u8]) -> Option<(String, u64)>,
    data_id: impl Fn(&[u8], &str) -> Result<Option<u64>, StorageError>,
) -> Result<BTreeMap<String, Vec<Entry>>, StorageError> {
    let mut groups: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for (k, v) in kv.scan_prefix(Space::Meta, prefix)? {
        let what = String::from_utf8_lossy(&k).into_owned();
        let (name, version) = parse(&k).ok_or_else(|| StorageError::CorruptCatalog {
            key: what.clone(),
            detail: "malformed catalog key".into(),
        })?;
        let data_id = data_id(&v, &what)?;
        groups.entry(name).or_default().push(Entry {
            key: k,
            version,
            data_id,
        });
    }
    for entries in groups.values_mut() {
        entries.sort_by_key(|e| e.version);
    }
    Ok(groups)
}

/// Removes the chunks of every data id below `next_data_id` that is not in `live`, walking
/// the distinct data ids from the top with one range read each. Returns the chunks removed.
fn sweep(kv: &dyn KvStore, live: &BTreeSet<u64>, next_data_id: u64) -> Result<u64, StorageError> {
    let mut removed = 0u64;
    let mut upper = key::chunks_from(next_data_id);
    while let Some((k, _)) = kv.last_in_range(Space::Data, &[], &upper)? {
        let Some((id, _, _)) = key::parse_chunk(&k) else {
            return Err(StorageError::CorruptCatalog {
                key: format!("{k:?}"),
                detail: "a data key that is not a chunk key".into(),
            });
        };
        if !live.contains(&id) {
            removed += kv.remove_range(
                Space::Data,
                &key::chunks_from(id),
                &key::chunks_from(id + 1),
            )? as u64;
        }
        upper = key::chunks_from(id);
        if id == 0 {
            break;
        }
    }
    Ok(removed)
}
