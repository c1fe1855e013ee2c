//! A result's values as Python objects: rows as tuples, the test row as a `Test` namedtuple
//! and as JSON, and the optional libraries (pandas, polars) that take a result whole.
//!
//! Values become Python objects through pyarrow's own conversion (`ChunkedArray.to_pylist`),
//! so every Arrow type converts as pyarrow converts it (dates to `datetime.date`, lists to
//! lists, …).

use arrow::array::RecordBatch;
use arrow::json::WriterBuilder;
use arrow::json::writer::LineDelimited;
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

/// Schema metadata key for the test row, as a JSON object (`{"test": "log-rank", "p": …}`).
pub const TEST_KEY: &str = "rgdb:test";

/// The rows of `table` (a `pyarrow.Table`) as a list of tuples.
pub fn tuples<'py>(table: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let py = table.py();
    let rows: usize = table.getattr("num_rows")?.extract()?;
    let columns = table
        .getattr("columns")?
        .try_iter()?
        .map(|c| {
            c?.call_method0("to_pylist")?
                .cast_into::<PyList>()
                .map_err(PyErr::from)
        })
        .collect::<PyResult<Vec<_>>>()?;
    let out = PyList::empty(py);
    for row in 0..rows {
        let values = columns
            .iter()
            .map(|c| c.get_item(row))
            .collect::<PyResult<Vec<_>>>()?;
        out.append(PyTuple::new(py, values)?)?;
    }
    Ok(out)
}

/// The one row of `table` (the test table, a `pyarrow.Table`) as a namedtuple `Test` whose
/// fields are the table's columns. Tables with the same columns share one `Test` class.
pub fn test_tuple<'py>(table: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = table.py();
    let names: Vec<String> = table.getattr("column_names")?.extract()?;
    let class = test_class(py, &names)?;
    let row = table
        .call_method0("to_pylist")?
        .get_item(0)?
        .cast_into::<PyDict>()?;
    class.call((), Some(&row))
}

/// The namedtuple class `Test` with fields `names`, made once per list of names.
fn test_class<'py>(py: Python<'py>, names: &[String]) -> PyResult<Bound<'py, PyAny>> {
    static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let classes = CLASSES
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py);
    let key = PyTuple::new(py, names)?;
    if let Some(class) = classes.get_item(&key)? {
        return Ok(class);
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("module", "rgdb")?;
    let class = py
        .import("collections")?
        .getattr("namedtuple")?
        .call(("Test", &key), Some(&kwargs))?;
    class.setattr(
        "__doc__",
        "The test statistics of a SURVIVAL or COX result, one field per column of its test \
         table (ArrowResult.test_table).",
    )?;
    classes.set_item(key, &class)?;
    Ok(class)
}

/// The first row of `batch` as a JSON object with every column (NULL as `null`), or None if
/// the batch is empty or cannot be written.
pub fn test_json(batch: &RecordBatch) -> Option<String> {
    let mut out = Vec::new();
    let mut writer = WriterBuilder::new()
        .with_explicit_nulls(true)
        .build::<_, LineDelimited>(&mut out);
    writer
        .write(&batch.slice(0, batch.num_rows().min(1)))
        .ok()?;
    writer.finish().ok()?;
    drop(writer);
    let text = String::from_utf8(out).ok()?;
    let object = text.lines().next()?.to_string();
    Some(object)
}

/// Imports an optional library that `call` (such as "ArrowResult.df()") needs, or raises an
/// ImportError that says how to install it.
pub fn require<'py>(py: Python<'py>, library: &str, call: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import(library).map_err(|e| {
        let err = PyImportError::new_err(format!(
            "{call} needs {library}, which is not installed: pip install {library}"
        ));
        err.set_cause(py, Some(e));
        err
    })
}
