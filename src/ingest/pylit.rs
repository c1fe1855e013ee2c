//! Python literals as PyRadiomics writes them into its `diagnostics_*` cells: dicts, lists,
//! tuples, strings, numbers, `True`, `False` and `None`, read into JSON values.
//!
//! `{'minimumROIDimensions': 2, 'resampledPixelSpacing': [1, 1, 1], 'removeOutliers': None}`
//! becomes `{"minimumROIDimensions":2,"resampledPixelSpacing":[1,1,1],"removeOutliers":null}`.
//! Tuples become arrays; `nan` and `inf`, which JSON cannot hold, become the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"`. Nothing is evaluated.

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 64;

/// Parses one Python literal. The error gives the byte offset and what was expected.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
        text,
    };
    p.space();
    let value = p.value(0)?;
    p.space();
    if p.at != p.s.len() {
        return Err(p.fail("the end of the literal"));
    }
    Ok(value)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn fail(&self, expected: &str) -> String {
        let found: String = self.text[self.at.min(self.text.len())..]
            .chars()
            .take(12)
            .collect();
        if found.is_empty() {
            format!("expected {expected} at offset {}, found the end", self.at)
        } else {
            format!("expected {expected} at offset {}, found `{found}`", self.at)
        }
    }

    fn space(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.space();
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        self.space();
        match self.s.get(self.at) {
            Some(b'{') => self.dict(depth),
            Some(b'[') => self.sequence(b']', depth),
            Some(b'(') => self.sequence(b')', depth),
            Some(b'\'' | b'"') => self.string().map(Value::String),
            Some(b) if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.') => self.number(),
            Some(b) if b.is_ascii_alphabetic() => self.word(),
            _ => Err(self.fail("a value")),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        self.at += 1;
        let mut map = Map::new();
        loop {
            if self.eat(b'}') {
                return Ok(Value::Object(map));
            }
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if !self.eat(b':') {
                return Err(self.fail("`:`"));
            }
            let value = self.value(depth + 1)?;
            map.insert(key, value);
            if !self.eat(b',') {
                if self.eat(b'}') {
                    return Ok(Value::Object(map));
                }
                return Err(self.fail("`,` or `}`"));
            }
        }
    }

    fn sequence(&mut self, close: u8, depth: usize) -> Result<Value, String> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            if !self.eat(b',') {
                if self.eat(close) {
                    return Ok(Value::Array(items));
                }
                return Err(self.fail(if close == b']' {
                    "`,` or `]`"
                } else {
                    "`,` or `)`"
                }));
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.s[self.at];
        self.at += 1;
        let mut out = String::new();
        let start = self.at;
        let mut run = start;
        while let Some(&b) = self.s.get(self.at) {
            if b == quote {
                out.push_str(&self.text[run..self.at]);
                self.at += 1;
                return Ok(out);
            }
            if b == b'\\' {
                out.push_str(&self.text[run..self.at]);
                let escaped = *self
                    .s
                    .get(self.at + 1)
                    .ok_or_else(|| self.fail("a closing quote"))?;
                match escaped {
                    b'n' => out.push('\n'),
                    b't' => out.push('\t'),
                    b'r' => out.push('\r'),
                    b'0' => out.push('\0'),
                    b'\\' | b'\'' | b'"' => out.push(escaped as char),
                    _ => {
                        // Any other escape is kept as written, whole characters and all:
                        // `\٤` is a backslash and an Arabic-Indic digit, not two bytes.
                        let ch = self.text[self.at + 1..].chars().next().unwrap_or('\\');
                        out.push('\\');
                        out.push(ch);
                        self.at += 1 + ch.len_utf8();
                        run = self.at;
                        continue;
                    }
                }
                self.at += 2;
                run = self.at;
                continue;
            }
            self.at += 1;
        }
        self.at = start - 1;
        Err(self.fail("a closing quote"))
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
        {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        let unsigned = text.trim_start_matches(['-', '+']);
        if unsigned == "inf" {
            return Ok(Value::String(
                if text.starts_with('-') {
                    "-Infinity"
                } else {
                    "Infinity"
                }
                .into(),
            ));
        }
        if unsigned == "nan" {
            return Ok(Value::String("NaN".into()));
        }
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => {
                self.at = start;
                Err(self.fail("a number"))
            }
        }
    }

    fn word(&mut self) -> Result<Value, String> {
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.at += 1;
        }
        match &self.text[start..self.at] {
            "None" => Ok(Value::Null),
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            "nan" => Ok(Value::String("NaN".into())),
            "inf" => Ok(Value::String("Infinity".into())),
            _ => {
                self.at = start;
                Err(self.fail(
                    "a literal (None, True, False, a number, a string, a dict, a list or a tuple)",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyradiomics_diagnostics_parse() {
        let settings = "{'minimumROIDimensions': 2, 'minimumROISize': None, 'normalize': False, \
                        'resampledPixelSpacing': [1, 1, 1], 'interpolator': 'sitkBSpline', \
                        'additionalInfo': True, 'binWidth': 25}";
        let v = parse(settings).unwrap();
        assert_eq!(v["minimumROIDimensions"], 2);
        assert_eq!(v["minimumROISize"], Value::Null);
        assert_eq!(v["normalize"], false);
        assert_eq!(v["resampledPixelSpacing"], serde_json::json!([1, 1, 1]));
        assert_eq!(v["interpolator"], "sitkBSpline");
        let types =
            parse("{'Original': {}, 'LoG': {'sigma': [0.5, 1.0, 5.0]}, 'Wavelet': {}}").unwrap();
        assert_eq!(types["LoG"]["sigma"][2], 5.0);
        assert_eq!(
            parse("(0.69921875, 0.69921875, 1.0)").unwrap(),
            serde_json::json!([0.69921875, 0.69921875, 1.0])
        );
        assert_eq!(parse("(1,)").unwrap(), serde_json::json!([1]));
        assert_eq!(parse("()").unwrap(), serde_json::json!([]));
        assert_eq!(parse("-1.5e-3").unwrap(), serde_json::json!(-0.0015));
        assert_eq!(parse("'it\\'s'").unwrap(), "it's");
        assert_eq!(
            parse("[nan, -inf]").unwrap(),
            serde_json::json!(["NaN", "-Infinity"])
        );
    }

    #[test]
    fn bad_literals_say_where() {
        assert_eq!(
            parse("{'a': 1").unwrap_err(),
            "expected `,` or `}` at offset 7, found the end"
        );
        assert_eq!(
            parse("{'a' 1}").unwrap_err(),
            "expected `:` at offset 5, found `1}`"
        );
        assert!(parse("'open").unwrap_err().contains("closing quote"));
        assert!(parse("os.system('x')").unwrap_err().contains("a literal"));
        assert!(parse(&"[".repeat(100)).unwrap_err().contains("nested"));
        assert!(parse("1 2").unwrap_err().contains("the end of the literal"));
    }
}
