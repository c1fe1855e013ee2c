//! The AIM importer: radiologists' semantic annotations (AIM v4 XML, ePAD's AIM JSON, AIM v3
//! XML) as a table with one row per `ImageAnnotation` and one column per question.
//!
//! A file or a whole directory (recursively; `*.xml` and `*.json`) becomes one new generation
//! of the table (`semantic` by default, several rows per subject). Each row keeps the
//! annotation's UID, date and time, annotator, study, series, image and segmentation UIDs and
//! its file. Each question becomes a text column named after its label with the answer's
//! display name, and a `_code` column beside it with the answer's code (RadLex `RID…` or
//! other); a question answered several times in one annotation, or allowed several answers by
//! the template, becomes a text-list column. Each calculation becomes a float column with its
//! unit. With a template, every question it asks gets its columns, its allowed answers are
//! written into the column description, and answers it does not allow are reported.

mod columns;
mod model;
mod template;
mod tree;

use std::path::{Path, PathBuf};

use columns::{Built, build_columns};

pub use model::{Annotation, Answer, Calculation, annotations};
pub use template::{Question, Template, Term};
pub use tree::{Node, parse_json, parse_xml};

use super::IngestError;
use super::pipeline::{self, Format, Written};
use super::source::{combined_source, decode_utf8, sha256_hex};
use super::subjects::check_subject_id;
use super::summary::ImportSummary;
use super::walk::files_under;
use crate::storage::{Level, SourceFile, Store, WriteTxn};

/// Files larger than this are refused before they are parsed (AIM files are a few kB).
pub const MAX_AIM_FILE_BYTES: u64 = 64 << 20;

/// Which `person` field names the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonField {
    /// `person/id` (the default).
    Id,
    /// `person/name`.
    Name,
}

impl PersonField {
    pub fn parse(text: &str) -> Option<PersonField> {
        match text.trim().to_ascii_lowercase().as_str() {
            "id" | "person/id" => Some(PersonField::Id),
            "name" | "person/name" => Some(PersonField::Name),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            PersonField::Id => "person/id",
            PersonField::Name => "person/name",
        }
    }
}

/// How to import AIM annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct AimImport {
    /// The table to create or replace (`semantic`).
    pub table: String,
    /// An ePAD template whose questions and answers the annotations are checked against.
    pub template: Option<PathBuf>,
    /// Import the good files of a directory and list the bad ones, instead of failing whole.
    pub skip_bad: bool,
    /// Where the subject ID comes from.
    pub subject_field: PersonField,
    /// A regular expression applied to that field: its first capture group (or the whole
    /// match) is the subject ID, which may also be an alias.
    pub subject_pattern: Option<String>,
}

impl AimImport {
    pub fn new(table: &str) -> Self {
        AimImport {
            table: table.to_string(),
            template: None,
            skip_bad: false,
            subject_field: PersonField::Id,
            subject_pattern: None,
        }
    }

    pub fn with_template(mut self, template: impl Into<PathBuf>) -> Self {
        self.template = Some(template.into());
        self
    }

    pub fn skipping_bad_files(mut self) -> Self {
        self.skip_bad = true;
        self
    }

    pub fn with_subject(mut self, field: PersonField, pattern: Option<&str>) -> Self {
        self.subject_field = field;
        self.subject_pattern = pattern.map(str::to_string);
        self
    }
}

impl Default for AimImport {
    fn default() -> Self {
        AimImport::new("semantic")
    }
}

/// One file's annotations, read and checked.
struct ReadFile {
    annotations: Vec<(String, Annotation)>,
    bytes: Vec<u8>,
}

/// The files of an import, read: the good ones, notes on the documents that are not AIM, and
/// the bad ones with their errors.
struct Reading {
    read: Vec<ReadFile>,
    not_aim: Vec<String>,
    bad: Vec<(String, IngestError)>,
}

impl Reading {
    /// Reads every file the scan found. Documents of another kind met in a directory (`path`)
    /// are skipped; a file named alone must be AIM.
    fn files(
        scan: &Scan,
        path: &Path,
        options: &AimImport,
        pattern: Option<&regex::Regex>,
    ) -> Reading {
        let in_directory = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
        let mut reading = Reading {
            read: Vec::new(),
            not_aim: scan.not_aim.clone(),
            bad: Vec::new(),
        };
        for file in &scan.files {
            match read_file(file, options, pattern) {
                Ok(r) => reading.read.push(r),
                Err(e) => match not_aim_reason(&e).filter(|_| in_directory) {
                    Some(reason) => reading.not_aim.push(format!(
                        "skipped {}: not an AIM document ({reason})",
                        file.display()
                    )),
                    None => reading.bad.push((file.display().to_string(), e)),
                },
            }
        }
        reading
    }

    /// Fails on bad files unless they are skipped: with the error itself for one, else with
    /// how many of the `total` files were bad and the first error.
    fn refuse_bad(&mut self, shown: &str, total: usize, skip_bad: bool) -> Result<(), IngestError> {
        if self.bad.is_empty() || skip_bad {
            return Ok(());
        }
        if self.bad.len() == 1 {
            return Err(self.bad.remove(0).1);
        }
        Err(IngestError::BadAimFiles {
            path: shown.to_string(),
            bad: self.bad.len(),
            total,
            first: self.bad[0].1.to_string(),
        })
    }

    /// The import's notes: how many annotations from how many files, then what the directory
    /// walk did not follow, the documents that are not AIM and the bad files skipped.
    fn notes(&self, annotations: usize, walk_skipped: Vec<String>) -> Vec<String> {
        let skipped = if self.bad.is_empty() {
            String::new()
        } else {
            format!(" ({} skipped)", self.bad.len())
        };
        let mut notes = vec![format!(
            "{annotations} annotations from {} files{skipped}",
            self.read.len()
        )];
        notes.extend(walk_skipped);
        notes.extend(self.not_aim.iter().cloned());
        notes.extend(
            self.bad
                .iter()
                .map(|(file, e)| format!("skipped {file}: {e}")),
        );
        notes
    }
}

/// Imports an AIM file or directory as one new version.
pub fn import_aim(
    store: &Store,
    path: &Path,
    options: &AimImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &AimFormat { path, options }, statement)
}

/// `IMPORT AIM`: AIM documents (XML or ePAD JSON), one lesion-level row per annotation.
struct AimFormat<'a> {
    path: &'a Path,
    options: &'a AimImport,
}

/// What `AimFormat::check` read and built.
struct Checked {
    /// Each annotation with its subject.
    rows: Vec<(String, Annotation)>,
    columns: Vec<Built>,
    source: SourceFile,
    files: usize,
    template: Option<String>,
    notes: Vec<String>,
}

impl Format for AimFormat<'_> {
    type Checked = Checked;

    fn check(&self, _store: &Store) -> Result<Checked, IngestError> {
        let (path, options) = (self.path, self.options);
        let shown = path.display().to_string();
        let pattern = subject_regex(options)?;
        let template = match &options.template {
            Some(t) => Some(read_template(t)?),
            None => None,
        };
        let scan = aim_files(path, options.template.as_deref())?;
        let mut reading = Reading::files(&scan, path, options, pattern.as_ref());
        reading.refuse_bad(&shown, scan.files.len(), options.skip_bad)?;
        let rows: Vec<(String, Annotation)> = reading
            .read
            .iter_mut()
            .flat_map(|r| std::mem::take(&mut r.annotations))
            .collect();
        if rows.is_empty() {
            return Err(IngestError::NoAnnotations {
                path: shown,
                not_aim: reading.not_aim.len(),
            });
        }
        let mut notes = reading.notes(rows.len(), scan.skipped);
        let columns = build_columns(&rows, template.as_ref(), &mut notes);
        let source = combined_source(
            &shown,
            reading
                .read
                .iter()
                .map(|r| (r.bytes.len() as u64, sha256_hex(&r.bytes))),
        );
        Ok(Checked {
            rows,
            columns,
            source,
            files: reading.read.len(),
            template: template.map(|t| t.name),
            notes,
        })
    }

    fn write(&self, checked: Checked, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
        let options = self.options;
        let replaced = txn
            .base()
            .find_table(&options.table.to_ascii_lowercase())?
            .is_some();
        let mut ids = Vec::with_capacity(checked.rows.len());
        for (subject, _) in &checked.rows {
            let id = match txn.resolve_subject(subject)? {
                Some(id) => id,
                None => txn.register_subject(subject),
            };
            ids.push(id);
        }
        let mut writer = txn.table(&options.table, Level::Multi, "aim")?;
        writer.set_source(checked.source.clone());
        writer.set_property("files", &checked.files.to_string());
        if let Some(name) = &checked.template {
            writer.set_property("template", name);
        }
        writer.subjects(ids, options.subject_field.name())?;
        for c in &checked.columns {
            writer.column(c.column.clone(), c.ty, &c.array)?;
        }
        let staged = writer.finish()?;
        Ok(Written {
            importer: "aim".into(),
            summary: ImportSummary {
                table: staged.meta().name.clone(),
                kind: "aim".into(),
                version: 0,
                rows: checked.rows.len() as u64,
                new_subjects: 0,
                replaced,
                source: checked.source,
                columns: checked.columns.iter().map(Built::summary).collect(),
                genes: 0,
                notes: checked.notes,
            },
            tables: vec![staged],
        })
    }
}

fn subject_regex(options: &AimImport) -> Result<Option<regex::Regex>, IngestError> {
    options
        .subject_pattern
        .as_deref()
        .map(|p| {
            regex::Regex::new(p).map_err(|e| IngestError::BadPattern {
                pattern: p.to_string(),
                message: e.to_string(),
            })
        })
        .transpose()
}

fn read_template(path: &Path) -> Result<Template, IngestError> {
    let file = path.display().to_string();
    let bytes = read_limited(path)?;
    let text = decode_utf8(&file, bytes)?;
    let root = parse_xml(&file, &text)?;
    Template::from_tree(&file, &root)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, IngestError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| IngestError::Io {
        file: file.clone(),
        message: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_AIM_FILE_BYTES {
        return Err(IngestError::TooLarge {
            file: file.clone(),
            size,
            limit: MAX_AIM_FILE_BYTES,
        });
    }
    std::fs::read(path).map_err(io)
}

/// The files an AIM import reads.
struct Scan {
    /// In path order.
    files: Vec<PathBuf>,
    /// What the directory walk did not follow.
    skipped: Vec<String>,
    /// Notes for the files left out as not annotations: the template, when the walk met it.
    not_aim: Vec<String>,
}

/// The file itself, or every `*.xml` and `*.json` under a directory but the template.
fn aim_files(path: &Path, template: Option<&Path>) -> Result<Scan, IngestError> {
    let walk = files_under(path, &["xml", "json"])?;
    let template = template.and_then(|t| Some((t.file_name()?.to_owned(), t.canonicalize().ok()?)));
    // Only a file of the template's name is resolved to compare: one lookup, not one a file.
    let is_template = |f: &PathBuf| {
        template.as_ref().is_some_and(|(name, real)| {
            f.file_name() == Some(name.as_os_str()) && f.canonicalize().ok().as_ref() == Some(real)
        })
    };
    let (templates, files): (Vec<PathBuf>, Vec<PathBuf>) =
        walk.files.into_iter().partition(is_template);
    let not_aim: Vec<String> = templates
        .iter()
        .map(|t| {
            format!(
                "skipped {}: it is the template the annotations are checked against",
                t.display()
            )
        })
        .collect();
    if files.is_empty() {
        return Err(IngestError::NoAnnotations {
            path: path.display().to_string(),
            not_aim: not_aim.len(),
        });
    }
    Ok(Scan {
        files,
        skipped: walk.skipped,
        not_aim,
    })
}

/// Why a well-formed document is not an annotation, if that is what `e` says.
fn not_aim_reason(e: &IngestError) -> Option<String> {
    match e {
        IngestError::NotAim { root, .. } => Some(format!("its root element is <{root}>")),
        IngestError::NotAimJson { found, .. } => Some(format!("its root is {found}")),
        _ => None,
    }
}

/// Reads a document as JSON or XML: by its first character (`{` or `[` is JSON, `<` is XML),
/// else by its extension, so that a JSON file is never reported as malformed XML.
fn parse_document(path: &Path, file: &str, text: &str) -> Result<Node, IngestError> {
    let json = match text.trim_start().chars().next() {
        Some('{' | '[') => true,
        Some('<') => false,
        _ => path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json")),
    };
    if json {
        parse_json(file, text)
    } else {
        parse_xml(file, text)
    }
}

fn read_file(
    path: &Path,
    options: &AimImport,
    pattern: Option<&regex::Regex>,
) -> Result<ReadFile, IngestError> {
    let file = path.display().to_string();
    let bytes = read_limited(path)?;
    let text = decode_utf8(&file, bytes.clone())?;
    let root = parse_document(path, &file, &text)?;
    let mut annotations = Vec::new();
    for a in model::annotations(&file, &root)? {
        let field = match options.subject_field {
            PersonField::Id => a.person_id.as_deref(),
            PersonField::Name => a.person_name.as_deref(),
        };
        let subject = field.and_then(|v| match pattern {
            None => Some(v.trim().to_string()),
            Some(re) => re.captures(v).map(|c| {
                c.get(1)
                    .or_else(|| c.get(0))
                    .map_or(String::new(), |m| m.as_str().to_string())
            }),
        });
        match subject.filter(|s| !s.is_empty()) {
            Some(s) => {
                check_subject_id(&s, || a.place())?;
                annotations.push((s, a));
            }
            None => {
                return Err(IngestError::NoAimSubject {
                    place: a.place(),
                    field: options.subject_field.name().into(),
                    value: field.map(str::to_string),
                    pattern: options.subject_pattern.clone(),
                });
            }
        }
    }
    Ok(ReadFile { annotations, bytes })
}
