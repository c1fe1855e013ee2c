//! The guard under every text reader: a `Read` wrapper that bounds the length of a line and of
//! a field, refuses NUL bytes, and (for delimited text) refuses a quote still open at the end
//! of the input, so that no file can swallow its own rows or fill memory with one line.
//!
//! Quotes are followed exactly as the `csv` crate reads them (RFC 4180, `csv-core`'s DFA): a
//! `"` opens a quoted field only as the first byte of a field (after a delimiter, a line end or
//! the start, a UTF-8 byte-order mark skipped); inside it `""` is a quote and a lone `"`
//! closes it. A violation ends the read with an `io::Error` carrying the [`IngestError`], at the
//! read that crosses the bound, so at most one buffer past the bound is ever held.
//!
//! The bytes it must look at (`\n`, NUL, and `"` in delimited text) are found with `memchr`'s
//! vectorized search; everything between them is only counted.

use std::io::Read;

use super::IngestError;

/// What the guard follows: lines only, or lines and the quotes of delimited text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Line-oriented text (a GEO header, the bytes of a whole file before it is parsed).
    Lines,
    /// Delimited text with this delimiter, read by the `csv` crate; a quoted field may hold
    /// line breaks (a note written over several lines).
    Delimited(u8),
    /// A delimited matrix (expression, GEO): no cell holds a line break, so a quote still open
    /// at the end of its line is refused there, before it can join lines into one record.
    Matrix(u8),
}

impl Mode {
    fn delimiter(self) -> Option<u8> {
        match self {
            Mode::Lines => None,
            Mode::Delimited(d) | Mode::Matrix(d) => Some(d),
        }
    }
}

/// Bounds and checks the text read through it (see the module documentation).
pub struct Guard<R> {
    inner: R,
    file: String,
    limit: u64,
    mode: Mode,
    /// The line being read (1-based, counting from the reader's first line).
    line: u64,
    /// Bytes of the current line so far.
    line_bytes: u64,
    /// Characters of the current line held by earlier reads (for a NUL byte's column).
    line_chars: u64,
    /// Bytes seen so far, to recognise a byte-order mark at the start.
    offset: u64,
    /// The line where the open quoted field began, if one is open.
    quoted_since: Option<u64>,
    /// Bytes of the open quoted field.
    field_bytes: u64,
    /// The last byte was a `"` inside a quoted field: it closes it unless another follows.
    after_quote: bool,
    /// The last byte seen, or `\n` at the start.
    prev: u8,
    /// The first violation; every later read repeats it.
    failed: Option<IngestError>,
    /// Whether the first line ended with `\r\n` (`None` before it ended).
    first_line_crlf: Option<bool>,
}

impl<R: Read> Guard<R> {
    /// Guards `inner`, whose first line is line `first_line` of `file`.
    pub fn new(inner: R, file: &str, limit: usize, mode: Mode, first_line: u64) -> Self {
        Guard {
            inner,
            file: file.to_string(),
            limit: limit.max(1) as u64,
            mode,
            line: first_line,
            line_bytes: 0,
            line_chars: 0,
            offset: 0,
            quoted_since: None,
            field_bytes: 0,
            after_quote: false,
            prev: b'\n',
            failed: None,
            first_line_crlf: None,
        }
    }

    /// Whether the first line read ended with `\r\n` (a Windows file).
    pub fn first_line_crlf(&self) -> bool {
        self.first_line_crlf == Some(true)
    }

    /// The reader underneath (to read past the end of what is checked, for hashing).
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn fail(&mut self, error: IngestError) -> std::io::Error {
        self.failed = Some(error.clone());
        to_io(error)
    }

    /// Checks one buffer, updating the state.
    fn scan(&mut self, bytes: &[u8]) -> Result<(), IngestError> {
        let quotes = self.mode.delimiter().is_some();
        let start = self.skip_bom(bytes);
        let mut i = start;
        let mut line_start = start;
        while i < bytes.len() {
            if self.after_quote {
                self.after_quote = false;
                if bytes[i] == b'"' {
                    self.count(1)?;
                    i += 1;
                    continue;
                }
                self.quoted_since = None;
            }
            let j = next_special(bytes, i, quotes);
            self.count((j - i) as u64)?;
            if j == bytes.len() {
                break;
            }
            match bytes[j] {
                b'\n' => {
                    if self.first_line_crlf.is_none() {
                        let before = if j > start { bytes[j - 1] } else { self.prev };
                        self.first_line_crlf = Some(before == b'\r');
                    }
                    self.newline()?;
                    line_start = j + 1;
                }
                0 => {
                    let column = self.line_chars + chars(&bytes[line_start..j]) + 1;
                    return Err(IngestError::NulByte {
                        file: self.file.clone(),
                        line: self.line,
                        column,
                    });
                }
                _ => self.quote(if j > start { bytes[j - 1] } else { self.prev })?,
            }
            i = j + 1;
        }
        self.line_chars += chars(&bytes[line_start.min(bytes.len())..]);
        if let Some(last) = bytes[start..].last() {
            self.prev = *last;
        }
        Ok(())
    }

    /// A line ends: inside a quoted field of a matrix that is the end of the quote's chances.
    fn newline(&mut self) -> Result<(), IngestError> {
        if let Some(line) = self.quoted_since {
            if matches!(self.mode, Mode::Matrix(_)) {
                return Err(IngestError::UnterminatedQuote {
                    file: self.file.clone(),
                    line,
                    line_end: true,
                });
            }
            self.field_bytes += 1;
        }
        self.line += 1;
        self.line_bytes = 0;
        self.line_chars = 0;
        Ok(())
    }

    /// A `"` after byte `before`: it opens a quoted field at the start of a field, and inside
    /// one it closes it unless the next byte is another `"`.
    fn quote(&mut self, before: u8) -> Result<(), IngestError> {
        self.count(1)?;
        if self.quoted_since.is_some() {
            self.after_quote = true;
        } else if self.starts_field(before) {
            self.quoted_since = Some(self.line);
            self.field_bytes = 1;
        }
        Ok(())
    }

    /// Skips a UTF-8 byte-order mark at the very start (the `csv` crate skips it too), so that
    /// a quote right after it opens a field. Returns where scanning starts.
    fn skip_bom(&mut self, bytes: &[u8]) -> usize {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let start = self.offset;
        self.offset += bytes.len() as u64;
        if start == 0 && bytes.starts_with(BOM) {
            self.line_bytes += BOM.len() as u64;
            return BOM.len();
        }
        0
    }

    /// Whether a quote after byte `before` is the first byte of a field.
    fn starts_field(&self, before: u8) -> bool {
        self.mode
            .delimiter()
            .is_some_and(|d| matches!(before, b'\n' | b'\r') || before == d)
    }

    /// Adds `n` bytes to the current line (and the open quoted field), within the bounds.
    fn count(&mut self, n: u64) -> Result<(), IngestError> {
        self.line_bytes += n;
        if self.line_bytes > self.limit {
            return Err(IngestError::LineTooLong {
                file: self.file.clone(),
                line: self.line,
                limit: self.limit,
            });
        }
        if let Some(line) = self.quoted_since {
            self.field_bytes += n;
            if self.field_bytes > self.limit {
                return Err(IngestError::FieldTooLong {
                    file: self.file.clone(),
                    line,
                    limit: self.limit,
                });
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(to_io(e.clone()));
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if let (Some(line), false) = (self.quoted_since, self.after_quote) {
                let file = self.file.clone();
                let error = IngestError::UnterminatedQuote {
                    file,
                    line,
                    line_end: false,
                };
                return Err(self.fail(error));
            }
            return Ok(0);
        }
        match self.scan(&buf[..n]) {
            Ok(()) => Ok(n),
            Err(e) => Err(self.fail(e)),
        }
    }
}

/// The position of the next byte the guard must look at (`\n`, NUL, and `"` when `quotes`),
/// or `bytes.len()`.
fn next_special(bytes: &[u8], from: usize, quotes: bool) -> usize {
    let rest = &bytes[from..];
    let found = if quotes {
        memchr::memchr3(b'\n', 0, b'"', rest)
    } else {
        memchr::memchr2(b'\n', 0, rest)
    };
    found.map_or(bytes.len(), |p| from + p)
}

/// Characters in UTF-8 bytes (bytes that do not continue a character).
fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count() as u64
}

fn to_io(error: IngestError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, error)
}

/// The guard's error inside an `io::Error` that came up through a reader, if it is one.
pub fn guard_error(e: &std::io::Error) -> Option<IngestError> {
    e.get_ref()?.downcast_ref::<IngestError>().cloned()
}

/// The guard's error inside a `csv::Error`, if it is one.
pub fn csv_guard_error(e: &csv::Error) -> Option<IngestError> {
    match e.kind() {
        csv::ErrorKind::Io(io) => guard_error(io),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &[u8], mode: Mode, limit: usize) -> Result<Vec<u8>, IngestError> {
        let mut out = Vec::new();
        // Tiny reads, so that every state crosses a buffer boundary somewhere.
        let mut guard = Guard::new(text, "f.csv", limit, mode, 1);
        let mut buf = [0u8; 3];
        loop {
            match guard.read(&mut buf) {
                Ok(0) => return Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return Err(guard_error(&e).expect("a guard error")),
            }
        }
    }

    fn open_quote(line: u64) -> Result<Vec<u8>, IngestError> {
        Err(IngestError::UnterminatedQuote {
            file: "f.csv".into(),
            line,
            line_end: false,
        })
    }

    #[test]
    fn quotes_are_followed_as_the_csv_crate_reads_them() {
        let csv = Mode::Delimited(b',');
        let fine: &[&[u8]] = &[
            b"a,b\n\"x\",\"y\"\n",
            b"a,\"multi\nline\",c\n",
            b"a,\"say \"\"hi\"\"\",c\n",
            b"a,b\"c,d\n",
            b"a, \"b,c\n",
            b"a,\"b\"c\"d,e\n",
            b"\xEF\xBB\xBF\"a\",b\n",
            b"a,\"\"\n",
            b"a,\"b\"",
        ];
        for text in fine {
            assert_eq!(check(text, csv, 1 << 20).as_deref(), Ok(*text), "{text:?}");
        }
        assert_eq!(
            check(b"a,b\n1,\"x\n2,y\n3,z\n", csv, 1 << 20),
            open_quote(2)
        );
        assert_eq!(check(b"a,\"x\"\"\n", csv, 1 << 20), open_quote(1));
        assert_eq!(check(b"\xEF\xBB\xBF\"a,b\n", csv, 1 << 20), open_quote(1));
        assert_eq!(check(b"a\r\"b\n", csv, 1 << 20), open_quote(1));
        // A tab-separated file's quotes follow its own delimiter.
        let tsv = Mode::Delimited(b'\t');
        assert_eq!(check(b"a\t\"b,c\n", tsv, 1 << 20), open_quote(1));
        assert!(check(b"a,\"b\tc\n", tsv, 1 << 20).is_ok());
        // A matrix refuses a quote still open at the end of its line.
        let matrix = Mode::Matrix(b'\t');
        assert!(check(b"\"g\"\t1\n\"h\"\"x\"\t2\n", matrix, 1 << 20).is_ok());
        assert_eq!(
            check(b"g\t1\n\"h\t2\n\"i\"\t3\n", matrix, 1 << 20),
            Err(IngestError::UnterminatedQuote {
                file: "f.csv".into(),
                line: 2,
                line_end: true
            })
        );
        // Lines mode does not follow quotes.
        assert!(check(b"!Sample_title\t\"a\n", Mode::Lines, 1 << 20).is_ok());
    }

    /// The verdicts of pandas' C tokenizer, another reader of RFC 4180 quoting
    /// (`tests/reference/quotes/reference.py`).
    #[test]
    fn quotes_agree_with_pandas() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/quotes/reference.tsv"
        );
        let reference = std::fs::read_to_string(path).unwrap();
        let mut cases = 0;
        for line in reference.lines().filter(|l| !l.starts_with('#')) {
            let [delimiter, hex, verdict] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("{line}");
            };
            let text: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            let mode = Mode::Delimited(delimiter.parse().unwrap());
            let ours = match check(&text, mode, 1 << 20) {
                Ok(_) => "ok".to_string(),
                Err(IngestError::UnterminatedQuote { line, .. }) => line.to_string(),
                Err(other) => panic!("{other}"),
            };
            assert_eq!(ours, verdict, "{:?}", String::from_utf8_lossy(&text));
            cases += 1;
        }
        assert!(cases >= 20);
    }

    #[test]
    fn lines_and_quoted_fields_are_bounded() {
        let csv = Mode::Delimited(b',');
        assert!(check(b"abcdefghij\nabcdefghij\n", csv, 10).is_ok());
        assert_eq!(
            check(b"abcdefghij\nabcdefghijk\n", csv, 10),
            Err(IngestError::LineTooLong {
                file: "f.csv".into(),
                line: 2,
                limit: 10
            })
        );
        assert_eq!(
            check(b"a\n\"bcd\nefg\nhij\nk\"\n", csv, 10),
            Err(IngestError::FieldTooLong {
                file: "f.csv".into(),
                line: 2,
                limit: 10
            })
        );
    }

    #[test]
    fn a_nul_byte_is_refused_with_its_line_and_column() {
        let err = check("a,b\nxé,y\0z\n".as_bytes(), Mode::Lines, 100);
        assert_eq!(
            err,
            Err(IngestError::NulByte {
                file: "f.csv".into(),
                line: 2,
                column: 5
            })
        );
    }

    /// An endless line: the guard stops the reader above it within a buffer of the bound.
    #[test]
    fn reading_stops_at_the_bound() {
        struct Endless(u64);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                buf.fill(b'x');
                self.0 += buf.len() as u64;
                Ok(buf.len())
            }
        }
        let limit = 1 << 20;
        let mut guard = Guard::new(Endless(0), "big.tsv", limit, Mode::Delimited(b'\t'), 1);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .buffer_capacity(64 << 10)
            .from_reader(&mut guard);
        let err = reader.byte_records().next().unwrap().unwrap_err();
        assert_eq!(
            csv_guard_error(&err),
            Some(IngestError::LineTooLong {
                file: "big.tsv".into(),
                line: 1,
                limit: limit as u64
            })
        );
        drop(reader);
        let pulled = guard.into_inner().0;
        assert!(pulled <= limit as u64 + (64 << 10), "{pulled}");
    }
}
