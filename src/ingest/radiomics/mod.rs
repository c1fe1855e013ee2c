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

pub(crate) mod native;
mod read;

pub use native::{NativeImport, import_images};

use read::{Layout, Role, Rows, diagnostic_column, literal, read_file, role};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::array::ArrayRef;
use serde_json::{Map, Value};

use crate::ingest::IngestError;
use crate::ingest::infer::{NullTokens, infer};
use crate::ingest::names::{UniqueNames, identifier, snake_case};
use crate::ingest::pipeline::{self, Format, Written};
use crate::ingest::source::{SourceText, combined_source};
use crate::ingest::subjects::check_subject_id;
use crate::ingest::summary::{ColumnSummary, ImportSummary};
use crate::ingest::walk::files_under;
use crate::storage::{
    ColumnRole, ColumnType, Level, NewColumn, SUBJECT_COLUMN, StagedTable, Store, WriteTxn,
};

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

/// Imports a PyRadiomics CSV, or every `*.csv` under a directory (batches of one extraction),
/// as one new version: read the files, build the columns, the provenance record and the notes,
/// then write the table in one transaction.
pub fn import_radiomics(
    store: &Store,
    path: &Path,
    options: &RadiomicsImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &RadiomicsFormat { path, options }, statement)
}

/// `IMPORT RADIOMICS`: PyRadiomics' batch CSV (or a folder of them).
struct RadiomicsFormat<'a> {
    path: &'a Path,
    options: &'a RadiomicsImport,
}

/// What `RadiomicsFormat::check` read and built: the rows, their columns, the provenance
/// record, the table's level and the notes for the summary.
struct Checked {
    read: Read,
    built: Built,
    record: Map<String, Value>,
    level: Level,
    notes: Vec<String>,
}

impl Format for RadiomicsFormat<'_> {
    type Checked = Checked;

    fn check(&self, store: &Store) -> Result<Checked, IngestError> {
        let mut read = read_all(store, self.path, self.options)?;
        let variants = parse_variants(&read)?;
        let built = build_columns(&mut read)?;
        let record = provenance_record(&read, &variants, &built);
        let (level, repeated) = level_of(&read.rows.subjects);
        let notes = notes(&read, &variants, &built, &record, repeated);
        Ok(Checked {
            read,
            built,
            record,
            level,
            notes,
        })
    }

    fn write(&self, checked: Checked, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
        let Checked {
            read,
            built,
            record,
            level,
            notes,
        } = checked;
        let (staged, replaced) = write(txn, self.options, &read, built.columns, record, level)?;
        Ok(Written {
            importer: "radiomic".into(),
            summary: ImportSummary {
                table: staged.meta().name.clone(),
                kind: "radiomic".into(),
                version: 0,
                rows: read.rows.subjects.len() as u64,
                new_subjects: 0,
                replaced,
                source: read.source,
                columns: built.summaries,
                genes: read.layout.features.len(),
                notes,
            },
            tables: vec![staged],
        })
    }
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

/// The pattern that finds a subject ID in a path (`SUBJECT PATTERN`, else the default),
/// compiled, with its text for messages.
pub(super) fn subject_pattern(
    given: &Option<String>,
) -> Result<(regex::Regex, String), IngestError> {
    let text = given
        .clone()
        .unwrap_or_else(|| DEFAULT_SUBJECT_PATTERN.to_string());
    let pattern = regex::Regex::new(&text).map_err(|e| IngestError::BadPattern {
        pattern: text.clone(),
        message: e.to_string(),
    })?;
    Ok((pattern, text))
}

/// Reads the file, or every `*.csv` under the directory, into one layout and one set of rows.
fn read_all(store: &Store, path: &Path, options: &RadiomicsImport) -> Result<Read, IngestError> {
    let (pattern, pattern_text) = subject_pattern(&options.subject_pattern)?;
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

/// Several rows for one subject (several ROIs) make a table of several rows per subject; with
/// the number of subjects that have several.
pub(super) fn level_of(subjects: &[String]) -> (Level, usize) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for s in subjects {
        *count.entry(s.as_str()).or_insert(0) += 1;
    }
    let repeated = count.values().filter(|n| **n > 1).count();
    let level = if repeated > 0 {
        Level::Multi
    } else {
        Level::Subject
    };
    (level, repeated)
}

/// What the import says besides its columns.
fn notes(
    read: &Read,
    variants: &Variants,
    built: &Built,
    record: &Map<String, Value>,
    repeated: usize,
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
    if repeated > 0 {
        notes.push(format!(
            "{repeated} subjects have several rows (ROIs): the table has several rows per subject"
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

/// Registers the subjects and writes the table in `txn`; whether it replaces one.
fn write(
    txn: &mut WriteTxn<'_>,
    options: &RadiomicsImport,
    read: &Read,
    columns: Vec<(NewColumn, ColumnType, ArrayRef)>,
    record: Map<String, Value>,
    level: Level,
) -> Result<(StagedTable, bool), IngestError> {
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
    Ok((writer.finish()?, replaced))
}
