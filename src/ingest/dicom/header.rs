//! One DICOM file's header, read with `dicom-object` up to (not including) the pixel data.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::{InMemDicomObject, OpenFileOptions, Tag};

use super::pixel::{self, PixelData};
use crate::ingest::IngestError;

/// The SOP class of a DICOM Segmentation.
pub const SEG_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.66.4";

/// The header fields rgdb keeps for one SOP instance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Instance {
    pub path: String,
    pub patient_id: Option<String>,
    pub sop_class_uid: Option<String>,
    pub sop_instance_uid: String,
    pub modality: Option<String>,
    pub study_uid: Option<String>,
    pub series_uid: Option<String>,
    pub instance_number: Option<i64>,
    pub study_date: Option<String>,
    pub series_description: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub slice_thickness: Option<f64>,
    pub spacing_between_slices: Option<f64>,
    pub pixel_spacing_row: Option<f64>,
    pub pixel_spacing_col: Option<f64>,
    pub rows: Option<i64>,
    pub columns: Option<i64>,
    pub kvp: Option<f64>,
    pub tube_current: Option<f64>,
    pub convolution_kernel: Option<String>,
    pub radiopharmaceutical: Option<String>,
    /// RadionuclideTotalDose in MBq (the file holds Bq).
    pub injected_dose_mbq: Option<f64>,
    /// RadiopharmaceuticalStartTime, `HHMMSS(.frac)`.
    pub injection_time: Option<String>,
    /// AcquisitionTime, else SeriesTime.
    pub acquisition_time: Option<String>,
}

/// What reading a file gave.
pub enum Read {
    Instance(Box<Instance>),
    /// No `DICM` marker at byte 128: not a DICOM file, skipped and counted.
    NotDicom,
}

/// Whether the file starts like a DICOM Part 10 file (preamble, then `DICM`).
pub fn is_dicom(path: &Path) -> Result<bool, IngestError> {
    use std::io::Read as _;
    let mut head = [0u8; 132];
    let mut file = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(e) => return Err(io(path, e)),
        }
    }
    Ok(&head[128..132] == b"DICM")
}

fn io(path: &Path, e: std::io::Error) -> IngestError {
    IngestError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads the header of one file, stopping before the pixel data.
pub fn read(path: &Path) -> Result<Read, IngestError> {
    if !is_dicom(path)? {
        return Ok(Read::NotDicom);
    }
    let obj = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .map_err(|e| bad(path, &e))?;
    let instance = instance(path, &obj)?;
    check_pixel_data(path, &obj, obj.meta().transfer_syntax())?;
    Ok(Read::Instance(Box::new(instance)))
}

/// A DICOM file that cannot be parsed (truncated, malformed).
pub fn bad(path: &Path, e: &dyn std::error::Error) -> IngestError {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message += &format!(": {s}");
        source = s.source();
    }
    IngestError::BadDicom {
        file: path.display().to_string(),
        message,
    }
}

/// Pixel data the file cannot hold. Native pixel data must fit in the file both as the image
/// its attributes describe and as the length its element declares; compressed pixel data is
/// checked item by item by the walk, since the image's size says nothing of it. A deflated
/// data set cannot be walked and is not checked.
fn check_pixel_data(
    path: &Path,
    obj: &InMemDicomObject,
    transfer_syntax: &str,
) -> Result<(), IngestError> {
    if transfer_syntax.trim_end_matches(['\0', ' ']) == pixel::DEFLATED {
        return Ok(());
    }
    let size = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
    match pixel::locate(path, transfer_syntax)? {
        Some(PixelData::Encapsulated { .. }) => Ok(()),
        Some(PixelData::Native { offset, length }) => {
            check_image_fits(path, obj, size)?;
            if offset + length > size {
                return Err(IngestError::BadDicom {
                    file: path.display().to_string(),
                    message: format!(
                        "its pixel data declares {length} bytes from byte {offset}, but the file ends at byte {size}: it is truncated"
                    ),
                });
            }
            Ok(())
        }
        None => check_image_fits(path, obj, size),
    }
}

/// An image (rows × columns × frames) larger than the whole file: the file was cut short.
fn check_image_fits(path: &Path, obj: &InMemDicomObject, size: u64) -> Result<(), IngestError> {
    let (Some(rows), Some(cols)) = (int(obj, tags::ROWS), int(obj, tags::COLUMNS)) else {
        return Ok(());
    };
    let bits = int(obj, tags::BITS_ALLOCATED).unwrap_or(8);
    let samples = int(obj, tags::SAMPLES_PER_PIXEL).unwrap_or(1);
    let frames = int(obj, tags::NUMBER_OF_FRAMES).unwrap_or(1).max(1);
    let expected_bits = rows * cols * samples * bits * frames;
    let expected = (expected_bits + 7) / 8;
    // The preamble and the `DICM` marker alone are 132 bytes.
    if size < 132 + expected as u64 {
        return Err(IngestError::BadDicom {
            file: path.display().to_string(),
            message: format!(
                "the file is {size} bytes, shorter than its pixel data ({rows} × {cols} × {frames} frames of {bits} bits = {expected} bytes): it is truncated"
            ),
        });
    }
    Ok(())
}

fn instance(path: &Path, obj: &InMemDicomObject) -> Result<Instance, IngestError> {
    let sop = text(obj, tags::SOP_INSTANCE_UID).ok_or_else(|| IngestError::BadDicom {
        file: path.display().to_string(),
        message: "no SOPInstanceUID".into(),
    })?;
    let spacing = floats(obj, tags::PIXEL_SPACING);
    let pharma = items(obj, tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE)
        .first()
        .cloned();
    Ok(Instance {
        path: path.display().to_string(),
        patient_id: text(obj, tags::PATIENT_ID),
        sop_class_uid: text(obj, tags::SOP_CLASS_UID),
        sop_instance_uid: sop,
        modality: text(obj, tags::MODALITY),
        study_uid: text(obj, tags::STUDY_INSTANCE_UID),
        series_uid: text(obj, tags::SERIES_INSTANCE_UID),
        instance_number: int(obj, tags::INSTANCE_NUMBER),
        study_date: text(obj, tags::STUDY_DATE),
        series_description: text(obj, tags::SERIES_DESCRIPTION),
        manufacturer: text(obj, tags::MANUFACTURER),
        model: text(obj, tags::MANUFACTURER_MODEL_NAME),
        slice_thickness: float(obj, tags::SLICE_THICKNESS),
        spacing_between_slices: float(obj, tags::SPACING_BETWEEN_SLICES),
        pixel_spacing_row: spacing.as_ref().and_then(|s| s.first().copied()),
        pixel_spacing_col: spacing.as_ref().and_then(|s| s.get(1).copied()),
        rows: int(obj, tags::ROWS),
        columns: int(obj, tags::COLUMNS),
        kvp: float(obj, tags::KVP),
        tube_current: float(obj, tags::X_RAY_TUBE_CURRENT),
        convolution_kernel: text(obj, tags::CONVOLUTION_KERNEL),
        radiopharmaceutical: pharma
            .as_ref()
            .and_then(|p| text(p, tags::RADIOPHARMACEUTICAL)),
        injected_dose_mbq: pharma
            .as_ref()
            .and_then(|p| float(p, tags::RADIONUCLIDE_TOTAL_DOSE))
            .map(|bq| bq / 1e6),
        injection_time: pharma
            .as_ref()
            .and_then(|p| text(p, tags::RADIOPHARMACEUTICAL_START_TIME)),
        acquisition_time: text(obj, tags::ACQUISITION_TIME)
            .or_else(|| text(obj, tags::SERIES_TIME)),
    })
}

/// Minutes from injection to acquisition (`HHMMSS.frac` times of one day; an acquisition
/// before the injection time is taken as the next day).
pub fn uptake_minutes(injection: &str, acquisition: &str) -> Option<f64> {
    let seconds = |t: &str| -> Option<f64> {
        let t = t.trim();
        let (hh, rest) = (t.get(0..2)?, t.get(2..)?);
        let mm = rest.get(0..2).unwrap_or("00");
        let ss = rest.get(2..).filter(|s| !s.is_empty()).unwrap_or("0");
        Some(
            hh.parse::<f64>().ok()? * 3600.0
                + mm.parse::<f64>().ok()? * 60.0
                + ss.parse::<f64>().ok()?,
        )
    };
    let mut delta = seconds(acquisition)? - seconds(injection)?;
    if delta < 0.0 {
        delta += 86_400.0;
    }
    Some(delta / 60.0)
}

pub fn text(obj: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = obj.get(tag)?.value().to_str().ok()?;
    let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

pub fn float(obj: &InMemDicomObject, tag: Tag) -> Option<f64> {
    obj.get(tag)?.value().to_float64().ok()
}

pub fn floats(obj: &InMemDicomObject, tag: Tag) -> Option<Vec<f64>> {
    obj.get(tag)?.value().to_multi_float64().ok()
}

pub fn int(obj: &InMemDicomObject, tag: Tag) -> Option<i64> {
    obj.get(tag)?.value().to_int::<i64>().ok()
}

pub fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.get(tag).and_then(|e| e.value().items()).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptake_is_minutes_between_two_times() {
        assert_eq!(uptake_minutes("101500", "112000"), Some(65.0));
        assert_eq!(
            uptake_minutes("101500.000", "103000.50").map(|m| (m * 60.0).round()),
            Some(901.0)
        );
        assert_eq!(uptake_minutes("2350", "0010"), Some(20.0));
        assert_eq!(uptake_minutes("x", "1000"), None);
    }
}
