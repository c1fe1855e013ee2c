"""What Python adds to a query: `db.query(...)` against the same call made in Rust.

The query returns 5 genes × 10,000 subjects from an expression matrix of 10,000 subjects ×
GENES genes. Both sides run the same statement on the same open database; the Rust side is
`rgdb::Database::query` timed inside Rust (`rgdb._rgdb.time_in_rust`), so the difference is the
binding's cost: the helper thread, the Arrow C stream and building the `pyarrow.Table`.

Target: the median of `db.query` is less than 2 ms above the median of the Rust call.

    python python/bench/bench_query.py [--genes 1000] [--repeat 50] [--dir /tmp/rgdb-bench]

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
QUERY = (
    "SELECT subject_id, expr.G00001, expr.G00002, expr.G00003, expr.G00004, expr.G00005 "
    "FROM subjects WHERE has(expr)"
)


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
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = build(args.dir, args.genes)
    with rgdb.open(path, create=False) as db:
        t = db.query(QUERY)
        assert t.num_rows == SUBJECTS and t.num_columns == 6, t.shape
        # Warm both paths, then alternate so that neither gets the quieter moments.
        _rgdb.time_in_rust(db, QUERY, 5)
        python, arrow_only, rust = [], [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            table = db.query(QUERY)
            python.append(time.perf_counter() - start)
            assert isinstance(table, pa.Table)
            start = time.perf_counter()
            db.arrow(QUERY)
            arrow_only.append(time.perf_counter() - start)
            rust.extend(_rgdb.time_in_rust(db, QUERY, 1))
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"query: 5 genes × {SUBJECTS} subjects, from {args.genes} genes; {args.repeat} runs each; medians")
    print(f"  Rust   Database::query           {ms(rust):8.3f} ms")
    print(f"  Python db.arrow (ArrowResult)    {ms(arrow_only):8.3f} ms")
    print(f"  Python db.query (pyarrow.Table)  {ms(python):8.3f} ms")
    overhead = ms(python) - ms(rust)
    print(f"  overhead of db.query over Rust   {overhead:8.3f} ms (target < 2 ms: {'met' if overhead < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
