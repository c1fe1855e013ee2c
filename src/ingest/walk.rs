//! The one directory walk of the importers that read folders (DICOM, AIM, PyRadiomics): every
//! file under a path, following links to directories, each real directory and file once.
//!
//! Links are followed because imaging folders are often assembled from links. A link to a
//! directory already walked (a loop back to one that holds it, or a second way to one) is
//! skipped, and so is a link to nothing; each skip is a note for the import's summary. Entries
//! are walked in name order, so the same tree gives the same files, notes and order. Written
//! here rather than with `walkdir` (in Cargo.lock only as a dependency of a dev tool) because
//! rgdb's dependencies are fixed, and the walk is short.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::IngestError;

/// What a walk found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Walk {
    /// The files, in path order, each named by the path the walk reached it through.
    pub files: Vec<PathBuf>,
    /// One line per link that was not followed, in walk order.
    pub skipped: Vec<String>,
}

/// The file itself, or every file under a directory (following links to directories) whose
/// extension is one of `extensions` (any case; an empty list takes every file).
pub fn files_under(path: &Path, extensions: &[&str]) -> Result<Walk, IngestError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if !meta.is_dir() {
        return Ok(Walk {
            files: vec![path.to_path_buf()],
            skipped: Vec::new(),
        });
    }
    let mut walker = Walker {
        extensions,
        dirs: Vec::new(),
        seen_dirs: HashMap::new(),
        seen_files: HashMap::new(),
        walk: Walk::default(),
    };
    walker.enter(path.to_path_buf(), canonical(path)?, None);
    let mut pending = vec![0];
    while let Some(at) = pending.pop() {
        let children = walker.read_dir(at)?;
        pending.extend(children.into_iter().rev());
    }
    walker.walk.files.sort();
    Ok(walker.walk)
}

/// A directory met by the walk: the path it was reached through, its real path, and the
/// directory it was met in (an index into `Walker::dirs`).
struct Dir {
    shown: PathBuf,
    real: PathBuf,
    parent: Option<usize>,
}

struct Walker<'a> {
    extensions: &'a [&'a str],
    dirs: Vec<Dir>,
    /// Real path of each directory met → its index.
    seen_dirs: HashMap<PathBuf, usize>,
    /// Real path of each file taken → the path it was taken as.
    seen_files: HashMap<PathBuf, PathBuf>,
    walk: Walk,
}

impl Walker<'_> {
    fn enter(&mut self, shown: PathBuf, real: PathBuf, parent: Option<usize>) -> usize {
        self.seen_dirs.insert(real.clone(), self.dirs.len());
        self.dirs.push(Dir {
            shown,
            real,
            parent,
        });
        self.dirs.len() - 1
    }

    /// Reads directory `at`, takes its files, and returns the directories to walk next, in
    /// name order.
    fn read_dir(&mut self, at: usize) -> Result<Vec<usize>, IngestError> {
        let dir = self.dirs[at].shown.clone();
        let mut entries: Vec<(std::ffi::OsString, std::fs::FileType)> = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let entry = entry.map_err(|e| io(&dir, e))?;
            let kind = entry.file_type().map_err(|e| io(&entry.path(), e))?;
            entries.push((entry.file_name(), kind));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut next = Vec::new();
        for (name, kind) in entries {
            let shown = dir.join(&name);
            if kind.is_symlink() {
                next.extend(self.link(shown, at)?);
            } else if kind.is_dir() {
                let real = self.dirs[at].real.join(&name);
                next.push(self.enter(shown, real, Some(at)));
            } else {
                let real = self.dirs[at].real.join(&name);
                self.take(shown, real);
            }
        }
        Ok(next)
    }

    /// A link met in directory `at`: followed to a new directory or file, or skipped.
    fn link(&mut self, shown: PathBuf, at: usize) -> Result<Option<usize>, IngestError> {
        let target = match std::fs::metadata(&shown) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let to = std::fs::read_link(&shown).unwrap_or_default();
                self.walk.skipped.push(format!(
                    "skipped {}: it links to {}, which does not exist",
                    shown.display(),
                    to.display()
                ));
                return Ok(None);
            }
            Err(e) => return Err(io(&shown, e)),
        };
        let real = canonical(&shown)?;
        if !target.is_dir() {
            self.take(shown, real);
            return Ok(None);
        }
        match self.seen_dirs.get(&real) {
            None => Ok(Some(self.enter(shown, real, Some(at)))),
            Some(&met) => {
                let note = if self.holds(met, at) {
                    format!(
                        "skipped {}: it links back to {}, which holds it (a loop)",
                        shown.display(),
                        real.display()
                    )
                } else {
                    format!(
                        "skipped {}: it links to {}, which is read already as {}",
                        shown.display(),
                        real.display(),
                        self.dirs[met].shown.display()
                    )
                };
                self.walk.skipped.push(note);
                Ok(None)
            }
        }
    }

    /// Whether directory `outer` is `inner` or one the walk went through to reach it.
    fn holds(&self, outer: usize, inner: usize) -> bool {
        let mut at = Some(inner);
        while let Some(i) = at {
            if i == outer {
                return true;
            }
            at = self.dirs[i].parent;
        }
        false
    }

    /// Takes a file if its extension is wanted and it was not taken already (through a link).
    fn take(&mut self, shown: PathBuf, real: PathBuf) {
        if !self.wanted(&shown) {
            return;
        }
        if let Some(first) = self.seen_files.get(&real) {
            self.walk.skipped.push(format!(
                "skipped {}: the same file as {}",
                shown.display(),
                first.display()
            ));
            return;
        }
        self.seen_files.insert(real, shown.clone());
        self.walk.files.push(shown);
    }

    fn wanted(&self, path: &Path) -> bool {
        self.extensions.is_empty()
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| self.extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
    }
}

fn canonical(path: &Path) -> Result<PathBuf, IngestError> {
    std::fs::canonicalize(path).map_err(|e| io(path, e))
}

fn io(path: &Path, e: std::io::Error) -> IngestError {
    IngestError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_are_followed_once_and_loops_are_skipped() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("top");
        let other = dir.path().join("other");
        std::fs::create_dir_all(top.join("b/c")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        for f in ["top/a.csv", "top/b/c/d.CSV", "top/b/x.txt", "other/e.csv"] {
            std::fs::write(dir.path().join(f), f).unwrap();
        }
        symlink(&other, top.join("b/c/link")).unwrap();
        symlink(&top, other.join("up")).unwrap();
        symlink(top.join("a.csv"), top.join("z.csv")).unwrap();
        let walk = files_under(&top, &["csv"]).unwrap();
        let real = |p: &Path| p.canonicalize().unwrap().display().to_string();
        assert_eq!(
            walk.files,
            [
                top.join("a.csv"),
                top.join("b/c/d.CSV"),
                top.join("b/c/link/e.csv")
            ]
        );
        assert_eq!(
            walk.skipped,
            [
                format!(
                    "skipped {}: the same file as {}",
                    top.join("z.csv").display(),
                    top.join("a.csv").display()
                ),
                format!(
                    "skipped {}: it links back to {}, which holds it (a loop)",
                    top.join("b/c/link/up").display(),
                    real(&top)
                ),
            ]
        );
        // Every file, and the path itself when it is a file.
        assert_eq!(files_under(&top, &[]).unwrap().files.len(), 4);
        assert_eq!(
            files_under(&top.join("a.csv"), &["xml"]).unwrap().files,
            [top.join("a.csv")]
        );
    }
}
