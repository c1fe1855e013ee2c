//! Carrying out `PLOT`: the analysis runs as its statement would, then its result is drawn
//! (`crate::plot`) to the file, which is written whole or not at all.
//!
//! - `PLOT SURVIVAL …`: the Kaplan–Meier curve of every group, censor marks, the number at
//!   risk and the log-rank p.
//! - `PLOT CORRELATE …`: a heatmap of r over the features and genes of the strongest pairs
//!   (the 20 features and 40 genes that come first in order of p), with a dot where q < 0.05.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;

use super::{ExecError, QueryResult, bind_params, collect, collect_reporting, survival};
use crate::exec::ExecError as Error;
use crate::plot::{Format, Heatmap, KmGroup, heatmap_plot, km_plot};
use crate::resolve::{Bound, BoundPlot};

/// How many features (rows) and genes (columns) a correlation heatmap shows at most.
pub const HEATMAP_ROWS: usize = 20;
pub const HEATMAP_COLUMNS: usize = 40;

pub async fn run(
    p: &BoundPlot,
    ctx: &SessionContext,
    plan: LogicalPlan,
    params: Option<&ParamValues>,
) -> Result<QueryResult, Error> {
    let target = super::target::output_target(&p.path, p.overwrite)?;
    let plan = bind_params(plan, params)?;
    let path = target.as_path();
    let failed = |message: String| -> Error {
        ExecError::ExportFailed {
            path: p.path.clone(),
            message,
        }
    };
    let header = match &p.analysis {
        Bound::Survival(s) => {
            let rows = collect(ctx, plan).await?;
            let fitted = survival::fit(s, &rows.batches)?;
            let groups: Vec<KmGroup<'_>> = fitted
                .fits
                .iter()
                .map(|(name, fit)| KmGroup { name, fit })
                .collect();
            km_plot(
                path,
                &groups,
                fitted.test.as_ref().ok().map(|t| t.p),
                &s.time,
            )
            .map_err(failed)?;
            fitted.header
        }
        Bound::Correlate(c) => {
            let (result, report) = collect_reporting(ctx, plan).await?;
            let mut map = heatmap(&result.batches);
            map.title = format!("{} (• q < 0.05)", c.statement);
            heatmap_plot(path, &map).map_err(failed)?;
            let mut header = report.and_then(|r| r.header).unwrap_or_default();
            header += &format!(
                "heatmap: {} × {} of the pairs with the smallest p\n",
                map.rows.len(),
                map.columns.len()
            );
            header
        }
        _ => return Err(ExecError::NotAQuery),
    };
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let schema = Arc::new(Schema::new(vec![
        Field::new("file", DataType::Utf8, false),
        Field::new("format", DataType::Utf8, false),
        Field::new("bytes", DataType::UInt64, false),
    ]));
    let format = match p.format {
        Format::Svg => "svg",
        Format::Png => "png",
    };
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec![p.path.as_str()])),
            Arc::new(StringArray::from(vec![format])),
            Arc::new(UInt64Array::from(vec![bytes])),
        ],
    )
    .map_err(datafusion::error::DataFusionError::from)?;
    Ok(QueryResult::of_batch(batch, Some(header)))
}

/// The heatmap of a `CORRELATE` result (`x, y, n, r, p, q, …`, sorted by p): the first
/// [`HEATMAP_ROWS`] features and [`HEATMAP_COLUMNS`] genes in order of p, and r and q of every
/// pair between them.
fn heatmap(batches: &[RecordBatch]) -> Heatmap {
    let mut rows: Vec<String> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut cells: HashMap<(String, String), (f64, Option<f64>)> = HashMap::new();
    // First the features and genes in order of p, then every pair between them.
    for pass in 0..2 {
        for b in batches {
            let (x, y) = (
                b.column(0).as_string::<i32>(),
                b.column(1).as_string::<i32>(),
            );
            let (r, q) = (
                b.column(3).as_primitive::<Float64Type>(),
                b.column(5).as_primitive::<Float64Type>(),
            );
            for i in 0..b.num_rows() {
                if r.is_null(i) {
                    continue;
                }
                let (xv, yv) = (x.value(i), y.value(i));
                if pass == 0 {
                    if rows.len() < HEATMAP_ROWS && !rows.iter().any(|v| v == xv) {
                        rows.push(xv.to_string());
                    }
                    if columns.len() < HEATMAP_COLUMNS && !columns.iter().any(|v| v == yv) {
                        columns.push(yv.to_string());
                    }
                } else if rows.iter().any(|v| v == xv) && columns.iter().any(|v| v == yv) {
                    let q = (!q.is_null(i)).then(|| q.value(i));
                    cells.insert((xv.to_string(), yv.to_string()), (r.value(i), q));
                }
            }
        }
    }
    let grid = rows
        .iter()
        .map(|x| {
            columns
                .iter()
                .map(|y| cells.get(&(x.clone(), y.clone())).copied())
                .collect()
        })
        .collect();
    Heatmap {
        title: String::new(),
        rows,
        columns,
        cells: grid,
    }
}
