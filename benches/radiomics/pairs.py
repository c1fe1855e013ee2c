#!/usr/bin/env python3
"""Native radiomics against PyRadiomics v3.0.1, whole process against whole process, timed back to
back in pairs (so that the machine's drift falls on both), one core each (issue 25's benchmark).

    python3 benches/radiomics/pairs.py RGDB_BINARY PYRADIOMICS_SCRIPT [--data DIR] [--pairs N]

PYRADIOMICS_SCRIPT is the `pyradiomics` command of a venv with PyRadiomics 3.0.1
(`pip install "numpy<2" setuptools versioneer wheel`, then
`pip install --no-build-isolation pyradiomics==3.0.1`). Both run under `taskset -c 0` with
OMP/OPENBLAS/MKL/ITK threads set to 1, on the IBSI-1 CT phantom (GTV-1; CC BY-NC: read from
../shared/data/radiomics, never copied) with original_binwidth25.yaml. After timing, the two
outputs' 110 feature values are compared (relative 1e-6).
"""
import argparse, csv, io, os, statistics, subprocess, sys, time

p = argparse.ArgumentParser()
p.add_argument("rgdb")
p.add_argument("pyradiomics")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/radiomics"))
p.add_argument("--pairs", type=int, default=5)
a = p.parse_args()
data = os.path.abspath(a.data)
image = f"{data}/ibsi1/ct_phantom/nifti/image.nii.gz"
mask = f"{data}/ibsi1/ct_phantom/nifti/mask.nii.gz"
params = f"{data}/pyradiomics_reference/params/original_binwidth25.yaml"
env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
           ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS="1")
ours = ["taskset", "-c", "0", a.rgdb, "radiomics", "--params", params, image, mask]
theirs = ["taskset", "-c", "0", a.pyradiomics, image, mask, "--param", params, "--format", "csv"]

def timed(args):
    t = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{args}: exit {r.returncode}: {r.stderr.decode()[-2000:]}")
    return dt, r.stdout.decode()

timed(ours), timed(theirs)  # warm-up (page cache, Python's bytecode cache)
rows = []
for k in range(a.pairs):
    (t_ours, out_ours), (t_theirs, out_theirs) = timed(ours), timed(theirs)
    rows.append((t_theirs, t_ours))
    print(f"pair {k + 1}: PyRadiomics {t_theirs:.3f} s, rgdb {t_ours:.3f} s, {t_theirs / t_ours:.1f}x", flush=True)

def features(text):
    row = list(csv.DictReader(io.StringIO(text)))[0]
    return {k: float(v) for k, v in row.items() if k.startswith("original_")}

f_ours, f_theirs = features(out_ours), features(out_theirs)
assert f_ours.keys() == f_theirs.keys(), (sorted(f_ours.keys() ^ f_theirs.keys()))
worst = max(abs(f_ours[k] - f_theirs[k]) / max(abs(f_theirs[k]), 1e-9) for k in f_ours)
ratios = [t / o for t, o in rows]
print(f"PyRadiomics median {statistics.median(t for t, _ in rows):.3f} s, rgdb median "
      f"{statistics.median(o for _, o in rows):.3f} s; per pair {min(ratios):.1f}-{max(ratios):.1f}x, "
      f"median {statistics.median(ratios):.1f}x; {len(f_ours)} features, largest relative difference {worst:.1e}")
