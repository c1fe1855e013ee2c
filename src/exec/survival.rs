//! Carrying out `SURVIVAL`: the statement's rows (`grp, time, event`, from a DataFusion plan)
//! into Kaplan–Meier fits per group and a log-rank test across them (`crate::stats`).
//!
//! The result is the group summary (`stratum, n, events, median, median_lower, median_upper`,
//! then `survival_at_<t>` for each `AT` time), or with `CURVE` the curve rows, or with `TEST`
//! the log-rank test's one row. The header says which test and interval were used and how many
//! rows were dropped for missing values, for people; the test row says it as data, and rides
//! along every result as [`QueryResult::test`]. `COX` (`cox.rs`) likewise.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};

use super::result::{P_DIGITS, p_value};
use super::{ExecError, QueryResult};
use crate::exec::ExecError as Error;
use crate::resolve::{BoundSurvival, SurvivalSplit};
use crate::stats::{KaplanMeier, LogRank, NoTest, Observation};

/// The most groups `SURVIVAL` compares. The log-rank variance is k × k and is updated at every
/// event time (k² per time); past 100 groups a curve holds a handful of subjects and the plot
/// cannot be read. Counted before anything is fitted.
pub const MAX_GROUPS: usize = 100;

/// One input row: the group as text, the group as a number (when numeric), time, event.
type Row = (Option<String>, Option<f64>, Option<f64>, Option<bool>);

pub(super) fn fail(message: impl Into<String>) -> Error {
    ExecError::Statistics {
        message: message.into(),
    }
}

/// The time as floats and the event as booleans (1/0 accepted), or why not.
pub(super) fn time_and_event(
    time: &ArrayRef,
    event: &ArrayRef,
    time_text: &str,
    event_text: &str,
) -> Result<(ArrayRef, ArrayRef), Error> {
    if !time.data_type().is_numeric() {
        return Err(fail(format!(
            "the time `{time_text}` must be a number (days, months), not {}",
            time.data_type()
        )));
    }
    let time = cast(time, &DataType::Float64).map_err(|e| fail(e.to_string()))?;
    let event = match event.data_type() {
        DataType::Boolean => event.clone(),
        t if t.is_integer() => cast(event, &DataType::Boolean).map_err(|e| fail(e.to_string()))?,
        other => {
            return Err(fail(format!(
                "the event `{event_text}` must be true/false (or 1/0), not {other}"
            )));
        }
    };
    Ok((time, event))
}

/// Refuses negative times (`SURVIVAL` and `COX` alike): survival times count from a start date.
pub(super) fn refuse_negative_times(
    times: impl Iterator<Item = f64>,
    time_text: &str,
) -> Result<(), Error> {
    let negative = times.filter(|t| *t < 0.0).count();
    if negative > 0 {
        return Err(fail(format!(
            "{negative} rows have a negative time `{time_text}`; survival times count from a start date"
        )));
    }
    Ok(())
}

/// The fitted curves, in group order, the log-rank test across them (or why there is none),
/// and the header that says what was fitted.
pub struct Fitted {
    pub fits: Vec<(String, KaplanMeier)>,
    pub test: Result<LogRank, NoTest>,
    pub header: String,
    /// The test as a one-row table ([`BoundSurvival::test_schema`]).
    pub test_row: RecordBatch,
}

pub fn run(s: &BoundSurvival, batches: &[RecordBatch]) -> Result<QueryResult, Error> {
    let Fitted {
        fits,
        test,
        header,
        test_row,
    } = fit(s, batches)?;
    let groups: Vec<(&str, &KaplanMeier)> = fits.iter().map(|(g, f)| (g.as_str(), f)).collect();
    let figure = Some(crate::plot::text::survival(&groups, &s.time));
    if s.test {
        return Ok(QueryResult {
            figure,
            ..QueryResult::of_batch(test_row, Some(header))
        });
    }
    let batch = if s.curve {
        curve(&fits)
    } else {
        summary(&fits, &s.at, test.as_ref().ok())
    }
    .and_then(|b| RecordBatch::try_new(s.schema(), b.columns().to_vec()))
    .map_err(|e| fail(e.to_string()))?;
    Ok(QueryResult {
        figure,
        test: Some(test_row),
        ..QueryResult::of_batch(batch, Some(header))
    })
}

/// Fits a Kaplan–Meier curve per group of the statement's rows (`grp, time, event`).
pub fn fit(s: &BoundSurvival, batches: &[RecordBatch]) -> Result<Fitted, Error> {
    let rows = rows(s, batches)?;
    let total = rows.len();
    let kept: Vec<_> = rows
        .into_iter()
        .filter(|(g, _, t, e)| g.is_some() && t.is_some_and(f64::is_finite) && e.is_some())
        .collect();
    let dropped = total - kept.len();
    refuse_negative_times(kept.iter().filter_map(|r| r.2), &s.time)?;
    let (groups, cuts) = groups(s, &kept);
    if groups.is_empty() {
        return Err(fail(format!(
            "no rows with a time, an event and a group ({dropped} dropped for missing values)"
        )));
    }
    if groups.len() > MAX_GROUPS {
        return Err(ExecError::TooManyGroups {
            by: s.by.clone().unwrap_or_default(),
            groups: groups.len(),
            limit: MAX_GROUPS,
        });
    }
    let fits: Vec<(String, KaplanMeier)> = groups
        .iter()
        .map(|(g, obs)| (g.clone(), KaplanMeier::fit(obs, 0.95)))
        .collect();
    let test = LogRank::test(&groups.values().cloned().collect::<Vec<_>>());
    let mut header = format!(
        "Kaplan–Meier of `{}` (event `{}`){}: {} rows, {} dropped for a missing time, event or group; 95% intervals log-log (Greenwood)\n",
        s.time,
        s.event,
        s.by.as_ref()
            .map_or(String::new(), |b| format!(" by `{b}`")),
        kept.len(),
        dropped
    );
    if !cuts.is_empty() {
        let shown: Vec<String> = cuts.iter().map(f64::to_string).collect();
        header += &format!("groups cut at {}\n", shown.join(", "));
    }
    let names: Vec<&str> = groups.keys().map(String::as_str).collect();
    let line = log_rank_line(&test, &names);
    header += &line;
    let events = fits.iter().map(|(_, f)| f.events).sum();
    let test_row = log_rank_row(&test, &line, fits.len(), kept.len(), events, dropped)?;
    Ok(Fitted {
        fits,
        test,
        header,
        test_row,
    })
}

/// The statement's rows, each as its group (text, and number when numeric), time and event.
fn rows(s: &BoundSurvival, batches: &[RecordBatch]) -> Result<Vec<Row>, Error> {
    let mut rows: Vec<Row> = Vec::new();
    for b in batches {
        let group = b.column(0);
        let numeric_group = if group.data_type().is_numeric() {
            Some(cast(group, &DataType::Float64).map_err(|e| fail(e.to_string()))?)
        } else {
            None
        };
        if s.split.is_some() && numeric_group.is_none() {
            return Err(fail(format!(
                "SPLIT and QUANTILES cut a number, but `{}` is {}",
                s.by.as_deref().unwrap_or("the group"),
                group.data_type()
            )));
        }
        let text = cast(group, &DataType::Utf8).map_err(|e| fail(e.to_string()))?;
        let (time, event) = time_and_event(b.column(1), b.column(2), &s.time, &s.event)?;
        let (text, time, event) = (
            text.as_string::<i32>(),
            time.as_primitive::<Float64Type>(),
            event.as_boolean(),
        );
        for i in 0..b.num_rows() {
            rows.push((
                (!text.is_null(i)).then(|| text.value(i).to_string()),
                numeric_group.as_ref().and_then(|g| {
                    let g = g.as_primitive::<Float64Type>();
                    (!g.is_null(i)).then(|| g.value(i))
                }),
                (!time.is_null(i)).then(|| time.value(i)),
                (!event.is_null(i)).then(|| event.value(i)),
            ));
        }
    }
    Ok(rows)
}

/// The observations of each group, and the cut points of `SPLIT`/`QUANTILES` (none
/// without). A group is the value itself, or its side of the cut points.
fn groups(s: &BoundSurvival, kept: &[Row]) -> (BTreeMap<String, Vec<Observation>>, Vec<f64>) {
    let cuts: Vec<f64> = match s.split {
        None => Vec::new(),
        Some(SurvivalSplit::At(x)) => vec![x],
        Some(SurvivalSplit::Median) => vec![quantile(kept, 1, 2)],
        Some(SurvivalSplit::Quantiles(k)) => (1..k).map(|q| quantile(kept, q, k)).collect(),
    };
    let label = |value: f64| -> String {
        let by = s.by.as_deref().unwrap_or("group");
        match cuts.iter().position(|c| value <= *c) {
            Some(0) => format!("{by} <= {}", cuts[0]),
            Some(i) => format!("{} < {by} <= {}", cuts[i - 1], cuts[i]),
            None => format!("{by} > {}", cuts[cuts.len() - 1]),
        }
    };
    let mut groups: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
    for (text, number, time, event) in kept {
        let key = match (s.split, number) {
            (Some(_), Some(v)) => label(*v),
            _ => text.clone().unwrap_or_default(),
        };
        groups.entry(key).or_default().push(Observation {
            time: time.unwrap_or(0.0),
            event: event.unwrap_or(false),
        });
    }
    (groups, cuts)
}

/// The log-rank test as `SURVIVAL TEST`'s row. Where there is no test, its numbers are NULL and
/// `note` is the header's line that says why; where groups were left out, `note` names them.
fn log_rank_row(
    test: &Result<LogRank, NoTest>,
    line: &str,
    groups: usize,
    used: usize,
    events: usize,
    dropped: usize,
) -> Result<RecordBatch, Error> {
    let t = test.as_ref().ok();
    let note = match t {
        Some(t) if t.left_out.is_empty() => None,
        _ => Some(line.trim_end().to_string()),
    };
    let int = |v: usize| Arc::new(Int64Array::from(vec![v as i64])) as ArrayRef;
    RecordBatch::try_new(
        BoundSurvival::test_schema(),
        vec![
            Arc::new(StringArray::from(vec!["log-rank"])),
            Arc::new(Float64Array::from(vec![t.map(|t| t.chi2)])),
            Arc::new(Int64Array::from(vec![t.map(|t| t.df as i64)])),
            Arc::new(Float64Array::from(vec![t.map(|t| t.p)])),
            int(groups),
            int(used),
            int(events),
            int(dropped),
            Arc::new(StringArray::from(vec![note])),
        ],
    )
    .map_err(|e| fail(e.to_string()))
}

/// The header's line about the log-rank test: its result, or why there is none.
fn log_rank_line(test: &Result<LogRank, NoTest>, names: &[&str]) -> String {
    let list = |groups: &[usize]| -> String {
        let shown: Vec<&str> = groups.iter().map(|&g| names[g]).collect();
        shown.join(", ")
    };
    match test {
        Ok(t) => {
            let mut line = format!(
                "log-rank test (R survdiff, rho = 0): chi-square {:.4} on {} df, p = {}",
                t.chi2,
                t.df,
                p_value(t.p, P_DIGITS)
            );
            if !t.left_out.is_empty() {
                line += &format!(
                    "; left out {} (no one at risk at any event time)",
                    list(&t.left_out)
                );
            }
            line + "\n"
        }
        Err(NoTest::OneGroup) => "log-rank test: not computed: there is one group\n".into(),
        Err(NoTest::NoEvents) => "log-rank test: not computed: no group has an event\n".into(),
        Err(NoTest::NoOverlap { at_risk, absent }) => format!(
            "log-rank test: not computed: only {} had anyone at risk at the event times ({} had no one)\n",
            at_risk.map_or("one group", |g| names[g]),
            list(absent)
        ),
        Err(NoTest::Singular) => "log-rank test: not computed: the variance of the groups is singular (wherever they were at risk together, everyone at risk had the event)\n".into(),
    }
}

/// The `q/k` quantile (type 7, as R's default) of the group values. The index (n − 1)·q/k is
/// split into whole and fraction in integers, so a cut that falls on a value is that value
/// (in floats 90 · 0.7 is 62.99999999999999, and numpy cuts the 91 values 1 … 91 at
/// 63.99999999999999; R's type 7 forms the same float index); between two values it is R's `(1 − h)·a + h·b`, which for the median
/// is the correctly rounded mean.
fn quantile(rows: &[Row], q: usize, k: usize) -> f64 {
    let mut v: Vec<f64> = rows.iter().filter_map(|r| r.1).collect();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let index = (v.len() - 1) * q;
    let (lo, rest) = (index / k, index % k);
    if rest == 0 {
        return v[lo];
    }
    let h = rest as f64 / k as f64;
    (1.0 - h) * v[lo] + h * v[lo + 1]
}

fn summary(
    fits: &[(String, KaplanMeier)],
    at: &[f64],
    test: Option<&LogRank>,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let mut fields = vec![
        Field::new("stratum", DataType::Utf8, false),
        Field::new("n", DataType::Int64, false),
        Field::new("events", DataType::Int64, false),
        Field::new("expected", DataType::Float64, true),
        Field::new("median", DataType::Float64, true),
        Field::new("median_lower", DataType::Float64, true),
        Field::new("median_upper", DataType::Float64, true),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            fits.iter().map(|(g, _)| g.as_str()),
        )),
        Arc::new(Int64Array::from_iter_values(
            fits.iter().map(|(_, f)| f.n as i64),
        )),
        Arc::new(Int64Array::from_iter_values(
            fits.iter().map(|(_, f)| f.events as i64),
        )),
        Arc::new(Float64Array::from_iter(
            (0..fits.len()).map(|i| test.map(|t| t.expected[i])),
        )),
        Arc::new(Float64Array::from_iter(fits.iter().map(|(_, f)| f.median))),
        Arc::new(Float64Array::from_iter(
            fits.iter().map(|(_, f)| f.median_lower),
        )),
        Arc::new(Float64Array::from_iter(
            fits.iter().map(|(_, f)| f.median_upper),
        )),
    ];
    for t in at {
        fields.push(Field::new(
            format!("survival_at_{t}"),
            DataType::Float64,
            false,
        ));
        columns.push(Arc::new(Float64Array::from_iter_values(
            fits.iter().map(|(_, f)| f.at(*t)),
        )));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

fn curve(
    fits: &[(String, KaplanMeier)],
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let rows: Vec<(&str, &crate::stats::KmRow)> = fits
        .iter()
        .flat_map(|(g, f)| f.curve.iter().map(move |r| (g.as_str(), r)))
        .collect();
    let fields = vec![
        Field::new("stratum", DataType::Utf8, false),
        Field::new("time", DataType::Float64, false),
        Field::new("at_risk", DataType::Int64, false),
        Field::new("events", DataType::Int64, false),
        Field::new("censored", DataType::Int64, false),
        Field::new("survival", DataType::Float64, false),
        Field::new("std_err", DataType::Float64, false),
        Field::new("lower", DataType::Float64, false),
        Field::new("upper", DataType::Float64, false),
    ];
    let f = |get: fn(&crate::stats::KmRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|(_, r)| get(r)),
        ))
    };
    let i = |get: fn(&crate::stats::KmRow) -> usize| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|(_, r)| get(r) as i64),
        ))
    };
    let columns = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(g, _)| *g))) as ArrayRef,
        f(|r| r.time),
        i(|r| r.at_risk),
        i(|r| r.events),
        i(|r| r.censored),
        f(|r| r.survival),
        f(|r| r.std_err),
        f(|r| r.lower),
        f(|r| r.upper),
    ];
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}
