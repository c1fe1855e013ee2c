//! A statement's result: an Arrow schema and record batches, with text renderings.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;

/// The rows a statement returned.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// A text report that says more than the rows (an import's summary), for people.
    pub note: Option<String>,
    /// Text shown above the rows in table mode (`DESCRIBE`'s table facts and provenance).
    pub header: Option<String>,
    /// A small text picture of the result, shown under the header in the REPL's table mode
    /// (`SURVIVAL`'s curves).
    pub figure: Option<String>,
    /// The one-row table of test statistics that goes with the rows (`SURVIVAL`'s log-rank
    /// test, `COX`'s likelihood-ratio, Wald and score tests), as data: the same row
    /// `SURVIVAL TEST …` / `COX TEST …` return. JSON output carries it as `"test"`.
    pub test: Option<RecordBatch>,
}

impl QueryResult {
    /// The result of one batch, with what to print above its rows.
    pub fn of_batch(batch: RecordBatch, header: Option<String>) -> QueryResult {
        QueryResult {
            schema: batch.schema(),
            batches: vec![batch],
            note: None,
            header,
            figure: None,
            test: None,
        }
    }

    /// A result built from named columns (the one-row summaries of statements that change
    /// the database, `CHECK DATABASE`'s problems, …). A column is nullable when it holds a
    /// NULL.
    pub fn of_columns(
        columns: Vec<(&str, ArrayRef)>,
        header: Option<String>,
    ) -> Result<QueryResult, crate::exec::ExecError> {
        let fields: Vec<Field> = columns
            .iter()
            .map(|(name, a)| Field::new(*name, a.data_type().clone(), a.null_count() > 0))
            .collect();
        let arrays = columns.into_iter().map(|(_, a)| a).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(datafusion::error::DataFusionError::from)?;
        Ok(QueryResult::of_batch(batch, header))
    }

    /// How many rows in all.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column names.
    pub fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// A boxed text table, as the command line prints it.
    pub fn to_table(&self) -> String {
        if self.batches.is_empty() {
            let empty = RecordBatch::new_empty(self.schema.clone());
            return pretty_format_batches(&[empty])
                .map_or_else(|e| e.to_string(), |t| t.to_string());
        }
        pretty_format_batches(&self.batches).map_or_else(|e| e.to_string(), |t| t.to_string())
    }

    /// Delimited text with a header row.
    pub fn to_delimited(&self, delimiter: u8) -> Result<String, String> {
        let mut out = Vec::new();
        {
            let mut writer = WriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(&mut out);
            if self.batches.is_empty() {
                let empty = RecordBatch::new_empty(self.schema.clone());
                writer
                    .write(&lists_as_text(&empty).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
            for batch in &self.batches {
                writer
                    .write(&lists_as_text(batch).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Significant digits of a p-value (or q-value) where people read it.
pub const P_DIGITS: usize = 3;

/// Below this a p-value is written in scientific notation (`1.84e-05`).
const P_SCIENTIFIC_BELOW: f64 = 1e-3;

/// `value` to `digits` significant digits (0: every digit), as R prints a number: fixed
/// notation with trailing zeros dropped, scientific (`1.5e-07`, `2.3e+21`) below 1e-4 or at
/// 1e15 and above.
pub fn significant(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return match value {
            v if v.is_nan() => "NaN".into(),
            v if v > 0.0 => "inf".into(),
            _ => "-inf".into(),
        };
    }
    if value == 0.0 {
        return "0".into();
    }
    if digits == 0 {
        let text = value.to_string();
        // Rust writes 1e-7 as 0.0000001: long numbers go scientific, as above.
        let exponent = value.abs().log10().floor();
        return if !(-4.0..15.0).contains(&exponent) {
            r_exponent(&format!("{value:e}"))
        } else {
            text
        };
    }
    // The exponent after rounding to `digits` (9.9999999 rounds up to 10).
    let scientific = format!("{value:.*e}", digits - 1);
    let exponent: i32 = scientific
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if !(-4..15).contains(&exponent) {
        let (mantissa, _) = scientific.split_once('e').unwrap_or((&scientific, ""));
        return r_exponent(&format!("{}e{exponent}", trim_zeros(mantissa)));
    }
    let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
    trim_zeros(&format!("{value:.decimals$}")).to_string()
}

/// A p-value to three significant digits (fewer if `.precision` asks), in scientific notation
/// below 0.001, so a column of them reads alike: `0.137`, `0.0184`, `5.5e-04`, `1.2e-12`.
pub fn p_value(value: f64, precision: usize) -> String {
    let digits = if precision == 0 {
        P_DIGITS
    } else {
        precision.min(P_DIGITS)
    };
    if value.is_finite() && value > 0.0 && value < P_SCIENTIFIC_BELOW {
        let text = format!("{value:.*e}", digits - 1);
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return r_exponent(&format!("{}e{exponent}", trim_zeros(mantissa)));
    }
    significant(value, digits)
}

/// `1.5e-7` as R and C write it: `1.5e-07` (a sign and at least two digits).
fn r_exponent(text: &str) -> String {
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let value: i32 = exponent.parse().unwrap_or(0);
            let sign = if value < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", value.abs())
        }
        None => text.to_string(),
    }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// The batch with every list column written as text, its items joined by `; ` (`necrosis;
/// cavitated`): delimited text has no lists. Other columns are shared, not copied.
pub fn lists_as_text(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::List(_)))
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        match column.as_list_opt::<i32>() {
            Some(list) => {
                let text: StringArray = (0..list.len())
                    .map(|i| {
                        if list.is_null(i) {
                            return Ok(None);
                        }
                        let items = cast(&list.value(i), &DataType::Utf8)?;
                        let items = items.as_string::<i32>();
                        Ok(Some(
                            items
                                .iter()
                                .map(|s| s.unwrap_or(""))
                                .collect::<Vec<_>>()
                                .join("; "),
                        ))
                    })
                    .collect::<Result<_, ArrowError>>()?;
                fields.push(Field::new(field.name(), DataType::Utf8, true));
                columns.push(Arc::new(text));
            }
            None => {
                fields.push(field.as_ref().clone());
                columns.push(column.clone());
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

#[cfg(test)]
mod tests {
    use super::{p_value, significant};

    /// R 4's `format(x, digits = 7)` for each value (`options(scipen = 0)`).
    #[test]
    fn floats_print_as_r_prints_them() {
        for (value, r) in [
            (0.024073923057645306, "0.02407392"),
            (-0.006160441, "-0.006160441"),
            (1234567.8, "1234568"),
            (0.1 + 0.2, "0.3"),
            (1e-7, "1e-07"),
            (2.5e21, "2.5e+21"),
            (100.0, "100"),
            (9.99999999, "10"),
            (0.0, "0"),
        ] {
            assert_eq!(significant(value, 7), r, "{value}");
        }
        assert_eq!(significant(0.1 + 0.2, 0), "0.30000000000000004");
        assert_eq!(significant(f64::NAN, 7), "NaN");
        assert_eq!(significant(f64::NEG_INFINITY, 7), "-inf");
    }

    #[test]
    fn p_values_read_alike() {
        assert_eq!(p_value(0.1365337574893578, 7), "0.137");
        assert_eq!(p_value(0.005504672325225544, 7), "0.0055");
        assert_eq!(p_value(0.00055, 7), "5.5e-04");
        assert_eq!(p_value(1.234e-12, 7), "1.23e-12");
        assert_eq!(p_value(1.0, 7), "1");
        assert_eq!(p_value(0.1365, 2), "0.14");
    }
}
