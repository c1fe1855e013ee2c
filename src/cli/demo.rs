//! The bundled NSCLC Radiogenomics demo cohort: its embedded source files, where its database
//! lives, and how it is built.

use std::path::{Path, PathBuf};

use crate::Database;
use crate::error::Result;
use crate::storage::StorageError;

/// The real TCIA clinical table, embedded in the binary.
const CLINICAL: (&str, &[u8]) = (
    "NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv",
    include_bytes!(
        "../../data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"
    ),
);

/// How to cite the demo data.
pub const CITATION: &str = "NSCLC Radiogenomics (TCIA): Bakr et al., Scientific Data 2018; \
DOI 10.7937/K9/TCIA.2017.7hs46erv; CC BY 3.0";

/// rgdb's data directory: `$RGDB_HOME`, else `$XDG_DATA_HOME/rgdb`, else
/// `~/.local/share/rgdb`.
pub fn data_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("RGDB_HOME") {
        return PathBuf::from(home);
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(xdg).join("rgdb");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/rgdb")
}

/// Where the demo database lives by default.
pub fn default_path() -> PathBuf {
    data_dir().join("demo.rgdb")
}

/// Opens the demo database at `path`, building it first if it is not there.
pub fn open_or_build(path: &Path) -> Result<Database> {
    match Database::open(path) {
        Ok(db) => Ok(db),
        Err(crate::Error::Storage(StorageError::NotADatabase { .. })) => build(path),
        Err(e) => Err(e),
    }
}

/// Builds the demo database at `path` from the embedded files. The database is built beside
/// `path` and renamed into place, so an interrupted build leaves nothing half-made.
pub fn build(path: &Path) -> Result<Database> {
    let io = |e: std::io::Error| StorageError::Backend(format!("building the demo: {e}"));
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let staging = parent.join(format!(".demo-build-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io)?;
    let sources = staging.join("sources");
    std::fs::create_dir_all(&sources).map_err(io)?;
    let clinical = sources.join(CLINICAL.0);
    std::fs::write(&clinical, CLINICAL.1).map_err(io)?;
    let db_dir = staging.join("db");
    {
        let db = Database::create(&db_dir)?;
        db.import_clinical(&clinical)?;
    }
    if path.exists() {
        return Err(StorageError::AlreadyExists {
            path: path.display().to_string(),
        }
        .into());
    }
    std::fs::rename(&db_dir, path).map_err(io)?;
    let _ = std::fs::remove_dir_all(&staging);
    Database::open(path)
}

/// What the demo holds, how to cite it, and what to try.
pub fn banner(db: &Database) -> String {
    let path = db
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let tables: Vec<String> = db
        .tables()
        .unwrap_or_default()
        .iter()
        .map(|t| format!("{} ({} rows × {} columns)", t.name, t.rows, t.columns))
        .collect();
    format!(
        "rgdb {version}: the NSCLC Radiogenomics demo cohort at {path}\n\
         {subjects} subjects; tables: {tables}\n\
         Data: {CITATION}\n\
         Try:\n  rgdb --db {path} describe clinical\n  rgdb --db {path} history\n  rgdb --db {path} check\n",
        version = env!("CARGO_PKG_VERSION"),
        subjects = db.subjects().len(),
        tables = tables.join(", "),
    )
}
