//! The subcommands that run once and exit: `import`, `tables`, `describe`, `history`, `check`
//! against a database, `upgrade` of one, and `demo` and `synth`, which build files.

use std::io::Write;
use std::path::Path;

use super::args::{Command, Import, SynthArgs};
use super::import::import_request;
use super::{Open, open, render};
use crate::error::Error;
use crate::progress::while_running;
use crate::{Config, Database, demo};

/// The database a subcommand works on, as the global options give it.
pub(super) struct Target<'a> {
    /// `--db PATH` (or `PATH`); without it, the demo cohort.
    pub path: Option<&'a Path>,
    pub config: &'a Config,
    /// `--readonly`: an import is refused.
    pub readonly: bool,
}

/// Runs one subcommand; returns the exit code.
pub(super) fn command_line(
    command: Command,
    target: &Target<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    match command {
        Command::Upgrade { path } => upgrade(path.as_deref().or(target.path), out, err),
        Command::Demo { path } => build_demo(&path, out),
        Command::Synth(synth) => synthesize(&synth, out),
        Command::Import(import) => run_import(import, target, out, err),
        Command::Tables => {
            let db = open(target.path, false, target.config, Open::Read, err)?;
            let _ = write!(out, "{}", render::tables(&db.tables()?));
            Ok(0)
        }
        Command::Describe { table } => {
            let db = open(target.path, false, target.config, Open::Read, err)?;
            let meta = db.table(&table)?;
            let columns = db.columns(&table)?;
            let _ = write!(out, "{}", render::describe(&meta, &columns));
            Ok(0)
        }
        Command::History => {
            let db = open(target.path, false, target.config, Open::Read, err)?;
            let _ = write!(out, "{}", render::history(&db.history()?));
            Ok(0)
        }
        Command::Check => check(target, out, err),
        Command::Radiomics(args) => super::radiomics::run(&args, out, err),
    }
}

/// `upgrade [PATH]`: converts the database at `path` to the current format, if it is not.
fn upgrade(path: Option<&Path>, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    let Some(path) = path else {
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

/// `demo PATH`: builds the demo cohort at `path`, unless it is already built there.
fn build_demo(path: &Path, out: &mut dyn Write) -> Result<i32, Error> {
    if demo::is_built(path) {
        let db = Database::open_read_only(path)?;
        let _ = writeln!(
            out,
            "the demo cohort is already built at {}",
            path.display()
        );
        let _ = write!(out, "{}", demo::banner(&db));
        return Ok(0);
    }
    let db = demo::build(path)?;
    let _ = write!(out, "{}", demo::banner(&db));
    Ok(0)
}

/// `synth …`: writes a synthetic cohort's source files, and says how to build a database.
fn synthesize(synth: &SynthArgs, out: &mut dyn Write) -> Result<i32, Error> {
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

/// `import KIND …`: one import into `--db PATH` (created when missing), with its summary.
fn run_import(
    import: Import,
    target: &Target<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let Some(path) = target.path else {
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
    if target.readonly {
        return Err(crate::storage::StorageError::ReadOnly {
            path: path.display().to_string(),
        }
        .into());
    }
    let db = Database::open_or_create_with(path, target.config.clone())?;
    let shown = request.describe();
    let summary = while_running(true, &shown, || db.import(&request))?;
    let _ = write!(out, "{summary}");
    Ok(0)
}

/// `check`: verifies every chunk; lists the problems (exit code 1) or says the database is
/// intact.
fn check(target: &Target<'_>, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    let db = open(target.path, false, target.config, Open::Read, err)?;
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
