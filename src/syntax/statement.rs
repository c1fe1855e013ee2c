//! Statements: `SELECT`, `CREATE COHORT`, `DROP COHORT`, `SHOW`, `DESCRIBE`, `EXPLAIN` and
//! `EXPORT`, and the script of `;`-separated statements.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt, peek};
use nom::multi::separated_list1;

use super::ast::{
    AsOf, Compression, Correlate, Cox, Cte, Export, ExportSource, Expr, Ident, Import, ImportFlag,
    ImportKey, ImportKind, ImportOption, OrderItem, Plot, Select, SelectItem, Show, Source, Span,
    Split, Statement, StringLit, Survival,
};
use super::error::{Failure, PErr};
use super::expr::expr;
use super::lexeme::{
    Input, PResult, expected, glob, ident, keyword, nested, number, punct, string_lit, ws,
};

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

/// `PLOT analysis TO 'path' [OVERWRITE]`
fn plot(i: Input<'_>) -> PResult<'_, Statement> {
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
fn analysis(i: Input<'_>) -> PResult<'_, Statement> {
    alt((survival, cox, correlate)).parse(i)
}

/// `FROM name`, `FROM (analysis)`, `FROM (SELECT …) [AS] alias`, `FROM 'file' [[AS] alias]`.
fn source(i: Input<'_>) -> PResult<'_, Source> {
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
fn alias(i: Input<'_>) -> PResult<'_, Option<Ident>> {
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
pub fn select(i: Input<'_>) -> PResult<'_, Select> {
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
    let end = super::lexeme::offset(&i);
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

/// `REFRESH COHORT name`
fn refresh_cohort(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("REFRESH").parse(i)?;
    let (i, _) = cut(keyword("COHORT")).parse(i)?;
    let (i, name) = cut(expected("cohort name", ident)).parse(i)?;
    let span = start.to(name.span);
    Ok((i, Statement::RefreshCohort { name, span }))
}

/// `CHECK DATABASE`
fn check(i: Input<'_>) -> PResult<'_, Statement> {
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
fn vacuum(i: Input<'_>) -> PResult<'_, Statement> {
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

/// An optional clause: absent unless its keywords are there; once they are, its body must
/// parse (a failure inside is not swallowed).
fn clause<'a, O>(
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

fn select_item(i: Input<'_>) -> PResult<'_, SelectItem> {
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
        || super::lexeme::ws(i).is_ok_and(|(rest, _)| rest.fragment().is_empty());
    let shaped = (table.is_some() || pattern.ends_with('*'))
        && pattern
            .split('*')
            .skip(1)
            .all(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()));
    if !ends_item || !shaped {
        return Err(nom::Err::Error(super::error::PErr::at(
            &start,
            super::error::Failure::Expected(vec![]),
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

pub(super) fn order_item(i: Input<'_>) -> PResult<'_, OrderItem> {
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

fn create_cohort(i: Input<'_>) -> PResult<'_, Statement> {
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
fn drop_cohort(i: Input<'_>) -> PResult<'_, Statement> {
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

fn show(i: Input<'_>) -> PResult<'_, Statement> {
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

fn describe(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("DESCRIBE").parse(i)?;
    let (i, name) = expected("table or cohort name", ident).parse(i)?;
    let span = start.to(name.span);
    Ok((i, Statement::Describe { name, span }))
}

fn explain(i: Input<'_>) -> PResult<'_, Statement> {
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

/// `IMPORT CLINICAL|EXPRESSION|GEO|ALIASES FROM 'f' [options] [AS t]` or
/// `IMPORT TABLE t FROM 'f' SUBJECT COLUMN 'c' [LEVEL MULTI]`.
fn import(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("IMPORT").parse(i)?;
    cut(move |i| import_body(i, start)).parse(i)
}

fn import_body(i: Input<'_>, start: Span) -> PResult<'_, Statement> {
    let table_kind = |i| {
        let (i, _) = keyword("TABLE").parse(i)?;
        let (i, name) = expected("table name", ident).parse(i)?;
        Ok((i, (ImportKind::Table, Some(name))))
    };
    let (i, (kind, table)) = expected(
        "CLINICAL, TABLE, EXPRESSION, GEO, ALIASES, RADIOMICS, AIM, DICOM or SERIES",
        alt((
            keyword("CLINICAL").map(|_| (ImportKind::Clinical, None)),
            table_kind,
            keyword("EXPRESSION").map(|_| (ImportKind::Expression, None)),
            keyword("GEO").map(|_| (ImportKind::Geo, None)),
            keyword("ALIASES").map(|_| (ImportKind::Aliases, None)),
            keyword("RADIOMICS").map(|_| (ImportKind::Radiomics, None)),
            keyword("AIM").map(|_| (ImportKind::Aim, None)),
            keyword("DICOM").map(|_| (ImportKind::Dicom, None)),
            keyword("SERIES").map(|_| (ImportKind::Series, None)),
        )),
    )
    .parse(i)?;
    let (i, _) = keyword("FROM").parse(i)?;
    let (mut i, (path, path_span)) = string_lit(i)?;
    let mut options = Vec::new();
    let mut end = path_span;
    loop {
        match import_flag(i) {
            Ok((rest, (flag, span))) => {
                options.push(ImportOption::Flag(flag, span));
                (i, end) = (rest, span);
                continue;
            }
            // The first word of a flag without the rest is an error at the missing word.
            Err(e @ nom::Err::Failure(_)) => return Err(e),
            Err(_) => {}
        }
        let Ok((rest, key)) = import_key(i) else {
            break;
        };
        let (rest, (value, span)) = cut(string_lit).parse(rest)?;
        options.push(ImportOption::Value(key, StringLit { value, span }));
        (i, end) = (rest, span);
    }
    let (i, alias) = if kind == ImportKind::Table {
        (i, None)
    } else {
        opt(|i| {
            let (i, _) = keyword("AS").parse(i)?;
            cut(ident).parse(i)
        })
        .parse(i)?
    };
    let end = alias.as_ref().map_or(end, |a| a.span);
    Ok((
        i,
        Statement::Import(Box::new(Import {
            kind,
            table: table.or(alias),
            path: StringLit {
                value: path,
                span: path_span,
            },
            options,
            span: start.to(end),
        })),
    ))
}

/// The keywords of an import flag, and their span.
fn import_flag(i: Input<'_>) -> PResult<'_, (ImportFlag, Span)> {
    for (flag, words) in ImportFlag::ALL {
        let Ok((mut rest, first)) = keyword(words[0]).parse(i) else {
            continue;
        };
        let mut last = first;
        for word in &words[1..] {
            let (r, span) = cut(keyword(word)).parse(rest)?;
            (rest, last) = (r, span);
        }
        return Ok((rest, (flag, first.to(last))));
    }
    Err(nom::Err::Error(super::error::PErr::at(
        &i,
        super::error::Failure::Expected(vec![]),
    )))
}

/// The keywords of a valued import option.
fn import_key(i: Input<'_>) -> PResult<'_, ImportKey> {
    for (key, words) in ImportKey::ALL {
        let mut rest = i;
        let mut matched = true;
        for word in words {
            match keyword(word).parse(rest) {
                Ok((r, _)) => rest = r,
                Err(_) => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            return Ok((rest, key));
        }
    }
    Err(nom::Err::Error(super::error::PErr::at(
        &i,
        super::error::Failure::Expected(vec![]),
    )))
}

fn export(i: Input<'_>) -> PResult<'_, Statement> {
    let (i, start) = keyword("EXPORT").parse(i)?;
    let query = |i| {
        let (i, _) = punct("(").parse(i)?;
        let (i, q) = nested(i, select)?;
        let (i, _) = punct(")").parse(i)?;
        Ok((i, ExportSource::Query(Box::new(q))))
    };
    let cohort = ident.map(ExportSource::Cohort);
    let (i, source) = expected("`(SELECT …)` or a cohort name", alt((query, cohort))).parse(i)?;
    let (i, _) = keyword("TO").parse(i)?;
    let (i, (path, path_span)) = string_lit(i)?;
    let mut options = ExportOptions::default();
    let mut end = path_span;
    let mut i = i;
    loop {
        match export_option(i, &mut options) {
            Ok((rest, span)) => {
                end = span;
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((
        i,
        Statement::Export(Box::new(Export {
            source,
            path: StringLit {
                value: path,
                span: path_span,
            },
            format: options.format,
            long: options.long,
            partition_by: options.partition_by,
            compression: options.compression,
            overwrite: options.overwrite,
            span: start.to(end),
        })),
    ))
}

#[derive(Default)]
struct ExportOptions {
    format: Option<Ident>,
    long: Option<Span>,
    partition_by: Vec<Ident>,
    compression: Option<Compression>,
    overwrite: bool,
}

/// One option of `EXPORT … TO 'path'`, in any order: `FORMAT f`, `LONG`,
/// `PARTITION BY c, …`, `COMPRESSION codec [level]`, `OVERWRITE`. Returns where it ends.
fn export_option<'a>(i: Input<'a>, o: &mut ExportOptions) -> PResult<'a, Span> {
    if let Ok((i, _)) = keyword("FORMAT").parse(i) {
        let (i, f) = cut(expected("format name", ident)).parse(i)?;
        let end = f.span;
        o.format = Some(f);
        return Ok((i, end));
    }
    if let Ok((i, span)) = keyword("LONG").parse(i) {
        o.long = Some(span);
        return Ok((i, span));
    }
    if let Ok((i, _)) = keyword("PARTITION").parse(i) {
        let (i, _) = cut(keyword("BY")).parse(i)?;
        let (i, columns) =
            cut(separated_list1(punct(","), expected("column name", ident))).parse(i)?;
        let end = columns.last().map_or(Span::new(0, 0), |c| c.span);
        o.partition_by = columns;
        return Ok((i, end));
    }
    if let Ok((i, _)) = keyword("COMPRESSION").parse(i) {
        let (i, codec) =
            cut(expected("zstd, snappy, lz4, gzip, brotli or none", ident)).parse(i)?;
        let (i, level) = opt(number).parse(i)?;
        let end = level.as_ref().map_or(codec.span, |(_, s)| *s);
        o.compression = Some(Compression { codec, level });
        return Ok((i, end));
    }
    let (i, span) = keyword("OVERWRITE").parse(i)?;
    o.overwrite = true;
    Ok((i, span))
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
