//! DICOM images as volumes for radiomics: a CT series (single-frame slices of one series),
//! and a SEG's segment as a label map on that series' grid, as SimpleITK and pydicom give them
//! to PyRadiomics.
//!
//! - Slices are ordered along the slice normal (the cross product of ImageOrientationPatient's
//!   row and column directions) by ImagePositionPatient; voxels are `stored × RescaleSlope +
//!   RescaleIntercept`. Spacing is PixelSpacing's column and row spacing and the distance
//!   between slices (SliceThickness for a single slice). Slices that are not evenly spaced are
//!   refused, naming the two files and the gap, rather than resampled.
//! - A SEG frame goes onto the slice whose SOPInstanceUID its DerivationImageSequence names,
//!   else onto the slice at its ImagePositionPatient; the segment's voxels get `label`.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;

use super::header::{bad, float, floats, int, text};
use super::seg::{FrameVoxels, frames};
use crate::ingest::IngestError;
use crate::radiomics::{Volume, Voxels};

/// How far (mm) slice gaps may differ and still count as even.
const EVEN: f64 = 1e-3;

/// A CT series read as a volume, with each slice's SOP instance UID and position.
pub struct Series {
    pub volume: Volume,
    pub instances: Vec<String>,
    pub positions: Vec<[f64; 3]>,
}

/// One slice of a series.
struct Slice {
    path: PathBuf,
    instance: String,
    position: [f64; 3],
    along: f64,
    voxels: Vec<f64>,
}

fn bad_image(path: &Path, message: String) -> IngestError {
    IngestError::BadDicom {
        file: path.display().to_string(),
        message,
    }
}

/// Reads the single-frame slices `paths` (of one series) as a volume.
pub fn read_series(paths: &[PathBuf]) -> Result<Series, IngestError> {
    let (slices, grid) = read_slices(paths)?;
    assemble(slices, grid)
}

/// Reads a series for a segmentation whose frames lie on the slices `referenced` (SOP
/// instance UIDs). When the whole series is not evenly spaced, the run of slices from the
/// first referenced to the last (every slice between them included) is read alone if it is,
/// and a note says so; rgdb never resamples.
pub fn read_series_for(
    paths: &[PathBuf],
    referenced: &[String],
) -> Result<(Series, Option<String>), IngestError> {
    let (slices, grid) = read_slices(paths)?;
    let Err(whole) = even_spacing(&slices) else {
        return Ok((assemble(slices, grid)?, None));
    };
    let at: Vec<usize> = (0..slices.len())
        .filter(|k| referenced.contains(&slices[*k].instance))
        .collect();
    let (Some(first), Some(last)) = (at.first().copied(), at.last().copied()) else {
        return Err(whole);
    };
    if last + 1 - first == slices.len() {
        return Err(whole);
    }
    let total = slices.len();
    let run: Vec<Slice> = slices
        .into_iter()
        .skip(first)
        .take(last + 1 - first)
        .collect();
    let note = format!(
        "the series is not evenly spaced ({whole}); its {} slices from {} to {} (of {total}), where the segmentation lies, are evenly spaced and were read alone",
        run.len(),
        run[0].path.display(),
        run[run.len() - 1].path.display()
    );
    Ok((assemble(run, grid)?, Some(note)))
}

/// The slices of `paths`, read and sorted along the slice normal, and the grid they share.
fn read_slices(paths: &[PathBuf]) -> Result<(Vec<Slice>, Option<Geometry>), IngestError> {
    let mut slices = Vec::new();
    let mut grid = None;
    for path in paths {
        let (slice, geometry) = read_slice(path)?;
        match &grid {
            None => grid = Some(geometry),
            Some(g) if *g != geometry => {
                return Err(bad_image(
                    path,
                    format!(
                        "its size, spacing or orientation differs from the series' first slice ({geometry:?} against {g:?})"
                    ),
                ));
            }
            Some(_) => {}
        }
        slices.push(slice);
    }
    slices.sort_by(|a, b| a.along.total_cmp(&b.along));
    Ok((slices, grid))
}

/// The sorted slices of one grid as a volume, when they are evenly spaced.
fn assemble(slices: Vec<Slice>, grid: Option<Geometry>) -> Result<Series, IngestError> {
    let Some(Geometry {
        rows,
        cols,
        spacing,
        orientation,
        thickness,
    }) = grid
    else {
        return Err(IngestError::NoDicom {
            path: String::new(),
            files: 0,
        });
    };
    let z_spacing = even_spacing(&slices)?.unwrap_or(thickness);
    let normal = cross(orientation[0], orientation[1]);
    let volume = Volume {
        size: [cols, rows, slices.len()],
        origin: slices[0].position,
        spacing: [spacing[1], spacing[0], z_spacing],
        direction: [orientation[0], orientation[1], normal],
        voxels: slices
            .iter()
            .flat_map(|s| s.voxels.iter().copied())
            .collect::<Vec<f64>>()
            .into(),
    };
    Ok(Series {
        volume,
        instances: slices.iter().map(|s| s.instance.clone()).collect(),
        positions: slices.iter().map(|s| s.position).collect(),
    })
}

/// The gap between slices, if there are two or more and it is even; an uneven gap is refused,
/// naming the slices of the widest and of the narrowest gap.
fn even_spacing(slices: &[Slice]) -> Result<Option<f64>, IngestError> {
    let gaps: Vec<f64> = slices.windows(2).map(|w| w[1].along - w[0].along).collect();
    let by_size = |a: &(usize, &f64), b: &(usize, &f64)| a.1.total_cmp(b.1);
    let (Some((wide, widest)), Some((narrow, narrowest))) = (
        gaps.iter().enumerate().max_by(by_size),
        gaps.iter().enumerate().min_by(by_size),
    ) else {
        return Ok(None);
    };
    if *narrowest <= 0.0 {
        return Err(bad_image(
            &slices[narrow + 1].path,
            format!(
                "it lies at the same position as {} ({narrowest:.4} mm along the slice normal)",
                slices[narrow].path.display()
            ),
        ));
    }
    if widest - narrowest > EVEN {
        let name = |k: usize| slices[k].path.display().to_string();
        return Err(bad_image(
            &slices[wide + 1].path,
            format!(
                "the slices are not evenly spaced: {widest:.4} mm between {} and {}, {narrowest:.4} mm between {} and {}; read the evenly spaced slices alone (rgdb does not resample)",
                name(wide),
                name(wide + 1),
                name(narrow),
                name(narrow + 1)
            ),
        ));
    }
    Ok(Some(gaps[0]))
}

/// What every slice of a series must share.
#[derive(Debug, PartialEq)]
struct Geometry {
    rows: usize,
    cols: usize,
    /// PixelSpacing: (row spacing, column spacing).
    spacing: [f64; 2],
    /// ImageOrientationPatient: the row and column directions.
    orientation: [[f64; 3]; 2],
    thickness: f64,
}

/// One CT slice: its voxels (rescaled) and geometry.
fn read_slice(path: &Path) -> Result<(Slice, Geometry), IngestError> {
    let obj = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| bad(path, &e))?;
    let missing = |what: &str| {
        bad_image(
            path,
            format!("no {what}: not an image slice rgdb can place"),
        )
    };
    let rows = int(&obj, tags::ROWS).ok_or_else(|| missing("Rows"))?.max(0) as usize;
    let cols = int(&obj, tags::COLUMNS)
        .ok_or_else(|| missing("Columns"))?
        .max(0) as usize;
    let position = floats(&obj, tags::IMAGE_POSITION_PATIENT)
        .filter(|v| v.len() == 3)
        .ok_or_else(|| missing("ImagePositionPatient"))?;
    let orientation = floats(&obj, tags::IMAGE_ORIENTATION_PATIENT)
        .filter(|v| v.len() == 6)
        .ok_or_else(|| missing("ImageOrientationPatient"))?;
    let spacing = floats(&obj, tags::PIXEL_SPACING)
        .filter(|v| v.len() == 2)
        .ok_or_else(|| missing("PixelSpacing"))?;
    let orientation = [
        [orientation[0], orientation[1], orientation[2]],
        [orientation[3], orientation[4], orientation[5]],
    ];
    let position = [position[0], position[1], position[2]];
    let normal = cross(orientation[0], orientation[1]);
    let voxels = pixels(path, &obj, obj.meta().transfer_syntax(), rows * cols)?;
    let geometry = Geometry {
        rows,
        cols,
        spacing: [spacing[0], spacing[1]],
        orientation,
        thickness: float(&obj, tags::SLICE_THICKNESS).unwrap_or(1.0),
    };
    let slice = Slice {
        path: path.to_path_buf(),
        instance: text(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        along: (0..3).map(|k| position[k] * normal[k]).sum(),
        position,
        voxels,
    };
    Ok((slice, geometry))
}

/// The slice's `count` voxels: uncompressed 8- or 16-bit (signed or not) stored values times
/// RescaleSlope plus RescaleIntercept. Compressed pixel data is refused, naming its transfer
/// syntax (rgdb decodes none: the decoders would bring C and C++ builds).
fn pixels(
    path: &Path,
    obj: &dicom_object::InMemDicomObject,
    transfer_syntax: &str,
    count: usize,
) -> Result<Vec<f64>, IngestError> {
    let data = obj
        .get(tags::PIXEL_DATA)
        .ok_or_else(|| bad_image(path, "no PixelData".into()))?
        .value()
        .to_bytes()
        .map_err(|_| bad_image(path, compressed(transfer_syntax)))?;
    let bits = int(obj, tags::BITS_ALLOCATED).unwrap_or(16);
    let signed = int(obj, tags::PIXEL_REPRESENTATION) == Some(1);
    let width = (bits / 8).max(1) as usize;
    if data.len() < count * width || !matches!(bits, 8 | 16) {
        return Err(bad_image(
            path,
            format!(
                "the pixel data holds {} bytes; {count} voxels of {bits} bits need {}",
                data.len(),
                count * width
            ),
        ));
    }
    let slope = float(obj, tags::RESCALE_SLOPE).unwrap_or(1.0);
    let intercept = float(obj, tags::RESCALE_INTERCEPT).unwrap_or(0.0);
    let stored = |k: usize| -> f64 {
        match (bits, signed) {
            (8, false) => data[k] as f64,
            (8, true) => data[k] as i8 as f64,
            (_, false) => u16::from_le_bytes([data[2 * k], data[2 * k + 1]]) as f64,
            (_, true) => i16::from_le_bytes([data[2 * k], data[2 * k + 1]]) as f64,
        }
    };
    Ok((0..count).map(|k| stored(k) * slope + intercept).collect())
}

/// Why compressed pixel data is refused: its transfer syntax, by UID and name.
pub fn compressed(transfer_syntax: &str) -> String {
    use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};
    let uid = transfer_syntax.trim_end_matches(['\0', ' ']);
    let name = TransferSyntaxRegistry
        .get(uid)
        .map_or("a transfer syntax rgdb does not know", |ts| ts.name());
    format!(
        "the pixel data is compressed ({name}, transfer syntax {uid}); rgdb reads uncompressed DICOM (decompress it, e.g. `dcmdjpeg` or `gdcmconv --raw`)"
    )
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Segment `segment` of the SEG at `path` as a label map (`label` inside, 0 outside) on the
/// grid of `series`. A frame whose slice is not in the series is refused.
pub fn read_segment(
    path: &Path,
    segment: i64,
    series: &Series,
    label: f64,
) -> Result<Volume, IngestError> {
    segment_mask(path, &frames(path)?, segment, series, label)
}

/// [`read_segment`] from the SEG's frames already read (`seg::frames` of `path`), so that the
/// segments of one SEG share one reading.
pub fn segment_mask(
    path: &Path,
    (rows, cols, frames): &(usize, usize, Vec<FrameVoxels>),
    segment: i64,
    series: &Series,
    label: f64,
) -> Result<Volume, IngestError> {
    let (rows, cols) = (*rows, *cols);
    let v = &series.volume;
    if rows != v.size[1] || cols != v.size[0] {
        return Err(bad_image(
            path,
            format!(
                "its frames are {rows} × {cols}, the CT slices {} × {}",
                v.size[1], v.size[0]
            ),
        ));
    }
    // A label map of bytes (an eighth of the CT's memory) when the label is one.
    let byte = (label.fract() == 0.0 && (1.0..=255.0).contains(&label)).then_some(label as u8);
    let mut voxels = vec![0.0; if byte.is_some() { 0 } else { v.voxels.len() }];
    let mut bytes = vec![0u8; if byte.is_some() { v.voxels.len() } else { 0 }];
    let per_slice = rows * cols;
    for frame in frames.iter().filter(|f| f.segment == segment) {
        let by_instance = frame
            .source_instance
            .as_ref()
            .and_then(|uid| series.instances.iter().position(|i| i == uid));
        let by_position = || {
            let p = frame.position.as_ref()?;
            series
                .positions
                .iter()
                .position(|q| (0..3).all(|k| (q[k] - p[k]).abs() < 1e-3))
        };
        let z = by_instance.or_else(by_position).ok_or_else(|| {
            bad_image(
                path,
                format!(
                    "a frame of segment {segment} refers to slice {}, which is not in the CT series read",
                    frame.source_instance.as_deref().unwrap_or("(no reference)")
                ),
            )
        })?;
        for p in &frame.voxels {
            match byte {
                Some(b) => bytes[z * per_slice + p] = b,
                None => voxels[z * per_slice + p] = label,
            }
        }
    }
    Ok(Volume {
        size: v.size,
        origin: v.origin,
        spacing: v.spacing,
        direction: v.direction,
        voxels: match byte {
            Some(_) => Voxels::U8(bytes),
            None => Voxels::F64(voxels),
        },
    })
}
