//! Printing the AST back to text. The printed form parses to the same tree (checked by a
//! property test), with the fewest parentheses that keep the tree's shape.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{
    AsOf, BinaryOp, Correlate, Cox, Export, ExportSource, Expr, Ident, Import, ImportKind,
    ImportOption, Literal, OrderItem, Select, SelectItem, Show, Source, Split, Statement, Survival,
    UnaryOp,
};
use super::lexeme::RESERVED;

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let bare_ok = !self.quoted
            && self
                .name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&self.name));
        if bare_ok {
            f.write_str(&self.name)
        } else {
            write!(f, "\"{}\"", self.name.replace('"', "\"\""))
        }
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn join<T: Display>(items: &[T]) -> String {
    items
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => f.write_str(n),
            Literal::String(s) => f.write_str(&quote(s)),
            Literal::Boolean(true) => f.write_str("TRUE"),
            Literal::Boolean(false) => f.write_str("FALSE"),
            Literal::Null => f.write_str("NULL"),
            Literal::Date(d) => write!(f, "DATE {}", quote(d)),
        }
    }
}

/// How tightly an expression binds; a child binding looser than its slot needs parentheses.
fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Binary { op, .. } => op.precedence(),
        Expr::Unary {
            op: UnaryOp::Not, ..
        } => 3,
        Expr::IsNull { .. }
        | Expr::InList { .. }
        | Expr::InSubquery { .. }
        | Expr::Between { .. }
        | Expr::Like { .. } => 4,
        Expr::Unary {
            op: UnaryOp::Minus, ..
        } => 7,
        _ => 8,
    }
}

/// Writes `e`, parenthesised if it binds looser than `min`.
fn operand(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

const ADDITIVE: u8 = 5;

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column { table, column } => match table {
                Some(t) => write!(f, "{t}.{column}"),
                None => write!(f, "{column}"),
            },
            Expr::Literal(l, _) => write!(f, "{l}"),
            Expr::Param(name, _) => write!(f, "${name}"),
            Expr::Unary { op, expr, .. } => unary(f, *op, expr),
            Expr::Binary {
                left, op, right, ..
            } => binary(f, left, *op, right),
            Expr::IsNull { expr, negated, .. } => {
                operand(f, expr, ADDITIVE)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::InList {
                expr,
                list,
                negated,
                ..
            } => membership(f, expr, *negated, join(list)),
            Expr::Between {
                expr,
                low,
                high,
                negated,
                ..
            } => between(f, expr, low, high, *negated),
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                ..
            } => like(f, expr, pattern, *negated, *case_insensitive),
            Expr::Case {
                operand: subject,
                whens,
                otherwise,
                ..
            } => case(f, subject.as_deref(), whens, otherwise.as_deref()),
            Expr::Cast { expr, ty, .. } => write!(f, "CAST({expr} AS {})", ty.keyword()),
            Expr::Function {
                name,
                args,
                distinct,
                star,
                ..
            } => function(f, name, args, *distinct, *star),
            Expr::Window {
                function,
                partition_by,
                order_by,
                ..
            } => window(f, function, partition_by, order_by),
            Expr::InSubquery {
                expr,
                query,
                negated,
                ..
            } => membership(f, expr, *negated, query),
            Expr::Subquery { query, .. } => write!(f, "({query})"),
        }
    }
}

/// Writes `NOT e` or `-e`; a minus of a minus keeps its parentheses (`--` starts a comment).
fn unary(f: &mut Formatter<'_>, op: UnaryOp, expr: &Expr) -> fmt::Result {
    match op {
        UnaryOp::Not => {
            f.write_str("NOT ")?;
            operand(f, expr, 3)
        }
        UnaryOp::Minus => {
            f.write_char('-')?;
            let nested_minus = matches!(
                *expr,
                Expr::Unary {
                    op: UnaryOp::Minus,
                    ..
                }
            );
            if nested_minus {
                write!(f, "({expr})")
            } else {
                operand(f, expr, 7)
            }
        }
    }
}

/// Writes `left op right`: left-associative, except that comparisons do not chain.
fn binary(f: &mut Formatter<'_>, left: &Expr, op: BinaryOp, right: &Expr) -> fmt::Result {
    let p = op.precedence();
    let (left_min, right_min) = match op {
        BinaryOp::Or | BinaryOp::And => (p, p + 1),
        op if op.precedence() == 4 => (ADDITIVE, ADDITIVE),
        _ => (p, p + 1),
    };
    operand(f, left, left_min)?;
    write!(f, " {} ", op.symbol())?;
    operand(f, right, right_min)
}

/// Writes `expr [NOT] IN (…)`, the parentheses holding a list or a subquery.
fn membership(f: &mut Formatter<'_>, expr: &Expr, negated: bool, set: impl Display) -> fmt::Result {
    operand(f, expr, ADDITIVE)?;
    let not = if negated { " NOT" } else { "" };
    write!(f, "{not} IN ({set})")
}

/// Writes `expr [NOT] BETWEEN low AND high`.
fn between(
    f: &mut Formatter<'_>,
    expr: &Expr,
    low: &Expr,
    high: &Expr,
    negated: bool,
) -> fmt::Result {
    operand(f, expr, ADDITIVE)?;
    f.write_str(if negated {
        " NOT BETWEEN "
    } else {
        " BETWEEN "
    })?;
    operand(f, low, ADDITIVE)?;
    f.write_str(" AND ")?;
    operand(f, high, ADDITIVE)
}

/// Writes `expr [NOT] LIKE|ILIKE pattern`.
fn like(
    f: &mut Formatter<'_>,
    expr: &Expr,
    pattern: &Expr,
    negated: bool,
    case_insensitive: bool,
) -> fmt::Result {
    operand(f, expr, ADDITIVE)?;
    let not = if negated { " NOT" } else { "" };
    let op = if case_insensitive { "ILIKE" } else { "LIKE" };
    write!(f, "{not} {op} ")?;
    operand(f, pattern, ADDITIVE)
}

/// Writes `CASE [subject] WHEN … THEN … [ELSE …] END`.
fn case(
    f: &mut Formatter<'_>,
    subject: Option<&Expr>,
    whens: &[(Expr, Expr)],
    otherwise: Option<&Expr>,
) -> fmt::Result {
    f.write_str("CASE")?;
    if let Some(s) = subject {
        write!(f, " {s}")?;
    }
    for (when, then) in whens {
        write!(f, " WHEN {when} THEN {then}")?;
    }
    if let Some(e) = otherwise {
        write!(f, " ELSE {e}")?;
    }
    f.write_str(" END")
}

/// Writes `name(args)`, `name(*)` or `name(DISTINCT args)`.
fn function(
    f: &mut Formatter<'_>,
    name: &Ident,
    args: &[Expr],
    distinct: bool,
    star: bool,
) -> fmt::Result {
    if star {
        write!(f, "{name}(*)")
    } else if distinct {
        write!(f, "{name}(DISTINCT {})", join(args))
    } else {
        write!(f, "{name}({})", join(args))
    }
}

/// Writes `function OVER ([PARTITION BY …] [ORDER BY …])`.
fn window(
    f: &mut Formatter<'_>,
    function: &Expr,
    partition_by: &[Expr],
    order_by: &[OrderItem],
) -> fmt::Result {
    write!(f, "{function} OVER (")?;
    if !partition_by.is_empty() {
        write!(f, "PARTITION BY {}", join(partition_by))?;
    }
    if !order_by.is_empty() {
        let gap = if partition_by.is_empty() { "" } else { " " };
        write!(f, "{gap}ORDER BY {}", join(order_by))?;
    }
    f.write_char(')')
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Expr { expr, alias } => match alias {
                Some(a) => write!(f, "{expr} AS {a}"),
                None => write!(f, "{expr}"),
            },
            SelectItem::Pattern {
                table,
                pattern,
                except,
                ..
            } => {
                if let Some(t) = table {
                    write!(f, "{t}.")?;
                }
                f.write_str(pattern)?;
                if !except.is_empty() {
                    write!(f, " EXCEPT ({})", join(except))?;
                }
                Ok(())
            }
        }
    }
}

impl Display for OrderItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.descending {
            f.write_str(" DESC")?;
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.with.is_empty() {
            let ctes: Vec<String> = self
                .with
                .iter()
                .map(|c| format!("{} AS ({})", c.name, c.query))
                .collect();
            write!(f, "WITH {} ", ctes.join(", "))?;
        }
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        f.write_str(&join(&self.items))?;
        if let Some(from) = &self.from {
            write!(f, " FROM {from}")?;
        }
        if let Some(w) = &self.selection {
            write!(f, " WHERE {w}")?;
        }
        if !self.group_by.is_empty() {
            write!(f, " GROUP BY {}", join(&self.group_by))?;
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
        }
        if !self.order_by.is_empty() {
            write!(f, " ORDER BY {}", join(&self.order_by))?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {l}")?;
        }
        if let Some(o) = &self.offset {
            write!(f, " OFFSET {o}")?;
        }
        match &self.as_of {
            Some(AsOf::Version { version, .. }) => write!(f, " AS OF VERSION {version}")?,
            Some(AsOf::Time(t)) => write!(f, " AS OF {}", quote(&t.value))?,
            None => {}
        }
        Ok(())
    }
}

impl Display for Export {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("EXPORT ")?;
        match &self.source {
            ExportSource::Query(q) => write!(f, "({q})")?,
            ExportSource::Cohort(c) => write!(f, "{c}")?,
        }
        write!(f, " TO {}", quote(&self.path.value))?;
        if let Some(format) = &self.format {
            write!(f, " FORMAT {format}")?;
        }
        if self.long.is_some() {
            f.write_str(" LONG")?;
        }
        if !self.partition_by.is_empty() {
            write!(f, " PARTITION BY {}", join(&self.partition_by))?;
        }
        if let Some(c) = &self.compression {
            write!(f, " COMPRESSION {}", c.codec)?;
            if let Some((level, _)) = &c.level {
                write!(f, " {level}")?;
            }
        }
        if self.overwrite {
            f.write_str(" OVERWRITE")?;
        }
        Ok(())
    }
}

impl Display for Import {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.kind.source_keyword() {
            Some(source) => write!(f, "IMPORT RADIOMICS FROM {source}")?,
            None => write!(f, "IMPORT {}", self.kind.keyword())?,
        }
        if let (ImportKind::Table, Some(t)) = (self.kind, &self.table) {
            write!(f, " {t}")?;
        }
        if self.kind.source_keyword().is_none() {
            write!(f, " FROM")?;
        }
        write!(f, " {}", quote(&self.path.value))?;
        for option in &self.options {
            match option {
                ImportOption::Flag(flag, _) => write!(f, " {}", flag.keywords().join(" "))?,
                ImportOption::Value(key, value) => {
                    write!(f, " {} {}", key.keywords().join(" "), quote(&value.value))?
                }
            }
        }
        if let Some(t) = &self.table
            && self.kind != ImportKind::Table
        {
            write!(f, " AS {t}")?;
        }
        Ok(())
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Select(s) => write!(f, "{s}"),
            Statement::CreateCohort {
                name,
                query,
                replace,
                ..
            } => {
                let replace = if *replace { "OR REPLACE " } else { "" };
                write!(f, "CREATE {replace}COHORT {name} AS {query}")
            }
            Statement::DropCohort {
                name, if_exists, ..
            } => {
                let if_exists = if *if_exists { "IF EXISTS " } else { "" };
                write!(f, "DROP COHORT {if_exists}{name}")
            }
            Statement::Show(show) => match show {
                Show::Tables { .. } => f.write_str("SHOW TABLES"),
                Show::Cohorts { .. } => f.write_str("SHOW COHORTS"),
                Show::History { .. } => f.write_str("SHOW HISTORY"),
                Show::Cohort { name, .. } => write!(f, "SHOW COHORT {name}"),
                Show::Columns { table, like, .. } => {
                    write!(f, "SHOW COLUMNS FROM {table}")?;
                    if let Some(like) = like {
                        write!(f, " LIKE {}", quote(&like.value))?;
                    }
                    Ok(())
                }
            },
            Statement::Describe { name, .. } => write!(f, "DESCRIBE {name}"),
            Statement::Explain { statement, .. } => write!(f, "EXPLAIN {statement}"),
            Statement::Export(e) => write!(f, "{e}"),
            Statement::Import(i) => write!(f, "{i}"),
            Statement::Survival(s) => write!(f, "{s}"),
            Statement::Cox(c) => write!(f, "{c}"),
            Statement::Correlate(c) => write!(f, "{c}"),
            Statement::DropTable {
                name, if_exists, ..
            } => {
                let if_exists = if *if_exists { "IF EXISTS " } else { "" };
                write!(f, "DROP TABLE {if_exists}{name}")
            }
            Statement::RefreshCohort { name, .. } => write!(f, "REFRESH COHORT {name}"),
            Statement::Vacuum { keep, .. } => write!(f, "VACUUM KEEP {keep}"),
            Statement::Check { .. } => f.write_str("CHECK DATABASE"),
            Statement::Plot(p) => {
                write!(f, "PLOT {} TO {}", p.analysis, quote(&p.path.value))?;
                if p.overwrite {
                    f.write_str(" OVERWRITE")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Survival {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SURVIVAL")?;
        if self.curve {
            f.write_str(" CURVE")?;
        }
        if self.test {
            f.write_str(" TEST")?;
        }
        write!(f, " OF {}", self.source)?;
        if let (Some(t), Some(e)) = (&self.time, &self.event) {
            write!(f, " TIME {t} EVENT {e}")?;
        }
        if let Some(by) = &self.by {
            write!(f, " BY {by}")?;
        }
        match &self.split {
            Some(Split::Median(_)) => f.write_str(" SPLIT AT MEDIAN")?,
            Some(Split::At(n, _)) => write!(f, " SPLIT AT {n}")?,
            Some(Split::Quantiles(n, _)) => write!(f, " QUANTILES {n}")?,
            None => {}
        }
        if !self.at.is_empty() {
            let times: Vec<&str> = self.at.iter().map(|(t, _)| t.as_str()).collect();
            write!(f, " AT ({})", times.join(", "))?;
        }
        Ok(())
    }
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Source::Named(name) => write!(f, "{name}"),
            Source::Analysis(statement) => write!(f, "({statement})"),
            Source::Query { query, alias, .. } => match alias {
                Some(a) => write!(f, "({query}) AS {a}"),
                None => write!(f, "({query})"),
            },
            Source::File { path, alias } => match alias {
                Some(a) => write!(f, "{} AS {a}", quote(&path.value)),
                None => write!(f, "{}", quote(&path.value)),
            },
        }
    }
}

impl Display for Correlate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "CORRELATE {} WITH {}", join(&self.x), join(&self.y))?;
        if let Some(source) = &self.source {
            write!(f, " IN {source}")?;
        }
        if let Some(method) = &self.method {
            write!(f, " METHOD {method}")?;
        }
        match &self.adjust {
            // `ADJUST BY` (Benjamini–Yekutieli) is the keyword, which an identifier cannot
            // spell unquoted.
            Some(adjust) if !adjust.quoted && adjust.name.eq_ignore_ascii_case("by") => {
                f.write_str(" ADJUST BY")?
            }
            Some(adjust) => write!(f, " ADJUST {adjust}")?,
            None => {}
        }
        Ok(())
    }
}

impl Display for Cox {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let test = if self.test { " TEST" } else { "" };
        write!(f, "COX{test} OF {}", self.source)?;
        if let (Some(t), Some(e)) = (&self.time, &self.event) {
            write!(f, " TIME {t} EVENT {e}")?;
        }
        write!(f, " ON {}", join(&self.terms))
    }
}
