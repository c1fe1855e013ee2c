#!/usr/bin/env python3
"""Reference Cox proportional-hazards fits for rgdb (issue 8), made with lifelines 0.30
(CoxPHFitter: Efron ties, Newton-Raphson, no penalty).

The real cohort: overall survival (os_days, os_event of tests/reference/clinical_survival.csv)
on age at diagnosis, gender (Male against the reference Female) and pack-years; subjects with a
missing value in any term are dropped (as rgdb does). Writes cox_reference.json beside this
script. Run: python3 tests/reference/survival/cox_reference.py
"""
import csv
import json
import os

import pandas as pd
from lifelines import CoxPHFitter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
clinical = {}
with open(os.path.join(ROOT, "data/nsclc_radiogenomics/NSCLCR01Radiogenomic_DATA_LABELS_2018-05-22_1500-shifted.csv")) as f:
    for row in csv.DictReader(f):
        clinical[row["Case ID"] if "Case ID" in row else row["Patient ID"]] = row
rows = []
with open(os.path.join(HERE, "..", "clinical_survival.csv")) as f:
    for row in csv.DictReader(f):
        c = clinical[row["subject_id"]]
        try:
            pack = float(c["Pack Years"])
        except ValueError:
            pack = None
        rows.append({
            "time": float(row["os_days"]),
            "event": 1 if row["os_event"] == "true" else 0,
            "age": float(c["Age at Histological Diagnosis"]),
            "male": 1.0 if c["Gender"] == "Male" else 0.0,
            "pack_years": pack,
        })
df = pd.DataFrame(rows).dropna()
cph = CoxPHFitter()
# Converged far past lifelines' default (|Δβ| < 1e-7), so that the values are the optimum.
cph.fit(df, duration_col="time", event_col="event", fit_options={"precision": 1e-12, "r_precision": 1e-15})
s = cph.summary
out = {
    "n": int(len(df)),
    "events": int(df["event"].sum()),
    "dropped": len(rows) - len(df),
    "log_likelihood": float(cph.log_likelihood_),
    "concordance": float(cph.concordance_index_),
    "lr_chi2": float(cph.log_likelihood_ratio_test().test_statistic),
    "lr_p": float(cph.log_likelihood_ratio_test().p_value),
    "terms": {
        name: {
            "coef": float(s.loc[name, "coef"]),
            "se": float(s.loc[name, "se(coef)"]),
            "hr": float(s.loc[name, "exp(coef)"]),
            "hr_lower": float(s.loc[name, "exp(coef) lower 95%"]),
            "hr_upper": float(s.loc[name, "exp(coef) upper 95%"]),
            "z": float(s.loc[name, "z"]),
            "p": float(s.loc[name, "p"]),
        }
        for name in s.index
    },
}
with open(os.path.join(HERE, "cox_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps(out, indent=1))
