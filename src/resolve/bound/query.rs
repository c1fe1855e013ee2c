//! Bound queries: what a query ranges over (its base, the joined tables, the per-subject
//! reductions), its output columns and its sort keys.

use super::{BExpr, Bound, Type, VariableSource};
use crate::storage::{CohortMeta, ColumnMeta, TableMeta};

impl BoundQuery {
    /// Every expression of the query: filter, groups, having, items, sort keys.
    pub fn expressions(&self) -> Vec<&BExpr> {
        let mut all: Vec<&BExpr> = self.filter.iter().collect();
        all.extend(&self.group_by);
        all.extend(self.having.iter());
        all.extend(self.items.iter().map(|i| &i.expr));
        all.extend(self.order_by.iter().filter_map(|o| match &o.key {
            OrderKey::Expr(e) => Some(e),
            OrderKey::Output(_) => None,
        }));
        all
    }

    /// The queries inside its expressions (`IN (SELECT …)`, `(SELECT …)`), outermost first.
    pub fn subqueries(&self) -> Vec<&BoundQuery> {
        fn walk<'q>(e: &'q BExpr, found: &mut Vec<&'q BoundQuery>) {
            match e {
                BExpr::InSubquery { expr, query, .. } => {
                    found.push(query);
                    walk(expr, found);
                }
                BExpr::Subquery(query) => found.push(query),
                other => other.children().into_iter().for_each(|c| walk(c, found)),
            }
        }
        let mut found = Vec::new();
        for e in self.expressions() {
            walk(e, &mut found);
        }
        found
    }

    /// The stored tables and cohorts the query reads, including those read by an analysis
    /// it ranges over.
    pub fn sources(&self) -> (Vec<&TableMeta>, Vec<&CohortMeta>) {
        let mut tables: Vec<&TableMeta> = Vec::new();
        let mut cohorts: Vec<&CohortMeta> = Vec::new();
        match &self.base {
            Base::Subjects | Base::Row => {}
            Base::Cohort(c) => cohorts.push(c),
            Base::Table { table, .. } => tables.push(table),
            Base::Analysis(a) => {
                let inner = match &a.statement {
                    Bound::Survival(s) => Some(&s.query),
                    Bound::Cox(c) => Some(&c.query),
                    Bound::Correlate(c) => Some(&c.query),
                    _ => None,
                };
                if let Some(q) = inner {
                    let (t, c) = q.sources();
                    tables.extend(t);
                    cohorts.extend(c);
                }
                if let Bound::Correlate(c) = &a.statement {
                    for v in c.x.iter().chain(&c.y) {
                        if let VariableSource::Stored { table, .. } = &v.from {
                            tables.push(table);
                        }
                    }
                }
            }
            Base::Derived(d) => {
                if let DerivedSource::Query(q) = &d.source {
                    let (t, c) = q.sources();
                    tables.extend(t);
                    cohorts.extend(c);
                }
            }
        }
        for q in self.subqueries() {
            let (t, c) = q.sources();
            tables.extend(t);
            cohorts.extend(c);
        }
        tables.extend(self.relations.iter().map(|r| &r.table));
        tables.extend(self.per_subject.iter().map(|p| &p.table));
        tables.sort_by(|a, b| (&a.name, a.data_id).cmp(&(&b.name, b.data_id)));
        tables.dedup_by_key(|t| t.data_id);
        cohorts.sort_by(|a, b| a.name.cmp(&b.name));
        cohorts.dedup_by_key(|c| c.data_id);
        (tables, cohorts)
    }
}

/// What a query's rows range over.
#[derive(Debug, Clone, PartialEq)]
pub enum Base {
    /// Every registered subject.
    Subjects,
    /// A cohort's members.
    Cohort(CohortMeta),
    /// The rows of one table, with the columns the query reads.
    Table {
        table: TableMeta,
        columns: Vec<ColumnMeta>,
    },
    /// No FROM (`SELECT 1`, `SELECT now()`): one row and no column to read.
    Row,
    /// `FROM (analysis)`: the result of a statistics statement, computed before the query
    /// runs (`rows` is filled in by `exec`; until then the scan is empty, as for `EXPLAIN`).
    Analysis(Box<AnalysisBase>),
    /// `FROM (SELECT …) AS t`, a `WITH` query, or a file read in place: a relation of known
    /// columns, planned with the query. When it has a `subject_id` column, stored tables'
    /// columns join to it as they join to `subjects`.
    Derived(Box<DerivedBase>),
}

/// A relation a query ranges over that is not stored in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedBase {
    /// The relation name its columns are qualified with: the alias, the `WITH` name, or the
    /// file's name without its extension.
    pub name: String,
    /// Its columns, in order, with their types.
    pub columns: Vec<(String, Type)>,
    pub source: DerivedSource,
}

/// Where a derived relation's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum DerivedSource {
    /// A query over the same snapshot.
    Query(Box<BoundQuery>),
    /// A frame the caller registered for the session (`Database::register`), in memory.
    Frame(Vec<datafusion::arrow::record_batch::RecordBatch>),
    /// A Parquet or CSV file, read as the query runs.
    File {
        path: String,
        format: FileFormat,
        schema: datafusion::arrow::datatypes::SchemaRef,
    },
}

/// The format of a file read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    /// Comma-separated (or another delimiter), with a header row.
    Csv {
        delimiter: u8,
    },
}

impl DerivedBase {
    /// Whether its rows carry subjects: a `subject_id` column.
    pub fn has_subjects(&self) -> bool {
        self.columns
            .iter()
            .any(|(n, _)| n == crate::storage::SUBJECT_COLUMN)
    }
}

/// The statistics statement a query ranges over.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisBase {
    /// `survival`, `cox` or `correlate`: the relation name of its columns.
    pub name: &'static str,
    pub schema: datafusion::arrow::datatypes::SchemaRef,
    pub statement: Bound,
}

impl Base {
    /// The relation name the base's columns are qualified with.
    pub fn alias(&self) -> &str {
        match self {
            Base::Subjects => "subjects",
            Base::Cohort(c) => &c.name,
            Base::Table { table, .. } => &table.name,
            Base::Analysis(a) => a.name,
            Base::Derived(d) => &d.name,
            Base::Row => "row",
        }
    }
}

/// A one-row-per-subject table joined to the base on `subject_id` (a left join).
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub table: TableMeta,
    /// The columns read, `subject_id` first.
    pub columns: Vec<ColumnMeta>,
}

/// A table with several rows per subject, reduced to one row per subject by aggregates, then
/// left-joined to the base.
#[derive(Debug, Clone, PartialEq)]
pub struct PerSubject {
    pub table: TableMeta,
    pub columns: Vec<ColumnMeta>,
    /// `(aggregate over the table's columns, output name)`.
    pub aggregates: Vec<(BExpr, String)>,
}

impl PerSubject {
    /// The relation name of the reduced table.
    pub fn alias(&self) -> String {
        per_subject_alias(&self.table.name)
    }
}

/// The relation name of table `name` reduced per subject.
pub fn per_subject_alias(name: &str) -> String {
    format!("__per_subject_{name}")
}

/// A bound `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundQuery {
    pub base: Base,
    pub relations: Vec<Relation>,
    pub per_subject: Vec<PerSubject>,
    pub filter: Option<BExpr>,
    /// Whether the query aggregates (GROUP BY or an aggregate in the select list or HAVING).
    pub aggregate: bool,
    pub group_by: Vec<BExpr>,
    pub having: Option<BExpr>,
    pub items: Vec<Item>,
    pub distinct: bool,
    pub order_by: Vec<Order>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// One output column.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub expr: BExpr,
    pub name: String,
    /// Its type (what a query over this one sees: `FROM (SELECT …)`, `WITH`).
    pub ty: Type,
    /// The source column, when the item is a plain column (its label and unit travel along).
    pub source: Option<ColumnMeta>,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub key: OrderKey,
    pub descending: bool,
    pub nulls_first: Option<bool>,
}

/// What a sort key refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderKey {
    /// The select item at this index.
    Output(usize),
    /// Any other expression.
    Expr(BExpr),
}
