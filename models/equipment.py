"""Family 4, equipment inventory (MODEL.md constraint 4):

    sum_g E[m,k,g,t] <= inv[m,k]     for every member, held equipment type and year

`E[m,k,g,t]` exists only where `inv[m,k] > 0` and the member may act in region `g`; it is
integer where `integer[k]`.

| symbol | workbook |
|---|---|
| `inv[m,k]` | inventory.units |
| `integer[k]` | equipment.integer |
"""

from __future__ import annotations

import numpy as np

from .layout import Layout, add_rows


def add_equipment(model, layout: Layout) -> None:
    units = layout.units
    keys = units[["member", "equipment", "year"]]
    groups = keys.groupby(["member", "equipment", "year"], sort=False).ngroup().to_numpy()
    n_rows = int(groups.max()) + 1 if len(groups) else 0
    inventory = np.zeros(n_rows)
    inventory[groups] = units["inv"].to_numpy(float)
    first = keys.drop_duplicates().reset_index(drop=True)
    layout.equipment_rows = first
    add_rows(model, layout, "equipment_inventory", "equipment",
             rows=groups, cols=layout.column("E", np.arange(len(units))),
             coefs=np.ones(len(units)), lower=np.full(n_rows, -np.inf), upper=inventory)
