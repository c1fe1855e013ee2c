//! Bound expressions to DataFusion expressions.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, ScalarValue};
use datafusion::functions::core::expr_fn as core_fn;
use datafusion::functions::datetime::expr_fn as date_fn;
use datafusion::functions::math::expr_fn as math;
use datafusion::functions::string::expr_fn as string;
use datafusion::functions::unicode::expr_fn as unicode;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::functions_window::expr_fn as window_fn;
use datafusion::logical_expr::expr::{Case, InSubquery, Like};
use datafusion::logical_expr::{Between, Expr, Operator, binary_expr, cast, lit, placeholder};
use datafusion::logical_expr::{ExprFunctionExt, Subquery};

use super::PlanError;
use crate::resolve::{AggFn, BExpr, ScalarFn, Type, Value, WindowFn, WindowOrder};
use crate::storage::SUBJECT_COLUMN;
use crate::storage::Snapshot;
use crate::syntax::{BinaryOp, UnaryOp};

/// The Arrow type of a bound type.
pub fn data_type(ty: Type) -> DataType {
    match ty {
        Type::Boolean => DataType::Boolean,
        Type::Integer => DataType::Int64,
        Type::Float => DataType::Float64,
        Type::Text => DataType::Utf8,
        Type::Date => DataType::Date32,
        // UTC, with no zone attached: what DataFusion's `now()` returns by default.
        Type::Timestamp => {
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None)
        }
        Type::TextList => crate::storage::ColumnType::TextList.arrow_type(),
        Type::Null | Type::Unknown => DataType::Null,
    }
}

/// `relation.column`, without parsing dots in either part.
pub fn column(relation: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(relation.to_string()), name))
}

/// An output column by its (unqualified) name.
pub fn output(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

fn literal(value: &Value) -> Expr {
    lit(match value {
        Value::Integer(i) => ScalarValue::Int64(Some(*i)),
        Value::Float(f) => ScalarValue::Float64(Some(*f)),
        Value::Text(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Boolean(b) => ScalarValue::Boolean(Some(*b)),
        Value::Date(d) => ScalarValue::Date32(Some(*d)),
        Value::Null => ScalarValue::Null,
    })
}

fn operator(op: BinaryOp) -> Operator {
    match op {
        BinaryOp::Or => Operator::Or,
        BinaryOp::And => Operator::And,
        BinaryOp::Eq => Operator::Eq,
        BinaryOp::NotEq => Operator::NotEq,
        BinaryOp::Lt => Operator::Lt,
        BinaryOp::LtEq => Operator::LtEq,
        BinaryOp::Gt => Operator::Gt,
        BinaryOp::GtEq => Operator::GtEq,
        BinaryOp::Plus => Operator::Plus,
        BinaryOp::Minus => Operator::Minus,
        BinaryOp::Multiply => Operator::Multiply,
        BinaryOp::Divide => Operator::Divide,
        BinaryOp::Modulo => Operator::Modulo,
    }
}

fn float(e: Expr) -> Expr {
    cast(e, DataType::Float64)
}

fn days(e: Expr) -> Expr {
    cast(e, DataType::Int32)
}

/// Converts one bound expression.
pub fn to_df(e: &BExpr, snapshot: &Snapshot) -> Result<Expr, PlanError> {
    let df = |e: &BExpr| to_df(e, snapshot);
    Ok(match e {
        BExpr::Column {
            relation,
            column: c,
            ..
        } => column(relation, c),
        BExpr::Literal(v) => literal(v),
        BExpr::Param(name) => placeholder(format!("${name}")),
        BExpr::Unary { op, expr } => match op {
            UnaryOp::Not => Expr::Not(Box::new(df(expr)?)),
            UnaryOp::Minus => Expr::Negative(Box::new(df(expr)?)),
        },
        BExpr::Binary { left, op, right } => {
            let (l, r) = (df(left)?, df(right)?);
            if *op == BinaryOp::Divide {
                binary_expr(float(l), Operator::Divide, float(r))
            } else {
                binary_expr(l, operator(*op), r)
            }
        }
        BExpr::DateDiff { .. } | BExpr::DateShift { .. } => date(e, snapshot)?,
        BExpr::IsNull { .. }
        | BExpr::InList { .. }
        | BExpr::Between { .. }
        | BExpr::Like { .. } => test(e, snapshot)?,
        BExpr::Case {
            operand,
            whens,
            otherwise,
        } => Expr::Case(Case::new(
            operand.as_deref().map(df).transpose()?.map(Box::new),
            whens
                .iter()
                .map(|(w, t)| Ok((Box::new(df(w)?), Box::new(df(t)?))))
                .collect::<Result<Vec<_>, PlanError>>()?,
            otherwise.as_deref().map(df).transpose()?.map(Box::new),
        )),
        BExpr::Cast { expr, ty } => cast(df(expr)?, data_type(*ty)),
        BExpr::Scalar { func, args } => {
            scalar(*func, args.iter().map(df).collect::<Result<Vec<_>, _>>()?)
        }
        BExpr::Aggregate {
            func,
            args,
            distinct,
            arg_type,
        } => aggregate(*func, args, *distinct, *arg_type, snapshot)?,
        BExpr::Exists { relation } => column(relation, SUBJECT_COLUMN).is_not_null(),
        BExpr::Window {
            func,
            args,
            arg_type,
            partition_by,
            order_by,
        } => window(*func, args, *arg_type, partition_by, order_by, snapshot)?,
        BExpr::InSubquery {
            expr,
            query,
            negated,
        } => Expr::InSubquery(InSubquery::new(
            Box::new(df(expr)?),
            subquery(query, snapshot)?,
            *negated,
        )),
        BExpr::Subquery(query) => Expr::ScalarSubquery(subquery(query, snapshot)?),
    })
}

/// Date arithmetic: the days between two dates, or a date moved by a number of days.
fn date(e: &BExpr, snapshot: &Snapshot) -> Result<Expr, PlanError> {
    let df = |e: &BExpr| to_df(e, snapshot);
    Ok(match e {
        BExpr::DateDiff { left, right } => cast(
            binary_expr(days(df(left)?), Operator::Minus, days(df(right)?)),
            DataType::Int64,
        ),
        BExpr::DateShift {
            date,
            days: n,
            subtract,
        } => {
            let op = if *subtract {
                Operator::Minus
            } else {
                Operator::Plus
            };
            cast(
                binary_expr(days(df(date)?), op, days(df(n)?)),
                DataType::Date32,
            )
        }
        other => to_df(other, snapshot)?,
    })
}

/// The tests of a value: `IS [NOT] NULL`, `[NOT] IN (list)`, `[NOT] BETWEEN`, `[NOT] LIKE`.
fn test(e: &BExpr, snapshot: &Snapshot) -> Result<Expr, PlanError> {
    let df = |e: &BExpr| to_df(e, snapshot);
    Ok(match e {
        BExpr::IsNull { expr, negated } => {
            let e = df(expr)?;
            if *negated {
                e.is_not_null()
            } else {
                e.is_null()
            }
        }
        BExpr::InList {
            expr,
            list,
            negated,
        } => df(expr)?.in_list(
            list.iter().map(df).collect::<Result<Vec<_>, _>>()?,
            *negated,
        ),
        BExpr::Between {
            expr,
            low,
            high,
            negated,
        } => Expr::Between(Between::new(
            Box::new(df(expr)?),
            *negated,
            Box::new(df(low)?),
            Box::new(df(high)?),
        )),
        BExpr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => Expr::Like(Like::new(
            *negated,
            Box::new(df(expr)?),
            Box::new(df(pattern)?),
            None,
            *case_insensitive,
        )),
        other => to_df(other, snapshot)?,
    })
}

/// A query inside an expression, planned over the same snapshot (uncorrelated: it reads no
/// column of the query around it).
fn subquery(
    query: &crate::resolve::BoundQuery,
    snapshot: &Snapshot,
) -> Result<Subquery, PlanError> {
    Ok(Subquery {
        subquery: std::sync::Arc::new(super::select::query_to_plan(query, snapshot)?),
        outer_ref_columns: Vec::new(),
        spans: Default::default(),
    })
}

/// A window function with its partition and order.
fn window(
    func: WindowFn,
    args: &[BExpr],
    arg_type: Type,
    partition_by: &[BExpr],
    order_by: &[WindowOrder],
    snapshot: &Snapshot,
) -> Result<Expr, PlanError> {
    let df = |e: &BExpr| to_df(e, snapshot);
    let values = args.iter().map(df).collect::<Result<Vec<_>, _>>()?;
    let first = || {
        values
            .first()
            .cloned()
            .unwrap_or_else(|| lit(ScalarValue::Null))
    };
    let base = match func {
        WindowFn::RowNumber => window_fn::row_number(),
        WindowFn::Rank => window_fn::rank(),
        WindowFn::DenseRank => window_fn::dense_rank(),
        WindowFn::PercentRank => window_fn::percent_rank(),
        WindowFn::CumeDist => window_fn::cume_dist(),
        WindowFn::Ntile => window_fn::ntile(cast(first(), DataType::Int64)),
        WindowFn::Lag | WindowFn::Lead => {
            // DataFusion reads a missing offset as 0 (the row itself): say 1, as SQL does.
            let offset = Some(match values.get(1) {
                Some(Expr::Literal(ScalarValue::Int64(Some(n)), _)) => *n,
                _ => 1,
            });
            let default = values.get(2).and_then(|d| match d {
                Expr::Literal(v, _) => Some(v.clone()),
                _ => None,
            });
            if func == WindowFn::Lag {
                window_fn::lag(first(), offset, default)
            } else {
                window_fn::lead(first(), offset, default)
            }
        }
        WindowFn::FirstValue => window_fn::first_value(first()),
        WindowFn::LastValue => window_fn::last_value(first()),
        WindowFn::Aggregate(a) => match aggregate(a, args, false, arg_type, snapshot)? {
            Expr::AggregateFunction(f) => Expr::from(
                datafusion::logical_expr::expr::WindowFunction::new(f.func, f.params.args),
            ),
            other => other,
        },
    };
    let partition_by = partition_by.iter().map(df).collect::<Result<Vec<_>, _>>()?;
    let order_by = order_by
        .iter()
        .map(|o| Ok(df(&o.expr)?.sort(!o.descending, o.nulls_first.unwrap_or(o.descending))))
        .collect::<Result<Vec<_>, PlanError>>()?;
    let mut window = base.partition_by(partition_by);
    // An empty ORDER BY is refused by DataFusion; without one the frame is the partition.
    if !order_by.is_empty() {
        window = window.order_by(order_by);
    }
    Ok(window.build()?)
}

fn scalar(func: ScalarFn, mut args: Vec<Expr>) -> Expr {
    let first = if args.is_empty() {
        lit(ScalarValue::Null)
    } else {
        args[0].clone()
    };
    match func {
        ScalarFn::Coalesce => core_fn::coalesce(args),
        ScalarFn::Lower => string::lower(first),
        ScalarFn::Upper => string::upper(first),
        ScalarFn::Abs => math::abs(first),
        ScalarFn::Round => {
            args[0] = float(first);
            math::round(args)
        }
        ScalarFn::Sqrt => math::sqrt(float(first)),
        ScalarFn::Ln => math::ln(float(first)),
        ScalarFn::Log2 => math::log2(float(first)),
        ScalarFn::Log10 => math::log10(float(first)),
        ScalarFn::Exp => math::exp(float(first)),
        ScalarFn::Length => cast(unicode::character_length(first), DataType::Int64),
        ScalarFn::Year => cast(date_fn::date_part(lit("year"), first), DataType::Int64),
        ScalarFn::Now => date_fn::now(),
        ScalarFn::Contains => {
            let value = args
                .get(1)
                .cloned()
                .unwrap_or_else(|| lit(ScalarValue::Null));
            datafusion_functions_nested::expr_fn::array_has(first, value)
        }
        ScalarFn::AnyOf => args[1..]
            .iter()
            .map(|v| datafusion_functions_nested::expr_fn::array_has(first.clone(), v.clone()))
            .reduce(Expr::or)
            .unwrap_or_else(|| lit(false)),
    }
}

fn aggregate(
    func: AggFn,
    args: &[BExpr],
    distinct: bool,
    arg_type: Type,
    snapshot: &Snapshot,
) -> Result<Expr, PlanError> {
    let df = |e: &BExpr| to_df(e, snapshot);
    let Some(first) = args.first() else {
        return Ok(datafusion::functions_aggregate::count::count_all());
    };
    let value = df(first)?;
    let numeric = || match arg_type {
        Type::Float => float(value.clone()),
        _ => cast(value.clone(), DataType::Int64),
    };
    Ok(match func {
        AggFn::Count if distinct => agg::count_distinct(value),
        AggFn::Count => agg::count(value),
        AggFn::Sum if distinct => agg::sum_distinct(numeric()),
        AggFn::Sum => agg::sum(numeric()),
        AggFn::Avg if distinct => agg::avg_distinct(float(value)),
        AggFn::Avg => agg::avg(float(value)),
        AggFn::Min => agg::min(value),
        AggFn::Max => agg::max(value),
        AggFn::Median => agg::median(float(value)),
        AggFn::Stddev => agg::stddev(float(value)),
        AggFn::ArgMax | AggFn::ArgMin => {
            let key = match args.get(1) {
                Some(k) => df(k)?,
                None => lit(ScalarValue::Null),
            };
            // The row with the largest (smallest) key; rows without a key come last.
            let order = key.sort(func == AggFn::ArgMin, false);
            agg::first_value(value, vec![order])
        }
        AggFn::BoolOr => agg::bool_or(value),
        AggFn::BoolAnd => agg::bool_and(value),
        AggFn::Percentile => {
            let p = match args.get(1) {
                Some(p) => df(p)?,
                None => lit(0.5),
            };
            agg::percentile_cont(float(value).sort(true, false), float(p))
        }
        AggFn::StddevPop => agg::stddev_pop(float(value)),
        AggFn::Variance => agg::var_sample(float(value)),
        AggFn::VarPop => agg::var_pop(float(value)),
        AggFn::ArrayAgg => cast(
            agg::array_agg(cast(value, DataType::Utf8)),
            data_type(Type::TextList),
        ),
        AggFn::StringAgg => {
            let separator = match args.get(1) {
                Some(s) => df(s)?,
                None => lit(","),
            };
            datafusion::functions_aggregate::string_agg::string_agg(
                cast(value, DataType::Utf8),
                separator,
            )
        }
    })
}
