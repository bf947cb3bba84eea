"""Family 9, stability against a previous plan (docs/model.md section 9), over the
member-years both plans cover (`prev[m,t]` given):

    (1 - delta) * prev[m,t] <= cost[m,t] <= (1 + delta) * prev[m,t]        (max_change)

and, with `tie_break = previous_plan`, the stage that keeps the plan closest to the previous
one in L1 among equally good plans (before the fair-share tie-break):

    minimise  sum_{(m,t) in prev} change[m,t]
    with      change[m,t] >= cost[m,t] - prev[m,t],   change[m,t] >= prev[m,t] - cost[m,t]

| symbol | workbook |
|---|---|
| `prev[m,t]` | previous.cost, or the members sheet of a previous report (`--previous`) |
| `delta` | settings.max_change |
| tie-break | settings.tie_break = previous_plan |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .commitments import money
from .labelled import Labels, Objective, Reason, Rows, Variable

FAMILY = "stability"

MEMBER_YEAR = ["member", "year"]


def _covered(member_years) -> np.ndarray:
    return np.nonzero(np.isfinite(member_years["previous"].to_numpy(float)))[0]


def variables(sets, settings) -> list[Variable]:
    if settings.tie_break != "previous_plan":
        return []
    my = sets.member_years
    covered = _covered(my)
    return [Variable("change", Labels(my, MEMBER_YEAR, covered), 0.0, np.inf,
                     unit=sets.measure["money"],
                     codes={k: v[covered] for k, v in sets.codes["member_years"].items()},
                     doc="|cost[m,t] - prev[m,t]|")]


def rows(f, settings) -> list:
    my = f.member_years
    covered = _covered(my)
    previous = my["previous"].to_numpy(float)[covered]
    labels = Labels(my, MEMBER_YEAR, covered)
    n = len(covered)
    parts = []
    if settings.max_change is not None and n:
        delta = settings.max_change
        parts.append(Rows("max_change", labels, rows=np.arange(n),
                          columns=f.column("cost", covered), coefficients=np.ones(n),
                          lower=(1.0 - delta) * previous, upper=(1.0 + delta) * previous,
                          doc="(1 - delta) prev[m,t] <= cost[m,t] <= (1 + delta) prev[m,t]"))
    if "change" in f.variables:
        own = np.arange(n)
        rows_ = np.concatenate([own, own])
        columns = np.concatenate([f.column("change", own), f.column("cost", covered)])
        parts.append(Rows("change_above", labels, rows_, columns,
                          np.concatenate([np.ones(n), -np.ones(n)]),
                          lower=-previous, upper=np.full(n, np.inf),
                          doc="change[m,t] - cost[m,t] >= -prev[m,t]"))
        parts.append(Rows("change_below", labels, rows_, columns,
                          np.concatenate([np.ones(n), np.ones(n)]),
                          lower=previous, upper=np.full(n, np.inf),
                          doc="change[m,t] + cost[m,t] >= prev[m,t]"))
        parts.append(Objective("previous_plan", f.column("change", own), np.ones(n),
                               doc="sum change[m,t]"))
    return parts


def explain(name: str, label: pd.Series, f, currency: str) -> Reason | None:
    if name != "max_change":
        return None
    my = f.member_years
    r = my[(my["member"] == label["member"]) & (my["year"] == label["year"])].iloc[0]
    delta = f.settings.max_change
    return Reason("stability against the previous plan for",
                  f"{r['member']} in {r['year']} (within {delta:.0%} of "
                  f"{money(r['previous'], currency)}: {money((1 - delta) * r['previous'], currency)}"
                  f" to {money((1 + delta) * r['previous'], currency)})", r["member"])
