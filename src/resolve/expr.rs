//! Binding expressions: literals, columns, operators with their type rules, functions and
//! aggregates (query-level, or per subject over a table with several rows per subject).

use super::bound::{AggFn, BExpr, BoundQuery, Type, Value};
use super::error::ResolveError;
use super::functions::{self, Function, aggregate_type, common_type, scalar_type};
use super::scope::{ArgUse, Scope, subject_id};
use crate::ingest::parse_date;
use crate::storage::{Level, closest};
use crate::syntax::{BinaryOp, Expr, Ident, Literal, Span, UnaryOp};

/// Where an expression appears: decides whether query-level aggregates are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clause {
    Select,
    Where,
    GroupBy,
    Having,
    OrderBy,
}

impl Clause {
    fn allows_aggregates(self) -> bool {
        matches!(self, Clause::Select | Clause::Having | Clause::OrderBy)
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Clause::Select => "SELECT",
            Clause::Where => "WHERE",
            Clause::GroupBy => "GROUP BY",
            Clause::Having => "HAVING",
            Clause::OrderBy => "ORDER BY",
        }
    }
}

/// A bound expression and its type.
pub type Typed = (BExpr, Type);

fn mismatch(message: String, span: Span) -> ResolveError {
    ResolveError::TypeMismatch { message, span }
}

/// Binds one expression.
pub fn bind(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    match e {
        Expr::Column { table, column } => {
            let bound = scope.column(table.as_ref(), column)?;
            let ty = match &bound {
                BExpr::Column { ty, .. } => *ty,
                _ => Type::Unknown,
            };
            Ok((bound, ty))
        }
        Expr::Literal(literal, span) => literal_value(literal, *span),
        Expr::Param(name, _) => Ok((BExpr::Param(name.clone()), Type::Unknown)),
        Expr::Unary { op, expr, span } => {
            let (inner, ty) = bind(scope, expr, clause)?;
            match op {
                UnaryOp::Not => expect_boolean(ty, "NOT", *span)?,
                UnaryOp::Minus if !ty.is_numeric() => {
                    return Err(mismatch(format!("cannot negate {}", ty.name()), *span));
                }
                UnaryOp::Minus => {}
            }
            let ty = if *op == UnaryOp::Not {
                Type::Boolean
            } else {
                ty
            };
            Ok((
                BExpr::Unary {
                    op: *op,
                    expr: Box::new(inner),
                },
                ty,
            ))
        }
        Expr::Binary {
            left,
            op,
            right,
            span,
        } => {
            let left = bind(scope, left, clause)?;
            let right = bind(scope, right, clause)?;
            binary(left, *op, right, *span)
        }
        Expr::IsNull { expr, negated, .. } => {
            let (inner, _) = bind(scope, expr, clause)?;
            Ok((
                BExpr::IsNull {
                    expr: Box::new(inner),
                    negated: *negated,
                },
                Type::Boolean,
            ))
        }
        Expr::InList {
            expr,
            list,
            negated,
            span,
        } => {
            let (inner, ty) = bind(scope, expr, clause)?;
            let mut bound = Vec::with_capacity(list.len());
            let mut types = vec![ty];
            for item in list {
                let item = coerce_to(bind(scope, item, clause)?, ty, *span)?;
                types.push(item.1);
                bound.push(item.0);
            }
            shared_type(&types, *span)?;
            Ok((
                BExpr::InList {
                    expr: Box::new(inner),
                    list: bound,
                    negated: *negated,
                },
                Type::Boolean,
            ))
        }
        Expr::Between {
            expr,
            low,
            high,
            negated,
            span,
        } => {
            let (inner, ty) = bind(scope, expr, clause)?;
            let low = coerce_to(bind(scope, low, clause)?, ty, *span)?;
            let high = coerce_to(bind(scope, high, clause)?, ty, *span)?;
            shared_type(&[ty, low.1, high.1], *span)?;
            let (low, high) = (low.0, high.0);
            Ok((
                BExpr::Between {
                    expr: Box::new(inner),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: *negated,
                },
                Type::Boolean,
            ))
        }
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
            span,
        } => {
            let (inner, ty) = bind(scope, expr, clause)?;
            let (pattern, pty) = bind(scope, pattern, clause)?;
            for t in [ty, pty] {
                if !matches!(t, Type::Text | Type::Null | Type::Unknown) {
                    return Err(mismatch(
                        format!("LIKE needs text, not {}", t.name()),
                        *span,
                    ));
                }
            }
            Ok((
                BExpr::Like {
                    expr: Box::new(inner),
                    pattern: Box::new(pattern),
                    negated: *negated,
                    case_insensitive: *case_insensitive,
                },
                Type::Boolean,
            ))
        }
        Expr::Case {
            operand,
            whens,
            otherwise,
            span,
        } => case(
            scope,
            operand.as_deref(),
            whens,
            otherwise.as_deref(),
            *span,
            clause,
        ),
        Expr::Cast { expr, ty, span } => {
            let (inner, from) = bind(scope, expr, clause)?;
            let ty = match ty {
                crate::syntax::TypeName::Integer => Type::Integer,
                crate::syntax::TypeName::Float => Type::Float,
                crate::syntax::TypeName::Text => Type::Text,
                crate::syntax::TypeName::Boolean => Type::Boolean,
                crate::syntax::TypeName::Date => Type::Date,
            };
            if !castable(from, ty) {
                return Err(mismatch(
                    format!("cannot cast {} to {}", from.name(), ty.name()),
                    *span,
                ));
            }
            Ok((
                BExpr::Cast {
                    expr: Box::new(inner),
                    ty,
                },
                ty,
            ))
        }
        Expr::Function {
            name,
            args,
            distinct,
            star,
            span,
        } => function(scope, name, args, *distinct, *star, *span, clause),
        Expr::Window {
            function,
            partition_by,
            order_by,
            span,
        } => super::window::bind_window(
            scope,
            function,
            super::window::Over {
                partition_by,
                order_by,
            },
            *span,
            clause,
        ),
        Expr::InSubquery {
            expr,
            query,
            negated,
            span,
        } => {
            let (inner, ty) = bind(scope, expr, clause)?;
            let ctes = scope.ctes.clone();
            let query = scope.subquery(query, &ctes)?;
            let item_ty = one_column(&query, "a subquery in IN (SELECT …)", *span)?;
            coerce_to((BExpr::Literal(Value::Null), item_ty), ty, *span)?;
            Ok((
                BExpr::InSubquery {
                    expr: Box::new(inner),
                    query: Box::new(query),
                    negated: *negated,
                },
                Type::Boolean,
            ))
        }
        Expr::Subquery { query, span } => {
            let ctes = scope.ctes.clone();
            let query = scope.subquery(query, &ctes)?;
            let ty = one_column(&query, "a subquery used as a value", *span)?;
            Ok((BExpr::Subquery(Box::new(query)), ty))
        }
    }
}

/// The type of a subquery's one column, or the error that it has several.
fn one_column(query: &BoundQuery, what: &'static str, span: Span) -> Result<Type, ResolveError> {
    match query.items.as_slice() {
        [item] => Ok(item.ty),
        items => Err(ResolveError::SubqueryColumns {
            what,
            columns: items.len(),
            span,
        }),
    }
}

fn literal_value(literal: &Literal, span: Span) -> Result<Typed, ResolveError> {
    Ok(match literal {
        Literal::Number(text) => match text.parse::<i64>() {
            Ok(i) => (BExpr::Literal(Value::Integer(i)), Type::Integer),
            Err(_) => {
                let f = text
                    .parse::<f64>()
                    .map_err(|_| mismatch(format!("`{text}` is not a number"), span))?;
                (BExpr::Literal(Value::Float(f)), Type::Float)
            }
        },
        Literal::String(s) => (BExpr::Literal(Value::Text(s.clone())), Type::Text),
        Literal::Boolean(b) => (BExpr::Literal(Value::Boolean(*b)), Type::Boolean),
        Literal::Null => (BExpr::Literal(Value::Null), Type::Null),
        Literal::Date(text) => {
            let days = iso_date(text).ok_or_else(|| ResolveError::InvalidDate {
                text: text.clone(),
                span,
            })?;
            (BExpr::Literal(Value::Date(days)), Type::Date)
        }
    })
}

fn iso_date(text: &str) -> Option<i32> {
    if text.contains('/') {
        return None;
    }
    parse_date(text.trim())
}

fn expect_boolean(ty: Type, what: &str, span: Span) -> Result<(), ResolveError> {
    match ty {
        Type::Boolean | Type::Null | Type::Unknown => Ok(()),
        other => Err(mismatch(
            format!("{what} needs a condition (boolean), not {}", other.name()),
            span,
        )),
    }
}

/// Makes `value` comparable with type `target`: a text literal compared with a date becomes a
/// date; anything else must already be comparable.
fn coerce_to(value: Typed, target: Type, span: Span) -> Result<Typed, ResolveError> {
    match (&value, target) {
        ((BExpr::Literal(Value::Text(text)), Type::Text), Type::Date) => {
            let days = iso_date(text).ok_or_else(|| ResolveError::InvalidDate {
                text: text.clone(),
                span,
            })?;
            Ok((BExpr::Literal(Value::Date(days)), Type::Date))
        }
        ((_, ty), target) if comparable(*ty, target) => Ok(value),
        ((_, ty), target) => {
            let hint = if target == Type::TextList || *ty == Type::TextList {
                "; a text list holds several answers: test one with contains(list, 'answer') or any(list, 'a', 'b')"
            } else {
                ""
            };
            Err(mismatch(
                format!("cannot compare {} with {}{hint}", target.name(), ty.name()),
                span,
            ))
        }
    }
}

/// Whether values of type `from` can be cast to `to` (text converts either way and may fail
/// per value; booleans and dates do not become each other or floats).
fn castable(from: Type, to: Type) -> bool {
    use Type::*;
    !matches!(
        (from, to),
        (Boolean, Date | Float) | (Date, Boolean | Float) | (Float, Date | Boolean)
    )
}

/// All of these must share one type (IN lists, BETWEEN bounds).
fn shared_type(types: &[Type], span: Span) -> Result<Type, ResolveError> {
    common_type(types).ok_or_else(|| {
        let names: Vec<_> = types.iter().map(|t| t.name()).collect();
        mismatch(
            format!("values of different types: {}", names.join(", ")),
            span,
        )
    })
}

fn comparable(a: Type, b: Type) -> bool {
    common_type(&[a, b]).is_some()
}

fn binary(left: Typed, op: BinaryOp, right: Typed, span: Span) -> Result<Typed, ResolveError> {
    let (lt, rt) = (left.1, right.1);
    let node = |l: BExpr, r: BExpr| BExpr::Binary {
        left: Box::new(l),
        op,
        right: Box::new(r),
    };
    match op {
        BinaryOp::And | BinaryOp::Or => {
            expect_boolean(lt, op.symbol(), span)?;
            expect_boolean(rt, op.symbol(), span)?;
            Ok((node(left.0, right.0), Type::Boolean))
        }
        BinaryOp::Eq
        | BinaryOp::NotEq
        | BinaryOp::Lt
        | BinaryOp::LtEq
        | BinaryOp::Gt
        | BinaryOp::GtEq => {
            let (left, right) = if lt == Type::Date {
                (left, coerce_to(right, Type::Date, span)?)
            } else if rt == Type::Date {
                (coerce_to(left, Type::Date, span)?, right)
            } else {
                let right = coerce_to(right, lt, span)?;
                (left, right)
            };
            Ok((node(left.0, right.0), Type::Boolean))
        }
        BinaryOp::Minus if lt == Type::Date && rt == Type::Date => Ok((
            BExpr::DateDiff {
                left: Box::new(left.0),
                right: Box::new(right.0),
            },
            Type::Integer,
        )),
        BinaryOp::Plus | BinaryOp::Minus if lt == Type::Date && rt == Type::Integer => Ok((
            BExpr::DateShift {
                date: Box::new(left.0),
                days: Box::new(right.0),
                subtract: op == BinaryOp::Minus,
            },
            Type::Date,
        )),
        _ => {
            if !lt.is_numeric() || !rt.is_numeric() {
                return Err(mismatch(
                    format!(
                        "`{}` needs numbers, not {} and {}",
                        op.symbol(),
                        lt.name(),
                        rt.name()
                    ),
                    span,
                ));
            }
            let ty = match op {
                BinaryOp::Divide => Type::Float,
                _ if lt == Type::Float || rt == Type::Float => Type::Float,
                _ => common_type(&[lt, rt]).unwrap_or(Type::Unknown),
            };
            Ok((node(left.0, right.0), ty))
        }
    }
}

fn case(
    scope: &mut Scope<'_>,
    operand: Option<&Expr>,
    whens: &[(Expr, Expr)],
    otherwise: Option<&Expr>,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    let operand = operand.map(|o| bind(scope, o, clause)).transpose()?;
    let mut bound = Vec::with_capacity(whens.len());
    let mut types = Vec::new();
    for (when, then) in whens {
        let when = bind(scope, when, clause)?;
        let when = match &operand {
            Some((_, ty)) => coerce_to(when, *ty, span)?,
            None => {
                expect_boolean(when.1, "WHEN", span)?;
                when
            }
        };
        let (then, ty) = bind(scope, then, clause)?;
        types.push(ty);
        bound.push((when.0, then));
    }
    let otherwise = otherwise.map(|o| bind(scope, o, clause)).transpose()?;
    if let Some((_, ty)) = &otherwise {
        types.push(*ty);
    }
    let ty = common_type(&types).ok_or_else(|| {
        let names: Vec<_> = types.iter().map(|t| t.name()).collect();
        mismatch(
            format!("CASE results must share one type, not {}", names.join(", ")),
            span,
        )
    })?;
    Ok((
        BExpr::Case {
            operand: operand.map(|(e, _)| Box::new(e)),
            whens: bound,
            otherwise: otherwise.map(|(e, _)| Box::new(e)),
        },
        ty,
    ))
}

fn function(
    scope: &mut Scope<'_>,
    name: &Ident,
    args: &[Expr],
    distinct: bool,
    star: bool,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    if functions::lookup(&name.name).is_none()
        && functions::WINDOW_NAMES
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&name.name))
    {
        return Err(ResolveError::InvalidArgument {
            message: format!(
                "`{}` is a window function: add OVER (…), e.g. `{}() OVER (ORDER BY os_days)`",
                name.name.to_ascii_lowercase(),
                name.name.to_ascii_lowercase()
            ),
            span,
        });
    }
    let function = functions::lookup(&name.name).ok_or_else(|| {
        let names: Vec<&str> = functions::NAMES.iter().map(|(n, _)| *n).collect();
        ResolveError::UnknownFunction {
            name: name.name.clone(),
            candidates: closest(&name.name.to_ascii_lowercase(), names.into_iter()),
            span: name.span,
        }
    })?;
    let (min, max, expected) = functions::arity(function);
    let count = if star { 0 } else { args.len() };
    if count < min || count > max || (star && function != Function::Aggregate(AggFn::Count)) {
        return Err(ResolveError::ArgumentCount {
            function: name.name.to_ascii_lowercase(),
            expected: expected.to_string(),
            found: count,
            span,
        });
    }
    let distinct_ok = matches!(
        function,
        Function::Aggregate(AggFn::Count | AggFn::Sum | AggFn::Avg)
    );
    if distinct && !distinct_ok {
        return Err(ResolveError::InvalidArgument {
            message: format!(
                "DISTINCT applies to count, sum and avg, not `{}`",
                name.name.to_ascii_lowercase()
            ),
            span,
        });
    }
    match function {
        Function::Has => has(scope, &args[0], span, clause),
        Function::Scalar(f) => {
            let mut bound = Vec::with_capacity(args.len());
            let mut types = Vec::with_capacity(args.len());
            for a in args {
                let (e, t) = bind(scope, a, clause)?;
                bound.push(e);
                types.push(t);
            }
            let ty = scalar_type(f, &types).map_err(|m| mismatch(m, span))?;
            Ok((
                BExpr::Scalar {
                    func: f,
                    args: bound,
                },
                ty,
            ))
        }
        Function::Aggregate(f) => aggregate(scope, f, args, distinct, span, clause),
    }
}

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
fn has(
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
fn aggregate(
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
    let mut bound = Vec::with_capacity(args.len());
    let mut types = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let (e, t) = bind(scope, a, clause)?;
        if func == AggFn::StringAgg && i == 1 && !matches!(&e, BExpr::Literal(Value::Text(_))) {
            return Err(ResolveError::InvalidArgument {
                message:
                    "`string_agg(x, separator)` takes the separator as text in quotes, e.g. ', '"
                        .into(),
                span,
            });
        }
        if func == AggFn::Percentile && i == 1 {
            let valid = matches!(&e, BExpr::Literal(Value::Float(p)) if (0.0..=1.0).contains(p))
                || matches!(&e, BExpr::Literal(Value::Integer(0 | 1)));
            if !valid {
                return Err(ResolveError::InvalidArgument {
                    message: "`percentile(x, p)` takes a fraction p between 0 and 1, e.g. 0.9"
                        .into(),
                    span,
                });
            }
        }
        bound.push(e);
        types.push(t);
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
