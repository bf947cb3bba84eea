"""Family 5, fairness band (docs/model.md constraint 5; only when `tau` is set):

    (1 - tau) * s[m,t] * total[t] <= cost[m,t] <= (1 + tau) * s[m,t] * total[t]

Two rows of two entries each per member and year (`cost` and `total` are variables).

| symbol | workbook |
|---|---|
| `tau` | settings.fairness_tolerance |
| `s[m,t]` | settings.fair_share (+ weights, share_ceiling, share_floor); see optimizer/shares.py |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labelled import Labels, Reason, Rows

FAMILY = "fairness"


def rows(f, settings) -> list[Rows]:
    tau = settings.fairness_tolerance
    if tau is None:
        return []
    my = f.member_years
    n = len(my)
    own = np.arange(n)
    total_col = f.column("total", np.searchsorted(f.years, my["year"].to_numpy()))
    share = my["share"].to_numpy(float)
    rows_ = np.concatenate([own, own])
    cols = np.concatenate([f.column("cost", own), total_col])
    labels = Labels(my, ["member", "year"])
    return [
        Rows("fairness_lower", labels, rows_, cols,
             np.concatenate([np.ones(n), -(1 - tau) * share]),
             lower=np.zeros(n), upper=np.full(n, np.inf),
             doc="cost[m,t] - (1 - tau) s[m,t] total[t] >= 0"),
        Rows("fairness_upper", labels, rows_, cols,
             np.concatenate([np.ones(n), -(1 + tau) * share]),
             lower=np.full(n, -np.inf), upper=np.zeros(n),
             doc="cost[m,t] - (1 + tau) s[m,t] total[t] <= 0"),
    ]


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    my = f.member_years
    share = my.loc[(my["member"] == label["member"]) & (my["year"] == label["year"]),
                   "share"].iloc[0]
    side = "at least" if name == "fairness_lower" else "at most"
    sign = "-" if name == "fairness_lower" else "+"
    return Reason(f"the fairness band (each pays {side} (1 {sign} tau) x its fair share of "
                  "the year's total) for",
                  f"{label['member']} in {label['year']} (fair share {share:.2%})")
