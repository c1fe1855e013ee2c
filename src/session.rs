//! session: the one place that chains the stages for a statement. It finds the version the
//! statement reads (the head, or its `AS OF`), binds it (`resolve`, with the session's
//! registered frames), plans what it reads (`plan::plan`), binds and plans again the saved
//! definition of a cohort that `REFRESH COHORT` or `SHOW COHORT` names, and hands the bound
//! statement and its plans to `exec`. `Database::{query, query_stream, execute, explain}`
//! come through here; `exec` never parses, resolves or plans.

use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::prelude::SessionContext;

use crate::error::Error;
use crate::exec::{self, QueryResult, cohorts::Definition};
use crate::plan::Reads;
use crate::resolve::{Bound, Frames};
use crate::storage::{CohortMeta, Snapshot, Store};
use crate::syntax::Statement;

/// Runs one parsed statement: snapshot, resolve, then exec.
pub async fn run(
    store: &Store,
    ctx: &SessionContext,
    statement: &Statement,
    params: Option<&ParamValues>,
    frames: Arc<Frames>,
) -> Result<QueryResult, Error> {
    let snapshot = snapshot_for(store, statement)?;
    let bound = crate::resolve::resolve_in(statement, &snapshot, frames)?;
    // REFRESH needs the definition to bind (its error is the answer); SHOW reports it.
    let definition = match &bound {
        Bound::RefreshCohort(cohort) => Some(Ok(definition(store, cohort)?)),
        Bound::ShowCohort(cohort) => Some(definition(store, cohort).map_err(|e| e.message())),
        _ => None,
    };
    let reads = plan(store, &bound, &snapshot)?;
    let running = exec::Running { statement, params };
    Ok(exec::run(store, ctx, snapshot, bound, reads, running, definition).await?)
}

/// Plans what a bound statement reads (`plan::plan`), with the history when it lists it.
fn plan(store: &Store, bound: &Bound, snapshot: &Snapshot) -> Result<Reads, Error> {
    fn lists_history(bound: &Bound) -> bool {
        match bound {
            Bound::ShowHistory => true,
            Bound::Explain(inner) => lists_history(inner),
            _ => false,
        }
    }
    if lists_history(bound) {
        let history = store.versions()?;
        let oldest = store.oldest_version()?;
        return Ok(crate::plan::plan(
            bound,
            snapshot,
            Some((&history, oldest)),
        )?);
    }
    Ok(crate::plan::plan(bound, snapshot, None)?)
}

/// The snapshot a statement reads: the current version, or the one its `AS OF` names.
pub fn snapshot_for(store: &Store, statement: &Statement) -> Result<Snapshot, Error> {
    match statement.as_of() {
        None => Ok(store.snapshot()),
        Some(as_of) => {
            let version =
                crate::resolve::version_as_of(as_of, &store.versions()?, store.oldest_version()?)?;
            Ok(store.snapshot_at(version)?)
        }
    }
}

/// A cohort's saved definition, parsed and bound again on the version it reads now (the
/// head, or its own `AS OF`).
fn definition(store: &Store, cohort: &CohortMeta) -> Result<Definition, Error> {
    let statement = crate::syntax::parse_statement(&cohort.definition)?;
    let Statement::Select(select) = &statement else {
        return Err(exec::ExecError::Statistics {
            message: format!(
                "the definition of cohort `{}` is not a SELECT: {}",
                cohort.name, cohort.definition
            ),
        }
        .into());
    };
    let snapshot = snapshot_for(store, &statement)?;
    let query = crate::resolve::query(&snapshot, select)?;
    let plan = crate::plan::query_to_plan(&query, &snapshot)?;
    Ok(Definition { snapshot, plan })
}

/// One reading statement as a stream of record batches: a query through `exec::query_stream`
/// (DataFusion, or the wide path), anything else planned and streamed.
pub async fn stream(
    store: &Store,
    ctx: &SessionContext,
    statement: &Statement,
    frames: Arc<Frames>,
) -> Result<datafusion::physical_plan::SendableRecordBatchStream, Error> {
    let snapshot = snapshot_for(store, statement)?;
    let bound = crate::resolve::resolve_in(statement, &snapshot, frames)?;
    let reads = plan(store, &bound, &snapshot)?;
    Ok(exec::query_stream(ctx, &snapshot, &bound, reads).await?)
}
