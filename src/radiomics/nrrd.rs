//! NRRD volumes (`.nrrd`, data attached; raw or gzip), read as SimpleITK reads them for
//! PyRadiomics: voxels as numbers, geometry in LPS (a `right-anterior-superior` space has its
//! x and y negated), spacing the length of each space direction and direction its unit vector.
//!
//! Written here rather than taken from a crate: the NRRD crates on crates.io either read only
//! the header or pull in `ndarray` and a second compression stack; this reader is the part of
//! the format that medical volumes use (NRRD0001–5, one attached data block, the numeric
//! types, `raw` and `gzip` encodings, little or big endian) on the `flate2` rgdb already has.

use std::path::Path;

use super::RadiomicsError;
use super::numbers::{Number, Stream, inflate_voxels, read_file};
use super::volume::Volume;
use super::voxels::Voxels;

/// The most voxels a volume may declare (2³¹: 16 GiB of `f64`). A header that asks for more
/// is refused before anything is allocated.
pub const MAX_VOXELS: usize = 1 << 31;

/// The header fields rgdb reads.
#[derive(Debug, Default)]
struct Header {
    kind: String,
    dimension: usize,
    sizes: Vec<usize>,
    endian: String,
    encoding: String,
    space: String,
    directions: Vec<[f64; 3]>,
    origin: Option<[f64; 3]>,
    spacings: Vec<f64>,
}

/// Reads a `.nrrd` file.
pub fn read(path: &Path) -> Result<Volume, RadiomicsError> {
    parse(&path.display().to_string(), &read_file(path)?)
}

/// Reads NRRD `bytes` (the whole file) named `file` in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Volume, RadiomicsError> {
    let bad = |message: String| RadiomicsError::BadImage {
        file: file.to_string(),
        message,
    };
    let (header, data_at) = header(bytes).map_err(bad)?;
    let size = [header.sizes[0], header.sizes[1], header.sizes[2]];
    let count = size
        .iter()
        .try_fold(1usize, |n, s| n.checked_mul(*s))
        .filter(|n| *n <= MAX_VOXELS)
        .ok_or_else(|| bad(format!("sizes {size:?} exceed {MAX_VOXELS} voxels")))?;
    let number = number(&header.kind).ok_or_else(|| {
        bad(format!(
            "the voxel type `{}` is not a number type",
            header.kind
        ))
    })?;
    let data = &bytes[data_at..];
    let big = header.endian == "big";
    let fast = (header.encoding != "raw")
        .then(|| inflate_voxels(data, 0, number, big, count))
        .flatten();
    let voxels = match fast {
        Some(voxels) => voxels,
        None => stream_voxels(&header, data, number, count).map_err(bad)?,
    };
    let (spacing, direction) = geometry(&header);
    let mut origin = header.origin.unwrap_or([0.0; 3]);
    if is_ras(&header.space) {
        origin[0] = -origin[0];
        origin[1] = -origin[1];
    }
    Ok(Volume {
        size,
        origin,
        spacing,
        direction,
        voxels,
    })
}

/// The header and where the data starts (after the blank line that ends the header).
fn header(bytes: &[u8]) -> Result<(Header, usize), String> {
    if !bytes.starts_with(b"NRRD000") {
        return Err("not a NRRD file (it does not start with NRRD000x)".into());
    }
    let mut header = Header {
        endian: "little".into(),
        ..Header::default()
    };
    let mut at = 0;
    let mut first = true;
    loop {
        let end = bytes[at..]
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("the header does not end with a blank line (detached or missing data)")?;
        let line = std::str::from_utf8(&bytes[at..at + end])
            .map_err(|_| "the header is not text".to_string())?
            .trim_end_matches('\r');
        at += end + 1;
        if std::mem::take(&mut first) {
            continue;
        }
        if line.is_empty() {
            break;
        }
        if line.starts_with('#') || line.contains(":=") {
            continue;
        }
        let (field, value) = line
            .split_once(": ")
            .ok_or_else(|| format!("a header line is not `field: value`: {line}"))?;
        field_value(&mut header, &field.to_ascii_lowercase(), value.trim())?;
    }
    check(&header)?;
    Ok((header, at))
}

/// Records one header field.
fn field_value(header: &mut Header, field: &str, value: &str) -> Result<(), String> {
    let number = |v: &str| -> Result<f64, String> {
        v.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{field}` holds `{value}`, not numbers"))
    };
    match field {
        "type" => header.kind = value.to_ascii_lowercase(),
        "dimension" => header.dimension = number(value)? as usize,
        "sizes" => {
            header.sizes = value
                .split_whitespace()
                .map(|v| v.parse().map_err(|_| format!("`sizes` holds `{value}`")))
                .collect::<Result<_, _>>()?
        }
        "endian" => header.endian = value.to_ascii_lowercase(),
        "encoding" => header.encoding = value.to_ascii_lowercase(),
        "space" => header.space = value.to_ascii_lowercase(),
        "space directions" => {
            header.directions = value
                .split_whitespace()
                .filter(|v| *v != "none")
                .map(|v| vector(v, &number))
                .collect::<Result<_, _>>()?
        }
        "space origin" => header.origin = Some(vector(value, &number)?),
        "spacings" => {
            header.spacings = value
                .split_whitespace()
                .map(number)
                .collect::<Result<_, _>>()?
        }
        "data file" | "datafile" => {
            return Err("the data is in a separate file (`data file`); rgdb reads NRRD files with their data attached".into());
        }
        _ => {}
    }
    Ok(())
}

/// `(x,y,z)`.
fn vector(v: &str, number: &dyn Fn(&str) -> Result<f64, String>) -> Result<[f64; 3], String> {
    let inner = v.trim().trim_start_matches('(').trim_end_matches(')');
    let parts: Vec<f64> = inner.split(',').map(number).collect::<Result<_, _>>()?;
    <[f64; 3]>::try_from(parts)
        .map_err(|p| format!("`{v}` is not a 3-D vector ({} values)", p.len()))
}

/// Refuses what rgdb does not read.
fn check(header: &Header) -> Result<(), String> {
    if header.dimension != 3 || header.sizes.len() != 3 {
        return Err(format!(
            "rgdb reads 3-D volumes; this one has dimension {} (sizes {:?})",
            header.dimension, header.sizes
        ));
    }
    if !matches!(header.encoding.as_str(), "raw" | "gzip" | "gz") {
        return Err(format!(
            "the encoding `{}` is not supported; rgdb reads raw and gzip NRRD",
            header.encoding
        ));
    }
    if !matches!(header.endian.as_str(), "little" | "big") {
        return Err(format!(
            "the endian `{}` is neither little nor big",
            header.endian
        ));
    }
    if !header.directions.is_empty() && header.directions.len() != 3 {
        return Err(format!(
            "`space directions` gives {} vectors for 3 axes",
            header.directions.len()
        ));
    }
    Ok(())
}

/// The voxels of the data block, read as a stream (raw, or gzip that the one-call inflate did
/// not take), or why not.
fn stream_voxels(
    header: &Header,
    data: &[u8],
    number: Number,
    count: usize,
) -> Result<Voxels, String> {
    let mut stream = if header.encoding == "raw" {
        Stream::new_raw(data)
    } else {
        Stream::gzip(data)
    };
    let expected = count * number.width();
    let voxels = stream
        .voxels(number, header.endian == "big", count)
        .map_err(|short| match short {
            Ok(got) => format!(
                "the data is truncated: {} × {} × {} voxels of {} bytes need {expected} bytes, the file holds {got}",
                header.sizes[0],
                header.sizes[1],
                header.sizes[2],
                number.width()
            ),
            Err(why) => why,
        })?;
    // A longer block is not read past the sizes' data and one byte.
    stream.finish(expected + 1)?;
    Ok(voxels)
}

/// A NRRD type's number type, `None` for a type that is not a number.
fn number(kind: &str) -> Option<Number> {
    Some(match kind {
        "signed char" | "int8" | "int8_t" => Number::I8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => Number::U8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
            Number::I16
        }
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => Number::U16,
        "int" | "signed int" | "int32" | "int32_t" => Number::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => Number::U32,
        "longlong"
        | "long long"
        | "long long int"
        | "signed long long"
        | "signed long long int"
        | "int64"
        | "int64_t" => Number::I64,
        "ulonglong" | "unsigned long long" | "unsigned long long int" | "uint64" | "uint64_t" => {
            Number::U64
        }
        "float" => Number::F32,
        "double" => Number::F64,
        _ => return None,
    })
}

/// Whether a NRRD space is right-anterior-superior (SimpleITK turns it into LPS).
fn is_ras(space: &str) -> bool {
    matches!(
        space,
        "right-anterior-superior" | "ras" | "right_anterior_superior"
    )
}

/// Spacing and direction from the space directions (or the old `spacings` field).
fn geometry(header: &Header) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut spacing = [1.0; 3];
    let mut direction = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    if header.directions.len() == 3 {
        for axis in 0..3 {
            let v = header.directions[axis];
            let norm = v.iter().map(|c| c * c).sum::<f64>().sqrt();
            spacing[axis] = norm;
            if norm > 0.0 {
                direction[axis] = [v[0] / norm, v[1] / norm, v[2] / norm];
            }
            if is_ras(&header.space) {
                direction[axis][0] = -direction[axis][0];
                direction[axis][1] = -direction[axis][1];
            }
        }
    } else if header.spacings.len() == 3 {
        spacing = [header.spacings[0], header.spacings[1], header.spacings[2]];
    }
    (spacing, direction)
}
