//! `EXPORT (SELECT …) | cohort TO '…' [options]`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{cut, opt};
use nom::multi::separated_list1;

use super::select::select;
use crate::syntax::ast::{Compression, Export, ExportSource, Ident, Span, Statement, StringLit};
use crate::syntax::lexeme::{
    Input, PResult, expected, ident, keyword, nested, number, punct, string_lit,
};

pub(super) fn export(i: Input<'_>) -> PResult<'_, Statement> {
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
