//! A deterministic synthetic cohort, written in the real source formats: `rgdb synth`.
//!
//! The files are what rgdb's importers meet in the field, so that a cohort of any size can be
//! built the way a user builds one:
//!
//! | file | format | like |
//! |---|---|---|
//! | `clinical.csv` | the TCIA clinical CSV: its 40 headers, tokens (`N/A`, `Not Collected`, `Checked`) and `M/D/YYYY` dates | `NSCLCR01Radiogenomic_DATA_LABELS_…csv` |
//! | `rnaseq_fpkm.txt` | genes as rows, subjects as columns, an empty first header cell, `NA` cells | GEO GSE103584 |
//! | `radiomics.csv` | PyRadiomics batch output: pandas index, `Image`, `Mask`, 37 `diagnostics_*` cells, the real feature names | `pyradiomics_features_60.csv` |
//! | `aim/*.xml` | ePAD AIM v4 answering the Lung Nodule template | ePAD exports |
//! | `dicom/` (with `--dicom`) | a small CT series per subject, explicit VR little endian | TCIA CT |
//!
//! plus `import.rgdb` (the statements that build a database from them) and `synth.json` (the
//! specification and the effects planted in the data).
//!
//! **The model.** Each subject has a latent tumour burden `z ~ N(0, 1)`. It drives the
//! radiomic shape features (volume grows as `e^{z}`), the AIM lesion length, a 10-gene
//! signature (`log2 FPKM` rises by 0.9 per unit of `z`) and the hazard of death
//! (`exp(0.7 z + 0.03 (age − 68) − 0.5 EGFR-mutant)`), so that CORRELATE, SURVIVAL and COX have
//! something to find. Genes come in blocks of [`GENE_BLOCK`] that share a subject-level factor
//! (correlated blocks); radiomic features of one image type share one too. EGFR mutation is
//! more frequent in never-smokers with adenocarcinoma, and raises the `EGFR` gene.
//!
//! **Determinism.** Every value is a function of `(seed, what, subject, column)` through
//! SplitMix64, never of the order of generation, so the files are generated in parallel and
//! the same seed gives the same bytes.

mod aim;
mod clinical;
mod dicom;
mod error;
mod expression;
mod radiomics;

pub use error::SynthError;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use error::Result;

pub use self::aim::{Lesion, lesion_xml, lung_nodule_template};
pub use self::dicom::ct_slice;
pub use self::expression::gene_names;

/// Genes per correlated block.
pub const GENE_BLOCK: usize = 50;
/// The genes whose expression follows the tumour burden (the first genes of the matrix).
pub const SIGNATURE: [&str; 10] = [
    "MKI67", "TOP2A", "CCNB1", "BIRC5", "AURKA", "CDK1", "UBE2C", "PTTG1", "RRM2", "TYMS",
];
/// Driver genes written right after the signature.
pub const DRIVERS: [&str; 6] = ["EGFR", "KRAS", "ALK", "TP53", "STK11", "KEAP1"];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub subjects: usize,
    pub genes: usize,
    pub features: usize,
    pub seed: u64,
    /// Share of subjects with RNA-seq (the real cohort: 130 of 211).
    pub rnaseq_fraction: f64,
    /// Share of subjects with a segmentation and so radiomic features (144 of 211).
    pub radiomic_fraction: f64,
    /// Share of subjects with AIM annotations (190 of 211); 0 writes none.
    pub aim_fraction: f64,
    /// Subjects that get a small CT series (0: no DICOM tree).
    pub dicom_subjects: usize,
    /// Share of RNA-seq cells written `NA`, scattered at random (GEO matrices have some).
    pub na_rate: f64,
}

impl Default for Spec {
    /// The size of the real cohort.
    fn default() -> Spec {
        Spec {
            subjects: 211,
            genes: 20_000,
            features: 1_764,
            seed: 1,
            rnaseq_fraction: 130.0 / 211.0,
            radiomic_fraction: 144.0 / 211.0,
            aim_fraction: 190.0 / 211.0,
            dicom_subjects: 0,
            na_rate: 1.0 / 5_000.0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub out: PathBuf,
    /// (file or directory relative to `out`, what it holds, bytes).
    pub files: Vec<(String, String, u64)>,
    /// The statements that import them (also written to `import.rgdb`).
    pub script: String,
}

impl Summary {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.2).sum()
    }
}

/// Writes the cohort into `out` (created if needed; files of an earlier run are replaced).
pub fn generate(spec: &Spec, out: &Path) -> Result<Summary> {
    spec.check()?;
    std::fs::create_dir_all(out).map_err(|e| io(out, e))?;
    let out = out.canonicalize().map_err(|e| io(out, e))?;
    let cohort = Cohort::new(spec);
    let mut files = Vec::new();
    let mut script = String::new();
    let quoted = |name: &str| out.join(name).display().to_string().replace('\'', "''");

    let path = out.join("clinical.csv");
    clinical::write(&cohort, &path)?;
    files.push(entry(
        &out,
        "clinical.csv",
        format!("{} subjects × 40 columns", spec.subjects),
    )?);
    script += &format!("IMPORT CLINICAL FROM '{}';\n", quoted("clinical.csv"));

    if spec.genes > 0 && cohort.count(Modality::Rnaseq) > 0 {
        expression::write(&cohort, &out.join("rnaseq_fpkm.txt"))?;
        let n = cohort.count(Modality::Rnaseq);
        files.push(entry(
            &out,
            "rnaseq_fpkm.txt",
            format!("{} genes × {n} subjects", spec.genes),
        )?);
        script += &format!(
            "IMPORT EXPRESSION FROM '{}' ORIENTATION 'genes-by-subjects' PLATFORM 'Illumina HiSeq 2500 (synthetic)' UNIT 'FPKM' AS rnaseq;\n",
            quoted("rnaseq_fpkm.txt")
        );
    }
    if spec.features > 0 && cohort.count(Modality::Radiomic) > 0 {
        radiomics::write(&cohort, &out.join("radiomics.csv"))?;
        let n = cohort.count(Modality::Radiomic);
        files.push(entry(
            &out,
            "radiomics.csv",
            format!("{n} rows × {} features", spec.features),
        )?);
        script += &format!("IMPORT RADIOMICS FROM '{}';\n", quoted("radiomics.csv"));
    }
    if cohort.count(Modality::Aim) > 0 {
        let lesions = aim::write(&cohort, &out.join("aim"))?;
        let subjects = cohort.count(Modality::Aim);
        files.push(entry(
            &out,
            "aim",
            format!("{lesions} AIM files: lesions of {subjects} subjects"),
        )?);
        script += &format!(
            "IMPORT AIM FROM '{}' TEMPLATE '{}';\n",
            quoted("aim"),
            quoted("LungNoduleTemplate.xml")
        );
    }
    if spec.dicom_subjects > 0 {
        let written = dicom::write(&cohort, &out.join("dicom"))?;
        files.push(entry(&out, "dicom", format!("{written} CT files"))?);
        script += &format!("IMPORT DICOM FROM '{}';\n", quoted("dicom"));
    }
    write_file(&out.join("import.rgdb"), script.as_bytes())?;
    write_file(&out.join("synth.json"), spec.json().as_bytes())?;
    Ok(Summary { out, files, script })
}

impl Spec {
    fn check(&self) -> Result<()> {
        let problem = if self.subjects == 0 {
            Some("--subjects must be at least 1".to_string())
        } else if self.subjects > 10_000_000 {
            Some("--subjects is at most 10,000,000".to_string())
        } else if self.features > radiomics::MAX_FEATURES {
            Some(format!("--features is at most {}", radiomics::MAX_FEATURES))
        } else if self.genes > 1_000_000 {
            Some("--genes is at most 1,000,000".to_string())
        } else {
            [
                ("rnaseq", self.rnaseq_fraction),
                ("radiomic", self.radiomic_fraction),
                ("aim", self.aim_fraction),
                ("na", self.na_rate),
            ]
            .into_iter()
            .find(|(_, f)| !(0.0..=1.0).contains(f))
            .map(|(name, f)| {
                let option = if name == "na" {
                    "--na-rate".to_string()
                } else {
                    format!("--{name}-fraction")
                };
                format!("{option} must be between 0 and 1, not {f}")
            })
        };
        match problem {
            Some(message) => Err(SynthError::Failed { message }),
            None => Ok(()),
        }
    }

    /// The specification and the planted effects, as written to `synth.json`.
    fn json(&self) -> String {
        serde_json::to_string_pretty(&serde_json::json!({
            "generator": format!("rgdb {} synth", env!("CARGO_PKG_VERSION")),
            "subjects": self.subjects,
            "genes": self.genes,
            "features": self.features,
            "seed": self.seed,
            "rnaseq_fraction": self.rnaseq_fraction,
            "radiomic_fraction": self.radiomic_fraction,
            "aim_fraction": self.aim_fraction,
            "dicom_subjects": self.dicom_subjects,
            "na_rate": self.na_rate,
            "model": {
                "tumour_burden": "z ~ N(0,1) per subject",
                "signature_genes": SIGNATURE,
                "signature_effect": "log2 FPKM + 0.9 z",
                "gene_blocks": GENE_BLOCK,
                "egfr_gene": "log2 FPKM + 1.5 when EGFR Mutant",
                "shape_features": "log(original_shape_MeshVolume) = 9.2 + 1.0 z + 0.15 noise",
                "hazard": "exp(0.7 z + 0.03 (age - 68) - 0.5 [EGFR Mutant]) / 1460 per day",
                "censoring": "uniform 365..3650 days after CT",
            },
        }))
        .expect("a JSON value serializes")
    }
}

fn entry(out: &Path, name: &str, what: String) -> Result<(String, String, u64)> {
    let path = out.join(name);
    let bytes = if path.is_dir() {
        let mut total = 0;
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            for item in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
                let item = item.map_err(|e| io(&dir, e))?;
                let meta = item.metadata().map_err(|e| io(&item.path(), e))?;
                if meta.is_dir() {
                    stack.push(item.path());
                } else {
                    total += meta.len();
                }
            }
        }
        total
    } else {
        std::fs::metadata(&path).map_err(|e| io(&path, e))?.len()
    };
    Ok((name.to_string(), what, bytes))
}

pub(crate) fn io(path: &Path, e: std::io::Error) -> SynthError {
    SynthError::Failed {
        message: format!("cannot write {}: {e}", path.display()),
    }
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

/// A buffered file that reports its path on failure.
pub(crate) struct Output {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Output {
    pub(crate) fn create(path: &Path) -> Result<Output> {
        let file = File::create(path).map_err(|e| io(path, e))?;
        Ok(Output {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(|e| io(&self.path, e))
    }

    pub(crate) fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| io(&self.path, e))
    }
}

/// Generates `n` items' text on every core, in order: `render(i, buffer)` appends item `i`.
/// The text is written block by block, so memory holds one block per thread.
pub(crate) fn write_parallel(
    out: &mut Output,
    n: usize,
    block: usize,
    render: impl Fn(usize, &mut Vec<u8>) + Sync,
) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    for round in starts.chunks(threads) {
        let parts = crate::parallel::map(round, |&from| {
            let mut buffer = Vec::new();
            for i in from..(from + block).min(n) {
                render(i, &mut buffer);
            }
            buffer
        });
        for part in parts {
            out.write(&part)?;
        }
    }
    Ok(())
}

/// The streams of random values, so that no two draws share one.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub(crate) enum Stream {
    Burden = 1,
    Age,
    Gender,
    Smoking,
    Histology,
    Mutation,
    Death,
    Censor,
    Recurrence,
    Dates,
    Clinical,
    Coverage,
    GeneMean,
    GeneBlock,
    GeneNoise,
    Feature,
    FeatureBlock,
    FeatureNoise,
    Aim,
}

/// SplitMix64's finalizer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random bits of draw `(stream, a, b)` under `seed`.
pub(crate) fn bits(seed: u64, stream: Stream, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ (stream as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93)) ^ a) ^ b)
}

/// Uniform on [0, 1).
pub(crate) fn uniform(seed: u64, stream: Stream, a: u64, b: u64) -> f64 {
    (bits(seed, stream, a, b) >> 11) as f64 / (1u64 << 53) as f64
}

/// Approximately standard normal: the sum of four 16-bit uniforms, centred and scaled
/// (Irwin–Hall). Only integer arithmetic and one multiplication, so it is the same on every
/// machine, and cheap enough for 200 million cells.
pub(crate) fn normal(seed: u64, stream: Stream, a: u64, b: u64) -> f64 {
    normal_of(bits(seed, stream, a, b))
}

/// [`normal`] of bits already drawn.
pub(crate) fn normal_of(r: u64) -> f64 {
    let sum = (r & 0xFFFF) + ((r >> 16) & 0xFFFF) + ((r >> 32) & 0xFFFF) + (r >> 48);
    // Each part is uniform on 0..65536 (mean 32767.5, variance 65536²/12); four of them have
    // variance 65536²/3.
    (sum as f64 - 4.0 * 32_767.5) / (65_536.0 / 3f64.sqrt())
}

/// The modalities a subject may lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modality {
    Rnaseq = 1,
    Radiomic,
    Aim,
}

/// The subjects and their latent and clinical values, which every file shares.
pub(crate) struct Cohort {
    pub spec: Spec,
    pub subjects: Vec<Subject>,
}

/// One subject.
pub(crate) struct Subject {
    pub index: usize,
    pub id: String,
    /// Tumour burden, N(0, 1).
    pub burden: f64,
    pub age: u32,
    pub male: bool,
    /// 0 never, 1 former, 2 current.
    pub smoking: u8,
    /// 0 adenocarcinoma, 1 squamous, 2 NOS.
    pub histology: u8,
    pub egfr_mutant: bool,
    pub kras_mutant: bool,
    /// Days from CT to death, or to last contact when `dead` is false.
    pub follow_up: u32,
    pub dead: bool,
    /// Days from CT to recurrence, when observed.
    pub recurrence: Option<u32>,
    pub rnaseq: bool,
    pub radiomic: bool,
    pub aim: bool,
}

impl Cohort {
    pub(crate) fn new(spec: &Spec) -> Cohort {
        let subjects = (0..spec.subjects).map(|i| Subject::new(spec, i)).collect();
        Cohort {
            spec: spec.clone(),
            subjects,
        }
    }

    pub(crate) fn count(&self, modality: Modality) -> usize {
        self.with(modality).count()
    }

    pub(crate) fn with(&self, modality: Modality) -> impl Iterator<Item = &Subject> {
        self.subjects.iter().filter(move |s| match modality {
            Modality::Rnaseq => s.rnaseq,
            Modality::Radiomic => s.radiomic,
            Modality::Aim => s.aim,
        })
    }
}

/// Subject IDs as the cohort writes them: the first 77 % `R01-…` (Stanford), the rest
/// `AMC-…` (Palo Alto VA), numbered from 1 within each, with at least three digits.
fn subject_id(n: usize, i: usize) -> String {
    let stanford = (n * 77).div_ceil(100);
    let width = n.to_string().len().max(3);
    if i < stanford {
        format!("R01-{:0width$}", i + 1)
    } else {
        format!("AMC-{:0width$}", i - stanford + 1)
    }
}

impl Subject {
    fn new(spec: &Spec, index: usize) -> Subject {
        let seed = spec.seed;
        let i = index as u64;
        let draw = |stream| uniform(seed, stream, i, 0);
        let burden = normal(seed, Stream::Burden, i, 0);
        let age = (68.0 + 9.0 * normal(seed, Stream::Age, i, 0))
            .round()
            .clamp(24.0, 90.0) as u32;
        let male = draw(Stream::Gender) < 0.64;
        let smoking = match draw(Stream::Smoking) {
            u if u < 0.17 => 0,
            u if u < 0.80 => 1,
            _ => 2,
        };
        let histology = match draw(Stream::Histology) {
            u if u < 0.80 => 0,
            u if u < 0.96 => 1,
            _ => 2,
        };
        let egfr_p = if smoking == 0 && histology == 0 {
            0.5
        } else {
            0.12
        };
        let egfr_mutant = draw(Stream::Mutation) < egfr_p;
        let kras_mutant = !egfr_mutant && uniform(seed, Stream::Mutation, i, 1) < 0.25;
        // Exponential survival with a proportional-hazards linear predictor.
        let hazard =
            (0.7 * burden + 0.03 * (age as f64 - 68.0) - if egfr_mutant { 0.5 } else { 0.0 }).exp()
                / 1460.0;
        let death = -(1.0 - draw(Stream::Death)).ln() / hazard;
        let censor = 365.0 + 3285.0 * draw(Stream::Censor);
        let dead = death < censor;
        let follow_up = death.min(censor).round().max(1.0) as u32;
        let relapse = -(1.0 - draw(Stream::Recurrence)).ln() / (1.5 * hazard);
        let recurrence = (relapse < follow_up as f64).then(|| relapse.round().max(1.0) as u32);
        let covered =
            |m: Modality, fraction: f64| uniform(seed, Stream::Coverage, i, m as u64) < fraction;
        Subject {
            index,
            id: subject_id(spec.subjects, index),
            burden,
            age,
            male,
            smoking,
            histology,
            egfr_mutant,
            kras_mutant,
            follow_up,
            dead,
            recurrence,
            rnaseq: covered(Modality::Rnaseq, spec.rnaseq_fraction),
            radiomic: covered(Modality::Radiomic, spec.radiomic_fraction),
            aim: covered(Modality::Aim, spec.aim_fraction),
        }
    }

    /// The longest diameter of the lesion in mm, from the volume the shape features carry.
    pub(crate) fn lesion_length(&self, seed: u64) -> f64 {
        let volume = radiomics::mesh_volume(seed, self);
        (2.0 * (3.0 * volume / (4.0 * std::f64::consts::PI)).cbrt() * 100.0).round() / 100.0
    }
}

/// Appends `x` rounded to three decimals, trailing zeros dropped (`5.25`, `0.0`, `12.125`).
pub(crate) fn push_milli(buffer: &mut Vec<u8>, x: f64) {
    let milli = (x * 1000.0).round() as u64;
    let (whole, frac) = (milli / 1000, milli % 1000);
    push_u64(buffer, whole);
    buffer.push(b'.');
    if frac == 0 {
        buffer.push(b'0');
        return;
    }
    let digits = [
        b'0' + (frac / 100) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ];
    let keep = if digits[2] != b'0' {
        3
    } else if digits[1] != b'0' {
        2
    } else {
        1
    };
    buffer.extend_from_slice(&digits[..keep]);
}

pub(crate) fn push_u64(buffer: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buffer.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_a_matrix_writes_them() {
        let mut b = Vec::new();
        for x in [0.0, 5.25, 12.125, 0.0004, 0.0005, 1234.5678, 40.0] {
            push_milli(&mut b, x);
            b.push(b' ');
        }
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "0.0 5.25 12.125 0.0 0.001 1234.568 40.0 "
        );
    }

    #[test]
    fn the_normal_draws_have_mean_0_and_variance_1() {
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|i| normal(7, Stream::Burden, i, 0)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.01, "{var}");
    }

    #[test]
    fn subject_ids_follow_the_cohort() {
        assert_eq!(subject_id(211, 0), "R01-001");
        assert_eq!(subject_id(211, 162), "R01-163");
        assert_eq!(subject_id(211, 163), "AMC-001");
        assert_eq!(subject_id(10_000, 0), "R01-00001");
        assert_eq!(subject_id(10_000, 9_999), "AMC-02300");
    }
}
