//! Errors of the plan stage.

use thiserror::Error;

/// Why a bound statement could not be turned into a DataFusion plan. These signal a bug or a
/// DataFusion limitation, not a user mistake: users' mistakes are caught by `resolve`.
#[derive(Debug, Error)]
pub enum PlanError {
    /// DataFusion refused a plan rgdb built.
    #[error("building the query plan failed: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// The catalog could not be read while planning.
    #[error(transparent)]
    Catalog(#[from] crate::storage::StorageError),
}

impl PlanError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::DataFusion(_) => "E0302",
            PlanError::Catalog(e) => e.code(),
        }
    }
}
