//! radiomics: features computed natively, with PyRadiomics v3.0.1's definitions (issue 25).
//!
//! - `volume.rs`: the image type (voxels and geometry).
//! - `nrrd.rs`, `nifti.rs`: NRRD and NIfTI-1 volumes as SimpleITK reads them ([`read_image`]);
//!   `numbers.rs` what they share (voxel number types, bounded gunzip).
//! - `discretise.rs`: grey-level discretisation (`binWidth`, `binCount`).
//! - `shape.rs`: the 3-D shape features, on PyRadiomics' marching cubes (`mesh_tables.rs`).
//! - `firstorder.rs`: the first-order features; `glcm.rs`: the grey-level co-occurrence matrix
//!   and its features (`eigen.rs`: the eigenvalues its MCC needs); `zones.rs`: GLRLM, GLSZM,
//!   GLDM and NGTDM (`sizes.rs`: the features their count matrices share).
//!
//! [`extract`] takes an image and its label map and gives PyRadiomics' feature names and
//! values (`original_firstorder_Mean`, …) for the classes done so far. It is pure
//! computation: readers of DICOM, the import statements and the `rgdb radiomics` command sit
//! above it (issue 25 lists what is still to come: shape, the texture classes, NIfTI, DICOM
//! series and SEG masks, the parameter file).

mod discretise;
mod eigen;
mod firstorder;
mod glcm;
mod mesh_tables;
mod nifti;
mod nrrd;
mod numbers;
mod shape;
mod sizes;
mod volume;
mod zones;

pub use discretise::{Binning, discretise, edges};
pub use firstorder::{FEATURES as FIRSTORDER_FEATURES, percentile};
pub use glcm::{FEATURES as GLCM_FEATURES, angles};
pub use nifti::{parse as parse_nifti, read as read_nifti};
pub use nrrd::{MAX_VOXELS, parse as parse_nrrd, read as read_nrrd};
pub use shape::FEATURES as SHAPE_FEATURES;
pub use volume::Volume;
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
}

impl Grid {
    /// The grey level at `(x, y, z)`.
    pub fn level(&self, x: usize, y: usize, z: usize) -> u32 {
        self.levels[x + self.size[0] * (y + self.size[1] * z)]
    }

    /// The grey levels present in the region, ascending (PyRadiomics' `grayLevels`).
    pub fn present(&self) -> Vec<u32> {
        let mut levels: Vec<u32> = self.levels.iter().copied().filter(|l| *l > 0).collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }
}

/// Reads an image or label map by its name: `.nrrd` (NRRD), `.nii` or `.nii.gz` (NIfTI-1).
pub fn read_image(path: &std::path::Path) -> Result<Volume, RadiomicsError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".nrrd") {
        read_nrrd(path)
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        read_nifti(path)
    } else {
        Err(RadiomicsError::BadImage {
            file: path.display().to_string(),
            message: "rgdb reads NRRD (.nrrd) and NIfTI (.nii, .nii.gz) images".into(),
        })
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
    /// Normalise the whole image first (`normalize`, `normalizeScale`, `removeOutliers`).
    pub normalize: Option<Normalize>,
    /// Keep only the region's voxels within a range (`resegmentRange`, `resegmentMode`).
    pub resegment: Option<Resegment>,
    /// Count GLCM pairs both ways (`symmetricalGLCM`).
    pub symmetrical_glcm: bool,
    /// How many grey levels apart a GLDM neighbour may be and still depend (`gldm_a`).
    pub gldm_a: u32,
    /// Texture in 2-D slices (`force2D`): the numpy axis they are stacked along
    /// (`force2Ddimension`: 0 = z, 1 = y, 2 = x).
    pub force_2d: Option<usize>,
    /// GLCM and GLRLM over all angles at once, each weighted by its length (`weightingNorm`);
    /// `None`: features per angle, averaged.
    pub weighting_norm: Option<Weighting>,
    /// Also the deprecated shape features (Compactness1, Compactness2,
    /// SphericalDisproportion), which PyRadiomics computes only when a parameter file names
    /// them.
    pub deprecated_shape: bool,
}

/// How `weightingNorm` weighs an angle of offset `a` (mm: the offset times the spacing): the
/// GLCM by `exp(−‖a‖²)`, the GLRLM by `‖a‖`, in the norm named; `NoWeighting` (and any
/// name PyRadiomics does not know) by 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weighting {
    Infinity,
    Euclidean,
    Manhattan,
    NoWeighting,
}

impl Weighting {
    /// The norm of offset `a` on a grid of `spacing`.
    pub fn norm(&self, a: [i64; 3], spacing: [f64; 3]) -> f64 {
        let mm: Vec<f64> = (0..3).map(|k| a[k].abs() as f64 * spacing[k]).collect();
        match self {
            Weighting::Infinity => mm.iter().copied().fold(0.0, f64::max),
            Weighting::Euclidean => mm.iter().map(|v| v * v).sum::<f64>().sqrt(),
            Weighting::Manhattan => mm.iter().sum(),
            Weighting::NoWeighting => 1.0,
        }
    }
}

/// `normalize: true`: the image as SimpleITK's `Normalize` makes it (minus the mean, over the
/// sample standard deviation, of the whole image), values beyond ±`remove_outliers` clipped
/// to it, then times `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalize {
    pub scale: f64,
    pub remove_outliers: Option<f64>,
}

/// `resegmentRange`: the region's voxels kept are those from the lower to the upper
/// threshold (or above the only one).
#[derive(Debug, Clone, PartialEq)]
pub struct Resegment {
    pub range: Vec<f64>,
    pub mode: ResegmentMode,
}

/// How `resegmentRange` is read (`resegmentMode`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResegmentMode {
    /// Intensities (the default).
    Absolute,
    /// Fractions of the region's maximum.
    Relative,
    /// Standard deviations (population) from the region's mean.
    Sigma,
}

impl Default for Settings {
    /// PyRadiomics' defaults: label 1, bin width 25, no shift, tolerance 1e-6.
    fn default() -> Self {
        Settings {
            label: 1,
            binning: Binning::Width(25.0),
            voxel_array_shift: 0.0,
            geometry_tolerance: 1e-6,
            normalize: None,
            resegment: None,
            symmetrical_glcm: true,
            gldm_a: 0,
            force_2d: None,
            deprecated_shape: false,
            weighting_norm: None,
        }
    }
}

/// The voxels of a region: their indices in the image and their intensities.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub voxels: Vec<usize>,
    pub values: Vec<f64>,
}

/// The voxels of `image` whose `mask` value is `settings.label`, in voxel order.
pub fn region(
    image: &Volume,
    mask: &Volume,
    settings: &Settings,
) -> Result<Region, RadiomicsError> {
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
    let voxels: Vec<usize> = (0..mask.voxels.len())
        .filter(|k| mask.voxels[*k] == label)
        .collect();
    if voxels.is_empty() {
        let mut present: Vec<i64> = mask.voxels.iter().map(|v| *v as i64).collect();
        present.sort_unstable();
        present.dedup();
        let shown: Vec<String> = present.iter().take(10).map(i64::to_string).collect();
        return Err(RadiomicsError::LabelAbsent {
            label: settings.label,
            present: shown.join(", "),
        });
    }
    let values: Vec<f64> = voxels.iter().map(|k| image.voxels[*k]).collect();
    let nan: Vec<usize> = (0..values.len()).filter(|k| values[*k].is_nan()).collect();
    if let Some(first) = nan.first() {
        let [nx, ny, _] = image.size;
        let k = voxels[*first];
        return Err(RadiomicsError::NotANumber {
            label: settings.label,
            count: nan.len(),
            x: k % nx,
            y: (k / nx) % ny,
            z: k / (nx * ny),
        });
    }
    Ok(Region { voxels, values })
}

/// The features of the region `settings.label` of `mask` over `image`, named as PyRadiomics
/// names them for the original image (`original_firstorder_Mean`, …). The image is
/// normalised and the region re-segmented first when the settings ask for it, in
/// PyRadiomics' order.
pub fn extract(
    image: &Volume,
    mask: &Volume,
    settings: &Settings,
) -> Result<Vec<(String, f64)>, RadiomicsError> {
    let normalized;
    let image = match &settings.normalize {
        Some(n) => {
            normalized = normalize(image, n);
            &normalized
        }
        None => image,
    };
    let mut region = region(image, mask, settings)?;
    let mut features: Vec<(String, f64)> = Vec::new();
    let named = |class: &str, values: Vec<(&str, f64)>| -> Vec<(String, f64)> {
        values
            .into_iter()
            .map(|(name, value)| (format!("original_{class}_{name}"), value))
            .collect()
    };
    // Shape is of the mask as drawn, before re-segmentation (as PyRadiomics computes it).
    features.extend(named(
        "shape",
        shape::shape(&shape_mask(image, &region), settings.deprecated_shape),
    ));
    if let Some(r) = &settings.resegment {
        region = resegment(region, r, settings.label)?;
    }
    features.extend(named(
        "firstorder",
        firstorder::firstorder(
            &region.values,
            image.voxel_volume(),
            &settings.binning,
            settings.voxel_array_shift,
        ),
    ));
    let mut grid = grid(image, &region, &settings.binning);
    // numpy's axes are (z, y, x).
    grid.flat = settings.force_2d.map(|numpy_axis| 2 - numpy_axis.min(2));
    features.extend(named(
        "glcm",
        glcm::glcm(&grid, settings.symmetrical_glcm, settings.weighting_norm),
    ));
    features.extend(named("gldm", zones::gldm(&grid, settings.gldm_a)));
    features.extend(named("glrlm", zones::glrlm(&grid, settings.weighting_norm)));
    features.extend(named("glszm", zones::glszm(&grid)));
    features.extend(named("ngtdm", zones::ngtdm(&grid)));
    Ok(features)
}

/// The bounding box of a region's voxels: its lowest and highest (x, y, z).
fn bounds(image: &Volume, region: &Region) -> ([usize; 3], [usize; 3]) {
    let [nx, ny, _] = image.size;
    let mut low = [usize::MAX; 3];
    let mut high = [0usize; 3];
    for k in &region.voxels {
        let at = [k % nx, (k / nx) % ny, k / (nx * ny)];
        for axis in 0..3 {
            low[axis] = low[axis].min(at[axis]);
            high[axis] = high[axis].max(at[axis]);
        }
    }
    (low, high)
}

/// The region as the shape class sees it: its bounding box padded by one voxel on every
/// side, in numpy's (z, y, x) order.
fn shape_mask(image: &Volume, region: &Region) -> shape::Mask {
    let (low, high) = bounds(image, region);
    let [nx, ny, _] = image.size;
    let size: [usize; 3] = std::array::from_fn(|a| high[a] + 3 - low[a]);
    let mut inside = vec![false; size.iter().product()];
    for k in &region.voxels {
        let (x, y, z) = (k % nx, (k / nx) % ny, k / (nx * ny));
        let (x, y, z) = (x + 1 - low[0], y + 1 - low[1], z + 1 - low[2]);
        inside[(z * size[1] + y) * size[0] + x] = true;
    }
    shape::Mask {
        size: [size[2], size[1], size[0]],
        inside,
        spacing: [image.spacing[2], image.spacing[1], image.spacing[0]],
    }
}

/// The region's grey levels on the image's grid, cropped to the region's bounding box (as
/// PyRadiomics crops before it counts; nothing outside the box is in the region).
fn grid(image: &Volume, region: &Region, binning: &Binning) -> Grid {
    let [nx, ny, _] = image.size;
    let at = |k: usize| [k % nx, (k / nx) % ny, k / (nx * ny)];
    let (low, high) = bounds(image, region);
    let size: [usize; 3] = std::array::from_fn(|a| high[a] + 1 - low[a]);
    let mut levels = vec![0u32; size.iter().product()];
    for (k, level) in region
        .voxels
        .iter()
        .zip(discretise(&region.values, binning))
    {
        let [x, y, z] = at(*k);
        let (x, y, z) = (x - low[0], y - low[1], z - low[2]);
        levels[x + size[0] * (y + size[1] * z)] = level as u32;
    }
    Grid {
        size,
        levels,
        flat: None,
        spacing: image.spacing,
    }
}

/// The image normalised as `imageoperations.normalizeImage` does (SimpleITK's
/// `NormalizeImageFilter`: the mean and the sample standard deviation of every voxel).
pub fn normalize(image: &Volume, n: &Normalize) -> Volume {
    let count = image.voxels.len() as f64;
    let (sum, squares) = image
        .voxels
        .iter()
        .fold((0.0, 0.0), |(s, q), v| (s + v, q + v * v));
    let mean = sum / count;
    let sigma = ((squares - sum * sum / count) / (count - 1.0)).sqrt();
    let voxels = image
        .voxels
        .iter()
        .map(|v| {
            let z = (v - mean) / sigma;
            let z = match n.remove_outliers {
                Some(limit) => z.clamp(-limit, limit),
                None => z,
            };
            z * n.scale
        })
        .collect();
    Volume {
        voxels,
        ..image.clone()
    }
}

/// The region's intensities within the re-segmentation range (`imageoperations.resegmentMask`).
pub fn resegment(region: Region, r: &Resegment, label: i64) -> Result<Region, RadiomicsError> {
    let values = &region.values;
    if r.range.is_empty() || r.range.len() > 2 {
        return Err(RadiomicsError::BadSetting {
            setting: "resegmentRange".into(),
            value: format!("{:?}", r.range),
            why: "it takes one or two numbers".into(),
        });
    }
    let mut range = r.range.clone();
    range.sort_by(f64::total_cmp);
    let n = values.len() as f64;
    let thresholds: Vec<f64> = match r.mode {
        ResegmentMode::Absolute => range.clone(),
        ResegmentMode::Relative => {
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            range.iter().map(|t| max * t).collect()
        }
        ResegmentMode::Sigma => {
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            range.iter().map(|t| mean + sd * t).collect()
        }
    };
    let before = values.len();
    let inside = |v: f64| v >= thresholds[0] && thresholds.get(1).is_none_or(|hi| v <= *hi);
    let (voxels, values): (Vec<usize>, Vec<f64>) = region
        .voxels
        .iter()
        .zip(&region.values)
        .filter(|(_, v)| inside(**v))
        .map(|(k, v)| (*k, *v))
        .unzip();
    let kept = Region { voxels, values };
    if kept.values.len() <= 1 {
        return Err(RadiomicsError::ResegmentedAway {
            range,
            mode: format!("{:?}", r.mode).to_lowercase(),
            label,
            before,
            kept: kept.values.len(),
        });
    }
    Ok(kept)
}
