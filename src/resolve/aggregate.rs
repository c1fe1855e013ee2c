//! Aggregates (query-level, or per subject over a table with several rows per subject) and the
//! presence tests `has(table)`, `has(ct)`, `count(table)`.

use super::bound::{AggFn, BExpr, Type, Value};
use super::error::ResolveError;
use super::expr::{Clause, Typed, bind, bind_all, mismatch};
use super::functions::aggregate_type;
use super::scope::{ArgUse, Scope, subject_id};
use crate::storage::Level;
use crate::syntax::{Expr, Ident, Span};

/// Presence flags that are not table names: `has(ct)` is a series of that DICOM modality in
/// the `series` table; `has(segmentation)` is a row in `segmentations`.
pub const MODALITY_FLAGS: &[(&str, &str)] = &[
    ("ct", "CT"),
    ("pet", "PT"),
    ("pt", "PT"),
    ("mr", "MR"),
    ("mri", "MR"),
    ("nm", "NM"),
    ("us", "US"),
    ("cr", "CR"),
    ("dx", "DX"),
    ("mg", "MG"),
    ("seg", "SEG"),
    ("rtstruct", "RTSTRUCT"),
    ("sr", "SR"),
];

/// `has(table)`: whether the subject has data in `table`; `has(ct)`, `has(pet)`, …: whether
/// it has a series of that modality; `has(segmentation)`: a segment.
pub(super) fn has(
    scope: &mut Scope<'_>,
    arg: &Expr,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    let Expr::Column {
        table: None,
        column,
    } = arg
    else {
        return Err(ResolveError::InvalidArgument {
            message: "`has` takes a table name, e.g. `has(rnaseq)`, or a modality: `has(ct)`"
                .into(),
            span,
        });
    };
    let folded = column.name.to_ascii_lowercase();
    let table = match scope.table(&column.name).cloned() {
        Some(t) => t,
        None if folded == "segmentation" => scope
            .table(crate::ingest::dicom::SEGMENTS_TABLE)
            .cloned()
            .ok_or_else(|| ResolveError::InvalidArgument {
                message: "`has(segmentation)` needs the segmentations table: import DICOM SEG files with IMPORT DICOM".into(),
                span,
            })?,
        None => match MODALITY_FLAGS.iter().find(|(word, _)| *word == folded) {
            Some((_, modality)) => return has_modality(scope, modality, span, clause),
            None => return Err(scope.unknown_source(column)),
        },
    };
    if scope.base.alias() == table.name {
        return Ok((BExpr::Literal(Value::Boolean(true)), Type::Boolean));
    }
    if let Some(args) = &mut scope.args {
        args.other = true;
    }
    let relation = match table.level {
        Level::Subject => {
            scope.relation(&table, span)?;
            table.name.clone()
        }
        Level::Multi => {
            scope.per_subject(&table, span)?;
            super::bound::per_subject_alias(&table.name)
        }
    };
    Ok((BExpr::Exists { relation }, Type::Boolean))
}

/// `has(ct)`: `coalesce(bool_or(series.modality = 'CT'), false)`, bound as written.
fn has_modality(
    scope: &mut Scope<'_>,
    modality: &str,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    let series = crate::ingest::dicom::SERIES_TABLE;
    if scope.table(series).is_none() {
        return Err(ResolveError::InvalidArgument {
            message: format!(
                "`has({})` reads the modality of the `series` table: import DICOM files (IMPORT DICOM) first",
                modality.to_ascii_lowercase()
            ),
            span,
        });
    }
    let ident = |name: &str| Ident {
        name: name.into(),
        quoted: false,
        span,
    };
    let call = |name: &str, args: Vec<Expr>| Expr::Function {
        name: ident(name),
        args,
        distinct: false,
        star: false,
        span,
    };
    let is_modality = Expr::Binary {
        left: Box::new(Expr::Column {
            table: Some(ident(series)),
            column: ident("modality"),
        }),
        op: crate::syntax::BinaryOp::Eq,
        right: Box::new(Expr::Literal(
            crate::syntax::Literal::String(modality.into()),
            span,
        )),
        span,
    };
    let flag = call(
        "coalesce",
        vec![
            call("bool_or", vec![is_modality]),
            Expr::Literal(crate::syntax::Literal::Boolean(false), span),
        ],
    );
    bind(scope, &flag, clause)
}

/// An aggregate: per subject when its arguments read one table with several rows per
/// subject, otherwise an aggregate of the whole query.
pub(super) fn aggregate(
    scope: &mut Scope<'_>,
    func: AggFn,
    args: &[Expr],
    distinct: bool,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    if func == AggFn::Count
        && let [
            Expr::Column {
                table: None,
                column,
            },
        ] = args
        && let Some(table) = scope.table(&column.name).cloned()
        && scope.base.alias() != table.name
        && !scope.names_a_column(column)?
    {
        if distinct {
            return Err(ResolveError::InvalidArgument {
                message: format!(
                    "`count({})` counts a subject's rows; DISTINCT does not apply to a table",
                    table.name
                ),
                span,
            });
        }
        return count_table(scope, &table, span, clause);
    }
    let outer = scope.args.replace(ArgUse::default());
    let bound = bind_aggregate_args(scope, func, args, span, clause);
    let used = std::mem::replace(&mut scope.args, outer).unwrap_or_default();
    let (bound, arg_types) = bound?;
    let ty = aggregate_type(func, arg_types.first().copied()).map_err(|m| mismatch(m, span))?;
    let node = BExpr::Aggregate {
        func,
        args: bound,
        distinct,
        arg_type: arg_types.first().copied().unwrap_or(Type::Null),
    };
    let multi: Vec<String> = used.multi.into_iter().collect();
    match multi.as_slice() {
        [table] if !used.other && !used.aggregate => {
            let table = scope
                .table(table)
                .cloned()
                .ok_or_else(|| ResolveError::Internal(format!("table {table} vanished")))?;
            if let Some(outer) = &mut scope.args {
                outer.other = true;
            }
            let column = scope.per_subject_aggregate(&table, node, ty, span)?;
            Ok((zero_if_count(func, column), ty))
        }
        [] => query_aggregate(scope, node, ty, span, clause),
        [table, ..] => Err(ResolveError::MixedAggregate {
            table: table.clone(),
            span,
        }),
    }
}

fn bind_aggregate_args(
    scope: &mut Scope<'_>,
    func: AggFn,
    args: &[Expr],
    span: Span,
    clause: Clause,
) -> Result<(Vec<BExpr>, Vec<Type>), ResolveError> {
    let (bound, types) = bind_all(scope, args, clause)?;
    // The second argument of these is a constant, written out.
    let second = bound.get(1);
    if func == AggFn::StringAgg
        && !second.is_none_or(|e| matches!(e, BExpr::Literal(Value::Text(_))))
    {
        return Err(ResolveError::InvalidArgument {
            message: "`string_agg(x, separator)` takes the separator as text in quotes, e.g. ', '"
                .into(),
            span,
        });
    }
    let fraction = |e: &BExpr| {
        matches!(e, BExpr::Literal(Value::Float(p)) if (0.0..=1.0).contains(p))
            || matches!(e, BExpr::Literal(Value::Integer(0 | 1)))
    };
    if func == AggFn::Percentile && !second.is_none_or(fraction) {
        return Err(ResolveError::InvalidArgument {
            message: "`percentile(x, p)` takes a fraction p between 0 and 1, e.g. 0.9".into(),
            span,
        });
    }
    Ok((bound, types))
}

/// A query-level aggregate: allowed in SELECT, HAVING and ORDER BY, never nested.
fn query_aggregate(
    scope: &mut Scope<'_>,
    node: BExpr,
    ty: Type,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    if let Some(outer) = &mut scope.args {
        outer.aggregate = true;
        return Err(ResolveError::NestedAggregate { span });
    }
    if !clause.allows_aggregates() {
        return Err(ResolveError::AggregateNotAllowed {
            clause: clause.name().into(),
            span,
        });
    }
    scope.aggregates = true;
    Ok((node, ty))
}

/// `count(t)`: rows of `t` per subject for a several-rows table, else subjects having `t`.
fn count_table(
    scope: &mut Scope<'_>,
    table: &crate::storage::TableMeta,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    let node = BExpr::Aggregate {
        func: AggFn::Count,
        args: Vec::new(),
        distinct: false,
        arg_type: Type::Null,
    };
    if table.level == Level::Multi {
        if let Some(outer) = &mut scope.args {
            outer.other = true;
        }
        let column = scope.per_subject_aggregate(table, node, Type::Integer, span)?;
        return Ok((zero_if_count(AggFn::Count, column), Type::Integer));
    }
    scope.relation(table, span)?;
    let node = BExpr::Aggregate {
        func: AggFn::Count,
        args: vec![subject_id(&table.name)],
        distinct: false,
        arg_type: Type::Text,
    };
    query_aggregate(scope, node, Type::Integer, span, clause)
}

/// A per-subject count is 0, not NULL, for subjects without rows.
fn zero_if_count(func: AggFn, column: BExpr) -> BExpr {
    if func == AggFn::Count {
        BExpr::Scalar {
            func: super::bound::ScalarFn::Coalesce,
            args: vec![column, BExpr::Literal(Value::Integer(0))],
        }
    } else {
        column
    }
}
