//! PyRadiomics parameter files (YAML), read with `saphyr` and checked as PyRadiomics v3.0.1's
//! schema (`radiomics/schemas/paramSchema.yaml`) checks them, into [`Settings`].
//!
//! - The four sections are PyRadiomics': `setting`, `featureClass`, `imageType` and
//!   `voxelSetting` (voxel-based extraction only; read and not used, as PyRadiomics does for a
//!   segment-based run). Any other key is refused, as the schema refuses it.
//! - A setting's value has the schema's type and range (an integer where a float is asked is
//!   a float, as in PyRadiomics).
//! - What needs part 2 of native radiomics is refused by name: an image type other than
//!   `Original` (LoG, Wavelet, …) and resampling (`resampledPixelSpacing` with an
//!   `interpolator`).
//! - [`Params::configuration`] is the settings as PyRadiomics reports them in
//!   `diagnostics_Configuration_Settings`: its defaults updated with the file's, in its order,
//!   so that natively computed features and an imported PyRadiomics CSV can be compared.

mod schema;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::Value;

use schema::{At, describe, setting};

use crate::radiomics::RadiomicsError;
use crate::radiomics::discretise::Binning;
use crate::radiomics::settings::{
    Class, Features, Normalize, Resegment, ResegmentMode, Settings, Weighting,
};

/// A parameter file read: the settings, and the configuration as PyRadiomics reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub settings: Settings,
    /// PyRadiomics' defaults updated with the file's `setting` section, in order.
    pub configuration: Vec<(String, Value)>,
    /// The enabled image types with their settings (`{"Original": {}}`).
    pub image_types: Value,
}

impl Default for Params {
    /// No parameter file: PyRadiomics' defaults.
    fn default() -> Self {
        Params {
            settings: Settings::default(),
            configuration: default_configuration(),
            image_types: serde_json::json!({ "Original": {} }),
        }
    }
}

/// PyRadiomics v3.0.1's `_getDefaultSettings`, in its order.
fn default_configuration() -> Vec<(String, Value)> {
    use serde_json::json;
    [
        ("minimumROIDimensions", json!(2)),
        ("minimumROISize", Value::Null),
        ("normalize", json!(false)),
        ("normalizeScale", json!(1)),
        ("removeOutliers", Value::Null),
        ("resampledPixelSpacing", Value::Null),
        ("interpolator", json!("sitkBSpline")),
        ("preCrop", json!(false)),
        ("padDistance", json!(5)),
        ("distances", json!([1])),
        ("force2D", json!(false)),
        ("force2Ddimension", json!(0)),
        ("resegmentRange", Value::Null),
        ("label", json!(1)),
        ("additionalInfo", json!(true)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The settings that change feature values when given under `imageType: Original:` (PyRadiomics
/// passes them to the feature classes, not to the mask checks or the shape class).
const PER_IMAGE_TYPE: &[&str] = &[
    "binWidth",
    "binCount",
    "voxelArrayShift",
    "symmetricalGLCM",
    "weightingNorm",
    "gldm_a",
    "distances",
    "force2D",
    "force2Ddimension",
];

/// Reads a parameter file.
pub fn read_params(path: &std::path::Path) -> Result<Params, RadiomicsError> {
    let file = path.display().to_string();
    // A parameter file is a few hundred bytes; a large one is not a parameter file.
    const MAX: u64 = 1 << 20;
    let size = std::fs::metadata(path)
        .map_err(|e| RadiomicsError::Io {
            file: file.clone(),
            message: e.to_string(),
        })?
        .len();
    if size > MAX {
        return Err(RadiomicsError::Params {
            file,
            line: 1,
            column: 1,
            message: format!("{size} bytes is not a parameter file (at most {MAX})"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| RadiomicsError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    parse_params(&text, &file)
}

/// Parses the text of a parameter file named `file`.
pub fn parse_params(text: &str, file: &str) -> Result<Params, RadiomicsError> {
    let at = At { file };
    let documents = MarkedYaml::load_from_str(text).map_err(|e| RadiomicsError::Params {
        file: file.to_string(),
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: format!("not YAML: {}", e.info()),
    })?;
    let mut params = Params::default();
    let Some(root) = documents.first() else {
        return Ok(params);
    };
    if documents.len() > 1 {
        return Err(at.error(
            &documents[1],
            "a parameter file holds one YAML document".into(),
        ));
    }
    let sections = match &root.data {
        YamlData::Mapping(m) => m,
        YamlData::Value(Scalar::Null) => return Ok(params),
        _ => return Err(at.error(
            root,
            "a parameter file is a mapping of setting, featureClass, imageType and voxelSetting"
                .into(),
        )),
    };
    let mut overrides = serde_json::Map::new();
    for (key, value) in sections.iter() {
        match key.data.as_str() {
            Some("setting") => settings_section(&at, value, &mut params.configuration)?,
            Some("featureClass") => params.settings.features = feature_classes(&at, value)?,
            Some("imageType") => {
                (params.image_types, overrides) = image_types(&at, value)?;
            }
            Some("voxelSetting") => {}
            _ => {
                return Err(at.error(
                    key,
                    format!(
                        "unknown section {}: PyRadiomics' are setting, featureClass, imageType and voxelSetting",
                        describe(key)
                    ),
                ));
            }
        }
    }
    apply(&at, &params.configuration, &mut params.settings, root)?;
    // shape2D, like the mask checks, reads `setting` alone (PyRadiomics' computeShape).
    params.settings.shape_force_2d = params.settings.force_2d;
    if !overrides.is_empty() {
        // The feature classes read `setting` updated with the image type's own settings
        // (PyRadiomics' `args.update(customKwargs)`): the merged dict decides afresh, so that a
        // `binCount` in `setting` still wins over a `binWidth` here, as in `getBinEdges`.
        let mut merged = params.configuration.clone();
        for (k, v) in &overrides {
            match merged.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v.clone(),
                None => merged.push((k.clone(), v.clone())),
            }
        }
        let get = |name: &str| {
            merged
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
                .filter(|v| !v.is_null())
                .cloned()
        };
        let settings = &mut params.settings;
        settings.binning = Binning::Width(25.0);
        settings.weighting_norm = None;
        settings.force_2d = None;
        apply_feature_settings(get, settings);
    }
    Ok(params)
}

/// The `setting` section, checked and merged into PyRadiomics' defaults.
fn settings_section(
    at: &At<'_>,
    section: &MarkedYaml<'_>,
    configuration: &mut Vec<(String, Value)>,
) -> Result<(), RadiomicsError> {
    let entries = match &section.data {
        YamlData::Mapping(m) => m,
        YamlData::Value(Scalar::Null) => return Ok(()),
        _ => {
            return Err(at.error(
                section,
                "`setting` is a mapping of setting names to values".into(),
            ));
        }
    };
    for (key, value) in entries.iter() {
        let (name, json) = setting(at, key, value)?;
        match configuration.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = json,
            None => configuration.push((name, json)),
        }
    }
    Ok(())
}

/// `featureClass`: the classes in order, each with its named features or none (its defaults).
fn feature_classes(at: &At<'_>, section: &MarkedYaml<'_>) -> Result<Features, RadiomicsError> {
    let YamlData::Mapping(entries) = &section.data else {
        return Err(at.error(section, "`featureClass` is a mapping of feature classes to lists of features (or nothing, for the class's defaults)".into()));
    };
    let mut classes: Vec<(Class, Option<Vec<String>>)> = Vec::new();
    for (key, value) in entries.iter() {
        let class = key.data.as_str().and_then(Class::named).ok_or_else(|| {
            let names: Vec<&str> = Class::ALL.iter().map(|c| c.name()).collect();
            at.error(
                key,
                format!(
                    "unknown feature class {}: PyRadiomics' are {}",
                    describe(key),
                    names.join(", ")
                ),
            )
        })?;
        let names = match &value.data {
            YamlData::Value(Scalar::Null) => None,
            YamlData::Sequence(items) if items.is_empty() => None,
            YamlData::Sequence(items) => Some(feature_names(at, class, items)?),
            _ => {
                return Err(at.error(
                    value,
                    format!(
                        "the features of {} are a list of names, not {}",
                        class.name(),
                        describe(value)
                    ),
                ));
            }
        };
        classes.retain(|(c, _)| *c != class);
        classes.push((class, names));
    }
    // Shape classes are computed first, whatever their place in the file.
    classes.sort_by_key(|(c, _)| !matches!(c, Class::Shape | Class::Shape2D));
    Ok(Features { classes })
}

/// The named features of a class, each one the class has.
fn feature_names(
    at: &At<'_>,
    class: Class,
    items: &[MarkedYaml<'_>],
) -> Result<Vec<String>, RadiomicsError> {
    let mut names: Vec<String> = Vec::new();
    for item in items {
        let name = item.data.as_str().unwrap_or_default();
        let known = class.defaults().contains(&name) || class.deprecated().contains(&name);
        if !known {
            return Err(at.error(
                item,
                format!(
                    "{} has no feature {}; its features are {}",
                    class.name(),
                    describe(item),
                    class.defaults().join(", ")
                ),
            ));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// `imageType`: only `Original`, with its own feature-class settings (also returned alone).
fn image_types(
    at: &At<'_>,
    section: &MarkedYaml<'_>,
) -> Result<(Value, serde_json::Map<String, Value>), RadiomicsError> {
    let YamlData::Mapping(entries) = &section.data else {
        return Err(at.error(
            section,
            "`imageType` is a mapping of image types to their settings".into(),
        ));
    };
    let mut types = serde_json::Map::new();
    for (key, value) in entries.iter() {
        match key.data.as_str() {
            Some("Original") => {}
            Some(
                other @ ("LoG" | "Wavelet" | "Square" | "SquareRoot" | "Logarithm" | "Exponential"
                | "Gradient" | "LBP2D" | "LBP3D"),
            ) => {
                return Err(at.error(
                    key,
                    format!("imageType {other} (a filtered image) is not computed natively yet: it comes with part 2 of native radiomics. Compute it with PyRadiomics and IMPORT RADIOMICS FROM its CSV, or enable only Original"),
                ));
            }
            _ => {
                return Err(at.error(key, format!("unknown image type {}: PyRadiomics' are Original, LoG, Wavelet, Square, SquareRoot, Logarithm, Exponential, Gradient, LBP2D and LBP3D", describe(key))));
            }
        }
        let mut own = serde_json::Map::new();
        match &value.data {
            YamlData::Value(Scalar::Null) => {}
            YamlData::Mapping(m) => {
                for (k, v) in m.iter() {
                    let (name, json) = setting(at, k, v)?;
                    if !PER_IMAGE_TYPE.contains(&name.as_str()) {
                        return Err(at.error(k, format!("{name} under imageType Original has no effect in PyRadiomics (it reads it from `setting`); move it there")));
                    }
                    own.insert(name, json);
                }
            }
            _ => return Err(at.error(value, "the settings of an image type are a mapping".into())),
        }
        types.insert("Original".into(), Value::Object(own));
    }
    let overrides = match types.get("Original") {
        Some(Value::Object(own)) => own.clone(),
        _ => serde_json::Map::new(),
    };
    if types.is_empty() {
        types.insert("Original".into(), Value::Object(serde_json::Map::new()));
    }
    Ok((Value::Object(types), overrides))
}

/// The configuration's values into `settings`.
fn apply(
    at: &At<'_>,
    configuration: &[(String, Value)],
    settings: &mut Settings,
    root: &MarkedYaml<'_>,
) -> Result<(), RadiomicsError> {
    let get = |name: &str| {
        configuration
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    };
    let float = |name: &str| get(name).and_then(Value::as_f64);
    let bool_of = |name: &str| get(name).and_then(Value::as_bool);
    if get("resampledPixelSpacing").is_some() && get("interpolator").is_some() {
        return Err(at.error(root, "resampledPixelSpacing (resampling) is not computed natively yet: it comes with part 2 of native radiomics. Resample the images first, or compute with PyRadiomics and IMPORT RADIOMICS FROM its CSV".into()));
    }
    if let Some(l) = get("label").and_then(Value::as_i64) {
        settings.label = l;
    }
    if let Some(t) = float("geometryTolerance") {
        settings.geometry_tolerance = t;
    }
    settings.correct_mask = bool_of("correctMask").unwrap_or(false);
    settings.minimum_roi_dimensions = get("minimumROIDimensions")
        .and_then(Value::as_u64)
        .unwrap_or(2) as usize;
    settings.minimum_roi_size = get("minimumROISize").and_then(Value::as_u64);
    if bool_of("normalize") == Some(true) {
        settings.normalize = Some(Normalize {
            scale: float("normalizeScale").unwrap_or(1.0),
            remove_outliers: float("removeOutliers"),
        });
    }
    if let Some(Value::Array(range)) = get("resegmentRange") {
        let mode = match get("resegmentMode").and_then(Value::as_str) {
            Some("relative") => ResegmentMode::Relative,
            Some("sigma") => ResegmentMode::Sigma,
            _ => ResegmentMode::Absolute,
        };
        let range: Vec<f64> = range.iter().filter_map(Value::as_f64).collect();
        if range.is_empty() || range.len() > 2 {
            return Err(RadiomicsError::BadSetting {
                setting: "resegmentRange".into(),
                value: format!("{range:?}"),
                why: "it takes one or two numbers".into(),
            });
        }
        settings.resegment = Some(Resegment { range, mode });
    }
    settings.resegment_shape = bool_of("resegmentShape").unwrap_or(false);
    apply_feature_settings(|name| get(name).cloned(), settings);
    Ok(())
}

/// The settings the feature classes read (from `setting`, or from `imageType: Original:`).
fn apply_feature_settings(get: impl Fn(&str) -> Option<Value>, settings: &mut Settings) {
    if let Some(w) = get("binWidth").and_then(|v| v.as_f64()) {
        settings.binning = Binning::Width(w);
    }
    // binCount wins over binWidth, as in PyRadiomics' getBinEdges.
    if let Some(c) = get("binCount").and_then(|v| v.as_u64()) {
        settings.binning = Binning::Count(c as usize);
    }
    if let Some(s) = get("voxelArrayShift").and_then(|v| v.as_f64()) {
        settings.voxel_array_shift = s;
    }
    if let Some(b) = get("symmetricalGLCM").and_then(|v| v.as_bool()) {
        settings.symmetrical_glcm = b;
    }
    if let Some(a) = get("gldm_a").and_then(|v| v.as_u64()) {
        settings.gldm_a = a.min(u64::from(u32::MAX)) as u32;
    }
    if let Some(Value::Array(d)) = get("distances") {
        let mut distances: Vec<u32> = d
            .iter()
            .filter_map(Value::as_u64)
            .map(|v| v as u32)
            .collect();
        distances.sort_unstable();
        distances.dedup();
        settings.distances = distances;
    }
    if let Some(w) = get("weightingNorm") {
        settings.weighting_norm = match w.as_str() {
            Some("euclidean") => Some(Weighting::Euclidean),
            Some("manhattan") => Some(Weighting::Manhattan),
            Some("infinity") => Some(Weighting::Infinity),
            _ => Some(Weighting::NoWeighting),
        };
    }
    let force = get("force2D").and_then(|v| v.as_bool());
    let dimension = get("force2Ddimension").and_then(|v| v.as_u64());
    if force.is_some() || dimension.is_some() {
        let on = force.unwrap_or(settings.force_2d.is_some());
        let axis = dimension
            .map(|d| d as usize)
            .or(settings.force_2d)
            .unwrap_or(0);
        settings.force_2d = on.then_some(axis);
    }
}

impl Params {
    /// The configuration as a Python dict literal, as PyRadiomics prints
    /// `diagnostics_Configuration_Settings`.
    pub fn configuration_literal(&self) -> String {
        let items: Vec<String> = self
            .configuration
            .iter()
            .map(|(k, v)| format!("'{k}': {}", python_literal(v)))
            .collect();
        format!("{{{}}}", items.join(", "))
    }

    /// The configuration as a JSON object (for the provenance record).
    pub fn configuration_json(&self) -> Value {
        Value::Object(self.configuration.iter().cloned().collect())
    }
}

/// A JSON value as Python prints it (`True`, `None`, `'text'`, `[1, 2]`).
pub fn python_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => crate::radiomics::python_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("'{k}': {}", python_literal(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}
