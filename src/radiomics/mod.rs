//! radiomics: features computed natively, with PyRadiomics v3.0.1's definitions (issue 25).
//!
//! - `volume.rs`: the image type (voxels and geometry); `voxels.rs` its voxels, in the number
//!   type they were read in.
//! - `nrrd.rs`, `nifti.rs`: NRRD and NIfTI-1 volumes as SimpleITK reads them ([`read_image`]);
//!   `numbers.rs` what they share (voxel number types, the gzip stream decoded a block at a
//!   time, libdeflate's one-call inflate into the voxels).
//! - `discretise.rs`: grey-level discretisation (`binWidth`, `binCount`).
//! - `shape.rs`: the 3-D shape features, on PyRadiomics' marching cubes (`mesh_tables.rs`);
//!   `shape2d.rs`: shape2D, on its marching squares.
//! - `firstorder.rs`: the first-order features; `glcm.rs`: the grey-level co-occurrence matrix
//!   and its features (`eigen.rs`: the eigenvalues its MCC needs); `zones.rs`: GLRLM, GLSZM,
//!   GLDM and NGTDM (`padded.rs`: the padded grid and matrix rows they share; `sizes.rs`: the
//!   features their count matrices share).
//! - `params/`, `settings.rs`: PyRadiomics parameter files and the settings they give;
//!   `extract.rs`: one extraction in PyRadiomics' order; `correct.rs`: `correctMask`;
//!   `batch.rs`: batch CSVs, cases on all cores, the diagnostics.
//!
//! [`extract`] takes an image and its label map and gives PyRadiomics' feature names and
//! values (`original_firstorder_Mean`, …). It is pure computation: readers of DICOM, the
//! import statements and the `rgdb radiomics` command sit above it. Filtered images (LoG,
//! wavelet) and resampling are part 2; a parameter file that asks for them is refused.

pub mod batch;
mod correct;
mod discretise;
mod eigen;
mod extract;
mod firstorder;
mod glcm;
mod mesh_tables;
mod nifti;
mod nrrd;
mod numbers;
mod padded;
mod params;
mod settings;
mod shape;
mod shape2d;
mod sizes;
mod volume;
mod voxels;
mod zones;

pub use discretise::{Binning, discretise, edges};
pub use extract::{Extraction, Region, extract, extract_all, normalize, region, resegment};
pub use firstorder::{FEATURES as FIRSTORDER_FEATURES, percentile};
pub use glcm::{FEATURES as GLCM_FEATURES, angles};
pub use nifti::{parse as parse_nifti, read as read_nifti};
pub use nrrd::{MAX_VOXELS, parse as parse_nrrd, read as read_nrrd};
pub use params::{Params, parse_params, python_literal, read_params};
pub use settings::{Class, Features, Normalize, Resegment, ResegmentMode, Settings, Weighting};
pub use shape::FEATURES as SHAPE_FEATURES;
pub use volume::Volume;
pub use voxels::{Sample, Summary, Voxels};
pub use zones::{GLDM, GLRLM, GLSZM, NGTDM};

use thiserror::Error;

/// Why features could not be computed from an image and a mask.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum RadiomicsError {
    /// The image or mask file could not be read.
    #[error("cannot read {file}: {message}")]
    Io { file: String, message: String },
    /// The file is not an image rgdb reads, or its data is damaged.
    #[error("{file}: {message}")]
    BadImage { file: String, message: String },
    /// The mask is not on the image's grid (PyRadiomics' `geometryTolerance`).
    #[error(
        "the mask is not on the image's grid: image {image}, mask {mask} (tolerance {tolerance}); resample the mask onto the image, or raise geometryTolerance"
    )]
    Geometry {
        image: String,
        mask: String,
        tolerance: f64,
    },
    /// The label to compute is not in the mask.
    #[error(
        "label {label} is not in the mask (it holds {present}); choose one of them with `label`"
    )]
    LabelAbsent { label: i64, present: String },
    /// Re-segmentation left fewer than 2 voxels (PyRadiomics refuses the case too).
    #[error(
        "resegmentRange {range:?} ({mode}) kept {kept} of the {before} voxels of label {label}; features need at least 2"
    )]
    ResegmentedAway {
        range: Vec<f64>,
        mode: String,
        label: i64,
        before: usize,
        kept: usize,
    },
    /// The region holds voxels that are not numbers (NaN), which no feature can use.
    #[error(
        "{count} voxels of label {label} are not numbers (NaN), the first at voxel (x {x}, y {y}, z {z}); mask them out or fill them"
    )]
    NotANumber {
        label: i64,
        count: usize,
        x: usize,
        y: usize,
        z: usize,
    },
    /// A parameter file that is not YAML, or not what PyRadiomics' schema allows, or that asks
    /// for what rgdb does not compute yet (filters, resampling).
    #[error("{file}:{line}:{column}: {message}")]
    Params {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The region is below PyRadiomics' minimums (one voxel, `minimumROIDimensions`,
    /// `minimumROISize`).
    #[error("label {label}: {message}")]
    RoiTooSmall { label: i64, message: String },
    /// A setting has a value PyRadiomics does not accept.
    #[error("the setting {setting} = {value} is not valid: {why}")]
    BadSetting {
        setting: String,
        value: String,
        why: String,
    },
}

impl RadiomicsError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            RadiomicsError::Io { .. } => "E0441",
            RadiomicsError::BadImage { .. } => "E0442",
            RadiomicsError::Geometry { .. } => "E0443",
            RadiomicsError::LabelAbsent { .. } => "E0444",
            RadiomicsError::ResegmentedAway { .. } => "E0445",
            RadiomicsError::BadSetting { .. } => "E0446",
            RadiomicsError::NotANumber { .. } => "E0447",
            RadiomicsError::Params { .. } => "E0448",
            RadiomicsError::RoiTooSmall { .. } => "E0449",
        }
    }
}

/// The discretised grey levels of a region on its image's grid (0 outside the region): what
/// the texture classes count.
pub struct Grid {
    pub size: [usize; 3],
    pub levels: Vec<u32>,
    /// With `force2D`, the axis the texture classes do not move along (0 = x, 1 = y, 2 = z).
    pub flat: Option<usize>,
    /// (x, y, z) spacing, mm: what `weightingNorm` weighs the angles by.
    pub spacing: [f64; 3],
    /// The neighbour distances of GLCM, GLDM and NGTDM (`distances`, infinity norm, voxels).
    pub distances: Vec<u32>,
}

impl Grid {
    /// The grey level at `(x, y, z)`.
    pub fn level(&self, x: usize, y: usize, z: usize) -> u32 {
        self.levels[x + self.size[0] * (y + self.size[1] * z)]
    }

    /// The grey levels present in the region, ascending (PyRadiomics' `grayLevels`).
    pub fn present(&self) -> Vec<u32> {
        // Marked in a table when the levels are small numbers (bin numbers: the check of
        // `discretise` keeps them under 2²⁰), else sorted.
        let highest = self.levels.iter().copied().max().unwrap_or(0) as usize;
        if highest <= 1 << 22 {
            let mut seen = vec![false; highest + 1];
            for l in &self.levels {
                seen[*l as usize] = true;
            }
            return (1..=highest as u32).filter(|l| seen[*l as usize]).collect();
        }
        let mut levels: Vec<u32> = self.levels.iter().copied().filter(|l| *l > 0).collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }
}

/// Reads an image or label map by its name: `.nrrd` (NRRD), `.nii` or `.nii.gz` (NIfTI-1).
pub fn read_image(path: &std::path::Path) -> Result<Volume, RadiomicsError> {
    let parse = parser(path)?;
    parse(&path.display().to_string(), &numbers::read_file(path)?)
}

/// [`read_image`], with the SHA-256 of the file (hashed from the bytes read: the file is read
/// once).
pub fn read_image_hashed(path: &std::path::Path) -> Result<(Volume, String), RadiomicsError> {
    let parse = parser(path)?;
    let bytes = numbers::read_file(path)?;
    let hash = crate::digest::sha256_hex(&bytes);
    Ok((parse(&path.display().to_string(), &bytes)?, hash))
}

/// A reader of a volume file's bytes, named in errors by the first argument.
type Parser = fn(&str, &[u8]) -> Result<Volume, RadiomicsError>;

/// The reader of a file by its name.
fn parser(path: &std::path::Path) -> Result<Parser, RadiomicsError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nrrd") {
        Ok(parse_nrrd)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        Ok(parse_nifti)
    } else {
        Err(RadiomicsError::BadImage {
            file: path.display().to_string(),
            message: "rgdb reads NRRD (.nrrd) and NIfTI (.nii, .nii.gz) images".into(),
        })
    }
}

/// A float as Python's `repr` writes it (`0.5`, `1e-06`, `12345.0`, `nan`): how PyRadiomics'
/// CSV output shows its values.
pub fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Rust's `{:e}` gives the shortest digits that read back to `v`, as Python's repr does.
    let scientific = format!("{v:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.trim_start_matches('-').replace('.', "");
    let body = if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let whole = exponent as usize + 1;
            if digits.len() <= whole {
                format!("{digits}{}.0", "0".repeat(whole - digits.len()))
            } else {
                format!("{}.{}", &digits[..whole], &digits[whole..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
        }
    } else {
        let m = if digits.len() == 1 {
            digits.clone()
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exponent.abs())
    };
    if v < 0.0 { format!("-{body}") } else { body }
}
