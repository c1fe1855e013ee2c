//! The command line: parses arguments, runs one command against a database, and writes its
//! output and errors to the writers it is given (so tests drive it with buffers).

mod args;
pub mod demo;
mod render;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

pub use args::{Args, Command, Format, Import, LevelArg};

use crate::Database;
use crate::error::Error;
use crate::ingest::{ClinicalImport, NullTokens, TableImport};
use crate::storage::Level;

/// Runs the command line with `args` (the first is the program name). Returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let target: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = write!(target, "{}", e.render());
            return code;
        }
    };
    match dispatch(args, out, err) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error[{}]: {}", e.code(), strip_stage(&e));
            1
        }
    }
}

fn strip_stage(e: &Error) -> String {
    match e {
        Error::Ingest(inner) => inner.to_string(),
        Error::Storage(inner) => inner.to_string(),
        other => other.to_string(),
    }
}

fn dispatch(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    let db_path = args.db;
    // Without --db, reading commands use the demo cohort, built on first use.
    let open = || match &db_path {
        Some(path) => Database::open(path),
        None => demo::open_or_build(&demo::default_path()),
    };
    if let Some(text) = &args.statements {
        let db = open()?;
        return Ok(run_statements(&db, text, args.format, out, err));
    }
    let Some(command) = args.command else {
        let db = open()?;
        let _ = write!(out, "{}", demo::banner(&db));
        return Ok(0);
    };
    match command {
        Command::Demo { path } => {
            let db = demo::build(&path)?;
            let _ = write!(out, "{}", demo::banner(&db));
            Ok(0)
        }
        Command::Import(import) => {
            let Some(path) = &db_path else {
                let _ = writeln!(
                    err,
                    "error: `import` needs --db PATH, the database to import into"
                );
                return Ok(2);
            };
            let db = Database::open_or_create(path)?;
            let summary = match import {
                Import::Clinical { file, table, nulls } => {
                    let options = ClinicalImport::default()
                        .with_table(&table)
                        .with_null_tokens(null_tokens(&nulls.null_tokens));
                    db.import_clinical_with(&file, &options)?
                }
                Import::Table {
                    name,
                    file,
                    subject_column,
                    level,
                    delimiter,
                    nulls,
                } => {
                    let mut options = TableImport::new(&name, &subject_column)
                        .with_null_tokens(null_tokens(&nulls.null_tokens))
                        .with_level(match level {
                            LevelArg::Subject => Level::Subject,
                            LevelArg::Multi => Level::Multi,
                        });
                    if let Some(d) = delimiter {
                        options = options.with_delimiter(d as u8);
                    }
                    db.import_table(&file, &options)?
                }
            };
            let _ = write!(out, "{summary}");
            Ok(0)
        }
        Command::Tables => {
            let db = open()?;
            let _ = write!(out, "{}", render::tables(&db.tables()?));
            Ok(0)
        }
        Command::Describe { table } => {
            let db = open()?;
            let meta = db.table(&table)?;
            let columns = db.columns(&table)?;
            let _ = write!(out, "{}", render::describe(&meta, &columns));
            Ok(0)
        }
        Command::History => {
            let db = open()?;
            let _ = write!(out, "{}", render::history(&db.history()?));
            Ok(0)
        }
        Command::Check => {
            let db = open()?;
            let problems = db.check()?;
            for p in &problems {
                let _ = writeln!(out, "problem[{}]: {p}", p.code());
            }
            if problems.is_empty() {
                let _ = writeln!(out, "ok: version {}, every chunk verified", db.version());
                Ok(0)
            } else {
                Ok(1)
            }
        }
    }
}

/// Runs a script, printing each statement's result; on an error, prints it rendered against
/// the text and returns 1.
fn run_statements(
    db: &Database,
    text: &str,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match db.run_script(text) {
        Ok(results) => {
            for (_, result) in results {
                let _ = match format {
                    Format::Table => writeln!(out, "{}", result.to_table()),
                    Format::Csv => write!(out, "{}", result.to_delimited(b',')),
                    Format::Tsv => write!(out, "{}", result.to_delimited(b'\t')),
                };
            }
            0
        }
        Err(e) => {
            let _ = writeln!(err, "{}", e.render(text));
            1
        }
    }
}

fn null_tokens(given: &[String]) -> NullTokens {
    if given.is_empty() {
        NullTokens::default()
    } else {
        NullTokens::new(given.iter().map(String::as_str))
    }
}
