//! Settings of an open database, built with `with_*` methods.

use crate::storage::StoreConfig;

/// How a [`crate::Database`] stores and runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// zstd level for new column chunks.
    pub zstd_level: i32,
    /// DataFusion partitions per scan; defaults to the number of cores.
    pub target_partitions: usize,
    /// Tokio worker threads of the blocking façade; defaults to the number of cores.
    pub worker_threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            zstd_level: StoreConfig::default().zstd_level,
            target_partitions: cores,
            worker_threads: cores,
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

    pub(crate) fn store(&self) -> StoreConfig {
        StoreConfig {
            zstd_level: self.zstd_level,
        }
    }
}
