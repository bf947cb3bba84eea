"""Sets, parameters and sparse variables of MODEL.md, and the bulk row builder every family uses.

Index sets are pandas frames computed from `Inputs` (only present members, only allowed
member-region pairs, only held equipment). Each Pyomo variable component is indexed by
`range(n)`; row `i` of its frame says what variable `i` is. All variables also live in one
global column order (`Layout.columns`), so a family states its rows as three arrays
(row, column, coefficient) and `add_rows` turns them into `LinearExpression` bodies at once.

| symbol | here | workbook |
|---|---|---|
| `M`, `C`, `G`, `T`, `K` | `members`, `capabilities`, `regions`, `years`, `equipment` | members, capabilities, targets (regions, years), equipment |
| `F[m,c,g,t]`, `P[m,c,g,t]` | `model.F`, `model.P` over `cells` | - |
| `E[m,k,g,t]` | `model.E` over `units` | inventory (`inv[m,k] > 0`) |
| `S[c,g,t]` | `model.S` over `targets` | targets (when `allow_shortfall`) |
| `cost[m,t]`, `persons[m,t]` | `model.cost`, `model.persons` over `member_years` | - |
| `total[t]` | `model.total` over `years` | - |
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optimizer.shares import fair_shares


@dataclass
class Layout:
    """Everything the families, the solver adapter and the extraction need to know about the
    columns and rows of one built model."""

    members: list[str]
    capabilities: list[str]
    regions: list[str]
    years: list[int]
    member_years: pd.DataFrame  # member, year, gdp, lower, upper, avail, share (one per cost)
    cells: pd.DataFrame  # member, capability, region, year, effect_f, effect_p, pcost
    units: pd.DataFrame  # member, equipment, capability, region, year, effect, ucost, crew, inv
    targets: pd.DataFrame  # capability, region, year, target, priority, shortfall_weight
    shares: pd.DataFrame  # fair shares, index member, columns years
    columns: list = field(default_factory=list)  # every VarData in global order
    offsets: dict = field(default_factory=dict)  # component name -> first global column
    lower: list = field(default_factory=list)  # column lower bounds, global order
    upper: list = field(default_factory=list)
    integer: list = field(default_factory=list)
    families: dict = field(default_factory=dict)  # constraint name -> family label
    # Every row block and objective as plain arrays, in the order added (both modes):
    # name -> (rows, cols, coefs, lower, upper);  objective name -> (cols, coefs)
    row_specs: dict = field(default_factory=dict)
    objective_specs: dict = field(default_factory=dict)
    # Filled in by the families, for extraction and infeasibility explanations:
    gamma: int = 0
    stages: list = field(default_factory=list)  # objectives in the order they are minimised
    deterrence_rows: np.ndarray | None = None  # target number of each deterrence row
    unreachable: pd.DataFrame | None = None  # targets no one can reach (no row, no shortfall)
    robust_links: pd.DataFrame | None = None  # (target_row, member, ...) of each mu column
    equipment_rows: pd.DataFrame | None = None  # (member, equipment, year) of each row
    ramp_rows: pd.DataFrame | None = None  # (member, year) of each ramp row
    baseline_rows: pd.DataFrame | None = None  # (member, year) of each baseline row

    def column(self, name: str, positions) -> np.ndarray:
        """Global column numbers of positions within one variable component."""
        return self.offsets[name] + np.asarray(positions, dtype=np.int64)

    @property
    def n_columns(self) -> int:
        return len(self.lower)

    def var(self, model, name, size, lower, upper, integer=None):
        """Declare `model.<name>` over `range(size)` and register its columns and bounds.
        With `model=None` (matrix mode) only the columns are registered."""
        component = None
        self.offsets[name] = self.n_columns
        if model is not None:
            component = pyo.Var(range(size), domain=pyo.Reals)
            setattr(model, name, component)
            self.columns.extend(component.values())
        self.lower.extend(np.broadcast_to(np.asarray(lower, dtype=float), (size,)).tolist())
        self.upper.extend(np.broadcast_to(np.asarray(upper, dtype=float), (size,)).tolist())
        flags = np.zeros(size, dtype=bool) if integer is None else np.asarray(integer, bool)
        self.integer.extend(flags.tolist())
        return component


def build_layout(inputs) -> Layout:
    """The sparse index sets and per-element parameters, from `Inputs`, with pandas."""
    members = inputs.present_members
    capabilities = inputs.capabilities.index.tolist()
    regions = inputs.regions
    years = inputs.years
    t0 = years[0]
    m_info = inputs.members.loc[members]

    my = inputs.member_years.loc[members].reset_index()
    floor_money = my["floor_share"] * my["gdp"]
    my["lower"] = np.maximum(floor_money, my["pledge"])
    my["upper"] = (my["cap_share"] * my["gdp"]).fillna(np.inf)
    my["avail"] = m_info["personnel_available"].reindex(my["member"]).fillna(0.0).to_numpy()
    shares = fair_shares(inputs)
    my["share"] = shares.stack().reindex(pd.MultiIndex.from_frame(my[["member", "year"]])) \
        .to_numpy()
    my["baseline"] = m_info["baseline"].reindex(my["member"]).to_numpy()
    my["first"] = my["year"] == t0

    access = inputs.access
    denied = set(zip(access.loc[~access["allowed"], "member"],
                     access.loc[~access["allowed"], "region"]))
    pairs = pd.DataFrame([(m, g) for m in members for g in regions if (m, g) not in denied],
                         columns=["member", "region"])
    rel = m_info["reliability"]
    quality = inputs.quality.set_index(["member", "capability"])["multiplier"]
    cap_frame = pd.DataFrame({"capability": capabilities})
    year_frame = pd.DataFrame({"year": years})
    cells = pairs.merge(cap_frame, how="cross").merge(year_frame, how="cross")
    cells = cells[["member", "capability", "region", "year"]]
    q = quality.reindex(pd.MultiIndex.from_frame(cells[["member", "capability"]])) \
        .fillna(1.0).to_numpy()
    strength = rel.reindex(cells["member"]).to_numpy() * q
    caps = inputs.capabilities
    cells["effect_f"] = strength * caps["funding_effect"].reindex(cells["capability"]).to_numpy()
    cells["effect_p"] = strength * caps["personnel_effect"].reindex(cells["capability"]) \
        .to_numpy()
    cells["pcost"] = m_info["personnel_cost"].fillna(0.0).reindex(cells["member"]).to_numpy()
    cells = cells.reset_index(drop=True)

    inv = inputs.inventory[inputs.inventory["units"] > 0]
    inv = inv[inv["member"].isin(members)]
    inv = inv.groupby(["member", "equipment"], sort=False, as_index=False)["units"].sum()
    equipment = inputs.equipment
    units = inv.merge(pairs, on="member").merge(year_frame, how="cross")
    units["capability"] = equipment["capability"].reindex(units["equipment"]).to_numpy()
    uq = quality.reindex(pd.MultiIndex.from_frame(units[["member", "capability"]])) \
        .fillna(1.0).to_numpy()
    units["effect"] = rel.reindex(units["member"]).to_numpy() * uq * \
        equipment["effect"].reindex(units["equipment"]).to_numpy()
    units["ucost"] = equipment["unit_cost"].reindex(units["equipment"]).to_numpy()
    units["crew"] = equipment["crew"].reindex(units["equipment"]).to_numpy()
    units["integer"] = equipment["integer"].reindex(units["equipment"]).to_numpy()
    units = units.rename(columns={"units": "inv"})
    units = units[["member", "equipment", "capability", "region", "year", "effect", "ucost",
                   "crew", "integer", "inv"]].reset_index(drop=True)

    targets = inputs.targets.copy().reset_index(drop=True)
    positive = targets["target"] > 0
    targets["shortfall_weight"] = np.where(
        positive, targets["priority"] / targets["target"].where(positive, 1.0), 0.0)
    return Layout(members=members, capabilities=capabilities, regions=regions, years=years,
                  member_years=my, cells=cells, units=units, targets=targets, shares=shares)


def declare_variables(model, layout: Layout, settings) -> None:
    """Every variable of MODEL.md (all >= 0), sparse, in one global column order.
    `cost[m,t]`, `persons[m,t]` and `total[t]` are variables defined by one equality row each
    (MODEL.md's implementation note); their commitments and personnel bounds are set by those
    families."""
    n_cells, n_units = len(layout.cells), len(layout.units)
    layout.var(model, "F", n_cells, 0.0, np.inf)
    layout.var(model, "P", n_cells, 0.0, np.inf)
    layout.var(model, "E", n_units, 0.0, layout.units["inv"].to_numpy(),
               integer=layout.units["integer"].to_numpy(bool))
    if settings.allow_shortfall:
        layout.var(model, "S", len(layout.targets), 0.0, np.inf)
    n_my = len(layout.member_years)
    layout.var(model, "cost", n_my, 0.0, np.inf)
    layout.var(model, "persons", n_my, 0.0, np.inf)
    layout.var(model, "total", len(layout.years), 0.0, np.inf)


def add_rows(model, layout: Layout, name: str, family: str, rows, cols, coefs, lower, upper):
    """Constraint `model.<name>[i]`: `lower[i] <= sum_j coef * x[col] <= upper[i]` for the
    terms whose row is `i`. Bodies are built as `LinearExpression`s in one pass over terms
    sorted by row; no Python arithmetic on Pyomo objects."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    coefs = np.asarray(coefs, dtype=float)
    n = len(lower)
    layout.families[name] = family
    layout.row_specs[name] = (rows, cols, coefs, np.asarray(lower, dtype=float),
                              np.asarray(upper, dtype=float))
    if model is None:  # matrix mode: the arrays are all there is
        return None
    order = np.argsort(rows, kind="stable")
    rows, cols, coefs = rows[order], cols[order], coefs[order]
    bounds = np.searchsorted(rows, np.arange(n + 1))
    columns = layout.columns
    col_list, coef_list = cols.tolist(), coefs.tolist()
    lower = [None if not np.isfinite(v) else float(v) for v in np.asarray(lower, dtype=float)]
    upper = [None if not np.isfinite(v) else float(v) for v in np.asarray(upper, dtype=float)]
    bodies = []
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        bodies.append(LinearExpression(constant=0.0, linear_coefs=coef_list[a:b],
                                       linear_vars=[columns[j] for j in col_list[a:b]]))
    component = pyo.Constraint(range(n), rule=lambda _, i: (lower[i], bodies[i], upper[i]))
    setattr(model, name, component)
    return component


def position(frame: pd.DataFrame, keys: list[str], lookup: pd.DataFrame) -> np.ndarray:
    """Row numbers in `frame` of each row of `lookup` (matched on `keys`); -1 where absent."""
    index = pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else pd.Index(frame[keys[0]])
    probe = pd.MultiIndex.from_frame(lookup[keys]) if len(keys) > 1 else \
        pd.Index(lookup[keys[0]])
    return index.get_indexer(probe)
