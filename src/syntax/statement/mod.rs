//! Statements, one file per area (mirrored in `resolve`): `select.rs`, `cohort.rs`, `show.rs`,
//! `import.rs`, `export.rs` and `analysis.rs`; here the statement itself and the optional clause.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::cut;

use super::ast::Statement;
use super::lexeme::{Input, PResult, expected, keyword};

mod analysis;
mod cohort;
mod export;
mod import;
mod select;
mod show;

use analysis::{analysis, plot};
use cohort::{create_cohort, drop_cohort, refresh_cohort};
use export::export;
use import::import;
pub(super) use select::{order_item, select};
use show::{check, describe, explain, show, vacuum};

/// One statement.
pub fn statement(i: Input<'_>) -> PResult<'_, Statement> {
    expected(
        "statement (SELECT, CREATE COHORT, DROP COHORT, DROP TABLE, REFRESH COHORT, SHOW, DESCRIBE, EXPLAIN, EXPORT, IMPORT, SURVIVAL, COX, CORRELATE, PLOT, VACUUM, CHECK DATABASE)",
        alt((
            select.map(|s| Statement::Select(Box::new(s))),
            create_cohort,
            drop_cohort,
            refresh_cohort,
            vacuum,
            check,
            show,
            describe,
            explain,
            export,
            import,
            analysis,
            plot,
        )),
    )
    .parse(i)
}

/// An optional clause: absent unless its keywords are there; once they are, its body must
/// parse (a failure inside is not swallowed).
pub(super) fn clause<'a, O>(
    i: Input<'a>,
    keywords: &[&'static str],
    body: impl Parser<Input<'a>, Output = O, Error = super::error::PErr>,
) -> PResult<'a, Option<O>> {
    let Ok((mut rest, _)) = keyword(keywords[0]).parse(i) else {
        return Ok((i, None));
    };
    for k in &keywords[1..] {
        (rest, _) = cut(keyword(k)).parse(rest)?;
    }
    let (rest, out) = cut(body).parse(rest)?;
    Ok((rest, Some(out)))
}
