//! Type inference for text cells: which cells are missing, and whether a column is boolean,
//! integer, float, date or text. Produces the Arrow array and the per-column summary facts.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, StringArray};

use crate::storage::ColumnType;

/// The missing-value tokens used when none are configured, matched case-insensitively after
/// trimming. `Unknown` is deliberately absent: it is a real answer in the mutation columns.
pub const DEFAULT_NULL_TOKENS: &[&str] = &[
    "",
    "Not Collected",
    "N/A",
    "NA",
    "Not Assessed",
    "Not Recorded In Database",
];

/// Which cell texts mean "no value".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullTokens {
    folded: Vec<String>,
}

impl Default for NullTokens {
    fn default() -> Self {
        NullTokens::new(DEFAULT_NULL_TOKENS.iter().copied())
    }
}

impl NullTokens {
    /// Tokens matched case-insensitively; the empty cell is always missing.
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let mut folded: Vec<String> = tokens
            .into_iter()
            .map(|t| t.trim().to_lowercase())
            .collect();
        folded.push(String::new());
        folded.sort();
        folded.dedup();
        NullTokens { folded }
    }

    /// Whether a (trimmed) cell is missing.
    pub fn is_null(&self, cell: &str) -> bool {
        cell.is_empty() || self.folded.iter().any(|t| t.eq_ignore_ascii_case(cell))
    }
}

/// A typed column built from text cells.
#[derive(Debug, Clone)]
pub struct TypedColumn {
    pub ty: ColumnType,
    pub array: ArrayRef,
    /// Each distinct non-empty cell text that became NULL, with how often it did.
    pub null_tokens: BTreeMap<String, usize>,
}

/// Infers the narrowest type that every non-missing cell fits, and builds the column.
pub fn infer<'a>(cells: impl Iterator<Item = &'a str> + Clone, nulls: &NullTokens) -> TypedColumn {
    let mut null_tokens = BTreeMap::new();
    let mut present = cells.clone().filter(|c| !nulls.is_null(c)).peekable();
    let ty = if present.peek().is_none() {
        ColumnType::Utf8
    } else if present.clone().all(|c| parse_bool(c).is_some()) {
        ColumnType::Boolean
    } else if present.clone().all(|c| c.parse::<i64>().is_ok()) {
        ColumnType::Int64
    } else if present.clone().all(|c| parse_float(c).is_some()) {
        ColumnType::Float64
    } else if present.clone().all(|c| parse_date(c).is_some()) {
        ColumnType::Date32
    } else {
        ColumnType::Utf8
    };
    let values = cells.map(|c| {
        if nulls.is_null(c) {
            if !c.is_empty() {
                *null_tokens.entry(c.to_string()).or_insert(0) += 1;
            }
            None
        } else {
            Some(c)
        }
    });
    let array = build(ty, values);
    TypedColumn {
        ty,
        array,
        null_tokens,
    }
}

/// Builds a column of a type decided earlier (from a first chunk of rows). Errs with the index
/// of the first cell that is neither missing nor of that type.
pub fn build_as<'a>(
    ty: ColumnType,
    cells: impl Iterator<Item = &'a str> + Clone,
    nulls: &NullTokens,
) -> Result<TypedColumn, usize> {
    let fits = |c: &str| match ty {
        ColumnType::Boolean => parse_bool(c).is_some(),
        ColumnType::Int64 => c.parse::<i64>().is_ok(),
        ColumnType::Float64 => parse_float(c).is_some(),
        ColumnType::Date32 => parse_date(c).is_some(),
        ColumnType::Utf8 | ColumnType::Subject | ColumnType::TextList => true,
    };
    if let Some(bad) = cells.clone().position(|c| !nulls.is_null(c) && !fits(c)) {
        return Err(bad);
    }
    let mut null_tokens = BTreeMap::new();
    let values = cells.map(|c| {
        if nulls.is_null(c) {
            if !c.is_empty() {
                *null_tokens.entry(c.to_string()).or_insert(0) += 1;
            }
            None
        } else {
            Some(c)
        }
    });
    Ok(TypedColumn {
        ty,
        array: build(ty, values),
        null_tokens,
    })
}

/// Builds an array of `ty` from cells that are known to parse as `ty`.
fn build<'a>(ty: ColumnType, values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    match ty {
        ColumnType::Boolean => Arc::new(
            values
                .map(|v| v.and_then(parse_bool))
                .collect::<BooleanArray>(),
        ),
        ColumnType::Int64 => Arc::new(
            values
                .map(|v| v.and_then(|c| c.parse().ok()))
                .collect::<Int64Array>(),
        ),
        ColumnType::Float64 => Arc::new(
            values
                .map(|v| v.and_then(parse_float))
                .collect::<Float64Array>(),
        ),
        ColumnType::Date32 => Arc::new(
            values
                .map(|v| v.and_then(parse_date))
                .collect::<Date32Array>(),
        ),
        ColumnType::Utf8 | ColumnType::Subject => Arc::new(values.collect::<StringArray>()),
        // A list cell is written `a; b; c`.
        ColumnType::TextList => Arc::new(text_list(values.map(|v| {
            v.map(|c| {
                c.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
        }))),
    }
}

/// A list-of-text column from rows of values (`None` is a missing row).
pub fn text_list<S: AsRef<str>>(
    rows: impl Iterator<Item = Option<Vec<S>>>,
) -> arrow::array::ListArray {
    let mut builder = arrow::array::ListBuilder::new(arrow::array::StringBuilder::new());
    for row in rows {
        match row {
            Some(values) => {
                for v in values {
                    builder.values().append_value(v.as_ref());
                }
                builder.append(true);
            }
            None => builder.append(false),
        }
    }
    builder.finish()
}

/// `Yes`/`No`, `Checked`/`Unchecked`, `True`/`False`, in any case.
pub fn parse_bool(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "yes" | "checked" | "true" => Some(true),
        "no" | "unchecked" | "false" => Some(false),
        _ => None,
    }
}

/// A decimal or scientific number, or `NaN`/`Inf`/`-Inf` (kept exactly, as research data
/// sometimes holds them).
pub fn parse_float(cell: &str) -> Option<f64> {
    if let Some(value) = parse_plain_decimal(cell.as_bytes()) {
        return Some(value);
    }
    let first = *cell.as_bytes().first()?;
    if first.is_ascii_digit() || first == b'.' {
        return cell.parse().ok();
    }
    let unsigned = cell.trim_start_matches(['-', '+']);
    let special = ["nan", "inf", "infinity"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(unsigned));
    let numeric = unsigned
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.');
    if numeric || special {
        cell.parse().ok()
    } else {
        None
    }
}

/// A plain decimal such as `12.345`, `-0.5` or `7` (at most 15 digits, no exponent), read
/// straight from bytes; `None` for anything else, which [`parse_float`] handles.
///
/// Exact: a mantissa below 2^53 and a power of ten up to 10^22 are both exact doubles, so one
/// IEEE division gives the correctly rounded value, the same as `str::parse` (Clinger's fast
/// path). Matrices are made of such cells, so this is the hot path of expression imports.
pub fn parse_plain_decimal(cell: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match cell.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, cell),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut point: Option<usize> = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                if count > 15 {
                    return None;
                }
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    let scale = point.map_or(0, |p| digits.len() - p - 1);
    let value = mantissa as f64 / POW10[scale];
    Some(if negative { -value } else { value })
}

/// `M/D/YYYY` (unpadded, as the TCIA clinical file writes dates) or ISO `YYYY-MM-DD`, as days
/// since 1970-01-01.
pub fn parse_date(cell: &str) -> Option<i32> {
    let date = if let Some((m, rest)) = cell.split_once('/') {
        let (d, y) = rest.split_once('/')?;
        if y.len() != 4 {
            return None;
        }
        ymd(y, m, d)?
    } else {
        let mut parts = cell.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 {
            return None;
        }
        ymd(y, m, d)?
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

fn ymd(y: &str, m: &str, d: &str) -> Option<chrono::NaiveDate> {
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_parse_exactly_like_the_standard_library() {
        for text in [
            "0",
            "7",
            "12.345",
            "-0.5",
            "295000030",
            "0.00000000000001",
            "123456789012345",
            "0.1",
            "5.",
            "-.25",
            "99999.99999",
            "3.14159265358979",
        ] {
            assert_eq!(
                parse_plain_decimal(text.as_bytes()).map(f64::to_bits),
                Some(text.parse::<f64>().unwrap().to_bits()),
                "{text}"
            );
        }
        for text in [
            "",
            "-",
            ".",
            "1e5",
            "1.2.3",
            "NaN",
            "1234567890123456",
            " 1",
            "+1",
        ] {
            assert_eq!(parse_plain_decimal(text.as_bytes()), None, "{text}");
        }
        // A simple generator over many random decimals.
        let mut z = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..100_000 {
            z ^= z << 13;
            z ^= z >> 7;
            z ^= z << 17;
            let text = format!(
                "{}.{:0width$}",
                z % 100_000,
                z % 1_000_000,
                width = (z % 9) as usize
            );
            let exact = text.parse::<f64>().unwrap();
            assert_eq!(parse_plain_decimal(text.as_bytes()), Some(exact), "{text}");
        }
    }

    #[test]
    fn types_are_inferred() {
        let nulls = NullTokens::default();
        let ty = |cells: &[&str]| infer(cells.iter().copied(), &nulls).ty;
        assert_eq!(ty(&["Yes", "No", "Not Collected"]), ColumnType::Boolean);
        assert_eq!(ty(&["Checked", "Unchecked"]), ColumnType::Boolean);
        assert_eq!(ty(&["34", "N/A", "-2"]), ColumnType::Int64);
        assert_eq!(ty(&["200.655", "201", "1e-3"]), ColumnType::Float64);
        assert_eq!(ty(&["8/10/1994", "2001-02-03"]), ColumnType::Date32);
        assert_eq!(ty(&["Wildtype", "Unknown"]), ColumnType::Utf8);
        assert_eq!(ty(&["0%", ">0 - 25%"]), ColumnType::Utf8);
        assert_eq!(ty(&["N/A", "not collected"]), ColumnType::Utf8);
    }

    #[test]
    fn null_tokens_are_counted_case_insensitively() {
        let nulls = NullTokens::default();
        let col = infer(
            ["Not collected", "Not Collected", "", "Mutant"].into_iter(),
            &nulls,
        );
        assert_eq!(col.array.null_count(), 3);
        assert_eq!(col.null_tokens.get("Not collected"), Some(&1));
        assert_eq!(col.null_tokens.get("Not Collected"), Some(&1));
    }

    #[test]
    fn dates_count_days_from_epoch() {
        assert_eq!(parse_date("1/2/1970"), Some(1));
        assert_eq!(parse_date("8/10/1994"), parse_date("1994-08-10"));
        assert_eq!(parse_date("13/1/1994"), None);
        assert_eq!(parse_date("1/1/94"), None);
    }

    #[test]
    fn special_floats_are_kept() {
        assert!(parse_float("NaN").unwrap().is_nan());
        assert_eq!(parse_float("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float("295000030"), Some(295000030.0));
        assert_eq!(parse_float("information"), None);
    }
}
