//! DICOM: a directory of files indexed by their headers into `dicom_files` (one row per SOP
//! instance, with its path), `series` (one row per series) and `segmentations` (one row per
//! segment of each DICOM SEG); and the IDC series manifest into the same `series` table.
//!
//! Imports merge: a new DICOM import adds its instances to those already indexed (the same
//! SOP instance UID is kept once, the newest read wins), and `series` is rebuilt from all
//! instances plus the manifest rows of series that no header describes. Importing the same
//! files twice therefore changes nothing but the version.

pub mod header;
pub mod pixel;
mod radiomics;
mod read_back;
pub mod seg;
pub mod volume;
mod write;

pub use radiomics::import_dicom_radiomics;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use self::header::{Instance, Read, SEG_SOP_CLASS, uptake_minutes};
use self::read_back::{read_instances, read_manifest_rows, read_segments};
use self::seg::Segment;
use self::write::{write_files, write_segments, write_series};
use super::IngestError;
use super::pipeline::{self, Format, Written};
use super::source::{SourceText, combined_source};
use super::subjects::check_subject_id;
use super::summary::ImportSummary;
use super::walk::files_under;
use crate::storage::{SourceFile, Store, WriteTxn};

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
pub(super) struct SeriesRow {
    pub(super) subject: String,
    pub(super) study_uid: Option<String>,
    pub(super) series_uid: String,
    pub(super) modality: Option<String>,
    pub(super) study_date: Option<String>,
    pub(super) series_description: Option<String>,
    pub(super) manufacturer: Option<String>,
    pub(super) model: Option<String>,
    pub(super) slice_thickness: Option<f64>,
    pub(super) spacing_between_slices: Option<f64>,
    pub(super) pixel_spacing_row: Option<f64>,
    pub(super) pixel_spacing_col: Option<f64>,
    pub(super) rows: Option<i64>,
    pub(super) columns: Option<i64>,
    pub(super) kvp: Option<f64>,
    pub(super) tube_current: Option<f64>,
    pub(super) convolution_kernel: Option<String>,
    pub(super) instances: Option<i64>,
    pub(super) radiopharmaceutical: Option<String>,
    pub(super) injected_dose_mbq: Option<f64>,
    pub(super) injection_time: Option<String>,
    pub(super) acquisition_time: Option<String>,
    pub(super) uptake_minutes: Option<f64>,
    pub(super) source_doi: Option<String>,
    pub(super) collection_id: Option<String>,
    pub(super) idc_version: Option<i64>,
    /// `dicom`, `idc manifest`, or both.
    pub(super) source: String,
}

/// Imports every DICOM file under `path` (any name; files without a DICOM marker are skipped
/// and counted), merging with what is already indexed.
pub fn import_dicom(
    store: &Store,
    path: &Path,
    options: &DicomImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &DicomFormat { path, options }, statement)
}

/// `IMPORT DICOM`: a folder of DICOM files, indexed (`dicom_files`, `series`,
/// `segmentations`) and merged with what is indexed already.
struct DicomFormat<'a> {
    path: &'a Path,
    options: &'a DicomImport,
}

/// What `DicomFormat::check` read: the instances and segments, the provenance of the files,
/// how many files were read and were not DICOM, and the notes on what was skipped.
struct Checked {
    instances: Vec<Instance>,
    segments: Vec<(String, Segment)>,
    source: SourceFile,
    read: usize,
    not_dicom: usize,
    skipped: Vec<String>,
}

impl Format for DicomFormat<'_> {
    type Checked = Checked;

    fn check(&self, _store: &Store) -> Result<Checked, IngestError> {
        let (path, options) = (self.path, self.options);
        let shown = path.display().to_string();
        // Every file, whatever its name: DICOM files often have no extension.
        let walk = files_under(path, &[])?;
        let files = walk.files;
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
                return Err(bad.remove(0).1);
            }
            return Err(IngestError::BadDicomFiles {
                path: shown,
                bad: bad.len(),
                total: files.len(),
                first: bad[0].1.to_string(),
            });
        }
        if instances.is_empty() {
            return Err(IngestError::NoDicom {
                path: shown,
                files: files.len(),
            });
        }
        for i in &instances {
            check_subject_id(i.patient_id.as_deref().unwrap_or(""), || i.path.clone())?;
        }
        if let Some(i) = instances.iter().find(|i| i.patient_id.is_none()) {
            return Err(IngestError::BadDicom {
                file: i.path.clone(),
                message: "no PatientID: the subject is unknown".into(),
            });
        }
        // Provenance: the files, named by their SOP instance UIDs (a re-import of the same
        // instances has the same hash).
        let source = combined_source(
            &shown,
            sources
                .into_iter()
                .map(|(size, uid)| (size, super::source::sha256_hex(uid.as_bytes()))),
        );
        let mut skipped = walk.skipped;
        skipped.extend(bad.iter().map(|(f, e)| format!("skipped {f}: {e}")));
        Ok(Checked {
            read: instances.len(),
            instances,
            segments,
            source,
            not_dicom,
            skipped,
        })
    }

    fn write(&self, checked: Checked, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
        write_index(checked, txn)
    }
}

/// Merges the checked instances and segments with what is indexed, and writes the three
/// tables.
fn write_index(checked: Checked, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
    let Checked {
        instances,
        segments,
        source,
        read,
        not_dicom,
        skipped,
    } = checked;
    let segment_count = segments.len();
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

    let mut staged = vec![write_files(txn, &source, &all)?];
    let (series_table, columns) = write_series(txn, &source, &series)?;
    staged.push(series_table);
    if !all_segments.is_empty() {
        staged.push(write_segments(txn, &source, &all_segments)?);
    }
    let mut notes = vec![format!(
        "{read} DICOM files read ({added} new instances), {} series, {segment_count} segments; {not_dicom} files were not DICOM and were skipped",
        series.len()
    )];
    notes.extend(skipped);
    Ok(Written {
        importer: "dicom".into(),
        tables: staged,
        summary: ImportSummary {
            table: SERIES_TABLE.into(),
            kind: "dicom".into(),
            version: 0,
            rows: series.len() as u64,
            new_subjects: 0,
            replaced: before > 0,
            source,
            columns,
            genes: 0,
            notes,
        },
    })
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

/// The columns every IDC series manifest has (named in `IngestError::ManifestColumns`).
const MANIFEST_COLUMNS: [&str; 3] = ["PatientID", "StudyInstanceUID", "SeriesInstanceUID"];

/// Where the manifest's required columns are (any case), or every one that is missing.
fn required_columns(file: &str, header: &[String]) -> Result<[usize; 3], IngestError> {
    let at = MANIFEST_COLUMNS.map(|name| header.iter().position(|h| h.eq_ignore_ascii_case(name)));
    if let [Some(patient), Some(study), Some(series)] = at {
        return Ok([patient, study, series]);
    }
    let missing: Vec<String> = MANIFEST_COLUMNS
        .iter()
        .zip(at)
        .filter(|(_, at)| at.is_none())
        .map(|(name, _)| name.to_string())
        .collect();
    // Near misses among the cells that are not a required column already.
    let unused: Vec<&str> = (0..header.len())
        .filter(|i| !at.contains(&Some(*i)))
        .map(|i| header[i].as_str())
        .collect();
    let mut candidates = Vec::new();
    for name in &missing {
        for near in crate::storage::closest(&name.to_lowercase(), unused.iter().copied()) {
            if !candidates.contains(&near) {
                candidates.push(near);
            }
        }
    }
    Err(IngestError::ManifestColumns {
        file: file.to_string(),
        missing,
        header: header.to_vec(),
        candidates,
    })
}

/// Imports the IDC series manifest (`PatientID, StudyInstanceUID, SeriesInstanceUID,
/// source_DOI, idc_version`, other columns ignored) into `series`, merged with the series of
/// indexed DICOM files.
pub fn import_series_manifest(
    store: &Store,
    path: &Path,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &ManifestFormat { path }, statement)
}

/// `IMPORT SERIES`: an IDC manifest (a CSV of series), merged into `series` with what the
/// DICOM headers say.
struct ManifestFormat<'a> {
    path: &'a Path,
}

impl Format for ManifestFormat<'_> {
    /// The file, its manifest rows, and how many rows it has.
    type Checked = (SourceText, Vec<SeriesRow>, usize);

    fn check(&self, store: &Store) -> Result<Self::Checked, IngestError> {
        let path = self.path;
        let source = SourceText::read(path, store.config().max_line_bytes)?;
        let sheet = super::delimited::Sheet::parse(&source, None)?;
        let find = |name: &str| {
            sheet
                .header
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
        };
        let [patient, study, series_at] = required_columns(&source.file, &sheet.header)?;
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
                });
            }
            check_subject_id(&subject, || format!("{}:{}", source.file, row.line))?;
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
        Ok((source, manifest, sheet.rows.len()))
    }

    fn write(
        &self,
        (source, manifest, rows): Self::Checked,
        txn: &mut WriteTxn<'_>,
    ) -> Result<Written, IngestError> {
        let base = txn.base().clone();
        let existing = base.find_table(SERIES_TABLE)?;
        let instances = match base.find_table(FILES_TABLE)? {
            Some(meta) => read_instances(&base, &meta)?,
            None => Vec::new(),
        };
        let series = build_series(&instances, manifest);
        let (staged, columns) = write_series(txn, &source.provenance, &series)?;
        let from_headers = series
            .iter()
            .filter(|s| s.source.starts_with("dicom"))
            .count();
        Ok(Written {
            importer: "series".into(),
            tables: vec![staged],
            summary: ImportSummary {
                table: SERIES_TABLE.into(),
                kind: "series".into(),
                version: 0,
                rows: series.len() as u64,
                new_subjects: 0,
                replaced: existing.is_some(),
                source: source.provenance,
                columns,
                genes: 0,
                notes: vec![format!(
                    "{rows} manifest rows; {} series in all ({from_headers} described by DICOM headers)",
                    series.len(),
                )],
            },
        })
    }
}
