#!/usr/bin/env python3
"""Interleaved timing of rgdb binaries on one case (the IBSI CT phantom, GTV-1,
original_binwidth25.yaml; CC BY-NC: read from ../shared/data/radiomics): each round runs every
binary once, `taskset -c 0`, whole process, so that the machine's drift falls on all of them.
Prints each binary's median and minimum: how the per-step table of benches/README.md was made.

    python3 benches/radiomics/ab.py BEFORE AFTER [MORE ...] [--data DIR] [--rounds 15]
"""
import argparse, os, statistics, subprocess, time

p = argparse.ArgumentParser()
p.add_argument("binaries", nargs="+")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/radiomics"))
p.add_argument("--rounds", type=int, default=15)
a = p.parse_args()
d = os.path.abspath(a.data)
case = [f"{d}/pyradiomics_reference/params/original_binwidth25.yaml",
        f"{d}/ibsi1/ct_phantom/nifti/image.nii.gz", f"{d}/ibsi1/ct_phantom/nifti/mask.nii.gz"]
times = {b: [] for b in a.binaries}
for _ in range(a.rounds):
    for b in a.binaries:
        t = time.perf_counter()
        subprocess.run(["taskset", "-c", "0", b, "radiomics", "--params", *case], stdout=subprocess.DEVNULL, check=True)
        times[b].append(time.perf_counter() - t)
for b, t in times.items():
    print(f"{b}: median {statistics.median(t):.4f} s, min {min(t):.4f} s over {a.rounds} rounds")
