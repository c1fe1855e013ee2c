#!/usr/bin/env python3
"""Check rgdb against the IBSI-1 reference values of the digital phantom (issue 25).

Usage: python3 tools/ibsi_dig_phantom_mapping.py PATH/TO/rgdb

For every row of ibsi1/dig_phantom_mapping.csv (an IBSI dig_phantom row that a PyRadiomics
v3.0.1 feature covers) it runs `rgdb radiomics --params <params>` on the phantom, applies the
row's transform, and compares with the IBSI value of ibsi1/reference_values_dig_phantom.csv:
within the tolerance, or, where the manual gives none, equal after rounding to the significant
digits printed in `value_rst`. The outcome must be the row's `expect` (equal / differs).
It also checks that rgdb reproduces PyRadiomics' own values (ibsi_digital_phantom.csv) for the
two parameter files PyRadiomics was run with. Exit status 1 on any mismatch.
Standard library only; paths are relative to this script (tests/reference/radiomics/).
"""

import collections
import csv
import io
import math
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent  # tests/reference/radiomics
IMAGE = "ibsi1/digital_phantom/image.nii.gz"
MASK = "ibsi1/digital_phantom/mask.nii.gz"
PYRADIOMICS = {  # the parameter files of the rows of ibsi_digital_phantom.csv
    "ibsi_digital_phantom_3D": "ibsi_digital_phantom.yaml",
    "ibsi_digital_phantom_force2D": "ibsi_digital_phantom_2D.yaml",
}


def significant_digits(printed):
    """Significant digits of the number as printed in the manual (`3.58 \\times 10^{5}` -> 3)."""
    mantissa = re.search(r"\d+(?:\.\d+)?", printed).group(0)
    if "." in mantissa:
        digits = mantissa.replace(".", "").lstrip("0")
    else:  # an integer's trailing zeros are not significant ("550" -> 2)
        digits = mantissa.lstrip("0").rstrip("0")
    return max(1, len(digits))


def transform(name, value):
    if name == "":
        return value
    if name == "neg":
        return -value
    if name == "sqrt":
        return math.sqrt(value)
    if name == "square":
        return value * value
    kind, k = name.split(":")
    if kind == "times":
        return value * float(k)
    if kind == "plus":
        return value + float(k)
    raise ValueError(f"unknown transform {name!r}")


def within(value, ref):
    """(equal?, how) per issue 25: within tolerance, else to the printed digits."""
    reference = float(ref["value"])
    if ref["tolerance"]:
        tolerance = float(ref["tolerance"])
        return abs(value - reference) <= tolerance * (1 + 1e-9), f"±{ref['tolerance']}"
    n = significant_digits(ref["value_rst"])
    rounded = float(f"{value:.{n - 1}e}")
    return abs(rounded - reference) <= 1e-9 * abs(reference), f"{n} s.f."


def run(rgdb, params):
    out = subprocess.run(
        [rgdb, "radiomics", "--params", params, IMAGE, MASK],
        cwd=HERE, check=True, capture_output=True, text=True,
    ).stdout
    row = next(csv.DictReader(io.StringIO(out)))
    return {k: float(v) for k, v in row.items() if k.startswith("original_")}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rgdb = sys.argv[1]
    failures = []

    refs = list(csv.DictReader(open(HERE / "ibsi1/reference_values_dig_phantom.csv", newline="")))
    assert len(refs) == 482 and all(r["data_set"] == "dig_phantom" for r in refs)
    by_key = {(r["family"], r["feature"], r["aggregation"]): r for r in refs}
    mapping = list(csv.DictReader(open(HERE / "ibsi1/dig_phantom_mapping.csv", newline="")))

    features = {p: run(rgdb, p) for p in sorted({m["params"] for m in mapping} | set(PYRADIOMICS.values()))}

    # rgdb = PyRadiomics v3.0.1 for the two files PyRadiomics was run with.
    for row in csv.DictReader(open(HERE / "ibsi_digital_phantom.csv", newline="")):
        got = features[PYRADIOMICS[row["ID"]]]
        for name, cell in row.items():
            if name.startswith("original_"):
                want = float(cell)
                if name not in got or abs(got[name] - want) > 1e-9 * max(1.0, abs(want)):
                    failures.append(f"{row['ID']} {name}: rgdb {got.get(name)}, PyRadiomics {want}")

    print(f"{'code':4}  {'feature':45} {'aggregation':22} {'reference':>9} {'tol':>6} "
          f"{'rgdb':>12} {'equal?':7} expect")
    counts = collections.Counter()
    for m in mapping:
        ref = by_key[(m["family"], m["feature"], m["aggregation"])]
        if ref["ibsi_code"] != m["ibsi_code"]:
            failures.append(f"{m['feature']} {m['aggregation']}: code {m['ibsi_code']} vs {ref['ibsi_code']}")
        value = transform(m["transform"], features[m["params"]][m["pyradiomics_feature"]])
        ok, how = within(value, ref)
        outcome = "equal" if ok else "differs"
        counts[(m["family"], m["aggregation"] or "-", outcome)] += 1
        flag = "" if outcome == m["expect"] else "   <-- MISMATCH"
        print(f"{m['ibsi_code'] or '-':4}  {m['feature'][:45]:45} {m['aggregation'] or '-':22} "
              f"{ref['value']:>9} {ref['tolerance'] or '-':>6} {value:12.6g} {outcome:7} {m['expect']}{flag}")
        if flag:
            failures.append(f"{m['ibsi_code']} {m['feature']} {m['aggregation']}: rgdb {value} "
                            f"vs {ref['value']} ({how}) is {outcome}, expected {m['expect']}")

    mapped = {(m["family"], m["feature"], m["aggregation"]) for m in mapping}
    if len(mapped) != len(mapping):
        failures.append("duplicate rows in dig_phantom_mapping.csv")
    print("\nmapped rows by family and aggregation (equal / differs):")
    for fam, agg in sorted({(f, a) for f, a, _ in counts}):
        print(f"  {fam:52} {agg:24} {counts[(fam, agg, 'equal')]:3} / {counts[(fam, agg, 'differs')]}")
    not_covered = collections.Counter(r["family"] for r in refs
                                      if (r["family"], r["feature"], r["aggregation"]) not in mapped)
    print(f"total: {len(refs)} dig_phantom rows, {len(mapping)} mapped "
          f"({sum(v for k, v in counts.items() if k[2] == 'equal')} equal, "
          f"{sum(v for k, v in counts.items() if k[2] == 'differs')} differs), "
          f"{sum(not_covered.values())} not covered:")
    for fam, n in sorted(not_covered.items()):
        print(f"  {fam:52} {n:3}")

    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nOK: every mapped row is as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
