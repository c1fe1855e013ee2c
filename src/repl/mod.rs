//! The REPL and batch runner: reads statements and meta-commands, runs them against a
//! database, prints results in the chosen mode. `Repl` writes to any `Write`, so tests drive it
//! with buffers; `interactive` wraps it in a line editor for terminals.

mod complete;
pub mod interactive;
mod meta;
mod render;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use complete::{Completions, Index, as_identifier};
pub use meta::{HELP, Meta, Mode};
pub use render::{Style, render};

use crate::Database;
use crate::error::Error;
use crate::exec::QueryResult;
use crate::ingest::{ClinicalImport, ImportRequest, TableImport};
use crate::storage::Level;
use crate::syntax::{ends_with_semicolon, parse_statements};

/// Whether the REPL goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// Printing and behaviour settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: Mode,
    pub timer: bool,
    pub max_rows: usize,
    /// Fit wide tables to the terminal's width (output goes to a terminal).
    pub fold: bool,
    /// Significant digits of floats in the modes people read (0: all); `.precision`.
    pub precision: usize,
    /// Print a result's test table (SURVIVAL's, COX's) instead of its rows; `.tests on`.
    pub tests: bool,
    /// Colour errors (only on a terminal, never under `NO_COLOR`).
    pub color: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Table,
            timer: false,
            max_rows: 40,
            fold: false,
            precision: render::DEFAULT_PRECISION,
            tests: false,
            color: false,
        }
    }
}

/// A REPL session over one database.
pub struct Repl<O: Write, E: Write> {
    /// Declared (and so dropped) before `db`: see [`Settling`].
    completions: Settling,
    db: Database,
    out: O,
    err: E,
    pub settings: Settings,
    output: Option<std::fs::File>,
    /// Set by Ctrl-C while a statement runs.
    cancel: Arc<AtomicBool>,
    history: Vec<String>,
    errors: usize,
    /// How deep `.read` is nested (a file that reads itself stops at `MAX_READ_DEPTH`).
    reading: usize,
    /// While a script file runs: its name and the line of the file where the input being run
    /// starts, so that errors name `file:line`.
    origin: Option<(String, usize)>,
}

/// How deep `.read` may nest.
const MAX_READ_DEPTH: usize = 16;

/// Whether `text` is a whole input: a meta-command, or statements the parser does not call
/// incomplete. In a script, a meta-command line ends a statement before it that is whole
/// without its `;`.
pub fn is_complete(text: &str) -> bool {
    let trimmed = text.trim();
    trimmed.is_empty()
        || trimmed.starts_with('.')
        || !matches!(parse_statements(text), Err(e) if e.is_incomplete())
}

/// The REPL's completions, which let go of their snapshots when the REPL is dropped, before
/// the database is: a database closed with no read transaction left compacts its file.
struct Settling(Completions);

impl std::ops::Deref for Settling {
    type Target = Completions;
    fn deref(&self) -> &Completions {
        &self.0
    }
}

impl Drop for Settling {
    fn drop(&mut self) {
        self.0.settle();
    }
}

impl<O: Write, E: Write> Repl<O, E> {
    pub fn new(db: Database, out: O, err: E, settings: Settings) -> Self {
        let completions = Completions::default();
        Repl {
            db,
            out,
            err,
            settings,
            output: None,
            cancel: Arc::new(AtomicBool::new(false)),
            completions: Settling(completions),
            history: Vec::new(),
            errors: 0,
            reading: 0,
            origin: None,
        }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The flag Ctrl-C sets to cancel the running statement.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// The completion index, kept current as statements change the database.
    pub fn completions(&self) -> Completions {
        self.completions.enable();
        self.completions.update(|| self.db.snapshot());
        self.completions.0.clone()
    }

    /// How many inputs have failed so far.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Hands back the writers.
    pub fn into_writers(self) -> (O, E) {
        (self.out, self.err)
    }

    /// Runs one complete input: a meta-command or statements. Input of several lines (pasted
    /// text) is run as a script, so that each meta-command line stands on its own.
    pub fn feed(&mut self, input: &str) -> Flow {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Flow::Continue;
        }
        self.history.push(trimmed.to_string());
        if trimmed.contains('\n') && trimmed.lines().any(|l| l.trim_start().starts_with('.')) {
            return self.script_lines(trimmed).1;
        }
        if trimmed.starts_with('.') {
            return self.run_meta(trimmed);
        }
        self.statements(input);
        Flow::Continue
    }

    /// Runs a script: meta-command lines and `;`-separated statements, which may span lines.
    /// Stops at the first error; returns whether everything succeeded.
    pub fn run_script(&mut self, text: &str) -> bool {
        self.script_lines(text).0
    }

    /// Runs a script file's text (`-f FILE`, `.read FILE`): as [`Repl::run_script`], and its
    /// errors name the file and line, as `psql:file.sql:12:` does.
    pub fn run_script_file(&mut self, file: &str, text: &str) -> bool {
        let outer = self.origin.replace((file.to_string(), 1));
        let ok = self.script_lines(text).0;
        self.origin = outer;
        ok
    }

    /// Runs a script; returns whether it succeeded and whether it asked to quit.
    fn script_lines(&mut self, text: &str) -> (bool, Flow) {
        let before = self.errors;
        let mut buffer = String::new();
        // The script's line where `buffer` starts (1-based).
        let mut start = 1;
        for (n, line) in text.lines().enumerate() {
            let meta = line.trim_start().starts_with('.');
            // A meta-command ends any statement before it that is already complete (one
            // without `;`, or just comments).
            if meta && (buffer.trim().is_empty() || is_complete(&buffer)) {
                self.flush_statements(&mut buffer, start);
                self.set_line(n + 1);
                if self.errors == before && self.run_meta(line) == Flow::Quit {
                    return (self.errors == before, Flow::Quit);
                }
                start = n + 2;
            } else {
                buffer.push_str(line);
                buffer.push('\n');
                // The cheap test first: a script's long statement is not scanned line by line.
                if buffer.trim_end().ends_with(';') && ends_with_semicolon(&buffer) {
                    self.flush_statements(&mut buffer, start);
                    start = n + 2;
                }
            }
            if self.errors > before {
                return (false, Flow::Continue);
            }
        }
        self.flush_statements(&mut buffer, start);
        (self.errors == before, Flow::Continue)
    }

    /// Records the script line where the input about to run starts.
    fn set_line(&mut self, line: usize) {
        if let Some((_, at)) = &mut self.origin {
            *at = line;
        }
    }

    /// Runs the statements gathered in `buffer`, if any, and empties it. `start` is the
    /// script's line where the buffer starts.
    fn flush_statements(&mut self, buffer: &mut String, start: usize) {
        self.set_line(start);
        let text = std::mem::take(buffer);
        let only_comments = matches!(parse_statements(&text), Ok(s) if s.is_empty());
        if !text.trim().is_empty() && !only_comments {
            self.statements(&text);
        }
    }

    fn run_meta(&mut self, line: &str) -> Flow {
        match meta::parse(line) {
            Ok(m) => self.meta(m),
            Err(message) => {
                self.error_text(&message);
                Flow::Continue
            }
        }
    }

    /// Runs the statements of `text` in order, stopping at the first error or at Ctrl-C.
    fn statements(&mut self, text: &str) {
        let statements = match parse_statements(text) {
            Ok(s) => s,
            Err(e) => return self.error(&Error::from(e), text),
        };
        self.cancel.store(false, Ordering::SeqCst);
        for statement in statements {
            if self.cancel.load(Ordering::SeqCst) {
                self.error(&crate::exec::ExecError::Cancelled.into(), text);
                break;
            }
            let started = Instant::now();
            let shown = statement.to_string();
            // Progress after two seconds, for any statement (a CORRELATE, an EXPORT, an
            // import, a slow query), but not when results go to a pipe.
            let result = crate::progress::while_running(true, &shown, || {
                self.db.run_statement(statement, &self.cancel)
            });
            let ok = match result {
                Ok(result) => {
                    self.print(&result);
                    true
                }
                // Spans are byte offsets into the whole input, so render against it.
                Err(e) => {
                    self.error(&e, text);
                    false
                }
            };
            if self.settings.timer {
                let _ = writeln!(self.err, "time: {:.3?}", started.elapsed());
            }
            if !ok {
                break;
            }
        }
        self.completions.update(|| self.db.snapshot());
    }

    fn print(&mut self, result: &QueryResult) {
        // `--tests` / `.tests on`: the test table stands in for the rows.
        let tested;
        let result = match (&result.test, self.settings.tests) {
            (Some(test), true) => {
                tested = QueryResult {
                    header: result.header.clone(),
                    ..QueryResult::of_batch(test.clone(), None)
                };
                &tested
            }
            _ => result,
        };
        // The terminal's width, when printing to one that reports a usable width (a
        // pseudo-terminal that was never sized reports none).
        let width = (self.output.is_none() && self.settings.fold)
            .then(render::terminal_width)
            .flatten();
        let for_people = matches!(self.settings.mode, Mode::Table | Mode::Columns);
        let header = match &result.header {
            Some(header) if for_people => {
                let text = match width {
                    Some(w) => render::wrap(header, w),
                    None => header.clone(),
                };
                format!("{text}{}", result.figure.as_deref().unwrap_or_default())
            }
            _ => String::new(),
        };
        let text = match &result.note {
            Some(note) if for_people => Ok(note.clone()),
            _ => render(
                result,
                Style {
                    mode: self.settings.mode,
                    max_rows: self.settings.max_rows,
                    width,
                    precision: self.settings.precision,
                },
            ),
        };
        match text {
            Ok(text) => self.write(&format!("{header}{text}")),
            Err(message) => self.error_text(&format!(
                "cannot print the result as {:?}: {message}",
                self.settings.mode
            )),
        }
    }

    /// Writes results; a failed write (a full disk, say) counts as an error, except a closed
    /// pipe (`rgdb … | head`).
    fn write(&mut self, text: &str) {
        let target: &mut dyn Write = match &mut self.output {
            Some(file) => file,
            None => &mut self.out,
        };
        let written = target
            .write_all(text.as_bytes())
            .and_then(|_| target.flush());
        if let Err(e) = written
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            self.error_text(&format!("cannot write the result: {e}"));
        }
    }

    fn error(&mut self, e: &Error, source: &str) {
        self.errors += 1;
        let text = match &self.origin {
            Some((file, line)) => {
                e.render_in(source, crate::diagnostic::Origin { file, line: *line })
            }
            None => e.render(source),
        };
        let text = if self.settings.color {
            format!("\x1b[31m{text}\x1b[0m")
        } else {
            text
        };
        let _ = writeln!(self.err, "{text}");
    }

    fn error_text(&mut self, message: &str) {
        self.errors += 1;
        match &self.origin {
            Some((file, line)) => {
                let _ = writeln!(self.err, "error: {message}\n --> {file}:{line}");
            }
            None => {
                let _ = writeln!(self.err, "error: {message}");
            }
        }
    }

    fn meta(&mut self, m: Meta) -> Flow {
        match m {
            Meta::Quit => return Flow::Quit,
            Meta::Help => self.write(HELP),
            Meta::Tables => self.statements("SHOW TABLES"),
            Meta::Cohorts => self.statements("SHOW COHORTS"),
            Meta::Schema(Some(table)) => {
                self.statements(&format!("DESCRIBE {}", as_identifier(&table)))
            }
            Meta::Schema(None) => {
                for table in self.db.tables().unwrap_or_default() {
                    self.write(&format!("{}\n", table.name));
                    self.statements(&format!("DESCRIBE {}", as_identifier(&table.name)));
                }
            }
            Meta::Mode(mode) => self.settings.mode = mode,
            Meta::Timer(on) => self.settings.timer = on,
            Meta::Tests(on) => self.settings.tests = on,
            Meta::MaxRows(n) => self.settings.max_rows = n,
            Meta::Precision(n) => self.settings.precision = n,
            Meta::Output(None) => self.output = None,
            Meta::Output(Some(path)) => match std::fs::File::create(&path) {
                Ok(file) => self.output = Some(file),
                Err(e) => self.error_text(&format!("cannot write {}: {e}", path.display())),
            },
            Meta::Read(path) => self.read(&path),
            Meta::Import(args) => self.import(&args),
            Meta::Plan(text) => self.statements(&format!("EXPLAIN {text}")),
            Meta::Ast(text) => match parse_statements(&text) {
                Ok(statements) => {
                    let shown: String = statements.iter().map(|s| format!("{s:#?}\n")).collect();
                    self.write(&shown);
                }
                Err(e) => self.error(&Error::from(e), &text),
            },
            Meta::History => {
                let listing: String = self
                    .history
                    .iter()
                    .enumerate()
                    .map(|(i, h)| format!("{:>4}  {h}\n", i + 1))
                    .collect();
                self.write(&listing);
            }
        }
        Flow::Continue
    }

    fn read(&mut self, path: &Path) {
        if self.reading >= MAX_READ_DEPTH {
            return self.error_text(&format!(
                ".read {} nests more than {MAX_READ_DEPTH} files deep (does a file read itself?)",
                path.display()
            ));
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                self.reading += 1;
                self.run_script_file(&path.display().to_string(), &text);
                self.reading -= 1;
            }
            Err(e) => self.error_text(&format!("cannot read {}: {e}", path.display())),
        }
    }

    fn import(&mut self, args: &[String]) {
        let request = match import_request(args) {
            Ok(r) => r,
            Err(message) => return self.error_text(&message),
        };
        let shown = request.describe();
        let result = crate::progress::while_running(true, &shown, || self.db.import(&request));
        match result {
            Ok(summary) => self.write(&summary.to_string()),
            Err(e) => self.error(&e, &shown),
        }
        self.completions.update(|| self.db.snapshot());
    }
}

/// `.import clinical FILE [TABLE]`, `.import table NAME FILE SUBJECT_COLUMN [multi]`,
/// `.import expression FILE TABLE`, `.import geo FILE TABLE`, `.import aliases FILE`,
/// `.import radiomics FILE [TABLE]`, `.import aim PATH [TABLE]`, `.import dicom DIR`,
/// `.import series FILE` (options: the statement).
fn import_request(args: &[String]) -> Result<ImportRequest, String> {
    let usage = "usage: .import clinical FILE [TABLE] | .import table NAME FILE SUBJECT_COLUMN [multi] \
                 | .import expression FILE TABLE | .import geo FILE TABLE | .import aliases FILE \
                 | .import radiomics FILE [TABLE] | .import aim PATH [TABLE] \
                 | .import dicom DIR | .import series FILE";
    match args {
        [kind, file, table] if kind.eq_ignore_ascii_case("expression") => {
            Ok(ImportRequest::Expression {
                path: file.into(),
                options: crate::ingest::ExpressionImport::new(table),
            })
        }
        [kind, file, table] if kind.eq_ignore_ascii_case("geo") => Ok(ImportRequest::Geo {
            path: file.into(),
            options: crate::ingest::GeoImport::new(table),
        }),
        [kind, file] if kind.eq_ignore_ascii_case("aliases") => {
            Ok(ImportRequest::Aliases { path: file.into() })
        }
        [kind, dir] if kind.eq_ignore_ascii_case("dicom") => Ok(ImportRequest::Dicom {
            path: dir.into(),
            options: crate::ingest::DicomImport::default(),
        }),
        [kind, file] if kind.eq_ignore_ascii_case("series") => {
            Ok(ImportRequest::Series { path: file.into() })
        }
        [kind, file, rest @ ..] if kind.eq_ignore_ascii_case("radiomics") && rest.len() <= 1 => {
            let table = rest.first().map_or("radiomic", String::as_str);
            Ok(ImportRequest::Radiomics {
                path: file.into(),
                options: crate::ingest::RadiomicsImport::new(table),
            })
        }
        [kind, path, rest @ ..] if kind.eq_ignore_ascii_case("aim") && rest.len() <= 1 => {
            let table = rest.first().map_or("semantic", String::as_str);
            Ok(ImportRequest::Aim {
                path: path.into(),
                options: crate::ingest::AimImport::new(table),
            })
        }
        [kind, file, rest @ ..] if kind.eq_ignore_ascii_case("clinical") && rest.len() <= 1 => {
            let mut options = ClinicalImport::default();
            if let [table] = rest {
                options = options.with_table(table);
            }
            Ok(ImportRequest::Clinical {
                path: file.into(),
                options,
            })
        }
        [kind, name, file, column, rest @ ..] if kind.eq_ignore_ascii_case("table") => {
            let level = match rest {
                [] => Level::Subject,
                [m] if m.eq_ignore_ascii_case("multi") => Level::Multi,
                _ => return Err(usage.into()),
            };
            Ok(ImportRequest::Table {
                path: file.into(),
                options: TableImport::new(name, column).with_level(level),
            })
        }
        _ => Err(usage.into()),
    }
}
