//! The physical side of the statistics nodes (`plan::AnalysisNode`): rgdb's query planner,
//! which is DataFusion's with one extension planner, and the operators it makes.
//!
//! - `SURVIVAL` and `COX` become an [`AnalysisExec`]: it gathers its input (the statement's
//!   rows, in one partition) and fits them (`survival.rs`, `cox.rs`).
//! - `CORRELATE` becomes a `CorrelateExec` over a `CorrelateMapExec`, whose partitions are
//!   blocks of the right-hand columns (`correlate/`).
//!
//! Each operator reserves what it holds from the memory pool, and does its work on a thread
//! for blocking work that the statement's task awaits: a Ctrl-C or a time limit aborts the
//! task and so ends the statement at once, and the correlation map, the one long piece,
//! stops too (its stream's [`StopOnDrop`] flag). What a result says beside its
//! rows (the header, the test row, the text figure) is left in the operator's [`Report`] and
//! picked up by `exec` after the plan has run ([`report_of`]). An error of the statistics
//! crosses DataFusion as a [`Carried`] and comes out as the `ExecError` it was.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::memory_pool::MemoryConsumer;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, Partitioning, PhysicalExpr,
    PlanProperties, SendableRecordBatchStream,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use futures::TryStreamExt;

use super::{ExecError, QueryResult, correlate, cox, survival};
use crate::plan::{Analysis, AnalysisNode};
use crate::resolve::Bound;

/// DataFusion's physical planner, with the statistics nodes planned by [`AnalysisPlanner`].
#[derive(Debug, Default)]
pub struct Planner;

#[async_trait]
impl QueryPlanner for Planner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(AnalysisPlanner)])
            .create_physical_plan(logical_plan, session)
            .await
    }
}

/// Plans an `AnalysisNode`.
pub struct AnalysisPlanner;

#[async_trait]
impl ExtensionPlanner for AnalysisPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<AnalysisNode>() else {
            return Ok(None);
        };
        let schema: SchemaRef = Arc::new(node.schema().as_arrow().clone());
        let input = physical_inputs[0].clone();
        let analysis = node.analysis.clone();
        Ok(Some(match &analysis.statement {
            Bound::Correlate(_) => correlate::physical(analysis, input, schema)?,
            _ => Arc::new(AnalysisExec::new(analysis, input, schema)),
        }))
    }
}

/// What a statistics result says beside its rows: [`QueryResult`]'s header, figure and test.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub header: Option<String>,
    pub figure: Option<String>,
    pub test: Option<RecordBatch>,
}

/// Where an operator leaves its [`Report`].
pub type ReportSlot = Arc<Mutex<Option<Report>>>;

/// Leaves `report` in `slot`.
pub(super) fn leave(slot: &ReportSlot, report: Report) {
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(report);
}

/// The report of the first statistics operator in a plan that has run, if any.
pub fn report_of(plan: &Arc<dyn ExecutionPlan>) -> Option<Report> {
    let slot = if let Some(exec) = plan.downcast_ref::<AnalysisExec>() {
        Some(&exec.report)
    } else {
        correlate::report_slot(plan.as_ref())
    };
    if let Some(report) = slot.and_then(|s| s.lock().unwrap_or_else(|p| p.into_inner()).clone()) {
        return Some(report);
    }
    plan.children().into_iter().find_map(report_of)
}

/// An `ExecError` carried through DataFusion (which wraps it in `DataFusionError::External`)
/// so that it comes out as itself (`ExecError::from`).
#[derive(Debug)]
pub struct Carried(pub ExecError);

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Carried {}

/// An `ExecError` as a DataFusion error.
pub(super) fn carried(e: ExecError) -> DataFusionError {
    DataFusionError::External(Box::new(Carried(e)))
}

/// Runs `work` on a thread for blocking work, its error carried through DataFusion. The
/// statement's task awaits it, so a Ctrl-C or a time limit (which abort the task) ends the
/// statement at once; work that can be long (the correlation map) also watches a
/// [`StopOnDrop`] flag and stops.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, ExecError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))?
        .map_err(carried)
}

/// Set when the stream that owns it is dropped: the work it started on other threads (the
/// correlation map) sees it and stops.
#[derive(Default)]
pub(super) struct StopOnDrop(pub Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The properties of an operator that yields `partitions` partitions of `schema`, all at the
/// end.
pub(super) fn properties(schema: SchemaRef, partitions: usize) -> Arc<PlanProperties> {
    Arc::new(PlanProperties::new(
        EquivalenceProperties::new(schema),
        Partitioning::UnknownPartitioning(partitions),
        EmissionType::Final,
        Boundedness::Bounded,
    ))
}

/// `SURVIVAL` or `COX` over its rows: one partition, one batch.
pub struct AnalysisExec {
    analysis: Arc<Analysis>,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    report: ReportSlot,
}

impl AnalysisExec {
    fn new(analysis: Arc<Analysis>, input: Arc<dyn ExecutionPlan>, schema: SchemaRef) -> Self {
        AnalysisExec {
            analysis,
            input,
            properties: properties(schema.clone(), 1),
            schema,
            report: ReportSlot::default(),
        }
    }
}

/// Fits a `SURVIVAL` or `COX` to its rows.
fn fit(statement: &Bound, batches: &[RecordBatch]) -> std::result::Result<QueryResult, ExecError> {
    match statement {
        Bound::Survival(s) => survival::run(s, batches),
        Bound::Cox(c) => cox::cox(c, batches),
        _ => Err(ExecError::NotAQuery),
    }
}

impl fmt::Debug for AnalysisExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

impl DisplayAs for AnalysisExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

impl ExecutionPlan for AnalysisExec {
    fn name(&self) -> &str {
        match self.analysis.statement {
            Bound::Survival(_) => "SurvivalExec",
            _ => "CoxExec",
        }
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
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(AnalysisExec::new(
            self.analysis.clone(),
            children.swap_remove(0),
            self.schema.clone(),
        )))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context.clone())?;
        let reservation = MemoryConsumer::new(self.name()).register(context.memory_pool());
        let (analysis, schema, slot) = (
            self.analysis.clone(),
            self.schema.clone(),
            self.report.clone(),
        );
        let fitted = async move {
            let batches: Vec<RecordBatch> = input.try_collect().await?;
            reservation.try_grow(batches.iter().map(|b| b.get_array_memory_size()).sum())?;
            let result = blocking(move || fit(&analysis.statement, &batches)).await?;
            let rows = datafusion::arrow::compute::concat_batches(&result.schema, &result.batches)?;
            leave(
                &slot,
                Report {
                    header: result.header,
                    figure: result.figure,
                    test: result.test,
                },
            );
            Ok(RecordBatch::try_new(schema, rows.columns().to_vec())?)
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::once(fitted),
        )))
    }
}
