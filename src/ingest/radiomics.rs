//! The PyRadiomics importer: batch output (CSV, one row per image and mask) as a table of
//! float feature columns, with the extraction's provenance kept beside it.
//!
//! - **Features** are the columns named `<image type>_<class>_<feature>` (`original_shape_…`,
//!   `log-sigma-1-0-mm-3D_firstorder_…`, `wavelet-LLH_glcm_…`): floats, scientific notation
//!   and `nan` included. Their identifiers keep PyRadiomics' spelling and case, with `-` as
//!   `_` (`original_shape_MeshVolume`, `log_sigma_1_0_mm_3D_firstorder_Mean`); names match in
//!   any case, and a quoted name matches the PyRadiomics spelling itself.
//! - **`diagnostics_*` cells are provenance**, written as Python literals. The versions and the
//!   configuration (settings, enabled image types), which must be the same on every row, go
//!   into the table's `provenance` record, shown by `DESCRIBE`. The per-row ones (image and
//!   mask hashes, spacing, sizes, bounding box, …) become `diagnostics_*` columns named the
//!   same way (`diagnostics_Image_original_Hash`): numbers as numbers, strings as text, tuples
//!   and dicts as JSON text.
//! - **The subject** comes from a named column or else from the `Image` (then `Mask`) path,
//!   through a regular expression searched in the file name first.
//! - Several rows of one subject (several ROIs) make the table lesion-level.
//! - A leading unnamed column (the pandas index) is dropped; other columns (`Image`, `Mask`)
//!   are kept as typed columns.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Float64Builder, Int64Array, StringArray};
use serde_json::{Map, Value};

use super::IngestError;
use super::delimited::LineOf;
use super::guard::{Guard, Mode, csv_guard_error};
use super::infer::{NullTokens, infer, parse_float, parse_plain_decimal};
use super::names::{UniqueNames, identifier, snake_case};
use super::pylit;
use super::source::{SourceText, combined_source};
use super::subjects::check_subject_id;
use super::summary::{ColumnSummary, ImportSummary};
use super::walk::files_under;
use crate::storage::{Action, ColumnRole, ColumnType, Level, NewColumn, SUBJECT_COLUMN, Store};

/// The default subject pattern: letters and digits, a dash, digits (`R01-012`, `AMC-049`,
/// `LUNG1-001`).
pub const DEFAULT_SUBJECT_PATTERN: &str = r"[A-Za-z][A-Za-z0-9]*-[0-9]+";

/// PyRadiomics feature classes: the middle part of a feature name.
const FEATURE_CLASSES: &[&str] = &[
    "shape",
    "shape2D",
    "firstorder",
    "glcm",
    "glrlm",
    "glszm",
    "gldm",
    "ngtdm",
];

/// How to import a PyRadiomics CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct RadiomicsImport {
    /// The table to create or replace (`radiomic`).
    pub table: String,
    /// A header cell holding subject IDs, instead of reading them from the paths.
    pub subject_column: Option<String>,
    /// The regular expression that finds the subject ID in a path (first capture group, or
    /// the whole match); [`DEFAULT_SUBJECT_PATTERN`] when `None`.
    pub subject_pattern: Option<String>,
    /// Accept rows made with different versions or settings.
    pub allow_mixed_settings: bool,
}

impl RadiomicsImport {
    pub fn new(table: &str) -> Self {
        RadiomicsImport {
            table: table.to_string(),
            subject_column: None,
            subject_pattern: None,
            allow_mixed_settings: false,
        }
    }
}

impl Default for RadiomicsImport {
    fn default() -> Self {
        RadiomicsImport::new("radiomic")
    }
}

/// What a header cell holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Index,
    Subject,
    Feature,
    /// Versions and configuration: one value for the whole table.
    Setting,
    /// Per-row provenance.
    Diagnostic,
    Other,
}

fn role(i: usize, label: &str) -> Role {
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
struct Layout {
    file: String,
    header: Vec<String>,
    roles: Vec<Role>,
    subject_at: Option<usize>,
    features: Vec<usize>,
    text_columns: Vec<usize>,
    settings: Vec<usize>,
}

/// Everything read from the files, in the first file's column order.
struct Rows {
    builders: Vec<Float64Builder>,
    texts: Vec<Vec<String>>,
    subjects: Vec<String>,
    /// File and line of each row, for messages.
    places: Vec<(usize, u64)>,
    /// Each distinct settings variant, with the file and line where it first appears.
    variants: Vec<(usize, u64, Vec<String>)>,
}

/// Imports a PyRadiomics CSV, or every `*.csv` under a directory (batches of one extraction),
/// as one new version: read the files, build the columns, the provenance record and the notes,
/// then write the table in one transaction.
pub fn import_radiomics(
    store: &Store,
    path: &Path,
    options: &RadiomicsImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    let mut read = read_all(store, path, options)?;
    let variants = parse_variants(&read)?;
    let built = build_columns(&mut read)?;
    let record = provenance_record(&read, &variants, &built);
    let level = level_of(&read.rows.subjects);
    let notes = notes(&read, &variants, &built, &record, level);
    let written = write(
        store,
        options,
        &read,
        built.columns,
        record,
        level,
        statement,
    )?;
    Ok(ImportSummary {
        table: written.name,
        kind: "radiomic".into(),
        version: written.version,
        rows: read.rows.subjects.len() as u64,
        new_subjects: written.new_subjects,
        replaced: written.replaced,
        source: read.source,
        columns: built.summaries,
        genes: read.layout.features.len(),
        notes,
    })
}

/// Everything read from the files of one import.
struct Read {
    layout: Layout,
    rows: Rows,
    /// The files read, in order (`Rows::places` index them).
    files: Vec<String>,
    source: crate::storage::SourceFile,
    /// What the directory walk skipped, as notes.
    skipped: Vec<String>,
}

impl Read {
    /// `file:line` of a row.
    fn place(&self, (f, line): (usize, u64)) -> (String, u64) {
        (self.files[f].clone(), line)
    }
}

/// Reads the file, or every `*.csv` under the directory, into one layout and one set of rows.
fn read_all(store: &Store, path: &Path, options: &RadiomicsImport) -> Result<Read, IngestError> {
    let pattern_text = options
        .subject_pattern
        .clone()
        .unwrap_or_else(|| DEFAULT_SUBJECT_PATTERN.to_string());
    let pattern = regex::Regex::new(&pattern_text).map_err(|e| IngestError::BadPattern {
        pattern: pattern_text.clone(),
        message: e.to_string(),
    })?;
    let walk = files_under(path, &["csv"])?;
    let empty = || IngestError::Empty {
        file: path.display().to_string(),
    };
    if walk.files.is_empty() {
        return Err(empty());
    }
    let mut layout: Option<Layout> = None;
    let mut rows: Option<Rows> = None;
    let mut files = Vec::with_capacity(walk.files.len());
    let mut sources = Vec::with_capacity(walk.files.len());
    for p in &walk.files {
        let source = SourceText::read(p, store.config().max_line_bytes)?;
        read_file(
            &source,
            files.len(),
            options,
            &pattern,
            &pattern_text,
            &mut layout,
            &mut rows,
        )?;
        files.push(source.file.clone());
        sources.push((source.provenance.size, source.provenance.sha256.clone()));
    }
    let (Some(layout), Some(rows)) = (layout, rows) else {
        return Err(empty());
    };
    Ok(Read {
        layout,
        rows,
        files,
        source: combined_source(&path.display().to_string(), sources.into_iter()),
        skipped: walk.skipped,
    })
}

/// Each settings variant parsed: (versions, configuration), for the provenance record.
type Variants = Vec<(Map<String, Value>, Map<String, Value>)>;

fn parse_variants(read: &Read) -> Result<Variants, IngestError> {
    let Layout {
        header, settings, ..
    } = &read.layout;
    let mut parsed = Vec::new();
    for (f, line, variant) in &read.rows.variants {
        let mut versions = Map::new();
        let mut configuration = Map::new();
        for (k, i) in settings.iter().enumerate() {
            let label = &header[*i];
            let value = literal(&read.files[*f], *line, *i, label, &variant[k])?;
            let rest = label.trim_start_matches("diagnostics_");
            if let Some(name) = rest.strip_prefix("Versions_") {
                versions.insert(name.to_string(), value);
            } else {
                let name = rest.trim_start_matches("Configuration_");
                configuration.insert(name.to_string(), value);
            }
        }
        parsed.push((versions, configuration));
    }
    Ok(parsed)
}

/// The table's columns (text columns and per-row diagnostics first, then the features), their
/// summaries, and the names of the per-row diagnostic columns.
struct Built {
    columns: Vec<(NewColumn, ColumnType, ArrayRef)>,
    summaries: Vec<ColumnSummary>,
    per_row: Vec<String>,
}

/// The feature builders are taken out of `read` (their values move into the columns).
fn build_columns(read: &mut Read) -> Result<Built, IngestError> {
    let builders = std::mem::take(&mut read.rows.builders);
    let Layout {
        header,
        roles,
        features,
        text_columns,
        ..
    } = &read.layout;
    let nulls = NullTokens::default();
    let mut names = UniqueNames::reserving([SUBJECT_COLUMN]);
    let mut built = Built {
        columns: Vec::new(),
        summaries: Vec::new(),
        per_row: Vec::new(),
    };
    for (cells, i) in read.rows.texts.iter().zip(text_columns) {
        let label = &header[*i];
        let (name, description, (ty, array)) = if roles[*i] == Role::Diagnostic {
            let name = names.claim(identifier(label));
            built.per_row.push(name.clone());
            let at: Vec<(String, u64)> = read.rows.places.iter().map(|p| read.place(*p)).collect();
            let typed = diagnostic_column(&at, *i, label, cells)?;
            (
                name,
                "PyRadiomics diagnostics (per-row provenance)".to_string(),
                typed,
            )
        } else {
            let typed = infer(cells.iter().map(String::as_str), &nulls);
            (
                names.claim(snake_case(label)),
                "from the PyRadiomics file".to_string(),
                (typed.ty, typed.array),
            )
        };
        built.summaries.push(ColumnSummary {
            name: name.clone(),
            label: label.clone(),
            ty,
            non_null: array.len() - array.null_count(),
            derived: false,
            null_tokens: BTreeMap::new(),
        });
        let column = NewColumn {
            name,
            label: label.clone(),
            unit: None,
            description: Some(description),
        };
        built.columns.push((column, ty, array));
    }
    for (mut builder, i) in builders.into_iter().zip(features) {
        let label = &header[*i];
        let mut parts = label.splitn(3, '_');
        let (image_type, class) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let column = NewColumn {
            name: names.claim(identifier(label)),
            label: label.clone(),
            unit: None,
            description: Some(format!(
                "PyRadiomics feature: image type {image_type}, class {class}"
            )),
        };
        built
            .columns
            .push((column, ColumnType::Float64, Arc::new(builder.finish())));
    }
    Ok(built)
}

/// The table's provenance record: PyRadiomics' version, the settings and enabled image types
/// of the first variant, counts, and every variant when they differ.
fn provenance_record(read: &Read, variants: &Variants, built: &Built) -> Map<String, Value> {
    let (versions, configuration) = variants.first().cloned().unwrap_or_default();
    let from = |m: &Map<String, Value>, key: &str| m.get(key).cloned().unwrap_or(Value::Null);
    let mut record = Map::new();
    record.insert("pyradiomics".into(), from(&versions, "PyRadiomics"));
    record.insert("versions".into(), Value::Object(versions));
    record.insert("settings".into(), from(&configuration, "Settings"));
    record.insert(
        "enabled_image_types".into(),
        from(&configuration, "EnabledImageTypes"),
    );
    record.insert("features".into(), read.layout.features.len().into());
    record.insert(
        "diagnostics".into(),
        (read.layout.settings.len() + built.per_row.len()).into(),
    );
    record.insert(
        "per_row_diagnostics".into(),
        Value::Array(built.per_row.iter().cloned().map(Value::String).collect()),
    );
    if variants.len() > 1 {
        let each = variants.iter().map(|(v, c)| {
            let mut m = Map::new();
            m.insert("versions".into(), Value::Object(v.clone()));
            m.insert("configuration".into(), Value::Object(c.clone()));
            Value::Object(m)
        });
        record.insert("mixed_settings".into(), Value::Array(each.collect()));
    }
    record
}

/// Several rows for one subject (several ROIs) make a table of several rows per subject.
fn level_of(subjects: &[String]) -> Level {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for s in subjects {
        *count.entry(s.as_str()).or_insert(0) += 1;
    }
    if count.values().any(|n| *n > 1) {
        Level::Multi
    } else {
        Level::Subject
    }
}

/// What the import says besides its columns.
fn notes(
    read: &Read,
    variants: &Variants,
    built: &Built,
    record: &Map<String, Value>,
    level: Level,
) -> Vec<String> {
    let settings = read.layout.settings.len();
    let mut notes = vec![format!(
        "{} diagnostics: {} in the provenance record (versions, settings), {} as per-row columns",
        settings + built.per_row.len(),
        settings,
        built.per_row.len()
    )];
    if let Some(Value::String(v)) = record.get("pyradiomics") {
        notes.push(format!("extracted with PyRadiomics {v}"));
    }
    if level == Level::Multi {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for s in &read.rows.subjects {
            *count.entry(s.as_str()).or_insert(0) += 1;
        }
        notes.push(format!(
            "{} subjects have several rows (ROIs): the table has several rows per subject",
            count.values().filter(|n| **n > 1).count()
        ));
    }
    if variants.len() > 1 {
        notes.push(format!(
            "{} different versions or settings, kept in the provenance record (--allow-mixed-settings)",
            variants.len()
        ));
    }
    notes.extend(read.skipped.iter().cloned());
    if read.files.len() > 1 {
        notes.insert(
            0,
            format!(
                "{} rows from {} files",
                read.rows.subjects.len(),
                read.files.len()
            ),
        );
    }
    notes
}

/// What the write made.
struct Written {
    name: String,
    version: u64,
    new_subjects: usize,
    replaced: bool,
}

/// Registers the subjects and writes the table in one transaction, as one new version.
fn write(
    store: &Store,
    options: &RadiomicsImport,
    read: &Read,
    columns: Vec<(NewColumn, ColumnType, ArrayRef)>,
    record: Map<String, Value>,
    level: Level,
    statement: Option<String>,
) -> Result<Written, IngestError> {
    let mut txn = store.begin()?;
    let replaced = txn
        .base()
        .find_table(&options.table.to_ascii_lowercase())?
        .is_some();
    let mut ids = Vec::with_capacity(read.rows.subjects.len());
    for (s, place) in read.rows.subjects.iter().zip(&read.rows.places) {
        check_subject_id(s, || {
            let (file, line) = read.place(*place);
            format!("{file}:{line}")
        })?;
        let id = match txn.resolve_subject(s)? {
            Some(id) => id,
            None => txn.register_subject(s),
        };
        ids.push(id);
    }
    let header = &read.layout.header;
    let mut writer = txn.table(&options.table, level, "radiomic")?;
    writer.set_source(read.source.clone());
    writer.set_property("provenance", &Value::Object(record).to_string());
    let subject_label = read
        .layout
        .subject_at
        .map_or("Image", |at| header[at].as_str());
    writer.subjects(ids, subject_label)?;
    for (column, ty, array) in &columns {
        writer.column(column.clone(), *ty, array)?;
    }
    // Features are what patterns (`radiomic.*`, CORRELATE's sides, EXPORT … LONG) range over;
    // the per-row diagnostics are read by naming them.
    writer.set_roles(|c| match role(usize::MAX, &c.label) {
        Role::Feature => ColumnRole::Measurement,
        Role::Diagnostic | Role::Setting => ColumnRole::Metadata,
        Role::Index | Role::Subject | Role::Other => ColumnRole::Attribute,
    });
    let staged = writer.finish()?;
    let name = staged.meta().name.clone();
    let new_subjects = txn.new_subject_count();
    txn.stage(staged);
    let version = txn
        .commit(
            Action::Import {
                importer: "radiomic".into(),
                tables: vec![name.clone()],
                source: Some(read.source.clone()),
            },
            statement,
        )?
        .version;
    Ok(Written {
        name,
        version,
        new_subjects,
        replaced,
    })
}

/// Reads one file into `rows`. The first file fixes the layout; the others must have the same
/// columns (in any order) and the same settings (unless mixing is allowed).
fn read_file(
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
fn subject_from_paths<'a>(
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

fn literal(
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
fn diagnostic_column(
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

fn csv_error(file: &str, e: &csv::Error) -> IngestError {
    if let Some(guarded) = csv_guard_error(e) {
        return guarded;
    }
    IngestError::Csv {
        file: file.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}
