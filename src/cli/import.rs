//! The `import` subcommand's arguments as the request every import path shares: one function
//! per kind of import.

use std::path::PathBuf;

use super::args::{DuplicatesArg, Import, LevelArg, NullArgs, OrientationArg, PersonArg};
use crate::ingest::{
    AimImport, ClinicalImport, DicomImport, DuplicatePolicy, ExpressionImport, GeoImport,
    ImportRequest, NullTokens, Orientation, PersonField, RadiomicsImport, TableImport,
};
use crate::storage::Level;

/// The subcommand's import, as the one request type every import path shares.
pub(super) fn import_request(import: Import) -> ImportRequest {
    match import {
        Import::Clinical { file, table, nulls } => clinical(file, &table, &nulls),
        Import::Table {
            name,
            file,
            subject_column,
            level,
            delimiter,
            nulls,
        } => table(file, &name, &subject_column, level, delimiter, &nulls),
        Import::Expression {
            file,
            table,
            orientation,
            platform,
            unit,
            duplicates,
        } => expression(file, &table, orientation, duplicates, platform, unit),
        Import::Geo {
            file,
            table,
            subject_field,
            annotation,
            symbol_column,
            unit,
        } => geo(file, &table, subject_field, annotation, symbol_column, unit),
        Import::Aliases { file } => ImportRequest::Aliases { path: file },
        Import::Radiomics {
            file,
            table,
            subject_pattern,
            subject_column,
            allow_mixed_settings,
        } => radiomics(
            file,
            &table,
            subject_pattern,
            subject_column,
            allow_mixed_settings,
        ),
        Import::Aim {
            path,
            table,
            template,
            skip_bad,
            subject_field,
            subject_pattern,
        } => aim(
            path,
            &table,
            template,
            skip_bad,
            subject_field,
            subject_pattern,
        ),
        Import::Dicom { dir, skip_bad } => ImportRequest::Dicom {
            path: dir,
            options: DicomImport { skip_bad },
        },
        Import::Series { file } => ImportRequest::Series { path: file },
    }
}

/// `import clinical FILE [--table T] [--null-token …]`.
fn clinical(file: PathBuf, table: &str, nulls: &NullArgs) -> ImportRequest {
    ImportRequest::Clinical {
        path: file,
        options: ClinicalImport::default()
            .with_table(table)
            .with_null_tokens(null_tokens(&nulls.null_tokens)),
    }
}

/// `import table NAME FILE --subject-column COL [--level L] [--delimiter C] [--null-token …]`.
fn table(
    file: PathBuf,
    name: &str,
    subject_column: &str,
    level: LevelArg,
    delimiter: Option<char>,
    nulls: &NullArgs,
) -> ImportRequest {
    let mut options = TableImport::new(name, subject_column)
        .with_null_tokens(null_tokens(&nulls.null_tokens))
        .with_level(match level {
            LevelArg::Subject => Level::Subject,
            LevelArg::Multi => Level::Multi,
        });
    if let Some(d) = delimiter {
        options = options.with_delimiter(d as u8);
    }
    ImportRequest::Table {
        path: file,
        options,
    }
}

/// `import expression FILE --table T [--orientation O] [--duplicates D] [--platform P]
/// [--unit U]`.
fn expression(
    file: PathBuf,
    table: &str,
    orientation: OrientationArg,
    duplicates: DuplicatesArg,
    platform: Option<String>,
    unit: Option<String>,
) -> ImportRequest {
    let mut options = ExpressionImport::new(table)
        .with_orientation(match orientation {
            OrientationArg::Auto => Orientation::Auto,
            OrientationArg::GenesBySubjects => Orientation::GenesBySubjects,
            OrientationArg::SubjectsByGenes => Orientation::SubjectsByGenes,
        })
        .with_duplicates(match duplicates {
            DuplicatesArg::Error => DuplicatePolicy::Error,
            DuplicatesArg::First => DuplicatePolicy::First,
            DuplicatesArg::Suffix => DuplicatePolicy::Suffix,
        });
    options.platform = platform;
    options.unit = unit;
    ImportRequest::Expression {
        path: file,
        options,
    }
}

/// `import geo FILE --table T [--subject-field F] [--annotation FILE] [--symbol-column COL]
/// [--unit U]`.
fn geo(
    file: PathBuf,
    table: &str,
    subject_field: Option<String>,
    annotation: Option<PathBuf>,
    symbol_column: Option<String>,
    unit: Option<String>,
) -> ImportRequest {
    let mut options = GeoImport::new(table);
    options.subject_field = subject_field;
    options.annotation = annotation;
    options.symbol_column = symbol_column;
    options.unit = unit;
    ImportRequest::Geo {
        path: file,
        options,
    }
}

/// `import radiomics FILE [--table T] [--subject-pattern RE] [--subject-column COL]
/// [--allow-mixed-settings]`.
fn radiomics(
    file: PathBuf,
    table: &str,
    subject_pattern: Option<String>,
    subject_column: Option<String>,
    allow_mixed_settings: bool,
) -> ImportRequest {
    let mut options = RadiomicsImport::new(table);
    options.subject_pattern = subject_pattern;
    options.subject_column = subject_column;
    options.allow_mixed_settings = allow_mixed_settings;
    ImportRequest::Radiomics {
        path: file,
        options,
    }
}

/// `import aim PATH [--table T] [--template FILE] [--skip-bad] [--subject-field F]
/// [--subject-pattern RE]`.
fn aim(
    path: PathBuf,
    table: &str,
    template: Option<PathBuf>,
    skip_bad: bool,
    subject_field: PersonArg,
    subject_pattern: Option<String>,
) -> ImportRequest {
    let mut options = AimImport::new(table);
    options.template = template;
    options.skip_bad = skip_bad;
    options.subject_field = match subject_field {
        PersonArg::Id => PersonField::Id,
        PersonArg::Name => PersonField::Name,
    };
    options.subject_pattern = subject_pattern;
    ImportRequest::Aim { path, options }
}

/// The missing-value tokens given, or the defaults when none are.
fn null_tokens(given: &[String]) -> NullTokens {
    if given.is_empty() {
        NullTokens::default()
    } else {
        NullTokens::new(given.iter().map(String::as_str))
    }
}
