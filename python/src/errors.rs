//! rgdb's errors as Python exceptions: one class per stage under `rgdb.Error`, each carrying
//! the stable code, the message, the span and the rendered caret text.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    rgdb,
    Error,
    PyException,
    "Any error rgdb raises. `code` is the stable code of docs/errors.md (such as 'E0201'), \
     `message` the message alone, `span` the (start, end) byte offsets of the statement text it \
     is about (or None), and `rendered` (also `str(e)`) the text with a caret under the span."
);
pyo3::create_exception!(
    rgdb,
    ParseError,
    Error,
    "The statement text does not parse (codes E01xx)."
);
pyo3::create_exception!(
    rgdb,
    ResolveError,
    Error,
    "A name or type in the statement does not fit the catalog (codes E02xx)."
);
pyo3::create_exception!(
    rgdb,
    PlanError,
    Error,
    "The planner failed: a bug or a DataFusion limitation (E0302)."
);
pyo3::create_exception!(
    rgdb,
    ExecError,
    Error,
    "A statement could not be carried out (codes E03xx), such as a division by zero."
);
pyo3::create_exception!(
    rgdb,
    IngestError,
    Error,
    "An importer refused a source file (codes E04xx); the database is unchanged."
);
pyo3::create_exception!(
    rgdb,
    StorageError,
    Error,
    "The store refused an operation or found damage (codes E05xx), such as a database that \
     another process has open."
);

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("ResolveError", py.get_type::<ResolveError>())?;
    m.add("PlanError", py.get_type::<PlanError>())?;
    m.add("ExecError", py.get_type::<ExecError>())?;
    m.add("IngestError", py.get_type::<IngestError>())?;
    m.add("StorageError", py.get_type::<StorageError>())?;
    Ok(())
}

/// The Python exception for `error`, rendered against `source` (the statement text, or ""
/// for calls that have none).
pub fn to_py_err(py: Python<'_>, error: &rgdb::Error, source: &str) -> PyErr {
    let rendered = error.render(source);
    let err = match error {
        rgdb::Error::Parse(_) => ParseError::new_err(rendered.clone()),
        rgdb::Error::Resolve(_) => ResolveError::new_err(rendered.clone()),
        rgdb::Error::Plan(_) => PlanError::new_err(rendered.clone()),
        rgdb::Error::Exec(_) | rgdb::Error::Execution(_) | rgdb::Error::Synth(_) => {
            ExecError::new_err(rendered.clone())
        }
        rgdb::Error::Ingest(_) => IngestError::new_err(rendered.clone()),
        rgdb::Error::Storage(_) => StorageError::new_err(rendered.clone()),
    };
    let value = err.value(py);
    let span = error.span().map(|s| (s.start, s.end));
    // Setting attributes on a fresh exception instance cannot fail short of memory exhaustion;
    // if it did, the exception would still carry its text.
    let _ = value.setattr("code", error.code());
    let _ = value.setattr("message", error.message());
    let _ = value.setattr("rendered", rendered);
    let _ = value.setattr("span", span);
    err
}

/// The error of a call on a database that was closed. It has no code: it comes from the
/// binding, not from rgdb.
pub fn closed(py: Python<'_>) -> PyErr {
    binding_error(py, "the database is closed")
}

/// An `rgdb.Error` of the binding itself (a closed database or cursor, a fetch before any
/// statement): no code, no span.
pub fn binding_error(py: Python<'_>, message: &str) -> PyErr {
    let err = Error::new_err(message.to_string());
    let value = err.value(py);
    let _ = value.setattr("code", py.None());
    let _ = value.setattr("message", message);
    let _ = value.setattr("rendered", message);
    let _ = value.setattr("span", py.None());
    err
}
