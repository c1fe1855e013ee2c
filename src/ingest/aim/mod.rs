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

mod model;
mod template;
mod tree;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, StringArray};

pub use model::{Annotation, Answer, Calculation, annotations};
pub use template::{Question, Template, Term};
pub use tree::{Node, parse_json, parse_xml};

use super::IngestError;
use super::infer::{parse_date, text_list};
use super::names::{UniqueNames, snake_case};
use super::pipeline::{self, Format, Written};
use super::source::{combined_source, decode_utf8, sha256_hex};
use super::subjects::check_subject_id;
use super::summary::{ColumnSummary, ImportSummary};
use super::walk::files_under;
use crate::storage::{ColumnType, Level, NewColumn, SUBJECT_COLUMN, SourceFile, Store, WriteTxn};

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
        let files = &scan.files;
        // Documents of another kind met in a directory are skipped; a file named alone must be
        // AIM.
        let in_directory = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
        let mut read = Vec::new();
        let mut not_aim = scan.not_aim;
        let mut bad: Vec<(String, IngestError)> = Vec::new();
        for file in files {
            match read_file(file, options, pattern.as_ref()) {
                Ok(r) => read.push(r),
                Err(e) => match not_aim_reason(&e).filter(|_| in_directory) {
                    Some(reason) => not_aim.push(format!(
                        "skipped {}: not an AIM document ({reason})",
                        file.display()
                    )),
                    None => bad.push((file.display().to_string(), e)),
                },
            }
        }
        if !bad.is_empty() && !options.skip_bad {
            if bad.len() == 1 {
                return Err(bad.remove(0).1);
            }
            return Err(IngestError::BadAimFiles {
                path: shown,
                bad: bad.len(),
                total: files.len(),
                first: bad[0].1.to_string(),
            });
        }
        let rows: Vec<(String, Annotation)> = read
            .iter_mut()
            .flat_map(|r| std::mem::take(&mut r.annotations))
            .collect();
        if rows.is_empty() {
            return Err(IngestError::NoAnnotations {
                path: shown,
                not_aim: not_aim.len(),
            });
        }
        let skipped = if bad.is_empty() {
            String::new()
        } else {
            format!(" ({} skipped)", bad.len())
        };
        let mut notes = vec![format!(
            "{} annotations from {} files{skipped}",
            rows.len(),
            read.len()
        )];
        notes.extend(scan.skipped);
        notes.extend(not_aim);
        notes.extend(bad.iter().map(|(file, e)| format!("skipped {file}: {e}")));
        let columns = build_columns(&rows, template.as_ref(), &mut notes);
        let source = combined_source(
            &shown,
            read.iter()
                .map(|r| (r.bytes.len() as u64, sha256_hex(&r.bytes))),
        );
        Ok(Checked {
            rows,
            columns,
            source,
            files: read.len(),
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

/// A column ready to write.
struct Built {
    column: NewColumn,
    ty: ColumnType,
    array: ArrayRef,
}

impl Built {
    /// The column as the summary lists it.
    fn summary(&self) -> ColumnSummary {
        ColumnSummary {
            name: self.column.name.clone(),
            label: self.column.label.clone(),
            ty: self.ty,
            non_null: self.array.len() - self.array.null_count(),
            derived: false,
            null_tokens: BTreeMap::new(),
        }
    }
}

fn text_column(name: &str, label: &str, description: &str, values: Vec<Option<String>>) -> Built {
    Built {
        column: NewColumn {
            name: name.into(),
            label: label.into(),
            unit: None,
            description: Some(description.into()),
        },
        ty: ColumnType::Utf8,
        array: Arc::new(StringArray::from(values)),
    }
}

fn list_column(name: &str, label: &str, description: &str, values: Vec<Vec<String>>) -> Built {
    let rows = values
        .into_iter()
        .map(|v| if v.is_empty() { None } else { Some(v) });
    Built {
        column: NewColumn {
            name: name.into(),
            label: label.into(),
            unit: None,
            description: Some(description.into()),
        },
        ty: ColumnType::TextList,
        array: Arc::new(text_list(rows)),
    }
}

/// A fixed text column: name, source label, description, and how to read it.
type TextField = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Annotation) -> Option<String>,
);
/// A fixed text-list column.
type ListField = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Annotation) -> &[String],
);

/// The annotation's own text columns, in table order (`annotation_date` follows the fifth,
/// the UID lists the tenth).
const ANNOTATION_TEXT: [TextField; 13] = [
    (
        "annotation_uid",
        "ImageAnnotation/uniqueIdentifier",
        "the annotation's UID",
        |a| a.uid.clone(),
    ),
    (
        "annotation_name",
        "ImageAnnotation/name",
        "the annotation's name",
        |a| a.name.clone(),
    ),
    (
        "annotation_type",
        "ImageAnnotation/typeCode",
        "what kind of annotation (display name of its type code)",
        |a| a.type_name.clone(),
    ),
    (
        "annotation_type_code",
        "ImageAnnotation/typeCode@code",
        "the code of its type",
        |a| a.type_code.clone(),
    ),
    (
        "annotation_datetime",
        "ImageAnnotation/dateTime",
        "when it was made (ISO 8601)",
        |a| a.datetime.clone(),
    ),
    ("annotator", "user/loginName", "who made it", |a| {
        a.annotator.clone()
    }),
    (
        "person_id",
        "person/id",
        "the patient ID written in the file",
        |a| a.person_id.clone(),
    ),
    (
        "person_name",
        "person/name",
        "the patient name written in the file",
        |a| a.person_name.clone(),
    ),
    (
        "study_uid",
        "imageStudy/instanceUid",
        "the annotated study",
        |a| a.study_uid.clone(),
    ),
    (
        "series_uid",
        "imageSeries/instanceUid",
        "the annotated series",
        |a| a.series_uid.clone(),
    ),
    (
        "comment",
        "ImageAnnotation/comment",
        "the annotation's comment",
        |a| a.comment.clone(),
    ),
    ("aim_format", "root element", "aim4 or aim3", |a| {
        Some(a.format.to_string())
    }),
    ("source_file", "file", "the file it was read from", |a| {
        Some(a.file.clone())
    }),
];

const ANNOTATION_LISTS: [ListField; 2] = [
    (
        "image_uids",
        "Image/sopInstanceUid",
        "the annotated images (SOP instance UIDs)",
        |a| &a.image_uids,
    ),
    (
        "segmentation_uids",
        "SegmentationEntity/sopInstanceUid",
        "the DICOM SEG objects it references",
        |a| &a.segmentation_uids,
    ),
];

/// The fixed columns, then two per question (answer, code), then one per calculation.
fn build_columns(
    rows: &[(String, Annotation)],
    template: Option<&Template>,
    notes: &mut Vec<String>,
) -> Vec<Built> {
    let text = |(name, label, description, get): &TextField| {
        let values = rows.iter().map(|(_, a)| get(a)).collect();
        text_column(name, label, description, values)
    };
    let list = |(name, label, description, get): &ListField| {
        let values = rows.iter().map(|(_, a)| get(a).to_vec()).collect();
        list_column(name, label, description, values)
    };
    let mut columns: Vec<Built> = ANNOTATION_TEXT[..5].iter().map(text).collect();
    let dates: Date32Array = rows
        .iter()
        .map(|(_, a)| a.datetime.as_deref().and_then(|d| parse_date(d.get(..10)?)))
        .collect();
    columns.push(Built {
        column: NewColumn {
            name: "annotation_date".into(),
            label: "ImageAnnotation/dateTime".into(),
            unit: None,
            description: Some("the day it was made".into()),
        },
        ty: ColumnType::Date32,
        array: Arc::new(dates),
    });
    columns.extend(ANNOTATION_TEXT[5..10].iter().map(text));
    columns.extend(ANNOTATION_LISTS.iter().map(list));
    columns.extend(ANNOTATION_TEXT[10..].iter().map(text));
    let mut names = UniqueNames::reserving(
        std::iter::once(SUBJECT_COLUMN).chain(columns.iter().map(|c| c.column.name.as_str())),
    );
    // Questions: the template's first, in its order, then the others as first met.
    let mut questions: Vec<String> = template
        .map(|t| t.questions.iter().map(|q| q.label.clone()).collect())
        .unwrap_or_default();
    let key = |s: &str| s.trim().to_lowercase();
    let mut known: HashMap<String, usize> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| (key(q), i))
        .collect();
    let mut outside = Vec::new();
    for (_, a) in rows {
        for answer in &a.answers {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                known.entry(key(&answer.question))
            {
                slot.insert(questions.len());
                questions.push(answer.question.clone());
                if template.is_some() {
                    outside.push(answer.question.clone());
                }
            }
        }
    }
    if !outside.is_empty() {
        notes.push(format!(
            "{} questions are not in the template (imported anyway): {}",
            outside.len(),
            outside.join(", ")
        ));
    }
    let mut refused = Vec::new();
    for question in &questions {
        let spec = template.and_then(|t| t.question(question));
        let per_row: Vec<Vec<&Answer>> = rows
            .iter()
            .map(|(_, a)| {
                a.answers
                    .iter()
                    .filter(|x| key(&x.question) == key(question))
                    .collect()
            })
            .collect();
        if let Some(spec) = spec {
            for ((_, a), answers) in rows.iter().zip(&per_row) {
                for x in answers {
                    if !spec.allows(&x.code, &x.meaning) {
                        refused.push(format!(
                            "{}: `{}` answered `{}` ({})",
                            a.place(),
                            question,
                            x.meaning,
                            x.code
                        ));
                    }
                }
            }
        }
        let several = spec.is_some_and(|q| q.max > 1) || per_row.iter().any(|v| v.len() > 1);
        let name = names.claim(snake_case(question));
        let code_name = names.claim(format!("{name}_code"));
        let description = match spec {
            Some(q) => {
                let allowed: Vec<&str> = q.allowed.iter().map(|t| t.meaning.as_str()).collect();
                let count = if q.max > 1 {
                    format!("up to {} answers", q.max)
                } else {
                    "one answer".into()
                };
                format!(
                    "AIM question `{question}`: {count} of {}",
                    allowed.join(" | ")
                )
            }
            None => format!("AIM question `{question}`"),
        };
        let code_description =
            format!("the code of the answer to `{question}` (RadLex RID…, or its scheme's code)");
        if several {
            columns.push(list_column(
                &name,
                question,
                &description,
                per_row
                    .iter()
                    .map(|v| v.iter().map(|x| x.meaning.clone()).collect())
                    .collect(),
            ));
            columns.push(list_column(
                &code_name,
                question,
                &code_description,
                per_row
                    .iter()
                    .map(|v| v.iter().map(|x| x.code.clone()).collect())
                    .collect(),
            ));
        } else {
            columns.push(text_column(
                &name,
                question,
                &description,
                per_row
                    .iter()
                    .map(|v| v.first().map(|x| x.meaning.clone()))
                    .collect(),
            ));
            columns.push(text_column(
                &code_name,
                question,
                &code_description,
                per_row
                    .iter()
                    .map(|v| v.first().map(|x| x.code.clone()))
                    .collect(),
            ));
        }
    }
    if !refused.is_empty() {
        let shown: Vec<&str> = refused.iter().take(10).map(String::as_str).collect();
        notes.push(format!(
            "{} answers are not allowed by the template (imported anyway): {}{}",
            refused.len(),
            shown.join("; "),
            if refused.len() > 10 { "; …" } else { "" }
        ));
    }
    // Calculations: the k-th calculation of one name within an annotation goes to `name_k`.
    let mut calc_columns: Vec<(String, String, Option<String>)> = Vec::new();
    let mut calc_index: HashMap<(String, usize), usize> = HashMap::new();
    let mut cells: Vec<HashMap<usize, f64>> = vec![HashMap::new(); rows.len()];
    for (r, (_, a)) in rows.iter().enumerate() {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for c in &a.calculations {
            let k = seen.entry(key(&c.name)).or_insert(0);
            *k += 1;
            let slot = *calc_index.entry((key(&c.name), *k)).or_insert_with(|| {
                let base = snake_case(&c.name);
                let wanted = if *k == 1 { base } else { format!("{base}_{k}") };
                calc_columns.push((names.claim(wanted), c.name.clone(), c.unit.clone()));
                calc_columns.len() - 1
            });
            cells[r].insert(slot, c.value);
        }
    }
    for (slot, (name, label, unit)) in calc_columns.into_iter().enumerate() {
        let values: Float64Array = cells.iter().map(|row| row.get(&slot).copied()).collect();
        columns.push(Built {
            column: NewColumn {
                name,
                label: label.clone(),
                unit,
                description: Some(format!("AIM calculation `{label}`")),
            },
            ty: ColumnType::Float64,
            array: Arc::new(values),
        });
    }
    columns
}
