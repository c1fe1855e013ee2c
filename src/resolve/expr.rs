//! Binding expressions: literals, columns, operators with their type rules, functions and
//! aggregates (query-level, or per subject over a table with several rows per subject).

use super::bound::{AggFn, BExpr, BoundQuery, Type, Value};
use super::error::ResolveError;
use super::functions::{self, Function, common_type, scalar_type};
use super::scope::Scope;
use crate::ingest::parse_date;
use crate::storage::closest;
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
    pub(super) fn allows_aggregates(self) -> bool {
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

pub(super) fn mismatch(message: String, span: Span) -> ResolveError {
    ResolveError::TypeMismatch { message, span }
}

/// Binds one expression.
pub fn bind(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    match e {
        Expr::Column { table, column } => {
            let bound = scope.column(table.as_ref(), column)?;
            let ty = bound.column_type();
            Ok((bound, ty))
        }
        Expr::Literal(literal, span) => literal_value(literal, *span),
        Expr::Param(name, _) => Ok((BExpr::Param(name.clone()), Type::Unknown)),
        Expr::Unary { op, expr, span } => unary(scope, *op, expr, *span, clause),
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
            let node = BExpr::IsNull {
                expr: Box::new(inner),
                negated: *negated,
            };
            Ok((node, Type::Boolean))
        }
        Expr::InList { .. } => in_list(scope, e, clause),
        Expr::Between { .. } => between(scope, e, clause),
        Expr::Like { .. } => like(scope, e, clause),
        Expr::Case { .. } => case(scope, e, clause),
        Expr::Cast { expr, ty, span } => cast_to(scope, expr, *ty, *span, clause),
        Expr::Function { .. } => function_call(scope, e, clause),
        Expr::Window { .. } => super::window::bind_window(scope, e, clause),
        Expr::InSubquery { .. } => in_subquery(scope, e, clause),
        Expr::Subquery { query, span } => {
            let ctes = scope.ctes.clone();
            let query = scope.subquery(query, &ctes)?;
            let ty = one_column(&query, "a subquery used as a value", *span)?;
            Ok((BExpr::Subquery(Box::new(query)), ty))
        }
    }
}

/// `NOT x` (a condition) and `-x` (a number).
fn unary(
    scope: &mut Scope<'_>,
    op: UnaryOp,
    expr: &Expr,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    let (inner, ty) = bind(scope, expr, clause)?;
    let ty = match op {
        UnaryOp::Not => {
            expect_boolean(ty, "NOT", span)?;
            Type::Boolean
        }
        UnaryOp::Minus if !ty.is_numeric() => {
            return Err(mismatch(format!("cannot negate {}", ty.name()), span));
        }
        UnaryOp::Minus => ty,
    };
    let node = BExpr::Unary {
        op,
        expr: Box::new(inner),
    };
    Ok((node, ty))
}

/// `x [NOT] IN (a, b, …)`: every item comparable with `x`.
fn in_list(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::InList {
        expr,
        list,
        negated,
        span,
    } = e
    else {
        return Err(not_a("IN list"));
    };
    let (negated, span) = (*negated, *span);
    let (inner, ty) = bind(scope, expr, clause)?;
    let mut bound = Vec::with_capacity(list.len());
    let mut types = vec![ty];
    for item in list {
        let item = coerce_to(bind(scope, item, clause)?, ty, span)?;
        types.push(item.1);
        bound.push(item.0);
    }
    shared_type(&types, span)?;
    let node = BExpr::InList {
        expr: Box::new(inner),
        list: bound,
        negated,
    };
    Ok((node, Type::Boolean))
}

/// `x [NOT] BETWEEN low AND high`, the three of one type.
fn between(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::Between {
        expr,
        low,
        high,
        negated,
        span,
    } = e
    else {
        return Err(not_a("BETWEEN"));
    };
    let (negated, span) = (*negated, *span);
    let (inner, ty) = bind(scope, expr, clause)?;
    let low = coerce_to(bind(scope, low, clause)?, ty, span)?;
    let high = coerce_to(bind(scope, high, clause)?, ty, span)?;
    shared_type(&[ty, low.1, high.1], span)?;
    let node = BExpr::Between {
        expr: Box::new(inner),
        low: Box::new(low.0),
        high: Box::new(high.0),
        negated,
    };
    Ok((node, Type::Boolean))
}

/// `x [NOT] LIKE | ILIKE pattern`, both text.
fn like(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::Like {
        expr,
        pattern,
        negated,
        case_insensitive,
        span,
    } = e
    else {
        return Err(not_a("LIKE"));
    };
    let (negated, case_insensitive, span) = (*negated, *case_insensitive, *span);
    let (inner, ty) = bind(scope, expr, clause)?;
    let (pattern, pty) = bind(scope, pattern, clause)?;
    for t in [ty, pty] {
        if !matches!(t, Type::Text | Type::Null | Type::Unknown) {
            return Err(mismatch(format!("LIKE needs text, not {}", t.name()), span));
        }
    }
    let node = BExpr::Like {
        expr: Box::new(inner),
        pattern: Box::new(pattern),
        negated,
        case_insensitive,
    };
    Ok((node, Type::Boolean))
}

/// `CAST(x AS type)`, refused between types that never convert.
fn cast_to(
    scope: &mut Scope<'_>,
    expr: &Expr,
    to: crate::syntax::TypeName,
    span: Span,
    clause: Clause,
) -> Result<Typed, ResolveError> {
    let (inner, from) = bind(scope, expr, clause)?;
    let ty = match to {
        crate::syntax::TypeName::Integer => Type::Integer,
        crate::syntax::TypeName::Float => Type::Float,
        crate::syntax::TypeName::Text => Type::Text,
        crate::syntax::TypeName::Boolean => Type::Boolean,
        crate::syntax::TypeName::Date => Type::Date,
    };
    if !castable(from, ty) {
        return Err(mismatch(
            format!("cannot cast {} to {}", from.name(), ty.name()),
            span,
        ));
    }
    let node = BExpr::Cast {
        expr: Box::new(inner),
        ty,
    };
    Ok((node, ty))
}

/// `x [NOT] IN (SELECT …)`: the subquery bound in a scope of its own, one column comparable
/// with `x`.
fn in_subquery(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::InSubquery {
        expr,
        query,
        negated,
        span,
    } = e
    else {
        return Err(not_a("IN (SELECT …)"));
    };
    let (negated, span) = (*negated, *span);
    let (inner, ty) = bind(scope, expr, clause)?;
    let ctes = scope.ctes.clone();
    let query = scope.subquery(query, &ctes)?;
    let item_ty = one_column(&query, "a subquery in IN (SELECT …)", span)?;
    coerce_to((BExpr::Literal(Value::Null), item_ty), ty, span)?;
    let node = BExpr::InSubquery {
        expr: Box::new(inner),
        query: Box::new(query),
        negated,
    };
    Ok((node, Type::Boolean))
}

/// Binds each argument: the bound expressions and their types, in order.
pub(super) fn bind_all(
    scope: &mut Scope<'_>,
    args: &[Expr],
    clause: Clause,
) -> Result<(Vec<BExpr>, Vec<Type>), ResolveError> {
    let mut bound = Vec::with_capacity(args.len());
    let mut types = Vec::with_capacity(args.len());
    for a in args {
        let (e, t) = bind(scope, a, clause)?;
        bound.push(e);
        types.push(t);
    }
    Ok((bound, types))
}

/// The internal error of a binder handed another form than its own (the dispatch in [`bind`]
/// never does).
fn not_a(form: &str) -> ResolveError {
    ResolveError::Internal(format!("the {form} binder was given another expression"))
}

/// `name(args)`: a scalar function, an aggregate or `has`.
fn function_call(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::Function {
        name,
        args,
        distinct,
        star,
        span,
    } = e
    else {
        return Err(not_a("function"));
    };
    function(scope, name, args, *distinct, *star, *span, clause)
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

fn case(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::Case {
        operand,
        whens,
        otherwise,
        span,
    } = e
    else {
        return Err(not_a("CASE"));
    };
    let (operand, otherwise, span) = (operand.as_deref(), otherwise.as_deref(), *span);
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
        Function::Has => super::aggregate::has(scope, &args[0], span, clause),
        Function::Scalar(f) => {
            let (bound, types) = bind_all(scope, args, clause)?;
            let ty = scalar_type(f, &types).map_err(|m| mismatch(m, span))?;
            Ok((
                BExpr::Scalar {
                    func: f,
                    args: bound,
                },
                ty,
            ))
        }
        Function::Aggregate(f) => {
            super::aggregate::aggregate(scope, f, args, distinct, span, clause)
        }
    }
}
