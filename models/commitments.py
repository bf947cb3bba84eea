"""Family 2, commitments (docs/model.md constraint 2):

    max(floor[m,t] * gdp[m,t], pledge[m,t]) <= cost[m,t] <= cap[m,t] * gdp[m,t]

Stated as the bounds of the variable `cost[m,t]` (one column, no extra row); an infeasibility
explanation names them as the member's commitments.

| symbol | workbook |
|---|---|
| `floor[m,t]` | members.floor_gdp_share, or commitments.floor_gdp_share for that year |
| `cap[m,t]` | members.cap_gdp_share, or commitments.cap_gdp_share for that year (blank: none) |
| `pledge[m,t]` | commitments.pledge (default 0) |
| `gdp[m,t]` | members.gdp * (1 + gdp_growth)^(t - t0), or the gdp sheet |
"""

from __future__ import annotations

import numpy as np

from .labelled import Bounds, Reason

FAMILY = "commitments"


def rows(f, settings) -> list[Bounds]:
    my = f.member_years
    return [Bounds("cost", lower=my["lower"].to_numpy(float), upper=my["upper"].to_numpy(float),
                   doc="max(floor * gdp, pledge) <= cost[m,t] <= cap * gdp")]


def explain_bound(variable: str, position: int, f, currency: str) -> Reason | None:
    """The commitments of a member-year; None where they are only `cost >= 0` (no floor,
    pledge or cap: no limit a planner set)."""
    r = f.member_years.iloc[position]
    if r["lower"] <= 0 and not np.isfinite(r["upper"]):
        return None
    cap = "no cap" if not np.isfinite(r["upper"]) else \
        f"cap {r['cap_share']:.2%} of GDP = {money(r['upper'], currency)}"
    floor = f"floor {r['floor_share']:.2%} of GDP"
    if r["pledge"] > 0:
        floor += f" or pledge {money(r['pledge'], currency)}"
    return Reason("the commitments of", f"{r['member']} in {r['year']} ({floor}, at least "
                  f"{money(r['lower'], currency)}; {cap})", r["member"],
                  requires=f"{floor}, at least {money(r['lower'], currency)} in {r['year']}")


def stranded_members(f) -> set:
    """Present members with no allowed region at all (no funding, personnel or equipment
    column to spend through)."""
    spending = set(f.cells["member"].tolist()) | set(f.units["member"].tolist())
    return {m for m in f.members if m not in spending}


def money(value: float, currency: str) -> str:
    return f"{value:,.1f} {currency}"

