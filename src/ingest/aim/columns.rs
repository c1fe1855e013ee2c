//! The lesion-level table's columns: the annotation's own fields, then two per question
//! (answer, code), then one per calculation.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, StringArray};

use super::{Annotation, Answer, Question, Template};
use crate::ingest::infer::{parse_date, text_list};
use crate::ingest::names::{UniqueNames, snake_case};
use crate::ingest::summary::ColumnSummary;
use crate::storage::{ColumnType, NewColumn, SUBJECT_COLUMN};

/// A column ready to write.
pub(super) struct Built {
    pub(super) column: NewColumn,
    pub(super) ty: ColumnType,
    pub(super) array: ArrayRef,
}

impl Built {
    /// The column as the summary lists it.
    pub(super) fn summary(&self) -> ColumnSummary {
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

/// A text column with one value (or none) per row.
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

/// A text-list column with the values of each row (none for a row without any).
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

/// The annotation's own text-list columns.
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
pub(super) fn build_columns(
    rows: &[(String, Annotation)],
    template: Option<&Template>,
    notes: &mut Vec<String>,
) -> Vec<Built> {
    let mut columns = fixed_columns(rows);
    let mut builder = Builder {
        rows,
        template,
        names: UniqueNames::reserving(
            std::iter::once(SUBJECT_COLUMN).chain(columns.iter().map(|c| c.column.name.as_str())),
        ),
    };
    let questions = builder.questions(notes);
    let mut refused = Vec::new();
    for question in &questions {
        columns.extend(builder.question_columns(question, &mut refused));
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
    columns.extend(builder.calculation_columns());
    columns
}

/// The annotation's own columns, in table order: `ANNOTATION_TEXT` with `annotation_date`
/// after its fifth and `ANNOTATION_LISTS` after its tenth.
fn fixed_columns(rows: &[(String, Annotation)]) -> Vec<Built> {
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
    columns
}

/// How questions and calculation names are matched: trimmed, without regard to case.
fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// What the question and calculation columns are built from, and the column names taken so
/// far.
struct Builder<'a> {
    rows: &'a [(String, Annotation)],
    template: Option<&'a Template>,
    names: UniqueNames,
}

impl Builder<'_> {
    /// Questions: the template's first, in its order, then the others as first met (noted when
    /// there is a template).
    fn questions(&self, notes: &mut Vec<String>) -> Vec<String> {
        let mut questions: Vec<String> = self
            .template
            .map(|t| t.questions.iter().map(|q| q.label.clone()).collect())
            .unwrap_or_default();
        let mut known: HashMap<String, usize> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (key(q), i))
            .collect();
        let mut outside = Vec::new();
        for (_, a) in self.rows {
            for answer in &a.answers {
                if let Entry::Vacant(slot) = known.entry(key(&answer.question)) {
                    slot.insert(questions.len());
                    questions.push(answer.question.clone());
                    if self.template.is_some() {
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
        questions
    }

    /// The answer and code columns of one question: text lists when the template allows
    /// several answers or an annotation gives several. Answers the template does not allow go
    /// to `refused`.
    fn question_columns(&mut self, question: &str, refused: &mut Vec<String>) -> [Built; 2] {
        let spec = self.template.and_then(|t| t.question(question));
        let per_row: Vec<Vec<&Answer>> = self
            .rows
            .iter()
            .map(|(_, a)| {
                a.answers
                    .iter()
                    .filter(|x| key(&x.question) == key(question))
                    .collect()
            })
            .collect();
        if let Some(spec) = spec {
            refused.extend(self.not_allowed(question, spec, &per_row));
        }
        let several = spec.is_some_and(|q| q.max > 1) || per_row.iter().any(|v| v.len() > 1);
        let name = self.names.claim(snake_case(question));
        let code_name = self.names.claim(format!("{name}_code"));
        let description = question_description(question, spec);
        let code_description =
            format!("the code of the answer to `{question}` (RadLex RID…, or its scheme's code)");
        let meaning = |x: &&Answer| x.meaning.clone();
        let code = |x: &&Answer| x.code.clone();
        if several {
            let lists = |f: &dyn Fn(&&Answer) -> String| -> Vec<Vec<String>> {
                per_row.iter().map(|v| v.iter().map(f).collect()).collect()
            };
            [
                list_column(&name, question, &description, lists(&meaning)),
                list_column(&code_name, question, &code_description, lists(&code)),
            ]
        } else {
            let firsts = |f: &dyn Fn(&&Answer) -> String| -> Vec<Option<String>> {
                per_row.iter().map(|v| v.first().map(f)).collect()
            };
            [
                text_column(&name, question, &description, firsts(&meaning)),
                text_column(&code_name, question, &code_description, firsts(&code)),
            ]
        }
    }

    /// Where the answers to `question` (`per_row`, each row's) are not allowed by `spec`.
    fn not_allowed(
        &self,
        question: &str,
        spec: &Question,
        per_row: &[Vec<&Answer>],
    ) -> Vec<String> {
        let mut refused = Vec::new();
        for ((_, a), answers) in self.rows.iter().zip(per_row) {
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
        refused
    }

    /// Calculations: the k-th calculation of one name within an annotation goes to `name_k`.
    fn calculation_columns(&mut self) -> Vec<Built> {
        let mut calc_columns: Vec<(String, String, Option<String>)> = Vec::new();
        let mut calc_index: HashMap<(String, usize), usize> = HashMap::new();
        let mut cells: Vec<HashMap<usize, f64>> = vec![HashMap::new(); self.rows.len()];
        for (r, (_, a)) in self.rows.iter().enumerate() {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for c in &a.calculations {
                let k = seen.entry(key(&c.name)).or_insert(0);
                *k += 1;
                let slot = *calc_index.entry((key(&c.name), *k)).or_insert_with(|| {
                    let base = snake_case(&c.name);
                    let wanted = if *k == 1 { base } else { format!("{base}_{k}") };
                    calc_columns.push((self.names.claim(wanted), c.name.clone(), c.unit.clone()));
                    calc_columns.len() - 1
                });
                cells[r].insert(slot, c.value);
            }
        }
        calc_columns
            .into_iter()
            .enumerate()
            .map(|(slot, (name, label, unit))| {
                let values: Float64Array =
                    cells.iter().map(|row| row.get(&slot).copied()).collect();
                Built {
                    column: NewColumn {
                        name,
                        label: label.clone(),
                        unit,
                        description: Some(format!("AIM calculation `{label}`")),
                    },
                    ty: ColumnType::Float64,
                    array: Arc::new(values),
                }
            })
            .collect()
    }
}

/// The description of a question's answer column: with a template, how many answers it allows
/// and which.
fn question_description(question: &str, spec: Option<&Question>) -> String {
    match spec {
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
    }
}
