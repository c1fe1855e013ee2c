//! The bound statistics statements (`SURVIVAL`, `COX`, `CORRELATE`): the query of their
//! rows and what to compute.

use super::BoundQuery;
use crate::storage::{ColumnMeta, TableMeta};

/// A bound `SURVIVAL` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundSurvival {
    /// `SELECT <by> AS grp, <time> AS time, <event> AS event FROM <source>`.
    pub query: BoundQuery,
    pub curve: bool,
    /// `SURVIVAL TEST`: the test's row ([`BoundSurvival::test_schema`]).
    pub test: bool,
    pub split: Option<SurvivalSplit>,
    pub at: Vec<f64>,
    /// The statement as written, and its time, event and group expressions as text.
    pub statement: String,
    pub time: String,
    pub event: String,
    pub by: Option<String>,
}

/// How a numeric group is cut.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurvivalSplit {
    Median,
    At(f64),
    Quantiles(usize),
}

/// A bound `COX` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundCox {
    /// `COX TEST`: the model's row ([`BoundCox::test_schema`]).
    pub test: bool,
    /// `SELECT <time> AS time, <event> AS event, <term> AS x1, … FROM <source>`.
    pub query: BoundQuery,
    /// Each term as written.
    pub terms: Vec<String>,
    pub time: String,
    pub event: String,
}

/// A bound `CORRELATE` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundCorrelate {
    /// `SELECT subject_id, <expression> AS v1, … FROM <source>`: the subjects, in order, and
    /// the variables that are expressions.
    pub query: BoundQuery,
    pub x: Vec<Variable>,
    pub y: Vec<Variable>,
    pub method: crate::stats::correlate::Method,
    pub adjust: crate::stats::correlate::Adjust,
    /// The source's name (`subjects`, a cohort, a table).
    pub source: String,
    /// Columns a pattern matched that are not numbers, left out.
    pub skipped: Vec<String>,
    pub statement: String,
}

/// One side's column in a correlation map.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// `table.column`, or the expression (or its alias) as written.
    pub name: String,
    pub from: VariableSource,
}

/// Where a variable's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableSource {
    /// A column of a one-row-per-subject table, read from the store by subject.
    Stored {
        table: Box<TableMeta>,
        column: ColumnMeta,
    },
    /// Output column `k` of the rows query.
    Computed(usize),
}
