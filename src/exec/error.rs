//! Errors of the exec stage.

use thiserror::Error;

/// Why a planned statement could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExecError {
    /// `SELECT … WHERE age > $1` run without a value for `$1`.
    #[error("no value was given for parameter {name}; pass it with the query's parameters")]
    MissingParameter { name: String },
    /// `EXPORT … TO 'x.parquet'` when `x.parquet` exists.
    #[error("{path} already exists; add OVERWRITE to replace it")]
    ExportExists { path: String },
    /// `SELECT 1 % 0 FROM subjects`: an integer `%` (or an integer division inside a cast) by
    /// zero. (`/` divides as floats, giving `inf` or `NaN` rather than an error.)
    #[error("division by zero")]
    DivisionByZero,
    /// `.plan IMPORT …`, `EXPLAIN DROP COHORT x`, or `query_stream` of a statement that changes
    /// the database: only statements that read have a plan to show or rows to stream.
    #[error(
        "only statements that read (SELECT, SHOW, DESCRIBE) have a plan and rows; this one changes the database"
    )]
    NotAQuery,
    /// A statistics statement over inputs it cannot use.
    #[error("{message}")]
    Statistics { message: String },
    /// `SURVIVAL OF subjects BY subject_id`: more groups than `SURVIVAL` compares
    /// (`exec::survival::MAX_GROUPS`); refused before anything is fitted.
    #[error(
        "SURVIVAL BY `{by}` makes {groups} groups, and it compares at most {limit}; cut a number with SPLIT AT MEDIAN or QUANTILES k, or group the values with CASE"
    )]
    TooManyGroups {
        by: String,
        groups: usize,
        limit: usize,
    },
    /// `COX OF subjects ON subject_id`: a text term with more levels than `COX` dummy-codes
    /// (`exec::survival::MAX_LEVELS`); refused before the design matrix is built.
    #[error(
        "the text term `{term}` has {levels} levels, and COX codes at most {limit} (one coefficient each); group the rare levels with CASE, or use a number"
    )]
    TooManyLevels {
        term: String,
        levels: usize,
        limit: usize,
    },
    /// Ctrl-C in the REPL while a query ran.
    #[error("query cancelled")]
    Cancelled,
    /// A query needed more memory than `Config::memory_limit` (`--memory-limit`) allows, even
    /// after spilling what DataFusion can spill.
    #[error(
        "the query needs more memory than the limit allows ({detail}); raise the limit (--memory-limit), select fewer columns, or filter first"
    )]
    MemoryLimit { detail: String },
    /// A reading statement ran longer than `Config::statement_timeout` (`--timeout`).
    #[error("the statement ran longer than the time limit of {millis} ms and was stopped")]
    Timeout { millis: u64 },
    /// `EXPORT … OVERWRITE` (or `PLOT … OVERWRITE`) onto something that is neither a regular
    /// file nor a partitioned export's directory: `TO '/dev/full'`, a FIFO, a home folder.
    #[error(
        "refusing to overwrite {path}: it is {what}; OVERWRITE replaces only a regular file or the directory of a partitioned export"
    )]
    NotReplaceable { path: String, what: String },
    /// The export could not be written (nothing is left at the path).
    #[error("cannot write {path}: {message}")]
    ExportFailed { path: String, message: String },
}

impl ExecError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            ExecError::MissingParameter { .. } => "E0303",
            ExecError::ExportExists { .. } => "E0304",
            ExecError::ExportFailed { .. } => "E0305",
            ExecError::DivisionByZero => "E0306",
            ExecError::Cancelled => "E0307",
            ExecError::NotAQuery => "E0308",
            ExecError::Statistics { .. } => "E0309",
            ExecError::MemoryLimit { .. } => "E0310",
            ExecError::Timeout { .. } => "E0311",
            ExecError::TooManyGroups { .. } => "E0313",
            ExecError::TooManyLevels { .. } => "E0314",
            ExecError::NotReplaceable { .. } => "E0316",
        }
    }
}
