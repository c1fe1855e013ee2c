//! Progress on stderr for work that takes more than about two seconds (a CORRELATE, an
//! EXPORT, an import), shown only when stderr is a terminal: a bar with the fraction done
//! where the work counts itself (`crate::progress`: bytes of a source file read, columns read,
//! pairs computed), else a spinner with the elapsed time.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How long work runs before progress appears; `RGDB_PROGRESS_AFTER_MS` overrides it (the
/// terminal tests draw at once).
fn delay() -> Duration {
    std::env::var("RGDB_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(2), Duration::from_millis)
}

/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// `message` cut to at most `max` characters at a word boundary, with `…` when cut.
pub fn shorten(message: &str, max: usize) -> String {
    let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if message.chars().count() <= max {
        return message;
    }
    let mut out = String::new();
    for word in message.split(' ') {
        let next = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if next + 1 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        // One word longer than the room: cut it, as nothing else fits.
        out = message.chars().take(max - 1).collect();
    }
    out + "…"
}

/// Runs `work`; if `show` and it lasts over two seconds on a terminal, progress with `message`
/// is drawn on stderr until it ends.
pub fn while_running<T>(show: bool, message: &str, work: impl FnOnce() -> T) -> T {
    crate::progress::finish();
    if !show || !std::io::stderr().is_terminal() {
        return work();
    }
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        let message = message.to_string();
        std::thread::spawn(move || {
            let mut waited = Duration::ZERO;
            let delay = delay();
            while waited < delay {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
                waited += Duration::from_millis(50);
            }
            draw(&message, &done);
        })
    };
    let result = work();
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    crate::progress::finish();
    result
}

/// The terminal's width, or 80 when it reports none.
fn width() -> usize {
    comfy_table::Table::new()
        .width()
        .map_or(80, usize::from)
        .max(40)
}

/// Draws until `done`: a bar while the work reports a countable step, a spinner otherwise.
/// The line fits the terminal: the statement is shortened between words to the room left.
fn draw(message: &str, done: &AtomicBool) {
    // The templates are constants: a bad one leaves the default style.
    let spinner = ProgressStyle::with_template("{spinner} {msg} ({elapsed})").ok();
    let bar = ProgressStyle::with_template("[{bar:20}] {percent:>3}% {pos}/{len} {prefix} {msg}")
        .ok()
        .map(|s| s.progress_chars("=> "));
    let bytes =
        ProgressStyle::with_template("[{bar:20}] {percent:>3}% {bytes}/{total_bytes} {msg}")
            .ok()
            .map(|s| s.progress_chars("=> "));
    let columns = width();
    let progress = ProgressBar::new_spinner().with_message(shorten(message, columns - 12));
    let mut counting: Option<&'static str> = None;
    if let Some(style) = spinner.clone() {
        progress.set_style(style);
    }
    // Drawn from this loop only (no ticker thread), so no frame mixes two steps.
    while !done.load(Ordering::SeqCst) {
        match crate::progress::current() {
            Some((pos, len, what)) => {
                // Set in an order that keeps each frame (indicatif draws on every change)
                // within the line: message, counts, then the style that shows them.
                if counting != Some(what) {
                    counting = Some(what);
                    // `[bar] 100% 123/456 pairs ` (bytes: `1.2 MiB/3.4 MiB `).
                    let count = if what == "bytes" {
                        20
                    } else {
                        2 * len.to_string().len() + 1 + what.len()
                    };
                    let room = columns.saturating_sub(22 + 6 + count + 2).max(10);
                    progress.set_message(shorten(message, room));
                    progress.set_prefix(what);
                    progress.set_length(len);
                    progress.set_position(pos);
                    let style = if what == "bytes" { &bytes } else { &bar };
                    if let Some(style) = style.clone() {
                        progress.set_style(style);
                    }
                } else {
                    progress.set_length(len);
                    progress.set_position(pos);
                }
            }
            None if counting.is_some() => {
                counting = None;
                if let Some(style) = spinner.clone() {
                    progress.set_style(style);
                }
                progress.set_message(shorten(message, columns - 12));
            }
            None => {}
        }
        progress.tick();
        std::thread::sleep(TICK);
    }
    progress.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn a_long_message_is_cut_between_words() {
        let statement = "CORRELATE radiomic.original_* WITH rnaseq.* IN adeno_smokers METHOD spearman ADJUST bh";
        let short = shorten(statement, 60);
        assert_eq!(short, "CORRELATE radiomic.original_* WITH rnaseq.* IN…");
        assert!(short.chars().count() <= 60);
        assert_eq!(
            shorten("IMPORT CLINICAL\n  FROM 'x.csv'", 60),
            "IMPORT CLINICAL FROM 'x.csv'"
        );
        assert_eq!(shorten(&"x".repeat(80), 10), format!("{}…", "x".repeat(9)));
    }
}
