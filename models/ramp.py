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
import pandas as pd

from .commitments import money
from .labelled import Labels, Reason, Rows

FAMILY = "ramp"


def rows(f, settings) -> list[Rows]:
    rho = settings.max_growth
    if rho is None:
        return []
    my = f.member_years
    years = my["year"].to_numpy()
    member = f.sets.codes["member_years"]["member"]
    same_member = member[1:] == member[:-1]
    later = np.nonzero(same_member)[0] + 1  # rows sorted by member, then year
    earlier = later - 1
    n = len(later)
    growth = (1.0 + rho) ** (years[later] - years[earlier])
    first = np.nonzero(my["first"].to_numpy() & my["baseline"].notna().to_numpy())[0]
    return [
        Rows("ramp", Labels(my, ["member", "year"], later),
             rows=np.concatenate([np.arange(n), np.arange(n)]),
             columns=np.concatenate([f.column("cost", later), f.column("cost", earlier)]),
             coefficients=np.concatenate([np.ones(n), -growth]),
             lower=np.full(n, -np.inf), upper=np.zeros(n),
             doc="cost[m,t] - (1 + rho)^(t - t') cost[m,t'] <= 0"),
        Rows("ramp_baseline", Labels(my, ["member", "year"], first),
             rows=np.arange(len(first)), columns=f.column("cost", first),
             coefficients=np.ones(len(first)), lower=np.full(len(first), -np.inf),
             upper=(1.0 + rho) * my["baseline"].to_numpy(float)[first],
             doc="cost[m,t0] <= (1 + rho) baseline[m]"),
    ]


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    if name == "ramp":
        return Reason("the ramp (spending grows by at most max_growth a year) for",
                      f"{label['member']} into {label['year']}")
    my = f.member_years
    base = my.loc[(my["member"] == label["member"]) & my["first"], "baseline"].iloc[0]
    return Reason("the ramp from the baseline for",
                  f"{label['member']} (baseline {money(base, currency)}, into "
                  f"{label['year']})")
