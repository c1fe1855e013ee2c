#!/usr/bin/env python3
"""Reference Cox proportional-hazards fits for rgdb (issue 8), made with lifelines 0.30
(CoxPHFitter: Efron ties, Newton-Raphson, no penalty).

The real cohort: overall survival (os_days, os_event of tests/reference/clinical_survival.csv)
on age at diagnosis, gender (Male against the reference Female) and pack-years; subjects with a
missing value in any term are dropped (as rgdb does). Writes cox_reference.json beside this
script. Run: python3 tests/reference/survival/cox_reference.py

The Wald test is beta' V^-1 beta with lifelines' params_ and variance_matrix_ (R summary.coxph's
"Wald test"); the score test is U(0)' I(0)^-1 U(0), with U and I from lifelines' own Efron
gradient and Hessian at beta = 0 on the same normalised design it fits (R's "Score (logrank)
test"); both on 3 degrees of freedom, p from scipy.stats.chi2.
"""
import csv
import json
import os

import numpy as np
import pandas as pd
from scipy.stats import chi2
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
beta = cph.params_.values
wald = float(beta @ np.linalg.solve(cph.variance_matrix_.values, beta))
X = df[["age", "male", "pack_years"]]
Xn = ((X - X.mean()) / X.std()).reset_index(drop=True)
order = np.argsort(df["time"].values, kind="stable")
sorted_ = lambda v: pd.Series(np.asarray(v)[order])
hessian, gradient, _ = cph._get_efron_values_single(
    Xn.iloc[order].reset_index(drop=True), sorted_(df["time"]), sorted_(df["event"].astype(bool)),
    pd.Series(np.ones(len(df))), None, np.zeros(3))
score = float(gradient @ np.linalg.solve(-hessian, gradient))
out = {
    "n": int(len(df)),
    "events": int(df["event"].sum()),
    "dropped": len(rows) - len(df),
    "log_likelihood": float(cph.log_likelihood_),
    "concordance": float(cph.concordance_index_),
    "lr_chi2": float(cph.log_likelihood_ratio_test().test_statistic),
    "lr_p": float(cph.log_likelihood_ratio_test().p_value),
    "wald_chi2": wald,
    "wald_p": float(chi2.sf(wald, 3)),
    "score_chi2": score,
    "score_p": float(chi2.sf(score, 3)),
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
