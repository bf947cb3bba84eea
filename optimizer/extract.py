"""Pure extraction: a solution vector and the model's layout -> the Result's DataFrames.

Everything is vectorised over the layout's frames; no Pyomo object is touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import ALLOCATION_COLUMNS, DETERRENCE_COLUMNS, MEMBER_COLUMNS, empty_frame

NONZERO = 1e-9
AT_BOUND = 1e-6  # a target within this of itself is met (the stage tolerance, docs/model.md)
#: at_floor / at_cap: a cost within this, relative to the bound, is at it. The tie-break keeps
#: the cost stage within 1e-6 relative (+1e-9) and may spend that slack on a member held at its
#: floor (40,000.04 for a floor of 40,000 alone in its stage); twice the stage tolerance keeps
#: the solver's rounding from tipping the flag.
AT_LIMIT = 2e-6


def component(layout, x: np.ndarray, name: str, size: int) -> np.ndarray:
    if name not in layout.offsets:
        return np.zeros(size)
    start = layout.offsets[name]
    return x[start:start + size]


def members_table(inputs, layout, x: np.ndarray) -> pd.DataFrame:
    """Per member and year, in the rows of `inputs.member_years`: cost, burden, fair and
    actual share, deviation, floor and cap, whether the cost is at them, personnel used and
    available. Member-years without a `cost` column in the layout (absent members have
    none) cost nothing and use no personnel, as do NaN or negative entries of `x`; absent
    members have floor 0, no cap (NaN), no personnel available and are never at a bound.

    Plain numpy over positions: each member-year finds its `cost` and `persons` columns,
    fair share, absence and personnel by integer look-up, and the year totals come from
    pandas' groupby sum (`_year_totals`).
    """
    every = inputs.member_years
    index = every.index
    member_code, year_code = (np.asarray(codes, dtype=np.intp) for codes in index.codes)
    n = len(layout.member_years)
    row = _layout_rows(layout.member_years, index)
    in_layout = row >= 0
    cost, persons = np.zeros(len(row)), np.zeros(len(row))
    cost[in_layout] = np.maximum(component(layout, x, "cost", n), 0.0)[row[in_layout]]
    persons[in_layout] = np.maximum(component(layout, x, "persons", n), 0.0)[row[in_layout]]
    cost[np.isnan(cost)] = 0.0
    persons[np.isnan(persons)] = 0.0
    total = _year_totals(cost, year_code)

    shares = layout.shares
    share_row = _label_positions(shares.index, index.levels[0], member_code)
    share_column = _label_positions(shares.columns, index.levels[1], year_code)
    has_share = (share_row >= 0) & (share_column >= 0)
    fair_share = np.zeros(len(row))
    fair_share[has_share] = shares.to_numpy(float)[share_row[has_share],
                                                   share_column[has_share]]
    fair_share[np.isnan(fair_share)] = 0.0

    members = inputs.members
    member_row = _label_positions(members.index, index.levels[0], member_code)
    known = member_row >= 0
    absent = np.ones(len(row), dtype=bool)  # a name not among the members counts as absent
    absent[known] = members["absent"].to_numpy(bool)[member_row[known]]
    available = np.zeros(len(row))
    available[known] = members["personnel_available"].to_numpy(float)[member_row[known]]
    available[absent | np.isnan(available)] = 0.0

    gdp = every["gdp"].to_numpy(float)
    floor = np.where(absent, 0.0, np.maximum(every["floor_share"].to_numpy(float) * gdp,
                                             every["pledge"].to_numpy(float)))
    cap = np.where(absent, np.nan, every["cap_share"].to_numpy(float) * gdp)
    paying = total > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        burden = cost / gdp
        actual_share = np.where(paying, cost / np.where(paying, total, 1.0), 0.0)
        deviation = cost - fair_share * total
        at_floor = ~absent & (cost <= floor + AT_LIMIT * np.maximum(np.abs(floor), 1.0))
        at_cap = ~absent & ~np.isnan(cap) & (
            cost >= cap - AT_LIMIT * np.maximum(np.abs(cap), 1.0))
    columns = {
        "member": index.get_level_values(0), "year": index.get_level_values(1), "gdp": gdp,
        "cost": cost, "burden": burden, "fair_share": fair_share,
        "actual_share": actual_share, "deviation": deviation, "floor": floor, "cap": cap,
        "at_floor": at_floor, "at_cap": at_cap, "personnel_used": persons,
        "personnel_available": available}
    return pd.DataFrame({name: columns[name] for name in MEMBER_COLUMNS})


def _layout_rows(member_years: pd.DataFrame, index: pd.MultiIndex) -> np.ndarray:
    """The row of the layout's `member_years` (one per present member and year) holding
    each (member, year) of `index`; -1 where it has none."""
    names, years = index.levels
    member = names.get_indexer(member_years["member"])
    year = years.get_indexer(member_years["year"])
    known = (member >= 0) & (year >= 0)
    slot = np.full(len(names) * len(years) + 1, -1, dtype=np.intp)  # the last: no row
    slot[(member * len(years) + year)[known]] = np.flatnonzero(known)
    member_code, year_code = (np.asarray(codes, dtype=np.intp) for codes in index.codes)
    return slot[np.where((member_code >= 0) & (year_code >= 0),
                         member_code * len(years) + year_code, -1)]


def _label_positions(labels: pd.Index, level: pd.Index, codes: np.ndarray) -> np.ndarray:
    """The position in `labels` of each row's label (`level[codes]`, code -1: none); -1
    where `labels` lacks it."""
    return np.append(labels.get_indexer(level), -1)[codes]


def _year_totals(cost: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Each row's total cost of its year (`year`: codes, -1: none, total NaN), by pandas'
    groupby sum (its compensated addition is what the table has always shown)."""
    return pd.Series(cost).groupby(np.where(year >= 0, year, np.nan)).transform(
        "sum").to_numpy(float)


def allocation_table(layout, x: np.ndarray) -> pd.DataFrame:
    """Nonzero funding, personnel and equipment, with their cost and deterrence. Equipment
    cost includes its crew's personnel cost, so the costs add up to `total_cost`."""
    cells, units = layout.cells, layout.units
    keys = ["member", "year", "region", "capability"]
    funding = component(layout, x, "F", len(cells))
    persons = component(layout, x, "P", len(cells))
    kit = component(layout, x, "E", len(units))
    pcost = cells.groupby("member", sort=False)["pcost"].first()
    parts = []
    for resource, quantity, unit_cost, effect, frame, item in (
            ("funding", funding, np.ones(len(cells)), cells["effect_f"].to_numpy(), cells,
             None),
            ("personnel", persons, cells["pcost"].to_numpy(), cells["effect_p"].to_numpy(),
             cells, None),
            ("equipment", kit, units["ucost"].to_numpy() + units["crew"].to_numpy() *
             pcost.reindex(units["member"]).fillna(0.0).to_numpy(),
             units["effect"].to_numpy(), units, "equipment")):
        keep = quantity > NONZERO
        if not keep.any():
            continue
        part = frame.loc[keep, keys].copy()
        part["resource"] = resource
        part["item"] = frame.loc[keep, item].to_numpy() if item else ""
        part["quantity"] = quantity[keep]
        part["cost"] = quantity[keep] * unit_cost[keep]
        part["deterrence"] = quantity[keep] * effect[keep]
        parts.append(part)
    if not parts:
        return empty_frame(ALLOCATION_COLUMNS)
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["member", "year", "region", "capability", "resource", "item"],
                              kind="stable")
    return table[ALLOCATION_COLUMNS].reset_index(drop=True)


def deterrence_table(layout, allocation: pd.DataFrame, gamma: int,
                     marginal: np.ndarray | None) -> pd.DataFrame:
    """Per target: achieved (nominal), protected (after the gamma largest contributions are
    removed), shortfall, marginal cost."""
    targets = layout.targets
    keys = ["capability", "region", "year"]
    frame = targets[keys + ["target", "priority"]].copy()
    by_member = allocation.groupby(keys + ["member"], sort=False)["deterrence"].sum() \
        if len(allocation) else pd.Series(dtype=float)
    achieved = by_member.groupby(level=keys).sum() if len(by_member) else pd.Series(dtype=float)
    index = pd.MultiIndex.from_frame(frame[keys])
    frame["achieved"] = achieved.reindex(index).fillna(0.0).to_numpy() if len(achieved) else 0.0
    if gamma > 0 and len(by_member):
        top = by_member.sort_values(ascending=False).groupby(level=keys).head(gamma) \
            .groupby(level=keys).sum()
        frame["protected"] = frame["achieved"] - top.reindex(index).fillna(0.0).to_numpy()
    elif gamma > 0:
        frame["protected"] = 0.0
    else:
        frame["protected"] = np.nan
    delivered = frame["protected"] if gamma > 0 else frame["achieved"]
    short = frame["target"] - delivered
    # within the stage tolerance (1e-6 relative, docs/model.md) a target counts as met
    frame["shortfall"] = np.where(short > AT_BOUND * np.maximum(frame["target"], 1.0), short,
                                  0.0)
    frame["marginal_cost"] = marginal if marginal is not None else np.nan
    frame["held_back_by"] = ""  # optimizer/held_back.py, for a full solve
    return frame[DETERRENCE_COLUMNS].reset_index(drop=True)
