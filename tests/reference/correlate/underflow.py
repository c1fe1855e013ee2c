#!/usr/bin/env python3
"""Reference p-values below the smallest double for rgdb's CORRELATE (issue 21, item 12), exact
to the digits shown, made with mpmath 1.3 (50 significant digits) and checked against scipy
where scipy's p is still a normal double.

10,000 subjects: x = i (i = 1 … 10,000), e = (7919 i) mod 1000, and y columns x + c·e for
c = 1, 3, 10, 300 (r ≈ 0.995, 0.957, 0.71, 0.03), `twice` = 2x (r = 1: p is 0) and `noise` = e.
The test writes the same columns (all integers) into a table and runs `CORRELATE x WITH …`.
For each y, Pearson and Spearman (average ranks): r, log10 of the two-sided p from Student's t
with n − 2 df (I_{1 − r²}(df/2, 1/2), the regularized incomplete beta), and log10 of the
Benjamini–Hochberg q over the six pairs. Writes underflow_reference.json beside this script.
Run: python3 tests/reference/correlate/underflow.py
"""
import json
import os

import mpmath
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
mpmath.mp.dps = 50
N = 10_000
x = [i for i in range(1, N + 1)]
e = [(7919 * i) % 1000 for i in x]
columns = {f"y{c}": [a + c * b for a, b in zip(x, e)] for c in (1, 3, 10, 300)}
columns["twice"] = [2 * a for a in x]
columns["noise"] = e


def ranks(v):
    return [mpmath.mpf(r) for r in stats.rankdata(v)]  # average ranks: halves, exact


def pearson(a, b):
    a = [mpmath.mpf(v) for v in a]
    b = [mpmath.mpf(v) for v in b]
    ma, mb = mpmath.fsum(a) / len(a), mpmath.fsum(b) / len(b)
    sab = mpmath.fsum((u - ma) * (v - mb) for u, v in zip(a, b))
    saa = mpmath.fsum((u - ma) ** 2 for u in a)
    sbb = mpmath.fsum((v - mb) ** 2 for v in b)
    return sab / mpmath.sqrt(saa * sbb)


def log10_p(r):
    df = N - 2
    if abs(r) >= 1:
        return None  # p = 0: log10 p is -inf
    p = mpmath.betainc(mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, 1 - r * r, regularized=True)
    return float(mpmath.log10(p))


out = {"n": N, "mpmath": mpmath.__version__}
for method in ("pearson", "spearman"):
    pairs = []
    for name, y in columns.items():
        r = pearson(x, y) if method == "pearson" else pearson(ranks(x), ranks(y))
        lp = log10_p(r)
        scipy_p = float((stats.pearsonr if method == "pearson" else stats.spearmanr)(x, y)[1])
        pairs.append({"y": name, "r": float(r), "log10_p": lp, "scipy_p": scipy_p})
    # Benjamini-Hochberg in log10: q_(k) = min over j >= k of p_(j) m / j, capped at 1.
    m = len(pairs)
    order = sorted(range(m), key=lambda k: -1e99 if pairs[k]["log10_p"] is None else pairs[k]["log10_p"])
    running = mpmath.mpf(0)
    for rank in range(m, 0, -1):
        k = order[rank - 1]
        lp = pairs[k]["log10_p"]
        cand = mpmath.mpf("-inf") if lp is None else mpmath.mpf(lp) + mpmath.log10(mpmath.mpf(m) / rank)
        running = min(running, cand)
        pairs[k]["log10_q"] = None if running == mpmath.mpf("-inf") else float(running)
    out[method] = pairs
with open(os.path.join(HERE, "underflow_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
for method in ("pearson", "spearman"):
    for p in out[method]:
        print(method, p)
