//! A read view of one committed version: its tables, columns, subjects and chunks.
//!
//! Everything a snapshot reads was written before its version was committed and is never
//! overwritten, so a snapshot stays consistent while imports commit beside it.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::ArrayRef;

use super::catalog::{
    CHUNK_ROWS, CohortEntry, CohortMeta, ColumnMeta, ColumnType, TableEntry, TableMeta,
    VersionRecord,
};
use super::codec;
use super::error::StorageError;
use super::key;
use super::kv::{KvStore, Space};
use super::store::{SubjectRegistry, from_json};

/// A consistent, cheap-to-clone view of one version of the database.
#[derive(Debug, Clone)]
pub struct Snapshot {
    kv: Arc<dyn KvStore>,
    record: VersionRecord,
    registry: Arc<SubjectRegistry>,
}

impl Snapshot {
    pub(crate) fn new(
        kv: Arc<dyn KvStore>,
        record: VersionRecord,
        registry: Arc<SubjectRegistry>,
    ) -> Self {
        Snapshot {
            kv,
            record,
            registry,
        }
    }

    /// The backend, for the integrity check.
    pub(super) fn kv(&self) -> &Arc<dyn KvStore> {
        &self.kv
    }

    /// The version this snapshot shows.
    pub fn version(&self) -> u64 {
        self.record.version
    }

    /// The record of this snapshot's version.
    pub fn record(&self) -> &VersionRecord {
        &self.record
    }

    /// Every subject registered at this version, indexed by dense id.
    pub fn subjects(&self) -> &[String] {
        &self.registry.names()[..self.record.subjects as usize]
    }

    /// The dense id of a subject ID, if it was registered at this version.
    pub fn subject_id(&self, name: &str) -> Option<u32> {
        self.registry
            .id(name)
            .filter(|id| *id < self.record.subjects)
    }

    /// The subject ID an alias (an older subject name, a GEO sample accession) stands for.
    pub fn alias(&self, name: &str) -> Result<Option<String>, StorageError> {
        Ok(self
            .kv
            .get(Space::Meta, &key::alias(name))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every alias, as (alias, subject ID).
    pub fn aliases(&self) -> Result<Vec<(String, String)>, StorageError> {
        let prefix = key::aliases_prefix();
        Ok(self
            .kv
            .scan_prefix(Space::Meta, &prefix)?
            .into_iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(&k[prefix.len()..]).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect())
    }

    /// The dense id a name denotes: a registered subject ID, or an alias of one.
    pub fn resolve_subject(&self, name: &str) -> Result<Option<u32>, StorageError> {
        if let Some(id) = self.subject_id(name) {
            return Ok(Some(id));
        }
        Ok(self.alias(name)?.and_then(|s| self.subject_id(&s)))
    }

    /// The live tables at this version, by name.
    pub fn tables(&self) -> Result<Vec<TableMeta>, StorageError> {
        self.latest_all::<TableEntry>(&key::tables_prefix(), key::parse_table)
    }

    /// The newest entry at or before this version of every name under `prefix`, live ones only.
    fn latest_all<E: Versioned>(
        &self,
        prefix: &[u8],
        parse: fn(&[u8]) -> Option<(&str, u64)>,
    ) -> Result<Vec<E::Live>, StorageError> {
        let mut latest: BTreeMap<String, E> = BTreeMap::new();
        for (k, v) in self.kv.scan_prefix(Space::Meta, prefix)? {
            let Some((name, version)) = parse(&k) else {
                return Err(corrupt_key(&k, "malformed catalog key"));
            };
            if version <= self.record.version {
                let entry: E = from_json(&v, &format!("{name}@{version}"))?;
                latest.insert(name.to_string(), entry);
            }
        }
        Ok(latest.into_values().filter_map(E::live).collect())
    }

    /// The newest entry in `[lower, upper]` (one name's versions up to this one), if live.
    fn latest_one<E: Versioned>(
        &self,
        lower: &[u8],
        upper: &[u8],
    ) -> Result<Option<E::Live>, StorageError> {
        match self.kv.last_in_range(Space::Meta, lower, upper)? {
            Some((k, v)) => Ok(E::live(from_json(&v, &String::from_utf8_lossy(&k))?)),
            None => Ok(None),
        }
    }

    /// The table called `name` (case-insensitive), or an error that suggests near names.
    pub fn table(&self, name: &str) -> Result<TableMeta, StorageError> {
        let folded = name.to_ascii_lowercase();
        if let Some(meta) = self.find_table(&folded)? {
            return Ok(meta);
        }
        let names: Vec<String> = self.tables()?.into_iter().map(|t| t.name).collect();
        Err(StorageError::UnknownTable {
            name: name.to_string(),
            candidates: closest(&folded, names.iter().map(String::as_str)),
        })
    }

    /// The table called `name` (already lower-case), if it is live at this version.
    pub fn find_table(&self, name: &str) -> Result<Option<TableMeta>, StorageError> {
        let (lower, upper) = (key::table(name, 0), key::table(name, self.record.version));
        self.latest_one::<TableEntry>(&lower, &upper)
    }

    /// Every column of a table, in ordinal order. Costs O(columns): for wide tables prefer
    /// [`Snapshot::column_by_name`].
    pub fn columns(&self, table: &TableMeta) -> Result<Vec<ColumnMeta>, StorageError> {
        self.kv
            .scan_prefix(Space::Meta, &key::columns_prefix(table.data_id))?
            .iter()
            .map(|(k, v)| {
                from_json::<ColumnMeta>(v, &String::from_utf8_lossy(k))
                    .map(|c| c.legacy_role(table))
            })
            .collect()
    }

    /// One column by ordinal.
    pub fn column(&self, table: &TableMeta, ordinal: u32) -> Result<ColumnMeta, StorageError> {
        let k = key::column(table.data_id, ordinal);
        let v = self.kv.get(Space::Meta, &k)?.ok_or_else(|| {
            StorageError::Internal(format!("table {} has no column {ordinal}", table.name))
        })?;
        from_json::<ColumnMeta>(&v, &format!("column {}#{ordinal}", table.name))
            .map(|c| c.legacy_role(table))
    }

    /// Columns whose name or source label equals `name` case-insensitively. O(matches).
    pub fn find_columns(
        &self,
        table: &TableMeta,
        name: &str,
    ) -> Result<Vec<ColumnMeta>, StorageError> {
        let k = key::column_name(table.data_id, &fold(name));
        let Some(ordinals) = self.kv.get(Space::Meta, &k)? else {
            return Ok(Vec::new());
        };
        key::unpack_ordinals(&ordinals)
            .into_iter()
            .map(|o| self.column(table, o))
            .collect()
    }

    /// The column that `name` denotes: an exact name or label wins, then a unique
    /// case-insensitive match. Errors suggest near names.
    pub fn column_by_name(
        &self,
        table: &TableMeta,
        name: &str,
    ) -> Result<ColumnMeta, StorageError> {
        let matches = self.find_columns(table, name)?;
        if let Some(exact) = matches.iter().find(|c| c.name == name || c.label == name) {
            return Ok(exact.clone());
        }
        if let [only] = matches.as_slice() {
            return Ok(only.clone());
        }
        let candidates = if matches.is_empty() {
            self.suggest_columns(table, name)?
        } else {
            matches.into_iter().map(|c| c.name).collect()
        };
        Err(StorageError::UnknownColumn {
            table: table.name.clone(),
            name: name.to_string(),
            candidates,
        })
    }

    /// The columns whose name matches a glob (`*` matches any run of characters), compared
    /// case-insensitively, in ordinal order. Reads only the name-index entries that share the
    /// glob's literal prefix, so `original_shape_*` of 1,800 features touches a handful.
    pub fn columns_matching(
        &self,
        table: &TableMeta,
        pattern: &str,
    ) -> Result<Vec<ColumnMeta>, StorageError> {
        let pattern = fold(pattern);
        if pattern.chars().all(|c| c == '*') {
            return self.columns(table);
        }
        let literal = pattern.split('*').next().unwrap_or("");
        let index = key::column_names_prefix(table.data_id);
        let prefix = key::column_name(table.data_id, literal);
        let mut ordinals: Vec<u32> = self
            .kv
            .scan_prefix(Space::Meta, &prefix)?
            .into_iter()
            .filter(|(k, _)| glob_match(&pattern, &String::from_utf8_lossy(&k[index.len()..])))
            .flat_map(|(_, v)| key::unpack_ordinals(&v))
            .collect();
        ordinals.sort_unstable();
        ordinals.dedup();
        let mut columns = Vec::with_capacity(ordinals.len());
        for o in ordinals {
            let column = self.column(table, o)?;
            if glob_match(&pattern, &fold(&column.name)) {
                columns.push(column);
            }
        }
        Ok(columns)
    }

    /// The columns nearest to a name that matched none, by their real names ("did you mean").
    pub fn suggest_columns(
        &self,
        table: &TableMeta,
        name: &str,
    ) -> Result<Vec<String>, StorageError> {
        let folded = self.column_names(table)?;
        let mut names = Vec::new();
        for near in closest(&fold(name), folded.iter().map(String::as_str)) {
            for column in self.find_columns(table, &near)? {
                if !names.contains(&column.name) {
                    names.push(column.name);
                }
            }
        }
        Ok(names)
    }

    /// The folded names and labels in a table's name index (for suggestions and completion).
    pub fn column_names(&self, table: &TableMeta) -> Result<Vec<String>, StorageError> {
        let prefix = key::column_names_prefix(table.data_id);
        Ok(self
            .kv
            .scan_prefix(Space::Meta, &prefix)?
            .into_iter()
            .map(|(k, _)| String::from_utf8_lossy(&k[prefix.len()..]).into_owned())
            .collect())
    }

    /// How many chunks each column of `table` has.
    pub fn chunk_count(table: &TableMeta) -> u32 {
        table.rows.div_ceil(table.chunk_rows.max(1) as u64) as u32
    }

    /// Reads, verifies and decodes one chunk of one column.
    pub fn read_chunk(
        &self,
        table: &TableMeta,
        column: &ColumnMeta,
        chunk: u32,
    ) -> Result<ArrayRef, StorageError> {
        self.read_raw(&ChunkAt::of(table, column), chunk)
    }

    pub(super) fn read_raw(&self, at: &ChunkAt<'_>, chunk: u32) -> Result<ArrayRef, StorageError> {
        let corrupt = |detail: String| StorageError::Corrupt {
            table: at.owner.to_string(),
            column: at.column.to_string(),
            chunk,
            detail,
        };
        let k = key::chunk(at.data_id, at.ordinal, chunk);
        let bytes = self
            .kv
            .get(Space::Data, &k)?
            .ok_or_else(|| corrupt("the chunk is missing".into()))?;
        let array = codec::decode(&bytes).map_err(corrupt)?;
        let expected = expected_rows(at.rows, at.chunk_rows, chunk);
        if array.len() != expected || array.data_type() != &at.ty.storage_type() {
            return Err(corrupt(format!(
                "holds {} values of type {}, expected {expected} of type {}",
                array.len(),
                array.data_type(),
                at.ty.storage_type()
            )));
        }
        Ok(array)
    }

    /// A whole column, every chunk concatenated, or `None` when the table has no column of
    /// exactly that name. The subject column comes back as subject ID text. For importers
    /// that merge a new file into a table (DICOM, manifests); queries go through DataFusion.
    pub fn read_whole_column(
        &self,
        table: &TableMeta,
        name: &str,
    ) -> Result<Option<ArrayRef>, StorageError> {
        let Some(column) = self
            .find_columns(table, name)?
            .into_iter()
            .find(|c| c.name == name)
        else {
            return Ok(None);
        };
        let mut parts = Vec::new();
        for chunk in 0..Self::chunk_count(table) {
            parts.push(self.read_chunk(table, &column, chunk)?);
        }
        let refs: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
        let whole = if refs.is_empty() {
            arrow::array::new_empty_array(&column.ty.storage_type())
        } else {
            arrow::compute::concat(&refs)
                .map_err(|e| StorageError::Internal(format!("concatenating chunks: {e}")))?
        };
        if column.ty == ColumnType::Subject {
            use arrow::array::AsArray;
            let ids = whole.as_primitive::<arrow::datatypes::UInt32Type>();
            let names: arrow::array::StringArray = ids
                .iter()
                .map(|id| id.and_then(|i| self.subjects().get(i as usize).map(String::as_str)))
                .collect();
            return Ok(Some(std::sync::Arc::new(names)));
        }
        Ok(Some(whole))
    }

    /// The live cohorts at this version, by name.
    pub fn cohorts(&self) -> Result<Vec<CohortMeta>, StorageError> {
        self.latest_all::<CohortEntry>(&key::cohorts_prefix(), key::parse_cohort)
    }

    /// The cohort called `name` (already lower-case), if it is live at this version.
    pub fn find_cohort(&self, name: &str) -> Result<Option<CohortMeta>, StorageError> {
        let (lower, upper) = (key::cohort(name, 0), key::cohort(name, self.record.version));
        self.latest_one::<CohortEntry>(&lower, &upper)
    }

    /// The dense ids of a cohort's members, in stored order.
    pub fn cohort_members(&self, cohort: &CohortMeta) -> Result<Vec<u32>, StorageError> {
        let at = ChunkAt {
            owner: &cohort.name,
            column: "members",
            data_id: cohort.data_id,
            ordinal: 0,
            rows: cohort.members,
            chunk_rows: CHUNK_ROWS as u32,
            ty: ColumnType::Subject,
        };
        let mut ids = Vec::with_capacity(cohort.members as usize);
        for chunk in 0..(cohort.members as usize).div_ceil(CHUNK_ROWS) as u32 {
            let array = self.read_raw(&at, chunk)?;
            let array = array
                .as_any()
                .downcast_ref::<arrow::array::UInt32Array>()
                .ok_or_else(|| StorageError::Internal("cohort members are not u32".into()))?;
            ids.extend(array.values().iter().copied());
        }
        Ok(ids)
    }
}

/// How many rows chunk `chunk` of a `rows`-row column holds.
pub fn expected_rows(rows: u64, chunk_rows: u32, chunk: u32) -> usize {
    let start = chunk as u64 * chunk_rows as u64;
    (rows.saturating_sub(start)).min(chunk_rows as u64) as usize
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Case folding used by the name index: Unicode lower case.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// Longest name, in characters, that gets "did you mean" hints: nobody mistypes a name this
/// long, and the search stays cheap over 100,000 columns.
const SUGGEST_MAX_CHARS: usize = 256;
/// Most edits a hint may be away from what was typed.
const SUGGEST_MAX_EDITS: usize = 10;

/// Up to three names closest to `wanted`, for "did you mean" hints: the names that contain it,
/// or else those at the smallest edit distance (if it is small enough to be a typo: a third of
/// the name's length, at least 2 and at most [`SUGGEST_MAX_EDITS`]). Names whose length alone
/// puts them further away are skipped before any distance is computed, and the distance is
/// computed only within that bound, so the cost is linear in the names' total length.
pub fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted_chars: Vec<char> = wanted.chars().collect();
    if wanted_chars.is_empty() || wanted_chars.len() > SUGGEST_MAX_CHARS {
        return Vec::new();
    }
    let limit = (wanted_chars.len() / 3).clamp(2, SUGGEST_MAX_EDITS);
    let mut scored: Vec<(bool, usize, &str)> = names
        .filter_map(|n| {
            let folded = n.to_lowercase();
            let name: Vec<char> = folded.chars().collect();
            // A typo in the first part of a long name (`egfr_mutaton` for
            // `egfr_mutation_status`) is near the name's prefix of the same length.
            let prefix = &name[..name.len().min(wanted_chars.len())];
            let start = bounded_levenshtein(&wanted_chars, prefix, limit).map(|d| d + 1);
            if folded.contains(wanted) {
                // Containing it, the name is exactly its extra characters away.
                let extra = name.len() - wanted_chars.len();
                return Some((false, start.map_or(extra, |s| s.min(extra)), n));
            }
            let whole = bounded_levenshtein(&wanted_chars, &name, limit);
            let distance = whole.into_iter().chain(start).min()?;
            (distance <= limit).then_some((true, distance, n))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    // Names containing what was typed are the best hints; without any, the nearest typos.
    let any_contained = scored.iter().any(|s| !s.0);
    let best = scored.iter().find(|s| s.0).map(|s| s.1);
    scored
        .into_iter()
        .filter(|(not_contained, d, _)| !*not_contained || (!any_contained && Some(*d) == best))
        .take(3)
        .map(|(_, _, n)| n.to_string())
        .collect()
}

/// The Levenshtein distance between `a` and `b` when it is at most `max`, else `None`.
///
/// Written here because `strsim` (already a dependency) has no bounded form: its full
/// `levenshtein` costs `|a|·|b|` for every name, which a long identifier against 100,000
/// columns turns into minutes. This one skips pairs whose lengths differ by more than `max`
/// and fills only the band of width `2·max + 1` around the diagonal (Ukkonen).
fn bounded_levenshtein(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let outside = max + 1;
    // `row[j]`: the distance between `a[..i]` and `b[..j]`, capped at `max + 1`.
    let mut row: Vec<usize> = (0..=b.len()).map(|j| j.min(outside)).collect();
    for i in 1..=a.len() {
        let from = i.saturating_sub(max).max(1);
        let to = (i + max).min(b.len());
        let mut diagonal = row[from - 1];
        row[from - 1] = if from == 1 { i.min(outside) } else { outside };
        let mut best = row[from - 1];
        for j in from..=to {
            let above = row[j];
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (diagonal + cost)
                .min(above + 1)
                .min(row[j - 1] + 1)
                .min(outside);
            diagonal = above;
            best = best.min(row[j]);
        }
        if to < b.len() {
            row[to + 1] = outside;
        }
        if best > max {
            return None;
        }
    }
    (row[b.len()] <= max).then_some(row[b.len()])
}

/// A versioned catalog entry: live, or a tombstone.
trait Versioned: serde::de::DeserializeOwned {
    type Live;
    fn live(self) -> Option<Self::Live>;
}

impl Versioned for TableEntry {
    type Live = TableMeta;
    fn live(self) -> Option<TableMeta> {
        match self {
            TableEntry::Live(meta) => Some(meta),
            TableEntry::Dropped { .. } => None,
        }
    }
}

impl Versioned for CohortEntry {
    type Live = CohortMeta;
    fn live(self) -> Option<CohortMeta> {
        match self {
            CohortEntry::Live(meta) => Some(meta),
            CohortEntry::Dropped { .. } => None,
        }
    }
}

impl<'a> ChunkAt<'a> {
    /// The chunks of one column of a table generation.
    pub(super) fn of(table: &'a TableMeta, column: &'a ColumnMeta) -> ChunkAt<'a> {
        ChunkAt {
            owner: &table.name,
            column: &column.name,
            data_id: table.data_id,
            ordinal: column.ordinal,
            rows: table.rows,
            chunk_rows: table.chunk_rows,
            ty: column.ty,
        }
    }
}

/// Where one chunk lives and what it must hold.
pub(super) struct ChunkAt<'a> {
    pub owner: &'a str,
    pub column: &'a str,
    pub data_id: u64,
    pub ordinal: u32,
    pub rows: u64,
    pub chunk_rows: u32,
    pub ty: ColumnType,
}

fn corrupt_key(k: &[u8], detail: &str) -> StorageError {
    StorageError::CorruptCatalog {
        key: String::from_utf8_lossy(k).into_owned(),
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn hints_are_the_names_containing_it_or_the_nearest_typos() {
        let names = [
            "egfr_mutation_status",
            "kras_mutation_status",
            "gender",
            "os_days",
        ];
        assert_eq!(
            closest("egfr_mutaton", names.into_iter()),
            ["egfr_mutation_status"]
        );
        assert_eq!(
            closest("mutation", names.into_iter()),
            ["egfr_mutation_status", "kras_mutation_status"]
        );
        assert_eq!(closest("gendr", names.into_iter()), ["gender"]);
        assert!(closest("histology", names.into_iter()).is_empty());
    }

    #[test]
    fn a_very_long_name_gets_no_hint_and_costs_nothing() {
        let wanted = "x".repeat(1 << 20);
        let names: Vec<String> = (0..100_000).map(|i| format!("gene_{i}")).collect();
        assert!(closest(&wanted, names.iter().map(String::as_str)).is_empty());
        // Just under the bound, names of other lengths are skipped unread.
        let wanted = "g".repeat(SUGGEST_MAX_CHARS);
        assert!(closest(&wanted, names.iter().map(String::as_str)).is_empty());
    }

    #[test]
    fn the_bound_is_respected_at_its_edge() {
        assert_eq!(
            bounded_levenshtein(&chars("kitten"), &chars("sitting"), 3),
            Some(3)
        );
        assert_eq!(
            bounded_levenshtein(&chars("kitten"), &chars("sitting"), 2),
            None
        );
        assert_eq!(bounded_levenshtein(&chars(""), &chars("ab"), 2), Some(2));
        assert_eq!(bounded_levenshtein(&chars("abc"), &chars(""), 2), None);
    }

    proptest! {
        /// Within the bound it is Levenshtein's distance (strsim's); past it, `None`.
        #[test]
        fn bounded_levenshtein_agrees_with_strsim(
            a in "[abc]{0,12}",
            b in "[abc]{0,12}",
            max in 0usize..8,
        ) {
            let full = strsim::levenshtein(&a, &b);
            let bounded = bounded_levenshtein(&chars(&a), &chars(&b), max);
            prop_assert_eq!(bounded, (full <= max).then_some(full));
        }
    }
}
