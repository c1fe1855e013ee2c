//! `radiomics.csv`: PyRadiomics batch output. The header, the diagnostics cells and each
//! feature's location and spread come from the bundled real file (60 NSCLC subjects); the
//! values follow the model in [`super`].

use std::io::Write as _;
use std::path::Path;

use super::error::{Result, SynthError};
use super::{Cohort, Modality, Output, Stream, Subject, normal, uniform, write_parallel};
use crate::embedded;

/// Image types PyRadiomics can add beyond the real file's (original, LoG, wavelet); with
/// them, `--features` can exceed the real 1,764.
const EXTRA_IMAGE_TYPES: [&str; 8] = [
    "square",
    "squareroot",
    "logarithm",
    "exponential",
    "gradient",
    "lbp-3D-m1",
    "lbp-3D-m2",
    "lbp-3D-k",
];
/// The real file's features plus 92 per extra image type.
pub const MAX_FEATURES: usize = 1_764 + 92 * EXTRA_IMAGE_TYPES.len();

/// Where a real feature column lies: mean and spread, of its logarithm when every value is
/// positive.
#[derive(Debug, Clone)]
struct Feature {
    name: String,
    mean: f64,
    sd: f64,
    log: bool,
    /// Loading on the tumour burden (standard units).
    loading: f64,
    /// Which image type's shared factor it follows.
    family: u64,
}

/// The real file: its header, its rows' diagnostics cells (CSV-quoted), and its features.
struct Real {
    diagnostics_header: Vec<String>,
    diagnostics: Vec<Vec<u8>>,
    features: Vec<Feature>,
}

fn real() -> Result<Real> {
    let fail = |why: String| SynthError::Failed {
        message: format!("the bundled PyRadiomics file: {why}"),
    };
    let bytes = embedded::FILES
        .iter()
        .find(|f| f.name.starts_with("pyradiomics"))
        .ok_or_else(|| fail("missing".into()))?
        .bytes()
        .map_err(|e| fail(e.to_string()))?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let is_diagnostic = |c: &str| c.starts_with("diagnostics_");
    let diagnostics_at: Vec<usize> = (0..header.len())
        .filter(|&i| is_diagnostic(&header[i]))
        .collect();
    let diagnostics = rows
        .iter()
        .map(|row| {
            let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
            out.write_record(diagnostics_at.iter().map(|&i| &row[i]))
                .and_then(|_| out.into_inner().map_err(|e| e.into_error().into()))
                .map(|mut bytes| {
                    bytes.pop(); // the record's newline
                    bytes
                })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let mut features = Vec::new();
    for (i, name) in header.iter().enumerate().skip(3) {
        if is_diagnostic(name) {
            continue;
        }
        let values: Vec<f64> = rows.iter().filter_map(|r| r[i].parse().ok()).collect();
        features.push(describe(name, &values, features.len() as u64));
    }
    Ok(Real {
        diagnostics_header: diagnostics_at.iter().map(|&i| header[i].clone()).collect(),
        diagnostics,
        features,
    })
}

fn describe(name: &str, values: &[f64], index: u64) -> Feature {
    let log = !values.is_empty() && values.iter().all(|v| *v > 0.0);
    let xs: Vec<f64> = values
        .iter()
        .map(|v| if log { v.ln() } else { *v })
        .collect();
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let image_type = name.split('_').next().unwrap_or_default();
    let shape = name.contains("_shape_");
    let shrinks = [
        "Sphericity",
        "SurfaceVolumeRatio",
        "Elongation",
        "Flatness",
        "Compactness",
    ]
    .iter()
    .any(|s| name.contains(s));
    let loading = if shape {
        if shrinks { -0.6 } else { 0.95 }
    } else {
        // Between −0.6 and 0.6, fixed per feature name's position.
        1.2 * (uniform(0, Stream::Feature, index, 0) - 0.5)
    };
    Feature {
        name: name.to_string(),
        mean,
        sd,
        log,
        loading,
        family: image_type
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into())),
    }
}

/// The first `n` feature names and models: the real file's, then the extra image types'
/// copies of the original image's 92 non-shape features.
fn features(real: &Real, n: usize) -> Vec<Feature> {
    let mut out: Vec<Feature> = real.features.iter().take(n).cloned().collect();
    let originals: Vec<&Feature> = real
        .features
        .iter()
        .filter(|f| f.name.starts_with("original_") && !f.name.contains("_shape_"))
        .collect();
    'types: for image_type in EXTRA_IMAGE_TYPES {
        for f in &originals {
            if out.len() >= n {
                break 'types;
            }
            let name = f.name.replacen("original", image_type, 1);
            let mut copy = describe(&name, &[], out.len() as u64);
            copy.mean = f.mean;
            copy.sd = f.sd;
            copy.log = f.log;
            out.push(copy);
        }
    }
    out
}

/// The lesion's mesh volume in mm³: `exp(9.2 + z + 0.15 noise)` (median about 10 cm³).
pub(super) fn mesh_volume(seed: u64, s: &Subject) -> f64 {
    (9.2 + s.burden + 0.15 * normal(seed, Stream::FeatureNoise, s.index as u64, u64::MAX)).exp()
}

pub(super) fn write(cohort: &Cohort, path: &Path) -> Result<()> {
    let seed = cohort.spec.seed;
    let real = real()?;
    let features = features(&real, cohort.spec.features);
    let subjects: Vec<_> = cohort.with(Modality::Radiomic).collect();
    let mut out = Output::create(path)?;
    let mut header = String::from(",Image,Mask");
    for name in real
        .diagnostics_header
        .iter()
        .chain(features.iter().map(|f| &f.name))
    {
        header.push(',');
        header.push_str(name);
    }
    header.push('\n');
    out.write(header.as_bytes())?;
    let folder = "/data/nsclc_synthetic/nifti";
    write_parallel(&mut out, subjects.len(), 32, |k, line| {
        let s = subjects[k];
        let i = s.index as u64;
        let _ = write!(
            line,
            "{k},{folder}/images/{id}.nii,{folder}/masks/{id}.nii,",
            id = s.id
        );
        line.extend_from_slice(&real.diagnostics[s.index % real.diagnostics.len()]);
        for (j, f) in features.iter().enumerate() {
            let value = if f.name == "original_shape_MeshVolume" {
                mesh_volume(seed, s)
            } else {
                let shared = normal(seed, Stream::FeatureBlock, i, f.family);
                let rest = (1.0 - f.loading * f.loading - 0.25).max(0.05).sqrt();
                let x = f.loading * s.burden
                    + 0.5 * shared
                    + rest * normal(seed, Stream::FeatureNoise, i, j as u64);
                let v = f.mean + f.sd * x;
                if f.log { v.exp() } else { v }
            };
            let _ = write!(line, ",{value}");
        }
        line.push(b'\n');
    })?;
    out.finish()
}
