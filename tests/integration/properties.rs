//! Properties over generated inputs (proptest): correlation is symmetric and unchanged by
//! monotone maps (Spearman) or affine maps (Pearson); an imported table exports back to the
//! same values. The parse/print round trip is in `syntax.rs`.

use proptest::prelude::*;
use rgdb::Database;
use rgdb::stats::correlate::{Method, map, pair};

/// A column of 4 to 30 values, some missing (NaN), some tied.
fn column(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            8 => (-1000i32..1000).prop_map(|v| v as f64 / 10.0),
            1 => Just(f64::NAN),
            1 => Just(0.0),
        ],
        len,
    )
}

fn pairs() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (4usize..30).prop_flat_map(|n| (column(n), column(n)))
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())),
        (None, None) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn correlation_is_symmetric((x, y) in pairs()) {
        for method in [Method::Spearman, Method::Pearson] {
            let (xy, yx) = (pair(&x, &y, method), pair(&y, &x, method));
            prop_assert_eq!(xy.n, yx.n);
            prop_assert!(close(xy.r, yx.r), "{:?} {:?}", xy, yx);
            prop_assert!(close(xy.p(), yx.p()), "{:?} {:?}", xy, yx);
            if let Some(r) = xy.r {
                prop_assert!((-1.0 - 1e-12..=1.0 + 1e-12).contains(&r));
            }
            // The map gives the same, both ways round.
            let m = map(std::slice::from_ref(&x), std::slice::from_ref(&y), method);
            let t = map(std::slice::from_ref(&y), std::slice::from_ref(&x), method);
            prop_assert!(close(m.get(0, 0).r, xy.r) && close(t.get(0, 0).r, xy.r));
        }
    }

    #[test]
    fn spearman_ignores_monotone_maps_and_pearson_affine_ones((x, y) in pairs()) {
        let cubed: Vec<f64> = x.iter().map(|v| v * v * v + 3.0).collect();
        let scaled: Vec<f64> = x.iter().map(|v| 2.5 * v - 7.0).collect();
        let s = pair(&x, &y, Method::Spearman);
        prop_assert!(close(pair(&cubed, &y, Method::Spearman).r, s.r));
        let p = pair(&x, &y, Method::Pearson);
        let q = pair(&scaled, &y, Method::Pearson);
        let same = match (p.r, q.r) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (None, None) => true,
            _ => false,
        };
        prop_assert!(same, "{:?} {:?}", p, q);
    }
}

/// A small table: subject, an integer, a float (maybe missing), a text (maybe missing).
fn table() -> impl Strategy<Value = Vec<(i64, Option<f64>, Option<String>)>> {
    prop::collection::vec(
        (
            -1_000_000i64..1_000_000,
            prop::option::of((-1.0e6f64..1.0e6).prop_map(|v| (v * 1000.0).round() / 1000.0)),
            // Prefixed, so that no note reads as a boolean, a number or a date.
            prop::option::of("[A-Za-z][A-Za-z ,\"]{0,12}".prop_map(|s| format!("n:{s}"))),
        ),
        1..25,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// CSV → IMPORT TABLE → EXPORT to CSV and to Parquet: the same values come back.
    #[test]
    fn an_imported_table_exports_back_to_the_same_values(rows in table()) {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = csv::Writer::from_path(dir.path().join("t.csv")).unwrap();
        writer.write_record(["Patient ID", "count", "value", "note"]).unwrap();
        for (i, (count, value, note)) in rows.iter().enumerate() {
            writer
                .write_record([
                    format!("S-{i:03}"),
                    count.to_string(),
                    value.map(|v| v.to_string()).unwrap_or_default(),
                    note.clone().unwrap_or_default(),
                ])
                .unwrap();
        }
        writer.flush().unwrap();
        let db = Database::in_memory().unwrap();
        db.execute(&format!(
            "IMPORT TABLE t FROM '{}' SUBJECT COLUMN 'Patient ID'",
            dir.path().join("t.csv").display()
        ))
        .unwrap();
        let out = dir.path().join("out.parquet");
        db.execute(&format!(
            "EXPORT (SELECT subject_id, count, value, note FROM t ORDER BY subject_id) TO '{}'",
            out.display()
        ))
        .unwrap();
        let (batch, _) = crate::export::read_parquet(&out);
        use arrow::array::AsArray;
        use arrow::datatypes::{Float64Type, Int64Type};
        prop_assert_eq!(batch.num_rows(), rows.len());
        let counts = batch.column(1).as_primitive::<Int64Type>();
        for (i, (count, value, note)) in rows.iter().enumerate() {
            prop_assert_eq!(counts.value(i), *count);
            // A column of only missing floats or texts is typed by what is there; compare text.
            let shown_value = arrow::util::display::array_value_to_string(batch.column(2), i).unwrap();
            match value {
                Some(v) if batch.column(2).data_type() == &arrow::datatypes::DataType::Float64 => {
                    prop_assert_eq!(batch.column(2).as_primitive::<Float64Type>().value(i), *v)
                }
                Some(v) => prop_assert_eq!(shown_value.parse::<f64>().unwrap(), *v),
                None => prop_assert!(batch.column(2).is_null(i)),
            }
            let shown_note = arrow::util::display::array_value_to_string(batch.column(3), i).unwrap();
            match note {
                // Cells are trimmed on import (docs/language.md, "Type inference").
                Some(n) => prop_assert_eq!(shown_note.as_str(), n.trim()),
                None => prop_assert!(batch.column(3).is_null(i)),
            }
        }
    }
}
