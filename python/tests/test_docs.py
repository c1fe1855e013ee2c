"""docs/python.md's walk-through runs, block by block, as a user would run it."""

import re
import shutil

from conftest import CLINICAL_CSV, REPO


def test_the_walk_through_runs(tmp_path, monkeypatch, capsys):
    text = (REPO / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 8
    # A fresh rgdb data directory, and the clinical CSV the last block imports, in the cwd.
    monkeypatch.setenv("RGDB_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    shutil.copy(CLINICAL_CSV, tmp_path)
    namespace = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/python.md block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    # What the blocks print: the demo's tables, the first subjects, the log-rank line, the error.
    assert "clinical" in out and "rnaseq" in out
    assert "log-rank" in out
    assert "E0202 (7, 12)" in out
    assert "did you mean `gender`" in out
    assert "211 rows, 211 new subjects" in out
    assert (tmp_path / "home" / "demo.rgdb").is_dir()
    assert (tmp_path / "egfr_known.parquet").is_file()
