//! syntax: text -> ast::Statement (nom; knows nothing of the catalog or DataFusion).
//!
//! The grammar is `grammar/rgdb.ebnf`; `grammar/README.md` maps each production to its parser
//! function here. Every AST node carries a byte span; parse errors carry the span to underline.

pub mod ast;
mod error;
mod expr;
mod lexeme;
mod print;
mod statement;

use nom::Parser;

pub use ast::*;
pub use error::ParseError;
pub use lexeme::{MAX_DEPTH, MAX_NAME_CHARS, MAX_OPERATORS, RESERVED, ends_with_semicolon};

use error::{Failure, PErr};
use lexeme::{DepthGuard, Input, offset, punct, ws};

/// The stack the parser runs on: deep enough for [`MAX_DEPTH`] levels in a debug build,
/// whatever the caller's own stack.
const PARSER_STACK: usize = 16 << 20;

/// Parses a script: statements separated by `;` (a trailing `;` is optional, empty statements
/// are skipped).
pub fn parse_statements(text: &str) -> Result<Vec<Statement>, ParseError> {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("rgdb-parser".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || parse_script(text))
        {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(ParseError::Internal {
                    span: Span::new(0, text.len()),
                })
            }),
            // No thread to be had: parse on this one.
            Err(_) => parse_script(text),
        }
    })
}

fn parse_script(text: &str) -> Result<Vec<Statement>, ParseError> {
    let guard = DepthGuard::default();
    let mut i = Input::new_extra(text, &guard);
    let mut statements = Vec::new();
    loop {
        i = skip_separators(i).map_err(|e| to_error(text, e))?;
        if i.fragment().is_empty() {
            return Ok(statements);
        }
        guard.reset();
        let (rest, stmt) = statement::statement(i).map_err(|e| to_error(text, e))?;
        statements.push(stmt);
        let (rest, _) = ws(rest).map_err(|e| to_error(text, e))?;
        if !rest.fragment().is_empty() && punct(";").parse(rest).is_err() {
            let e = PErr {
                offset: offset(&rest),
                failure: Failure::Expected(vec!["`;` or end of input"]),
            };
            return Err(to_error(text, nom::Err::Error(e)));
        }
        i = rest;
    }
}

/// Parses exactly one statement (an optional trailing `;` is allowed).
pub fn parse_statement(text: &str) -> Result<Statement, ParseError> {
    let mut statements = parse_statements(text)?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err(ParseError::UnexpectedEnd {
            expected: vec!["statement".into()],
            span: Span::new(text.len(), text.len()),
        }),
        _ => {
            let span = statements[1].span();
            Err(ParseError::Unexpected {
                expected: vec!["end of input".into()],
                found: "a second statement".into(),
                span,
            })
        }
    }
}

fn skip_separators(mut i: Input<'_>) -> Result<Input<'_>, nom::Err<PErr>> {
    loop {
        let (rest, _) = ws(i)?;
        match punct(";").parse(rest) {
            Ok((rest, _)) => i = rest,
            Err(_) => return Ok(rest),
        }
    }
}

fn to_error(text: &str, e: nom::Err<PErr>) -> ParseError {
    let e = match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => PErr {
            offset: text.len(),
            failure: Failure::Expected(vec![]),
        },
    };
    let at = e.offset.min(text.len());
    match e.failure {
        Failure::UnterminatedString => ParseError::UnterminatedString {
            span: Span::new(at, text.len()),
        },
        Failure::UnterminatedIdent => ParseError::UnterminatedIdent {
            span: Span::new(at, text.len()),
        },
        Failure::UnterminatedComment => ParseError::UnterminatedComment {
            span: Span::new(at, text.len()),
        },
        Failure::TooDeep => ParseError::TooDeep {
            limit: MAX_DEPTH,
            span: Span::new(at, (at + 1).min(text.len())),
        },
        Failure::TooLong => ParseError::TooLong {
            limit: MAX_OPERATORS,
            span: Span::new(at, (at + 1).min(text.len())),
        },
        Failure::NameTooLong(length) => ParseError::NameTooLong {
            length,
            limit: MAX_NAME_CHARS,
            span: Span::new(at, (at + 1).min(text.len())),
        },
        Failure::Expected(expected) => {
            let expected = expected.into_iter().map(str::to_string).collect();
            let rest = &text[at..];
            if rest.trim_start().is_empty()
                || rest.trim_start().starts_with("--") && !rest.contains('\n')
            {
                ParseError::UnexpectedEnd {
                    expected,
                    span: Span::new(text.len(), text.len()),
                }
            } else {
                let token = token_at(rest);
                ParseError::Unexpected {
                    expected,
                    found: format!("`{token}`"),
                    span: Span::new(at, at + token.len()),
                }
            }
        }
    }
}

/// The token starting `rest`, for "found …" (a word, a quoted text, or one character).
fn token_at(rest: &str) -> &str {
    let word_end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    if word_end > 0 {
        return &rest[..word_end.min(40)];
    }
    let first = rest.chars().next().map_or(0, char::len_utf8);
    &rest[..first]
}

#[cfg(test)]
mod tests {
    use super::ends_with_semicolon;

    #[test]
    fn a_statement_ends_at_its_last_semicolon_outside_strings_and_comments() {
        for ended in [
            "SELECT 1;",
            "SELECT 1;  \n",
            "SELECT\n  1\n;",
            "SELECT 'a;b';",
            "SELECT 'it''s';",
            "SELECT \"a\"\"b\" FROM t;",
            "SELECT 1; -- done",
            "SELECT 1; /* done */",
            "SELECT 1; SELECT 2;",
            ";",
            // The parser's whitespace, not only ASCII's: a pasted no-break space.
            "SELECT 1;\u{a0}",
        ] {
            assert!(ends_with_semicolon(ended), "{ended:?} ends a statement");
        }
        for open in [
            "",
            "SELECT 1",
            "SELECT 1 -- no end;",
            "SELECT 1 /* no end; */",
            "SELECT 'a;",
            "SELECT 'a;'';",
            "SELECT \"a;",
            "SELECT 1; /* open",
            "SELECT 1; SELECT 2",
            "SELECT 1 --",
            "SELECT 'é;' || 'ü'",
        ] {
            assert!(
                !ends_with_semicolon(open),
                "{open:?} does not end a statement"
            );
        }
    }
}
