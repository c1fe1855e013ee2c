//! Meta-commands: lines starting with `.` that control the REPL rather than query the data.

use std::path::PathBuf;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Table,
    Csv,
    Tsv,
    Json,
    Markdown,
    /// One `column = value` line per cell, rows separated by a blank line.
    Line,
    /// The result on its side: one line per column, one column per row (`.columns`).
    Columns,
}

impl Mode {
    pub fn parse(word: &str) -> Option<Mode> {
        Some(match word.to_ascii_lowercase().as_str() {
            "table" => Mode::Table,
            "csv" => Mode::Csv,
            "tsv" => Mode::Tsv,
            "json" => Mode::Json,
            "markdown" | "md" => Mode::Markdown,
            "line" => Mode::Line,
            "columns" => Mode::Columns,
            _ => return None,
        })
    }
}

/// A parsed meta-command.
#[derive(Debug, Clone, PartialEq)]
pub enum Meta {
    Help,
    Tables,
    Schema(Option<String>),
    Cohorts,
    Mode(Mode),
    Timer(bool),
    /// `.tests on|off`: print a result's test table instead of its rows.
    Tests(bool),
    /// `.maxrows N`: rows printed in table mode before "… N more rows".
    MaxRows(usize),
    /// `.precision N`: significant digits of floats in the modes people read (0: all).
    Precision(usize),
    /// `.output FILE`, or `.output` alone to go back to the terminal.
    Output(Option<PathBuf>),
    Read(PathBuf),
    /// `.import clinical FILE [TABLE]` or `.import table NAME FILE SUBJECT_COLUMN [multi]`.
    Import(Vec<String>),
    Plan(String),
    Ast(String),
    History,
    Quit,
}

/// The `.help` text.
pub const HELP: &str = "\
Statements end at `;` or at the end of a complete line; see docs/language.md.
  SELECT … FROM subjects|cohort|table …   CREATE COHORT name AS SELECT subject_id …
  SHOW TABLES | COHORTS | HISTORY | COHORT c | COLUMNS FROM t [LIKE 'p%']   DESCRIBE t
  SELECT … AS OF VERSION n | AS OF '2026-11-28'   REFRESH COHORT c   VACUUM KEEP n
  EXPORT (SELECT …) TO 'f.parquet|csv|tsv|arrow|jsonl' [LONG] [PARTITION BY c] [COMPRESSION zstd 9] [OVERWRITE]
  IMPORT CLINICAL|EXPRESSION|GEO|RADIOMICS|AIM|DICOM … FROM '…'
  SURVIVAL [CURVE|TEST] OF subjects|cohort [TIME t EVENT e] BY expr [SPLIT AT MEDIAN | QUANTILES k] [AT (365, …)]
  COX [TEST] OF subjects|cohort [TIME t EVENT e] ON term, term, …
Meta-commands:
  .help                    this text
  .tables                  list tables
  .schema [table]          columns of a table (all tables without one)
  .cohorts                 list cohorts
  .mode MODE               table | csv | tsv | json | markdown | line | columns
  .columns                 show a wide result on its side, every column (.mode columns)
  .precision N             significant digits of floats (default 7; 0: every digit)
  .tests on|off            print SURVIVAL's and COX's test table instead of their rows
  .timer on|off            print how long each statement takes
  .maxrows N               rows shown in table mode (0: all)
  .output [FILE]           write results to FILE (no FILE: back to the terminal)
  .read FILE               run the statements in FILE
  .import clinical FILE [TABLE]
  .import table NAME FILE SUBJECT_COLUMN [multi]
  .import expression FILE TABLE | .import geo FILE TABLE | .import aliases FILE
  .import radiomics FILE [TABLE] | .import aim PATH [TABLE]
  .import dicom DIR | .import series FILE
  .plan STATEMENT          DataFusion's logical and physical plans
  .ast STATEMENT           the parsed statement, as the parser sees it
  .history                 previous inputs
  .quit                    leave (or Ctrl-D); Ctrl-C cancels a running query
";

/// Parses a `.command` line, or says what is wrong with it.
pub fn parse(line: &str) -> Result<Meta, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let args: Vec<String> = split_args(rest);
    let one = |what: &str| -> Result<String, String> {
        args.first()
            .cloned()
            .ok_or_else(|| format!("{word} needs {what}"))
    };
    Ok(match word {
        ".help" | ".h" | ".?" => Meta::Help,
        ".tables" => Meta::Tables,
        ".schema" => Meta::Schema(args.first().cloned()),
        ".cohorts" => Meta::Cohorts,
        ".mode" => {
            let m = one("a mode: table, csv, tsv, json, markdown, line or columns")?;
            Meta::Mode(Mode::parse(&m).ok_or_else(|| {
                format!("unknown mode `{m}`: use table, csv, tsv, json, markdown, line or columns")
            })?)
        }
        ".columns" => Meta::Mode(Mode::Columns),
        ".precision" => Meta::Precision(
            one("a number of significant digits (0: all)")?
                .parse()
                .ok()
                .filter(|n| *n <= 17)
                .ok_or_else(|| {
                    ".precision takes a number of significant digits from 0 (all) to 17".to_string()
                })?,
        ),
        ".timer" => match one("on or off")?.as_str() {
            "on" => Meta::Timer(true),
            "off" => Meta::Timer(false),
            other => return Err(format!(".timer takes on or off, not `{other}`")),
        },
        ".tests" => match one("on or off")?.as_str() {
            "on" => Meta::Tests(true),
            "off" => Meta::Tests(false),
            other => return Err(format!(".tests takes on or off, not `{other}`")),
        },
        ".maxrows" => Meta::MaxRows(
            one("a number")?
                .parse()
                .map_err(|_| ".maxrows takes a number".to_string())?,
        ),
        ".output" => Meta::Output(args.first().map(PathBuf::from)),
        ".read" => Meta::Read(PathBuf::from(one("a file")?)),
        ".import" => Meta::Import(args),
        ".plan" | ".explain" => Meta::Plan(rest.to_string()),
        ".ast" => Meta::Ast(rest.to_string()),
        ".history" => Meta::History,
        ".quit" | ".exit" | ".q" => Meta::Quit,
        other => return Err(format!("unknown command `{other}`; .help lists them")),
    })
}

/// Splits on whitespace, keeping `'quoted parts'` and `"quoted parts"` together.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    args.push(std::mem::take(&mut current));
                }
            }
            (None, c) => current.push(c),
        }
    }
    if !current.is_empty() {
        args.push(current);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_commands_parse() {
        assert_eq!(parse(".mode csv"), Ok(Meta::Mode(Mode::Csv)));
        assert_eq!(
            parse(".schema clinical"),
            Ok(Meta::Schema(Some("clinical".into())))
        );
        assert_eq!(parse(".timer on"), Ok(Meta::Timer(true)));
        assert_eq!(
            parse(".import table t 'my file.csv' 'Patient ID'"),
            Ok(Meta::Import(vec![
                "table".into(),
                "t".into(),
                "my file.csv".into(),
                "Patient ID".into()
            ]))
        );
        assert_eq!(
            parse(".plan SELECT 1 FROM t"),
            Ok(Meta::Plan("SELECT 1 FROM t".into()))
        );
        assert!(parse(".mode xml").unwrap_err().contains("unknown mode"));
        assert!(parse(".frob").unwrap_err().contains("unknown command"));
    }
}
