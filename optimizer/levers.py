"""The report's tables of the planners' levers, from a solved plan: each rule's value against
its bound with its marginal cost (`rules`), each member's path with its core and related
spending (`path`), and the plan against the previous one (`previous`). docs/report.md
describes the columns; docs/model.md sections 7-9 the rows they come from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.categories import category_rows
from models.rules import ALL, rule_sums

from .extract import AT_LIMIT as BINDING  # a cost within this of a bound (relative) is at it
from .result import PATH_COLUMNS, PREVIOUS_COLUMNS, RULE_COLUMNS, empty_frame


def rules_table(formulation, x, duals=None) -> pd.DataFrame:
    """One row per rule and group: `value` = A[r,gamma] at the plan, `bound` = the rule's
    value or share * B[r,gamma], `slack` (>= 0 when the rule holds), `cost_per_unit` = the
    change of the total cost per unit the row's right-hand side rises (the dual of the rule
    row at the cost stage; NaN where unknown). `duals`: the positions of the rows among the
    groups and their duals (a group with nothing to count has no row)."""
    sums = rule_sums(formulation, np.asarray(x, dtype=float))
    if sums.empty:
        return empty_frame(RULE_COLUMNS)
    share = sums["share"].to_numpy(float)
    value = sums["A"].to_numpy(float)
    bound = np.where(np.isnan(share), sums["value"].to_numpy(float),
                     share * sums["B"].to_numpy(float))
    sense = sums["sense"].to_numpy(object)
    slack = np.where(sense == ">=", value - bound,
                     np.where(sense == "<=", bound - value, -np.abs(value - bound)))
    table = sums[["rule", "member", "capability", "region", "year", "measure", "sense"]].copy()
    for dimension in ("member", "capability", "region", "year"):
        table[dimension] = table[dimension].map(lambda v: "all" if v == ALL else v)
    table["value"], table["bound"], table["slack"] = value, bound, slack
    marginal = np.full(len(table), np.nan)
    if duals is not None:  # (positions among the groups, the duals of their rows)
        where, values = duals
        marginal[where] = np.asarray(values, dtype=float) + 0.0  # no -0
        marginal[np.setdiff1d(np.arange(len(table)), where)] = 0.0  # no row: binds nothing
    table["cost_per_unit"] = marginal
    return table[RULE_COLUMNS]


def path_table(formulation, x) -> pd.DataFrame:
    """Per present member and year: the baseline share, the path shares, the floors and
    caps as shares of GDP, and the plan's total, core and related spending (as money and
    shares of GDP). `on_path`: the plan meets both path shares; `path_binds`: its cost is
    held at the path (above the member's own floor); `cap_below_path`: the member's cap is
    under the path share (no plan can meet both)."""
    f = formulation
    my = f.member_years
    x = np.asarray(x, dtype=float)
    n = len(my)
    every = np.arange(n)

    def spending(related: bool) -> np.ndarray:
        row, column, coefficient = category_rows(f, related, every)
        return np.bincount(row, weights=coefficient * x[column], minlength=n)

    gdp = my["gdp"].to_numpy(float)
    cost = x[f.column("cost", every)] if n else np.zeros(0)
    core, related = spending(False), spending(True)
    settings = f.settings
    on_path = settings.path_year is not None
    path_share = my["path_total"].to_numpy(float) if on_path and \
        settings.path_total_share is not None else np.full(n, np.nan)
    core_path = my["path_core"].to_numpy(float) if on_path and \
        settings.path_core_share is not None else np.full(n, np.nan)
    def near(bound):
        return BINDING * np.maximum(np.abs(np.nan_to_num(bound)), 1.0)

    total_path, core_path_money = path_share * gdp, core_path * gdp
    meets = (np.isnan(path_share) | (cost >= total_path - near(total_path))) & \
        (np.isnan(core_path) | (core >= core_path_money - near(core_path_money)))
    binds = ~np.isnan(path_share) & (cost <= total_path + near(total_path)) & \
        (total_path > my["lower"].to_numpy(float) + near(total_path))
    binds |= ~np.isnan(core_path) & (core <= core_path_money + near(core_path_money)) & \
        (core_path_money > my["core_lower"].to_numpy(float) + near(core_path_money))
    cap = my["cap_share"].to_numpy(float)
    highest = np.fmax(np.nan_to_num(path_share, nan=0.0), np.nan_to_num(core_path, nan=0.0))
    table = pd.DataFrame({
        "member": my["member"].to_numpy(object), "year": my["year"].to_numpy("int64"),
        "gdp": gdp, "baseline_share": my["baseline_share"].to_numpy(float),
        "path_share": path_share, "core_path_share": core_path,
        "floor_share": my["floor_share"].to_numpy(float),
        "core_floor_share": my["core_floor_share"].to_numpy(float),
        "cap_share": cap, "related_cap_share": my["related_cap_share"].to_numpy(float),
        "burden": cost / gdp, "core_share": core / gdp, "related_share": related / gdp,
        "core_cost": core, "related_cost": related, "on_path": meets, "path_binds": binds,
        "cap_below_path": ~np.isnan(cap) & (cap < highest)})
    return table[PATH_COLUMNS]


def previous_table(formulation, members: pd.DataFrame) -> pd.DataFrame:
    """The plan against the previous one, for the member-years both cover: the previous
    cost, the plan's, the change (money and as a fraction of the previous cost) and whether
    it is within `max_change` (None without it)."""
    my = formulation.member_years
    previous = my["previous"].to_numpy(float)
    covered = np.isfinite(previous)
    if not covered.any():
        return empty_frame(PREVIOUS_COLUMNS)
    plan = members.set_index(["member", "year"])["cost"]
    keys = list(zip(my["member"][covered].tolist(), my["year"][covered].tolist()))
    cost = plan.reindex(keys).to_numpy(float)
    prev = previous[covered]
    change = cost - prev
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(prev > 0, change / prev, np.nan)
    delta = formulation.settings.max_change
    within = pd.Series([None] * len(prev), dtype=object) if delta is None else pd.Series(
        np.abs(change) <= delta * prev + BINDING * np.maximum(prev, 1.0), dtype=object)
    return pd.DataFrame({"member": [k[0] for k in keys], "year": [int(k[1]) for k in keys],
                         "previous": prev, "cost": cost, "change": change,
                         "change_share": share, "within_max_change": within})
