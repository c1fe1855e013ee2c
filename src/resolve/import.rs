//! `IMPORT kind FROM '…' [options] [AS t]`: the import request, its options checked.

use std::path::PathBuf;

use super::error::ResolveError;
use crate::ingest::{ClinicalImport, ImportRequest, NullTokens, TableImport};
use crate::storage::Level;
use crate::syntax::{Import, ImportFlag, ImportKey, ImportKind, ImportOption, StringLit};

pub(super) fn bind_import(import: &Import) -> Result<ImportRequest, ResolveError> {
    use crate::ingest::{
        AimImport, DuplicatePolicy, ExpressionImport, GeoImport, Orientation, PersonField,
        RadiomicsImport,
    };
    let path = PathBuf::from(&import.path.value);
    let allowed: &[ImportKey] = match import.kind {
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
        ImportKind::Aim => &[
            ImportKey::SubjectField,
            ImportKey::SubjectPattern,
            ImportKey::Template,
        ],
    };
    let flag_allowed = |flag: ImportFlag| match flag {
        ImportFlag::LevelMulti => import.kind == ImportKind::Table,
        ImportFlag::SkipBad => matches!(import.kind, ImportKind::Aim | ImportKind::Dicom),
        ImportFlag::AllowMixedSettings => import.kind == ImportKind::Radiomics,
    };
    for option in &import.options {
        let (ok, span, what) = match option {
            ImportOption::Flag(flag, span) => {
                (flag_allowed(*flag), *span, flag.keywords().join(" "))
            }
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
    let value = |key| import.option(key).map(|v: &StringLit| v.value.clone());
    let invalid = |key: ImportKey, message: String| ResolveError::InvalidArgument {
        message,
        span: import.option(key).map_or(import.span, |v| v.span),
    };
    let needs_table = |what: &str| ResolveError::InvalidArgument {
        message: format!("IMPORT {what} needs the table to create: … AS name"),
        span: import.span,
    };
    Ok(match import.kind {
        ImportKind::Clinical => {
            let mut options = ClinicalImport::default();
            if let Some(t) = &import.table {
                options = options.with_table(&t.name);
            }
            ImportRequest::Clinical { path, options }
        }
        ImportKind::Table => {
            let (Some(table), Some(column)) = (&import.table, value(ImportKey::SubjectColumn))
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
            ImportRequest::Table { path, options }
        }
        ImportKind::Expression => {
            let table = import
                .table
                .as_ref()
                .ok_or_else(|| needs_table("EXPRESSION"))?;
            let mut options = ExpressionImport::new(&table.name);
            if let Some(o) = value(ImportKey::Orientation) {
                let parsed: Orientation =
                    o.parse().map_err(|m| invalid(ImportKey::Orientation, m))?;
                options = options.with_orientation(parsed);
            }
            if let Some(d) = value(ImportKey::Duplicates) {
                let parsed: DuplicatePolicy =
                    d.parse().map_err(|m| invalid(ImportKey::Duplicates, m))?;
                options = options.with_duplicates(parsed);
            }
            options.platform = value(ImportKey::Platform);
            options.unit = value(ImportKey::Unit);
            ImportRequest::Expression { path, options }
        }
        ImportKind::Geo => {
            let table = import.table.as_ref().ok_or_else(|| needs_table("GEO"))?;
            let mut options = GeoImport::new(&table.name);
            options.subject_field = value(ImportKey::SubjectField);
            options.annotation = value(ImportKey::Annotation).map(PathBuf::from);
            options.symbol_column = value(ImportKey::SymbolColumn);
            options.unit = value(ImportKey::Unit);
            ImportRequest::Geo { path, options }
        }
        ImportKind::Aliases => ImportRequest::Aliases { path },
        ImportKind::Radiomics => {
            let mut options = RadiomicsImport::default();
            if let Some(t) = &import.table {
                options.table = t.name.clone();
            }
            options.subject_column = value(ImportKey::SubjectColumn);
            options.subject_pattern = value(ImportKey::SubjectPattern);
            options.allow_mixed_settings = import.flag(ImportFlag::AllowMixedSettings);
            ImportRequest::Radiomics { path, options }
        }
        ImportKind::Dicom | ImportKind::Series if import.table.is_some() => {
            return Err(ResolveError::InvalidArgument {
                message: format!(
                    "IMPORT {} writes the tables dicom_files, series and segmentations; it takes no AS",
                    import.kind.keyword()
                ),
                span: import.span,
            });
        }
        ImportKind::Dicom => ImportRequest::Dicom {
            path,
            options: crate::ingest::DicomImport {
                skip_bad: import.flag(ImportFlag::SkipBad),
            },
        },
        ImportKind::Series => ImportRequest::Series { path },
        ImportKind::Aim => {
            let mut options = AimImport::default();
            if let Some(t) = &import.table {
                options.table = t.name.clone();
            }
            if let Some(field) = value(ImportKey::SubjectField) {
                options.subject_field = PersonField::parse(&field).ok_or_else(|| {
                    invalid(
                        ImportKey::SubjectField,
                        format!("SUBJECT FIELD for AIM is 'id' or 'name', not '{field}'"),
                    )
                })?;
            }
            options.subject_pattern = value(ImportKey::SubjectPattern);
            options.template = value(ImportKey::Template).map(PathBuf::from);
            options.skip_bad = import.flag(ImportFlag::SkipBad);
            ImportRequest::Aim { path, options }
        }
    })
}
