//! Errors of the resolve stage: names that the catalog does not hold, fan-out, types.

use thiserror::Error;

use crate::storage::suggest;
use crate::syntax::Span;

/// Why a parsed statement cannot be bound to the catalog. Each variant's doc shows a
/// statement that triggers it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResolveError {
    /// `SELECT count(*) FROM clinicl`
    #[error("unknown table or cohort `{name}`{}", suggest(candidates))]
    UnknownTable {
        name: String,
        candidates: Vec<String>,
        span: Span,
    },
    /// `SELECT egfr_mutation FROM subjects`
    #[error("unknown column `{name}`{}{}", table.as_ref().map(|t| format!(" in table `{t}`")).unwrap_or_default(), suggest(candidates))]
    UnknownColumn {
        name: String,
        table: Option<String>,
        candidates: Vec<String>,
        span: Span,
    },
    /// `SELECT subject_label FROM subjects` when two tables have `subject_label`.
    #[error("column `{name}` is ambiguous: it is in {}; qualify it, e.g. `{}`", tables.join(", "), qualified_example(name, tables))]
    AmbiguousColumn {
        name: String,
        tables: Vec<String>,
        span: Span,
    },
    /// `SELECT series.slice_thickness FROM subjects`: a table with several rows per subject
    /// used without an aggregate.
    #[error(
        "`{table}` has several rows per subject, so `{table}.{column}` has several values for one subject; aggregate it, e.g. `max({table}.{column})` or `count({table})`, or query `FROM {table}`"
    )]
    FanOut {
        table: String,
        column: String,
        span: Span,
    },
    /// `SELECT medain(os_days) FROM subjects`
    #[error("unknown function `{name}`{}", suggest(candidates))]
    UnknownFunction {
        name: String,
        candidates: Vec<String>,
        span: Span,
    },
    /// `SELECT abs(1, 2) FROM subjects`
    #[error("`{function}` takes {expected}, not {found}")]
    ArgumentCount {
        function: String,
        expected: String,
        found: usize,
        span: Span,
    },
    /// `WHERE gender > 5`, `WHERE NOT age_at_histological_diagnosis`
    #[error("type mismatch: {message}")]
    TypeMismatch { message: String, span: Span },
    /// `SELECT gender, age_at_histological_diagnosis, count(*) FROM subjects GROUP BY gender`
    #[error(
        "`{column}` must appear in GROUP BY or be used in an aggregate such as `avg({column})`"
    )]
    NotGrouped { column: String, span: Span },
    /// `WHERE count(*) > 5`
    #[error("aggregates are not allowed in {clause}; use HAVING for conditions on aggregates")]
    AggregateNotAllowed { clause: String, span: Span },
    /// `SELECT avg(count(*)) FROM subjects`
    #[error("aggregates cannot be nested")]
    NestedAggregate { span: Span },
    /// `SELECT max(series.kvp + clinical.age) FROM subjects`
    #[error(
        "an aggregate over `{table}` (several rows per subject) cannot also use columns of other tables"
    )]
    MixedAggregate { table: String, span: Span },
    /// `SELECT radiomic.wavelet_* FROM subjects` when no column matches.
    #[error("no column of `{table}` matches `{pattern}`")]
    NoMatchingColumns {
        table: String,
        pattern: String,
        span: Span,
    },
    /// `CREATE COHORT x AS SELECT gender FROM subjects`
    #[error(
        "a cohort is a set of subjects: its query must select `subject_id` and nothing else, e.g. `CREATE COHORT name AS SELECT subject_id FROM subjects WHERE …`"
    )]
    CohortNeedsSubjectId { span: Span },
    /// `CREATE COHORT clinical AS …`, `CREATE COHORT x AS …` when `x` exists.
    #[error("`{name}` already names a {kind}; {hint}")]
    NameTaken {
        name: String,
        kind: String,
        hint: String,
        span: Span,
    },
    /// `DROP COHORT nope`
    #[error("unknown cohort `{name}`{}", suggest(candidates))]
    UnknownCohort {
        name: String,
        candidates: Vec<String>,
        span: Span,
    },
    /// `LIMIT -1`, `LIMIT 'ten'`
    #[error("LIMIT and OFFSET take a non-negative integer")]
    InvalidLimit { span: Span },
    /// `ORDER BY 9` with three select items.
    #[error("ORDER BY / GROUP BY position {position} is not in the select list (1 to {items})")]
    BadPosition {
        position: i64,
        items: usize,
        span: Span,
    },
    /// `DATE '1994-13-45'`
    #[error("invalid date literal '{text}': write DATE 'YYYY-MM-DD'")]
    InvalidDate { text: String, span: Span },
    /// `EXPORT (…) TO 'x.xlsx'`
    #[error(
        "cannot export to `{format}`: use .parquet, .csv, .tsv, .arrow or .jsonl, or FORMAT parquet|csv|tsv|arrow|jsonl"
    )]
    UnsupportedExportFormat { format: String, span: Span },
    /// `percentile(os_days, 1.5)`
    #[error("{message}")]
    InvalidArgument { message: String, span: Span },
    /// `SELECT age` or `SELECT *` with no FROM.
    #[error(
        "`{name}` reads a table, and this SELECT has no FROM: add `FROM subjects` (every subject), a table or a cohort"
    )]
    NeedsFrom { name: String, span: Span },
    /// `SELECT clinical.gender FROM 'measures.csv'` when the file has no `subject_id` column.
    #[error(
        "`{table}` joins by subject, and `{relation}` has no `subject_id` column to join on: select one (`… AS subject_id`) or read only `{relation}`'s own columns"
    )]
    NoSubjectColumn {
        table: String,
        relation: String,
        span: Span,
    },
    /// `FROM 'missing.parquet'`, `FROM 'notes.txt'`
    #[error("cannot read `{path}`: {message}")]
    UnreadableFile {
        path: String,
        message: String,
        span: Span,
    },
    /// `WHERE subject_id IN (SELECT subject_id, gender FROM subjects)`
    #[error("{what} must return one column, not {columns}")]
    SubqueryColumns {
        what: &'static str,
        columns: usize,
        span: Span,
    },
    /// `AS OF VERSION 99` past the head.
    #[error(
        "version {version} does not exist; the database is at version {latest} (SHOW HISTORY lists them)"
    )]
    UnknownVersion {
        version: u64,
        latest: u64,
        span: Span,
    },
    /// `AS OF VERSION 2` after `VACUUM` compacted it.
    #[error(
        "version {version} was compacted by VACUUM; the oldest version that can be read is {oldest}"
    )]
    CompactedVersion {
        version: u64,
        oldest: u64,
        span: Span,
    },
    /// The catalog could not be read.
    #[error(transparent)]
    Catalog(#[from] crate::storage::StorageError),
    /// A broken invariant inside the resolver.
    #[error("internal resolve error (this is a bug in rgdb, please report it): {0}")]
    Internal(String),
}

fn qualified_example(name: &str, tables: &[String]) -> String {
    tables
        .first()
        .map_or_else(|| name.to_string(), |t| format!("{t}.{name}"))
}

impl ResolveError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            ResolveError::UnknownTable { .. } => "E0201",
            ResolveError::UnknownColumn { .. } => "E0202",
            ResolveError::AmbiguousColumn { .. } => "E0203",
            ResolveError::FanOut { .. } => "E0204",
            ResolveError::UnknownFunction { .. } => "E0205",
            ResolveError::ArgumentCount { .. } => "E0206",
            ResolveError::TypeMismatch { .. } => "E0207",
            ResolveError::NotGrouped { .. } => "E0208",
            ResolveError::AggregateNotAllowed { .. } => "E0209",
            ResolveError::NestedAggregate { .. } => "E0210",
            ResolveError::MixedAggregate { .. } => "E0211",
            ResolveError::NoMatchingColumns { .. } => "E0212",
            ResolveError::CohortNeedsSubjectId { .. } => "E0213",
            ResolveError::NameTaken { .. } => "E0214",
            ResolveError::UnknownCohort { .. } => "E0215",
            ResolveError::InvalidLimit { .. } => "E0216",
            ResolveError::BadPosition { .. } => "E0217",
            ResolveError::InvalidDate { .. } => "E0218",
            ResolveError::UnsupportedExportFormat { .. } => "E0219",
            ResolveError::UnknownVersion { .. } => "E0221",
            ResolveError::CompactedVersion { .. } => "E0222",
            ResolveError::InvalidArgument { .. } => "E0220",
            ResolveError::NeedsFrom { .. } => "E0223",
            ResolveError::NoSubjectColumn { .. } => "E0224",
            ResolveError::UnreadableFile { .. } => "E0225",
            ResolveError::SubqueryColumns { .. } => "E0226",
            ResolveError::Catalog(e) => e.code(),
            ResolveError::Internal(_) => "E0299",
        }
    }

    /// The text range to underline, when there is one.
    pub fn span(&self) -> Option<Span> {
        match self {
            ResolveError::UnknownTable { span, .. }
            | ResolveError::UnknownColumn { span, .. }
            | ResolveError::AmbiguousColumn { span, .. }
            | ResolveError::FanOut { span, .. }
            | ResolveError::UnknownFunction { span, .. }
            | ResolveError::ArgumentCount { span, .. }
            | ResolveError::TypeMismatch { span, .. }
            | ResolveError::NotGrouped { span, .. }
            | ResolveError::AggregateNotAllowed { span, .. }
            | ResolveError::NestedAggregate { span }
            | ResolveError::MixedAggregate { span, .. }
            | ResolveError::NoMatchingColumns { span, .. }
            | ResolveError::CohortNeedsSubjectId { span }
            | ResolveError::NameTaken { span, .. }
            | ResolveError::UnknownCohort { span, .. }
            | ResolveError::InvalidLimit { span }
            | ResolveError::BadPosition { span, .. }
            | ResolveError::InvalidDate { span, .. }
            | ResolveError::UnsupportedExportFormat { span, .. }
            | ResolveError::UnknownVersion { span, .. }
            | ResolveError::CompactedVersion { span, .. }
            | ResolveError::InvalidArgument { span, .. }
            | ResolveError::NeedsFrom { span, .. }
            | ResolveError::NoSubjectColumn { span, .. }
            | ResolveError::UnreadableFile { span, .. }
            | ResolveError::SubqueryColumns { span, .. } => Some(*span),
            ResolveError::Catalog(_) | ResolveError::Internal(_) => None,
        }
    }
}
