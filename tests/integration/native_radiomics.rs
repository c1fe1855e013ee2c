//! Features computed by rgdb itself (`rgdb::radiomics`, issue 25) against PyRadiomics v3.0.1's
//! own baselines (`tests/reference/radiomics/`), and the errors of its image reading.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::Agreement;

use rgdb::radiomics::{
    Class, Features, RadiomicsError, Resegment, ResegmentMode, Settings, Volume, extract,
    parse_nifti, parse_nrrd, parse_params, read_image, read_nrrd, read_params,
};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/radiomics/pyradiomics")
}

/// A CSV file's header and rows.
fn table(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    (header, reader.records().map(Result::unwrap).collect())
}

/// `baseline_<class>.csv`: feature → configuration → value (numbers only).
fn baseline(class: &str) -> BTreeMap<String, BTreeMap<String, f64>> {
    let (header, rows) = table(&reference().join(format!("baseline_{class}.csv")));
    let configurations = &header[1..];
    let mut out: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for row in rows {
        for (configuration, cell) in configurations.iter().zip(row.iter().skip(1)) {
            if let Ok(value) = cell.parse::<f64>() {
                out.entry(row[0].to_string())
                    .or_default()
                    .insert(configuration.clone(), value);
            }
        }
    }
    out
}

/// Each case's mask centre of mass, from the first configuration that records it.
fn centres() -> BTreeMap<String, [f64; 3]> {
    let (header, rows) = table(&reference().join("baseline_firstorder.csv"));
    let columns = &header[1..];
    let cases = configurations();
    let mut out = BTreeMap::new();
    for row in rows {
        if &row[0] != "diagnostics_Mask-original_CenterOfMass" {
            continue;
        }
        for (configuration, cell) in columns.iter().zip(row.iter().skip(1)) {
            if !cell.is_empty() {
                out.entry(cases[configuration].0.clone())
                    .or_insert_with(|| triple(cell));
            }
        }
    }
    out
}

/// Each configuration's case and settings (`configurations.csv`).
fn configurations() -> BTreeMap<String, (String, serde_json::Value)> {
    let text = std::fs::read_to_string(reference().join("configurations.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            let settings = rgdb::ingest::parse_python_literal(&row[2]).unwrap();
            (row[0].to_string(), (row[1].to_string(), settings))
        })
        .collect()
}

/// rgdb's settings for a PyRadiomics settings dict, read as a parameter file's `setting`
/// section (JSON is YAML), or why rgdb does not cover it yet. The baselines were made one class
/// at a time, so shape2D (which v3.0.1 tries with force2D) is left out.
fn settings_of(dict: &serde_json::Value) -> Result<Settings, String> {
    match parse_params(&format!("setting: {dict}"), "configurations.csv") {
        Ok(params) => {
            let mut settings = params.settings;
            settings
                .features
                .classes
                .retain(|(c, _)| *c != Class::Shape2D);
            Ok(settings)
        }
        Err(RadiomicsError::Params { message, .. })
            if message.contains("resampledPixelSpacing") =>
        {
            Err("resampling (issue 25, part 2)".into())
        }
        Err(e) => panic!("{dict}: {e}"),
    }
}

/// The physical centre of the mask's label-1 voxels, as PyRadiomics' diagnostics give it
/// (`TransformContinuousIndexToPhysicalPoint` of the mean index): it checks origin, spacing
/// and direction together.
fn center_of_mass(mask: &Volume) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut n = 0.0;
    for z in 0..mask.size[2] {
        for y in 0..mask.size[1] {
            for x in 0..mask.size[0] {
                if mask.at(x, y, z) == 1.0 {
                    sum[0] += x as f64;
                    sum[1] += y as f64;
                    sum[2] += z as f64;
                    n += 1.0;
                }
            }
        }
    }
    std::array::from_fn(|r| {
        mask.origin[r]
            + (0..3)
                .map(|axis| mask.direction[axis][r] * mask.spacing[axis] * sum[axis] / n)
                .sum::<f64>()
    })
}

/// `"(a, b, c)"` as three numbers.
fn triple(text: &str) -> [f64; 3] {
    let parts: Vec<f64> = text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(|v| v.trim().parse().unwrap())
        .collect();
    [parts[0], parts[1], parts[2]]
}

fn close3(a: [f64; 3], b: [f64; 3]) -> bool {
    a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-6)
}

/// The four mesh features of brain1 whose 2018 baseline is not v3.0.1's: the baseline was
/// made by PyRadiomics 2.0.1b1 on SimpleITK 0.9.1 (its diagnostics say so) and gives
/// MeshVolume 16,149.50 mm³; PyRadiomics v3.0.1 itself gives 16,147.51180013021
/// (`pyradiomics301/default.csv`, made here with v3.0.1), which rgdb equals within 1e-6 in
/// `pyradiomics_301_settings_give_its_features`. Against the old baseline they are held to 1e-3.
const BRAIN1_MESH: [&str; 4] = [
    "original_shape_MeshVolume",
    "original_shape_SurfaceArea",
    "original_shape_Sphericity",
    "original_shape_SurfaceVolumeRatio",
];

/// Every shape, first-order and texture feature of every baseline configuration rgdb covers
/// equals PyRadiomics' baseline within 1e-6 relative (1e-9 absolute near zero): brain1, brain2 and breast1 with
/// their default settings, normalised, and re-segmented. Only the configurations that
/// resample are not covered yet (issue 25's part 2), and are counted here so that covering
/// them shows.
#[test]
fn features_equal_the_pyradiomics_baselines() {
    let classes = [
        "shape",
        "firstorder",
        "glcm",
        "gldm",
        "glrlm",
        "glszm",
        "ngtdm",
    ];
    let want: BTreeMap<&str, _> = classes.iter().map(|c| (*c, baseline(c))).collect();
    let centres = centres();
    assert_eq!(centres.len(), 3);
    let configurations = configurations();
    let mut got: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    let mut covered: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut not_yet = std::collections::BTreeSet::new();
    let (mut agreement, mut mesh) = (Agreement::default(), Agreement::default());
    for class in classes {
        let prefix = format!("original_{class}_");
        let columns: std::collections::BTreeSet<&String> =
            want[class].values().flat_map(|v| v.keys()).collect();
        for configuration in columns {
            let (case, dict) = &configurations[configuration];
            let settings = match settings_of(dict) {
                Ok(s) => s,
                Err(why) => {
                    not_yet.insert(format!("{configuration} ({why})"));
                    continue;
                }
            };
            let features = got.entry(configuration.clone()).or_insert_with(|| {
                let image = read_nrrd(&reference().join(format!("{case}_image.nrrd"))).unwrap();
                let mask = read_nrrd(&reference().join(format!("{case}_label.nrrd"))).unwrap();
                // The geometry SimpleITK read, where the baseline records it.
                if let Some(centre) = centres.get(case) {
                    assert!(close3(center_of_mass(&mask), *centre), "{case}");
                }
                extract(&image, &mask, &settings).unwrap()
            });
            let ours: Vec<&(String, f64)> = features
                .iter()
                .filter(|(n, _)| n.starts_with(&prefix))
                .collect();
            let theirs = want[class]
                .iter()
                .filter(|(n, v)| n.starts_with(&prefix) && v.contains_key(configuration))
                .count();
            assert_eq!(ours.len(), theirs, "{configuration} {class}");
            for (name, value) in ours {
                let expected = want[class][name][configuration];
                if configuration == "brain1" && BRAIN1_MESH.contains(&name.as_str()) {
                    // See BRAIN1_MESH: within 1e-3 of the 2018 baseline.
                    mesh.close(|| name.clone(), *value, expected);
                    assert!((value - expected).abs() <= 1e-3 * expected.abs(), "{name}");
                    continue;
                }
                assert!(
                    agreement.close(|| format!("{configuration} {name}"), *value, expected),
                    "{configuration} {name}: rgdb {value}, PyRadiomics {expected}"
                );
            }
            covered
                .entry(class)
                .or_default()
                .push(configuration.clone());
        }
    }
    // Every class in every configuration that does not resample: default, force2D (2d),
    // binCount 64 (FBN), weightingNorm (combined, GLCM and GLRLM), a flat region, normalised,
    // re-segmented.
    let count = |class: &str| covered.get(class).map_or(0, Vec::len);
    assert_eq!(
        [
            count("shape"),
            count("firstorder"),
            count("glcm"),
            count("gldm"),
            count("glrlm"),
            count("glszm"),
            count("ngtdm")
        ],
        [3, 9, 21, 18, 21, 18, 18],
        "{covered:?}"
    );
    assert_eq!(
        not_yet.len(),
        3,
        "configurations not covered yet: {not_yet:?}"
    );
    agreement.report(
        "PyRadiomics' baselines (brain1, brain2, breast1), every configuration without resampling",
    );
    mesh.report(
        "brain1's four mesh features against the 2018 baseline (PyRadiomics 2.0.1b1; held to 1e-3)",
    );
    eprintln!("figures: configurations not covered (they resample): {not_yet:?}");
}

/// shape2D, the one class of PyRadiomics' baselines the loop above leaves out: its baseline
/// (`baseline_shape2D.csv`, made by PyRadiomics 2.1.0) is of the axial slice of each label
/// with the most voxels (984 for brain1, as `pyradiomics301/brain1_label_slice.nrrd`). Every
/// shape2D feature of brain1, brain2 and breast1 on that slice equals the baseline within
/// 1e-6 relative.
#[test]
fn shape2d_equals_the_pyradiomics_baseline() {
    let want = baseline("shape2D");
    let configurations = configurations();
    let mut agreement = Agreement::default();
    for case in ["brain1", "brain2", "breast1"] {
        let configuration = format!("{case}_shape2D");
        let image = read_nrrd(&reference().join(format!("{case}_image.nrrd"))).unwrap();
        let mask = read_nrrd(&reference().join(format!("{case}_label.nrrd"))).unwrap();
        // Only the axial slice with the most label voxels (the first of equals).
        let [nx, ny, nz] = mask.size;
        let voxels = mask.voxels.to_f64();
        let per_slice = |z: usize| {
            voxels[z * nx * ny..(z + 1) * nx * ny]
                .iter()
                .filter(|v| **v == 1.0)
                .count()
        };
        let top = (0..nz)
            .max_by_key(|z| (per_slice(*z), std::cmp::Reverse(*z)))
            .unwrap();
        let sliced: Vec<f64> = voxels
            .iter()
            .enumerate()
            .map(|(k, v)| if k / (nx * ny) == top { *v } else { 0.0 })
            .collect();
        let slice = Volume {
            voxels: sliced.into(),
            ..mask.clone()
        };
        let dict = &configurations[&configuration].1;
        let mut settings = parse_params(&format!("setting: {dict}"), "configurations.csv")
            .unwrap()
            .settings;
        settings
            .features
            .classes
            .retain(|(c, _)| *c == Class::Shape2D);
        let got = extract(&image, &slice, &settings).unwrap();
        let expected: Vec<(&String, f64)> = want
            .iter()
            .filter_map(|(name, by)| by.get(&configuration).map(|v| (name, *v)))
            .filter(|(name, _)| name.starts_with("original_shape2D_"))
            .collect();
        assert_eq!(got.len(), expected.len(), "{configuration}: {got:?}");
        assert_eq!(got.len(), 9, "{configuration}");
        for (name, value) in expected {
            let (_, ours) = got
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{configuration}: no {name}"));
            assert!(
                agreement.close(|| format!("{configuration} {name}"), *ours, value),
                "{configuration} {name}: rgdb {ours}, PyRadiomics {value}"
            );
        }
    }
    agreement
        .report("baseline_shape2D.csv (brain1, brain2, breast1, the axial slice with most voxels)");
}

/// The IBSI-1 digital phantom (NIfTI), with the settings of `ibsi_digital_phantom.yaml`
/// (bin width 1): every first-order and texture feature equals PyRadiomics v3.0.1's within
/// 1e-6 relative, in both rows of `ibsi_digital_phantom.csv` (3-D, and force2D: texture per
/// slice), and its geometry is SimpleITK's.
#[test]
fn the_ibsi_digital_phantom_gives_pyradiomics_features() {
    let dir = reference().join("../ibsi1/digital_phantom");
    let image = read_image(&dir.join("image.nii.gz")).unwrap();
    let mask = read_image(&dir.join("mask.nii.gz")).unwrap();
    assert_eq!(image.size, [5, 4, 4]);
    assert_eq!(image.spacing, [2.0, 2.0, 2.0]);
    let (header, rows) = table(&reference().join("../ibsi_digital_phantom.csv"));
    assert_eq!(rows.len(), 2);
    let mut got = Vec::new();
    let mut agreement = Agreement::default();
    for row in &rows {
        let cell = |name: &str| -> &str { &row[header.iter().position(|h| h == name).unwrap()] };
        // The parameter files PyRadiomics was run with.
        let params = if cell("ID").ends_with("force2D") {
            "ibsi_digital_phantom_2D.yaml"
        } else {
            "ibsi_digital_phantom.yaml"
        };
        let settings = read_params(&reference().join("..").join(params))
            .unwrap()
            .settings;
        got = extract(&image, &mask, &settings).unwrap();
        assert_eq!(got.len(), 110);
        assert_eq!(
            cell("diagnostics_Image-original_Spacing"),
            "(2.0, 2.0, 2.0)"
        );
        let centre = triple(cell("diagnostics_Mask-original_CenterOfMass"));
        assert!(
            close3(center_of_mass(&mask), centre),
            "{:?} vs {centre:?}",
            center_of_mass(&mask)
        );
        for (name, value) in &got {
            let want: f64 = cell(name).parse().unwrap();
            assert!(
                agreement.close(|| format!("{} {name}", cell("ID")), *value, want),
                "{} {name}: rgdb {value}, PyRadiomics {want}",
                cell("ID")
            );
        }
    }
    agreement.report("ibsi_digital_phantom.csv (3-D and force2D)");
    // The mean the IBSI reference gives (2.15, "intensity-based statistics", dig_phantom).
    let mean = got
        .iter()
        .find(|(n, _)| n == "original_firstorder_Mean")
        .unwrap()
        .1;
    assert!((mean - 2.15).abs() < 0.005, "{mean}");
}

/// The geometry SimpleITK gives PyRadiomics for brain1 (LPS; spacing from the space
/// directions), read from its NRRD header.
#[test]
fn a_nrrd_volume_has_the_geometry_simpleitk_reads() {
    let image = read_nrrd(&reference().join("brain1_image.nrrd")).unwrap();
    assert_eq!(image.size, [256, 256, 25]);
    let close3 = |a: [f64; 3], b: [f64; 3]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-12);
    assert!(
        close3(image.spacing, [0.78125, 0.78125, 6.5]),
        "{:?}",
        image.spacing
    );
    assert!(
        close3(image.direction[1], [0.0, -1.0, 0.0]),
        "{:?}",
        image.direction
    );
    assert!(
        (image.origin[0] + 99.609375).abs() < 1e-9,
        "{:?}",
        image.origin
    );
    assert_eq!(image.voxels.len(), 256 * 256 * 25);
}

/// Damaged or mismatched inputs are refused with what is wrong, and no panic.
#[test]
fn bad_images_and_masks_are_refused_with_what_is_wrong() {
    let brain = std::fs::read(reference().join("brain1_label.nrrd")).unwrap();
    // A truncated gzip block.
    let err = parse_nrrd("cut.nrrd", &brain[..brain.len() - 200]).unwrap_err();
    assert_eq!(err.code(), "E0442");
    assert!(
        err.to_string()
            .starts_with("cut.nrrd: the gzip data is damaged or truncated after"),
        "{err}"
    );
    // Not a NRRD file; a header without its blank line; a 4-D volume; a size past the bound.
    let cases: [(&[u8], &str); 4] = [
        (
            b"P6\n",
            "x.nrrd: not a NRRD file (it does not start with NRRD000x)",
        ),
        (
            b"NRRD0004\ntype: short\n",
            "x.nrrd: the header does not end with a blank line (detached or missing data)",
        ),
        (
            b"NRRD0004\ntype: short\ndimension: 4\nsizes: 1 1 1 1\nencoding: raw\n\n",
            "x.nrrd: rgdb reads 3-D volumes; this one has dimension 4 (sizes [1, 1, 1, 1])",
        ),
        (
            b"NRRD0004\ntype: short\ndimension: 3\nsizes: 100000 100000 100000\nencoding: raw\n\n",
            "x.nrrd: sizes [100000, 100000, 100000] exceed 2147483648 voxels",
        ),
    ];
    for (bytes, message) in cases {
        let err = parse_nrrd("x.nrrd", bytes).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    // Raw data shorter than the sizes need.
    let err = parse_nrrd(
        "short.nrrd",
        b"NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n\n\x01\x00",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "short.nrrd: the data is truncated: 2 × 2 × 2 voxels of 2 bytes need 16 bytes, the file holds 2"
    );
    // A truncated .nii.gz, a NIfTI-2 header, a file of another kind.
    let phantom = std::fs::read(reference().join("../ibsi1/digital_phantom/image.nii.gz")).unwrap();
    let err = parse_nifti("cut.nii.gz", &phantom[..phantom.len() - 20]).unwrap_err();
    assert_eq!(err.code(), "E0442");
    assert!(
        err.to_string()
            .starts_with("cut.nii.gz: the gzip data is damaged or truncated after"),
        "{err}"
    );
    // A header claiming 10⁹ voxels and a gzip trailer forged to agree, over 200 bytes of data:
    // refused as truncated, having held only what the stream held.
    let mut header = vec![0u8; 352];
    header[..4].copy_from_slice(&348i32.to_le_bytes());
    for (k, v) in [3i16, 1000, 1000, 1000, 1, 1, 1, 1].iter().enumerate() {
        header[40 + 2 * k..42 + 2 * k].copy_from_slice(&v.to_le_bytes());
    }
    header[70..72].copy_from_slice(&2i16.to_le_bytes());
    header[108..112].copy_from_slice(&352f32.to_le_bytes());
    header.extend([1u8; 200]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &header).unwrap();
    let mut forged = gz.finish().unwrap();
    let n = forged.len();
    forged[n - 4..].copy_from_slice(&((352 + 1_000_000_000u64) as u32).to_le_bytes());
    let err = parse_nifti("forged.nii.gz", &forged).unwrap_err();
    assert_eq!(err.code(), "E0442");
    assert!(
        err.to_string()
            .starts_with("forged.nii.gz: the gzip data is damaged or truncated after 552 bytes"),
        "{err}"
    );
    let mut nifti2 = vec![0u8; 540];
    nifti2[..4].copy_from_slice(&540i32.to_le_bytes());
    assert_eq!(
        parse_nifti("two.nii", &nifti2).unwrap_err().to_string(),
        "two.nii: a NIfTI-2 file; rgdb reads NIfTI-1 (save it as NIfTI-1)"
    );
    assert_eq!(
        read_image(Path::new("scan.dcm")).unwrap_err().to_string(),
        "scan.dcm: rgdb reads NRRD (.nrrd) and NIfTI (.nii, .nii.gz) images"
    );
    // A missing file.
    let err = read_nrrd(Path::new("no/such.nrrd")).unwrap_err();
    assert_eq!(err.code(), "E0441");
    assert!(
        err.to_string().starts_with("cannot read no/such.nrrd: "),
        "{err}"
    );
    // A mask on another grid, and a label the mask does not hold.
    let image = read_nrrd(&reference().join("breast1_image.nrrd")).unwrap();
    let mask = read_nrrd(&reference().join("brain1_label.nrrd")).unwrap();
    let err = extract(&image, &mask, &Settings::default()).unwrap_err();
    assert_eq!(err.code(), "E0443");
    assert!(
        err.to_string()
            .starts_with("the mask is not on the image's grid: image ["),
        "{err}"
    );
    // The same grid but for an origin 1e-4 mm off: refused at the default geometryTolerance
    // (1e-6), computed within 1e-3, refused again past it (origin 1e-2 off).
    let mask = read_nrrd(&reference().join("breast1_label.nrrd")).unwrap();
    let shifted = |by: f64| Volume {
        origin: [mask.origin[0] + by, mask.origin[1], mask.origin[2]],
        ..mask.clone()
    };
    let err = extract(&image, &shifted(1e-4), &Settings::default()).unwrap_err();
    assert_eq!(err.code(), "E0443");
    assert!(err.to_string().contains("tolerance 0.000001"), "{err}");
    let tolerant = Settings {
        geometry_tolerance: 1e-3,
        ..Settings::default()
    };
    assert_eq!(
        extract(&image, &shifted(1e-4), &tolerant).unwrap(),
        extract(&image, &mask, &tolerant).unwrap()
    );
    let err = extract(&image, &shifted(1e-2), &tolerant).unwrap_err();
    assert_eq!(err.code(), "E0443");
    let settings = Settings {
        label: 7,
        ..Settings::default()
    };
    let err = extract(&image, &mask, &settings).unwrap_err();
    assert_eq!(
        err,
        RadiomicsError::LabelAbsent {
            label: 7,
            present: "0, 1".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "label 7 is not in the mask (it holds 0, 1); choose one of them with `label`"
    );
    // Re-segmentation that keeps fewer than 2 voxels, and a range of three numbers.
    let away = Settings {
        resegment: Some(Resegment {
            range: vec![1e9],
            mode: ResegmentMode::Absolute,
        }),
        ..Settings::default()
    };
    let err = extract(&image, &mask, &away).unwrap_err();
    assert_eq!(err.code(), "E0445");
    assert!(
        err.to_string()
            .starts_with("resegmentRange [1000000000.0] (absolute) kept 0 of the ")
            && err
                .to_string()
                .ends_with(" voxels of label 1; features need at least 2"),
        "{err}"
    );
    let three = Settings {
        resegment: Some(Resegment {
            range: vec![1.0, 2.0, 3.0],
            mode: ResegmentMode::Sigma,
        }),
        ..Settings::default()
    };
    let err = extract(&image, &mask, &three).unwrap_err();
    assert_eq!(err.code(), "E0446");
    assert_eq!(
        err.to_string(),
        "the setting resegmentRange = [1.0, 2.0, 3.0] is not valid: it takes one or two numbers"
    );
    // NaN voxels in the region.
    let mut holed = image.clone();
    let first = mask.voxels.positions(1.0)[0];
    let mut voxels = holed.voxels.to_f64();
    voxels[first] = f64::NAN;
    holed.voxels = voxels.into();
    let err = extract(&holed, &mask, &Settings::default()).unwrap_err();
    assert_eq!(err.code(), "E0447");
    let [nx, ny, _] = image.size;
    assert_eq!(
        err.to_string(),
        format!(
            "1 voxels of label 1 are not numbers (NaN), the first at voxel (x {}, y {}, z {}); mask them out or fill them",
            first % nx,
            (first / nx) % ny,
            first / (nx * ny)
        )
    );
}

/// Where the radiomics reference data that stays out of the repository lives (the IBSI CT
/// phantom is CC BY-NC 3.0): `RGDB_RADIOMICS_DATA`, else `../shared/data/radiomics` beside the
/// checkout. Without it the test says so and checks nothing, unless
/// `RGDB_REQUIRE_RADIOMICS_DATA` is set: `.ci/run` sets it, so CI fails rather than skip.
fn shared_radiomics() -> Option<PathBuf> {
    let given = std::env::var_os("RGDB_RADIOMICS_DATA").map(PathBuf::from);
    let dir = given
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/radiomics"));
    if dir.join("ibsi1/ct_phantom/nifti/image.nii.gz").exists() {
        return Some(dir);
    }
    let required = given.is_some() || std::env::var_os("RGDB_REQUIRE_RADIOMICS_DATA").is_some();
    assert!(
        !required,
        "the IBSI CT phantom is not at {}; set RGDB_RADIOMICS_DATA to the folder that holds ibsi1/ and pyradiomics_reference/",
        dir.display()
    );
    eprintln!(
        "skipped: the IBSI CT phantom (CC BY-NC, not in the repository) is not at {}",
        dir.display()
    );
    None
}

/// The IBSI-1 CT phantom (a lung tumour, 204 × 201 × 60 voxels) with PyRadiomics v3.0.1's own
/// features of it (`pyradiomics_reference/`): every shape, first-order and texture feature
/// within 1e-6 relative, in 3-D with bin width 25 (`original_binwidth25.yaml`) and as IBSI
/// configuration A allows it (`configA_like.yaml`: force2D, re-segmented to [−500, 400] HU).
#[test]
fn the_ibsi_ct_phantom_gives_pyradiomics_v3_features() {
    let Some(dir) = shared_radiomics() else {
        return;
    };
    let image = read_image(&dir.join("ibsi1/ct_phantom/nifti/image.nii.gz")).unwrap();
    let mask = read_image(&dir.join("ibsi1/ct_phantom/nifti/mask.nii.gz")).unwrap();
    // The parameter files PyRadiomics was run with (copies in tests/reference/radiomics).
    for (file, params) in [
        (
            "ibsi_ct_phantom_original_binwidth25.csv",
            "original_binwidth25.yaml",
        ),
        (
            "ibsi_ct_phantom_configA_like.csv",
            "ibsi_ct_phantom_configA_like.yaml",
        ),
    ] {
        let params = read_params(&reference().join("..").join(params)).unwrap();
        let got = extract(&image, &mask, &params.settings).unwrap();
        let (header, rows) = table(&dir.join("pyradiomics_reference").join(file));
        let row = &rows[0];
        let features = header.iter().filter(|h| h.starts_with("original_")).count();
        assert_eq!(got.len(), features, "{file}");
        let mut agreement = Agreement::default();
        for (name, value) in &got {
            let k = header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{file}: no {name}"));
            let want: f64 = row[k].parse().unwrap();
            assert!(
                agreement.close(|| name.clone(), *value, want),
                "{file} {name}: rgdb {value}, PyRadiomics {want}"
            );
        }
        agreement.report(file);
    }
}

/// PyRadiomics v3.0.1's features of the DICOM pairs (`dicom_pairs_original_binwidth25.csv`),
/// with the CT and SEG read from the DICOM files themselves (`data/dicom`): every feature
/// within 1e-6 for `CT_small` (one slice) and `ct2_series_seg_slices` (the three evenly spaced
/// slices the SEG refers to). The whole `ct2_series` has a 202.5 mm gap before its last three
/// slices: rgdb refuses it, naming the files, where SimpleITK spreads it over a 68.33 mm grid.
#[test]
fn dicom_pairs_give_pyradiomics_v3_features() {
    use rgdb::ingest::dicom::volume::{read_segment, read_series};
    let dicom = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dicom");
    let (header, rows) = table(&reference().join("../dicom_pairs_original_binwidth25.csv"));
    let settings = Settings {
        features: Features::with_deprecated_shape(),
        ..Settings::default()
    };
    let series = dicom.join("ct2_series");
    let cases: [(&str, Vec<PathBuf>, &str); 2] = [
        (
            "CT_small",
            vec![dicom.join("CT_small.dcm")],
            "seg_image_ct_binary_single_frame.dcm",
        ),
        (
            "ct2_series_seg_slices",
            ["17136", "17166", "17196"]
                .iter()
                .map(|f| series.join(f))
                .collect(),
            "seg_image_ct_binary.dcm",
        ),
    ];
    for (id, slices, seg) in cases {
        let row = rows.iter().find(|r| &r[0] == id).unwrap();
        let cell = |name: &str| -> &str { &row[header.iter().position(|h| h == name).unwrap()] };
        let ct = read_series(&slices).unwrap();
        let mask = read_segment(&dicom.join(seg), 1, &ct, 1.0).unwrap();
        let centre = triple(cell("diagnostics_Mask-original_CenterOfMass"));
        assert!(
            close3(center_of_mass(&mask), centre),
            "{id}: {:?} vs {centre:?}",
            center_of_mass(&mask)
        );
        let got = extract(&ct.volume, &mask, &settings).unwrap();
        assert_eq!(
            got.len(),
            header.iter().filter(|h| h.starts_with("original_")).count()
        );
        let mut agreement = Agreement::default();
        for (name, value) in &got {
            let want: f64 = cell(name).parse().unwrap();
            assert!(
                agreement.close(|| name.clone(), *value, want),
                "{id} {name}: rgdb {value}, PyRadiomics {want}"
            );
        }
        agreement.report(&format!(
            "dicom_pairs_original_binwidth25.csv {id}, from the DICOM files"
        ));
    }
    // The whole series, with its gap.
    let all: Vec<PathBuf> = ["17106", "17136", "17166", "17196"]
        .iter()
        .map(|f| series.join(f))
        .collect();
    let err = match read_series(&all) {
        Err(e) => e,
        Ok(_) => panic!("a series with a gap was read"),
    };
    assert_eq!(err.code(), "E0430");
    let message = err.to_string();
    assert!(
        message.contains("the slices are not evenly spaced: 202.5000 mm between ")
            && message.contains("ct2_series/17106 and ")
            && message.contains("ct2_series/17136, 1.2500 mm between "),
        "{message}"
    );
    // A slice whose pixel data is compressed: refused, naming its transfer syntax.
    {
        use dicom_core::value::PixelFragmentSequence;
        use dicom_core::{DataElement, VR};
        use dicom_transfer_syntax_registry::{TransferSyntaxIndex, TransferSyntaxRegistry};
        let mut obj = dicom_object::open_file(dicom.join("CT_small.dcm")).unwrap();
        let jpeg = TransferSyntaxRegistry
            .get("1.2.840.10008.1.2.4.50")
            .unwrap();
        obj.meta_mut().set_transfer_syntax(jpeg);
        let fragments = PixelFragmentSequence::new(vec![], vec![vec![0xFF, 0xD8, 0xFF, 0xD9]]);
        obj.put(DataElement::new(
            dicom_dictionary_std::tags::PIXEL_DATA,
            VR::OB,
            fragments,
        ));
        let dir = tempfile::tempdir().unwrap();
        let jpeg_slice = dir.path().join("jpeg.dcm");
        obj.write_to_file(&jpeg_slice).unwrap();
        let err = match read_series(&[jpeg_slice]) {
            Err(e) => e,
            Ok(_) => panic!("a compressed slice was read"),
        };
        assert_eq!(err.code(), "E0430");
        assert!(
            err.to_string().ends_with(
                "jpeg.dcm: cannot read this DICOM file: the pixel data is compressed (JPEG Baseline (Process 1), transfer syntax 1.2.840.10008.1.2.4.50); rgdb reads uncompressed DICOM (decompress it, e.g. `dcmdjpeg` or `gdcmconv --raw`)"
            ),
            "{err}"
        );
    }
    // A SEG whose slices are not in the series read.
    let one = read_series(&[series.join("17106")]).unwrap();
    let missing = read_segment(&dicom.join("seg_image_ct_binary.dcm"), 1, &one, 1.0)
        .expect_err("a SEG without its slices was placed");
    assert_eq!(missing.code(), "E0430", "{missing}");
    assert!(
        missing
            .to_string()
            .contains("a frame of segment 1 refers to slice ")
            && missing
                .to_string()
                .ends_with(", which is not in the CT series read"),
        "{missing}"
    );
}

/// The folder of the references computed with PyRadiomics v3.0.1 itself
/// (`tools/make_pyradiomics301_reference.py`; see its README).
fn v301() -> PathBuf {
    reference().join("../pyradiomics301")
}

/// An input path of a v3.0.1 reference CSV, in the repository.
fn v301_input(path: &str) -> PathBuf {
    if let Some(rest) = path.strip_prefix("radiomics/pyradiomics_testcases/") {
        reference().join(rest)
    } else if let Some(rest) = path.strip_prefix("radiomics/") {
        reference().join("..").join(rest)
    } else {
        v301().join(path)
    }
}

/// The parameter file of a row of a v3.0.1 reference CSV (the table in its script).
fn v301_params(file: &str, id: &str) -> String {
    let name = match file {
        "shape2d.csv" if id.ends_with("_binwidth1") => "shape2d_dim0_binwidth1",
        "shape2d.csv" => match &id[id.len() - 4..] {
            "dim1" => "shape2d_dim1",
            "dim2" => "shape2d_dim2",
            _ => "shape2d_dim0",
        },
        "resegment_sigma.csv" if id.ends_with("_sigma3") => "resegment_sigma",
        "resegment_sigma.csv" if id.ends_with("_absolute-100") => "resegment_absolute",
        "resegment_sigma.csv" if id.ends_with("_sigma-3_3") => "resegment_sigma_pm3",
        "resegment_sigma.csv" => "resegment_sigma_lower1",
        other => other.trim_end_matches(".csv"),
    };
    format!("{name}.yaml")
}

/// Every row of the references made with PyRadiomics v3.0.1 for the settings the baselines do
/// not cover (distances, minimumROISize, correctMask, re-segmentation by sigma, gldm_a with
/// weightingNorm and an asymmetrical GLCM, normalisation with outliers removed, preCrop with
/// padDistance, shape2D along each axis) gives the same features within 1e-6, the same ones
/// missing (shape2D skipped along axis 1 by v3.0.1's check), and NaN where it gives NaN. The
/// cases it refused are refused, each with rgdb's code.
#[test]
fn pyradiomics_301_settings_give_its_features() {
    let tools = reference().join("../tools/params");
    let mut compared = 0;
    let mut agreement = Agreement::default();
    for file in [
        "default.csv",
        "distances123.csv",
        "precrop_pad.csv",
        "minroi.csv",
        "correctmask.csv",
        "resegment_sigma.csv",
        "gldm_a_weighting.csv",
        "normalize_outliers.csv",
        "shape2d.csv",
    ] {
        let (header, rows) = table(&v301().join(file));
        for row in rows {
            let cell = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
            let id = cell("ID").to_string();
            let params = read_params(&tools.join(v301_params(file, &id)))
                .unwrap_or_else(|e| panic!("{file} {id}: {e}"));
            let image = read_image(&v301_input(cell("Image"))).unwrap();
            let mask = read_image(&v301_input(cell("Mask"))).unwrap();
            let got = extract(&image, &mask, &params.settings)
                .unwrap_or_else(|e| panic!("{file} {id}: {e}"));
            let want: Vec<(&str, &str)> = header
                .iter()
                .zip(row.iter())
                .filter(|(h, v)| h.starts_with("original_") && !v.is_empty())
                .map(|(h, v)| (h.as_str(), v))
                .collect();
            let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
            let wanted: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, wanted, "{file} {id}: the features and their order");
            for ((name, value), (_, cell)) in got.iter().zip(&want) {
                let w: f64 = cell.parse().unwrap();
                assert!(
                    (value.is_nan() && w.is_nan())
                        || agreement.close(|| format!("{file} {id} {name}"), *value, w),
                    "{file} {id} {name}: rgdb {value}, PyRadiomics {w}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 3000, "{compared} values compared");
    agreement.report("pyradiomics301/*.csv (settings PyRadiomics' baselines do not cover)");
    // The cases PyRadiomics refused (`errors.csv`, with its messages).
    let text = std::fs::read_to_string(v301().join("errors.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut refusals = 0;
    for row in reader.records().map(Result::unwrap) {
        refusals += 1;
        let (id, params, refused) = (&row[1], &row[4], &row[5]);
        let params = read_params(&reference().join("../tools").join(params)).unwrap();
        let image = read_image(&v301_input(&row[2])).unwrap();
        let mask = read_image(&v301_input(&row[3])).unwrap();
        let err = extract(&image, &mask, &params.settings).unwrap_err();
        let code = if refused.contains("ROI is too small") {
            "E0449"
        } else if refused.contains("geometry mismatch") {
            "E0443"
        } else {
            "E0445"
        };
        assert_eq!(err.code(), code, "{id}: {err} (PyRadiomics: {refused})");
    }
    assert_eq!(refusals, 5, "the refusals of errors.csv checked");
}

/// Parameter files are read as PyRadiomics reads them: its configuration string is
/// reproduced exactly (`diagnostics_Configuration_Settings` of the reference CSV), features come
/// in the file's order, deprecated GLCM names are accepted and give nothing (v3.0.1 raises
/// for them and leaves them out), and every mistake is an E0448 at its line and column.
#[test]
fn parameter_files_are_read_as_pyradiomics_reads_them() {
    let params = read_params(&reference().join("../ibsi_digital_phantom.yaml")).unwrap();
    let (header, rows) = table(&reference().join("../ibsi_digital_phantom.csv"));
    let row = &rows[0];
    let at = header
        .iter()
        .position(|h| h == "diagnostics_Configuration_Settings")
        .unwrap();
    assert_eq!(params.configuration_literal(), &row[at]);

    let dir = reference().join("../ibsi1/digital_phantom");
    let image = read_image(&dir.join("image.nii.gz")).unwrap();
    let mask = read_image(&dir.join("mask.nii.gz")).unwrap();
    let chosen = parse_params(
        "featureClass:\n  ngtdm: [Strength, Busyness]\n  glcm: [SumVariance, Id]\n  firstorder: [StandardDeviation]\nimageType:\n  Original: {binWidth: 1}\n",
        "chosen.yaml",
    )
    .unwrap();
    let got = extract(&image, &mask, &chosen.settings).unwrap();
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "original_ngtdm_Strength",
            "original_ngtdm_Busyness",
            "original_glcm_Id",
            "original_firstorder_StandardDeviation"
        ]
    );

    let refused = |text: &str| {
        let err = parse_params(text, "p.yaml").unwrap_err();
        assert_eq!(err.code(), "E0448", "{err}");
        err.to_string()
    };
    assert_eq!(
        refused("setting:\n  symmetricalGlcm: true\n"),
        "p.yaml:2:3: unknown setting symmetricalGlcm (did you mean symmetricalGLCM?): PyRadiomics' schema does not define it"
    );
    assert_eq!(
        refused("setting:\n  binWidth: -25\n"),
        "p.yaml:2:13: binWidth takes a number above 0, not -25"
    );
    assert_eq!(
        refused("setting:\n  distances: [1, 0]\n"),
        "p.yaml:2:18: distances is a list of whole numbers from 1 to 16, not 0"
    );
    assert_eq!(
        refused("setting:\n  resegmentMode: percent\n"),
        "p.yaml:2:18: resegmentMode takes one of absolute, relative, sigma, not 'percent'"
    );
    assert!(
        refused("imageType:\n  Original: {}\n  LoG: {sigma: [1.0]}\n").starts_with(
            "p.yaml:3:3: imageType LoG (a filtered image) is not computed natively yet"
        )
    );
    assert!(
        refused("setting:\n  resampledPixelSpacing: [1, 1, 1]\n")
            .contains("resampledPixelSpacing (resampling) is not computed natively yet")
    );
    assert_eq!(
        refused("featureClass:\n  glcm: [Contrast, Dissimilarty]\n"),
        format!(
            "p.yaml:2:20: glcm has no feature 'Dissimilarty'; its features are {}",
            rgdb::radiomics::GLCM_FEATURES.join(", ")
        )
    );
    assert!(
        refused("featureClass:\n  texture:\n")
            .starts_with("p.yaml:2:3: unknown feature class 'texture'")
    );
    assert!(refused("setting: [1, 2\n").starts_with("p.yaml:"));
    assert!(
        refused("settings:\n  binWidth: 25\n")
            .starts_with("p.yaml:1:1: unknown section 'settings'")
    );
    // `imageType: Original:` settings reach the feature classes merged over `setting`, as
    // PyRadiomics merges them: a binCount there still wins over a binWidth here; a force2D here
    // changes the texture classes, not shape2D (which reads `setting`).
    let merged = parse_params(
        "setting:\n  binCount: 32\nimageType:\n  Original: {binWidth: 10, force2D: true}\n",
        "p.yaml",
    )
    .unwrap();
    assert_eq!(merged.settings.binning, rgdb::radiomics::Binning::Count(32));
    assert_eq!(merged.settings.force_2d, Some(0));
    assert_eq!(merged.settings.shape_force_2d, None);
    let all = extract(&image, &mask, &merged.settings).unwrap();
    assert!(all.iter().all(|(n, _)| !n.contains("shape2D")));
    // An empty file is PyRadiomics' defaults.
    assert_eq!(
        parse_params("", "p.yaml").unwrap(),
        rgdb::radiomics::Params::default()
    );
}

/// PyRadiomics' minimum checks (`checkMask`): a one-voxel region, one spanning fewer axes
/// than `minimumROIDimensions`, one not larger than `minimumROISize` (E0449).
#[test]
fn regions_below_pyradiomics_minimums_are_refused() {
    let dir = reference().join("../ibsi1/digital_phantom");
    let image = read_image(&dir.join("image.nii.gz")).unwrap();
    let mask = read_image(&dir.join("mask.nii.gz")).unwrap();
    let keep = |n: usize| {
        let mut m = mask.clone();
        let mut voxels = m.voxels.to_f64();
        let mut seen = 0;
        for v in voxels.iter_mut() {
            if *v == 1.0 {
                seen += 1;
                if seen > n {
                    *v = 0.0;
                }
            }
        }
        m.voxels = voxels.into();
        m
    };
    let err = extract(&image, &keep(1), &Settings::default()).unwrap_err();
    assert_eq!(err.code(), "E0449");
    assert_eq!(
        err.to_string(),
        "label 1: the region is 1 voxel; features need more (PyRadiomics: \"mask only contains 1 segmented voxel\")"
    );
    // The first two voxels of the phantom's mask lie along x: one axis.
    let err = extract(&image, &keep(2), &Settings::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "label 1: the region spans 1 of the 3 axes, fewer than minimumROIDimensions = 2 (its bounding box is 2 × 1 × 1 voxels)"
    );
    let small = Settings {
        minimum_roi_size: Some(74),
        ..Settings::default()
    };
    let err = extract(&image, &mask, &small).unwrap_err();
    assert_eq!(
        err.to_string(),
        "label 1: the region has 74 voxels, not more than minimumROISize = 74"
    );
}

/// `rgdb radiomics` prints what the `pyradiomics` command prints (`pyradiomics301/cli_*.csv`,
/// made by PyRadiomics v3.0.1 on the digital phantom): the same columns in the same order but
/// for the versions and hashes (rgdb names its version and gives each file's SHA-256), every
/// diagnostic cell the same text, every feature within 1e-6; for one case and for a batch.
/// A bad parameter file exits 2 with its error; a case that fails is named, exit 1.
#[test]
fn the_radiomics_command_prints_pyradiomics_csv() {
    let run = |dir: &Path, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_rgdb"))
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap()
    };
    let phantom = reference().join("../ibsi1/digital_phantom");
    let params = v301().join("cli_params.yaml");
    let params = params.to_str().unwrap();
    let single = run(
        &phantom,
        &[
            "radiomics",
            "--params",
            params,
            "image.nii.gz",
            "mask.nii.gz",
        ],
    );
    assert!(
        single.status.success(),
        "{}",
        String::from_utf8_lossy(&single.stderr)
    );
    let batch_file = v301().join("cli_batch_input.csv");
    let batch = run(
        &v301(),
        &["radiomics", "-p", params, batch_file.to_str().unwrap()],
    );
    assert!(
        batch.status.success(),
        "{}",
        String::from_utf8_lossy(&batch.stderr)
    );
    for (got, want) in [(single, "cli_single.csv"), (batch, "cli_batch.csv")] {
        let read = |text: &[u8]| -> (Vec<String>, Vec<Vec<String>>) {
            let mut r = csv::Reader::from_reader(text);
            let h = r.headers().unwrap().iter().map(String::from).collect();
            let rows = r
                .records()
                .map(|x| x.unwrap().iter().map(String::from).collect())
                .collect();
            (h, rows)
        };
        let (gh, grows) = read(&got.stdout);
        let (wh, wrows) = read(&std::fs::read(v301().join(want)).unwrap());
        let differs = |h: &str| {
            h.starts_with("diagnostics_Versions") || h.ends_with("_Hash") || h.ends_with("_SHA256")
        };
        let kept = |h: &Vec<String>| -> Vec<String> {
            h.iter().filter(|x| !differs(x)).cloned().collect()
        };
        assert_eq!(kept(&gh), kept(&wh), "{want}: columns");
        assert_eq!(grows.len(), wrows.len());
        for (g, w) in grows.iter().zip(&wrows) {
            for (k, name) in wh.iter().enumerate() {
                let Some(j) = gh.iter().position(|h| h == name) else {
                    continue;
                };
                if name.starts_with("original_") {
                    let (a, b): (f64, f64) = (g[j].parse().unwrap(), w[k].parse().unwrap());
                    assert!(
                        Agreement::default().close(String::new, a, b),
                        "{want} {name}: rgdb {a}, PyRadiomics {b}"
                    );
                } else if name == "Image" || name == "Mask" {
                    // Absolute paths, as PyRadiomics writes them (its run was elsewhere).
                    assert!(
                        Path::new(&g[j]).is_absolute()
                            && g[j].ends_with(w[k].rsplit('/').next().unwrap())
                    );
                } else if !differs(name) {
                    assert_eq!(g[j], w[k], "{want} {name}");
                }
            }
        }
    }
    let bad = run(
        &phantom,
        &[
            "radiomics",
            "--params",
            "no-such.yaml",
            "image.nii.gz",
            "mask.nii.gz",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).starts_with("error[E0441]: cannot read no-such.yaml")
    );
    let absent = run(
        &phantom,
        &["radiomics", "--label", "7", "image.nii.gz", "mask.nii.gz"],
    );
    assert_eq!(absent.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&absent.stderr),
        "error[E0444]: image.nii.gz: label 7 is not in the mask (it holds 0, 1); choose one of them with `label`\n"
    );
}

/// Settings that would take gigabytes or hours are refused before any work: a bin width that
/// makes more than 2²⁰ grey levels, a GLCM over more than 2,048 levels present (E0446), a
/// neighbour distance over 16 (E0448, at its place in the file).
#[test]
fn settings_that_would_take_unbounded_memory_or_time_are_refused() {
    let n = 20;
    let volume = Volume {
        size: [n, n, n],
        origin: [0.0; 3],
        spacing: [1.0; 3],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        voxels: (0..n * n * n)
            .map(|v| v as f64)
            .collect::<Vec<f64>>()
            .into(),
    };
    let mask = Volume {
        voxels: vec![1.0; n * n * n].into(),
        ..volume.clone()
    };
    let tiny = parse_params("setting:\n  binWidth: 0.000001\n", "p.yaml").unwrap();
    let err = extract(&volume, &mask, &tiny.settings).unwrap_err();
    assert_eq!(err.code(), "E0446");
    assert!(
        err.to_string().starts_with(
            "the setting binWidth = 0.000001 is not valid: it makes 7.999e9 grey levels"
        ),
        "{err}"
    );
    let wide = parse_params("setting:\n  binWidth: 1\n", "p.yaml").unwrap();
    let err = extract(&volume, &mask, &wide.settings).unwrap_err();
    assert!(
        err.to_string().contains("the region holds 8000 grey levels, and GLCM keeps a matrix of levels × levels per angle (13 at once here, 6.7 GB); at most 2048 levels and 1 GB"),
        "{err}"
    );
    // Without GLCM the same region is computed.
    let no_glcm = parse_params(
        "setting:\n  binWidth: 1\nfeatureClass:\n  firstorder:\n  glszm:\n",
        "p.yaml",
    )
    .unwrap();
    assert_eq!(
        extract(&volume, &mask, &no_glcm.settings).unwrap().len(),
        18 + 16
    );
    // Many distances make many angles: 200 levels are fine at distance 1, not over 16 distances.
    let coarse = parse_params("setting:\n  binWidth: 40\n", "p.yaml").unwrap();
    assert!(extract(&volume, &mask, &coarse.settings).is_ok());
    let far = parse_params(
        "setting:\n  binWidth: 40\n  distances: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n",
        "p.yaml",
    )
    .unwrap();
    let err = extract(&volume, &mask, &far.settings).unwrap_err();
    assert!(
        err.to_string().contains("at most 2048 levels and 1 GB"),
        "{err}"
    );
    // GLRLM over a million grey levels: a matrix of levels × run lengths per angle.
    let m = 100;
    let big = Volume {
        size: [m, m, m],
        voxels: (0..m * m * m)
            .map(|v| v as f64)
            .collect::<Vec<f64>>()
            .into(),
        ..volume.clone()
    };
    let big_mask = Volume {
        voxels: vec![1u8; m * m * m].into(),
        ..big.clone()
    };
    let runs = parse_params(
        "setting:\n  binWidth: 1\nfeatureClass:\n  glrlm:\n",
        "p.yaml",
    )
    .unwrap();
    let err = extract(&big, &big_mask, &runs.settings).unwrap_err();
    assert_eq!(err.code(), "E0446");
    assert!(
        err.to_string().starts_with("the setting binWidth = 1 is not valid: the region holds 1000000 grey levels, and GLRLM keeps a matrix of levels × run lengths (up to 100) per angle (13 at once here, 10.8 GB); at most 1 GB"),
        "{err}"
    );
    let err = parse_params("setting:\n  distances: [1, 100000]\n", "p.yaml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "p.yaml:2:18: distances is a list of whole numbers from 1 to 16, not 100000"
    );
}
