//! plan: bound statement -> datafusion LogicalPlan (LogicalPlanBuilder, never SQL text).
//!
//! Queries become scans of the store's `TableProvider` (only the columns they name), left
//! joins on `subject_id`, and DataFusion's filter, aggregate, projection, sort and limit.
//! Catalog statements become scans of small in-memory listings.

mod analysis;
mod catalog;
mod error;
mod expr;
mod query;

pub use analysis::{Analysis, AnalysisNode, analysis_plan};
pub use catalog::{action, describe_cohort, show_cohorts, show_columns, show_history, show_tables};
pub use error::PlanError;
pub use expr::{data_type, to_df};
pub use query::query_to_plan;

use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use crate::resolve::Bound;
use crate::storage::{Snapshot, VersionRecord};

/// The plan of a statement that reads (queries, SHOW, DESCRIBE, EXPLAIN). Statements that
/// change the database (`CREATE`/`DROP COHORT`, `EXPORT`) plan their query part with
/// [`query_to_plan`] and are carried out by `exec`; for them this returns `None`.
pub fn to_logical_plan(
    bound: &Bound,
    snapshot: &Snapshot,
    history: &[VersionRecord],
    oldest: u64,
) -> Result<Option<LogicalPlan>, PlanError> {
    Ok(Some(match bound {
        Bound::Query(q) => query_to_plan(q, snapshot)?,
        Bound::Survival(_) | Bound::Cox(_) | Bound::Correlate(_) => {
            return analysis_plan(bound, snapshot);
        }
        Bound::ShowTables => show_tables(snapshot)?,
        Bound::ShowCohorts => show_cohorts(snapshot)?,
        Bound::ShowHistory => show_history(history, oldest)?,
        Bound::ShowColumns { table, like } => show_columns(snapshot, table, like.as_deref())?,
        Bound::DescribeTable(table) => show_columns(snapshot, table, None)?,
        Bound::DescribeCohort(c) => describe_cohort(c)?,
        Bound::Explain(inner) => {
            let plan = match inner.as_ref() {
                Bound::CreateCohort { query, .. } => query_to_plan(query, snapshot)?,
                Bound::Export(e) => query_to_plan(&e.query, snapshot)?,
                other => match to_logical_plan(other, snapshot, history, oldest)? {
                    Some(plan) => plan,
                    None => return Ok(None),
                },
            };
            LogicalPlanBuilder::from(plan)
                .explain(false, false)?
                .build()?
        }
        Bound::CreateCohort { .. }
        | Bound::DropCohort { .. }
        | Bound::Export(_)
        | Bound::Plot(_)
        | Bound::ShowCohort(_)
        | Bound::RefreshCohort(_)
        | Bound::DropTable { .. }
        | Bound::Check
        | Bound::Vacuum { .. }
        | Bound::Import(_) => {
            return Ok(None);
        }
    }))
}
