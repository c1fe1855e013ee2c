"""Queries from Python return the values of the source files and of the Rust side."""

import collections
import datetime
import json
import math
import os
import pathlib
import shutil
import subprocess

import pyarrow as pa
import pytest

import rgdb
from conftest import REPO, RNASEQ_TSV


def test_the_demo_holds_the_published_cohort(demo, clinical_rows):
    assert demo.query("SELECT count(*) AS n FROM subjects").to_pydict() == {"n": [211]}
    assert len(clinical_rows) == 211
    deaths = sum(r["Survival Status"] == "Dead" for r in clinical_rows)
    assert deaths == 63
    t = demo.query("SELECT count(*) AS n FROM subjects WHERE os_event")
    assert t.column("n").to_pylist() == [deaths]
    tables = demo.tables().column("table").to_pylist()
    assert {"clinical", "rnaseq", "series", "radiomic"} <= set(tables)
    # 130 subjects have RNA-seq, as GEO GSE103584 and the TSV say.
    with RNASEQ_TSV.open() as f:
        tsv_subjects = sum(1 for _ in f) - 1
    assert tsv_subjects == 130
    t = demo.query("SELECT count(*) AS n FROM subjects WHERE has(rnaseq)")
    assert t.column("n").to_pylist() == [130]


def test_group_counts_equal_the_csv(demo, clinical_rows):
    t = demo.query(
        "SELECT gender, count(*) AS n FROM subjects GROUP BY gender ORDER BY gender"
    )
    assert t.column_names == ["gender", "n"]
    assert t.schema.field("gender").type in (pa.string(), pa.large_string(), pa.string_view())
    assert t.schema.field("n").type == pa.int64()
    want = collections.Counter(r["Gender"] for r in clinical_rows)
    assert dict(zip(t.column("gender").to_pylist(), t.column("n").to_pylist())) == dict(want)
    assert want == {"Male": 135, "Female": 76}


def test_expression_values_equal_the_tsv(demo, rnaseq_rows):
    t = demo.query(
        "SELECT subject_id, rnaseq.MIB1, rnaseq.CD52 FROM subjects WHERE has(rnaseq) "
        "ORDER BY subject_id"
    )
    assert t.num_rows == 130
    assert t.schema.field("MIB1").type == pa.float64()
    got = {
        s: (m, c)
        for s, m, c in zip(
            t.column("subject_id").to_pylist(),
            t.column("MIB1").to_pylist(),
            t.column("CD52").to_pylist(),
        )
    }
    want = {r["PID"]: (float(r["MIB1"]), float(r["CD52"])) for r in rnaseq_rows}
    assert got == want
    # One value spelled out, as a reader of the TSV sees it.
    row = next(r for r in rnaseq_rows if r["PID"] == "R01-023")
    assert got["R01-023"][0] == float(row["MIB1"])


def test_values_equal_the_command_line(tmp_path):
    """The same statement through the Rust command line (CSV output) and through Python."""
    binary = os.environ.get("RGDB_BIN") or shutil.which("rgdb")
    if not binary:
        candidates = [
            pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "debug" / "rgdb",
            pathlib.Path.home() / ".cache" / "rgdb-target" / "debug" / "rgdb",
        ]
        binary = next((str(c) for c in candidates if c.exists()), None)
    if not binary:
        pytest.skip("no rgdb binary: set RGDB_BIN (CI does)")
    path = tmp_path / "demo.rgdb"
    rgdb.demo(path).close()
    statement = (
        "SELECT subject_id, age_at_histological_diagnosis, os_days, rnaseq.MIB1 "
        "FROM subjects WHERE has(rnaseq) ORDER BY subject_id"
    )
    out = subprocess.run(
        [binary, "--db", str(path), "--format", "csv", "-c", statement],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.strip().splitlines()
    with rgdb.open(path, create=False) as db:
        t = db.query(statement)
    assert lines[0].split(",") == t.column_names
    assert len(lines) - 1 == t.num_rows == 130
    for line, row in zip(lines[1:], t.to_pylist()):
        cells = line.split(",")
        assert cells[0] == row["subject_id"]
        for cell, name in zip(cells[1:], t.column_names[1:]):
            value = row[name]
            if value is None:
                assert cell in ("", "NULL")
            else:
                assert math.isclose(float(cell), value, rel_tol=1e-12), (name, cell, value)


def test_positional_params_of_every_type(demo):
    older = demo.query(
        "SELECT count(*) AS n FROM subjects WHERE age_at_histological_diagnosis > $1", params=[60]
    )
    by_python = demo.query("SELECT age_at_histological_diagnosis AS a FROM subjects")
    ages = [a for a in by_python.column("a").to_pylist() if a is not None]
    assert older.column("n").to_pylist() == [sum(a > 60 for a in ages)]
    t = demo.query(
        "SELECT $1 AS i, $2 AS f, $3 AS s, $4 AS b, $5 AS nothing, $6 AS d "
        "FROM subjects LIMIT 1",
        (7, 2.5, "Female", True, None, datetime.date(2018, 5, 22)),
    )
    row = t.to_pylist()[0]
    assert row["i"] == 7 and row["f"] == 2.5 and row["s"] == "Female" and row["b"] is True
    assert row["nothing"] is None
    assert row["d"] == datetime.date(2018, 5, 22)
    females = demo.query("SELECT count(*) AS n FROM subjects WHERE gender = $1", ["Female"])
    assert females.column("n").to_pylist() == [76]


def test_named_params(demo):
    t = demo.query(
        "SELECT count(*) AS n FROM subjects WHERE gender = $g AND os_event = $dead",
        {"g": "Male", "$dead": True},
    )
    by_python = demo.query("SELECT gender, os_event FROM subjects").to_pylist()
    want = sum(r["gender"] == "Male" and r["os_event"] is True for r in by_python)
    assert t.column("n").to_pylist() == [want]


def test_bad_params_are_type_errors(demo):
    with pytest.raises(TypeError, match=r"parameter \$2: rgdb takes None, bool, int, float, str"):
        demo.query("SELECT $1, $2 FROM subjects", [1, object()])
    with pytest.raises(TypeError, match=r"parameter \$1: .*does not fit in 64 bits"):
        demo.query("SELECT $1 FROM subjects", [2**70])
    with pytest.raises(TypeError, match="datetime"):
        demo.query("SELECT $1 FROM subjects", [datetime.datetime(2020, 1, 1, 12, 0)])
    with pytest.raises(TypeError, match="params must be a list or tuple"):
        demo.query("SELECT $1 FROM subjects", 5)
    with pytest.raises(rgdb.ExecError) as e:
        demo.query("SELECT count(*) FROM subjects WHERE age_at_histological_diagnosis > $1")
    assert e.value.code == "E0303"
    assert "no value was given for parameter $1" in e.value.message


def test_survival_matches_lifelines(demo):
    reference = json.loads((REPO / "tests/reference/survival/reference.json").read_text())
    groups = reference["cohort_by_egfr"]["groups"]
    result = demo.arrow("SURVIVAL OF subjects BY egfr_mutation_status AT (365, 1825)")
    # The header gives p to three digits, as R prints it; `test` has the double.
    assert "chi-square 3.9824 on 2 df, p = 0.137" in result.header
    assert abs(result.test.p - reference["cohort_by_egfr"]["logrank"]["p"]) < 1e-12
    t = pa.table(result)
    assert t.schema.metadata[b"rgdb:header"].decode() == result.header
    rows = t.to_pylist()
    assert len(rows) == 3
    group_column, n_column, events_column = t.column_names[:3]
    for row in rows:
        want = groups[row[group_column]]
        assert row[n_column] == want["n"]
        assert row[events_column] == want["events"]
        median = row[t.column_names[4]]
        if want["median"] is None:
            assert median is None
        else:
            assert math.isclose(median, want["median"])


def test_cohorts_from_python(demo, tmp_path):
    path = tmp_path / "c.rgdb"
    rgdb.demo(path).close()
    with rgdb.open(path) as db:
        note = db.execute(
            "CREATE COHORT females AS SELECT subject_id FROM subjects WHERE gender = 'Female'"
        )
        assert note is None  # a cohort change has no text summary
        assert "females" in db.cohorts().column(0).to_pylist()
        t = db.query("SELECT count(*) AS n FROM females")
        assert t.column("n").to_pylist() == [76]
        km = db.query("SURVIVAL OF females BY egfr_mutation_status")
        assert sum(km.column(1).to_pylist()) <= 76
        assert db.version >= 2
        assert len(db.history()) >= 2
