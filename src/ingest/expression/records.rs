//! Reading a delimited stream record by record, each with its line, with look-ahead, through
//! a [`Guard`] that follows its quotes (no cell of a matrix spans lines) and bounds its fields.

use std::collections::VecDeque;
use std::io::Read;

use csv::ByteRecord;

use super::super::IngestError;
use super::super::guard::{Guard, Mode};
use super::super::stream::Stream;

/// Records of a delimited stream, each with the line it starts on, with look-ahead.
pub struct Records {
    reader: csv::Reader<Guard<Box<dyn Read + Send>>>,
    /// Lines read before this reader started (a GEO header, say).
    line_offset: u64,
    pending: VecDeque<(u64, ByteRecord)>,
    /// Records read so far (blank lines aside).
    records: u64,
}

impl Records {
    /// Reads `input`, the rest of `stream` from line `line_offset + 1` on.
    pub fn new(
        stream: &Stream,
        input: Box<dyn Read + Send>,
        delimiter: u8,
        line_offset: u64,
    ) -> Self {
        let guarded = Guard::new(
            input,
            &stream.file,
            stream.max_line_bytes,
            Mode::Matrix(delimiter),
            line_offset + 1,
        );
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(guarded);
        Records {
            reader,
            line_offset,
            pending: VecDeque::new(),
            records: 0,
        }
    }

    /// The next non-blank record and its line, or `None` at the end.
    pub fn next(&mut self, stream: &Stream) -> Result<Option<(u64, ByteRecord)>, IngestError> {
        if let Some(r) = self.pending.pop_front() {
            return Ok(Some(r));
        }
        loop {
            let mut record = ByteRecord::new();
            let line = self.reader.position().line() + self.line_offset;
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let line = record
                        .position()
                        .map_or(line, |p| p.line() + self.line_offset)
                        + self.crlf_correction();
                    self.records += 1;
                    return Ok(Some((line, record)));
                }
                Err(e) => {
                    let line = e.position().map_or(line, |p| p.line() + self.line_offset)
                        + self.crlf_correction();
                    return Err(match e.into_kind() {
                        csv::ErrorKind::Io(io) => stream.read_error(line, io),
                        other => IngestError::Csv {
                            file: stream.file.clone(),
                            line,
                            message: format!("{other:?}"),
                        },
                    });
                }
            }
        }
    }

    /// What to add to the csv crate's line of a record after the first in a `\r\n` file: it
    /// ends a record at the `\r` and counts the `\n` only when it reads the next record, whose
    /// position it has taken by then (rust-csv issue #395), so such records come one line short.
    fn crlf_correction(&self) -> u64 {
        u64::from(self.records > 0 && self.reader.get_ref().first_line_crlf())
    }

    /// Looks ahead at up to `n` records, keeping them for `next`.
    pub(super) fn peek(
        &mut self,
        stream: &Stream,
        n: usize,
    ) -> Result<Vec<ByteRecord>, IngestError> {
        while self.pending.len() < n {
            match self.next_fresh(stream)? {
                Some(r) => self.pending.push_back(r),
                None => break,
            }
        }
        Ok(self.pending.iter().map(|(_, r)| r.clone()).collect())
    }

    /// Reads whatever is left of the input (so that the file's hash covers all of it): past
    /// the records read, such as the lines after a GEO table, quotes mean nothing.
    pub fn drain(self, stream: &Stream) -> Result<(), IngestError> {
        let mut rest = self.reader.into_inner().into_inner();
        std::io::copy(&mut rest, &mut std::io::sink())
            .map(|_| ())
            .map_err(|e| stream.read_error(0, e))
    }

    fn next_fresh(&mut self, stream: &Stream) -> Result<Option<(u64, ByteRecord)>, IngestError> {
        let held = std::mem::take(&mut self.pending);
        let next = self.next(stream);
        self.pending = held;
        next
    }
}

/// A cell as text, or a UTF-8 error naming its line and column.
pub fn text<'a>(
    file: &str,
    line: u64,
    column: usize,
    cell: &'a [u8],
) -> Result<&'a str, IngestError> {
    std::str::from_utf8(cell)
        .map(str::trim)
        .map_err(|e| IngestError::NotUtf8 {
            file: file.to_string(),
            line,
            column: column as u64 + 1,
            byte: cell.get(e.valid_up_to()).copied().unwrap_or(0),
        })
}
