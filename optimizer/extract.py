"""Pure extraction: a solution vector and the model's layout -> the Result's DataFrames.

Everything is vectorised over the layout's frames; no Pyomo object is touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import ALLOCATION_COLUMNS, DETERRENCE_COLUMNS, MEMBER_COLUMNS, empty_frame

NONZERO = 1e-9
AT_BOUND = 1e-6  # at_floor / at_cap, relative (WORKBOOK.md)


def component(layout, x: np.ndarray, name: str, size: int) -> np.ndarray:
    if name not in layout.offsets:
        return np.zeros(size)
    start = layout.offsets[name]
    return x[start:start + size]


def members_table(inputs, layout, x: np.ndarray) -> pd.DataFrame:
    """Per member (absent ones with zeros) and year: cost, burden, shares, bounds, personnel."""
    my = layout.member_years
    n = len(my)
    cost = np.maximum(component(layout, x, "cost", n), 0.0)
    persons = np.maximum(component(layout, x, "persons", n), 0.0)
    present = my[["member", "year"]].assign(cost=cost, personnel_used=persons)
    every = inputs.member_years.reset_index()
    frame = every.merge(present, on=["member", "year"], how="left")
    frame["cost"] = frame["cost"].fillna(0.0)
    frame["personnel_used"] = frame["personnel_used"].fillna(0.0)
    total = frame.groupby("year")["cost"].transform("sum")
    shares = layout.shares.stack()
    shares.index.names = ["member", "year"]
    frame["fair_share"] = shares.reindex(pd.MultiIndex.from_frame(frame[["member", "year"]])) \
        .fillna(0.0).to_numpy()
    frame["burden"] = frame["cost"] / frame["gdp"]
    frame["actual_share"] = np.where(total > 0, frame["cost"] / total.where(total > 0, 1), 0.0)
    frame["deviation"] = frame["cost"] - frame["fair_share"] * total
    absent = inputs.members["absent"].reindex(frame["member"]).to_numpy(bool)
    floor = np.maximum(frame["floor_share"] * frame["gdp"], frame["pledge"])
    cap = frame["cap_share"] * frame["gdp"]
    frame["floor"] = np.where(absent, 0.0, floor)
    frame["cap"] = np.where(absent, np.nan, cap)
    frame["at_floor"] = ~absent & (frame["cost"] <= frame["floor"] + AT_BOUND *
                                   np.maximum(frame["floor"].abs(), 1.0))
    frame["at_cap"] = ~absent & frame["cap"].notna() & (
        frame["cost"] >= frame["cap"] - AT_BOUND * np.maximum(frame["cap"].abs(), 1.0))
    avail = inputs.members["personnel_available"].fillna(0.0)
    frame["personnel_available"] = np.where(absent, 0.0, avail.reindex(frame["member"]))
    return frame[MEMBER_COLUMNS].reset_index(drop=True)


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
    # within the stage tolerance (1e-6 relative, MODEL.md) a target counts as met
    frame["shortfall"] = np.where(short > AT_BOUND * np.maximum(frame["target"], 1.0), short,
                                  0.0)
    frame["marginal_cost"] = marginal if marginal is not None else np.nan
    return frame[DETERRENCE_COLUMNS].reset_index(drop=True)
