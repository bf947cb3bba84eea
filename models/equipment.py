"""Family 4, equipment inventory (docs/model.md constraint 4):

    sum_g E[m,k,g,t] <= inv[m,k]     for every member, held equipment type and year
    E[m,k,g,t] <= inv[m,k]           (the bound of each column)

`E[m,k,g,t]` exists only where `inv[m,k] > 0` and the member may act in region `g`; it is
integer where `integer[k]` (allocation.py).

| symbol | workbook |
|---|---|
| `inv[m,k]` | inventory.units |
| `integer[k]` | equipment.integer |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labelled import Bounds, Labels, Reason, Rows, cached, grouped_by

FAMILY = "equipment"

KEYS = ["member", "equipment", "year"]


def rows(f, settings) -> list:
    units = f.units
    codes = f.sets.codes["units"]
    sizes = f.sets.sizes
    groups, first = cached(f.cache, grouped_by, tuple(codes[k] for k in KEYS),
                           tuple(sizes[k] for k in KEYS))
    n_rows = len(first)
    inventory = np.zeros(n_rows)
    inventory[groups] = units["inv"].to_numpy(float)
    return [
        Bounds("E", upper=units["inv"].to_numpy(), doc="E[m,k,g,t] <= inv[m,k]"),
        Rows("equipment_inventory", Labels(units, KEYS, first),
             rows=groups, columns=f.column("E", np.arange(len(units))),
             coefficients=np.ones(len(units)), lower=np.full(n_rows, -np.inf),
             upper=inventory, doc="sum_g E[m,k,g,t] <= inv[m,k]"),
    ]


def _held(f, member, equipment) -> float:
    units = f.units
    return units.loc[(units["member"] == member) & (units["equipment"] == equipment),
                     "inv"].iloc[0]


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    held = _held(f, label["member"], label["equipment"])
    return Reason(f"the inventory of {label['equipment']} held by",
                  f"{label['member']} ({held:g} units)")


def explain_bound(variable: str, position: int, f, currency: str) -> Reason:
    u = f.units.iloc[position]
    return Reason(f"the inventory of {u['equipment']} held by",
                  f"{u['member']} ({u['inv']:g} units)", u["member"])
