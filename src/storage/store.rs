//! The store: opening and creating databases, the head version, the subject registry, and the
//! single writer that turns staged tables into a new committed version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use super::catalog::{Action, FORMAT_VERSION, OLDEST_FORMAT, VersionRecord};
use super::codec;
use super::error::StorageError;
use super::key;
use super::kv::{BatchOp, KvStore, Space};
use super::snapshot::Snapshot;
use super::writer::WriteTxn;

/// The default bound on a line and on a field that importers read from a text file (256 MiB).
pub const DEFAULT_MAX_LINE_BYTES: usize = 256 << 20;

/// Settings of the column store and of the importers that write into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// zstd level for column chunks (1–22).
    pub zstd_level: i32,
    /// The longest line, and the longest field, an importer reads from a text file, in bytes.
    pub max_line_bytes: usize,
}

impl Default for StoreConfig {
    /// zstd level 1: on float matrices it compresses within a few percent of level 3 at about
    /// twice the speed, and imports are compression-bound. Lines up to 256 MiB.
    fn default() -> Self {
        StoreConfig {
            zstd_level: 1,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Subject IDs and their dense ids. Append-only: an id, once given, never changes.
#[derive(Debug, Default, Clone)]
pub struct SubjectRegistry {
    names: Vec<String>,
    /// Name → dense id, built on the first lookup (opening 100,000 subjects need not hash
    /// them all).
    ids: std::sync::OnceLock<HashMap<String, u32>>,
}

impl SubjectRegistry {
    fn from_names(names: Vec<String>) -> SubjectRegistry {
        SubjectRegistry {
            names,
            ids: std::sync::OnceLock::new(),
        }
    }

    /// Every registered subject ID, indexed by dense id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The dense id of a subject ID.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.ids
            .get_or_init(|| {
                self.names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), i as u32))
                    .collect()
            })
            .get(name)
            .copied()
    }

    fn push(&mut self, name: String) -> u32 {
        let id = self.names.len() as u32;
        if let Some(ids) = self.ids.get_mut() {
            ids.insert(name.clone(), id);
        }
        self.names.push(name);
        id
    }
}

#[derive(Debug)]
struct Head {
    version: VersionRecord,
    registry: Arc<SubjectRegistry>,
}

/// A database's column store. Readers take [`Snapshot`]s; one writer at a time commits.
#[derive(Debug)]
pub struct Store {
    kv: Arc<dyn KvStore>,
    head: RwLock<Head>,
    writer: Mutex<()>,
    config: StoreConfig,
    /// The database's storage format version (`OLDEST_FORMAT..=FORMAT_VERSION`).
    format: u32,
    /// The database as shown in messages.
    path: String,
}

impl Store {
    /// Initialises an empty store at version 0. Fails if `kv` already holds a database.
    pub fn create(
        kv: Arc<dyn KvStore>,
        config: StoreConfig,
        path: &str,
    ) -> Result<Store, StorageError> {
        if kv.get(Space::Meta, key::FORMAT)?.is_some() {
            return Err(StorageError::AlreadyExists { path: path.into() });
        }
        let record = VersionRecord {
            version: 0,
            time: now(),
            action: Action::Create,
            statement: None,
            subjects: 0,
            next_data_id: 1,
        };
        let ops = vec![
            (
                key::FORMAT.to_vec(),
                Some(FORMAT_VERSION.to_be_bytes().to_vec()),
            ),
            (key::version(0), Some(to_json(&record)?)),
        ];
        kv.apply_batch(Space::Meta, ops)?;
        kv.flush()?;
        Ok(Store::from_parts(
            kv,
            record,
            SubjectRegistry::default(),
            config,
            FORMAT_VERSION,
            path,
        ))
    }

    /// Opens an existing store, refusing unknown formats and sweeping the chunks and column
    /// records that an interrupted import left behind. On a read-only backend nothing is
    /// swept or rewritten: the writer does that when it next opens.
    pub fn open(
        kv: Arc<dyn KvStore>,
        config: StoreConfig,
        path: &str,
    ) -> Result<Store, StorageError> {
        let format = kv
            .get(Space::Meta, key::FORMAT)?
            .ok_or_else(|| StorageError::NotADatabase { path: path.into() })?;
        let found = <[u8; 4]>::try_from(format.as_slice())
            .map(u32::from_be_bytes)
            .map_err(|_| StorageError::CorruptCatalog {
                key: "format".into(),
                detail: format!("{} bytes, expected 4", format.len()),
            })?;
        if !(OLDEST_FORMAT..=FORMAT_VERSION).contains(&found) {
            return Err(StorageError::UnknownFormat {
                found,
                supported: FORMAT_VERSION,
            });
        }
        let head = latest_version(kv.as_ref())?;
        let registry = load_registry(kv.as_ref(), head.subjects)?;
        if kv.is_read_only() {
            return Ok(Store::from_parts(kv, head, registry, config, found, path));
        }
        let mut orphans = kv.remove_range(
            Space::Data,
            &key::chunks_from(head.next_data_id),
            &[0xFF; 17],
        )?;
        for (lower, upper) in key::column_record_ranges(head.next_data_id, u64::MAX) {
            orphans += kv.remove_range(Space::Meta, &lower, &upper)?;
        }
        if orphans > 0 {
            kv.flush()?;
        }
        Ok(Store::from_parts(kv, head, registry, config, found, path))
    }

    fn from_parts(
        kv: Arc<dyn KvStore>,
        version: VersionRecord,
        registry: SubjectRegistry,
        config: StoreConfig,
        format: u32,
        path: &str,
    ) -> Store {
        Store {
            kv,
            head: RwLock::new(Head {
                version,
                registry: Arc::new(registry),
            }),
            writer: Mutex::new(()),
            config,
            format,
            path: path.to_string(),
        }
    }

    /// Whether this store was opened read-only: [`Store::begin`] refuses.
    pub fn is_read_only(&self) -> bool {
        self.kv.is_read_only()
    }

    /// The store's settings.
    pub fn config(&self) -> StoreConfig {
        self.config
    }

    /// The database's storage format version: [`FORMAT_VERSION`] for a database this build
    /// created, older for one an older rgdb created (it keeps its format).
    pub fn format(&self) -> u32 {
        self.format
    }

    /// How this database's chunks are encoded: codec 2 for floats from format 2 on, codec 3
    /// for those codec 2 declines from format 3 on.
    pub(crate) fn encoding(&self) -> codec::Encoding {
        codec::Encoding {
            level: self.config.zstd_level,
            decimal_floats: self.format >= 2,
            split_floats: self.format >= 3,
        }
    }

    /// The backend.
    pub fn kv(&self) -> &Arc<dyn KvStore> {
        &self.kv
    }

    /// The current version number.
    pub fn version(&self) -> u64 {
        if self.is_read_only() {
            return self.pinned().1.version;
        }
        self.read_head().version.version
    }

    /// A consistent read view of the latest committed version: in a read-only process, the
    /// last version another process committed.
    ///
    /// The view is the backend's pinned read transaction when it has them (redb): later
    /// commits and `VACUUM`, in this process or another, do not change what it reads. The
    /// head version is read from that view, so view and version always agree. Should the
    /// backend fail to begin a read transaction, the snapshot reads through the store at the
    /// head this process last saw, and the failure shows at its first read.
    pub fn snapshot(&self) -> Snapshot {
        let (kv, version, registry) = self.pinned();
        Snapshot::new(kv, version, registry)
    }

    /// A view, the latest version in it, and that version's subjects.
    fn pinned(&self) -> (Arc<dyn KvStore>, VersionRecord, Arc<SubjectRegistry>) {
        if let Ok(Some(view)) = self.kv.pin()
            && let Ok((version, registry)) = self.head_in(view.as_ref())
        {
            return (view, version, registry);
        }
        let head = self.read_head();
        (self.kv.clone(), head.version.clone(), head.registry.clone())
    }

    /// The latest version in `view` and its registry, which is this process's when the counts
    /// agree (subjects are append-only) and is otherwise read from the view and kept.
    fn head_in(
        &self,
        view: &dyn KvStore,
    ) -> Result<(VersionRecord, Arc<SubjectRegistry>), StorageError> {
        let latest = latest_version(view)?;
        let head = self.read_head();
        if head.registry.names.len() == latest.subjects as usize {
            return Ok((latest, head.registry.clone()));
        }
        drop(head);
        // A pinned view is read-only, so this never writes the blocks it finds missing.
        let registry = Arc::new(load_registry(view, latest.subjects)?);
        let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
        if self.kv.is_read_only() && latest.version > head.version.version {
            head.version = latest.clone();
            head.registry = registry.clone();
        }
        Ok((latest, registry))
    }

    /// A read view of an earlier version.
    pub fn snapshot_at(&self, version: u64) -> Result<Snapshot, StorageError> {
        let (kv, head, registry) = self.pinned();
        let latest = head.version;
        if version > latest {
            return Err(StorageError::UnknownVersion { version, latest });
        }
        let oldest = self.oldest_version()?;
        if version < oldest {
            return Err(StorageError::Compacted { version, oldest });
        }
        let record = kv
            .get(Space::Meta, &key::version(version))?
            .ok_or(StorageError::UnknownVersion { version, latest })?;
        let record: VersionRecord = from_json(&record, &format!("version {version}"))?;
        Ok(Snapshot::new(kv, record, registry))
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> Result<Vec<VersionRecord>, StorageError> {
        self.kv
            .scan_prefix(Space::Meta, &key::version_prefix())?
            .iter()
            .map(|(k, v)| from_json(v, &String::from_utf8_lossy(k)))
            .collect()
    }

    /// Starts the one write transaction; blocks while another is open. Refused with
    /// [`StorageError::ReadOnly`] in a read-only store.
    pub fn begin(&self) -> Result<WriteTxn<'_>, StorageError> {
        if self.is_read_only() {
            return Err(StorageError::ReadOnly {
                path: self.path.clone(),
            });
        }
        let guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let head = self.read_head();
        Ok(WriteTxn::new(
            self,
            guard,
            head.version.clone(),
            head.registry.clone(),
        ))
    }

    /// Called by [`WriteTxn::commit`] once the batch is durable.
    pub(crate) fn publish(
        &self,
        _guard: &MutexGuard<'_, ()>,
        version: VersionRecord,
        new_subjects: Vec<String>,
    ) {
        let mut head = self.head.write().unwrap_or_else(|p| p.into_inner());
        if !new_subjects.is_empty() {
            let mut registry = (*head.registry).clone();
            for name in new_subjects {
                registry.push(name);
            }
            head.registry = Arc::new(registry);
        }
        head.version = version;
    }

    fn read_head(&self) -> std::sync::RwLockReadGuard<'_, Head> {
        self.head.read().unwrap_or_else(|p| p.into_inner())
    }
}

fn latest_version(kv: &dyn KvStore) -> Result<VersionRecord, StorageError> {
    let (k, v) = kv
        .last_in_range(Space::Meta, &key::version(0), &key::version(u64::MAX))?
        .ok_or_else(|| StorageError::CorruptCatalog {
            key: "v".into(),
            detail: "no version record".into(),
        })?;
    from_json(&v, &String::from_utf8_lossy(&k))
}

/// The registry of `count` subjects: from its blocks (a read per 4,096 subjects), or, when
/// they are missing or do not hold exactly `count` names (a database written before blocks
/// existed, or by an older rgdb since), from the one-key-per-subject index, after which the
/// blocks are rewritten so that the next open is fast.
fn load_registry(kv: &dyn KvStore, count: u32) -> Result<SubjectRegistry, StorageError> {
    if let Some(names) = read_blocks(kv, count)? {
        return Ok(SubjectRegistry::from_names(names));
    }
    let registry = scan_registry(kv, count)?;
    if count > 0 && !kv.is_read_only() {
        kv.apply_batch(Space::Meta, block_ops(registry.names(), 0))?;
        kv.flush()?;
    }
    Ok(registry)
}

/// The names held by the registry blocks, if they hold exactly `count`.
pub(crate) fn read_blocks(
    kv: &dyn KvStore,
    count: u32,
) -> Result<Option<Vec<String>>, StorageError> {
    let mut names = Vec::with_capacity(count as usize);
    for block in 0..count.div_ceil(key::SUBJECT_BLOCK_SIZE) {
        let Some(bytes) = kv.get(Space::Meta, &key::subject_block(block))? else {
            return Ok(None);
        };
        let Some(block_names) = decode_block(&bytes) else {
            return Err(StorageError::CorruptCatalog {
                key: format!("subject block {block}"),
                detail: "malformed".into(),
            });
        };
        names.extend(block_names);
    }
    Ok((names.len() == count as usize).then_some(names))
}

/// The batch that writes blocks `first_block`, … from `names`, which start at that block's
/// first dense id.
pub(crate) fn block_ops(names: &[String], first_block: u32) -> Vec<BatchOp> {
    names
        .chunks(key::SUBJECT_BLOCK_SIZE as usize)
        .enumerate()
        .map(|(b, chunk)| {
            (
                key::subject_block(first_block + b as u32),
                Some(encode_block(chunk)),
            )
        })
        .collect()
}

fn encode_block(names: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(names.iter().map(|n| n.len() + 4).sum());
    for name in names {
        out.extend_from_slice(&(name.len() as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    out
}

fn decode_block(mut bytes: &[u8]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    while !bytes.is_empty() {
        let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let name = bytes.get(4..4 + len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        bytes = &bytes[4 + len..];
    }
    Some(names)
}

fn scan_registry(kv: &dyn KvStore, count: u32) -> Result<SubjectRegistry, StorageError> {
    let mut registry = SubjectRegistry::default();
    for (k, v) in kv.scan_prefix(Space::Meta, &key::subjects_by_id_prefix())? {
        let id = key::parse_subject_id(&k).ok_or_else(|| StorageError::CorruptCatalog {
            key: String::from_utf8_lossy(&k).into(),
            detail: "malformed subject key".into(),
        })?;
        if id >= count {
            break;
        }
        if id as usize != registry.names.len() {
            return Err(StorageError::CorruptCatalog {
                key: format!("subject {id}"),
                detail: format!("expected dense id {}", registry.names.len()),
            });
        }
        registry.push(String::from_utf8_lossy(&v).into_owned());
    }
    if registry.names.len() != count as usize {
        return Err(StorageError::CorruptCatalog {
            key: "subjects".into(),
            detail: format!(
                "the head version lists {count} subjects but the registry holds {}",
                registry.names.len()
            ),
        });
    }
    Ok(registry)
}

/// The current time as RFC 3339, in UTC, to the second.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(value).map_err(|e| StorageError::Internal(format!("serialising: {e}")))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
) -> Result<T, StorageError> {
    serde_json::from_slice(bytes).map_err(|e| StorageError::CorruptCatalog {
        key: what.to_string(),
        detail: e.to_string(),
    })
}
