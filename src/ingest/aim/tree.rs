//! One element tree for both spellings of AIM: XML (read with quick-xml, entities never
//! expanded, DOCTYPE refused) and ePAD's JSON (each object an element, each string member an
//! attribute, each array a run of same-named elements). Names lose their namespace prefix,
//! so `iso:displayName` is `displayName` in both.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::ingest::IngestError;

/// Elements nested deeper than this are refused (AIM nests about 15 levels).
pub const MAX_DEPTH: usize = 128;

/// An element: its local name, attributes, children, and the line it starts on (XML only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub line: Option<u64>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The elements reached by following `path` from here, every match at every step:
    /// `at(&["imageAnnotations", "ImageAnnotation"])`.
    pub fn at<'a>(&'a self, path: &[&'a str]) -> Vec<&'a Node> {
        let mut current = vec![self];
        for step in path {
            current = current
                .into_iter()
                .flat_map(|n| n.children_named(step))
                .collect();
        }
        current
    }

    /// The `value` attribute of child `name` (AIM v4: `<name value="…"/>`).
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.child(name)?.attr("value").filter(|v| !v.is_empty())
    }

    /// The `root` attribute of child `name` (AIM v4 UIDs: `<x root="1.2…"/>`).
    pub fn root_of(&self, name: &str) -> Option<&str> {
        self.child(name)?.attr("root").filter(|v| !v.is_empty())
    }
}

/// Parses an XML document into its root element.
pub fn parse_xml(file: &str, text: &str) -> Result<Node, IngestError> {
    let mut tree = XmlTree {
        file,
        lines: LineIndex::new(text),
        stack: Vec::new(),
        root: None,
    };
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    loop {
        let start = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| tree.fail(reader.error_position(), e.to_string()))?;
        if let Event::Eof = event {
            break;
        }
        tree.add(event, start)?;
    }
    tree.finish()
}

/// The tree an XML document's events build: the elements still open and, once closed, the
/// root.
struct XmlTree<'a> {
    file: &'a str,
    lines: LineIndex,
    stack: Vec<Node>,
    root: Option<Node>,
}

impl XmlTree<'_> {
    /// The error at byte `at` of the document.
    fn fail(&self, at: u64, message: String) -> IngestError {
        let (line, column) = self.lines.position(at as usize);
        IngestError::Xml {
            file: self.file.to_string(),
            line,
            column,
            message,
        }
    }

    /// Adds the event that starts at byte `start`: an element opens, closes or is empty.
    fn add(&mut self, event: Event<'_>, start: u64) -> Result<(), IngestError> {
        match event {
            Event::Start(_) | Event::Empty(_) if self.root.is_some() && self.stack.is_empty() => {
                return Err(self.fail(start, "a second root element".into()));
            }
            Event::Start(e) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.fail(
                        start,
                        format!("elements nest more than {MAX_DEPTH} levels deep"),
                    ));
                }
                let node = self.element(&e, start)?;
                self.stack.push(node);
            }
            Event::Empty(e) => {
                let node = self.element(&e, start)?;
                self.attach(node);
            }
            Event::End(_) => {
                let node = self.stack.pop().ok_or_else(|| {
                    self.fail(start, "a closing tag without an opening one".into())
                })?;
                self.attach(node);
            }
            Event::DocType(_) => {
                return Err(self.fail(
                    start,
                    "DOCTYPE declarations are refused (AIM files have none, and entities are never expanded)".into(),
                ));
            }
            // Text, comments, processing instructions, CDATA and character references carry
            // nothing AIM stores.
            _ => {}
        }
        Ok(())
    }

    /// The element of the tag at byte `start`.
    fn element(&self, e: &BytesStart<'_>, start: u64) -> Result<Node, IngestError> {
        element(e, self.lines.position(start as usize).0).map_err(|m| self.fail(start, m))
    }

    /// A closed element: its parent's last child, or the root.
    fn attach(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None => self.root = Some(node),
        }
    }

    /// The root, once the document has ended; refused when an element is still open or there
    /// is none.
    fn finish(self) -> Result<Node, IngestError> {
        if let Some(open) = self.stack.last() {
            return Err(IngestError::Xml {
                file: self.file.to_string(),
                line: self.lines.count(),
                column: 1,
                message: format!(
                    "the file ends inside <{}> (opened on line {})",
                    open.name,
                    open.line.unwrap_or(0)
                ),
            });
        }
        self.root.ok_or_else(|| IngestError::Xml {
            file: self.file.to_string(),
            line: 1,
            column: 1,
            message: "no root element".into(),
        })
    }
}

fn element(e: &BytesStart<'_>, line: u64) -> Result<Node, String> {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = attr.key.local_name().as_ref().to_string();
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("attribute `{key}`: {e}"))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Node {
        name,
        attrs,
        children: Vec::new(),
        line: Some(line),
    })
}

/// Parses ePAD's AIM JSON (`{"ImageAnnotationCollection": {…}}`) into the same tree. Malformed
/// JSON is located where serde_json stopped; well-formed JSON of another shape, at its value.
pub fn parse_json(file: &str, text: &str) -> Result<Node, IngestError> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
    let not_aim = |found: String| {
        let start = text.len() - text.trim_start().len();
        let (line, column) = LineIndex::new(text).position(start);
        IngestError::NotAimJson {
            file: file.to_string(),
            line,
            column,
            found,
        }
    };
    let Value::Object(map) = value else {
        return Err(not_aim(json_kind(&value).into()));
    };
    let count = map.len();
    let mut members = map.into_iter();
    match (members.next(), members.next()) {
        (Some((name, Value::Object(body))), None) => Ok(json_element(&name, body)),
        (Some((name, other)), None) => Err(not_aim(format!(
            "an object whose member `{name}` is {}",
            json_kind(&other)
        ))),
        _ => Err(not_aim(format!("an object with {count} members"))),
    }
}

/// serde_json's error at its line and column (1-based; it counts the column before a line's
/// first character as 0), without the position it appends to its message.
fn json_error(file: &str, e: &serde_json::Error) -> IngestError {
    let message = e.to_string();
    let message = match message.rsplit_once(" at line ") {
        Some((text, _)) => text.to_string(),
        None => message,
    };
    IngestError::Json {
        file: file.to_string(),
        line: e.line() as u64,
        column: e.column().max(1) as u64,
        message,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn json_element(name: &str, body: serde_json::Map<String, Value>) -> Node {
    let mut node = Node {
        name: local(name),
        ..Node::default()
    };
    for (key, value) in body {
        push_json_member(&mut node, &key, value);
    }
    node
}

fn push_json_member(node: &mut Node, key: &str, value: Value) {
    match value {
        Value::Null => {}
        Value::String(s) => node.attrs.push((local(key), s)),
        Value::Number(n) => node.attrs.push((local(key), n.to_string())),
        Value::Bool(b) => node.attrs.push((local(key), b.to_string())),
        Value::Object(body) => node.children.push(json_element(key, body)),
        Value::Array(items) => {
            for item in items {
                push_json_member(node, key, item);
            }
        }
    }
}

/// Byte offsets to 1-based lines and columns.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn position(&self, offset: usize) -> (u64, u64) {
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line.saturating_sub(1)];
        (line as u64, (offset - start + 1) as u64)
    }

    fn count(&self) -> u64 {
        self.starts.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_and_json_give_the_same_tree() {
        let xml = r#"<?xml version="1.0"?>
<Root xmlns:iso="uri:iso.org:21090" a="1">
  <typeCode code="RID58"><iso:displayName value="liver &amp; more"/></typeCode>
  <item value="x"/><item value="y"/>
</Root>"#;
        let json = r#"{"Root": {"a": "1", "typeCode": {"code": "RID58",
            "iso:displayName": {"value": "liver & more"}}, "item": [{"value": "x"}, {"value": "y"}]}}"#;
        let x = parse_xml("t.xml", xml).unwrap();
        let j = parse_json("t.json", json).unwrap();
        assert_eq!(x.attr("a"), Some("1"));
        assert_eq!(
            x.at(&["typeCode", "displayName"])[0].attr("value"),
            Some("liver & more")
        );
        assert_eq!(
            j.at(&["typeCode", "displayName"])[0].attr("value"),
            Some("liver & more")
        );
        let values = |n: &Node| -> Vec<String> {
            n.children_named("item")
                .map(|i| i.attr("value").unwrap().to_string())
                .collect()
        };
        assert_eq!(values(&x), values(&j));
        assert_eq!(x.child("typeCode").unwrap().line, Some(3));
    }

    #[test]
    fn malformed_xml_is_located() {
        let err = parse_xml("bad.xml", "<a>\n  <b>\n</a>").unwrap_err();
        assert_eq!(err.code(), "E0417");
        let text = err.to_string();
        assert!(text.starts_with("bad.xml:3:"), "{text}");
        let err = parse_xml("open.xml", "<a>\n<b/>\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ends inside <a>"), "{err}");
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<a>&lol;</a>";
        let err = parse_xml("bomb.xml", bomb).unwrap_err().to_string();
        assert!(
            err.starts_with("bomb.xml:2:1: malformed XML: DOCTYPE declarations are refused"),
            "{err}"
        );
        let err = parse_xml("two.xml", "<a/><b/>").unwrap_err().to_string();
        assert!(err.contains("a second root element"), "{err}");
        let err = parse_json("bad.json", "{\"a\": \n [1,}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad.json:2:"), "{err}");
    }
}
