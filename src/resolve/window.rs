//! Window functions: `f(args) OVER ([PARTITION BY …] [ORDER BY …])`, bound where aggregates
//! are allowed (the select list and ORDER BY) and computed after grouping, so their arguments
//! may hold query-level aggregates (`rank() OVER (ORDER BY count(*) DESC)`).

use super::bound::{AggFn, BExpr, Type, Value, WindowFn, WindowOrder};
use super::error::ResolveError;
use super::expr::{Clause, Typed, bind, bind_all};
use super::functions::{self, Function};
use super::scope::Scope;
use crate::storage::closest;
use crate::syntax::{Expr, Ident, Span};

/// `f(args) OVER (…)`.
pub fn bind_window(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<Typed, ResolveError> {
    let Expr::Window {
        function,
        partition_by,
        order_by,
        span,
    } = e
    else {
        return Err(ResolveError::Internal(
            "the window binder was given another expression".into(),
        ));
    };
    let span = *span;
    let Expr::Function {
        name,
        args,
        distinct,
        star,
        ..
    } = function.as_ref()
    else {
        return Err(ResolveError::Internal(
            "OVER after something other than a call".into(),
        ));
    };
    if !matches!(clause, Clause::Select | Clause::OrderBy) || scope.args.is_some() {
        let place = if scope.args.is_some() {
            "an aggregate".to_string()
        } else {
            clause.name().to_string()
        };
        return Err(ResolveError::InvalidArgument {
            message: format!(
                "a window function (`{} OVER …`) belongs in the select list or ORDER BY, not in {place}; it is computed after WHERE, GROUP BY and HAVING",
                name.name.to_ascii_lowercase(),
            ),
            span,
        });
    }
    let func = window_function(name)?;
    check_arguments(func, name, args.len(), *distinct, *star, span)?;
    let (bound, types) = bind_all(scope, args, clause)?;
    check_literals(func, name, &bound, span)?;
    let ty = functions::window_type(func, types.first().copied())
        .map_err(|message| ResolveError::TypeMismatch { message, span })?;
    let partition_by = partition_by
        .iter()
        .map(|p| bind(scope, p, clause).map(|(e, _)| e))
        .collect::<Result<Vec<_>, _>>()?;
    let order_by = order_by
        .iter()
        .map(|o| {
            bind(scope, &o.expr, clause).map(|(expr, _)| WindowOrder {
                expr,
                descending: o.descending,
                nulls_first: o.nulls_first,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        BExpr::Window {
            func,
            args: bound,
            arg_type: types.first().copied().unwrap_or(Type::Null),
            partition_by,
            order_by,
        },
        ty,
    ))
}

/// The window function a name calls, or the unknown-function error with suggestions among
/// the window functions and aggregates.
fn window_function(name: &Ident) -> Result<WindowFn, ResolveError> {
    functions::window(&name.name).ok_or_else(|| {
        let names = functions::WINDOW_NAMES.iter().map(|(n, _)| *n).chain(
            functions::NAMES
                .iter()
                .filter(|(_, f)| matches!(f, Function::Aggregate(_)))
                .map(|(n, _)| *n),
        );
        ResolveError::UnknownFunction {
            name: name.name.clone(),
            candidates: closest(&name.name.to_ascii_lowercase(), names),
            span: name.span,
        }
    })
}

/// The number of arguments, `*` (only `count(*)`), and no DISTINCT over a window.
fn check_arguments(
    func: WindowFn,
    name: &Ident,
    args: usize,
    distinct: bool,
    star: bool,
    span: Span,
) -> Result<(), ResolveError> {
    let (min, max, expected) = functions::window_arity(func);
    let count = if star { 0 } else { args };
    let star_ok = func == WindowFn::Aggregate(AggFn::Count);
    if count < min || count > max || (star && !star_ok) {
        return Err(ResolveError::ArgumentCount {
            function: name.name.to_ascii_lowercase(),
            expected: expected.to_string(),
            found: count,
            span,
        });
    }
    if distinct {
        return Err(ResolveError::InvalidArgument {
            message: "DISTINCT does not apply over a window".into(),
            span,
        });
    }
    Ok(())
}

/// `lag`/`lead`'s offset and default, and `ntile`'s count, are written out: DataFusion takes
/// them as constants.
fn check_literals(
    func: WindowFn,
    name: &Ident,
    args: &[BExpr],
    span: Span,
) -> Result<(), ResolveError> {
    let offset = |e: &BExpr| matches!(e, BExpr::Literal(Value::Integer(n)) if *n >= 0);
    let written = match func {
        WindowFn::Lag | WindowFn::Lead => {
            args.get(1).is_none_or(offset)
                && args.get(2).is_none_or(|d| matches!(d, BExpr::Literal(_)))
        }
        WindowFn::Ntile => {
            matches!(args.first(), Some(BExpr::Literal(Value::Integer(n))) if *n >= 1)
        }
        _ => true,
    };
    if written {
        return Ok(());
    }
    Err(ResolveError::InvalidArgument {
        message: format!(
            "`{}` takes whole numbers written out: `lag(x, 2, 0)`, `ntile(4)`",
            name.name.to_ascii_lowercase()
        ),
        span,
    })
}
