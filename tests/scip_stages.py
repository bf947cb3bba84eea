"""The lexicographic stages of a compiled model solved by SCIP (pyscipopt, with SoPlex as its
LP solver): a second solver, independent of HiGHS, for the suite's cross-checks.

It solves the model's own matrices (unscaled, as the families emitted them), minimising each
stage objective in turn and keeping it within `(1 + 1e-6)` (+1e-9) as docs/model.md says, and
returns the stage values. Nothing of burden's HiGHS path (scaling, certificates, routes) is
used.
"""

from __future__ import annotations

import numpy as np

STAGE_RELATIVE, STAGE_ABSOLUTE = 1e-6, 1e-9


def scip_stage_values(compiled, stages: list[str], mip_gap: float = 1e-7) -> dict:
    """{stage name: optimal value} by SCIP; stops at the first stage that is not optimal
    (its value is then the status text)."""
    import pyscipopt

    model = pyscipopt.Model()
    model.hideOutput()
    model.setParam("numerics/feastol", 1e-9)
    model.setParam("numerics/dualfeastol", 1e-9)
    model.setParam("limits/gap", mip_gap)
    model.setParam("randomization/randomseedshift", 0)
    n_rows, n_cols = compiled.matrix.shape
    columns = [
        model.addVar(name=f"x{j}", lb=_finite(compiled.col_lower[j]),
                     ub=_finite(compiled.col_upper[j]),
                     vtype="I" if compiled.integer[j] else "C")
        for j in range(n_cols)]
    rows = compiled.matrix.tocsr()
    for i in range(n_rows):
        start, end = rows.indptr[i], rows.indptr[i + 1]
        if start == end:
            continue
        body = pyscipopt.quicksum(value * columns[j] for j, value in
                                  zip(rows.indices[start:end].tolist(),
                                      rows.data[start:end].tolist()))
        lower, upper = compiled.row_lower[i], compiled.row_upper[i]
        if np.isfinite(lower) and np.isfinite(upper) and lower == upper:
            model.addCons(body == lower)
            continue
        if np.isfinite(lower):
            model.addCons(body >= lower)
        if np.isfinite(upper):
            model.addCons(body <= upper)
    values = {}
    for number, name in enumerate(stages):
        costs = compiled.objectives[name]
        support = np.nonzero(costs)[0].tolist()
        objective = pyscipopt.quicksum(float(costs[j]) * columns[j] for j in support)
        model.setObjective(objective, "minimize")
        model.optimize()
        if model.getStatus() not in ("optimal", "gaplimit"):  # gaplimit: within mip_gap
            values[name] = model.getStatus()
            break
        value = float(model.getObjVal())
        values[name] = value
        if number + 1 < len(stages):
            bound = value * (1 + STAGE_RELATIVE) + STAGE_ABSOLUTE if value >= 0 else \
                value * (1 - STAGE_RELATIVE) + STAGE_ABSOLUTE
            model.freeTransform()
            model.addCons(objective <= bound)
    return values


def _finite(bound: float):
    return None if not np.isfinite(bound) else float(bound)
