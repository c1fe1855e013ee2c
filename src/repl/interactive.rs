//! The interactive REPL on a terminal: rustyline with history and tab completion. A statement
//! ends at `;`, as in psql, sqlite3 and duckdb: until then each line gets the continuation
//! prompt. A meta-command (`.help`) ends at its line. Ctrl-C cancels a running query or the
//! statement being typed; Ctrl-D leaves.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Config, Context, Editor, Helper};

use super::{Completions, Flow, Repl};
use crate::syntax::ends_with_semicolon;

/// The prompt of a new statement, and of the lines that continue one (ASCII, as sqlite3's).
const PROMPT: &str = "rgdb> ";
const CONTINUATION: &str = "  ... ";

/// Where history is kept: `$RGDB_HISTORY`, else `history` in rgdb's data directory.
pub fn history_path() -> PathBuf {
    std::env::var_os("RGDB_HISTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::demo::data_dir().join("history"))
}

/// rustyline's view of the REPL: completion from the catalog, over the whole statement typed
/// so far.
struct RgdbHelper {
    completions: Completions,
    /// The earlier lines of the statement being typed (empty at a new statement), shared
    /// with [`run`]'s loop.
    pending: Rc<RefCell<String>>,
}

impl Completer for RgdbHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let index = self.completions.index();
        // The index is given the whole statement typed so far; rustyline replaces only within
        // this line.
        let pending = self.pending.borrow();
        let text = format!("{pending}{line}");
        let (start, found) = index.complete(&text, pending.len() + pos);
        let start = start.saturating_sub(pending.len());
        let pairs = found
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

/// Enter always hands the line over: [`run`] decides whether the statement is complete.
impl Validator for RgdbHelper {}

impl Hinter for RgdbHelper {
    type Hint = String;
}

impl Highlighter for RgdbHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Helper for RgdbHelper {}

/// Whether `text`, the lines typed since the last prompt, is a whole input: it ends at a `;`,
/// or its last line is a meta-command after complete statements (a pasted script).
fn is_whole(text: &str) -> bool {
    if ends_with_semicolon(text) {
        return true;
    }
    let is_meta = |line: &str| line.trim_start().starts_with('.');
    if !text.trim_end().lines().last().is_some_and(is_meta) {
        return false;
    }
    let statements: Vec<&str> = text.lines().filter(|l| !is_meta(l)).collect();
    let statements = statements.join("\n");
    statements.trim().is_empty() || ends_with_semicolon(&statements)
}

/// Adds `entry` to the history and appends it to the history file at once, so that a killed
/// terminal loses nothing typed before.
fn remember(editor: &mut Editor<RgdbHelper, DefaultHistory>, file: &Path, entry: &str) {
    if matches!(editor.add_history_entry(entry), Ok(true)) {
        let _ = editor.append_history(file);
    }
}

/// Runs the REPL until `.quit` or Ctrl-D. Returns the process exit code.
pub fn run<O: Write, E: Write>(mut repl: Repl<O, E>, banner: &str) -> i32 {
    let config = Config::builder().auto_add_history(false).build();
    let mut editor: Editor<RgdbHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 1;
        }
    };
    let pending = Rc::new(RefCell::new(String::new()));
    editor.set_helper(Some(RgdbHelper {
        completions: repl.completions(),
        pending: pending.clone(),
    }));
    let history = history_path();
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.load_history(&history);
    // Ctrl-C while a statement runs cancels it; at the prompt rustyline reads it as a key.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, repl.cancel_flag());
    print!("{banner}");
    loop {
        let prompt = if pending.borrow().is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match editor.readline(prompt) {
            Ok(line) => {
                let input = {
                    let mut pending = pending.borrow_mut();
                    if pending.is_empty() && line.trim().is_empty() {
                        continue;
                    }
                    pending.push_str(&line);
                    pending.push('\n');
                    if !is_whole(&pending) {
                        continue;
                    }
                    std::mem::take(&mut *pending)
                };
                remember(&mut editor, &history, input.trim());
                if repl.feed(&input) == Flow::Quit {
                    break;
                }
            }
            // At the prompt, Ctrl-C drops the statement being typed, as in psql.
            Err(ReadlineError::Interrupted) => {
                pending.borrow_mut().clear();
                println!("^C");
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: cannot read the terminal: {e}");
                return 1;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::is_whole;

    #[test]
    fn input_is_whole_at_a_semicolon_or_a_meta_command_line() {
        assert!(is_whole("SELECT 1;\n"));
        assert!(is_whole("SELECT 1\nFROM subjects;\n"));
        assert!(is_whole(".help\n"));
        assert!(is_whole("SELECT 1;\n.mode csv\n"));
        assert!(!is_whole("SELECT 1\n"));
        assert!(!is_whole("SELECT 1\n.mode csv\n"));
        // A pasted block of meta-commands alone.
        assert!(is_whole(".mode csv\n.output x.csv\n"));
        assert!(!is_whole("SELECT '\n.mode csv\n"));
    }
}
