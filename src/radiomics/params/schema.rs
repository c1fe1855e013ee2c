//! PyRadiomics v3.0.1's parameter schema (`radiomics/schemas/paramSchema.yaml`): the settings
//! it knows, the type and range of each, and the check of one `name: value`.

use saphyr::{MarkedYaml, Scalar, YamlData};
use serde_json::Value;

use crate::radiomics::RadiomicsError;

/// The settings PyRadiomics' schema knows, and the type each takes.
pub(super) const KNOWN: &[(&str, Kind)] = &[
    (
        "minimumROIDimensions",
        Kind::Int {
            min: 1,
            max: Some(3),
        },
    ),
    ("minimumROISize", Kind::Int { min: 1, max: None }),
    ("geometryTolerance", Kind::Positive),
    ("correctMask", Kind::Bool),
    ("additionalInfo", Kind::Bool),
    ("label", Kind::Int { min: 1, max: None }),
    ("label_channel", Kind::Int { min: 0, max: None }),
    ("binWidth", Kind::Positive),
    ("binCount", Kind::Int { min: 1, max: None }),
    ("normalize", Kind::Bool),
    ("normalizeScale", Kind::Positive),
    ("removeOutliers", Kind::Positive),
    ("resampledPixelSpacing", Kind::Floats),
    ("interpolator", Kind::Any),
    ("padDistance", Kind::Int { min: 0, max: None }),
    ("distances", Kind::Ints),
    ("force2D", Kind::Bool),
    (
        "force2Ddimension",
        Kind::Int {
            min: 0,
            max: Some(2),
        },
    ),
    ("resegmentRange", Kind::Floats),
    (
        "resegmentMode",
        Kind::OneOf(&["absolute", "relative", "sigma"]),
    ),
    ("resegmentShape", Kind::Bool),
    ("preCrop", Kind::Bool),
    ("sigma", Kind::Floats),
    ("start_level", Kind::Int { min: 0, max: None }),
    ("level", Kind::Int { min: 1, max: None }),
    ("wavelet", Kind::Text),
    ("gradientUseSpacing", Kind::Bool),
    ("lbp2DRadius", Kind::Positive),
    ("lbp2DSamples", Kind::Int { min: 1, max: None }),
    (
        "lbp2DMethod",
        Kind::OneOf(&["default", "ror", "uniform", "var"]),
    ),
    ("lbp3DLevels", Kind::Int { min: 1, max: None }),
    ("lbp3DIcosphereRadius", Kind::Positive),
    ("lbp3DIcosphereSubdivision", Kind::Int { min: 0, max: None }),
    (
        "voxelArrayShift",
        Kind::Int {
            min: i64::MIN,
            max: None,
        },
    ),
    ("symmetricalGLCM", Kind::Bool),
    (
        "weightingNorm",
        Kind::OneOf(&["euclidean", "manhattan", "infinity", "no_weighting"]),
    ),
    ("gldm_a", Kind::Int { min: 0, max: None }),
];

/// A setting's type in the schema.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Bool,
    Int {
        min: i64,
        max: Option<i64>,
    },
    /// A number above 0.
    Positive,
    Floats,
    Ints,
    Text,
    /// One of these names.
    OneOf(&'static [&'static str]),
    /// A name or a number (`interpolator`, which only resampling reads).
    Any,
}

/// Where a parameter file is wrong.
pub(super) struct At<'a> {
    pub(super) file: &'a str,
}

impl At<'_> {
    pub(super) fn error(&self, node: &MarkedYaml<'_>, message: String) -> RadiomicsError {
        let start = node.span.start;
        RadiomicsError::Params {
            file: self.file.to_string(),
            line: start.line(),
            column: start.col() + 1,
            message,
        }
    }
}

/// One `name: value` of a settings mapping, checked against the schema, as JSON.
pub(super) fn setting(
    at: &At<'_>,
    key: &MarkedYaml<'_>,
    value: &MarkedYaml<'_>,
) -> Result<(String, Value), RadiomicsError> {
    let Some(name) = key.data.as_str() else {
        return Err(at.error(
            key,
            format!("a setting name is text, not {}", describe(key)),
        ));
    };
    let Some((_, kind)) = KNOWN.iter().find(|(k, _)| *k == name) else {
        let near = KNOWN
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, _)| format!(" (did you mean {k}?)"))
            .unwrap_or_default();
        return Err(at.error(
            key,
            format!("unknown setting {name}{near}: PyRadiomics' schema does not define it"),
        ));
    };
    let json = typed(at, name, *kind, value)?;
    Ok((name.to_string(), json))
}

/// A setting's value as JSON, when it has the schema's type (null is always allowed: the
/// setting's default).
fn typed(
    at: &At<'_>,
    name: &str,
    kind: Kind,
    value: &MarkedYaml<'_>,
) -> Result<Value, RadiomicsError> {
    let wrong = |what: &str| {
        at.error(
            value,
            format!("{name} takes {what}, not {}", describe(value)),
        )
    };
    let scalar = match &value.data {
        YamlData::Value(s) => Some(s),
        _ => None,
    };
    if matches!(scalar, Some(Scalar::Null)) {
        return Ok(Value::Null);
    }
    let number = |s: Option<&Scalar<'_>>| match s {
        Some(Scalar::Integer(i)) => Some(*i as f64),
        Some(Scalar::FloatingPoint(f)) => Some(f.into_inner()),
        _ => None,
    };
    Ok(match kind {
        Kind::Bool => match scalar {
            Some(Scalar::Boolean(b)) => Value::Bool(*b),
            _ => return Err(wrong("true or false")),
        },
        Kind::Int { min, max } => match scalar {
            Some(Scalar::Integer(i)) if *i >= min && max.is_none_or(|m| *i <= m) => (*i).into(),
            _ => {
                let range = match max {
                    Some(m) => format!("a whole number from {min} to {m}"),
                    None if min == i64::MIN => "a whole number".to_string(),
                    None => format!("a whole number of at least {min}"),
                };
                return Err(wrong(&range));
            }
        },
        Kind::Positive => match (scalar, number(scalar)) {
            (Some(Scalar::Integer(i)), Some(_)) if *i > 0 => (*i).into(),
            (_, Some(v)) if v > 0.0 && v.is_finite() => v.into(),
            _ => return Err(wrong("a number above 0")),
        },
        Kind::Text => match scalar {
            Some(Scalar::String(s)) => Value::String(s.to_string()),
            _ => return Err(wrong("text")),
        },
        Kind::OneOf(names) => match scalar {
            Some(Scalar::String(s)) if names.contains(&s.as_ref()) => Value::String(s.to_string()),
            _ => return Err(wrong(&format!("one of {}", names.join(", ")))),
        },
        Kind::Floats | Kind::Ints => {
            let YamlData::Sequence(items) = &value.data else {
                return Err(wrong("a list"));
            };
            list(at, name, kind, items)?
        }
        Kind::Any => match scalar {
            Some(Scalar::String(s)) => Value::String(s.to_string()),
            Some(Scalar::Integer(i)) => (*i).into(),
            _ => return Err(wrong("a name")),
        },
    })
}

/// The longest neighbour distance rgdb takes (`distances`). PyRadiomics sets none, but a voxel
/// has 24·d² + 2 neighbours at distance d, so a distance of hundreds means hours per case;
/// 16 is 6,146 neighbours per voxel.
const MAX_DISTANCE: i64 = 16;

/// A list setting's items, each a number (or a whole number above 0 for `Ints`).
fn list(
    at: &At<'_>,
    name: &str,
    kind: Kind,
    items: &[MarkedYaml<'_>],
) -> Result<Value, RadiomicsError> {
    let number = |s: Option<&Scalar<'_>>| match s {
        Some(Scalar::Integer(i)) => Some(*i as f64),
        Some(Scalar::FloatingPoint(f)) => Some(f.into_inner()),
        _ => None,
    };
    let mut out = Vec::new();
    for item in items {
        let s = match &item.data {
            YamlData::Value(s) => Some(s),
            _ => None,
        };
        out.push(match (kind, s, number(s)) {
            (Kind::Ints, Some(Scalar::Integer(i)), _) if *i > 0 && *i <= MAX_DISTANCE => {
                Value::from(*i)
            }
            (Kind::Floats, Some(Scalar::Integer(i)), _) => Value::from(*i),
            (Kind::Floats, _, Some(v)) if v.is_finite() => Value::from(v),
            _ => {
                let what = if matches!(kind, Kind::Ints) {
                    "whole numbers from 1 to 16"
                } else {
                    "numbers"
                };
                return Err(at.error(
                    item,
                    format!("{name} is a list of {what}, not {}", describe(item)),
                ));
            }
        });
    }
    Ok(Value::Array(out))
}
/// A node as the user wrote it, for messages.
pub(super) fn describe(node: &MarkedYaml<'_>) -> String {
    match &node.data {
        YamlData::Value(Scalar::Null) => "nothing".into(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::String(s)) => format!("'{s}'"),
        YamlData::Sequence(_) => "a list".into(),
        YamlData::Mapping(_) => "a mapping".into(),
        _ => "that".into(),
    }
}
