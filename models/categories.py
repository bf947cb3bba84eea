"""Family 8a, core and related spending (docs/model.md section 8), per member and year:

    core_cost[m,t]    = sum_{c core, g} cost[m,c,g,t]      >= core_floor[m,t] * gdp[m,t]
    related_cost[m,t] = sum_{c related, g} cost[m,c,g,t]   <= related_cap[m,t] * gdp[m,t]

(`cost[m,c,g,t]`: models/quantities.py). A row only where it can bind: a positive core
floor, a related cap given.

| symbol | workbook |
|---|---|
| `category[c]` | capabilities.category (core, the default, or related) |
| `core_floor[m,t]` | members.core_floor_gdp_share, or commitments.core_floor_gdp_share that year |
| `related_cap[m,t]` | members.related_cap_gdp_share, or commitments.related_cap_gdp_share (blank: none) |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .commitments import money
from .labelled import Labels, Reason, Rows
from .quantities import measure_terms

FAMILY = "categories"

MEMBER_YEAR = ["member", "year"]


def category_rows(f, related: bool, keep: np.ndarray):
    """(rows, columns, coefficients) of `sum cost[m,c,g,t]` over the capabilities of one
    category, one row per member-year in `keep` (positions in `f.member_years`)."""
    codes = f.sets.codes
    in_category = f.sets.related == related
    cells = np.nonzero(in_category[codes["cells"]["capability"]])[0] if len(in_category) \
        else np.zeros(0, dtype=np.int64)
    unit_capability = codes["units"]["capability"]
    units = np.nonzero((unit_capability >= 0)
                       & in_category[np.maximum(unit_capability, 0)])[0] \
        if len(unit_capability) else np.zeros(0, dtype=np.int64)
    cell_row = f.position(codes["member_years"], MEMBER_YEAR, codes["cells"], slot="cells")
    unit_row = f.position(codes["member_years"], MEMBER_YEAR, codes["units"], slot="units")
    owner, column, coefficient = measure_terms(f, "cost", cells, units)
    member_year = np.concatenate([cell_row[cells], unit_row[units]])[owner]
    row_of = np.full(len(f.member_years), -1)
    row_of[keep] = np.arange(len(keep))
    row = row_of[member_year]
    chosen = row >= 0
    return row[chosen], column[chosen], coefficient[chosen]


def rows(f, settings) -> list[Rows]:
    my = f.member_years
    parts = []
    core = np.nonzero(my["core_lower"].to_numpy(float) > 0)[0]
    if len(core):
        parts.append(Rows("core_floor", Labels(my, MEMBER_YEAR, core),
                          *category_rows(f, False, core),
                          lower=my["core_lower"].to_numpy(float)[core],
                          upper=np.full(len(core), np.inf),
                          doc="core_cost[m,t] >= core_floor[m,t] * gdp[m,t]"))
    capped = np.nonzero(np.isfinite(my["related_upper"].to_numpy(float)))[0]
    if len(capped):
        parts.append(Rows("related_cap", Labels(my, MEMBER_YEAR, capped),
                          *category_rows(f, True, capped),
                          lower=np.full(len(capped), -np.inf),
                          upper=my["related_upper"].to_numpy(float)[capped],
                          doc="related_cost[m,t] <= related_cap[m,t] * gdp[m,t]"))
    return parts


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    my = f.member_years
    r = my[(my["member"] == label["member"]) & (my["year"] == label["year"])].iloc[0]
    if name == "core_floor":
        return Reason("the core floor of",
                      f"{r['member']} in {r['year']} (core spending at least "
                      f"{r['core_floor_share']:.2%} of GDP = {money(r['core_lower'], currency)})",
                      r["member"],
                      requires=f"core floor {r['core_floor_share']:.2%} of GDP, at least "
                               f"{money(r['core_lower'], currency)} in {r['year']}")
    return Reason("the related cap of",
                  f"{r['member']} in {r['year']} (related spending at most "
                  f"{r['related_cap_share']:.2%} of GDP = {money(r['related_upper'], currency)})",
                  r["member"])
