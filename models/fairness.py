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

from .layout import Layout, add_rows


def add_fairness(model, layout: Layout, tau: float | None) -> None:
    if tau is None:
        return
    my = layout.member_years
    n = len(my)
    own = np.arange(n)
    total_col = layout.column("total", np.searchsorted(layout.years, my["year"].to_numpy()))
    share = my["share"].to_numpy(float)
    cost_col = layout.column("cost", own)
    rows = np.concatenate([own, own])
    cols = np.concatenate([cost_col, total_col])
    # cost - (1 - tau) s total >= 0
    add_rows(model, layout, "fairness_lower", "fairness", rows, cols,
             np.concatenate([np.ones(n), -(1 - tau) * share]),
             lower=np.zeros(n), upper=np.full(n, np.inf))
    # cost - (1 + tau) s total <= 0
    add_rows(model, layout, "fairness_upper", "fairness", rows, cols,
             np.concatenate([np.ones(n), -(1 + tau) * share]),
             lower=np.full(n, -np.inf), upper=np.zeros(n))
