"""The shared sums, each a variable defined by one equality row (docs/model.md, implementation note).

    persons[m,t] = sum_{c,g} P[m,c,g,t] + sum_{k,g} crew[k] * E[m,k,g,t]
    cost[m,t]    = sum_{c,g} F[m,c,g,t] + pcost[m] * persons[m,t] + sum_{k,g} ucost[k] * E[m,k,g,t]
    total[t]     = sum_m cost[m,t]

Every other family uses `cost`, `persons` and `total` instead of writing the sums out, which
keeps the matrix sparse (a fairness row has 2 entries, not |M| * |C| * |G|). Their bounds are
the commitments' (commitments.py) and the personnel limit's (personnel.py).

| symbol | workbook |
|---|---|
| `pcost[m]` | members.personnel_cost |
| `crew[k]`, `ucost[k]` | equipment.crew, equipment.unit_cost |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labelled import Labels, Reason, Rows, Variable, cached
from .sets import power_of_two

FAMILY = "accounts"

MEMBER_YEAR = ["member", "year"]


def variables(sets, settings) -> list[Variable]:
    my = sets.member_years
    labels = Labels(my, MEMBER_YEAR)
    codes = sets.codes["member_years"]
    money, persons = sets.measure["money"], sets.measure["persons"]
    members = power_of_two(max(len(sets.members), 1))
    return [
        Variable("cost", labels, 0.0, np.inf, unit=money, codes=codes,
                 doc="what member m spends in year t (funding, personnel, equipment)"),
        Variable("persons", labels, 0.0, np.inf, unit=persons, codes=codes,
                 doc="persons member m deploys in year t (personnel and crews)"),
        Variable("total", pd.DataFrame({"year": np.asarray(sets.years, dtype=np.int64)}),
                 0.0, np.inf, unit=money * members, codes={"year": np.arange(len(sets.years))},
                 doc="the alliance's total spending in year t"),
    ]


def _entries(cell_row, unit_row, n_my, n_cells, n_units, offsets, my_years, years):
    """(rows, columns) of the three definitions; the coefficients follow."""
    persons, p, e, cost, f, total = offsets
    own = np.arange(n_my)
    year_row = np.searchsorted(years, my_years)
    return {
        "persons": (np.concatenate([own, cell_row, unit_row]),
                    np.concatenate([persons + own, p + np.arange(n_cells),
                                    e + np.arange(n_units)])),
        "cost": (np.concatenate([own, cell_row, own, unit_row]),
                 np.concatenate([cost + own, f + np.arange(n_cells), persons + own,
                                 e + np.arange(n_units)])),
        "total": (np.concatenate([np.arange(len(years)), year_row]),
                  np.concatenate([total + np.arange(len(years)), cost + own]))}


def rows(f, settings) -> list[Rows]:
    my, cells, units = f.member_years, f.cells, f.units
    n_my, n_cells, n_units = len(my), len(cells), len(units)
    codes = f.sets.codes
    cell_row = f.position(codes["member_years"], MEMBER_YEAR, codes["cells"], slot="cells")
    unit_row = f.position(codes["member_years"], MEMBER_YEAR, codes["units"], slot="units")
    years = f.years
    offsets = tuple(f.variables[name].offset
                    for name in ("persons", "P", "E", "cost", "F", "total"))
    entries = cached(f.cache, _entries, cell_row, unit_row, n_my, n_cells, n_units, offsets,
                     my["year"].to_numpy(), list(years))
    labels = Labels(my, MEMBER_YEAR)

    pcost = np.zeros(len(f.members))  # pcost[m] of members with cells, else 0
    pcost[codes["cells"]["member"]] = cells["pcost"].to_numpy(float)
    member_pcost = pcost[codes["member_years"]["member"]]
    n_years = len(years)
    return [
        Rows("persons_definition", labels, *entries["persons"],
             coefficients=np.concatenate([np.ones(n_my), -np.ones(n_cells),
                                          -units["crew"].to_numpy(float)]),
             lower=np.zeros(n_my), upper=np.zeros(n_my),
             doc="persons[m,t] - sum P - sum crew * E = 0"),
        Rows("cost_definition", labels, *entries["cost"],
             coefficients=np.concatenate([np.ones(n_my), -np.ones(n_cells), -member_pcost,
                                          -units["ucost"].to_numpy(float)]),
             lower=np.zeros(n_my), upper=np.zeros(n_my),
             doc="cost[m,t] - sum F - pcost * persons - sum ucost * E = 0"),
        Rows("total_definition", f.variables["total"].labels, *entries["total"],
             coefficients=np.concatenate([np.ones(n_years), -np.ones(n_my)]),
             lower=np.zeros(n_years), upper=np.zeros(n_years),
             doc="total[t] - sum_m cost[m,t] = 0"),
    ]


def explain(name: str, label: pd.Series, f, currency: str) -> Reason | None:
    """Definitions hold by construction: they are never the reason on their own."""
    return None
