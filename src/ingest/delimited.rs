//! Delimited text (CSV, TSV) into a header and rows of trimmed cells, each row with its line
//! number. Ragged rows are refused here, naming the line; the [`Guard`] under the parser
//! refuses a quote left open and a field past the bound.

use super::IngestError;
use super::guard::{Guard, Mode, csv_guard_error};
use super::source::SourceText;

/// One data row and the line it starts on (1-based, counting the header as line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A parsed delimited file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub file: String,
    /// Header cells exactly as written (labels keep trailing spaces).
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

impl Sheet {
    /// Parses `source`, guessing the delimiter from the header line unless one is given.
    pub fn parse(source: &SourceText, delimiter: Option<u8>) -> Result<Sheet, IngestError> {
        let file = source.file.clone();
        let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(&source.text));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(Guard::new(
                source.text.as_bytes(),
                &file,
                source.max_line_bytes,
                Mode::Delimited(delimiter),
                1,
            ));
        let mut records = reader.records();
        let header = loop {
            match records.next() {
                None => return Err(IngestError::Empty { file }),
                Some(record) => {
                    let record = record.map_err(|e| csv_error(&file, e))?;
                    if !is_blank(&record) {
                        break record.iter().map(str::to_string).collect::<Vec<_>>();
                    }
                }
            }
        };
        let mut rows = Vec::new();
        let mut lines = LineOf::new(&source.text);
        for record in records {
            let record = record.map_err(|e| csv_error(&file, e))?;
            if is_blank(&record) {
                continue;
            }
            let line = lines.record(&record);
            if record.len() != header.len() {
                return Err(IngestError::RaggedRow {
                    file,
                    line,
                    expected: header.len(),
                    found: record.len(),
                });
            }
            let cells = record.iter().map(|c| c.trim().to_string()).collect();
            rows.push(Row { line, cells });
        }
        if rows.is_empty() {
            return Err(IngestError::NoRows { file });
        }
        Ok(Sheet { file, header, rows })
    }

    /// The cells of column `index`, top to bottom.
    pub fn column(&self, index: usize) -> impl Iterator<Item = &str> + Clone {
        self.rows.iter().map(move |r| r.cells[index].as_str())
    }
}

/// The delimiter that occurs most often in the first line among `,`, tab, `;` and `|` (as
/// DuckDB's sniffer considers them); ties go to the earlier in that list, and a line with
/// none of them is read with `,`.
pub fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut best = (0, b',');
    for candidate in [b',', b'\t', b';', b'|'] {
        let count = first.bytes().filter(|b| *b == candidate).count();
        if count > best.0 {
            best = (count, candidate);
        }
    }
    best.1
}

/// The line each record of a text starts on, counted from the record's byte offset.
///
/// The csv crate's own line numbers come one short after a `\r\n` line end (it ends the record
/// at the `\r` and counts the `\n` only while reading the next record, whose position it has
/// taken by then; rust-csv issue #395), so every row of a Windows file was reported a line early.
pub(super) struct LineOf<'a> {
    text: &'a [u8],
    /// Bytes counted so far, and the line the next one is on.
    at: usize,
    line: u64,
}

impl<'a> LineOf<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        LineOf {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line of the first character of `record` (records come in order): its offset, past
    /// the line ends the csv crate counts as its start.
    pub(super) fn record(&mut self, record: &csv::StringRecord) -> u64 {
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.min(self.text.len()).max(self.at);
        self.line += self.text[self.at..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.at = start;
        self.line
    }
}

/// A line with nothing on it (a row of empty cells is not blank: it is a row to check).
fn is_blank(record: &csv::StringRecord) -> bool {
    record.len() <= 1 && record.iter().all(|c| c.trim().is_empty())
}

fn csv_error(file: &str, e: csv::Error) -> IngestError {
    if let Some(guarded) = csv_guard_error(&e) {
        return guarded;
    }
    let line = e.position().map_or(0, |p| p.line());
    IngestError::Csv {
        file: file.to_string(),
        line,
        message: e.to_string(),
    }
}
