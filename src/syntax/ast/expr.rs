//! Expressions, their literals and their operators.

use super::{Ident, OrderItem, Select, Span};

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `col`, `table.col`, `table."HLA-A"`.
    Column {
        table: Option<Ident>,
        column: Ident,
    },
    Literal(Literal, Span),
    /// `$1` or `$name`.
    Param(String, Span),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
        span: Span,
    },
    Binary {
        left: Box<Expr>,
        op: BinaryOp,
        right: Box<Expr>,
        span: Span,
    },
    /// `expr IS [NOT] NULL`
    IsNull {
        expr: Box<Expr>,
        negated: bool,
        span: Span,
    },
    /// `expr [NOT] IN (a, b, …)`
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        span: Span,
    },
    /// `expr [NOT] BETWEEN low AND high`
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
        span: Span,
    },
    /// `expr [NOT] LIKE|ILIKE pattern`
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
        span: Span,
    },
    /// `CASE [operand] WHEN … THEN … [ELSE …] END`
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
        span: Span,
    },
    /// `CAST(expr AS type)`
    Cast {
        expr: Box<Expr>,
        ty: TypeName,
        span: Span,
    },
    /// `name(args)`, `count(*)`, `count(DISTINCT x)`.
    Function {
        name: Ident,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
        span: Span,
    },
    /// `function OVER ([PARTITION BY e, …] [ORDER BY e, …])`: a window function (`rank()`,
    /// `avg(x)`, `lag(x)`) over the rows of the result; `function` is an `Expr::Function`.
    Window {
        function: Box<Expr>,
        partition_by: Vec<Expr>,
        order_by: Vec<OrderItem>,
        span: Span,
    },
    /// `expr [NOT] IN (SELECT …)`
    InSubquery {
        expr: Box<Expr>,
        query: Box<Select>,
        negated: bool,
        span: Span,
    },
    /// `(SELECT …)` as a value: one column, at most one row.
    Subquery {
        query: Box<Select>,
        span: Span,
    },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// The number as written (`12`, `12.5`, `1e-3`).
    Number(String),
    String(String),
    Boolean(bool),
    Null,
    /// `DATE 'YYYY-MM-DD'`
    Date(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Minus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Multiply,
    Divide,
    Modulo,
}

/// The types `CAST` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeName {
    Integer,
    Float,
    Text,
    Boolean,
    Date,
}

impl BinaryOp {
    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 4,
            BinaryOp::Plus | BinaryOp::Minus => 5,
            BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo => 6,
        }
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
        }
    }
}

impl TypeName {
    pub fn keyword(self) -> &'static str {
        match self {
            TypeName::Integer => "INTEGER",
            TypeName::Float => "FLOAT",
            TypeName::Text => "TEXT",
            TypeName::Boolean => "BOOLEAN",
            TypeName::Date => "DATE",
        }
    }
}

impl Expr {
    /// The text range the expression covers.
    pub fn span(&self) -> Span {
        match self {
            Expr::Column { table, column } => match table {
                Some(t) => t.span.to(column.span),
                None => column.span,
            },
            Expr::Literal(_, span) | Expr::Param(_, span) => *span,
            Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::IsNull { span, .. }
            | Expr::InList { span, .. }
            | Expr::Between { span, .. }
            | Expr::Like { span, .. }
            | Expr::Case { span, .. }
            | Expr::Cast { span, .. }
            | Expr::Function { span, .. }
            | Expr::Window { span, .. }
            | Expr::InSubquery { span, .. }
            | Expr::Subquery { span, .. } => *span,
        }
    }
}
