//! DICOM Segmentation objects: one [`Segment`] per item of the SegmentSequence, with its voxel
//! count, bounding box and volume read from the frames.
//!
//! - BINARY SEGs hold 1 bit per voxel, packed least-significant bit first and continuing
//!   across frame boundaries (frame `f`, pixel `p` is bit `f × rows × cols + p`).
//! - FRACTIONAL SEGs hold 8 bits per voxel; a voxel belongs to the segment when its value is
//!   at least half of MaximumFractionalValue ([`FRACTIONAL_THRESHOLD`]).
//! - Frames go to segments through each frame's ReferencedSegmentNumber (else the shared
//!   functional group's, else segment 1); overlapping segments are counted independently. Without NumberOfFrames, the frame count is the number of
//!   whole frames the pixel data holds.
//! - The voxel volume is PixelSpacing row × column × SliceThickness (SpacingBetweenSlices
//!   when SliceThickness is absent) from the shared, else the first per-frame, PixelMeasures.
//! - Compressed (encapsulated) pixel data is refused as unsupported.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, OpenFileOptions};

use super::header::{bad, float, floats, int, items, text};
use crate::ingest::IngestError;

/// A FRACTIONAL voxel is in the segment when value ≥ this × MaximumFractionalValue.
pub const FRACTIONAL_THRESHOLD: f64 = 0.5;

/// One segment of a SEG object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Segment {
    pub sop_instance_uid: String,
    pub segmentation_type: String,
    pub number: i64,
    pub label: Option<String>,
    pub algorithm_type: Option<String>,
    pub algorithm_name: Option<String>,
    pub category_code: Option<String>,
    pub category: Option<String>,
    pub type_code: Option<String>,
    pub type_meaning: Option<String>,
    pub referenced_series_uid: Option<String>,
    /// Frames of this segment.
    pub frames: i64,
    pub voxels: i64,
    pub voxel_volume_mm3: Option<f64>,
    pub volume_mm3: Option<f64>,
    /// Bounding box in voxels: row, column and frame (index among the SEG's frames), each
    /// `(min, max)`; `None` for an empty segment.
    pub bbox: Option<[(i64, i64); 3]>,
}

/// Reads every segment of the SEG at `path`.
pub fn segments(path: &Path) -> Result<Vec<Segment>, IngestError> {
    let obj = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| bad(path, &e))?;
    let file = path.display().to_string();
    let kind = text(&obj, tags::SEGMENTATION_TYPE).unwrap_or_else(|| "BINARY".into());
    let frames = Frames::read(&obj, &file, &kind)?;
    let per_frame = items(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let common = Segment {
        sop_instance_uid: text(&obj, tags::SOP_INSTANCE_UID).unwrap_or_default(),
        segmentation_type: kind.to_uppercase(),
        referenced_series_uid: items(&obj, tags::REFERENCED_SERIES_SEQUENCE)
            .first()
            .and_then(|s| text(s, tags::SERIES_INSTANCE_UID)),
        voxel_volume_mm3: voxel_volume(&obj, per_frame).0,
        ..Segment::default()
    };
    let frame_segments = FrameSegments::of(&obj);
    let mut out = Vec::new();
    for item in items(&obj, tags::SEGMENT_SEQUENCE) {
        let mut segment = described(item, &common);
        frames.measure(&mut segment, &frame_segments);
        segment.volume_mm3 = segment.voxel_volume_mm3.map(|v| v * segment.voxels as f64);
        out.push(segment);
    }
    Ok(out)
}

/// One frame of a SEG for a volume: the segment it shows, the CT slice it was derived from
/// (its SOP instance UID, else its position), and the voxels set in it (row-major indices).
pub struct FrameVoxels {
    pub segment: i64,
    pub source_instance: Option<String>,
    pub position: Option<Vec<f64>>,
    pub voxels: Vec<usize>,
}

/// The frames of the SEG at `path`, for placing them on a CT grid (`volume.rs`).
pub fn frames(path: &Path) -> Result<(usize, usize, Vec<FrameVoxels>), IngestError> {
    let obj = OpenFileOptions::new()
        .open_file(path)
        .map_err(|e| bad(path, &e))?;
    let file = path.display().to_string();
    let kind = text(&obj, tags::SEGMENTATION_TYPE).unwrap_or_else(|| "BINARY".into());
    let frames = Frames::read(&obj, &file, &kind)?;
    let segments = FrameSegments::of(&obj);
    let per_frame = items(&obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
    let rows = int(&obj, tags::ROWS).unwrap_or(0).max(0) as usize;
    let out = (0..frames.count)
        .map(|f| {
            let group = per_frame.get(f);
            let source_instance = group
                .and_then(|g| items(g, tags::DERIVATION_IMAGE_SEQUENCE).first())
                .and_then(|d| items(d, tags::SOURCE_IMAGE_SEQUENCE).first())
                .and_then(|s| text(s, tags::REFERENCED_SOP_INSTANCE_UID));
            let position = group
                .and_then(|g| items(g, tags::PLANE_POSITION_SEQUENCE).first())
                .and_then(|p| floats(p, tags::IMAGE_POSITION_PATIENT));
            let mut voxels = Vec::new();
            frames.each_voxel(f, |p| voxels.push(p));
            FrameVoxels {
                segment: segments.get(f),
                source_instance,
                position,
                voxels,
            }
        })
        .collect();
    Ok((rows, frames.cols, out))
}

/// The error for a SEG that cannot be read.
fn bad_seg(file: &str, message: String) -> IngestError {
    IngestError::BadDicom {
        file: file.to_string(),
        message,
    }
}

/// A segment of the SegmentSequence `item`: its number, label, algorithm and codes, with the
/// fields every segment of the object shares from `common`.
fn described(item: &InMemDicomObject, common: &Segment) -> Segment {
    let code = |seq, field| items(item, seq).first().and_then(|c| text(c, field));
    Segment {
        number: int(item, tags::SEGMENT_NUMBER).unwrap_or(1),
        label: text(item, tags::SEGMENT_LABEL),
        algorithm_type: text(item, tags::SEGMENT_ALGORITHM_TYPE),
        algorithm_name: text(item, tags::SEGMENT_ALGORITHM_NAME),
        category_code: code(
            tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
            tags::CODE_VALUE,
        ),
        category: code(
            tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
            tags::CODE_MEANING,
        ),
        type_code: code(
            tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE,
            tags::CODE_VALUE,
        ),
        type_meaning: code(
            tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE,
            tags::CODE_MEANING,
        ),
        ..common.clone()
    }
}

/// Which segment each frame shows: its own functional group's, else the shared one's (ePAD
/// writes it there), else segment 1. Only the frames with a functional group of their own are
/// listed (NumberOfFrames is the file's word, not a size to allocate).
struct FrameSegments {
    listed: Vec<i64>,
    /// The segment of every frame past the listed ones.
    rest: i64,
}

impl FrameSegments {
    fn of(obj: &InMemDicomObject) -> FrameSegments {
        let segment_of = |group: Option<&InMemDicomObject>| {
            group
                .and_then(|g| items(g, tags::SEGMENT_IDENTIFICATION_SEQUENCE).first())
                .and_then(|s| int(s, tags::REFERENCED_SEGMENT_NUMBER))
        };
        let shared = segment_of(items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE).first());
        let per_frame = items(obj, tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE);
        FrameSegments {
            listed: per_frame
                .iter()
                .map(|g| segment_of(Some(g)).or(shared).unwrap_or(1))
                .collect(),
            rest: shared.unwrap_or(1),
        }
    }

    /// The segment frame `f` shows.
    fn get(&self, f: usize) -> i64 {
        self.listed.get(f).copied().unwrap_or(self.rest)
    }
}

/// A SEG's frames: the pixel data and how to read a voxel of it.
struct Frames<'a> {
    data: std::borrow::Cow<'a, [u8]>,
    cols: usize,
    /// How many frames there are.
    count: usize,
    /// Voxels per frame (rows × columns).
    frame_size: usize,
    fractional: bool,
    /// The least FRACTIONAL value that is in the segment.
    threshold: u8,
}

impl<'a> Frames<'a> {
    /// The frames of `obj`, a SEG of type `kind`; refused without Rows, Columns or
    /// uncompressed PixelData, or when the pixel data is shorter than the frames need.
    fn read(obj: &'a InMemDicomObject, file: &str, kind: &str) -> Result<Frames<'a>, IngestError> {
        let fail = |message: String| bad_seg(file, message);
        let rows = int(obj, tags::ROWS).ok_or_else(|| fail("no Rows".into()))?;
        let cols = int(obj, tags::COLUMNS).ok_or_else(|| fail("no Columns".into()))?;
        let pixels = obj
            .get(tags::PIXEL_DATA)
            .ok_or_else(|| fail("no PixelData".into()))?;
        let data = pixels.value().to_bytes().map_err(|_| {
            fail("compressed (encapsulated) SEG pixel data is not supported; decompress it first (e.g. dcmconv +te)".into())
        })?;
        let frame_size = (rows * cols) as usize;
        let fractional = kind.eq_ignore_ascii_case("FRACTIONAL");
        let bits_per_voxel = if fractional { 8 } else { 1 };
        // Without NumberOfFrames, as many whole frames as the pixel data holds (the per-frame
        // functional groups of such files may describe frames that are not there).
        let count = int(obj, tags::NUMBER_OF_FRAMES)
            .unwrap_or_else(|| (data.len() * 8 / (frame_size * bits_per_voxel).max(1)) as i64)
            as usize;
        let needed_bits = count * frame_size * bits_per_voxel;
        if data.len() * 8 < needed_bits {
            return Err(fail(format!(
                "the pixel data holds {} bytes, fewer than rows × columns × frames needs ({rows} × {cols} × {count} at {bits_per_voxel} bit{} = {} bytes)",
                data.len(),
                if bits_per_voxel == 1 { "" } else { "s" },
                needed_bits.div_ceil(8)
            )));
        }
        let max_fraction = float(obj, tags::MAXIMUM_FRACTIONAL_VALUE).unwrap_or(255.0);
        Ok(Frames {
            data,
            cols: cols as usize,
            count,
            frame_size,
            fractional,
            threshold: (FRACTIONAL_THRESHOLD * max_fraction).ceil() as u8,
        })
    }

    /// Counts the frames that show `segment` (by `frame_segments`, the segment number of each
    /// of the frames), its voxels in them and their bounding box.
    fn measure(&self, segment: &mut Segment, frame_segments: &FrameSegments) {
        let mut bbox: Option<[(i64, i64); 3]> = None;
        for f in 0..self.count {
            if frame_segments.get(f) != segment.number {
                continue;
            }
            segment.frames += 1;
            self.each_voxel(f, |p| {
                segment.voxels += 1;
                let (r, c, f) = ((p / self.cols) as i64, (p % self.cols) as i64, f as i64);
                let b = bbox.get_or_insert([(r, r), (c, c), (f, f)]);
                for (axis, v) in b.iter_mut().zip([r, c, f]) {
                    axis.0 = axis.0.min(v);
                    axis.1 = axis.1.max(v);
                }
            });
        }
        segment.bbox = bbox;
    }

    /// Calls `mark` with the index within frame `f` of each of its voxels that is set.
    fn each_voxel(&self, f: usize, mut mark: impl FnMut(usize)) {
        let data = &self.data;
        if self.fractional {
            let frame = &data[f * self.frame_size..(f + 1) * self.frame_size];
            for (p, v) in frame.iter().enumerate() {
                if *v >= self.threshold.max(1) {
                    mark(p);
                }
            }
            return;
        }
        let start = f * self.frame_size;
        let mut bit = start;
        let end = start + self.frame_size;
        while bit < end {
            let byte = data[bit / 8];
            if bit.is_multiple_of(8) && byte == 0 && bit + 8 <= end {
                bit += 8;
                continue;
            }
            if byte >> (bit % 8) & 1 == 1 {
                mark(bit - start);
            }
            bit += 1;
        }
    }
}

/// PixelSpacing × slice thickness (else spacing between slices), from the shared functional
/// groups, else the first frame's; and whether the thickness was a spacing.
fn voxel_volume(obj: &InMemDicomObject, per_frame: &[InMemDicomObject]) -> (Option<f64>, bool) {
    let measures = items(obj, tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE)
        .first()
        .and_then(|g| items(g, tags::PIXEL_MEASURES_SEQUENCE).first())
        .or_else(|| {
            per_frame
                .first()
                .and_then(|g| items(g, tags::PIXEL_MEASURES_SEQUENCE).first())
        });
    let Some(m) = measures else {
        return (None, false);
    };
    let spacing = floats(m, tags::PIXEL_SPACING);
    let (thickness, by_spacing) = match float(m, tags::SLICE_THICKNESS) {
        Some(t) => (Some(t), false),
        None => (float(m, tags::SPACING_BETWEEN_SLICES), true),
    };
    match (spacing.as_deref(), thickness) {
        (Some([r, c, ..]), Some(t)) => (Some(r * c * t), by_spacing),
        _ => (None, by_spacing),
    }
}
