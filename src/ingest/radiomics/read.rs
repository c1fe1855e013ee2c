//! Reading one PyRadiomics CSV: the layout of its columns (features, diagnostics, settings,
//! the subject), its rows, and the per-row diagnostics and settings literals.

use super::{FEATURE_CLASSES, RadiomicsImport};
use crate::ingest::IngestError;
use crate::ingest::delimited::LineOf;
use crate::ingest::guard::{Guard, Mode, csv_guard_error};
use crate::ingest::infer::{NullTokens, parse_float, parse_plain_decimal};
use crate::ingest::pylit;
use crate::ingest::source::SourceText;
use crate::storage::ColumnType;
use arrow::array::{ArrayRef, Float64Array, Float64Builder, Int64Array, StringArray};
use serde_json::Value;
use std::sync::Arc;

/// What a header cell holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Role {
    Index,
    Subject,
    Feature,
    /// Versions and configuration: one value for the whole table.
    Setting,
    /// Per-row provenance.
    Diagnostic,
    Other,
}

pub(super) fn role(i: usize, label: &str) -> Role {
    if i == 0 && (label.trim().is_empty() || label.starts_with("Unnamed")) {
        return Role::Index;
    }
    if let Some(rest) = label.strip_prefix("diagnostics_") {
        return if rest.starts_with("Versions_") || rest.starts_with("Configuration_") {
            Role::Setting
        } else {
            Role::Diagnostic
        };
    }
    let mut parts = label.splitn(3, '_');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(t), Some(class), Some(f)) if !t.is_empty() && !f.is_empty() => {
            if FEATURE_CLASSES.contains(&class) {
                Role::Feature
            } else {
                Role::Other
            }
        }
        _ => Role::Other,
    }
}

/// The columns of the first file, which every other file of a directory import must have.
pub(super) struct Layout {
    pub(super) file: String,
    pub(super) header: Vec<String>,
    pub(super) roles: Vec<Role>,
    pub(super) subject_at: Option<usize>,
    pub(super) features: Vec<usize>,
    pub(super) text_columns: Vec<usize>,
    pub(super) settings: Vec<usize>,
}

/// Everything read from the files, in the first file's column order.
pub(super) struct Rows {
    pub(super) builders: Vec<Float64Builder>,
    pub(super) texts: Vec<Vec<String>>,
    pub(super) subjects: Vec<String>,
    /// File and line of each row, for messages.
    pub(super) places: Vec<(usize, u64)>,
    /// Each distinct settings variant, with the file and line where it first appears.
    pub(super) variants: Vec<(usize, u64, Vec<String>)>,
}

/// Reads one file into `rows`. The first file fixes the layout; the others must have the same
/// columns (in any order) and the same settings (unless mixing is allowed).
pub(super) fn read_file(
    source: &SourceText,
    index: usize,
    options: &RadiomicsImport,
    pattern: &regex::Regex,
    pattern_text: &str,
    layout: &mut Option<Layout>,
    rows: &mut Option<Rows>,
) -> Result<(), IngestError> {
    let file = source.file.clone();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Guard::new(
            source.text.as_bytes(),
            &file,
            source.max_line_bytes,
            Mode::Delimited(b','),
            1,
        ));
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => return Err(csv_error(&file, &e)),
        None => return Err(IngestError::Empty { file }),
    };
    let mut roles: Vec<Role> = header.iter().enumerate().map(|(i, h)| role(i, h)).collect();
    let subject_at = match &options.subject_column {
        Some(wanted) => {
            let at = header
                .iter()
                .position(|h| h == wanted)
                .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(wanted)))
                .ok_or_else(|| IngestError::MissingSubjectColumn {
                    file: file.clone(),
                    wanted: vec![wanted.clone()],
                    header: header.clone(),
                    candidates: crate::storage::closest(
                        &wanted.to_lowercase(),
                        header.iter().map(String::as_str),
                    ),
                })?;
            roles[at] = Role::Subject;
            Some(at)
        }
        None => None,
    };
    let path_columns: Vec<usize> = ["Image", "Mask"]
        .iter()
        .filter_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
        .collect();
    if subject_at.is_none() && path_columns.is_empty() {
        return Err(IngestError::MissingSubjectColumn {
            file: file.clone(),
            wanted: vec!["Image".into(), "Mask".into()],
            header: header.clone(),
            candidates: Vec::new(),
        });
    }
    let layout = layout.get_or_insert_with(|| {
        let of = |r: &dyn Fn(Role) -> bool| -> Vec<usize> {
            (0..header.len()).filter(|i| r(roles[*i])).collect()
        };
        Layout {
            file: file.clone(),
            header: header.clone(),
            roles: roles.clone(),
            subject_at,
            features: of(&|r| r == Role::Feature),
            text_columns: of(&|r| matches!(r, Role::Diagnostic | Role::Other)),
            settings: of(&|r| r == Role::Setting),
        }
    });
    // Where each of the layout's columns is in this file.
    let kept = |labels: &[String], roles: &[Role]| -> Vec<String> {
        labels
            .iter()
            .zip(roles)
            .filter(|(_, r)| !matches!(r, Role::Index | Role::Subject))
            .map(|(l, _)| l.clone())
            .collect()
    };
    let ours = kept(&header, &roles);
    let theirs = kept(&layout.header, &layout.roles);
    let missing: Vec<String> = theirs
        .iter()
        .filter(|l| !ours.contains(l))
        .cloned()
        .collect();
    let extra: Vec<String> = ours
        .iter()
        .filter(|l| !theirs.contains(l))
        .cloned()
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(IngestError::ColumnsDiffer {
            file,
            first_file: layout.file.clone(),
            missing,
            extra,
        });
    }
    let position = |i: usize| {
        header
            .iter()
            .position(|h| *h == layout.header[i])
            .unwrap_or(i)
    };
    let features: Vec<usize> = layout.features.iter().map(|i| position(*i)).collect();
    let text_columns: Vec<usize> = layout.text_columns.iter().map(|i| position(*i)).collect();
    let settings: Vec<usize> = layout.settings.iter().map(|i| position(*i)).collect();
    let rows = rows.get_or_insert_with(|| Rows {
        builders: features.iter().map(|_| Float64Builder::new()).collect(),
        texts: text_columns.iter().map(|_| Vec::new()).collect(),
        subjects: Vec::new(),
        places: Vec::new(),
        variants: Vec::new(),
    });
    let nulls = NullTokens::default();
    let mut lines = LineOf::new(&source.text);
    for record in records {
        let record = record.map_err(|e| csv_error(&file, &e))?;
        let line = lines.record(&record);
        if record.len() != header.len() {
            return Err(IngestError::RaggedRow {
                file: file.clone(),
                line,
                expected: header.len(),
                found: record.len(),
            });
        }
        let subject = match subject_at {
            Some(at) => record[at].trim().to_string(),
            None => subject_from_paths(pattern, path_columns.iter().map(|i| &record[*i]))
                .ok_or_else(|| IngestError::NoSubjectInPath {
                    file: file.clone(),
                    line,
                    pattern: pattern_text.to_string(),
                    path: record[path_columns[0]].to_string(),
                })?,
        };
        if subject.is_empty() {
            return Err(IngestError::EmptySubject {
                file: file.clone(),
                line,
                column: subject_at.map_or("Image".into(), |at| header[at].clone()),
            });
        }
        rows.subjects.push(subject);
        rows.places.push((index, line));
        for (builder, i) in rows.builders.iter_mut().zip(&features) {
            let cell = record[*i].trim();
            let value = if let Some(v) = parse_plain_decimal(cell.as_bytes()) {
                Some(v)
            } else if cell.is_empty() || nulls.is_null(cell) {
                None
            } else {
                Some(parse_float(cell).ok_or_else(|| IngestError::BadFeature {
                    file: file.clone(),
                    line,
                    column: i + 1,
                    label: header[*i].clone(),
                    value: cell.chars().take(40).collect(),
                })?)
            };
            builder.append_option(value);
        }
        for (cells, i) in rows.texts.iter_mut().zip(&text_columns) {
            cells.push(record[*i].trim().to_string());
        }
        let row_settings: Vec<String> = settings
            .iter()
            .map(|i| record[*i].trim().to_string())
            .collect();
        match rows.variants.first() {
            None => rows.variants.push((index, line, row_settings)),
            Some((_, _, first)) if *first == row_settings => {}
            Some((first_file, first_line, first)) => {
                if !options.allow_mixed_settings {
                    let k = first
                        .iter()
                        .zip(&row_settings)
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    let short = |s: &str| s.chars().take(60).collect::<String>();
                    let first_place = if *first_file == index {
                        format!("line {first_line}")
                    } else {
                        format!("{}:{first_line}", layout.file)
                    };
                    return Err(IngestError::MixedSettings {
                        file: file.clone(),
                        line,
                        first: first_place,
                        label: header[settings[k]].clone(),
                        values: format!("{} vs {}", short(&row_settings[k]), short(&first[k])),
                    });
                }
                if !rows.variants.iter().any(|(_, _, v)| *v == row_settings) {
                    rows.variants.push((index, line, row_settings));
                }
            }
        }
    }
    Ok(())
}

/// The subject ID in the first path that holds one: searched in the file name, then in the
/// whole path (last match).
pub(super) fn subject_from_paths<'a>(
    pattern: &regex::Regex,
    paths: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let found = |text: &str| {
        pattern.captures_iter(text).last().map(|c| {
            c.get(1)
                .or_else(|| c.get(0))
                .map_or(String::new(), |m| m.as_str().to_string())
        })
    };
    for path in paths {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        if let Some(s) = found(name).or_else(|| found(path)) {
            return Some(s);
        }
    }
    None
}

pub(super) fn literal(
    file: &str,
    line: u64,
    column: usize,
    label: &str,
    cell: &str,
) -> Result<Value, IngestError> {
    if cell.is_empty() {
        return Ok(Value::Null);
    }
    pylit::parse(cell).or_else(|message| {
        // A bare word such as `3D` or `v3.0.1` is a string.
        if cell
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
        {
            Ok(Value::String(cell.to_string()))
        } else {
            Err(IngestError::BadLiteral {
                file: file.to_string(),
                line,
                column: column + 1,
                label: label.to_string(),
                message,
            })
        }
    })
}

/// A per-row diagnostics column: integers, floats, text, or JSON text for tuples and dicts.
pub(super) fn diagnostic_column(
    places: &[(String, u64)],
    column: usize,
    label: &str,
    cells: &[String],
) -> Result<(ColumnType, ArrayRef), IngestError> {
    let values: Vec<Value> = cells
        .iter()
        .zip(places)
        .map(|(c, (file, line))| literal(file, *line, column, label, c))
        .collect::<Result<_, _>>()?;
    let present = || values.iter().filter(|v| !v.is_null());
    if present().all(|v| v.is_i64()) {
        let a: Int64Array = values.iter().map(Value::as_i64).collect();
        return Ok((ColumnType::Int64, Arc::new(a)));
    }
    if present().all(Value::is_number) {
        let a: Float64Array = values.iter().map(Value::as_f64).collect();
        return Ok((ColumnType::Float64, Arc::new(a)));
    }
    let a: StringArray = values
        .iter()
        .map(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect();
    Ok((ColumnType::Utf8, Arc::new(a)))
}

pub(super) fn csv_error(file: &str, e: &csv::Error) -> IngestError {
    if let Some(guarded) = csv_guard_error(e) {
        return guarded;
    }
    IngestError::Csv {
        file: file.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}
