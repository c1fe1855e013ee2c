//! The abstract syntax tree of rgdb statements. Every node carries the byte span of the text
//! it came from; spans compare equal to each other so that trees parsed from different texts
//! (a statement and its printed form) compare by structure alone.

use std::fmt;

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

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    /// `CREATE [OR REPLACE] COHORT name AS SELECT …`
    CreateCohort {
        name: Ident,
        query: Box<Select>,
        /// `OR REPLACE`: an existing cohort of that name is redefined, not an error.
        replace: bool,
        span: Span,
    },
    /// `DROP COHORT [IF EXISTS] name`
    DropCohort {
        name: Ident,
        if_exists: bool,
        span: Span,
    },
    /// `SHOW TABLES`, `SHOW COHORTS`, `SHOW HISTORY`, `SHOW COLUMNS FROM t [LIKE '…']`
    Show(Show),
    /// `DESCRIBE table_or_cohort`
    Describe {
        name: Ident,
        span: Span,
    },
    /// `EXPLAIN statement`
    Explain {
        statement: Box<Statement>,
        span: Span,
    },
    /// `EXPORT (SELECT …) TO 'path' [FORMAT f] [OVERWRITE]` or `EXPORT cohort TO …`
    Export(Box<Export>),
    /// `IMPORT CLINICAL FROM 'file' [AS t]`,
    /// `IMPORT TABLE t FROM 'file' SUBJECT COLUMN 'col' [LEVEL MULTI]`
    Import(Box<Import>),
    /// `SURVIVAL [CURVE | TEST] OF source [TIME e EVENT e] [BY e [SPLIT AT MEDIAN | SPLIT AT n |
    /// QUANTILES n]] [AT (t, …)]`
    Survival(Box<Survival>),
    /// `COX [TEST] OF source [TIME e EVENT e] ON term, …`
    Cox(Box<Cox>),
    /// `CORRELATE items WITH items [IN source] [METHOD m] [ADJUST a]`
    Correlate(Box<Correlate>),
    /// `PLOT SURVIVAL … TO 'km.svg' [OVERWRITE]`, `PLOT CORRELATE … TO 'map.png'`
    Plot(Box<Plot>),
    /// `DROP TABLE [IF EXISTS] name`: a new version without the table (its data stays
    /// readable `AS OF` earlier versions until `VACUUM`).
    DropTable {
        name: Ident,
        if_exists: bool,
        span: Span,
    },
    /// `CHECK DATABASE`: verifies every chunk and the catalog.
    Check {
        span: Span,
    },
    /// `REFRESH COHORT name`: re-evaluates the cohort's definition on the current data.
    RefreshCohort {
        name: Ident,
        span: Span,
    },
    /// `VACUUM KEEP n`: compacts every version older than the newest `n`.
    Vacuum {
        /// The number as written; checked when the statement is bound.
        keep: String,
        keep_span: Span,
        span: Span,
    },
}

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

/// A `PLOT` statement: an analysis drawn to an SVG or PNG file.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    pub analysis: Statement,
    pub path: StringLit,
    pub overwrite: bool,
    pub span: Span,
}

/// A `CORRELATE` statement: the correlation of every pair of two column sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlate {
    /// Expressions and column patterns (`radiomic.original_*`), as in a select list.
    pub x: Vec<SelectItem>,
    pub y: Vec<SelectItem>,
    /// `IN source`; default `subjects`.
    pub source: Option<Ident>,
    /// `METHOD spearman|pearson`; default spearman.
    pub method: Option<Ident>,
    /// `ADJUST bh|by|bonferroni|none`; default bh.
    pub adjust: Option<Ident>,
    pub span: Span,
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

/// A `COX` statement: a proportional-hazards model of the terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Cox {
    /// `COX TEST …`: the one-row table of the model's tests instead of the terms.
    pub test: bool,
    pub source: Ident,
    /// Defaults: `os_days`, `os_event`.
    pub time: Option<Expr>,
    pub event: Option<Expr>,
    pub terms: Vec<Expr>,
    pub span: Span,
}

/// A `SURVIVAL` statement: Kaplan–Meier per group and the log-rank test.
#[derive(Debug, Clone, PartialEq)]
pub struct Survival {
    /// `SURVIVAL CURVE …`: the curve rows instead of the group summary.
    pub curve: bool,
    /// `SURVIVAL TEST …`: the one-row table of the log-rank test instead of the groups.
    pub test: bool,
    pub source: Ident,
    /// Defaults: `os_days`, `os_event`.
    pub time: Option<Expr>,
    pub event: Option<Expr>,
    pub by: Option<Expr>,
    pub split: Option<Split>,
    /// Times at which to report survival (`AT (365, 730)`), as written.
    pub at: Vec<(String, Span)>,
    pub span: Span,
}

/// How a numeric `BY` is cut into groups.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// `SPLIT AT MEDIAN`
    Median(Span),
    /// `SPLIT AT 12.5`
    At(String, Span),
    /// `QUANTILES 3`
    Quantiles(String, Span),
}

/// An `IMPORT` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub kind: ImportKind,
    /// The table to create or replace: `IMPORT TABLE t …`, or `AS t` for the other kinds.
    pub table: Option<Ident>,
    pub path: StringLit,
    /// Options in the order written: `SUBJECT COLUMN '…'`, `LEVEL MULTI`, `ORIENTATION '…'`, …
    pub options: Vec<ImportOption>,
    pub span: Span,
}

/// Which importer an `IMPORT` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Clinical,
    Table,
    Expression,
    Geo,
    Aliases,
    Radiomics,
    Aim,
    Dicom,
    Series,
}

impl ImportKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ImportKind::Clinical => "CLINICAL",
            ImportKind::Table => "TABLE",
            ImportKind::Expression => "EXPRESSION",
            ImportKind::Geo => "GEO",
            ImportKind::Aliases => "ALIASES",
            ImportKind::Radiomics => "RADIOMICS",
            ImportKind::Aim => "AIM",
            ImportKind::Dicom => "DICOM",
            ImportKind::Series => "SERIES",
        }
    }
}

/// One option of an `IMPORT`.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOption {
    /// A flag: `LEVEL MULTI`, `SKIP BAD`, `ALLOW MIXED SETTINGS`.
    Flag(ImportFlag, Span),
    /// `KEYWORDS 'value'`: `SUBJECT COLUMN`, `SUBJECT FIELD`, `ORIENTATION`, `PLATFORM`, `UNIT`,
    /// `DUPLICATES`, `ANNOTATION`, `SYMBOL COLUMN`, `SUBJECT PATTERN`, `TEMPLATE`.
    Value(ImportKey, StringLit),
}

/// The keywords of an import flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFlag {
    LevelMulti,
    SkipBad,
    AllowMixedSettings,
}

impl ImportFlag {
    /// Every flag with its keywords.
    pub const ALL: [(ImportFlag, &'static [&'static str]); 3] = [
        (ImportFlag::LevelMulti, &["LEVEL", "MULTI"]),
        (ImportFlag::SkipBad, &["SKIP", "BAD"]),
        (
            ImportFlag::AllowMixedSettings,
            &["ALLOW", "MIXED", "SETTINGS"],
        ),
    ];

    pub fn keywords(self) -> &'static [&'static str] {
        ImportFlag::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or(&[], |(_, w)| w)
    }
}

/// The keyword(s) of a valued import option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKey {
    SubjectColumn,
    SubjectField,
    Orientation,
    Platform,
    Unit,
    Duplicates,
    Annotation,
    SymbolColumn,
    SubjectPattern,
    Template,
}

impl ImportKey {
    /// Every key with its keywords.
    pub const ALL: [(ImportKey, &'static [&'static str]); 10] = [
        (ImportKey::SubjectColumn, &["SUBJECT", "COLUMN"]),
        (ImportKey::SubjectField, &["SUBJECT", "FIELD"]),
        (ImportKey::Orientation, &["ORIENTATION"]),
        (ImportKey::Platform, &["PLATFORM"]),
        (ImportKey::Unit, &["UNIT"]),
        (ImportKey::Duplicates, &["DUPLICATES"]),
        (ImportKey::Annotation, &["ANNOTATION"]),
        (ImportKey::SymbolColumn, &["SYMBOL", "COLUMN"]),
        (ImportKey::SubjectPattern, &["SUBJECT", "PATTERN"]),
        (ImportKey::Template, &["TEMPLATE"]),
    ];

    pub fn keywords(self) -> &'static [&'static str] {
        ImportKey::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or(&[], |(_, w)| w)
    }
}

impl Import {
    /// The value of option `key`, if given.
    pub fn option(&self, key: ImportKey) -> Option<&StringLit> {
        self.options.iter().find_map(|o| match o {
            ImportOption::Value(k, v) if *k == key => Some(v),
            _ => None,
        })
    }

    /// Whether a flag was given.
    pub fn flag(&self, flag: ImportFlag) -> bool {
        self.options
            .iter()
            .any(|o| matches!(o, ImportOption::Flag(f, _) if *f == flag))
    }

    /// Whether `LEVEL MULTI` was given.
    pub fn multi(&self) -> bool {
        self.flag(ImportFlag::LevelMulti)
    }
}

/// What a `SHOW` statement lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Show {
    Tables {
        span: Span,
    },
    Cohorts {
        span: Span,
    },
    History {
        span: Span,
    },
    /// `SHOW COHORT name`: its definition, version, and how its members changed since.
    Cohort {
        name: Ident,
        span: Span,
    },
    Columns {
        table: Ident,
        like: Option<StringLit>,
        span: Span,
    },
}

/// An `EXPORT` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub source: ExportSource,
    pub path: StringLit,
    pub format: Option<Ident>,
    /// `LONG`: one row per (subject, variable) instead of one column per variable.
    pub long: Option<Span>,
    /// `PARTITION BY c, …`: a hive-partitioned directory, one folder per value.
    pub partition_by: Vec<Ident>,
    /// `COMPRESSION codec [level]` (Parquet).
    pub compression: Option<Compression>,
    pub overwrite: bool,
    pub span: Span,
}

/// `COMPRESSION zstd 9`, `COMPRESSION snappy`, `COMPRESSION none`.
#[derive(Debug, Clone, PartialEq)]
pub struct Compression {
    pub codec: Ident,
    pub level: Option<(String, Span)>,
}

/// What is exported.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportSource {
    Query(Box<Select>),
    Cohort(Ident),
}

/// A string literal and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
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

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `col`, `table.col`, `table."HLA-A"`.
    Column {
        table: Option<Ident>,
        column: Ident,
    },
    Literal(Literal, Span),
    /// `$1` or `$name`.
    Param(String, Span),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
        span: Span,
    },
    Binary {
        left: Box<Expr>,
        op: BinaryOp,
        right: Box<Expr>,
        span: Span,
    },
    /// `expr IS [NOT] NULL`
    IsNull {
        expr: Box<Expr>,
        negated: bool,
        span: Span,
    },
    /// `expr [NOT] IN (a, b, …)`
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        span: Span,
    },
    /// `expr [NOT] BETWEEN low AND high`
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
        span: Span,
    },
    /// `expr [NOT] LIKE|ILIKE pattern`
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
        span: Span,
    },
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
        span: Span,
    },
    /// `CAST(expr AS type)`
    Cast {
        expr: Box<Expr>,
        ty: TypeName,
        span: Span,
    },
    /// `name(args)`, `count(*)`, `count(DISTINCT x)`.
    Function {
        name: Ident,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
        span: Span,
    },
    /// `function OVER ([PARTITION BY e, …] [ORDER BY e, …])`: a window function (`rank()`,
    /// `avg(x)`, `lag(x)`) over the rows of the result; `function` is an `Expr::Function`.
    Window {
        function: Box<Expr>,
        partition_by: Vec<Expr>,
        order_by: Vec<OrderItem>,
        span: Span,
    },
    /// `expr [NOT] IN (SELECT …)`
    InSubquery {
        expr: Box<Expr>,
        query: Box<Select>,
        negated: bool,
        span: Span,
    },
    /// `(SELECT …)` as a value: one column, at most one row.
    Subquery {
        query: Box<Select>,
        span: Span,
    },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// The number as written (`12`, `12.5`, `1e-3`).
    Number(String),
    String(String),
    Boolean(bool),
    Null,
    /// `DATE 'YYYY-MM-DD'`
    Date(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Minus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
}

/// The types `CAST` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeName {
    Integer,
    Float,
    Text,
    Boolean,
    Date,
}

impl BinaryOp {
    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 4,
            BinaryOp::Plus | BinaryOp::Minus => 5,
            BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo => 6,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
        }
    }
}

impl TypeName {
    pub fn keyword(self) -> &'static str {
        match self {
            TypeName::Integer => "INTEGER",
            TypeName::Float => "FLOAT",
            TypeName::Text => "TEXT",
            TypeName::Boolean => "BOOLEAN",
            TypeName::Date => "DATE",
        }
    }
}

impl Expr {
    /// The text range the expression covers.
    pub fn span(&self) -> Span {
        match self {
            Expr::Column { table, column } => match table {
                Some(t) => t.span.to(column.span),
                None => column.span,
            },
            Expr::Literal(_, span) | Expr::Param(_, span) => *span,
            Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::IsNull { span, .. }
            | Expr::InList { span, .. }
            | Expr::Between { span, .. }
            | Expr::Like { span, .. }
            | Expr::Case { span, .. }
            | Expr::Cast { span, .. }
            | Expr::Function { span, .. }
            | Expr::Window { span, .. }
            | Expr::InSubquery { span, .. }
            | Expr::Subquery { span, .. } => *span,
        }
    }
}

impl Statement {
    /// The `AS OF` of the query this statement reads through (a `SELECT`, the query of an
    /// `EXPORT` or `CREATE COHORT`, or what `EXPLAIN` explains).
    pub fn as_of(&self) -> Option<&AsOf> {
        match self {
            Statement::Select(s) => s.as_of.as_ref(),
            Statement::CreateCohort { query, .. } => query.as_of.as_ref(),
            Statement::Export(e) => match &e.source {
                ExportSource::Query(q) => q.as_of.as_ref(),
                ExportSource::Cohort(_) => None,
            },
            Statement::Explain { statement, .. } => statement.as_of(),
            _ => None,
        }
    }

    /// The text range of the statement.
    pub fn span(&self) -> Span {
        match self {
            Statement::Select(s) => s.span,
            Statement::CreateCohort { span, .. }
            | Statement::DropCohort { span, .. }
            | Statement::DropTable { span, .. }
            | Statement::Describe { span, .. }
            | Statement::Explain { span, .. } => *span,
            Statement::Show(show) => match show {
                Show::Tables { span }
                | Show::Cohorts { span }
                | Show::History { span }
                | Show::Cohort { span, .. }
                | Show::Columns { span, .. } => *span,
            },
            Statement::Export(e) => e.span,
            Statement::Import(i) => i.span,
            Statement::Survival(s) => s.span,
            Statement::Cox(c) => c.span,
            Statement::Correlate(c) => c.span,
            Statement::Plot(p) => p.span,
            Statement::RefreshCohort { span, .. }
            | Statement::Vacuum { span, .. }
            | Statement::Check { span } => *span,
        }
    }
}
