//! Expressions, by precedence climbing: `OR` < `AND` < `NOT` < comparisons and predicates
//! (`IS NULL`, `IN`, `BETWEEN`, `LIKE`) < `+ -` < `* / %` < unary `-` < primaries.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt, peek};
use nom::multi::separated_list1;

use super::ast::{BinaryOp, Expr, Ident, Literal, Span, TypeName, UnaryOp};
use super::error::PErr;
use super::lexeme::{
    Input, PResult, count_operator, expected, ident, keyword, nested, number, param, punct,
    string_lit, ws,
};

/// Any expression.
pub fn expr(i: Input<'_>) -> PResult<'_, Expr> {
    expected("expression", or_expr).parse(i)
}

fn binary(left: Expr, op: BinaryOp, right: Expr) -> Expr {
    let span = left.span().to(right.span());
    Expr::Binary {
        left: Box::new(left),
        op,
        right: Box::new(right),
        span,
    }
}

/// A left-associative chain `operand (op operand)*`, each operator counted against the
/// statement's limit.
fn chain<'a>(
    i: Input<'a>,
    operand: fn(Input<'a>) -> PResult<'a, Expr>,
    mut op: impl Parser<Input<'a>, Output = BinaryOp, Error = PErr>,
) -> PResult<'a, Expr> {
    let (mut i, mut left) = operand(i)?;
    while let Ok((rest, op)) = op.parse(i) {
        count_operator(&rest)?;
        let (rest, right) = expected("expression", operand).parse(rest)?;
        left = binary(left, op, right);
        i = rest;
    }
    Ok((i, left))
}

fn or_expr(i: Input<'_>) -> PResult<'_, Expr> {
    chain(i, and_expr, keyword("OR").map(|_| BinaryOp::Or))
}

fn and_expr(i: Input<'_>) -> PResult<'_, Expr> {
    chain(i, not_expr, keyword("AND").map(|_| BinaryOp::And))
}

fn not_expr(i: Input<'_>) -> PResult<'_, Expr> {
    if let Ok((rest, span)) = keyword("NOT").parse(i) {
        return nested(rest, |rest| {
            let (rest, inner) = expected("expression", not_expr).parse(rest)?;
            let span = span.to(inner.span());
            Ok((
                rest,
                Expr::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(inner),
                    span,
                },
            ))
        });
    }
    predicate(i)
}

fn comparison_op(i: Input<'_>) -> PResult<'_, BinaryOp> {
    alt((
        punct("<=").map(|_| BinaryOp::LtEq),
        punct(">=").map(|_| BinaryOp::GtEq),
        punct("<>").map(|_| BinaryOp::NotEq),
        punct("!=").map(|_| BinaryOp::NotEq),
        punct("=").map(|_| BinaryOp::Eq),
        punct("<").map(|_| BinaryOp::Lt),
        punct(">").map(|_| BinaryOp::Gt),
    ))
    .parse(i)
}

/// A comparison or one of the postfix predicates, around additive operands.
fn predicate(i: Input<'_>) -> PResult<'_, Expr> {
    let (i, left) = additive(i)?;
    if let Ok((rest, op)) = comparison_op(i) {
        let (rest, right) = expected("expression", additive).parse(rest)?;
        return Ok((rest, binary(left, op, right)));
    }
    if let Ok((rest, _)) = keyword("IS").parse(i) {
        let (rest, not) = opt(keyword("NOT")).parse(rest)?;
        let (rest, end) = keyword("NULL").parse(rest)?;
        let span = left.span().to(end);
        let expr = Box::new(left);
        return Ok((
            rest,
            Expr::IsNull {
                expr,
                negated: not.is_some(),
                span,
            },
        ));
    }
    let (after_not, not) = opt(keyword("NOT")).parse(i)?;
    let negated = not.is_some();
    // `IN` without `(` ends the expression (`CORRELATE … WITH x IN cohort`).
    if let Ok((rest, _)) = keyword("IN").parse(after_not)
        && peek(punct("(")).parse(rest).is_ok()
    {
        return in_list(rest, left, negated);
    }
    if let Ok((rest, _)) = keyword("BETWEEN").parse(after_not) {
        let (rest, low) = expected("expression", additive).parse(rest)?;
        let (rest, _) = keyword("AND").parse(rest)?;
        let (rest, high) = expected("expression", additive).parse(rest)?;
        let span = left.span().to(high.span());
        return Ok((
            rest,
            Expr::Between {
                expr: Box::new(left),
                low: Box::new(low),
                high: Box::new(high),
                negated,
                span,
            },
        ));
    }
    let like = alt((
        keyword("LIKE").map(|_| false),
        keyword("ILIKE").map(|_| true),
    ));
    if let Ok((rest, case_insensitive)) = opt(like).parse(after_not)
        && let Some(case_insensitive) = case_insensitive
    {
        let (rest, pattern) = expected("pattern", additive).parse(rest)?;
        let span = left.span().to(pattern.span());
        return Ok((
            rest,
            Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated,
                case_insensitive,
                span,
            },
        ));
    }
    if negated {
        // `x NOT` followed by none of IN, BETWEEN, LIKE.
        let _ = alt((
            keyword("IN"),
            keyword("BETWEEN"),
            keyword("LIKE"),
            keyword("ILIKE"),
        ))
        .parse(after_not)?;
    }
    Ok((i, left))
}

/// Whether a query starts here (`SELECT` or `WITH`), for `(SELECT …)` and `IN (SELECT …)`.
fn query_starts(i: Input<'_>) -> bool {
    peek(alt((keyword("SELECT"), keyword("WITH"))))
        .parse(i)
        .is_ok()
}

fn in_list(i: Input<'_>, left: Expr, negated: bool) -> PResult<'_, Expr> {
    let (i, _) = punct("(").parse(i)?;
    if query_starts(i) {
        let (i, query) = nested(i, super::statement::select)?;
        let (i, end) = punct(")").parse(i)?;
        let span = left.span().to(end);
        return Ok((
            i,
            Expr::InSubquery {
                expr: Box::new(left),
                query: Box::new(query),
                negated,
                span,
            },
        ));
    }
    let (i, list) = nested(i, |i| separated_list1(punct(","), expr).parse(i))?;
    let (i, end) = punct(")").parse(i)?;
    let span = left.span().to(end);
    Ok((
        i,
        Expr::InList {
            expr: Box::new(left),
            list,
            negated,
            span,
        },
    ))
}

fn additive(i: Input<'_>) -> PResult<'_, Expr> {
    let op = alt((
        punct("+").map(|_| BinaryOp::Plus),
        punct("-").map(|_| BinaryOp::Minus),
    ));
    chain(i, multiplicative, op)
}

fn multiplicative(i: Input<'_>) -> PResult<'_, Expr> {
    let op = alt((
        punct("*").map(|_| BinaryOp::Multiply),
        punct("/").map(|_| BinaryOp::Divide),
        punct("%").map(|_| BinaryOp::Modulo),
    ));
    chain(i, unary, op)
}

fn unary(i: Input<'_>) -> PResult<'_, Expr> {
    if let Ok((rest, span)) = punct("-").parse(i) {
        return nested(rest, |rest| {
            let (rest, inner) = expected("expression", unary).parse(rest)?;
            let span = span.to(inner.span());
            Ok((
                rest,
                Expr::Unary {
                    op: UnaryOp::Minus,
                    expr: Box::new(inner),
                    span,
                },
            ))
        });
    }
    primary(i)
}

fn primary(i: Input<'_>) -> PResult<'_, Expr> {
    alt((
        number.map(|(n, span)| Expr::Literal(Literal::Number(n), span)),
        string_lit.map(|(s, span)| Expr::Literal(Literal::String(s), span)),
        param.map(|(name, span)| Expr::Param(name, span)),
        keyword("TRUE").map(|span| Expr::Literal(Literal::Boolean(true), span)),
        keyword("FALSE").map(|span| Expr::Literal(Literal::Boolean(false), span)),
        keyword("NULL").map(|span| Expr::Literal(Literal::Null, span)),
        date_literal,
        case_expr,
        cast_expr,
        parenthesized,
        function_or_column,
    ))
    .parse(i)
}

fn date_literal(i: Input<'_>) -> PResult<'_, Expr> {
    let (rest, start) = keyword("DATE").parse(i)?;
    let (rest, (text, end)) = string_lit(rest)?;
    Ok((rest, Expr::Literal(Literal::Date(text), start.to(end))))
}

fn parenthesized(i: Input<'_>) -> PResult<'_, Expr> {
    let (i, open) = punct("(").parse(i)?;
    if query_starts(i) {
        let (i, query) = nested(i, super::statement::select)?;
        let (i, close) = punct(")").parse(i)?;
        return Ok((
            i,
            Expr::Subquery {
                query: Box::new(query),
                span: open.to(close),
            },
        ));
    }
    let (i, inner) = nested(i, expr)?;
    let (i, _) = punct(")").parse(i)?;
    Ok((i, inner))
}

fn case_expr(i: Input<'_>) -> PResult<'_, Expr> {
    let (i, start) = keyword("CASE").parse(i)?;
    nested(i, |i| {
        let (i, operand) = opt(|i| {
            let (i, _) = peek(nom::combinator::not(keyword("WHEN"))).parse(i)?;
            expr(i)
        })
        .parse(i)?;
        let when = |i| {
            let (i, _) = keyword("WHEN").parse(i)?;
            let (i, condition) = expr(i)?;
            let (i, _) = keyword("THEN").parse(i)?;
            let (i, result) = expr(i)?;
            Ok((i, (condition, result)))
        };
        let (i, whens) = nom::multi::many1(when).parse(i)?;
        let (i, otherwise) = opt(|i| {
            let (i, _) = keyword("ELSE").parse(i)?;
            expr(i)
        })
        .parse(i)?;
        let (i, end) = keyword("END").parse(i)?;
        Ok((
            i,
            Expr::Case {
                operand: operand.map(Box::new),
                whens,
                otherwise: otherwise.map(Box::new),
                span: start.to(end),
            },
        ))
    })
}

fn type_name(i: Input<'_>) -> PResult<'_, TypeName> {
    expected(
        "type name (INTEGER, FLOAT, TEXT, BOOLEAN, DATE)",
        alt((
            alt((keyword("INTEGER"), keyword("BIGINT"), keyword("INT"))).map(|_| TypeName::Integer),
            alt((keyword("FLOAT"), keyword("DOUBLE"), keyword("REAL"))).map(|_| TypeName::Float),
            alt((keyword("TEXT"), keyword("VARCHAR"), keyword("STRING"))).map(|_| TypeName::Text),
            alt((keyword("BOOLEAN"), keyword("BOOL"))).map(|_| TypeName::Boolean),
            keyword("DATE").map(|_| TypeName::Date),
        )),
    )
    .parse(i)
}

fn cast_expr(i: Input<'_>) -> PResult<'_, Expr> {
    let (i, start) = keyword("CAST").parse(i)?;
    let (i, _) = punct("(").parse(i)?;
    let (i, inner) = nested(i, expr)?;
    let (i, _) = keyword("AS").parse(i)?;
    let (i, ty) = type_name(i)?;
    let (i, end) = punct(")").parse(i)?;
    Ok((
        i,
        Expr::Cast {
            expr: Box::new(inner),
            ty,
            span: start.to(end),
        },
    ))
}

/// `name(…)`, `table.column`, or `column`.
fn function_or_column(i: Input<'_>) -> PResult<'_, Expr> {
    let (i, first) = ident(i)?;
    if let Ok((rest, _)) = punct("(").parse(i) {
        return function_call(rest, first);
    }
    if let Ok((rest, _)) = punct(".").parse(i) {
        let (rest, column) = expected("column name", ident).parse(rest)?;
        return Ok((
            rest,
            Expr::Column {
                table: Some(first),
                column,
            },
        ));
    }
    Ok((
        i,
        Expr::Column {
            table: None,
            column: first,
        },
    ))
}

fn function_call(i: Input<'_>, name: Ident) -> PResult<'_, Expr> {
    nested(i, |i| {
        let (i, _) = ws(i)?;
        let (i, star) = opt(punct("*")).parse(i)?;
        let (i, distinct, args) = if star.is_some() {
            (i, false, Vec::new())
        } else {
            let (i, distinct) = opt(keyword("DISTINCT")).parse(i)?;
            let (i, args) = if peek(punct(")")).parse(i).is_ok() {
                (i, Vec::new())
            } else {
                separated_list1(punct(","), expr).parse(i)?
            };
            (i, distinct.is_some(), args)
        };
        let (i, end) = punct(")").parse(i)?;
        let span: Span = name.span.to(end);
        let function = Expr::Function {
            name,
            args,
            distinct,
            star: star.is_some(),
            span,
        };
        match keyword("OVER").parse(i) {
            Ok((rest, _)) => cut(|i| over(i, function.clone())).parse(rest),
            Err(_) => Ok((i, function)),
        }
    })
}

/// `(… ) OVER ([PARTITION BY e, …] [ORDER BY item, …])`, after `OVER`.
fn over(i: Input<'_>, function: Expr) -> PResult<'_, Expr> {
    let (i, _) = punct("(").parse(i)?;
    let (i, partition_by) = opt(|i| {
        let (i, _) = keyword("PARTITION").parse(i)?;
        let (i, _) = cut(keyword("BY")).parse(i)?;
        cut(separated_list1(punct(","), expr)).parse(i)
    })
    .parse(i)?;
    let (i, order_by) = opt(|i| {
        let (i, _) = keyword("ORDER").parse(i)?;
        let (i, _) = cut(keyword("BY")).parse(i)?;
        cut(separated_list1(punct(","), super::statement::order_item)).parse(i)
    })
    .parse(i)?;
    let (i, end) = punct(")").parse(i)?;
    let span = function.span().to(end);
    Ok((
        i,
        Expr::Window {
            function: Box::new(function),
            partition_by: partition_by.unwrap_or_default(),
            order_by: order_by.unwrap_or_default(),
            span,
        },
    ))
}
