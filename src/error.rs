//! The crate's error: one variant per stage, each shown with its stage and a stable code, and
//! rendered against the statement text with a caret under the offending span.

use datafusion::error::DataFusionError;
use thiserror::Error;

use crate::exec::ExecError;
use crate::ingest::IngestError;
use crate::plan::PlanError;
use crate::resolve::ResolveError;
use crate::storage::StorageError;
use crate::syntax::{ParseError, Span};

/// Any error rgdb returns.
#[derive(Debug, Error)]
pub enum Error {
    /// The statement text does not parse.
    #[error("syntax error {code}: {0}", code = .0.code())]
    Parse(#[from] ParseError),
    /// A name or type in the statement does not fit the catalog.
    #[error("error {code}: {0}", code = .0.code())]
    Resolve(#[from] ResolveError),
    /// The planner failed (a bug or a DataFusion limitation).
    #[error("plan error {code}: {0}", code = .0.code())]
    Plan(#[from] PlanError),
    /// A statement could not be carried out.
    #[error("error {code}: {0}", code = .0.code())]
    Exec(ExecError),
    /// `rgdb synth` could not write its cohort.
    #[error("error {code}: {0}", code = .0.code())]
    Synth(#[from] crate::synth::SynthError),
    /// A source file was refused by an importer.
    #[error("import error {code}: {0}", code = .0.code())]
    Ingest(IngestError),
    /// The store refused an operation or found damage.
    #[error("storage error {code}: {0}", code = .0.code())]
    Storage(#[from] StorageError),
    /// DataFusion failed while running a query.
    #[error("execution error E0301: {0}")]
    Execution(Box<DataFusionError>),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Parse(e) => e.code(),
            Error::Resolve(e) => e.code(),
            Error::Plan(e) => e.code(),
            Error::Exec(e) => e.code(),
            Error::Ingest(e) => e.code(),
            Error::Storage(e) => e.code(),
            Error::Synth(e) => e.code(),
            Error::Execution(_) => "E0301",
        }
    }

    /// The message without the stage prefix.
    pub fn message(&self) -> String {
        match self {
            Error::Parse(e) => e.to_string(),
            Error::Resolve(e) => e.to_string(),
            Error::Plan(e) => e.to_string(),
            Error::Exec(e) => e.to_string(),
            Error::Ingest(e) => e.to_string(),
            Error::Storage(e) => e.to_string(),
            Error::Synth(e) => e.to_string(),
            Error::Execution(e) => e.to_string(),
        }
    }

    /// The part of the statement text the error is about, when there is one.
    pub fn span(&self) -> Option<Span> {
        match self {
            Error::Parse(e) => Some(e.span()),
            Error::Resolve(e) => e.span(),
            _ => None,
        }
    }

    /// The error as a user sees it: code, message, and (when the error has a span in
    /// `source`) the line of the statement with a caret under the span.
    pub fn render(&self, source: &str) -> String {
        crate::diagnostic::render(self.code(), &self.message(), source, self.span())
    }

    /// As [`Error::render`], for a statement read from a script file: `--> file:line:column`.
    pub fn render_in(&self, source: &str, origin: crate::diagnostic::Origin<'_>) -> String {
        crate::diagnostic::render_in(
            self.code(),
            &self.message(),
            source,
            self.span(),
            Some(origin),
        )
    }
}

impl From<IngestError> for Error {
    /// A storage failure during an import is the storage error it is (E05xx), as it was before
    /// ingest had its own error type.
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Storage(s) => Error::Storage(s),
            other => Error::Ingest(other),
        }
    }
}

impl From<DataFusionError> for Error {
    /// As exec reads it (`ExecError::from`): a storage error raised inside a scan surfaces as
    /// itself, a division by zero or the memory limit as their own errors.
    fn from(e: DataFusionError) -> Self {
        Error::from(ExecError::from(e))
    }
}

impl From<ExecError> for Error {
    /// A failure of a stage below exec that a statement met while it ran is that stage's
    /// error, with its own code, as it was before exec had an error type of its own.
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Storage(s) => Error::Storage(s),
            ExecError::Plan(p) => Error::Plan(p),
            ExecError::Ingest(i) => Error::from(i),
            ExecError::Execution(crate::exec::Failure(shared)) => Error::Execution(Box::new(
                std::sync::Arc::try_unwrap(shared).unwrap_or_else(DataFusionError::Shared),
            )),
            other => Error::Exec(other),
        }
    }
}
