#!/usr/bin/env python3
"""Reference Kaplan-Meier and log-rank values for rgdb's survival statistics (issue 8).

Inputs: the real NSCLC Radiogenomics clinical table (EGFR status, gender) joined with the
survival columns of tests/reference/clinical_survival.csv (os_days, os_event, computed
independently by clinical_reference.py), plus a small synthetic set with ties, a group with
no events and an all-censored group, and even-size groups whose curve reaches exactly 1/2 (issue
21): 24 and 6 uncensored times (lifelines' own median is one time late for the 6, as its float
product gives 0.5000000000000001 there), and two censored groups of 16 whose product is exactly
1/2 while a float product gives more. Writes input.csv and reference.json beside this script.

The median is the first time the curve is at or below 1/2, decided on the exact product
(Python fractions): lifelines applies this rule to its floating-point curve, and so is late
where rounding lifts an exact 1/2 above it. Every other value is lifelines'.

Made with lifelines 0.30.3 (KaplanMeierFitter: Greenwood variance, exponential-Greenwood =
log-log 95% intervals; multivariate_logrank_test, which equals R survival::survdiff, rho = 0).
Run: python3 tests/reference/survival/reference.py
"""
import csv
import json
import os
from fractions import Fraction

import numpy as np
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")

clinical = {}
with open(os.path.join(ROOT, "data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv")) as f:
    for row in csv.DictReader(f):
        clinical[row["Patient ID"] if "Patient ID" in row else row["Case ID"]] = row

rows = []
with open(os.path.join(HERE, "..", "clinical_survival.csv")) as f:
    for row in csv.DictReader(f):
        if row["os_days"] == "":
            continue
        c = clinical[row["subject_id"]]
        egfr = c["EGFR mutation status"]
        if egfr in ("Not collected", "Not Collected", ""):
            egfr = ""
        rows.append({
            "set": "cohort",
            "subject": row["subject_id"],
            "time": float(row["os_days"]),
            "event": 1 if row["os_event"] == "true" else 0,
            "egfr": egfr,
            "gender": c["Gender"],
        })

# Synthetic: ties at the same time across groups, group C has no events, group D all censored.
synthetic = [
    ("A", 5, 1), ("A", 5, 1), ("A", 8, 0), ("A", 10, 1), ("A", 10, 0), ("A", 12, 1), ("A", 20, 0),
    ("B", 5, 1), ("B", 7, 1), ("B", 10, 1), ("B", 10, 1), ("B", 15, 0), ("B", 18, 1),
    ("C", 6, 0), ("C", 9, 0), ("C", 11, 0),
]
for i, (g, t, e) in enumerate(synthetic):
    rows.append({"set": "synthetic", "subject": f"S{i}", "time": float(t), "event": e, "egfr": g, "gender": ""})

# Even-size groups that reach exactly 1/2 (issue 21). The censored ones were found by search:
# their exact product is 1/2 at some time, and the product formed in floats is above it.
even = {
    "U24": [(10 * k, 1) for k in range(1, 25)],
    "U6": [(10 * k, 1) for k in range(1, 7)],
    "C16a": list(zip([6, 7, 8, 10, 12, 13, 14, 16, 24, 30, 32, 36, 41, 50, 53, 54],
                     [0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1])),
    "C16b": list(zip([7, 8, 13, 15, 17, 25, 28, 32, 37, 40, 42, 44, 45, 47, 48, 59],
                     [0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1])),
}
for g, observations in even.items():
    for i, (t, e) in enumerate(observations):
        rows.append({"set": "even", "subject": f"E{g}_{i}", "time": float(t), "event": e, "egfr": g, "gender": ""})

with open(os.path.join(HERE, "input.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["set", "subject", "time", "event", "egfr", "gender"])
    w.writeheader()
    w.writerows(rows)


def exact_curve(times, events):
    """(time, exact survival) at each distinct time: the product of (n - d) / n in fractions."""
    out, s, at_risk = [], Fraction(1), len(times)
    for t in sorted(set(times)):
        d = sum(1 for u, e in zip(times, events) if u == t and e)
        left = sum(1 for u in times if u == t)
        if d:
            s *= Fraction(at_risk - d, at_risk)
        out.append((float(t), s))
        at_risk -= left
    return out


def exact_median(times, events):
    return next((t for t, s in exact_curve(times, events) if s <= Fraction(1, 2)), None)


def half_at(times, events):
    """The times at which the exact curve is 1/2."""
    return [t for t, s in exact_curve(times, events) if s == Fraction(1, 2)]


def km(times, events):
    kmf = KaplanMeierFitter()
    kmf.fit(times, events)
    sf = kmf.survival_function_["KM_estimate"]
    ci = kmf.confidence_interval_survival_function_
    table = kmf.event_table
    out = []
    for t in sf.index:
        if t == 0 and table.loc[t, "observed"] == 0 and table.loc[t, "censored"] == 0:
            continue
        out.append({
            "time": float(t),
            "at_risk": int(table.loc[t, "at_risk"]),
            "events": int(table.loc[t, "observed"]),
            "censored": int(table.loc[t, "censored"]),
            "survival": float(sf.loc[t]),
            "lower": float(ci.loc[t].iloc[0]),
            "upper": float(ci.loc[t].iloc[1]),
        })
    med = exact_median(times, events)
    lifelines_med = kmf.median_survival_time_
    med_ci = median_survival_times(kmf.confidence_interval_)
    return {
        "n": len(times),
        "events": int(sum(events)),
        "median": med,
        "lifelines_median": None if np.isinf(lifelines_med) else float(lifelines_med),
        "half_at": half_at(times, events),
        "median_lower": None if np.isinf(med_ci.iloc[0, 0]) else float(med_ci.iloc[0, 0]),
        "median_upper": None if np.isinf(med_ci.iloc[0, 1]) else float(med_ci.iloc[0, 1]),
        "curve": out,
    }


def analysis(subset, by):
    groups = sorted({r[by] for r in subset if r[by] != ""})
    data = [r for r in subset if r[by] != ""]
    result = {"by": by, "groups": {}}
    for g in groups:
        rs = [r for r in data if r[by] == g]
        result["groups"][g] = km([r["time"] for r in rs], [r["event"] for r in rs])
    if len(groups) > 1:
        test = multivariate_logrank_test([r["time"] for r in data], [r[by] for r in data], [r["event"] for r in data])
        result["logrank"] = {"chi2": float(test.test_statistic), "df": len(groups) - 1, "p": float(test.p_value)}
    return result


cohort = [r for r in rows if r["set"] == "cohort"]
synth = [r for r in rows if r["set"] == "synthetic"]
reference = {
    "cohort_by_egfr": analysis(cohort, "egfr"),
    "cohort_by_gender": analysis(cohort, "gender"),
    "synthetic_by_group": analysis(synth, "egfr"),
    "even_by_group": analysis([r for r in rows if r["set"] == "even"], "egfr"),
}
with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump(reference, f, indent=1)
for name, r in reference.items():
    print(name, {g: (v["n"], v["events"], v["median"], v["lifelines_median"]) for g, v in r["groups"].items()}, r.get("logrank"))
