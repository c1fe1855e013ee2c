//! ePAD AIM templates (`TemplateContainer` XML): the questions a template asks, how many
//! answers each allows, and the coded answers it accepts.
//!
//! In the Lung Nodule template, a `Component` labelled `Anatomic Location` holds an
//! `AnatomicEntity` (answered by an AIM `ImagingPhysicalEntity` of that label), and the
//! `Lung Nodule` component holds an `ImagingObservation` whose
//! `ImagingObservationCharacteristic`s (`Nodule Shape`, `Nodule Internal Features`, …) are the
//! questions answered by the annotation's characteristics.

use super::tree::Node;
use crate::ingest::IngestError;

/// One coded answer a question allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    pub code: String,
    pub meaning: String,
    pub scheme: String,
}

/// One question of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub label: String,
    pub min: u32,
    pub max: u32,
    pub allowed: Vec<Term>,
}

impl Question {
    /// Whether an answer is allowed: by code, or else by meaning (case and spaces ignored).
    pub fn allows(&self, code: &str, meaning: &str) -> bool {
        let norm = |s: &str| s.trim().to_lowercase();
        self.allowed
            .iter()
            .any(|t| (!code.is_empty() && t.code == code) || norm(&t.meaning) == norm(meaning))
    }
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    pub questions: Vec<Question>,
}

impl Template {
    pub fn question(&self, label: &str) -> Option<&Question> {
        let norm = |s: &str| s.trim().to_lowercase();
        self.questions
            .iter()
            .find(|q| norm(&q.label) == norm(label))
    }

    /// Reads a `TemplateContainer` (or a bare `Template`) element tree.
    pub fn from_tree(file: &str, root: &Node) -> Result<Template, IngestError> {
        let templates: Vec<&Node> = match root.name.as_str() {
            "TemplateContainer" => root.children_named("Template").collect(),
            "Template" => vec![root],
            other => {
                return Err(IngestError::NotAim {
                    file: file.to_string(),
                    root: other.to_string(),
                    expected: "an AIM template (TemplateContainer)".into(),
                });
            }
        };
        let mut questions = Vec::new();
        for template in &templates {
            for component in template.children_named("Component") {
                questions.push(question(component));
                for inner in ["ImagingObservation", "AnatomicEntity"] {
                    for entity in component.children_named(inner) {
                        for characteristic in entity.children.iter().filter(|c| {
                            c.name == "ImagingObservationCharacteristic"
                                || c.name == "AnatomicEntityCharacteristic"
                        }) {
                            questions.push(question(characteristic));
                        }
                    }
                }
            }
        }
        let name = root
            .attr("name")
            .or_else(|| templates.first().and_then(|t| t.attr("name")))
            .unwrap_or("template")
            .to_string();
        Ok(Template { name, questions })
    }
}

fn question(node: &Node) -> Question {
    let number = |name: &str, default: u32| {
        node.attr(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    };
    Question {
        label: node.attr("label").unwrap_or("").trim().to_string(),
        min: number("minCardinality", 0),
        max: number("maxCardinality", 1),
        allowed: node
            .children_named("AllowedTerm")
            .map(|t| Term {
                code: t.attr("codeValue").unwrap_or("").to_string(),
                meaning: t.attr("codeMeaning").unwrap_or("").trim().to_string(),
                scheme: t.attr("codingSchemeDesignator").unwrap_or("").to_string(),
            })
            .collect(),
    }
}
