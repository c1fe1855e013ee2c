//! The front door: a [`Database`] opened from a directory, with imports, catalog
//! introspection, and a DataFusion session over a snapshot. Blocking; it owns a Tokio runtime,
//! and [`Database::session`] gives async access.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::record_batch::RecordBatch;
use datafusion::common::ParamValues;
use datafusion::prelude::SessionContext;

use crate::config::Config;
use crate::error::Result;
use crate::exec::{ExecError, QueryResult};
use crate::ingest::{self, ClinicalImport, ImportRequest, ImportSummary, TableImport};
use crate::storage::{
    Access, Backend, ChunkPlacement, ColumnMeta, KvStore, MemoryKv, RedbKv, SledKv, Snapshot,
    StorageError, Store, StoreTable, TableMeta, UpgradeReport, VersionRecord,
};
use crate::syntax::{Statement, parse_statements};

mod context;
mod frames;

/// Stack of the runtime's workers, where statements are resolved, planned, optimised and run:
/// deep expressions recurse in every stage, and debug builds use large frames.
const WORKER_STACK: usize = 16 << 20;

/// The DataFusion catalog and schema under which a session shows rgdb's tables.
pub const CATALOG: &str = "rgdb";
pub const SCHEMA: &str = "main";

/// An open rgdb database.
#[derive(Debug)]
pub struct Database {
    path: Option<PathBuf>,
    store: Arc<Store>,
    config: Config,
    runtime: tokio::runtime::Runtime,
    /// Frames registered for this session ([`Database::register`]), never stored.
    frames: std::sync::RwLock<Arc<crate::resolve::Frames>>,
}

impl Database {
    /// Creates a new, empty database in directory `path`, which must not hold one already.
    pub fn create(path: impl AsRef<Path>) -> Result<Database> {
        Self::create_with(path, Config::default())
    }

    /// [`Database::create`] with settings.
    pub fn create_with(path: impl AsRef<Path>, config: Config) -> Result<Database> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        if is_database(path) {
            return Err(StorageError::AlreadyExists { path: shown }.into());
        }
        let not_empty = std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_some());
        if not_empty || path.is_file() {
            return Err(StorageError::Backend(format!(
                "{shown} exists and is not an empty directory; choose a new path for the database"
            ))
            .into());
        }
        let kv: Arc<dyn KvStore> = match config.backend {
            Backend::Redb => Arc::new(RedbKv::create(path, ChunkPlacement::Segments)?),
            Backend::RedbTree => Arc::new(RedbKv::create(path, ChunkPlacement::Tree)?),
            Backend::Sled => Arc::new(SledKv::open(path)?),
        };
        let store = Store::create(kv, config.store(), &shown)?;
        Self::from_store(Some(path.to_path_buf()), store, config)
    }

    /// Opens the database in directory `path` as its one writer. Other processes may read it
    /// meanwhile ([`Database::open_read_only`]); a second writer gets E0501 naming this one.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_with(path, Config::default())
    }

    /// [`Database::open`] with settings.
    pub fn open_with(path: impl AsRef<Path>, config: Config) -> Result<Database> {
        Self::open_as(path.as_ref(), config, Access::ReadWrite)
    }

    /// Opens the database in directory `path` for reading only, beside a writer in another
    /// process or not. It writes no byte to the directory; each statement reads the last
    /// version committed when it starts, and a statement that would change the database gets
    /// E0515. The one exception is asked for by name: with [`Config::with_upgrade`], a
    /// database an earlier rgdb made is converted first (which writes), then opened read-only.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_read_only_with(path, Config::default())
    }

    /// [`Database::open_read_only`] with settings.
    pub fn open_read_only_with(path: impl AsRef<Path>, config: Config) -> Result<Database> {
        Self::open_as(path.as_ref(), config, Access::ReadOnly)
    }

    fn open_as(path: &Path, config: Config, access: Access) -> Result<Database> {
        let shown = path.display().to_string();
        let kv: Arc<dyn KvStore> = match Backend::detect(path) {
            None => return Err(StorageError::NotADatabase { path: shown }.into()),
            Some(Backend::Sled) if config.backend == Backend::Sled => {
                Arc::new(SledKv::open_with(path, access)?)
            }
            Some(Backend::Sled) if config.upgrade => {
                crate::storage::upgrade(path)?;
                Arc::new(RedbKv::open(path, access)?)
            }
            Some(Backend::Sled) => return Err(StorageError::NeedsUpgrade { path: shown }.into()),
            Some(_) => {
                let kv = RedbKv::open(path, access)?;
                // What a conversion killed past its commit point left, removed under the
                // writer's lock.
                if access == Access::ReadWrite {
                    crate::storage::tidy_upgrade(path)?;
                }
                Arc::new(kv)
            }
        };
        let store = Store::open(kv, config.store(), &shown)?;
        Self::from_store(Some(path.to_path_buf()), store, config)
    }

    /// Converts the database in `path`, made by an earlier rgdb (sled), to the current storage,
    /// once and atomically; every version, table and chunk is kept as it was. `Ok(None)` if it
    /// is current already. Refused (E0501) while a process has it open.
    pub fn upgrade(path: impl AsRef<Path>) -> Result<Option<UpgradeReport>> {
        Ok(crate::storage::upgrade(path.as_ref())?)
    }

    /// Whether this session was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// Opens the database at `path`, creating it first if there is none.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Database> {
        Self::open_or_create_with(path, Config::default())
    }

    /// [`Database::open_or_create`] with settings.
    pub fn open_or_create_with(path: impl AsRef<Path>, config: Config) -> Result<Database> {
        if is_database(path.as_ref()) {
            Self::open_with(path, config)
        } else {
            Self::create_with(path, config)
        }
    }

    /// A database that lives in memory only and is gone when dropped.
    pub fn in_memory() -> Result<Database> {
        Self::with_backend(Arc::new(MemoryKv::default()), Config::default())
    }

    /// A new database on any [`KvStore`] backend (for tests and custom storage).
    pub fn with_backend(kv: Arc<dyn KvStore>, config: Config) -> Result<Database> {
        let store = Store::create(kv, config.store(), ":backend:")?;
        Self::from_store(None, store, config)
    }

    fn from_store(path: Option<PathBuf>, store: Store, config: Config) -> Result<Database> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads)
            .thread_name("rgdb-worker")
            .thread_stack_size(WORKER_STACK)
            .enable_all()
            .build()
            .map_err(|e| StorageError::Backend(format!("starting the query runtime: {e}")))?;
        Ok(Database {
            path,
            store: Arc::new(store),
            config,
            runtime,
            frames: std::sync::RwLock::default(),
        })
    }

    /// The directory of the database (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The settings it was opened with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Limits the memory of each query from now on (`None`: no limit). See
    /// [`Config::with_memory_limit`].
    pub fn set_memory_limit(&mut self, bytes: Option<usize>) {
        self.config.memory_limit = bytes.map(|b| b.max(1));
    }

    /// Stops reading statements that run longer than `timeout` from now on (`None`: no
    /// limit). See [`Config::with_statement_timeout`].
    pub fn set_statement_timeout(&mut self, timeout: Option<std::time::Duration>) {
        self.config.statement_timeout = timeout;
    }

    /// The column store, for power users.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current version number. Every import adds one.
    pub fn version(&self) -> u64 {
        self.store.version()
    }

    /// Carries out an import described once for the statement, the command line and the API.
    pub fn import(&self, request: &ImportRequest) -> Result<ImportSummary> {
        self.writable()?;
        Ok(ingest::run(&self.store, request, None)?)
    }

    /// E0515 in a read-only session, before any input is read.
    fn writable(&self) -> Result<()> {
        if self.is_read_only() {
            return Err(StorageError::ReadOnly { path: self.shown() }.into());
        }
        Ok(())
    }

    fn shown(&self) -> String {
        self.path
            .as_deref()
            .map_or_else(|| ":memory:".into(), |p| p.display().to_string())
    }

    /// Imports the clinical CSV at `path` into table `clinical`.
    pub fn import_clinical(&self, path: impl AsRef<Path>) -> Result<ImportSummary> {
        self.import_clinical_with(path, &ClinicalImport::default())
    }

    /// Imports a clinical CSV with options.
    pub fn import_clinical_with(
        &self,
        path: impl AsRef<Path>,
        options: &ClinicalImport,
    ) -> Result<ImportSummary> {
        self.import(&ImportRequest::Clinical {
            path: path.as_ref().to_path_buf(),
            options: options.clone(),
        })
    }

    /// Imports any CSV or TSV as a table keyed by a subject column.
    pub fn import_table(
        &self,
        path: impl AsRef<Path>,
        options: &TableImport,
    ) -> Result<ImportSummary> {
        self.import(&ImportRequest::Table {
            path: path.as_ref().to_path_buf(),
            options: options.clone(),
        })
    }

    /// Runs every statement of `text` (separated by `;`) and returns the last one's rows.
    ///
    /// ```
    /// # let db = rgdb::Database::in_memory()?;
    /// # db.import_clinical(concat!(env!("CARGO_MANIFEST_DIR"), "/data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"))?;
    /// let result = db.query("SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender")?;
    /// assert_eq!(result.num_rows(), 2);
    /// # Ok::<(), rgdb::Error>(())
    /// ```
    pub fn query(&self, text: &str) -> Result<QueryResult> {
        self.query_with(text, None)
    }

    /// [`Database::query`] with values for `$1`, `$2`, … (a `Vec<ScalarValue>`) or `$name`
    /// (a `Vec<(&str, ScalarValue)>`).
    pub fn query_with(
        &self,
        text: &str,
        params: impl Into<Option<ParamValues>>,
    ) -> Result<QueryResult> {
        self.query_cancellable(text, params, &AtomicBool::new(false))
    }

    /// [`Database::query_with`] that another thread can stop: a reading statement ends with
    /// `E0307` soon after `cancel` is set (imports, exports and cohort changes always run to
    /// the end, as in [`Database::run_statement`]); no statement starts once it is set. The
    /// caller clears the flag. This is what a binding calls when its user presses Ctrl-C.
    pub fn query_cancellable(
        &self,
        text: &str,
        params: impl Into<Option<ParamValues>>,
        cancel: &AtomicBool,
    ) -> Result<QueryResult> {
        let params = params.into();
        let mut results = self.run_script_with(text, params.as_ref(), Some(cancel))?;
        results.pop().map(|(_, r)| r).ok_or_else(|| {
            crate::syntax::ParseError::UnexpectedEnd {
                expected: vec!["statement".into()],
                span: crate::syntax::Span::new(text.len(), text.len()),
            }
            .into()
        })
    }

    /// Runs one reading statement and returns its rows as they are produced, one record batch
    /// at a time, so a large result never has to fit in memory.
    pub fn query_stream(&self, text: &str) -> Result<BatchIter<'_>> {
        let statement = crate::syntax::parse_statement(text)?;
        let store = self.store.clone();
        let ctx = self.new_context();
        let frames = self.frames();
        let task = self
            .runtime
            .spawn(async move { crate::session::stream(&store, &ctx, &statement, frames).await });
        let stream = self.block_on(task).unwrap_or_else(|e| {
            Err(StorageError::Internal(format!("a query task failed: {e}")).into())
        })?;
        Ok(BatchIter { db: self, stream })
    }

    /// Runs every statement of `text` for its effect.
    pub fn execute(&self, text: &str) -> Result<()> {
        self.run_script_with(text, None, None).map(|_| ())
    }

    /// Runs every statement of `text`, returning each statement with its rows. Statements run
    /// in order; the first error stops the script (earlier statements keep their effect).
    pub fn run_script(&self, text: &str) -> Result<Vec<(Statement, QueryResult)>> {
        self.run_script_with(text, None, None)
    }

    fn run_script_with(
        &self,
        text: &str,
        params: Option<&ParamValues>,
        cancel: Option<&AtomicBool>,
    ) -> Result<Vec<(Statement, QueryResult)>> {
        let statements = parse_statements(text)?;
        let ctx = self.new_context();
        let mut results = Vec::with_capacity(statements.len());
        for statement in statements {
            // After a cancel, no further statement starts.
            if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                return Err(ExecError::Cancelled.into());
            }
            let result = self.run_guarded(&ctx, statement.clone(), params.cloned(), cancel)?;
            results.push((statement, result));
        }
        Ok(results)
    }

    /// Runs one parsed statement; a query stops early with `E0307` once `cancel` is set
    /// (imports, exports and cohort changes always run to the end, so that they either happen
    /// or do not). The caller clears the flag.
    pub fn run_statement(&self, statement: Statement, cancel: &AtomicBool) -> Result<QueryResult> {
        let ctx = self.new_context();
        self.run_guarded(&ctx, statement, None, Some(cancel))
    }

    /// Runs one statement as a task on the runtime (whose workers have deep stacks), stopping
    /// a reading statement when `cancel` is set (E0307) or when it outlives the statement
    /// timeout (E0311).
    fn run_guarded(
        &self,
        ctx: &SessionContext,
        statement: Statement,
        params: Option<ParamValues>,
        cancel: Option<&AtomicBool>,
    ) -> Result<QueryResult> {
        if writes_database(&statement) {
            self.writable()?;
        }
        let reads = reads_only(&statement);
        let stop = Arc::new(AtomicBool::new(false));
        let store = self.store.clone();
        let ctx = ctx.clone();
        let frames = self.frames();
        let stop_flag = stop.clone();
        let mut task = self
            .runtime
            .spawn(crate::progress::with_stop_flag(stop_flag, async move {
                crate::session::run(&store, &ctx, &statement, params.as_ref(), frames).await
            }));
        let timeout = self.config.statement_timeout.filter(|_| reads);
        let started = std::time::Instant::now();
        self.block_on(async {
            loop {
                tokio::select! {
                    done = &mut task => return joined(done),
                    _ = tokio::time::sleep(std::time::Duration::from_millis(10)) => {
                        if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                            if reads {
                                task.abort();
                                return Err(ExecError::Cancelled.into());
                            }
                            // A write runs to its end or fails whole; work that can stop
                            // between its steps does, and then writes nothing.
                            stop.store(true, Ordering::SeqCst);
                        }
                        if let Some(limit) = timeout
                            && started.elapsed() >= limit
                        {
                            task.abort();
                            return Err(ExecError::Timeout {
                                millis: limit.as_millis() as u64,
                            }
                            .into());
                        }
                    }
                }
            }
        })
    }

    /// Runs one statement as a task on the runtime (whose workers have deep stacks).
    fn run_on_worker(
        &self,
        ctx: &SessionContext,
        statement: Statement,
        params: Option<ParamValues>,
    ) -> Result<QueryResult> {
        self.run_guarded(ctx, statement, params, None)
    }

    /// The DataFusion logical and physical plans of a statement, as text.
    pub fn explain(&self, text: &str) -> Result<String> {
        let statement = crate::syntax::parse_statement(text)?;
        let explain = Statement::Explain {
            span: statement.span(),
            statement: Box::new(statement),
        };
        let ctx = self.new_context();
        let result = self.run_on_worker(&ctx, explain, None)?;
        Ok(result.to_table())
    }

    /// A consistent read view of the current version.
    pub fn snapshot(&self) -> Snapshot {
        self.store.snapshot()
    }

    /// A read view of an earlier version.
    pub fn snapshot_at(&self, version: u64) -> Result<Snapshot> {
        Ok(self.store.snapshot_at(version)?)
    }

    /// The live tables.
    pub fn tables(&self) -> Result<Vec<TableMeta>> {
        Ok(self.snapshot().tables()?)
    }

    /// One table's catalog record; unknown names get suggestions.
    pub fn table(&self, name: &str) -> Result<TableMeta> {
        Ok(self.snapshot().table(name)?)
    }

    /// Every column of a table, in order (the subject column first).
    pub fn columns(&self, table: &str) -> Result<Vec<ColumnMeta>> {
        let snapshot = self.snapshot();
        let meta = snapshot.table(table)?;
        Ok(snapshot.columns(&meta)?)
    }

    /// Every version of the database, oldest first.
    pub fn history(&self) -> Result<Vec<VersionRecord>> {
        Ok(self.store.versions()?)
    }

    /// Every registered subject ID.
    pub fn subjects(&self) -> Vec<String> {
        self.snapshot().subjects().to_vec()
    }

    /// A table provider over the subject column and the named columns only.
    pub fn provider(&self, table: &str, columns: &[&str]) -> Result<StoreTable> {
        let snapshot = self.snapshot();
        let meta = snapshot.table(table)?;
        Ok(StoreTable::with_columns(snapshot, meta, columns)?)
    }

    /// Reads the subject column and the named columns of a table.
    pub fn read_columns(&self, table: &str, columns: &[&str]) -> Result<Vec<RecordBatch>> {
        let provider = Arc::new(self.provider(table, columns)?);
        let ctx = self.new_context();
        self.block_on(async move {
            let frame = ctx.read_table(provider)?;
            Ok(frame.collect().await?)
        })
    }

    /// Runs a future on the database's runtime, for blocking callers.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Verifies the whole store: versions, the subject registry, and every stored table and
    /// cohort generation (column records, name index, every chunk's checksum, type, length
    /// and non-null count). Empty means all is well. See `storage/check.rs`.
    pub fn check(&self) -> Result<Vec<StorageError>> {
        Ok(self.store.check()?)
    }
}

fn joined(
    done: std::result::Result<Result<QueryResult>, tokio::task::JoinError>,
) -> Result<QueryResult> {
    done.unwrap_or_else(|e| Err(StorageError::Internal(format!("a query task failed: {e}")).into()))
}

/// The batches of [`Database::query_stream`], pulled one at a time.
pub struct BatchIter<'a> {
    db: &'a Database,
    stream: datafusion::execution::SendableRecordBatchStream,
}

impl BatchIter<'_> {
    /// The schema of every batch.
    pub fn schema(&self) -> arrow::datatypes::SchemaRef {
        self.stream.schema()
    }
}

impl Iterator for BatchIter<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        use futures::StreamExt;
        let next = self.db.runtime.block_on(self.stream.next())?;
        Some(next.map_err(crate::Error::from))
    }
}

/// Whether a statement only reads: it may be cancelled or timed out. Imports, exports and
/// cohort changes always run to the end, so that they either happen or do not.
fn reads_only(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Select(_)
            | Statement::Show(_)
            | Statement::Describe { .. }
            | Statement::Explain { .. }
            | Statement::Survival(_)
            | Statement::Cox(_)
            | Statement::Correlate(_)
    )
}

/// Whether `path` is a directory that holds a database (without creating anything).
fn is_database(path: &Path) -> bool {
    Backend::detect(path).is_some()
}

/// Whether a statement changes the database (and so is refused in a read-only session).
pub(crate) fn writes_database(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Import(_)
            | Statement::CreateCohort { .. }
            | Statement::DropCohort { .. }
            | Statement::RefreshCohort { .. }
            | Statement::DropTable { .. }
            | Statement::Vacuum { .. }
    )
}
