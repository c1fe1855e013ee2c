//! `rgdb.Database`, `rgdb.open` and `rgdb.demo`.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rgdb::Config;
use rgdb::exec::QueryResult;
use rgdb::storage::StorageError;

use crate::cursor::Cursor;
use crate::errors::{closed, to_py_err};
use crate::interrupt::run_interruptible;
use crate::params::to_params;
use crate::stream::{ArrowResult, to_pyarrow};

/// An open rgdb database. Made by `rgdb.open` or `rgdb.demo`.
///
/// Safe to share between Python threads: statements run with the GIL released, reads run side
/// by side, and changes are serialised by the database. Close it (or use `with`) to release
/// the file lock before another process opens the same path.
#[pyclass(module = "rgdb._rgdb", name = "Database", frozen, weakref)]
pub struct Database {
    inner: RwLock<Option<Arc<rgdb::Database>>>,
    shown: String,
}

impl Database {
    fn wrap(db: rgdb::Database) -> Database {
        let shown = db
            .path()
            .map_or_else(|| ":memory:".to_string(), |p| p.display().to_string());
        Database {
            inner: RwLock::new(Some(Arc::new(db))),
            shown,
        }
    }

    /// The open database, or the "closed" error.
    fn get(&self, py: Python<'_>) -> PyResult<Arc<rgdb::Database>> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| closed(py))
    }

    /// Runs `text` on a helper thread, cancellable with Ctrl-C.
    fn run(
        &self,
        py: Python<'_>,
        text: &str,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<QueryResult> {
        let db = self.get(py)?;
        let params = to_params(params)?;
        // `db` moves to the helper thread, so that if this was the last reference (the
        // database was closed meanwhile) it is dropped there, without the GIL.
        let result =
            run_interruptible(py, move |cancel| db.query_cancellable(text, params, cancel))?;
        result.map_err(|e| to_py_err(py, &e, text))
    }

    /// Runs `text` and holds the last statement's rows as an `ArrowResult`.
    pub fn sql(
        &self,
        py: Python<'_>,
        text: &str,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ArrowResult> {
        Ok(ArrowResult::new(self.run(py, text, params)?))
    }

    /// Runs a call that has no statement text with the GIL released.
    fn call<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&rgdb::Database) -> rgdb::Result<T> + Send,
    ) -> PyResult<T> {
        let db = self.get(py)?;
        // Moved in, so a last reference is dropped without the GIL.
        py.detach(move || f(&db)).map_err(|e| to_py_err(py, &e, ""))
    }
}

#[pymethods]
impl Database {
    /// Runs the statements of `text` (separated by `;`) and returns the last one's rows as a
    /// `pyarrow.Table`. `params` gives values for `$1, $2, …` (a list or tuple) or for
    /// `$name` (a dict). Ctrl-C cancels a reading statement.
    #[pyo3(signature = (text, params = None))]
    fn query<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = self.run(py, text, params)?;
        to_pyarrow(py, ArrowResult::new(result))
    }

    /// Like `query`, but returns the rows as an `ArrowResult`: an object with
    /// `__arrow_c_stream__` that any Arrow reader (pyarrow, polars, …) takes without a copy.
    #[pyo3(signature = (text, params = None))]
    fn arrow(
        &self,
        py: Python<'_>,
        text: &str,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ArrowResult> {
        self.sql(py, text, params)
    }

    /// Runs the statements of `text` and returns the last one's rows as an `ArrowResult`,
    /// with duckdb's result methods: `df()`, `pl()`, `arrow()`, `fetchone()`, `fetchmany(n)`,
    /// `fetchall()`, `columns`, `shape`, and the test statistics of SURVIVAL and COX as
    /// `test` (a namedtuple) and `test_table`. `params` as for `query`.
    #[pyo3(name = "sql", signature = (text, params = None))]
    fn sql_py(
        &self,
        py: Python<'_>,
        text: &str,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ArrowResult> {
        self.sql(py, text, params)
    }

    /// A DB-API 2.0-style cursor on this database: `execute(text, params)`, `fetchone()`,
    /// `fetchmany(n)`, `fetchall()`, `description`, `rowcount`, `close()`.
    fn cursor(slf: Py<Self>, py: Python<'_>) -> PyResult<Cursor> {
        slf.get().get(py)?;
        Ok(Cursor::new(slf))
    }

    /// Runs the statements of `text` for their effect (CREATE COHORT, IMPORT, EXPORT, …).
    /// Returns the last statement's note (an import's text summary), or None; `query` returns
    /// an import's or export's summary as a row.
    #[pyo3(signature = (text, params = None))]
    fn execute(
        &self,
        py: Python<'_>,
        text: &str,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        Ok(self.run(py, text, params)?.note)
    }

    /// Makes `frame` (a pandas or polars DataFrame, a pyarrow Table or RecordBatchReader, or
    /// anything with `__arrow_c_stream__`) queryable as `name` for this session: `FROM name`,
    /// and with a `subject_id` column its rows join the stored tables. Nothing is written to
    /// the database; the frame's rows are copied once, into Arrow. Registering a name again
    /// replaces the frame; a table's or cohort's name is refused.
    fn register(&self, py: Python<'_>, name: &str, frame: &Bound<'_, PyAny>) -> PyResult<()> {
        // The frame as an Arrow IPC stream, made by pyarrow on the Python side: no unsafe
        // code here, and pandas, polars and pyarrow all go through one path.
        let ipc: Vec<u8> = py
            .import("rgdb._frames")?
            .call_method1("to_ipc", (frame,))?
            .extract()?;
        let reader = arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(ipc), None)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let name = name.to_string();
        self.call(py, move |db| db.register(&name, schema, batches))
    }

    /// Forgets a frame registered with `register`; whether there was one.
    fn unregister(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        Ok(self.get(py)?.unregister(name))
    }

    /// The names of the frames registered for this session.
    fn registered(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        Ok(self.get(py)?.registered())
    }

    /// Imports a clinical CSV (TCIA's NSCLC Radiogenomics layout, or any CSV with a subject
    /// column) into the table `clinical`. Returns what the import did: table, kind, version,
    /// rows, new_subjects, replaced, columns, notes.
    fn import_clinical<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
        let summary = self.call(py, |db| db.import_clinical(&path))?;
        let out = PyDict::new(py);
        out.set_item("table", &summary.table)?;
        out.set_item("kind", &summary.kind)?;
        out.set_item("version", summary.version)?;
        out.set_item("rows", summary.rows)?;
        out.set_item("new_subjects", summary.new_subjects)?;
        out.set_item("replaced", summary.replaced)?;
        out.set_item(
            "columns",
            summary
                .columns
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
        )?;
        out.set_item("notes", summary.notes.clone())?;
        Ok(out)
    }

    /// The tables (`SHOW TABLES`) as a `pyarrow.Table`.
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "SHOW TABLES", None)
    }

    /// The saved cohorts (`SHOW COHORTS`) as a `pyarrow.Table`.
    fn cohorts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "SHOW COHORTS", None)
    }

    /// The versions (`SHOW HISTORY`) as a `pyarrow.Table`.
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.query(py, "SHOW HISTORY", None)
    }

    /// The columns of table `name` (`DESCRIBE name`: column, type, non_null, unit, label,
    /// description) as a `pyarrow.Table`.
    fn describe<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let plain = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !plain {
            // Not a name a statement could hold: let the catalog say why.
            let owned = name.to_string();
            self.call(py, move |db| db.table(&owned).map(|_| ()))?;
        }
        self.query(py, &format!("DESCRIBE {name}"), None)
    }

    /// The subject IDs, in the order they were first imported.
    fn subjects(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let db = self.get(py)?;
        Ok(py.detach(move || db.subjects()))
    }

    /// The logical plan DataFusion runs for a reading statement, as text.
    fn explain(&self, py: Python<'_>, text: &str) -> PyResult<String> {
        let db = self.get(py)?;
        py.detach(move || db.explain(text))
            .map_err(|e| to_py_err(py, &e, text))
    }

    /// The current version (each import and change makes one).
    #[getter]
    fn version(&self, py: Python<'_>) -> PyResult<u64> {
        let db = self.get(py)?;
        Ok(py.detach(move || db.version()))
    }

    /// Whether it was opened with `read_only=True`.
    #[getter]
    fn read_only(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.get(py)?.is_read_only())
    }

    /// The database's directory, or ":memory:".
    #[getter]
    pub(crate) fn path(&self) -> String {
        self.shown.clone()
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// Closes the database and releases its file lock. Calls after this raise `rgdb.Error`;
    /// closing twice is allowed. A statement still running in another thread keeps the
    /// database open until it ends.
    fn close(&self, py: Python<'_>) {
        let db = self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
        // Dropping stops the database's worker threads: do it without the GIL.
        py.detach(|| drop(db));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("<rgdb.Database {} ({state})>", self.shown)
    }
}

/// Opens the database at `path`, creating it when there is none and `create` is true.
/// `path=":memory:"` (or None) gives a database that lives in memory only.
/// `read_only=True` opens it for reading beside a writer in another process (a REPL, an
/// import, another kernel): nothing in its directory is written, each statement sees the last
/// committed version, and writing statements raise E0515. `upgrade=True` converts a database
/// made by an earlier rgdb first. `memory_limit` (bytes) bounds what one query may hold;
/// `timeout` (seconds) stops a reading statement that runs longer.
#[pyfunction]
#[pyo3(signature = (path = None, *, create = true, read_only = false, upgrade = false, memory_limit = None, timeout = None))]
#[allow(clippy::too_many_arguments)]
pub fn open(
    py: Python<'_>,
    path: Option<PathBuf>,
    create: bool,
    read_only: bool,
    upgrade: bool,
    memory_limit: Option<usize>,
    timeout: Option<f64>,
) -> PyResult<Database> {
    let mut config = Config::default().with_upgrade(upgrade);
    if let Some(bytes) = memory_limit {
        config = config.with_memory_limit(bytes);
    }
    if let Some(seconds) = timeout {
        let duration = std::time::Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "timeout must be a positive number of seconds, not {seconds}"
                ))
            })?;
        config = config.with_statement_timeout(duration);
    }
    let db = py
        .detach(|| match path {
            None => in_memory(config),
            Some(p) if p.as_os_str() == ":memory:" => in_memory(config),
            Some(p) if read_only => rgdb::Database::open_read_only_with(&p, config),
            Some(p) => match rgdb::Database::open_with(&p, config.clone()) {
                Err(rgdb::Error::Storage(StorageError::NotADatabase { .. })) if create => {
                    rgdb::Database::create_with(&p, config)
                }
                other => other,
            },
        })
        .map_err(|e| to_py_err(py, &e, ""))?;
    Ok(Database::wrap(db))
}

fn in_memory(config: Config) -> rgdb::Result<rgdb::Database> {
    rgdb::Database::with_backend(Arc::new(rgdb::storage::MemoryKv::default()), config)
}

/// Opens the bundled NSCLC Radiogenomics demo cohort (TCIA; Bakr et al., Scientific Data
/// 2018; CC BY 3.0), building it at `path` first if it is not there. The default path is
/// rgdb's data directory (`$RGDB_HOME`, else `~/.local/share/rgdb`), shared with the command
/// line.
/// With `read_only=True` the demo is opened for reading only (built first if it is missing).
#[pyfunction]
#[pyo3(signature = (path = None, *, read_only = false))]
pub fn demo(py: Python<'_>, path: Option<PathBuf>, read_only: bool) -> PyResult<Database> {
    let path = path.unwrap_or_else(rgdb::demo::default_path);
    let db = py
        .detach(|| {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StorageError::Backend(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            rgdb::demo::open_or_build(&path, read_only)
        })
        .map_err(|e| to_py_err(py, &e, ""))?;
    Ok(Database::wrap(db))
}

/// Converts the database at `path`, made by an earlier rgdb (sled storage), to the current
/// storage, once and atomically. Returns a dict of what it did, or None if it was current.
#[pyfunction]
pub fn upgrade(py: Python<'_>, path: PathBuf) -> PyResult<Option<Py<pyo3::types::PyDict>>> {
    let report = py
        .detach(|| rgdb::Database::upgrade(&path))
        .map_err(|e| to_py_err(py, &e, ""))?;
    let Some(r) = report else {
        return Ok(None);
    };
    let out = pyo3::types::PyDict::new(py);
    out.set_item("from", r.from)?;
    out.set_item("to", r.to)?;
    out.set_item("catalog_entries", r.catalog_entries)?;
    out.set_item("chunks", r.chunks)?;
    out.set_item("bytes_before", r.bytes_before)?;
    out.set_item("bytes_after", r.bytes_after)?;
    out.set_item("seconds", r.seconds)?;
    Ok(Some(out.unbind()))
}

/// For the Python-overhead bench: runs `text` `repeat` times through the Rust API alone
/// (`rgdb::Database::query`, no Python objects) and returns each run's seconds.
#[pyfunction]
#[pyo3(signature = (db, text, repeat = 20))]
pub fn time_in_rust(
    py: Python<'_>,
    db: &Database,
    text: &str,
    repeat: usize,
) -> PyResult<Vec<f64>> {
    let inner = db.get(py)?;
    py.detach(|| {
        (0..repeat)
            .map(|_| {
                let start = Instant::now();
                inner.query(text).map(|_| start.elapsed().as_secs_f64())
            })
            .collect::<rgdb::Result<Vec<_>>>()
    })
    .map_err(|e| to_py_err(py, &e, text))
}
