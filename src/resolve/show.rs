//! `SHOW …`, `DESCRIBE`, `DROP TABLE` and `VACUUM KEEP n`.

use super::bound::*;
use super::error::ResolveError;
use super::scope::Scope;
use crate::storage::Snapshot;
use crate::syntax::{Ident, Show, Span};

/// `SHOW TABLES | COHORTS | HISTORY | COHORT c | COLUMNS FROM t [LIKE 'p%']`.
pub(super) fn show(snapshot: &Snapshot, show: &Show) -> Result<Bound, ResolveError> {
    Ok(match show {
        Show::Tables { .. } => Bound::ShowTables,
        Show::Cohorts { .. } => Bound::ShowCohorts,
        Show::History { .. } => Bound::ShowHistory,
        Show::Cohort { name, .. } => {
            Bound::ShowCohort(super::cohort::cohort_named(snapshot, name)?)
        }
        Show::Columns { table, like, .. } => {
            let scope = Scope::new(snapshot)?;
            let meta = scope
                .table(&table.name)
                .cloned()
                .ok_or_else(|| scope.unknown_source(table))?;
            Bound::ShowColumns {
                table: meta,
                like: like.as_ref().map(|l| l.value.clone()),
            }
        }
    })
}

/// `DESCRIBE table_or_cohort`.
pub(super) fn describe(snapshot: &Snapshot, name: &Ident) -> Result<Bound, ResolveError> {
    let scope = Scope::new(snapshot)?;
    if let Some(table) = scope.table(&name.name) {
        Ok(Bound::DescribeTable(table.clone()))
    } else if let Some(cohort) = scope.cohort(&name.name) {
        Ok(Bound::DescribeCohort(cohort.clone()))
    } else {
        Err(scope.unknown_source(name))
    }
}

/// `DROP TABLE [IF EXISTS] name`.
pub(super) fn drop_table(
    snapshot: &Snapshot,
    name: &Ident,
    if_exists: bool,
) -> Result<Bound, ResolveError> {
    let scope = Scope::new(snapshot)?;
    match scope.table(&name.name) {
        Some(table) => Ok(Bound::DropTable {
            name: table.name.clone(),
            exists: true,
        }),
        None if if_exists => Ok(Bound::DropTable {
            name: name.name.to_ascii_lowercase(),
            exists: false,
        }),
        None => Err(scope.unknown_source(name)),
    }
}

/// `VACUUM KEEP n`: at least one version (the current one) is kept.
pub(super) fn vacuum(keep: &str, keep_span: Span) -> Result<Bound, ResolveError> {
    match keep.parse::<u64>() {
        Ok(keep) if keep >= 1 => Ok(Bound::Vacuum { keep }),
        _ => Err(ResolveError::InvalidArgument {
            message: format!(
                "VACUUM KEEP takes how many versions to keep, a whole number of at least 1 (the current version), not `{keep}`"
            ),
            span: keep_span,
        }),
    }
}
