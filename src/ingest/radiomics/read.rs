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
use csv::StringRecord;
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
    let file = source.file.as_str();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Guard::new(
            source.text.as_bytes(),
            file,
            source.max_line_bytes,
            Mode::Delimited(b','),
            1,
        ));
    let mut records = reader.records();
    let labels: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|c| c.trim().to_string()).collect(),
        Some(Err(e)) => return Err(csv_error(file, &e)),
        None => return Err(IngestError::Empty { file: file.into() }),
    };
    let header = Header::read(file, labels, options)?;
    let layout = layout.get_or_insert_with(|| header.layout(file));
    header.check_columns(file, layout)?;
    let at = header.positions(layout);
    let rows = rows.get_or_insert_with(|| Rows::for_columns(&at));
    let reader = RowReader {
        file,
        index,
        options,
        pattern,
        pattern_text,
        header: &header,
        at: &at,
        first_file: &layout.file,
        nulls: NullTokens::default(),
    };
    let mut lines = LineOf::new(&source.text);
    for record in records {
        let record = record.map_err(|e| csv_error(file, &e))?;
        let line = lines.record(&record);
        reader.read_row(rows, &record, line)?;
    }
    Ok(())
}

/// One file's header: its labels, the role of each, and where the subject comes from.
struct Header {
    labels: Vec<String>,
    roles: Vec<Role>,
    /// The subject column, when the import names one.
    subject_at: Option<usize>,
    /// The `Image` and `Mask` columns, whose paths hold the subject otherwise.
    path_columns: Vec<usize>,
}

/// Where the layout's feature, text and settings columns are in one file.
struct Positions {
    features: Vec<usize>,
    text_columns: Vec<usize>,
    settings: Vec<usize>,
}

impl Header {
    /// The roles of `labels` and the subject's column; refused when neither the named subject
    /// column nor an `Image` or `Mask` column is there.
    fn read(
        file: &str,
        labels: Vec<String>,
        options: &RadiomicsImport,
    ) -> Result<Header, IngestError> {
        let mut roles: Vec<Role> = labels.iter().enumerate().map(|(i, h)| role(i, h)).collect();
        let subject_at = match &options.subject_column {
            Some(wanted) => {
                let at = subject_column(file, &labels, wanted)?;
                roles[at] = Role::Subject;
                Some(at)
            }
            None => None,
        };
        let path_columns: Vec<usize> = ["Image", "Mask"]
            .iter()
            .filter_map(|n| labels.iter().position(|h| h.eq_ignore_ascii_case(n)))
            .collect();
        if subject_at.is_none() && path_columns.is_empty() {
            return Err(IngestError::MissingSubjectColumn {
                file: file.to_string(),
                wanted: vec!["Image".into(), "Mask".into()],
                header: labels.clone(),
                candidates: Vec::new(),
            });
        }
        Ok(Header {
            labels,
            roles,
            subject_at,
            path_columns,
        })
    }

    /// The layout this header fixes, when it is the first file's.
    fn layout(&self, file: &str) -> Layout {
        let of = |r: &dyn Fn(Role) -> bool| -> Vec<usize> {
            (0..self.labels.len())
                .filter(|i| r(self.roles[*i]))
                .collect()
        };
        Layout {
            file: file.to_string(),
            header: self.labels.clone(),
            roles: self.roles.clone(),
            subject_at: self.subject_at,
            features: of(&|r| r == Role::Feature),
            text_columns: of(&|r| matches!(r, Role::Diagnostic | Role::Other)),
            settings: of(&|r| r == Role::Setting),
        }
    }

    /// Refuses a file whose columns (other than the index and the subject) differ from the
    /// layout's.
    fn check_columns(&self, file: &str, layout: &Layout) -> Result<(), IngestError> {
        let kept = |labels: &[String], roles: &[Role]| -> Vec<String> {
            labels
                .iter()
                .zip(roles)
                .filter(|(_, r)| !matches!(r, Role::Index | Role::Subject))
                .map(|(l, _)| l.clone())
                .collect()
        };
        let ours = kept(&self.labels, &self.roles);
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
                file: file.to_string(),
                first_file: layout.file.clone(),
                missing,
                extra,
            });
        }
        Ok(())
    }

    /// Where each of the layout's columns is in this file.
    fn positions(&self, layout: &Layout) -> Positions {
        let position = |i: usize| {
            self.labels
                .iter()
                .position(|h| *h == layout.header[i])
                .unwrap_or(i)
        };
        let all = |columns: &[usize]| columns.iter().map(|i| position(*i)).collect();
        Positions {
            features: all(&layout.features),
            text_columns: all(&layout.text_columns),
            settings: all(&layout.settings),
        }
    }
}

/// The named subject column (exactly, else ignoring case), or the error that lists the header.
fn subject_column(file: &str, labels: &[String], wanted: &str) -> Result<usize, IngestError> {
    labels
        .iter()
        .position(|h| h == wanted)
        .or_else(|| labels.iter().position(|h| h.eq_ignore_ascii_case(wanted)))
        .ok_or_else(|| IngestError::MissingSubjectColumn {
            file: file.to_string(),
            wanted: vec![wanted.to_string()],
            header: labels.to_vec(),
            candidates: crate::storage::closest(
                &wanted.to_lowercase(),
                labels.iter().map(String::as_str),
            ),
        })
}

impl Rows {
    /// No rows yet, with a builder for each feature and a list for each text column.
    fn for_columns(at: &Positions) -> Rows {
        Rows {
            builders: at.features.iter().map(|_| Float64Builder::new()).collect(),
            texts: at.text_columns.iter().map(|_| Vec::new()).collect(),
            subjects: Vec::new(),
            places: Vec::new(),
            variants: Vec::new(),
        }
    }
}

/// What reading the rows of one file needs.
struct RowReader<'a> {
    file: &'a str,
    /// The file's place among the files read.
    index: usize,
    options: &'a RadiomicsImport,
    pattern: &'a regex::Regex,
    pattern_text: &'a str,
    header: &'a Header,
    at: &'a Positions,
    /// The first file read, which fixed the layout.
    first_file: &'a str,
    nulls: NullTokens,
}

impl RowReader<'_> {
    /// Reads one record (on `line`) into `rows`: its subject, features, text cells and
    /// settings.
    fn read_row(
        &self,
        rows: &mut Rows,
        record: &StringRecord,
        line: u64,
    ) -> Result<(), IngestError> {
        let width = self.header.labels.len();
        if record.len() != width {
            return Err(IngestError::RaggedRow {
                file: self.file.to_string(),
                line,
                expected: width,
                found: record.len(),
            });
        }
        let subject = self.subject(record, line)?;
        rows.subjects.push(subject);
        rows.places.push((self.index, line));
        for (builder, i) in rows.builders.iter_mut().zip(&self.at.features) {
            builder.append_option(self.feature(record, *i, line)?);
        }
        for (cells, i) in rows.texts.iter_mut().zip(&self.at.text_columns) {
            cells.push(record[*i].trim().to_string());
        }
        let row_settings: Vec<String> = self
            .at
            .settings
            .iter()
            .map(|i| record[*i].trim().to_string())
            .collect();
        self.add_settings(&mut rows.variants, row_settings, line)
    }

    /// The record's subject: its subject column, else found in its `Image` or `Mask` path.
    fn subject(&self, record: &StringRecord, line: u64) -> Result<String, IngestError> {
        let header = self.header;
        let subject = match header.subject_at {
            Some(at) => record[at].trim().to_string(),
            None => subject_from_paths(
                self.pattern,
                header.path_columns.iter().map(|i| &record[*i]),
            )
            .ok_or_else(|| IngestError::NoSubjectInPath {
                file: self.file.to_string(),
                line,
                pattern: self.pattern_text.to_string(),
                path: record[header.path_columns[0]].to_string(),
            })?,
        };
        if subject.is_empty() {
            return Err(IngestError::EmptySubject {
                file: self.file.to_string(),
                line,
                column: header
                    .subject_at
                    .map_or("Image".into(), |at| header.labels[at].clone()),
            });
        }
        Ok(subject)
    }

    /// The feature in column `i`: a number, or none for an empty or missing-value cell.
    fn feature(
        &self,
        record: &StringRecord,
        i: usize,
        line: u64,
    ) -> Result<Option<f64>, IngestError> {
        let cell = record[i].trim();
        if let Some(v) = parse_plain_decimal(cell.as_bytes()) {
            return Ok(Some(v));
        }
        if cell.is_empty() || self.nulls.is_null(cell) {
            return Ok(None);
        }
        let value = parse_float(cell).ok_or_else(|| IngestError::BadFeature {
            file: self.file.to_string(),
            line,
            column: i + 1,
            label: self.header.labels[i].clone(),
            value: cell.chars().take(40).collect(),
        })?;
        Ok(Some(value))
    }

    /// Records the row's settings: a new variant is kept when mixing is allowed, else refused.
    fn add_settings(
        &self,
        variants: &mut Vec<(usize, u64, Vec<String>)>,
        row_settings: Vec<String>,
        line: u64,
    ) -> Result<(), IngestError> {
        match variants.first() {
            None => variants.push((self.index, line, row_settings)),
            Some((_, _, first)) if *first == row_settings => {}
            Some((first_file, first_line, first)) => {
                if !self.options.allow_mixed_settings {
                    return Err(self.mixed_settings(
                        *first_file,
                        *first_line,
                        first,
                        &row_settings,
                        line,
                    ));
                }
                if !variants.iter().any(|(_, _, v)| *v == row_settings) {
                    variants.push((self.index, line, row_settings));
                }
            }
        }
        Ok(())
    }

    /// The error for a row whose settings differ from the first row's (read in file
    /// `first_file`, on `first_line`), naming the first setting that differs.
    fn mixed_settings(
        &self,
        first_file: usize,
        first_line: u64,
        first: &[String],
        row_settings: &[String],
        line: u64,
    ) -> IngestError {
        let k = first
            .iter()
            .zip(row_settings)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let short = |s: &str| s.chars().take(60).collect::<String>();
        let first_place = if first_file == self.index {
            format!("line {first_line}")
        } else {
            format!("{}:{first_line}", self.first_file)
        };
        IngestError::MixedSettings {
            file: self.file.to_string(),
            line,
            first: first_place,
            label: self.header.labels[self.at.settings[k]].clone(),
            values: format!("{} vs {}", short(&row_settings[k]), short(&first[k])),
        }
    }
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
