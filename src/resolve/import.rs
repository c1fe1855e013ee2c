//! `IMPORT kind FROM '…' [options] [AS t]`: the import request, its options checked.

use std::path::PathBuf;

use super::error::ResolveError;
use crate::ingest::{
    AimImport, ClinicalImport, DicomImport, DuplicatePolicy, ExpressionImport, GeoImport,
    ImportRequest, NativeImport, NullTokens, Orientation, PersonField, RadiomicsImport,
    TableImport,
};
use crate::storage::Level;
use crate::syntax::{Ident, Import, ImportFlag, ImportKey, ImportKind, ImportOption, StringLit};

/// Binds an `IMPORT`: checks its options against its kind, then builds the request of that kind.
pub(super) fn bind_import(import: &Import) -> Result<ImportRequest, ResolveError> {
    check_options(import)?;
    let path = PathBuf::from(&import.path.value);
    Ok(match import.kind {
        ImportKind::Clinical => clinical(import, path),
        ImportKind::Table => table(import, path)?,
        ImportKind::Expression => expression(import, path)?,
        ImportKind::Geo => geo(import, path)?,
        ImportKind::Aliases => ImportRequest::Aliases { path },
        ImportKind::Radiomics => radiomics(import, path),
        ImportKind::RadiomicsImages => ImportRequest::RadiomicsImages {
            path,
            options: native(import),
        },
        ImportKind::RadiomicsDicom => ImportRequest::RadiomicsDicom {
            path,
            options: native(import),
        },
        ImportKind::Dicom | ImportKind::Series => imaging(import, path)?,
        ImportKind::Aim => aim(import, path)?,
    })
}

/// The valued options an import of `kind` takes.
fn allowed_keys(kind: ImportKind) -> &'static [ImportKey] {
    match kind {
        ImportKind::Clinical | ImportKind::Aliases | ImportKind::Dicom | ImportKind::Series => &[],
        ImportKind::Table => &[ImportKey::SubjectColumn],
        ImportKind::Expression => &[
            ImportKey::Orientation,
            ImportKey::Platform,
            ImportKey::Unit,
            ImportKey::Duplicates,
        ],
        ImportKind::Geo => &[
            ImportKey::SubjectField,
            ImportKey::Annotation,
            ImportKey::SymbolColumn,
            ImportKey::Unit,
        ],
        ImportKind::Radiomics => &[ImportKey::SubjectColumn, ImportKey::SubjectPattern],
        ImportKind::RadiomicsImages => &[
            ImportKey::Params,
            ImportKey::SubjectColumn,
            ImportKey::SubjectPattern,
        ],
        ImportKind::RadiomicsDicom => &[ImportKey::Params],
        ImportKind::Aim => &[
            ImportKey::SubjectField,
            ImportKey::SubjectPattern,
            ImportKey::Template,
        ],
    }
}

/// Whether an import of `kind` takes `flag`.
fn flag_allowed(kind: ImportKind, flag: ImportFlag) -> bool {
    match flag {
        ImportFlag::LevelMulti => kind == ImportKind::Table,
        ImportFlag::SkipBad => matches!(
            kind,
            ImportKind::Aim
                | ImportKind::Dicom
                | ImportKind::RadiomicsImages
                | ImportKind::RadiomicsDicom
        ),
        ImportFlag::AllowMixedSettings => {
            matches!(kind, ImportKind::Radiomics | ImportKind::RadiomicsImages)
        }
    }
}

/// Refuses the first option, in the order written, that the import's kind does not take.
fn check_options(import: &Import) -> Result<(), ResolveError> {
    let allowed = allowed_keys(import.kind);
    for option in &import.options {
        let (ok, span, what) = match option {
            ImportOption::Flag(flag, span) => (
                flag_allowed(import.kind, *flag),
                *span,
                flag.keywords().join(" "),
            ),
            ImportOption::Value(key, value) => {
                (allowed.contains(key), value.span, key.keywords().join(" "))
            }
        };
        if !ok {
            return Err(ResolveError::InvalidArgument {
                message: format!("IMPORT {} does not take {what}", import.kind.keyword()),
                span,
            });
        }
    }
    Ok(())
}

/// The text of option `key`, if given.
fn value(import: &Import, key: ImportKey) -> Option<String> {
    import.option(key).map(|v: &StringLit| v.value.clone())
}

/// An invalid value of option `key`, pointing at the value (or at the statement without one).
fn invalid(import: &Import, key: ImportKey, message: String) -> ResolveError {
    ResolveError::InvalidArgument {
        message,
        span: import.option(key).map_or(import.span, |v| v.span),
    }
}

/// The table an `IMPORT what … AS name` creates, which that kind requires.
fn required_table<'a>(import: &'a Import, what: &str) -> Result<&'a Ident, ResolveError> {
    import
        .table
        .as_ref()
        .ok_or_else(|| ResolveError::InvalidArgument {
            message: format!("IMPORT {what} needs the table to create: … AS name"),
            span: import.span,
        })
}

/// `IMPORT RADIOMICS FROM IMAGES|DICOM '…' [PARAMS 'p.yaml'] [options] [AS t]`.
fn native(import: &Import) -> NativeImport {
    let mut options = NativeImport::new(import.table.as_ref().map_or("radiomic", |t| &t.name));
    options.params = value(import, ImportKey::Params).map(PathBuf::from);
    options.subject_column = value(import, ImportKey::SubjectColumn);
    options.subject_pattern = value(import, ImportKey::SubjectPattern);
    options.allow_mixed_settings = import.flag(ImportFlag::AllowMixedSettings);
    options.skip_bad = import.flag(ImportFlag::SkipBad);
    options
}

/// `IMPORT CLINICAL FROM '…' [AS t]`.
fn clinical(import: &Import, path: PathBuf) -> ImportRequest {
    let mut options = ClinicalImport::default();
    if let Some(t) = &import.table {
        options = options.with_table(&t.name);
    }
    ImportRequest::Clinical { path, options }
}

/// `IMPORT TABLE t FROM '…' SUBJECT COLUMN '…' [LEVEL MULTI]`.
fn table(import: &Import, path: PathBuf) -> Result<ImportRequest, ResolveError> {
    let (Some(table), Some(column)) = (&import.table, value(import, ImportKey::SubjectColumn))
    else {
        return Err(ResolveError::InvalidArgument {
            message: "IMPORT TABLE needs the subject column: \
                      IMPORT TABLE name FROM 'file.csv' SUBJECT COLUMN 'Patient ID'"
                .into(),
            span: import.span,
        });
    };
    let level = if import.multi() {
        Level::Multi
    } else {
        Level::Subject
    };
    let options = TableImport::new(&table.name, &column)
        .with_level(level)
        .with_null_tokens(NullTokens::default());
    Ok(ImportRequest::Table { path, options })
}

/// `IMPORT EXPRESSION FROM '…' [ORIENTATION …] [DUPLICATES …] [PLATFORM …] [UNIT …] AS t`.
fn expression(import: &Import, path: PathBuf) -> Result<ImportRequest, ResolveError> {
    let table = required_table(import, "EXPRESSION")?;
    let mut options = ExpressionImport::new(&table.name);
    if let Some(o) = value(import, ImportKey::Orientation) {
        let parsed: Orientation = o
            .parse()
            .map_err(|m| invalid(import, ImportKey::Orientation, m))?;
        options = options.with_orientation(parsed);
    }
    if let Some(d) = value(import, ImportKey::Duplicates) {
        let parsed: DuplicatePolicy = d
            .parse()
            .map_err(|m| invalid(import, ImportKey::Duplicates, m))?;
        options = options.with_duplicates(parsed);
    }
    options.platform = value(import, ImportKey::Platform);
    options.unit = value(import, ImportKey::Unit);
    Ok(ImportRequest::Expression { path, options })
}

/// `IMPORT GEO FROM '…' [SUBJECT FIELD …] [ANNOTATION …] [SYMBOL COLUMN …] [UNIT …] AS t`.
fn geo(import: &Import, path: PathBuf) -> Result<ImportRequest, ResolveError> {
    let table = required_table(import, "GEO")?;
    let mut options = GeoImport::new(&table.name);
    options.subject_field = value(import, ImportKey::SubjectField);
    options.annotation = value(import, ImportKey::Annotation).map(PathBuf::from);
    options.symbol_column = value(import, ImportKey::SymbolColumn);
    options.unit = value(import, ImportKey::Unit);
    Ok(ImportRequest::Geo { path, options })
}

/// `IMPORT RADIOMICS FROM '…' [SUBJECT COLUMN …] [SUBJECT PATTERN …] [ALLOW MIXED SETTINGS] [AS t]`.
fn radiomics(import: &Import, path: PathBuf) -> ImportRequest {
    let mut options = RadiomicsImport::default();
    if let Some(t) = &import.table {
        options.table = t.name.clone();
    }
    options.subject_column = value(import, ImportKey::SubjectColumn);
    options.subject_pattern = value(import, ImportKey::SubjectPattern);
    options.allow_mixed_settings = import.flag(ImportFlag::AllowMixedSettings);
    ImportRequest::Radiomics { path, options }
}

/// `IMPORT DICOM FROM '…' [SKIP BAD]` and `IMPORT SERIES FROM '…'`: fixed tables, so no `AS`.
fn imaging(import: &Import, path: PathBuf) -> Result<ImportRequest, ResolveError> {
    if import.table.is_some() {
        return Err(ResolveError::InvalidArgument {
            message: format!(
                "IMPORT {} writes the tables dicom_files, series and segmentations; it takes no AS",
                import.kind.keyword()
            ),
            span: import.span,
        });
    }
    Ok(if import.kind == ImportKind::Dicom {
        ImportRequest::Dicom {
            path,
            options: DicomImport {
                skip_bad: import.flag(ImportFlag::SkipBad),
            },
        }
    } else {
        ImportRequest::Series { path }
    })
}

/// `IMPORT AIM FROM '…' [SUBJECT FIELD …] [SUBJECT PATTERN …] [TEMPLATE …] [SKIP BAD] [AS t]`.
fn aim(import: &Import, path: PathBuf) -> Result<ImportRequest, ResolveError> {
    let mut options = AimImport::default();
    if let Some(t) = &import.table {
        options.table = t.name.clone();
    }
    if let Some(field) = value(import, ImportKey::SubjectField) {
        options.subject_field = PersonField::parse(&field).ok_or_else(|| {
            invalid(
                import,
                ImportKey::SubjectField,
                format!("SUBJECT FIELD for AIM is 'id' or 'name', not '{field}'"),
            )
        })?;
    }
    options.subject_pattern = value(import, ImportKey::SubjectPattern);
    options.template = value(import, ImportKey::Template).map(PathBuf::from);
    options.skip_bad = import.flag(ImportFlag::SkipBad);
    Ok(ImportRequest::Aim { path, options })
}
