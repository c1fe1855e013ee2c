//! The functions the language knows: their names, arities and result types.

use super::bound::{AggFn, ScalarFn, Type, WindowFn};

/// A function by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Scalar(ScalarFn),
    Aggregate(AggFn),
    /// `has(table)`.
    Has,
}

/// Every name, for lookups and "did you mean".
pub const NAMES: &[(&str, Function)] = &[
    ("count", Function::Aggregate(AggFn::Count)),
    ("sum", Function::Aggregate(AggFn::Sum)),
    ("avg", Function::Aggregate(AggFn::Avg)),
    ("mean", Function::Aggregate(AggFn::Avg)),
    ("min", Function::Aggregate(AggFn::Min)),
    ("max", Function::Aggregate(AggFn::Max)),
    ("median", Function::Aggregate(AggFn::Median)),
    ("stddev", Function::Aggregate(AggFn::Stddev)),
    ("stddev_samp", Function::Aggregate(AggFn::Stddev)),
    ("stddev_pop", Function::Aggregate(AggFn::StddevPop)),
    ("variance", Function::Aggregate(AggFn::Variance)),
    ("var_samp", Function::Aggregate(AggFn::Variance)),
    ("var_pop", Function::Aggregate(AggFn::VarPop)),
    ("array_agg", Function::Aggregate(AggFn::ArrayAgg)),
    ("list", Function::Aggregate(AggFn::ArrayAgg)),
    ("string_agg", Function::Aggregate(AggFn::StringAgg)),
    ("percentile", Function::Aggregate(AggFn::Percentile)),
    ("coalesce", Function::Scalar(ScalarFn::Coalesce)),
    ("lower", Function::Scalar(ScalarFn::Lower)),
    ("upper", Function::Scalar(ScalarFn::Upper)),
    ("abs", Function::Scalar(ScalarFn::Abs)),
    ("round", Function::Scalar(ScalarFn::Round)),
    ("sqrt", Function::Scalar(ScalarFn::Sqrt)),
    ("ln", Function::Scalar(ScalarFn::Ln)),
    ("log2", Function::Scalar(ScalarFn::Log2)),
    ("log10", Function::Scalar(ScalarFn::Log10)),
    ("exp", Function::Scalar(ScalarFn::Exp)),
    ("length", Function::Scalar(ScalarFn::Length)),
    ("year", Function::Scalar(ScalarFn::Year)),
    ("now", Function::Scalar(ScalarFn::Now)),
    ("contains", Function::Scalar(ScalarFn::Contains)),
    ("any", Function::Scalar(ScalarFn::AnyOf)),
    ("arg_max", Function::Aggregate(AggFn::ArgMax)),
    ("arg_min", Function::Aggregate(AggFn::ArgMin)),
    ("bool_or", Function::Aggregate(AggFn::BoolOr)),
    ("bool_and", Function::Aggregate(AggFn::BoolAnd)),
    ("every", Function::Aggregate(AggFn::BoolAnd)),
    ("has", Function::Has),
];

/// The function called `name` (case-insensitive).
pub fn lookup(name: &str) -> Option<Function> {
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f)| *f)
}

/// Allowed argument counts, as `(min, max)`, and how to say them.
pub fn arity(f: Function) -> (usize, usize, &'static str) {
    match f {
        Function::Aggregate(AggFn::Count) => (0, 1, "one argument or `*`"),
        Function::Aggregate(AggFn::Percentile) => (2, 2, "two arguments (value, fraction)"),
        Function::Aggregate(AggFn::StringAgg) => (1, 2, "one or two arguments (value, separator)"),
        Function::Aggregate(AggFn::ArgMax | AggFn::ArgMin) => (
            2,
            2,
            "two arguments (value, key), e.g. arg_max(semantic.nodule_shape, semantic.length)",
        ),
        Function::Aggregate(_) => (1, 1, "one argument"),
        Function::Scalar(ScalarFn::Coalesce) => (1, usize::MAX, "one or more arguments"),
        Function::Scalar(ScalarFn::Round) => (1, 2, "one or two arguments"),
        Function::Scalar(ScalarFn::Contains) => (2, 2, "two arguments (list, value)"),
        Function::Scalar(ScalarFn::AnyOf) => (2, usize::MAX, "a list and one or more values"),
        Function::Scalar(ScalarFn::Now) => (0, 0, "no argument"),
        Function::Scalar(_) => (1, 1, "one argument"),
        Function::Has => (1, 1, "one table name"),
    }
}

/// The result type of a scalar function over arguments of these types, or why not.
pub fn scalar_type(f: ScalarFn, args: &[Type]) -> Result<Type, String> {
    let first = args.first().copied().unwrap_or(Type::Null);
    let numeric = |name: &str| {
        if first.is_numeric() {
            Ok(())
        } else {
            Err(format!("`{name}` needs a number, not {}", first.name()))
        }
    };
    let text = |name: &str| {
        if matches!(first, Type::Text | Type::Null | Type::Unknown) {
            Ok(())
        } else {
            Err(format!("`{name}` needs text, not {}", first.name()))
        }
    };
    match f {
        ScalarFn::Coalesce => common_type(args).ok_or_else(|| {
            let names: Vec<_> = args.iter().map(|t| t.name()).collect();
            format!(
                "`coalesce` needs arguments of one type, not {}",
                names.join(", ")
            )
        }),
        ScalarFn::Lower => text("lower").map(|_| Type::Text),
        ScalarFn::Upper => text("upper").map(|_| Type::Text),
        ScalarFn::Length => text("length").map(|_| Type::Integer),
        ScalarFn::Abs => numeric("abs").map(|_| first),
        ScalarFn::Round => {
            let digits = args.get(1).copied().unwrap_or(Type::Integer);
            if !matches!(digits, Type::Integer | Type::Null | Type::Unknown) {
                return Err(format!(
                    "`round(x, digits)` takes an integer number of digits, not {}",
                    digits.name()
                ));
            }
            numeric("round").map(|_| Type::Float)
        }
        ScalarFn::Sqrt => numeric("sqrt").map(|_| Type::Float),
        ScalarFn::Ln => numeric("ln").map(|_| Type::Float),
        ScalarFn::Log2 => numeric("log2").map(|_| Type::Float),
        ScalarFn::Log10 => numeric("log10").map(|_| Type::Float),
        ScalarFn::Exp => numeric("exp").map(|_| Type::Float),
        ScalarFn::Contains | ScalarFn::AnyOf => {
            let name = if f == ScalarFn::Contains {
                "contains"
            } else {
                "any"
            };
            if !matches!(first, Type::TextList | Type::Null | Type::Unknown) {
                return Err(format!(
                    "`{name}` needs a text list (an AIM question with several answers) as its first argument, not {}; compare text with = or LIKE",
                    first.name()
                ));
            }
            if let Some(bad) = args[1..]
                .iter()
                .find(|t| !matches!(t, Type::Text | Type::Null | Type::Unknown))
            {
                return Err(format!(
                    "`{name}` looks for text values, not {}",
                    bad.name()
                ));
            }
            Ok(Type::Boolean)
        }
        ScalarFn::Now => Ok(Type::Timestamp),
        ScalarFn::Year => match first {
            Type::Date | Type::Timestamp | Type::Null | Type::Unknown => Ok(Type::Integer),
            other => Err(format!("`year` needs a date, not {}", other.name())),
        },
    }
}

/// The result type of an aggregate over an argument of this type, or why not.
pub fn aggregate_type(f: AggFn, arg: Option<Type>) -> Result<Type, String> {
    let arg = arg.unwrap_or(Type::Null);
    let summable = arg.is_numeric() || arg == Type::Boolean;
    let need_number = |name: &str| format!("`{name}` needs numbers, not {}", arg.name());
    match f {
        AggFn::Count => Ok(Type::Integer),
        AggFn::Sum if summable => Ok(if arg == Type::Float {
            Type::Float
        } else {
            Type::Integer
        }),
        AggFn::Avg
        | AggFn::Median
        | AggFn::Stddev
        | AggFn::StddevPop
        | AggFn::Variance
        | AggFn::VarPop
        | AggFn::Percentile
            if summable =>
        {
            Ok(Type::Float)
        }
        AggFn::ArrayAgg => Ok(Type::TextList),
        AggFn::StringAgg => Ok(Type::Text),
        AggFn::Min | AggFn::Max | AggFn::ArgMax | AggFn::ArgMin => Ok(arg),
        AggFn::BoolOr | AggFn::BoolAnd => match arg {
            Type::Boolean | Type::Null | Type::Unknown => Ok(Type::Boolean),
            other => Err(format!(
                "`{}` needs a condition (true or false), not {}",
                if f == AggFn::BoolOr {
                    "bool_or"
                } else {
                    "bool_and"
                },
                other.name()
            )),
        },
        AggFn::Sum => Err(need_number("sum")),
        AggFn::Avg => Err(need_number("avg")),
        AggFn::Median => Err(need_number("median")),
        AggFn::Stddev => Err(need_number("stddev")),
        AggFn::StddevPop => Err(need_number("stddev_pop")),
        AggFn::Variance => Err(need_number("variance")),
        AggFn::VarPop => Err(need_number("var_pop")),
        AggFn::Percentile => Err(need_number("percentile")),
    }
}

/// The one type several values can share: equal types, numbers widen to float, NULL and
/// parameters fit anything.
pub fn common_type(types: &[Type]) -> Option<Type> {
    let mut result = Type::Null;
    for t in types {
        result = match (result, *t) {
            (a, b) if a == b => a,
            (Type::Null | Type::Unknown, b) => b,
            (a, Type::Null | Type::Unknown) => a,
            (Type::Integer, Type::Float) | (Type::Float, Type::Integer) => Type::Float,
            _ => return None,
        };
    }
    Some(result)
}

/// The window functions that are not aggregates, by name (aggregates work as window
/// functions too: `avg(x) OVER ()`).
pub const WINDOW_NAMES: &[(&str, WindowFn)] = &[
    ("row_number", WindowFn::RowNumber),
    ("rank", WindowFn::Rank),
    ("dense_rank", WindowFn::DenseRank),
    ("percent_rank", WindowFn::PercentRank),
    ("cume_dist", WindowFn::CumeDist),
    ("ntile", WindowFn::Ntile),
    ("lag", WindowFn::Lag),
    ("lead", WindowFn::Lead),
    ("first_value", WindowFn::FirstValue),
    ("last_value", WindowFn::LastValue),
];

/// The window function called `name`: a ranking or offset function, or an aggregate.
pub fn window(name: &str) -> Option<WindowFn> {
    let folded = name.to_ascii_lowercase();
    if let Some((_, f)) = WINDOW_NAMES.iter().find(|(n, _)| *n == folded) {
        return Some(*f);
    }
    match lookup(&folded) {
        Some(Function::Aggregate(f)) => Some(WindowFn::Aggregate(f)),
        _ => None,
    }
}

/// How many arguments a window function takes, as (least, most, in words).
pub fn window_arity(f: WindowFn) -> (usize, usize, &'static str) {
    match f {
        WindowFn::RowNumber
        | WindowFn::Rank
        | WindowFn::DenseRank
        | WindowFn::PercentRank
        | WindowFn::CumeDist => (0, 0, "no argument"),
        WindowFn::Ntile => (1, 1, "one argument (the number of groups)"),
        WindowFn::Lag | WindowFn::Lead => (1, 3, "one to three arguments (value, offset, default)"),
        WindowFn::FirstValue | WindowFn::LastValue => (1, 1, "one argument"),
        WindowFn::Aggregate(a) => arity(Function::Aggregate(a)),
    }
}

/// The result type of a window function over an argument of this type, or why not.
pub fn window_type(f: WindowFn, arg: Option<Type>) -> Result<Type, String> {
    match f {
        WindowFn::RowNumber | WindowFn::Rank | WindowFn::DenseRank | WindowFn::Ntile => {
            Ok(Type::Integer)
        }
        WindowFn::PercentRank | WindowFn::CumeDist => Ok(Type::Float),
        WindowFn::Lag | WindowFn::Lead | WindowFn::FirstValue | WindowFn::LastValue => {
            Ok(arg.unwrap_or(Type::Null))
        }
        WindowFn::Aggregate(
            AggFn::ArgMax | AggFn::ArgMin | AggFn::Percentile | AggFn::Median | AggFn::StringAgg,
        ) => Err("this aggregate does not run over a window; use it with GROUP BY".into()),
        WindowFn::Aggregate(a) => aggregate_type(a, arg),
    }
}
