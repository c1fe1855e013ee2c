//! The clinical importer for the TCIA NSCLC Radiogenomics table (and files shaped like it):
//! the generic table import plus the derived survival and tumour-location columns.
//!
//! Derived columns (documented in `docs/language.md`, "The clinical table"):
//! - `os_days`: days from `CT Date` to `Date of Death` when `Survival Status` is `Dead`, else
//!   to `Date of Last Known Alive`; `os_event`: `Survival Status` is `Dead`.
//! - `rfs_days` / `rfs_event`: recurrence-free survival, built the same way: the event is a
//!   recurrence or death, whichever comes first; subjects with neither are censored at the
//!   date last known alive.
//! - `tumor_location`: the checked `Tumor Location (choice=…)` columns, as one text value
//!   (`RUL`), or several joined by `, ` when more than one is checked.

use crate::ingest::IngestError;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Date32Array, Int64Array, StringArray};

use super::delimited::Sheet;
use super::infer::{NullTokens, TypedColumn};
use super::pipeline::{self, Format, Written};
use super::source::SourceText;
use super::summary::ImportSummary;
use super::table::{Prepared, PreparedColumn, PreparedTable, find_subject_column, prepare};
use crate::storage::{ColumnType, Level, NewColumn, Store, WriteTxn};

/// The header labels that name the subject in TCIA's clinical files.
pub const SUBJECT_LABELS: &[&str] = &["Case ID", "Patient ID", "PatientID", "subject_id"];

/// How to import a clinical file.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalImport {
    /// The table to create or replace; `clinical` by default.
    pub table: String,
    pub null_tokens: NullTokens,
}

impl Default for ClinicalImport {
    fn default() -> Self {
        ClinicalImport {
            table: "clinical".into(),
            null_tokens: NullTokens::default(),
        }
    }
}

impl ClinicalImport {
    /// Replaces the missing-value tokens.
    pub fn with_null_tokens(mut self, tokens: NullTokens) -> Self {
        self.null_tokens = tokens;
        self
    }

    /// Imports into a table with another name.
    pub fn with_table(mut self, table: &str) -> Self {
        self.table = table.to_string();
        self
    }
}

/// Imports a clinical CSV as one new version.
pub fn import_clinical(
    store: &Store,
    path: &Path,
    options: &ClinicalImport,
    statement: Option<String>,
) -> Result<ImportSummary, IngestError> {
    pipeline::run(store, &ClinicalFormat { path, options }, statement)
}

/// `IMPORT CLINICAL`: the TCIA clinical CSV, one row per subject, with the derived survival,
/// recurrence and location columns.
struct ClinicalFormat<'a> {
    path: &'a Path,
    options: &'a ClinicalImport,
}

impl Format for ClinicalFormat<'_> {
    type Checked = (SourceText, PreparedTable, Vec<String>);

    fn check(&self, store: &Store) -> Result<Self::Checked, IngestError> {
        let source = SourceText::read(self.path, store.config().max_line_bytes)?;
        let sheet = Sheet::parse(&source, None)?;
        let subject = find_subject_column(&sheet, SUBJECT_LABELS)?;
        let mut prepared = prepare(&sheet, subject, Level::Subject, &self.options.null_tokens)?;
        let notes = derive(&mut prepared);
        Ok((source, prepared, notes))
    }

    fn write(
        &self,
        (source, prepared, notes): Self::Checked,
        txn: &mut WriteTxn<'_>,
    ) -> Result<Written, IngestError> {
        let table = Prepared {
            source: &source,
            table: &self.options.table,
            level: Level::Subject,
            kind: "clinical",
        };
        table.written(txn, prepared, notes)
    }
}

/// Adds the derived columns; returns a note for each one that could not be derived.
pub fn derive(table: &mut PreparedTable) -> Vec<String> {
    let mut notes = Vec::new();
    let mut derived = Vec::new();
    match survival(table) {
        Ok(mut cols) => derived.append(&mut cols),
        Err(why) => notes.push(format!("os_days, os_event not derived: {why}")),
    }
    match recurrence_free(table) {
        Ok(mut cols) => derived.append(&mut cols),
        Err(why) => notes.push(format!("rfs_days, rfs_event not derived: {why}")),
    }
    match tumor_location(table) {
        Ok(col) => derived.push(col),
        Err(why) => notes.push(format!("tumor_location not derived: {why}")),
    }
    for column in derived {
        if table.get(&column.column.name).is_some() {
            notes.push(format!(
                "{0} not derived: the file already has a `{0}` column",
                column.column.name
            ));
        } else {
            table.columns.push(column);
        }
    }
    notes
}

fn dates<'a>(table: &'a PreparedTable, name: &str) -> Result<&'a Date32Array, String> {
    typed(table, name, ColumnType::Date32)?
        .as_any()
        .downcast_ref()
        .ok_or_else(|| format!("`{name}` is not a date column"))
}

fn typed<'a>(table: &'a PreparedTable, name: &str, ty: ColumnType) -> Result<&'a ArrayRef, String> {
    let column = table
        .get(name)
        .ok_or_else(|| format!("the file has no `{name}` column"))?;
    if column.typed.ty != ty {
        return Err(format!(
            "`{name}` was read as {}, not {ty}",
            column.typed.ty
        ));
    }
    Ok(&column.typed.array)
}

fn texts<'a>(table: &'a PreparedTable, name: &str) -> Result<&'a StringArray, String> {
    typed(table, name, ColumnType::Utf8)?
        .as_any()
        .downcast_ref()
        .ok_or_else(|| format!("`{name}` is not a text column"))
}

fn booleans<'a>(table: &'a PreparedTable, name: &str) -> Result<&'a BooleanArray, String> {
    typed(table, name, ColumnType::Boolean)?
        .as_any()
        .downcast_ref()
        .ok_or_else(|| format!("`{name}` is not a yes/no column"))
}

fn value<T: Copy>(array: &impl ArrayAccess<T>, row: usize) -> Option<T> {
    array.get(row)
}

/// Uniform optional access over the Arrow arrays used here.
trait ArrayAccess<T> {
    fn get(&self, row: usize) -> Option<T>;
}

impl ArrayAccess<i32> for Date32Array {
    fn get(&self, row: usize) -> Option<i32> {
        self.is_valid(row).then(|| self.value(row))
    }
}

impl ArrayAccess<bool> for BooleanArray {
    fn get(&self, row: usize) -> Option<bool> {
        self.is_valid(row).then(|| self.value(row))
    }
}

fn survival(table: &PreparedTable) -> Result<Vec<PreparedColumn>, String> {
    let ct = dates(table, "ct_date")?;
    let death = dates(table, "date_of_death")?;
    let alive = dates(table, "date_of_last_known_alive")?;
    let status = texts(table, "survival_status")?;
    let mut days = Vec::with_capacity(ct.len());
    let mut events = Vec::with_capacity(ct.len());
    for row in 0..ct.len() {
        let dead = status
            .is_valid(row)
            .then(|| status.value(row).eq_ignore_ascii_case("dead"));
        let end = match dead {
            Some(true) => value(death, row),
            Some(false) => value(alive, row),
            None => None,
        };
        days.push(value(ct, row).zip(end).map(|(s, e)| i64::from(e - s)));
        events.push(dead);
    }
    Ok(vec![
        derived_int(
            "os_days",
            "Overall survival: days from CT Date to Date of Death, or to Date of Last Known Alive",
            days,
        ),
        derived_bool(
            "os_event",
            "Death observed (Survival Status = Dead); false means censored at os_days",
            events,
        ),
    ])
}

fn recurrence_free(table: &PreparedTable) -> Result<Vec<PreparedColumn>, String> {
    let ct = dates(table, "ct_date")?;
    let recurred = booleans(table, "recurrence")?;
    let recurrence = dates(table, "date_of_recurrence")?;
    let death = dates(table, "date_of_death")?;
    let alive = dates(table, "date_of_last_known_alive")?;
    let mut days = Vec::with_capacity(ct.len());
    let mut events = Vec::with_capacity(ct.len());
    for row in 0..ct.len() {
        let first_event = match value(recurred, row) {
            Some(true) => value(recurrence, row).map(Some),
            Some(false) => Some(None),
            None => None,
        };
        let (end, event) = match first_event {
            // Recurrence status unknown, or a recurrence without a date: no endpoint.
            None => (None, None),
            Some(rec) => match (rec, value(death, row)) {
                (Some(r), Some(d)) => (Some(r.min(d)), Some(true)),
                (Some(r), None) => (Some(r), Some(true)),
                (None, Some(d)) => (Some(d), Some(true)),
                (None, None) => (value(alive, row), Some(false)),
            },
        };
        days.push(value(ct, row).zip(end).map(|(s, e)| i64::from(e - s)));
        events.push(end.and(event));
    }
    Ok(vec![
        derived_int(
            "rfs_days",
            "Recurrence-free survival: days from CT Date to the first of recurrence and death, or to Date of Last Known Alive",
            days,
        ),
        derived_bool(
            "rfs_event",
            "Recurrence or death observed; false means censored at rfs_days",
            events,
        ),
    ])
}

fn tumor_location(table: &PreparedTable) -> Result<PreparedColumn, String> {
    const PREFIX: &str = "tumor_location_choice_";
    let choices: Vec<(String, &BooleanArray)> = table
        .columns
        .iter()
        .filter(|c| c.column.name.starts_with(PREFIX) && c.typed.ty == ColumnType::Boolean)
        .filter_map(|c| {
            let label = c.column.label.trim();
            let choice = label
                .split_once("choice=")
                .map_or(label, |(_, rest)| rest.trim_end_matches(')'));
            let array = c.typed.array.as_any().downcast_ref::<BooleanArray>()?;
            Some((choice.trim().to_string(), array))
        })
        .collect();
    if choices.is_empty() {
        return Err("the file has no `Tumor Location (choice=…)` columns".into());
    }
    let rows = table.subjects.len();
    let values: StringArray = (0..rows)
        .map(|row| {
            let checked: Vec<&str> = choices
                .iter()
                .filter(|(_, a)| value(*a, row) == Some(true))
                .map(|(name, _)| name.as_str())
                .collect();
            (!checked.is_empty()).then(|| checked.join(", "))
        })
        .collect();
    Ok(derived_column(
        "tumor_location",
        "The checked Tumor Location (choice=…) columns: one lobe, or several joined by ', '",
        None,
        ColumnType::Utf8,
        Arc::new(values),
    ))
}

fn derived_int(name: &str, description: &str, values: Vec<Option<i64>>) -> PreparedColumn {
    let array: ArrayRef = Arc::new(Int64Array::from(values));
    derived_column(name, description, Some("days"), ColumnType::Int64, array)
}

fn derived_bool(name: &str, description: &str, values: Vec<Option<bool>>) -> PreparedColumn {
    let array: ArrayRef = Arc::new(BooleanArray::from(values));
    derived_column(name, description, None, ColumnType::Boolean, array)
}

fn derived_column(
    name: &str,
    description: &str,
    unit: Option<&str>,
    ty: ColumnType,
    array: ArrayRef,
) -> PreparedColumn {
    PreparedColumn {
        column: NewColumn {
            name: name.into(),
            label: name.into(),
            unit: unit.map(str::to_string),
            description: Some(description.into()),
        },
        typed: TypedColumn {
            ty,
            array,
            null_tokens: Default::default(),
        },
        derived: true,
    }
}
