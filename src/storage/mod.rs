//! storage: the columnar store (redb + segment files + zstd) and its DataFusion TableProvider.
//!
//! A database is a directory holding one redb file with two keyspaces: `meta` (the versioned
//! catalog and the subject registry) and `data` (zstd-compressed Arrow chunks, one key per
//! column per 65,536 rows, their bytes in append-only segment files). Reading k columns of an n-column table touches k column
//! records and k × chunks data keys, never the other n − k. The layout is specified in
//! `docs/storage-format.md`.

pub mod catalog;
mod check;
pub mod codec;
mod error;
pub mod key;
pub mod kv;
mod provider;
mod schema;
mod snapshot;
mod store;
mod table_writer;
mod upgrade;
mod vacuum;
mod writer;

pub use catalog::{
    Action, CHUNK_ROWS, CohortMeta, ColumnMeta, ColumnRole, ColumnType, FORMAT_VERSION, Level,
    SUBJECT_COLUMN, SourceFile, TableMeta, VacuumRecord, VersionRecord,
};
pub use error::StorageError;
pub(crate) use error::shorten;
pub(crate) use error::suggest;
pub use kv::{
    Access, Backend, ChunkPlacement, KvStore, MemoryKv, REDB_FILE, RedbKv, SledKv, Space,
};
pub use provider::{META_DESCRIPTION, META_LABEL, META_UNIT, StoreTable, SubjectSet, field_of};
pub use schema::{SUBJECTS_TABLE, SnapshotSchema, subjects_table};
pub use snapshot::{Snapshot, closest, fold, glob_match};
pub use store::{DEFAULT_MAX_LINE_BYTES, Store, StoreConfig, SubjectRegistry, now as now_rfc3339};
pub use table_writer::{NewColumn, StagedTable, TableWriter};
pub use upgrade::{UpgradeReport, tidy as tidy_upgrade, upgrade};
pub use vacuum::VacuumReport;
pub use writer::{RESERVED_TABLE_NAMES, WriteTxn, hex};
