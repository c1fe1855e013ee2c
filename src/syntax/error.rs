//! Errors of the syntax stage, and the nom error type the parser builds them from.

use nom::error::{ErrorKind, ParseError as NomParseError};
use thiserror::Error;

use super::ast::Span;
use super::lexeme::Input;

/// Why a statement text does not parse. Every variant carries the span to underline.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// Something other than what the grammar allows here: `SELECT FROM subjects`.
    #[error("expected {}, found {found}", list(expected))]
    Unexpected {
        expected: Vec<String>,
        found: String,
        span: Span,
    },
    /// The text ends inside a statement: `SELECT count(*) FROM`.
    #[error("unexpected end of input: expected {}", list(expected))]
    UnexpectedEnd { expected: Vec<String>, span: Span },
    /// A string literal with no closing quote: `WHERE gender = 'Male`.
    #[error("unterminated string literal")]
    UnterminatedString { span: Span },
    /// A quoted identifier with no closing quote: `rnaseq."HLA-A`.
    #[error("unterminated quoted identifier")]
    UnterminatedIdent { span: Span },
    /// A `/*` comment with no `*/`: `SELECT 1 /* note`.
    #[error("unterminated /* comment")]
    UnterminatedComment { span: Span },
    /// Nesting deeper than the limit, such as 10,000 `(`.
    #[error("expression nested deeper than {limit} levels")]
    TooDeep { limit: usize, span: Span },
    /// More binary operators in one statement than the limit: `a + a + a + …` 5,000 times.
    #[error("more than {limit} operators in one statement; split it into several")]
    TooLong { limit: usize, span: Span },
    /// An identifier, column pattern or parameter name longer than the limit (a 1 MB name).
    #[error("this name is {length} characters long; names are at most {limit}")]
    NameTooLong {
        length: usize,
        limit: usize,
        span: Span,
    },
    /// The parser itself failed (a bug).
    #[error("internal parser error (this is a bug in rgdb, please report it)")]
    Internal { span: Span },
}

impl ParseError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Unexpected { .. } => "E0101",
            ParseError::UnexpectedEnd { .. } => "E0102",
            ParseError::UnterminatedString { .. } => "E0103",
            ParseError::UnterminatedIdent { .. } => "E0104",
            ParseError::TooDeep { .. } => "E0105",
            ParseError::UnterminatedComment { .. } => "E0107",
            ParseError::TooLong { .. } => "E0106",
            ParseError::NameTooLong { .. } => "E0108",
            ParseError::Internal { .. } => "E0199",
        }
    }

    /// The text range to underline.
    pub fn span(&self) -> Span {
        match self {
            ParseError::Unexpected { span, .. }
            | ParseError::UnexpectedEnd { span, .. }
            | ParseError::UnterminatedString { span }
            | ParseError::UnterminatedIdent { span }
            | ParseError::UnterminatedComment { span }
            | ParseError::TooDeep { span, .. }
            | ParseError::TooLong { span, .. }
            | ParseError::NameTooLong { span, .. }
            | ParseError::Internal { span } => *span,
        }
    }

    /// Whether more input could complete the statement (the REPL keeps reading).
    pub fn is_incomplete(&self) -> bool {
        matches!(
            self,
            ParseError::UnexpectedEnd { .. }
                | ParseError::UnterminatedString { .. }
                | ParseError::UnterminatedIdent { .. }
                | ParseError::UnterminatedComment { .. }
        )
    }
}

fn list(expected: &[String]) -> String {
    match expected {
        [] => "more input".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What went wrong inside the parser, before it is turned into a [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Nothing matched; `expected` says what would have.
    Expected(Vec<&'static str>),
    UnterminatedString,
    UnterminatedIdent,
    UnterminatedComment,
    TooDeep,
    TooLong,
    /// A name of this many characters, past [`super::lexeme::MAX_NAME_CHARS`].
    NameTooLong(usize),
}

/// The parser's error: where it failed and why. Alternatives keep the furthest failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PErr {
    pub offset: usize,
    pub failure: Failure,
}

impl PErr {
    pub fn at(input: &Input<'_>, failure: Failure) -> Self {
        PErr {
            offset: input.location_offset(),
            failure,
        }
    }
}

impl<'a> NomParseError<Input<'a>> for PErr {
    fn from_error_kind(input: Input<'a>, _kind: ErrorKind) -> Self {
        PErr::at(&input, Failure::Expected(Vec::new()))
    }

    fn append(_input: Input<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        match self.offset.cmp(&other.offset) {
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Equal => match (self.failure, other.failure) {
                (Failure::Expected(mut a), Failure::Expected(b)) => {
                    for e in b {
                        if !a.contains(&e) {
                            a.push(e);
                        }
                    }
                    PErr {
                        offset: self.offset,
                        failure: Failure::Expected(a),
                    }
                }
                (Failure::Expected(_), other_failure) => PErr {
                    offset: other.offset,
                    failure: other_failure,
                },
                (failure, _) => PErr {
                    offset: self.offset,
                    failure,
                },
            },
        }
    }
}
