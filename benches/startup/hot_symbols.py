#!/usr/bin/env python3
"""Writes `assets/hot-symbols.txt`: the functions of the release `rgdb` binary that a short
session executes (open, a few small statements, close), for the linker to place side by side.

Why (issue 22): a tiny query executes about 2 M instructions (callgrind, measured in the
previous session on the code of commit 85c24d7), but the functions they belong to lie scattered
over the release binary's 68.6 MB of code (`.text`, `size -A`, 2026-12-07), and the kernel maps
code in 64 KiB windows. `build.rs` hands this list to lld (`--symbol-ordering-file`), which puts
these functions first and side by side. Measured on 2026-12-07 with the same code linked
without and with it: peak RSS of a `SELECT count(*) FROM subjects` process 52.3 / 52.3 MiB ->
18.5 / 19.2 MiB (S / M), first statement 2.0x / 2.0x -> 1.5x / 1.7x a later one; the method
is in benches/README.md ("The hot-code order").

Usage: python3 benches/startup/hot_symbols.py BIN DB [OUT]
  BIN  a release rgdb binary built from the current sources (any ordering file)
  DB   a database with the demo's tables (`rgdb demo DB` builds one)
Needs valgrind (callgrind). The names are the linker's (mangled), so the list matches builds
by the same rustc from the same Cargo.lock; lld ignores names it does not find, and a stale
list costs only speed. Re-run it after a rustc or dependency update.
"""
import os
import re
import subprocess
import sys
import tempfile

# Small statements of each kind a user types first; every function any of them runs is hot.
STATEMENTS = [
    "SELECT count(*) FROM subjects",
    "SELECT subject_id, age_at_histological_diagnosis FROM subjects WHERE gender = 'Female' ORDER BY 2 DESC LIMIT 5",
    "SHOW TABLES",
    "DESCRIBE clinical",
    "SELECT egfr_mutation_status, count(*) AS n, avg(age_at_histological_diagnosis) FROM subjects GROUP BY 1",
    "SURVIVAL OF subjects BY egfr_mutation_status",
]

FN = re.compile(r"^c?fn=\((\d+)\)(?: (.+))?$")


def executed(bin_, args, stdin=None):
    """Mangled names of every function callgrind saw run in one process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", "--compress-pos=no",
                        f"--callgrind-out-file={out}", bin_] + args,
                       input=stdin, capture_output=True, text=True, check=True)
        names = {}
        for line in open(out, errors="replace"):
            m = FN.match(line.rstrip("\n"))
            if m and m.group(2):
                names[m.group(1)] = m.group(2)
        return set(names.values())


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    bin_, db = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) == 4 else os.path.join(
        os.path.dirname(__file__), "..", "..", "assets", "hot-symbols.txt")
    ours = set(subprocess.run(["nm", "--defined-only", "--format=just-symbols", bin_],
                              capture_output=True, text=True, check=True).stdout.split())
    hot = set()
    for statement in STATEMENTS:
        hot |= executed(bin_, ["--db", db, "--readonly", "-c", statement])
    # The interactive path: a script on stdin, as the REPL reads it.
    hot |= executed(bin_, ["--db", db, "--readonly"], stdin=";\n".join(STATEMENTS[:2]) + ";\n")
    hot &= ours
    with open(out, "w") as f:
        f.write("".join(name + "\n" for name in sorted(hot)))
    print(f"{len(hot)} functions written to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
