//! The command line: parses arguments, then runs the REPL, a batch of statements (`-c`, `-f`,
//! stdin), or one command against a database. Output and errors go to the writers it is given,
//! so tests drive it with buffers. Exit codes: 0 success, 1 a statement or command failed,
//! 2 a usage error.

mod args;
mod commands;
mod import;
mod radiomics;
mod render;

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};

use clap::Parser;

pub use args::{Args, Command, DuplicatesArg, Format, Import, LevelArg, OrientationArg, PersonArg};

use crate::error::Error;
use crate::repl::{Mode, Repl, Settings};
use crate::{Config, Database, demo};
use commands::{Target, command_line};

/// Runs the command line with `args` (the first is the program name). Returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let args = args::duckdb_flags(args.into_iter().collect());
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
            let _ = writeln!(err, "error[{}]: {}", e.code(), e.message());
            1
        }
    }
}

/// How the command line opens a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// For reading only: nothing in the directory is written.
    Read,
    /// As its one writer.
    Write,
    /// As its writer if no other process writes it, else read-only with a note (the REPL).
    WriteOrRead,
}

/// Opens `--db PATH`, or the demo cohort (built on first use) without it.
fn open(
    path: Option<&std::path::Path>,
    create: bool,
    config: &Config,
    how: Open,
    err: &mut dyn Write,
) -> Result<Database, Error> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => {
            let path = demo::default_path();
            demo::ensure(&path)?;
            path
        }
    };
    if create && crate::storage::Backend::detect(&path).is_none() {
        return Database::create_with(&path, config.clone());
    }
    match how {
        Open::Read => Database::open_read_only_with(&path, config.clone()),
        Open::Write => Database::open_with(&path, config.clone()),
        Open::WriteOrRead => match Database::open_with(&path, config.clone()) {
            Err(Error::Storage(crate::storage::StorageError::Locked { holder, .. })) => {
                let _ = writeln!(
                    err,
                    "note: {holder} is writing {}; this session is read-only and sees each version it commits",
                    path.display()
                );
                Database::open_read_only_with(&path, config.clone())
            }
            other => other,
        },
    }
}

/// Whether a script (`-c`, `-f`, stdin) may change the database: it has a statement that
/// does, or a meta-command that may (`.import`, `.read`). A script that does not parse is
/// judged by the first word of each statement.
fn script_writes(text: &str) -> bool {
    let mut statements = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(".import") || trimmed.starts_with(".read") {
            return true;
        }
        if !trimmed.starts_with('.') {
            statements.push_str(line);
            statements.push('\n');
        }
    }
    match crate::syntax::parse_statements(&statements) {
        Ok(parsed) => parsed.iter().any(crate::database::writes_database),
        Err(_) => statements.split(';').any(|piece| {
            let word = piece
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("--"))
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or("")
                .to_ascii_uppercase();
            matches!(
                word.as_str(),
                "IMPORT" | "CREATE" | "DROP" | "REFRESH" | "VACUUM"
            )
        }),
    }
}

/// The settings the command line gives a database.
fn config(args: &Args) -> Config {
    let mut config = Config::default().with_upgrade(args.upgrade);
    if let Some(backend) = args.backend {
        config = config.with_backend(backend);
    }
    match args.max_line_bytes {
        Some(bytes) => config.with_max_line_bytes(bytes),
        None => config,
    }
}

/// Runs what the arguments ask for: a subcommand, a script (`-c`, `-f`, stdin) or the REPL.
/// Returns the exit code.
fn dispatch(mut args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    if let (Some(_), Some(word)) = (&args.db, &args.path) {
        // `rgdb --db x frobnicate`: a mistyped command, or the database given twice.
        let _ = writeln!(
            err,
            "error: unrecognized subcommand '{}'; the commands are import, tables, describe, history, check, upgrade, demo and synth (a database is given once: --db PATH or PATH)",
            word.display()
        );
        return Ok(2);
    }
    let db_path = args.db.clone().or_else(|| args.path.clone());
    if args.sql.is_some() {
        args.statements = args.sql.take();
    }
    let config = config(&args);
    if args.command.is_some() && (args.statements.is_some() || args.file.is_some()) {
        let _ = writeln!(err, "error: give either -c/-f or a command, not both");
        return Ok(2);
    }
    if let Some(command) = args.command.take() {
        let target = Target {
            path: db_path.as_deref(),
            config: &config,
            readonly: args.readonly,
        };
        return command_line(command, &target, out, err);
    }
    let script = read_script(&args)?;
    let how = match &script {
        _ if args.readonly => Open::Read,
        Some(text) if !script_writes(text) && !args.create => Open::Read,
        Some(_) => Open::Write,
        None => Open::WriteOrRead,
    };
    let mut db = open(db_path.as_deref(), args.create, &config, how, err)?;
    db.set_memory_limit(args.memory_limit);
    db.set_statement_timeout(args.timeout);
    Ok(run_session(db, &args, script, out, err))
}

/// The script to run: `-c` statements, the `-f` file, or standard input when it is not a
/// terminal; `None` for the interactive REPL.
fn read_script(args: &Args) -> Result<Option<String>, Error> {
    Ok(if let Some(text) = &args.statements {
        Some(text.clone())
    } else if let Some(file) = &args.file {
        Some(
            std::fs::read_to_string(file).map_err(|e| crate::ingest::IngestError::Io {
                file: file.display().to_string(),
                message: e.to_string(),
            })?,
        )
    } else if !std::io::stdin().is_terminal() {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| crate::ingest::IngestError::Io {
                file: "standard input".into(),
                message: e.to_string(),
            })?;
        Some(text)
    } else {
        None
    })
}

/// The REPL's settings from the arguments and the terminal.
fn settings(args: &Args) -> Settings {
    Settings {
        mode: mode(args.format),
        max_rows: args.max_rows.unwrap_or(0),
        tests: args.tests,
        // Fit tables to a terminal, as duckdb does; a pipe or file gets every column.
        fold: std::io::stdout().is_terminal(),
        // Errors go to stderr: colour them when it is a terminal, never under NO_COLOR.
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ..Settings::default()
    }
}

/// Runs the script on `db`, or the interactive REPL without one. Returns the exit code.
fn run_session(
    db: Database,
    args: &Args,
    script: Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut settings = settings(args);
    match script {
        Some(text) => {
            let mut repl = Repl::new(db, out, err, settings);
            let ok = match &args.file {
                Some(file) => repl.run_script_file(&file.display().to_string(), &text),
                None => repl.run_script(&text),
            };
            if ok { 0 } else { 1 }
        }
        None => {
            settings.max_rows = args.max_rows.unwrap_or(40);
            let banner = demo::banner(&db);
            let repl = Repl::new(db, out, err, settings);
            crate::repl::interactive::run(repl, &banner)
        }
    }
}

/// The REPL's output mode for `--format`.
fn mode(format: Format) -> Mode {
    match format {
        Format::Table => Mode::Table,
        Format::Csv => Mode::Csv,
        Format::Tsv => Mode::Tsv,
        Format::Json => Mode::Json,
        Format::Markdown => Mode::Markdown,
        Format::Line => Mode::Line,
    }
}
