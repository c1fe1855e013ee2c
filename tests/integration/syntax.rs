//! The parser: round trips (printed AST parses to the same AST), spans, the nesting limit,
//! hostile input, and a property test over generated statements.

use proptest::prelude::*;
use rgdb::syntax::*;

const EXAMPLES: &[&str] = &[
    "SELECT count(*) FROM subjects WHERE histology = 'Adenocarcinoma' AND egfr_mutation_status = 'Mutant'",
    "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender",
    "SELECT subject_id, age_at_histological_diagnosis AS age, rnaseq.EGFR, rnaseq.\"HLA-A\", radiomic.original_shape_MeshVolume FROM subjects WHERE has(rnaseq) AND pack_years > 20 ORDER BY age DESC LIMIT 10",
    "SELECT histology, avg(os_days), median(rnaseq.EGFR) FROM subjects GROUP BY histology HAVING count(*) > 5",
    "CREATE COHORT adeno_smokers AS SELECT subject_id FROM subjects WHERE histology = 'Adenocarcinoma' AND smoking_status <> 'Nonsmoker'",
    "SELECT count(*) FROM adeno_smokers WHERE has(rnaseq)",
    "SHOW TABLES",
    "SHOW COHORTS",
    "DESCRIBE clinical",
    "SHOW COLUMNS FROM radiomic LIKE 'original_glcm%'",
    "EXPLAIN SELECT gender, count(*) FROM subjects GROUP BY gender",
    "EXPORT (SELECT clinical.*, rnaseq.* FROM adeno_smokers) TO 'adeno_smokers.parquet'",
    "DROP COHORT adeno_smokers",
    "SELECT clinical.* EXCEPT (weight_lbs) FROM subjects",
    "SELECT CASE WHEN a IS NULL THEN -1 ELSE CAST(b AS FLOAT) END FROM t WHERE x NOT IN (1, 2) AND y BETWEEN 1 AND 2 OR z ILIKE 'a%' ORDER BY 1 DESC NULLS FIRST LIMIT 3 OFFSET 2",
    "SELECT count(DISTINCT a), percentile(b, 0.9), ct_date - DATE '1994-01-01' FROM subjects WHERE a = $1 AND b = $name",
    "EXPORT cohort TO 'x.csv' FORMAT csv OVERWRITE",
    "DROP COHORT IF EXISTS x",
    "SHOW HISTORY",
];

fn round_trip(text: &str) {
    let first = parse_statement(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let printed = first.to_string();
    let second = parse_statement(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
    assert_eq!(first, second, "{text}\n{printed}");
}

#[test]
fn the_issue_examples_round_trip() {
    for text in EXAMPLES {
        round_trip(text);
    }
}

#[test]
fn printing_is_canonical() {
    let stmt = parse_statement("select  a+b*c , (a+b)*c from T where not (x or y) and z").unwrap();
    assert_eq!(
        stmt.to_string(),
        "SELECT a + b * c, (a + b) * c FROM T WHERE NOT (x OR y) AND z"
    );
    let stmt = parse_statement("SELECT - -1, a - -1, a - (b - c), (a - b) - c FROM t").unwrap();
    assert_eq!(
        stmt.to_string(),
        "SELECT -(-1), a - -1, a - (b - c), a - b - c FROM t"
    );
}

#[test]
fn nodes_carry_byte_spans() {
    let Statement::Select(select) =
        parse_statement("SELECT egfr FROM subjects WHERE x = 'y'").unwrap()
    else {
        panic!()
    };
    let SelectItem::Expr { expr, .. } = &select.items[0] else {
        panic!()
    };
    assert_eq!((expr.span().start, expr.span().end), (7, 11));
    let from = select.from.as_ref().unwrap().span();
    assert_eq!((from.start, from.end), (17, 25));
    let filter = select.selection.unwrap();
    assert_eq!((filter.span().start, filter.span().end), (32, 39));
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let deep = format!(
        "SELECT {}1{} FROM subjects",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let err = parse_statement(&deep).unwrap_err();
    assert_eq!(err.code(), "E0105");
    assert_eq!(err.to_string(), "expression nested deeper than 50 levels");
    let ok = format!("SELECT {}1{} FROM subjects", "(".repeat(45), ")".repeat(45));
    assert!(parse_statement(&ok).is_ok());
    let nots = format!("SELECT {}x FROM subjects", "NOT ".repeat(5_000));
    assert_eq!(parse_statement(&nots).unwrap_err().code(), "E0105");
    let minus = format!("SELECT {}1 FROM subjects", "- ".repeat(5_000));
    assert_eq!(parse_statement(&minus).unwrap_err().code(), "E0105");
}

#[test]
fn a_one_megabyte_string_literal_parses() {
    let big = "x".repeat(1 << 20);
    let stmt = parse_statement(&format!(
        "SELECT count(*) FROM subjects WHERE gender = '{big}'"
    ))
    .unwrap();
    assert!(stmt.to_string().len() > 1 << 20);
}

#[test]
fn a_star_between_names_is_multiplication_unless_it_is_a_pattern() {
    let Statement::Select(s) =
        parse_statement("SELECT pack_years*2, a*b + 1, clinical.x*2, t.orig_*, orig_* FROM t")
            .unwrap()
    else {
        panic!()
    };
    assert!(matches!(s.items[0], SelectItem::Expr { .. }));
    assert!(matches!(s.items[1], SelectItem::Expr { .. }));
    assert!(matches!(s.items[2], SelectItem::Expr { .. }));
    assert!(matches!(s.items[3], SelectItem::Pattern { .. }));
    assert!(matches!(s.items[4], SelectItem::Pattern { .. }));
}

#[test]
fn incomplete_input_is_recognised_as_such() {
    for text in [
        "SELECT",
        "SELECT count(*) FROM",
        "SELECT a FROM t WHERE",
        "SELECT 'abc",
        "SELECT (a",
    ] {
        let err = parse_statement(text).unwrap_err();
        assert!(err.is_incomplete(), "{text}: {err:?}");
    }
    assert!(
        !parse_statement("SELECT FROM t")
            .unwrap_err()
            .is_incomplete()
    );
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        ";",
        "'",
        "\"",
        "$",
        "((",
        "SELECT *",
        "é",
        "SELECT \u{0} FROM t",
        "--",
        "/*",
        "SELECT 1e FROM t",
        "SELECT a.b.c FROM t",
        "SELECT a FROM t ORDER",
    ];
    for s in samples {
        let _ = parse_statements(s);
    }
}

// ---- property test: printed statements parse back to the same tree ----

fn ident_strategy() -> impl Strategy<Value = Ident> {
    let bare = prop::sample::select(vec!["a", "b", "gender", "os_days", "x_1", "EGFR", "_id"]);
    let quoted = prop::sample::select(vec!["HLA-A", "Pack Years", "select", "a\"b", "Histology "]);
    prop_oneof![
        3 => bare.prop_map(|n| Ident { name: n.into(), quoted: false, span: Span::default() }),
        1 => quoted.prop_map(|n| Ident { name: n.into(), quoted: true, span: Span::default() }),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let s = Span::default();
    prop_oneof![
        (prop::option::of(ident_strategy()), ident_strategy())
            .prop_map(|(table, column)| Expr::Column { table, column }),
        prop::sample::select(vec!["0", "12", "1.5", "2e3", "0.25"])
            .prop_map(move |n| Expr::Literal(Literal::Number(n.into()), s)),
        "[a-z' %-]{0,8}".prop_map(move |t| Expr::Literal(Literal::String(t), s)),
        any::<bool>().prop_map(move |b| Expr::Literal(Literal::Boolean(b), s)),
        Just(Expr::Literal(Literal::Null, s)),
        Just(Expr::Literal(Literal::Date("1994-08-10".into()), s)),
        prop::sample::select(vec!["1", "2", "name"]).prop_map(move |p| Expr::Param(p.into(), s)),
    ]
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(vec![
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Lt,
        BinaryOp::LtEq,
        BinaryOp::Gt,
        BinaryOp::GtEq,
        BinaryOp::Plus,
        BinaryOp::Minus,
        BinaryOp::Multiply,
        BinaryOp::Divide,
        BinaryOp::Modulo,
    ])
}

fn expr_strategy() -> impl Strategy<Value = Expr> {
    let s = Span::default();
    leaf().prop_recursive(4, 32, 4, move |inner| {
        let b = |e: Expr| Box::new(e);
        prop_oneof![
            (
                prop::sample::select(vec![UnaryOp::Not, UnaryOp::Minus]),
                inner.clone()
            )
                .prop_map(move |(op, e)| Expr::Unary {
                    op,
                    expr: b(e),
                    span: s
                }),
            (inner.clone(), binary_op(), inner.clone()).prop_map(move |(l, op, r)| Expr::Binary {
                left: b(l),
                op,
                right: b(r),
                span: s
            }),
            (inner.clone(), any::<bool>()).prop_map(move |(e, negated)| Expr::IsNull {
                expr: b(e),
                negated,
                span: s
            }),
            (
                inner.clone(),
                prop::collection::vec(inner.clone(), 1..3),
                any::<bool>()
            )
                .prop_map(move |(e, list, negated)| Expr::InList {
                    expr: b(e),
                    list,
                    negated,
                    span: s
                }),
            (inner.clone(), inner.clone(), inner.clone(), any::<bool>()).prop_map(
                move |(e, l, h, negated)| {
                    Expr::Between {
                        expr: b(e),
                        low: b(l),
                        high: b(h),
                        negated,
                        span: s,
                    }
                }
            ),
            (inner.clone(), inner.clone(), any::<bool>(), any::<bool>()).prop_map(
                move |(e, p, negated, ci)| {
                    Expr::Like {
                        expr: b(e),
                        pattern: b(p),
                        negated,
                        case_insensitive: ci,
                        span: s,
                    }
                }
            ),
            (
                prop::option::of(inner.clone()),
                prop::collection::vec((inner.clone(), inner.clone()), 1..3),
                prop::option::of(inner.clone())
            )
                .prop_map(move |(operand, whens, otherwise)| Expr::Case {
                    operand: operand.map(b),
                    whens,
                    otherwise: otherwise.map(b),
                    span: s,
                }),
            (
                inner.clone(),
                prop::sample::select(vec![
                    TypeName::Integer,
                    TypeName::Float,
                    TypeName::Text,
                    TypeName::Boolean,
                    TypeName::Date
                ])
            )
                .prop_map(move |(e, ty)| Expr::Cast {
                    expr: b(e),
                    ty,
                    span: s
                }),
            (
                ident_strategy(),
                prop::collection::vec(inner.clone(), 0..3),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(move |(name, args, distinct, star)| {
                    let name = Ident {
                        quoted: false,
                        name: if name.quoted { "f".into() } else { name.name },
                        span: s,
                    };
                    if star {
                        Expr::Function {
                            name,
                            args: vec![],
                            distinct: false,
                            star: true,
                            span: s,
                        }
                    } else {
                        Expr::Function {
                            name,
                            args,
                            distinct,
                            star: false,
                            span: s,
                        }
                    }
                }),
        ]
    })
}

fn select_strategy() -> impl Strategy<Value = Select> {
    let item = prop_oneof![
        (expr_strategy(), prop::option::of(ident_strategy()))
            .prop_map(|(expr, alias)| SelectItem::Expr { expr, alias }),
        (
            prop::option::of(ident_strategy()),
            prop::sample::select(vec!["*", "original_*", "original_*_mean"]),
            prop::collection::vec(ident_strategy(), 0..2)
        )
            .prop_map(|(table, pattern, except)| {
                let pattern = if table.is_none() && pattern == "original_*_mean" {
                    "original_*"
                } else {
                    pattern
                };
                SelectItem::Pattern {
                    table,
                    pattern: pattern.into(),
                    except,
                    span: Span::default(),
                }
            }),
    ];
    let order = (
        expr_strategy(),
        any::<bool>(),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(expr, descending, nulls_first)| OrderItem {
            expr,
            descending,
            nulls_first,
        });
    let number = || {
        prop::option::of(
            prop::sample::select(vec!["0", "10"])
                .prop_map(|n| Expr::Literal(Literal::Number(n.into()), Span::default())),
        )
    };
    (
        any::<bool>(),
        prop::collection::vec(item, 1..4),
        ident_strategy(),
        prop::option::of(expr_strategy()),
        prop::collection::vec(expr_strategy(), 0..2),
        prop::option::of(expr_strategy()),
        prop::collection::vec(order, 0..2),
        number(),
        number(),
        prop::option::of(prop_oneof![
            prop::sample::select(vec!["0", "3", "12"]).prop_map(|v| rgdb::syntax::AsOf::Version {
                version: v.into(),
                span: Span::default()
            }),
            prop::sample::select(vec!["2026-11-28", "2026-11-28T06:00:00Z"]).prop_map(|t| {
                rgdb::syntax::AsOf::Time(rgdb::syntax::StringLit {
                    value: t.into(),
                    span: Span::default(),
                })
            }),
        ]),
    )
        .prop_map(
            |(
                distinct,
                items,
                from,
                selection,
                group_by,
                having,
                order_by,
                limit,
                offset,
                as_of,
            )| {
                Select {
                    with: Vec::new(),
                    distinct,
                    items,
                    from: Some(rgdb::syntax::Source::Named(from)),
                    selection,
                    group_by,
                    having,
                    order_by,
                    limit,
                    offset,
                    as_of,
                    span: Span::default(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_statements_parse_to_the_same_tree(select in select_strategy()) {
        let statement = Statement::Select(Box::new(select));
        let printed = statement.to_string();
        let parsed = parse_statement(&printed);
        prop_assert!(parsed.is_ok(), "{printed}: {:?}", parsed.err());
        prop_assert_eq!(parsed.unwrap(), statement, "{}", printed);
    }
}

#[test]
fn long_operator_chains_are_refused() {
    let long = format!("SELECT {} FROM subjects", vec!["a"; 5_000].join(" + "));
    let err = parse_statement(&long).unwrap_err();
    assert_eq!(err.code(), "E0106");
    assert_eq!(
        err.to_string(),
        "more than 2000 operators in one statement; split it into several"
    );
    let fine = format!(
        "SELECT count(*) FROM subjects WHERE {}",
        vec!["a = 1"; 1_500].join(" OR ")
    );
    assert!(parse_statement(&fine).is_ok());
    // Nesting does not multiply the limit: 50 levels of 100-term chains are 5,000 operators.
    let mut nested = "a".to_string();
    for _ in 0..49 {
        nested = format!("({nested}{})", " + a".repeat(100));
    }
    let err = parse_statement(&format!("SELECT {nested} FROM t")).unwrap_err();
    assert_eq!(err.code(), "E0106");
}

#[test]
fn names_longer_than_the_limit_are_refused() {
    let long = "x".repeat(1 << 20);
    for (text, at) in [
        (format!("SELECT {long} FROM subjects"), 7),
        (format!("SELECT rnaseq.\"{long}\" FROM subjects"), 14),
        (format!("SELECT rnaseq.{long}* FROM subjects"), 14),
        (
            format!("SELECT count(*) FROM subjects WHERE gender = ${long}"),
            45,
        ),
        (
            format!("CREATE COHORT {long} AS SELECT subject_id FROM subjects"),
            14,
        ),
    ] {
        let err = parse_statement(&text).unwrap_err();
        assert_eq!(err.code(), "E0108", "{err}");
        // The pattern counts its `*`.
        let length = if text.contains(".x") && text.contains("x* ") {
            1_048_577
        } else {
            1_048_576
        };
        assert_eq!(
            err.to_string(),
            format!("this name is {length} characters long; names are at most 1024")
        );
        assert_eq!(err.span().start, at, "{text:.60}");
    }
    // At the limit, and in characters, not bytes: 1,024 `é` are 2,048 bytes.
    for name in ["x".repeat(1_024), "é".repeat(1_024)] {
        assert!(parse_statement(&format!("SELECT \"{name}\" FROM subjects")).is_ok());
    }
    let err = parse_statement(&format!("SELECT \"{}x\" FROM subjects", "é".repeat(1_024)));
    assert_eq!(err.unwrap_err().code(), "E0108");
}

#[test]
fn unicode_case_folding_does_not_split_a_keyword() {
    // U+212A KELVIN SIGN lower-cases to `k`; it must not be taken for the K of LIKE.
    let err = parse_statement("SELECT x FROM t WHERE x LI\u{212A}E 'a'").unwrap_err();
    assert_eq!(err.code(), "E0101");
    let err = parse_statement("SELECT x FROM t WHERE x \u{212A}").unwrap_err();
    assert_eq!(err.code(), "E0101");
}

#[test]
fn every_import_form_prints_back_as_written() {
    for text in [
        "IMPORT CLINICAL FROM 'c.csv' AS clinical",
        "IMPORT TABLE series FROM 's.csv' SUBJECT COLUMN 'PatientID' LEVEL MULTI",
        "IMPORT EXPRESSION FROM 'r.tsv.gz' ORIENTATION 'genes-by-subjects' UNIT 'FPKM' AS rnaseq",
        "IMPORT GEO FROM 'g.txt.gz' SUBJECT FIELD 'title' ANNOTATION 'gpl.tsv' AS gse",
        "IMPORT ALIASES FROM 'a.csv'",
        "IMPORT RADIOMICS FROM 'f.csv' SUBJECT PATTERN '(R01-[0-9]+)' ALLOW MIXED SETTINGS AS radiomic",
        "IMPORT AIM FROM 'annotations' TEMPLATE 'LungNoduleTemplate.xml' SUBJECT FIELD 'name' SKIP BAD AS semantic",
    ] {
        let stmt = parse_statement(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(stmt.to_string(), text);
        assert_eq!(parse_statement(&stmt.to_string()).unwrap(), stmt);
    }
    // A flag cut short is an error at the missing word.
    let err = parse_statement("IMPORT AIM FROM 'x' SKIP").unwrap_err();
    assert!(err.to_string().contains("BAD"), "{err}");
}

#[test]
fn survival_statements_print_back_as_written() {
    for text in [
        "SURVIVAL OF subjects",
        "SURVIVAL OF adeno_smokers BY egfr_mutation_status",
        "SURVIVAL OF subjects BY rnaseq.EGFR SPLIT AT MEDIAN",
        "SURVIVAL OF subjects BY age QUANTILES 3 AT (365, 730, 1825)",
        "SURVIVAL CURVE OF subjects TIME rfs_days EVENT rfs_event BY histology",
        "SURVIVAL OF subjects BY pack_years SPLIT AT 12.5",
        "COX OF subjects ON age_at_histological_diagnosis, gender, radiomic.original_shape_MeshVolume",
        "COX OF adeno_smokers TIME rfs_days EVENT rfs_event ON rnaseq.EGFR",
    ] {
        let stmt = parse_statement(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(stmt.to_string(), text);
    }
    let err = parse_statement("SURVIVAL OF subjects TIME os_days").unwrap_err();
    assert!(err.to_string().contains("EVENT"), "{err}");
}
