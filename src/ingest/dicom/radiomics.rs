//! `IMPORT RADIOMICS FROM DICOM 'dir'`: the features of every segment of every DICOM SEG
//! under `dir`, over the CT series it references (read from the same folder), one row per
//! segment (lesion level), keyed to `segmentations` and `series` by the SEG's SOP instance
//! UID, the segment number and the two series UIDs.

use std::path::{Path, PathBuf};

use super::header::{self, Instance, Read, SEG_SOP_CLASS};
use super::seg::{self, Segment};
use super::volume::{Series, read_series_for, segment_mask};
use crate::ingest::IngestError;
use crate::ingest::pipeline::{self, Format, Written};
use crate::ingest::radiomics::native::{
    Computedset, NativeImport, Row, finish, params_of, radiomics, write,
};
use crate::ingest::summary::ImportSummary;
use crate::ingest::walk::files_under;
use crate::radiomics::batch::{Computed, sha256};
use crate::radiomics::{Params, extract_all};
use crate::storage::{Store, WriteTxn};

/// `IMPORT RADIOMICS FROM DICOM 'dir'`.
pub fn import_dicom_radiomics(
    store: &Store,
    path: &Path,
    options: &NativeImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &Segments { path, options }, statement)
}

struct Segments<'a> {
    path: &'a Path,
    options: &'a NativeImport,
}

/// One segment to compute: its SEG, the segment, the subject and the CT slices.
struct Lesion {
    seg: PathBuf,
    /// The SEG's own SeriesInstanceUID.
    seg_series: String,
    segment: Segment,
    subject: String,
    slices: Vec<PathBuf>,
}

impl Format for Segments<'_> {
    type Checked = Computedset;

    fn check(&self, _store: &Store) -> Result<Computedset, IngestError> {
        let params = params_of(self.options)?;
        let (instances, segs, mut skipped) = read_folder(self.path, self.options.skip_bad)?;
        let mut lesions = Vec::new();
        for (seg, seg_series, subject, segment) in segs {
            let series = segment.referenced_series_uid.clone().unwrap_or_default();
            let slices: Vec<PathBuf> = instances
                .iter()
                .filter(|i| {
                    i.series_uid.as_deref() == Some(series.as_str())
                        && i.sop_class_uid.as_deref() != Some(SEG_SOP_CLASS)
                })
                .map(|i| PathBuf::from(&i.path))
                .collect();
            if slices.is_empty() {
                let error = IngestError::BadDicom {
                    file: seg.display().to_string(),
                    message: format!(
                        "segment {} references the CT series {series}, which is not under {}; import the folder that holds it",
                        segment.number,
                        self.path.display()
                    ),
                };
                if !self.options.skip_bad {
                    return Err(error);
                }
                skipped.push(format!("skipped {error}"));
                continue;
            }
            lesions.push(Lesion {
                seg,
                seg_series,
                segment,
                subject,
                slices,
            });
        }
        let results = compute_lesions(&lesions, &params)?;
        let mut rows = Vec::new();
        let mut inputs = Vec::new();
        let mut listed = std::collections::HashSet::new();
        if let Some(p) = &self.options.params {
            inputs.push((
                p.display().to_string(),
                sha256(p).map_err(|e| radiomics(p, e))?,
            ));
        }
        for (lesion, result) in lesions.into_iter().zip(results) {
            let place = format!("{} segment {}", lesion.seg.display(), lesion.segment.number);
            match result {
                Ok((computed, note)) => {
                    for f in std::iter::once(&lesion.seg).chain(&lesion.slices) {
                        let name = f.display().to_string();
                        if listed.insert(name.clone()) {
                            inputs.push((name, sha256(f).map_err(|e| radiomics(f, e))?));
                        }
                    }
                    if let Some(note) = note {
                        skipped.push(format!("{place}: {note}"));
                    }
                    rows.push(row_of(&lesion, place, computed));
                }
                Err(e) if self.options.skip_bad => {
                    skipped.push(format!("skipped {place}: error[{}] {e}", e.code()))
                }
                Err(e) => return Err(e),
            }
        }
        finish(self.path, rows, skipped, params, inputs)
    }

    fn write(&self, checked: Computedset, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
        write(txn, &self.options.table, checked)
    }
}

/// Every DICOM file under `dir`: the instances, the SEG segments (with their file and
/// subject), and the files skipped (`SKIP BAD`) or refused.
#[allow(clippy::type_complexity)]
fn read_folder(
    dir: &Path,
    skip_bad: bool,
) -> Result<
    (
        Vec<Instance>,
        Vec<(PathBuf, String, String, Segment)>,
        Vec<String>,
    ),
    IngestError,
> {
    let walk = files_under(dir, &[])?;
    let mut instances = Vec::new();
    let mut segments = Vec::new();
    let mut skipped = walk.skipped;
    for file in &walk.files {
        let read = header::read(file).and_then(|r| match r {
            Read::NotDicom => Ok(None),
            Read::Instance(i) if i.sop_class_uid.as_deref() == Some(SEG_SOP_CLASS) => {
                let segs = seg::segments(file)?;
                Ok(Some((*i, segs)))
            }
            Read::Instance(i) => Ok(Some((*i, Vec::new()))),
        });
        match read {
            Ok(None) => {}
            Ok(Some((instance, segs))) => {
                let subject = instance.patient_id.clone().unwrap_or_default();
                let series = instance.series_uid.clone().unwrap_or_default();
                segments.extend(
                    segs.into_iter()
                        .map(|s| (file.clone(), series.clone(), subject.clone(), s)),
                );
                instances.push(instance);
            }
            Err(e) if skip_bad => skipped.push(format!("skipped {}: {e}", file.display())),
            Err(e) => return Err(e),
        }
    }
    if segments.is_empty() {
        return Err(IngestError::NoDicom {
            path: format!("{} (no DICOM SEG segmentation)", dir.display()),
            files: walk.files.len(),
        });
    }
    Ok((instances, segments, skipped))
}

/// Every lesion computed; Ctrl-C stops the work between segments and the import then fails,
/// writing nothing (E0451). The segments of one SEG over one series share one reading of the
/// SEG's frames and of the CT (the run of slices all of them lie on, else each its own). The
/// groups run on all cores, each computing its segments in turn; a single group (one SEG)
/// computes its segments on all cores instead.
fn compute_lesions(lesions: &[Lesion], params: &Params) -> Result<Vec<Outcome>, IngestError> {
    let stop = crate::progress::stop_flag();
    crate::progress::start(lesions.len() as u64, "segments");
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: std::collections::HashMap<(&Path, Option<&str>), usize> =
        std::collections::HashMap::new();
    for (k, l) in lesions.iter().enumerate() {
        let key = (l.seg.as_path(), l.segment.referenced_series_uid.as_deref());
        let g = *group_of.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(k);
    }
    let members_in_parallel = groups.len() == 1;
    let computed = crate::parallel::map(&groups, |group| {
        compute_group(lesions, group, params, &stop, members_in_parallel)
    });
    let mut results: Vec<Option<Outcome>> = (0..lesions.len()).map(|_| None).collect();
    for (group, outcomes) in groups.iter().zip(computed) {
        for (k, outcome) in group.iter().zip(outcomes) {
            results[*k] = Some(outcome);
        }
    }
    let results: Vec<Outcome> = results.into_iter().flatten().collect();
    let is_stop = |r: &Outcome| matches!(r, Err(IngestError::Stopped { .. }));
    if results.iter().any(is_stop) {
        return Err(IngestError::Stopped {
            done: results.iter().filter(|r| !is_stop(r)).count(),
            total: lesions.len(),
        });
    }
    Ok(results)
}

/// What one segment gives: its features and the note on how its series was read, or why not.
type Outcome = Result<(Computed, Option<String>), IngestError>;

/// The segments `members` of one SEG over one CT series, in turn or (`in_parallel`) on all
/// cores. Nothing is read once Ctrl-C is pressed.
fn compute_group(
    lesions: &[Lesion],
    members: &[usize],
    params: &Params,
    stop: &std::sync::atomic::AtomicBool,
    in_parallel: bool,
) -> Vec<Outcome> {
    let stopped = || {
        Err(IngestError::Stopped {
            done: 0,
            total: lesions.len(),
        })
    };
    if stop.load(std::sync::atomic::Ordering::Relaxed) {
        return members.iter().map(|_| stopped()).collect();
    }
    let first = &lesions[members[0]];
    let frames = match seg::frames(&first.seg) {
        Ok(f) => f,
        Err(e) => return members.iter().map(|_| Err(e.clone())).collect(),
    };
    let referenced = |number: i64| -> Vec<String> {
        frames
            .2
            .iter()
            .filter(|f| f.segment == number)
            .filter_map(|f| f.source_instance.clone())
            .collect()
    };
    let all: Vec<String> = members
        .iter()
        .flat_map(|k| referenced(lesions[*k].segment.number))
        .collect();
    let shared = read_series_for(&first.slices, &all).ok();
    let one = |k: &usize| {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return stopped();
        }
        let lesion = &lesions[*k];
        let own;
        let (series, note) = match &shared {
            Some((series, note)) => (series, note.clone()),
            None => {
                own = read_series_for(&lesion.slices, &referenced(lesion.segment.number))?;
                (&own.0, own.1.clone())
            }
        };
        let mask = segment_mask(&lesion.seg, &frames, lesion.segment.number, series, 1.0)?;
        let result = compute(lesion, series, &mask, params).map(|c| (c, note));
        crate::progress::advance(1);
        result
    };
    if in_parallel {
        crate::parallel::map(members, one)
    } else {
        members.iter().map(one).collect()
    }
}

/// One segment's features over its CT series.
fn compute(
    lesion: &Lesion,
    series: &Series,
    mask: &crate::radiomics::Volume,
    params: &Params,
) -> Result<Computed, IngestError> {
    let mut settings = params.settings.clone();
    settings.label = 1;
    let place = || format!("{} segment {}", lesion.seg.display(), lesion.segment.number);
    let extraction = extract_all(&series.volume, mask, &settings)
        .map_err(|error| IngestError::radiomics(place(), &error))?;
    let mut configuration = params.clone();
    for (k, v) in configuration.configuration.iter_mut() {
        if k == "label" {
            *v = 1.into();
        }
    }
    let diagnostics = vec![(
        "diagnostics_Configuration_Settings".to_string(),
        configuration.configuration_literal(),
    )];
    Ok(Computed {
        diagnostics,
        features: extraction.features,
        warnings: extraction.warnings,
    })
}

/// The row of a computed segment: the keys that join `segmentations` and `series`.
fn row_of(lesion: &Lesion, place: String, computed: Computed) -> Row {
    let s = &lesion.segment;
    // Named as `segmentations` names them, so that the tables join on them.
    let cells = vec![
        ("sop_instance_uid".to_string(), s.sop_instance_uid.clone()),
        ("segment_number".to_string(), s.number.to_string()),
        (
            "segment_label".to_string(),
            s.label.clone().unwrap_or_default(),
        ),
        ("seg_series_uid".to_string(), lesion.seg_series.clone()),
        (
            "referenced_series_uid".to_string(),
            s.referenced_series_uid.clone().unwrap_or_default(),
        ),
        ("seg_file".to_string(), lesion.seg.display().to_string()),
    ];
    Row {
        subject: lesion.subject.clone(),
        place,
        cells,
        computed,
    }
}
