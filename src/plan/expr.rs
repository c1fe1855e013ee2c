//! Bound expressions to DataFusion expressions.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, ScalarValue};
use datafusion::functions::core::expr_fn as core_fn;
use datafusion::functions::datetime::expr_fn as date_fn;
use datafusion::functions::math::expr_fn as math;
use datafusion::functions::string::expr_fn as string;
use datafusion::functions::unicode::expr_fn as unicode;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::{Case, Like};
use datafusion::logical_expr::{Between, Expr, Operator, binary_expr, cast, lit, placeholder};

use crate::resolve::{AggFn, BExpr, ScalarFn, Type, Value};
use crate::storage::SUBJECT_COLUMN;
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
pub fn to_df(e: &BExpr) -> Expr {
    match e {
        BExpr::Column {
            relation,
            column: c,
            ..
        } => column(relation, c),
        BExpr::Literal(v) => literal(v),
        BExpr::Param(name) => placeholder(format!("${name}")),
        BExpr::Unary { op, expr } => match op {
            UnaryOp::Not => Expr::Not(Box::new(to_df(expr))),
            UnaryOp::Minus => Expr::Negative(Box::new(to_df(expr))),
        },
        BExpr::Binary { left, op, right } => {
            let (l, r) = (to_df(left), to_df(right));
            if *op == BinaryOp::Divide {
                binary_expr(float(l), Operator::Divide, float(r))
            } else {
                binary_expr(l, operator(*op), r)
            }
        }
        BExpr::DateDiff { left, right } => cast(
            binary_expr(days(to_df(left)), Operator::Minus, days(to_df(right))),
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
                binary_expr(days(to_df(date)), op, days(to_df(n))),
                DataType::Date32,
            )
        }
        BExpr::IsNull { expr, negated } => {
            let e = to_df(expr);
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
        } => to_df(expr).in_list(list.iter().map(to_df).collect(), *negated),
        BExpr::Between {
            expr,
            low,
            high,
            negated,
        } => Expr::Between(Between::new(
            Box::new(to_df(expr)),
            *negated,
            Box::new(to_df(low)),
            Box::new(to_df(high)),
        )),
        BExpr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => Expr::Like(Like::new(
            *negated,
            Box::new(to_df(expr)),
            Box::new(to_df(pattern)),
            None,
            *case_insensitive,
        )),
        BExpr::Case {
            operand,
            whens,
            otherwise,
        } => Expr::Case(Case::new(
            operand.as_ref().map(|o| Box::new(to_df(o))),
            whens
                .iter()
                .map(|(w, t)| (Box::new(to_df(w)), Box::new(to_df(t))))
                .collect(),
            otherwise.as_ref().map(|o| Box::new(to_df(o))),
        )),
        BExpr::Cast { expr, ty } => cast(to_df(expr), data_type(*ty)),
        BExpr::Scalar { func, args } => scalar(*func, args.iter().map(to_df).collect()),
        BExpr::Aggregate {
            func,
            args,
            distinct,
            arg_type,
        } => aggregate(*func, args, *distinct, *arg_type),
        BExpr::Exists { relation } => column(relation, SUBJECT_COLUMN).is_not_null(),
    }
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

fn aggregate(func: AggFn, args: &[BExpr], distinct: bool, arg_type: Type) -> Expr {
    let Some(first) = args.first() else {
        return datafusion::functions_aggregate::count::count_all();
    };
    let value = to_df(first);
    let numeric = || match arg_type {
        Type::Float => float(value.clone()),
        _ => cast(value.clone(), DataType::Int64),
    };
    match func {
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
            let key = args
                .get(1)
                .map(to_df)
                .unwrap_or_else(|| lit(ScalarValue::Null));
            // The row with the largest (smallest) key; rows without a key come last.
            let order = key.sort(func == AggFn::ArgMin, false);
            agg::first_value(value, vec![order])
        }
        AggFn::BoolOr => agg::bool_or(value),
        AggFn::BoolAnd => agg::bool_and(value),
        AggFn::Percentile => {
            let p = args.get(1).map(to_df).unwrap_or_else(|| lit(0.5));
            agg::percentile_cont(float(value).sort(true, false), float(p))
        }
    }
}
