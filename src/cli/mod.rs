//! The command line: parses arguments, then runs the REPL, a batch of statements (`-c`, `-f`,
//! stdin), or one command against a database. Output and errors go to the writers it is given,
//! so tests drive it with buffers. Exit codes: 0 success, 1 a statement or command failed,
//! 2 a usage error.

mod args;
mod render;

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};

use clap::Parser;

pub use args::{Args, Command, DuplicatesArg, Format, Import, LevelArg, OrientationArg, PersonArg};

use crate::error::Error;
use crate::ingest::{
    AimImport, ClinicalImport, DicomImport, DuplicatePolicy, ExpressionImport, GeoImport,
    ImportRequest, NullTokens, Orientation, PersonField, RadiomicsImport, TableImport,
};
use crate::progress::while_running;
use crate::repl::{Mode, Repl, Settings};
use crate::storage::Level;
use crate::{Config, Database, demo};

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
    if let Some(command) = args.command {
        return command_line(
            command,
            db_path.as_deref(),
            &config,
            args.readonly,
            out,
            err,
        );
    }
    let script = if let Some(text) = &args.statements {
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
    };
    let how = match &script {
        _ if args.readonly => Open::Read,
        Some(text) if !script_writes(text) && !args.create => Open::Read,
        Some(_) => Open::Write,
        None => Open::WriteOrRead,
    };
    let mut db = open(db_path.as_deref(), args.create, &config, how, err)?;
    db.set_memory_limit(args.memory_limit);
    db.set_statement_timeout(args.timeout);
    let mut settings = Settings {
        mode: mode(args.format),
        max_rows: args.max_rows.unwrap_or(0),
        tests: args.tests,
        // Fit tables to a terminal, as duckdb does; a pipe or file gets every column.
        fold: std::io::stdout().is_terminal(),
        // Errors go to stderr: colour them when it is a terminal, never under NO_COLOR.
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ..Settings::default()
    };
    match script {
        Some(text) => {
            let mut repl = Repl::new(db, out, err, settings);
            let ok = match &args.file {
                Some(file) => repl.run_script_file(&file.display().to_string(), &text),
                None => repl.run_script(&text),
            };
            Ok(if ok { 0 } else { 1 })
        }
        None => {
            settings.max_rows = args.max_rows.unwrap_or(40);
            let banner = demo::banner(&db);
            let repl = Repl::new(db, out, err, settings);
            Ok(crate::repl::interactive::run(repl, &banner))
        }
    }
}

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

fn command_line(
    command: Command,
    db_path: Option<&std::path::Path>,
    config: &Config,
    readonly: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    match command {
        Command::Upgrade { path } => {
            let Some(path) = path.as_deref().or(db_path) else {
                let _ = writeln!(err, "error: `upgrade` needs a PATH (or --db PATH)");
                return Ok(2);
            };
            match while_running(true, "converting the database", || Database::upgrade(path))? {
                Some(r) => {
                    let _ = writeln!(
                        out,
                        "converted {} from {} to {}: {} catalog entries and {} chunks copied in {:.1} s; {:.1} MB -> {:.1} MB",
                        path.display(),
                        r.from,
                        r.to,
                        r.catalog_entries,
                        r.chunks,
                        r.seconds,
                        r.bytes_before as f64 / 1e6,
                        r.bytes_after as f64 / 1e6
                    );
                }
                None => {
                    let _ = writeln!(out, "{} is already current; nothing to do", path.display());
                }
            }
            Ok(0)
        }
        Command::Demo { path } => {
            if demo::is_built(&path) {
                let db = Database::open_read_only(&path)?;
                let _ = writeln!(
                    out,
                    "the demo cohort is already built at {}",
                    path.display()
                );
                let _ = write!(out, "{}", demo::banner(&db));
                return Ok(0);
            }
            let db = demo::build(&path)?;
            let _ = write!(out, "{}", demo::banner(&db));
            Ok(0)
        }
        Command::Synth(synth) => {
            let started = std::time::Instant::now();
            let summary = crate::synth::generate(&synth.spec(), &synth.out)?;
            let _ = writeln!(out, "wrote {}", summary.out.display());
            for (name, what, bytes) in &summary.files {
                let _ = writeln!(
                    out,
                    "  {name:<18} {what:<40} {:>10.1} MB",
                    *bytes as f64 / 1e6
                );
            }
            let _ = writeln!(
                out,
                "{:.1} MB in {:.1} s; build a database with\n  rgdb --db cohort.rgdb --create -f {}",
                summary.bytes() as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                summary.out.join("import.rgdb").display()
            );
            Ok(0)
        }
        Command::Import(import) => {
            let Some(path) = db_path else {
                let _ = writeln!(
                    err,
                    "error: `import` needs --db PATH, the database to import into"
                );
                return Ok(2);
            };
            let request = import_request(import);
            // A missing source file must not leave a new, empty database behind.
            std::fs::metadata(request.path()).map_err(|e| crate::ingest::IngestError::Io {
                file: request.path().display().to_string(),
                message: e.to_string(),
            })?;
            if readonly {
                return Err(crate::storage::StorageError::ReadOnly {
                    path: path.display().to_string(),
                }
                .into());
            }
            let db = Database::open_or_create_with(path, config.clone())?;
            let shown = request.describe();
            let summary = while_running(true, &shown, || db.import(&request))?;
            let _ = write!(out, "{summary}");
            Ok(0)
        }
        Command::Tables => {
            let db = open(db_path, false, config, Open::Read, err)?;
            let _ = write!(out, "{}", render::tables(&db.tables()?));
            Ok(0)
        }
        Command::Describe { table } => {
            let db = open(db_path, false, config, Open::Read, err)?;
            let meta = db.table(&table)?;
            let columns = db.columns(&table)?;
            let _ = write!(out, "{}", render::describe(&meta, &columns));
            Ok(0)
        }
        Command::History => {
            let db = open(db_path, false, config, Open::Read, err)?;
            let _ = write!(out, "{}", render::history(&db.history()?));
            Ok(0)
        }
        Command::Check => {
            let db = open(db_path, false, config, Open::Read, err)?;
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

/// The subcommand's import, as the one request type every import path shares.
fn import_request(import: Import) -> ImportRequest {
    match import {
        Import::Clinical { file, table, nulls } => ImportRequest::Clinical {
            path: file,
            options: ClinicalImport::default()
                .with_table(&table)
                .with_null_tokens(null_tokens(&nulls.null_tokens)),
        },
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
            ImportRequest::Table {
                path: file,
                options,
            }
        }
        Import::Expression {
            file,
            table,
            orientation,
            platform,
            unit,
            duplicates,
        } => {
            let mut options = ExpressionImport::new(&table)
                .with_orientation(match orientation {
                    OrientationArg::Auto => Orientation::Auto,
                    OrientationArg::GenesBySubjects => Orientation::GenesBySubjects,
                    OrientationArg::SubjectsByGenes => Orientation::SubjectsByGenes,
                })
                .with_duplicates(match duplicates {
                    DuplicatesArg::Error => DuplicatePolicy::Error,
                    DuplicatesArg::First => DuplicatePolicy::First,
                    DuplicatesArg::Suffix => DuplicatePolicy::Suffix,
                });
            options.platform = platform;
            options.unit = unit;
            ImportRequest::Expression {
                path: file,
                options,
            }
        }
        Import::Geo {
            file,
            table,
            subject_field,
            annotation,
            symbol_column,
            unit,
        } => {
            let mut options = GeoImport::new(&table);
            options.subject_field = subject_field;
            options.annotation = annotation;
            options.symbol_column = symbol_column;
            options.unit = unit;
            ImportRequest::Geo {
                path: file,
                options,
            }
        }
        Import::Aliases { file } => ImportRequest::Aliases { path: file },
        Import::Radiomics {
            file,
            table,
            subject_pattern,
            subject_column,
            allow_mixed_settings,
        } => {
            let mut options = RadiomicsImport::new(&table);
            options.subject_pattern = subject_pattern;
            options.subject_column = subject_column;
            options.allow_mixed_settings = allow_mixed_settings;
            ImportRequest::Radiomics {
                path: file,
                options,
            }
        }
        Import::Aim {
            path,
            table,
            template,
            skip_bad,
            subject_field,
            subject_pattern,
        } => {
            let mut options = AimImport::new(&table);
            options.template = template;
            options.skip_bad = skip_bad;
            options.subject_field = match subject_field {
                PersonArg::Id => PersonField::Id,
                PersonArg::Name => PersonField::Name,
            };
            options.subject_pattern = subject_pattern;
            ImportRequest::Aim { path, options }
        }
        Import::Dicom { dir, skip_bad } => ImportRequest::Dicom {
            path: dir,
            options: DicomImport { skip_bad },
        },
        Import::Series { file } => ImportRequest::Series { path: file },
    }
}

fn null_tokens(given: &[String]) -> NullTokens {
    if given.is_empty() {
        NullTokens::default()
    } else {
        NullTokens::new(given.iter().map(String::as_str))
    }
}
