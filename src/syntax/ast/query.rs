//! Queries: a `SELECT` with its clauses, and what its `FROM` ranges over.

use super::{Expr, Ident, Span, Statement, StringLit};

/// `AS OF VERSION n` or `AS OF 'timestamp'`: the version of the database a query reads.
#[derive(Debug, Clone, PartialEq)]
pub enum AsOf {
    /// The number as written; checked when the statement runs.
    Version {
        version: String,
        span: Span,
    },
    Time(StringLit),
}

impl AsOf {
    /// Where the version or the timestamp was written.
    pub fn span(&self) -> Span {
        match self {
            AsOf::Version { span, .. } => *span,
            AsOf::Time(t) => t.span,
        }
    }
}

/// What a `FROM` ranges over: a name (`subjects`, a cohort, a table, a `WITH` query), the
/// result of an analysis in parentheses (`FROM (CORRELATE …)`), a query in parentheses
/// (`FROM (SELECT …) AS t`), or a Parquet or CSV file read in place (`FROM 'f.parquet'`).
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Named(Ident),
    Analysis(Box<Statement>),
    Query {
        query: Box<Select>,
        alias: Option<Ident>,
        span: Span,
    },
    File {
        path: StringLit,
        alias: Option<Ident>,
    },
}

impl Source {
    pub fn span(&self) -> Span {
        match self {
            Source::Named(name) => name.span,
            Source::Analysis(statement) => statement.span(),
            Source::Query { span, .. } => *span,
            Source::File { path, alias } => {
                alias.as_ref().map_or(path.span, |a| path.span.to(a.span))
            }
        }
    }
}

/// `SELECT items FROM source [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY …] [LIMIT n [OFFSET m]]`
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `WITH name AS (SELECT …), …`: named queries the rest of the statement reads as sources.
    pub with: Vec<Cte>,
    pub distinct: bool,
    pub items: Vec<SelectItem>,
    /// `subjects`, a cohort, a table, or `(analysis)`; `None` without a FROM (`SELECT 1`:
    /// one row, and no column to read).
    pub from: Option<Source>,
    pub selection: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    /// `AS OF …`: the whole statement reads that version.
    pub as_of: Option<AsOf>,
    pub span: Span,
}

impl SelectItem {
    /// The text an item covers, its alias included.
    pub fn span(&self) -> Span {
        match self {
            SelectItem::Expr { expr, alias } => alias
                .as_ref()
                .map_or(expr.span(), |a| expr.span().to(a.span)),
            SelectItem::Pattern { span, .. } => *span,
        }
    }
}

impl Select {
    /// `SELECT items FROM from`, with no other clause (the rows of a statistics statement, a
    /// cohort's members).
    pub fn plain(items: Vec<SelectItem>, from: Source, span: Span) -> Select {
        Select {
            with: Vec::new(),
            distinct: false,
            items,
            from: Some(from),
            selection: None,
            group_by: Vec::new(),
            having: None,
            order_by: Vec::new(),
            limit: None,
            offset: None,
            as_of: None,
            span,
        }
    }
}

/// `name AS (SELECT …)` in a `WITH`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cte {
    pub name: Ident,
    pub query: Box<Select>,
}

/// One item of a select list.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// An expression, optionally named.
    Expr { expr: Expr, alias: Option<Ident> },
    /// `*`, `t.*`, `t.prefix_*` or `prefix_*`, optionally `EXCEPT (a, b)`.
    Pattern {
        table: Option<Ident>,
        /// The glob, with `*` matching any run of characters.
        pattern: String,
        except: Vec<Ident>,
        span: Span,
    },
}

/// `expr [ASC|DESC] [NULLS FIRST|LAST]`
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: Option<bool>,
}
