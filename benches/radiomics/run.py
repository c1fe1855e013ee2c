#!/usr/bin/env python3
"""Native radiomics against PyRadiomics v3.0.1 (issue 25's benchmark).

The case: the IBSI-1 CT phantom (204 x 201 x 60, GTV-1, CC BY-NC: read from
../shared/data/radiomics, never copied) with original_binwidth25.yaml (110 features).

    python3 benches/radiomics/run.py RGDB_BINARY [--data DIR] [--runs N]
        [--pyradiomics PYRADIOMICS_SCRIPT [--pairs N]]

Times, as whole processes (reading the gzip'd NIfTI files included):
  - one case on one core (`taskset -c 0 rgdb radiomics ...`), median of N runs;
  - a batch of 20 rows of the case with --jobs 1 on one core, and with all cores;
  - with --pyradiomics (the `pyradiomics` command of a venv with PyRadiomics 3.0.1:
    `pip install "numpy<2" setuptools versioneer wheel`, then
    `pip install --no-build-isolation pyradiomics==3.0.1`): the single case of both, whole
    process against whole process, back to back in pairs (so that the machine's drift falls on
    both), `taskset -c 0` and OMP/OPENBLAS/MKL/ITK threads 1; then the two outputs' 110 feature
    values are compared (relative 1e-6).
PyRadiomics in a warm process and its own batches: tests/reference/radiomics/tools/bench_pyradiomics.py
(its output for this machine is in benches/README.md).
"""
import argparse, csv, io, os, statistics, subprocess, sys, tempfile, time

p = argparse.ArgumentParser()
p.add_argument("rgdb")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/radiomics"))
p.add_argument("--runs", type=int, default=7)
p.add_argument("--pyradiomics")
p.add_argument("--pairs", type=int, default=5)
a = p.parse_args()
data = os.path.abspath(a.data)
image = f"{data}/ibsi1/ct_phantom/nifti/image.nii.gz"
mask = f"{data}/ibsi1/ct_phantom/nifti/mask.nii.gz"
params = f"{data}/pyradiomics_reference/params/original_binwidth25.yaml"

env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
           ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS="1")

def timed(args):
    t = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{args}: exit {r.returncode}: {r.stderr.decode()[-2000:]}")
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

if a.pyradiomics:
    theirs = ["taskset", "-c", "0", a.pyradiomics, image, mask, "--param", params, "--format", "csv"]
    timed(one), timed(theirs)  # warm-up (page cache, Python's bytecode cache)
    rows = []
    for k in range(a.pairs):
        (t_ours, out_ours), (t_theirs, out_theirs) = timed(one), timed(theirs)
        rows.append((t_theirs, t_ours))
        print(f"pair {k + 1}: PyRadiomics {t_theirs:.3f} s, rgdb {t_ours:.3f} s, {t_theirs / t_ours:.1f}x", flush=True)

    def features(text):
        row = list(csv.DictReader(io.StringIO(text.decode())))[0]
        return {k: float(v) for k, v in row.items() if k.startswith("original_")}

    f_ours, f_theirs = features(out_ours), features(out_theirs)
    assert f_ours.keys() == f_theirs.keys(), sorted(f_ours.keys() ^ f_theirs.keys())
    worst = max(abs(f_ours[k] - f_theirs[k]) / max(abs(f_theirs[k]), 1e-9) for k in f_ours)
    ratios = [t / o for t, o in rows]
    print(f"PyRadiomics median {statistics.median(t for t, _ in rows):.3f} s, rgdb median "
          f"{statistics.median(o for _, o in rows):.3f} s; per pair {min(ratios):.1f}-{max(ratios):.1f}x, "
          f"median {statistics.median(ratios):.1f}x; {len(f_ours)} features, largest relative difference {worst:.1e}")
