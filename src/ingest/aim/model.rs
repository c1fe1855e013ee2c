//! The annotation model every AIM spelling is read into: one [`Annotation`] per
//! `ImageAnnotation`, with its coded answers and its calculations.
//!
//! - AIM v4 (`ImageAnnotationCollection`, XML or JSON): a question is the `label` of an
//!   `ImagingObservationEntity`, `ImagingPhysicalEntity` or one of their characteristics; the
//!   answer is its `typeCode` (code, scheme, display name).
//! - AIM v3 (`ImageAnnotation`, attributes only): an `ImagingObservation`'s `codeMeaning` (or
//!   label) is the question and its characteristics' `codeMeaning`s the answers; an
//!   `AnatomicEntity` answers `Anatomic Entity`.

use super::tree::Node;
use crate::ingest::IngestError;

/// One coded answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question: String,
    pub meaning: String,
    pub code: String,
    pub scheme: String,
}

/// One numeric calculation (`Length`, `Standard Deviation`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Calculation {
    pub name: String,
    pub value: f64,
    pub unit: Option<String>,
}

/// One `ImageAnnotation`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotation {
    /// Where it was read: the file and, for XML, the line of its element.
    pub file: String,
    pub line: Option<u64>,
    pub person_id: Option<String>,
    pub person_name: Option<String>,
    pub uid: Option<String>,
    pub name: Option<String>,
    pub type_name: Option<String>,
    pub type_code: Option<String>,
    /// ISO 8601, `2019-06-14T18:44:39`.
    pub datetime: Option<String>,
    pub annotator: Option<String>,
    pub comment: Option<String>,
    pub study_uid: Option<String>,
    pub series_uid: Option<String>,
    pub image_uids: Vec<String>,
    pub segmentation_uids: Vec<String>,
    pub answers: Vec<Answer>,
    pub calculations: Vec<Calculation>,
    /// `aim4` or `aim3`.
    pub format: &'static str,
}

impl Annotation {
    /// Where it was read, for messages: `file:line` or the file alone.
    pub fn place(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.clone(),
        }
    }
}

/// Reads every annotation of an AIM document.
pub fn annotations(file: &str, root: &Node) -> Result<Vec<Annotation>, IngestError> {
    match root.name.as_str() {
        "ImageAnnotationCollection" => Ok(v4(file, root)),
        "ImageAnnotation" => Ok(vec![v3(file, root)]),
        other => Err(IngestError::NotAim {
            file: file.to_string(),
            root: other.to_string(),
            expected: "AIM (ImageAnnotationCollection or ImageAnnotation)".into(),
        }),
    }
}

/// The annotations of an AIM v4 `ImageAnnotationCollection`, one per `ImageAnnotation`.
fn v4(file: &str, root: &Node) -> Vec<Annotation> {
    root.at(&["imageAnnotations", "ImageAnnotation"])
        .into_iter()
        .map(|ia| {
            let mut a = v4_fields(file, root, ia);
            v4_answers(&mut a, ia);
            v4_calculations(&mut a, ia);
            v4_references(&mut a, ia);
            a
        })
        .collect()
}

/// One v4 `ImageAnnotation`'s own fields, with the person, user, date and study of the
/// collection (`root`) around it.
fn v4_fields(file: &str, root: &Node, ia: &Node) -> Annotation {
    let person = root.child("person");
    let user = root.child("user");
    let type_code = ia.child("typeCode");
    Annotation {
        file: file.to_string(),
        line: ia.line,
        person_id: person.and_then(|p| p.value_of("id")).map(str::to_string),
        person_name: person.and_then(|p| p.value_of("name")).map(str::to_string),
        uid: ia.root_of("uniqueIdentifier").map(str::to_string),
        name: ia.value_of("name").map(str::to_string),
        type_name: type_code.and_then(display_name),
        type_code: type_code.and_then(|t| t.attr("code")).map(str::to_string),
        datetime: ia
            .value_of("dateTime")
            .or_else(|| root.value_of("dateTime"))
            .map(iso_datetime),
        annotator: user
            .and_then(|u| u.value_of("loginName").or_else(|| u.value_of("name")))
            .map(str::to_string),
        comment: ia.value_of("comment").map(str::to_string),
        study_uid: root.root_of("studyInstanceUid").map(str::to_string),
        format: "aim4",
        ..Annotation::default()
    }
}

/// The answers of a v4 annotation: each physical entity and its characteristics, then each
/// observation entity and its characteristics.
fn v4_answers(a: &mut Annotation, ia: &Node) {
    for entity in ia.at(&["imagingPhysicalEntityCollection", "ImagingPhysicalEntity"]) {
        push_answer(a, entity);
        for c in entity.at(&[
            "imagingPhysicalEntityCharacteristicCollection",
            "ImagingPhysicalEntityCharacteristic",
        ]) {
            push_answer(a, c);
        }
    }
    for entity in ia.at(&[
        "imagingObservationEntityCollection",
        "ImagingObservationEntity",
    ]) {
        push_answer(a, entity);
        for c in entity.at(&[
            "imagingObservationCharacteristicCollection",
            "ImagingObservationCharacteristic",
        ]) {
            push_answer(a, c);
        }
    }
}

/// The calculations of a v4 annotation, named by their description (else their last type
/// code's display name); one without a name is left out.
fn v4_calculations(a: &mut Annotation, ia: &Node) {
    for calc in ia.at(&["calculationEntityCollection", "CalculationEntity"]) {
        let name = calc
            .value_of("description")
            .map(str::to_string)
            .or_else(|| {
                calc.children_named("typeCode")
                    .last()
                    .and_then(display_name)
            });
        let Some(name) = name else { continue };
        push_calculations(
            a,
            &name,
            calc,
            |result| result.value_of("unitOfMeasure").map(str::to_string),
            |data| data.value_of("value"),
        );
    }
}

/// The study, series, images and segmentations a v4 annotation refers to.
fn v4_references(a: &mut Annotation, ia: &Node) {
    for study in ia.at(&[
        "imageReferenceEntityCollection",
        "ImageReferenceEntity",
        "imageStudy",
    ]) {
        if let Some(uid) = study.root_of("instanceUid") {
            a.study_uid = Some(uid.to_string());
        }
        for series in study.children_named("imageSeries") {
            if a.series_uid.is_none() {
                a.series_uid = series.root_of("instanceUid").map(str::to_string);
            }
            for image in series.at(&["imageCollection", "Image"]) {
                push_unique(&mut a.image_uids, image.root_of("sopInstanceUid"));
            }
        }
    }
    for markup in ia.at(&["markupEntityCollection", "MarkupEntity"]) {
        push_unique(&mut a.image_uids, markup.root_of("imageReferenceUid"));
    }
    for seg in ia.at(&["segmentationEntityCollection", "SegmentationEntity"]) {
        push_unique(&mut a.segmentation_uids, seg.root_of("sopInstanceUid"));
        push_unique(&mut a.image_uids, seg.root_of("referencedSopInstanceUid"));
        if a.series_uid.is_none() {
            a.series_uid = seg.root_of("seriesInstanceUid").map(str::to_string);
        }
    }
}

fn push_answer(a: &mut Annotation, node: &Node) {
    let Some(question) = node.value_of("label") else {
        return;
    };
    for code in node.children_named("typeCode") {
        let meaning = display_name(code).unwrap_or_default();
        if meaning.is_empty() && code.attr("code").is_none() {
            continue;
        }
        a.answers.push(Answer {
            question: question.trim().to_string(),
            meaning: meaning.trim().to_string(),
            code: code.attr("code").unwrap_or("").to_string(),
            scheme: code.attr("codeSystemName").unwrap_or("").to_string(),
        });
    }
}

/// The scalar results of one calculation: each result's unit, each datum's value (AIM v4
/// writes both as child elements, v3 as attributes).
fn push_calculations(
    a: &mut Annotation,
    name: &str,
    calc: &Node,
    unit_of: impl Fn(&Node) -> Option<String>,
    value_of: impl Fn(&Node) -> Option<&str>,
) {
    for result in calc.at(&["calculationResultCollection", "CalculationResult"]) {
        let unit = unit_of(result);
        for data in result.at(&["calculationDataCollection", "CalculationData"]) {
            if let Some(value) = value_of(data).and_then(|v| v.trim().parse().ok()) {
                a.calculations.push(Calculation {
                    name: name.to_string(),
                    value,
                    unit: unit.clone(),
                });
            }
        }
    }
}

fn display_name(code: &Node) -> Option<String> {
    code.value_of("displayName").map(str::to_string)
}

fn push_unique(list: &mut Vec<String>, uid: Option<&str>) {
    if let Some(uid) = uid
        && !list.iter().any(|u| u == uid)
    {
        list.push(uid.to_string());
    }
}

/// `20190614184439` → `2019-06-14T18:44:39`; `2008-04-11T15:32:15` stays.
fn iso_datetime(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() >= 8 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let mut out = format!("{}-{}-{}", &raw[0..4], &raw[4..6], &raw[6..8]);
        if raw.len() >= 14 {
            out += &format!("T{}:{}:{}", &raw[8..10], &raw[10..12], &raw[12..14]);
        }
        out
    } else {
        raw.to_string()
    }
}

/// An AIM v3 `ImageAnnotation`: its own fields, answers, calculations and references.
fn v3(file: &str, ia: &Node) -> Annotation {
    let person = ia.at(&["person", "Person"]).into_iter().next();
    let user = ia.at(&["user", "User"]).into_iter().next();
    let mut a = Annotation {
        file: file.to_string(),
        line: ia.line,
        person_id: person.and_then(|p| attr(p, "id")),
        person_name: person.and_then(|p| attr(p, "name")),
        uid: attr(ia, "uniqueIdentifier"),
        name: attr(ia, "name"),
        type_name: attr(ia, "codeMeaning"),
        type_code: attr(ia, "codeValue"),
        datetime: attr(ia, "dateTime").map(|d| iso_datetime(&d)),
        annotator: user.and_then(|u| attr(u, "loginName").or_else(|| attr(u, "name"))),
        comment: attr(ia, "comment"),
        format: "aim3",
        ..Annotation::default()
    };
    v3_answers(&mut a, ia);
    for calc in ia.at(&["calculationCollection", "Calculation"]) {
        let Some(name) = attr(calc, "codeMeaning").or_else(|| attr(calc, "description")) else {
            continue;
        };
        push_calculations(
            &mut a,
            &name,
            calc,
            |result| attr(result, "unitOfMeasure"),
            |data| data.attr("value"),
        );
    }
    v3_references(&mut a, ia);
    a
}

/// A v3 attribute, trimmed; none when it is missing or empty.
fn attr(n: &Node, k: &str) -> Option<String> {
    n.attr(k)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A v3 element's coded answer to `question`.
fn coded(n: &Node, question: String) -> Answer {
    Answer {
        question,
        meaning: attr(n, "codeMeaning").unwrap_or_default(),
        code: attr(n, "codeValue").unwrap_or_default(),
        scheme: attr(n, "codingSchemeDesignator").unwrap_or_default(),
    }
}

/// The answers of a v3 annotation: each anatomic entity answers `Anatomic Entity`; each
/// observation's characteristics answer the observation (its label, else its meaning), or the
/// observation itself answers `Imaging Observation` when it has none.
fn v3_answers(a: &mut Annotation, ia: &Node) {
    for entity in ia.at(&["anatomicEntityCollection", "AnatomicEntity"]) {
        a.answers.push(coded(entity, "Anatomic Entity".into()));
    }
    for obs in ia.at(&["imagingObservationCollection", "ImagingObservation"]) {
        let question = attr(obs, "label")
            .or_else(|| attr(obs, "codeMeaning"))
            .unwrap_or_else(|| "Imaging Observation".into());
        let characteristics = obs.at(&[
            "imagingObservationCharacteristicCollection",
            "ImagingObservationCharacteristic",
        ]);
        if characteristics.is_empty() {
            a.answers.push(coded(obs, "Imaging Observation".into()));
        }
        for c in characteristics {
            a.answers.push(coded(c, question.clone()));
        }
    }
}

/// The study, series and images a v3 annotation refers to (the last study and series win).
fn v3_references(a: &mut Annotation, ia: &Node) {
    for study in ia.at(&[
        "imageReferenceCollection",
        "ImageReference",
        "imageStudy",
        "ImageStudy",
    ]) {
        a.study_uid = attr(study, "instanceUID");
        for series in study.at(&["imageSeries", "ImageSeries"]) {
            a.series_uid = attr(series, "instanceUID");
            for image in series.at(&["imageCollection", "Image"]) {
                push_unique(&mut a.image_uids, image.attr("sopInstanceUID"));
            }
        }
    }
}
