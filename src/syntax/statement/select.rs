//! `[WITH …] SELECT …` and what a FROM ranges over: sources, aliases, select items, ORDER BY.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt, peek};
use nom::multi::separated_list1;

use super::analysis::analysis;
use super::clause;
use crate::syntax::ast::{
    AsOf, Cte, Ident, OrderItem, Select, SelectItem, Source, Span, StringLit,
};
use crate::syntax::error::{Failure, PErr};
use crate::syntax::expr::expr;
use crate::syntax::lexeme::{
    Input, PResult, expected, glob, ident, keyword, nested, number, punct, string_lit, ws,
};

/// `FROM name`, `FROM (analysis)`, `FROM (SELECT …) [AS] alias`, `FROM 'file' [[AS] alias]`.
pub(super) fn source(i: Input<'_>) -> PResult<'_, Source> {
    let nested_analysis = |i| {
        let (i, _) = punct("(").parse(i)?;
        let (i, statement) = cut(|i| nested(i, analysis)).parse(i)?;
        let (i, _) = cut(punct(")")).parse(i)?;
        Ok((i, Source::Analysis(Box::new(statement))))
    };
    let nested_query = |i| {
        let (i, open) = punct("(").parse(i)?;
        let (i, _) = peek(alt((keyword("SELECT"), keyword("WITH")))).parse(i)?;
        let (i, query) = cut(|i| nested(i, select)).parse(i)?;
        let (i, close) = cut(punct(")")).parse(i)?;
        let (i, alias) = alias(i)?;
        let span = open.to(alias.as_ref().map_or(close, |a| a.span));
        Ok((
            i,
            Source::Query {
                query: Box::new(query),
                alias,
                span,
            },
        ))
    };
    let file = |i| {
        let (i, (value, span)) = string_lit(i)?;
        let (i, alias) = alias(i)?;
        Ok((
            i,
            Source::File {
                path: StringLit { value, span },
                alias,
            },
        ))
    };
    expected(
        "`subjects`, a cohort, a table, a file name in quotes, `(SELECT …)` or `(SURVIVAL|COX|CORRELATE …)`",
        alt((ident.map(Source::Named), file, nested_query, nested_analysis)),
    )
    .parse(i)
}

/// A source's optional alias: `AS name` or `name` (not the `AS OF` clause).
pub(super) fn alias(i: Input<'_>) -> PResult<'_, Option<Ident>> {
    if peek(|i| {
        let (i, _) = keyword("AS").parse(i)?;
        keyword("OF").parse(i)
    })
    .parse(i)
    .is_ok()
    {
        return Ok((i, None));
    }
    let (i, as_) = opt(keyword("AS")).parse(i)?;
    if as_.is_some() {
        let (i, name) = cut(expected("alias", ident)).parse(i)?;
        return Ok((i, Some(name)));
    }
    opt(ident).parse(i)
}

/// `name AS (SELECT …)`, in a `WITH`.
fn cte(i: Input<'_>) -> PResult<'_, Cte> {
    let (i, name) = expected("the name of a WITH query", ident).parse(i)?;
    let (i, _) = keyword("AS").parse(i)?;
    let (i, _) = punct("(").parse(i)?;
    let (i, query) = nested(i, select)?;
    let (i, _) = punct(")").parse(i)?;
    Ok((
        i,
        Cte {
            name,
            query: Box::new(query),
        },
    ))
}

/// `[WITH name AS (SELECT …), …] SELECT [DISTINCT] items FROM name [WHERE e] [GROUP BY e, …]
/// [HAVING e] [ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT e [OFFSET e]]`
pub(in crate::syntax) fn select(i: Input<'_>) -> PResult<'_, Select> {
    if let Ok((rest, start)) = keyword("WITH").parse(i) {
        return cut(move |i| {
            let (i, with) = separated_list1(punct(","), cte).parse(i)?;
            let (i, _) = keyword("SELECT").parse(i)?;
            let (i, mut query) = select_body(i, start.start)?;
            query.with = with;
            Ok((i, query))
        })
        .parse(rest);
    }
    let (i, start) = keyword("SELECT").parse(i)?;
    // After SELECT, and after each clause keyword, the statement is committed: a failure
    // inside is reported where it happened, not as "expected end of input" further up.
    cut(|i| select_body(i, start.start)).parse(i)
}

fn select_body(i: Input<'_>, start: usize) -> PResult<'_, Select> {
    let (i, distinct) = opt(keyword("DISTINCT")).parse(i)?;
    let (i, items) = separated_list1(punct(","), select_item).parse(i)?;
    let (i, from) = clause(i, &["FROM"], source)?;
    // Without FROM, a word where a clause would start is a misspelt FROM (`SELECT a FRM t`).
    if from.is_none() && ident(i).is_ok() {
        let (at, _) = ws(i)?;
        return Err(nom::Err::Failure(PErr::at(
            &at,
            Failure::Expected(vec!["FROM", "`;`"]),
        )));
    }
    let (i, selection) = clause(i, &["WHERE"], expr)?;
    let (i, group_by) = clause(i, &["GROUP", "BY"], |i| {
        separated_list1(punct(","), expr).parse(i)
    })?;
    let (i, having) = clause(i, &["HAVING"], expr)?;
    let (i, order_by) = clause(i, &["ORDER", "BY"], |i| {
        separated_list1(punct(","), order_item).parse(i)
    })?;
    let (i, limit) = clause(i, &["LIMIT"], expr)?;
    let (i, offset) = clause(i, &["OFFSET"], expr)?;
    let (i, as_of) = clause(i, &["AS", "OF"], as_of)?;
    let end = crate::syntax::lexeme::offset(&i);
    Ok((
        i,
        Select {
            with: Vec::new(),
            distinct: distinct.is_some(),
            items,
            from,
            selection,
            group_by: group_by.unwrap_or_default(),
            having,
            order_by: order_by.unwrap_or_default(),
            limit,
            offset,
            as_of,
            span: Span::new(start, end),
        },
    ))
}

/// `VERSION n` or `'timestamp'`, after `AS OF`.
fn as_of(i: Input<'_>) -> PResult<'_, AsOf> {
    let version = |i| {
        let (i, _) = keyword("VERSION").parse(i)?;
        let (i, (version, span)) = cut(number).parse(i)?;
        Ok((i, AsOf::Version { version, span }))
    };
    let time = string_lit.map(|(value, span)| AsOf::Time(StringLit { value, span }));
    expected("VERSION n or a timestamp", alt((version, time))).parse(i)
}

pub(super) fn select_item(i: Input<'_>) -> PResult<'_, SelectItem> {
    expected("select item", alt((pattern_item, expr_item))).parse(i)
}

fn expr_item(i: Input<'_>) -> PResult<'_, SelectItem> {
    let (i, e) = expr(i)?;
    let (i, alias) = opt(|i| {
        let (i, _) = keyword("AS").parse(i)?;
        expected("alias", ident).parse(i)
    })
    .parse(i)?;
    Ok((i, SelectItem::Expr { expr: e, alias }))
}

/// `*`, `t.*`, `t.glob*`, `glob*`, each with an optional `EXCEPT (a, b)`.
fn pattern_item(i: Input<'_>) -> PResult<'_, SelectItem> {
    let qualified = |i| {
        let (i, table) = ident(i)?;
        let (i, _) = punct(".").parse(i)?;
        let (i, (pattern, span)) = glob(i)?;
        let span = table.span.to(span);
        Ok((i, (Some(table), pattern, span)))
    };
    let bare = glob.map(|(pattern, span)| (None, pattern, span));
    let start = i;
    let (i, (table, pattern, span)) = alt((qualified, bare)).parse(i)?;
    // `a*b` is multiplication unless it can only be a pattern: a bare pattern ends in `*`,
    // no `*` is followed by a digit, and the item ends here.
    let ends_item = peek(alt((
        punct(","),
        punct(")"),
        punct(";"),
        keyword("FROM"),
        keyword("EXCEPT"),
        keyword("WITH"),
        keyword("IN"),
        keyword("METHOD"),
        keyword("ADJUST"),
        keyword("TO"),
    )))
    .parse(i)
    .is_ok()
        || crate::syntax::lexeme::ws(i).is_ok_and(|(rest, _)| rest.fragment().is_empty());
    let shaped = (table.is_some() || pattern.ends_with('*'))
        && pattern
            .split('*')
            .skip(1)
            .all(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()));
    if !ends_item || !shaped {
        return Err(nom::Err::Error(crate::syntax::error::PErr::at(
            &start,
            crate::syntax::error::Failure::Expected(vec![]),
        )));
    }
    let (i, except) = opt(|i| {
        let (i, _) = keyword("EXCEPT").parse(i)?;
        let (i, _) = punct("(").parse(i)?;
        let (i, names) = separated_list1(punct(","), ident).parse(i)?;
        let (i, _) = punct(")").parse(i)?;
        Ok((i, names))
    })
    .parse(i)?;
    Ok((
        i,
        SelectItem::Pattern {
            table,
            pattern,
            except: except.unwrap_or_default(),
            span,
        },
    ))
}

pub(in crate::syntax) fn order_item(i: Input<'_>) -> PResult<'_, OrderItem> {
    let (i, e) = expr(i)?;
    let (i, direction) = opt(alt((
        keyword("ASC").map(|_| false),
        keyword("DESC").map(|_| true),
    )))
    .parse(i)?;
    let (i, nulls) = opt(|i| {
        let (i, _) = keyword("NULLS").parse(i)?;
        alt((
            keyword("FIRST").map(|_| true),
            keyword("LAST").map(|_| false),
        ))
        .parse(i)
    })
    .parse(i)?;
    Ok((
        i,
        OrderItem {
            expr: e,
            descending: direction.unwrap_or(false),
            nulls_first: nulls,
        },
    ))
}
