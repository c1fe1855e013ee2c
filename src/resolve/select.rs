//! Binding a `SELECT`: the base, the select list (with column patterns), WHERE, GROUP BY,
//! HAVING, ORDER BY and LIMIT, and the check that ungrouped columns are aggregated.

use std::collections::HashSet;

use super::bound::{BExpr, Base, BoundQuery, Item, Order, OrderKey, Type};
use super::error::ResolveError;
use super::expr::{Clause, bind};
use super::scope::{Scope, subject_id};
use crate::storage::{ColumnMeta, ColumnRole, Level, SUBJECT_COLUMN, TableMeta, glob_match};
use crate::syntax::{Expr, Ident, Literal, OrderItem, Select, SelectItem, Span};

/// Tables wider than this are left out of a bare `*` (name them: `rnaseq.*`).
pub const STAR_MAX_COLUMNS: u32 = 1_000;

/// Binds a `SELECT` against the scope's catalog.
pub fn bind_select(scope: &mut Scope<'_>, select: &Select) -> Result<BoundQuery, ResolveError> {
    scope.ctes.extend(select.with.iter().cloned());
    match &select.from {
        Some(from) => scope.set_base(from)?,
        None => scope.base = Base::Row,
    }
    let filter = select
        .selection
        .as_ref()
        .map(|w| bind_condition(scope, w, Clause::Where))
        .transpose()?;
    let items = bind_items(scope, &select.items)?;
    let group_by = bind_group_by(scope, &select.group_by, &items)?;
    let having = select
        .having
        .as_ref()
        .map(|h| bind_condition(scope, h, Clause::Having))
        .transpose()?;
    let order_by = bind_order_by(scope, &select.order_by, &items, select.distinct)?;
    let aggregate = scope.aggregates || !group_by.is_empty();
    if aggregate {
        check_grouped(&items, &group_by, having.as_ref(), &order_by, select)?;
    }
    Ok(BoundQuery {
        base: scope.base.clone(),
        relations: scope.relations.values().cloned().collect(),
        per_subject: scope.per_subject.values().cloned().collect(),
        filter,
        aggregate,
        group_by,
        having,
        items: items.into_iter().map(|(item, _)| item).collect(),
        distinct: select.distinct,
        order_by,
        limit: select.limit.as_ref().map(count).transpose()?,
        offset: select.offset.as_ref().map(count).transpose()?,
    })
}

fn bind_condition(scope: &mut Scope<'_>, e: &Expr, clause: Clause) -> Result<BExpr, ResolveError> {
    let (bound, ty) = bind(scope, e, clause)?;
    if !matches!(ty, Type::Boolean | Type::Null | Type::Unknown) {
        return Err(ResolveError::TypeMismatch {
            message: format!("a condition must be true or false, not {}", ty.name()),
            span: e.span(),
        });
    }
    Ok(bound)
}

/// An item and the span of the select item it came from.
type Spanned = (Item, Span);

/// Binds the select list: each expression, and each column pattern expanded to its columns,
/// every output name made unique.
fn bind_items(scope: &mut Scope<'_>, items: &[SelectItem]) -> Result<Vec<Spanned>, ResolveError> {
    let mut list = ItemList::default();
    for item in items {
        match item {
            SelectItem::Expr { expr, alias } => {
                let (bound, ty) = bind(scope, expr, Clause::Select)?;
                let (name, source) = item_name(scope, expr, alias.as_ref(), &bound)?;
                let item = Item {
                    expr: bound,
                    name,
                    ty,
                    source,
                };
                list.push(item, expr.span());
            }
            SelectItem::Pattern {
                table,
                pattern,
                except,
                span,
            } => {
                let pattern = PatternItem {
                    table: table.as_ref(),
                    pattern,
                    except,
                    span: *span,
                };
                bind_pattern(scope, &mut list, &pattern)?;
            }
        }
    }
    Ok(list.items)
}

/// The select list as it is bound, and the output names it has taken.
#[derive(Default)]
struct ItemList {
    items: Vec<Spanned>,
    names: HashSet<String>,
}

impl ItemList {
    /// Adds `item`, its name made unique.
    fn push(&mut self, mut item: Item, span: Span) {
        let wanted = std::mem::take(&mut item.name);
        item.name = unique(&mut self.names, wanted, &item.expr);
        self.items.push((item, span));
    }
}

/// A column pattern of the select list: `*`, `x*`, `t.*`, with its `EXCEPT` list.
struct PatternItem<'a> {
    table: Option<&'a Ident>,
    pattern: &'a str,
    except: &'a [Ident],
    span: Span,
}

/// Expands a column pattern into items: the base's own columns when it has them, else the
/// stored columns it matches (after `subject_id`, for a bare `*`).
fn bind_pattern(
    scope: &mut Scope<'_>,
    list: &mut ItemList,
    p: &PatternItem<'_>,
) -> Result<(), ResolveError> {
    if matches!(scope.base, Base::Row) {
        let name = match p.table {
            Some(t) => format!("{}.{}", t.name, p.pattern),
            None => p.pattern.to_string(),
        };
        return Err(ResolveError::NeedsFrom { name, span: p.span });
    }
    if let Some(columns) = scope.own_columns(p.table) {
        return bind_own_columns(scope, list, p, columns);
    }
    let with_subject = p.pattern == "*" && !list.names.contains(SUBJECT_COLUMN);
    if with_subject {
        let base = scope.base.alias().to_string();
        list.names.insert(SUBJECT_COLUMN.to_string());
        list.items.push((
            Item {
                expr: subject_id(&base),
                name: SUBJECT_COLUMN.into(),
                ty: Type::Text,
                source: None,
            },
            p.span,
        ));
    }
    for (table, column) in expand(scope, p.table, p.pattern, p.except, p.span)? {
        let ident = Ident {
            name: column.name.clone(),
            quoted: true,
            span: p.span,
        };
        let table_ident = Ident {
            name: table.name.clone(),
            quoted: false,
            span: p.span,
        };
        let expr = scope.column(Some(&table_ident), &ident)?;
        let item = Item {
            ty: expr.column_type(),
            expr,
            name: column.name.clone(),
            source: Some(column),
        };
        list.push(item, p.span);
    }
    Ok(())
}

/// The items of a pattern over a base of its own columns (an analysis's result, a subquery,
/// a file): the columns that match it and are not excepted.
fn bind_own_columns(
    scope: &mut Scope<'_>,
    list: &mut ItemList,
    p: &PatternItem<'_>,
    columns: Vec<String>,
) -> Result<(), ResolveError> {
    for column in columns {
        let skip = p
            .except
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(&column));
        if skip || !glob_match(&p.pattern.to_ascii_lowercase(), &column) {
            continue;
        }
        let ident = Ident {
            name: column.clone(),
            quoted: true,
            span: p.span,
        };
        let expr = scope.column(p.table, &ident)?;
        let item = Item {
            ty: expr.column_type(),
            expr,
            name: column,
            source: None,
        };
        list.push(item, p.span);
    }
    Ok(())
}

/// The output name of an item: its alias, the column's name, or the expression as written.
fn item_name(
    scope: &Scope<'_>,
    expr: &Expr,
    alias: Option<&Ident>,
    bound: &BExpr,
) -> Result<(String, Option<ColumnMeta>), ResolveError> {
    let source = match (expr, bound) {
        (
            Expr::Column { .. },
            BExpr::Column {
                relation, column, ..
            },
        ) => scope
            .table(relation)
            .map(|t| scope.snapshot.find_columns(t, column))
            .transpose()?
            .and_then(|cs| cs.into_iter().find(|c| &c.name == column)),
        _ => None,
    };
    let name = match (alias, bound) {
        (Some(a), _) => a.name.clone(),
        (None, BExpr::Column { column, .. }) if matches!(expr, Expr::Column { .. }) => {
            column.clone()
        }
        _ => expr.to_string(),
    };
    Ok((name, source))
}

/// Makes an output name unique: a repeated column name is qualified by its table, anything
/// else gets `_2`, `_3`, …
fn unique(names: &mut HashSet<String>, name: String, bound: &BExpr) -> String {
    let mut candidate = name.clone();
    if names.contains(&candidate)
        && let BExpr::Column {
            relation, column, ..
        } = bound
    {
        candidate = format!("{relation}.{column}");
    }
    let mut n = 2;
    while names.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    names.insert(candidate.clone());
    candidate
}

/// The columns a pattern names, in table order, minus the EXCEPT list. Sample metadata
/// (role `metadata`, such as an expression matrix's `recurrence`) is never matched: it is
/// read by naming it.
pub(super) fn expand(
    scope: &Scope<'_>,
    table: Option<&Ident>,
    pattern: &str,
    except: &[Ident],
    span: Span,
) -> Result<Vec<(TableMeta, ColumnMeta)>, ResolveError> {
    let tables: Vec<TableMeta> = match table {
        Some(t) => {
            let meta = scope
                .table(&t.name)
                .cloned()
                .ok_or_else(|| scope.unknown_source(t))?;
            if meta.level == Level::Multi && scope.base.alias() != meta.name {
                return Err(ResolveError::FanOut {
                    table: meta.name,
                    column: pattern.to_string(),
                    span,
                });
            }
            vec![meta]
        }
        None => star_tables(scope, pattern),
    };
    let mut out = Vec::new();
    for t in &tables {
        for column in scope.snapshot.columns_matching(t, pattern)? {
            if column.ordinal != 0 && column.role != ColumnRole::Metadata {
                out.push((t.clone(), column));
            }
        }
    }
    for name in except {
        let position = out.iter().position(|(_, c)| {
            if name.quoted {
                c.name == name.name
            } else {
                c.name.eq_ignore_ascii_case(&name.name)
            }
        });
        match position {
            Some(p) => {
                out.remove(p);
            }
            // Metadata is left out already.
            None if is_metadata(scope, &tables, &name.name)? => {}
            None => {
                return Err(ResolveError::UnknownColumn {
                    name: name.name.clone(),
                    table: table.map(|t| t.name.clone()),
                    candidates: Vec::new(),
                    span: name.span,
                });
            }
        }
    }
    if out.is_empty() && pattern != "*" {
        return Err(ResolveError::NoMatchingColumns {
            table: tables
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            pattern: pattern.to_string(),
            span,
        });
    }
    Ok(out)
}

/// Whether `name` is a metadata column of one of `tables`.
fn is_metadata(scope: &Scope<'_>, tables: &[TableMeta], name: &str) -> Result<bool, ResolveError> {
    for t in tables {
        let found = scope.snapshot.find_columns(t, name)?;
        if found.iter().any(|c| c.role == ColumnRole::Metadata) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The tables an unqualified pattern ranges over: the base table, or (from subjects and
/// cohorts) every one-row-per-subject table narrow enough for `*`.
fn star_tables(scope: &Scope<'_>, pattern: &str) -> Vec<TableMeta> {
    if let Base::Table { table, .. } = &scope.base {
        return vec![table.clone()];
    }
    scope
        .tables
        .iter()
        .filter(|t| t.level == Level::Subject)
        .filter(|t| pattern != "*" || t.columns <= STAR_MAX_COLUMNS)
        .cloned()
        .collect()
}

fn position(e: &Expr, items: usize) -> Result<Option<usize>, ResolveError> {
    match e {
        Expr::Literal(Literal::Number(n), span) => match n.parse::<i64>() {
            Ok(k) if k >= 1 && (k as usize) <= items => Ok(Some(k as usize - 1)),
            Ok(k) => Err(ResolveError::BadPosition {
                position: k,
                items,
                span: *span,
            }),
            Err(_) => Ok(None),
        },
        _ => Ok(None),
    }
}

/// An unqualified name that equals an output name (an alias, say).
fn output_named(e: &Expr, items: &[Spanned]) -> Option<usize> {
    match e {
        Expr::Column {
            table: None,
            column,
        } => items
            .iter()
            .position(|(item, _)| item.name.eq_ignore_ascii_case(&column.name)),
        _ => None,
    }
}

fn bind_group_by(
    scope: &mut Scope<'_>,
    exprs: &[Expr],
    items: &[Spanned],
) -> Result<Vec<BExpr>, ResolveError> {
    let mut out: Vec<BExpr> = Vec::with_capacity(exprs.len());
    for e in exprs {
        let bound = if let Some(k) = position(e, items.len())? {
            items[k].0.expr.clone()
        } else if let Some(k) = output_named(e, items)
            && scope_has_no_column(scope, e)
        {
            items[k].0.expr.clone()
        } else {
            bind(scope, e, Clause::GroupBy)?.0
        };
        if has_aggregate(&bound) {
            return Err(ResolveError::AggregateNotAllowed {
                clause: "GROUP BY".into(),
                span: e.span(),
            });
        }
        if !out.contains(&bound) {
            out.push(bound);
        }
    }
    Ok(out)
}

/// Whether a query-level aggregate occurs anywhere in `e`.
fn has_aggregate(e: &BExpr) -> bool {
    e.contains(&|node| matches!(node, BExpr::Aggregate { .. }))
}

/// Whether a bare name is *not* a column of the catalog (so an alias may claim it).
fn scope_has_no_column(scope: &mut Scope<'_>, e: &Expr) -> bool {
    let Expr::Column { table, column } = e else {
        return true;
    };
    let saved = (
        scope.relations.clone(),
        scope.per_subject.clone(),
        scope.base.clone(),
    );
    let found = scope.column(table.as_ref(), column).is_ok();
    (scope.relations, scope.per_subject, scope.base) = saved;
    !found
}

fn bind_order_by(
    scope: &mut Scope<'_>,
    order: &[OrderItem],
    items: &[Spanned],
    distinct: bool,
) -> Result<Vec<Order>, ResolveError> {
    let mut out = Vec::with_capacity(order.len());
    for o in order {
        let key = if let Some(k) = position(&o.expr, items.len())? {
            OrderKey::Output(k)
        } else if let Some(k) = output_named(&o.expr, items) {
            OrderKey::Output(k)
        } else {
            let (bound, _) = bind(scope, &o.expr, Clause::OrderBy)?;
            match items.iter().position(|(item, _)| item.expr == bound) {
                Some(k) => OrderKey::Output(k),
                None if distinct => {
                    return Err(ResolveError::InvalidArgument {
                        message: "with SELECT DISTINCT, ORDER BY must use selected columns".into(),
                        span: o.expr.span(),
                    });
                }
                None => OrderKey::Expr(bound),
            }
        };
        out.push(Order {
            key,
            descending: o.descending,
            nulls_first: o.nulls_first,
        });
    }
    Ok(out)
}

/// In an aggregating query, every column outside an aggregate must be grouped.
fn check_grouped(
    items: &[Spanned],
    groups: &[BExpr],
    having: Option<&BExpr>,
    order: &[Order],
    select: &Select,
) -> Result<(), ResolveError> {
    for (item, span) in items {
        if let Err(column) = grouped(&item.expr, groups) {
            return Err(ResolveError::NotGrouped {
                column,
                span: *span,
            });
        }
    }
    if let Some(h) = having
        && let Err(column) = grouped(h, groups)
    {
        let span = select.having.as_ref().map_or(select.span, Expr::span);
        return Err(ResolveError::NotGrouped { column, span });
    }
    for (o, ast) in order.iter().zip(&select.order_by) {
        if let OrderKey::Expr(e) = &o.key
            && let Err(column) = grouped(e, groups)
        {
            return Err(ResolveError::NotGrouped {
                column,
                span: ast.expr.span(),
            });
        }
    }
    Ok(())
}

fn grouped(e: &BExpr, groups: &[BExpr]) -> Result<(), String> {
    if groups.contains(e) {
        return Ok(());
    }
    match e {
        BExpr::Aggregate { .. } | BExpr::Literal(_) | BExpr::Param(_) => Ok(()),
        BExpr::Column {
            relation, column, ..
        } => Err(match relation.strip_prefix("__per_subject_") {
            Some(table) => format!("an aggregate over {table}"),
            None => column.clone(),
        }),
        BExpr::Exists { relation } => Err(format!(
            "has({})",
            relation.strip_prefix("__per_subject_").unwrap_or(relation)
        )),
        other => other
            .children()
            .into_iter()
            .try_for_each(|c| grouped(c, groups)),
    }
}

fn count(e: &Expr) -> Result<u64, ResolveError> {
    match e {
        Expr::Literal(Literal::Number(n), span) => n
            .parse::<u64>()
            .map_err(|_| ResolveError::InvalidLimit { span: *span }),
        other => Err(ResolveError::InvalidLimit { span: other.span() }),
    }
}
