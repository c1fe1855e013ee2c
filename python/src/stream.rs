//! Results as Arrow: `ArrowResult` exports its batches through the Arrow PyCapsule stream
//! protocol (`__arrow_c_stream__`), which pyarrow, polars and others read without copying a
//! value. No unsafe code of ours: `FFI_ArrowArrayStream::new` and a capsule that owns it are
//! the whole protocol. It also answers duckdb's result methods (`df`, `pl`, `arrow`,
//! `fetchone`, `fetchall`, …) and carries a statistic's test row (`test`).

use std::sync::{Arc, Mutex};

use arrow::array::{RecordBatch, RecordBatchIterator};
use arrow::datatypes::SchemaRef;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCapsule, PyList};
use rgdb::exec::QueryResult;

use crate::rows::{TEST_KEY, require, test_json, test_tuple, tuples};

/// The rows of one statement, held in Rust until a reader imports them.
///
/// The statement's header, note and test row also travel in the schema's metadata, under
/// `rgdb:header`, `rgdb:note` and `rgdb:test` (JSON), so a `pyarrow.Table` made from it keeps
/// them.
///
/// Any reader of the Arrow PyCapsule interface takes it without a copy:
/// `pyarrow.table(r)`, `polars.DataFrame(r)`, `pyarrow.RecordBatchReader.from_stream(r)`.
/// It can be read any number of times. `fetchone`, `fetchmany` and `fetchall` share one
/// cursor, as a duckdb result's do.
#[pyclass(module = "rgdb._rgdb", name = "ArrowResult", frozen)]
pub struct ArrowResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    note: Option<String>,
    header: Option<String>,
    /// The one-row table of test statistics (SURVIVAL, COX), if the statement has one.
    test: Option<RecordBatch>,
    /// The rows as Python tuples, made on the first fetch.
    rows: PyOnceLock<Py<PyList>>,
    /// The row the next `fetchone` / `fetchmany` returns.
    cursor: Mutex<usize>,
    /// `test` as a `Test` namedtuple, made on first use.
    test_row: PyOnceLock<Option<Py<PyAny>>>,
}

/// Schema metadata keys that carry a statement's text reports to any Arrow reader
/// (`table.schema.metadata[b"rgdb:header"]` in pyarrow).
pub const HEADER_KEY: &str = "rgdb:header";
pub const NOTE_KEY: &str = "rgdb:note";

impl ArrowResult {
    pub fn new(result: QueryResult) -> ArrowResult {
        let mut metadata = result.schema.metadata().clone();
        for (key, value) in [(HEADER_KEY, &result.header), (NOTE_KEY, &result.note)] {
            if let Some(text) = value {
                metadata.insert(key.to_string(), text.clone());
            }
        }
        if let Some(json) = result.test.as_ref().and_then(test_json) {
            metadata.insert(TEST_KEY.to_string(), json);
        }
        let schema = Arc::new(result.schema.as_ref().clone().with_metadata(metadata));
        ArrowResult {
            schema,
            batches: result.batches,
            note: result.note,
            header: result.header,
            test: result.test,
            rows: PyOnceLock::new(),
            cursor: Mutex::new(0),
            test_row: PyOnceLock::new(),
        }
    }

    /// Every row as a tuple, in one list made on the first call (callers slice it, never
    /// change it).
    pub fn rows<'py>(slf: &Bound<'py, ArrowResult>) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let rows = slf.get().rows.get_or_try_init(py, || {
            Ok::<_, PyErr>(tuples(&table_of(slf.as_any())?)?.unbind())
        })?;
        Ok(rows.bind(py).clone())
    }

    /// The next `count` rows (all that are left when None) from the shared cursor.
    fn take<'py>(
        slf: &Bound<'py, ArrowResult>,
        count: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let rows = ArrowResult::rows(slf)?;
        let mut cursor = slf.get().cursor.lock().unwrap_or_else(|e| e.into_inner());
        let start = (*cursor).min(rows.len());
        let end = count.map_or(rows.len(), |n| start.saturating_add(n).min(rows.len()));
        *cursor = end;
        Ok(rows.get_slice(start, end))
    }

    /// DB-API's `description`: per column (name, type_code, None × 4, null_ok), the type
    /// code being the Arrow type's name (`Utf8`, `Float64`, `Int64`, `Date32`, …).
    pub fn describe(&self) -> Vec<Description> {
        self.schema
            .fields()
            .iter()
            .map(|f| {
                let type_code = f.data_type().to_string();
                (
                    f.name().clone(),
                    type_code,
                    None,
                    None,
                    None,
                    None,
                    f.is_nullable(),
                )
            })
            .collect()
    }
}

/// One column of DB-API's `description`.
pub type Description = (
    String,
    String,
    Option<usize>,
    Option<usize>,
    Option<usize>,
    Option<usize>,
    bool,
);

#[pymethods]
impl ArrowResult {
    /// Exports the rows as an Arrow C stream in a PyCapsule named "arrow_array_stream".
    /// `requested_schema` is accepted as the protocol asks and ignored: the rows keep their
    /// own types.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        // Cloning a batch clones Arcs of its buffers, not values.
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// The number of rows.
    #[getter]
    pub(crate) fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The column names, in order (duckdb's name for `column_names`).
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.column_names()
    }

    /// (rows, columns).
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.num_rows(), self.schema.fields().len())
    }

    /// Per column, DB-API's 7-tuple: (name, type_code, None, None, None, None, null_ok), the
    /// type code being the Arrow type's name (`Utf8`, `Float64`, `Int64`, …).
    #[getter]
    fn description(&self) -> Vec<Description> {
        self.describe()
    }

    /// The text report a statement gives besides its rows (an import's summary), or None.
    #[getter]
    fn note(&self) -> Option<String> {
        self.note.clone()
    }

    /// The text a statement prints above its rows, or None: the log-rank test of SURVIVAL,
    /// the model facts of COX, the table facts of DESCRIBE.
    #[getter]
    fn header(&self) -> Option<String> {
        self.header.clone()
    }

    /// The test statistics of a SURVIVAL or COX result as a namedtuple `Test`, one field per
    /// column of `test_table` (`result.test.p`, `result.test.concordance`,
    /// `result.test._asdict()`); None for a result without a test.
    #[getter]
    fn test<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        let row = slf.get().test_row.get_or_try_init(py, || {
            Self::test_table(slf)?
                .map(|table| Ok::<_, PyErr>(test_tuple(&table)?.unbind()))
                .transpose()
        })?;
        Ok(row.as_ref().map(|r| r.bind(py).clone()))
    }

    /// The test statistics as a one-row `pyarrow.Table` (the row `SURVIVAL TEST …` and
    /// `COX TEST …` return), or None for a result without a test.
    #[getter]
    fn test_table<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(batch) = &slf.get().test else {
            return Ok(None);
        };
        let result = QueryResult::of_batch(batch.clone(), None);
        to_pyarrow(slf.py(), ArrowResult::new(result)).map(Some)
    }

    /// The rows as a `pyarrow.Table` (with the schema metadata), sharing rgdb's buffers.
    fn arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        table_of(slf.as_any())
    }

    /// The rows as a `pyarrow.Table` (duckdb's older name for `arrow()`).
    fn fetch_arrow_table<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        table_of(slf.as_any())
    }

    /// The rows as a `pandas.DataFrame` (pyarrow's `Table.to_pandas()`). Needs pandas.
    fn df<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        require(slf.py(), "pandas", "ArrowResult.df()")?;
        table_of(slf.as_any())?.call_method0("to_pandas")
    }

    /// The rows as a `pandas.DataFrame` (duckdb's other name for `df()`). Needs pandas.
    fn fetchdf<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::df(slf)
    }

    /// The rows as a `polars.DataFrame`, read through the Arrow stream without a copy.
    /// Needs polars.
    fn pl<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let polars = require(slf.py(), "polars", "ArrowResult.pl()")?;
        polars.getattr("DataFrame")?.call1((slf,))
    }

    /// The next row as a tuple, or None after the last.
    fn fetchone<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let rows = Self::take(slf, Some(1))?;
        Ok(rows.iter().next())
    }

    /// The next `size` rows (fewer at the end, `[]` after the last) as a list of tuples.
    #[pyo3(signature = (size = 1))]
    fn fetchmany<'py>(slf: &Bound<'py, Self>, size: usize) -> PyResult<Bound<'py, PyList>> {
        Self::take(slf, Some(size))
    }

    /// The rows not fetched yet (all of them on a fresh result) as a list of tuples. Then the
    /// cursor starts again from the first row, as a duckdb result re-runs its query.
    fn fetchall<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let rows = Self::take(slf, None)?;
        *slf.get().cursor.lock().unwrap_or_else(|e| e.into_inner()) = 0;
        Ok(rows)
    }

    fn __len__(&self) -> usize {
        self.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "<rgdb.ArrowResult: {} rows × {} columns>",
            self.num_rows(),
            self.schema.fields().len()
        )
    }
}

/// A `pyarrow.Table` of anything with `__arrow_c_stream__`, imported through the stream.
fn table_of<'py>(stream: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    static FROM_STREAM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = stream.py();
    let from_stream = FROM_STREAM.get_or_try_init(py, || {
        let pyarrow = py.import("pyarrow")?;
        let reader = pyarrow.getattr("RecordBatchReader")?;
        Ok::<_, PyErr>(reader.getattr("from_stream")?.unbind())
    })?;
    from_stream
        .bind(py)
        .call1((stream,))?
        .call_method0("read_all")
}

/// The result as a `pyarrow.Table`, imported through the stream interface.
pub fn to_pyarrow<'py>(py: Python<'py>, result: ArrowResult) -> PyResult<Bound<'py, PyAny>> {
    table_of(Bound::new(py, result)?.as_any())
}
