//! Errors of the exec stage: its own, and the failures of the stages below it that a
//! statement meets while it runs (storage, planning, an import, DataFusion), carried as they
//! are so that the crate's `Error` shows each with its own code.

use std::sync::Arc;

use datafusion::error::DataFusionError;
use thiserror::Error;

use crate::ingest::IngestError;
use crate::plan::PlanError;
use crate::storage::StorageError;

/// A DataFusion failure, as it was raised.
#[derive(Debug, Clone)]
pub struct Failure(pub Arc<DataFusionError>);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a statement could not be carried out.
#[derive(Debug, Error)]
pub enum ExecError {
    /// The store refused an operation or found damage (E05xx).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The planner failed (E0302).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// An import refused its source file (E04xx).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// DataFusion failed while running a query (E0301).
    #[error("{0}")]
    Execution(Failure),
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
    /// (`exec::cox::MAX_LEVELS`); refused before the design matrix is built.
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
            ExecError::Storage(e) => e.code(),
            ExecError::Plan(e) => e.code(),
            ExecError::Ingest(e) => e.code(),
            ExecError::Execution(_) => "E0301",
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

impl ExecError {
    /// The same error again, for the errors a statistics operator raises inside DataFusion
    /// (which holds them behind a shared reference); `None` for the others.
    fn again(&self) -> Option<ExecError> {
        Some(match self {
            ExecError::Storage(e) => ExecError::Storage(e.clone()),
            ExecError::Execution(f) => ExecError::Execution(f.clone()),
            ExecError::Statistics { message } => ExecError::Statistics {
                message: message.clone(),
            },
            ExecError::TooManyGroups { by, groups, limit } => ExecError::TooManyGroups {
                by: by.clone(),
                groups: *groups,
                limit: *limit,
            },
            ExecError::TooManyLevels {
                term,
                levels,
                limit,
            } => ExecError::TooManyLevels {
                term: term.clone(),
                levels: *levels,
                limit: *limit,
            },
            ExecError::Cancelled => ExecError::Cancelled,
            ExecError::NotAQuery => ExecError::NotAQuery,
            ExecError::DivisionByZero => ExecError::DivisionByZero,
            ExecError::MemoryLimit { detail } => ExecError::MemoryLimit {
                detail: detail.clone(),
            },
            _ => return None,
        })
    }
}

impl From<DataFusionError> for ExecError {
    /// What a DataFusion failure means here: an integer division by zero, a query over the
    /// memory limit, or a storage error raised inside a scan (a corrupt chunk, say) surface as
    /// themselves; anything else is a DataFusion failure.
    fn from(e: DataFusionError) -> Self {
        match e.find_root() {
            DataFusionError::ArrowError(inner, _)
                if matches!(**inner, datafusion::arrow::error::ArrowError::DivideByZero) =>
            {
                ExecError::DivisionByZero
            }
            DataFusionError::ResourcesExhausted(detail) => ExecError::MemoryLimit {
                detail: detail
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .split(" with top memory consumers")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            },
            DataFusionError::External(inner) => {
                if let Some(storage) = inner.downcast_ref::<StorageError>() {
                    return ExecError::Storage(storage.clone());
                }
                match inner
                    .downcast_ref::<super::Carried>()
                    .and_then(|c| c.0.again())
                {
                    Some(carried) => carried,
                    None => ExecError::Execution(Failure(Arc::new(e))),
                }
            }
            _ => ExecError::Execution(Failure(Arc::new(e))),
        }
    }
}

impl From<datafusion::arrow::error::ArrowError> for ExecError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        DataFusionError::from(e).into()
    }
}
