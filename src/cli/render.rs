//! Text rendering of catalog listings for the command line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use crate::storage::{Action, ColumnMeta, TableMeta, VersionRecord};

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    t
}

/// One line per table: name, kind, level, rows, columns, version.
pub fn tables(tables: &[TableMeta]) -> String {
    let mut t = table(&["table", "kind", "level", "rows", "columns", "version"]);
    for m in tables {
        t.add_row(vec![
            Cell::new(&m.name),
            Cell::new(&m.kind),
            Cell::new(m.level.to_string()),
            Cell::new(m.rows).set_alignment(CellAlignment::Right),
            Cell::new(m.columns).set_alignment(CellAlignment::Right),
            Cell::new(m.version).set_alignment(CellAlignment::Right),
        ]);
    }
    format!("{t}\n")
}

/// A table's record and its columns.
pub fn describe(meta: &TableMeta, columns: &[ColumnMeta]) -> String {
    let text = meta.facts();
    let mut t = table(&["column", "type", "role", "non-null", "unit", "label"]);
    for c in columns {
        t.add_row(vec![
            Cell::new(&c.name),
            Cell::new(c.ty.name()),
            Cell::new(c.role.name()),
            Cell::new(c.non_null).set_alignment(CellAlignment::Right),
            Cell::new(c.unit.as_deref().unwrap_or("")),
            Cell::new(&c.label),
        ]);
    }
    format!("{text}{t}\n")
}

/// One line per version.
pub fn history(versions: &[VersionRecord]) -> String {
    let mut t = table(&["version", "time", "action", "source sha256", "statement"]);
    for v in versions {
        let action = crate::plan::action(&v.action);
        let sha = match &v.action {
            Action::Import {
                source: Some(s), ..
            } => s.sha256[..16].to_string(),
            _ => String::new(),
        };
        t.add_row(vec![
            Cell::new(v.version),
            Cell::new(&v.time),
            Cell::new(action),
            Cell::new(sha),
            Cell::new(v.statement.as_deref().unwrap_or("")),
        ]);
    }
    format!("{t}\n")
}
