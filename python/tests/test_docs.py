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
    # Coming from duckdb: rows as tuples, the test rows, the cursor.
    assert "log-rank 1 df, p = 0.0543299497975" in out  # egfr_known: Mutant vs Wildtype
    assert "('AMC-001', 'Male', 881)" in out
    assert "{'subject_id': 'str', 'gender': 'str', 'os_days': 'int64'}" in out
    assert "Test(test='log-rank', chisq=3.98236677463" in out
    assert "concordance 0.6497055576002945" in out
    assert "[('subject_id', 'Utf8'), ('os_days', 'Int64')] 76" in out
    assert (tmp_path / "home" / "demo.rgdb").is_dir()
    assert (tmp_path / "egfr_known.parquet").is_file()


def build_instructions(text):
    """The maturin build instructions of a Markdown file: the `sh` block that runs
    `maturin develop` and the paragraph after it."""
    match = re.search(r"```sh\n[^`]*maturin develop[^`]*```\n\n(.*?)\n\n", text, flags=re.S)
    assert match, "no maturin build instructions"
    return match.group(0)


def test_the_build_instructions_read_the_same_everywhere():
    guide = build_instructions((REPO / "docs" / "python.md").read_text())
    assert "maturin build --release --locked" in guide
    for readme in (REPO / "README.md", REPO / "python" / "README.md"):
        assert build_instructions(readme.read_text()) == guide, readme
