//! One description of an import, shared by the `IMPORT` statement, the `import` subcommand and
//! the library, and the one function that carries it out.

use crate::ingest::IngestError;
use std::path::{Path, PathBuf};

use super::aim::{AimImport, PersonField, import_aim};
use super::aliases::import_aliases;
use super::clinical::{ClinicalImport, import_clinical};
use super::dicom::{DicomImport, import_dicom, import_series_manifest};
use super::expression::{ExpressionImport, Orientation, import_expression};
use super::geo::{GeoImport, import_geo};
use super::radiomics::{NativeImport, RadiomicsImport, import_images, import_radiomics};
use super::summary::ImportSummary;
use super::table::{TableImport, import_table};
use crate::storage::Store;

/// What to import, from where.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportRequest {
    /// A TCIA-style clinical CSV.
    Clinical {
        path: PathBuf,
        options: ClinicalImport,
    },
    /// Any CSV or TSV keyed by a subject column.
    Table { path: PathBuf, options: TableImport },
    /// An expression matrix, in either orientation, plain or gzip.
    Expression {
        path: PathBuf,
        options: ExpressionImport,
    },
    /// A GEO series matrix.
    Geo { path: PathBuf, options: GeoImport },
    /// Alias names of registered subjects.
    Aliases { path: PathBuf },
    /// PyRadiomics batch output.
    Radiomics {
        path: PathBuf,
        options: RadiomicsImport,
    },
    /// Features computed from images and masks (a PyRadiomics batch CSV).
    RadiomicsImages {
        path: PathBuf,
        options: NativeImport,
    },
    /// Features of every DICOM SEG segment under a folder, over its CT series.
    RadiomicsDicom {
        path: PathBuf,
        options: NativeImport,
    },
    /// AIM annotations: a file or a directory.
    Aim { path: PathBuf, options: AimImport },
    /// A directory of DICOM files, indexed by their headers.
    Dicom { path: PathBuf, options: DicomImport },
    /// The IDC series manifest.
    Series { path: PathBuf },
}

impl ImportRequest {
    /// The file being imported.
    pub fn path(&self) -> &PathBuf {
        match self {
            ImportRequest::Clinical { path, .. }
            | ImportRequest::Table { path, .. }
            | ImportRequest::Expression { path, .. }
            | ImportRequest::Geo { path, .. }
            | ImportRequest::Aliases { path }
            | ImportRequest::Radiomics { path, .. }
            | ImportRequest::RadiomicsImages { path, .. }
            | ImportRequest::RadiomicsDicom { path, .. }
            | ImportRequest::Aim { path, .. }
            | ImportRequest::Dicom { path, .. }
            | ImportRequest::Series { path } => path,
        }
    }

    /// The command that records this import in the history when no statement is given.
    pub fn describe(&self) -> String {
        match self {
            ImportRequest::Clinical { path, options } => {
                format!(
                    "IMPORT CLINICAL FROM '{}' AS {}",
                    path.display(),
                    options.table
                )
            }
            ImportRequest::Table { path, options } => format!(
                "IMPORT TABLE {} FROM '{}' SUBJECT COLUMN '{}'{}",
                options.table,
                path.display(),
                options.subject_column,
                if options.level == crate::storage::Level::Multi {
                    " LEVEL MULTI"
                } else {
                    ""
                }
            ),
            ImportRequest::Expression { path, options } => describe_expression(path, options),
            ImportRequest::Geo { path, options } => describe_geo(path, options),
            ImportRequest::Aliases { path } => format!("IMPORT ALIASES FROM '{}'", path.display()),
            ImportRequest::Radiomics { path, options } => describe_radiomics(path, options),
            ImportRequest::RadiomicsImages { path, options } => {
                describe_native("IMAGES", path, options)
            }
            ImportRequest::RadiomicsDicom { path, options } => {
                describe_native("DICOM", path, options)
            }
            ImportRequest::Aim { path, options } => describe_aim(path, options),
            ImportRequest::Dicom { path, options } => format!(
                "IMPORT DICOM FROM '{}'{}",
                path.display(),
                if options.skip_bad { " SKIP BAD" } else { "" }
            ),
            ImportRequest::Series { path } => format!("IMPORT SERIES FROM '{}'", path.display()),
        }
    }
}

/// The `IMPORT EXPRESSION` statement of an expression import.
fn describe_expression(path: &Path, options: &ExpressionImport) -> String {
    let mut text = format!("IMPORT EXPRESSION FROM '{}'", path.display());
    match options.orientation {
        Orientation::Auto => {}
        Orientation::GenesBySubjects => text += " ORIENTATION 'genes-by-subjects'",
        Orientation::SubjectsByGenes => text += " ORIENTATION 'subjects-by-genes'",
    }
    if let Some(p) = &options.platform {
        text += &format!(" PLATFORM '{p}'");
    }
    if let Some(u) = &options.unit {
        text += &format!(" UNIT '{u}'");
    }
    text + &format!(" AS {}", options.table)
}

/// The `IMPORT GEO` statement of a GEO import.
fn describe_geo(path: &Path, options: &GeoImport) -> String {
    let mut text = format!("IMPORT GEO FROM '{}'", path.display());
    if let Some(f) = &options.subject_field {
        text += &format!(" SUBJECT FIELD '{f}'");
    }
    if let Some(a) = &options.annotation {
        text += &format!(" ANNOTATION '{}'", a.display());
    }
    text + &format!(" AS {}", options.table)
}

/// The `IMPORT RADIOMICS` statement of a PyRadiomics import.
fn describe_radiomics(path: &Path, options: &RadiomicsImport) -> String {
    let mut text = format!("IMPORT RADIOMICS FROM '{}'", path.display());
    if let Some(c) = &options.subject_column {
        text += &format!(" SUBJECT COLUMN '{c}'");
    }
    if let Some(p) = &options.subject_pattern {
        text += &format!(" SUBJECT PATTERN '{}'", p.replace('\'', "''"));
    }
    if options.allow_mixed_settings {
        text += " ALLOW MIXED SETTINGS";
    }
    text + &format!(" AS {}", options.table)
}

/// The `IMPORT RADIOMICS FROM IMAGES|DICOM` statement of a native extraction.
fn describe_native(source: &str, path: &Path, options: &NativeImport) -> String {
    let mut text = format!("IMPORT RADIOMICS FROM {source} '{}'", path.display());
    if let Some(p) = &options.params {
        text += &format!(" PARAMS '{}'", p.display());
    }
    if let Some(c) = &options.subject_column {
        text += &format!(" SUBJECT COLUMN '{c}'");
    }
    if let Some(p) = &options.subject_pattern {
        text += &format!(" SUBJECT PATTERN '{}'", p.replace('\'', "''"));
    }
    if options.allow_mixed_settings {
        text += " ALLOW MIXED SETTINGS";
    }
    if options.skip_bad {
        text += " SKIP BAD";
    }
    text + &format!(" AS {}", options.table)
}

/// The `IMPORT AIM` statement of an AIM import.
fn describe_aim(path: &Path, options: &AimImport) -> String {
    let mut text = format!("IMPORT AIM FROM '{}'", path.display());
    if options.subject_field == PersonField::Name {
        text += " SUBJECT FIELD 'name'";
    }
    if let Some(p) = &options.subject_pattern {
        text += &format!(" SUBJECT PATTERN '{}'", p.replace('\'', "''"));
    }
    if let Some(t) = &options.template {
        text += &format!(" TEMPLATE '{}'", t.display());
    }
    if options.skip_bad {
        text += " SKIP BAD";
    }
    text + &format!(" AS {}", options.table)
}

/// Carries out an import as one new version. `statement` is recorded in the history.
pub fn run(
    store: &Store,
    request: &ImportRequest,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    let statement = statement.or_else(|| Some(request.describe()));
    match request {
        ImportRequest::Clinical { path, options } => {
            import_clinical(store, path, options, statement)
        }
        ImportRequest::Table { path, options } => import_table(store, path, options, statement),
        ImportRequest::Expression { path, options } => {
            import_expression(store, path, options, statement)
        }
        ImportRequest::Geo { path, options } => import_geo(store, path, options, statement),
        ImportRequest::Aliases { path } => import_aliases(store, path, statement),
        ImportRequest::Radiomics { path, options } => {
            import_radiomics(store, path, options, statement)
        }
        ImportRequest::RadiomicsImages { path, options } => {
            import_images(store, path, options, statement)
        }
        ImportRequest::RadiomicsDicom { path, options } => {
            super::dicom::import_dicom_radiomics(store, path, options, statement)
        }
        ImportRequest::Aim { path, options } => import_aim(store, path, options, statement),
        ImportRequest::Dicom { path, options } => import_dicom(store, path, options, statement),
        ImportRequest::Series { path } => import_series_manifest(store, path, statement),
    }
}
