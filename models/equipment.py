"""Family 4, equipment inventory (docs/model.md constraint 4):

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

from .layout import Layout, add_rows, first_seen_groups, key_numbers, reuse


def add_equipment(model, layout: Layout) -> None:
    units = layout.units
    keys = ["member", "equipment", "year"]
    codes = layout.codes["units"]
    groups, first = reuse(layout.cache, "equipment rows",
                          tuple(codes[k] for k in keys) + tuple(layout.sizes[k] for k in keys),
                          lambda: first_seen_groups(key_numbers(layout, "units", keys)))
    n_rows = len(first)
    inventory = np.zeros(n_rows)
    inventory[groups] = units["inv"].to_numpy(float)
    layout.equipment_rows = units[keys].take(first).reset_index(drop=True)
    add_rows(model, layout, "equipment_inventory", "equipment",
             rows=groups, cols=layout.column("E", np.arange(len(units))),
             coefs=np.ones(len(units)), lower=np.full(n_rows, -np.inf), upper=inventory)
