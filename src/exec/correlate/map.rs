//! `CorrelateMapExec`: the correlation map, one partition per block of the right-hand
//! columns. The first block to run executes the rows query (the source's subjects and the
//! variables that are expressions) and reads the left-hand columns; each block then reads its
//! right-hand columns by subject straight from the store and computes its pairs on all cores
//! (`stats::correlate::map_until`), on a thread for blocking work that stops when the
//! partition's stream is dropped.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::arrow::array::{AsArray, Float64Array, Int64Array, RecordBatch, UInt32Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
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

use super::super::analysis::{StopOnDrop, blocking, carried, properties};
use super::{BLOCK, fail, floats, map_schema, statement};
use crate::exec::ExecError as Error;
use crate::plan::Analysis;
use crate::resolve::{BoundCorrelate, Variable, VariableSource};
use crate::stats::correlate::{Map, Method, map_until};
use crate::storage::{Snapshot, TableMeta};

/// What every block of the map shares: the source's subjects (dense ids, row by row), the
/// variables computed by the rows query, and the left-hand columns.
pub(super) struct Sides {
    pub(super) ids: Vec<Option<u32>>,
    computed: Vec<Vec<f64>>,
    xs: Vec<Vec<f64>>,
}

/// The sides, made by the first block that runs.
pub(super) type Shared = Arc<futures::lock::Mutex<Option<Arc<Sides>>>>;

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
        // The rows query's columns: the subject, then the computed variables (counted from
        // the statement too, so that a query without rows gives empty columns).
        let computed_count =
            c.x.iter()
                .chain(&c.y)
                .filter_map(|v| match v.from {
                    VariableSource::Computed(k) => Some(k + 1),
                    VariableSource::Stored { .. } => None,
                })
                .max()
                .unwrap_or(0)
                .max(batches.first().map_or(0, |b| b.num_columns()));
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
        // A column named twice (`CORRELATE rnaseq.TP53, rnaseq.* WITH …`) is read once, copied
        // for all but its last use and moved out on that one.
        let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
        for v in vars {
            *uses.entry(v.name.as_str()).or_default() += 1;
        }
        vars.iter()
            .map(|v| match &v.from {
                VariableSource::Computed(k) => Ok(self.computed[*k].clone()),
                VariableSource::Stored { .. } => {
                    let left = uses.entry(v.name.as_str()).or_default();
                    *left -= 1;
                    let values = if *left == 0 {
                        stored.remove(&v.name)
                    } else {
                        stored.get(&v.name).cloned()
                    };
                    values.ok_or_else(|| fail(format!("the column `{}` was not read", v.name)))
                }
            })
            .collect()
    }
}

/// The correlation map: partition `b` holds the pairs of every left-hand column with the
/// right-hand columns of block `b`, in map order (`y` outer, `x` inner).
pub(super) struct CorrelateMapExec {
    analysis: Arc<Analysis>,
    input: Arc<dyn ExecutionPlan>,
    blocks: Vec<Range<usize>>,
    pub(super) shared: Shared,
    properties: Arc<PlanProperties>,
}

impl CorrelateMapExec {
    pub(super) fn new(
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
        let rows = crate::exec::wide::rows_of(snapshot, table, ids)?;
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
