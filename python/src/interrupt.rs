//! Running a statement with the GIL released, and cancelling it on Ctrl-C.
//!
//! Python handles SIGINT itself: its handler only records the signal, and the main thread raises
//! KeyboardInterrupt the next time it runs Python code or calls `PyErr_CheckSignals`. So the
//! statement runs on a helper thread while the calling thread waits with the GIL released,
//! waking every 50 ms to check for signals. On KeyboardInterrupt it sets the statement's cancel
//! flag (a reading statement then stops within about 10 ms, see
//! `rgdb::Database::query_cancellable`), waits for the helper to finish, and raises the
//! KeyboardInterrupt. Statements that change the database run to the end, so a Ctrl-C never
//! leaves half an import.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often the waiting thread checks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// A value handed from the helper thread to the waiting one.
struct Slot<R> {
    value: Mutex<Option<R>>,
    ready: Condvar,
}

impl<R> Slot<R> {
    fn put(&self, value: R) {
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
        self.ready.notify_one();
    }

    /// The value, if it arrives within `timeout` (forever when None).
    fn take(&self, timeout: Option<Duration>) -> Option<R> {
        let mut value = self.value.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(v) = value.take() {
                return Some(v);
            }
            match timeout {
                None => value = self.ready.wait(value).unwrap_or_else(|e| e.into_inner()),
                Some(t) => {
                    let (v, waited) = self
                        .ready
                        .wait_timeout(value, t)
                        .unwrap_or_else(|e| e.into_inner());
                    value = v;
                    if waited.timed_out() {
                        return value.take();
                    }
                }
            }
        }
    }
}

/// Runs `work` on a helper thread with the GIL released, passing it a cancel flag that is set
/// when the user presses Ctrl-C. Returns `work`'s value, or the KeyboardInterrupt.
///
/// Signals reach only the main thread: called from another Python thread, the statement runs
/// to the end (Python's own rule for `PyErr_CheckSignals`).
pub fn run_interruptible<R, W>(py: Python<'_>, work: W) -> PyResult<R>
where
    R: Send,
    W: FnOnce(&AtomicBool) -> R + Send,
{
    let cancel = AtomicBool::new(false);
    let slot = Slot {
        value: Mutex::new(None),
        ready: Condvar::new(),
    };
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // A panic in rgdb becomes an exception, not an abort of the interpreter.
            slot.put(panic::catch_unwind(AssertUnwindSafe(|| work(&cancel))));
        });
        let outcome = loop {
            if let Some(value) = py.detach(|| slot.take(Some(SIGNAL_POLL))) {
                break value;
            }
            if let Err(interrupt) = py.check_signals() {
                cancel.store(true, Ordering::SeqCst);
                // Reads stop within milliseconds; changes finish, all or nothing.
                py.detach(|| slot.take(None));
                return Err(interrupt);
            }
        };
        outcome.map_err(|_| {
            PyRuntimeError::new_err(
                "rgdb panicked while running the statement (a bug: please report it)",
            )
        })
    })
}
