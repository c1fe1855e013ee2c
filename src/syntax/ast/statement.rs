//! The statements: one type per kind of statement, with its clauses and options.

use super::{AsOf, Expr, Ident, Select, SelectItem, Span, StringLit};

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
    /// `IMPORT RADIOMICS FROM IMAGES 'batch.csv'`: features computed from images and masks.
    RadiomicsImages,
    /// `IMPORT RADIOMICS FROM DICOM 'dir'`: features of every SEG segment over its CT series.
    RadiomicsDicom,
    Aim,
    Dicom,
    Series,
}

impl ImportKind {
    /// The source keyword after `FROM` (`IMAGES`, `DICOM`), for the kinds that have one.
    pub fn source_keyword(self) -> Option<&'static str> {
        match self {
            ImportKind::RadiomicsImages => Some("IMAGES"),
            ImportKind::RadiomicsDicom => Some("DICOM"),
            _ => None,
        }
    }

    pub fn keyword(self) -> &'static str {
        match self {
            ImportKind::Clinical => "CLINICAL",
            ImportKind::Table => "TABLE",
            ImportKind::Expression => "EXPRESSION",
            ImportKind::Geo => "GEO",
            ImportKind::Aliases => "ALIASES",
            ImportKind::Radiomics => "RADIOMICS",
            ImportKind::RadiomicsImages => "RADIOMICS FROM IMAGES",
            ImportKind::RadiomicsDicom => "RADIOMICS FROM DICOM",
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
    /// `DUPLICATES`, `ANNOTATION`, `SYMBOL COLUMN`, `SUBJECT PATTERN`, `TEMPLATE`, `PARAMS`.
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
    Params,
}

impl ImportKey {
    /// Every key with its keywords.
    pub const ALL: [(ImportKey, &'static [&'static str]); 11] = [
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
        (ImportKey::Params, &["PARAMS"]),
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
