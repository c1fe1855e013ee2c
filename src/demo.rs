//! The bundled NSCLC Radiogenomics demo cohort: where its database lives, and how it is built
//! from the embedded source files (`crate::embedded`).

use std::path::{Path, PathBuf};

use crate::Database;
use crate::error::Result;
use crate::ingest::{ExpressionImport, ImportRequest, Orientation, RadiomicsImport};
use crate::storage::StorageError;

pub use crate::embedded::{Embedded, FILES};

/// The tables the demo holds, with the importer that makes each; a demo database built by
/// an older rgdb that lacks one, or made it another way, is rebuilt.
pub const TABLES: [(&str, &str); 4] = [
    ("clinical", "clinical"),
    ("rnaseq", "expression"),
    ("series", "series"),
    ("radiomic", "radiomic"),
];

/// Columns spelled as a current build spells them (older builds lower-cased PyRadiomics
/// feature names); a demo database whose columns are spelled otherwise is rebuilt.
pub const SPELLINGS: [(&str, &str); 1] = [("radiomic", "original_shape_MeshVolume")];

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

/// Opens the demo database at `path` (read-only if `read_only`), after [`ensure`].
pub fn open_or_build(path: &Path, read_only: bool) -> Result<Database> {
    ensure(path)?;
    if read_only {
        Database::open_read_only(path)
    } else {
        Database::open(path)
    }
}

/// Makes the demo database at `path` this build's: builds it if it is not there, and
/// rebuilds it (beside it, then swapped in) if an older rgdb built it. It is looked at through
/// a read-only open, so another process may be using it meanwhile.
pub fn ensure(path: &Path) -> Result<()> {
    let current = match Database::open_read_only(path) {
        Ok(db) => is_current(&db)?,
        Err(crate::Error::Storage(StorageError::NeedsUpgrade { .. })) => false,
        Err(crate::Error::Storage(StorageError::NotADatabase { .. })) => {
            return build(path).map(drop);
        }
        Err(e) => return Err(e),
    };
    if current {
        return Ok(());
    }
    let old = path.with_extension("rgdb-old");
    let io = |e: std::io::Error| StorageError::Backend(format!("rebuilding the demo: {e}"));
    let _ = std::fs::remove_dir_all(&old);
    std::fs::rename(path, &old).map_err(io)?;
    match build(path) {
        Ok(db) => {
            drop(db);
            let _ = std::fs::remove_dir_all(&old);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::rename(&old, path);
            Err(e)
        }
    }
}

/// Whether a demo database holds the [`TABLES`], made by their importers, with their columns
/// spelled as this build spells them ([`SPELLINGS`]).
/// Whether `path` already holds the current demo cohort (so `rgdb demo PATH` run twice is not
/// an error).
pub fn is_built(path: &Path) -> bool {
    Database::open_read_only(path).is_ok_and(|db| is_current(&db).unwrap_or(false))
}

fn is_current(db: &Database) -> Result<bool> {
    let have = db.tables()?;
    let tables = TABLES
        .iter()
        .all(|(name, kind)| have.iter().any(|t| t.name == *name && t.kind == *kind));
    if !tables {
        return Ok(false);
    }
    let snapshot = db.snapshot();
    for (table, column) in SPELLINGS {
        let meta = snapshot.table(table)?;
        if !snapshot
            .column_by_name(&meta, column)
            .is_ok_and(|c| c.name == column)
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Builds the demo database at `path` from the embedded files. The database is built beside
/// `path` and renamed into place, so an interrupted build leaves nothing half-made.
pub fn build(path: &Path) -> Result<Database> {
    let io = |e: std::io::Error| StorageError::Backend(format!("building the demo: {e}"));
    if path.exists() {
        return Err(StorageError::AlreadyExists {
            path: path.display().to_string(),
        }
        .into());
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io)?;
    let staging = Staging(parent.join(format!(".demo-build-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&staging.0);
    let sources = staging.0.join("sources");
    std::fs::create_dir_all(&sources).map_err(io)?;
    for file in &FILES {
        std::fs::write(sources.join(file.name), file.bytes().map_err(io)?).map_err(io)?;
    }
    let [clinical, rnaseq, series, radiomic] = FILES.map(|f| sources.join(f.name));
    let db_dir = staging.0.join("db");
    {
        let db = Database::create(&db_dir)?;
        db.import_clinical(clinical)?;
        let expression = ExpressionImport::new("rnaseq")
            .with_orientation(Orientation::SubjectsByGenes)
            .with_unit("FPKM")
            .with_platform("RNA-seq (GEO GSE103584)");
        db.import(&ImportRequest::Expression {
            path: rnaseq,
            options: expression,
        })?;
        db.import(&ImportRequest::Series { path: series })?;
        db.import(&ImportRequest::Radiomics {
            path: radiomic,
            options: RadiomicsImport::default(),
        })?;
    }
    std::fs::rename(&db_dir, path).map_err(io)?;
    drop(staging);
    Database::open(path)
}

/// The folder a demo is built in; removed however the build ends.
struct Staging(std::path::PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
        "rgdb {version}: {path}\n\
         {subjects} subjects; tables: {tables}\n\
         Demo data: {CITATION}\n\
         Try:\n  \
         SELECT gender, count(*) AS n FROM subjects GROUP BY gender;\n  \
         SELECT histology, avg(os_days), median(rnaseq.MIB1) FROM subjects GROUP BY histology;\n  \
         SELECT subject_id, count(series) AS n_series FROM subjects ORDER BY n_series DESC LIMIT 5;\n\
         .help lists the meta-commands; Ctrl-D leaves.\n",
        version = env!("CARGO_PKG_VERSION"),
        subjects = db.subjects().len(),
        tables = tables.join(", "),
    )
}
