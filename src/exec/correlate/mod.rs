//! Carrying out `CORRELATE` as two DataFusion operators (planned by `analysis.rs`):
//!
//! - `CorrelateMapExec`: the source's subjects (its input, the rows query, with the variables
//!   that are expressions), the stored columns read by subject straight from the store, then
//!   the map of `crate::stats::correlate`. Its partitions are blocks of the right-hand
//!   columns, computed one at a time, each on all cores; the left-hand side is read once.
//! - `CorrelateExec`: the adjustment of the whole map's p-values and the order by p.
//!
//! The result has one row per pair, `x, y, n, r, p, q, log10_p, log10_q`, sorted by the true p
//! (`log10_p`; pairs without a p last).
//! The header says which coefficient, test and correction were used, over how many subjects,
//! and what was left out.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, RecordBatch, StringArray, UInt32Array,
};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef, UInt32Type};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result as DfResult;
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PhysicalExpr, PlanProperties,
    SendableRecordBatchStream,
};
use futures::TryStreamExt;

mod map;

use map::{CorrelateMapExec, Shared};

use super::ExecError;
use super::analysis::{Report, ReportSlot, blocking, carried, leave, properties};
use crate::exec::ExecError as Error;
use crate::plan::Analysis;
use crate::resolve::{Bound, BoundCorrelate};
use crate::stats::correlate::{Adjust, Method, adjust_log10, p_from_log10};

pub(super) fn fail(message: impl Into<String>) -> Error {
    ExecError::Statistics {
        message: message.into(),
    }
}

/// A numeric array as floats, `NaN` for NULL.
pub(super) fn floats(array: &ArrayRef) -> Result<Vec<f64>, Error> {
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

/// How many right-hand columns one partition of the map computes: the partitions a
/// distributed engine can hand to different machines, and the columns held at once.
pub(super) const BLOCK: usize = 4096;

/// The plan of a `CORRELATE`: the map in blocks of the right-hand columns, then the
/// adjustment and order of its pairs.
pub(super) fn physical(
    analysis: Arc<Analysis>,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
    let Bound::Correlate(c) = &analysis.statement else {
        return Err(carried(ExecError::NotAQuery));
    };
    let blocks: Vec<Range<usize>> = (0..c.y.len().div_ceil(BLOCK).max(1))
        .map(|b| b * BLOCK..((b + 1) * BLOCK).min(c.y.len()))
        .collect();
    let map = Arc::new(CorrelateMapExec::new(
        analysis.clone(),
        input,
        blocks,
        Shared::default(),
    ));
    Ok(Arc::new(CorrelateExec::new(analysis, map, schema)))
}

/// The statement an operator computes.
pub(super) fn statement(analysis: &Analysis) -> Result<&BoundCorrelate, Error> {
    match &analysis.statement {
        Bound::Correlate(c) => Ok(c),
        _ => Err(ExecError::NotAQuery),
    }
}

/// The columns of the map's partitions: pair (`i`, `j`) of `x[i]` and `y[j]`.
pub(super) fn map_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("i", DataType::UInt32, false),
        Field::new("j", DataType::UInt32, false),
        Field::new("n", DataType::Int64, false),
        Field::new("r", DataType::Float64, true),
        Field::new("log10_p", DataType::Float64, true),
    ]))
}

/// The map's pairs adjusted (q) and ordered by p, with the columns' names: the rows of
/// `CORRELATE`.
pub struct CorrelateExec {
    analysis: Arc<Analysis>,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    report: ReportSlot,
}

impl CorrelateExec {
    fn new(analysis: Arc<Analysis>, input: Arc<dyn ExecutionPlan>, schema: SchemaRef) -> Self {
        CorrelateExec {
            analysis,
            input,
            properties: properties(schema.clone(), 1),
            schema,
            report: ReportSlot::default(),
        }
    }
}

/// The report slot of a `CorrelateExec`.
pub(super) fn report_slot(plan: &dyn ExecutionPlan) -> Option<&ReportSlot> {
    plan.downcast_ref::<CorrelateExec>().map(|c| &c.report)
}

/// The map's partitions, one after another (so one block's columns are held at a time),
/// each batch reserved from the memory pool as it arrives.
async fn gather(
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    reservation: &MemoryReservation,
) -> DfResult<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for partition in 0..input.properties().partitioning.partition_count() {
        let block: Vec<RecordBatch> = input
            .execute(partition, context.clone())?
            .try_collect()
            .await?;
        reservation.try_grow(block.iter().map(|b| b.get_array_memory_size()).sum())?;
        batches.extend(block);
    }
    Ok(batches)
}

/// The map operator under a `CorrelateExec` (through any operator DataFusion put between).
fn map_of(plan: &dyn ExecutionPlan) -> Option<&CorrelateMapExec> {
    if let Some(map) = plan.downcast_ref::<CorrelateMapExec>() {
        return Some(map);
    }
    let children = plan.children();
    match children[..] {
        [only] => map_of(only.as_ref()),
        _ => None,
    }
}

/// The rows of `CORRELATE` from the map's pairs: q from the p of the whole map, ordered by
/// p (pairs without one last, ties in map order).
fn finish(
    c: &BoundCorrelate,
    schema: SchemaRef,
    map: &RecordBatch,
) -> Result<(RecordBatch, usize), Error> {
    let column = |k: usize| map.column(k);
    let (i, j) = (
        column(0).as_primitive::<UInt32Type>(),
        column(1).as_primitive::<UInt32Type>(),
    );
    let log10_p: Vec<Option<f64>> = column(4).as_primitive::<Float64Type>().iter().collect();
    let pairs = u32::try_from(log10_p.len()).map_err(|_| {
        fail(format!(
            "{} pairs are more than CORRELATE orders",
            log10_p.len()
        ))
    })?;
    // q from its logarithm, as p is from its own (both at least `SMALLEST_P`).
    let log10_q = adjust_log10(&log10_p, c.adjust);
    let mut order: Vec<u32> = (0..pairs).collect();
    order.sort_by(|&a, &b| {
        let key = |k: u32| log10_p[k as usize].unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then(a.cmp(&b))
    });
    let order = UInt32Array::from(order);
    let take = |a: &ArrayRef| take(a.as_ref(), &order, None).map_err(|e| fail(e.to_string()));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            order
                .values()
                .iter()
                .map(|&k| c.x[i.value(k as usize) as usize].name.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            order
                .values()
                .iter()
                .map(|&k| c.y[j.value(k as usize) as usize].name.as_str()),
        )),
        take(column(2))?,
        take(column(3))?,
        Arc::new(Float64Array::from_iter(
            order
                .values()
                .iter()
                .map(|&k| log10_p[k as usize].map(p_from_log10)),
        )),
        Arc::new(Float64Array::from_iter(
            order
                .values()
                .iter()
                .map(|&k| log10_q[k as usize].map(p_from_log10)),
        )),
        take(column(4))?,
        Arc::new(Float64Array::from_iter(
            order.values().iter().map(|&k| log10_q[k as usize]),
        )),
    ];
    let tested = log10_q.iter().filter(|v| v.is_some()).count();
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| fail(e.to_string()))?;
    Ok((batch, tested))
}

impl ExecutionPlan for CorrelateExec {
    fn name(&self) -> &str {
        "CorrelateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    /// The map's partitions are read one after another, as they are.
    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(CorrelateExec::new(
            self.analysis.clone(),
            children.swap_remove(0),
            self.schema.clone(),
        )))
    }

    fn execute(
        &self,
        _partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let (analysis, input, schema, slot) = (
            self.analysis.clone(),
            self.input.clone(),
            self.schema.clone(),
            self.report.clone(),
        );
        let reservation = MemoryConsumer::new("CorrelateExec").register(context.memory_pool());
        let shared = map_of(self.input.as_ref()).map(|m| m.shared.clone());
        let rows = async move {
            let map = gather(input, context, &reservation).await?;
            let subjects = match &shared {
                Some(shared) => shared.lock().await.as_ref().map_or(0, |s| s.ids.len()),
                None => 0,
            };
            let statement_of = analysis.clone();
            let (batch, tested) = blocking(move || {
                let c = statement(&statement_of)?;
                let map = datafusion::arrow::compute::concat_batches(&map_schema(), &map)
                    .map_err(|e| fail(e.to_string()))?;
                // The rows hold the pairs again, with names, p and q.
                reservation.try_grow(map.get_array_memory_size() * 3)?;
                finish(c, schema, &map)
            })
            .await?;
            let c = statement(&analysis).map_err(carried)?;
            leave(
                &slot,
                Report {
                    header: Some(header(c, subjects, batch.num_rows(), tested)),
                    ..Report::default()
                },
            );
            Ok(batch)
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::once(rows),
        )))
    }
}

impl fmt::Debug for CorrelateExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorrelateExec")
    }
}

impl DisplayAs for CorrelateExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let adjust = statement(&self.analysis).map_or(Adjust::None, |c| c.adjust);
        write!(
            f,
            "CorrelateExec: q by {}, ordered by p",
            format!("{adjust:?}").to_lowercase()
        )
    }
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
