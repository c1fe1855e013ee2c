//! `rgdb.Cursor`: a DB-API 2.0-style cursor over a `Database` (`db.cursor()`), for code written
//! against sqlite3 or duckdb's connection. Each `execute` holds its result as an
//! `ArrowResult`; the cursor keeps its own place in the rows.

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::database::Database;
use crate::errors::binding_error;
use crate::stream::{ArrowResult, Description};

/// A DB-API 2.0-style cursor: `execute`, `fetchone`, `fetchmany`, `fetchall`, `description`,
/// `rowcount`, `close`. Made by `Database.cursor()`. Iterating it yields the remaining rows.
#[pyclass(module = "rgdb._rgdb", name = "Cursor")]
pub struct Cursor {
    db: Py<Database>,
    result: Option<Py<ArrowResult>>,
    /// The row the next fetch returns.
    position: usize,
    closed: bool,
    /// How many rows `fetchmany()` returns without a size (DB-API; 1).
    #[pyo3(get, set)]
    arraysize: usize,
}

impl Cursor {
    pub fn new(db: Py<Database>) -> Cursor {
        Cursor {
            db,
            result: None,
            position: 0,
            closed: false,
            arraysize: 1,
        }
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed {
            return Err(binding_error(py, "the cursor is closed"));
        }
        Ok(())
    }

    /// The next `count` rows (all that are left when None).
    fn take<'py>(&mut self, py: Python<'py>, count: Option<usize>) -> PyResult<Bound<'py, PyList>> {
        self.check_open(py)?;
        let result = self
            .result
            .as_ref()
            .ok_or_else(|| binding_error(py, "no statement has been executed on this cursor"))?;
        let rows = ArrowResult::rows(result.bind(py))?;
        let start = self.position.min(rows.len());
        let end = count.map_or(rows.len(), |n| start.saturating_add(n).min(rows.len()));
        self.position = end;
        Ok(rows.get_slice(start, end))
    }
}

#[pymethods]
impl Cursor {
    /// Runs the statements of `text` (as `Database.sql`) and holds the last one's rows for
    /// the fetch methods. Returns the cursor.
    #[pyo3(signature = (text, params = None))]
    fn execute<'py>(
        slf: &Bound<'py, Self>,
        text: &str,
        params: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let py = slf.py();
        // No borrow of the cursor is held while the statement runs (it releases the GIL).
        let db = {
            let this = slf.borrow();
            this.check_open(py)?;
            this.db.clone_ref(py)
        };
        let result = Py::new(py, db.get().sql(py, text, params)?)?;
        let mut this = slf.borrow_mut();
        this.result = Some(result);
        this.position = 0;
        Ok(slf.clone())
    }

    /// Runs `text` once per parameter set of `params_seq`; the cursor holds the last result.
    fn executemany<'py>(
        slf: &Bound<'py, Self>,
        text: &str,
        params_seq: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        for params in params_seq.try_iter()? {
            Self::execute(slf, text, Some(&params?))?;
        }
        Ok(slf.clone())
    }

    /// The next row as a tuple, or None after the last.
    fn fetchone<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self.take(py, Some(1))?.iter().next())
    }

    /// The next `size` rows (`arraysize` by default) as a list of tuples; `[]` after the last.
    #[pyo3(signature = (size = None))]
    fn fetchmany<'py>(
        &mut self,
        py: Python<'py>,
        size: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let size = size.unwrap_or(self.arraysize);
        self.take(py, Some(size))
    }

    /// The rows not fetched yet as a list of tuples.
    fn fetchall<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.take(py, None)
    }

    /// Per column of the last result, (name, type_code, None, None, None, None, null_ok);
    /// None before the first `execute`.
    #[getter]
    fn description(&self) -> Option<Vec<Description>> {
        self.result.as_ref().map(|r| r.get().describe())
    }

    /// The number of rows of the last result, or -1 before the first `execute`.
    #[getter]
    fn rowcount(&self) -> i64 {
        self.result.as_ref().map_or(-1, |r| {
            i64::try_from(r.get().num_rows()).unwrap_or(i64::MAX)
        })
    }

    /// The database the cursor runs on.
    #[getter]
    fn connection(&self, py: Python<'_>) -> Py<Database> {
        self.db.clone_ref(py)
    }

    /// Drops the held result; later calls on the cursor raise `rgdb.Error`. The database
    /// stays open.
    fn close(&mut self) {
        self.closed = true;
        self.result = None;
    }

    /// DB-API asks for it; rgdb has nothing to set.
    #[pyo3(signature = (*_sizes))]
    fn setinputsizes(&self, _sizes: &Bound<'_, pyo3::types::PyTuple>) {}

    /// DB-API asks for it; rgdb has nothing to set.
    #[pyo3(signature = (*_args))]
    fn setoutputsize(&self, _args: &Bound<'_, pyo3::types::PyTuple>) {}

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.fetchone(py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        let state = if self.closed { "closed" } else { "open" };
        format!("<rgdb.Cursor on {} ({state})>", self.db.get().path())
    }
}
