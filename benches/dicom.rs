//! DICOM indexing bench (whole process): a generated tree of 20,000 small DICOM files (CT
//! slices of 16×16, 100 series of 200 slices for 50 subjects, written with `dicom-object` in
//! the setup), indexed by the release `rgdb` binary with `import dicom`. Reports files/s and
//! peak RSS. Target (issue 7): at least 2,000 files/s.
//!
//! Run with `cargo bench --bench dicom`; the tree is generated once under
//! `$CARGO_TARGET_DIR/rgdb-bench/dicom-tree/`. Figures go to `benches/README.md`.

mod common;

use std::path::PathBuf;

use common::{dir, du, timed};
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

const SUBJECTS: usize = 50;
const SERIES_PER_SUBJECT: usize = 2;
const SLICES: usize = 200;

fn text(tag: dicom_core::Tag, vr: VR, value: &str) -> DataElement<InMemDicomObject> {
    DataElement::new(tag, vr, PrimitiveValue::from(value))
}

fn generate() -> (PathBuf, usize) {
    let root = dir().join("dicom-tree");
    let files = SUBJECTS * SERIES_PER_SUBJECT * SLICES;
    if root.join("done").exists() {
        return (root, files);
    }
    let _ = std::fs::remove_dir_all(&root);
    for s in 0..SUBJECTS {
        for series in 0..SERIES_PER_SUBJECT {
            let folder = root.join(format!("BENCH-{s:03}/series{series}"));
            std::fs::create_dir_all(&folder).unwrap();
            let study = format!("2.25.1{s:03}");
            let series_uid = format!("2.25.2{s:03}{series}");
            for k in 0..SLICES {
                let sop = format!("2.25.3{s:03}{series}{k:04}");
                let obj = InMemDicomObject::from_element_iter([
                    text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE),
                    text(tags::SOP_INSTANCE_UID, VR::UI, &sop),
                    text(tags::STUDY_DATE, VR::DA, "20080403"),
                    text(tags::MODALITY, VR::CS, "CT"),
                    text(tags::MANUFACTURER, VR::LO, "GE MEDICAL SYSTEMS"),
                    text(tags::SERIES_DESCRIPTION, VR::LO, "CHEST 1.25"),
                    text(tags::MANUFACTURER_MODEL_NAME, VR::LO, "LightSpeed 16"),
                    text(tags::PATIENT_ID, VR::LO, &format!("BENCH-{s:03}")),
                    text(tags::SLICE_THICKNESS, VR::DS, "1.25"),
                    text(tags::KVP, VR::DS, "120"),
                    text(tags::X_RAY_TUBE_CURRENT, VR::IS, "300"),
                    text(tags::CONVOLUTION_KERNEL, VR::SH, "LUNG"),
                    text(tags::STUDY_INSTANCE_UID, VR::UI, &study),
                    text(tags::SERIES_INSTANCE_UID, VR::UI, &series_uid),
                    text(tags::INSTANCE_NUMBER, VR::IS, &(k + 1).to_string()),
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
                let file = obj
                    .with_meta(
                        FileMetaTableBuilder::new()
                            .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                            .media_storage_sop_class_uid(uids::CT_IMAGE_STORAGE)
                            .media_storage_sop_instance_uid(&sop),
                    )
                    .unwrap();
                file.write_to_file(folder.join(format!("{k:04}"))).unwrap();
            }
        }
    }
    std::fs::write(root.join("done"), "").unwrap();
    (root, files)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    std::fs::create_dir_all(dir()).unwrap();
    let (tree, files) = generate();
    let db = dir().join("dicom.rgdb");
    let _ = std::fs::remove_dir_all(&db);
    let (seconds, rss) = timed(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        "dicom",
        tree.to_str().unwrap(),
    ]);
    println!(
        "ingest/dicom: {files} files ({:.0} MB) in {seconds:.2} s = {:.0} files/s, peak RSS {rss:.0} MB, database {:.1} MB",
        du(&tree) as f64 / 1e6,
        files as f64 / seconds,
        du(&db) as f64 / 1e6
    );
}
