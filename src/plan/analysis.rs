//! The statistics statements (`SURVIVAL`, `COX`, `CORRELATE`) as DataFusion logical nodes.
//!
//! An [`AnalysisNode`] sits on the plan of the statement's rows (`query_to_plan` of its
//! `BoundQuery`) and yields the statement's result rows (its `schema()` in `resolve`). So a
//! query over an analysis (`SELECT … FROM (CORRELATE …) WHERE q < 0.05 ORDER BY p`) is one
//! plan: DataFusion's filter, sort and limit sit above the node, EXPLAIN shows it, and the
//! physical planner (`exec::analysis`) turns it into the operators that compute it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::common::{DFSchema, DFSchemaRef};
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, LogicalPlanBuilder, UserDefinedLogicalNodeCore,
};

use super::PlanError;
use super::select::query_to_plan;
use crate::resolve::{Bound, analysis_schema};
use crate::storage::Snapshot;

/// A bound `SURVIVAL`, `COX` or `CORRELATE` and the snapshot it reads.
pub struct Analysis {
    pub statement: Bound,
    pub snapshot: Snapshot,
}

/// The logical node of an analysis over the plan of its rows.
#[derive(Clone)]
pub struct AnalysisNode {
    pub analysis: Arc<Analysis>,
    input: LogicalPlan,
    schema: DFSchemaRef,
}

/// The plan of an analysis: its node over the plan of its rows. `None` for a statement that
/// is not an analysis.
pub fn analysis_plan(bound: &Bound, snapshot: &Snapshot) -> Result<Option<LogicalPlan>, PlanError> {
    let (query, (_, schema)) = match (bound, analysis_schema(bound)) {
        (Bound::Survival(s), Some(named)) => (&s.query, named),
        (Bound::Cox(c), Some(named)) => (&c.query, named),
        (Bound::Correlate(c), Some(named)) => (&c.query, named),
        _ => return Ok(None),
    };
    let input = query_to_plan(query, snapshot)?;
    let node = AnalysisNode {
        analysis: Arc::new(Analysis {
            statement: bound.clone(),
            snapshot: snapshot.clone(),
        }),
        input,
        schema: Arc::new(DFSchema::try_from(schema.as_ref().clone())?),
    };
    Ok(Some(
        LogicalPlanBuilder::from(LogicalPlan::Extension(Extension {
            node: Arc::new(node),
        }))
        .build()?,
    ))
}

impl AnalysisNode {
    /// What EXPLAIN prints after the node's name.
    fn describe(&self) -> String {
        match &self.analysis.statement {
            Bound::Survival(s) => format!(
                "time={}, event={}, by={}{}",
                s.time,
                s.event,
                s.by.as_deref().unwrap_or("(none)"),
                if s.test {
                    ", log-rank test"
                } else if s.curve {
                    ", curve"
                } else {
                    ", groups"
                }
            ),
            Bound::Cox(c) => format!(
                "time={}, event={}, terms=[{}]{}",
                c.time,
                c.event,
                c.terms.join(", "),
                if c.test { ", tests" } else { "" }
            ),
            Bound::Correlate(c) => format!(
                "{} of {} × {} columns, q by {}",
                format!("{:?}", c.method).to_lowercase(),
                c.x.len(),
                c.y.len(),
                format!("{:?}", c.adjust).to_lowercase()
            ),
            _ => String::new(),
        }
    }
}

impl fmt::Debug for AnalysisNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        UserDefinedLogicalNodeCore::fmt_for_explain(self, f)
    }
}

// Two nodes are the same analysis when they share its statement (the optimiser copies the
// node, never the statement) and their inputs are equal.
impl PartialEq for AnalysisNode {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.analysis, &other.analysis) && self.input == other.input
    }
}

impl Eq for AnalysisNode {}

impl Hash for AnalysisNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.analysis).hash(state);
        self.input.hash(state);
    }
}

impl PartialOrd for AnalysisNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        if Arc::ptr_eq(&self.analysis, &other.analysis) {
            self.input.partial_cmp(&other.input)
        } else {
            None
        }
    }
}

impl UserDefinedLogicalNodeCore for AnalysisNode {
    fn name(&self) -> &str {
        match &self.analysis.statement {
            Bound::Survival(_) => "Survival",
            Bound::Cox(_) => "Cox",
            _ => "Correlate",
        }
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.describe())
    }

    fn with_exprs_and_inputs(
        &self,
        _exprs: Vec<Expr>,
        mut inputs: Vec<LogicalPlan>,
    ) -> datafusion::error::Result<Self> {
        Ok(AnalysisNode {
            analysis: self.analysis.clone(),
            input: inputs.swap_remove(0),
            schema: self.schema.clone(),
        })
    }
}
