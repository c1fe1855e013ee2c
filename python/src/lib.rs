//! `rgdb._rgdb`: the Python binding of rgdb.
//!
//! The Python package `rgdb` (python/rgdb/) re-exports everything defined here. Results cross
//! into Python through the Arrow C stream interface (`__arrow_c_stream__`), so no value goes
//! through a Python object on the way. A running statement releases the GIL, and Ctrl-C in
//! the main thread cancels it (src/interrupt.rs).

mod cursor;
mod database;
mod errors;
mod interrupt;
mod params;
mod rows;
mod stream;

use pyo3::prelude::*;

/// The compiled half of the `rgdb` package.
#[pymodule]
fn _rgdb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<database::Database>()?;
    m.add_class::<stream::ArrowResult>()?;
    m.add_class::<cursor::Cursor>()?;
    m.add_function(wrap_pyfunction!(database::open, m)?)?;
    m.add_function(wrap_pyfunction!(database::demo, m)?)?;
    m.add_function(wrap_pyfunction!(database::upgrade, m)?)?;
    m.add_function(wrap_pyfunction!(database::time_in_rust, m)?)?;
    errors::register(m)
}
