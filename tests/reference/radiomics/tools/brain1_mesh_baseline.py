#!/usr/bin/env python3
"""brain1's four mesh features: PyRadiomics' 2018 baseline (made by PyRadiomics 2.0.1b1 on
SimpleITK 0.9.1) against PyRadiomics v3.0.1 itself (pyradiomics301/default.csv, made here by
make_pyradiomics301_reference.py with the same settings). Prints both and their relative
difference: the baseline is not v3.0.1's number, which is why the baseline test holds these four
to 1e-3 and checks them against v3.0.1 within 1e-6.

    python3 tests/reference/radiomics/tools/brain1_mesh_baseline.py [--data DIR]
"""
import argparse, csv, os

here = os.path.dirname(os.path.abspath(__file__))
p = argparse.ArgumentParser()
p.add_argument("--data", default=os.path.join(here, "../../../../../shared/data/radiomics"))
a = p.parse_args()
rows = list(csv.reader(open(os.path.join(a.data, "pyradiomics_testcases/baseline/baseline_shape.csv"))))
column = rows[0].index("brain1")
baseline = {r[0]: r[column] for r in rows[1:]}
v301 = [r for r in csv.DictReader(open(os.path.join(here, "../pyradiomics301/default.csv"))) if r["ID"] == "brain1"][0]
print("baseline made by PyRadiomics", baseline["diagnostics_Versions_PyRadiomics"], "SimpleITK", baseline["diagnostics_Versions_SimpleITK"])
for f in ["MeshVolume", "SurfaceArea", "Sphericity", "SurfaceVolumeRatio"]:
    k = "original_shape_" + f
    new, old = float(v301[k]), float(baseline[k])
    print(f"{k}: v3.0.1 {new!r}, baseline {old!r}, relative difference {abs(new - old) / abs(old):.1e}")
