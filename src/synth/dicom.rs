//! `dicom/`: a small CT series per subject (explicit VR little endian, 16 × 16 pixels), so
//! that `IMPORT DICOM` has a tree to index. The pixel data is blank: only headers are read.

use std::path::Path;

use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileDicomObject, FileMetaTableBuilder, InMemDicomObject};

use super::error::{Result, SynthError};
use super::{Cohort, io};

/// Slices per generated series.
const SLICES: usize = 8;

fn text(tag: Tag, vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

/// One CT slice of 16 × 16 blank pixels, with the headers `IMPORT DICOM` reads (patient,
/// study, series, scanner, geometry, acquisition).
pub fn ct_slice(
    patient: &str,
    study_uid: &str,
    series_uid: &str,
    sop_uid: &str,
    instance: usize,
) -> std::result::Result<FileDicomObject<InMemDicomObject>, String> {
    let obj = InMemDicomObject::from_element_iter([
        text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE),
        text(tags::SOP_INSTANCE_UID, VR::UI, sop_uid),
        text(tags::STUDY_DATE, VR::DA, "20080403"),
        text(tags::MODALITY, VR::CS, "CT"),
        text(tags::MANUFACTURER, VR::LO, "GE MEDICAL SYSTEMS"),
        text(tags::SERIES_DESCRIPTION, VR::LO, "CHEST 1.25"),
        text(tags::MANUFACTURER_MODEL_NAME, VR::LO, "LightSpeed 16"),
        text(tags::PATIENT_ID, VR::LO, patient),
        text(tags::SLICE_THICKNESS, VR::DS, "1.25"),
        text(tags::KVP, VR::DS, "120"),
        text(tags::X_RAY_TUBE_CURRENT, VR::IS, "300"),
        text(tags::CONVOLUTION_KERNEL, VR::SH, "LUNG"),
        text(tags::STUDY_INSTANCE_UID, VR::UI, study_uid),
        text(tags::SERIES_INSTANCE_UID, VR::UI, series_uid),
        text(tags::INSTANCE_NUMBER, VR::IS, &instance.to_string()),
        DataElement::new(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1_u16)),
        DataElement::new(tags::ROWS, VR::US, PrimitiveValue::from(16_u16)),
        DataElement::new(tags::COLUMNS, VR::US, PrimitiveValue::from(16_u16)),
        text(tags::PIXEL_SPACING, VR::DS, "0.7\\0.7"),
        DataElement::new(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16_u16)),
        DataElement::new(tags::BITS_STORED, VR::US, PrimitiveValue::from(16_u16)),
        DataElement::new(
            tags::PIXEL_DATA,
            VR::OW,
            PrimitiveValue::from(vec![0_u8; 512]),
        ),
    ]);
    obj.with_meta(
        FileMetaTableBuilder::new()
            .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
            .media_storage_sop_class_uid(uids::CT_IMAGE_STORAGE)
            .media_storage_sop_instance_uid(sop_uid),
    )
    .map_err(|e| e.to_string())
}

/// Writes `dicom/<subject>/ct/NNNN.dcm` for the first `spec.dicom_subjects` subjects; returns
/// the number of files.
pub(super) fn write(cohort: &Cohort, dir: &Path) -> Result<usize> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let mut files = 0;
    for s in cohort.subjects.iter().take(cohort.spec.dicom_subjects) {
        let folder = dir.join(&s.id).join("ct");
        std::fs::create_dir_all(&folder).map_err(|e| io(&folder, e))?;
        let study = format!("2.25.{}1{}", cohort.spec.seed, s.index);
        let series = format!("2.25.{}2{}", cohort.spec.seed, s.index);
        for k in 0..SLICES {
            let sop = format!("{series}.{}", k + 1);
            let path = folder.join(format!("{:04}.dcm", k + 1));
            ct_slice(&s.id, &study, &series, &sop, k + 1)
                .and_then(|file| file.write_to_file(&path).map_err(|e| e.to_string()))
                .map_err(|message| SynthError::Failed {
                    message: format!("cannot write {}: {message}", path.display()),
                })?;
            files += 1;
        }
    }
    Ok(files)
}
