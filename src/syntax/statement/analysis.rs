//! The statistics statements: `SURVIVAL`, `COX`, `CORRELATE`, and `PLOT` of one.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt};
use nom::multi::separated_list1;

use super::select::select_item;
use crate::syntax::ast::{
    Correlate, Cox, Expr, Ident, Plot, Span, Split, Statement, StringLit, Survival,
};
use crate::syntax::expr::expr;
use crate::syntax::lexeme::{Input, PResult, expected, ident, keyword, number, punct, string_lit};

/// `PLOT analysis TO 'path' [OVERWRITE]`
pub(super) fn plot(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("PLOT").parse(i)?;
    cut(move |i| {
        let (i, analysis) = expected("SURVIVAL or CORRELATE", analysis).parse(i)?;
        let (i, _) = keyword("TO").parse(i)?;
        let (i, (value, path_span)) = string_lit(i)?;
        let (i, overwrite) = opt(keyword("OVERWRITE")).parse(i)?;
        Ok((
            i,
            Statement::Plot(Box::new(Plot {
                analysis,
                path: StringLit {
                    value,
                    span: path_span,
                },
                overwrite: overwrite.is_some(),
                span: start.to(overwrite.unwrap_or(path_span)),
            })),
        ))
    })
    .parse(i)
}

/// A statement whose result is a table of statistics: `SURVIVAL`, `COX`, `CORRELATE`.
pub(super) fn analysis(i: Input<'_>) -> PResult<'_, Statement> {
    alt((survival, cox, correlate)).parse(i)
}

/// `OF source [TIME e EVENT e]`, shared by SURVIVAL and COX.
type Endpoint = (Ident, Option<(Expr, Expr)>);

fn of_endpoint(i: Input<'_>) -> PResult<'_, Endpoint> {
    let (i, _) = keyword("OF").parse(i)?;
    let (i, source) = expected("subjects, a cohort or a table", ident).parse(i)?;
    let (i, time_event) = opt(|i| {
        let (i, _) = keyword("TIME").parse(i)?;
        let (i, time) = cut(expr).parse(i)?;
        let (i, _) = cut(keyword("EVENT")).parse(i)?;
        let (i, event) = cut(expr).parse(i)?;
        Ok((i, (time, event)))
    })
    .parse(i)?;
    Ok((i, (source, time_event)))
}

/// `SURVIVAL [CURVE | TEST] OF source [TIME e EVENT e] [BY e [SPLIT AT MEDIAN | SPLIT AT n |
/// QUANTILES n]] [AT (t, …)]`
fn survival(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("SURVIVAL").parse(i)?;
    cut(move |i| survival_body(i, start)).parse(i)
}

fn survival_body(i: Input<'_>, start: Span) -> PResult<'_, Statement> {
    let (i, output) = opt(alt((
        keyword("CURVE").map(|_| "CURVE"),
        keyword("TEST").map(|_| "TEST"),
    )))
    .parse(i)?;
    let word = |w: &str| output == Some(w);
    let (i, (source, time_event)) = of_endpoint(i)?;
    let mut end = source.span;
    if let Some((_, e)) = &time_event {
        end = e.span();
    }
    let (i, by) = opt(|i| {
        let (i, _) = keyword("BY").parse(i)?;
        cut(expr).parse(i)
    })
    .parse(i)?;
    if let Some(b) = &by {
        end = b.span();
    }
    let split_at = |i| {
        let (i, _) = keyword("SPLIT").parse(i)?;
        let (i, _) = cut(keyword("AT")).parse(i)?;
        cut(alt((
            keyword("MEDIAN").map(Split::Median),
            number.map(|(n, s)| Split::At(n, s)),
        )))
        .parse(i)
    };
    let quantiles = |i| {
        let (i, _) = keyword("QUANTILES").parse(i)?;
        cut(number).map(|(n, s)| Split::Quantiles(n, s)).parse(i)
    };
    let (i, split) = if by.is_some() {
        opt(alt((split_at, quantiles))).parse(i)?
    } else {
        (i, None)
    };
    if let Some(Split::Median(s) | Split::At(_, s) | Split::Quantiles(_, s)) = &split {
        end = *s;
    }
    let (i, at) = opt(|i| {
        let (i, _) = keyword("AT").parse(i)?;
        let (i, _) = cut(punct("(")).parse(i)?;
        let (i, times) = cut(separated_list1(punct(","), number)).parse(i)?;
        let (i, close) = cut(punct(")")).parse(i)?;
        Ok((i, (times, close)))
    })
    .parse(i)?;
    let at = match at {
        Some((times, close)) => {
            end = close;
            times
        }
        None => Vec::new(),
    };
    let (time, event) = match time_event {
        Some((t, e)) => (Some(t), Some(e)),
        None => (None, None),
    };
    Ok((
        i,
        Statement::Survival(Box::new(Survival {
            curve: word("CURVE"),
            test: word("TEST"),
            source,
            time,
            event,
            by,
            split,
            at,
            span: start.to(end),
        })),
    ))
}

/// `CORRELATE items WITH items [IN source] [METHOD m] [ADJUST a]`
fn correlate(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("CORRELATE").parse(i)?;
    cut(move |i| {
        let (i, x) = separated_list1(punct(","), select_item).parse(i)?;
        let (i, _) = keyword("WITH").parse(i)?;
        let (i, y) = separated_list1(punct(","), select_item).parse(i)?;
        let named = |word: &'static str| {
            opt(move |i| {
                let (i, _) = keyword(word).parse(i)?;
                cut(ident).parse(i)
            })
        };
        let (i, source) = named("IN").parse(i)?;
        let (i, method) = named("METHOD").parse(i)?;
        // `BY` is a keyword, and also Benjamini–Yekutieli.
        let (i, adjust) = opt(|i| {
            let (i, _) = keyword("ADJUST").parse(i)?;
            let by = keyword("BY").map(|span| Ident {
                name: "by".into(),
                quoted: false,
                span,
            });
            cut(alt((by, ident))).parse(i)
        })
        .parse(i)?;
        let end = [&adjust, &method, &source]
            .into_iter()
            .flatten()
            .map(|n| n.span)
            .next()
            .unwrap_or_else(|| y.last().expect("separated_list1").span());
        Ok((
            i,
            Statement::Correlate(Box::new(Correlate {
                x,
                y,
                source,
                method,
                adjust,
                span: start.to(end),
            })),
        ))
    })
    .parse(i)
}

/// `COX [TEST] OF source [TIME e EVENT e] ON term, …`
fn cox(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("COX").parse(i)?;
    cut(move |i| {
        let (i, test) = opt(keyword("TEST")).parse(i)?;
        let (i, (source, time_event)) = of_endpoint(i)?;
        let (i, _) = keyword("ON").parse(i)?;
        let (i, terms) = separated_list1(punct(","), expr).parse(i)?;
        let end = terms.last().map_or(source.span, |t| t.span());
        let (time, event) = match time_event {
            Some((t, e)) => (Some(t), Some(e)),
            None => (None, None),
        };
        Ok((
            i,
            Statement::Cox(Box::new(Cox {
                test: test.is_some(),
                source,
                time,
                event,
                terms,
                span: start.to(end),
            })),
        ))
    })
    .parse(i)
}
