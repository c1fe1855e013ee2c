#!/usr/bin/env python3
"""Reference Cox fits under separation for rgdb (issue 21, item 7), made with lifelines 0.30.3.

Two data sets whose partial likelihood has no maximum (a coefficient's estimate is infinite):
- `complete`: every subject with x = 1 dies before anyone with x = 0 leaves, so at each of their
  deaths the one who dies has the highest x at risk (complete separation).
- `quasi`: a text covariate of three levels where A and B overlap in time but level C has no
  event at all (quasi-complete separation of the dummy `grp = C`; `grp = B` has a finite
  estimate).
lifelines fits both and warns (ConvergenceWarning); R `coxph` warns "Loglik converged before
variable …; coefficient may be infinite". rgdb must flag the same terms. Writes
cox_separation.json beside this script (the data and what lifelines said).
Run: python3 tests/reference/survival/cox_separation.py
"""
import json
import os
import warnings

import lifelines
import pandas as pd
from lifelines import CoxPHFitter

HERE = os.path.dirname(os.path.abspath(__file__))

complete = {
    "time": [float(t) for t in range(1, 21)],
    "event": [1] * 8 + [1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1],
    "x": [1.0] * 8 + [0.0] * 12,
}
quasi_rows = (
    [(float(t), 1 if t % 4 else 0, "A") for t in range(2, 32, 3)]
    + [(float(t), 1 if t % 5 else 0, "B") for t in range(3, 33, 3)]
    + [(float(t), 0, "C") for t in range(1, 31, 3)]
)
quasi = {
    "time": [r[0] for r in quasi_rows],
    "event": [r[1] for r in quasi_rows],
    "grp": [r[2] for r in quasi_rows],
}


def fit(df):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph = CoxPHFitter().fit(df, duration_col="time", event_col="event")
    said = [str(w.message).strip() for w in caught if issubclass(w.category, lifelines.exceptions.ConvergenceWarning)]
    return {
        "coef": {k: float(v) for k, v in cph.params_.items()},
        "lifelines_warnings": said,
    }


out = {"lifelines": lifelines.__version__}
out["complete"] = dict(complete, **fit(pd.DataFrame(complete)))
q = pd.DataFrame(quasi)
dummies = pd.get_dummies(q["grp"], prefix="grp", prefix_sep=" = ", dtype=float).drop(columns=["grp = A"])
out["quasi"] = dict(quasi, **fit(pd.concat([q[["time", "event"]], dummies], axis=1)))
with open(os.path.join(HERE, "cox_separation.json"), "w") as f:
    json.dump(out, f, indent=1)
for name in ["complete", "quasi"]:
    print(name, out[name]["coef"], out[name]["lifelines_warnings"])
