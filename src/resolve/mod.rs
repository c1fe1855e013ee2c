//! resolve: ast + catalog -> bound statement (names, tables, types, "did you mean").
//!
//! Every name in a statement is looked up in one snapshot of the catalog. Columns of
//! one-row-per-subject tables become left joins on `subject_id`; columns of tables with
//! several rows per subject must sit inside an aggregate, which is then computed per subject.

mod aggregate;
mod analysis;
mod as_of;
pub mod bound;
mod cohort;
mod derived;
mod error;
mod export;
mod expr;
pub mod functions;
mod import;
mod scope;
mod select;
mod show;
mod window;

pub use analysis::analysis_schema;
pub use as_of::version_as_of;
pub use bound::*;
pub use error::ResolveError;
pub use select::STAR_MAX_COLUMNS;

use crate::storage::Snapshot;
use crate::syntax::{Select, Statement};
use scope::Scope;

/// Tables a caller registered for its session (`Database::register`: a pandas, polars or
/// Arrow frame), by lower-case name: read like files, never stored.
pub type Frames =
    std::collections::BTreeMap<String, Vec<datafusion::arrow::record_batch::RecordBatch>>;

thread_local! {
    /// The frames of the statement being resolved on this thread, set by [`resolve_in`] for
    /// the duration of the call. Every scope (a subquery's, a `WITH` query's, an analysis's)
    /// is made deep inside the binders; this is how they all see the session's frames without
    /// each binder passing them on. Resolving is synchronous and never leaves the thread.
    static FRAMES: std::cell::RefCell<std::sync::Arc<Frames>> = std::cell::RefCell::default();
}

/// The frames registered for the statement being resolved.
fn frames() -> std::sync::Arc<Frames> {
    FRAMES.with(|f| f.borrow().clone())
}

/// Binds a statement with the session's registered frames in reach (as sources named like
/// tables: `FROM my_frame`).
pub fn resolve_in(
    statement: &Statement,
    snapshot: &Snapshot,
    frames: std::sync::Arc<Frames>,
) -> Result<Bound, ResolveError> {
    let outer = FRAMES.with(|f| std::mem::replace(&mut *f.borrow_mut(), frames));
    let bound = resolve(statement, snapshot);
    FRAMES.with(|f| *f.borrow_mut() = outer);
    bound
}

/// Binds a parsed statement to the catalog of `snapshot`.
pub fn resolve(statement: &Statement, snapshot: &Snapshot) -> Result<Bound, ResolveError> {
    match statement {
        Statement::Select(select) => Ok(Bound::Query(query(snapshot, select)?)),
        Statement::CreateCohort {
            name,
            query: q,
            replace,
            ..
        } => cohort::create_cohort(snapshot, name, q, *replace),
        Statement::DropCohort {
            name, if_exists, ..
        } => cohort::drop_cohort(snapshot, name, *if_exists),
        Statement::Show(s) => show::show(snapshot, s),
        Statement::Describe { name, .. } => show::describe(snapshot, name),
        Statement::Explain { statement, .. } => {
            Ok(Bound::Explain(Box::new(resolve(statement, snapshot)?)))
        }
        Statement::Export(e) => Ok(Bound::Export(Box::new(export::bind_export(snapshot, e)?))),
        Statement::Import(i) => Ok(Bound::Import(Box::new(import::bind_import(i)?))),
        Statement::Survival(s) => Ok(Bound::Survival(Box::new(analysis::bind_survival(
            snapshot, s,
        )?))),
        Statement::Cox(c) => Ok(Bound::Cox(Box::new(analysis::bind_cox(snapshot, c)?))),
        Statement::Correlate(c) => Ok(Bound::Correlate(Box::new(analysis::bind_correlate(
            snapshot, c,
        )?))),
        Statement::Plot(p) => Ok(Bound::Plot(Box::new(analysis::bind_plot(snapshot, p)?))),
        Statement::DropTable {
            name, if_exists, ..
        } => show::drop_table(snapshot, name, *if_exists),
        Statement::Check { .. } => Ok(Bound::Check),
        Statement::RefreshCohort { name, .. } => {
            Ok(Bound::RefreshCohort(cohort::cohort_named(snapshot, name)?))
        }
        Statement::Vacuum {
            keep, keep_span, ..
        } => show::vacuum(keep, *keep_span),
    }
}

/// Binds one `SELECT`.
pub fn query(snapshot: &Snapshot, select: &Select) -> Result<BoundQuery, ResolveError> {
    let mut scope = Scope::new(snapshot)?;
    select::bind_select(&mut scope, select)
}
