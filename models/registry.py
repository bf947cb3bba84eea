"""Every family of the model, listed once, and the global order of the variable blocks.

A family is a module with `FAMILY` (its name) and any of:

- `variables(sets, settings) -> list[Variable]`: the blocks it declares;
- `rows(formulation, settings) -> list[Rows | Bounds | Objective]`: its rows, the bounds it
  puts on variables, its objectives, in the order given;
- `explain(name, label, formulation, currency) -> Reason | None`: one of its rows in the
  inputs' words (`label`: the row's labels);
- `explain_bound(variable, position, formulation, currency) -> Reason | None`: a bound it set
  (None: a bound no planner set, such as `cost >= 0`).

Rows come in the order of `FAMILIES`, each family's in the order it returns them; columns in
`COLUMN_ORDER` whatever declares them. Adding a family: write its module, add it here, and give
it a golden test (tests/test_model_golden.py fails for a family without one). A family
without `variables` and `rows` (`relaxation`) takes part only when `models.formulate` is asked
for it.
"""

from __future__ import annotations

from . import (
    accounts,
    allocation,
    categories,
    commitments,
    deterrence,
    equipment,
    fairness,
    objectives,
    path,
    personnel,
    ramp,
    relaxation,
    rules,
    stability,
)

FAMILIES = (allocation, deterrence, accounts, commitments, personnel, equipment, fairness,
            ramp, objectives, rules, categories, path, stability, relaxation)

#: the variable blocks in column order (a block absent from a case takes no columns)
COLUMN_ORDER = ("F", "P", "E", "sigma", "cost", "persons", "total", "lam", "mu", "Z", "dev",
                "change", "cap_raise", "personnel_raise")

BY_NAME = {family.FAMILY: family for family in FAMILIES}


def family(name: str):
    """The module of family `name`."""
    return BY_NAME[name]
