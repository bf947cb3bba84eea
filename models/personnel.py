"""Family 3, personnel (docs/model.md constraint 3):

    persons[m,t] <= avail[m]

Stated as the upper bound of the variable `persons[m,t]`, which `accounts.py` defines as
`sum_{c,g} P[m,c,g,t] + sum_{k,g} crew[k] * E[m,k,g,t]`.

| symbol | workbook |
|---|---|
| `avail[m]` | members.personnel_available (default 0: no persons, no crewed equipment) |
"""

from __future__ import annotations

from .layout import Layout


def add_personnel(model, layout: Layout) -> None:
    my = layout.member_years
    start = layout.offsets["persons"]
    layout.upper[start:start + len(my)] = my["avail"].to_numpy(float)
