"""Per-cell quantities, the sums rules and categories are written in (docs/model.md,
"Per-cell quantities"). For a cell `(m, c, g, t)` (a present member allowed in region g):

    funding[m,c,g,t]    = F[m,c,g,t]
    personnel[m,c,g,t]  = P[m,c,g,t] + sum_{k in K_c} crew[k] * E[m,k,g,t]
    units[m,c,g,t]      = sum_{k in K_c} E[m,k,g,t]
    deterrence[m,c,g,t] = contrib[m,c,g,t]
                        = rel[m] q[m,c] (ef[c] F + ep[c] P + sum_{k in K_c} ek[k] E[m,k,g,t])
    cost[m,c,g,t]       = F + pcost[m] * personnel[m,c,g,t] + sum_{k in K_c} ucost[k] E[m,k,g,t]

so that `cost[m,t] = sum_{c,g} cost[m,c,g,t]`. An equipment column `E[m,k,g,t]` belongs to
the cell `(m, c(k), g, t)`.
"""

from __future__ import annotations

import numpy as np

MEASURES = ("cost", "funding", "personnel", "units", "deterrence")


def member_pcost(f) -> np.ndarray:
    """`pcost[m]` by member code (0 for a member without cells)."""
    pcost = np.zeros(len(f.members))
    pcost[f.sets.codes["cells"]["member"]] = f.cells["pcost"].to_numpy(float)
    return pcost


def measure_terms(f, measure: str, cells, units):
    """The terms of `sum measure` over the given cells and equipment columns (positions in
    `f.cells` and `f.units`): `(owner, column, coefficient)`, where `owner` is the position
    of the term's element in `cells` (0..len-1), or `len(cells) + j` for `units[j]`. Terms
    with a zero coefficient are left out."""
    cells = np.asarray(cells, dtype=np.int64)
    units = np.asarray(units, dtype=np.int64)
    n = len(cells)
    frame, held = f.cells, f.units
    owners, columns, coefficients = [], [], []

    def add(owner, column, coefficient):
        owners.append(owner)
        columns.append(column)
        coefficients.append(np.asarray(coefficient, dtype=float))

    if measure in ("funding", "cost", "deterrence"):
        coefficient = frame["effect_f"].to_numpy(float)[cells] if measure == "deterrence" \
            else np.ones(n)
        add(np.arange(n), f.column("F", cells), coefficient)
    if measure in ("personnel", "cost", "deterrence"):
        coefficient = {"personnel": np.ones(n),
                       "cost": frame["pcost"].to_numpy(float)[cells],
                       "deterrence": frame["effect_p"].to_numpy(float)[cells]}[measure]
        add(np.arange(n), f.column("P", cells), coefficient)
    if measure != "funding" and len(units):
        crew = held["crew"].to_numpy(float)[units]
        coefficient = {
            "personnel": crew,
            "units": np.ones(len(units)),
            "deterrence": held["effect"].to_numpy(float)[units],
            "cost": held["ucost"].to_numpy(float)[units]
            + member_pcost(f)[f.sets.codes["units"]["member"][units]] * crew}[measure]
        add(n + np.arange(len(units)), f.column("E", units), coefficient)
    if not owners:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    owner, column, coefficient = (np.concatenate(parts) for parts in
                                  (owners, columns, coefficients))
    keep = coefficient != 0
    return owner[keep], column[keep], coefficient[keep]
