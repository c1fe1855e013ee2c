"""Read-only opens beside a writer (issue 22), and the conversion of older databases."""

import os
import shutil
import subprocess
import sys

import pytest

import rgdb
from conftest import CLINICAL_CSV, REPO


def state(path):
    """Every file of a database directory with its size, mtime and bytes."""
    out = {}
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            st = os.stat(full)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = (st.st_size, st.st_mtime_ns, f.read())
    return out


def test_a_read_only_session_reads_beside_the_writer_and_writes_nothing(tmp_path):
    path = tmp_path / "cohort.rgdb"
    writer = rgdb.open(path)
    writer.execute(f"IMPORT CLINICAL FROM '{CLINICAL_CSV}'")
    before = state(path)
    reader = rgdb.open(path, read_only=True)
    assert reader.read_only and not writer.read_only
    assert reader.query("SELECT count(*) AS n FROM subjects").to_pylist() == [{"n": 211}]
    # A writing statement is refused, and says why.
    with pytest.raises(rgdb.StorageError) as e:
        reader.execute("DROP TABLE clinical")
    assert e.value.code == "E0515"
    assert "is open read-only" in str(e.value)
    reader.close()
    assert state(path) == before
    # The reader sees what the writer commits, statement by statement.
    reader = rgdb.open(path, read_only=True)
    version = reader.version
    writer.execute("CREATE COHORT women AS SELECT subject_id FROM subjects WHERE gender = 'Female'")
    assert reader.version == version + 1
    assert reader.query("SELECT count(*) AS n FROM women").to_pylist() == [{"n": 76}]
    reader.close()
    writer.close()


def test_a_second_writer_process_is_refused_naming_the_holder(tmp_path):
    path = tmp_path / "cohort.rgdb"
    with rgdb.open(path) as writer:
        writer.execute(f"IMPORT CLINICAL FROM '{CLINICAL_CSV}'")
        code = (
            "import rgdb, sys\n"
            "try:\n"
            f"    rgdb.open({str(path)!r})\n"
            "except rgdb.StorageError as e:\n"
            "    print(e.code, e); sys.exit(3)\n"
        )
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert child.returncode == 3, child
        assert child.stdout.startswith(
            f"E0501 error[E0501]: the database {path} is open for writing by another process (pid {os.getpid()}, "
        ), child.stdout
        reader = subprocess.run(
            [sys.executable, "-c", f"import rgdb; print(rgdb.open({str(path)!r}, read_only=True).version)"],
            capture_output=True,
            text=True,
        )
        assert reader.stdout.strip() == str(writer.version), reader


def test_an_older_database_is_converted_once(tmp_path):
    path = tmp_path / "v2.rgdb"
    shutil.copytree(REPO / "tests" / "fixtures" / "format-v2.rgdb", path)
    with pytest.raises(rgdb.StorageError) as e:
        rgdb.open(path)
    assert e.value.code == "E0516"
    report = rgdb.upgrade(path)
    assert (report["from"], report["to"]) == ("sled", "redb")
    assert report["chunks"] > 0
    assert rgdb.upgrade(path) is None
    with rgdb.open(path, read_only=True) as db:
        assert db.query("SELECT count(*) AS n FROM clinical").to_pylist() == [{"n": 211}]
