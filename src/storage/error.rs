//! Errors of the storage stage.

use thiserror::Error;

/// An error from the column store or its backend.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StorageError {
    /// Another process (or another handle in this one) has the database open for writing.
    /// Triggered by a second writer: `rgdb --db x.rgdb -c "IMPORT …"` while a REPL has it.
    #[error(
        "the database {path} is open for writing by {holder}; one process writes at a time. Read beside it with a read-only open (`rgdb --readonly`, `Database::open_read_only`, `rgdb.open(path, read_only=True)`), or close the other session and try again"
    )]
    Locked { path: String, holder: String },
    /// A write in a read-only session: `rgdb --readonly --db x.rgdb -c "DROP TABLE t"`.
    #[error(
        "the database {path} is open read-only; it cannot be changed in this session. Open it without --readonly (or with `Database::open`) to write"
    )]
    ReadOnly { path: String },
    /// A database made by an rgdb before the storage decision of issue 22 (sled).
    #[error(
        "the database {path} was made by an earlier rgdb (sled storage). Convert it once with `rgdb upgrade {path}` (or open it with --upgrade); the conversion is atomic and keeps every version"
    )]
    NeedsUpgrade { path: String },
    /// The database was written by a format this build does not know.
    /// Triggered by opening a database made by a newer rgdb.
    #[error(
        "unsupported storage format version {found} (this rgdb reads versions {oldest} to {supported}); upgrade rgdb to open this database",
        oldest = super::catalog::OLDEST_FORMAT
    )]
    UnknownFormat { found: u32, supported: u32 },
    /// `Database::open` on a path that holds no rgdb database.
    #[error("no rgdb database at {path}")]
    NotADatabase { path: String },
    /// `Database::create` on a path that already holds one.
    #[error("a database already exists at {path}")]
    AlreadyExists { path: String },
    /// A table name that the catalog does not hold, e.g. `rgdb describe clinicl`.
    #[error("unknown table `{name}`{}", suggest(candidates))]
    UnknownTable {
        name: String,
        candidates: Vec<String>,
    },
    /// A column name that the table does not hold.
    #[error("table `{table}` has no column `{name}`{}", suggest(candidates))]
    UnknownColumn {
        table: String,
        name: String,
        candidates: Vec<String>,
    },
    /// `AS OF VERSION n` for a version that does not exist.
    #[error("version {version} does not exist (the database is at version {latest})")]
    UnknownVersion { version: u64, latest: u64 },
    /// A version older than the last `VACUUM KEEP n` kept.
    #[error(
        "version {version} was compacted by VACUUM; the oldest version that can be read is {oldest}"
    )]
    Compacted { version: u64, oldest: u64 },
    /// A chunk failed its checksum, could not be decoded, or is missing.
    #[error("corrupt data in table `{table}`, column `{column}`, chunk {chunk}: {detail}")]
    Corrupt {
        table: String,
        column: String,
        chunk: u32,
        detail: String,
    },
    /// A catalog record could not be read.
    #[error("corrupt catalog entry {key}: {detail}")]
    CorruptCatalog { key: String, detail: String },
    /// An invalid table or cohort name, e.g. `import table 2x file.csv`, or a 100-character
    /// cohort name. A long name is quoted shortened.
    #[error("invalid {kind} name `{}`: {reason}", shorten(.name))]
    InvalidName {
        kind: &'static str,
        name: String,
        reason: String,
    },
    /// The name is reserved for the subject universe or another built-in.
    #[error("`{name}` is a reserved name and cannot name a table")]
    ReservedTableName { name: String },
    /// A table and a cohort cannot share a name: `CREATE COHORT clinical AS …`.
    #[error("`{name}` already names a {taken_by}; choose another name")]
    NameTaken { name: String, taken_by: String },
    /// An I/O or sled failure.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// A broken invariant inside the store.
    #[error("internal storage error (this is a bug in rgdb, please report it): {0}")]
    Internal(String),
}

/// Characters of a name an error quotes; the rest is `…`.
const QUOTED_CHARS: usize = 40;

/// `name` itself, or its first [`QUOTED_CHARS`] characters and `…`.
pub(crate) fn shorten(name: &str) -> String {
    match name.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_string(),
    }
}

/// Renders "; did you mean `x`?" for a candidate list.
pub(crate) fn suggest(candidates: &[String]) -> String {
    match candidates {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => {
            let list: Vec<String> = many.iter().map(|c| format!("`{c}`")).collect();
            format!("; did you mean one of {}?", list.join(", "))
        }
    }
}

/// An I/O failure on `path`, as a backend error naming the file.
pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> StorageError {
    StorageError::Backend(format!("{}: {e}", path.display()))
}

impl StorageError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Locked { .. } => "E0501",
            StorageError::UnknownFormat { .. } => "E0502",
            StorageError::NotADatabase { .. } => "E0503",
            StorageError::AlreadyExists { .. } => "E0504",
            StorageError::UnknownTable { .. } => "E0505",
            StorageError::UnknownColumn { .. } => "E0506",
            StorageError::UnknownVersion { .. } => "E0507",
            StorageError::Corrupt { .. } => "E0508",
            StorageError::CorruptCatalog { .. } => "E0509",
            StorageError::InvalidName { .. } => "E0510",
            StorageError::ReservedTableName { .. } => "E0511",
            StorageError::Backend(_) => "E0512",
            StorageError::NameTaken { .. } => "E0513",
            StorageError::Compacted { .. } => "E0514",
            StorageError::ReadOnly { .. } => "E0515",
            StorageError::NeedsUpgrade { .. } => "E0516",
            StorageError::Internal(_) => "E0599",
        }
    }
}
