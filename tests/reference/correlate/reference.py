#!/usr/bin/env python3
"""Reference correlation values for rgdb (issue 8), made with scipy 1.17 and statsmodels 0.15.

Columns: 4 radiomic features of data/nsclc_radiogenomics/pyradiomics_features_60.csv and the
genes of GENES that data/nsclc_radiogenomics/rnaseq_fpkm_subset_130x140.tsv holds (MIB1, CD52,
TXNIP), over the 60 subjects in both files (rows where either value is missing would be
dropped pair by pair). Spearman and Pearson r and p (scipy), and q by BH, BY and Bonferroni
over all pairs (statsmodels multipletests). Writes input.csv and reference.json. The edge
cases (a constant column, fewer than 3 rows) are asserted in tests/integration/stats.rs.
Run: python3 tests/reference/correlate/reference.py
"""
import csv
import json
import math
import os

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "data", "nsclc_radiogenomics")
FEATURES = ["original_shape_MeshVolume", "original_glcm_Contrast", "original_firstorder_Mean", "wavelet-LLH_glszm_ZoneEntropy"]
GENES = ["MIB1", "CD52", "TXNIP", "EGFR", "KRAS"]

rad = {}
with open(os.path.join(DATA, "pyradiomics_features_60.csv")) as f:
    for row in csv.DictReader(f):
        sid = row["Image"].rsplit("/", 1)[1].replace(".nii", "")
        rad[sid] = [float(row[c]) for c in FEATURES]
rna = {}
with open(os.path.join(DATA, "rnaseq_fpkm_subset_130x140.tsv")) as f:
    reader = csv.DictReader(f, delimiter="\t")
    header = reader.fieldnames
    genes = [g for g in GENES if g in header]
    for row in reader:
        def num(v):
            try:
                return float(v)
            except ValueError:
                return float("nan")
        rna[row[header[0]]] = [num(row[g]) for g in genes]
subjects = sorted(set(rad) & set(rna))
x = np.array([rad[s] for s in subjects])
y = np.array([rna[s] for s in subjects])
with open(os.path.join(HERE, "input.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["subject"] + FEATURES + genes)
    for s, a, b in zip(subjects, x, y):
        w.writerow([s] + [repr(float(v)) for v in a] + [repr(float(v)) for v in b])

out = {"subjects": len(subjects), "features": FEATURES, "genes": genes}
for method in ["spearman", "pearson"]:
    pairs = []
    for i, fname in enumerate(FEATURES):
        for j, g in enumerate(genes):
            a, b = x[:, i], y[:, j]
            keep = ~(np.isnan(a) | np.isnan(b))
            a, b = a[keep], b[keep]
            r, p = (stats.spearmanr(a, b) if method == "spearman" else stats.pearsonr(a, b))
            pairs.append({"feature": fname, "gene": g, "n": int(keep.sum()), "r": float(r), "p": float(p)})
    ps = [q["p"] for q in pairs]
    for name, key in [("fdr_bh", "q_bh"), ("fdr_by", "q_by"), ("bonferroni", "q_bonferroni")]:
        qs = multipletests(ps, method=name)[1]
        for pair, q in zip(pairs, qs):
            pair[key] = float(q)
    out[method] = pairs
with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump(out, f, indent=1)
print(len(subjects), "subjects;", out["spearman"][0])
