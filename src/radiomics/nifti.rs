//! NIfTI-1 volumes (`.nii`, `.nii.gz`), read as SimpleITK (ITK's `NiftiImageIO`) reads them for
//! PyRadiomics: voxels scaled by `scl_slope`/`scl_inter`, geometry from the qform (else the
//! sform, else the voxel sizes alone), turned from NIfTI's RAS into ITK's LPS (x and y
//! negated).
//!
//! Written here rather than taken from the `nifti` crate, which brings `ndarray`, `num-traits`
//! and a second set of compression features; the single-file NIfTI-1 layout is a 348-byte
//! header and the voxels, on the `flate2` rgdb already has.

use std::path::Path;

use super::RadiomicsError;
use super::nrrd::MAX_VOXELS;
use super::numbers::{Number, Stream, inflate_voxels, read_file};
use super::volume::Volume;
use super::voxels::Voxels;

/// Reads a `.nii` or `.nii.gz` file (gzip is recognised by its magic bytes).
pub fn read(path: &Path) -> Result<Volume, RadiomicsError> {
    parse(&path.display().to_string(), &read_file(path)?)
}

/// Reads NIfTI-1 `bytes` (the whole file, gzip-compressed or not) named `file` in errors. The
/// voxels are decoded as the data is decompressed, into their own number type.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Volume, RadiomicsError> {
    let bad = |message: String| RadiomicsError::BadImage {
        file: file.to_string(),
        message,
    };
    let mut stream = Stream::new(bytes);
    let header = Header::read(&stream.bytes(348).map_err(bad)?).map_err(bad)?;
    let count = header.count().map_err(bad)?;
    let number = header.number().map_err(bad)?;
    let width = number.width();
    let offset = header.vox_offset.max(348.0) as usize;
    let needed = count * width;
    let truncated = |got: usize| {
        bad(format!(
            "the data is truncated: {:?} voxels of {width} bytes need {needed} bytes after the header, the file holds {got}",
            header.size(),
        ))
    };
    if let Some(raw) = inflate_voxels(bytes, offset, number, header.big, count) {
        return Ok(header.volume(raw));
    }
    if stream.skip(offset - 348).map_err(bad)? < offset - 348 {
        return Err(truncated(0));
    }
    let raw = stream
        .voxels(number, header.big, count)
        .map_err(|short| match short {
            Ok(got) => truncated(got),
            Err(why) => bad(why),
        })?;
    // Reading stops past the largest volume rgdb reads.
    stream.finish(MAX_VOXELS * 8 + 352).map_err(bad)?;
    Ok(header.volume(raw))
}

/// The fields of a NIfTI-1 header rgdb uses.
struct Header {
    big: bool,
    dim: [i16; 8],
    datatype: i16,
    pixdim: [f32; 8],
    vox_offset: f32,
    scl_slope: f32,
    scl_inter: f32,
    qform_code: i16,
    sform_code: i16,
    quatern: [f32; 3],
    qoffset: [f32; 3],
    srow: [[f32; 4]; 3],
}

impl Header {
    fn read(b: &[u8]) -> Result<Header, String> {
        if b.len() < 348 {
            return Err(format!(
                "not a NIfTI-1 file: {} bytes, shorter than its 348-byte header",
                b.len()
            ));
        }
        let size = |big: bool| {
            let raw = [b[0], b[1], b[2], b[3]];
            if big {
                i32::from_be_bytes(raw)
            } else {
                i32::from_le_bytes(raw)
            }
        };
        let big = match (size(false), size(true)) {
            (348, _) => false,
            (_, 348) => true,
            (540, _) | (_, 540) => {
                return Err("a NIfTI-2 file; rgdb reads NIfTI-1 (save it as NIfTI-1)".into());
            }
            _ => return Err("not a NIfTI-1 file (its header size is not 348)".into()),
        };
        let i16_at = |at: usize| {
            let raw = [b[at], b[at + 1]];
            if big {
                i16::from_be_bytes(raw)
            } else {
                i16::from_le_bytes(raw)
            }
        };
        let f32_at = |at: usize| {
            let raw = [b[at], b[at + 1], b[at + 2], b[at + 3]];
            if big {
                f32::from_be_bytes(raw)
            } else {
                f32::from_le_bytes(raw)
            }
        };
        Ok(Header {
            big,
            dim: std::array::from_fn(|k| i16_at(40 + 2 * k)),
            datatype: i16_at(70),
            pixdim: std::array::from_fn(|k| f32_at(76 + 4 * k)),
            vox_offset: f32_at(108),
            scl_slope: f32_at(112),
            scl_inter: f32_at(116),
            qform_code: i16_at(252),
            sform_code: i16_at(254),
            quatern: std::array::from_fn(|k| f32_at(256 + 4 * k)),
            qoffset: std::array::from_fn(|k| f32_at(268 + 4 * k)),
            srow: std::array::from_fn(|r| std::array::from_fn(|c| f32_at(280 + 16 * r + 4 * c))),
        })
    }

    /// The three spatial sizes (a fourth dimension, if any, must be 1).
    fn size(&self) -> [usize; 3] {
        std::array::from_fn(|k| {
            if (k as i16) < self.dim[0] {
                self.dim[k + 1].max(0) as usize
            } else {
                1
            }
        })
    }

    /// The voxel count, refused for anything but one 3-D (or 2-D) volume.
    fn count(&self) -> Result<usize, String> {
        let dims = self.dim[0];
        if !(1..=7).contains(&dims) {
            return Err(format!("the header gives {dims} dimensions"));
        }
        if (4..=dims as usize).any(|k| self.dim[k] > 1) {
            return Err(format!(
                "rgdb reads 3-D volumes; this one has {dims} dimensions ({:?})",
                &self.dim[1..=dims as usize]
            ));
        }
        let size = self.size();
        size.iter()
            .try_fold(1usize, |n, s| n.checked_mul(*s))
            .filter(|n| *n <= MAX_VOXELS)
            .ok_or_else(|| format!("sizes {size:?} exceed {MAX_VOXELS} voxels"))
    }

    /// The datatype's number type.
    fn number(&self) -> Result<Number, String> {
        Ok(match self.datatype {
            2 => Number::U8,
            256 => Number::I8,
            4 => Number::I16,
            512 => Number::U16,
            8 => Number::I32,
            768 => Number::U32,
            16 => Number::F32,
            1024 => Number::I64,
            1280 => Number::U64,
            64 => Number::F64,
            other => {
                return Err(format!(
                    "the NIfTI datatype {other} is not a single number per voxel (rgdb reads integers and floats)"
                ));
            }
        })
    }

    /// The volume of the voxels as read (`raw`), scaled, on the header's geometry.
    fn volume(&self, raw: Voxels) -> Volume {
        let (origin, spacing, direction) = self.geometry();
        Volume {
            size: self.size(),
            origin,
            spacing,
            direction,
            voxels: self.scaled(raw),
        }
    }

    /// The voxels scaled by `scl_slope` and `scl_inter` (as `f64`) when the slope is set, as
    /// read otherwise.
    fn scaled(&self, raw: Voxels) -> Voxels {
        let (slope, inter) = (self.scl_slope as f64, self.scl_inter as f64);
        if slope == 0.0 || !slope.is_finite() || (slope == 1.0 && inter == 0.0) {
            return raw;
        }
        raw.map(|v| v * slope + inter)
    }

    /// Origin, spacing and direction in LPS.
    fn geometry(&self) -> ([f64; 3], [f64; 3], [[f64; 3]; 3]) {
        let pixdim = |k: usize| {
            let d = self.pixdim[k + 1].abs() as f64;
            if d > 0.0 { d } else { 1.0 }
        };
        let (origin, spacing, mut direction) = if self.qform_code > 0 {
            self.qform(pixdim)
        } else if self.sform_code > 0 {
            self.sform()
        } else {
            (
                [0.0; 3],
                std::array::from_fn(pixdim),
                [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            )
        };
        let lps = [-origin[0], -origin[1], origin[2]];
        for axis in &mut direction {
            axis[0] = -axis[0];
            axis[1] = -axis[1];
        }
        (lps, spacing, direction)
    }

    /// The qform: the rotation of the quaternion (`nifti1_io`'s `quatern_to_mat44`), the
    /// third axis flipped by `qfac`, spacing from `pixdim`.
    fn qform(&self, pixdim: impl Fn(usize) -> f64) -> ([f64; 3], [f64; 3], [[f64; 3]; 3]) {
        let [b, c, d] = self.quatern.map(|v| v as f64);
        let a2 = 1.0 - (b * b + c * c + d * d);
        let (a, b, c, d) = if a2 < 1e-7 {
            let norm = (b * b + c * c + d * d).sqrt();
            (0.0, b / norm, c / norm, d / norm)
        } else {
            (a2.sqrt(), b, c, d)
        };
        let rows = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - c * c - b * b,
            ],
        ];
        let qfac = if self.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let direction: [[f64; 3]; 3] = std::array::from_fn(|axis| {
            let sign = if axis == 2 { qfac } else { 1.0 };
            std::array::from_fn(|r| rows[r][axis] * sign)
        });
        (
            self.qoffset.map(|v| v as f64),
            std::array::from_fn(pixdim),
            direction,
        )
    }

    /// The sform: each axis is a column of the affine; its length is the spacing.
    fn sform(&self) -> ([f64; 3], [f64; 3], [[f64; 3]; 3]) {
        let column =
            |axis: usize| -> [f64; 3] { std::array::from_fn(|r| self.srow[r][axis] as f64) };
        let spacing: [f64; 3] = std::array::from_fn(|axis| {
            let v = column(axis);
            (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
        });
        let direction = std::array::from_fn(|axis| {
            let v = column(axis);
            let s = if spacing[axis] > 0.0 {
                spacing[axis]
            } else {
                1.0
            };
            [v[0] / s, v[1] / s, v[2] / s]
        });
        let origin = std::array::from_fn(|r| self.srow[r][3] as f64);
        (origin, spacing, direction)
    }
}
