//! plan: bound statement -> datafusion LogicalPlan (LogicalPlanBuilder, never SQL text).
//!
//! One file per area, as in `syntax/statement/` and `resolve/`:
//! - `select.rs`: queries become scans of the store's `TableProvider` (only the columns they
//!   name), left joins on `subject_id`, and DataFusion's filter, aggregate, projection, sort
//!   and limit. `EXPORT` and `CREATE COHORT` are planned as their query (`plan` below); an
//!   `IMPORT` reads no data and has no plan.
//! - `wide.rs`: the queries of many stored columns, split for `exec/wide.rs`.
//! - `analysis.rs`: `SURVIVAL`, `COX` and `CORRELATE` as a DataFusion node over their rows.
//! - `show.rs`: `SHOW` and `DESCRIBE` as scans of small in-memory listings.
//! - `expr.rs`: expressions.

mod analysis;
mod error;
mod expr;
mod select;
mod show;
mod wide;

pub use analysis::{Analysis, AnalysisNode, analysis_plan};
pub use error::PlanError;
pub use expr::{data_type, to_df};
pub use select::query_to_plan;
pub use show::{action, describe_cohort, show_cohorts, show_columns, show_history, show_tables};
pub use wide::{SUBJECT_ITEM, Split, WIDE_COLUMNS, WideSource};

use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use crate::resolve::Bound;
use crate::storage::{Snapshot, VersionRecord};

/// What a bound statement reads, planned: what `exec` runs for it.
#[derive(Debug)]
pub enum Reads {
    /// Nothing: the statement only changes the database, or reads what `exec` reads from the
    /// store itself (`DROP`, `VACUUM`, `IMPORT`, `CHECK`; a cohort's saved definition, which
    /// the session plans with [`query_to_plan`]).
    Nothing,
    /// One plan: the result's rows (a query, `SHOW`, `EXPLAIN`, an analysis), or the rows the
    /// statement works on (a cohort's members, an export's rows, a plot's rows or map).
    Plan(LogicalPlan),
    /// A query of many stored columns: the plan of its narrow part, and the split
    /// (`exec/wide.rs` reads the stored columns).
    Wide {
        split: Box<Split>,
        narrow: LogicalPlan,
    },
}

/// The history a `SHOW HISTORY` lists: every version, and the oldest one still readable.
pub type History<'a> = (&'a [VersionRecord], u64);

/// Plans what `bound` reads on `snapshot`. `history` is needed by `SHOW HISTORY` (and its
/// `EXPLAIN`) only.
pub fn plan(
    bound: &Bound,
    snapshot: &Snapshot,
    history: Option<History<'_>>,
) -> Result<Reads, PlanError> {
    let query = match bound {
        Bound::Query(query) => Some((query, &[][..])),
        Bound::Export(export) => Some((&export.query, &export.partition_by[..])),
        _ => None,
    };
    if let Some((query, keep)) = query {
        return Ok(match Split::of(query, keep) {
            Some(split) => Reads::Wide {
                narrow: query_to_plan(&split.narrow, snapshot)?,
                split: Box::new(split),
            },
            None => Reads::Plan(query_to_plan(query, snapshot)?),
        });
    }
    let plan = match bound {
        Bound::CreateCohort { query, .. } => Some(query_to_plan(query, snapshot)?),
        Bound::Plot(p) => match &p.analysis {
            // PLOT SURVIVAL fits the curves itself, from the rows.
            Bound::Survival(s) => Some(query_to_plan(&s.query, snapshot)?),
            other => analysis_plan(other, snapshot)?,
        },
        other => {
            let (records, oldest) = history.unwrap_or((&[], 0));
            to_logical_plan(other, snapshot, records, oldest)?
        }
    };
    Ok(plan.map_or(Reads::Nothing, Reads::Plan))
}

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
