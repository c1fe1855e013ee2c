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

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef, UInt32Type};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, PhysicalExpr, PlanProperties,
    SendableRecordBatchStream,
};
use futures::TryStreamExt;

use super::ExecError;
use super::analysis::{Report, ReportSlot, StopOnDrop, carried, leave, properties};
use crate::exec::ExecError as Error;
use crate::plan::Analysis;
use crate::resolve::{Bound, BoundCorrelate, Variable, VariableSource};
use crate::stats::correlate::{Adjust, Map, Method, adjust_log10, map_until, p_from_log10};
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

/// How many right-hand columns one partition of the map computes: the partitions a
/// distributed engine can hand to different machines, and the columns held at once.
const BLOCK: usize = 4096;

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
fn statement(analysis: &Analysis) -> Result<&BoundCorrelate, Error> {
    match &analysis.statement {
        Bound::Correlate(c) => Ok(c),
        _ => Err(ExecError::NotAQuery),
    }
}

/// What every block of the map shares: the source's subjects (dense ids, row by row), the
/// variables computed by the rows query, and the left-hand columns.
struct Sides {
    ids: Vec<Option<u32>>,
    computed: Vec<Vec<f64>>,
    xs: Vec<Vec<f64>>,
}

/// The sides, made by the first block that runs.
type Shared = Arc<futures::lock::Mutex<Option<Arc<Sides>>>>;

impl Sides {
    /// The subjects and computed variables of the rows query's `batches`, and the left-hand
    /// columns.
    fn of(
        c: &BoundCorrelate,
        snapshot: &Snapshot,
        batches: &[RecordBatch],
        stop: &AtomicBool,
    ) -> Result<Sides, Error> {
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
        let mut sides = Sides {
            ids,
            computed,
            xs: Vec::new(),
        };
        sides.xs = sides.values(&c.x, snapshot, stop)?;
        Ok(sides)
    }

    /// The values of `vars` in the order of the rows: computed ones copied, stored ones read
    /// from the store a column at a time by subject.
    fn values(
        &self,
        vars: &[Variable],
        snapshot: &Snapshot,
        stop: &AtomicBool,
    ) -> Result<Vec<Vec<f64>>, Error> {
        let mut stored = read_stored(vars, snapshot, &self.ids, stop)?;
        Ok(vars
            .iter()
            .map(|v| match &v.from {
                VariableSource::Computed(k) => self.computed[*k].clone(),
                VariableSource::Stored { .. } => stored.remove(&v.name).unwrap_or_default(),
            })
            .collect())
    }
}

/// The columns of the map's partitions: pair (`i`, `j`) of `x[i]` and `y[j]`.
fn map_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("i", DataType::UInt32, false),
        Field::new("j", DataType::UInt32, false),
        Field::new("n", DataType::Int64, false),
        Field::new("r", DataType::Float64, true),
        Field::new("log10_p", DataType::Float64, true),
    ]))
}

/// The correlation map: partition `b` holds the pairs of every left-hand column with the
/// right-hand columns of block `b`, in map order (`y` outer, `x` inner).
pub struct CorrelateMapExec {
    analysis: Arc<Analysis>,
    input: Arc<dyn ExecutionPlan>,
    blocks: Vec<Range<usize>>,
    shared: Shared,
    properties: Arc<PlanProperties>,
}

impl CorrelateMapExec {
    fn new(
        analysis: Arc<Analysis>,
        input: Arc<dyn ExecutionPlan>,
        blocks: Vec<Range<usize>>,
        shared: Shared,
    ) -> Self {
        let properties = properties(map_schema(), blocks.len());
        CorrelateMapExec {
            analysis,
            input,
            blocks,
            shared,
            properties,
        }
    }
}

/// The sides, made once: the rows query runs, and the left-hand columns are read.
async fn sides(
    shared: &Shared,
    analysis: &Arc<Analysis>,
    input: &Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    stop: &Arc<AtomicBool>,
) -> datafusion::error::Result<Arc<Sides>> {
    let mut made = shared.lock().await;
    if let Some(sides) = made.as_ref() {
        return Ok(sides.clone());
    }
    let batches: Vec<RecordBatch> = input.execute(0, context)?.try_collect().await?;
    let (analysis, stop) = (analysis.clone(), stop.clone());
    let sides = blocking(move || {
        let c = statement(&analysis)?;
        Sides::of(c, &analysis.snapshot, &batches, &stop)
    })
    .await?;
    let sides = Arc::new(sides);
    *made = Some(sides.clone());
    Ok(sides)
}

/// Runs `work` on a thread for blocking work, its error carried through DataFusion.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> datafusion::error::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))?
        .map_err(carried)
}

/// One block's pairs as a batch of [`map_schema`].
fn block_batch(map: &Map, block: &Range<usize>) -> datafusion::error::Result<RecordBatch> {
    let nx = map.nx;
    let ks = 0..map.pairs.len();
    Ok(RecordBatch::try_new(
        map_schema(),
        vec![
            Arc::new(UInt32Array::from_iter_values(
                ks.clone().map(|k| (k % nx) as u32),
            )),
            Arc::new(UInt32Array::from_iter_values(
                ks.map(|k| (block.start + k / nx) as u32),
            )),
            Arc::new(Int64Array::from_iter_values(
                map.pairs.iter().map(|p| p.n as i64),
            )),
            Arc::new(Float64Array::from_iter(map.pairs.iter().map(|p| p.r))),
            Arc::new(Float64Array::from_iter(map.pairs.iter().map(|p| p.log10_p))),
        ],
    )?)
}

impl ExecutionPlan for CorrelateMapExec {
    fn name(&self) -> &str {
        "CorrelateMapExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![Distribution::SinglePartition]
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
        Ok(Arc::new(CorrelateMapExec::new(
            self.analysis.clone(),
            children.swap_remove(0),
            self.blocks.clone(),
            Shared::default(),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let block = self.blocks.get(partition).cloned().ok_or_else(|| {
            DataFusionError::Internal(format!("CorrelateMapExec has no partition {partition}"))
        })?;
        let (analysis, input, shared) = (
            self.analysis.clone(),
            self.input.clone(),
            self.shared.clone(),
        );
        let stop = StopOnDrop::default();
        let flag = stop.0.clone();
        let reservation = MemoryConsumer::new(format!("CorrelateMapExec[{partition}]"))
            .register(context.memory_pool());
        let computed = async move {
            // Dropped with the stream: the block's work then stops.
            let _stop = stop;
            let sides = sides(&shared, &analysis, &input, context, &flag).await?;
            let c = statement(&analysis).map_err(carried)?;
            // The block's columns as floats and its pairs (`Pair` is 40 bytes).
            reservation.try_grow(
                block.len() * (sides.ids.len() * 8 + c.x.len() * 40)
                    + sides.xs.len() * sides.ids.len() * 8,
            )?;
            let map = blocking(move || {
                let c = statement(&analysis)?;
                let ys = sides.values(&c.y[block.clone()], &analysis.snapshot, &flag)?;
                // The pairs of the whole map, those of the blocks before this one done.
                crate::progress::start((c.x.len() * c.y.len()) as u64, "pairs");
                crate::progress::advance((block.start * c.x.len()) as u64);
                let map = map_until(&sides.xs, &ys, c.method, &flag).ok_or(Error::Cancelled)?;
                Ok((map, block))
            })
            .await?;
            block_batch(&map.0, &map.1)
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            map_schema(),
            futures::stream::once(computed),
        )))
    }
}

impl fmt::Debug for CorrelateMapExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorrelateMapExec")
    }
}

impl DisplayAs for CorrelateMapExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let (nx, ny, method) = match statement(&self.analysis) {
            Ok(c) => (c.x.len(), c.y.len(), c.method),
            Err(_) => (0, 0, Method::Pearson),
        };
        write!(
            f,
            "CorrelateMapExec: {} of {nx} × {ny} columns, {} block(s) of at most {BLOCK} right-hand columns",
            format!("{method:?}").to_lowercase(),
            self.blocks.len()
        )
    }
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

/// The map's partitions, one after another (so one block's columns are held at a time).
async fn gather(
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
) -> DfResult<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for partition in 0..input.properties().partitioning.partition_count() {
        let block: Vec<RecordBatch> = input
            .execute(partition, context.clone())?
            .try_collect()
            .await?;
        batches.extend(block);
    }
    Ok(batches)
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
    // q from its logarithm, as p is from its own (both at least `SMALLEST_P`).
    let log10_q = adjust_log10(&log10_p, c.adjust);
    let mut order: Vec<u32> = (0..log10_p.len() as u32).collect();
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
        let shared = self
            .input
            .downcast_ref::<CorrelateMapExec>()
            .map(|m| m.shared.clone());
        let rows = async move {
            let c = statement(&analysis).map_err(carried)?;
            let map = gather(input, context).await?;
            let subjects = match &shared {
                Some(shared) => shared.lock().await.as_ref().map_or(0, |s| s.ids.len()),
                None => 0,
            };
            let map = datafusion::arrow::compute::concat_batches(&map_schema(), &map)?;
            // The rows hold the pairs again, with names, p and q.
            reservation.try_grow(map.get_array_memory_size() * 3)?;
            let (batch, tested) = finish(c, schema, &map).map_err(carried)?;
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

/// A variable's name and values.
type Named = (String, Vec<f64>);

/// Every stored variable's values in the order of `ids`, read a column at a time by subject.
fn read_stored(
    vars: &[Variable],
    snapshot: &Snapshot,
    ids: &[Option<u32>],
    stop: &AtomicBool,
) -> Result<BTreeMap<String, Vec<f64>>, Error> {
    let mut by_table: BTreeMap<&str, (&TableMeta, Vec<&Variable>)> = BTreeMap::new();
    for v in vars {
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
            if stop.load(Ordering::Relaxed) {
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
