"""Stage objectives (docs/model.md, "Objectives, solved lexicographically").

    SI         = sum_{c,g,t: target>0} priority[c,g,t] * S[c,g,t] / target[c,g,t]
               = sum_{c,g,t: target>0} priority[c,g,t] * sigma[c,g,t]
    total cost = sum_{m,t} cost[m,t] = sum_t total[t]
    max burden = Z,  with  cost[m,t] - gdp[m,t] * Z <= 0     (Z >= burden[m,t], in money units)
    deviation  = sum_{m,t} dev[m,t],  with  dev >= cost - s*total  and  dev >= s*total - cost

Each objective is a Pyomo `Objective`; the solver adapter minimises them one stage at a time
and after each stage adds the row "keep stage k": `objective_k <= value_k * (1 + 1e-6) + 1e-9`.
Stages, by `objective` (`tie_break` fair_share adds the last stage, except for min_deviation):

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

from .layout import Layout, add_rows


def stage_plan(settings) -> list[str]:
    """The objectives, in the order they are minimised."""
    stages = ["shortfall_index"] if settings.allow_shortfall else []
    if settings.objective == "min_cost":
        stages += ["total_cost"]
    elif settings.objective == "min_max_burden":
        stages += ["max_burden", "total_cost"]
    else:
        stages += ["deviation", "total_cost"]
    if settings.tie_break == "fair_share" and settings.objective != "min_deviation":
        stages += ["deviation"]
    return stages


def _objective(model, layout: Layout, name: str, cols, coefs) -> None:
    """Objective `name`: recorded as arrays, and as a Pyomo `Objective` unless in matrix mode."""
    layout.objective_specs[name] = (np.asarray(cols, dtype=np.int64),
                                    np.asarray(coefs, dtype=float))
    if model is None:
        return
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    columns = layout.columns
    setattr(model, name, pyo.Objective(expr=LinearExpression(
        constant=0.0, linear_coefs=np.asarray(coefs, float).tolist(),
        linear_vars=[columns[j] for j in np.asarray(cols).tolist()])))


def add_objectives(model, layout: Layout, settings) -> list[str]:
    stages = stage_plan(settings)
    my = layout.member_years
    n_my = len(my)
    own = np.arange(n_my)
    if "shortfall_index" in stages:
        targets = layout.targets
        weight = np.where(targets["target"].to_numpy(float) > 0,
                          targets["priority"].to_numpy(float), 0.0)
        keep = np.nonzero(weight > 0)[0]
        _objective(model, layout, "shortfall_index", layout.column("sigma", keep), weight[keep])
    n_years = len(layout.years)
    _objective(model, layout, "total_cost", layout.column("total", np.arange(n_years)),
               np.ones(n_years))
    if "max_burden" in stages:
        layout.var(model, "Z", 1, 0.0, np.inf, unit=layout.measure["burden"])
        add_rows(model, layout, "max_burden_definition", "objective",
                 rows=np.concatenate([own, own]),
                 cols=np.concatenate([layout.column("cost", own),
                                      layout.column("Z", np.zeros(n_my, dtype=int))]),
                 coefs=np.concatenate([np.ones(n_my), -my["gdp"].to_numpy(float)]),
                 lower=np.full(n_my, -np.inf), upper=np.zeros(n_my))
        _objective(model, layout, "max_burden", layout.column("Z", [0]), [1.0])
    if "deviation" in stages:
        layout.var(model, "dev", n_my, 0.0, np.inf, unit=layout.measure["money"])
        share = my["share"].to_numpy(float)
        total_col = layout.column("total", np.searchsorted(layout.years, my["year"].to_numpy()))
        rows = np.concatenate([own, own, own])
        cols = np.concatenate([layout.column("dev", own), layout.column("cost", own), total_col])
        # dev - cost + s total >= 0   and   dev + cost - s total >= 0
        add_rows(model, layout, "deviation_above", "objective", rows, cols,
                 np.concatenate([np.ones(n_my), -np.ones(n_my), share]),
                 lower=np.zeros(n_my), upper=np.full(n_my, np.inf))
        add_rows(model, layout, "deviation_below", "objective", rows, cols,
                 np.concatenate([np.ones(n_my), np.ones(n_my), -share]),
                 lower=np.zeros(n_my), upper=np.full(n_my, np.inf))
        _objective(model, layout, "deviation", layout.column("dev", own), np.ones(n_my))
    return stages
