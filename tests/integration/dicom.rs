//! The DICOM importer on the real files of `data/dicom` (pydicom's and highdicom's test
//! files, and a real ePAD SEG), the IDC manifest, and refused files.
//!
//! Expected voxel counts and volumes were computed independently of rgdb, by unpacking the
//! pixel data with numpy (`np.unpackbits(..., bitorder='little')` over the raw PixelData,
//! frames assigned to segments by ReferencedSegmentNumber) and cross-checked against pydicom's
//! `pixel_array`; each derivation is written next to its value.

use std::path::{Path, PathBuf};

use rgdb::Database;
use rgdb::ingest::{DicomImport, ImportRequest};

use crate::common::*;

fn dicom_dir() -> PathBuf {
    root().join("data/dicom")
}

fn dicom(path: &Path, skip_bad: bool) -> ImportRequest {
    ImportRequest::Dicom {
        path: path.to_path_buf(),
        options: DicomImport { skip_bad },
    }
}

fn indexed() -> (tempfile::TempDir, Database) {
    let (dir, db) = fresh_db();
    db.import(&dicom(&dicom_dir(), false)).unwrap();
    (dir, db)
}

fn segment(db: &Database, file: &str, number: i64) -> Vec<String> {
    let uid = rows(
        db,
        &format!("SELECT sop_instance_uid FROM dicom_files WHERE path LIKE '%/{file}'"),
    )[0][0]
        .clone();
    rows(
        db,
        &format!(
            "SELECT segmentation_type, segment_label, frames, voxels, voxel_volume_mm3, volume_mm3, \
             bbox_row_min, bbox_row_max, bbox_col_min, bbox_col_max, bbox_frame_min, bbox_frame_max \
             FROM segmentations WHERE sop_instance_uid = '{uid}' AND segment_number = {number}"
        ),
    )
    .remove(0)
}

fn close(actual: &str, expected: f64) {
    let a: f64 = actual.parse().unwrap();
    assert!(
        (a - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{a} vs {expected}"
    );
}

#[test]
fn a_directory_of_real_files_indexes_series_files_and_segments() {
    let (_dir, db) = indexed();
    // 12 files (4 without an extension), 9 series.
    assert_eq!(
        scalar_i64(&sql(&db, "SELECT count(*) FROM dicom_files")),
        12
    );
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM series")), 9);
    // The 4-slice CT series of ct2_series, with its acquisition parameters.
    assert_eq!(
        rows(
            &db,
            "SELECT subject_id, modality, series_description, instances, slice_thickness, \
             pixel_spacing_row, pixel_spacing_col, rows, columns, kvp, tube_current, \
             convolution_kernel, manufacturer FROM series WHERE instances = 4"
        ),
        vec![
            vec![
                "77654033",
                "CT",
                "Routine Brain",
                "4",
                "1.25",
                "0.488281",
                "0.488281",
                "16",
                "16",
                "140.0",
                "210.0",
                "STANDARD",
                "GE MEDICAL SYSTEMS"
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        ]
    );
    let files = rows(
        &db,
        "SELECT path FROM dicom_files WHERE path LIKE '%ct2_series%' ORDER BY instance_number",
    );
    assert_eq!(files.len(), 4);
    assert!(files[0][0].ends_with("ct2_series/17106"));
    // Presence flags.
    assert_eq!(
        rows(
            &db,
            "SELECT subject_id, has(ct), has(pet), has(segmentation) FROM subjects ORDER BY subject_id"
        ),
        vec![
            vec!["1CT1", "true", "false", "true"],
            vec![
                "260771139092452259439856092027719824171",
                "true",
                "false",
                "false"
            ],
            vec!["7", "false", "false", "true"],
            vec!["77654033", "true", "false", "true"],
            vec!["99000", "false", "false", "true"],
        ]
        .into_iter()
        .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
        .collect::<Vec<_>>()
    );
}

#[test]
fn segment_voxels_and_volumes_match_the_frames() {
    let (_dir, db) = indexed();
    // seg_image_ct_binary.dcm: BINARY, 3 frames of 16×16 referencing 3 of the 4 ct2_series
    // slices; 638 set bits. PixelSpacing 0.488281 × 0.488281 mm, SliceThickness 1.25 mm:
    // voxel 0.488281² × 1.25 = 0.29802291870125 mm³; volume 638 × that = 190.1386221313975 mm³.
    let s = segment(&db, "seg_image_ct_binary.dcm", 1);
    assert_eq!(&s[..4], ["BINARY", "first segment", "3", "638"]);
    close(&s[4], 0.488281 * 0.488281 * 1.25);
    close(&s[5], 638.0 * 0.488281 * 0.488281 * 1.25);
    // Its segment references the ct2_series series, which is in `series`.
    let referenced = rows(
        &db,
        "SELECT referenced_series_uid FROM segmentations WHERE segment_label = 'first segment' LIMIT 1",
    )[0][0]
        .clone();
    assert_eq!(
        rows(
            &db,
            &format!("SELECT instances FROM series WHERE series_uid = '{referenced}'")
        ),
        vec![vec!["4".to_string()]]
    );
    // seg_image_ct_binary_overlap.dcm: 8 frames, segment 1 on frames 0–3 (64 voxels), segment
    // 2 on frames 4–7 (16 voxels), overlapping in space.
    let one = segment(&db, "seg_image_ct_binary_overlap.dcm", 1);
    let two = segment(&db, "seg_image_ct_binary_overlap.dcm", 2);
    assert_eq!(&one[..4], ["BINARY", "first segment", "4", "64"]);
    assert_eq!(&two[..4], ["BINARY", "second segment", "4", "16"]);
    // seg_image_ct_binary_fractional.dcm: FRACTIONAL, 8-bit; voxels ≥ 0.5 × 255.
    let f = segment(&db, "seg_image_ct_binary_fractional.dcm", 1);
    assert_eq!(&f[..4], ["FRACTIONAL", "first segment", "3", "638"]);
    // epad_testseg.dcm: ePAD's SEG, 3 frames of 512×512 bit-packed, one segment `Mass` named
    // only in the shared functional group; 1005 + 754 + 733 = 2492 voxels in rows 275–332,
    // columns 130–170; 0.974609375² × 5 mm = 4.749317169189453 mm³ a voxel, so
    // 2492 × that = 11835.298385620117 mm³.
    let mass = segment(&db, "epad_testseg.dcm", 1);
    assert_eq!(&mass[..4], ["BINARY", "Mass", "3", "2492"]);
    close(&mass[5], 2492.0 * 0.974609375 * 0.974609375 * 5.0);
    assert_eq!(&mass[6..12], ["275", "332", "130", "170", "0", "2"]);
    // liver_1frame.dcm: no NumberOfFrames and 3 per-frame groups, but pixel data for one
    // 512×512 frame (32,768 bytes): 36233 voxels in rows 145–366, columns 79–350;
    // 0.810547² × 1 mm a voxel, so 23804.589651859696 mm³.
    let liver = segment(&db, "liver_1frame.dcm", 1);
    assert_eq!(&liver[..4], ["BINARY", "Liver", "1", "36233"]);
    close(&liver[5], 36233.0 * 0.810547 * 0.810547 * 1.0);
    assert_eq!(&liver[6..10], ["145", "366", "79", "350"]);
    // seg_image_ct_binary_single_frame.dcm: one 128×128 frame on CT_small, 1832 voxels,
    // 0.661468² × 5 mm a voxel: 4007.865621619839 mm³.
    let single = segment(&db, "seg_image_ct_binary_single_frame.dcm", 1);
    assert_eq!(&single[2..4], ["1", "1832"]);
    close(&single[5], 1832.0 * 0.661468 * 0.661468 * 5.0);
    assert_eq!(&single[6..10], ["6", "94", "5", "101"]);
    // The overlap SEG: 64 × 0.29802291870125 = 19.07346679688 and 16 × that = 4.76836669922.
    close(&one[5], 64.0 * 0.488281 * 0.488281 * 1.25);
    close(&two[5], 16.0 * 0.488281 * 0.488281 * 1.25);
    assert_eq!(&one[6..12], ["4", "7", "4", "7", "0", "3"]);
    assert_eq!(
        &two[6..12],
        ["6", "7", "6", "7", "4", "7"],
        "frames count in the SEG's own order"
    );
}

#[test]
fn imports_merge_and_repeat_idempotently() {
    let (dir, db) = fresh_db();
    // The manifest first: 1,722 series of 211 subjects, no modality.
    db.import(&ImportRequest::Series {
        path: root().join("data/nsclc_radiogenomics/idc_series_manifest.csv"),
    })
    .unwrap();
    db.import_clinical(clinical_csv()).unwrap();
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM subjects WHERE has(series) AND has(clinical)"
        ),
        vec![vec!["211".to_string()]]
    );
    assert_eq!(
        rows(&db, "SELECT count(*) FROM subjects WHERE has(ct)"),
        vec![vec!["0".to_string()]],
        "the manifest carries no modality"
    );
    // Then DICOM, twice: the second import adds nothing.
    db.import(&dicom(&dicom_dir(), false)).unwrap();
    let after_first = rows(&db, "SELECT count(*) FROM series");
    let summary = db.import(&dicom(&dicom_dir(), false)).unwrap();
    assert!(
        summary.notes[0].starts_with("12 DICOM files read (0 new instances)"),
        "{:?}",
        summary.notes
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM series"), after_first);
    assert_eq!(after_first, vec![vec!["1731".to_string()]]);
    assert_eq!(
        scalar_i64(&sql(&db, "SELECT count(*) FROM dicom_files")),
        12
    );
    assert_eq!(
        scalar_i64(&sql(&db, "SELECT count(*) FROM segmentations")),
        7
    );
    // A subset imported later keeps what was indexed.
    let subset = dir.path().join("subset");
    std::fs::create_dir_all(&subset).unwrap();
    std::fs::copy(dicom_dir().join("CT_small.dcm"), subset.join("a")).unwrap();
    db.import(&dicom(&subset, false)).unwrap();
    assert_eq!(
        scalar_i64(&sql(&db, "SELECT count(*) FROM dicom_files")),
        12
    );
    assert_eq!(
        rows(
            &db,
            "SELECT source, count(*) FROM series GROUP BY source ORDER BY source"
        ),
        vec![
            vec!["dicom".to_string(), "9".to_string()],
            vec!["idc manifest".to_string(), "1722".to_string()],
        ]
    );
    // The data-availability table in one query.
    let table = rows(
        &db,
        "SELECT count(*) AS subjects, sum(CASE WHEN has(clinical) THEN 1 ELSE 0 END) AS clinical, \
         sum(CASE WHEN has(ct) THEN 1 ELSE 0 END) AS ct, sum(CASE WHEN has(pet) THEN 1 ELSE 0 END) AS pet, \
         sum(CASE WHEN has(segmentation) THEN 1 ELSE 0 END) AS segmentation FROM subjects",
    );
    assert_eq!(table[0][1..], ["211", "3", "0", "4"]);
}

#[test]
fn bad_dicom_files_are_refused_with_their_path() {
    let (dir, db) = fresh_db();
    let folder = dir.path().join("scans");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(dicom_dir().join("CT_small.dcm"), folder.join("good.dcm")).unwrap();
    std::fs::write(folder.join("notes.txt"), "not a DICOM file").unwrap();
    // A CT slice cut in its pixel data, and one cut inside its header.
    let bytes = std::fs::read(dicom_dir().join("epad_ct_chest.dcm")).unwrap();
    let cut = folder.join("cut.dcm");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused_import(&db, &dicom(&cut, false));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read this DICOM file: the file is 263289 bytes, shorter than its pixel data (512 × 512 × 1 frames of 16 bits = 524288 bytes): it is truncated",
            cut.display()
        )
    );
    let head = folder.join("head.dcm");
    std::fs::write(&head, &bytes[..400]).unwrap();
    let err = refused_import(&db, &dicom(&head, false));
    assert_eq!(err.code(), "E0430");
    assert!(
        err.to_string().starts_with(&format!(
            "{}: cannot read this DICOM file: ",
            head.display()
        )),
        "{err}"
    );
    // A SEG whose pixel data is shorter than rows × columns × frames.
    let seg = std::fs::read(dicom_dir().join("seg_image_ct_binary.dcm")).unwrap();
    let short = folder.join("short_seg.dcm");
    std::fs::write(&short, &seg[..seg.len() - 40]).unwrap();
    let err = refused_import(&db, &dicom(&short, false));
    assert_eq!(err.code(), "E0430");
    // The directory: fails whole, or with --skip-bad imports the rest and lists the others.
    let err = refused_import(&db, &dicom(&folder, false));
    assert_eq!(err.code(), "E0431");
    assert!(
        err.to_string().starts_with(&format!(
            "{}: 3 of 5 files could not be read, nothing was imported; the first: ",
            folder.display()
        )),
        "{err}"
    );
    let summary = db.import(&dicom(&folder, true)).unwrap();
    assert_eq!(summary.notes.len(), 4, "{:?}", summary.notes);
    assert!(summary.notes[0].starts_with(
        "1 DICOM files read (1 new instances), 1 series, 0 segments; 1 files were not DICOM"
    ));
    assert!(summary.notes[1].starts_with(&format!("skipped {}", cut.display())));
    // A folder with no DICOM at all.
    let empty = dir.path().join("text");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("a.txt"), "x").unwrap();
    assert_eq!(
        refused_import(&db, &dicom(&empty, false)).to_string(),
        format!(
            "{}: no DICOM files found among 1 files (a DICOM file has `DICM` at byte 128)",
            empty.display()
        )
    );
}

#[test]
fn the_statements_and_subcommands_index_the_same_files() {
    let (dir, db) = fresh_db();
    db.query(&format!(
        "IMPORT DICOM FROM '{}' SKIP BAD",
        dicom_dir().display()
    ))
    .unwrap();
    assert_eq!(scalar_i64(&sql(&db, "SELECT count(*) FROM series")), 9);
    let err = db
        .query(&format!(
            "IMPORT DICOM FROM '{}' AS scans",
            dicom_dir().display()
        ))
        .unwrap_err();
    assert!(err.to_string().contains("it takes no AS"), "{err}");
    drop(db);
    let db_path = dir.path().join("test.rgdb");
    let manifest = root().join("data/nsclc_radiogenomics/idc_series_manifest.csv");
    let (code, text, err) = run_cli(&[
        "--db",
        db_path.to_str().unwrap(),
        "import",
        "series",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains(
            "note: 1722 manifest rows; 1731 series in all (9 described by DICOM headers)"
        ),
        "{text}"
    );
}

#[test]
fn bits_packed_across_frame_boundaries_are_counted_per_frame() {
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::tags;
    // The real SEG recast as 3 frames of 5×5: 25 bits a frame, so frames 1 and 2 start in
    // the middle of a byte (bits 25 and 50). Frame 0 has its first row set (5 voxels),
    // frame 1 its centre pixel (1), frame 2 all 25: 31 voxels, bounding box rows 0–4,
    // columns 0–4, frames 0–2.
    let (dir, db) = fresh_db();
    let mut obj = dicom_object::open_file(dicom_dir().join("seg_image_ct_binary.dcm")).unwrap();
    obj.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(5_u16),
    ));
    obj.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(5_u16),
    ));
    let mut set = [false; 75];
    set[..5].fill(true);
    set[25 + 12] = true;
    set[50..75].fill(true);
    let mut bytes = vec![0u8; 10];
    for (i, on) in set.iter().enumerate() {
        if *on {
            bytes[i / 8] |= 1 << (i % 8);
        }
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PrimitiveValue::from(bytes),
    ));
    let path = dir.path().join("packed.dcm");
    obj.write_to_file(&path).unwrap();
    db.import(&dicom(&path, false)).unwrap();
    let s = segment(&db, "packed.dcm", 1);
    assert_eq!(&s[2..4], ["3", "31"]);
    assert_eq!(&s[6..12], ["0", "4", "0", "4", "0", "2"]);
    close(&s[5], 31.0 * 0.488281 * 0.488281 * 1.25);
}

#[test]
fn pet_series_get_dose_and_uptake_time() {
    use dicom_core::value::DataSetSequence;
    use dicom_core::{DataElement, PrimitiveValue, VR};
    use dicom_dictionary_std::{tags, uids};
    use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
    // A PET slice written with dicom-object: 370,000,000 Bq of FDG injected at 10:15:00,
    // acquired at 11:20:00, so 370 MBq and 65 minutes of uptake.
    let (dir, db) = fresh_db();
    let text = |tag, vr, v: &str| DataElement::new(tag, vr, PrimitiveValue::from(v));
    let pharma = InMemDicomObject::from_element_iter([
        text(tags::RADIOPHARMACEUTICAL, VR::LO, "Fludeoxyglucose F^18^"),
        text(tags::RADIONUCLIDE_TOTAL_DOSE, VR::DS, "370000000"),
        text(tags::RADIOPHARMACEUTICAL_START_TIME, VR::TM, "101500"),
    ]);
    let sop = "2.25.9001";
    let obj = InMemDicomObject::from_element_iter([
        text(
            tags::SOP_CLASS_UID,
            VR::UI,
            uids::POSITRON_EMISSION_TOMOGRAPHY_IMAGE_STORAGE,
        ),
        text(tags::SOP_INSTANCE_UID, VR::UI, sop),
        text(tags::ACQUISITION_TIME, VR::TM, "112000"),
        text(tags::MODALITY, VR::CS, "PT"),
        text(tags::PATIENT_ID, VR::LO, "R01-001"),
        text(tags::STUDY_INSTANCE_UID, VR::UI, "2.25.9002"),
        text(tags::SERIES_INSTANCE_UID, VR::UI, "2.25.9003"),
        DataElement::new(
            tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(vec![pharma]),
        ),
    ]);
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .media_storage_sop_class_uid(uids::POSITRON_EMISSION_TOMOGRAPHY_IMAGE_STORAGE)
                .media_storage_sop_instance_uid(sop),
        )
        .unwrap();
    let pet = dir.path().join("pet");
    std::fs::create_dir_all(&pet).unwrap();
    file.write_to_file(pet.join("slice1")).unwrap();
    db.import_clinical(clinical_csv()).unwrap();
    db.import(&dicom(&pet, false)).unwrap();
    assert_eq!(
        rows(
            &db,
            "SELECT subject_id, modality, radiopharmaceutical, injected_dose_mbq, injection_time, \
             acquisition_time, uptake_minutes FROM series"
        ),
        vec![
            vec![
                "R01-001",
                "PT",
                "Fludeoxyglucose F^18^",
                "370.0",
                "101500",
                "112000",
                "65.0"
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM subjects WHERE has(pet) AND has(clinical)"
        ),
        vec![vec!["1".to_string()]]
    );
}

/// The summary's notes after the first (the count), as one text.
fn skipped_notes(summary: &rgdb::ingest::ImportSummary) -> Vec<String> {
    summary.notes[1..].to_vec()
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_directory_is_followed_and_a_loop_is_skipped() {
    use std::os::unix::fs::symlink;
    let (dir, db) = fresh_db();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("inner")).unwrap();
    std::fs::copy(
        dicom_dir().join("CT_small.dcm"),
        tree.join("inner/ct_small.dcm"),
    )
    .unwrap();
    // A link to the bundled 4-slice series, a second link to it, and a link back up to the
    // tree (a loop).
    symlink(dicom_dir().join("ct2_series"), tree.join("a_series")).unwrap();
    symlink(dicom_dir().join("ct2_series"), tree.join("b_again")).unwrap();
    symlink(&tree, tree.join("inner/up")).unwrap();
    let summary = db.import(&dicom(&tree, false)).unwrap();
    assert_eq!(
        summary.notes[0],
        "5 DICOM files read (5 new instances), 2 series, 0 segments; 0 files were not DICOM and were skipped"
    );
    let real_series = dicom_dir().join("ct2_series").canonicalize().unwrap();
    assert_eq!(
        skipped_notes(&summary),
        [
            format!(
                "skipped {}: it links to {}, which is read already as {}",
                tree.join("b_again").display(),
                real_series.display(),
                tree.join("a_series").display()
            ),
            format!(
                "skipped {}: it links back to {}, which holds it (a loop)",
                tree.join("inner/up").display(),
                tree.canonicalize().unwrap().display()
            ),
        ]
    );
    // The files are indexed under the link that reached them.
    let paths: Vec<String> = rows(&db, "SELECT path FROM dicom_files ORDER BY path")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let under = |p: &str| tree.join(p).display().to_string();
    assert_eq!(
        paths,
        [
            under("a_series/17106"),
            under("a_series/17136"),
            under("a_series/17166"),
            under("a_series/17196"),
            under("inner/ct_small.dcm"),
        ]
    );
    // The path given may itself be a link to a directory.
    let (_dir2, db2) = fresh_db();
    db2.import(&dicom(&tree.join("a_series"), false)).unwrap();
    assert_eq!(rows(&db2, "SELECT count(*) FROM dicom_files"), [["4"]]);
}

#[cfg(unix)]
#[test]
fn a_link_to_nothing_is_skipped_with_a_note() {
    let (dir, db) = fresh_db();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(dicom_dir().join("CT_small.dcm"), tree.join("ct.dcm")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), tree.join("dangling")).unwrap();
    let summary = db.import(&dicom(&tree, false)).unwrap();
    assert_eq!(
        skipped_notes(&summary),
        [format!(
            "skipped {}: it links to {}, which does not exist",
            tree.join("dangling").display(),
            dir.path().join("gone").display()
        )]
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM dicom_files"), [["1"]]);
}

/// `tests/reference/dicom/pixel_data.json`, written by pydicom (`pixel_data.py` beside it).
fn pydicom_pixel_data() -> Vec<serde_json::Value> {
    let path = root().join("tests/reference/dicom/pixel_data.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_pixel_data_is_found_where_pydicom_finds_it() {
    use rgdb::ingest::dicom::pixel::{PixelData, locate};
    let reference = pydicom_pixel_data();
    assert_eq!(reference.len(), 13);
    for r in &reference {
        let path = dicom_dir().join(r["file"].as_str().unwrap());
        let syntax = r["transfer_syntax"].as_str().unwrap();
        let found = locate(&path, syntax).unwrap();
        let offset = r["value_offset"].as_u64().unwrap();
        let expected = match r["declared_length"].as_u64().unwrap() {
            0xFFFF_FFFF => PixelData::Encapsulated {
                offset,
                items: r["items"].as_u64().unwrap(),
                end: r["end"].as_u64().unwrap(),
            },
            length => PixelData::Native { offset, length },
        };
        assert_eq!(found, Some(expected), "{}", path.display());
    }
}

#[test]
fn pixel_data_running_past_the_end_of_the_file_is_refused() {
    let (dir, db) = fresh_db();
    // CT_small.dcm declares 32,768 bytes of pixel data from byte 6,300 (pydicom), so they end
    // at byte 39,068 of its 39,206. Cut at 39,000, it is still longer than 132 bytes plus the
    // image, which is all that was checked.
    let bytes = std::fs::read(dicom_dir().join("CT_small.dcm")).unwrap();
    let cut = dir.path().join("cut.dcm");
    std::fs::write(&cut, &bytes[..39_000]).unwrap();
    let err = refused_import(&db, &dicom(&cut, false));
    assert_eq!(err.code(), "E0430");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read this DICOM file: its pixel data declares 32768 bytes from byte 6300, but the file ends at byte 39000: it is truncated",
            cut.display()
        )
    );
    // The whole file, with the length field (the 4 bytes before the value) made larger.
    let mut patched = bytes.clone();
    patched[6296..6300].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
    let long = dir.path().join("long.dcm");
    std::fs::write(&long, &patched).unwrap();
    assert_eq!(
        refused_import(&db, &dicom(&long, false)).to_string(),
        format!(
            "{}: cannot read this DICOM file: its pixel data declares 2147483632 bytes from byte 6300, but the file ends at byte 39206: it is truncated",
            long.display()
        )
    );
    // Compressed (encapsulated) pixel data is smaller than the image: the RLE copy of
    // CT_small.dcm imports, and is refused when cut inside its second fragment (pydicom: the
    // items end at byte 27,710).
    let rle = root().join("tests/reference/dicom/ct_small_rle.dcm");
    db.import(&dicom(&rle, false)).unwrap();
    assert_eq!(
        rows(&db, "SELECT rows, columns FROM dicom_files"),
        [["128", "128"]]
    );
    let rle_bytes = std::fs::read(&rle).unwrap();
    let rle_cut = dir.path().join("rle_cut.dcm");
    std::fs::write(&rle_cut, &rle_bytes[..20_000]).unwrap();
    // Its second item (the first fragment, after a 4-byte offset table) runs from byte 6,352
    // to 27,702, before the 8-byte delimiter.
    let err = refused_import(&db, &dicom(&rle_cut, false));
    assert_eq!(err.code(), "E0430");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read this DICOM file: item 2 of its compressed pixel data declares 21350 bytes from byte 6352, but the file ends at byte 20000: it is truncated",
            rle_cut.display()
        )
    );
}

#[test]
fn a_manifest_without_the_uid_columns_is_refused_naming_them() {
    let (dir, db) = fresh_db();
    // The real manifest without StudyInstanceUID and SeriesInstanceUID (and two others).
    let text =
        std::fs::read_to_string(root().join("data/nsclc_radiogenomics/idc_series_manifest.csv"))
            .unwrap();
    let kept: String = text
        .lines()
        .take(4)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{}\n", cells[0], cells[1], cells[2], cells[7])
        })
        .collect();
    let path = dir.path().join("manifest.csv");
    std::fs::write(&path, kept).unwrap();
    let err = refused_import(&db, &ImportRequest::Series { path: path.clone() });
    assert_eq!(err.code(), "E0439");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:1: an IDC series manifest needs the columns `PatientID`, `StudyInstanceUID`, `SeriesInstanceUID`; the header lacks `StudyInstanceUID`, `SeriesInstanceUID` (it has `PatientID`, `collection_id`, `source_DOI`, `idc_version`)",
            path.display()
        )
    );
    // A near miss is suggested.
    std::fs::write(
        &path,
        "PatientID,StudyInstanceUID,SeriesInstanceUUID\nR01-001,1.2,1.3\n",
    )
    .unwrap();
    assert_eq!(
        refused_import(&db, &ImportRequest::Series { path: path.clone() }).to_string(),
        format!(
            "{}:1: an IDC series manifest needs the columns `PatientID`, `StudyInstanceUID`, `SeriesInstanceUID`; the header lacks `SeriesInstanceUID` (it has `PatientID`, `StudyInstanceUID`, `SeriesInstanceUUID`); did you mean `SeriesInstanceUUID`?",
            path.display()
        )
    );
}
