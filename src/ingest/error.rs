//! Errors of the ingest stage. Every variant names the file, and the line (and column) when
//! the problem has one.

use thiserror::Error;

/// Why a source file was refused. Nothing is imported when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IngestError {
    /// The file could not be read: `rgdb import clinical missing.csv`.
    #[error("{file}: cannot read the file: {message}")]
    Io { file: String, message: String },
    /// The store refused to write what was read (a name taken, a full disk, a read-only
    /// database). Surfaces as the storage error it is, with its E05xx code.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
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
        hint(header, candidates)
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
    /// Malformed XML: an unclosed tag, a mismatched end tag, a DOCTYPE, a bad attribute.
    #[error("{file}:{line}:{column}: malformed XML: {message}")]
    Xml {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    /// Malformed JSON.
    #[error("{file}:{line}:{column}: malformed JSON: {message}")]
    Json {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    /// Well-formed, but not the kind of document the importer reads.
    #[error("{file}: the root element is <{root}>; expected {expected}")]
    NotAim {
        file: String,
        root: String,
        expected: String,
    },
    /// A gzip-compressed file given to an importer that reads its file whole (a clinical
    /// table, a table, aliases, a manifest, PyRadiomics output), e.g. `clinical.csv.gz`.
    #[error(
        "{file}: the file is gzip-compressed, and this importer reads plain text; decompress it first (`gunzip -k {file}`). Expression and GEO matrices are read compressed"
    )]
    Compressed { file: String },
    /// Features could not be computed for a case (`IMPORT RADIOMICS FROM IMAGES/DICOM`): its
    /// place (`batch.csv:3`, a SEG segment) and why; the code is the radiomics error's.
    #[error("{place}: {message}")]
    Radiomics {
        place: String,
        /// The radiomics error's code (E0441–E0449).
        code: &'static str,
        message: String,
    },
    /// Ctrl-C during an import that computes its cases (radiomics): it stopped between cases.
    #[error("stopped (Ctrl-C) after {done} of {total} cases; nothing was imported")]
    Stopped { done: usize, total: usize },
    /// `SKIP BAD` left no case to import.
    #[error(
        "{file}: no case could be computed ({skipped} skipped); nothing was imported. The first: {first}"
    )]
    NoCases {
        file: String,
        skipped: usize,
        first: String,
    },
    /// Well-formed JSON that is not AIM JSON: `[{"ImageAnnotationCollection": {…}}]`, or an
    /// object with two members. `found` says what the document is; the place is its value's.
    #[error(
        "{file}:{line}:{column}: not AIM JSON: the document is {found}; AIM JSON is an object with one member that names the root, such as `ImageAnnotationCollection`"
    )]
    NotAimJson {
        file: String,
        line: u64,
        column: u64,
        found: String,
    },
    /// A file over the importer's size limit (AIM files are a few kB).
    #[error("{file}: the file is {size} bytes, over the limit of {limit} bytes for one AIM file")]
    TooLarge { file: String, size: u64, limit: u64 },
    /// An annotation whose subject cannot be found.
    #[error(
        "{place}: no subject for this annotation: {}{}",
        match value { Some(v) => format!("{field} is `{v}`"), None => format!("it has no {field}") },
        match pattern { Some(p) => format!(", which --subject-pattern `{p}` does not match"), None => String::new() }
    )]
    NoAimSubject {
        place: String,
        field: String,
        value: Option<String>,
        pattern: Option<String>,
    },
    /// Several files of a directory import are bad (and `--skip-bad` was not given).
    #[error(
        "{path}: {bad} of {total} files could not be imported, nothing was; the first: {first}. Pass --skip-bad (SKIP BAD) to import the others"
    )]
    BadAimFiles {
        path: String,
        bad: usize,
        total: usize,
        first: String,
    },
    /// A path with no AIM files, or files with no annotations; `not_aim` counts the
    /// documents of a directory that were not AIM (the template among them) and were skipped.
    #[error(
        "{path}: no AIM annotations found (looked for *.xml and *.json files{})",
        match not_aim { 0 => String::new(), 1 => "; 1 was not an AIM document".into(), n => format!("; {n} were not AIM documents") }
    )]
    NoAnnotations { path: String, not_aim: usize },
    /// A `--subject-pattern` that is not a regular expression.
    #[error("invalid subject pattern `{pattern}`: {message}")]
    BadPattern { pattern: String, message: String },
    /// A radiomic feature cell that is not a number.
    #[error(
        "{file}:{line}:{column}: `{value}` in feature column `{label}` is not a number (a missing feature is an empty cell or nan)"
    )]
    BadFeature {
        file: String,
        line: u64,
        column: usize,
        label: String,
        value: String,
    },
    /// A PyRadiomics `diagnostics_*` cell that is not a Python literal.
    #[error("{file}:{line}:{column}: `{label}` is not a Python literal: {message}")]
    BadLiteral {
        file: String,
        line: u64,
        column: usize,
        label: String,
        message: String,
    },
    /// Rows extracted with different PyRadiomics versions or settings.
    #[error(
        "{file}:{line}: `{label}` differs from {first} ({values}); features made with different settings do not compare. Pass --allow-mixed-settings (ALLOW MIXED SETTINGS) to import them anyway"
    )]
    MixedSettings {
        file: String,
        line: u64,
        /// Where the first settings were read: `line 2`, or `first.csv:2` in another file.
        first: String,
        label: String,
        /// `this vs that`, each cut to 60 characters.
        values: String,
    },
    /// A batch file of a directory import whose columns are not those of the first file.
    #[error(
        "{file}: its columns differ from those of {first_file}: {}{}",
        if missing.is_empty() { String::new() } else { format!("missing {}", quote_list(missing)) },
        if extra.is_empty() { String::new() } else { format!("{}extra {}", if missing.is_empty() { "" } else { "; " }, quote_list(extra)) }
    )]
    ColumnsDiffer {
        file: String,
        first_file: String,
        missing: Vec<String>,
        extra: Vec<String>,
    },
    /// No subject ID in a row's `Image` or `Mask` path.
    #[error(
        "{file}:{line}: no subject ID matching `{pattern}` in `{path}`; pass --subject-column or --subject-pattern"
    )]
    NoSubjectInPath {
        file: String,
        line: u64,
        pattern: String,
        path: String,
    },
    /// A DICOM file that cannot be read: truncated, malformed, or pixel data too short.
    #[error("{file}: cannot read this DICOM file: {message}")]
    BadDicom { file: String, message: String },
    /// Several DICOM files of a directory are bad (and `--skip-bad` was not given).
    #[error(
        "{path}: {bad} of {total} files could not be read, nothing was imported; the first: {first}. Pass --skip-bad (SKIP BAD) to import the others"
    )]
    BadDicomFiles {
        path: String,
        bad: usize,
        total: usize,
        first: String,
    },
    /// A path with no DICOM file in it.
    #[error(
        "{path}: no DICOM files found among {files} files (a DICOM file has `DICM` at byte 128)"
    )]
    NoDicom { path: String, files: usize },
    /// An IDC series manifest without `PatientID`, `StudyInstanceUID` or `SeriesInstanceUID`.
    /// `candidates` are header cells near the missing names.
    #[error(
        "{file}:1: an IDC series manifest needs the columns `PatientID`, `StudyInstanceUID`, `SeriesInstanceUID`; the header lacks {} (it has {}){}",
        quote_list(missing),
        quote_list(header),
        crate::storage::suggest(candidates)
    )]
    ManifestColumns {
        file: String,
        missing: Vec<String>,
        header: Vec<String>,
        candidates: Vec<String>,
    },
    /// A malformed CSV record the parser could not read.
    #[error("{file}:{line}: malformed CSV: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    /// A line longer than the bound on a line, e.g. a 2 GB line in a 3 MB `.gz`.
    #[error(
        "{file}:{line}: this line is longer than {}, the longest line rgdb reads; if the file is right, raise the limit (--max-line-bytes, Config::with_max_line_bytes)",
        size_text(*limit)
    )]
    LineTooLong { file: String, line: u64, limit: u64 },
    /// A quoted field still open at the end of the file (`1,"x` and no closing quote), or, in
    /// a matrix, whose cells never hold a line break, at the end of its line.
    #[error(
        "{file}:{line}: a quoted field opens on this line and {}",
        if *line_end {
            "is not closed on it; a matrix cell holds no line break (write `\"\"` for a quote inside a quoted cell)"
        } else {
            "is never closed; a `\"` at the start of a field quotes it up to the next lone `\"` (write `\"\"` for a quote inside it)"
        }
    )]
    UnterminatedQuote {
        file: String,
        line: u64,
        /// Refused at the end of its line (a matrix), not of the file.
        line_end: bool,
    },
    /// A NUL byte (0x00) in a text file: a binary file, or text saved as UTF-16.
    #[error(
        "{file}:{line}:{column}: a NUL byte (0x00); text files hold none. Is it a binary file, or text saved as UTF-16? Re-save it as UTF-8"
    )]
    NulByte {
        file: String,
        line: u64,
        column: u64,
    },
    /// A subject ID longer than [`crate::ingest::MAX_SUBJECT_ID_BYTES`].
    #[error(
        "{place}: a subject ID of {length} bytes (`{prefix}`); subject IDs are at most {limit} bytes"
    )]
    SubjectIdTooLong {
        /// `file:line`, or the file where there are no lines (DICOM).
        place: String,
        length: usize,
        limit: usize,
        /// The ID shortened to its first 40 characters and `…` (`storage::shorten`).
        prefix: String,
    },
    /// A quoted field longer than the bound, e.g. a quote left open in a large file.
    #[error(
        "{file}:{line}: a quoted field opens on this line and runs past {}, the longest field rgdb reads; is its closing quote missing?",
        size_text(*limit)
    )]
    FieldTooLong { file: String, line: u64, limit: u64 },
}

/// What to suggest for a missing subject column: when the header was read as one column with
/// punctuation in it, that its delimiter is one rgdb does not guess; else the nearest names.
fn hint(header: &[String], candidates: &[String]) -> String {
    match header {
        [one] if one.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace() && c != '_') => {
            ", read as one column: rgdb recognises `,`, tab, `;` and `|` from the first line; name another delimiter with `--delimiter`".into()
        }
        _ => crate::storage::suggest(candidates),
    }
}

impl IngestError {
    /// The stable code documented in `docs/errors.md`.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Storage(e) => e.code(),
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
            IngestError::Xml { .. } => "E0417",
            IngestError::Json { .. } => "E0418",
            IngestError::NotAim { .. } => "E0419",
            IngestError::TooLarge { .. } => "E0420",
            IngestError::NoAimSubject { .. } => "E0421",
            IngestError::BadAimFiles { .. } => "E0422",
            IngestError::NoAnnotations { .. } => "E0423",
            IngestError::BadPattern { .. } => "E0424",
            IngestError::BadFeature { .. } => "E0425",
            IngestError::BadLiteral { .. } => "E0426",
            IngestError::MixedSettings { .. } => "E0427",
            IngestError::NoSubjectInPath { .. } => "E0428",
            IngestError::ColumnsDiffer { .. } => "E0429",
            IngestError::BadDicom { .. } => "E0430",
            IngestError::BadDicomFiles { .. } => "E0431",
            IngestError::NoDicom { .. } => "E0432",
            IngestError::LineTooLong { .. } => "E0433",
            IngestError::UnterminatedQuote { .. } => "E0434",
            IngestError::NulByte { .. } => "E0435",
            IngestError::SubjectIdTooLong { .. } => "E0436",
            IngestError::FieldTooLong { .. } => "E0437",
            IngestError::NotAimJson { .. } => "E0438",
            IngestError::Compressed { .. } => "E0440",
            IngestError::ManifestColumns { .. } => "E0439",
            IngestError::Radiomics { code, .. } => code,
            IngestError::NoCases { .. } => "E0450",
            IngestError::Stopped { .. } => "E0451",
        }
    }
}

impl IngestError {
    /// A radiomics error at `place` (a file, `batch.csv:3`, a SEG segment).
    pub fn radiomics(place: String, error: &crate::radiomics::RadiomicsError) -> IngestError {
        IngestError::Radiomics {
            place,
            code: error.code(),
            message: error.to_string(),
        }
    }
}

/// A byte count as people write it: `256 MiB`, `64 KiB`, `1000 bytes`.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
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
