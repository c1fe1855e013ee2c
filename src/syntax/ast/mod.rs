//! The abstract syntax tree of rgdb statements. Every node carries the byte span of the text
//! it came from; spans compare equal to each other so that trees parsed from different texts
//! (a statement and its printed form) compare by structure alone.

mod expr;
mod query;
mod statement;

use std::fmt;

pub use expr::{BinaryOp, Expr, Literal, TypeName, UnaryOp};
pub use query::{AsOf, Cte, OrderItem, Select, SelectItem, Source};
pub use statement::{
    Compression, Correlate, Cox, Export, ExportSource, Import, ImportFlag, ImportKey, ImportKind,
    ImportOption, Plot, Show, Split, Statement, Survival,
};

/// A byte range `start..end` of the statement text.
#[derive(Clone, Copy, Default, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Spans never make two trees differ: equality is structural (as in sqlparser-rs).
impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A name: bare (matched case-insensitively) or double-quoted (matched exactly).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub quoted: bool,
    pub span: Span,
}

/// A string literal and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}
