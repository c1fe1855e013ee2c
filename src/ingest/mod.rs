//! ingest: source files (CSV, AIM XML/JSON, GEO, PyRadiomics, DICOM) -> columns keyed by subject.
//!
//! Every importer reads and checks its whole input before it writes anything, then writes one
//! table generation per table in a single storage transaction: a refused file leaves the
//! database exactly as it was.

pub mod aim;
mod aliases;
mod clinical;
mod delimited;
pub mod dicom;
mod error;
mod expression;
mod geo;
mod guard;
mod infer;
mod names;
mod pipeline;
mod pylit;
mod radiomics;
mod request;
mod source;
mod stream;
mod subjects;
mod summary;
mod table;
mod walk;

pub use aim::{AimImport, MAX_AIM_FILE_BYTES, PersonField, Template, import_aim};
pub use aliases::import_aliases;
pub use clinical::{ClinicalImport, SUBJECT_LABELS, import_clinical};
pub use delimited::{Row, Sheet, sniff_delimiter};
pub use dicom::{DicomImport, import_dicom, import_series_manifest};
pub use error::IngestError;
pub use expression::{
    DuplicatePolicy, ExpressionImport, Orientation, SUBJECT_MAJOR_CHUNK, import_expression,
};
pub use geo::{GeoImport, import_geo};
pub use infer::{
    DEFAULT_NULL_TOKENS, NullTokens, TypedColumn, infer, parse_bool, parse_date, parse_float,
};
pub use names::{UniqueNames, snake_case};
pub use pylit::parse as parse_python_literal;
pub use radiomics::{
    DEFAULT_SUBJECT_PATTERN, NativeImport, RadiomicsImport, import_images, import_radiomics,
};
pub use request::{ImportRequest, run};
pub use source::{SourceText, decode_utf8, sha256_hex};
pub use subjects::MAX_SUBJECT_ID_BYTES;
pub use summary::{ColumnSummary, ImportSummary};
pub use table::{TableImport, import_table};
