//! Cohorts over time: evaluating a definition, `REFRESH COHORT` (evaluate it again on the
//! current data) and `SHOW COHORT` (the saved members against a fresh evaluation).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray, UInt64Array};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;

use super::{QueryResult, bind_params, collect};
use crate::exec::ExecError as Error;
use crate::storage::{Action, CohortMeta, Snapshot, Store};
use crate::syntax::Statement;

/// The dense ids of the subjects a cohort query selects, sorted and without repeats.
pub async fn members(
    ctx: &SessionContext,
    snapshot: &Snapshot,
    plan: LogicalPlan,
) -> Result<Vec<u32>, Error> {
    let rows = collect(ctx, plan).await?;
    Ok(ids_of(snapshot, &rows.batches))
}

/// The dense ids of the subjects in the first column of a cohort query's rows, sorted and
/// without repeats.
pub fn ids_of(snapshot: &Snapshot, batches: &[RecordBatch]) -> Vec<u32> {
    let mut ids: Vec<u32> = Vec::new();
    for batch in batches {
        let column = batch.column(0).as_string::<i32>();
        for i in 0..column.len() {
            if column.is_valid(i)
                && let Some(id) = snapshot.subject_id(column.value(i))
            {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A cohort's saved definition, bound and planned again by the session (`crate::session`) on
/// the data it reads now: the current version, or the one its own `AS OF` names.
pub struct Definition {
    pub snapshot: Snapshot,
    /// The plan of its members query.
    pub plan: LogicalPlan,
}

/// A cohort's definition evaluated now: the version it read and the members.
struct Evaluation {
    version: u64,
    members: Vec<u32>,
}

/// Evaluates a saved definition, bound again.
async fn evaluate(ctx: &SessionContext, definition: Definition) -> Result<Evaluation, Error> {
    let Definition { snapshot, plan } = definition;
    Ok(Evaluation {
        version: snapshot.version(),
        members: members(ctx, &snapshot, bind_params(plan, None)?).await?,
    })
}

/// Subjects in `now` and not in `then` (joined), and the other way round (left).
fn diff(then: &[u32], now: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let joined = now
        .iter()
        .filter(|id| then.binary_search(id).is_err())
        .copied()
        .collect();
    let left = then
        .iter()
        .filter(|id| now.binary_search(id).is_err())
        .copied()
        .collect();
    (joined, left)
}

/// `REFRESH COHORT name`: saves the members the definition selects now, as a new version.
pub async fn refresh(
    store: &Store,
    ctx: &SessionContext,
    cohort: &CohortMeta,
    definition: Definition,
    statement: &Statement,
) -> Result<QueryResult, Error> {
    let now = evaluate(ctx, definition).await?;
    let then = store.snapshot().cohort_members(cohort)?;
    let mut then_sorted = then;
    then_sorted.sort_unstable();
    let (joined, left) = diff(&then_sorted, &now.members);
    let mut txn = store.begin()?;
    txn.replace_cohort(
        &cohort.name,
        &cohort.definition,
        now.version,
        now.members.clone(),
    )?;
    let record = txn.commit(
        Action::RefreshCohort {
            cohort: cohort.name.clone(),
        },
        Some(statement.to_string()),
    )?;
    let count = |v: u64| -> Arc<dyn Array> { Arc::new(UInt64Array::from(vec![v])) };
    QueryResult::of_columns(
        vec![
            (
                "cohort",
                Arc::new(StringArray::from(vec![cohort.name.as_str()])),
            ),
            ("subjects", count(now.members.len() as u64)),
            ("version", count(record.version)),
            ("evaluated_at", count(now.version)),
            ("joined", count(joined.len() as u64)),
            ("left", count(left.len() as u64)),
        ],
        None,
    )
}

/// `SHOW COHORT name`: a header with the definition and both evaluations, and one row per
/// subject whose membership changed (`joined` or `left`).
pub async fn show(
    store: &Store,
    ctx: &SessionContext,
    snapshot: &Snapshot,
    cohort: &CohortMeta,
    definition: Result<Definition, String>,
) -> Result<QueryResult, Error> {
    let mut then = snapshot.cohort_members(cohort)?;
    then.sort_unstable();
    let mut header = format!(
        "cohort {}: {} subjects, evaluated at version {} (saved as version {})\ndefinition: {}\n",
        cohort.name, cohort.members, cohort.evaluated_at, cohort.version, cohort.definition
    );
    let mut rows: Vec<(String, &str)> = Vec::new();
    // The definition no longer binding (a column dropped since) is part of the answer.
    let now = match definition {
        Ok(definition) => evaluate(ctx, definition).await.map_err(|e| e.to_string()),
        Err(message) => Err(message),
    };
    match now {
        Ok(now) => {
            let (joined, left) = diff(&then, &now.members);
            header += &format!(
                "now (version {}): {} subjects; {} joined, {} left{}\n",
                now.version,
                now.members.len(),
                joined.len(),
                left.len(),
                if joined.is_empty() && left.is_empty() {
                    ""
                } else {
                    "; REFRESH COHORT saves the new members"
                }
            );
            let names = store.snapshot();
            let name = |id: u32| names.subjects()[id as usize].clone();
            rows.extend(joined.into_iter().map(|id| (name(id), "joined")));
            rows.extend(left.into_iter().map(|id| (name(id), "left")));
            rows.sort();
        }
        Err(e) => {
            header += &format!("now: the definition no longer runs: {e}\n");
        }
    }
    let subjects = StringArray::from_iter_values(rows.iter().map(|r| r.0.as_str()));
    let changes = StringArray::from_iter_values(rows.iter().map(|r| r.1));
    QueryResult::of_columns(
        vec![
            ("subject_id", Arc::new(subjects)),
            ("change", Arc::new(changes)),
        ],
        Some(header),
    )
}
