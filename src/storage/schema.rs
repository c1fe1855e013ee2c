//! The catalog of one snapshot as a DataFusion `SchemaProvider`, so that a `SessionContext`
//! sees every table (and the `subjects` universe) without building any provider up front.

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::{MemTable, SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result as DfResult};

use super::catalog::SUBJECT_COLUMN;
use super::provider::StoreTable;
use super::snapshot::Snapshot;

/// The name under which the subject universe is visible.
pub const SUBJECTS_TABLE: &str = "subjects";

/// Every live table of a snapshot, built into a provider only when a query names it.
#[derive(Debug)]
pub struct SnapshotSchema {
    snapshot: Snapshot,
}

impl SnapshotSchema {
    pub fn new(snapshot: Snapshot) -> Self {
        SnapshotSchema { snapshot }
    }
}

/// The registered subjects as a one-column table.
pub fn subjects_table(snapshot: &Snapshot) -> DfResult<MemTable> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        SUBJECT_COLUMN,
        DataType::Utf8,
        false,
    )]));
    let ids: StringArray = snapshot.subjects().iter().map(Some).collect();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(ids)])?;
    MemTable::try_new(schema, vec![vec![batch]])
}

#[async_trait]
impl SchemaProvider for SnapshotSchema {
    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .snapshot
            .tables()
            .map(|ts| ts.into_iter().map(|t| t.name).collect())
            .unwrap_or_default();
        names.push(SUBJECTS_TABLE.into());
        names
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        if name.eq_ignore_ascii_case(SUBJECTS_TABLE) {
            return Ok(Some(Arc::new(subjects_table(&self.snapshot)?)));
        }
        let external = |e| DataFusionError::External(Box::new(e));
        let Some(meta) = self
            .snapshot
            .find_table(&name.to_ascii_lowercase())
            .map_err(external)?
        else {
            return Ok(None);
        };
        let table = StoreTable::new(self.snapshot.clone(), meta).map_err(external)?;
        Ok(Some(Arc::new(table)))
    }

    fn table_exist(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(SUBJECTS_TABLE)
            || matches!(
                self.snapshot.find_table(&name.to_ascii_lowercase()),
                Ok(Some(_))
            )
    }
}
