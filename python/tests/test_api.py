"""Opening, closing and the catalog calls of rgdb.Database."""

import gc

import pyarrow as pa
import pytest

import rgdb
from conftest import CLINICAL_CSV


def test_open_creates_and_reopens(tmp_path):
    path = tmp_path / "nsclc.rgdb"
    db = rgdb.open(path)
    assert db.path == str(path) and not db.closed
    summary = db.import_clinical(CLINICAL_CSV)
    assert summary["table"] == "clinical"
    assert summary["rows"] == 211 and summary["new_subjects"] == 211
    assert summary["replaced"] is False
    assert "os_days" in summary["columns"] and "gender" in summary["columns"]
    version = db.version
    db.close()
    assert db.closed
    assert "closed" in repr(db)
    db.close()  # closing twice is allowed
    with rgdb.open(path, create=False) as again:
        assert again.version == version
        assert len(again.subjects()) == 211
        assert again.subjects()[0] == "AMC-001"
        assert again.query("SELECT count(*) AS n FROM clinical").column("n").to_pylist() == [211]


def test_a_second_open_of_the_same_path_is_refused(tmp_path):
    path = tmp_path / "locked.rgdb"
    with rgdb.open(path):
        with pytest.raises(rgdb.StorageError) as e:
            rgdb.open(path)
        assert e.value.code == "E0501"
        assert str(path) in str(e.value)
    # The context manager released the lock.
    with rgdb.open(path) as db:
        assert db.tables().num_rows == 0


def test_open_without_create_refuses_a_missing_database(tmp_path):
    with pytest.raises(rgdb.StorageError) as e:
        rgdb.open(tmp_path / "nothing-here", create=False)
    assert e.value.code == "E0503"
    assert e.value.span is None
    assert str(e.value).startswith("error[E0503]") or "E0503" in str(e.value)


def test_calls_on_a_closed_database_raise(tmp_path):
    db = rgdb.open(tmp_path / "x.rgdb")
    db.close()
    with pytest.raises(rgdb.Error, match="the database is closed") as e:
        db.query("SHOW TABLES")
    assert e.value.code is None
    for call in (db.tables, db.subjects, lambda: db.version, lambda: db.describe("x")):
        with pytest.raises(rgdb.Error, match="closed"):
            call()


def test_memory_databases(tmp_path):
    for db in (rgdb.open(), rgdb.open(":memory:")):
        assert db.path == ":memory:"
        db.import_clinical(CLINICAL_CSV)
        assert db.query("SELECT count(*) AS n FROM subjects").column("n").to_pylist() == [211]
        db.close()


def test_catalog_calls(demo):
    tables = demo.tables()
    assert isinstance(tables, pa.Table)
    row = next(r for r in tables.to_pylist() if r["table"] == "clinical")
    assert row["rows"] == 211
    described = demo.describe("clinical").to_pylist()
    os_days = next(r for r in described if r["column"] == "os_days")
    assert os_days["type"].lower().startswith("int") or os_days["type"].lower() in ("integer", "bigint")
    assert "days" in (os_days["description"] or "").lower() or os_days["unit"] == "days"
    with pytest.raises(rgdb.ResolveError) as e:
        demo.describe("clinicl")
    assert e.value.code == "E0201"
    assert "did you mean `clinical`" in e.value.message
    with pytest.raises(rgdb.Error) as e:
        demo.describe("no such; table")
    assert e.value.code in ("E0505", "E0510")
    plan = demo.explain("SELECT subject_id, rnaseq.MIB1 FROM subjects WHERE has(rnaseq)")
    assert "MIB1" in plan
    # Only the asked-for gene is in the plan, not the 140 of the table.
    assert "CD52" not in plan


def test_a_database_is_released_when_garbage_collected(tmp_path):
    path = tmp_path / "gc.rgdb"
    db = rgdb.open(path)
    del db
    gc.collect()
    with rgdb.open(path):
        pass


def test_repr_and_version():
    with rgdb.open() as db:
        assert repr(db) == "<rgdb.Database :memory: (open)>"
        assert isinstance(db.version, int)
    assert rgdb.__version__.count(".") == 2


def test_a_timeout_stops_a_long_read(tmp_path):
    path = tmp_path / "t.rgdb"
    rgdb.demo(path).close()
    with rgdb.open(path, create=False, timeout=0.001) as db:
        with pytest.raises(rgdb.ExecError) as e:
            db.query("SELECT x, y, r FROM (CORRELATE radiomic.* WITH rnaseq.*)")
        assert e.value.code == "E0311"
        assert "time limit of 1 ms" in e.value.message
    for bad in (-1, 0, float("nan")):
        with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
            rgdb.open(timeout=bad)
    with rgdb.open(path, create=False, memory_limit=512 * 1024 * 1024) as db:
        assert db.query("SELECT count(*) AS n FROM subjects").column("n").to_pylist() == [211]
