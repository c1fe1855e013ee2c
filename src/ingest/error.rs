//! Errors of the ingest stage. Every variant names the file, and the line (and column) when
//! the problem has one.

use thiserror::Error;

/// Why a source file was refused. Nothing is imported when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IngestError {
    /// The file could not be read: `rgdb import clinical missing.csv`.
    #[error("{file}: cannot read the file: {message}")]
    Io { file: String, message: String },
    /// A byte sequence that is not UTF-8, e.g. a Latin-1 `é` (0xE9) in a CSV cell.
    #[error(
        "{file}:{line}:{column}: the file is not valid UTF-8 (byte 0x{byte:02X}); re-save it as UTF-8"
    )]
    NotUtf8 {
        file: String,
        line: u64,
        column: u64,
        byte: u8,
    },
    /// A file with no header row: an empty file, or one holding only blank lines.
    #[error("{file}: the file is empty; expected a header row and data rows")]
    Empty { file: String },
    /// A header row and nothing else.
    #[error("{file}: the file has a header but no data rows")]
    NoRows { file: String },
    /// A row with more or fewer fields than the header.
    #[error("{file}:{line}: this row has {found} fields but the header has {expected}")]
    RaggedRow {
        file: String,
        line: u64,
        expected: usize,
        found: usize,
    },
    /// The same subject twice in a one-row-per-subject table.
    #[error(
        "{file}:{line}: subject `{subject}` appears again (first on line {first_line}); a per-subject table holds one row per subject"
    )]
    DuplicateSubject {
        file: String,
        subject: String,
        first_line: u64,
        line: u64,
    },
    /// No header cell names the subject, e.g. `--subject-column PID` on a file whose header
    /// says `Patient`.
    #[error(
        "{file}:1: no subject column: expected one of {}; the header has {}{}",
        quote_list(wanted),
        quote_list(header),
        crate::storage::suggest(candidates)
    )]
    MissingSubjectColumn {
        file: String,
        wanted: Vec<String>,
        header: Vec<String>,
        candidates: Vec<String>,
    },
    /// A row whose subject cell is blank.
    #[error("{file}:{line}: the subject column `{column}` is empty on this row")]
    EmptySubject {
        file: String,
        line: u64,
        column: String,
    },
    /// A gzip file that ends early or is damaged: `head -c 100000 x.tsv.gz > y.tsv.gz`.
    #[error("{file}:{line}: the compressed file is truncated or corrupt ({message})")]
    Truncated {
        file: String,
        line: u64,
        message: String,
    },
    /// A cell of a numeric matrix that is not a number nor a missing-value token.
    #[error(
        "{file}:{line}:{column}: `{value}` is not a number (expression values are numbers; missing values are written NA or left empty)"
    )]
    NotNumeric {
        file: String,
        line: u64,
        column: usize,
        value: String,
    },
    /// The same subject twice in a matrix's header.
    #[error("{file}:1: subject `{subject}` heads columns {first_column} and {column}")]
    DuplicateSubjectInHeader {
        file: String,
        subject: String,
        first_column: usize,
        column: usize,
    },
    /// A gene symbol repeated under `--duplicates error`.
    #[error(
        "{file}:{line}: gene `{gene}` appears again (first on line {first_line}); choose --duplicates first or suffix"
    )]
    DuplicateGene {
        file: String,
        gene: String,
        first_line: u64,
        line: u64,
    },
    /// Neither the header nor the first column names known subjects, and nothing else tells
    /// which way the matrix lies.
    #[error(
        "{file}: cannot tell whether subjects are rows or columns; pass --orientation genes-by-subjects or subjects-by-genes"
    )]
    UnknownOrientation { file: String },
    /// A GEO series matrix without its data table.
    #[error("{file}: not a GEO series matrix: {what}")]
    NotSeriesMatrix { file: String, what: String },
    /// An alias file naming subjects the database does not hold.
    #[error(
        "{file}: {count} aliases name subjects that are not registered, such as `{example}`; import the clinical table first"
    )]
    UnknownAliasSubjects {
        file: String,
        count: usize,
        example: String,
    },
    /// A malformed CSV record the parser could not read.
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
}

impl IngestError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Io { .. } => "E0401",
            IngestError::NotUtf8 { .. } => "E0402",
            IngestError::Empty { .. } => "E0403",
            IngestError::NoRows { .. } => "E0404",
            IngestError::RaggedRow { .. } => "E0405",
            IngestError::DuplicateSubject { .. } => "E0406",
            IngestError::MissingSubjectColumn { .. } => "E0407",
            IngestError::EmptySubject { .. } => "E0408",
            IngestError::Csv { .. } => "E0409",
            IngestError::Truncated { .. } => "E0410",
            IngestError::NotNumeric { .. } => "E0411",
            IngestError::DuplicateSubjectInHeader { .. } => "E0412",
            IngestError::DuplicateGene { .. } => "E0413",
            IngestError::UnknownOrientation { .. } => "E0414",
            IngestError::NotSeriesMatrix { .. } => "E0415",
            IngestError::UnknownAliasSubjects { .. } => "E0416",
        }
    }
}

fn quote_list(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = items.iter().take(SHOWN).map(|s| format!("`{s}`")).collect();
    if items.len() > SHOWN {
        parts.push(format!("… ({} in all)", items.len()));
    }
    parts.join(", ")
}
