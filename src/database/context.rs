//! The DataFusion contexts a database gives: the lean one its statements run in, and a full
//! session over a snapshot for callers who write SQL of their own.

use std::sync::Arc;

use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider};
use datafusion::prelude::{SessionConfig, SessionContext};

use super::{CATALOG, Database, SCHEMA};
use crate::error::Result;
use crate::exec;
use crate::storage::{Snapshot, SnapshotSchema};

impl Database {
    /// A DataFusion session in which every table of the current version is registered
    /// (as `rgdb.main.<table>`, the default schema), plus `subjects`.
    pub fn session(&self) -> SessionContext {
        self.session_for(self.snapshot())
    }

    /// A session over an earlier version.
    pub fn session_at(&self, version: u64) -> Result<SessionContext> {
        Ok(self.session_for(self.snapshot_at(version)?))
    }

    /// A session over `snapshot`, its tables in the default schema `rgdb.main`.
    fn session_for(&self, snapshot: Snapshot) -> SessionContext {
        let ctx = self.full_context();
        let catalog = MemoryCatalogProvider::new();
        // Registering a schema on a fresh in-memory catalog cannot fail.
        let _ = catalog.register_schema(SCHEMA, Arc::new(SnapshotSchema::new(snapshot)));
        ctx.register_catalog(CATALOG, Arc::new(catalog));
        ctx
    }

    /// The DataFusion context a statement runs in. rgdb's planner builds every function call
    /// itself (`plan/expr.rs`), so the context registers none of DataFusion's ~300 functions,
    /// table factories or SQL planners. Registering them faulted in their code: the peak RSS of
    /// `rgdb --db S -c "SELECT count(*) FROM subjects"` (`/usr/bin/time`, 3 runs each) went
    /// from 64 to 52 MB without them (issue 22).
    pub(super) fn new_context(&self) -> SessionContext {
        let (config, runtime) = self.context_parts();
        let state = datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_query_planner(Arc::new(exec::Planner))
            .build();
        SessionContext::new_with_state(state)
    }

    /// A context with all of DataFusion's functions and SQL, for [`Database::session`], where
    /// callers write SQL of their own.
    fn full_context(&self) -> SessionContext {
        let (config, runtime) = self.context_parts();
        SessionContext::new_with_config_rt(config, runtime)
    }

    /// The session settings (partitions, the default catalog, the memory limit's spill
    /// thresholds) and the runtime (with the memory limit) of every context.
    fn context_parts(
        &self,
    ) -> (
        SessionConfig,
        Arc<datafusion::execution::runtime_env::RuntimeEnv>,
    ) {
        let mut config = SessionConfig::new()
            .with_target_partitions(self.config.target_partitions)
            .with_default_catalog_and_schema(CATALOG, SCHEMA)
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(true);
        if let Some(bytes) = self.config.memory_limit {
            // A sort sets memory aside for merging its spills (10 MB by default): keep that a
            // fraction of the limit, so that a small limit spills rather than fails.
            let execution = &mut config.options_mut().execution;
            execution.sort_spill_reservation_bytes =
                execution.sort_spill_reservation_bytes.min(bytes / 8);
            execution.sort_in_place_threshold_bytes =
                execution.sort_in_place_threshold_bytes.min(bytes / 8);
        }
        let runtime = match self.config.memory_limit {
            Some(bytes) => datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
                .with_memory_limit(bytes, 1.0)
                .build_arc(),
            None => datafusion::execution::runtime_env::RuntimeEnvBuilder::new().build_arc(),
        };
        let runtime = runtime.unwrap_or_else(|_| Arc::new(Default::default()));
        (config, runtime)
    }
}
