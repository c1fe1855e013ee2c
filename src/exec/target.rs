//! Where `EXPORT` and `PLOT` write, and what `OVERWRITE` may replace.
//!
//! - A symlink is followed to the file it names (as a shell's `>` does), and that file is
//!   what gets checked and replaced; the link stays.
//! - Without `OVERWRITE`, anything already there is refused (E0304).
//! - With `OVERWRITE`, only a regular file, or a directory that rgdb wrote (a partitioned
//!   export, recognised by its [`EXPORT_MARKER`]), is replaced. A device, a FIFO, a socket or
//!   any other directory is refused (E0316): an export renames its result into place, which
//!   would turn `/dev/null` into a regular file or delete a folder of the user's.

use std::path::{Path, PathBuf};

use super::ExecError;

/// The file a partitioned export writes at the top of its directory.
pub const EXPORT_MARKER: &str = "_rgdb_provenance.json";

/// Symlinks followed before giving up, as Linux's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// What is at an output path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    Nothing,
    /// A regular file, or a directory rgdb exported: `OVERWRITE` may replace it.
    Replaceable,
    /// Anything else, described for the error.
    Other(&'static str),
}

/// The path an output statement writes to (`path` with its symlinks followed), after checking
/// that what is there may be replaced.
pub fn output_target(path: &str, overwrite: bool) -> Result<PathBuf, ExecError> {
    let target = follow_links(Path::new(path)).map_err(|message| ExecError::ExportFailed {
        path: path.to_string(),
        message,
    })?;
    check_replaceable(path, &target, overwrite)?;
    Ok(target)
}

/// Checks `target` (the resolved form of `path`, the name the user gave) again: called just
/// before the result is renamed into place, in case something appeared there meanwhile.
pub fn check_replaceable(path: &str, target: &Path, overwrite: bool) -> Result<(), ExecError> {
    match existing(target) {
        Existing::Nothing => Ok(()),
        _ if !overwrite => Err(ExecError::ExportExists {
            path: path.to_string(),
        }),
        Existing::Replaceable => Ok(()),
        Existing::Other(what) => Err(ExecError::NotReplaceable {
            path: shown(path, target),
            what: what.to_string(),
        }),
    }
}

/// `path`, and the file it resolves to when that differs.
fn shown(path: &str, target: &Path) -> String {
    if Path::new(path) == target {
        path.to_string()
    } else {
        format!("{path} (a link to {})", target.display())
    }
}

/// Follows `path` through symlinks to the name of a file that is not one (which need not
/// exist). Relative link targets are taken from the link's directory.
fn follow_links(path: &Path) -> Result<PathBuf, String> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current).map_err(|e| e.to_string())?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(format!(
        "more than {MAX_LINKS} symbolic links to follow (a loop?)"
    ))
}

fn existing(target: &Path) -> Existing {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return Existing::Nothing;
    };
    let kind = meta.file_type();
    if kind.is_file() {
        Existing::Replaceable
    } else if kind.is_dir() {
        if target.join(EXPORT_MARKER).is_file() {
            Existing::Replaceable
        } else {
            Existing::Other(
                "a directory that is not a partitioned export of rgdb's (it has no _rgdb_provenance.json)",
            )
        }
    } else {
        Existing::Other(special_kind(&kind))
    }
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_kind: &std::fs::FileType) -> &'static str {
    "not a regular file"
}
