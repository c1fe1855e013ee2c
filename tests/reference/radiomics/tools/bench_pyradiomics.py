#!/usr/bin/env python3
"""Time PyRadiomics v3.0.1 on the IBSI CT phantom (benchmark baseline for rgdb's native radiomics).

Run with the Python of a venv that has PyRadiomics 3.0.1 (its `pyradiomics` script is taken from the
same bin/ folder), on a quiet machine:

    python tests/reference/radiomics/tools/bench_pyradiomics.py [--data DIR] [--work DIR] [--runs 5] [--rows 20] \
        | tee /tmp/pyrad-work/bench.txt

--data is the shared data folder (default ../shared/data next to the repository). The CT phantom is
CC BY-NC 3.0: everything this script writes (batch CSV, feature CSVs, logs) goes to --work
(default /tmp/pyrad-work), never into the repository.

1. In-process: `taskset -c 0` a child Python with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1
   (and ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=1), build one RadiomicsFeatureExtractor with
   shared/data/radiomics/pyradiomics_reference/params/original_binwidth25.yaml, then time
   extractor.execute(image, mask) with label 1: 1 warm-up + N timed runs, (a) with file paths
   (each run reads the two NIfTI files, as the CLI does) and (b) with the SimpleITK images loaded once.
2. Command line: a batch CSV of R rows of the same case; wall time and peak RSS (/usr/bin/time -v) of
   `pyradiomics batch.csv --param original_binwidth25.yaml --format csv --jobs 1` under `taskset -c 0`,
   and of the same with `--jobs 2` without taskset (both cores), same thread environment variables.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(TOOLS))))
DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS": "1"}


def inproc(image, mask, params, runs):
    """Child mode: time execute() in this process; print one JSON line."""
    import logging
    import resource
    import numpy as np
    import SimpleITK as sitk
    import radiomics
    from radiomics import featureextractor
    radiomics.setVerbosity(logging.ERROR)
    ext = featureextractor.RadiomicsFeatureExtractor(params)
    out = {"affinity": sorted(os.sched_getaffinity(0)), "sitk_threads": sitk.ProcessObject_GetGlobalDefaultNumberOfThreads(),
           "versions": {"pyradiomics": radiomics.__version__, "SimpleITK": sitk.Version_VersionString(),
                        "numpy": np.__version__, "python": sys.version.split()[0]}}
    im, ma = sitk.ReadImage(image), sitk.ReadImage(mask)
    for mode, args in (("paths", (image, mask)), ("images", (im, ma))):
        r = ext.execute(*args, label=1)  # warm-up
        nfeat = sum(1 for k in r if not k.startswith("diagnostics_"))
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            ext.execute(*args, label=1)
            ts.append(time.perf_counter() - t0)
        out[mode] = {"times": ts, "features": nfeat}
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))


def busy():
    r = subprocess.run(["pgrep", "-a", "cargo|rustc"], capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if l.strip()]


def timed_cli(cmd, env, stdout_path, cwd):
    with open(stdout_path, "wb") as f:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, stdout=f, stderr=subprocess.PIPE, cwd=cwd)
        wall = time.perf_counter() - t0
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), err[-3000:]))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err).group(1)
    user = float(re.search(r"User time \(seconds\): (\S+)", err).group(1))
    sys_t = float(re.search(r"System time \(seconds\): (\S+)", err).group(1))
    return wall, el, user, sys_t, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--work", default="/tmp/pyrad-work")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=20)
    ap.add_argument("--inproc", nargs=3, metavar=("IMAGE", "MASK", "PARAMS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inproc:
        return inproc(*args.inproc, args.runs)

    data = os.path.abspath(args.data)
    image = os.path.join(data, "radiomics", "ibsi1", "ct_phantom", "nifti", "image.nii.gz")
    mask = os.path.join(data, "radiomics", "ibsi1", "ct_phantom", "nifti", "mask.nii.gz")
    params = os.path.join(data, "radiomics", "pyradiomics_reference", "params", "original_binwidth25.yaml")
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ, **THREAD_ENV)
    pyrad = os.path.join(os.path.dirname(sys.executable), "pyradiomics")

    print("# PyRadiomics benchmark: IBSI CT phantom (204x201x60, label 1), params original_binwidth25.yaml")
    print("# host: %d CPUs, loadavg before: %s; cargo/rustc running: %s" % (
        os.cpu_count(), open("/proc/loadavg").read().split()[:3], busy() or "none"))
    print("# env: %s" % " ".join("%s=%s" % kv for kv in THREAD_ENV.items()))

    # 1. in-process
    r = subprocess.run(["taskset", "-c", "0", sys.executable, os.path.abspath(__file__), "--runs", str(args.runs),
                        "--inproc", image, mask, params], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    v = res["versions"]
    print("# versions: PyRadiomics %s, SimpleITK %s, numpy %s, Python %s" % (
        v["pyradiomics"], v["SimpleITK"], v["numpy"], v["python"]))
    print("# in-process child: CPU affinity %s, SimpleITK default threads %s, peak RSS %.0f MB" % (
        res["affinity"], res["sitk_threads"], res["maxrss_kb"] / 1024))
    print()
    print("| measurement | runs | min [s] | median [s] | max [s] | features |")
    print("|---|---|---|---|---|---|")
    for mode, label in (("paths", "execute(image path, mask path), taskset -c 0"),
                        ("images", "execute(sitk image, sitk mask) (preloaded), taskset -c 0")):
        ts = res[mode]["times"]
        print("| %s | 1 warm-up + %d | %.3f | %.3f | %.3f | %d |" % (
            label, len(ts), min(ts), statistics.median(ts), max(ts), res[mode]["features"]))

    # 2. command line, batch of N rows
    batch = os.path.join(args.work, "bench_batch.csv")
    with open(batch, "w") as f:
        f.write("ID,Image,Mask,Label\n")
        for i in range(args.rows):
            f.write("ct_phantom_%02d,%s,%s,1\n" % (i + 1, image, mask))
    print()
    print("| command (batch of %d rows, same case) | wall [s] | per case [s] | user [s] | sys [s] | peak RSS [MB] |"
          % args.rows)
    print("|---|---|---|---|---|---|")
    for jobs, pin in ((1, True), (2, False)):
        cmd = [pyrad, batch, "--param", params, "--format", "csv", "--jobs", str(jobs)]
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        out = os.path.join(args.work, "bench_cli_jobs%d.csv" % jobs)
        wall, el, user, sys_t, rss = timed_cli(cmd, env, out, args.work)
        shown = ("taskset -c 0 " if pin else "") + "pyradiomics bench_batch.csv --param original_binwidth25.yaml --format csv --jobs %d" % jobs
        print("| `%s` | %.2f | %.3f | %.2f | %.2f | %.0f |" % (shown, wall, wall / args.rows, user, sys_t, rss / 1024))
    print()
    print("# peak RSS of the CLI = /usr/bin/time -v 'Maximum resident set size' (with --jobs 2: the largest single")
    print("# process, parent or worker, not the sum). Wall time includes Python start-up and imports.")
    print("# loadavg after: %s; cargo/rustc running: %s" % (open("/proc/loadavg").read().split()[:3], busy() or "none"))


if __name__ == "__main__":
    main()
