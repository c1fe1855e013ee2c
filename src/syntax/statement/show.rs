//! `SHOW …`, `DESCRIBE`, `EXPLAIN`, `CHECK DATABASE`, `VACUUM KEEP n`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt};

use super::statement;
use crate::syntax::ast::{Show, Statement, StringLit};
use crate::syntax::lexeme::{Input, PResult, expected, ident, keyword, nested, number, string_lit};

/// `CHECK DATABASE`
pub(super) fn check(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("CHECK").parse(i)?;
    let (i, end) = cut(keyword("DATABASE")).parse(i)?;
    Ok((
        i,
        Statement::Check {
            span: start.to(end),
        },
    ))
}

/// `VACUUM KEEP n`
pub(super) fn vacuum(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("VACUUM").parse(i)?;
    let (i, _) = cut(keyword("KEEP")).parse(i)?;
    let (i, (keep, keep_span)) = cut(expected("how many versions to keep", number)).parse(i)?;
    Ok((
        i,
        Statement::Vacuum {
            keep,
            keep_span,
            span: start.to(keep_span),
        },
    ))
}

pub(super) fn show(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("SHOW").parse(i)?;
    let columns = |i| {
        let (i, _) = keyword("COLUMNS").parse(i)?;
        let (i, _) = keyword("FROM").parse(i)?;
        let (i, table) = expected("table name", ident).parse(i)?;
        let (i, like) = opt(|i| {
            let (i, _) = keyword("LIKE").parse(i)?;
            string_lit(i)
        })
        .parse(i)?;
        let end = like.as_ref().map_or(table.span, |(_, s)| *s);
        let like = like.map(|(value, span)| StringLit { value, span });
        Ok((
            i,
            Show::Columns {
                table,
                like,
                span: start.to(end),
            },
        ))
    };
    let (i, what) = alt((
        keyword("TABLES").map(|end| Show::Tables {
            span: start.to(end),
        }),
        keyword("COHORTS").map(|end| Show::Cohorts {
            span: start.to(end),
        }),
        |i| {
            let (i, _) = keyword("COHORT").parse(i)?;
            let (i, name) = cut(expected("cohort name", ident)).parse(i)?;
            let span = start.to(name.span);
            Ok((i, Show::Cohort { name, span }))
        },
        keyword("HISTORY").map(|end| Show::History {
            span: start.to(end),
        }),
        columns,
    ))
    .parse(i)?;
    Ok((i, Statement::Show(what)))
}

pub(super) fn describe(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("DESCRIBE").parse(i)?;
    let (i, name) = expected("table or cohort name", ident).parse(i)?;
    let span = start.to(name.span);
    Ok((i, Statement::Describe { name, span }))
}

pub(super) fn explain(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("EXPLAIN").parse(i)?;
    let (i, inner) = nested(i, statement)?;
    let span = start.to(inner.span());
    Ok((
        i,
        Statement::Explain {
            statement: Box::new(inner),
            span,
        },
    ))
}
