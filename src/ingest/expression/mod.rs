//! The expression-matrix importer: RNA-seq or microarray values in either orientation, plain or
//! gzip, streamed so that a matrix larger than memory imports in bounded memory.
//!
//! - **Genes by subjects** (GEO's layout: a gene per line, a subject per column): each line is
//!   parsed into one column and handed to a writer thread, which compresses and stores it while
//!   the next line is parsed.
//! - **Subjects by genes** (a subject per line): rows are gathered in chunks of
//!   [`SUBJECT_MAJOR_CHUNK`] and each chunk is written for every column at once. Columns whose
//!   first 256 lines are not numeric, or only 0/1 (a flag such as `Recurrence`), become typed
//!   metadata columns instead of genes: their role is `metadata`, so `rnaseq.*` (any pattern)
//!   leaves them out and only their name reads them. Gene columns are `measurement`s.
//!
//! Gene columns keep their symbol as their name (`EGFR`, `HLA-A`); repeats follow
//! [`DuplicatePolicy`]. Values are 64-bit floats kept exactly, NaN and Inf included; missing
//! values are `NA` or empty.

mod chunks;
mod orientation;
mod records;
mod subject_major;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};

use arrow::array::{Float64Array, Float64Builder};
use csv::ByteRecord;

use self::chunks::{Job, write_jobs};
pub use self::orientation::Orientation;
use self::orientation::detect;
pub use self::records::{Records, text};
use super::IngestError;
use super::infer::{NullTokens, parse_float, parse_plain_decimal};
use super::pipeline::{self, Format, Written};
use super::stream::{Stream, sniff};
use super::subjects::check_subject_id;
use super::summary::{ColumnSummary, ImportSummary};
use crate::storage::{
    ColumnRole, ColumnType, Level, NewColumn, SUBJECT_COLUMN, SourceFile, Store, TableWriter,
    WriteTxn,
};

/// Rows per chunk when subjects are rows: the buffer holds this many rows of every gene.
pub const SUBJECT_MAJOR_CHUNK: usize = 2_048;

/// What to do when a gene symbol appears again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicatePolicy {
    /// Refuse the file.
    Error,
    /// Keep the first occurrence, drop the others.
    First,
    /// Keep all: `EGFR`, `EGFR_2`, `EGFR_3`.
    Suffix,
}

impl std::str::FromStr for DuplicatePolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Ok(DuplicatePolicy::Error),
            "first" => Ok(DuplicatePolicy::First),
            "suffix" => Ok(DuplicatePolicy::Suffix),
            other => Err(format!(
                "unknown duplicate policy `{other}`: use error, first or suffix"
            )),
        }
    }
}

/// How to import an expression matrix.
///
/// With `Orientation::Auto`, the matrix is genes by subjects when most header cells after the
/// first are known subjects (or aliases), subjects by genes when most first-column values of
/// the first 100 lines are; failing both, the first header cell decides: empty or a gene word
/// (`ID_REF`, `gene`, `symbol`, …) means genes by subjects, a subject word (`PID`, `subject`,
/// `sample`, `Patient ID`, …) subjects by genes.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpressionImport {
    pub table: String,
    pub orientation: Orientation,
    /// The platform (`Illumina HiSeq`, `GPL6884`, …), recorded with the table.
    pub platform: Option<String>,
    /// The unit (`FPKM`, `TPM`, `counts`, `log2 intensity`), recorded with every gene column.
    pub unit: Option<String>,
    pub duplicates: DuplicatePolicy,
    /// Which cells are missing values (default: empty, `NA`).
    pub null_tokens: NullTokens,
}

impl ExpressionImport {
    /// Defaults: automatic orientation, suffixes for repeated symbols, `NA` and empty missing.
    pub fn new(table: &str) -> Self {
        ExpressionImport {
            table: table.to_string(),
            orientation: Orientation::Auto,
            platform: None,
            unit: None,
            duplicates: DuplicatePolicy::Suffix,
            null_tokens: NullTokens::new(["NA", "N/A", "null"]),
        }
    }

    pub fn with_orientation(mut self, orientation: Orientation) -> Self {
        self.orientation = orientation;
        self
    }

    pub fn with_platform(mut self, platform: &str) -> Self {
        self.platform = Some(platform.to_string());
        self
    }

    pub fn with_unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_string());
        self
    }

    pub fn with_duplicates(mut self, policy: DuplicatePolicy) -> Self {
        self.duplicates = policy;
        self
    }
}

/// Imports an expression matrix as one new version.
pub fn import_expression(
    store: &Store,
    path: &Path,
    options: &ExpressionImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &ExpressionFormat { path, options }, statement)
}

/// `IMPORT EXPRESSION`: a matrix of genes by subjects or subjects by genes, streamed (its
/// header is checked before the transaction opens, its rows as they are written).
struct ExpressionFormat<'a> {
    path: &'a Path,
    options: &'a ExpressionImport,
}

impl Format for ExpressionFormat<'_> {
    /// The open file, its records after the header, and the header's cells.
    type Checked = (Stream, Records, Vec<String>);

    fn check(&self, store: &Store) -> Result<Self::Checked, IngestError> {
        let mut stream = Stream::open(self.path, store.config().max_line_bytes)?;
        let mut first = Vec::new();
        let reader = std::mem::replace(&mut stream.reader, Box::new(std::io::empty()));
        let mut buffered = std::io::BufReader::new(reader);
        std::io::BufRead::read_until(&mut buffered, b'\n', &mut first)
            .map_err(|e| stream.read_error(1, e))?;
        let delimiter = sniff(&first);
        let input: Box<dyn std::io::Read + Send> =
            Box::new(std::io::Read::chain(std::io::Cursor::new(first), buffered));
        let mut records = Records::new(&stream, input, delimiter, 0);
        let Some((_, header)) = records.next(&stream)? else {
            return Err(IngestError::Empty { file: stream.file });
        };
        let header = header_cells(&stream.file, &header)?;
        Ok((stream, records, header))
    }

    fn write(
        &self,
        (stream, mut records, header): Self::Checked,
        txn: &mut WriteTxn<'_>,
    ) -> Result<Written, IngestError> {
        let options = self.options;
        let orientation = match options.orientation {
            Orientation::Auto => detect(txn, &stream, &mut records, &header)?,
            fixed => fixed,
        };
        let mut matrix = Matrix::new(&stream.file, options);
        let (staged, rows) = match orientation {
            Orientation::SubjectsByGenes => {
                matrix.subjects_by_genes(txn, &stream, &mut records, &header)?
            }
            _ => {
                let samples: Vec<(usize, String)> = header
                    .iter()
                    .skip(1)
                    .cloned()
                    .enumerate()
                    .map(|(i, s)| (i + 1, s))
                    .collect();
                let subjects = matrix.subjects_in_header(txn, 1, &samples, false)?;
                matrix.genes_by_subjects(txn, &stream, &mut records, subjects)?
            }
        };
        records.drain(&stream)?;
        written(txn, stream.provenance(), matrix, staged, rows)
    }
}

/// A finished matrix's tables and summary, for the pipeline to commit.
pub fn written(
    txn: &WriteTxn<'_>,
    source: SourceFile,
    matrix: Matrix,
    mut writer: TableWriter,
    rows: u64,
) -> Result<Written, IngestError> {
    let replaced = txn
        .base()
        .find_table(&matrix.options.table.to_ascii_lowercase())?
        .is_some();
    writer.set_source(source.clone());
    // Every column not marked as sample metadata is a measurement.
    writer.set_roles(|c| match c.role {
        ColumnRole::Attribute => ColumnRole::Measurement,
        role => role,
    });
    let staged = writer.finish()?;
    let name = staged.meta().name.clone();
    let metadata = staged
        .columns()
        .iter()
        .filter(|c| c.role == ColumnRole::Metadata)
        .map(|c| ColumnSummary {
            name: c.name.clone(),
            label: c.label.clone(),
            ty: c.ty,
            non_null: c.non_null as usize,
            derived: false,
            null_tokens: Default::default(),
        })
        .collect();
    let mut tables = vec![staged];
    tables.extend(matrix.extra_tables);
    Ok(Written {
        importer: "expression".into(),
        tables,
        summary: ImportSummary {
            table: name,
            kind: "expression".into(),
            version: 0,
            rows,
            new_subjects: 0,
            replaced,
            source,
            columns: metadata,
            genes: matrix.genes,
            notes: matrix.notes,
        },
    })
}

fn header_cells(file: &str, header: &ByteRecord) -> Result<Vec<String>, IngestError> {
    header
        .iter()
        .enumerate()
        .map(|(i, c)| text(file, 1, i, c).map(|s| s.trim_matches('"').to_string()))
        .collect()
}

/// One matrix import in progress: names handed out, metadata columns, notes.
pub struct Matrix {
    file: String,
    options: ExpressionImport,
    /// Each symbol's first line (or column), for the duplicate policy.
    seen: HashMap<String, u64>,
    suffixes: HashMap<String, usize>,
    pub genes: usize,
    pub notes: Vec<String>,
    repeated: usize,
    /// Tables imported alongside (a GEO series' sample table).
    pub extra_tables: Vec<crate::storage::StagedTable>,
    /// Labels for columns by name (a probe's gene symbol).
    pub labels: HashMap<String, String>,
}

impl Matrix {
    pub fn new(file: &str, options: &ExpressionImport) -> Self {
        Matrix {
            file: file.to_string(),
            options: options.clone(),
            seen: HashMap::new(),
            suffixes: HashMap::new(),
            genes: 0,
            notes: Vec::new(),
            repeated: 0,
            extra_tables: Vec::new(),
            labels: HashMap::new(),
        }
    }

    /// The column name for a symbol met on `line`, or `None` to skip it (`First` policy).
    fn gene_name(&mut self, symbol: &str, line: u64) -> Result<Option<String>, IngestError> {
        let symbol = if symbol.is_empty() {
            format!("unnamed_{line}")
        } else {
            symbol.to_string()
        };
        let reserved = symbol.eq_ignore_ascii_case(SUBJECT_COLUMN);
        match self.seen.get(&symbol) {
            None if !reserved => {
                self.seen.insert(symbol.clone(), line);
                Ok(Some(symbol))
            }
            first => {
                self.repeated += 1;
                match self.options.duplicates {
                    DuplicatePolicy::Error => Err(IngestError::DuplicateGene {
                        file: self.file.clone(),
                        gene: symbol,
                        first_line: first.copied().unwrap_or(line),
                        line,
                    }),
                    DuplicatePolicy::First => Ok(None),
                    DuplicatePolicy::Suffix => {
                        let n = self.suffixes.entry(symbol.clone()).or_insert(1);
                        loop {
                            *n += 1;
                            let candidate = format!("{symbol}_{n}");
                            if !self.seen.contains_key(&candidate) {
                                self.seen.insert(candidate.clone(), line);
                                return Ok(Some(candidate));
                            }
                        }
                    }
                }
            }
        }
    }

    fn gene_column(&self, name: String) -> NewColumn {
        NewColumn {
            label: self
                .labels
                .get(&name)
                .cloned()
                .unwrap_or_else(|| name.clone()),
            name,
            unit: self.options.unit.clone(),
            description: None,
        }
    }

    /// Dense ids for the subjects heading the columns, read on line `line` (registered when
    /// new, unless `mapped`, when unmatched samples are skipped and reported). Returns
    /// `(column, id)` pairs.
    pub fn subjects_in_header(
        &mut self,
        txn: &mut WriteTxn<'_>,
        line: u64,
        samples: &[(usize, String)],
        mapped: bool,
    ) -> Result<Vec<(usize, u32)>, IngestError> {
        let mut first: HashMap<u32, usize> = HashMap::new();
        let mut out = Vec::with_capacity(samples.len());
        let mut unmatched = Vec::new();
        for (column, name) in samples {
            let id = match txn.resolve_subject(name)? {
                Some(id) => id,
                None if mapped => {
                    unmatched.push(name.clone());
                    continue;
                }
                None => {
                    check_subject_id(name, || format!("{}:{line}", self.file))?;
                    txn.register_subject(name)
                }
            };
            if let Some(previous) = first.insert(id, *column) {
                return Err(IngestError::DuplicateSubjectInHeader {
                    file: self.file.clone(),
                    subject: name.clone(),
                    first_column: previous + 1,
                    column: column + 1,
                });
            }
            out.push((*column, id));
        }
        if !unmatched.is_empty() {
            self.notes.push(format!(
                "{} samples match no subject and were not imported: {}",
                unmatched.len(),
                unmatched.join(", ")
            ));
        }
        Ok(out)
    }

    /// Streams a genes-by-subjects matrix: one column per line (ending early at a GEO
    /// `!series_matrix_table_end` line).
    pub fn genes_by_subjects(
        &mut self,
        txn: &mut WriteTxn<'_>,
        stream: &Stream,
        records: &mut Records,
        subjects: Vec<(usize, u32)>,
    ) -> Result<(TableWriter, u64), IngestError> {
        let mut writer = txn.table(&self.options.table, Level::Subject, "expression")?;
        self.properties(&mut writer, "genes-by-subjects");
        let ids = subjects.iter().map(|(_, id)| *id).collect();
        writer.subjects(ids, "sample")?;
        let rows = subjects.len() as u64;
        let (sender, jobs) = sync_channel::<Job>(8);
        let writer = std::thread::scope(|scope| {
            let handle = scope.spawn(move || write_jobs(writer, jobs));
            let parsed = self.parse_gene_lines(stream, records, &subjects, &sender);
            drop(sender);
            let written = handle.join().map_err(|_| {
                crate::storage::StorageError::Internal("writer thread panicked".into())
            });
            parsed?;
            Ok::<_, IngestError>(written??)
        })?;
        self.report_repeats();
        Ok((writer, rows))
    }

    fn parse_gene_lines(
        &mut self,
        stream: &Stream,
        records: &mut Records,
        subjects: &[(usize, u32)],
        sender: &SyncSender<Job>,
    ) -> Result<(), IngestError> {
        let width = subjects.iter().map(|(c, _)| *c).max().unwrap_or(0) + 1;
        let mut expected = None;
        while let Some((line, record)) = records.next(stream)? {
            if record.len() == 1 && record[0].starts_with(b"!series_matrix_table_end") {
                break;
            }
            let fields = *expected.get_or_insert(record.len().max(width));
            if record.len() != fields {
                return Err(IngestError::RaggedRow {
                    file: self.file.clone(),
                    line,
                    expected: fields,
                    found: record.len(),
                });
            }
            let symbol = text(&self.file, line, 0, &record[0])?
                .trim_matches('"')
                .to_string();
            let Some(name) = self.gene_name(&symbol, line)? else {
                continue;
            };
            let values = self.parse_values(line, &record, subjects)?;
            self.genes += 1;
            let column = self.gene_column(name);
            if sender.send(Job::Column(column, Arc::new(values))).is_err() {
                break;
            }
        }
        Ok(())
    }

    fn parse_values(
        &self,
        line: u64,
        record: &ByteRecord,
        subjects: &[(usize, u32)],
    ) -> Result<Float64Array, IngestError> {
        let mut values = Float64Builder::with_capacity(subjects.len());
        for (column, _) in subjects {
            values.append_option(self.number(line, *column, &record[*column])?);
        }
        Ok(values.finish())
    }

    fn number(&self, line: u64, column: usize, cell: &[u8]) -> Result<Option<f64>, IngestError> {
        // The common case, a plain decimal: no UTF-8 check, no trimming, no token checks.
        if let Some(value) = parse_plain_decimal(cell) {
            return Ok(Some(value));
        }
        let cell = text(&self.file, line, column, cell)?.trim_matches('"');
        if self.options.null_tokens.is_null(cell) {
            return Ok(None);
        }
        parse_float(cell)
            .map(Some)
            .ok_or_else(|| IngestError::NotNumeric {
                file: self.file.clone(),
                line,
                column: column + 1,
                value: cell.chars().take(40).collect(),
            })
    }

    fn properties(&self, writer: &mut TableWriter, orientation: &str) {
        writer.set_property("orientation", orientation);
        if let Some(p) = &self.options.platform {
            writer.set_property("platform", p);
        }
        if let Some(u) = &self.options.unit {
            writer.set_property("unit", u);
        }
    }

    fn report_repeats(&mut self) {
        if self.repeated > 0 {
            let what = match self.options.duplicates {
                DuplicatePolicy::First => "kept the first of each",
                _ => "suffixed _2, _3, …",
            };
            self.notes
                .push(format!("{} repeated gene symbols: {what}", self.repeated));
        }
    }
}

/// How a subject-major column is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Gene,
    Metadata(ColumnType),
}
