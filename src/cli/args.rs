//! The command line's grammar, as clap derive types.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  rgdb                                          REPL on the demo cohort
  rgdb nsclc.rgdb                               REPL on a database (as `duckdb file.db`)
  rgdb nsclc.rgdb \"SHOW TABLES\"                 one statement, then exit
  rgdb -csv -c \"SURVIVAL TEST OF subjects BY egfr_mutation_status\"
  rgdb -c \"SELECT gender, count(*) FROM subjects GROUP BY gender\"
  rgdb --format csv -c \"SELECT subject_id, os_days, os_event FROM subjects\" > os.csv
  echo \"SHOW TABLES;\" | rgdb --db nsclc.rgdb
  rgdb --db nsclc.rgdb import clinical clinical.csv
  rgdb --db nsclc.rgdb -f analysis.rgdb
  rgdb demo ./demo.rgdb
  rgdb synth --subjects 10000 --out cohort/ && rgdb --db big.rgdb --create -f cohort/import.rgdb";

/// rgdb: an embedded analytical database for radiogenomics cohorts.
///
/// Without a command or -c/-f, rgdb opens its REPL (on the bundled NSCLC Radiogenomics demo
/// cohort unless a database is given), or runs statements piped on stdin.
///
/// duckdb's and sqlite3's single-dash flags work too: -csv, -json, -markdown, -line, -table,
/// -box, -readonly, -c and -s (both: run the statements and exit).
#[derive(Debug, Parser)]
#[command(
    name = "rgdb",
    version,
    about,
    long_about,
    after_help = EXAMPLES
)]
pub struct Args {
    /// The database directory (or give it first: `rgdb PATH`). Without it, the REPL, -c/-f
    /// and the reading commands use the demo cohort; `import` needs it.
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The database directory, as `duckdb file.db` takes it (the same as --db PATH).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Statements to run on the database, then exit (as `duckdb file.db "SELECT 1"`).
    #[arg(value_name = "STATEMENTS", requires = "path", conflicts_with_all = ["statements", "file"])]
    pub sql: Option<String>,
    /// Create the database at --db when it does not exist (otherwise a missing database is
    /// an error, so that a mistyped path does not make an empty one).
    #[arg(long)]
    pub create: bool,
    /// Run these statements (separated by `;`) and print their results.
    #[arg(short = 'c', long = "command", value_name = "STATEMENTS")]
    pub statements: Option<String>,
    /// Run the statements and meta-commands in FILE.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "statements"
    )]
    pub file: Option<PathBuf>,
    /// How the results of statements (the REPL, -c, -f, stdin) are printed.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Rows printed in table mode before "… N more rows" (0: all). Default: 40 in the REPL,
    /// all in batch use.
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    /// Print the test table of SURVIVAL and COX (the log-rank, likelihood-ratio, Wald and
    /// score tests, as one row) instead of their groups or terms: in CSV, one table per run.
    #[arg(long)]
    pub tests: bool,
    /// Most memory one query may hold, e.g. 512MB or 2GB; DataFusion spills what it can, and
    /// what does not fit fails with E0310.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Stop reading statements that run longer than this, e.g. 30s, 500ms or 2m (E0311).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// The longest line (and quoted field) an import reads from a text file, e.g. 64MB;
    /// default 256MB. Past it the import stops (E0433, E0437) with memory bounded.
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size)]
    pub max_line_bytes: Option<usize>,
    /// Open the database read-only: nothing in its directory is written, other processes may
    /// write it meanwhile, and statements that would change it fail with E0515. Commands and
    /// -c/-f scripts that only read open read-only without it.
    #[arg(long, global = true, visible_alias = "read-only")]
    pub readonly: bool,
    /// Convert a database made by an earlier rgdb (sled storage) when opening it, once and
    /// atomically (as `rgdb upgrade PATH` does).
    #[arg(long, global = true)]
    pub upgrade: bool,
    /// The storage engine of a database this command creates: redb (the default), redb-tree
    /// or sled. For measuring them (benches/storage); not needed otherwise.
    #[arg(long, global = true, value_name = "ENGINE", hide = true, value_parser = parse_backend)]
    pub backend: Option<crate::storage::Backend>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

fn parse_backend(text: &str) -> Result<crate::storage::Backend, String> {
    crate::storage::Backend::parse(text)
        .ok_or_else(|| format!("unknown storage engine `{text}`: redb, redb-tree or sled"))
}

/// Output formats for results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A boxed table.
    Table,
    /// Comma-separated, with a header row.
    Csv,
    /// Tab-separated, with a header row.
    Tsv,
    /// A JSON array of objects.
    Json,
    /// A Markdown table.
    Markdown,
    /// One `column = value` line per cell, a blank line between rows.
    Line,
}

/// duckdb's and sqlite3's single-dash flags, as this command line spells them. Only a whole
/// argument before `--` is rewritten, so values (`-c "-json"`) are left alone.
pub fn duckdb_flags(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    let mut value_next = false;
    for (i, arg) in args.into_iter().enumerate() {
        let text = arg.to_str().unwrap_or("");
        if i == 0 || rest || value_next {
            value_next = false;
            out.push(arg);
            continue;
        }
        let rewritten = match text {
            "--" => {
                rest = true;
                None
            }
            "-csv" | "-json" | "-markdown" | "-line" | "-table" | "-tsv" => {
                Some(format!("--format={}", &text[1..]))
            }
            "-box" => Some("--format=table".into()),
            "-readonly" => Some("--readonly".into()),
            "-s" => Some("-c".into()),
            _ => None,
        };
        // The values of options that take one are never rewritten.
        value_next = matches!(
            text,
            "-c" | "-s"
                | "--command"
                | "-f"
                | "--file"
                | "--db"
                | "--format"
                | "--max-rows"
                | "--memory-limit"
                | "--timeout"
                | "--max-line-bytes"
                | "--backend"
        );
        out.push(rewritten.map_or(arg, Into::into));
    }
    out
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a source file.
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  rgdb --db my.rgdb import clinical data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv\n  rgdb --db my.rgdb import expression data/nsclc_radiogenomics/rnaseq_fpkm_subset_130x140.tsv --table rnaseq --unit FPKM\n\nThe database is --db PATH (created when missing); an import never goes into the demo cohort.\nEach import is one new version, atomic: a failed import leaves the database as it was."
    )]
    Import(Import),
    /// List the tables.
    #[command(
        after_help = "Examples:\n  rgdb tables                   the demo cohort's tables\n  rgdb --db my.rgdb tables"
    )]
    Tables,
    /// Show a table's columns, types, labels and source.
    #[command(
        after_help = "Examples:\n  rgdb describe clinical\n  rgdb --db my.rgdb describe rnaseq"
    )]
    Describe {
        /// The table.
        table: String,
    },
    /// List every version of the database.
    #[command(after_help = "Example:\n  rgdb --db my.rgdb history")]
    History,
    /// Verify every chunk checksum and the catalog; exits 1 on a problem.
    #[command(after_help = "Example:\n  rgdb --db my.rgdb check && echo intact")]
    Check,
    /// Convert a database made by an earlier rgdb (sled storage) to the current storage, once
    /// and atomically; every version, table and chunk is kept.
    #[command(after_help = "Example:\n  rgdb upgrade old.rgdb")]
    Upgrade {
        /// The database (default: --db).
        path: Option<PathBuf>,
    },
    /// Build the NSCLC Radiogenomics demo database at PATH (nothing to do when it is built).
    #[command(after_help = "Example:\n  rgdb demo ./demo.rgdb && rgdb ./demo.rgdb")]
    Demo {
        /// Where to build it.
        path: PathBuf,
    },
    /// Write a deterministic synthetic cohort in the real source formats (clinical CSV, GEO
    /// RNA-seq matrix, PyRadiomics CSV, AIM XML, optionally DICOM), with `import.rgdb` to load
    /// it: `rgdb --db x.rgdb --create -f DIR/import.rgdb`.
    #[command(
        after_help = "Example:\n  rgdb synth --subjects 2000 --genes 5000 --out cohort/ && rgdb --db big.rgdb --create -f cohort/import.rgdb"
    )]
    Synth(SynthArgs),
    /// Compute radiomic features as PyRadiomics v3.0.1 does, for an image and its mask or for
    /// every case of a PyRadiomics batch CSV (columns Image, Mask, optional Label), and print
    /// them in PyRadiomics' CSV layout (diagnostics, then features): a drop-in for the
    /// `pyradiomics` command. No database is used.
    #[command(
        after_help = "Examples:\n  rgdb radiomics --params params.yaml ct.nrrd tumour.nrrd\n  rgdb radiomics --params params.yaml batch.csv > features.csv\n  rgdb radiomics tests/reference/radiomics/ibsi1/digital_phantom/image.nii.gz tests/reference/radiomics/ibsi1/digital_phantom/mask.nii.gz\n\nImages: NRRD (.nrrd) and NIfTI (.nii, .nii.gz). The parameter file is PyRadiomics' YAML; filters\n(LoG, wavelet, ...) and resampling are refused by name (they come later). docs/radiomics.md says more."
    )]
    Radiomics(RadiomicsArgs),
}

/// `rgdb radiomics`'s options.
#[derive(Debug, clap::Args)]
pub struct RadiomicsArgs {
    /// A PyRadiomics parameter file (YAML); without it, PyRadiomics' defaults.
    #[arg(long, short = 'p', value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// The label of the region (overrides the parameter file and the batch's Label column).
    #[arg(long, short = 'l', value_name = "N")]
    pub label: Option<i64>,
    /// How many cases run at once (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// An image and its mask, or one batch CSV.
    #[arg(value_name = "IMAGE_OR_BATCH", required = true, num_args = 1..=2)]
    pub inputs: Vec<PathBuf>,
}

/// `rgdb synth`'s options. Defaults are the real cohort's size and coverage.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Subjects.
    #[arg(long, default_value_t = 211)]
    pub subjects: usize,
    /// Genes in the RNA-seq matrix (0: no matrix).
    #[arg(long, default_value_t = 20_000)]
    pub genes: usize,
    /// Radiomic features (0: no PyRadiomics file; at most 2,500).
    #[arg(long, default_value_t = 1_764)]
    pub features: usize,
    /// The seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The directory to write into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Share of subjects with RNA-seq.
    #[arg(long, value_name = "F", default_value_t = 130.0 / 211.0)]
    pub rnaseq_fraction: f64,
    /// Share of subjects with radiomic features.
    #[arg(long, value_name = "F", default_value_t = 144.0 / 211.0)]
    pub radiomic_fraction: f64,
    /// Share of subjects with AIM annotations (0: none).
    #[arg(long, value_name = "F", default_value_t = 190.0 / 211.0)]
    pub aim_fraction: f64,
    /// Every subject has every modality (sets the three fractions to 1).
    #[arg(long)]
    pub complete: bool,
    /// Also write a small CT series for the first N subjects.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub dicom: usize,
    /// Share of RNA-seq cells written as NA, scattered at random.
    #[arg(long, value_name = "F", default_value_t = 1.0 / 5_000.0)]
    pub na_rate: f64,
}

impl SynthArgs {
    pub fn spec(&self) -> crate::synth::Spec {
        let fraction = |f: f64| if self.complete { 1.0 } else { f };
        crate::synth::Spec {
            subjects: self.subjects,
            genes: self.genes,
            features: self.features,
            seed: self.seed,
            rnaseq_fraction: fraction(self.rnaseq_fraction),
            radiomic_fraction: fraction(self.radiomic_fraction),
            aim_fraction: fraction(self.aim_fraction),
            dicom_subjects: self.dicom,
            na_rate: self.na_rate,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Import {
    /// A TCIA-style clinical CSV (subject column `Case ID` or `Patient ID`), with derived
    /// survival and tumour-location columns.
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import clinical data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"
    )]
    Clinical {
        /// The file to import (plain or .gz).
        file: PathBuf,
        /// The table to create or replace.
        #[arg(long, default_value = "clinical")]
        table: String,
        #[command(flatten)]
        nulls: NullArgs,
    },
    /// Any CSV or TSV keyed by a subject column.
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import table lesions tests/slt/data/lesions.csv --subject-column subject_id --level multi"
    )]
    Table {
        /// The table to create or replace.
        name: String,
        /// The file to import (plain or .gz).
        file: PathBuf,
        /// The header cell that holds subject IDs.
        #[arg(long, value_name = "COL")]
        subject_column: String,
        /// One row per subject (duplicates refused) or several.
        #[arg(long, value_enum, default_value_t = LevelArg::Subject)]
        level: LevelArg,
        /// The field delimiter; guessed from the header when absent.
        #[arg(long, value_name = "CHAR")]
        delimiter: Option<char>,
        #[command(flatten)]
        nulls: NullArgs,
    },
    /// An expression matrix (TSV/CSV, optionally .gz), genes by subjects or subjects by genes.
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import expression data/nsclc_radiogenomics/rnaseq_fpkm_subset_130x140.tsv --table rnaseq --unit FPKM"
    )]
    Expression {
        /// The file to import (plain or .gz).
        file: PathBuf,
        /// The table to create or replace (e.g. rnaseq, microarray).
        #[arg(long)]
        table: String,
        #[arg(long, value_enum, default_value_t = OrientationArg::Auto)]
        orientation: OrientationArg,
        /// The platform, recorded with the table.
        #[arg(long)]
        platform: Option<String>,
        /// The unit (FPKM, TPM, counts, log2 intensity), recorded with every gene column.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = DuplicatesArg::Suffix)]
        duplicates: DuplicatesArg,
    },
    /// A GEO series matrix (`GSE…_series_matrix.txt.gz`).
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import geo data/geo/GSE42872_series_matrix.txt.gz --table microarray"
    )]
    Geo {
        /// The file to import (plain or .gz).
        file: PathBuf,
        /// The table of probe values; sample metadata goes to TABLE_samples.
        #[arg(long)]
        table: String,
        /// The sample field that names the subject (default: the GSM accession), e.g. title or
        /// "characteristics: patient id".
        #[arg(long, value_name = "FIELD")]
        subject_field: Option<String>,
        /// A probe annotation table (probe ID first) that labels probes with gene symbols.
        #[arg(long, value_name = "FILE")]
        annotation: Option<PathBuf>,
        /// The annotation's gene-symbol column (found by name when absent).
        #[arg(long, value_name = "COL")]
        symbol_column: Option<String>,
        #[arg(long)]
        unit: Option<String>,
    },
    /// Alias names of registered subjects (CSV: alias, subject_id).
    #[command(after_help = "Example:\n  rgdb --db my.rgdb import aliases aliases.csv")]
    Aliases {
        /// The CSV: alias, subject_id.
        file: PathBuf,
    },
    /// PyRadiomics batch output (CSV): features as float columns, diagnostics as provenance.
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import radiomics data/nsclc_radiogenomics/pyradiomics_features_60.csv"
    )]
    Radiomics {
        /// A CSV, or a directory of batch CSVs made with the same settings.
        file: PathBuf,
        /// The table to create or replace.
        #[arg(long, default_value = "radiomic")]
        table: String,
        /// A regular expression finding the subject ID in the Image/Mask path (first capture
        /// group, or the whole match). Default: letters/digits, a dash, digits (R01-012).
        #[arg(long, value_name = "REGEX")]
        subject_pattern: Option<String>,
        /// A column holding subject IDs, instead of the paths.
        #[arg(long, value_name = "COL")]
        subject_column: Option<String>,
        /// Accept rows extracted with different PyRadiomics versions or settings.
        #[arg(long)]
        allow_mixed_settings: bool,
    },
    /// AIM annotations (v4 XML, ePAD JSON, v3 XML): a file or a directory, recursively.
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import aim annotations/ --template data/aim/LungNoduleTemplate.xml --skip-bad"
    )]
    Aim {
        /// A file or a directory, read recursively.
        path: PathBuf,
        /// The table to create or replace.
        #[arg(long, default_value = "semantic")]
        table: String,
        /// An ePAD template (e.g. LungNoduleTemplate.xml): its questions become columns and
        /// answers it does not allow are reported.
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
        /// Import the good files of a directory and list the bad ones, instead of failing.
        #[arg(long)]
        skip_bad: bool,
        /// Which person field names the subject.
        #[arg(long, value_enum, default_value_t = PersonArg::Id)]
        subject_field: PersonArg,
        /// A regular expression applied to that field (first capture group, or the match).
        #[arg(long, value_name = "REGEX")]
        subject_pattern: Option<String>,
    },
    /// A directory of DICOM files (any names), indexed by their headers into dicom_files,
    /// series and segmentations; merged with what is indexed already.
    #[command(after_help = "Example:\n  rgdb --db my.rgdb import dicom data/dicom/ct2_series")]
    Dicom {
        /// The directory, read recursively.
        dir: PathBuf,
        /// Import the readable files and list the others, instead of failing.
        #[arg(long)]
        skip_bad: bool,
    },
    /// The IDC series manifest (PatientID, StudyInstanceUID, SeriesInstanceUID, source_DOI,
    /// idc_version) into the series table.
    #[command(
        after_help = "Example:\n  rgdb --db my.rgdb import series data/nsclc_radiogenomics/idc_series_manifest.csv"
    )]
    Series {
        /// The manifest CSV.
        file: PathBuf,
    },
}

/// The AIM `person` field that names the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PersonArg {
    Id,
    Name,
}

/// Missing-value tokens.
#[derive(Debug, clap::Args)]
pub struct NullArgs {
    /// A cell text that means "missing" (repeatable). Replaces the defaults.
    #[arg(long = "null-token", value_name = "TEXT")]
    pub null_tokens: Vec<String>,
}

/// Which way an expression matrix lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrientationArg {
    Auto,
    GenesBySubjects,
    SubjectsByGenes,
}

/// What to do with a repeated gene symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DuplicatesArg {
    /// Refuse the file.
    Error,
    /// Keep the first.
    First,
    /// Keep all, as SYMBOL, SYMBOL_2, …
    Suffix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    Subject,
    Multi,
}

/// `512MB`, `2GB`, `1.5G`, `64K` or a number of bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (number, scale) = match t.chars().last() {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        Some('T') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok((n * scale as f64) as usize),
        _ => Err(format!("`{text}` is not a size; write e.g. 512MB or 2GB")),
    }
}

/// `30s`, `500ms`, `2m`, `1h`, or a number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim().to_ascii_lowercase();
    let (number, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t.as_str(), 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(std::time::Duration::from_secs_f64(n * unit)),
        _ => Err(format!(
            "`{text}` is not a duration; write e.g. 30s, 500ms or 2m"
        )),
    }
}
