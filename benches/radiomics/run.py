#!/usr/bin/env python3
"""Native radiomics against PyRadiomics v3.0.1 (issue 25's benchmark).

The case: the IBSI-1 CT phantom (204 x 201 x 60, GTV-1, CC BY-NC: read from
../shared/data/radiomics, never copied) with original_binwidth25.yaml (110 features).

    python3 benches/radiomics/run.py RGDB_BINARY [--data DIR] [--runs N]

Times, as whole processes (reading the gzip'd NIfTI files included):
  - one case on one core (`taskset -c 0 rgdb radiomics ...`), median of N runs;
  - a batch of 20 rows of the case with --jobs 1 on one core, and with all cores.
PyRadiomics' figures come from tests/reference/radiomics/tools/bench_pyradiomics.py (run it in
a venv with PyRadiomics 3.0.1 installed; its output for this machine is in benches/README.md).
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

p = argparse.ArgumentParser()
p.add_argument("rgdb")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/radiomics"))
p.add_argument("--runs", type=int, default=7)
a = p.parse_args()
data = os.path.abspath(a.data)
image = f"{data}/ibsi1/ct_phantom/nifti/image.nii.gz"
mask = f"{data}/ibsi1/ct_phantom/nifti/mask.nii.gz"
params = f"{data}/pyradiomics_reference/params/original_binwidth25.yaml"

def timed(args):
    t = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{args}: exit {r.returncode}: {r.stderr.decode()}")
    return dt, r.stdout

one = ["taskset", "-c", "0", a.rgdb, "radiomics", "--params", params, image, mask]
timed(one)  # warm-up (page cache)
times = [timed(one)[0] for _ in range(a.runs)]
_, out = timed(one)
features = sum(c.startswith("original_") for c in out.decode().splitlines()[0].split(","))
print(f"one case, one core: median {statistics.median(times):.3f} s, min {min(times):.3f} s over {a.runs} runs ({features} features)")

with tempfile.TemporaryDirectory() as d:
    batch = os.path.join(d, "batch.csv")
    with open(batch, "w") as f:
        f.write("ID,Image,Mask\n")
        for k in range(20):
            f.write(f"case{k},{image},{mask}\n")
    t1, _ = timed(["taskset", "-c", "0", a.rgdb, "radiomics", "--jobs", "1", "--params", params, batch])
    tn, _ = timed([a.rgdb, "radiomics", "--params", params, batch])
    cores = os.cpu_count()
    print(f"batch of 20, --jobs 1 on one core: {t1:.2f} s ({t1 / 20:.3f} s per case)")
    print(f"batch of 20, all {cores} cores: {tn:.2f} s ({tn / 20:.3f} s per case), speed-up {t1 / tn:.2f}x")
