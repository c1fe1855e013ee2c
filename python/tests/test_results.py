"""Results as a duckdb user expects them: `db.sql(...)` and `rgdb.sql(...)` give an ArrowResult
with `df()`, `pl()`, `arrow()`, `fetchone()`, `fetchall()`, the test statistics of SURVIVAL and
COX as attributes, and a DB-API cursor."""

import json
import sys

import pyarrow as pa
import pytest

import rgdb
from conftest import CLINICAL_CSV, REPO

SELECT = (
    "SELECT subject_id, gender, age_at_histological_diagnosis, pack_years, os_event "
    "FROM subjects ORDER BY subject_id"
)
KM = "SURVIVAL OF subjects BY egfr_mutation_status"
COX = "COX OF subjects ON age_at_histological_diagnosis, gender, pack_years"
# lifelines' values (multivariate_logrank_test; CoxPHFitter's concordance), which the Rust
# suite checks too: tests/reference/survival/reference.py and cox_reference.py made them.
REFERENCE = REPO / "tests" / "reference" / "survival"
LOGRANK = json.loads((REFERENCE / "reference.json").read_text())["cohort_by_egfr"]["logrank"]
LIFELINES_COX = json.loads((REFERENCE / "cox_reference.json").read_text())
LOGRANK_P = 0.13653375748935873
CONCORDANCE = 0.6497055576002945


def test_the_reference_values_are_lifelines():
    assert LOGRANK["p"] == LOGRANK_P and LOGRANK["df"] == 2
    assert LIFELINES_COX["concordance"] == CONCORDANCE


def csv_tuples(clinical_rows):
    """The SELECT's rows as the clinical CSV has them, in subject order."""
    rows = sorted(clinical_rows, key=lambda r: r["Patient ID"])
    return [
        (
            r["Patient ID"],
            r["Gender"],
            int(r["Age at Histological Diagnosis"]),
            int(r["Pack Years"]) if r["Pack Years"].isdigit() else None,
        )
        for r in rows
    ]


def test_fetchall_gives_the_csv_rows_as_tuples(demo, clinical_rows):
    rows = demo.sql(SELECT).fetchall()
    assert isinstance(rows, list) and all(type(r) is tuple for r in rows)
    assert len(rows) == 211
    assert [r[:4] for r in rows] == csv_tuples(clinical_rows)
    assert rows[0] == ("AMC-001", "Male", 34, None, True)
    assert sum(r[4] for r in rows) == 63  # deaths


def test_fetchone_walks_the_rows_then_gives_none(demo):
    result = demo.sql("SELECT subject_id, os_days FROM subjects ORDER BY subject_id LIMIT 3")
    everything = result.fetchall()
    assert [r[0] for r in everything] == ["AMC-001", "AMC-002", "AMC-003"]
    assert everything[0] == ("AMC-001", 881)
    # fetchall rewound the cursor: fetchone starts again from the first row.
    assert [result.fetchone() for _ in range(3)] == everything
    assert result.fetchone() is None
    assert result.fetchone() is None
    assert result.fetchmany(2) == []
    # A fresh result: fetchone, fetchmany and fetchall share one cursor, as duckdb's.
    result = demo.sql("SELECT subject_id, os_days FROM subjects ORDER BY subject_id LIMIT 3")
    assert result.fetchone() == everything[0]
    assert result.fetchmany(1) == [everything[1]]
    assert result.fetchall() == [everything[2]]
    assert result.fetchall() == everything
    # Reading the whole result is independent of the cursor.
    assert result.fetchone() == everything[0]
    assert result.arrow().num_rows == 3 and len(result.df()) == 3
    empty = demo.sql("SELECT subject_id FROM subjects WHERE os_days < 0")
    assert empty.fetchone() is None and empty.fetchall() == []


def test_df_has_the_shape_and_dtypes_of_the_columns(demo):
    pandas = pytest.importorskip("pandas")
    result = demo.sql(SELECT)
    assert result.columns == [
        "subject_id",
        "gender",
        "age_at_histological_diagnosis",
        "pack_years",
        "os_event",
    ]
    assert result.shape == (211, 5)
    df = result.df()
    assert isinstance(df, pandas.DataFrame)
    assert df.shape == (211, 5)
    assert list(df.columns) == result.columns
    assert pandas.api.types.is_string_dtype(df["subject_id"])
    assert pandas.api.types.is_string_dtype(df["gender"])
    assert df["age_at_histological_diagnosis"].dtype == "int64"
    # A column of integers with NULLs (56 subjects have no pack-years) becomes float64 + NaN.
    assert df["pack_years"].dtype == "float64"
    assert int(df["pack_years"].isna().sum()) == 56
    assert df["os_event"].dtype == "bool"
    assert int(df["os_event"].sum()) == 63
    assert df["subject_id"].iloc[0] == "AMC-001"
    assert result.fetchdf().equals(df)


def test_pl_has_the_columns_and_values(demo, clinical_rows):
    polars = pytest.importorskip("polars")
    result = demo.sql(SELECT)
    frame = result.pl()
    assert isinstance(frame, polars.DataFrame)
    assert frame.columns == result.columns
    assert frame.shape == (211, 5)
    assert frame.schema["age_at_histological_diagnosis"] == polars.Int64
    assert frame.schema["pack_years"] == polars.Int64
    assert frame["subject_id"].to_list() == [r[0] for r in csv_tuples(clinical_rows)]
    assert frame["pack_years"].null_count() == 56


def test_arrow_is_a_table_with_the_metadata(demo):
    result = demo.sql(KM)
    table = result.arrow()
    assert isinstance(table, pa.Table)
    assert table.equals(result.fetch_arrow_table())
    assert table.column_names == result.columns
    assert b"rgdb:header" in table.schema.metadata
    assert table.schema.metadata[b"rgdb:test"] == demo.query(KM).schema.metadata[b"rgdb:test"]


def test_survival_carries_the_log_rank_test(demo):
    result = demo.sql(KM)
    test = result.test
    assert test.test == "log-rank"
    assert abs(test.p - LOGRANK_P) < 1e-12
    assert abs(test.chisq - LOGRANK["chi2"]) < 1e-9
    assert test.df == 2 and type(test.df) is int
    assert type(test.p) is float and type(test.chisq) is float
    assert (test.groups, test.n, test.events, test.dropped) == (3, 206, 60, 5)
    assert test.note is None
    assert test._fields == (
        "test", "chisq", "df", "p", "groups", "n", "events", "dropped", "note"
    )
    assert type(test).__name__ == "Test"
    assert result.test is test  # made once
    # The same row SURVIVAL TEST returns as its result, whose own `test` is None.
    alone = demo.sql("SURVIVAL TEST OF subjects BY egfr_mutation_status")
    assert alone.test is None
    assert alone.fetchall() == [tuple(test)]
    assert result.test_table.equals(alone.arrow().replace_schema_metadata(None))
    assert result.test_table.to_pylist() == [test._asdict()]


def test_cox_carries_the_concordance_as_a_full_double(demo):
    result = demo.sql(COX)
    test = result.test
    assert test.concordance == CONCORDANCE
    assert (test.n, test.events, test.dropped) == (155, 53, 56)
    for name in ("lr", "wald", "score"):
        assert abs(getattr(test, f"{name}_chisq") - LIFELINES_COX[f"{name}_chi2"]) < 1e-9
        assert abs(getattr(test, f"{name}_p") - LIFELINES_COX[f"{name}_p"]) < 1e-12
    assert abs(test.log_likelihood - LIFELINES_COX["log_likelihood"]) < 1e-9
    assert test.lr_df == test.wald_df == test.score_df == 3
    assert test.log_likelihood > test.null_log_likelihood
    assert set(test._asdict()) == {
        "n", "events", "dropped", "lr_chisq", "lr_df", "lr_p", "wald_chisq", "wald_df",
        "wald_p", "score_chisq", "score_df", "score_p", "concordance", "log_likelihood",
        "null_log_likelihood", "iterations",
    }


def test_a_plain_select_has_no_test(demo):
    result = demo.sql(SELECT)
    assert result.test is None
    assert result.test_table is None
    assert b"rgdb:test" not in (demo.query(SELECT).schema.metadata or {})


def test_query_keeps_the_test_row_as_json_metadata(demo):
    for text in (KM, COX):
        table = demo.query(text)
        row = json.loads(table.schema.metadata[b"rgdb:test"])
        assert row == demo.sql(text).test._asdict()
    row = json.loads(demo.query(COX).schema.metadata[b"rgdb:test"])
    assert row["concordance"] == CONCORDANCE
    # Every column is there, a NULL as null.
    row = json.loads(demo.query(KM).schema.metadata[b"rgdb:test"])
    assert row["note"] is None and row["df"] == 2


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A fresh rgdb data directory, and no database remembered by rgdb.sql before or after."""
    monkeypatch.setenv("RGDB_HOME", str(tmp_path / "home"))
    with rgdb.open():  # a database of its own, so whatever rgdb.sql held is let go
        pass
    yield tmp_path
    # Let go of (and close) whatever the test left for rgdb.sql.
    with rgdb.open():
        pass


def test_module_sql_runs_on_the_last_database_opened(fresh_home):
    demo = rgdb.demo(fresh_home / "demo.rgdb")
    assert rgdb.sql("SELECT count(*) AS n FROM subjects").fetchone() == (211,)
    assert rgdb.sql(KM).test.df == 2
    with rgdb.open(fresh_home / "mine.rgdb") as mine:
        mine.import_clinical(CLINICAL_CSV)
        assert rgdb.sql("SHOW TABLES").fetchall()[0][0] == "clinical"
        assert rgdb.sql("SELECT count(*) AS n FROM clinical").fetchone() == (211,)
    # That one is closed: rgdb.sql opens the demo of the data directory, and it still works
    # with the other demo open beside it.
    assert not (fresh_home / "home" / "demo.rgdb").exists()
    assert rgdb.sql("SELECT count(*) AS n FROM subjects WHERE os_event").fetchone() == (63,)
    assert (fresh_home / "home" / "demo.rgdb").is_dir()
    demo.close()
    # Parameters, as Database.sql takes them.
    assert rgdb.sql("SELECT count(*) AS n FROM subjects WHERE gender = $1", ["Female"]).fetchone() == (76,)


def test_module_sql_lets_go_when_another_database_opens(fresh_home):
    rgdb.sql("SELECT 1 AS x")  # opens the demo of the data directory itself
    # rgdb.demo() on the same path works: the one rgdb.sql held is closed first.
    with rgdb.demo() as demo:
        assert rgdb.sql("SELECT count(*) AS n FROM subjects").fetchone() == (211,)
        assert demo.path == str(fresh_home / "home" / "demo.rgdb")
    # A database nobody holds any more is still released when the same path is opened again.
    path = fresh_home / "gc.rgdb"
    rgdb.open(path)
    with rgdb.open(path) as again:
        assert not again.closed
    # A failed open keeps the previous database for rgdb.sql.
    with rgdb.open() as memory:
        with pytest.raises(rgdb.StorageError):
            rgdb.open(fresh_home / "missing.rgdb", create=False)
        assert rgdb.sql("SHOW TABLES").fetchall() == []


def test_pandas_and_polars_missing_say_how_to_install(demo, monkeypatch):
    result = demo.sql("SELECT subject_id FROM subjects")
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match=r"ArrowResult.df\(\) needs pandas.*pip install pandas"):
        result.df()
    with pytest.raises(ImportError, match=r"ArrowResult.pl\(\) needs polars.*pip install polars"):
        result.pl()
    # What does not need them still works.
    assert result.arrow().num_rows == 211


def test_a_cursor_speaks_db_api(demo):
    cursor = demo.cursor()
    assert cursor.description is None and cursor.rowcount == -1
    with pytest.raises(rgdb.Error, match="no statement has been executed"):
        cursor.fetchone()
    assert cursor.execute(
        "SELECT subject_id, os_days FROM subjects WHERE gender = $1 ORDER BY subject_id",
        ["Female"],
    ) is cursor
    assert cursor.rowcount == 76
    assert cursor.description == [
        ("subject_id", "Utf8", None, None, None, None, False),
        ("os_days", "Int64", None, None, None, None, True),
    ]
    women = demo.sql(
        "SELECT subject_id, os_days FROM subjects WHERE gender = 'Female' ORDER BY subject_id"
    ).fetchall()
    assert cursor.fetchone() == women[0] == ("AMC-002", 30)
    assert cursor.fetchmany() == [women[1]]
    cursor.arraysize = 2
    assert cursor.fetchmany() == women[2:4]
    assert cursor.fetchall() == women[4:]
    assert cursor.fetchone() is None and cursor.fetchall() == [] and cursor.fetchmany(3) == []
    # Iterating yields what is left; a new execute starts over.
    cursor.execute("SELECT subject_id FROM subjects ORDER BY subject_id LIMIT 2")
    assert list(cursor) == [("AMC-001",), ("AMC-002",)]
    cursor.execute(KM)
    assert cursor.rowcount == 3
    assert cursor.connection is demo
    cursor.close()
    with pytest.raises(rgdb.Error, match="the cursor is closed"):
        cursor.execute("SELECT 1 AS x")
    with pytest.raises(rgdb.Error, match="the cursor is closed"):
        cursor.fetchall()
    # Statement errors are rgdb's.
    with demo.cursor() as c:
        with pytest.raises(rgdb.ResolveError):
            c.execute("SELECT gendr FROM subjects")


def test_a_cursor_on_a_closed_database_raises(tmp_path):
    db = rgdb.open(tmp_path / "c.rgdb")
    db.close()
    with pytest.raises(rgdb.Error, match="the database is closed"):
        db.cursor()
    with pytest.raises(rgdb.Error, match="the database is closed"):
        db.sql("SHOW TABLES")
