//! One extraction, in PyRadiomics v3.0.1's order (`featureextractor.execute`): the mask put
//! on the image's grid (`correctMask`), the image normalised, the region checked against
//! PyRadiomics' minimums, re-segmented, then shape (of the mask as drawn, unless
//! `resegmentShape`), shape2D, and the other classes, each with the features enabled.

use super::discretise::{Binning, discretise};
use super::settings::{Class, Normalize, Resegment, ResegmentMode, Settings};
use super::{Grid, RadiomicsError, Volume, firstorder, glcm, shape, zones};

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
    let voxels = mask.voxels.positions(settings.label as f64);
    if voxels.is_empty() {
        let shown: Vec<String> = mask.voxels.labels(10).iter().map(i64::to_string).collect();
        return Err(RadiomicsError::LabelAbsent {
            label: settings.label,
            present: shown.join(", "),
        });
    }
    let values = image.voxels.gather(&voxels);
    let nan: Vec<usize> = (0..values.len()).filter(|k| values[*k].is_nan()).collect();
    if let Some(first) = nan.first() {
        let [x, y, z] = image.position(voxels[*first]);
        return Err(RadiomicsError::NotANumber {
            label: settings.label,
            count: nan.len(),
            x,
            y,
            z,
        });
    }
    Ok(Region { voxels, values })
}

/// What one extraction gives: the features, named as PyRadiomics names them for the original
/// image (`original_firstorder_Mean`, …), in its order, and what PyRadiomics would have
/// logged as a warning (a class it skipped).
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    pub features: Vec<(String, f64)>,
    pub warnings: Vec<String>,
    /// The mask on the image's grid (resampled when `correctMask` had to), and the region.
    pub region: Region,
    pub corrected: bool,
}

/// The features of the region `settings.label` of `mask` over `image` (see [`extract_all`]).
pub fn extract(
    image: &Volume,
    mask: &Volume,
    settings: &Settings,
) -> Result<Vec<(String, f64)>, RadiomicsError> {
    Ok(extract_all(image, mask, settings)?.features)
}

/// One extraction, in PyRadiomics' order.
pub fn extract_all(
    image: &Volume,
    mask: &Volume,
    settings: &Settings,
) -> Result<Extraction, RadiomicsError> {
    let corrected_mask;
    let (mask, corrected) =
        if image.same_grid(mask, settings.geometry_tolerance) || !settings.correct_mask {
            (mask, false)
        } else {
            corrected_mask = super::correct::onto(image, mask, settings.label)?;
            (&corrected_mask, true)
        };
    let normalized;
    let image = match &settings.normalize {
        Some(n) => {
            normalized = normalize(image, n);
            &normalized
        }
        None => image,
    };
    let drawn = region(image, mask, settings)?;
    check_minimums(image, &drawn, settings)?;
    let resegmented = match &settings.resegment {
        Some(r) => {
            let kept = resegment(drawn.clone(), r, settings.label)?;
            check_minimums(image, &kept, settings)?;
            Some(kept)
        }
        None => None,
    };
    let mut out = Extraction {
        features: Vec::new(),
        warnings: Vec::new(),
        region: Region {
            voxels: Vec::new(),
            values: Vec::new(),
        },
        corrected,
    };
    // Shape is of the mask as drawn, before re-segmentation, unless `resegmentShape`; but
    // PyRadiomics crops it to the re-segmented region's bounding box (`checkMask` of the
    // re-segmented mask gives the box `computeShape` crops to), so that is done too.
    let cropped;
    let outline = match (&resegmented, settings.resegment_shape) {
        (Some(kept), true) => kept,
        (Some(kept), false) => {
            cropped = within(image, &drawn, bounds(image, kept));
            &cropped
        }
        (None, _) => &drawn,
    };
    if let Some(names) = settings.features.of(Class::Shape) {
        let all = shape::shape(&shape_mask(image, outline), true);
        out.features.extend(select(Class::Shape, &all, &names));
    }
    if let Some(names) = settings.features.of(Class::Shape2D) {
        shape_2d(image, outline, settings, &names, &mut out)?;
    }
    let region = resegmented.as_ref().unwrap_or(&drawn);
    super::discretise::check(&region.values, &settings.binning)?;
    let mut grid = grid(image, region, &settings.binning);
    // numpy's axes are (z, y, x).
    grid.flat = settings.force_2d.map(|numpy_axis| 2 - numpy_axis.min(2));
    grid.distances = settings.distances.clone();
    check_texture_levels(&grid, settings)?;
    texture(image, region, &grid, settings, &mut out);
    out.region = drawn;
    Ok(out)
}

/// The most grey levels present in a region for GLCM, which keeps a levels × levels matrix per
/// angle (2,048 levels: 13 matrices of 33.5 MB); more comes from a bin width far below the
/// intensities' spread, and would take gigabytes and minutes for no useful feature.
const MAX_GLCM_LEVELS: usize = 2048;

/// The most memory GLCM's or GLRLM's matrices may hold at once (many `distances` make many
/// angles; many grey levels make tall matrices).
const MATRIX_BYTES: f64 = 1e9;

/// Refuses a GLCM over more than [`MAX_GLCM_LEVELS`] grey levels, and a GLCM or GLRLM whose
/// matrices would take more than [`MATRIX_BYTES`] (E0446).
fn check_texture_levels(grid: &Grid, settings: &Settings) -> Result<(), RadiomicsError> {
    let [glcm, glrlm] = [Class::Glcm, Class::Glrlm].map(|c| settings.features.of(c).is_some());
    if !glcm && !glrlm {
        return Ok(());
    }
    let levels = grid.present().len();
    // The matrices kept at once: one per angle, or the running sum and one angle's when
    // `weightingNorm` sums them.
    let kept = |distances: &[u32]| match settings.weighting_norm {
        Some(_) => 2,
        None => super::glcm::angles(grid.flat, grid.size, distances).len(),
    };
    let refuse = |why: String| {
        let (setting, value) = match settings.binning {
            Binning::Width(w) => ("binWidth", w.to_string()),
            Binning::Count(k) => ("binCount", k.to_string()),
        };
        Err(RadiomicsError::BadSetting {
            setting: setting.into(),
            value,
            why,
        })
    };
    if glcm {
        let kept = kept(&grid.distances);
        let bytes = (kept * levels * levels * 8) as f64;
        if levels > MAX_GLCM_LEVELS || bytes > MATRIX_BYTES {
            return refuse(format!(
                "the region holds {levels} grey levels, and GLCM keeps a matrix of levels × levels per angle ({kept} at once here, {:.1} GB); at most {MAX_GLCM_LEVELS} levels and 1 GB (raise binWidth, lower binCount, use fewer distances, or leave glcm out of featureClass)",
                bytes / 1e9
            ));
        }
    }
    // GLRLM: a matrix of levels × run lengths (up to the box's longest side) per angle, as
    // `f64`, and the counts of the angle being counted (`u32`).
    let longest = grid.size.into_iter().max().unwrap_or(1);
    let kept = kept(&[1]);
    let bytes = ((kept * 8 + 4) * levels * longest) as f64;
    if glrlm && bytes > MATRIX_BYTES {
        return refuse(format!(
            "the region holds {levels} grey levels, and GLRLM keeps a matrix of levels × run lengths (up to {longest}) per angle ({kept} at once here, {:.1} GB); at most 1 GB (raise binWidth, lower binCount, or leave glrlm out of featureClass)",
            bytes / 1e9
        ));
    }
    Ok(())
}

/// The voxels of `region` within a bounding box.
fn within(image: &Volume, region: &Region, (low, high): ([usize; 3], [usize; 3])) -> Region {
    let (voxels, values) = image
        .positions(&region.voxels)
        .zip(region.voxels.iter().zip(&region.values))
        .filter(|(at, _)| (0..3).all(|a| at[a] >= low[a] && at[a] <= high[a]))
        .map(|(_, (k, v))| (*k, *v))
        .unzip();
    Region { voxels, values }
}

/// First-order and the texture classes that are enabled, in the parameter file's order.
fn texture(
    image: &Volume,
    region: &Region,
    grid: &Grid,
    settings: &Settings,
    out: &mut Extraction,
) {
    for (class, _) in &settings.features.classes {
        let Some(names) = settings.features.of(*class) else {
            continue;
        };
        let all = match class {
            Class::Shape | Class::Shape2D => continue,
            Class::FirstOrder => firstorder::firstorder(
                &region.values,
                image.voxel_volume(),
                &settings.binning,
                settings.voxel_array_shift,
            ),
            Class::Glcm => glcm::glcm(grid, settings.symmetrical_glcm, settings.weighting_norm),
            Class::Gldm => zones::gldm(grid, settings.gldm_a),
            Class::Glrlm => zones::glrlm(grid, settings.weighting_norm),
            Class::Glszm => zones::glszm(grid),
            Class::Ngtdm => zones::ngtdm(grid),
        };
        out.features.extend(select(*class, &all, &names));
    }
}

/// The features `names` of a class's computed `all`, in the order named.
fn select(class: Class, all: &[(&str, f64)], names: &[&str]) -> Vec<(String, f64)> {
    names
        .iter()
        .filter_map(|name| {
            let (_, value) = all.iter().find(|(n, _)| n == name)?;
            Some((format!("original_{}_{name}", class.name()), *value))
        })
        .collect()
}

/// PyRadiomics' `checkMask` minimums: more than one voxel, spanning at least
/// `minimumROIDimensions` axes, more than `minimumROISize` voxels.
fn check_minimums(
    image: &Volume,
    region: &Region,
    settings: &Settings,
) -> Result<(), RadiomicsError> {
    let (low, high) = bounds(image, region);
    let axes = (0..3).filter(|a| high[*a] > low[*a]).count();
    let refuse = |message: String| {
        Err(RadiomicsError::RoiTooSmall {
            label: settings.label,
            message,
        })
    };
    if axes == 0 {
        return refuse("the region is 1 voxel; features need more (PyRadiomics: \"mask only contains 1 segmented voxel\")".into());
    }
    if axes < settings.minimum_roi_dimensions {
        return refuse(format!(
            "the region spans {axes} of the 3 axes, fewer than minimumROIDimensions = {} (its bounding box is {} × {} × {} voxels)",
            settings.minimum_roi_dimensions,
            high[0] + 1 - low[0],
            high[1] + 1 - low[1],
            high[2] + 1 - low[2]
        ));
    }
    if let Some(least) = settings.minimum_roi_size
        && region.voxels.len() as u64 <= least
    {
        return refuse(format!(
            "the region has {} voxels, not more than minimumROISize = {least}",
            region.voxels.len()
        ));
    }
    Ok(())
}

/// shape2D, when PyRadiomics v3.0.1 computes it: only with `force2D`, and only when the
/// region's bounding box is more than one voxel long along the axis whose (x, y, z) index is
/// `force2Ddimension` (v3.0.1 indexes the (x, y, z) box with a numpy axis: a known bug,
/// kept so that the same cases come out); else a warning, as PyRadiomics logs one.
fn shape_2d(
    image: &Volume,
    region: &Region,
    settings: &Settings,
    names: &[&str],
    out: &mut Extraction,
) -> Result<(), RadiomicsError> {
    let Some(dimension) = settings.shape_force_2d.map(|d| d.min(2)) else {
        out.warnings
            .push("shape2D is computed only with force2D: true (PyRadiomics skips it too)".into());
        return Ok(());
    };
    let (low, high) = bounds(image, region);
    if high[dimension] == low[dimension] {
        out.warnings.push(format!(
            "shape2D skipped: PyRadiomics v3.0.1 computes it only when the bounding box is longer than 1 voxel along its axis {dimension} (x, y, z order)"
        ));
        return Ok(());
    }
    let axis = 2 - dimension;
    if high[axis] > low[axis] {
        return Err(RadiomicsError::BadSetting {
            setting: "featureClass shape2D".into(),
            value: format!("force2Ddimension {dimension}"),
            why: format!(
                "the region is {} voxels thick along that axis and shape2D needs one slice (PyRadiomics v3.0.1 fails the case too); disable shape2D or use single-slice masks",
                high[axis] + 1 - low[axis]
            ),
        });
    }
    let all = super::shape2d::shape2d(&flat_mask(image, region, axis));
    out.features.extend(select(Class::Shape2D, &all, names));
    Ok(())
}

/// The one-slice region as shape2D sees it: the box without `axis`, in numpy's order.
fn flat_mask(image: &Volume, region: &Region, axis: usize) -> super::shape2d::Mask2D {
    let (low, high) = bounds(image, region);
    // The two remaining axes, numpy order (slowest first): z before y before x.
    let kept: Vec<usize> = (0..3).rev().filter(|a| *a != axis).collect();
    let (rows, cols) = (kept[0], kept[1]);
    let size = [high[rows] + 1 - low[rows], high[cols] + 1 - low[cols]];
    let mut inside = vec![false; size[0] * size[1]];
    for at in image.positions(&region.voxels) {
        inside[(at[rows] - low[rows]) * size[1] + (at[cols] - low[cols])] = true;
    }
    super::shape2d::Mask2D {
        size,
        inside,
        spacing: [image.spacing[rows], image.spacing[cols]],
    }
}

/// The bounding box of a region's voxels (at least one): its lowest and highest (x, y, z).
fn bounds(image: &Volume, region: &Region) -> ([usize; 3], [usize; 3]) {
    image.bounds(&region.voxels).unwrap_or(([0; 3], [0; 3]))
}

/// The region as the shape class sees it: its bounding box padded by one voxel on every
/// side, in numpy's (z, y, x) order.
fn shape_mask(image: &Volume, region: &Region) -> shape::Mask {
    let (low, high) = bounds(image, region);
    let size: [usize; 3] = std::array::from_fn(|a| high[a] + 3 - low[a]);
    let mut inside = vec![false; size.iter().product()];
    for [x, y, z] in image.positions(&region.voxels) {
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
    let (low, high) = bounds(image, region);
    let size: [usize; 3] = std::array::from_fn(|a| high[a] + 1 - low[a]);
    let mut levels = vec![0u32; size.iter().product()];
    for ([x, y, z], level) in image
        .positions(&region.voxels)
        .zip(discretise(&region.values, binning))
    {
        let (x, y, z) = (x - low[0], y - low[1], z - low[2]);
        levels[x + size[0] * (y + size[1] * z)] = level as u32;
    }
    Grid {
        size,
        levels,
        flat: None,
        spacing: image.spacing,
        distances: vec![1],
    }
}

/// The image normalised as `imageoperations.normalizeImage` does (SimpleITK's
/// `NormalizeImageFilter`: the mean and the sample standard deviation of every voxel).
pub fn normalize(image: &Volume, n: &Normalize) -> Volume {
    let count = image.voxels.len() as f64;
    let (sum, squares) = (0..image.voxels.len())
        .map(|k| image.voxels.get(k))
        .fold((0.0, 0.0), |(s, q), v| (s + v, q + v * v));
    let mean = sum / count;
    let sigma = ((squares - sum * sum / count) / (count - 1.0)).sqrt();
    let voxels = image.voxels.map(|v| {
        let z = (v - mean) / sigma;
        let z = match n.remove_outliers {
            Some(limit) => z.clamp(-limit, limit),
            None => z,
        };
        z * n.scale
    });
    Volume {
        size: image.size,
        origin: image.origin,
        spacing: image.spacing,
        direction: image.direction,
        voxels,
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
