//! GEO series-matrix files (`GSE…_series_matrix.txt.gz`): the `!Series_*` metadata, the
//! `!Sample_*` metadata (with repeated `!Sample_characteristics_ch1` lines of `key: value`
//! cells), and the probe-by-sample table between `!series_matrix_table_begin` and
//! `!series_matrix_table_end`.
//!
//! Probes become float columns of the named table (labelled with their gene symbol when an
//! annotation table is given); the sample metadata becomes a one-row-per-subject table
//! `<table>_samples`; the series metadata is recorded as the table's properties.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::IngestError;
use super::delimited::Sheet;
use super::expression::{ExpressionImport, Matrix, Records, written};
use super::infer::{NullTokens, infer};
use super::names::{UniqueNames, snake_case};
use super::pipeline::{self, Format, Written};
use super::source::SourceText;
use super::stream::Stream;
use super::summary::ImportSummary;
use crate::storage::{Level, NewColumn, SUBJECT_COLUMN, Store, WriteTxn};

/// How to import a GEO series matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoImport {
    /// The table of probe values; sample metadata goes to `<table>_samples`.
    pub table: String,
    /// Which sample field names the subject: `geo_accession` (the default), `title`, another
    /// `!Sample_` field, or a characteristic (`characteristics: patient id`). With a field
    /// other than the accession, samples that match no subject (or alias) are skipped and
    /// reported.
    pub subject_field: Option<String>,
    /// A probe annotation table (CSV/TSV: probe ID first) and the column holding the gene
    /// symbol (found by name when not given).
    pub annotation: Option<PathBuf>,
    pub symbol_column: Option<String>,
    pub unit: Option<String>,
}

impl GeoImport {
    pub fn new(table: &str) -> Self {
        GeoImport {
            table: table.to_string(),
            subject_field: None,
            annotation: None,
            symbol_column: None,
            unit: None,
        }
    }

    pub fn with_subject_field(mut self, field: &str) -> Self {
        self.subject_field = Some(field.to_string());
        self
    }

    pub fn with_annotation(mut self, path: &Path, symbol_column: Option<&str>) -> Self {
        self.annotation = Some(path.to_path_buf());
        self.symbol_column = symbol_column.map(str::to_string);
        self
    }
}

/// The metadata lines before the table.
#[derive(Debug, Default)]
struct Header {
    series: Vec<(String, String)>,
    /// `(key, one cell per sample)`, in file order; keys repeat.
    samples: Vec<(String, Vec<String>)>,
    /// Lines read, the `!series_matrix_table_begin` line included.
    lines: u64,
}

fn cells(line: &str) -> Vec<String> {
    line.split('\t')
        .map(|c| c.trim().trim_matches('"').to_string())
        .collect()
}

fn read_header(stream: &Stream, input: &mut dyn BufRead) -> Result<Header, IngestError> {
    let mut header = Header::default();
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = input
            .read_until(b'\n', &mut raw)
            .map_err(|e| stream.read_error(header.lines + 1, e))?;
        if n == 0 {
            return Err(IngestError::NotSeriesMatrix {
                file: stream.file.clone(),
                what: "no !series_matrix_table_begin line".into(),
            });
        }
        header.lines += 1;
        let line = super::source::decode_utf8(&stream.file, raw.clone()).map_err(|e| match e {
            IngestError::NotUtf8 { column, byte, .. } => IngestError::NotUtf8 {
                file: stream.file.clone(),
                line: header.lines,
                column,
                byte,
            },
            other => other,
        })?;
        let line = line.trim_end_matches(['\n', '\r']);
        if line.starts_with("!series_matrix_table_begin") {
            return Ok(header);
        }
        let mut parts = cells(line).into_iter();
        let Some(key) = parts.next() else { continue };
        if let Some(k) = key.strip_prefix("!Series_") {
            header
                .series
                .push((k.to_string(), parts.collect::<Vec<_>>().join(" ")));
        } else if let Some(k) = key.strip_prefix("!Sample_") {
            header.samples.push((k.to_string(), parts.collect()));
        } else if key.starts_with('!') || key.starts_with('^') || key.is_empty() {
            continue;
        } else if header.lines == 1 {
            return Err(IngestError::NotSeriesMatrix {
                file: stream.file.clone(),
                what: "it does not start with !Series_ lines".into(),
            });
        }
    }
}

/// The value of `field` for sample `i`: a `!Sample_` key, or `characteristics: key`.
fn sample_field(header: &Header, field: &str, i: usize) -> Option<String> {
    let wanted = field.trim().to_ascii_lowercase();
    let wanted = wanted
        .strip_prefix("sample_")
        .unwrap_or(&wanted)
        .to_string();
    if let Some(key) = wanted
        .strip_prefix("characteristics:")
        .or_else(|| wanted.strip_prefix("characteristics_ch1:"))
    {
        let key = key.trim();
        return header
            .samples
            .iter()
            .filter(|(k, _)| k.starts_with("characteristics"))
            .filter_map(|(_, v)| v.get(i))
            .filter_map(|cell| cell.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim().to_string());
    }
    header
        .samples
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&wanted))
        .and_then(|(_, v)| v.get(i).cloned())
}

/// Imports a GEO series matrix as one new version (the probe table and the sample table).
pub fn import_geo(
    store: &Store,
    path: &Path,
    options: &GeoImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &GeoFormat { path, options }, statement)
}

/// `IMPORT GEO`: a series matrix, streamed (its `!Series_`/`!Sample_` header and the table's
/// header line are checked before the transaction opens, its rows as they are written).
struct GeoFormat<'a> {
    path: &'a Path,
    options: &'a GeoImport,
}

/// What `GeoFormat::check` read: the probe labels, the open file and its header, the records
/// from the table's header line on, that line's number and the sample accessions.
struct GeoChecked {
    labels: HashMap<String, String>,
    stream: Stream,
    header: Header,
    records: Records,
    table_line: u64,
    accessions: Vec<String>,
}

impl Format for GeoFormat<'_> {
    type Checked = GeoChecked;

    fn check(&self, store: &Store) -> Result<GeoChecked, IngestError> {
        let options = self.options;
        let labels = match &options.annotation {
            Some(file) => annotation(store, file, options.symbol_column.as_deref())?,
            None => HashMap::new(),
        };
        let mut stream = Stream::open(self.path, store.config().max_line_bytes)?;
        let reader = std::mem::replace(&mut stream.reader, Box::new(std::io::empty()));
        let mut input = std::io::BufReader::with_capacity(1 << 20, reader);
        let header = read_header(&stream, &mut input)?;
        let mut records = Records::new(&stream, Box::new(input), b'\t', header.lines);
        let Some((table_line, columns)) = records.next(&stream)? else {
            return Err(IngestError::NotSeriesMatrix {
                file: stream.file.clone(),
                what: "no table header after !series_matrix_table_begin".into(),
            });
        };
        let accessions: Vec<String> = columns
            .iter()
            .skip(1)
            .map(|c| {
                String::from_utf8_lossy(c)
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
            .collect();
        Ok(GeoChecked {
            labels,
            stream,
            header,
            records,
            table_line,
            accessions,
        })
    }

    fn write(&self, checked: GeoChecked, txn: &mut WriteTxn<'_>) -> Result<Written, IngestError> {
        let options = self.options;
        let GeoChecked {
            labels,
            stream,
            header,
            mut records,
            table_line,
            accessions,
        } = checked;
        let mut expression = ExpressionImport::new(&options.table);
        expression.unit = options.unit.clone();
        expression.platform = header
            .series
            .iter()
            .find(|(k, _)| k == "platform_id")
            .map(|(_, v)| v.clone());
        let mut matrix = Matrix::new(&stream.file, &expression);
        matrix.labels = labels;
        let names: Vec<(usize, String)> = accessions
            .iter()
            .enumerate()
            .map(|(i, acc)| {
                let field = options.subject_field.as_deref();
                let name = field.and_then(|f| sample_field(&header, f, i));
                (i + 1, name.unwrap_or_else(|| acc.clone()))
            })
            .collect();
        let mapped = options.subject_field.is_some();
        let subjects = matrix.subjects_in_header(txn, table_line, &names, mapped)?;
        let samples_table = sample_table(txn, &options.table, &header, &subjects, &accessions)?;
        matrix.extra_tables.push(samples_table);
        let (mut writer, rows) = matrix.genes_by_subjects(txn, &stream, &mut records, subjects)?;
        for (k, v) in &header.series {
            writer.set_property(&format!("series_{k}"), v);
        }
        records.drain(&stream)?;
        let mut written = written(txn, stream.provenance(), matrix, writer, rows)?;
        written.summary.kind = "geo".into();
        written.summary.notes.push(format!(
            "sample metadata in `{}_samples`",
            options.table.to_ascii_lowercase()
        ));
        Ok(written)
    }
}

/// The per-sample metadata as a one-row-per-subject table.
fn sample_table(
    txn: &mut WriteTxn<'_>,
    table: &str,
    header: &Header,
    subjects: &[(usize, u32)],
    accessions: &[String],
) -> Result<crate::storage::StagedTable, IngestError> {
    let mut columns: Vec<(String, Vec<String>)> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut put =
        |label: String, i: usize, value: String, columns: &mut Vec<(String, Vec<String>)>| {
            let at = *position.entry(label.clone()).or_insert_with(|| {
                columns.push((label, vec![String::new(); accessions.len()]));
                columns.len() - 1
            });
            let cell = &mut columns[at].1[i];
            if !cell.is_empty() {
                cell.push_str("; ");
            }
            cell.push_str(&value);
        };
    for (key, cells) in &header.samples {
        for (i, cell) in cells.iter().enumerate().take(accessions.len()) {
            match (key.starts_with("characteristics"), cell.split_once(':')) {
                (true, Some((k, v))) => {
                    put(k.trim().to_string(), i, v.trim().to_string(), &mut columns)
                }
                _ => put(key.clone(), i, cell.clone(), &mut columns),
            }
        }
    }
    let mut writer = txn.table(&format!("{table}_samples"), Level::Subject, "geo samples")?;
    let ids = subjects.iter().map(|(_, id)| *id).collect();
    writer.subjects(ids, "sample")?;
    let nulls = NullTokens::new([""]);
    let mut names = UniqueNames::reserving([SUBJECT_COLUMN]);
    for (label, values) in columns {
        let kept: Vec<&str> = subjects
            .iter()
            .map(|(c, _)| values[c - 1].as_str())
            .collect();
        let typed = infer(kept.iter().copied(), &nulls);
        let column = NewColumn {
            name: names.claim(snake_case(&label)),
            label,
            unit: None,
            description: Some("GEO sample metadata".into()),
        };
        writer.column(column, typed.ty, &typed.array)?;
    }
    Ok(writer.finish()?)
}

/// Probe → gene symbol, from an annotation table.
fn annotation(
    store: &Store,
    path: &Path,
    symbol_column: Option<&str>,
) -> Result<HashMap<String, String>, IngestError> {
    let source = SourceText::read(path, store.config().max_line_bytes)?;
    let sheet = Sheet::parse(&source, None)?;
    const SYMBOL_NAMES: &[&str] = &["gene symbol", "gene_symbol", "symbol", "genesymbol", "gene"];
    let wanted: Vec<&str> = match symbol_column {
        Some(c) => vec![c],
        None => SYMBOL_NAMES.to_vec(),
    };
    let column = super::table::find_subject_column(&sheet, &wanted)?;
    Ok(sheet
        .rows
        .iter()
        .filter(|r| !r.cells[column].is_empty())
        .map(|r| (r.cells[0].clone(), r.cells[column].clone()))
        .collect())
}
