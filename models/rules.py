"""Family 7, the planners' rules (docs/model.md section 7; sheet `rules`).

A rule `r` has a measure `mu` (cost, funding, personnel, units or deterrence, per cell:
models/quantities.py), filters on member, capability, region and year, the dimensions
`D_r` it is stated `per`, a sense and a `value` or a `share`. `X_r` = the cells that pass
every filter; for each combination `gamma` of `D_r` values occurring in `X_r`:

    A[r,gamma] = sum_{cells in X_r with D_r = gamma} mu
    value:  A[r,gamma]  sense  value
    share:  A[r,gamma]  sense  share * B[r,gamma],  i.e.  A - share * B  sense  0

where `B[r,gamma]` sums `mu` over the cells that pass the year filter only and have
`D_r = gamma`. One row per (rule, group), in the rules sheet's order, groups in the order
the cells first show them; rules hold in every stage.

| symbol | workbook |
|---|---|
| `r`, `mu`, sense | rules.rule, rules.measure, rules.sense |
| filters | rules.member, rules.capability, rules.region, rules.year (blank: all) |
| `D_r` | rules.per (blank: one row over everything selected) |
| value, share | rules.value, rules.share |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .labelled import Labels, Reason, Rows, Sums, codes_of, first_seen_groups, key_numbers
from .quantities import measure_terms

FAMILY = "rules"

DIMENSIONS = ("member", "capability", "region", "year")
KEYS = ["rule", *DIMENSIONS]
ALL = "*"  # the label of a dimension a rule is not stated per

UNIT_OF = {"cost": "money", "funding": "money", "personnel": "persons", "units": "units",
           "deterrence": "deterrence"}


def _universe(sets, dimension):
    return {"member": sets.members, "capability": sets.capabilities, "region": sets.regions,
            "year": sets.years}[dimension]


def _passes(sets, frame_codes, rule, dimensions) -> np.ndarray:
    """Which elements (cells or equipment columns, by their codes) pass the rule's filters
    on `dimensions`."""
    size = len(frame_codes["member"])
    passes = np.ones(size, dtype=bool)
    for dimension in dimensions:
        chosen = rule[dimension]
        if chosen is None:
            continue
        wanted = codes_of(list(chosen), _universe(sets, dimension))
        passes &= np.isin(frame_codes[dimension], wanted[wanted >= 0])
    return passes


def _grouped_terms(f, rule, per, keys, cells, units, multiplier=None):
    """(row, column, coefficient) of `sum mu` over `cells` and `units`, each element in the
    row of its group (`keys`: the groups' key numbers in row order); `multiplier`: a factor
    per element (cells, then units)."""
    codes, sizes = f.sets.codes, f.sets.sizes
    element_key = np.concatenate([
        key_numbers(tuple(codes["cells"][d][cells] for d in per), tuple(sizes[d] for d in per)),
        key_numbers(tuple(codes["units"][d][units] for d in per), tuple(sizes[d] for d in per))
    ]) if per else np.zeros(len(cells) + len(units), dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    spot = np.minimum(np.searchsorted(keys[order], element_key), len(keys) - 1)
    element_group = np.where(keys[order][spot] == element_key, order[spot], -1)
    owner, column, coefficient = measure_terms(f, rule["measure"], cells, units)
    if multiplier is not None:
        coefficient = coefficient * multiplier[owner]
    row = element_group[owner]
    keep = (row >= 0) & (coefficient != 0)
    return row[keep], column[keep], coefficient[keep]


def rule_groups(f, rule):
    """One rule's rows: the groups (`keys`, and the first selected cell of each), and the
    terms of `A[r,gamma]` and, for a share rule, of `B[r,gamma]`; None where the rule
    selects no cell."""
    sets = f.sets
    codes, sizes = sets.codes, sets.sizes
    per = list(rule["per"])
    chosen_cells = np.nonzero(_passes(sets, codes["cells"], rule, DIMENSIONS))[0]
    chosen_units = np.nonzero(_passes(sets, codes["units"], rule, DIMENSIONS))[0]
    if not len(chosen_cells):
        return None
    group_key = key_numbers(tuple(codes["cells"][d][chosen_cells] for d in per),
                            tuple(sizes[d] for d in per)) if per else \
        np.zeros(len(chosen_cells), dtype=np.int64)
    _, first = first_seen_groups(group_key)
    keys = group_key[first]
    whole = None
    if not np.isnan(rule["share"]):
        whole = (np.nonzero(_passes(sets, codes["cells"], rule, ("year",)))[0],
                 np.nonzero(_passes(sets, codes["units"], rule, ("year",)))[0])
    return {"per": per, "keys": keys, "first_cell": chosen_cells[first],
            "chosen": (chosen_cells, chosen_units), "whole": whole}


def rows(f, settings) -> list:
    """The rule rows, and the sums `A[r,gamma]` (`rule_value`) and `B[r,gamma]`
    (`rule_whole`, share rules) of every group, rows or not, for the report."""
    rules = f.sets.rules
    if rules is None or rules.empty:
        return []
    labels, terms, lower, upper, empty = [], [], [], [], []
    groups_labels, value_terms, whole_terms = [], [], []
    at = kept = 0  # groups so far (the sums' order), and rows (the groups with terms)
    for rule in rules.to_dict("records"):
        groups = rule_groups(f, rule)
        if groups is None:
            continue
        per, keys = groups["per"], groups["keys"]
        value = _grouped_terms(f, rule, per, keys, *groups["chosen"])
        value_terms.append((value[0] + at, *value[1:]))
        if groups["whole"] is None:  # A[r,gamma] sense value
            row, column, coefficient = value
            bound = rule["value"]
        else:  # A - share * B: each element of B with (1 if in A else 0) - share
            cells, units = groups["whole"]
            chosen_cells, chosen_units = groups["chosen"]
            whole = _grouped_terms(f, rule, per, keys, cells, units)
            whole_terms.append((whole[0] + at, *whole[1:]))
            multiplier = np.concatenate([np.isin(cells, chosen_cells),
                                         np.isin(units, chosen_units)]) - rule["share"]
            row, column, coefficient = _grouped_terms(f, rule, per, keys, cells, units,
                                                      multiplier)
            bound = 0.0
        n = len(keys)
        # a group with no term (nothing it counts is in the model) is no row: vacuous if 0
        # meets its bound, else impossible (`impossible`)
        has_terms = np.bincount(row, minlength=n) > 0
        number = np.full(n, -1)
        number[has_terms] = kept + np.arange(int(has_terms.sum()))
        terms.append((number[row], column, coefficient))
        low = bound if rule["sense"] in (">=", "=") else -np.inf
        high = bound if rule["sense"] in ("<=", "=") else np.inf
        lower.append(np.full(int(has_terms.sum()), low))
        upper.append(np.full(int(has_terms.sum()), high))
        frame = _labels(f, rule, groups)
        frame["sum_row"] = at + np.arange(n)
        groups_labels.append(frame)
        labels.append(frame[has_terms])
        if not low <= 0 <= high:
            empty.append(frame[~has_terms])
        at += n
        kept += int(has_terms.sum())
    if not at:
        return []
    every_group = pd.concat(groups_labels, ignore_index=True)
    sums = [Sums(name, every_group, *(np.concatenate(parts) for parts in zip(*found)),
                 doc=doc)
            for name, found, doc in (("rule_value", value_terms, "A[r,gamma]"),
                                     ("rule_whole", whole_terms, "B[r,gamma]")) if found]
    if not kept and not empty:
        return sums
    table = pd.concat(labels, ignore_index=True)
    row, column, coefficient = (np.concatenate(parts) for parts in zip(*terms))
    impossible = pd.concat(empty, ignore_index=True) if empty else None
    return [Rows("rules", Labels(table, KEYS, references={
        key: table[key].to_numpy(object) for key in ("measure", "sense", "per")} | {
        key: table[key].to_numpy(float) for key in ("value", "share")} | {
        "sum_row": table["sum_row"].to_numpy(np.int64)}),
        rows=row, columns=column, coefficients=coefficient,
        lower=np.concatenate(lower), upper=np.concatenate(upper),
        doc="A[r,gamma] sense value, or A[r,gamma] - share * B[r,gamma] sense 0",
        impossible=impossible), *sums]


def _labels(f, rule, groups) -> pd.DataFrame:
    n = len(groups["keys"])
    frame = {"rule": [rule["rule"]] * n}
    for dimension in DIMENSIONS:
        frame[dimension] = pd.Series(
            f.cells[dimension].to_numpy(object)[groups["first_cell"]]
            if dimension in groups["per"] else [ALL] * n, dtype=object)
    frame.update(measure=rule["measure"], sense=rule["sense"], value=rule["value"],
                 share=rule["share"], per=", ".join(groups["per"]))
    return pd.DataFrame(frame)


def rule_sums(f, x) -> pd.DataFrame:
    """Each rule group at the plan `x`: its labels, `A[r,gamma]` and `B[r,gamma]` (NaN for
    a value rule), in the groups' order (`sum_row`)."""
    if "rule_value" not in f.sums:
        return pd.DataFrame(columns=[*KEYS, "measure", "sense", "value", "share", "per", "A",
                                     "B"])
    value = f.sums["rule_value"]
    frame = value.labels.drop(columns="sum_row").assign(A=value.at(x))
    whole = f.sums.get("rule_whole")
    frame["B"] = np.where(frame["share"].isna(), np.nan,
                          whole.at(x) if whole is not None else np.nan)
    return frame


def group_text(label) -> str:
    """A rule row's group in words: "year 2027", "member Germany, year 2027", or "all"."""
    parts = [f"{d} {label[d]}" for d in DIMENSIONS if label[d] != ALL]
    return ", ".join(parts) if parts else "all"


def statement(label) -> str:
    """What a rule row says: "funding >= 30% of the same over its group", "cost <= 250,000"."""
    if not np.isnan(label["share"]):
        return f"{label['measure']} {label['sense']} {label['share']:.0%} of the whole"
    return f"{label['measure']} {label['sense']} {label['value']:,.6g}"


def impossible(f) -> list[str]:
    """Rule rows with nothing to count that cannot hold at 0 (`units >= 5` where no one
    holds equipment, say)."""
    block = f.blocks.get("rules")
    if block is None or block.impossible is None:
        return []
    return [f"The rule '{label['rule']}' ({statement(label)}; {group_text(label)}) cannot "
            f"hold: nothing it counts ({label['measure']}) can be spent or deployed in its "
            "selection." for _, label in block.impossible.iterrows()]


def explain(name: str, label: pd.Series, f, currency: str) -> Reason:
    return Reason("the rule", f"'{label['rule']}' ({statement(label)}; {group_text(label)})")
