//! Which queries take the wide path, and how they split (`exec/wide.rs` carries it out).
//!
//! A 20,000-column `LogicalPlan` costs DataFusion minutes (its schemas find columns by linear
//! search, in every optimizer pass) and gigabytes (joins copy whole batches). A query that
//! names many plain columns of one-row-per-subject tables is therefore split:
//! - the **narrow query**: the same rows (filter, order, limit), selecting the subject and
//!   every item that is not such a column; planned here and run by DataFusion as usual;
//! - the **wide columns**: read by `exec` straight from the store, by subject.

use std::collections::HashMap;

use crate::resolve::{BExpr, Base, BoundQuery, Item, OrderKey, Type};
use crate::storage::{ColumnMeta, Level, SUBJECT_COLUMN, TableMeta};

/// From this many stored columns on, a selection takes the wide path.
pub const WIDE_COLUMNS: usize = 256;

/// Name of the narrow query's first column: the subject of each output row.
pub const SUBJECT_ITEM: &str = "__rgdb_subject";

/// Where an output column's values come from.
#[derive(Debug, Clone)]
pub enum WideSource {
    /// Column `k` of the narrow query's result.
    Narrow(usize),
    /// A stored column, read by subject.
    Stored {
        table: Box<TableMeta>,
        column: ColumnMeta,
    },
}

/// A query split into its narrow part and its stored columns.
#[derive(Debug, Clone)]
pub struct Split {
    /// Subject first, then every item that is not a stored column.
    pub narrow: BoundQuery,
    /// Where each item of the query comes from, in order.
    pub sources: Vec<WideSource>,
}

/// An item that is a stored column: its table and column.
type Stored = Option<(TableMeta, ColumnMeta)>;

impl Split {
    /// Splits `query` when it selects at least [`WIDE_COLUMNS`] plain columns of
    /// one-row-per-subject tables and its rows are one per subject (no grouping, no
    /// DISTINCT). `keep` are items that must stay narrow (the partition columns).
    pub fn of(query: &BoundQuery, keep: &[usize]) -> Option<Split> {
        if query.aggregate || query.distinct || !query.group_by.is_empty() || query.having.is_some()
        {
            return None;
        }
        let found = stored_items(query, keep)?;
        if found.iter().flatten().count() < WIDE_COLUMNS {
            return None;
        }
        let (mut narrow, sources) = narrow_query(query, found);
        prune_columns(&mut narrow);
        Some(Split { narrow, sources })
    }
}

/// For each item, its table and column when it is a plain stored column of a
/// one-row-per-subject table that is neither ordered on nor kept; `None` when the base is not
/// such a table (or the registry).
fn stored_items(query: &BoundQuery, keep: &[usize]) -> Option<Vec<Stored>> {
    let base_table = match &query.base {
        Base::Subjects | Base::Cohort(_) => None,
        Base::Table { table, .. } if table.level == Level::Subject => Some(table),
        _ => return None,
    };
    let ordered: Vec<usize> = query
        .order_by
        .iter()
        .filter_map(|o| match o.key {
            OrderKey::Output(i) => Some(i),
            OrderKey::Expr(_) => None,
        })
        .collect();
    let stored = |i: usize, item: &Item| -> Stored {
        let BExpr::Column {
            relation, column, ..
        } = &item.expr
        else {
            return None;
        };
        if column == SUBJECT_COLUMN || ordered.contains(&i) || keep.contains(&i) {
            return None;
        }
        let meta = item.source.clone()?;
        let table = query
            .relations
            .iter()
            .map(|r| &r.table)
            .chain(base_table)
            .find(|t| &t.name == relation)?;
        Some((table.clone(), meta))
    };
    Some(
        query
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| stored(i, item))
            .collect(),
    )
}

/// The narrow query (the subject, then the items that are not stored columns, its ORDER BY
/// renumbered) and where each item of `query` comes from.
fn narrow_query(query: &BoundQuery, found: Vec<Stored>) -> (BoundQuery, Vec<WideSource>) {
    let mut narrow = query.clone();
    narrow.items = vec![Item {
        expr: BExpr::Column {
            relation: query.base.alias().to_string(),
            column: SUBJECT_COLUMN.into(),
            ty: Type::Text,
        },
        name: SUBJECT_ITEM.into(),
        ty: Type::Text,
        source: None,
    }];
    let mut sources = Vec::with_capacity(query.items.len());
    let mut moved: HashMap<usize, usize> = HashMap::new();
    for (i, (item, stored)) in query.items.iter().zip(found).enumerate() {
        match stored {
            Some((table, column)) => sources.push(WideSource::Stored {
                table: Box::new(table),
                column,
            }),
            None => {
                moved.insert(i, narrow.items.len());
                sources.push(WideSource::Narrow(narrow.items.len()));
                narrow.items.push(item.clone());
            }
        }
    }
    for order in &mut narrow.order_by {
        if let OrderKey::Output(i) = &mut order.key {
            *i = moved[i];
        }
    }
    (narrow, sources)
}

/// Keeps in the narrow query's scans only the columns it still uses.
fn prune_columns(narrow: &mut BoundQuery) {
    let mut used: Vec<(String, String)> = Vec::new();
    let mut visit = |e: &BExpr| collect_columns(e, &mut used);
    narrow.items.iter().for_each(|i| visit(&i.expr));
    if let Some(f) = &narrow.filter {
        visit(f);
    }
    for o in &narrow.order_by {
        if let OrderKey::Expr(e) = &o.key {
            visit(e);
        }
    }
    let keeps = |relation: &str, c: &ColumnMeta| {
        c.name == SUBJECT_COLUMN || used.iter().any(|(r, n)| r == relation && n == &c.name)
    };
    for r in &mut narrow.relations {
        let name = r.table.name.clone();
        r.columns.retain(|c| keeps(&name, c));
    }
    if let Base::Table { table, columns } = &mut narrow.base {
        let name = table.name.clone();
        columns.retain(|c| keeps(&name, c));
    }
}

fn collect_columns(e: &BExpr, out: &mut Vec<(String, String)>) {
    if let BExpr::Column {
        relation, column, ..
    } = e
    {
        out.push((relation.clone(), column.clone()));
    }
    for child in e.children() {
        collect_columns(child, out);
    }
}
