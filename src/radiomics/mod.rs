//! radiomics: features computed natively, with PyRadiomics v3.0.1's definitions (issue 25).
//!
//! - `volume.rs`: the image type (voxels and geometry).
//! - `nrrd.rs`: NRRD volumes as SimpleITK reads them.
//! - `discretise.rs`: grey-level discretisation (`binWidth`, `binCount`).
//! - `firstorder.rs`: the first-order features.
//!
//! [`extract`] takes an image and its label map and gives PyRadiomics' feature names and
//! values (`original_firstorder_Mean`, …) for the classes done so far. It is pure
//! computation: readers of DICOM, the import statements and the `rgdb radiomics` command sit
//! above it (issue 25 lists what is still to come: shape, the texture classes, NIfTI, DICOM
//! series and SEG masks, the parameter file).

mod discretise;
mod firstorder;
mod nrrd;
mod volume;

pub use discretise::{Binning, discretise, edges};
pub use firstorder::{FEATURES as FIRSTORDER_FEATURES, percentile};
pub use nrrd::{MAX_VOXELS, parse as parse_nrrd, read as read_nrrd};
pub use volume::Volume;

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
}

impl RadiomicsError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            RadiomicsError::Io { .. } => "E0441",
            RadiomicsError::BadImage { .. } => "E0442",
            RadiomicsError::Geometry { .. } => "E0443",
            RadiomicsError::LabelAbsent { .. } => "E0444",
        }
    }
}

/// The settings of an extraction (PyRadiomics' names in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The mask value of the region (`label`).
    pub label: i64,
    /// Grey-level discretisation (`binWidth`, `binCount`).
    pub binning: Binning,
    /// Added to intensities by Energy, TotalEnergy and RootMeanSquared (`voxelArrayShift`).
    pub voxel_array_shift: f64,
    /// How far the mask's grid may be from the image's (`geometryTolerance`).
    pub geometry_tolerance: f64,
}

impl Default for Settings {
    /// PyRadiomics' defaults: label 1, bin width 25, no shift, tolerance 1e-6.
    fn default() -> Self {
        Settings {
            label: 1,
            binning: Binning::Width(25.0),
            voxel_array_shift: 0.0,
            geometry_tolerance: 1e-6,
        }
    }
}

/// The intensities of the voxels of `image` whose `mask` value is `settings.label`, in voxel
/// order.
pub fn region(
    image: &Volume,
    mask: &Volume,
    settings: &Settings,
) -> Result<Vec<f64>, RadiomicsError> {
    if !image.same_grid(mask, settings.geometry_tolerance) {
        let describe = |v: &Volume| {
            format!(
                "{:?} voxels at origin {:?}, spacing {:?}",
                v.size, v.origin, v.spacing
            )
        };
        return Err(RadiomicsError::Geometry {
            image: describe(image),
            mask: describe(mask),
            tolerance: settings.geometry_tolerance,
        });
    }
    let label = settings.label as f64;
    let values: Vec<f64> = image
        .voxels
        .iter()
        .zip(&mask.voxels)
        .filter(|(_, m)| **m == label)
        .map(|(v, _)| *v)
        .collect();
    if values.is_empty() {
        let mut present: Vec<i64> = mask.voxels.iter().map(|v| *v as i64).collect();
        present.sort_unstable();
        present.dedup();
        let shown: Vec<String> = present.iter().take(10).map(i64::to_string).collect();
        return Err(RadiomicsError::LabelAbsent {
            label: settings.label,
            present: shown.join(", "),
        });
    }
    Ok(values)
}

/// The features of the region `settings.label` of `mask` over `image`, named as PyRadiomics
/// names them for the original image (`original_firstorder_Mean`, …).
pub fn extract(
    image: &Volume,
    mask: &Volume,
    settings: &Settings,
) -> Result<Vec<(String, f64)>, RadiomicsError> {
    let values = region(image, mask, settings)?;
    let features = firstorder::firstorder(
        &values,
        image.voxel_volume(),
        &settings.binning,
        settings.voxel_array_shift,
    );
    Ok(features
        .into_iter()
        .map(|(name, value)| (format!("original_firstorder_{name}"), value))
        .collect())
}
