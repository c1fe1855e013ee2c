//! The lexical layer: whitespace and comments, keywords, identifiers, literals and
//! punctuation, each skipping what precedes it and returning its span. Also the input type,
//! the nesting guard and the `expected` helper that names what was wanted.

use std::cell::Cell;

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Input as _, Parser};
use nom_locate::LocatedSpan;

use super::ast::{Ident, Span};
use super::error::{Failure, PErr};

/// How deep expressions may nest (as in sqlparser-rs and DataFusion).
pub const MAX_DEPTH: usize = 50;

/// How many binary operators one statement may hold. A chain `a + b + …` makes the tree one
/// level deeper per operator, and every later stage (and DataFusion) walks trees recursively, so
/// this bounds the depth of every expression tree the parser can build.
pub const MAX_OPERATORS: usize = 2_000;

/// The longest identifier, column pattern or parameter name, in characters. Gene symbols and
/// PyRadiomics feature names are under 100; a longer name is a mistake (a pasted file), and
/// every later stage (the "did you mean" search over 20,000 columns, error messages that quote
/// the name) then stays cheap.
pub const MAX_NAME_CHARS: usize = 1_024;

/// Fails with [`Failure::NameTooLong`] when `name`, starting at `at`, is past
/// [`MAX_NAME_CHARS`].
fn check_name_length(at: &Input<'_>, name: &str) -> Result<(), nom::Err<PErr>> {
    // A byte count bounds the character count from above: most names are checked without
    // counting characters.
    if name.len() <= MAX_NAME_CHARS {
        return Ok(());
    }
    match name.chars().count() {
        n if n > MAX_NAME_CHARS => Err(nom::Err::Failure(PErr::at(at, Failure::NameTooLong(n)))),
        _ => Ok(()),
    }
}

/// Counts one more binary operator, failing with [`Failure::TooLong`] past [`MAX_OPERATORS`].
pub fn count_operator(i: &Input<'_>) -> Result<(), nom::Err<PErr>> {
    let guard = i.extra;
    let n = guard.operators.get() + 1;
    guard.operators.set(n);
    if n > MAX_OPERATORS {
        Err(nom::Err::Failure(PErr::at(i, Failure::TooLong)))
    } else {
        Ok(())
    }
}

/// Tracks nesting depth while parsing one text.
#[derive(Debug, Default)]
pub struct DepthGuard {
    depth: Cell<usize>,
    operators: Cell<usize>,
}

impl DepthGuard {
    /// Starts counting afresh for the next statement.
    pub fn reset(&self) {
        self.depth.set(0);
        self.operators.set(0);
    }
}

/// The parser's input: the remaining text, its offset, and the depth guard.
pub type Input<'a> = LocatedSpan<&'a str, &'a DepthGuard>;

/// What every parser returns.
pub type PResult<'a, T> = IResult<Input<'a>, T, PErr>;

/// Words that cannot be bare identifiers.
pub const RESERVED: &[&str] = &[
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "OFFSET", "AND", "OR",
    "NOT", "IN", "IS", "NULL", "BETWEEN", "LIKE", "ILIKE", "CASE", "WHEN", "THEN", "ELSE", "END",
    "CAST", "AS", "ASC", "DESC", "TRUE", "FALSE", "DISTINCT", "EXCEPT", "TO", "NULLS",
];

pub fn offset(i: &Input<'_>) -> usize {
    i.location_offset()
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Skips whitespace, `-- line comments` and `/* block comments */`.
pub fn ws(mut i: Input<'_>) -> PResult<'_, ()> {
    loop {
        let (rest, _) = take_while(char::is_whitespace).parse(i)?;
        i = rest;
        if i.fragment().starts_with("--") {
            let end = i.fragment().find('\n').unwrap_or(i.fragment().len());
            i = i.take_from(end);
        } else if i.fragment().starts_with("/*") {
            match i.fragment()[2..].find("*/") {
                Some(end) => i = i.take_from(end + 4),
                None => {
                    return Err(nom::Err::Failure(PErr::at(
                        &i,
                        Failure::UnterminatedComment,
                    )));
                }
            }
        } else {
            return Ok((i, ()));
        }
    }
}

/// Runs `p` after whitespace and returns its output with the span it covered.
pub fn spanned<'a, O>(
    mut p: impl Parser<Input<'a>, Output = O, Error = PErr>,
) -> impl Parser<Input<'a>, Output = (O, Span), Error = PErr> {
    move |i: Input<'a>| {
        let (i, _) = ws(i)?;
        let start = offset(&i);
        let (rest, out) = p.parse(i)?;
        Ok((rest, (out, Span::new(start, offset(&rest)))))
    }
}

/// Names what `p` parses: when `p` fails where it started, the error says `expected what`.
pub fn expected<'a, O>(
    what: &'static str,
    mut p: impl Parser<Input<'a>, Output = O, Error = PErr>,
) -> impl Parser<Input<'a>, Output = O, Error = PErr> {
    move |i: Input<'a>| {
        let (after_ws, _) = ws(i)?;
        let start = offset(&after_ws);
        match p.parse(i) {
            Err(nom::Err::Error(e)) if e.offset <= start => Err(nom::Err::Error(PErr {
                offset: start,
                failure: Failure::Expected(vec![what]),
            })),
            other => other,
        }
    }
}

/// A keyword, in any case, not followed by an identifier character.
pub fn keyword<'a>(word: &'static str) -> impl Parser<Input<'a>, Output = Span, Error = PErr> {
    expected(
        word,
        spanned(move |i: Input<'a>| {
            // ASCII-only, byte for byte: Unicode case folding (the Kelvin sign folds to `k`)
            // must not make a keyword match a different number of bytes.
            let text = i.fragment().as_bytes();
            let matches = text.len() >= word.len()
                && text[..word.len()].eq_ignore_ascii_case(word.as_bytes())
                && !text
                    .get(word.len())
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
            if !matches {
                return Err(nom::Err::Error(PErr::at(&i, Failure::Expected(vec![]))));
            }
            Ok((i.take_from(word.len()), ()))
        }),
    )
    .map(|(_, span)| span)
}

/// A punctuation token such as `(` or `<=`.
pub fn punct<'a>(symbol: &'static str) -> impl Parser<Input<'a>, Output = Span, Error = PErr> {
    expected(symbol_name(symbol), spanned(tag(symbol))).map(|(_, span)| span)
}

fn symbol_name(symbol: &'static str) -> &'static str {
    match symbol {
        "(" => "`(`",
        ")" => "`)`",
        "," => "`,`",
        ";" => "`;`",
        "." => "`.`",
        "*" => "`*`",
        other => other,
    }
}

/// An identifier: bare (`egfr_mutation_status`, not a reserved word) or double-quoted
/// (`"HLA-A"`, with `""` for a quote inside).
pub fn ident(i: Input<'_>) -> PResult<'_, Ident> {
    expected("identifier", |i| {
        let (i, _) = ws(i)?;
        if i.fragment().starts_with('"') {
            quoted_ident(i)
        } else {
            bare_ident(i)
        }
    })
    .parse(i)
}

fn bare_ident(i: Input<'_>) -> PResult<'_, Ident> {
    let start = offset(&i);
    let (rest, word) =
        recognize(pair(take_while1(is_ident_start), take_while(is_ident_char))).parse(i)?;
    check_name_length(&i, word.fragment())?;
    if RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(word.fragment()))
    {
        return Err(nom::Err::Error(PErr::at(&i, Failure::Expected(vec![]))));
    }
    Ok((
        rest,
        Ident {
            name: word.fragment().to_string(),
            quoted: false,
            span: Span::new(start, offset(&rest)),
        },
    ))
}

fn quoted_ident(i: Input<'_>) -> PResult<'_, Ident> {
    let start = offset(&i);
    let (name, rest) = delimited_text(i, '"').map_err(|at| {
        nom::Err::Failure(PErr {
            offset: at,
            failure: Failure::UnterminatedIdent,
        })
    })?;
    check_name_length(&i, &name)?;
    Ok((
        rest,
        Ident {
            name,
            quoted: true,
            span: Span::new(start, offset(&rest)),
        },
    ))
}

/// Reads `q…q` with `qq` as an escaped `q`. Errs with the opening offset when unterminated.
fn delimited_text(i: Input<'_>, q: char) -> Result<(String, Input<'_>), usize> {
    let text = i.fragment();
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if c == q {
            if matches!(chars.peek(), Some((_, next)) if *next == q) {
                chars.next();
                value.push(q);
            } else {
                return Ok((value, i.take_from(at + 1)));
            }
        } else {
            value.push(c);
        }
    }
    Err(offset(&i))
}

/// Whether the last token of `text` is a `;`: what ends a statement typed at the REPL, as in
/// psql, sqlite3 and duckdb. A `;` inside a string, a quoted identifier or a comment does not
/// count, and neither does one followed by an unfinished string or comment. It steps over the
/// text with the parser's own whitespace, comment and quoting rules, without parsing, so it
/// answers for text that does not parse yet.
pub fn ends_with_semicolon(text: &str) -> bool {
    let guard = DepthGuard::default();
    let mut i = Input::new_extra(text, &guard);
    let mut last = None;
    loop {
        // An unterminated block comment is an error here.
        let Ok((rest, ())) = ws(i) else {
            return false;
        };
        let Some(c) = rest.fragment().chars().next() else {
            return last == Some(';');
        };
        i = match c {
            '\'' | '"' => match delimited_text(rest, c) {
                Ok((_, after)) => after,
                Err(_) => return false,
            },
            c => rest.take_from(c.len_utf8()),
        };
        last = Some(c);
    }
}

/// A single-quoted string literal, `''` for a quote inside.
pub fn string_lit(i: Input<'_>) -> PResult<'_, (String, Span)> {
    expected("string", |i| {
        let (i, _) = ws(i)?;
        if !i.fragment().starts_with('\'') {
            return Err(nom::Err::Error(PErr::at(&i, Failure::Expected(vec![]))));
        }
        let start = offset(&i);
        let (value, rest) = delimited_text(i, '\'').map_err(|at| {
            nom::Err::Failure(PErr {
                offset: at,
                failure: Failure::UnterminatedString,
            })
        })?;
        Ok((rest, (value, Span::new(start, offset(&rest)))))
    })
    .parse(i)
}

/// An unsigned number: `12`, `12.5`, `.5`, `1e-3`, returned as written.
pub fn number(i: Input<'_>) -> PResult<'_, (String, Span)> {
    let mantissa = nom::branch::alt((
        recognize((digit1, opt(pair(char('.'), opt(digit1))))),
        recognize(pair(char('.'), digit1)),
    ));
    let exponent = opt(recognize((one_of("eE"), opt(one_of("+-")), digit1)));
    expected(
        "number",
        spanned(recognize(pair(mantissa, exponent)).map(|s: Input<'_>| s.fragment().to_string())),
    )
    .parse(i)
}

/// A parameter: `$1` or `$name`.
pub fn param<'a>(i: Input<'a>) -> PResult<'a, (String, Span)> {
    expected(
        "parameter",
        spanned(|i: Input<'a>| {
            let (rest, (_, name)) = pair(char('$'), take_while1(is_ident_char)).parse(i)?;
            check_name_length(&i, name.fragment())?;
            Ok((rest, name.fragment().to_string()))
        }),
    )
    .parse(i)
}

/// A select-list pattern: identifier characters and at least one `*` (`original_shape_*`).
pub fn glob(i: Input<'_>) -> PResult<'_, (String, Span)> {
    fn pattern(i: Input<'_>) -> PResult<'_, String> {
        let (rest, text) = take_while1(|c: char| is_ident_char(c) || c == '*').parse(i)?;
        if !text.fragment().contains('*') {
            return Err(nom::Err::Error(PErr::at(&i, Failure::Expected(vec![]))));
        }
        check_name_length(&i, text.fragment())?;
        Ok((rest, text.fragment().to_string()))
    }
    expected("column pattern", spanned(pattern)).parse(i)
}

/// Runs `p` one nesting level deeper, failing past [`MAX_DEPTH`].
pub fn nested<'a, O>(i: Input<'a>, p: impl FnOnce(Input<'a>) -> PResult<'a, O>) -> PResult<'a, O> {
    let guard = i.extra;
    let depth = guard.depth.get() + 1;
    if depth > MAX_DEPTH {
        return Err(nom::Err::Failure(PErr::at(&i, Failure::TooDeep)));
    }
    guard.depth.set(depth);
    let result = p(i);
    guard.depth.set(depth - 1);
    result
}
