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
out). A target with no term at all (no one may reach it, shortfall off) is no row: it is
reported as impossible.

| symbol | workbook |
|---|---|
| `target[c,g,t]` | targets.target |
| `ef[c]`, `ep[c]` | capabilities.funding_effect, capabilities.personnel_effect |
| `ek[k]` | equipment.effect (c(k) = equipment.capability) |
| `rel[m]`, `q[m,c]` | members.reliability, quality.multiplier |
| `allowed[m,g]` | access.allowed (unlisted pairs allowed) |
| `gamma` | settings.robustness |
| `priority[c,g,t]` | targets.priority (the weight of `sigma` in stage 1, objectives.py) |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labelled import Labels, Reason, Rows, Variable, cached, positions_within

FAMILY = "deterrence"

TARGET_KEYS = ["capability", "region", "year"]
LINK_KEYS = ["member", "capability", "region", "year"]


def variables(sets, settings) -> list[Variable]:
    targets = sets.targets
    labels = Labels(targets, TARGET_KEYS)
    declared = []
    if settings.allow_shortfall:  # the shortfall as a fraction of its target
        declared.append(Variable("sigma", labels, 0.0, 1.0, codes=sets.codes["targets"],
                                 doc="shortfall of target (c, g, t), as a fraction of it"))
    if settings.robustness > 0:
        unit = sets.measure["deterrence"]
        links, codes = robust_links(sets)
        declared.append(Variable("lam", labels, 0.0, np.inf, unit=unit,
                                 codes=sets.codes["targets"],
                                 doc="robust counterpart: the price of gamma members failing"))
        declared.append(Variable("mu", links, 0.0, np.inf, unit=unit, codes=codes,
                                 doc="robust counterpart: member m's part beyond lam"))
    return declared


def robust_links(sets) -> tuple[pd.DataFrame, dict]:
    """(member, capability, region, year, target_row): one row per target and member allowed
    in the target's region, by target, then member name; and their codes."""
    targets, codes = sets.targets, sets.codes
    pair_member, pair_region = codes["pairs"]["member"], codes["pairs"]["region"]
    name_rank = np.argsort(np.argsort(np.asarray(sets.members, dtype=object), kind="stable"))
    order = np.lexsort((name_rank[pair_member], pair_region))  # by region, then member name
    n_regions = len(sets.regions)
    first_of_region = np.searchsorted(pair_region[order], np.arange(n_regions))
    allowed_in_region = np.bincount(pair_region, minlength=n_regions)
    region = codes["targets"]["region"]
    count = np.where(region >= 0, allowed_in_region[np.maximum(region, 0)], 0)
    target_row = np.repeat(np.arange(len(targets)), count)
    member = pair_member[order][np.repeat(first_of_region[np.maximum(region, 0)], count) +
                                positions_within(count)]
    links = targets[TARGET_KEYS].take(target_row).reset_index(drop=True)
    links.insert(0, "member", np.asarray(sets.members, dtype=object)[member])
    links["target_row"] = target_row
    target_codes = codes["targets"]
    link_codes = {"target_row": target_row, "member": member,
                  **{key: target_codes[key][target_row] for key in TARGET_KEYS}}
    return links, link_codes


def contribution_terms(f, keys: list[str], row_codes: dict, slot: str):
    """(row, column, coefficient) of `contrib` for each row whose codes are `row_codes`,
    matched on `keys`: capability, region, year (a target), or with member too (one member's
    part of it)."""
    cells, units = f.cells, f.units
    cell_row = f.position(row_codes, keys, f.sets.codes["cells"], slot=f"cells {slot}")
    unit_row = f.position(row_codes, keys, f.sets.codes["units"], slot=f"units {slot}")
    has_cell, has_unit = cell_row >= 0, unit_row >= 0
    rows, cols = cached(f.cache, _contribution_entries, cell_row, unit_row,
                        f.variables["F"].offset, f.variables["P"].offset,
                        f.variables["E"].offset, slot=slot)
    coefs = np.concatenate([cells["effect_f"].to_numpy(float)[has_cell],
                            cells["effect_p"].to_numpy(float)[has_cell],
                            units["effect"].to_numpy(float)[has_unit]])
    keep = coefs != 0
    if keep.all():
        return rows, cols, coefs
    return rows[keep], cols[keep], coefs[keep]


def _contribution_entries(cell_row, unit_row, f_offset, p_offset, e_offset):
    """(row, column) of every possible term; zero coefficients leave later."""
    has_cell, has_unit = cell_row >= 0, unit_row >= 0
    cell_ids = np.flatnonzero(has_cell)
    unit_ids = np.flatnonzero(has_unit)
    return (np.concatenate([cell_row[has_cell], cell_row[has_cell], unit_row[has_unit]]),
            np.concatenate([f_offset + cell_ids, p_offset + cell_ids, e_offset + unit_ids]))


def _without_empty_targets(n: int, row_parts: tuple, column_parts: tuple):
    """Rows renumbered without the targets that have no terms, columns, and which have."""
    all_rows = np.concatenate(row_parts)
    has_terms = np.zeros(n, dtype=bool)
    has_terms[all_rows] = True
    renumber = np.cumsum(has_terms) - 1
    return renumber[all_rows], np.concatenate(column_parts), has_terms


def rows(f, settings) -> list[Rows]:
    targets = f.targets
    n = len(targets)
    gamma = settings.robustness
    parts = [contribution_terms(f, TARGET_KEYS, f.sets.codes["targets"], slot="targets")]
    blocks = []
    if settings.allow_shortfall:
        target = targets["target"].to_numpy(float)
        positive = np.nonzero(target > 0)[0]
        parts.append((positive, f.column("sigma", positive), target[positive]))
    if gamma > 0:
        mu = f.variables["mu"]
        links = mu.labels
        target_row = mu.codes["target_row"]
        parts.append((np.arange(n), f.column("lam", np.arange(n)), np.full(n, -gamma)))
        parts.append((target_row, mu.column(np.arange(mu.size)), -np.ones(mu.size)))
        # lam + mu[m] - contrib[m] >= 0
        l_rows, l_cols, l_coefs = contribution_terms(f, LINK_KEYS, mu.codes, slot="links")
        m_links = mu.size
        blocks.append(Rows(
            "robust_link", links,
            rows=np.concatenate([np.arange(m_links), np.arange(m_links), l_rows]),
            columns=np.concatenate([f.column("lam", target_row),
                                    mu.column(np.arange(m_links)), l_cols]),
            coefficients=np.concatenate([np.ones(m_links), np.ones(m_links), -l_coefs]),
            lower=np.zeros(m_links), upper=np.full(m_links, np.inf),
            doc="lam[c,g,t] + mu[m,c,g,t] >= contrib[m,c,g,t]"))
    rows_, cols, has_terms = cached(f.cache, _without_empty_targets, n,
                                    tuple(p[0] for p in parts), tuple(p[1] for p in parts))
    with_terms = np.flatnonzero(has_terms)
    blocks.append(Rows(
        "deterrence", Labels(targets, TARGET_KEYS, with_terms, {"target_row": with_terms}),
        rows=rows_, columns=cols,
        coefficients=np.concatenate([p[2] for p in parts]),
        lower=targets["target"].to_numpy(float)[has_terms],
        upper=np.full(int(has_terms.sum()), np.inf),
        doc="sum_m contrib[m,c,g,t] (- gamma lam - sum_m mu) + target sigma >= target",
        impossible=targets[~has_terms & (targets["target"].to_numpy() > 0)]))
    return blocks


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    if name == "robust_link":
        return Reason(f"robustness (gamma = {f.gamma}): members that may deliver nothing "
                      "there:", str(label["member"]))
    return Reason(target=f.targets.iloc[int(label["target_row"])])


def impossible(f) -> list[str]:
    """Targets no present member may contribute to (no access, no effect), shortfall off."""
    return [f"Target {t['capability']} in {t['region']} in {t['year']} ({t['target']:,.1f}) "
            "cannot be met: no present member can contribute there (access, effects and "
            "inventory all rule it out) and shortfall is not allowed."
            for _, t in _unreachable(f).iterrows()]


def _unreachable(f) -> pd.DataFrame:
    block = f.blocks.get("deterrence")
    return block.impossible if block is not None and block.impossible is not None else \
        pd.DataFrame()
