"""Family 1, deterrence (docs/model.md constraint 1), for every `(c,g,t)` with a target:

    contrib[m,c,g,t] = rel[m] * q[m,c] * (ef[c]*F[m,c,g,t] + ep[c]*P[m,c,g,t]
                                          + sum_{k in K_c} ek[k]*E[m,k,g,t])

    gamma = 0:  sum_m contrib[m,c,g,t] + target[c,g,t]*sigma[c,g,t] >= target[c,g,t]
    gamma > 0:  sum_m contrib - gamma*lam[c,g,t] - sum_m mu[m,c,g,t] + target*sigma >= target
                lam[c,g,t] + mu[m,c,g,t] >= contrib[m,c,g,t]       for every m
                (Bertsimas-Sim dual form: the target holds even if any `gamma` members
                deliver nothing there)

The shortfall `S[c,g,t]` of docs/model.md is stated as a fraction of its target, `sigma = S /
target` in [0, 1] (the same optimum: `S <= target` at every optimum, since `sum_m contrib -
gamma*lam - sum_m mu` can be brought to 0 or above): stage 1 then weighs `sigma` by the
priority alone, with costs near 1 instead of `priority / target` (~1e-6 for money-sized
targets, the order of HiGHS' dual feasibility tolerance). `sigma` exists only when shortfall
is allowed, and enters only the rows of positive targets; `mu[m,.]` only for members allowed
in the region (for the others `contrib = 0` and `mu = 0` is optimal, so the rows are left
out).

| symbol | workbook |
|---|---|
| `target[c,g,t]` | targets.target |
| `ef[c]`, `ep[c]` | capabilities.funding_effect, capabilities.personnel_effect |
| `ek[k]` | equipment.effect (c(k) = equipment.capability) |
| `rel[m]`, `q[m,c]` | members.reliability, quality.multiplier |
| `allowed[m,g]` | access.allowed (unlisted pairs allowed) |
| `gamma` | settings.robustness |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .layout import Layout, add_rows, position, positions_within, reuse


def contribution_terms(layout: Layout, keys: list[str], rows_frame: str):
    """(row, column, coefficient) of `contrib` for each row of `layout.<rows_frame>`, matched
    on `keys` (e.g. capability, region, year: a target; plus member: one member's part of
    it)."""
    cells, units = layout.cells, layout.units
    cell_row = position(layout, rows_frame, keys, "cells")
    unit_row = position(layout, rows_frame, keys, "units")
    has_cell, has_unit = cell_row >= 0, unit_row >= 0

    def entries():  # (row, column) of every possible term; zero coefficients leave below
        cell_ids = np.arange(len(cells))[has_cell]
        unit_ids = np.arange(len(units))[has_unit]
        return (np.concatenate([cell_row[has_cell], cell_row[has_cell], unit_row[has_unit]]),
                np.concatenate([layout.column("F", cell_ids), layout.column("P", cell_ids),
                                layout.column("E", unit_ids)]))

    rows, cols = reuse(layout.cache, f"contribution {rows_frame}",
                       (cell_row, unit_row, layout.offsets["F"], layout.offsets["P"],
                        layout.offsets["E"]), entries)
    coefs = np.concatenate([cells["effect_f"].to_numpy(float)[has_cell],
                            cells["effect_p"].to_numpy(float)[has_cell],
                            units["effect"].to_numpy(float)[has_unit]])
    keep = coefs != 0
    if keep.all():
        return rows, cols, coefs
    return rows[keep], cols[keep], coefs[keep]


def robust_links(layout: Layout) -> pd.DataFrame:
    """(target_row, member, capability, region, year): one row per target and member allowed
    in the target's region, by target, then member name. Their codes go to `layout.codes`."""
    targets, codes = layout.targets, layout.codes
    pair_member, pair_region = codes["pairs"]["member"], codes["pairs"]["region"]
    name_rank = np.argsort(np.argsort(np.asarray(layout.members, dtype=object), kind="stable"))
    order = np.lexsort((name_rank[pair_member], pair_region))  # by region, then member name
    n_regions = len(layout.regions)
    first_of_region = np.searchsorted(pair_region[order], np.arange(n_regions))
    allowed_in_region = np.bincount(pair_region, minlength=n_regions)
    region = codes["targets"]["region"]
    count = np.where(region >= 0, allowed_in_region[np.maximum(region, 0)], 0)
    target_row = np.repeat(np.arange(len(targets)), count)
    member = pair_member[order][np.repeat(first_of_region[np.maximum(region, 0)], count) +
                                positions_within(count)]
    links = targets[["capability", "region", "year"]].take(target_row).reset_index(drop=True)
    links.insert(0, "member", np.asarray(layout.members, dtype=object)[member])
    links.insert(0, "target_row", target_row)
    target_codes = codes["targets"]
    codes["robust_links"] = {"target_row": target_row, "member": member,
                             **{key: target_codes[key][target_row]
                                for key in ("capability", "region", "year")}}
    return links


def add_deterrence(model, layout: Layout, gamma: int, allow_shortfall: bool) -> None:
    targets = layout.targets
    n = len(targets)
    keys = ["capability", "region", "year"]
    rows, cols, coefs = contribution_terms(layout, keys, "targets")
    parts = [(rows, cols, coefs)]
    if allow_shortfall:
        target = targets["target"].to_numpy(float)
        positive = np.nonzero(target > 0)[0]
        parts.append((positive, layout.column("sigma", positive), target[positive]))
    if gamma > 0:
        # mu over (member, target) for members allowed in the target's region
        links = robust_links(layout)
        layout.robust_links = links
        layout.var(model, "lam", n, 0.0, np.inf, unit=layout.measure["deterrence"])
        layout.var(model, "mu", len(links), 0.0, np.inf, unit=layout.measure["deterrence"])
        parts.append((np.arange(n), layout.column("lam", np.arange(n)), np.full(n, -gamma)))
        parts.append((links["target_row"].to_numpy(), layout.column("mu", np.arange(len(links))),
                      -np.ones(len(links))))
        # lam + mu[m] - contrib[m] >= 0
        l_rows, l_cols, l_coefs = contribution_terms(
            layout, ["member", "capability", "region", "year"], "robust_links")
        m_links = len(links)
        add_rows(model, layout, "robust_link", "deterrence",
                 rows=np.concatenate([np.arange(m_links), np.arange(m_links), l_rows]),
                 cols=np.concatenate([layout.column("lam", links["target_row"].to_numpy()),
                                      layout.column("mu", np.arange(m_links)), l_cols]),
                 coefs=np.concatenate([np.ones(m_links), np.ones(m_links), -l_coefs]),
                 lower=np.zeros(m_links), upper=np.full(m_links, np.inf))

    def entries():  # rows renumbered without the targets that have no terms, and columns
        all_rows = np.concatenate([p[0] for p in parts])
        has_terms = np.zeros(n, dtype=bool)
        has_terms[all_rows] = True
        renumber = np.cumsum(has_terms) - 1
        return renumber[all_rows], np.concatenate([p[1] for p in parts]), has_terms

    rows, cols, has_terms = reuse(layout.cache, "deterrence entries",
                                  (n, *(array for p in parts for array in p[:2])), entries)
    # A target nobody can reach, with no shortfall variable, has no terms at all: keep it out
    # of the matrix (a constant row) and record it; the solver reports it as the conflict.
    layout.unreachable = targets[~has_terms & (targets["target"].to_numpy() > 0)]
    layout.deterrence_rows = np.nonzero(has_terms)[0]
    add_rows(model, layout, "deterrence", "deterrence", rows=rows, cols=cols,
             coefs=np.concatenate([p[2] for p in parts]),
             lower=targets["target"].to_numpy(float)[has_terms],
             upper=np.full(int(has_terms.sum()), np.inf))
