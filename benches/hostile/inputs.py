#!/usr/bin/env python3
"""Inputs of the hostile-input figures (issue 21), written into the directory given.

- levels_10000.csv: 10,000 subjects; `days` (1..10,000), `died` (2 of 3), `level` with 10,000
  distinct text values (one per subject), `level1000` with 1,000 (ten subjects each), and
  `x` (a number).
- separation_10000.csv: 10,000 subjects; the 5,000 with x = 1 all die before anyone with
  x = 0 leaves (complete separation), and `z` an ordinary covariate.
- wide200.csv, wide100000.csv: 3 subjects by 200 and 100,000 integer columns.
- long_line.tsv.gz, long_header.tsv.gz: a 2 GB line in a 2 MB gzip (a matrix row; a header).
- ident_1mb.sql, ident_248.sql: a 1 MB column name, and a 248-character misspelled one.
Deterministic. `run.sh` makes them and measures each statement.
"""
import os
import sys

import gzip

out = sys.argv[1]
n = 10_000
with open(os.path.join(out, "levels_10000.csv"), "w") as f:
    f.write("subject,days,died,level,level1000,x\n")
    for i in range(1, n + 1):
        f.write(f"S{i:05},{i},{int(i % 3 != 0)},L{(i * 7919) % n:05},M{i % 1000:03},{(i * 37) % 101}\n")
with open(os.path.join(out, "separation_10000.csv"), "w") as f:
    f.write("subject,days,died,x,z\n")
    for i in range(1, n + 1):
        x = 1 if i <= n // 2 else 0
        died = 1 if x == 1 or i % 4 != 0 else 0
        f.write(f"S{i:05},{i},{died},{x},{(i * 53) % 97}\n")
for n in (200, 100_000):
    with open(os.path.join(out, f"wide{n}.csv"), "w") as f:
        f.write("subject_id," + ",".join(f"feature_{i}" for i in range(n)) + "\n")
        for s in range(3):
            f.write(f"S{s}," + ",".join(str((s * n + i) % 97) for i in range(n)) + "\n")
with open(os.path.join(out, "ident_1mb.sql"), "w") as f:
    f.write("SELECT w." + "x" * (1 << 20) + " FROM subjects\n")
with open(os.path.join(out, "ident_248.sql"), "w") as f:
    f.write("SELECT w.feature_" + "x" * 240 + " FROM subjects\n")
chunk = b"7" * (1 << 24)
for name, head, fill in (
    ("long_line.tsv.gz", b"gene\tS1\tS2\nG1\t", b"\t1\n"),
    ("long_header.tsv.gz", b"gene\t", b"\n"),
):
    path = os.path.join(out, name)
    if os.path.exists(path):
        continue
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(head)
        for _ in range(2_000_000_000 // len(chunk)):
            f.write(chunk)
        f.write(fill)
