//! `correctMask`: a mask that is not on the image's grid, resampled onto it by nearest
//! neighbour, as PyRadiomics' `imageoperations._correctMask` does with SimpleITK's
//! `ResampleImageFilter` (after `_checkROI`: the label's bounding box must lie within the
//! image's physical extent, half a voxel beyond the edge centres, tolerance 1e-3).
//!
//! Written here rather than taken from a crate: it is twenty lines of index arithmetic on
//! rgdb's own [`Volume`], and no kept crate reads SimpleITK's geometry conventions.

use super::{RadiomicsError, Volume};

/// `mask` resampled onto `image`'s grid; refused when `label`'s region reaches outside the
/// image.
pub fn onto(image: &Volume, mask: &Volume, label: i64) -> Result<Volume, RadiomicsError> {
    check_roi(image, mask, label)?;
    let [nx, ny, nz] = image.size;
    let mut voxels = Vec::with_capacity(image.len());
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let point = image.to_point([x as f64, y as f64, z as f64]);
                let c = to_index(mask, point);
                // ITK's nearest index rounds half up (`Math::RoundHalfIntegerUp`).
                let nearest = c.map(|v| (v + 0.5).floor());
                let inside = (0..3).all(|a| nearest[a] >= 0.0 && nearest[a] < mask.size[a] as f64);
                voxels.push(if inside {
                    mask.at(
                        nearest[0] as usize,
                        nearest[1] as usize,
                        nearest[2] as usize,
                    )
                } else {
                    0.0
                });
            }
        }
    }
    Ok(Volume {
        size: image.size,
        origin: image.origin,
        spacing: image.spacing,
        direction: image.direction,
        voxels: voxels.into(),
    })
}

/// The continuous index of a physical point in `v` (its directions are orthonormal, so the
/// inverse of the direction matrix is its transpose).
fn to_index(v: &Volume, p: [f64; 3]) -> [f64; 3] {
    let d: [f64; 3] = std::array::from_fn(|r| p[r] - v.origin[r]);
    std::array::from_fn(|a| (0..3).map(|r| v.direction[a][r] * d[r]).sum::<f64>() / v.spacing[a])
}

/// `_checkROI`: the label's bounding box, corner to corner, within the image.
fn check_roi(image: &Volume, mask: &Volume, label: i64) -> Result<(), RadiomicsError> {
    let Some((low, high)) = mask.bounds(&mask.voxels.positions(label as f64)) else {
        return Err(RadiomicsError::LabelAbsent {
            label,
            present: "no such label".into(),
        });
    };
    let corner =
        |c: [usize; 3], shift: f64| to_index(image, mask.to_point(c.map(|v| v as f64 + shift)));
    let (a, b) = (corner(low, -0.5), corner(high, 0.5));
    let tolerance = 1e-3;
    let outside = (0..3).any(|k| {
        a[k].min(b[k]) < -0.5 - tolerance || a[k].max(b[k]) > image.size[k] as f64 - 0.5 + tolerance
    });
    if outside {
        return Err(RadiomicsError::Geometry {
            image: format!(
                "{:?} voxels at origin {:?}, spacing {:?}",
                image.size, image.origin, image.spacing
            ),
            mask: format!(
                "label {label}'s bounding box reaches outside the image (image index {:?} to {:?}), so correctMask cannot resample it",
                a.map(|v| (v * 100.0).round() / 100.0),
                b.map(|v| (v * 100.0).round() / 100.0)
            ),
            tolerance,
        });
    }
    Ok(())
}
