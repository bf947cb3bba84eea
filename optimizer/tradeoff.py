"""The cost-fairness frontier (docs/model.md, "Cost-fairness frontier"), by the epsilon-constraint
method.

`D0` is the deviation of the `min_cost` plan after its tie-break (the least deviation among
min-cost plans) and `D*` the `min_deviation` optimum; for `N` evenly spaced `eps` from `D0`
to `D*` inclusive, keep stage 1 (the shortfall index) and minimise total cost subject to
`sum_{m,t} |cost[m,t] - s[m,t]*total[t]| <= eps`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from models import build_model

from .extract import members_table
from .highs_adapter import HighsSession
from .stages import compile_layout, formulate
from .studies import Frontier

FRONTIER_COLUMNS = ["point", "eps", "deviation", "total_cost", "max_burden", "shortfall_index",
                    "status"]
EPS_SLACK = 1e-9  # relative room on eps, so the last point (eps = D*) is not lost to rounding


def frontier(inputs, points: int = 11, extra=None) -> Frontier:
    """The trade-off curve between total cost and deviation from fair shares: a `Frontier`
    whose table has one row per point (`FRONTIER_COLUMNS`), from the min-cost end (largest
    deviation) to the min-deviation end. An infeasible case gives one row with status
    `infeasible`. `extra`: a function
    called on the case's Pyomo model (`build_model`) to add the analyst's own constraints,
    which every point then keeps.

    >>> curve = frontier(read_inputs("inputs/alliance.xlsx"), points=5)   # doctest: +SKIP
    >>> curve.table, curve.to_excel("frontier.xlsx")                        # doctest: +SKIP
    """
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    settings = dataclasses.replace(inputs.settings, objective="min_cost", tie_break="fair_share")
    case = dataclasses.replace(inputs, settings=settings)
    if extra is None:
        layout = formulate(case)
    else:
        model = build_model(case)
        extra(model)
        layout = model.formulation
    if len(layout.unreachable):
        return _failed("infeasible")
    compiled = compile_layout(layout)
    deviation = compiled.objectives["deviation"]
    cost = compiled.objectives["total_cost"]

    cheapest = HighsSession(compiled, mip_gap=settings.mip_gap)
    values = {}
    for name in layout.stages:  # [shortfall_index], total_cost, deviation
        outcome = cheapest.minimise(compiled.objectives[name], settings.time_limit)
        if outcome.x is None:
            return _failed(outcome.status)
        values[name] = outcome.value
        cheapest.keep(compiled.objectives[name], outcome.value)
    d0 = values["deviation"]

    fairest = HighsSession(compiled, mip_gap=settings.mip_gap)
    if "shortfall_index" in layout.stages:
        first = fairest.minimise(compiled.objectives["shortfall_index"], settings.time_limit)
        fairest.keep(compiled.objectives["shortfall_index"], first.value)
    best = fairest.minimise(deviation, settings.time_limit)
    if best.x is None:
        return _failed(best.status)
    d_star = best.value

    row = fairest.add_bound_row(deviation, d0)
    rows = []
    for point, eps in enumerate(np.linspace(d0, d_star, points)):
        fairest.set_row_upper(row, eps * (1 + EPS_SLACK) + EPS_SLACK)
        outcome = fairest.minimise(cost, settings.time_limit)
        if outcome.x is None:
            rows.append({"point": point, "eps": eps, "status": outcome.status})
            continue
        members = members_table(case, layout, outcome.x)
        present = members[members["member"].isin(layout.members)]
        rows.append({"point": point, "eps": eps, "deviation": float(deviation @ outcome.x),
                     "total_cost": outcome.value, "max_burden": float(present["burden"].max()),
                     "shortfall_index": values.get("shortfall_index", 0.0),
                     "status": outcome.status})
    return Frontier(pd.DataFrame(rows, columns=FRONTIER_COLUMNS), settings.currency)


def _failed(status: str, currency: str = "") -> Frontier:
    return Frontier(pd.DataFrame([{"point": 0, "status": status}], columns=FRONTIER_COLUMNS),
                    currency)
