"""Every error class, with the code, message, span and caret text rgdb gives."""

import pytest

import rgdb
from conftest import REPO

CLASSES = [
    rgdb.ParseError,
    rgdb.ResolveError,
    rgdb.PlanError,
    rgdb.ExecError,
    rgdb.IngestError,
    rgdb.StorageError,
]


def test_the_classes_form_one_hierarchy():
    assert issubclass(rgdb.Error, Exception)
    for cls in CLASSES:
        assert issubclass(cls, rgdb.Error), cls
        assert cls.__module__ == "rgdb"
        assert cls.__doc__
    # Distinct classes, so `except rgdb.ParseError` catches only parse errors.
    assert len(set(CLASSES)) == len(CLASSES)
    # Not shadowing Python's own ImportError.
    assert not issubclass(rgdb.IngestError, ImportError)


def test_a_parse_error(demo):
    text = "SELECT FROM subjects"
    with pytest.raises(rgdb.ParseError) as e:
        demo.query(text)
    err = e.value
    assert err.code == "E0101"
    assert err.message == "expected select item, found `FROM`"
    assert err.span == (7, 11)
    assert text[err.span[0] : err.span[1]] == "FROM"
    assert str(err) == err.rendered
    assert "error[E0101]" in err.rendered
    assert text in err.rendered
    assert "^^^^" in err.rendered


def test_a_resolve_error_suggests_the_column(demo):
    text = "SELECT gendr FROM subjects"
    with pytest.raises(rgdb.ResolveError) as e:
        demo.query(text)
    err = e.value
    assert err.code == "E0202"
    assert "unknown column `gendr`" in err.message
    assert "did you mean `gender`" in err.message
    assert text[err.span[0] : err.span[1]] == "gendr"
    # The caret line points under `gendr`.
    lines = err.rendered.splitlines()
    source_line = next(i for i, l in enumerate(lines) if l.endswith(text))
    caret = lines[source_line + 1]
    offset = lines[source_line].index(text)
    assert caret.index("^") == offset + err.span[0]
    assert caret.count("^") == len("gendr")


def test_an_exec_error(demo):
    with pytest.raises(rgdb.ExecError) as e:
        demo.query("SELECT 1 % 0 FROM subjects")
    assert e.value.code == "E0306"
    assert e.value.message == "division by zero"


def test_a_statistics_error_is_an_exec_error(demo):
    with pytest.raises(rgdb.ExecError) as e:
        demo.query("SURVIVAL OF subjects TIME gender EVENT os_event")
    assert e.value.code == "E0309"
    assert "the time `gender` must be a number" in e.value.message


def test_an_ingest_error_names_the_file_and_line(db):
    """tests/bad_inputs/clinical_short_row.csv: the TCIA header, and a row cut short."""
    bad = REPO / "tests" / "bad_inputs" / "clinical_short_row.csv"
    before = db.version
    with pytest.raises(rgdb.IngestError) as e:
        db.import_clinical(bad)
    err = e.value
    assert err.code == "E0405"
    assert "clinical_short_row.csv:" in err.message
    assert "this row has" in err.message and "but the header has" in err.message
    # The import was atomic: nothing changed.
    assert db.version == before
    assert db.tables().num_rows == 0
    assert db.subjects() == []


def test_an_ingest_error_from_a_statement(db, tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(rgdb.IngestError) as e:
        db.execute(f"IMPORT CLINICAL FROM '{missing}'")
    assert "missing.csv" in e.value.message


def test_storage_errors(tmp_path):
    with pytest.raises(rgdb.StorageError) as e:
        rgdb.open(tmp_path / "absent", create=False)
    assert e.value.code == "E0503"
    assert e.value.message.startswith("no rgdb database at")


def test_the_plan_error_is_a_documented_subclass():
    """rgdb has no statement known to fail in the planner (E0302 is a bug or a DataFusion
    limitation); the class is still distinct and documented."""
    assert rgdb.PlanError.__doc__ and "E0302" in rgdb.PlanError.__doc__
    with pytest.raises(rgdb.Error):
        raise rgdb.PlanError("building the query plan failed")


def test_errors_leave_the_database_usable(demo):
    for bad in ("SELECT FROM subjects", "SELECT gendr FROM subjects", "SELECT 1 % 0 FROM subjects"):
        with pytest.raises(rgdb.Error):
            demo.query(bad)
    assert demo.query("SELECT count(*) AS n FROM subjects").column("n").to_pylist() == [211]
