//! The store's one DataFusion `TableProvider`: a table generation seen through a snapshot,
//! exposing only the columns it was built with, reading only the projected ones, and able to
//! restrict a scan to a set of subjects.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, StringArray, UInt32Array};
use arrow::compute::filter;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use futures::stream;

use super::catalog::{ColumnMeta, ColumnType, SUBJECT_COLUMN, TableMeta};
use super::error::StorageError;
use super::snapshot::Snapshot;

/// Field-metadata keys under which a column's source label, unit and description travel.
pub const META_LABEL: &str = "rgdb.label";
pub const META_UNIT: &str = "rgdb.unit";
pub const META_DESCRIPTION: &str = "rgdb.description";

/// A set of subjects, as a bitmap over dense ids.
pub type SubjectSet = Arc<Vec<bool>>;

/// A stored table as DataFusion sees it.
#[derive(Debug, Clone)]
pub struct StoreTable {
    snapshot: Snapshot,
    table: TableMeta,
    columns: Vec<ColumnMeta>,
    schema: SchemaRef,
    subjects: Option<SubjectSet>,
}

impl StoreTable {
    /// Every column of the table. For wide tables prefer [`StoreTable::with_columns`].
    pub fn new(snapshot: Snapshot, table: TableMeta) -> Result<Self, StorageError> {
        let columns = snapshot.columns(&table)?;
        Ok(Self::from_columns(snapshot, table, columns))
    }

    /// The subject column and the named columns only: reading and planning cost O(k).
    pub fn with_columns(
        snapshot: Snapshot,
        table: TableMeta,
        names: &[&str],
    ) -> Result<Self, StorageError> {
        let mut columns = vec![snapshot.column(&table, 0)?];
        for name in names {
            let column = snapshot.column_by_name(&table, name)?;
            if !columns.iter().any(|c| c.ordinal == column.ordinal) {
                columns.push(column);
            }
        }
        Ok(Self::from_columns(snapshot, table, columns))
    }

    /// Exactly these columns; the first must be the subject column.
    pub fn from_columns(snapshot: Snapshot, table: TableMeta, columns: Vec<ColumnMeta>) -> Self {
        let fields: Vec<Field> = columns.iter().map(field_of).collect();
        StoreTable {
            snapshot,
            table,
            columns,
            schema: Arc::new(Schema::new(fields)),
            subjects: None,
        }
    }

    /// Restricts every scan to these subjects (dense ids).
    pub fn restrict_to(mut self, ids: impl IntoIterator<Item = u32>) -> Self {
        let mut set = vec![false; self.snapshot.subjects().len()];
        for id in ids {
            if let Some(slot) = set.get_mut(id as usize) {
                *slot = true;
            }
        }
        self.subjects = Some(Arc::new(set));
        self
    }

    /// The table's catalog record.
    pub fn meta(&self) -> &TableMeta {
        &self.table
    }

    /// Subject IDs named by pushed-down `subject_id = '…'` / `IN (…)` filters.
    fn pushed_subjects(&self, filters: &[Expr]) -> Option<SubjectSet> {
        let mut result = self.subjects.as_ref().map(|s| s.as_ref().clone());
        for f in filters {
            let Some(names) = subject_literals(f) else {
                continue;
            };
            let mut set = vec![false; self.snapshot.subjects().len()];
            for name in names {
                if let Some(id) = self.snapshot.subject_id(&name) {
                    set[id as usize] = true;
                }
            }
            result = Some(match result {
                Some(prev) => prev.iter().zip(&set).map(|(a, b)| *a && *b).collect(),
                None => set,
            });
        }
        result.map(Arc::new)
    }
}

/// The Arrow field of a column, with its label, unit and description as metadata.
pub fn field_of(column: &ColumnMeta) -> Field {
    let mut meta = HashMap::from([(META_LABEL.to_string(), column.label.clone())]);
    if let Some(unit) = &column.unit {
        meta.insert(META_UNIT.into(), unit.clone());
    }
    if let Some(description) = &column.description {
        meta.insert(META_DESCRIPTION.into(), description.clone());
    }
    let nullable = column.ty != ColumnType::Subject;
    Field::new(&column.name, column.ty.arrow_type(), nullable).with_metadata(meta)
}

/// `subject_id = 'x'`, `'x' = subject_id`, `subject_id IN ('x', …)`, or an `OR` of these:
/// the literals.
fn subject_literals(expr: &Expr) -> Option<Vec<String>> {
    let is_subject = |e: &Expr| matches!(e, Expr::Column(c) if c.name == SUBJECT_COLUMN);
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            let mut names = subject_literals(left)?;
            names.extend(subject_literals(right)?);
            Some(names)
        }
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => {
            if is_subject(left) {
                literal_text(right).map(|s| vec![s])
            } else if is_subject(right) {
                literal_text(left).map(|s| vec![s])
            } else {
                None
            }
        }
        Expr::InList(list) if !list.negated && is_subject(&list.expr) => {
            list.list.iter().map(literal_text).collect()
        }
        _ => None,
    }
}

fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s.clone()),
        _ => None,
    }
}

#[async_trait]
impl TableProvider for StoreTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match subject_literals(f) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.columns.len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&indices)?);
        let columns: Vec<ColumnMeta> = indices.iter().map(|i| self.columns[*i].clone()).collect();
        let subjects = self.pushed_subjects(filters);
        let chunks = Snapshot::chunk_count(&self.table);
        let parts = (chunks as usize)
            .min(state.config().target_partitions())
            .max(1);
        let partitions: Vec<Arc<dyn PartitionStream>> = (0..parts)
            .map(|p| {
                Arc::new(ChunkPartition {
                    snapshot: self.snapshot.clone(),
                    table: self.table.clone(),
                    columns: columns.clone(),
                    schema: schema.clone(),
                    subjects: subjects.clone(),
                    chunks: (p as u32..chunks).step_by(parts).collect(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        let exec = StreamingTableExec::try_new(schema, partitions, None, [], false, limit)?;
        Ok(Arc::new(exec))
    }
}

/// The chunks one partition of a scan reads.
#[derive(Debug)]
struct ChunkPartition {
    snapshot: Snapshot,
    table: TableMeta,
    columns: Vec<ColumnMeta>,
    schema: SchemaRef,
    subjects: Option<SubjectSet>,
    chunks: Vec<u32>,
}

impl PartitionStream for ChunkPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let reader = ChunkReader {
            snapshot: self.snapshot.clone(),
            table: self.table.clone(),
            columns: self.columns.clone(),
            schema: self.schema.clone(),
            subjects: self.subjects.clone(),
        };
        let batches = self
            .chunks
            .clone()
            .into_iter()
            .map(move |chunk| reader.read(chunk));
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            stream::iter(batches),
        ))
    }
}

/// Decodes one chunk of each projected column into a record batch.
struct ChunkReader {
    snapshot: Snapshot,
    table: TableMeta,
    columns: Vec<ColumnMeta>,
    schema: SchemaRef,
    subjects: Option<SubjectSet>,
}

impl ChunkReader {
    fn read(&self, chunk: u32) -> DfResult<RecordBatch> {
        let mask = match &self.subjects {
            Some(set) => Some(self.subject_mask(chunk, set)?),
            None => None,
        };
        let mut arrays = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let mut array = self
                .snapshot
                .read_chunk(&self.table, column, chunk)
                .map_err(external)?;
            if let Some(mask) = &mask {
                array = filter(&array, mask)?;
            }
            if column.ty == ColumnType::Subject {
                array = self.subject_names(&array);
            }
            arrays.push(array);
        }
        let rows = match &mask {
            Some(mask) => mask.true_count(),
            None => super::snapshot::expected_rows(self.table.rows, self.table.chunk_rows, chunk),
        };
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            arrays,
            &options,
        )?)
    }

    fn subject_mask(&self, chunk: u32, set: &[bool]) -> DfResult<BooleanArray> {
        let subject = self.snapshot.column(&self.table, 0).map_err(external)?;
        let ids = self
            .snapshot
            .read_chunk(&self.table, &subject, chunk)
            .map_err(external)?;
        let ids = ids
            .as_any()
            .downcast_ref::<UInt32Array>()
            .ok_or_else(|| DataFusionError::Internal("subject column is not u32".into()))?;
        Ok(ids
            .values()
            .iter()
            .map(|id| Some(set.get(*id as usize).copied().unwrap_or(false)))
            .collect())
    }

    fn subject_names(&self, ids: &ArrayRef) -> ArrayRef {
        let names = self.snapshot.subjects();
        let ids = ids.as_any().downcast_ref::<UInt32Array>();
        let strings: StringArray = ids
            .into_iter()
            .flatten()
            .map(|id| id.and_then(|id| names.get(id as usize)))
            .collect();
        Arc::new(strings)
    }
}

fn external(e: StorageError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
