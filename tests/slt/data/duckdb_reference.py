#!/usr/bin/env python3
"""The expected rows of tests/slt/sql.slt (issue 23, "the SQL a SQL user reaches for"),
computed by DuckDB on the same data, so that rgdb's answers are checked against another engine.

DuckDB builds its `subjects` from the files rgdb's demo imports: the real clinical CSV
(data/nsclc_radiogenomics/…-shifted.csv: gender, histology, age, pack-years) joined with the
survival columns derived independently by tests/reference/clinical_reference.py
(tests/reference/clinical_survival.csv). The lesion files are tests/slt/data/lesions.*.

Each case pairs rgdb's statement with DuckDB's spelling of the same question (they differ only
where the dialects do: `contains(list, x)` is DuckDB's `list_contains`, rgdb's implicit join to
`subjects` is an explicit one). The output is each case's rows as sqllogictest prints them.

Run: python3 tests/slt/data/duckdb_reference.py   (needs `pip install duckdb`; made with
duckdb 1.x/2.x, whose answers to these agree)
"""
import os

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
CLINICAL = os.path.join(
    ROOT, "data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv"
)
SURVIVAL = os.path.join(ROOT, "tests/reference/clinical_survival.csv")

con = duckdb.connect()
con.execute(
    f"""
    CREATE TABLE subjects AS
    SELECT c."Patient ID" AS subject_id, c."Gender" AS gender, trim(c."Histology") AS histology,
           c."Age at Histological Diagnosis"::BIGINT AS age_at_histological_diagnosis,
           TRY_CAST(c."Pack Years" AS DOUBLE) AS pack_years,
           s.os_days::BIGINT AS os_days, s.os_event::BOOLEAN AS os_event
    FROM read_csv('{CLINICAL}', all_varchar = true) c
    JOIN read_csv('{SURVIVAL}', all_varchar = true) s ON s.subject_id = c."Patient ID"
    """
)
con.execute(f"CREATE VIEW lesions AS SELECT * FROM read_csv('{HERE}/lesions.csv')")

CASES = [
    # WITH
    "WITH dead AS (SELECT subject_id, os_days FROM subjects WHERE os_event) "
    "SELECT count(*) AS n, round(avg(os_days), 2) AS mean_days FROM dead",
    "WITH a AS (SELECT subject_id, age_at_histological_diagnosis AS age FROM subjects), "
    "old AS (SELECT subject_id FROM a WHERE age >= 70) SELECT count(*) FROM old",
    # Subqueries in FROM
    "SELECT histology, n FROM (SELECT histology, count(*) AS n FROM subjects GROUP BY histology) AS t "
    "WHERE n > 10 ORDER BY n DESC",
    # IN (SELECT …), NOT IN, and a subquery as a value
    "SELECT count(*) FROM subjects WHERE subject_id IN "
    "(SELECT subject_id FROM subjects WHERE gender = 'Female' AND os_event)",
    "SELECT count(*) FROM subjects WHERE subject_id NOT IN "
    "(SELECT subject_id FROM subjects WHERE histology = 'Adenocarcinoma')",
    "SELECT gender, count(*) AS n, round(100.0 * count(*) / (SELECT count(*) FROM subjects), 1) AS pct "
    "FROM subjects GROUP BY gender ORDER BY gender",
    # Window functions
    "SELECT subject_id, os_days, rank() OVER (ORDER BY os_days DESC) AS r FROM subjects "
    "ORDER BY r, subject_id LIMIT 5",
    "SELECT gender, subject_id, os_days FROM (SELECT subject_id, gender, os_days, "
    "row_number() OVER (PARTITION BY gender ORDER BY os_days DESC, subject_id) AS k FROM subjects) AS t "
    "WHERE k = 1 ORDER BY gender",
    "SELECT subject_id, round((os_days - avg(os_days) OVER ()) / stddev_pop(os_days) OVER (), 6) AS z "
    "FROM subjects ORDER BY z DESC, subject_id LIMIT 3",
    "SELECT histology, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS r FROM subjects "
    "GROUP BY histology ORDER BY r",
    "SELECT subject_id, os_days, lag(os_days) OVER (ORDER BY os_days, subject_id) AS prev "
    "FROM subjects ORDER BY os_days, subject_id LIMIT 3",
    "SELECT subject_id, sum(os_days) OVER (ORDER BY subject_id) AS running FROM subjects "
    "ORDER BY subject_id LIMIT 3",
    "SELECT gender, subject_id, round(percent_rank() OVER (PARTITION BY gender ORDER BY os_days), 6) AS pr "
    "FROM subjects WHERE subject_id IN ('R01-013', 'R01-022', 'AMC-001', 'AMC-002') ORDER BY gender, subject_id",
    # Population and sample spread
    "SELECT round(stddev_pop(os_days), 6), round(var_pop(os_days), 4), round(stddev(os_days), 6), "
    "round(variance(os_days), 4) FROM subjects",
    # array_agg, string_agg over a file read in place
    ("SELECT subject_id, count(*) AS n, length(string_agg(CAST(lesion AS TEXT), ';')) AS chars, "
     "contains(array_agg(CAST(lesion AS TEXT)), '2') AS has_two FROM 'tests/slt/data/lesions.csv' "
     "GROUP BY subject_id ORDER BY subject_id",
     "SELECT subject_id, count(*) AS n, length(string_agg(CAST(lesion AS TEXT), ';')) AS chars, "
     "list_contains(array_agg(CAST(lesion AS TEXT)), '2') AS has_two FROM lesions "
     "GROUP BY subject_id ORDER BY subject_id"),
    # A file joined to the stored tables by its subject_id
    ("SELECT l.subject_id, max(diameter_mm) AS largest, gender, histology "
     "FROM 'tests/slt/data/lesions.parquet' AS l GROUP BY l.subject_id, gender, histology ORDER BY 1",
     "SELECT l.subject_id, max(diameter_mm) AS largest, gender, histology FROM lesions AS l "
     "JOIN subjects USING (subject_id) GROUP BY l.subject_id, gender, histology ORDER BY 1"),
    ("SELECT count(*), round(sum(diameter_mm), 2) FROM 'tests/slt/data/lesions.csv'",
     "SELECT count(*), round(sum(diameter_mm), 2) FROM lesions"),
]


def cell(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    # Floats as Python and Arrow write them: the shortest text that reads back, `36.0`.
    return str(v)


for case in CASES:
    rgdb_sql, duck_sql = case if isinstance(case, tuple) else (case, case)
    rows = con.execute(duck_sql).fetchall()
    print(rgdb_sql)
    print("----")
    for r in rows:
        print(" ".join(cell(v) for v in r))
    print()
