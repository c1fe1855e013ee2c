//! Carrying out `COX`: the statement's rows (`time, event, x1, …`) into a design matrix (numbers
//! as they are, booleans 0/1, text terms dummy-coded against their first level in sort order),
//! a proportional-hazards fit (`crate::stats::cox`), and the result: one row per coefficient,
//! or with `TEST` the model's one row, which also rides along the terms as
//! [`QueryResult::test`]. The header says what was fitted, for people.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};

use super::result::{P_DIGITS, p_value};
use super::survival::{fail, refuse_negative_times, time_and_event};
use super::{ExecError as Error, ExecError, QueryResult};
use crate::resolve::BoundCox;
use crate::stats::cox::CoxFit;

/// The most levels of a text term `COX` dummy-codes (one coefficient each, so the information
/// matrix is levels² and each Newton step levels³; 1,000 levels took over a minute).
pub const MAX_LEVELS: usize = 100;

/// One term's values, as read: a number, or a level of a categorical term.
enum TermValues {
    Numbers(Vec<Option<f64>>),
    Levels(Vec<Option<String>>),
}

/// The statement's rows, column by column.
struct Rows {
    time: Vec<Option<f64>>,
    event: Vec<Option<bool>>,
    terms: Vec<TermValues>,
}

/// The design matrix of the complete rows: one column per coefficient.
struct Design {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    /// `term = first level` for each text term.
    references: Vec<String>,
}

/// Carries out `COX`: rows with a missing value are dropped and counted; at most
/// [`MAX_LEVELS`] levels per text term; a coefficient that diverges (separation) is reported
/// with a warning in its row and in the header.
pub fn cox(c: &BoundCox, batches: &[RecordBatch]) -> Result<QueryResult, Error> {
    let rows = read(c, batches)?;
    let total = rows.time.len();
    let complete: Vec<usize> = (0..total)
        .filter(|&r| {
            rows.time[r].is_some_and(f64::is_finite)
                && rows.event[r].is_some()
                && rows.terms.iter().all(|t| match t {
                    TermValues::Numbers(v) => v[r].is_some_and(f64::is_finite),
                    TermValues::Levels(v) => v[r].is_some(),
                })
        })
        .collect();
    refuse_negative_times(complete.iter().filter_map(|&r| rows.time[r]), &c.time)?;
    let design = design(c, &rows, &complete)?;
    if complete.len() < 2 || design.names.is_empty() {
        return Err(fail(format!(
            "a Cox model needs complete rows and a term that varies: {} of {total} rows are complete",
            complete.len()
        )));
    }
    let t: Vec<f64> = complete
        .iter()
        .map(|&r| rows.time[r].unwrap_or(0.0))
        .collect();
    let e: Vec<bool> = complete
        .iter()
        .map(|&r| rows.event[r].unwrap_or(false))
        .collect();
    let x: Vec<Vec<f64>> = (0..complete.len())
        .map(|i| design.columns.iter().map(|col| col[i]).collect())
        .collect();
    let fit = crate::stats::cox::fit(&t, &e, &x).map_err(|e| fail(e.to_string()))?;
    let dropped = total - complete.len();
    let header = header(c, &fit, dropped, &design);
    let test_row = cox_row(&fit, fit.coef.len(), dropped)?;
    if c.test {
        return Ok(QueryResult::of_batch(test_row, Some(header)));
    }
    Ok(QueryResult {
        test: Some(test_row),
        ..QueryResult::of_batch(terms_table(&fit, design.names)?, Some(header))
    })
}

/// The rows of every batch: time and event (checked), and each term as numbers or levels.
fn read(c: &BoundCox, batches: &[RecordBatch]) -> Result<Rows, Error> {
    let mut rows = Rows {
        time: Vec::new(),
        event: Vec::new(),
        terms: Vec::new(),
    };
    for (b_index, b) in batches.iter().enumerate() {
        let (t, e) = time_and_event(b.column(0), b.column(1), &c.time, &c.event)?;
        rows.time.extend(t.as_primitive::<Float64Type>().iter());
        rows.event.extend(e.as_boolean().iter());
        for k in 0..c.terms.len() {
            let values = term_values(b.column(2 + k))?;
            if b_index == 0 {
                rows.terms.push(values);
                continue;
            }
            match (&mut rows.terms[k], values) {
                (TermValues::Numbers(a), TermValues::Numbers(b)) => a.extend(b),
                (TermValues::Levels(a), TermValues::Levels(b)) => a.extend(b),
                _ => return Err(fail("a term changed type between batches")),
            }
        }
    }
    Ok(rows)
}

/// A term's column as numbers (numbers and booleans) or as levels (anything else, as text).
fn term_values(column: &ArrayRef) -> Result<TermValues, Error> {
    Ok(match column.data_type() {
        d if d.is_numeric() || *d == DataType::Boolean => {
            let v = cast(column, &DataType::Float64).map_err(|e| fail(e.to_string()))?;
            TermValues::Numbers(v.as_primitive::<Float64Type>().iter().collect())
        }
        _ => {
            let v = cast(column, &DataType::Utf8).map_err(|e| fail(e.to_string()))?;
            TermValues::Levels(
                v.as_string::<i32>()
                    .iter()
                    .map(|s| s.map(str::to_string))
                    .collect(),
            )
        }
    })
}

/// The design matrix over the complete rows: numbers as they are, levels as dummies against
/// the first level in sort order.
fn design(c: &BoundCox, rows: &Rows, complete: &[usize]) -> Result<Design, Error> {
    let mut design = Design {
        names: Vec::new(),
        columns: Vec::new(),
        references: Vec::new(),
    };
    for (term, values) in c.terms.iter().zip(&rows.terms) {
        match values {
            TermValues::Numbers(v) => {
                design.names.push(term.clone());
                design
                    .columns
                    .push(complete.iter().map(|&r| v[r].unwrap_or(0.0)).collect());
            }
            TermValues::Levels(v) => {
                let levels: Vec<&str> = complete
                    .iter()
                    .filter_map(|&r| v[r].as_deref())
                    .collect::<std::collections::BTreeSet<&str>>()
                    .into_iter()
                    .collect();
                if levels.len() > MAX_LEVELS {
                    return Err(ExecError::TooManyLevels {
                        term: term.clone(),
                        levels: levels.len(),
                        limit: MAX_LEVELS,
                    });
                }
                let Some((first, rest)) = levels.split_first() else {
                    continue;
                };
                design.references.push(format!("{term} = {first}"));
                for level in rest {
                    design.names.push(format!("{term} = {level}"));
                    design.columns.push(
                        complete
                            .iter()
                            .map(|&r| f64::from(u8::from(v[r].as_deref() == Some(level))))
                            .collect(),
                    );
                }
            }
        }
    }
    Ok(design)
}

/// What was fitted, for people: rows, events, dropped rows, iterations, the reference levels,
/// the three tests, the concordance, and any coefficient that diverges.
fn header(c: &BoundCox, fit: &CoxFit, dropped: usize, design: &Design) -> String {
    let mut header = format!(
        "Cox proportional hazards of `{}` (event `{}`): {} rows, {} events, {} dropped for a missing value; Efron ties, Newton–Raphson ({} iterations)\n",
        c.time, c.event, fit.n, fit.events, dropped, fit.iterations
    );
    if !design.references.is_empty() {
        header += &format!("reference levels: {}\n", design.references.join(", "));
    }
    header += &format!(
        "likelihood-ratio test: chi-square {:.4} on {} df, p = {}; Wald {:.4}, p = {}; score {:.4}, p = {}; concordance {}\n",
        fit.lr_chi2,
        design.names.len(),
        p_value(fit.lr_p, P_DIGITS),
        fit.wald_chi2,
        p_value(fit.wald_p, P_DIGITS),
        fit.score_chi2,
        p_value(fit.score_p, P_DIGITS),
        fit.concordance
    );
    header + &divergence_line(&design.names, &fit.diverged)
}

/// One row per coefficient ([`BoundCox::terms_schema`]).
fn terms_table(fit: &CoxFit, names: Vec<String>) -> Result<RecordBatch, Error> {
    let warnings = fit
        .diverged
        .iter()
        .map(|&d| d.then_some(DIVERGED))
        .collect::<StringArray>();
    let floats = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
    RecordBatch::try_new(
        BoundCox::terms_schema(),
        vec![
            Arc::new(StringArray::from(names)),
            floats(fit.coef.clone()),
            floats(fit.coef.iter().map(|b| b.exp()).collect()),
            floats(fit.se.clone()),
            floats(fit.hr_lower.clone()),
            floats(fit.hr_upper.clone()),
            floats(fit.z.clone()),
            floats(fit.p.clone()),
            Arc::new(warnings),
        ],
    )
    .map_err(|e| fail(e.to_string()))
}

/// The model's tests as `COX TEST`'s row.
fn cox_row(fit: &CoxFit, df: usize, dropped: usize) -> Result<RecordBatch, Error> {
    let int = |v: usize| Arc::new(Int64Array::from(vec![v as i64])) as ArrayRef;
    let float = |v: f64| Arc::new(Float64Array::from(vec![v])) as ArrayRef;
    RecordBatch::try_new(
        BoundCox::test_schema(),
        vec![
            int(fit.n),
            int(fit.events),
            int(dropped),
            float(fit.lr_chi2),
            int(df),
            float(fit.lr_p),
            float(fit.wald_chi2),
            int(df),
            float(fit.wald_p),
            float(fit.score_chi2),
            int(df),
            float(fit.score_p),
            float(fit.concordance),
            float(fit.log_likelihood),
            float(fit.null_log_likelihood),
            int(fit.iterations),
        ],
    )
    .map_err(|e| fail(e.to_string()))
}

/// The `warning` of a diverging coefficient's row.
const DIVERGED: &str = "the log-likelihood converged while this coefficient kept growing: its estimate is infinite (complete or quasi-complete separation), and its hr, se, interval and p mean nothing";

/// The header's line naming the coefficients that diverge (none: no line).
fn divergence_line(names: &[String], diverged: &[bool]) -> String {
    let named: Vec<String> = names
        .iter()
        .zip(diverged)
        .filter(|(_, d)| **d)
        .map(|(n, _)| format!("`{n}`"))
        .collect();
    match named.len() {
        0 => String::new(),
        1 => format!(
            "warning: {} diverges (complete or quasi-complete separation), as R's coxph warns \"coefficient may be infinite\"\n",
            named[0]
        ),
        _ => format!(
            "warning: {} diverge (complete or quasi-complete separation), as R's coxph warns \"coefficient may be infinite\"\n",
            named.join(", ")
        ),
    }
}
