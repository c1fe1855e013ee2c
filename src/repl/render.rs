//! Printing results in the REPL's modes: a boxed table cut to a row limit and folded to the
//! terminal's width, CSV, TSV, a JSON array of objects, Markdown, or one line per cell.
//!
//! A result with a test table (`SURVIVAL`, `COX`) prints it as data too: JSON becomes
//! `{"rows": [...], "test": {...}}`, Markdown and line mode add it as a second table. CSV and
//! TSV stay one rectangular table (the rows); `SURVIVAL TEST …` / `COX TEST …` give the test
//! row as CSV.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::arrow::util::display::array_value_to_string;

use super::meta::Mode;
use crate::exec::QueryResult;
use crate::exec::result::{p_value, significant};

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub mode: Mode,
    /// Rows shown in table mode before "… N more rows" (0: all).
    pub max_rows: usize,
    /// The terminal's width when printing to one: a wider table shows the columns that fit
    /// and says how many it left out; long text is cut. None: every column, whole.
    pub width: Option<usize>,
    /// Significant digits of a float in table, line and Markdown modes (0: every digit, the
    /// shortest text that reads back as the same double). CSV, TSV and JSON always write
    /// every digit.
    pub precision: usize,
}

/// Floats print with this many significant digits unless `.precision` says otherwise (R's
/// default, `options(digits = 7)`).
pub const DEFAULT_PRECISION: usize = 7;

/// The longest text a cell shows on a terminal before it is cut with `…`.
const MAX_TEXT: usize = 48;

/// How a column's values are written for people.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A p-value or q-value column (`p`, `q`, `lr_p`, `p_value`, `fdr`, …).
    PValue,
    Float,
    Other,
}

fn kind(name: &str, ty: &DataType) -> Kind {
    let name = name.to_ascii_lowercase();
    let p_like = matches!(
        name.as_str(),
        "p" | "q" | "pvalue" | "p_value" | "qvalue" | "q_value" | "fdr" | "padj" | "p_adj"
    ) || name.ends_with("_p")
        || name.ends_with("_q");
    match ty {
        DataType::Float16 | DataType::Float32 | DataType::Float64 if p_like => Kind::PValue,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => Kind::Float,
        _ => Kind::Other,
    }
}

/// How each column of a result is written, worked out once per result.
fn kinds(result: &QueryResult) -> Vec<Kind> {
    result
        .schema
        .fields()
        .iter()
        .map(|f| kind(f.name(), f.data_type()))
        .collect()
}

fn raw_cell(batch: &RecordBatch, column: usize, row: usize) -> String {
    let array = batch.column(column);
    if array.is_null(row) {
        "NULL".to_string()
    } else {
        array_value_to_string(array, row).unwrap_or_else(|e| format!("<{e}>"))
    }
}

/// A cell as people read it: floats to `precision` significant digits, p-values to three.
fn cell(batch: &RecordBatch, column: usize, row: usize, precision: usize, kind: Kind) -> String {
    let array = batch.column(column);
    if array.is_null(row) {
        return "NULL".to_string();
    }
    let value = match array.data_type() {
        DataType::Float64 => array.as_primitive::<Float64Type>().value(row),
        DataType::Float32 => f64::from(array.as_primitive::<Float32Type>().value(row)),
        _ => return raw_cell(batch, column, row),
    };
    match kind {
        Kind::PValue => p_value(value, precision),
        _ => significant(value, precision),
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
        Mode::Columns => Ok(columns(result, style)),
        Mode::Csv => result.to_delimited(b','),
        Mode::Tsv => result.to_delimited(b'\t'),
        Mode::Json => json(result),
        Mode::Markdown => Ok(markdown(result, style)),
        Mode::Line => Ok(lines(result, style)),
    }
}

/// The terminal's width in characters, if stdout is one that reports a usable width.
pub fn terminal_width() -> Option<usize> {
    Table::new().width().map(usize::from).filter(|w| *w >= 40)
}

/// `text` with each line longer than `width` broken at spaces, so that a terminal never
/// breaks a number in two. A word longer than the width stays whole.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let mut used = 0;
        for (i, word) in body.split(' ').enumerate() {
            let n = chars(word);
            if i > 0 {
                if used + 1 + n > width && used > 0 {
                    out.push('\n');
                    used = 0;
                } else {
                    out.push(' ');
                    used += 1;
                }
            }
            out.push_str(word);
            used += n;
        }
        out.push_str(newline);
    }
    out
}

/// Characters of `text` as a terminal shows them (one per char; wide scripts are rare in
/// cohort data).
fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `max` characters with `…`.
fn cut(text: &str, max: usize) -> String {
    if chars(text) <= max {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// A grid to draw: a header, rows of cells, which columns are numbers (right-aligned).
struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    numeric: Vec<bool>,
}

/// The columns of `grid` that fit in `width` characters: all of them, or as many as fit
/// taken alternately from the left and the right (as duckdb's box renderer does), in order,
/// with the place of the `…` column that stands for the rest.
fn fitting(grid: &Grid, width: Option<usize>) -> (Vec<usize>, Option<usize>) {
    let all: Vec<usize> = (0..grid.header.len()).collect();
    let Some(width) = width else {
        return (all, None);
    };
    // Each column takes its text, a space either side and a border.
    let cost = |c: usize| -> usize {
        let text = grid
            .rows
            .iter()
            .map(|r| chars(&r[c]))
            .chain(std::iter::once(chars(&grid.header[c])))
            .max()
            .unwrap_or(0);
        text + 3
    };
    let costs: Vec<usize> = all.iter().map(|&c| cost(c)).collect();
    if costs.iter().sum::<usize>() < width {
        return (all, None);
    }
    let ellipsis = 4;
    let mut used = 1 + ellipsis;
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut next_left, mut next_right) = (0, costs.len());
    let mut from_left = true;
    while next_left < next_right {
        let c = if from_left { next_left } else { next_right - 1 };
        if used + costs[c] > width && !(left.is_empty() && right.is_empty()) {
            break;
        }
        used += costs[c];
        if from_left {
            left.push(c);
            next_left += 1;
        } else {
            right.push(c);
            next_right -= 1;
        }
        from_left = !from_left;
    }
    let gap = left.len();
    right.reverse();
    left.extend(right);
    (left, Some(gap))
}

fn draw(grid: &Grid, width: Option<usize>) -> (String, usize) {
    let (shown, gap) = fitting(grid, width);
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    // The columns are chosen to fit; nothing is ever wrapped across lines.
    t.set_content_arrangement(ContentArrangement::Disabled);
    let pick = |row: &[String]| -> Vec<String> {
        let mut out: Vec<String> = shown.iter().map(|&c| row[c].clone()).collect();
        if let Some(gap) = gap {
            out.insert(gap, "…".into());
        }
        out
    };
    t.set_header(pick(&grid.header));
    for row in &grid.rows {
        t.add_row(pick(row));
    }
    let mut numeric: Vec<bool> = shown.iter().map(|&c| grid.numeric[c]).collect();
    if let Some(gap) = gap {
        numeric.insert(gap, false);
    }
    for (i, right) in numeric.iter().enumerate() {
        if *right && let Some(column) = t.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    (format!("{t}\n"), shown.len())
}

fn table(result: &QueryResult, style: Style) -> String {
    let kinds = kinds(result);
    let total = result.num_rows();
    let shown = if style.max_rows == 0 {
        total
    } else {
        total.min(style.max_rows)
    };
    let limit = |text: String| match style.width {
        Some(_) => cut(&text, MAX_TEXT),
        None => text,
    };
    let grid = Grid {
        header: result.column_names(),
        rows: rows(result)
            .take(shown)
            .map(|(b, r)| {
                (0..b.num_columns())
                    .map(|c| limit(cell(b, c, r, style.precision, kinds[c])))
                    .collect()
            })
            .collect(),
        numeric: result
            .schema
            .fields()
            .iter()
            .map(|f| f.data_type().is_numeric())
            .collect(),
    };
    let (mut text, columns_shown) = draw(&grid, style.width);
    if shown < total {
        text += &format!("… {} more rows (.maxrows N to show more)\n", total - shown);
    }
    text += &format!("{total} row{}", if total == 1 { "" } else { "s" });
    let columns = grid.header.len();
    if columns_shown < columns {
        text += &format!(
            ", {columns} columns ({columns_shown} shown; .columns or .mode line shows all)"
        );
    }
    text + "\n"
}

/// `.mode columns`: the result turned on its side, one line per column and one column per
/// row, so that a wide result shows every column.
fn columns(result: &QueryResult, style: Style) -> String {
    let kinds = kinds(result);
    let total = result.num_rows();
    let shown = if style.max_rows == 0 {
        total
    } else {
        total.min(style.max_rows)
    };
    let cells: Vec<Vec<String>> = rows(result)
        .take(shown)
        .map(|(b, r)| {
            (0..b.num_columns())
                .map(|c| cut(&cell(b, c, r, style.precision, kinds[c]), MAX_TEXT))
                .collect()
        })
        .collect();
    let names = result.column_names();
    let mut header = vec!["column".to_string()];
    header.extend((1..=shown).map(|i| format!("row {i}")));
    let grid = Grid {
        header,
        rows: names
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let mut line = vec![name.clone()];
                line.extend(cells.iter().map(|row| row[c].clone()));
                line
            })
            .collect(),
        numeric: std::iter::once(false)
            .chain(std::iter::repeat_n(false, shown))
            .collect(),
    };
    let (mut text, _) = draw(&grid, style.width);
    if shown < total {
        text += &format!("… {} more rows (.maxrows N to show more)\n", total - shown);
    }
    text += &format!(
        "{total} row{}, {} columns\n",
        if total == 1 { "" } else { "s" },
        names.len()
    );
    text
}

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

fn markdown(result: &QueryResult, style: Style) -> String {
    let mut text = markdown_table(result, style);
    if let Some(test) = test_of(result) {
        text += "\n";
        text += &markdown_table(&test, style);
    }
    text
}

fn markdown_table(result: &QueryResult, style: Style) -> String {
    let kinds = kinds(result);
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
            .map(|c| markdown_escape(&cell(batch, c, row, style.precision, kinds[c])))
            .collect();
        text += &format!("| {} |\n", cells.join(" | "));
    }
    text
}

fn lines(result: &QueryResult, style: Style) -> String {
    let mut text = line_blocks(result, style);
    if let Some(test) = test_of(result) {
        text += "\n";
        text += &line_blocks(&test, style);
    }
    text
}

fn line_blocks(result: &QueryResult, style: Style) -> String {
    let kinds = kinds(result);
    let names = result.column_names();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut blocks = Vec::new();
    for (batch, row) in rows(result) {
        let block: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(c, n)| {
                format!(
                    "{n:>width$} = {}",
                    cell(batch, c, row, style.precision, kinds[c])
                )
            })
            .collect();
        blocks.push(block.join("\n"));
    }
    if blocks.is_empty() {
        String::new()
    } else {
        blocks.join("\n\n") + "\n"
    }
}
