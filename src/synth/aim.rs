//! `aim/*.xml`: ePAD-style AIM v4 annotations answering the real Lung Nodule template
//! (`data/aim/LungNoduleTemplate.xml`, embedded), one file per lesion.

use std::fmt::Write as _;
use std::path::Path;

use super::error::{Result, SynthError};
use super::{Cohort, Modality, Stream, Subject, bits, io, uniform, write_file};
use crate::ingest::aim::{Template, Term, parse_xml};

/// The ePAD Lung Nodule template, as shipped.
pub const LUNG_NODULE_TEMPLATE: &str = include_str!("../../data/aim/LungNoduleTemplate.xml");

/// The Lung Nodule template's questions and allowed answers.
pub fn lung_nodule_template() -> Template {
    let tree = parse_xml("LungNoduleTemplate.xml", LUNG_NODULE_TEMPLATE)
        .expect("the bundled template parses");
    Template::from_tree("LungNoduleTemplate.xml", &tree).expect("the bundled template is valid")
}

/// One lesion's annotation.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesion {
    /// The person ID (the subject).
    pub subject: String,
    /// Makes the annotation's UIDs unique.
    pub number: usize,
    /// The length calculation, in mm.
    pub length: f64,
    /// The annotation's `dateTime` (`YYYYMMDDhhmmss`).
    pub datetime: String,
    /// Answers by question label; questions not listed get their first allowed answer.
    pub answers: Vec<(String, Vec<String>)>,
}

/// The AIM v4 XML of one lesion, as ePAD writes it: the location as an imaging physical
/// entity, the nodule as an imaging observation whose characteristics answer the template's
/// questions (coded with the template's terms; an answer the template does not allow gets the
/// local code `X999`), and the length as a calculation.
pub fn lesion_xml(template: &Template, lesion: &Lesion) -> String {
    let mass = Term {
        code: "RID39056".into(),
        meaning: "lung mass".into(),
        scheme: "RadLex3.8".into(),
    };
    let characteristics = characteristics(template, lesion);
    let location = location(template, lesion);
    let n = lesion.number;
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ImageAnnotationCollection xmlns="gme://caCORE.caCORE/4.4/edu.northwestern.radiology.AIM" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" aimVersion="AIMv4_0">
<uniqueIdentifier root="2.25.1000{n}"/>
<studyInstanceUid root="1.3.6.1.4.1.14519.5.2.1.4334.1501.{n}"/>
<dateTime value="{datetime}"/>
<user><name value="Reader One"/><loginName value="reader1"/></user>
<person><name value="{subject}"/><id value="{subject}"/></person>
<imageAnnotations>
<ImageAnnotation>
<uniqueIdentifier root="2.25.2000{n}"/>
<typeCode code="LT1" codeSystemName="LungTemplate"><iso:displayName xmlns:iso="uri:iso.org:21090" value="Lung Template"/></typeCode>
<dateTime value="{datetime}"/>
<name value="Lesion{n}"/>
<calculationEntityCollection>
<CalculationEntity><uniqueIdentifier root="0"/><typeCode code="G-D7FE" codeSystemName="SRT"><iso:displayName xmlns:iso="uri:iso.org:21090" value="Length"/></typeCode>
<description value="Length"/>
<calculationResultCollection><CalculationResult type="Scalar" xsi:type="ExtendedCalculationResult"><unitOfMeasure value="mm"/>
<calculationDataCollection><CalculationData><value value="{length}"/></CalculationData></calculationDataCollection>
</CalculationResult></calculationResultCollection></CalculationEntity>
</calculationEntityCollection>
<imagingPhysicalEntityCollection>
<ImagingPhysicalEntity><uniqueIdentifier root="2.25.3000{n}"/>{location}<label value="Anatomic Location"/></ImagingPhysicalEntity>
</imagingPhysicalEntityCollection>
<imagingObservationEntityCollection>
<ImagingObservationEntity><uniqueIdentifier root="2.25.4000{n}"/>{mass}<label value="Lung Nodule"/>
<imagingObservationCharacteristicCollection>
{characteristics}</imagingObservationCharacteristicCollection>
</ImagingObservationEntity>
</imagingObservationEntityCollection>
</ImageAnnotation>
</imageAnnotations>
</ImageAnnotationCollection>
"#,
        datetime = xml_escape(&lesion.datetime),
        subject = xml_escape(&lesion.subject),
        length = lesion.length,
        location = type_code(&location),
        mass = type_code(&mass),
    )
}

/// The template's term for `meaning` as an answer to `question`, or the local code `X999`
/// when the template does not allow it.
fn term(template: &Template, question: &str, meaning: &str) -> Term {
    template
        .question(question)
        .and_then(|q| q.allowed.iter().find(|t| t.meaning == meaning).cloned())
        .unwrap_or(Term {
            code: "X999".into(),
            meaning: meaning.into(),
            scheme: "Local".into(),
        })
}

/// A term as an AIM `typeCode` element.
fn type_code(t: &Term) -> String {
    format!(
        "<typeCode code=\"{}\" codeSystemName=\"{}\"><iso:displayName xmlns:iso=\"uri:iso.org:21090\" value=\"{}\"/></typeCode>",
        xml_escape(&t.code),
        xml_escape(&t.scheme),
        xml_escape(&t.meaning)
    )
}

/// One `ImagingObservationCharacteristic` line per answer to the template's questions after
/// the first two (a question the lesion does not answer gets its first allowed answer).
fn characteristics(template: &Template, lesion: &Lesion) -> String {
    let mut characteristics = String::new();
    // The first two questions are the location and the observation itself.
    for q in template.questions.iter().skip(2) {
        let chosen: Vec<String> = match lesion.answers.iter().find(|(label, _)| *label == q.label) {
            Some((_, answers)) => answers.clone(),
            None => q
                .allowed
                .iter()
                .take(1)
                .map(|t| t.meaning.clone())
                .collect(),
        };
        for answer in chosen {
            let t = term(template, &q.label, &answer);
            let _ = writeln!(
                characteristics,
                "<ImagingObservationCharacteristic>{}<annotatorConfidence value=\"0.0\"/><label value=\"{}\"/></ImagingObservationCharacteristic>",
                type_code(&t),
                xml_escape(&q.label)
            );
        }
    }
    characteristics
}

/// The term of the lesion's anatomic location (the upper lobe of the right lung when it has
/// none).
fn location(template: &Template, lesion: &Lesion) -> Term {
    let location = lesion
        .answers
        .iter()
        .find(|(label, _)| label == "Anatomic Location")
        .and_then(|(_, a)| a.first().cloned())
        .unwrap_or_else(|| "upper lobe of right lung".to_string());
    term(template, "Anatomic Location", &location)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes one file per lesion into `dir` (emptied first) and the template beside it; returns
/// the number of lesions.
pub(super) fn write(cohort: &Cohort, dir: &Path) -> Result<usize> {
    let seed = cohort.spec.seed;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let template_path = dir
        .parent()
        .ok_or_else(|| SynthError::Failed {
            message: format!("{} has no parent directory", dir.display()),
        })?
        .join("LungNoduleTemplate.xml");
    write_file(&template_path, LUNG_NODULE_TEMPLATE.as_bytes())?;
    let template = lung_nodule_template();
    let mut lesions = 0;
    for s in cohort.with(Modality::Aim) {
        let i = s.index as u64;
        let count = if uniform(seed, Stream::Aim, i, 0) < 0.15 {
            2
        } else {
            1
        };
        for k in 0..count {
            let lesion = lesion(seed, &template, s, k, lesions + 1);
            let path = dir.join(format!("{}_{}.xml", s.id, k + 1));
            write_file(&path, lesion_xml(&template, &lesion).as_bytes())?;
            lesions += 1;
        }
    }
    Ok(lesions)
}

/// The subject's `k`-th lesion (`number` among all lesions): an answer drawn for every question
/// the template allows answers to, its length and its date.
fn lesion(seed: u64, template: &Template, s: &Subject, k: usize, number: usize) -> Lesion {
    let i = s.index as u64;
    let pick = |salt: u64, n: usize| (bits(seed, Stream::Aim, i, salt) % n.max(1) as u64) as usize;
    let mut answers = Vec::new();
    for (q_index, q) in template.questions.iter().enumerate() {
        if q.allowed.is_empty() {
            continue;
        }
        let salt = 100 * (k as u64 + 1) + q_index as u64;
        let mut choice = pick(salt, q.allowed.len());
        // Ground glass is commoner in EGFR-mutant tumours.
        if q.label == "Nodule Attenuation"
            && s.egfr_mutant
            && uniform(seed, Stream::Aim, i, salt) < 0.5
            && let Some(gg) = q.allowed.iter().position(|t| t.meaning == "ground glass")
        {
            choice = gg;
        }
        answers.push((q.label.clone(), vec![q.allowed[choice].meaning.clone()]));
    }
    let length = if k == 0 {
        s.lesion_length(seed)
    } else {
        (s.lesion_length(seed) * (0.2 + 0.5 * uniform(seed, Stream::Aim, i, 1)) * 100.0).round()
            / 100.0
    };
    let day = 1 + pick(2, 28);
    Lesion {
        subject: s.id.clone(),
        number,
        length,
        datetime: format!("2018{:02}{day:02}1010{:02}", 1 + pick(3, 12), k),
        answers,
    }
}
