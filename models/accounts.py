"""The shared sums, each a variable defined by one equality row (docs/model.md, implementation note).

    persons[m,t] = sum_{c,g} P[m,c,g,t] + sum_{k,g} crew[k] * E[m,k,g,t]
    cost[m,t]    = sum_{c,g} F[m,c,g,t] + pcost[m] * persons[m,t] + sum_{k,g} ucost[k] * E[m,k,g,t]
    total[t]     = sum_m cost[m,t]

Every other family uses `cost`, `persons` and `total` instead of writing the sums out, which
keeps the matrix sparse (a fairness row has 2 entries, not |M| * |C| * |G|).

| symbol | workbook |
|---|---|
| `pcost[m]` | members.personnel_cost |
| `crew[k]`, `ucost[k]` | equipment.crew, equipment.unit_cost |
"""

from __future__ import annotations

import numpy as np

from .layout import Layout, add_rows, position, reuse


def add_accounts(model, layout: Layout) -> None:
    my, cells, units = layout.member_years, layout.cells, layout.units
    n_my, n_cells, n_units = len(my), len(cells), len(units)
    cell_row = position(layout, "member_years", ["member", "year"], "cells")
    unit_row = position(layout, "member_years", ["member", "year"], "units")
    years = layout.years
    my_years = my["year"].to_numpy()

    def entries():  # (rows, columns) of the three definitions; the coefficients follow
        own = np.arange(n_my)
        year_row = np.searchsorted(years, my_years)
        return {
            "persons": (np.concatenate([own, cell_row, unit_row]),
                        np.concatenate([layout.column("persons", own),
                                        layout.column("P", np.arange(n_cells)),
                                        layout.column("E", np.arange(n_units))])),
            "cost": (np.concatenate([own, cell_row, own, unit_row]),
                     np.concatenate([layout.column("cost", own),
                                     layout.column("F", np.arange(n_cells)),
                                     layout.column("persons", own),
                                     layout.column("E", np.arange(n_units))])),
            "total": (np.concatenate([np.arange(len(years)), year_row]),
                      np.concatenate([layout.column("total", np.arange(len(years))),
                                      layout.column("cost", own)]))}

    offsets = tuple(layout.offsets[name] for name in ("persons", "P", "E", "cost", "F", "total"))
    rows_and_columns = reuse(layout.cache, "accounts entries",
                             (cell_row, unit_row, n_my, n_cells, n_units, offsets, my_years,
                              list(years)), entries)

    # persons[m,t] - sum P - sum crew * E = 0
    rows, cols = rows_and_columns["persons"]
    add_rows(model, layout, "persons_definition", "accounts", rows=rows, cols=cols,
             coefs=np.concatenate([np.ones(n_my), -np.ones(n_cells),
                                   -units["crew"].to_numpy(float)]),
             lower=np.zeros(n_my), upper=np.zeros(n_my))

    # cost[m,t] - sum F - pcost * persons - sum ucost * E = 0
    pcost = np.zeros(len(layout.members))  # pcost[m] of members with cells, else 0
    pcost[layout.codes["cells"]["member"]] = cells["pcost"].to_numpy(float)
    member_pcost = pcost[layout.codes["member_years"]["member"]]
    rows, cols = rows_and_columns["cost"]
    add_rows(model, layout, "cost_definition", "accounts", rows=rows, cols=cols,
             coefs=np.concatenate([np.ones(n_my), -np.ones(n_cells), -member_pcost,
                                   -units["ucost"].to_numpy(float)]),
             lower=np.zeros(n_my), upper=np.zeros(n_my))

    # total[t] - sum_m cost[m,t] = 0
    rows, cols = rows_and_columns["total"]
    add_rows(model, layout, "total_definition", "accounts", rows=rows, cols=cols,
             coefs=np.concatenate([np.ones(len(years)), -np.ones(n_my)]),
             lower=np.zeros(len(years)), upper=np.zeros(len(years)))
