#!/usr/bin/env python3
"""The storage-backend figures of issue 22, for every backend, from one run.

Usage: python3 benches/storage/run.py BIN WORKDIR [--scales S,M] [--backends redb,redb-tree,sled]
                                      [--runs 10] [--duckdb]

BIN is a release rgdb binary. For each scale it writes a synthetic cohort with `rgdb synth`
(kept in WORKDIR and reused), then for each backend:
- builds the database twice from the same files (`--backend B --create -f import.rgdb`): the
  import time and the size on disk of both builds (apparent bytes and allocated blocks);
- runs `rgdb --db DB -c "SELECT count(*) FROM subjects"` RUNS times as a whole process under
  /usr/bin/time: median wall time and peak RSS;
- runs that query once under `strace -ff` (one trace file per thread) and adds up the bytes
  written to files (not stdout/stderr), and checks that no file of the database changed (size, mtime, bytes);
- runs processes with the same statement five times (`.timer on`): the first statement
  against the median of the later ones, each the median over `--runs` processes.
It also writes each table to zstd Parquet (`EXPORT … TO '….parquet'`, DataFusion's zstd(3)), and
with --duckdb loads those files into a DuckDB database (needs the duckdb Python package), for
the size comparison. Prints a Markdown table; benches/README.md has the latest figures.
"""

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SCALES = {
    # The real cohort's shape (issue 22): 211 subjects, 130 with RNA-seq (22,000 genes), 60 with
    # radiomic features (1,764).
    "S": ["--subjects", "211", "--genes", "22000", "--features", "1764",
          "--rnaseq-fraction", str(130 / 211), "--radiomic-fraction", str(60 / 211),
          "--aim-fraction", "0"],
    # benches/scale.rs's M: 10,000 subjects with everything, 20,000 genes, 1,800 features.
    "M": ["--subjects", "10000", "--genes", "20000", "--features", "1800",
          "--rnaseq-fraction", "1", "--radiomic-fraction", "1", "--aim-fraction", "0"],
}
COUNT = "SELECT count(*) FROM subjects"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def timed(cmd):
    """Wall seconds and peak RSS (KB) of one process. The process runs under /usr/bin/time,
    whose %M is the peak RSS of rgdb alone (a child spawned straight from this script would
    inherit the script's own high-water mark); the wall clock is this script's, to the
    microsecond, and so includes /usr/bin/time's own start (about 0.5 ms)."""
    out = "/tmp/rgdb-storage-time.txt"
    start = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr.decode()}")
    return wall, int(open(out).read().split()[-1])


def sizes(path):
    apparent = allocated = 0
    for root, _, files in os.walk(path):
        for f in files:
            st = os.stat(os.path.join(root, f))
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return apparent, allocated


def state(path):
    out = {}
    for root, _, files in os.walk(path):
        for f in files:
            full = os.path.join(root, f)
            st = os.stat(full)
            digest = hashlib.sha256()
            with open(full, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            digest = digest.hexdigest()
            out[os.path.relpath(full, path)] = (st.st_size, st.st_mtime_ns, digest)
    return out


SYSCALL = r"(write|pwrite64|pwritev2?|writev)"
PID = r"(?:\[pid\s+\d+\]\s+|\d+\s+)?"
WRITE = re.compile(PID + SYSCALL + r"\((\d+),.*=\s+(\d+)\s*$")
# A call that another thread's output interrupted: its start, and its end with the result.
UNFINISHED = re.compile(PID + SYSCALL + r"\((\d+),.*<unfinished \.\.\.>\s*$")
RESUMED = re.compile(PID + r"<\.\.\. " + SYSCALL + r" resumed>.*=\s+(\d+)\s*$")


def bytes_written(cmd):
    """Bytes written to files (fds other than 1 and 2) by a process and its threads, and the
    number of such calls. `strace -ff` writes each thread's calls to its own file, so a call is
    one line; a call that is still split (`<unfinished ...>`, then `<... resumed>`) is counted
    from its two halves."""
    with tempfile.TemporaryDirectory(prefix="rgdb-storage-strace-") as tmp:
        prefix = os.path.join(tmp, "trace")
        r = run(["strace", "-ff", "-qq", "-o", prefix,
                 "-e", "trace=write,pwrite64,pwritev,pwritev2,writev"] + cmd)
        if r.returncode != 0:
            sys.exit(f"failed under strace: {r.stderr}")
        total = calls = 0
        for name in sorted(os.listdir(tmp)):
            if not name.startswith("trace."):
                continue
            pending = {}  # syscall name -> fd of its unfinished call in this thread
            for line in open(os.path.join(tmp, name), errors="replace"):
                line = line.strip()
                m = WRITE.match(line)
                if m:
                    fd, n = m.group(2), int(m.group(3))
                elif (m := UNFINISHED.match(line)):
                    pending[m.group(1)] = m.group(2)
                    continue
                elif (m := RESUMED.match(line)) and m.group(1) in pending:
                    fd, n = pending.pop(m.group(1)), int(m.group(2))
                else:
                    continue
                if fd not in ("1", "2"):
                    total += n
                    calls += 1
    return total, calls


def first_and_later(bin_, db, extra, runs):
    """The first statement of a process and the median of its four later ones, each the median
    over `runs` processes (one process alone varies by 2× and more with what else runs)."""
    script = ".timer on\n" + (COUNT + ";\n") * 5
    firsts, laters = [], []
    for _ in range(runs):
        r = run([bin_, "--db", db] + extra + ["--readonly"], input=script)
        times = []
        for line in r.stderr.splitlines():
            m = re.match(r"time: ([\d.]+)(µs|ms|s)$", line.strip())
            if m:
                v = float(m.group(1))
                times.append(v / 1000 if m.group(2) == "µs" else v if m.group(2) == "ms" else v * 1000)
        if len(times) != 5:
            sys.exit(f"expected 5 timings, got {r.stderr}")
        firsts.append(times[0])
        laters.append(statistics.median(times[1:]))
    return statistics.median(firsts), statistics.median(laters)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin")
    p.add_argument("work")
    p.add_argument("--scales", default="S,M")
    p.add_argument("--backends", default="redb,redb-tree,sled")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--duckdb", action="store_true")
    a = p.parse_args()
    bin_ = os.path.realpath(a.bin)
    os.makedirs(a.work, exist_ok=True)
    rows = []
    for scale in a.scales.split(","):
        synth = os.path.join(a.work, f"synth-{scale}")
        if not os.path.exists(os.path.join(synth, "import.rgdb")):
            shutil.rmtree(synth, ignore_errors=True)
            r = run([bin_, "synth", "--out", synth] + SCALES[scale])
            if r.returncode != 0:
                sys.exit(r.stderr)
        script = os.path.join(synth, "import.rgdb")
        parquet = None
        for backend in a.backends.split(","):
            extra = ["--backend", backend]
            built = []
            for build in (1, 2):
                db = os.path.join(a.work, f"{scale}-{backend}-{build}.rgdb")
                shutil.rmtree(db, ignore_errors=True)
                start = time.monotonic()
                r = run([bin_, "--db", db, "--create"] + extra + ["-f", script])
                if r.returncode != 0:
                    sys.exit(f"import {scale} {backend}: {r.stderr}")
                built.append((time.monotonic() - start, sizes(db)))
            db = os.path.join(a.work, f"{scale}-{backend}-1.rgdb")
            # One run first, so that every measured run finds the files in the page cache.
            timed([bin_, "--db", db] + extra + ["-c", COUNT])
            runs = [timed([bin_, "--db", db] + extra + ["-c", COUNT]) for _ in range(a.runs)]
            before = state(db)
            written, calls = bytes_written([bin_, "--db", db] + extra + ["-c", COUNT])
            unchanged = state(db) == before
            first, later = first_and_later(bin_, db, extra, a.runs)
            upgrade = None
            if backend == "sled":
                # The one-time conversion of a database an earlier rgdb made.
                copy = os.path.join(a.work, f"{scale}-sled-upgraded.rgdb")
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(db, copy)
                upgrade = timed([bin_, "upgrade", copy])
                upgrade = (upgrade[0], upgrade[1], sizes(copy)[0])
            if parquet is None:
                parquet = export_parquet(bin_, db, extra, os.path.join(a.work, f"parquet-{scale}"), a.duckdb)
            rows.append({
                "scale": scale, "backend": backend,
                "open_count_ms": statistics.median(r[0] for r in runs) * 1000,
                "open_count_min_ms": min(r[0] for r in runs) * 1000,
                "rss_mb": statistics.median(r[1] for r in runs) / 1024,
                "written": written, "write_calls": calls, "unchanged": unchanged,
                "first_ms": first, "later_ms": later,
                "import_s": [b[0] for b in built],
                "apparent": [b[1][0] for b in built],
                "allocated": [b[1][1] for b in built],
                "parquet": parquet[0], "duckdb": parquet[1],
                "upgrade": upgrade,
            })
            print_row(rows[-1], flush=True)
    print()
    print("| scale | backend | open + count, median of %d (min) | peak RSS (median) | bytes written by the read-only query | files unchanged | first statement / later | import (2 builds) | size: apparent (2 builds) | size: allocated | zstd Parquet | DuckDB |" % a.runs)
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(md(r))
    for r in rows:
        if r["upgrade"]:
            s, rss, size = r["upgrade"]
            print(f"\n`rgdb upgrade` of the {r['scale']} sled database: {s:.1f} s, peak RSS {rss / 1024:.0f} MiB, {mb(size)} after")


def mb(b):
    return f"{b / 2**20:.1f} MiB"


def md(r):
    return (f"| {r['scale']} | {r['backend']} | {r['open_count_ms']:.1f} ms ({r['open_count_min_ms']:.1f}) | "
            f"{r['rss_mb']:.1f} MiB | {r['written']:,} B in {r['write_calls']} calls | "
            f"{'yes' if r['unchanged'] else 'NO'} | {r['first_ms']:.2f} / {r['later_ms']:.2f} ms | "
            f"{r['import_s'][0]:.1f} s, {r['import_s'][1]:.1f} s | "
            f"{mb(r['apparent'][0])}, {mb(r['apparent'][1])} | {mb(r['allocated'][0])}, {mb(r['allocated'][1])} | "
            f"{mb(r['parquet'])} | {mb(r['duckdb']) if r['duckdb'] else '—'} |")


def print_row(r, flush=False):
    print(md(r), flush=flush)


def export_parquet(bin_, db, extra, out, duckdb):
    """Each table as zstd Parquet; returns the total size and, with duckdb, DuckDB's file size."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    r = run([bin_, "--db", db] + extra + ["--format", "csv", "-c", "SHOW TABLES"])
    tables = [line.split(",")[0] for line in r.stdout.splitlines()[1:] if line]
    total = 0
    for t in tables:
        f = os.path.join(out, f"{t}.parquet")
        r = run([bin_, "--db", db] + extra + ["-c", f"EXPORT (SELECT * FROM {t}) TO '{f}'"])
        if r.returncode != 0:
            sys.exit(f"export {t}: {r.stderr}")
        total += os.path.getsize(f)
    duck = 0
    if duckdb:
        import duckdb as d
        path = os.path.join(out, "cohort.duckdb")
        con = d.connect(path)
        for t in tables:
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_parquet('{os.path.join(out, t)}.parquet')")
        con.close()
        duck = os.path.getsize(path)
    return total, duck


if __name__ == "__main__":
    main()
