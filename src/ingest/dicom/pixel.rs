//! Where a DICOM file's pixel data lies and how long it says it is, found by walking the
//! element headers from the start of the file: values are skipped by their declared lengths,
//! never read, so a length that runs past the end of the file is caught without reading the
//! pixels.
//!
//! Written by hand because dicom-object reads a header up to the pixel data without telling
//! where that element starts or what length it declares, and its value readers stop quietly
//! at the end of a file (`io::copy` over `Read::take`); dicom-parser, which tracks positions,
//! is not a dependency of rgdb. The walk needs only the header layout of PS3.5 §7.1 (a tag, in
//! explicit VR the VR, and a 2- or 4-byte length) and the item and delimiter tags of §7.5.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::ingest::IngestError;

/// Implicit VR Little Endian.
pub const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
/// Explicit VR Big Endian (retired, still met).
pub const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";
/// Deflated Explicit VR Little Endian: the data set is compressed, so it cannot be walked.
pub const DEFLATED: &str = "1.2.840.10008.1.2.1.99";

/// Sequences nested deeper than this are refused (real files nest a few levels).
pub const MAX_DEPTH: usize = 64;

const UNDEFINED: u32 = 0xFFFF_FFFF;
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
/// The VRs whose length takes 4 bytes (after 2 reserved ones) in explicit VR.
const LONG_VRS: [&[u8; 2]; 13] = [
    b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV",
];

/// The Pixel Data element (7FE0,0010) of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelData {
    /// Native: `length` bytes declared from byte `offset`.
    Native { offset: u64, length: u64 },
    /// Encapsulated (compressed): `items` items (the basic offset table, then the fragments)
    /// from byte `offset`, ending at byte `end`, past the sequence delimiter. Every item was
    /// found to fit in the file.
    Encapsulated { offset: u64, items: u64, end: u64 },
}

/// How a data set is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Syntax {
    explicit: bool,
    big_endian: bool,
}

const META: Syntax = Syntax {
    explicit: true,
    big_endian: false,
};
const IMPLICIT: Syntax = Syntax {
    explicit: false,
    big_endian: false,
};

impl Syntax {
    /// The encoding of the data set under a transfer syntax (every compressed one is explicit
    /// VR little endian).
    fn of(transfer_syntax: &str) -> Syntax {
        match transfer_syntax.trim_end_matches(['\0', ' ']) {
            IMPLICIT_VR_LE => IMPLICIT,
            EXPLICIT_VR_BE => Syntax {
                explicit: true,
                big_endian: true,
            },
            _ => META,
        }
    }
}

/// One element header: its tag, its VR (explicit VR only) and its declared length.
struct Header {
    tag: (u16, u16),
    vr: Option<[u8; 2]>,
    length: u32,
}

/// Finds the pixel data of the Part 10 file at `path`, whose data set is encoded in
/// `transfer_syntax`: `None` when the file has none (or is deflated, and cannot be walked).
/// A length that runs past the end of the file, before or inside the pixel data, is an error
/// that says where.
pub fn locate(path: &Path, transfer_syntax: &str) -> Result<Option<PixelData>, IngestError> {
    if transfer_syntax.trim_end_matches(['\0', ' ']) == DEFLATED {
        return Ok(None);
    }
    let mut walk = Walk::open(path)?;
    // The preamble and `DICM`, then the meta group (always explicit VR little endian).
    walk.skip(132)?;
    walk.find_pixel_data(Syntax::of(transfer_syntax))
}

/// A reader that knows its position and the file's size.
struct Walk {
    reader: BufReader<File>,
    at: u64,
    size: u64,
    file: String,
}

impl Walk {
    fn open(path: &Path) -> Result<Walk, IngestError> {
        let file = path.display().to_string();
        let io = |e: std::io::Error| IngestError::Io {
            file: file.clone(),
            message: e.to_string(),
        };
        let handle = File::open(path).map_err(io)?;
        let size = handle.metadata().map_err(io)?.len();
        Ok(Walk {
            reader: BufReader::new(handle),
            at: 0,
            size,
            file,
        })
    }

    fn truncated(&self, message: String) -> IngestError {
        IngestError::BadDicom {
            file: self.file.clone(),
            message: format!("{message}: it is truncated"),
        }
    }

    fn io(&self, e: std::io::Error) -> IngestError {
        IngestError::Io {
            file: self.file.clone(),
            message: e.to_string(),
        }
    }

    /// Skips `n` bytes, which must be in the file.
    fn skip(&mut self, n: u32) -> Result<(), IngestError> {
        let n = u64::from(n);
        if self.at + n > self.size {
            return Err(self.truncated(format!(
                "{n} bytes are declared from byte {}, but the file ends at byte {}",
                self.at, self.size
            )));
        }
        self.reader
            .seek_relative(n as i64)
            .map_err(|e| self.io(e))?;
        self.at += n;
        Ok(())
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], IngestError> {
        let mut buf = [0u8; N];
        if self.at + N as u64 > self.size {
            return Err(self.truncated(format!(
                "the file ends at byte {} inside an element header",
                self.size
            )));
        }
        self.reader.read_exact(&mut buf).map_err(|e| self.io(e))?;
        self.at += N as u64;
        Ok(buf)
    }

    fn u16(&mut self, syntax: Syntax) -> Result<u16, IngestError> {
        let b = self.bytes::<2>()?;
        Ok(if syntax.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self, syntax: Syntax) -> Result<u32, IngestError> {
        let b = self.bytes::<4>()?;
        Ok(if syntax.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// The next element header. Items and delimiters (group FFFE) have no VR in any syntax.
    fn header(&mut self, syntax: Syntax) -> Result<Header, IngestError> {
        let tag = (self.u16(syntax)?, self.u16(syntax)?);
        if tag.0 == 0xFFFE || !syntax.explicit {
            let length = self.u32(syntax)?;
            return Ok(Header {
                tag,
                vr: None,
                length,
            });
        }
        let vr = self.bytes::<2>()?;
        let length = if LONG_VRS.contains(&&vr) {
            self.skip(2)?;
            self.u32(syntax)?
        } else {
            u32::from(self.u16(syntax)?)
        };
        Ok(Header {
            tag,
            vr: Some(vr),
            length,
        })
    }

    /// Walks the top level (the meta group, then the data set) up to the pixel data.
    fn find_pixel_data(&mut self, dataset: Syntax) -> Result<Option<PixelData>, IngestError> {
        // Fewer than 4 bytes left at the top level: the data set is over.
        while self.size - self.at >= 4 {
            let group = self.peek_group()?;
            let syntax = if group == 0x0002 { META } else { dataset };
            let header = self.header(syntax)?;
            if header.tag == PIXEL_DATA {
                return self.pixel_data(&header).map(Some);
            }
            self.skip_value(&header, syntax, 0)?;
        }
        Ok(None)
    }

    /// The group of the next tag, read as the meta group reads it (little endian), without
    /// moving.
    fn peek_group(&mut self) -> Result<u16, IngestError> {
        let b = self.bytes::<2>()?;
        self.reader.seek_relative(-2).map_err(|e| self.io(e))?;
        self.at -= 2;
        Ok(u16::from_le_bytes(b))
    }

    fn skip_value(
        &mut self,
        header: &Header,
        syntax: Syntax,
        depth: usize,
    ) -> Result<(), IngestError> {
        if header.length != UNDEFINED {
            let at = self.at;
            return self.skip(header.length).map_err(|_| {
                self.truncated(format!(
                    "the element ({:04X},{:04X}) declares {} bytes from byte {at}, but the file ends at byte {}",
                    header.tag.0, header.tag.1, header.length, self.size
                ))
            });
        }
        // An undefined length is a sequence; inside UN, its items are implicit VR (PS3.5 §6.2.2).
        let inner = if header.vr == Some(*b"UN") {
            IMPLICIT
        } else {
            syntax
        };
        self.sequence(inner, depth + 1)
    }

    /// The items of a sequence of undefined length, up to its delimiter.
    fn sequence(&mut self, syntax: Syntax, depth: usize) -> Result<(), IngestError> {
        if depth > MAX_DEPTH {
            return Err(IngestError::BadDicom {
                file: self.file.clone(),
                message: format!("sequences nest more than {MAX_DEPTH} levels deep"),
            });
        }
        loop {
            let header = self.in_structure(syntax, "a sequence")?;
            match header.tag {
                SEQUENCE_END => return Ok(()),
                ITEM if header.length == UNDEFINED => self.item(syntax, depth)?,
                ITEM => self.skip_value(&header, syntax, depth)?,
                other => return Err(self.unexpected(other, "a sequence")),
            }
        }
    }

    /// The elements of an item of undefined length, up to its delimiter.
    fn item(&mut self, syntax: Syntax, depth: usize) -> Result<(), IngestError> {
        loop {
            let header = self.in_structure(syntax, "a sequence item")?;
            if header.tag == ITEM_END {
                return Ok(());
            }
            self.skip_value(&header, syntax, depth)?;
        }
    }

    /// The next header inside a sequence, where the end of the file means it was cut.
    fn in_structure(&mut self, syntax: Syntax, inside: &str) -> Result<Header, IngestError> {
        if self.at >= self.size {
            return Err(self.truncated(format!(
                "the file ends at byte {} inside {inside}",
                self.size
            )));
        }
        self.header(syntax)
    }

    fn unexpected(&self, tag: (u16, u16), inside: &str) -> IngestError {
        IngestError::BadDicom {
            file: self.file.clone(),
            message: format!(
                "the element ({:04X},{:04X}) at byte {} is not an item, inside {inside}",
                tag.0,
                tag.1,
                self.at.saturating_sub(8)
            ),
        }
    }

    /// The pixel data whose header was just read: native, or the items of encapsulated data.
    fn pixel_data(&mut self, header: &Header) -> Result<PixelData, IngestError> {
        let offset = self.at;
        if header.length != UNDEFINED {
            return Ok(PixelData::Native {
                offset,
                length: u64::from(header.length),
            });
        }
        let mut items = 0;
        loop {
            let item = self.in_structure(META, "its compressed pixel data")?;
            match item.tag {
                SEQUENCE_END => {
                    return Ok(PixelData::Encapsulated {
                        offset,
                        items,
                        end: self.at,
                    });
                }
                ITEM if item.length != UNDEFINED => {
                    items += 1;
                    let at = self.at;
                    self.skip(item.length).map_err(|_| {
                        self.truncated(format!(
                            "item {items} of its compressed pixel data declares {} bytes from byte {at}, but the file ends at byte {}",
                            item.length, self.size
                        ))
                    })?;
                }
                other => return Err(self.unexpected(other, "its compressed pixel data")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Part 10 file: preamble, `DICM`, the transfer syntax, then `dataset`.
    fn part10(syntax: &str, dataset: &[u8]) -> Vec<u8> {
        let mut uid = syntax.as_bytes().to_vec();
        if uid.len() % 2 == 1 {
            uid.push(0);
        }
        let mut out = vec![0u8; 128];
        out.extend_from_slice(b"DICM");
        out.extend_from_slice(&[0x02, 0x00, 0x10, 0x00, b'U', b'I']);
        out.extend_from_slice(&(uid.len() as u16).to_le_bytes());
        out.extend_from_slice(&uid);
        out.extend_from_slice(dataset);
        out
    }

    /// An implicit VR little endian element header.
    fn implicit(group: u16, element: u16, length: u32) -> Vec<u8> {
        let mut out = group.to_le_bytes().to_vec();
        out.extend_from_slice(&element.to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        out
    }

    fn locate_bytes(syntax: &str, bytes: &[u8]) -> Result<Option<PixelData>, IngestError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.dcm");
        std::fs::write(&path, bytes).unwrap();
        locate(&path, syntax).map_err(|e| match e {
            IngestError::BadDicom { message, .. } => IngestError::BadDicom {
                file: "x.dcm".into(),
                message,
            },
            other => other,
        })
    }

    fn message(e: IngestError) -> String {
        match e {
            IngestError::BadDicom { message, .. } => message,
            other => panic!("{other}"),
        }
    }

    /// A sequence of undefined length holding an item of undefined length (with one element)
    /// and an item of defined length, then 4 bytes of native pixel data.
    fn nested() -> Vec<u8> {
        let mut d = implicit(0x0008, 0x0016, 4);
        d.extend_from_slice(b"1.2\0");
        d.extend(implicit(0x0008, 0x1140, UNDEFINED));
        d.extend(implicit(0xFFFE, 0xE000, UNDEFINED));
        d.extend(implicit(0x0008, 0x1150, 2));
        d.extend_from_slice(b"12");
        d.extend(implicit(0xFFFE, 0xE00D, 0));
        d.extend(implicit(0xFFFE, 0xE000, 8));
        d.extend(implicit(0x0010, 0x0010, 0));
        d.extend(implicit(0xFFFE, 0xE0DD, 0));
        d.extend(implicit(0x7FE0, 0x0010, 4));
        d.extend_from_slice(&[1, 2, 3, 4]);
        d
    }

    #[test]
    fn sequences_are_skipped_to_the_pixel_data() {
        let file = part10(IMPLICIT_VR_LE, &nested());
        let offset = file.len() as u64 - 4;
        assert_eq!(
            locate_bytes(IMPLICIT_VR_LE, &file).unwrap(),
            Some(PixelData::Native { offset, length: 4 })
        );
        // Without pixel data.
        let header_only = &file[..file.len() - 12];
        assert_eq!(locate_bytes(IMPLICIT_VR_LE, header_only).unwrap(), None);
        // Deflated data sets are not walked.
        assert_eq!(locate_bytes(DEFLATED, &file).unwrap(), None);
    }

    #[test]
    fn lengths_past_the_end_are_located() {
        let file = part10(IMPLICIT_VR_LE, &nested());
        // The data set starts at byte 158; cut after the element of the undefined-length
        // item, before its delimiter, and inside that element's header.
        assert_eq!(
            message(locate_bytes(IMPLICIT_VR_LE, &file[..196]).unwrap_err()),
            "the file ends at byte 196 inside a sequence item: it is truncated"
        );
        assert_eq!(
            message(locate_bytes(IMPLICIT_VR_LE, &file[..190]).unwrap_err()),
            "the file ends at byte 190 inside an element header: it is truncated"
        );
        // An element before the pixel data whose length runs past the end.
        let mut long = file.clone();
        let at = 128 + 4 + 26 + 4;
        long[at..at + 4].copy_from_slice(&4096u32.to_le_bytes());
        assert_eq!(
            message(locate_bytes(IMPLICIT_VR_LE, &long).unwrap_err()),
            format!(
                "the element (0008,0016) declares 4096 bytes from byte 166, but the file ends at byte {}: it is truncated",
                file.len()
            )
        );
    }

    #[test]
    fn explicit_un_of_undefined_length_holds_implicit_items() {
        let mut d = vec![0x09, 0x00, 0x10, 0x10, b'U', b'N', 0, 0];
        d.extend_from_slice(&UNDEFINED.to_le_bytes());
        d.extend(implicit(0xFFFE, 0xE000, UNDEFINED));
        d.extend(implicit(0x0009, 0x1011, 2));
        d.extend_from_slice(b"ab");
        d.extend(implicit(0xFFFE, 0xE00D, 0));
        d.extend(implicit(0xFFFE, 0xE0DD, 0));
        // Encapsulated pixel data: an empty offset table, one 6-byte fragment, the delimiter.
        d.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0]);
        d.extend_from_slice(&UNDEFINED.to_le_bytes());
        d.extend(implicit(0xFFFE, 0xE000, 0));
        d.extend(implicit(0xFFFE, 0xE000, 6));
        d.extend_from_slice(&[0; 6]);
        d.extend(implicit(0xFFFE, 0xE0DD, 0));
        let rle = "1.2.840.10008.1.2.5";
        let file = part10(rle, &d);
        let end = file.len() as u64;
        assert_eq!(
            locate_bytes(rle, &file).unwrap(),
            Some(PixelData::Encapsulated {
                offset: end - 30,
                items: 2,
                end
            })
        );
        assert_eq!(
            message(locate_bytes(rle, &file[..file.len() - 8]).unwrap_err()),
            format!(
                "the file ends at byte {} inside its compressed pixel data: it is truncated",
                end - 8
            )
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut d = Vec::new();
        for _ in 0..=MAX_DEPTH {
            d.extend(implicit(0x0008, 0x1140, UNDEFINED));
            d.extend(implicit(0xFFFE, 0xE000, UNDEFINED));
        }
        let file = part10(IMPLICIT_VR_LE, &d);
        assert_eq!(
            message(locate_bytes(IMPLICIT_VR_LE, &file).unwrap_err()),
            "sequences nest more than 64 levels deep"
        );
    }
}
