//! The interactive REPL on a terminal: rustyline with history, tab completion, and multi-line
//! input that the parser decides is complete; Ctrl-C cancels a running query, Ctrl-D leaves.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Config, Context, Editor, Helper};

use super::{Completions, Flow, Repl, is_complete};

/// Where history is kept: `$RGDB_HISTORY`, else `history` in rgdb's data directory.
pub fn history_path() -> PathBuf {
    std::env::var_os("RGDB_HISTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::cli::demo::data_dir().join("history"))
}

/// rustyline's view of the REPL: completion from the catalog, completeness from the parser.
struct RgdbHelper {
    completions: Completions,
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
        let (start, found) = index.complete(line, pos);
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

impl Validator for RgdbHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if is_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

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
    editor.set_helper(Some(RgdbHelper {
        completions: repl.completions(),
    }));
    let history = history_path();
    let _ = editor.load_history(&history);
    // Ctrl-C while a statement runs cancels it; at the prompt rustyline reads it as a key.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, repl.cancel_flag());
    print!("{banner}");
    let mut code = 0;
    loop {
        match editor.readline("rgdb> ") {
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if repl.feed(&line) == Flow::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("^C");
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: cannot read the terminal: {e}");
                code = 1;
                break;
            }
        }
    }
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(&history);
    code
}
