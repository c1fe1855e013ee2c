//! Every call into redb runs under [`guarded`]: a damaged page is an error, never a panic.

use super::REDB_FILE;
use crate::storage::error::StorageError;

thread_local! {
    /// Set while this thread is inside [`guarded`].
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a redb call, turning a panic into an error.
///
/// redb trusts its file: a page damaged on disk (a flipped byte) can make it index out of
/// bounds and panic, and it checks page checksums only when a writer asks it to
/// (`set_check_integrity_on_open`), which a read-only open cannot. rgdb must never panic on
/// bad input, so every call into redb runs here; the panic hook installed once below stays
/// silent for these panics (they become `E0509`) and defers to the previous hook otherwise.
pub(super) fn guarded<T>(f: impl FnOnce() -> Result<T, StorageError>) -> Result<T, StorageError> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    result.unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unreadable page".into());
        Err(StorageError::CorruptCatalog {
            key: REDB_FILE.into(),
            detail: format!(
                "the file is damaged (redb: {}); restore the database from a copy",
                crate::storage::shorten(&detail)
            ),
        })
    })
}
