"""What Python adds to a query: `db.query(...)` against the same call made in Rust.

The query returns 5 genes × 10,000 subjects from an expression matrix of 10,000 subjects ×
GENES genes. Both sides run the same statement on the same open database; the Rust side is
`rgdb::Database::query` timed inside Rust (`rgdb._rgdb.time_in_rust`), so the difference is the
binding's cost: the helper thread, the Arrow C stream and building the `pyarrow.Table`.

Target: the median of `db.query` is less than 2 ms above the median of the Rust call.

    python python/bench/bench_query.py [--genes 1000] [--repeat 50] [--dir /tmp/rgdb-bench]
    python python/bench/bench_query.py --db $CARGO_TARGET_DIR/rgdb-bench/ingest-genes-by-subjects.rgdb --table rnaseq

The second form reuses the 20,000-gene × 10,000-subject database that `cargo bench --bench
ingest` leaves behind (its genes are named G00000…, its subjects S00000…).

Build the extension with `maturin develop --release` first for figures worth reporting.
"""

import argparse
import pathlib
import random
import statistics
import tempfile
import time

import pyarrow as pa

import rgdb
from rgdb import _rgdb

SUBJECTS = 10_000


def query(table: str) -> str:
    genes = ", ".join(f"{table}.G{j:05}" for j in range(1, 6))
    return f"SELECT subject_id, {genes} FROM subjects WHERE has({table})"


def build(dir: pathlib.Path, genes: int) -> pathlib.Path:
    path = dir / f"bench-{genes}.rgdb"
    if path.exists():
        return path
    tsv = dir / f"expr-{genes}.tsv"
    rng = random.Random(1)
    with tsv.open("w") as f:
        f.write("PID\t" + "\t".join(f"G{j:05}" for j in range(genes)) + "\n")
        for i in range(SUBJECTS):
            f.write(f"S{i:05}\t" + "\t".join(f"{rng.random() * 100:.4f}" for _ in range(genes)) + "\n")
    with rgdb.open(path) as db:
        start = time.perf_counter()
        db.execute(f"IMPORT EXPRESSION FROM '{tsv}' ORIENTATION 'subjects-by-genes' UNIT 'FPKM' AS expr")
        print(f"imported {SUBJECTS} × {genes} in {time.perf_counter() - start:.1f} s")
    tsv.unlink()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--dir", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "rgdb-bench")
    parser.add_argument("--db", type=pathlib.Path, help="an existing database to query instead")
    parser.add_argument("--table", default="expr", help="its expression table (with --db)")
    args = parser.parse_args()
    if args.db:
        path, table = args.db, args.table
    else:
        args.dir.mkdir(parents=True, exist_ok=True)
        path, table = build(args.dir, args.genes), "expr"
    text = query(table)
    with rgdb.open(path, create=False) as db:
        t = db.query(text)
        assert t.num_rows == SUBJECTS and t.num_columns == 6, t.shape
        # Warm both paths, then alternate so that neither gets the quieter moments.
        _rgdb.time_in_rust(db, text, 5)
        python, arrow_only, rust = [], [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = db.query(text)
            python.append(time.perf_counter() - start)
            assert isinstance(result, pa.Table)
            start = time.perf_counter()
            db.arrow(text)
            arrow_only.append(time.perf_counter() - start)
            rust.extend(_rgdb.time_in_rust(db, text, 1))
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"{path}: 5 genes × {SUBJECTS} subjects; {args.repeat} runs each; medians")
    print(f"  Rust   Database::query           {ms(rust):8.3f} ms")
    print(f"  Python db.arrow (ArrowResult)    {ms(arrow_only):8.3f} ms")
    print(f"  Python db.query (pyarrow.Table)  {ms(python):8.3f} ms")
    overhead = ms(python) - ms(rust)
    print(f"  overhead of db.query over Rust   {overhead:8.3f} ms (target < 2 ms: {'met' if overhead < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
