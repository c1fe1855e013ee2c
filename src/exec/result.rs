//! A statement's result: an Arrow schema and record batches, with text renderings.

use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;

/// The rows a statement returned.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// A text report that says more than the rows (an import's summary), for people.
    pub note: Option<String>,
}

impl QueryResult {
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
                writer.write(&empty).map_err(|e| e.to_string())?;
            }
            for batch in &self.batches {
                writer.write(batch).map_err(|e| e.to_string())?;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}
