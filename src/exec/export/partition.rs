//! `PARTITION BY`: rows grouped into hive folders (`col=value/…`), with Hive's escaping.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// The rows of a batch grouped by their hive folder path (`col=value/col2=value2`).
pub(super) fn partitions(
    batch: &RecordBatch,
    schema: &Schema,
    by: &[usize],
) -> Result<BTreeMap<String, Vec<u32>>, ArrowError> {
    let columns: Vec<(&str, &ArrayRef)> = by
        .iter()
        .map(|&i| (schema.field(i).name().as_str(), batch.column(i)))
        .collect();
    folders(&columns, batch.num_rows())
}

/// Rows grouped by the hive folder their partition values name.
pub(super) fn folders(
    columns: &[(&str, &ArrayRef)],
    rows: usize,
) -> Result<BTreeMap<String, Vec<u32>>, ArrowError> {
    let options = FormatOptions::default();
    let formatters: Vec<ArrayFormatter<'_>> = columns
        .iter()
        .map(|(_, array)| ArrayFormatter::try_new(array.as_ref(), &options))
        .collect::<Result<_, _>>()?;
    let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for row in 0..rows {
        let mut folder = String::new();
        for (k, (name, array)) in columns.iter().enumerate() {
            if k > 0 {
                folder.push('/');
            }
            let value = if array.is_null(row) {
                "__HIVE_DEFAULT_PARTITION__".to_string()
            } else {
                escape(&formatters[k].value(row).to_string())
            };
            folder += &format!("{}={value}", escape(name));
        }
        groups.entry(folder).or_default().push(row as u32);
    }
    Ok(groups)
}

/// Hive's escaping of a path component: `%XX` for characters that paths or Hive reserve.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out += &format!("%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out == "." || out == ".." {
        out = out.replace('.', "%2E");
        if out.is_empty() {
            out = "__HIVE_DEFAULT_PARTITION__".into();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn partition_values_are_escaped_like_hive() {
        assert_eq!(escape("Adenocarcinoma"), "Adenocarcinoma");
        assert_eq!(
            escape("NSCLC NOS (not otherwise specified)"),
            "NSCLC NOS (not otherwise specified)"
        );
        assert_eq!(escape("a/b=c"), "a%2Fb%3Dc");
        assert_eq!(escape(".."), "%2E%2E");
        assert_eq!(escape(""), "__HIVE_DEFAULT_PARTITION__");
    }
}
