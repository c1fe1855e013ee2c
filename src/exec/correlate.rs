//! Carrying out `CORRELATE`: the source's subjects (from a DataFusion plan, with the variables
//! that are expressions), the stored columns read by subject straight from the store, then
//! the map of `crate::stats::correlate` and the adjustment of its p-values.
//!
//! The result has one row per pair, `x, y, n, r, p, q, log10_p, log10_q`, sorted by the true p
//! (`log10_p`; pairs without a p last).
//! The header says which coefficient, test and correction were used, over how many subjects,
//! and what was left out.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};

use super::{ExecError, QueryResult};
use crate::exec::ExecError as Error;
use crate::resolve::{BoundCorrelate, Variable, VariableSource};
use crate::stats::correlate::{Adjust, Method, adjust_log10, map_until, p_from_log10};
use crate::storage::{Snapshot, TableMeta};

fn fail(message: impl Into<String>) -> Error {
    ExecError::Statistics {
        message: message.into(),
    }
}

/// A numeric array as floats, `NaN` for NULL.
fn floats(array: &ArrayRef) -> Result<Vec<f64>, Error> {
    let cast = cast(array, &DataType::Float64).map_err(|e| fail(e.to_string()))?;
    let values = cast.as_primitive::<Float64Type>();
    Ok((0..values.len())
        .map(|i| {
            if values.is_null(i) {
                f64::NAN
            } else {
                values.value(i)
            }
        })
        .collect())
}

pub fn run(
    c: &BoundCorrelate,
    snapshot: &Snapshot,
    batches: &[RecordBatch],
    stop: &super::Stop,
) -> Result<QueryResult, Error> {
    // The source's subjects, as dense ids, and the computed variables row by row.
    let mut ids: Vec<Option<u32>> = Vec::new();
    let computed_count = batches.first().map_or(0, |b| b.num_columns());
    let mut computed: Vec<Vec<f64>> = vec![Vec::new(); computed_count];
    for b in batches {
        let subjects = cast(b.column(0), &DataType::Utf8).map_err(|e| fail(e.to_string()))?;
        ids.extend(
            subjects
                .as_string::<i32>()
                .iter()
                .map(|s| s.and_then(|s| snapshot.subject_id(s))),
        );
        for (k, column) in computed.iter_mut().enumerate().skip(1) {
            column.extend(floats(b.column(k))?);
        }
    }
    let mut stored = read_stored(c, snapshot, &ids, stop)?;
    // A stored column is moved out on its last use (20,000 genes are 1.6 GB at 10,000
    // subjects), and copied only when it is on both sides.
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for v in c.x.iter().chain(&c.y) {
        *uses.entry(v.name.clone()).or_default() += 1;
    }
    let mut values = |vars: &[Variable]| -> Vec<Vec<f64>> {
        vars.iter()
            .map(|v| match &v.from {
                VariableSource::Computed(k) => computed[*k].clone(),
                VariableSource::Stored { .. } => {
                    let left = uses.get_mut(&v.name).expect("every variable is counted");
                    *left -= 1;
                    if *left == 0 {
                        stored.remove(&v.name).unwrap_or_default()
                    } else {
                        stored[&v.name].clone()
                    }
                }
            })
            .collect()
    };
    let xs = values(&c.x);
    let ys = values(&c.y);
    let result = map_until(&xs, &ys, c.method, &stop.0).ok_or(Error::Cancelled)?;
    // q from its logarithm, as p is from its own (both at least `SMALLEST_P`). The p values are
    // gathered for the step-up only: a map of 36 million pairs holds them once, in its pairs.
    let log10_q = adjust_log10(
        &result.pairs.iter().map(|p| p.log10_p).collect::<Vec<_>>(),
        c.adjust,
    );
    // Rows sorted by the true p, pairs without one last, ties in map order.
    let mut order: Vec<usize> = (0..result.pairs.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |k: usize| result.pairs[k].log10_p.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then(a.cmp(&b))
    });
    let nx = result.nx;
    let x_name = |k: usize| c.x[k % nx].name.as_str();
    let y_name = |k: usize| c.y[k / nx].name.as_str();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(datafusion::arrow::array::StringArray::from_iter_values(
            order.iter().map(|&k| x_name(k)),
        )),
        Arc::new(datafusion::arrow::array::StringArray::from_iter_values(
            order.iter().map(|&k| y_name(k)),
        )),
        Arc::new(Int64Array::from_iter_values(
            order.iter().map(|&k| result.pairs[k].n as i64),
        )),
        Arc::new(Float64Array::from_iter(
            order.iter().map(|&k| result.pairs[k].r),
        )),
        Arc::new(Float64Array::from_iter(
            order.iter().map(|&k| result.pairs[k].p()),
        )),
        Arc::new(Float64Array::from_iter(
            order.iter().map(|&k| log10_q[k].map(p_from_log10)),
        )),
        Arc::new(Float64Array::from_iter(
            order.iter().map(|&k| result.pairs[k].log10_p),
        )),
        Arc::new(Float64Array::from_iter(order.iter().map(|&k| log10_q[k]))),
    ];
    let schema = c.schema();
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| fail(e.to_string()))?;
    let tested = log10_q.iter().filter(|v| v.is_some()).count();
    Ok(QueryResult::of_batch(
        batch,
        Some(header(c, ids.len(), result.pairs.len(), tested)),
    ))
}

/// A variable's name and values.
type Named = (String, Vec<f64>);

/// Every stored variable's values in the order of `ids`, read a column at a time by subject.
fn read_stored(
    c: &BoundCorrelate,
    snapshot: &Snapshot,
    ids: &[Option<u32>],
    stop: &super::Stop,
) -> Result<BTreeMap<String, Vec<f64>>, Error> {
    let mut by_table: BTreeMap<&str, (&TableMeta, Vec<&Variable>)> = BTreeMap::new();
    for v in c.x.iter().chain(&c.y) {
        if let VariableSource::Stored { table, .. } = &v.from {
            by_table
                .entry(table.name.as_str())
                .or_insert_with(|| (table, Vec::new()))
                .1
                .push(v);
        }
    }
    let mut out = BTreeMap::new();
    let count = by_table.values().map(|(_, vars)| vars.len() as u64).sum();
    crate::progress::start(count, "columns read");
    for (table, vars) in by_table.into_values() {
        let rows = super::wide::rows_of(snapshot, table, ids)?;
        let read = |v: &Variable| -> Result<Option<Named>, Error> {
            let VariableSource::Stored { column, .. } = &v.from else {
                return Ok(None);
            };
            if stop.stopped() {
                return Err(Error::Cancelled);
            }
            let mut whole = Vec::with_capacity(table.rows as usize);
            for chunk in 0..Snapshot::chunk_count(table) {
                whole.extend(floats(&snapshot.read_chunk(table, column, chunk)?)?);
            }
            let values = rows
                .iter()
                .map(|r| r.map_or(f64::NAN, |r| whole[r as usize]))
                .collect();
            crate::progress::advance(1);
            Ok(Some((v.name.clone(), values)))
        };
        // Columns are read and decompressed on every core.
        out.extend(
            crate::parallel::try_map(&vars, |v| read(v))?
                .into_iter()
                .flatten(),
        );
    }
    Ok(out)
}

fn header(c: &BoundCorrelate, subjects: usize, pairs: usize, tested: usize) -> String {
    let method = match c.method {
        Method::Spearman => "Spearman's rho (average ranks for ties)",
        Method::Pearson => "Pearson's r",
    };
    let correction = match c.adjust {
        Adjust::Bh => "Benjamini–Hochberg",
        Adjust::By => "Benjamini–Yekutieli",
        Adjust::Bonferroni => "Bonferroni",
        Adjust::None => "no correction (q = p)",
    };
    let mut header = format!(
        "{method} of {} × {} columns over the {subjects} rows of `{}`, each pair on the rows where both are present (n); p two-sided from t with n − 2 df\n\
         q: {correction} over the {tested} pairs with a p; {} pairs have no r (fewer than 3 rows, or a constant column)\n",
        c.x.len(),
        c.y.len(),
        c.source,
        pairs - tested,
    );
    if !c.skipped.is_empty() {
        let shown: Vec<&str> = c.skipped.iter().take(5).map(String::as_str).collect();
        let more = c.skipped.len().saturating_sub(5);
        header += &format!(
            "left out {} columns that are not numbers: {}{}\n",
            c.skipped.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    header
}
