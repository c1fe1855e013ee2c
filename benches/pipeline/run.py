#!/usr/bin/env python3
"""Before/after figures for a change of rgdb's execution (issue 24), from one run.

Usage: python3 benches/pipeline/run.py BEFORE AFTER SYNTH_M DB_M [--rounds 3] [--runs 10]

BEFORE and AFTER are two release rgdb binaries. SYNTH_M is the folder `rgdb synth` wrote for
scale M (10,000 subjects x 20,000 genes x 1,800 features; `benches/scale.rs` and
`benches/storage/run.py` make it), with its `import.rgdb`; DB_M is a database built from it by
the BEFORE binary (both binaries read the same storage format). The two binaries run
interleaved, round by round, so that the machine's drift falls on both alike:

- the Spearman map of `benches/scale.rs` (100 features x 20,000 genes over 10,000 subjects),
  a whole process: wall seconds and peak RSS;
- the query targets of `docs/performance.md`, in one process per binary (`.timer on`, each
  statement 1 + RUNS times on stdin, the median of the RUNS after the first);
- open + first count, a whole process, median of RUNS;
- the import of M (`--create -f import.rgdb`), a whole process.

Prints a Markdown table: the median over rounds for each binary, and AFTER / BEFORE.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FEATURES = ("radiomic.original_firstorder_*, radiomic.original_gl*, radiomic.original_ngtdm_*, "
            "radiomic.original_shape_MeshVolume, radiomic.original_shape_VoxelVolume, "
            "radiomic.original_shape_SurfaceArea, radiomic.original_shape_Sphericity, "
            "radiomic.original_shape_Maximum3DDiameter, radiomic.original_shape_MajorAxisLength, "
            "radiomic.original_shape_Elongation, radiomic.original_shape_LeastAxisLength")
MAP = f"SELECT count(*), min(q) FROM (CORRELATE {FEATURES} WITH rnaseq.*)"
QUERIES = {
    "count, 3 clinical predicates": "SELECT count(*) FROM subjects WHERE "
    "age_at_histological_diagnosis > 60 AND gender = 'Male' AND smoking_status = 'Former'",
    "5 genes + 3 clinical, filtered": "SELECT subject_id, age_at_histological_diagnosis, gender, "
    "histology, rnaseq.EGFR, rnaseq.KRAS, rnaseq.MKI67, rnaseq.TP53, rnaseq.STK11 FROM subjects "
    "WHERE histology = 'Adenocarcinoma' AND age_at_histological_diagnosis > 65",
    "group-by, 4 aggregates": "SELECT histology, smoking_status, count(*), "
    "avg(age_at_histological_diagnosis), min(os_days), max(pack_years) FROM subjects "
    "GROUP BY histology, smoking_status",
    "FROM (CORRELATE firstorder x rnaseq.A*) WHERE q < 0.05 ORDER BY p LIMIT 20": "SELECT x, y, q FROM (CORRELATE "
    "radiomic.original_firstorder_* WITH rnaseq.A*) WHERE q < 0.05 ORDER BY p LIMIT 20",
}
COUNT = "SELECT count(*) FROM subjects"


def timed(cmd, cwd=None):
    """Wall seconds and peak RSS (MB) of one process, under /usr/bin/time."""
    out = tempfile.mktemp(prefix="rgdb-pipeline-time-")
    start = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out] + cmd, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    with open(out) as f:
        rss = int(f.read().split()[-1]) / 1024
    os.unlink(out)
    return wall, rss


def query_times(binary, db, text, runs):
    """The median in-process time (ms) of `text` over RUNS runs after a first one."""
    script = ".timer on\n" + f"{text};\n" * (runs + 1)
    r = subprocess.run([binary, "--db", db, "--readonly", "--format", "csv"], input=script,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {text}\n{r.stderr}")
    times = [float(m) for m in re.findall(r"time: ([0-9.]+)ms", r.stdout + r.stderr)]
    if len(times) != runs + 1:
        sys.exit(f"expected {runs + 1} timings for {text}, got {len(times)}")
    return statistics.median(times[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("synth")
    ap.add_argument("db")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--no-import", action="store_true")
    a = ap.parse_args()
    bins = {"before": os.path.abspath(a.before), "after": os.path.abspath(a.after)}
    figures = {}  # (what, unit) -> {"before": [...], "after": [...]}

    def add(what, unit, who, value):
        figures.setdefault((what, unit), {"before": [], "after": []})[who].append(value)

    for round_ in range(a.rounds):
        for who in (["before", "after"] if round_ % 2 == 0 else ["after", "before"]):
            b = bins[who]
            wall, rss = timed([b, "--db", a.db, "--readonly", "-c", MAP])
            add("Spearman map, 100 features x 20,000 genes, M (whole process)", "s", who, wall)
            add("Spearman map: peak RSS", "MB", who, rss)
            for what, text in QUERIES.items():
                add(what + " (in process)", "ms", who, query_times(b, a.db, text, a.runs))
            opens = [timed([b, "--db", a.db, "--readonly", "-c", COUNT])[0] * 1e3
                     for _ in range(a.runs)]
            add("open + first count (whole process)", "ms", who, statistics.median(opens))
            if not a.no_import:
                target = tempfile.mkdtemp(prefix="rgdb-pipeline-import-")
                shutil.rmtree(target)
                wall, rss = timed([b, "--db", target, "--create", "-f",
                                   os.path.join(a.synth, "import.rgdb")], cwd=a.synth)
                shutil.rmtree(target)
                add("import M (clinical, 20,000 x 10,000 RNA-seq, 1,800 features)", "s", who, wall)
                add("import M: peak RSS", "MB", who, rss)
            print(f"round {round_ + 1} {who} done", file=sys.stderr, flush=True)

    print("| what | before | after | after / before |")
    print("|---|---|---|---|")
    for (what, unit), v in figures.items():
        mb, ma = statistics.median(v["before"]), statistics.median(v["after"])
        rng = lambda xs: f"{min(xs):.3g}–{max(xs):.3g}" if len(xs) > 1 else f"{xs[0]:.3g}"
        print(f"| {what} | {mb:.3g} {unit} ({rng(v['before'])}) | {ma:.3g} {unit} "
              f"({rng(v['after'])}) | {ma / mb:.2f} |")


if __name__ == "__main__":
    main()
