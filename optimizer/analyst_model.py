"""A Pyomo model an analyst changed: whether anything was changed, the plan written back into
its variables, and the table of the analyst's own rows.

`solve(inputs, model=m)` takes the matrix route when `as_built(m)` (nothing to compile) and
the Pyomo route otherwise (`highs_adapter.compile_model` reads whatever the model holds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import CONSTRAINT_COLUMNS, empty_frame


def as_built(model) -> bool:
    """Is `model` as `build_model` made it: the same variables, constraints and objectives,
    every row active, every objective's expression the one built, every variable's bounds,
    domain and fixing as formulated? (A row whose expression is replaced in place is not
    looked at: deactivate it and add your own instead.)"""
    import pyomo.environ as pyo

    from models.pyomo_model import signature

    from .highs_adapter import variable_bounds

    f = model.formulation
    if signature(model) != f.model_signature:
        return False
    active = sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True,
                                                          descend_into=True))
    if active != len(f.model_rows):
        return False
    for name, expression in f.model_objectives.items():
        objective = getattr(model, name)
        if objective.expr is not expression or objective.sense != pyo.minimize:
            return False
    lower, upper, integer = variable_bounds(f.model_columns)
    return (np.array_equal(lower, f.lower) and np.array_equal(upper, f.upper)
            and np.array_equal(integer, f.integer))


def load_plan(variables, integer: np.ndarray, x: np.ndarray) -> None:
    """The plan `x` into the model's `variables` (the same order; integer ones rounded), so
    that the analyst reads `m.cost["Germany", 2027].value`."""
    for variable, value, whole in zip(variables, np.asarray(x, float).tolist(),
                                      integer.tolist()):
        if not variable.fixed:
            variable.set_value(round(value) if whole else value, skip_validation=True)


def constraints_table(model, formulation, compiled, duals) -> pd.DataFrame:
    """One row per constraint the analyst added (`CONSTRAINT_COLUMNS`), valued at the plan
    loaded into the model; `duals`: the compiled rows' duals at the cost stage, or None."""
    import pyomo.environ as pyo

    records, seen = [], {}
    for name, start, count in compiled.blocks:
        if name in formulation.blocks:
            continue
        for row in range(start, start + count):
            constraint = compiled.rows[row]
            key = id(constraint)
            dual = float(duals[row]) if duals is not None else np.nan
            if key in seen:  # a ranged constraint: two rows, one constraint
                records[seen[key]]["dual"] += dual
                continue
            seen[key] = len(records)
            body = float(pyo.value(constraint.body))
            lower = -np.inf if constraint.lb is None else float(constraint.lb)
            upper = np.inf if constraint.ub is None else float(constraint.ub)
            index = constraint.index()
            records.append({
                "constraint": constraint.parent_component().name,
                "index": "" if index is None else str(index),
                "body": body, "lower": lower, "upper": upper,
                "slack": min(body - lower, upper - body), "dual": dual})
    for record in records:
        record["dual"] += 0.0  # -0.0 (a solver's sign on a zero dual) shown as 0
    if not records:
        return empty_frame(CONSTRAINT_COLUMNS)
    return pd.DataFrame(records, columns=CONSTRAINT_COLUMNS)
