"""Results cross into Python as Arrow, through the PyCapsule stream interface, without copies."""

import gc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import rgdb

SUBJECTS = 1_000
GENES = 2_000


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """A database with a subjects × genes expression matrix of 1,000 × 2,000 floats."""
    dir = tmp_path_factory.mktemp("wide")
    tsv = dir / "wide.tsv"
    genes = [f"G{j:04}" for j in range(GENES)]
    with tsv.open("w") as f:
        f.write("PID\t" + "\t".join(genes) + "\n")
        for i in range(SUBJECTS):
            f.write(f"S{i:04}\t" + "\t".join(str((i * GENES + j) * 0.5) for j in range(GENES)) + "\n")
    db = rgdb.open(dir / "wide.rgdb")
    db.execute(f"IMPORT EXPRESSION FROM '{tsv}' ORIENTATION 'subjects-by-genes' AS wide")
    yield db
    db.close()


def test_the_capsule_is_an_arrow_stream(demo):
    result = demo.arrow("SELECT subject_id, os_days FROM subjects")
    capsule = result.__arrow_c_stream__()
    assert type(capsule).__name__ == "PyCapsule"
    assert "arrow_array_stream" in repr(capsule)
    reader = pa.RecordBatchReader.from_stream(result)
    assert reader.schema.names == ["subject_id", "os_days"]
    assert reader.read_all().num_rows == 211
    assert result.num_rows == len(result) == 211
    assert result.column_names == ["subject_id", "os_days"]
    assert repr(result) == "<rgdb.ArrowResult: 211 rows × 2 columns>"
    # The protocol's requested_schema is accepted.
    assert pa.RecordBatchReader.from_stream(result, schema=reader.schema).read_all().num_rows == 211


def test_an_unconsumed_capsule_is_released(demo):
    result = demo.arrow("SELECT subject_id FROM subjects")
    for _ in range(100):
        capsule = result.__arrow_c_stream__()
        del capsule
    gc.collect()
    # Each capsule owned its own stream: the result is still whole.
    assert pa.table(result).num_rows == 211
    del result
    gc.collect()


def test_a_result_is_read_without_copying(wide):
    result = wide.arrow("SELECT subject_id, wide.* FROM subjects ORDER BY subject_id")
    first = pa.table(result)
    second = pa.table(result)
    assert first.num_rows == SUBJECTS
    assert first.num_columns == GENES + 1
    assert first.equals(second)
    # Both tables point at the same buffers: the ones rgdb holds in Rust.
    for name in ("G0000", "G1999"):
        a = first.column(name).chunk(0).buffers()[1]
        b = second.column(name).chunk(0).buffers()[1]
        assert a.address == b.address


def test_a_wide_result_has_the_values_written(wide):
    t = wide.query("SELECT subject_id, wide.* FROM subjects ORDER BY subject_id")
    assert t.schema.field("G0001").type == pa.float64()
    assert t.column("subject_id")[SUBJECTS - 1].as_py() == f"S{SUBJECTS - 1:04}"
    for i in (0, 17, SUBJECTS - 1):
        for j in (0, 999, GENES - 1):
            assert t.column(f"G{j:04}")[i].as_py() == (i * GENES + j) * 0.5
    # Five genes of 2,000: the plan reads only those.
    five = wide.query(
        "SELECT subject_id, wide.G0003, wide.G0500, wide.G1000, wide.G1500, wide.G1999 "
        "FROM subjects"
    )
    assert five.num_columns == 6 and five.num_rows == SUBJECTS
    plan = wide.explain("SELECT wide.G0003 FROM subjects")
    assert "G0004" not in plan


def test_an_empty_result_keeps_its_schema(demo):
    t = demo.query("SELECT subject_id, os_days, rnaseq.MIB1 FROM subjects WHERE os_days < 0")
    assert t.num_rows == 0
    assert t.column_names == ["subject_id", "os_days", "MIB1"]
    assert t.schema.field("MIB1").type == pa.float64()


def test_pandas_and_polars(demo):
    pandas = pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    t = demo.query("SELECT subject_id, gender, os_days FROM subjects ORDER BY subject_id")
    df = t.to_pandas()
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == ["subject_id", "gender", "os_days"]
    assert len(df) == 211
    assert df["subject_id"].iloc[0] == "AMC-001"
    pl_df = rgdb.to_polars(t)
    assert isinstance(pl_df, polars.DataFrame)
    assert pl_df.shape == (211, 3)
    assert pl_df["os_days"].to_list() == t.column("os_days").to_pylist()
    # polars takes the capsule directly too.
    direct = rgdb.to_polars(demo.arrow("SELECT gender, count(*) AS n FROM subjects GROUP BY gender"))
    assert sorted(direct["n"].to_list()) == [76, 135]
    assert polars.DataFrame(demo.arrow("SELECT subject_id FROM subjects")).height == 211


def test_an_export_reads_back_in_pyarrow(demo, tmp_path):
    select = (
        "SELECT subject_id, gender, os_days, os_event, rnaseq.MIB1 FROM subjects "
        "WHERE has(rnaseq) ORDER BY subject_id"
    )
    out = tmp_path / "cohort.parquet"
    summary = demo.query(f"EXPORT ({select}) TO '{out}'").to_pylist()
    assert summary == [
        {"path": str(out), "format": "parquet", "rows": 130, "files": 1, "bytes": out.stat().st_size}
    ]
    exported = pq.read_table(out)
    queried = demo.query(select)
    assert exported.column_names == queried.column_names
    assert exported.num_rows == 130
    for name in queried.column_names:
        assert exported.column(name).to_pylist() == queried.column(name).to_pylist(), name
    # Again as CSV, read by pyarrow's CSV reader.
    import pyarrow.csv as pacsv

    csv_out = tmp_path / "cohort.csv"
    assert demo.execute(f"EXPORT ({select}) TO '{csv_out}'") is None
    from_csv = pacsv.read_csv(csv_out)
    assert from_csv.column("subject_id").to_pylist() == queried.column("subject_id").to_pylist()
    assert from_csv.column("MIB1").to_pylist() == queried.column("MIB1").to_pylist()


PROVENANCE = {
    b"rgdb.statement",
    b"rgdb.database_version",
    b"rgdb.content_sha256",
    b"rgdb.tables",
    b"rgdb.version",
    b"rgdb.time",
    b"rgdb.shape",
}


@pytest.mark.parametrize("wide", [False, True])
def test_export_provenance_is_in_the_schema_pyarrow_and_pandas_read(demo, tmp_path, wide):
    """The provenance is in the Parquet footer and in the embedded Arrow schema, so that
    `pq.read_table(f).schema.metadata` has it (where pandas users read it from); and in an Arrow
    IPC file's schema. `wide` takes the column-at-a-time path."""
    columns = "rnaseq.*" if wide else "gender, os_days, rnaseq.MIB1"
    select = f"SELECT subject_id, {columns} FROM subjects WHERE has(rnaseq) ORDER BY subject_id"
    parquet, arrow_file = tmp_path / "c.parquet", tmp_path / "c.arrow"
    for out in (parquet, arrow_file):
        demo.execute(f"EXPORT ({select}) TO '{out}'")
    footer = pq.read_metadata(parquet).metadata
    from_parquet = pq.read_table(parquet)
    from_arrow = pa.ipc.open_file(arrow_file).read_all()
    for schema in (from_parquet.schema, pq.read_schema(parquet), from_arrow.schema):
        meta = schema.metadata or {}
        assert PROVENANCE <= set(meta), sorted(meta)
        assert meta[b"rgdb.statement"].decode().startswith(f"EXPORT ({select}) TO '{tmp_path}")
        assert meta[b"rgdb.content_sha256"] == footer[b"rgdb.content_sha256"]
    for table in (from_parquet, from_arrow):
        assert table.num_rows == 130
        row = table.column("subject_id").to_pylist().index("R01-007")
        assert table.column("MIB1")[row].as_py() == 295000030.0
        assert table.schema.field("MIB1").metadata[b"rgdb.unit"] == b"FPKM"


def test_a_note_and_header_travel_in_the_schema(demo):
    t = demo.query("DESCRIBE clinical")
    meta = t.schema.metadata or {}
    assert b"rgdb:header" in meta
    assert "clinical" in meta[b"rgdb:header"].decode()
