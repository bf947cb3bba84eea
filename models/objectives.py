"""Stage objectives (docs/model.md, "Objectives, solved lexicographically").

    SI         = sum_{c,g,t: target>0} priority[c,g,t] * S[c,g,t] / target[c,g,t]
               = sum_{c,g,t: target>0} priority[c,g,t] * sigma[c,g,t]
    total cost = sum_{m,t} cost[m,t] = sum_t total[t]
    max burden = Z,  with  cost[m,t] - gdp[m,t] * Z <= 0     (Z >= burden[m,t], in money units)
    deviation  = sum_{m,t} dev[m,t],  with  dev >= cost - s*total  and  dev >= s*total - cost

The solver minimises them one stage at a time and after each stage adds the row "keep stage
k": `objective_k <= value_k * (1 + 1e-6) + 1e-9`. Stages, by `objective` (`tie_break`
fair_share adds the last stage, except for min_deviation; `tie_break` previous_plan puts the
stage `previous_plan` (models/stability.py) before it, for every objective):

| objective | stages |
|---|---|
| min_cost | [shortfall_index], total_cost, [deviation] |
| min_max_burden | [shortfall_index], max_burden, total_cost, [deviation] |
| min_deviation | [shortfall_index], deviation, total_cost |

| symbol | workbook |
|---|---|
| `priority[c,g,t]` | targets.priority |
| `objective` | settings.objective;  `tie_break`: settings.tie_break |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labelled import Labels, Objective, Rows, Variable

FAMILY = "objectives"


def stage_plan(settings) -> list[str]:
    """The objectives, in the order they are minimised."""
    stages = ["shortfall_index"] if settings.allow_shortfall else []
    if settings.objective == "min_cost":
        stages += ["total_cost"]
    elif settings.objective == "min_max_burden":
        stages += ["max_burden", "total_cost"]
    else:
        stages += ["deviation", "total_cost"]
    if settings.tie_break == "previous_plan":
        stages += ["previous_plan"]
    if settings.tie_break in ("fair_share", "previous_plan") and \
            settings.objective != "min_deviation":
        stages += ["deviation"]
    return stages


def variables(sets, settings) -> list[Variable]:
    stages = stage_plan(settings)
    declared = []
    if "max_burden" in stages:
        declared.append(Variable("Z", pd.DataFrame(index=range(1)), 0.0, np.inf,
                                 unit=sets.measure["burden"],
                                 doc="the largest burden cost[m,t] / gdp[m,t]"))
    if "deviation" in stages:
        my = sets.member_years
        declared.append(Variable("dev", Labels(my, ["member", "year"]), 0.0, np.inf,
                                 unit=sets.measure["money"],
                                 codes=sets.codes["member_years"],
                                 doc="|cost[m,t] - s[m,t] total[t]|"))
    return declared


def rows(f, settings) -> list:
    stages = stage_plan(settings)
    my = f.member_years
    n_my = len(my)
    own = np.arange(n_my)
    labels = Labels(my, ["member", "year"])
    parts = []
    if "shortfall_index" in stages:
        targets = f.targets
        weight = np.where(targets["target"].to_numpy(float) > 0,
                          targets["priority"].to_numpy(float), 0.0)
        keep = np.nonzero(weight > 0)[0]
        parts.append(Objective("shortfall_index", f.column("sigma", keep), weight[keep],
                               doc="sum priority[c,g,t] sigma[c,g,t]"))
    n_years = len(f.years)
    parts.append(Objective("total_cost", f.column("total", np.arange(n_years)),
                           np.ones(n_years), doc="sum_t total[t]"))
    if "max_burden" in stages:
        parts.append(Rows(
            "max_burden_definition", labels, rows=np.concatenate([own, own]),
            columns=np.concatenate([f.column("cost", own),
                                    f.column("Z", np.zeros(n_my, dtype=int))]),
            coefficients=np.concatenate([np.ones(n_my), -my["gdp"].to_numpy(float)]),
            lower=np.full(n_my, -np.inf), upper=np.zeros(n_my),
            doc="cost[m,t] - gdp[m,t] Z <= 0"))
        parts.append(Objective("max_burden", f.column("Z", [0]), [1.0], doc="Z"))
    if "deviation" in stages:
        share = my["share"].to_numpy(float)
        total_col = f.column("total", np.searchsorted(f.years, my["year"].to_numpy()))
        rows_ = np.concatenate([own, own, own])
        cols = np.concatenate([f.column("dev", own), f.column("cost", own), total_col])
        parts.append(Rows("deviation_above", labels, rows_, cols,
                          np.concatenate([np.ones(n_my), -np.ones(n_my), share]),
                          lower=np.zeros(n_my), upper=np.full(n_my, np.inf),
                          doc="dev[m,t] - cost[m,t] + s[m,t] total[t] >= 0"))
        parts.append(Rows("deviation_below", labels, rows_, cols,
                          np.concatenate([np.ones(n_my), np.ones(n_my), -share]),
                          lower=np.zeros(n_my), upper=np.full(n_my, np.inf),
                          doc="dev[m,t] + cost[m,t] - s[m,t] total[t] >= 0"))
        parts.append(Objective("deviation", f.column("dev", own), np.ones(n_my),
                               doc="sum dev[m,t]"))
    return parts
