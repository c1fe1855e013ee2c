//! A bound query to a DataFusion `LogicalPlan`: the base scan, left joins on `subject_id`,
//! per-subject reductions, then filter, aggregate, having, projection, distinct, sort, limit.

use std::sync::Arc;

use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, JoinType};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};

use super::PlanError;
use super::expr::{column, output, to_df};
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};

use crate::resolve::{
    BExpr, Base, BoundQuery, DerivedBase, DerivedSource, FileFormat, OrderKey, PerSubject, Relation,
};
use crate::storage::{SUBJECT_COLUMN, Snapshot, StoreTable, subjects_table};

/// Plans a bound query over `snapshot`.
pub fn query_to_plan(query: &BoundQuery, snapshot: &Snapshot) -> Result<LogicalPlan, PlanError> {
    let members = cohort_members(query, snapshot)?;
    let mut builder = base_scan(query, snapshot, members.as_deref())?;
    let base = query.base.alias().to_string();
    for relation in &query.relations {
        let right = relation_scan(relation, snapshot, members.as_deref())?;
        builder = join_on_subject(builder, right, &base, &relation.table.name)?;
    }
    for per in &query.per_subject {
        let right = per_subject_plan(per, snapshot, members.as_deref())?;
        builder = join_on_subject(builder, right, &base, &per.alias())?;
    }
    if let Some(filter) = &query.filter {
        builder = builder.filter(to_df(filter, snapshot)?)?;
    }
    let mut rebase = Vec::new();
    if query.aggregate {
        (builder, rebase) = aggregate(builder, query, snapshot)?;
    }
    if let Some(having) = &query.having {
        builder = builder.filter(rebased(to_df(having, snapshot)?, &rebase)?)?;
    }
    let windows = collect_windows(query, snapshot)?;
    if !windows.is_empty() {
        let computed: Vec<Expr> = windows
            .iter()
            .map(|w| rebased(w.clone(), &rebase))
            .collect::<Result<_, _>>()?;
        builder = LogicalPlanBuilder::from(LogicalPlanBuilder::window_plan(
            builder.build()?,
            computed.clone(),
        )?);
        // Each window is now a column named after it; the items read that column.
        for (window, done) in windows.into_iter().zip(computed) {
            let name = done.schema_name().to_string();
            rebase.push((window, Expr::Column(Column::from_name(name))));
        }
    }
    finish(builder, query, &rebase, snapshot)
}

/// Every window function in the items and ORDER BY, each once, as written (not yet rebased
/// onto the aggregate's output).
fn collect_windows(query: &BoundQuery, snapshot: &Snapshot) -> Result<Vec<Expr>, PlanError> {
    fn walk(e: &BExpr, found: &mut Vec<BExpr>) {
        if let BExpr::Window { .. } = e {
            if !found.contains(e) {
                found.push(e.clone());
            }
            return;
        }
        for child in e.children() {
            walk(child, found);
        }
    }
    let mut found = Vec::new();
    for item in &query.items {
        walk(&item.expr, &mut found);
    }
    for o in &query.order_by {
        if let OrderKey::Expr(e) = &o.key {
            walk(e, &mut found);
        }
    }
    found.iter().map(|w| to_df(w, snapshot)).collect()
}

/// Dense ids of the base cohort's members, to restrict every table scan to them.
fn cohort_members(query: &BoundQuery, snapshot: &Snapshot) -> Result<Option<Vec<u32>>, PlanError> {
    match &query.base {
        Base::Cohort(c) => Ok(Some(snapshot.cohort_members(c)?)),
        _ => Ok(None),
    }
}

fn store_scan(
    name: &str,
    table: StoreTable,
    members: Option<&[u32]>,
) -> Result<LogicalPlanBuilder, PlanError> {
    let table = match members {
        Some(ids) => table.restrict_to(ids.iter().copied()),
        None => table,
    };
    Ok(LogicalPlanBuilder::scan(
        name,
        provider_as_source(Arc::new(table)),
        None,
    )?)
}

fn base_scan(
    query: &BoundQuery,
    snapshot: &Snapshot,
    members: Option<&[u32]>,
) -> Result<LogicalPlanBuilder, PlanError> {
    match &query.base {
        Base::Subjects => {
            let table = subjects_table(snapshot)?;
            Ok(LogicalPlanBuilder::scan(
                "subjects",
                provider_as_source(Arc::new(table)),
                None,
            )?)
        }
        Base::Cohort(cohort) => {
            let names = snapshot.subjects();
            let ids: StringArray = members
                .unwrap_or_default()
                .iter()
                .map(|id| names.get(*id as usize).map(String::as_str))
                .collect();
            let schema = Arc::new(Schema::new(vec![Field::new(
                SUBJECT_COLUMN,
                DataType::Utf8,
                false,
            )]));
            let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(ids)])
                .map_err(datafusion::error::DataFusionError::from)?;
            let table = MemTable::try_new(schema, vec![vec![batch]])?;
            Ok(LogicalPlanBuilder::scan(
                cohort.name.as_str(),
                provider_as_source(Arc::new(table)),
                None,
            )?)
        }
        Base::Analysis(analysis) => {
            let plan = super::analysis_plan(&analysis.statement, snapshot)?.ok_or_else(|| {
                datafusion::error::DataFusionError::Internal(format!(
                    "`{}` is not an analysis",
                    analysis.name
                ))
            })?;
            Ok(LogicalPlanBuilder::from(plan).alias(analysis.name)?)
        }
        Base::Table { table, columns } => {
            let provider =
                StoreTable::from_columns(snapshot.clone(), table.clone(), columns.clone());
            store_scan(&table.name, provider, members)
        }
        // One row with no column, as DataFusion plans `SELECT 1`.
        Base::Row => Ok(LogicalPlanBuilder::empty(true)),
        Base::Derived(derived) => derived_scan(derived, snapshot),
    }
}

/// A subquery or `WITH` query planned in place, or a file read as the query runs; named so
/// that its columns and the joins on its `subject_id` find it.
fn derived_scan(
    derived: &DerivedBase,
    snapshot: &Snapshot,
) -> Result<LogicalPlanBuilder, PlanError> {
    match &derived.source {
        DerivedSource::Frame(batches) => {
            let schema = batches.first().map_or_else(
                || Arc::new(Schema::empty()),
                datafusion::arrow::record_batch::RecordBatch::schema,
            );
            let table = MemTable::try_new(schema, vec![batches.clone()])?;
            Ok(LogicalPlanBuilder::scan(
                derived.name.as_str(),
                provider_as_source(Arc::new(table)),
                None,
            )?)
        }
        DerivedSource::Query(query) => {
            Ok(LogicalPlanBuilder::from(query_to_plan(query, snapshot)?).alias(&derived.name)?)
        }
        DerivedSource::File {
            path,
            format,
            schema,
        } => {
            let url = ListingTableUrl::parse(path)?;
            let options = match format {
                FileFormat::Parquet => ListingOptions::new(Arc::new(ParquetFormat::default())),
                FileFormat::Csv { delimiter } => ListingOptions::new(Arc::new(
                    CsvFormat::default()
                        .with_has_header(true)
                        .with_delimiter(*delimiter),
                )),
            };
            // Any name: the URL is the file itself, whatever it ends with.
            let options = options.with_file_extension("");
            let config = ListingTableConfig::new(url)
                .with_listing_options(options)
                .with_schema(schema.clone());
            let table = ListingTable::try_new(config)?;
            Ok(LogicalPlanBuilder::scan(
                derived.name.as_str(),
                provider_as_source(Arc::new(table)),
                None,
            )?)
        }
    }
}

fn relation_scan(
    relation: &Relation,
    snapshot: &Snapshot,
    members: Option<&[u32]>,
) -> Result<LogicalPlanBuilder, PlanError> {
    let provider = StoreTable::from_columns(
        snapshot.clone(),
        relation.table.clone(),
        relation.columns.clone(),
    );
    store_scan(&relation.table.name, provider, members)
}

/// `SELECT subject_id, agg… FROM table GROUP BY subject_id`, aliased.
fn per_subject_plan(
    per: &PerSubject,
    snapshot: &Snapshot,
    members: Option<&[u32]>,
) -> Result<LogicalPlanBuilder, PlanError> {
    let provider =
        StoreTable::from_columns(snapshot.clone(), per.table.clone(), per.columns.clone());
    let scan = store_scan(&per.table.name, provider, members)?;
    let group = vec![column(&per.table.name, SUBJECT_COLUMN)];
    let aggregates: Vec<Expr> = per
        .aggregates
        .iter()
        .map(|(e, name)| Ok(to_df(e, snapshot)?.alias(name)))
        .collect::<Result<_, PlanError>>()?;
    Ok(scan.aggregate(group, aggregates)?.alias(per.alias())?)
}

fn join_on_subject(
    left: LogicalPlanBuilder,
    right: LogicalPlanBuilder,
    left_relation: &str,
    right_relation: &str,
) -> Result<LogicalPlanBuilder, PlanError> {
    let keys = (
        vec![Column::new(Some(left_relation.to_string()), SUBJECT_COLUMN)],
        vec![Column::new(
            Some(right_relation.to_string()),
            SUBJECT_COLUMN,
        )],
    );
    Ok(left.join(right.build()?, JoinType::Left, keys, None)?)
}

/// Every query-level aggregate in the items, HAVING and ORDER BY, each once.
fn collect_aggregates(query: &BoundQuery, snapshot: &Snapshot) -> Result<Vec<Expr>, PlanError> {
    let mut found: Vec<BExpr> = Vec::new();
    let mut visit = |e: &BExpr| walk_aggregates(e, &mut found);
    for item in &query.items {
        visit(&item.expr);
    }
    if let Some(h) = &query.having {
        visit(h);
    }
    for o in &query.order_by {
        if let OrderKey::Expr(e) = &o.key {
            visit(e);
        }
    }
    found.iter().map(|a| to_df(a, snapshot)).collect()
}

fn walk_aggregates(e: &BExpr, found: &mut Vec<BExpr>) {
    if let BExpr::Aggregate { .. } = e {
        if !found.contains(e) {
            found.push(e.clone());
        }
        return;
    }
    for child in e.children() {
        walk_aggregates(child, found);
    }
}

/// Pairs of (expression computed by the aggregate, the column that now holds it).
type Rebase = Vec<(Expr, Expr)>;

fn aggregate(
    builder: LogicalPlanBuilder,
    query: &BoundQuery,
    snapshot: &Snapshot,
) -> Result<(LogicalPlanBuilder, Rebase), PlanError> {
    let groups: Vec<Expr> = query
        .group_by
        .iter()
        .map(|g| to_df(g, snapshot))
        .collect::<Result<_, _>>()?;
    // Two bound aggregates can plan to the same expression: each is computed once.
    let mut aggregates: Vec<Expr> = Vec::new();
    for a in collect_aggregates(query, snapshot)? {
        if !aggregates.contains(&a) {
            aggregates.push(a);
        }
    }
    let computed: Vec<Expr> = groups.iter().chain(&aggregates).cloned().collect();
    let builder = builder.aggregate(groups, aggregates)?;
    let schema = builder.schema().clone();
    let rebase = computed
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let (qualifier, field) = schema.qualified_field(i);
            (
                e,
                Expr::Column(Column::new(qualifier.cloned(), field.name())),
            )
        })
        .collect();
    Ok((builder, rebase))
}

/// Replaces every sub-expression the aggregate computed by the column holding it.
fn rebased(e: Expr, rebase: &Rebase) -> Result<Expr, PlanError> {
    if rebase.is_empty() {
        return Ok(e);
    }
    Ok(e.transform_down(|node| {
        Ok(
            match rebase.iter().find(|(computed, _)| *computed == node) {
                Some((_, column)) => {
                    Transformed::new(column.clone(), true, TreeNodeRecursion::Jump)
                }
                None => Transformed::no(node),
            },
        )
    })?
    .data)
}

/// A name for the `k`th hidden sort column that no output column uses.
fn hidden_name(items: &[crate::resolve::Item], k: usize) -> String {
    let mut name = format!("__order_{k}");
    while items.iter().any(|i| i.name == name) {
        name.push('_');
    }
    name
}

/// Projection (with hidden sort keys), DISTINCT, ORDER BY, LIMIT.
fn finish(
    builder: LogicalPlanBuilder,
    query: &BoundQuery,
    rebase: &Rebase,
    snapshot: &Snapshot,
) -> Result<LogicalPlan, PlanError> {
    let mut projection = Vec::with_capacity(query.items.len());
    for item in &query.items {
        projection.push(rebased(to_df(&item.expr, snapshot)?, rebase)?.alias(&item.name));
    }
    let mut sort = Vec::with_capacity(query.order_by.len());
    let mut hidden = 0;
    for order in &query.order_by {
        let key = match &order.key {
            OrderKey::Output(k) => output(&query.items[*k].name),
            OrderKey::Expr(e) => {
                let name = hidden_name(&query.items, hidden);
                hidden += 1;
                projection.push(rebased(to_df(e, snapshot)?, rebase)?.alias(&name));
                output(&name)
            }
        };
        sort.push(SortExpr::new(
            key,
            !order.descending,
            order.nulls_first.unwrap_or(false),
        ));
    }
    let mut builder = builder.project(projection)?;
    if query.distinct {
        builder = builder.distinct()?;
    }
    if !sort.is_empty() {
        builder = builder.sort(sort)?;
    }
    if hidden > 0 {
        builder = builder.project(query.items.iter().map(|i| output(&i.name)))?;
    }
    if query.limit.is_some() || query.offset.is_some() {
        let skip = query.offset.unwrap_or(0) as usize;
        builder = builder.limit(skip, query.limit.map(|l| l as usize))?;
    }
    Ok(builder.build()?)
}
