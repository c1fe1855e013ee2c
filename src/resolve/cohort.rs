//! `CREATE [OR REPLACE] COHORT`, `DROP COHORT`, and the cohort a statement names.

use super::bound::*;
use super::error::ResolveError;
use super::query;
use super::scope::Scope;
use crate::storage::{CohortMeta, RESERVED_TABLE_NAMES, SUBJECT_COLUMN, Snapshot, closest};
use crate::syntax::{Expr, Ident, Select, SelectItem, Source};

/// `DROP COHORT [IF EXISTS] name`.
pub(super) fn drop_cohort(
    snapshot: &Snapshot,
    name: &Ident,
    if_exists: bool,
) -> Result<Bound, ResolveError> {
    let scope = Scope::new(snapshot)?;
    let exists = scope.cohort(&name.name).is_some();
    if !exists && !if_exists {
        let names = scope.cohorts.iter().map(|c| c.name.as_str());
        return Err(ResolveError::UnknownCohort {
            name: name.name.clone(),
            candidates: closest(&name.name.to_ascii_lowercase(), names),
            span: name.span,
        });
    }
    Ok(Bound::DropCohort {
        name: name.name.to_ascii_lowercase(),
        exists,
    })
}

/// The live cohort called `name`, or an error with suggestions.
pub(super) fn cohort_named(snapshot: &Snapshot, name: &Ident) -> Result<CohortMeta, ResolveError> {
    let scope = Scope::new(snapshot)?;
    match scope.cohort(&name.name) {
        Some(c) => Ok(c.clone()),
        None => {
            let names = scope.cohorts.iter().map(|c| c.name.as_str());
            Err(ResolveError::UnknownCohort {
                name: name.name.clone(),
                candidates: closest(&name.name.to_ascii_lowercase(), names),
                span: name.span,
            })
        }
    }
}

pub(super) fn create_cohort(
    snapshot: &Snapshot,
    name: &Ident,
    select: &Select,
    or_replace: bool,
) -> Result<Bound, ResolveError> {
    let scope = Scope::new(snapshot)?;
    let folded = name.name.to_ascii_lowercase();
    let taken = |kind: &str, hint: &str| ResolveError::NameTaken {
        name: folded.clone(),
        kind: kind.into(),
        hint: hint.into(),
        span: name.span,
    };
    if scope.table(&folded).is_some() {
        return Err(taken("table", "choose another name for the cohort"));
    }
    if RESERVED_TABLE_NAMES.contains(&folded.as_str()) {
        return Err(taken("built-in", "choose another name for the cohort"));
    }
    let exists = scope.cohort(&folded).is_some();
    if exists && !or_replace {
        return Err(taken(
            "cohort",
            "CREATE OR REPLACE COHORT redefines it (or DROP COHORT it first)",
        ));
    }
    let bound = query(snapshot, select)?;
    let selects_subject = matches!(
        bound.items.as_slice(),
        [Item { expr: BExpr::Column { column, .. }, .. }] if column == SUBJECT_COLUMN
    );
    if !selects_subject || bound.aggregate {
        return Err(ResolveError::CohortNeedsSubjectId { span: select.span });
    }
    Ok(Bound::CreateCohort {
        name: folded,
        query: bound,
        definition: select.to_string(),
        replace: exists,
    })
}

/// `SELECT subject_id FROM <cohort>`.
pub(super) fn members_of(cohort: &Ident) -> Select {
    let subject_id = Expr::Column {
        table: None,
        column: Ident {
            name: SUBJECT_COLUMN.into(),
            quoted: false,
            span: cohort.span,
        },
    };
    Select::plain(
        vec![SelectItem::Expr {
            expr: subject_id,
            alias: None,
        }],
        Source::Named(cohort.clone()),
        cohort.span,
    )
}
