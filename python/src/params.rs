//! Python values for `$1…` and `$name`: a list or tuple gives positional parameters, a dict
//! named ones.

use datafusion::common::{ParamValues, ScalarValue};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// Days from 0001-01-01 (`date.toordinal()` = 1) to 1970-01-01.
const UNIX_EPOCH_ORDINAL: i64 = 719_163;

/// Converts `params` (None, a list/tuple, or a dict with str keys).
pub fn to_params(params: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ParamValues>> {
    let Some(params) = params.filter(|p| !p.is_none()) else {
        return Ok(None);
    };
    if let Ok(dict) = params.cast::<PyDict>() {
        let mut named = Vec::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let name: String = key.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "parameter names must be str, not {}",
                    type_name(&key)
                ))
            })?;
            let name = name.strip_prefix('$').unwrap_or(&name).to_string();
            let scalar = to_scalar(&value, &format!("${name}"))?;
            named.push((name, scalar));
        }
        return Ok(Some(named.into()));
    }
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = params.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = params.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Err(PyTypeError::new_err(format!(
            "params must be a list or tuple (for $1, $2, …) or a dict (for $name), not {}",
            type_name(params)
        )));
    };
    let positional = items
        .iter()
        .enumerate()
        .map(|(i, value)| to_scalar(value, &format!("${}", i + 1)))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Some(positional.into()))
}

/// One value: None, bool, int, float, str or `datetime.date`.
fn to_scalar(value: &Bound<'_, PyAny>, name: &str) -> PyResult<ScalarValue> {
    if value.is_none() {
        return Ok(ScalarValue::Null);
    }
    // bool before int: True is an int in Python.
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(ScalarValue::Boolean(Some(b.is_true())));
    }
    if value.is_instance_of::<PyInt>() {
        let i: i64 = value.extract().map_err(|_| {
            PyTypeError::new_err(format!("parameter {name}: {value} does not fit in 64 bits"))
        })?;
        return Ok(ScalarValue::Int64(Some(i)));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(ScalarValue::Float64(Some(value.extract()?)));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(ScalarValue::Utf8(Some(s.extract::<String>()?)));
    }
    if is_plain_date(value)? {
        let ordinal: i64 = value.call_method0("toordinal")?.extract()?;
        let days = i32::try_from(ordinal - UNIX_EPOCH_ORDINAL)
            .map_err(|_| PyTypeError::new_err(format!("parameter {name}: date out of range")))?;
        return Ok(ScalarValue::Date32(Some(days)));
    }
    Err(PyTypeError::new_err(format!(
        "parameter {name}: rgdb takes None, bool, int, float, str or datetime.date, not {}",
        type_name(value)
    )))
}

/// A `datetime.date` that is not a `datetime.datetime` (whose time part a date would drop).
fn is_plain_date(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    let datetime = value.py().import("datetime")?;
    Ok(value.is_instance(&datetime.getattr("date")?)?
        && !value.is_instance(&datetime.getattr("datetime")?)?)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "an unknown type".into(), |n| n.to_string())
}
