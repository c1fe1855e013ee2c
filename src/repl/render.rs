//! Printing results in the REPL's modes: a boxed table cut to a row limit and folded to the
//! terminal's width, CSV, TSV, a JSON array of objects, Markdown, or one line per cell.
//!
//! A result with a test table (`SURVIVAL`, `COX`) prints it as data too: JSON becomes
//! `{"rows": [...], "test": {...}}`, Markdown and line mode add it as a second table. CSV and
//! TSV stay one rectangular table (the rows); `SURVIVAL TEST …` / `COX TEST …` give the test
//! row as CSV.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::util::display::array_value_to_string;

use super::meta::Mode;
use crate::exec::QueryResult;

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub mode: Mode,
    /// Rows shown in table mode before "… N more rows" (0: all).
    pub max_rows: usize,
    /// Fold wide tables to the terminal's width (when printing to one).
    pub fold: bool,
}

fn cell(batch: &RecordBatch, column: usize, row: usize) -> String {
    let array = batch.column(column);
    if array.is_null(row) {
        "NULL".to_string()
    } else {
        array_value_to_string(array, row).unwrap_or_else(|e| format!("<{e}>"))
    }
}

fn rows(result: &QueryResult) -> impl Iterator<Item = (&RecordBatch, usize)> {
    result
        .batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(move |r| (b, r)))
}

/// The result as text in `style`, or why it cannot be written so.
pub fn render(result: &QueryResult, style: Style) -> Result<String, String> {
    match style.mode {
        Mode::Table => Ok(table(result, style)),
        Mode::Csv => result.to_delimited(b','),
        Mode::Tsv => result.to_delimited(b'\t'),
        Mode::Json => json(result),
        Mode::Markdown => Ok(markdown(result)),
        Mode::Line => Ok(lines(result)),
    }
}

fn table(result: &QueryResult, style: Style) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    // Fold to the terminal's width, unless the terminal reports no usable width (as a
    // pseudo-terminal that was never sized does).
    if style.fold && t.width().is_some_and(|w| w >= 40) {
        t.set_content_arrangement(ContentArrangement::Dynamic);
    }
    t.set_header(result.column_names());
    let total = result.num_rows();
    let shown = if style.max_rows == 0 {
        total
    } else {
        total.min(style.max_rows)
    };
    for (batch, row) in rows(result).take(shown) {
        t.add_row((0..batch.num_columns()).map(|c| cell(batch, c, row)));
    }
    let mut text = format!("{t}\n");
    if shown < total {
        text += &format!("… {} more rows (.maxrows N to show more)\n", total - shown);
    }
    text += &format!("{total} row{}\n", if total == 1 { "" } else { "s" });
    text
}

/// A JSON array of one object per row, or with a test table `{"rows": [...], "test": {...}}`.
fn json(result: &QueryResult) -> Result<String, String> {
    let rows = json_array(&result.batches)?;
    Ok(match &result.test {
        None => rows + "\n",
        Some(test) => {
            let test = json_array(std::slice::from_ref(test))?;
            // The test table has one row: its object, without the array's brackets.
            let object = test
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .unwrap_or("null");
            format!("{{\"rows\":{rows},\"test\":{object}}}\n")
        }
    })
}

fn json_array(batches: &[RecordBatch]) -> Result<String, String> {
    let mut out = Vec::new();
    {
        // Explicit nulls, as duckdb writes them: every object has every column.
        let mut writer = datafusion::arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, datafusion::arrow::json::writer::JsonArray>(&mut out);
        let batches: Vec<&RecordBatch> = batches.iter().collect();
        writer
            .write_batches(&batches)
            .and_then(|_| writer.finish())
            .map_err(|e| e.to_string())?;
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    Ok(if text.is_empty() { "[]".into() } else { text })
}

/// The test table as a result of its own, for the modes that print it as a second table.
fn test_of(result: &QueryResult) -> Option<QueryResult> {
    result
        .test
        .as_ref()
        .map(|t| QueryResult::of_batch(t.clone(), None))
}

fn markdown_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(result: &QueryResult) -> String {
    let mut text = markdown_table(result);
    if let Some(test) = test_of(result) {
        text += "\n";
        text += &markdown_table(&test);
    }
    text
}

fn markdown_table(result: &QueryResult) -> String {
    let names = result.column_names();
    let mut text = format!(
        "| {} |\n|{}|\n",
        names
            .iter()
            .map(|n| markdown_escape(n))
            .collect::<Vec<_>>()
            .join(" | "),
        names.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for (batch, row) in rows(result) {
        let cells: Vec<String> = (0..batch.num_columns())
            .map(|c| markdown_escape(&cell(batch, c, row)))
            .collect();
        text += &format!("| {} |\n", cells.join(" | "));
    }
    text
}

fn lines(result: &QueryResult) -> String {
    let mut text = line_blocks(result);
    if let Some(test) = test_of(result) {
        text += "\n";
        text += &line_blocks(&test);
    }
    text
}

fn line_blocks(result: &QueryResult) -> String {
    let names = result.column_names();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut blocks = Vec::new();
    for (batch, row) in rows(result) {
        let block: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(c, n)| format!("{n:>width$} = {}", cell(batch, c, row)))
            .collect();
        blocks.push(block.join("\n"));
    }
    if blocks.is_empty() {
        String::new()
    } else {
        blocks.join("\n\n") + "\n"
    }
}
