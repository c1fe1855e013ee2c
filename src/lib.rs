//! rgdb: an embedded analytical database for radiogenomics cohorts.
//!
//! A database is a directory. Clinical tables, expression matrices, radiomic features and
//! imaging indexes are stored column by column, keyed by subject ID, and queried through
//! DataFusion.
//!
//! ```
//! use rgdb::Database;
//!
//! # fn main() -> rgdb::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let db = Database::create(dir.path().join("nsclc.rgdb"))?;
//! let csv = concat!(env!("CARGO_MANIFEST_DIR"),
//!     "/data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv");
//! let summary = db.import_clinical(csv)?;
//! assert_eq!(summary.rows, 211);
//!
//! // Read two columns of the clinical table; nothing else is decoded.
//! let batches = db.read_columns("clinical", &["gender", "os_days"])?;
//! assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 211);
//!
//! // Or use DataFusion directly: every table is registered in the session.
//! let ctx = db.session();
//! let deaths = db.block_on(async {
//!     ctx.sql("SELECT count(*) AS n FROM clinical WHERE os_event").await?.collect().await
//! }).unwrap();
//! assert_eq!(arrow::util::pretty::pretty_format_batches(&deaths).unwrap().to_string(),
//!     "+----+\n| n  |\n+----+\n| 63 |\n+----+");
//! # Ok(()) }
//! ```
//!
//! The stages are public for power users: [`ingest`] reads source files, [`storage`] is the
//! column store and its DataFusion `TableProvider`. See `docs/ARCHITECTURE.md`.

pub mod cli;
pub mod config;
mod database;
pub mod demo;
pub mod diagnostic;
pub mod digest;
pub mod embedded;
pub mod error;
pub mod exec;
pub mod ingest;
pub mod parallel;
pub mod plan;
pub mod plot;
pub mod progress;
pub mod radiomics;
pub mod repl;
pub mod resolve;
pub mod session;
pub mod stats;
pub mod storage;
pub mod syntax;
pub mod synth;

pub use config::Config;
pub use database::{BatchIter, CATALOG, Database, SCHEMA};
pub use error::{Error, Result};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/embedding.md")]
struct EmbeddingDoctests;
