//! Bound expressions: their types, literal values, functions and window functions.

use super::BoundQuery;
use crate::syntax::{BinaryOp, UnaryOp};

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
