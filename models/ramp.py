"""Family 6, ramp (docs/model.md constraint 6; only when `rho` is set):

    cost[m,t] <= (1 + rho)^(t - t') * cost[m,t']     for consecutive model years t' < t
    cost[m,t0] <= (1 + rho) * baseline[m]            where a baseline is given

| symbol | workbook |
|---|---|
| `rho` | settings.max_growth |
| `baseline[m]` | members.baseline (money spent in year t0 - 1) |
"""

from __future__ import annotations

import numpy as np

from .layout import Layout, add_rows


def add_ramp(model, layout: Layout, rho: float | None) -> None:
    if rho is None:
        return
    my = layout.member_years
    years = my["year"].to_numpy()
    member = layout.codes["member_years"]["member"]
    same_member = member[1:] == member[:-1]
    later = np.nonzero(same_member)[0] + 1  # rows sorted by member, then year
    earlier = later - 1
    n = len(later)
    growth = (1.0 + rho) ** (years[later] - years[earlier])
    add_rows(model, layout, "ramp", "ramp",
             rows=np.concatenate([np.arange(n), np.arange(n)]),
             cols=np.concatenate([layout.column("cost", later), layout.column("cost", earlier)]),
             coefs=np.concatenate([np.ones(n), -growth]),
             lower=np.full(n, -np.inf), upper=np.zeros(n))
    layout.ramp_rows = my[["member", "year"]].take(later).reset_index(drop=True)
    first = np.nonzero(my["first"].to_numpy() & my["baseline"].notna().to_numpy())[0]
    layout.baseline_rows = my[["member", "year"]].take(first).reset_index(drop=True)
    add_rows(model, layout, "ramp_baseline", "ramp",
             rows=np.arange(len(first)), cols=layout.column("cost", first),
             coefs=np.ones(len(first)), lower=np.full(len(first), -np.inf),
             upper=(1.0 + rho) * my["baseline"].to_numpy(float)[first])
