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
    ) -> Result<QueryResult, crate::error::Error> {
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
