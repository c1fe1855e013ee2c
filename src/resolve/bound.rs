//! Bound statements: every name looked up in the catalog, every column tied to the table
//! generation it is read from, every expression typed. The planner consumes these.

use crate::storage::{CohortMeta, ColumnMeta, TableMeta};
use crate::syntax::{BinaryOp, UnaryOp};

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

/// The types of bound expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Boolean,
    Integer,
    Float,
    Text,
    Date,
    /// A point in time, UTC (`now()`).
    Timestamp,
    /// Several text values (an AIM question with several answers): `contains`, `any`.
    TextList,
    /// The `NULL` literal: fits anywhere.
    Null,
    /// A parameter, typed when its value arrives.
    Unknown,
}

impl Type {
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Type::Integer | Type::Float | Type::Null | Type::Unknown
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Type::Boolean => "boolean",
            Type::Integer => "integer",
            Type::Float => "float",
            Type::Text => "text",
            Type::Date => "date",
            Type::Timestamp => "timestamp",
            Type::TextList => "text list",
            Type::Null => "null",
            Type::Unknown => "parameter",
        }
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Integer(i64),
    Float(f64),
    Text(String),
    Boolean(bool),
    /// Days since 1970-01-01.
    Date(i32),
    Null,
}

/// Scalar functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarFn {
    Coalesce,
    Lower,
    Upper,
    Abs,
    Round,
    Sqrt,
    Ln,
    Log2,
    Log10,
    Exp,
    Length,
    Year,
    /// `now()`: when the statement started (UTC), the same value in every row.
    Now,
    /// `contains(list, value)`: the list holds the value.
    Contains,
    /// `any(list, a, b, …)`: the list holds at least one of the values.
    AnyOf,
}

/// Aggregate functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Median,
    Stddev,
    Percentile,
    /// `arg_max(x, key)`: `x` from the row with the largest `key` (the largest lesion's answer).
    ArgMax,
    /// `arg_min(x, key)`: `x` from the row with the smallest `key` (the first annotation's).
    ArgMin,
    /// `bool_or(condition)`: true when any row's condition holds.
    BoolOr,
    /// `bool_and(condition)`, or `every`: true when every row's condition holds.
    BoolAnd,
    /// `stddev_pop(x)`: the population standard deviation (`stddev` is the sample's).
    StddevPop,
    /// `variance(x)`, `var_samp(x)`: the sample variance.
    Variance,
    /// `var_pop(x)`: the population variance.
    VarPop,
    /// `array_agg(x)`: the values as a list of text (a subject's modalities).
    ArrayAgg,
    /// `string_agg(x, separator)`: the values as text joined by the separator.
    StringAgg,
}

/// A bound, typed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum BExpr {
    /// `relation.column`; the relation is the base alias, a table name, or a per-subject alias.
    Column {
        relation: String,
        column: String,
        ty: Type,
    },
    Literal(Value),
    /// `$1` → `"1"`, `$age` → `"age"`.
    Param(String),
    Unary {
        op: UnaryOp,
        expr: Box<BExpr>,
    },
    Binary {
        left: Box<BExpr>,
        op: BinaryOp,
        right: Box<BExpr>,
    },
    /// `date - date`, in days.
    DateDiff {
        left: Box<BExpr>,
        right: Box<BExpr>,
    },
    /// `date ± integer days`.
    DateShift {
        date: Box<BExpr>,
        days: Box<BExpr>,
        subtract: bool,
    },
    IsNull {
        expr: Box<BExpr>,
        negated: bool,
    },
    InList {
        expr: Box<BExpr>,
        list: Vec<BExpr>,
        negated: bool,
    },
    Between {
        expr: Box<BExpr>,
        low: Box<BExpr>,
        high: Box<BExpr>,
        negated: bool,
    },
    Like {
        expr: Box<BExpr>,
        pattern: Box<BExpr>,
        negated: bool,
        case_insensitive: bool,
    },
    Case {
        operand: Option<Box<BExpr>>,
        whens: Vec<(BExpr, BExpr)>,
        otherwise: Option<Box<BExpr>>,
    },
    Cast {
        expr: Box<BExpr>,
        ty: Type,
    },
    Scalar {
        func: ScalarFn,
        args: Vec<BExpr>,
    },
    /// An aggregate; `args` empty for `count(*)`. `arg_type` is the first argument's type.
    Aggregate {
        func: AggFn,
        args: Vec<BExpr>,
        distinct: bool,
        arg_type: Type,
    },
    /// `has(t)`: the subject has a row in relation `relation`.
    Exists {
        relation: String,
    },
    /// `func(args) OVER (PARTITION BY … ORDER BY …)`, computed after grouping.
    Window {
        func: WindowFn,
        args: Vec<BExpr>,
        /// The first argument's type (`avg` casts to float, `sum` to the integer or float).
        arg_type: Type,
        partition_by: Vec<BExpr>,
        order_by: Vec<WindowOrder>,
    },
    /// `expr [NOT] IN (SELECT …)`: the subquery reads the same snapshot, and has one column.
    InSubquery {
        expr: Box<BExpr>,
        query: Box<BoundQuery>,
        negated: bool,
    },
    /// `(SELECT …)` as a value: one column, at most one row.
    Subquery(Box<BoundQuery>),
}

/// A window function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFn {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    /// An aggregate over the window (`avg(x) OVER ()`).
    Aggregate(AggFn),
}

/// One key of a window's `ORDER BY`.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowOrder {
    pub expr: BExpr,
    pub descending: bool,
    pub nulls_first: Option<bool>,
}

impl BExpr {
    /// The expressions directly inside this one.
    pub fn children(&self) -> Vec<&BExpr> {
        match self {
            BExpr::Column { .. }
            | BExpr::Literal(_)
            | BExpr::Param(_)
            | BExpr::Exists { .. }
            | BExpr::Subquery(_) => Vec::new(),
            BExpr::InSubquery { expr, .. } => vec![expr],
            BExpr::Window {
                args,
                partition_by,
                order_by,
                ..
            } => args
                .iter()
                .chain(partition_by)
                .chain(order_by.iter().map(|o| &o.expr))
                .collect(),
            BExpr::Unary { expr, .. } | BExpr::IsNull { expr, .. } | BExpr::Cast { expr, .. } => {
                vec![expr]
            }
            BExpr::Binary { left, right, .. } | BExpr::DateDiff { left, right } => {
                vec![left, right]
            }
            BExpr::DateShift { date, days, .. } => vec![date, days],
            BExpr::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            BExpr::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            BExpr::Like { expr, pattern, .. } => vec![expr, pattern],
            BExpr::Case {
                operand,
                whens,
                otherwise,
            } => operand
                .iter()
                .map(|o| &**o)
                .chain(whens.iter().flat_map(|(w, t)| [w, t]))
                .chain(otherwise.iter().map(|o| &**o))
                .collect(),
            BExpr::Scalar { args, .. } | BExpr::Aggregate { args, .. } => args.iter().collect(),
        }
    }

    /// A column's type (`Unknown` for any other expression).
    pub fn column_type(&self) -> Type {
        match self {
            BExpr::Column { ty, .. } => *ty,
            _ => Type::Unknown,
        }
    }

    /// Whether an expression of the given kind occurs anywhere in this one (itself included).
    pub fn contains(&self, found: &dyn Fn(&BExpr) -> bool) -> bool {
        found(self) || self.children().into_iter().any(|c| c.contains(found))
    }
}

/// A bound `SURVIVAL` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundSurvival {
    /// `SELECT <by> AS grp, <time> AS time, <event> AS event FROM <source>`.
    pub query: BoundQuery,
    pub curve: bool,
    /// `SURVIVAL TEST`: the test's row ([`BoundSurvival::test_schema`]).
    pub test: bool,
    pub split: Option<SurvivalSplit>,
    pub at: Vec<f64>,
    /// The statement as written, and its time, event and group expressions as text.
    pub statement: String,
    pub time: String,
    pub event: String,
    pub by: Option<String>,
}

/// How a numeric group is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurvivalSplit {
    Median,
    At(f64),
    Quantiles(usize),
}

/// A bound `COX` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundCox {
    /// `COX TEST`: the model's row ([`BoundCox::test_schema`]).
    pub test: bool,
    /// `SELECT <time> AS time, <event> AS event, <term> AS x1, … FROM <source>`.
    pub query: BoundQuery,
    /// Each term as written.
    pub terms: Vec<String>,
    pub time: String,
    pub event: String,
}

/// A bound `CORRELATE` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundCorrelate {
    /// `SELECT subject_id, <expression> AS v1, … FROM <source>`: the subjects, in order, and
    /// the variables that are expressions.
    pub query: BoundQuery,
    pub x: Vec<Variable>,
    pub y: Vec<Variable>,
    pub method: crate::stats::correlate::Method,
    pub adjust: crate::stats::correlate::Adjust,
    /// The source's name (`subjects`, a cohort, a table).
    pub source: String,
    /// Columns a pattern matched that are not numbers, left out.
    pub skipped: Vec<String>,
    pub statement: String,
}

/// One side's column in a correlation map.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// `table.column`, or the expression (or its alias) as written.
    pub name: String,
    pub from: VariableSource,
}

/// Where a variable's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableSource {
    /// A column of a one-row-per-subject table, read from the store by subject.
    Stored {
        table: Box<TableMeta>,
        column: ColumnMeta,
    },
    /// Output column `k` of the rows query.
    Computed(usize),
}
