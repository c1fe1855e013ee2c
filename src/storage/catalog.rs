//! The catalog's records: what is stored under the `Meta` keys, as serde types.
//!
//! Records are JSON so that a database can be inspected with any sled tool and so that new
//! optional fields can be added without a format bump (`#[serde(default)]`).

use std::collections::BTreeMap;

use arrow::datatypes::{DataType, Field};
use serde::{Deserialize, Serialize};

/// The format version this build gives a new database. It reads every version from
/// [`OLDEST_FORMAT`] up to this one, and writes a database in its own version: format 2 adds
/// chunk codec 2 (decimal floats) and format 3 codec 3 (byte-split floats), so a database of
/// an older format keeps the codecs it had and stays readable by the rgdb that made it.
pub const FORMAT_VERSION: u32 = 3;

/// The oldest format version this build reads.
pub const OLDEST_FORMAT: u32 = 1;

/// How many rows go into one chunk of a column.
pub const CHUNK_ROWS: usize = 65_536;

/// The name of every table's subject column (ordinal 0).
pub const SUBJECT_COLUMN: &str = "subject_id";

/// How a table's rows relate to subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// At most one row per subject (clinical, expression, radiomic features of one tumour).
    Subject,
    /// Any number of rows per subject (lesions, series, annotations).
    Multi,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Subject => "one row per subject",
            Level::Multi => "several rows per subject",
        })
    }
}

/// The logical type of a stored column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// The subject key: stored as dense `u32` ids, shown as the subject ID text.
    Subject,
    Boolean,
    Int64,
    Float64,
    Utf8,
    /// Days since 1970-01-01.
    Date32,
    /// Several text values per row, such as the up to five answers to an AIM question that
    /// allows several (`Nodule Internal Features`). Stored as an Arrow `List<Utf8>`.
    TextList,
}

impl ColumnType {
    /// The Arrow type the column is stored as.
    pub fn storage_type(self) -> DataType {
        match self {
            ColumnType::Subject => DataType::UInt32,
            other => other.arrow_type(),
        }
    }

    /// The Arrow type the column is shown to DataFusion as.
    pub fn arrow_type(self) -> DataType {
        match self {
            ColumnType::Subject | ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Date32 => DataType::Date32,
            ColumnType::TextList => DataType::List(std::sync::Arc::new(Field::new_list_field(
                DataType::Utf8,
                true,
            ))),
        }
    }

    /// The name users see in `describe`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Subject => "subject",
            ColumnType::Boolean => "boolean",
            ColumnType::Int64 => "integer",
            ColumnType::Float64 => "float",
            ColumnType::Utf8 => "text",
            ColumnType::Date32 => "date",
            ColumnType::TextList => "text list",
        }
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a column is to column patterns (`rnaseq.*`, `radiomic.original_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    /// An ordinary column (clinical and generic tables, the subject column): patterns match
    /// it.
    #[default]
    Attribute,
    /// A measured variable of a matrix, such as a gene of an expression table: patterns
    /// match it.
    Measurement,
    /// Sample metadata stored beside measurements, such as an expression matrix's
    /// `Recurrence` column: patterns skip it; it is read by naming it.
    Metadata,
}

impl ColumnRole {
    /// The name users see in `describe`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnRole::Attribute => "attribute",
            ColumnRole::Measurement => "measurement",
            ColumnRole::Metadata => "metadata",
        }
    }

    fn is_attribute(&self) -> bool {
        *self == ColumnRole::Attribute
    }
}

/// One column of one table generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMeta {
    /// Position in the table; 0 is always the subject column.
    pub ordinal: u32,
    /// The identifier users write (`egfr_mutation_status`).
    pub name: String,
    /// The label in the source file (`EGFR mutation status`), or how a derived column is made.
    pub label: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How many rows hold a value.
    pub non_null: u64,
    /// What the column is to patterns. Absent (`attribute`) in records written before roles
    /// existed; [`ColumnMeta::legacy_role`] gives those of an old expression table theirs.
    #[serde(default, skip_serializing_if = "ColumnRole::is_attribute")]
    pub role: ColumnRole,
}

impl ColumnMeta {
    /// The role of a column read from a database written before roles were recorded: in an
    /// `expression` table, float columns are measurements and the others (the subject column
    /// aside) metadata, the rule the expression importer has always used; in a `radiomic`
    /// table, PyRadiomics' per-row `diagnostics_*` columns are metadata; any other column
    /// keeps its own.
    pub fn legacy_role(mut self, table: &TableMeta) -> ColumnMeta {
        if self.ordinal == 0 || !self.role.is_attribute() {
            return self;
        }
        match table.kind.as_str() {
            "expression" => {
                self.role = match self.ty {
                    ColumnType::Float64 => ColumnRole::Measurement,
                    _ => ColumnRole::Metadata,
                };
            }
            "radiomic" if self.label.starts_with("diagnostics_") => {
                self.role = ColumnRole::Metadata;
            }
            _ => {}
        }
        self
    }
}

/// Where an import's data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The path as the user gave it.
    pub path: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the file's bytes, comparable with `sha256sum`.
    pub sha256: String,
    /// RFC 3339 time of the import.
    pub imported_at: String,
}

/// One generation of a table: what a table name points at from some version on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    pub name: String,
    /// The key prefix of this generation's columns and chunks. Never reused.
    pub data_id: u64,
    pub level: Level,
    /// What made the table: `clinical`, `table`, and later `expression`, `radiomic`, …
    pub kind: String,
    pub rows: u64,
    /// Number of columns, the subject column included.
    pub columns: u32,
    /// Rows per chunk of every column of this generation (65,536 unless an importer chose
    /// fewer, as the subject-major expression importer does to bound its memory).
    #[serde(default = "default_chunk_rows")]
    pub chunk_rows: u32,
    /// The version at which this generation was committed.
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceFile>,
    /// Importer-specific facts (platform, unit, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// Lower-case hex SHA-256 of the generation's stored content: the SHA-256 of each
    /// column's chunk bytes (in chunk order), hashed together in ordinal order. Absent in
    /// records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
}

impl TableMeta {
    /// What `DESCRIBE` prints above the columns: the table, its source, and its properties
    /// (platform, unit, template, the PyRadiomics provenance record, …).
    pub fn facts(&self) -> String {
        let mut text = format!(
            "table {} ({}, {}): {} rows, {} columns, version {}\n",
            self.name, self.kind, self.level, self.rows, self.columns, self.version
        );
        if let Some(s) = &self.source {
            text += &format!(
                "source {} ({} bytes, sha256 {}, imported {})\n",
                s.path, s.size, s.sha256, s.imported_at
            );
        }
        for (key, value) in &self.properties {
            match serde_json::from_str::<serde_json::Value>(value) {
                Ok(serde_json::Value::Object(record)) => {
                    text += &format!("{key}:\n");
                    for (k, v) in record {
                        let shown = match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        text += &format!("  {k}: {shown}\n");
                    }
                }
                _ => text += &format!("{key}: {value}\n"),
            }
        }
        text
    }
}

fn default_chunk_rows() -> u32 {
    CHUNK_ROWS as u32
}

/// The value of a table key: the generation, or a tombstone when the table was dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Read and written one at a time, never held in bulk: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum TableEntry {
    Live(TableMeta),
    Dropped { version: u64 },
}

/// A saved set of subjects: its defining statement and the version it was evaluated at.
/// Members are stored like a table generation holding only the subject column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortMeta {
    pub name: String,
    /// The data id of the member list (one `subject` column).
    pub data_id: u64,
    /// The statement that defines it (`SELECT subject_id FROM … WHERE …`).
    pub definition: String,
    /// The version the definition was evaluated at (the cohort itself appears at `version + 1`).
    pub evaluated_at: u64,
    /// The version at which this cohort entry was committed.
    pub version: u64,
    pub members: u64,
}

/// The value of a cohort key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortEntry {
    Live(CohortMeta),
    Dropped { version: u64 },
}

/// What a version did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// The empty database was created.
    Create,
    /// An import created or replaced tables.
    Import {
        importer: String,
        tables: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<SourceFile>,
    },
    /// Tables were dropped.
    Drop { tables: Vec<String> },
    /// A cohort was created (or redefined).
    CreateCohort { cohort: String },
    /// A cohort was dropped.
    DropCohort { cohort: String },
    /// A cohort's definition was evaluated again on the data of this version.
    RefreshCohort { cohort: String },
}

/// What the last `VACUUM` did: versions below `oldest` can no longer be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VacuumRecord {
    /// The oldest version that can still be read (`AS OF`).
    pub oldest: u64,
    /// The head version when it ran.
    pub at_version: u64,
    /// RFC 3339 time it ran.
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

/// One numbered state of the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: u64,
    /// RFC 3339 commit time.
    pub time: String,
    #[serde(flatten)]
    pub action: Action,
    /// The statement or command that made this version, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// Subjects registered at this version are exactly the dense ids `0..subjects`.
    pub subjects: u32,
    /// The next unused data id; data ids at or above it belong to no committed table.
    pub next_data_id: u64,
}
