//! `IMPORT kind FROM '…' [options] [AS t]`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt};

use crate::syntax::ast::{
    Import, ImportFlag, ImportKey, ImportKind, ImportOption, Span, Statement, StringLit,
};
use crate::syntax::lexeme::{Input, PResult, expected, ident, keyword, string_lit};

/// `IMPORT CLINICAL|EXPRESSION|GEO|ALIASES FROM 'f' [options] [AS t]` or
/// `IMPORT TABLE t FROM 'f' SUBJECT COLUMN 'c' [LEVEL MULTI]`.
pub(super) fn import(i: Input<'_>) -> PResult<'_, Statement> {
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
    // `IMPORT RADIOMICS FROM IMAGES|DICOM '…'`: features computed from images.
    let (i, kind) = if kind == ImportKind::Radiomics {
        let (i, source) = opt(alt((
            keyword("IMAGES").map(|_| ImportKind::RadiomicsImages),
            keyword("DICOM").map(|_| ImportKind::RadiomicsDicom),
        )))
        .parse(i)?;
        (i, source.unwrap_or(kind))
    } else {
        (i, kind)
    };
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
    Err(nom::Err::Error(crate::syntax::error::PErr::at(
        &i,
        crate::syntax::error::Failure::Expected(vec![]),
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
    Err(nom::Err::Error(crate::syntax::error::PErr::at(
        &i,
        crate::syntax::error::Failure::Expected(vec![]),
    )))
}
