//! `CREATE [OR REPLACE] COHORT`, `DROP COHORT` / `DROP TABLE`, `REFRESH COHORT`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt};

use super::select::select;
use crate::syntax::ast::{Span, Statement};
use crate::syntax::lexeme::{Input, PResult, expected, ident, keyword};

pub(super) fn create_cohort(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("CREATE").parse(i)?;
    let (i, replace) = opt(|i| {
        let (i, _) = keyword("OR").parse(i)?;
        cut(keyword("REPLACE")).parse(i)
    })
    .parse(i)?;
    let (i, _) = keyword("COHORT").parse(i)?;
    let (i, name) = expected("cohort name", ident).parse(i)?;
    let (i, _) = keyword("AS").parse(i)?;
    let (i, query) = select(i)?;
    let span = Span::new(start.start, query.span.end);
    Ok((
        i,
        Statement::CreateCohort {
            name,
            query: Box::new(query),
            replace: replace.is_some(),
            span,
        },
    ))
}

/// `DROP COHORT [IF EXISTS] name`, `DROP TABLE [IF EXISTS] name`
pub(super) fn drop_cohort(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("DROP").parse(i)?;
    let (i, table) = alt((
        keyword("COHORT").map(|_| false),
        keyword("TABLE").map(|_| true),
    ))
    .parse(i)?;
    let (i, if_exists) = opt(|i| {
        let (i, _) = keyword("IF").parse(i)?;
        keyword("EXISTS").parse(i)
    })
    .parse(i)?;
    let what = if table { "table name" } else { "cohort name" };
    let (i, name) = expected(what, ident).parse(i)?;
    let span = start.to(name.span);
    let if_exists = if_exists.is_some();
    Ok((
        i,
        if table {
            Statement::DropTable {
                name,
                if_exists,
                span,
            }
        } else {
            Statement::DropCohort {
                name,
                if_exists,
                span,
            }
        },
    ))
}

/// `REFRESH COHORT name`
pub(super) fn refresh_cohort(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("REFRESH").parse(i)?;
    let (i, _) = cut(keyword("COHORT")).parse(i)?;
    let (i, name) = cut(expected("cohort name", ident)).parse(i)?;
    let span = start.to(name.span);
    Ok((i, Statement::RefreshCohort { name, span }))
}
