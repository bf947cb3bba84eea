"""The allocation: what each member puts where (docs/model.md, "Decision variables").

    F[m,c,g,t] >= 0   funding,     over the allowed cells (m, c, g, t)
    P[m,c,g,t] >= 0   personnel,   over the same cells
    E[m,k,g,t] >= 0   equipment units, over held types (inv[m,k] > 0) in allowed regions;
                      integer where integer[k]

Only where `allowed[m,g]` (access.allowed; unlisted pairs allowed) and, for equipment, where
the member holds the type: the model is sparse. The inventory limit on `E` is the equipment
family's (equipment.py).

| symbol | workbook |
|---|---|
| `allowed[m,g]` | access.allowed |
| `inv[m,k]` | inventory.units |
| `integer[k]` | equipment.integer |
"""

from __future__ import annotations

import numpy as np

from .labelled import Labels, Variable

FAMILY = "allocation"

CELL_KEYS = ["member", "capability", "region", "year"]
UNIT_KEYS = ["member", "equipment", "region", "year"]


def variables(sets, settings) -> list[Variable]:
    cells, units = sets.cells, sets.units
    money, persons = sets.measure["money"], sets.measure["persons"]
    cell_labels = Labels(cells, CELL_KEYS)
    cell_codes = sets.codes["cells"]
    return [
        Variable("F", cell_labels, 0.0, np.inf, unit=money, codes=cell_codes,
                 doc="funding of member m for capability c in region g in year t"),
        Variable("P", cell_labels, 0.0, np.inf, unit=persons, codes=cell_codes,
                 doc="personnel of member m for capability c in region g in year t"),
        Variable("E", Labels(units, UNIT_KEYS), 0.0, np.inf,
                 integer=units["integer"].to_numpy(bool), codes=sets.codes["units"],
                 doc="units of equipment k member m deploys in region g in year t"),
    ]
