//! Bound statements: every name looked up in the catalog, every column tied to the table
//! generation it is read from, every expression typed. The planner consumes these.

mod analysis;
mod expr;
mod query;

pub use analysis::*;
pub use expr::*;
pub use query::*;

use crate::storage::{CohortMeta, TableMeta};

/// A statement bound to one snapshot of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Query(BoundQuery),
    CreateCohort {
        name: String,
        query: BoundQuery,
        /// The query as text (printed from the AST), saved with the cohort.
        definition: String,
        /// `CREATE OR REPLACE COHORT` of a cohort that exists: it is redefined.
        replace: bool,
    },
    DropCohort {
        name: String,
        /// False for `DROP COHORT IF EXISTS x` when `x` does not exist: nothing to do.
        exists: bool,
    },
    ShowTables,
    ShowCohorts,
    ShowHistory,
    /// `DESCRIBE table`: its columns, with the table's facts and provenance above them.
    DescribeTable(TableMeta),
    ShowColumns {
        table: TableMeta,
        like: Option<String>,
    },
    DescribeCohort(CohortMeta),
    /// `SHOW COHORT name`: the definition, and members then against now.
    ShowCohort(CohortMeta),
    /// `REFRESH COHORT name`
    RefreshCohort(CohortMeta),
    /// `DROP TABLE name`; `exists` is false for `IF EXISTS` on a missing table.
    DropTable {
        name: String,
        exists: bool,
    },
    /// `VACUUM KEEP n`
    Vacuum {
        keep: u64,
    },
    /// `CHECK DATABASE`
    Check,
    Explain(Box<Bound>),
    Export(Box<BoundExport>),
    Import(Box<crate::ingest::ImportRequest>),
    /// `SURVIVAL …`: the query that yields `grp, time, event` rows, and what to compute.
    Survival(Box<BoundSurvival>),
    /// `COX …`: the query that yields `time, event, x1, …` rows.
    Cox(Box<BoundCox>),
    /// `CORRELATE …`: the source's subjects and the two sides' variables.
    Correlate(Box<BoundCorrelate>),
    /// `PLOT analysis TO 'file'`.
    Plot(Box<BoundPlot>),
}

/// A bound `PLOT`: the analysis (`Bound::Survival` or `Bound::Correlate`) and its file.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundPlot {
    pub analysis: Bound,
    pub path: String,
    pub format: crate::plot::Format,
    pub overwrite: bool,
}

/// An `EXPORT`.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundExport {
    pub query: BoundQuery,
    pub path: String,
    pub format: ExportFormat,
    pub overwrite: bool,
    /// `LONG`: rows of (subject_id, variable, value); `subject_id` is item `long_id`.
    pub long: Option<usize>,
    /// `PARTITION BY`: the items that name the folders, in order.
    pub partition_by: Vec<usize>,
    /// Parquet's codec (zstd level 3 unless `COMPRESSION` says otherwise).
    pub compression: ParquetCompression,
    /// The exported cohort, when the source is a cohort name.
    pub cohort: Option<CohortMeta>,
    /// The statement as text, recorded in the file's metadata.
    pub statement: String,
}

/// File formats `EXPORT` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Parquet,
    Csv,
    Tsv,
    /// The Arrow IPC file format (Feather v2).
    Arrow,
    /// One JSON object per line.
    Jsonl,
}

impl ExportFormat {
    /// The name `FORMAT` takes and the export summary shows.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Csv => "csv",
            ExportFormat::Tsv => "tsv",
            ExportFormat::Arrow => "arrow",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// A Parquet compression codec and its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParquetCompression {
    Zstd(i32),
    Gzip(u32),
    Brotli(u32),
    Snappy,
    Lz4,
    None,
}
