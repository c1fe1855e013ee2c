//! The statistics statements (`SURVIVAL`, `COX`, `CORRELATE`): each is bound to the query
//! of the rows it works on, plus what to compute; and the schema of each one's result, which
//! is known before it runs, so that `SELECT … FROM (CORRELATE …)` binds like any query.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::bound::{
    self, BExpr, Base, Bound, BoundCorrelate, BoundCox, BoundQuery, BoundSurvival, Type, Variable,
    VariableSource,
};
use super::error::ResolveError;
use super::expr::{Clause, bind};
use super::query;
use super::scope::Scope;
use crate::stats::correlate::{Adjust, Method};
use crate::storage::{ColumnMeta, ColumnType, Level, SUBJECT_COLUMN, Snapshot, TableMeta};
use crate::syntax::{Correlate, Expr, Ident, Select, SelectItem, Source};

/// `SELECT items FROM source`: the rows a statistics statement works on, bound like any
/// query.
pub(super) fn rows_of(
    snapshot: &Snapshot,
    source: &Ident,
    items: Vec<SelectItem>,
    span: crate::syntax::Span,
) -> Result<BoundQuery, ResolveError> {
    query(
        snapshot,
        &Select::plain(items, Source::Named(source.clone()), span),
    )
}

/// `SURVIVAL …` as the query of its rows: `SELECT by AS grp, time AS time, event AS event
/// FROM source` (the group is the text `all` without `BY`).
pub(super) fn bind_survival(
    snapshot: &Snapshot,
    s: &crate::syntax::Survival,
) -> Result<bound::BoundSurvival, ResolveError> {
    use crate::syntax::{Literal, Split};
    use bound::{BoundSurvival, SurvivalSplit};
    let span = s.span;
    let column = |name: &str| Expr::Column {
        table: None,
        column: Ident {
            name: name.into(),
            quoted: false,
            span,
        },
    };
    let time = s.time.clone().unwrap_or_else(|| column("os_days"));
    let event = s.event.clone().unwrap_or_else(|| column("os_event"));
    let by =
        s.by.clone()
            .unwrap_or_else(|| Expr::Literal(Literal::String("all".into()), span));
    let item = |expr: Expr, name: &str| SelectItem::Expr {
        expr,
        alias: Some(Ident {
            name: name.into(),
            quoted: false,
            span,
        }),
    };
    let items = vec![
        item(by.clone(), "grp"),
        item(time.clone(), "time"),
        item(event.clone(), "event"),
    ];
    let number = |text: &str, at: crate::syntax::Span| {
        text.parse::<f64>()
            .map_err(|_| ResolveError::InvalidArgument {
                message: format!("`{text}` is not a number"),
                span: at,
            })
    };
    let split = match &s.split {
        None => None,
        Some(Split::Median(_)) => Some(SurvivalSplit::Median),
        Some(Split::At(n, at)) => Some(SurvivalSplit::At(number(n, *at)?)),
        Some(Split::Quantiles(n, at)) => {
            let k = number(n, *at)?;
            if !(2.0..=10.0).contains(&k) || k.fract() != 0.0 {
                return Err(ResolveError::InvalidArgument {
                    message: "QUANTILES takes a whole number of groups from 2 to 10".into(),
                    span: *at,
                });
            }
            Some(SurvivalSplit::Quantiles(k as usize))
        }
    };
    let at =
        s.at.iter()
            .map(|(t, sp)| number(t, *sp))
            .collect::<Result<Vec<_>, _>>()?;
    Ok(BoundSurvival {
        query: rows_of(snapshot, &s.source, items, span)?,
        curve: s.curve,
        test: s.test,
        split,
        at,
        statement: s.to_string(),
        time: time.to_string(),
        event: event.to_string(),
        by: s.by.as_ref().map(|b| b.to_string()),
    })
}

/// `COX …` as the query of its rows: `SELECT time, event, term AS x1, … FROM source`.
pub(super) fn bind_cox(
    snapshot: &Snapshot,
    c: &crate::syntax::Cox,
) -> Result<bound::BoundCox, ResolveError> {
    let span = c.span;
    let name = |n: &str| Ident {
        name: n.into(),
        quoted: false,
        span,
    };
    let column = |n: &str| Expr::Column {
        table: None,
        column: name(n),
    };
    let time = c.time.clone().unwrap_or_else(|| column("os_days"));
    let event = c.event.clone().unwrap_or_else(|| column("os_event"));
    let mut items = vec![
        SelectItem::Expr {
            expr: time.clone(),
            alias: Some(name("time")),
        },
        SelectItem::Expr {
            expr: event.clone(),
            alias: Some(name("event")),
        },
    ];
    for (k, term) in c.terms.iter().enumerate() {
        items.push(SelectItem::Expr {
            expr: term.clone(),
            alias: Some(name(&format!("x{}", k + 1))),
        });
    }
    Ok(bound::BoundCox {
        test: c.test,
        query: rows_of(snapshot, &c.source, items, span)?,
        terms: c.terms.iter().map(|t| t.to_string()).collect(),
        time: time.to_string(),
        event: event.to_string(),
    })
}

/// `CORRELATE x WITH y [IN source] [METHOD m] [ADJUST a]`: the variables of each side, and
/// the query of the source's subjects with the computed variables (`SELECT subject_id, e1 AS
/// v1, … FROM source`). Columns named by a pattern are read straight from the store by
/// subject, so a map over 20,000 genes never plans a 20,000-column query.
pub(super) fn bind_correlate(
    snapshot: &Snapshot,
    c: &Correlate,
) -> Result<BoundCorrelate, ResolveError> {
    let span = c.span;
    let name = |n: &str| Ident {
        name: n.into(),
        quoted: false,
        span,
    };
    let source = c.source.clone().unwrap_or_else(|| name("subjects"));
    let mut scope = Scope::new(snapshot)?;
    scope.set_base(&Source::Named(source.clone()))?;
    if let Base::Table { table, .. } = &scope.base
        && table.level != Level::Subject
    {
        return Err(ResolveError::InvalidArgument {
            message: format!(
                "`{}` has several rows per subject; CORRELATE … IN takes subjects, a cohort or a table with one row per subject",
                table.name
            ),
            span: source.span,
        });
    }
    let method = correlate_method(c)?;
    let adjust = correlate_adjust(c)?;
    let mut computed = vec![SelectItem::Expr {
        expr: Expr::Column {
            table: None,
            column: name(SUBJECT_COLUMN),
        },
        alias: None,
    }];
    let mut skipped = Vec::new();
    let x = variables(&mut scope, &c.x, &mut computed, &mut skipped)?;
    let y = variables(&mut scope, &c.y, &mut computed, &mut skipped)?;
    for (side, items) in [(&x, &c.x), (&y, &c.y)] {
        if side.is_empty() {
            let first = items.first().map_or(span, SelectItem::span);
            let last = items.last().map_or(span, SelectItem::span);
            return Err(ResolveError::InvalidArgument {
                message: "no numeric column to correlate here".into(),
                span: first.to(last),
            });
        }
    }
    Ok(BoundCorrelate {
        query: rows_of(snapshot, &source, computed, span)?,
        x,
        y,
        method,
        adjust,
        source: source.name.to_ascii_lowercase(),
        skipped,
        statement: c.to_string(),
    })
}

/// `METHOD spearman | pearson` (Spearman without it).
fn correlate_method(c: &Correlate) -> Result<Method, ResolveError> {
    Ok(
        match c.method.as_ref().map(|m| m.name.to_ascii_lowercase()) {
            None => Method::Spearman,
            Some(m) if m == "spearman" => Method::Spearman,
            Some(m) if m == "pearson" => Method::Pearson,
            Some(_) => {
                return Err(choice("METHOD", "spearman, pearson", c.method.as_ref()));
            }
        },
    )
}

/// `ADJUST bh | fdr | by | bonferroni | none` (Benjamini–Hochberg without it).
fn correlate_adjust(c: &Correlate) -> Result<Adjust, ResolveError> {
    Ok(
        match c.adjust.as_ref().map(|m| m.name.to_ascii_lowercase()) {
            None => Adjust::Bh,
            Some(a) => match a.as_str() {
                "bh" | "fdr" => Adjust::Bh,
                "by" => Adjust::By,
                "bonferroni" => Adjust::Bonferroni,
                "none" => Adjust::None,
                _ => {
                    return Err(choice(
                        "ADJUST",
                        "bh, by, bonferroni, none",
                        c.adjust.as_ref(),
                    ));
                }
            },
        },
    )
}

fn choice(keyword: &str, choices: &str, given: Option<&Ident>) -> ResolveError {
    let given = given.expect("only called for a given option");
    ResolveError::InvalidArgument {
        message: format!("{keyword} `{}` is not one of {choices}", given.name),
        span: given.span,
    }
}

fn is_numeric(ty: ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Int64 | ColumnType::Float64 | ColumnType::Boolean
    )
}

/// The variables of one side: the numeric columns each pattern matches (others are listed in
/// `skipped`), and each expression as a computed column of the rows query.
fn variables(
    scope: &mut Scope<'_>,
    items: &[SelectItem],
    computed: &mut Vec<SelectItem>,
    skipped: &mut Vec<String>,
) -> Result<Vec<Variable>, ResolveError> {
    let mut out = Vec::new();
    for item in items {
        match item {
            SelectItem::Pattern {
                table,
                pattern,
                except,
                span,
            } => {
                for (table, column) in
                    super::select::expand(scope, table.as_ref(), pattern, except, *span)?
                {
                    out.extend(pattern_variable(table, column, *span, skipped)?);
                }
            }
            SelectItem::Expr { expr, alias } => {
                out.push(expr_variable(scope, expr, alias.as_ref(), computed)?);
            }
        }
    }
    Ok(out)
}

/// A column a pattern matched: a variable when it is numeric (else listed in `skipped`); a
/// column of a several-rows table is refused.
fn pattern_variable(
    table: TableMeta,
    column: ColumnMeta,
    span: crate::syntax::Span,
    skipped: &mut Vec<String>,
) -> Result<Option<Variable>, ResolveError> {
    let name = format!("{}.{}", table.name, column.name);
    if !is_numeric(column.ty) {
        skipped.push(name);
        return Ok(None);
    }
    if table.level != Level::Subject {
        return Err(ResolveError::FanOut {
            table: table.name,
            column: column.name,
            span,
        });
    }
    Ok(Some(stored_variable(name, table, column)))
}

/// A variable read from the store by subject.
fn stored_variable(name: String, table: TableMeta, column: ColumnMeta) -> Variable {
    Variable {
        name,
        from: VariableSource::Stored {
            table: Box::new(table),
            column,
        },
    }
}

/// An expression of one side: a stored column when it names one of a one-row-per-subject
/// table, else a computed column `v<k>` added to the rows query.
fn expr_variable(
    scope: &mut Scope<'_>,
    expr: &Expr,
    alias: Option<&Ident>,
    computed: &mut Vec<SelectItem>,
) -> Result<Variable, ResolveError> {
    let (bound, ty) = bind(scope, expr, Clause::Select)?;
    if !(ty.is_numeric() || matches!(ty, Type::Boolean | Type::Null | Type::Unknown)) {
        return Err(ResolveError::TypeMismatch {
            message: format!("CORRELATE needs numbers, and this is {}", ty.name()),
            span: expr.span(),
        });
    }
    let stored = match (expr, &bound) {
        (
            Expr::Column { .. },
            BExpr::Column {
                relation, column, ..
            },
        ) => stored_column(scope, relation, column)?,
        _ => None,
    };
    if let Some((table, column)) = stored {
        let name = alias.map_or_else(
            || format!("{}.{}", table.name, column.name),
            |a| a.name.clone(),
        );
        return Ok(stored_variable(name, table, column));
    }
    let k = computed.len();
    computed.push(SelectItem::Expr {
        expr: expr.clone(),
        alias: Some(Ident {
            name: format!("v{k}"),
            quoted: false,
            span: expr.span(),
        }),
    });
    Ok(Variable {
        name: alias.map_or_else(|| expr.to_string(), |a| a.name.clone()),
        from: VariableSource::Computed(k),
    })
}

/// The stored column a bound column reference reads, when it is a column of a
/// one-row-per-subject table (read from the store by subject, like a pattern's columns).
fn stored_column(
    scope: &Scope<'_>,
    relation: &str,
    column: &str,
) -> Result<Option<(TableMeta, ColumnMeta)>, ResolveError> {
    let Some(table) = scope.table(relation).filter(|t| t.level == Level::Subject) else {
        return Ok(None);
    };
    let found = scope
        .snapshot
        .find_columns(table, column)?
        .into_iter()
        .find(|c| c.name == column && c.ordinal != 0);
    Ok(found.map(|c| (table.clone(), c)))
}

/// `PLOT analysis TO 'file' [OVERWRITE]`: Kaplan–Meier curves of a `SURVIVAL`, or the
/// heatmap of a `CORRELATE`'s strongest pairs, as `.svg` or `.png`.
pub(super) fn bind_plot(
    snapshot: &Snapshot,
    p: &crate::syntax::Plot,
) -> Result<bound::BoundPlot, ResolveError> {
    let analysis = super::resolve(&p.analysis, snapshot)?;
    if !matches!(analysis, Bound::Survival(_) | Bound::Correlate(_)) {
        return Err(ResolveError::InvalidArgument {
            message: "PLOT draws SURVIVAL (Kaplan–Meier curves) and CORRELATE (a heatmap); a COX result is a table".into(),
            span: p.analysis.span(),
        });
    }
    let format =
        crate::plot::Format::from_path(std::path::Path::new(&p.path.value)).ok_or_else(|| {
            ResolveError::InvalidArgument {
                message: format!(
                    "a plot is written as .svg or .png, and `{}` is neither",
                    p.path.value
                ),
                span: p.path.span,
            }
        })?;
    Ok(bound::BoundPlot {
        analysis,
        path: p.path.value.clone(),
        format,
        overwrite: p.overwrite,
    })
}

/// What `FROM (analysis)` is called and what its rows look like, or `None` for statements
/// that are not analyses.
pub fn analysis_schema(bound: &Bound) -> Option<(&'static str, SchemaRef)> {
    match bound {
        Bound::Survival(s) => Some(("survival", s.schema())),
        Bound::Cox(c) => Some(("cox", c.schema())),
        Bound::Correlate(c) => Some(("correlate", c.schema())),
        _ => None,
    }
}

fn schema(fields: Vec<(String, DataType, bool)>) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .into_iter()
            .map(|(name, ty, nullable)| Field::new(name, ty, nullable))
            .collect::<Vec<_>>(),
    ))
}

fn fields(spec: &[(&str, DataType, bool)]) -> Vec<(String, DataType, bool)> {
    spec.iter()
        .map(|(n, t, null)| (n.to_string(), t.clone(), *null))
        .collect()
}

impl BoundSurvival {
    /// The group summary (`stratum, n, events, expected, median, median_lower, median_upper,
    /// survival_at_<t>…`), with `CURVE` the curve rows, with `TEST` the test's one row.
    pub fn schema(&self) -> SchemaRef {
        use DataType::{Float64, Int64, Utf8};
        if self.test {
            return Self::test_schema();
        }
        if self.curve {
            return schema(fields(&[
                ("stratum", Utf8, false),
                ("time", Float64, false),
                ("at_risk", Int64, false),
                ("events", Int64, false),
                ("censored", Int64, false),
                ("survival", Float64, false),
                ("std_err", Float64, false),
                ("lower", Float64, false),
                ("upper", Float64, false),
            ]));
        }
        let mut spec = fields(&[
            ("stratum", Utf8, false),
            ("n", Int64, false),
            ("events", Int64, false),
            ("expected", Float64, true),
            ("median", Float64, true),
            ("median_lower", Float64, true),
            ("median_upper", Float64, true),
        ]);
        spec.extend(
            self.at
                .iter()
                .map(|t| (format!("survival_at_{t}"), Float64, false)),
        );
        schema(spec)
    }
}

impl BoundCox {
    /// One row per coefficient; `warning` is NULL but for a coefficient that diverges. With
    /// `TEST`, the model's one row.
    pub fn schema(&self) -> SchemaRef {
        if self.test {
            return Self::test_schema();
        }
        Self::terms_schema()
    }

    /// The terms' table: one row per coefficient.
    pub fn terms_schema() -> SchemaRef {
        use DataType::{Float64, Utf8};
        schema(fields(&[
            ("term", Utf8, false),
            ("coef", Float64, false),
            ("hr", Float64, false),
            ("se", Float64, false),
            ("hr_lower", Float64, false),
            ("hr_upper", Float64, false),
            ("z", Float64, false),
            ("p", Float64, false),
            ("warning", Utf8, true),
        ]))
    }
}

impl BoundSurvival {
    /// `SURVIVAL TEST`'s row, and the test table every `SURVIVAL` result carries: the
    /// log-rank test across the groups (`chisq`, `df` and `p` are NULL when it cannot be
    /// computed, and `note` says why), the groups compared, and the rows used and dropped.
    pub fn test_schema() -> SchemaRef {
        use DataType::{Float64, Int64, Utf8};
        schema(fields(&[
            ("test", Utf8, false),
            ("chisq", Float64, true),
            ("df", Int64, true),
            ("p", Float64, true),
            ("groups", Int64, false),
            ("n", Int64, false),
            ("events", Int64, false),
            ("dropped", Int64, false),
            ("note", Utf8, true),
        ]))
    }
}

impl BoundCox {
    /// `COX TEST`'s row, and the test table every `COX` result carries: rows used and
    /// dropped, the likelihood-ratio, Wald and score tests of all coefficients being 0 (as R's
    /// `summary.coxph`), the concordance (Harrell's C) and the log partial likelihoods.
    pub fn test_schema() -> SchemaRef {
        use DataType::{Float64, Int64};
        schema(fields(&[
            ("n", Int64, false),
            ("events", Int64, false),
            ("dropped", Int64, false),
            ("lr_chisq", Float64, false),
            ("lr_df", Int64, false),
            ("lr_p", Float64, false),
            ("wald_chisq", Float64, false),
            ("wald_df", Int64, false),
            ("wald_p", Float64, false),
            ("score_chisq", Float64, false),
            ("score_df", Int64, false),
            ("score_p", Float64, false),
            ("concordance", Float64, false),
            ("log_likelihood", Float64, false),
            ("null_log_likelihood", Float64, false),
            ("iterations", Int64, false),
        ]))
    }
}

impl BoundCorrelate {
    /// One row per pair: `x, y, n, r, p, q, log10_p, log10_q` (r is Spearman's rho under
    /// `METHOD spearman`; p and q are at least `f64::MIN_POSITIVE`, their logarithms exact).
    pub fn schema(&self) -> SchemaRef {
        use DataType::{Float64, Int64, Utf8};
        schema(fields(&[
            ("x", Utf8, false),
            ("y", Utf8, false),
            ("n", Int64, false),
            ("r", Float64, true),
            ("p", Float64, true),
            ("q", Float64, true),
            ("log10_p", Float64, true),
            ("log10_q", Float64, true),
        ]))
    }
}
