//! How far the running statement has got, where its work is countable: the bytes of a source
//! file an import has read, the columns CORRELATE has read and the pairs it has computed.
//! The work reports with [`start`] and [`advance`]; [`while_running`] (`bar.rs`) draws it on a
//! terminal for the command line, the REPL and `rgdb synth`, reading [`current`]. One statement runs at a time in a process that
//! draws, so the counters are process-wide atomics: reporting costs one relaxed add, and work
//! nobody watches (a library caller's) pays only that.

mod bar;

pub use bar::{shorten, while_running};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

static DONE: AtomicU64 = AtomicU64::new(0);
static TOTAL: AtomicU64 = AtomicU64::new(0);
static WHAT: Mutex<&'static str> = Mutex::new("");

/// Begins a countable step of `total` units of `what` ("bytes", "columns read", "pairs").
pub fn start(total: u64, what: &'static str) {
    *WHAT.lock().unwrap_or_else(|p| p.into_inner()) = what;
    DONE.store(0, Ordering::Relaxed);
    TOTAL.store(total, Ordering::Relaxed);
}

/// `n` more units are done.
pub fn advance(n: u64) {
    DONE.fetch_add(n, Ordering::Relaxed);
}

/// Ends the step: nothing countable is running.
pub fn finish() {
    TOTAL.store(0, Ordering::Relaxed);
    DONE.store(0, Ordering::Relaxed);
}

tokio::task_local! {
    /// The running statement's stop flag (set by Ctrl-C or a library caller's cancel flag).
    static STOP: Arc<AtomicBool>;
}

/// Runs a statement's future with `flag` as its stop flag: work that stops between its steps,
/// and writes nothing when it does (the cases of a radiomics import), reads it through
/// [`stop_flag`]. One flag per statement, so a cancel never reaches another statement.
pub async fn with_stop_flag<F: std::future::Future>(flag: Arc<AtomicBool>, work: F) -> F::Output {
    STOP.scope(flag, work).await
}

/// The running statement's stop flag, if it has one (a statement run outside
/// [`with_stop_flag`], such as `Database::import`, is never stopped).
pub fn stop_flag() -> Arc<AtomicBool> {
    STOP.try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::new(AtomicBool::new(false)))
}

/// The step that runs: (done, total, what), or None when nothing countable runs.
pub fn current() -> Option<(u64, u64, &'static str)> {
    let total = TOTAL.load(Ordering::Relaxed);
    if total == 0 {
        return None;
    }
    let what = *WHAT.lock().unwrap_or_else(|p| p.into_inner());
    Some((DONE.load(Ordering::Relaxed).min(total), total, what))
}
