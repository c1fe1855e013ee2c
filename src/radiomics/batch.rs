//! Cases as PyRadiomics' batch mode takes them (a CSV with `Image` and `Mask` columns, an
//! optional `Label`, any other columns kept), run on all cores, each giving PyRadiomics'
//! diagnostics and features.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::{Params, RadiomicsError, Volume, extract_all, python_float, read_image_hashed};

/// One case: its image, mask, label (`None`: the parameter file's) and the batch file's cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub image: PathBuf,
    pub mask: PathBuf,
    pub label: Option<i64>,
    /// Every cell of the case's batch row, by its header (Image and Mask as written).
    pub cells: Vec<(String, String)>,
    /// Where the case is: `batch.csv:3`, or the image's path for a single case.
    pub place: String,
}

/// What one case gives: PyRadiomics' `diagnostics_*` cells, its features and its warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub diagnostics: Vec<(String, String)>,
    pub features: Vec<(String, f64)>,
    pub warnings: Vec<String>,
}

/// The cases of a PyRadiomics batch CSV; relative paths are taken from the batch file's folder.
pub fn read_batch(path: &Path) -> Result<Vec<Case>, RadiomicsError> {
    let file = path.display().to_string();
    let bad = |message: String| RadiomicsError::BadImage {
        file: file.clone(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| RadiomicsError::Io {
            file: file.clone(),
            message: e.to_string(),
        })?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(String::from)
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(image), Some(mask)) = (column("Image"), column("Mask")) else {
        return Err(bad(format!(
            "a PyRadiomics batch file has the columns Image and Mask; this one has {}",
            header.join(", ")
        )));
    };
    let label = column("Label");
    let base = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let line = k + 2;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let label = match label.map(|at| record[at].trim()) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<i64>().ok().filter(|l| *l > 0).ok_or_else(|| {
                bad(format!(
                    "line {line}: Label {text:?} is not a whole number above 0"
                ))
            })?),
        };
        // PyRadiomics writes the paths it read, relative ones made absolute from the batch
        // file's folder.
        let resolved = |at: usize| {
            let p = base.join(&record[at]);
            std::path::absolute(&p).unwrap_or(p)
        };
        let mut cells: Vec<(String, String)> = header
            .iter()
            .cloned()
            .zip(record.iter().map(String::from))
            .collect();
        cells[image].1 = resolved(image).display().to_string();
        cells[mask].1 = resolved(mask).display().to_string();
        cases.push(Case {
            image: resolved(image),
            mask: resolved(mask),
            label,
            cells,
            place: format!("{file}:{line}"),
        });
    }
    Ok(cases)
}

/// Runs every case on all cores (`jobs` at most), each as soon as a core is free; a case's
/// error is its result. Work stops between cases once `stop` is set (Ctrl-C): the cases not
/// run are `None`.
pub fn run(
    cases: &[Case],
    params: &Params,
    jobs: usize,
    stop: &AtomicBool,
) -> Vec<Option<Result<Computed, RadiomicsError>>> {
    let next = AtomicUsize::new(0);
    let threads = jobs.max(1).min(cases.len().max(1));
    crate::progress::start(cases.len() as u64, "cases");
    let mut results: Vec<Option<Result<Computed, RadiomicsError>>> = vec![None; cases.len()];
    let done: Vec<Vec<(usize, Result<Computed, RadiomicsError>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= cases.len() || stop.load(Ordering::Relaxed) {
                            return mine;
                        }
                        mine.push((k, compute(&cases[k], params)));
                        crate::progress::advance(1);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for (k, result) in done.into_iter().flatten() {
        results[k] = Some(result);
    }
    results
}

/// One case: read, extract, describe.
pub fn compute(case: &Case, params: &Params) -> Result<Computed, RadiomicsError> {
    let (image, image_hash) = read_image_hashed(&case.image)?;
    let (mask, mask_hash) = read_image_hashed(&case.mask)?;
    let mut settings = params.settings.clone();
    if let Some(label) = case.label {
        settings.label = label;
    }
    let extraction = extract_all(&image, &mask, &settings)?;
    let mut diagnostics = versions();
    let mut configuration = params.clone();
    if let Some(label) = case.label {
        for (k, v) in configuration.configuration.iter_mut() {
            if k == "label" {
                *v = label.into();
            }
        }
    }
    diagnostics.push((
        "diagnostics_Configuration_Settings".into(),
        configuration.configuration_literal(),
    ));
    diagnostics.push((
        "diagnostics_Configuration_EnabledImageTypes".into(),
        super::python_literal(&params.image_types),
    ));
    diagnostics.extend(image_diagnostics(&image, image_hash));
    // The label's voxels: the extraction's region, unless the mask was resampled onto the
    // image (`correctMask`), when the diagnostics are of the mask as read.
    let inside = if extraction.corrected {
        label_voxels(&mask, settings.label)
    } else {
        extraction.region.voxels
    };
    diagnostics.extend(mask_diagnostics(&mask, mask_hash, &inside));
    Ok(Computed {
        diagnostics,
        features: extraction.features,
        warnings: extraction.warnings,
    })
}

/// The versions: rgdb's, and the PyRadiomics version whose numbers it gives.
fn versions() -> Vec<(String, String)> {
    vec![
        (
            "diagnostics_Versions_PyRadiomics".into(),
            "v3.0.1 (compatible: computed by rgdb)".into(),
        ),
        (
            "diagnostics_Versions_rgdb".into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
    ]
}

/// A Python tuple of floats or integers, as PyRadiomics' diagnostics print them.
fn tuple<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|v| v.to_string()).collect();
    format!("({})", items.join(", "))
}

fn float_tuple(items: impl IntoIterator<Item = f64>) -> String {
    tuple(items.into_iter().map(python_float))
}

/// The SHA-256 of a file (the provenance of every input; PyRadiomics' own `Hash` is a SHA-1
/// of the voxel array in SimpleITK's pixel type, which rgdb does not keep).
pub fn sha256(path: &Path) -> Result<String, RadiomicsError> {
    crate::digest::sha256_file(path).map_err(|e| RadiomicsError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

/// `diagnostics_Image-original_*`.
fn image_diagnostics(image: &Volume, hash: String) -> Vec<(String, String)> {
    let summary = image.voxels.summary();
    let p = "diagnostics_Image-original_";
    vec![
        (format!("{p}SHA256"), hash),
        (format!("{p}Dimensionality"), "3D".into()),
        (format!("{p}Spacing"), float_tuple(image.spacing)),
        (format!("{p}Size"), tuple(image.size)),
        (format!("{p}Mean"), python_float(summary.mean)),
        (format!("{p}Minimum"), python_float(summary.min)),
        (format!("{p}Maximum"), python_float(summary.max)),
    ]
}

/// `diagnostics_Mask-original_*`: the label's box, voxels, 26-connected parts and centre.
fn mask_diagnostics(mask: &Volume, hash: String, inside: &[usize]) -> Vec<(String, String)> {
    let (low, high) = mask.bounds(inside).unwrap_or(([0; 3], [0; 3]));
    let mut sum = [0.0; 3];
    for a in mask.positions(inside) {
        for d in 0..3 {
            sum[d] += a[d] as f64;
        }
    }
    let n = inside.len().max(1) as f64;
    let centre = sum.map(|s| s / n);
    let physical = mask.to_point(centre);
    let p = "diagnostics_Mask-original_";
    let boxed = [
        low[0],
        low[1],
        low[2],
        high[0] + 1 - low[0],
        high[1] + 1 - low[1],
        high[2] + 1 - low[2],
    ];
    vec![
        (format!("{p}SHA256"), hash),
        (format!("{p}Spacing"), float_tuple(mask.spacing)),
        (format!("{p}Size"), tuple(mask.size)),
        (format!("{p}BoundingBox"), tuple(boxed)),
        (format!("{p}VoxelNum"), inside.len().to_string()),
        (
            format!("{p}VolumeNum"),
            components(mask, inside).to_string(),
        ),
        (format!("{p}CenterOfMassIndex"), float_tuple(centre)),
        (format!("{p}CenterOfMass"), float_tuple(physical)),
    ]
}

/// The voxels of `mask` whose value is `label`.
fn label_voxels(mask: &Volume, label: i64) -> Vec<usize> {
    mask.voxels.positions(label as f64)
}

/// The number of 26-connected parts of the voxels `inside` (SimpleITK's
/// `ConnectedComponentImageFilter` with `FullyConnectedOn`, as PyRadiomics counts them): a
/// flood fill over a map of the voxels' bounding box, padded by one voxel so that every
/// neighbour is a fixed step away.
fn components(mask: &Volume, inside: &[usize]) -> usize {
    let Some((low, high)) = mask.bounds(inside) else {
        return 0;
    };
    let size: [usize; 3] = std::array::from_fn(|d| high[d] + 3 - low[d]);
    let index = |a: [usize; 3]| {
        (a[0] + 1 - low[0]) + size[0] * ((a[1] + 1 - low[1]) + size[1] * (a[2] + 1 - low[2]))
    };
    // true: inside and not yet reached.
    let mut map = vec![false; size.iter().product()];
    for at in mask.positions(inside) {
        map[index(at)] = true;
    }
    let (nx, nxy) = (size[0] as isize, (size[0] * size[1]) as isize);
    let steps: Vec<isize> = (-1..=1)
        .flat_map(|dz| (-1..=1).flat_map(move |dy| (-1..=1).map(move |dx| dx + nx * dy + nxy * dz)))
        .filter(|s| *s != 0)
        .collect();
    let mut count = 0;
    let mut stack = Vec::new();
    for start in 0..map.len() {
        if !map[start] {
            continue;
        }
        count += 1;
        map[start] = false;
        stack.push(start);
        while let Some(j) = stack.pop() {
            for s in &steps {
                let n = j.wrapping_add_signed(*s);
                if map[n] {
                    map[n] = false;
                    stack.push(n);
                }
            }
        }
    }
    count
}
