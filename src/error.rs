//! The crate's error: one variant per stage, each shown with its stage and a stable code.

use datafusion::error::DataFusionError;
use thiserror::Error;

use crate::ingest::IngestError;
use crate::storage::StorageError;

/// Any error rgdb returns.
#[derive(Debug, Error)]
pub enum Error {
    /// A source file was refused by an importer.
    #[error("import error {code}: {0}", code = .0.code())]
    Ingest(#[from] IngestError),
    /// The store refused an operation or found damage.
    #[error("storage error {code}: {0}", code = .0.code())]
    Storage(#[from] StorageError),
    /// DataFusion failed while planning or running a query.
    #[error("execution error E0301: {0}")]
    Execution(Box<DataFusionError>),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Ingest(e) => e.code(),
            Error::Storage(e) => e.code(),
            Error::Execution(_) => "E0301",
        }
    }
}

impl From<DataFusionError> for Error {
    /// A storage error raised inside a scan (a corrupt chunk, say) surfaces as itself, not as
    /// a generic execution error.
    fn from(e: DataFusionError) -> Self {
        match e.find_root() {
            DataFusionError::External(inner) => match inner.downcast_ref::<StorageError>() {
                Some(storage) => Error::Storage(storage.clone()),
                None => Error::Execution(Box::new(e)),
            },
            _ => Error::Execution(Box::new(e)),
        }
    }
}

impl StorageError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Locked { .. } => "E0501",
            StorageError::UnknownFormat { .. } => "E0502",
            StorageError::NotADatabase { .. } => "E0503",
            StorageError::AlreadyExists { .. } => "E0504",
            StorageError::UnknownTable { .. } => "E0505",
            StorageError::UnknownColumn { .. } => "E0506",
            StorageError::UnknownVersion { .. } => "E0507",
            StorageError::Corrupt { .. } => "E0508",
            StorageError::CorruptCatalog { .. } => "E0509",
            StorageError::InvalidTableName { .. } => "E0510",
            StorageError::ReservedTableName { .. } => "E0511",
            StorageError::Backend(_) => "E0512",
            StorageError::Internal(_) => "E0599",
        }
    }
}
