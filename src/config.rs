//! Settings of an open database, built with `with_*` methods.

use crate::storage::{Backend, StoreConfig};

/// How a [`crate::Database`] stores and runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Most memory one statement's query may hold (sorts, joins, aggregates), in bytes. Over
    /// it, DataFusion spills where it can (sorts, aggregates) and otherwise the statement fails
    /// with E0310. `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Longest a reading statement may run before it is stopped with E0311. `None`: no limit.
    pub statement_timeout: Option<std::time::Duration>,
    /// zstd level for new column chunks.
    pub zstd_level: i32,
    /// DataFusion partitions per scan; defaults to the number of cores.
    pub target_partitions: usize,
    /// Tokio worker threads of the blocking façade; defaults to the number of cores.
    pub worker_threads: usize,
    /// The longest line, and the longest field, an import reads from a text file (256 MiB by
    /// default). Past it the import stops with E0433 (a line) or E0437 (a quoted field).
    pub max_line_bytes: usize,
    /// The storage engine of a database created with this configuration (redb with segment
    /// files by default; the others exist to be measured, `docs/storage-format.md`). Opening
    /// finds the engine from the directory's files.
    pub backend: Backend,
    /// Whether opening a database made by an earlier rgdb (sled) converts it first, instead of
    /// failing with E0516.
    pub upgrade: bool,
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            memory_limit: None,
            statement_timeout: None,
            zstd_level: StoreConfig::default().zstd_level,
            target_partitions: cores,
            worker_threads: cores,
            max_line_bytes: StoreConfig::default().max_line_bytes,
            backend: Backend::default(),
            upgrade: false,
        }
    }
}

impl Config {
    /// Sets the zstd level (1–22) used for chunks written from now on.
    pub fn with_zstd_level(mut self, level: i32) -> Self {
        self.zstd_level = level.clamp(1, 22);
        self
    }

    /// Sets how many partitions a scan is split into.
    pub fn with_target_partitions(mut self, n: usize) -> Self {
        self.target_partitions = n.max(1);
        self
    }

    /// Sets the worker threads of the runtime that the blocking API owns.
    pub fn with_worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n.max(1);
        self
    }

    /// Bounds the lines and fields that imports read to `bytes` (at least 1 KiB): an import
    /// meeting a longer one stops there, so its memory stays within about that much.
    pub fn with_max_line_bytes(mut self, bytes: usize) -> Self {
        self.max_line_bytes = bytes.max(1 << 10);
        self
    }

    /// Limits the memory of each statement's query to `bytes`.
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes.max(1));
        self
    }

    /// Stops reading statements (queries, SHOW, statistics) that run longer than `timeout`.
    /// Imports, exports and cohort changes always run to the end, so that they either
    /// happen or do not.
    pub fn with_statement_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.statement_timeout = Some(timeout);
        self
    }

    /// Sets the storage engine of databases created from now on.
    pub fn with_backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Converts a database made by an earlier rgdb when it is opened (see
    /// [`crate::Database::upgrade`]), a read-only open included: the conversion writes, as it
    /// was asked to, and the open that follows is read-only.
    pub fn with_upgrade(mut self, upgrade: bool) -> Self {
        self.upgrade = upgrade;
        self
    }

    pub(crate) fn store(&self) -> StoreConfig {
        StoreConfig {
            zstd_level: self.zstd_level,
            max_line_bytes: self.max_line_bytes,
        }
    }
}
