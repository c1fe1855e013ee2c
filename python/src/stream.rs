//! Results as Arrow: `ArrowResult` exports its batches through the Arrow PyCapsule stream
//! protocol (`__arrow_c_stream__`), which pyarrow, polars and others read without copying a
//! value. No unsafe code of ours: `FFI_ArrowArrayStream::new` and a capsule that owns it are
//! the whole protocol.

use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchIterator};
use arrow::datatypes::SchemaRef;
use arrow::ffi_stream::FFI_ArrowArrayStream;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCapsule;
use rgdb::exec::QueryResult;

/// The rows of one statement, held in Rust until a reader imports them.
///
/// The statement's header and note also travel in the schema's metadata, under `rgdb:header`
/// and `rgdb:note`, so a `pyarrow.Table` made from it keeps them.
///
/// Any reader of the Arrow PyCapsule interface takes it without a copy:
/// `pyarrow.table(r)`, `polars.DataFrame(r)`, `pyarrow.RecordBatchReader.from_stream(r)`.
/// It can be read any number of times.
#[pyclass(module = "rgdb._rgdb", name = "ArrowResult", frozen)]
pub struct ArrowResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    note: Option<String>,
    header: Option<String>,
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
        let schema = Arc::new(result.schema.as_ref().clone().with_metadata(metadata));
        ArrowResult {
            schema,
            batches: result.batches,
            note: result.note,
            header: result.header,
        }
    }
}

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
    fn num_rows(&self) -> usize {
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

/// The result as a `pyarrow.Table`, imported through the stream interface.
pub fn to_pyarrow<'py>(py: Python<'py>, result: ArrowResult) -> PyResult<Bound<'py, PyAny>> {
    static FROM_STREAM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let from_stream = FROM_STREAM.get_or_try_init(py, || {
        let pyarrow = py.import("pyarrow")?;
        let reader = pyarrow.getattr("RecordBatchReader")?;
        Ok::<_, PyErr>(reader.getattr("from_stream")?.unbind())
    })?;
    let result = Bound::new(py, result)?;
    from_stream
        .bind(py)
        .call1((result,))?
        .call_method0("read_all")
}
