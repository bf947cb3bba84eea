"""Family 8b, the path to a target year (docs/model.md section 8; only with `path_year`):

    tb = t0 - 1,   b[m] = baseline[m] / gdp[m,tb],   gdp[m,tb] = gdp[m,t0] / (1 + gdp_growth[m])
    f(t) = min(1, (t - tb) / (Y - tb))
    pi[m,t] = P                          where b[m] >= P
            = b[m] + (P - b[m]) * f(t)   otherwise          (b[m] = 0 without a baseline)

    cost[m,t]      >= pi_Pt[m,t] * gdp[m,t]      (path_total)
    core_cost[m,t] >= pi_Pc[m,t] * gdp[m,t]      (path_core; core_cost: categories.py)

beside the floors of constraint 2 (commitments.py) and the core floor (categories.py): the
floor a member meets in year t is the highest of them. A path above a cap is an
infeasibility, explained as the path against the cap. `pi` is computed with the sets
(`models.sets.path_shares`, columns `path_total` and `path_core` of `member_years`).

| symbol | workbook |
|---|---|
| `Y`, `Pt`, `Pc` | settings.path_year, settings.path_total_share, settings.path_core_share |
| `baseline[m]` | members.baseline (spending in t0 - 1) |
| `gdp_growth[m]` | members.gdp_growth |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .categories import MEMBER_YEAR, category_rows
from .commitments import money
from .labelled import Labels, Reason, Rows

FAMILY = "path"


def rows(f, settings) -> list[Rows]:
    if settings.path_year is None:
        return []
    my = f.member_years
    gdp = my["gdp"].to_numpy(float)
    parts = []
    if settings.path_total_share is not None:
        on = np.nonzero(my["path_total"].to_numpy(float) > 0)[0]
        parts.append(Rows("path_total", Labels(my, MEMBER_YEAR, on),
                          rows=np.arange(len(on)), columns=f.column("cost", on),
                          coefficients=np.ones(len(on)),
                          lower=my["path_total"].to_numpy(float)[on] * gdp[on],
                          upper=np.full(len(on), np.inf),
                          doc="cost[m,t] >= pi_Pt[m,t] * gdp[m,t]"))
    if settings.path_core_share is not None:
        on = np.nonzero(my["path_core"].to_numpy(float) > 0)[0]
        parts.append(Rows("path_core", Labels(my, MEMBER_YEAR, on),
                          *category_rows(f, False, on),
                          lower=my["path_core"].to_numpy(float)[on] * gdp[on],
                          upper=np.full(len(on), np.inf),
                          doc="core_cost[m,t] >= pi_Pc[m,t] * gdp[m,t]"))
    return parts


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    my = f.member_years
    r = my[(my["member"] == label["member"]) & (my["year"] == label["year"])].iloc[0]
    settings = f.settings
    if name == "path_total":
        share, what, goal = r["path_total"], "spending", settings.path_total_share
    else:
        share, what, goal = r["path_core"], "core spending", settings.path_core_share
    return Reason(f"the path to {goal:.1%} of GDP by {settings.path_year} for",
                  f"{r['member']} in {r['year']} ({what} at least {share:.2%} of GDP = "
                  f"{money(share * r['gdp'], currency)})", r["member"],
                  requires=f"the path to {goal:.1%} of GDP by {settings.path_year}, {what} "
                           f"at least {share:.2%} of GDP in {r['year']}")
