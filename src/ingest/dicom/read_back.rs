//! Reading back what a database has indexed already, so that a new import merges with it.

use crate::ingest::IngestError;
use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{Float64Type, Int64Type};

use super::SeriesRow;
use super::header::Instance;
use super::seg::Segment;
use crate::storage::{Snapshot, TableMeta};

struct Back {
    columns: HashMap<String, ArrayRef>,
    rows: usize,
}

impl Back {
    fn read(base: &Snapshot, meta: &TableMeta, names: &[&str]) -> Result<Back, IngestError> {
        let mut columns = HashMap::new();
        for n in names.iter().copied().chain(["subject_id"]) {
            if let Some(a) = base.read_whole_column(meta, n)? {
                columns.insert(n.to_string(), a);
            }
        }
        Ok(Back {
            columns,
            rows: meta.rows as usize,
        })
    }

    fn text(&self, name: &str, i: usize) -> Option<String> {
        let a = self.columns.get(name)?;
        let s = a.as_string_opt::<i32>()?;
        (!s.is_null(i)).then(|| s.value(i).to_string())
    }

    fn float(&self, name: &str, i: usize) -> Option<f64> {
        let a = self.columns.get(name)?.as_primitive_opt::<Float64Type>()?;
        (!a.is_null(i)).then(|| a.value(i))
    }

    fn int(&self, name: &str, i: usize) -> Option<i64> {
        let a = self.columns.get(name)?.as_primitive_opt::<Int64Type>()?;
        (!a.is_null(i)).then(|| a.value(i))
    }
}

const INSTANCE_COLUMNS: &[&str] = &[
    "sop_instance_uid",
    "sop_class_uid",
    "modality",
    "study_uid",
    "series_uid",
    "instance_number",
    "path",
    "study_date",
    "series_description",
    "manufacturer",
    "model",
    "slice_thickness",
    "spacing_between_slices",
    "pixel_spacing_row",
    "pixel_spacing_col",
    "rows",
    "columns",
    "kvp",
    "tube_current",
    "convolution_kernel",
    "radiopharmaceutical",
    "injected_dose_mbq",
    "injection_time",
    "acquisition_time",
];

pub(super) fn read_instances(
    base: &Snapshot,
    meta: &TableMeta,
) -> Result<Vec<Instance>, IngestError> {
    let b = Back::read(base, meta, INSTANCE_COLUMNS)?;
    Ok((0..b.rows)
        .map(|i| Instance {
            path: b.text("path", i).unwrap_or_default(),
            patient_id: b.text("subject_id", i),
            sop_class_uid: b.text("sop_class_uid", i),
            sop_instance_uid: b.text("sop_instance_uid", i).unwrap_or_default(),
            modality: b.text("modality", i),
            study_uid: b.text("study_uid", i),
            series_uid: b.text("series_uid", i),
            instance_number: b.int("instance_number", i),
            study_date: b.text("study_date", i),
            series_description: b.text("series_description", i),
            manufacturer: b.text("manufacturer", i),
            model: b.text("model", i),
            slice_thickness: b.float("slice_thickness", i),
            spacing_between_slices: b.float("spacing_between_slices", i),
            pixel_spacing_row: b.float("pixel_spacing_row", i),
            pixel_spacing_col: b.float("pixel_spacing_col", i),
            rows: b.int("rows", i),
            columns: b.int("columns", i),
            kvp: b.float("kvp", i),
            tube_current: b.float("tube_current", i),
            convolution_kernel: b.text("convolution_kernel", i),
            radiopharmaceutical: b.text("radiopharmaceutical", i),
            injected_dose_mbq: b.float("injected_dose_mbq", i),
            injection_time: b.text("injection_time", i),
            acquisition_time: b.text("acquisition_time", i),
        })
        .collect())
}

/// The manifest-only rows of an existing `series` table.
pub(super) fn read_manifest_rows(
    base: &Snapshot,
    meta: &TableMeta,
) -> Result<Vec<SeriesRow>, IngestError> {
    let b = Back::read(
        base,
        meta,
        &[
            "study_uid",
            "series_uid",
            "source_doi",
            "collection_id",
            "idc_version",
            "source",
        ],
    )?;
    Ok((0..b.rows)
        .filter(|i| {
            b.text("source", *i)
                .is_some_and(|s| s.contains("idc manifest"))
        })
        .map(|i| SeriesRow {
            subject: b.text("subject_id", i).unwrap_or_default(),
            study_uid: b.text("study_uid", i),
            series_uid: b.text("series_uid", i).unwrap_or_default(),
            source_doi: b.text("source_doi", i),
            collection_id: b.text("collection_id", i),
            idc_version: b.int("idc_version", i),
            source: "idc manifest".into(),
            ..SeriesRow::default()
        })
        .collect())
}

pub(super) fn read_segments(
    base: &Snapshot,
    meta: &TableMeta,
) -> Result<Vec<(String, Segment)>, IngestError> {
    let b = Back::read(
        base,
        meta,
        &[
            "sop_instance_uid",
            "segmentation_type",
            "segment_number",
            "segment_label",
            "algorithm_type",
            "algorithm_name",
            "category_code",
            "category",
            "type_code",
            "type",
            "referenced_series_uid",
            "frames",
            "voxels",
            "voxel_volume_mm3",
            "volume_mm3",
            "bbox_row_min",
            "bbox_row_max",
            "bbox_col_min",
            "bbox_col_max",
            "bbox_frame_min",
            "bbox_frame_max",
        ],
    )?;
    Ok((0..b.rows)
        .map(|i| {
            let pair = |lo: &str, hi: &str| Some((b.int(lo, i)?, b.int(hi, i)?));
            let bbox = match (
                pair("bbox_row_min", "bbox_row_max"),
                pair("bbox_col_min", "bbox_col_max"),
                pair("bbox_frame_min", "bbox_frame_max"),
            ) {
                (Some(r), Some(c), Some(f)) => Some([r, c, f]),
                _ => None,
            };
            (
                b.text("subject_id", i).unwrap_or_default(),
                Segment {
                    sop_instance_uid: b.text("sop_instance_uid", i).unwrap_or_default(),
                    segmentation_type: b.text("segmentation_type", i).unwrap_or_default(),
                    number: b.int("segment_number", i).unwrap_or(0),
                    label: b.text("segment_label", i),
                    algorithm_type: b.text("algorithm_type", i),
                    algorithm_name: b.text("algorithm_name", i),
                    category_code: b.text("category_code", i),
                    category: b.text("category", i),
                    type_code: b.text("type_code", i),
                    type_meaning: b.text("type", i),
                    referenced_series_uid: b.text("referenced_series_uid", i),
                    frames: b.int("frames", i).unwrap_or(0),
                    voxels: b.int("voxels", i).unwrap_or(0),
                    voxel_volume_mm3: b.float("voxel_volume_mm3", i),
                    volume_mm3: b.float("volume_mm3", i),
                    bbox,
                },
            )
        })
        .collect())
}
