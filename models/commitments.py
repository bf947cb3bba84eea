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

from .layout import Layout


def add_commitments(model, layout: Layout) -> None:
    my = layout.member_years
    start = layout.offsets["cost"]
    layout.lower[start:start + len(my)] = my["lower"].to_numpy(float)
    layout.upper[start:start + len(my)] = my["upper"].to_numpy(float)
