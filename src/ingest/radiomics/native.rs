//! `IMPORT RADIOMICS FROM IMAGES 'batch.csv'` (and, in `dicom.rs`, `FROM DICOM 'dir'`):
//! features computed by rgdb itself (`crate::radiomics`, PyRadiomics v3.0.1's definitions) on
//! all cores, written as one table with the same columns a PyRadiomics CSV import makes.
//!
//! - Each case is computed before the database is touched (`Format::check`); a case that
//!   fails stops the import with its error, or with `SKIP BAD` is left out and listed.
//! - The table's `provenance` record holds the settings as PyRadiomics reports them
//!   (`diagnostics_Configuration_Settings`, so that they compare with an imported CSV's),
//!   "PyRadiomics v3.0.1 compatible", rgdb's version, the parameter file and the SHA-256 of
//!   every input file. Cases whose settings differ (a batch `Label` column) are refused
//!   unless `ALLOW MIXED SETTINGS`, as E0427 refuses them in a PyRadiomics CSV.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use serde_json::{Map, Value};

use super::read::subject_from_paths;
use super::{level_of, subject_pattern};
use crate::ingest::IngestError;
use crate::ingest::infer::{NullTokens, infer};
use crate::ingest::names::{UniqueNames, identifier, snake_case};
use crate::ingest::pipeline::{self, Format, Written};
use crate::ingest::source::combined_source;
use crate::ingest::subjects::check_subject_id;
use crate::ingest::summary::{ColumnSummary, ImportSummary};
use crate::radiomics::batch::{Case, Computed, read_batch, run as run_cases, sha256};
use crate::radiomics::{Params, RadiomicsError, read_params};
use crate::storage::{ColumnRole, ColumnType, NewColumn, SUBJECT_COLUMN, Store, WriteTxn};

/// How to compute and import radiomic features.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeImport {
    /// The table to create or replace (`radiomic`).
    pub table: String,
    /// A PyRadiomics parameter file (`PARAMS`); PyRadiomics' defaults without it.
    pub params: Option<PathBuf>,
    /// A batch column holding subject IDs (`SUBJECT COLUMN`), instead of the paths.
    pub subject_column: Option<String>,
    /// The pattern that finds the subject ID in the image (then mask) path.
    pub subject_pattern: Option<String>,
    /// Accept cases computed with different settings (a `Label` column).
    pub allow_mixed_settings: bool,
    /// Import the cases that can be computed and list the others.
    pub skip_bad: bool,
}

impl NativeImport {
    pub fn new(table: &str) -> Self {
        NativeImport {
            table: table.to_string(),
            params: None,
            subject_column: None,
            subject_pattern: None,
            allow_mixed_settings: false,
            skip_bad: false,
        }
    }
}

/// One case computed, with the subject it belongs to and the cells it keeps.
pub(crate) struct Row {
    pub subject: String,
    pub place: String,
    pub cells: Vec<(String, String)>,
    pub computed: Computed,
}

/// Every case of an import computed (or skipped), ready to be written.
pub(crate) struct Computedset {
    pub rows: Vec<Row>,
    pub skipped: Vec<String>,
    pub params: Params,
    /// Every input file read, with its SHA-256 (parameter file, batch, images, masks).
    pub inputs: Vec<(String, String)>,
    pub source: crate::storage::SourceFile,
}

/// `IMPORT RADIOMICS FROM IMAGES 'batch.csv'`.
pub fn import_images(
    store: &Store,
    path: &Path,
    options: &NativeImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &Images { path, options }, statement)
}

struct Images<'a> {
    path: &'a Path,
    options: &'a NativeImport,
}

impl Format for Images<'_> {
    type Checked = Computedset;

    fn check(&self, _store: &Store) -> Result<Computedset, IngestError> {
        let params = params_of(self.options)?;
        let cases = read_batch(self.path).map_err(|e| radiomics(self.path, e))?;
        if cases.is_empty() {
            return Err(IngestError::NoRows {
                file: self.path.display().to_string(),
            });
        }
        let subjects = subjects_of(&cases, self.options)?;
        guard_labels(&cases, &params, self.options)?;
        let results = compute_all(&cases, &params)?;
        let mut inputs = inputs_of(self.path, self.options)?;
        let mut listed: std::collections::HashSet<String> =
            inputs.iter().map(|(f, _)| f.clone()).collect();
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        for ((case, subject), result) in cases.into_iter().zip(subjects).zip(results) {
            match result {
                Ok(computed) => {
                    // Each file once, with the SHA-256 its diagnostics already hold.
                    for (file, key) in [
                        (&case.image, "diagnostics_Image-original_SHA256"),
                        (&case.mask, "diagnostics_Mask-original_SHA256"),
                    ] {
                        let name = file.display().to_string();
                        if listed.insert(name.clone()) {
                            let hash = computed.diagnostics.iter().find(|(k, _)| k == key);
                            inputs.push((name, hash.map_or(String::new(), |(_, h)| h.clone())));
                        }
                    }
                    rows.push(Row {
                        subject,
                        place: case.place,
                        cells: case.cells,
                        computed,
                    });
                }
                Err(e) if self.options.skip_bad => {
                    skipped.push(format!("skipped {}: error[{}] {e}", case.place, e.code()))
                }
                Err(e) => return Err(IngestError::radiomics(case.place, &e)),
            }
        }
        finish(self.path, rows, skipped, params, inputs)
    }

    fn write(&self, checked: Computedset, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
        write(txn, &self.options.table, checked)
    }
}

/// The parameter file's settings, or PyRadiomics' defaults.
pub(crate) fn params_of(options: &NativeImport) -> Result<Params, IngestError> {
    match &options.params {
        Some(p) => read_params(p).map_err(|e| radiomics(p, e)),
        None => Ok(Params::default()),
    }
}

/// A radiomics error, placed at a file.
pub(crate) fn radiomics(file: &Path, error: RadiomicsError) -> IngestError {
    IngestError::radiomics(file.display().to_string(), &error)
}

/// The batch and parameter files with their SHA-256.
fn inputs_of(batch: &Path, options: &NativeImport) -> Result<Vec<(String, String)>, IngestError> {
    let mut inputs = vec![(
        batch.display().to_string(),
        sha256(batch).map_err(|e| radiomics(batch, e))?,
    )];
    if let Some(p) = &options.params {
        inputs.push((
            p.display().to_string(),
            sha256(p).map_err(|e| radiomics(p, e))?,
        ));
    }
    Ok(inputs)
}

/// Every case computed, on all cores, with progress; a case's error is its result. Ctrl-C
/// stops the work between cases, and the import fails with nothing written.
pub(crate) fn compute_all(
    cases: &[Case],
    params: &Params,
) -> Result<Vec<Result<Computed, RadiomicsError>>, IngestError> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let stop = crate::progress::stop_flag();
    let results = run_cases(cases, params, jobs, &stop);
    let done = results.iter().filter(|r| r.is_some()).count();
    if done < cases.len() {
        return Err(IngestError::Stopped {
            done,
            total: cases.len(),
        });
    }
    Ok(results.into_iter().flatten().collect())
}

/// Each case's subject: from `SUBJECT COLUMN`, else from the image (then mask) path.
fn subjects_of(cases: &[Case], options: &NativeImport) -> Result<Vec<String>, IngestError> {
    let (pattern, pattern_text) = subject_pattern(&options.subject_pattern)?;
    let mut subjects = Vec::with_capacity(cases.len());
    for case in cases {
        let (file, line) = case.place.rsplit_once(':').unwrap_or((&case.place, "0"));
        let line: u64 = line.parse().unwrap_or(0);
        let cell = |name: &str| {
            case.cells
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let subject = match &options.subject_column {
            Some(column) => match cell(column) {
                Some(v) if !v.trim().is_empty() => v.trim().to_string(),
                Some(_) => {
                    return Err(IngestError::EmptySubject {
                        file: file.into(),
                        line,
                        column: column.clone(),
                    });
                }
                None => {
                    return Err(IngestError::MissingSubjectColumn {
                        file: file.into(),
                        wanted: vec![column.clone()],
                        header: case.cells.iter().map(|(k, _)| k.clone()).collect(),
                        candidates: Vec::new(),
                    });
                }
            },
            None => {
                let paths = [cell("Image").unwrap_or(""), cell("Mask").unwrap_or("")];
                subject_from_paths(&pattern, paths.into_iter()).ok_or_else(|| {
                    IngestError::NoSubjectInPath {
                        file: file.into(),
                        line,
                        pattern: pattern_text.clone(),
                        path: paths[0].to_string(),
                    }
                })?
            }
        };
        subjects.push(subject);
    }
    Ok(subjects)
}

/// Cases of different labels have different settings: refused unless mixing is allowed.
fn guard_labels(
    cases: &[Case],
    params: &Params,
    options: &NativeImport,
) -> Result<(), IngestError> {
    if options.allow_mixed_settings {
        return Ok(());
    }
    let label = |c: &Case| c.label.unwrap_or(params.settings.label);
    let Some(first) = cases.first() else {
        return Ok(());
    };
    for case in &cases[1..] {
        if label(case) != label(first) {
            let (file, line) = case.place.rsplit_once(':').unwrap_or((&case.place, "0"));
            return Err(IngestError::MixedSettings {
                file: file.to_string(),
                line: line.parse().unwrap_or(0),
                first: first.place.clone(),
                label: "Label".into(),
                values: format!("{} vs {}", label(case), label(first)),
            });
        }
    }
    Ok(())
}

/// The computed set, or the first case's error when none could be computed.
pub(crate) fn finish(
    path: &Path,
    rows: Vec<Row>,
    skipped: Vec<String>,
    params: Params,
    inputs: Vec<(String, String)>,
) -> Result<Computedset, IngestError> {
    if rows.is_empty() {
        return Err(IngestError::NoCases {
            file: path.display().to_string(),
            skipped: skipped.len(),
            first: skipped.first().map_or(String::new(), |s| {
                s.trim_start_matches("skipped ").to_string()
            }),
        });
    }
    let source = combined_source(
        &path.display().to_string(),
        inputs
            .iter()
            .map(|(f, h)| (std::fs::metadata(f).map_or(0, |m| m.len()), h.clone())),
    );
    Ok(Computedset {
        rows,
        skipped,
        params,
        inputs,
        source,
    })
}

/// The table: subject, the cases' own cells, the per-case diagnostics, then the features.
pub(crate) fn write(
    txn: &mut WriteTxn<'_>,
    table: &str,
    set: Computedset,
) -> Result<Written, IngestError> {
    let replaced = txn
        .base()
        .find_table(&table.to_ascii_lowercase())?
        .is_some();
    let mut ids = Vec::with_capacity(set.rows.len());
    for row in &set.rows {
        check_subject_id(&row.subject, || row.place.clone())?;
        let id = match txn.resolve_subject(&row.subject)? {
            Some(id) => id,
            None => txn.register_subject(&row.subject),
        };
        ids.push(id);
    }
    let (columns, summaries, features) = columns_of(&set.rows);
    let subjects: Vec<String> = set.rows.iter().map(|r| r.subject.clone()).collect();
    let (level, repeated) = level_of(&subjects);
    let record = provenance(&set, features);
    let mut writer = txn.table(table, level, "radiomic")?;
    writer.set_source(set.source.clone());
    writer.set_property("provenance", &Value::Object(record).to_string());
    writer.subjects(ids, "subject")?;
    for (column, ty, array) in &columns {
        writer.column(column.clone(), *ty, array)?;
    }
    writer.set_roles(|c| {
        if c.label.starts_with("original_") {
            ColumnRole::Measurement
        } else if c.label.starts_with("diagnostics_") {
            ColumnRole::Metadata
        } else {
            ColumnRole::Attribute
        }
    });
    let staged = writer.finish()?;
    let notes = notes_of(&set, features, repeated);
    Ok(Written {
        importer: "radiomic".into(),
        summary: ImportSummary {
            table: staged.meta().name.clone(),
            kind: "radiomic".into(),
            version: 0,
            rows: set.rows.len() as u64,
            new_subjects: 0,
            replaced,
            source: set.source,
            columns: summaries,
            genes: features,
            notes,
        },
        tables: vec![staged],
    })
}

/// What the import says besides its columns: the count, lesion level, the cases skipped and
/// the warnings (a class PyRadiomics would have skipped for a case).
fn notes_of(set: &Computedset, features: usize, repeated: usize) -> Vec<String> {
    let mut notes = vec![format!(
        "{} cases computed natively (PyRadiomics v3.0.1 compatible, rgdb {}), {} features each",
        set.rows.len(),
        env!("CARGO_PKG_VERSION"),
        features
    )];
    if repeated > 0 {
        notes.push(format!(
            "{repeated} subjects have several rows (lesions): the table has several rows per subject"
        ));
    }
    notes.extend(set.skipped.iter().cloned());
    // What PyRadiomics would have logged as a warning (a class it skipped for a case).
    let warnings: Vec<String> = set
        .rows
        .iter()
        .flat_map(|r| {
            r.computed
                .warnings
                .iter()
                .map(move |w| format!("{}: {w}", r.place))
        })
        .collect();
    notes.extend(warnings.iter().take(20).cloned());
    if warnings.len() > 20 {
        notes.push(format!("… and {} more warnings", warnings.len() - 20));
    }
    notes
}

type Columns = Vec<(NewColumn, ColumnType, ArrayRef)>;

/// The columns of the rows (the features named as the first row names them, in its order).
fn columns_of(rows: &[Row]) -> (Columns, Vec<ColumnSummary>, usize) {
    let mut names = UniqueNames::reserving([SUBJECT_COLUMN]);
    let mut columns: Columns = Vec::new();
    let mut summaries = Vec::new();
    let nulls = NullTokens::default();
    let mut text_labels: Vec<String> = Vec::new();
    for row in rows {
        let labels = row
            .cells
            .iter()
            .map(|(k, _)| k)
            .chain(row.computed.diagnostics.iter().map(|(k, _)| k));
        for label in labels {
            if !label.starts_with("diagnostics_Configuration") && !text_labels.contains(label) {
                text_labels.push(label.clone());
            }
        }
    }
    for label in &text_labels {
        let cells: Vec<String> = rows
            .iter()
            .map(|r| {
                r.cells
                    .iter()
                    .chain(&r.computed.diagnostics)
                    .find(|(k, _)| k == label)
                    .map_or(String::new(), |(_, v)| v.clone())
            })
            .collect();
        let typed = infer(cells.iter().map(String::as_str), &nulls);
        let diagnostic = label.starts_with("diagnostics_");
        let name = names.claim(if diagnostic {
            identifier(label)
        } else {
            snake_case(label)
        });
        summaries.push(ColumnSummary {
            name: name.clone(),
            label: label.clone(),
            ty: typed.ty,
            non_null: typed.array.len() - typed.array.null_count(),
            derived: false,
            null_tokens: BTreeMap::new(),
        });
        let description = if diagnostic {
            "diagnostics of the native extraction (per-row provenance)"
        } else {
            "from the batch file"
        };
        columns.push((
            NewColumn {
                name,
                label: label.clone(),
                unit: None,
                description: Some(description.into()),
            },
            typed.ty,
            typed.array,
        ));
    }
    let features = feature_columns(rows, &mut names, &mut columns);
    (columns, summaries, features)
}

/// The feature columns (every case's, in the order they first come); how many.
fn feature_columns(rows: &[Row], names: &mut UniqueNames, columns: &mut Columns) -> usize {
    // Every case's features, in the order they first come (a class PyRadiomics skips for one
    // case, such as shape2D, is missing only there: NULL in its row).
    let mut features: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        for (k, _) in &row.computed.features {
            if seen.insert(k.as_str()) {
                features.push(k.clone());
            }
        }
    }
    for label in &features {
        let values: Float64Array = rows
            .iter()
            .map(|r| {
                r.computed
                    .features
                    .iter()
                    .find(|(k, _)| k == label)
                    .map(|(_, v)| *v)
            })
            .collect();
        let class = label.split('_').nth(1).unwrap_or("");
        columns.push((
            NewColumn {
                name: names.claim(identifier(label)),
                label: label.clone(),
                unit: None,
                description: Some(format!(
                    "computed by rgdb (PyRadiomics v3.0.1 definitions): image type original, class {class}"
                )),
            },
            ColumnType::Float64,
            Arc::new(values),
        ));
    }
    features.len()
}

/// The table's provenance record.
fn provenance(set: &Computedset, features: usize) -> Map<String, Value> {
    let mut record = Map::new();
    record.insert(
        "pyradiomics".into(),
        "v3.0.1 compatible (computed by rgdb)".into(),
    );
    record.insert(
        "computed_by".into(),
        format!("rgdb {}", env!("CARGO_PKG_VERSION")).into(),
    );
    record.insert("settings".into(), set.params.configuration_json());
    record.insert("enabled_image_types".into(), set.params.image_types.clone());
    record.insert("features".into(), features.into());
    let inputs: Vec<Value> = set
        .inputs
        .iter()
        .map(|(f, h)| serde_json::json!({ "file": f, "sha256": h }))
        .collect();
    record.insert("inputs".into(), Value::Array(inputs));
    if !set.skipped.is_empty() {
        record.insert(
            "skipped".into(),
            Value::Array(set.skipped.iter().cloned().map(Value::String).collect()),
        );
    }
    record
}
