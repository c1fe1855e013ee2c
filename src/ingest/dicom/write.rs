//! Writing the DICOM tables: `dicom_files`, `series` and `segmentations`, one column at a time.

use crate::ingest::IngestError;
use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};

use super::header::Instance;
use super::seg::Segment;
use super::{FILES_TABLE, SEGMENTS_TABLE, SERIES_TABLE, SeriesRow};
use crate::ingest::infer::parse_date;
use crate::ingest::summary::ColumnSummary;
use crate::storage::{ColumnType, Level, NewColumn, SourceFile, StagedTable, WriteTxn};

/// Columns under construction: a name, a label, a type and the values.
struct Columns(Vec<(NewColumn, ColumnType, ArrayRef)>);

impl Columns {
    fn new() -> Self {
        Columns(Vec::new())
    }

    fn push(
        &mut self,
        name: &str,
        label: &str,
        unit: Option<&str>,
        ty: ColumnType,
        array: ArrayRef,
    ) {
        self.0.push((
            NewColumn {
                name: name.into(),
                label: label.into(),
                unit: unit.map(str::to_string),
                description: None,
            },
            ty,
            array,
        ));
    }

    fn text<T>(&mut self, name: &str, label: &str, rows: &[T], f: impl Fn(&T) -> Option<String>) {
        let a: StringArray = rows.iter().map(f).collect();
        self.push(name, label, None, ColumnType::Utf8, Arc::new(a));
    }

    fn float<T>(
        &mut self,
        name: &str,
        label: &str,
        unit: Option<&str>,
        rows: &[T],
        f: impl Fn(&T) -> Option<f64>,
    ) {
        let a: Float64Array = rows.iter().map(f).collect();
        self.push(name, label, unit, ColumnType::Float64, Arc::new(a));
    }

    fn int<T>(&mut self, name: &str, label: &str, rows: &[T], f: impl Fn(&T) -> Option<i64>) {
        let a: Int64Array = rows.iter().map(f).collect();
        self.push(name, label, None, ColumnType::Int64, Arc::new(a));
    }

    fn date<T>(&mut self, name: &str, label: &str, rows: &[T], f: impl Fn(&T) -> Option<String>) {
        let a: Date32Array = rows
            .iter()
            .map(|r| f(r).and_then(|d| dicom_date(&d)))
            .collect();
        self.push(name, label, None, ColumnType::Date32, Arc::new(a));
    }

    fn summaries(&self) -> Vec<ColumnSummary> {
        self.0
            .iter()
            .map(|(c, ty, a)| ColumnSummary {
                name: c.name.clone(),
                label: c.label.clone(),
                ty: *ty,
                non_null: a.len() - a.null_count(),
                derived: false,
                null_tokens: BTreeMap::new(),
            })
            .collect()
    }

    fn write(
        self,
        txn: &mut WriteTxn<'_>,
        source: &SourceFile,
        table: &str,
        kind: &str,
        subjects: Vec<String>,
        subject_label: &str,
    ) -> Result<StagedTable, IngestError> {
        let ids = subjects
            .iter()
            .map(|s| match txn.resolve_subject(s) {
                Ok(Some(id)) => Ok(id),
                Ok(None) => Ok(txn.register_subject(s)),
                Err(e) => Err(e),
            })
            .collect::<Result<Vec<u32>, _>>()?;
        let mut writer = txn.table(table, Level::Multi, kind)?;
        writer.set_source(source.clone());
        writer.subjects(ids, subject_label)?;
        for (column, ty, array) in &self.0 {
            writer.column(column.clone(), *ty, array)?;
        }
        Ok(writer.finish()?)
    }
}

/// `YYYYMMDD` (DICOM DA) as days since 1970-01-01.
fn dicom_date(d: &str) -> Option<i32> {
    let d = d.trim();
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        parse_date(&format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8]))
    } else {
        parse_date(d)
    }
}

/// Adds the image geometry and scanner columns (`slice_thickness` to `convolution_kernel`),
/// which `dicom_files` and `series` share: their rows have these fields under the same names.
macro_rules! image_columns {
    ($c:expr, $rows:expr) => {
        $c.float(
            "slice_thickness",
            "SliceThickness",
            Some("mm"),
            $rows,
            |r| r.slice_thickness,
        );
        $c.float(
            "spacing_between_slices",
            "SpacingBetweenSlices",
            Some("mm"),
            $rows,
            |r| r.spacing_between_slices,
        );
        $c.float(
            "pixel_spacing_row",
            "PixelSpacing[0]",
            Some("mm"),
            $rows,
            |r| r.pixel_spacing_row,
        );
        $c.float(
            "pixel_spacing_col",
            "PixelSpacing[1]",
            Some("mm"),
            $rows,
            |r| r.pixel_spacing_col,
        );
        $c.int("rows", "Rows", $rows, |r| r.rows);
        $c.int("columns", "Columns", $rows, |r| r.columns);
        $c.float("kvp", "KVP", Some("kV"), $rows, |r| r.kvp);
        $c.float("tube_current", "XRayTubeCurrent", Some("mA"), $rows, |r| {
            r.tube_current
        });
        $c.text("convolution_kernel", "ConvolutionKernel", $rows, |r| {
            r.convolution_kernel.clone()
        });
    };
}

/// Adds the PET columns (`radiopharmaceutical` to `acquisition_time`), which `dicom_files` and
/// `series` share as `image_columns!` does.
macro_rules! pet_columns {
    ($c:expr, $rows:expr) => {
        $c.text("radiopharmaceutical", "Radiopharmaceutical", $rows, |r| {
            r.radiopharmaceutical.clone()
        });
        $c.float(
            "injected_dose_mbq",
            "RadionuclideTotalDose",
            Some("MBq"),
            $rows,
            |r| r.injected_dose_mbq,
        );
        $c.text(
            "injection_time",
            "RadiopharmaceuticalStartTime",
            $rows,
            |r| r.injection_time.clone(),
        );
        $c.text("acquisition_time", "AcquisitionTime", $rows, |r| {
            r.acquisition_time.clone()
        });
    };
}

/// Writes `dicom_files`, one row per instance.
pub(super) fn write_files(
    txn: &mut WriteTxn<'_>,
    source: &SourceFile,
    all: &[Instance],
) -> Result<StagedTable, IngestError> {
    let mut c = Columns::new();
    c.text("sop_instance_uid", "SOPInstanceUID", all, |i| {
        Some(i.sop_instance_uid.clone())
    });
    c.text("sop_class_uid", "SOPClassUID", all, |i| {
        i.sop_class_uid.clone()
    });
    c.text("modality", "Modality", all, |i| i.modality.clone());
    c.text("study_uid", "StudyInstanceUID", all, |i| {
        i.study_uid.clone()
    });
    c.text("series_uid", "SeriesInstanceUID", all, |i| {
        i.series_uid.clone()
    });
    c.int("instance_number", "InstanceNumber", all, |i| {
        i.instance_number
    });
    c.text("path", "file path", all, |i| Some(i.path.clone()));
    c.text("study_date", "StudyDate", all, |i| i.study_date.clone());
    c.text("series_description", "SeriesDescription", all, |i| {
        i.series_description.clone()
    });
    c.text("manufacturer", "Manufacturer", all, |i| {
        i.manufacturer.clone()
    });
    c.text("model", "ManufacturerModelName", all, |i| i.model.clone());
    image_columns!(c, all);
    pet_columns!(c, all);
    let subjects = all
        .iter()
        .map(|i| i.patient_id.clone().unwrap_or_default())
        .collect();
    c.write(txn, source, FILES_TABLE, "dicom", subjects, "PatientID")
}

/// Writes `series`; returns the staged table and its column summaries.
pub(super) fn write_series(
    txn: &mut WriteTxn<'_>,
    source: &SourceFile,
    rows: &[SeriesRow],
) -> Result<(StagedTable, Vec<ColumnSummary>), IngestError> {
    let mut c = Columns::new();
    c.text("study_uid", "StudyInstanceUID", rows, |r| {
        r.study_uid.clone()
    });
    c.text("series_uid", "SeriesInstanceUID", rows, |r| {
        Some(r.series_uid.clone())
    });
    c.text("modality", "Modality", rows, |r| r.modality.clone());
    c.date("study_date", "StudyDate", rows, |r| r.study_date.clone());
    c.text("series_description", "SeriesDescription", rows, |r| {
        r.series_description.clone()
    });
    c.text("manufacturer", "Manufacturer", rows, |r| {
        r.manufacturer.clone()
    });
    c.text("model", "ManufacturerModelName", rows, |r| r.model.clone());
    image_columns!(c, rows);
    c.int("instances", "number of instances", rows, |r| r.instances);
    pet_columns!(c, rows);
    c.float(
        "uptake_minutes",
        "acquisition − injection time",
        Some("min"),
        rows,
        |r| r.uptake_minutes,
    );
    c.text("source_doi", "source_DOI", rows, |r| r.source_doi.clone());
    c.text("collection_id", "collection_id", rows, |r| {
        r.collection_id.clone()
    });
    c.int("idc_version", "idc_version", rows, |r| r.idc_version);
    c.text("source", "where the row comes from", rows, |r| {
        Some(r.source.clone())
    });
    let subjects = rows.iter().map(|r| r.subject.clone()).collect();
    let summaries = c.summaries();
    Ok((
        c.write(txn, source, SERIES_TABLE, "series", subjects, "PatientID")?,
        summaries,
    ))
}

/// Writes `segmentations`, one row per segment (with its subject).
pub(super) fn write_segments(
    txn: &mut WriteTxn<'_>,
    source: &SourceFile,
    rows: &[(String, Segment)],
) -> Result<StagedTable, IngestError> {
    let mut c = Columns::new();
    segment_descriptions(&mut c, rows);
    segment_measures(&mut c, rows);
    let subjects = rows.iter().map(|(s, _)| s.clone()).collect();
    c.write(
        txn,
        source,
        SEGMENTS_TABLE,
        "segmentation",
        subjects,
        "PatientID",
    )
}

/// Adds what each segment is: its SEG, number, label, algorithm, property codes and the
/// series it segments.
fn segment_descriptions(c: &mut Columns, rows: &[(String, Segment)]) {
    c.text(
        "sop_instance_uid",
        "SOPInstanceUID of the SEG",
        rows,
        |(_, s)| Some(s.sop_instance_uid.clone()),
    );
    c.text("segmentation_type", "SegmentationType", rows, |(_, s)| {
        Some(s.segmentation_type.clone())
    });
    c.int("segment_number", "SegmentNumber", rows, |(_, s)| {
        Some(s.number)
    });
    c.text("segment_label", "SegmentLabel", rows, |(_, s)| {
        s.label.clone()
    });
    c.text("algorithm_type", "SegmentAlgorithmType", rows, |(_, s)| {
        s.algorithm_type.clone()
    });
    c.text("algorithm_name", "SegmentAlgorithmName", rows, |(_, s)| {
        s.algorithm_name.clone()
    });
    c.text(
        "category_code",
        "SegmentedPropertyCategoryCode",
        rows,
        |(_, s)| s.category_code.clone(),
    );
    c.text("category", "SegmentedPropertyCategory", rows, |(_, s)| {
        s.category.clone()
    });
    c.text("type_code", "SegmentedPropertyTypeCode", rows, |(_, s)| {
        s.type_code.clone()
    });
    c.text("type", "SegmentedPropertyType", rows, |(_, s)| {
        s.type_meaning.clone()
    });
    c.text(
        "referenced_series_uid",
        "ReferencedSeriesSequence/SeriesInstanceUID",
        rows,
        |(_, s)| s.referenced_series_uid.clone(),
    );
}

/// Adds what each segment's frames hold: frames, voxels, volumes and the bounding box.
fn segment_measures(c: &mut Columns, rows: &[(String, Segment)]) {
    c.int("frames", "frames of this segment", rows, |(_, s)| {
        Some(s.frames)
    });
    c.int("voxels", "voxels in the segment", rows, |(_, s)| {
        Some(s.voxels)
    });
    c.float(
        "voxel_volume_mm3",
        "PixelSpacing × SliceThickness",
        Some("mm3"),
        rows,
        |(_, s)| s.voxel_volume_mm3,
    );
    c.float(
        "volume_mm3",
        "voxels × voxel volume",
        Some("mm3"),
        rows,
        |(_, s)| s.volume_mm3,
    );
    let bbox = |axis: usize, max: bool| {
        move |(_, s): &(String, Segment)| s.bbox.map(|b| if max { b[axis].1 } else { b[axis].0 })
    };
    c.int("bbox_row_min", "bounding box", rows, bbox(0, false));
    c.int("bbox_row_max", "bounding box", rows, bbox(0, true));
    c.int("bbox_col_min", "bounding box", rows, bbox(1, false));
    c.int("bbox_col_max", "bounding box", rows, bbox(1, true));
    c.int("bbox_frame_min", "bounding box", rows, bbox(2, false));
    c.int("bbox_frame_max", "bounding box", rows, bbox(2, true));
}
