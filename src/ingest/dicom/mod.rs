//! DICOM: a directory of files indexed by their headers into `dicom_files` (one row per SOP
//! instance, with its path), `series` (one row per series) and `segmentations` (one row per
//! segment of each DICOM SEG); and the IDC series manifest into the same `series` table.
//!
//! Imports merge: a new DICOM import adds its instances to those already indexed (the same
//! SOP instance UID is kept once, the newest read wins), and `series` is rebuilt from all
//! instances plus the manifest rows of series that no header describes. Importing the same
//! files twice therefore changes nothing but the version.

pub mod header;
pub mod seg;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{Float64Type, Int64Type};

use self::header::{Instance, Read, SEG_SOP_CLASS, uptake_minutes};
use self::seg::Segment;
use super::IngestError;
use super::infer::parse_date;
use super::source::{SourceText, combined_source, files_under};
use super::summary::{ColumnSummary, ImportSummary};
use crate::error::Error;
use crate::storage::{
    Action, ColumnType, Level, NewColumn, Snapshot, SourceFile, StagedTable, Store, TableMeta,
    WriteTxn,
};

/// The tables the DICOM importers write.
pub const FILES_TABLE: &str = "dicom_files";
pub const SERIES_TABLE: &str = "series";
pub const SEGMENTS_TABLE: &str = "segmentations";

/// How to import a DICOM directory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DicomImport {
    /// Import the readable files and list the others, instead of failing whole.
    pub skip_bad: bool,
}

/// One row of `series`.
#[derive(Debug, Clone, PartialEq, Default)]
struct SeriesRow {
    subject: String,
    study_uid: Option<String>,
    series_uid: String,
    modality: Option<String>,
    study_date: Option<String>,
    series_description: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    slice_thickness: Option<f64>,
    spacing_between_slices: Option<f64>,
    pixel_spacing_row: Option<f64>,
    pixel_spacing_col: Option<f64>,
    rows: Option<i64>,
    columns: Option<i64>,
    kvp: Option<f64>,
    tube_current: Option<f64>,
    convolution_kernel: Option<String>,
    instances: Option<i64>,
    radiopharmaceutical: Option<String>,
    injected_dose_mbq: Option<f64>,
    injection_time: Option<String>,
    acquisition_time: Option<String>,
    uptake_minutes: Option<f64>,
    source_doi: Option<String>,
    collection_id: Option<String>,
    idc_version: Option<i64>,
    /// `dicom`, `idc manifest`, or both.
    source: String,
}

/// Imports every DICOM file under `path` (any name; files without a DICOM marker are skipped
/// and counted), merging with what is already indexed.
pub fn import_dicom(
    store: &Store,
    path: &Path,
    options: &DicomImport,
    statement: Option<String>,
) -> Result<ImportSummary, Error> {
    let shown = path.display().to_string();
    let files = all_files(path)?;
    let mut instances = Vec::new();
    let mut segments: Vec<(String, Segment)> = Vec::new();
    let mut not_dicom = 0usize;
    let mut bad: Vec<(String, IngestError)> = Vec::new();
    let mut sources = Vec::new();
    for file in &files {
        match read_one(file) {
            Ok(None) => not_dicom += 1,
            Ok(Some((instance, segs))) => {
                let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
                sources.push((size, instance.sop_instance_uid.clone()));
                let subject = instance.patient_id.clone().unwrap_or_default();
                segments.extend(segs.into_iter().map(|s| (subject.clone(), s)));
                instances.push(*instance);
            }
            Err(e) => bad.push((file.display().to_string(), e)),
        }
    }
    if !bad.is_empty() && !options.skip_bad {
        if bad.len() == 1 {
            return Err(bad.remove(0).1.into());
        }
        return Err(IngestError::BadDicomFiles {
            path: shown,
            bad: bad.len(),
            total: files.len(),
            first: bad[0].1.to_string(),
        }
        .into());
    }
    if instances.is_empty() {
        return Err(IngestError::NoDicom {
            path: shown,
            files: files.len(),
        }
        .into());
    }
    if let Some(i) = instances.iter().find(|i| i.patient_id.is_none()) {
        return Err(IngestError::BadDicom {
            file: i.path.clone(),
            message: "no PatientID: the subject is unknown".into(),
        }
        .into());
    }
    // Provenance: the files, named by their SOP instance UIDs (a re-import of the same
    // instances has the same hash).
    let source = combined_source(
        &shown,
        sources
            .into_iter()
            .map(|(size, uid)| (size, super::source::sha256_hex(uid.as_bytes()))),
    );
    let read = instances.len();
    let segment_count = segments.len();

    let mut txn = store.begin();
    let base = txn.base().clone();
    // Merge with what is indexed already.
    let mut by_uid: BTreeMap<String, Instance> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    if let Some(meta) = base.find_table(FILES_TABLE)? {
        for old in read_instances(&base, &meta)? {
            order.push(old.sop_instance_uid.clone());
            by_uid.insert(old.sop_instance_uid.clone(), old);
        }
    }
    let before = by_uid.len();
    for i in instances {
        if !by_uid.contains_key(&i.sop_instance_uid) {
            order.push(i.sop_instance_uid.clone());
        }
        by_uid.insert(i.sop_instance_uid.clone(), i);
    }
    let added = by_uid.len() - before;
    let all: Vec<Instance> = order.iter().filter_map(|u| by_uid.remove(u)).collect();
    let mut all_segments: Vec<(String, Segment)> = Vec::new();
    if let Some(meta) = base.find_table(SEGMENTS_TABLE)? {
        all_segments = read_segments(&base, &meta)?;
    }
    for (subject, s) in segments {
        all_segments
            .retain(|(_, o)| !(o.sop_instance_uid == s.sop_instance_uid && o.number == s.number));
        all_segments.push((subject, s));
    }
    let manifest = match base.find_table(SERIES_TABLE)? {
        Some(meta) if meta.kind == "series" => read_manifest_rows(&base, &meta)?,
        _ => Vec::new(),
    };
    let series = build_series(&all, manifest);

    let mut staged = vec![write_files(&mut txn, &source, &all)?];
    let (series_table, columns) = write_series(&mut txn, &source, &series)?;
    staged.push(series_table);
    if !all_segments.is_empty() {
        staged.push(write_segments(&mut txn, &source, &all_segments)?);
    }
    let names: Vec<String> = staged.iter().map(|s| s.meta().name.clone()).collect();
    let new_subjects = txn.new_subject_count();
    for s in staged {
        txn.stage(s);
    }
    let record = txn.commit(
        Action::Import {
            importer: "dicom".into(),
            tables: names,
            source: Some(source.clone()),
        },
        statement,
    )?;
    let mut notes = vec![format!(
        "{read} DICOM files read ({added} new instances), {} series, {segment_count} segments; {not_dicom} files were not DICOM and were skipped",
        series.len()
    )];
    notes.extend(bad.iter().map(|(f, e)| format!("skipped {f}: {e}")));
    Ok(ImportSummary {
        table: SERIES_TABLE.into(),
        kind: "dicom".into(),
        version: record.version,
        rows: series.len() as u64,
        new_subjects,
        replaced: before > 0,
        source,
        columns,
        genes: 0,
        notes,
    })
}

/// Every file under `path` (or `path` itself), whatever its name: DICOM files often have
/// no extension.
fn all_files(path: &Path) -> Result<Vec<PathBuf>, IngestError> {
    files_under(path, &[])
}

type ReadOne = Option<(Box<Instance>, Vec<Segment>)>;

fn read_one(file: &Path) -> Result<ReadOne, IngestError> {
    match header::read(file)? {
        Read::NotDicom => Ok(None),
        Read::Instance(instance) => {
            let segs = if instance.sop_class_uid.as_deref() == Some(SEG_SOP_CLASS) {
                seg::segments(file)?
            } else {
                Vec::new()
            };
            Ok(Some((instance, segs)))
        }
    }
}

/// One row per series, in first-seen order, from the instances; then the manifest rows of
/// series no instance belongs to. A series in both keeps the manifest's DOI and version.
fn build_series(instances: &[Instance], manifest: Vec<SeriesRow>) -> Vec<SeriesRow> {
    let mut rows: Vec<SeriesRow> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for i in instances {
        let uid = i
            .series_uid
            .clone()
            .unwrap_or_else(|| i.sop_instance_uid.clone());
        let slot = *at.entry(uid.clone()).or_insert_with(|| {
            rows.push(SeriesRow {
                subject: i.patient_id.clone().unwrap_or_default(),
                series_uid: uid,
                instances: Some(0),
                source: "dicom".into(),
                ..SeriesRow::default()
            });
            rows.len() - 1
        });
        let r = &mut rows[slot];
        r.instances = Some(r.instances.unwrap_or(0) + 1);
        macro_rules! first {
            ($($f:ident),*) => { $( if r.$f.is_none() { r.$f = i.$f.clone(); } )* };
        }
        first!(
            study_uid,
            modality,
            study_date,
            series_description,
            manufacturer,
            model,
            slice_thickness,
            spacing_between_slices,
            pixel_spacing_row,
            pixel_spacing_col,
            rows,
            columns,
            kvp,
            tube_current,
            convolution_kernel,
            radiopharmaceutical,
            injected_dose_mbq,
            injection_time,
            acquisition_time
        );
    }
    for r in &mut rows {
        if let (Some(inj), Some(acq)) = (&r.injection_time, &r.acquisition_time) {
            r.uptake_minutes = uptake_minutes(inj, acq);
        }
    }
    for m in manifest {
        match at.get(&m.series_uid) {
            Some(slot) => {
                let r = &mut rows[*slot];
                r.source_doi = m.source_doi;
                r.collection_id = m.collection_id;
                r.idc_version = m.idc_version;
                r.source = "dicom, idc manifest".into();
            }
            None => {
                at.insert(m.series_uid.clone(), rows.len());
                rows.push(m);
            }
        }
    }
    rows
}

/// Imports the IDC series manifest (`PatientID, StudyInstanceUID, SeriesInstanceUID,
/// source_DOI, idc_version`, other columns ignored) into `series`, merged with the series of
/// indexed DICOM files.
pub fn import_series_manifest(
    store: &Store,
    path: &Path,
    statement: Option<String>,
) -> Result<ImportSummary, Error> {
    let source = SourceText::read(path)?;
    let sheet = super::delimited::Sheet::parse(&source, None)?;
    let find = |name: &str| {
        sheet
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    };
    let need = |name: &str| {
        find(name).ok_or_else(|| IngestError::MissingSubjectColumn {
            file: source.file.clone(),
            wanted: vec![name.to_string()],
            header: sheet.header.clone(),
            candidates: crate::storage::closest(
                &name.to_lowercase(),
                sheet.header.iter().map(String::as_str),
            ),
        })
    };
    let (patient, study, series_at) = (
        need("PatientID")?,
        need("StudyInstanceUID")?,
        need("SeriesInstanceUID")?,
    );
    let (doi, version, collection) = (
        find("source_DOI"),
        find("idc_version"),
        find("collection_id"),
    );
    let cell = |row: &super::delimited::Row, i: Option<usize>| {
        i.map(|i| row.cells[i].trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut manifest = Vec::new();
    for row in &sheet.rows {
        let subject = row.cells[patient].trim().to_string();
        if subject.is_empty() {
            return Err(IngestError::EmptySubject {
                file: source.file.clone(),
                line: row.line,
                column: sheet.header[patient].clone(),
            }
            .into());
        }
        manifest.push(SeriesRow {
            subject,
            study_uid: cell(row, Some(study)),
            series_uid: cell(row, Some(series_at)).unwrap_or_default(),
            source_doi: cell(row, doi),
            collection_id: cell(row, collection),
            idc_version: cell(row, version).and_then(|v| v.parse().ok()),
            source: "idc manifest".into(),
            ..SeriesRow::default()
        });
    }
    let mut txn = store.begin();
    let base = txn.base().clone();
    let existing = base.find_table(SERIES_TABLE)?;
    let instances = match base.find_table(FILES_TABLE)? {
        Some(meta) => read_instances(&base, &meta)?,
        None => Vec::new(),
    };
    let series = build_series(&instances, manifest);
    let (staged, columns) = write_series(&mut txn, &source.provenance, &series)?;
    let new_subjects = txn.new_subject_count();
    txn.stage(staged);
    let record = txn.commit(
        Action::Import {
            importer: "series".into(),
            tables: vec![SERIES_TABLE.into()],
            source: Some(source.provenance.clone()),
        },
        statement,
    )?;
    Ok(ImportSummary {
        table: SERIES_TABLE.into(),
        kind: "series".into(),
        version: record.version,
        rows: series.len() as u64,
        new_subjects,
        replaced: existing.is_some(),
        source: source.provenance,
        columns,
        genes: 0,
        notes: vec![format!(
            "{} manifest rows; {} series in all ({} described by DICOM headers)",
            sheet.rows.len(),
            series.len(),
            series
                .iter()
                .filter(|s| s.source.starts_with("dicom"))
                .count()
        )],
    })
}

// ---- writing ----

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
    ) -> Result<StagedTable, Error> {
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

fn write_files(
    txn: &mut WriteTxn<'_>,
    source: &SourceFile,
    all: &[Instance],
) -> Result<StagedTable, Error> {
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
    c.float("slice_thickness", "SliceThickness", Some("mm"), all, |i| {
        i.slice_thickness
    });
    c.float(
        "spacing_between_slices",
        "SpacingBetweenSlices",
        Some("mm"),
        all,
        |i| i.spacing_between_slices,
    );
    c.float(
        "pixel_spacing_row",
        "PixelSpacing[0]",
        Some("mm"),
        all,
        |i| i.pixel_spacing_row,
    );
    c.float(
        "pixel_spacing_col",
        "PixelSpacing[1]",
        Some("mm"),
        all,
        |i| i.pixel_spacing_col,
    );
    c.int("rows", "Rows", all, |i| i.rows);
    c.int("columns", "Columns", all, |i| i.columns);
    c.float("kvp", "KVP", Some("kV"), all, |i| i.kvp);
    c.float("tube_current", "XRayTubeCurrent", Some("mA"), all, |i| {
        i.tube_current
    });
    c.text("convolution_kernel", "ConvolutionKernel", all, |i| {
        i.convolution_kernel.clone()
    });
    c.text("radiopharmaceutical", "Radiopharmaceutical", all, |i| {
        i.radiopharmaceutical.clone()
    });
    c.float(
        "injected_dose_mbq",
        "RadionuclideTotalDose",
        Some("MBq"),
        all,
        |i| i.injected_dose_mbq,
    );
    c.text("injection_time", "RadiopharmaceuticalStartTime", all, |i| {
        i.injection_time.clone()
    });
    c.text("acquisition_time", "AcquisitionTime", all, |i| {
        i.acquisition_time.clone()
    });
    let subjects = all
        .iter()
        .map(|i| i.patient_id.clone().unwrap_or_default())
        .collect();
    c.write(txn, source, FILES_TABLE, "dicom", subjects, "PatientID")
}

/// Writes `series`; returns the staged table and its column summaries.
fn write_series(
    txn: &mut WriteTxn<'_>,
    source: &SourceFile,
    rows: &[SeriesRow],
) -> Result<(StagedTable, Vec<ColumnSummary>), Error> {
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
    c.float("slice_thickness", "SliceThickness", Some("mm"), rows, |r| {
        r.slice_thickness
    });
    c.float(
        "spacing_between_slices",
        "SpacingBetweenSlices",
        Some("mm"),
        rows,
        |r| r.spacing_between_slices,
    );
    c.float(
        "pixel_spacing_row",
        "PixelSpacing[0]",
        Some("mm"),
        rows,
        |r| r.pixel_spacing_row,
    );
    c.float(
        "pixel_spacing_col",
        "PixelSpacing[1]",
        Some("mm"),
        rows,
        |r| r.pixel_spacing_col,
    );
    c.int("rows", "Rows", rows, |r| r.rows);
    c.int("columns", "Columns", rows, |r| r.columns);
    c.float("kvp", "KVP", Some("kV"), rows, |r| r.kvp);
    c.float("tube_current", "XRayTubeCurrent", Some("mA"), rows, |r| {
        r.tube_current
    });
    c.text("convolution_kernel", "ConvolutionKernel", rows, |r| {
        r.convolution_kernel.clone()
    });
    c.int("instances", "number of instances", rows, |r| r.instances);
    c.text("radiopharmaceutical", "Radiopharmaceutical", rows, |r| {
        r.radiopharmaceutical.clone()
    });
    c.float(
        "injected_dose_mbq",
        "RadionuclideTotalDose",
        Some("MBq"),
        rows,
        |r| r.injected_dose_mbq,
    );
    c.text(
        "injection_time",
        "RadiopharmaceuticalStartTime",
        rows,
        |r| r.injection_time.clone(),
    );
    c.text("acquisition_time", "AcquisitionTime", rows, |r| {
        r.acquisition_time.clone()
    });
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

fn write_segments(
    txn: &mut WriteTxn<'_>,
    source: &SourceFile,
    rows: &[(String, Segment)],
) -> Result<StagedTable, Error> {
    let mut c = Columns::new();
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

// ---- reading back what is indexed ----

struct Back {
    columns: HashMap<String, ArrayRef>,
    rows: usize,
}

impl Back {
    fn read(base: &Snapshot, meta: &TableMeta, names: &[&str]) -> Result<Back, Error> {
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

fn read_instances(base: &Snapshot, meta: &TableMeta) -> Result<Vec<Instance>, Error> {
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
fn read_manifest_rows(base: &Snapshot, meta: &TableMeta) -> Result<Vec<SeriesRow>, Error> {
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

fn read_segments(base: &Snapshot, meta: &TableMeta) -> Result<Vec<(String, Segment)>, Error> {
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
