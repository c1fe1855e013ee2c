//! The error of `rgdb synth`: its own, so the generator depends on no stage above it.

use thiserror::Error;

/// Why `rgdb synth` could not write its cohort.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SynthError {
    /// `rgdb synth --subjects 0`, `--features 3000`, `--rnaseq-fraction 1.5`, an `--out` that
    /// names a file, a write that fails.
    #[error("rgdb synth: {message}")]
    Failed { message: String },
}

impl SynthError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            SynthError::Failed { .. } => "E0312",
        }
    }
}

/// What the generator's functions return.
pub type Result<T, E = SynthError> = std::result::Result<T, E>;
