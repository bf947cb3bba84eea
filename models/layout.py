"""Sets, parameters and sparse variables of docs/model.md, and the bulk row builder every family uses.

Index sets are pandas frames computed from `Inputs` (only present members, only allowed
member-region pairs, only held equipment), built with numpy from integer codes (each name's
position in its set), which `Layout.codes` keeps so that a family finds rows by `position`
(integer keys, `np.searchsorted`) rather than by pandas indexes. Each Pyomo variable
component is indexed by `range(n)`; row `i` of its frame says what variable `i` is. All variables also live in one
global column order (`Layout.columns`), so a family states its rows as three arrays
(row, column, coefficient) and `add_rows` turns them into `LinearExpression` bodies at once.

| symbol | here | workbook |
|---|---|---|
| `M`, `C`, `G`, `T`, `K` | `members`, `capabilities`, `regions`, `years`, `equipment` | members, capabilities, targets (regions, years), equipment |
| `F[m,c,g,t]`, `P[m,c,g,t]` | `model.F`, `model.P` over `cells` | - |
| `E[m,k,g,t]` | `model.E` over `units` | inventory (`inv[m,k] > 0`) |
| `sigma[c,g,t]` = `S[c,g,t] / target[c,g,t]` | `model.sigma` over `targets`, in [0, 1] | targets (when `allow_shortfall`) |
| `cost[m,t]`, `persons[m,t]` | `model.cost`, `model.persons` over `member_years` | - |
| `total[t]` | `model.total` over `years` | - |
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.shares import fair_shares

# Pyomo is imported only where a Pyomo model is built (`model` not None): matrix mode, what
# `optimizer.solve` runs by default, never loads it (about 1 s of a solve's start-up).


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
    targets: pd.DataFrame  # capability, region, year, target, priority
    shares: pd.DataFrame  # fair shares, index member, columns years
    columns: list = field(default_factory=list)  # every VarData in global order
    offsets: dict = field(default_factory=dict)  # component name -> first global column
    # column bounds, integrality and units of measure, in the global order (`lower`,
    # `upper`, `integer`, `column_unit`): each `var` adds its part, joined into one array
    # when first asked for
    bound_parts: list = field(default_factory=list, repr=False)
    size: int = 0  # columns declared so far
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
    # Integer codes of the frames' key columns (a name's position in its set, -1 if in none),
    # for the families' look-ups: frame name -> {column: codes}; and each set's size.
    codes: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    model: object = None  # the Pyomo ConcreteModel, when `build_model` built one
    measure: dict = field(default_factory=dict)  # `units_of_measure`: money, persons, ...
    cache: StructureCache | None = None  # structural pieces kept across cases (a Resolver's)

    def column(self, name: str, positions) -> np.ndarray:
        """Global column numbers of positions within one variable component."""
        return self.offsets[name] + np.asarray(positions, dtype=np.int64)

    @property
    def n_columns(self) -> int:
        return self.size

    @property
    def lower(self) -> np.ndarray:
        return self._bounds()[0]

    @property
    def upper(self) -> np.ndarray:
        return self._bounds()[1]

    @property
    def integer(self) -> np.ndarray:
        return self._bounds()[2]

    @property
    def column_unit(self) -> np.ndarray:
        """Each column's unit of measure (`units_of_measure`): the solver sees `x / unit`."""
        return self._bounds()[3]

    def _bounds(self) -> list:
        """[lower, upper, integer, unit] over every column declared (one array each, which
        the families then edit in place)."""
        if len(self.bound_parts) != 1:
            joined = [np.concatenate([part[k] for part in self.bound_parts])
                      if self.bound_parts else np.zeros(0, dtype=bool if k == 2 else float)
                      for k in range(4)]
            self.bound_parts = [joined]
        return self.bound_parts[0]

    def var(self, model, name, size, lower, upper, integer=None, unit: float = 1.0):
        """Declare `model.<name>` over `range(size)` and register its columns, bounds and
        unit of measure (`units_of_measure`; integer columns keep 1). With `model=None`
        (matrix mode) only the columns are registered."""
        component = None
        self.offsets[name] = self.size
        if model is not None:
            import pyomo.environ as pyo

            component = pyo.Var(range(size), domain=pyo.Reals)
            setattr(model, name, component)
            self.columns.extend(component.values())
        flags = np.zeros(size, dtype=bool) if integer is None else np.asarray(integer, bool)
        self.bound_parts.append([np.array(_values(lower, size)), np.array(_values(upper, size)),
                                 flags, np.where(flags, 1.0, float(unit))])
        self.size += size
        return component


def _values(bound, size: int) -> np.ndarray:
    """`size` bounds: one number for all, or one each."""
    return np.broadcast_to(np.asarray(bound, dtype=float), (size,))


class StructureCache:
    """Structural pieces of the last formulation (index sets, their codes and name columns,
    row look-ups), kept by a `Resolver` across the cases it solves (never global): a piece is
    reused only when every input it was computed from, its `key`, is equal to what it was
    computed from last time, so a formulation with the cache is the formulation without it
    (tests/test_resolve.py). What it saves is the structural work of a sweep's numbers-only
    scenario (benchmarks/README.md has the figures)."""

    def __init__(self):
        self._pieces: dict = {}

    def get(self, name: str, key: tuple, compute):
        held = self._pieces.get(name)
        if held is not None and _same(held[0], key):
            return held[1]
        value = compute()
        self._pieces[name] = (key, value)
        return value


def _same(first: tuple, second: tuple) -> bool:
    """Are two keys (tuples of arrays, lists and numbers) equal element for element?"""
    if len(first) != len(second):
        return False
    for a, b in zip(first, second):
        if a is b:
            continue
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                    and a.dtype == b.dtype and np.array_equal(a, b)):
                return False
        elif type(a) is not type(b) or a != b:
            return False
    return True


def reuse(cache: StructureCache | None, name: str, key: tuple, compute):
    """`compute()`, or its value kept in `cache` from a formulation with an equal `key`."""
    return compute() if cache is None else cache.get(name, key, compute)


def build_layout(inputs, cache: StructureCache | None = None) -> Layout:
    """The sparse index sets and per-element parameters, from `Inputs`.

    Every name is coded once as its position in its set (`codes_of`); the frames are built
    from those integer codes with numpy (`np.repeat`, `np.tile`, table look-ups), and the
    codes stay in `Layout.codes` for the families' row look-ups (`position`)."""
    members = inputs.present_members
    capabilities = inputs.capabilities.index.tolist()
    regions = inputs.regions
    years = inputs.years
    sets = {"member": members, "capability": capabilities, "region": regions, "year": years,
            "equipment": inputs.equipment.index.tolist()}
    member_rows = codes_of(members, inputs.members.index)

    def per_member(column):  # members.<column> of each present member
        return inputs.members[column].to_numpy(float)[member_rows]

    shares = fair_shares(inputs)
    member_years, my_codes = _member_years(inputs, sets, shares, per_member)

    # allowed (member, region) pairs, member by member; unlisted pairs are allowed
    access = inputs.access
    a_member, a_region = codes_of(access["member"], members), codes_of(access["region"], regions)
    denied = ~access["allowed"].to_numpy() & (a_member >= 0) & (a_region >= 0)
    allowed = np.ones((len(members), len(regions)), dtype=bool)
    allowed[a_member[denied], a_region[denied]] = False

    # q[m,c]: quality multiplier, 1 where not given
    quality = inputs.quality
    if _has_duplicates(quality["member"], quality["capability"]):
        raise ValueError("cannot reindex on an axis with duplicate labels")
    q_member = codes_of(quality["member"], members)
    q_capability = codes_of(quality["capability"], capabilities)
    given = (q_member >= 0) & (q_capability >= 0)
    q = np.ones((len(members), len(capabilities)))
    q[q_member[given], q_capability[given]] = quality["multiplier"].to_numpy(float)[given]
    q[np.isnan(q)] = 1.0

    rel = per_member("reliability")
    cells, cell_codes = _cells(inputs, sets, allowed, rel, q, per_member, cache)
    units, unit_codes = _units(inputs, sets, allowed, rel, q, cache)

    targets = inputs.targets.reset_index(drop=True)

    layout = Layout(members=members, capabilities=capabilities, regions=regions, years=years,
                    member_years=member_years, cells=cells, units=units, targets=targets,
                    shares=shares, cache=cache)
    layout.sizes = {key: len(names) for key, names in sets.items()}
    layout.sizes["target_row"] = len(targets)
    # the (member, region) pairs of the cells, in the cells' order
    one_per_pair = np.arange(0, len(cells), max(len(capabilities) * len(years), 1))
    layout.codes = {
        "member_years": my_codes, "cells": cell_codes, "units": unit_codes,
        "targets": reuse(cache, "target codes", tuple(
            part for key in ("capability", "region", "year")
            for part in (targets[key].to_numpy(object), sets[key])),
            lambda: {key: codes_of(targets[key], sets[key])
                     for key in ("capability", "region", "year")}),
        "pairs": {key: cell_codes[key][one_per_pair] for key in ("member", "region")}}
    return layout


def _member_years(inputs, sets, shares, per_member):
    """One row per present member and year (`inputs.member_years.loc[members]`, flat), with
    the bounds and parameters of `cost[m,t]` and `persons[m,t]`; and its codes."""
    members, years = sets["member"], sets["year"]
    source = inputs.member_years
    rows, member = _rows_of(source.index.get_level_values("member"), members)
    frame = {level: source.index.get_level_values(level).take(rows)
             for level in ("member", "year")}
    frame.update({column: source[column].array.take(rows) for column in source.columns})
    year = codes_of(frame["year"], years)
    gdp = np.asarray(frame["gdp"], dtype=float)
    if shares.index.tolist() != members or shares.columns.tolist() != years:
        shares = shares.reindex(index=members, columns=years)
    share = shares.to_numpy(float)
    frame.update(
        lower=np.maximum(np.asarray(frame["floor_share"], dtype=float) * gdp,
                         np.asarray(frame["pledge"], dtype=float)),
        upper=_fill(np.asarray(frame["cap_share"], dtype=float) * gdp, np.inf),
        avail=_fill(per_member("personnel_available")[member], 0.0),
        share=np.where(year >= 0, share[member, np.maximum(year, 0)], np.nan),
        baseline=per_member("baseline")[member],
        first=np.asarray(frame["year"]) == years[0])
    return pd.DataFrame(frame), {"member": member, "year": year}


def _cells(inputs, sets, allowed, rel, q, per_member, cache=None):
    """Every allowed (member, region) pair x capability x year, in that nesting, with
    `rel[m] * q[m,c] * ef[c]`, `rel[m] * q[m,c] * ep[c]` and `pcost[m]`; and its codes."""
    members, capabilities, regions, years = (sets[key] for key in
                                             ("member", "capability", "region", "year"))

    def structure():
        pair_member, pair_region = np.nonzero(allowed)
        n_c, n_t, n_pairs = len(capabilities), len(years), len(pair_member)
        codes = {"member": np.repeat(pair_member, n_c * n_t),
                 "capability": np.tile(np.repeat(np.arange(n_c), n_t), n_pairs),
                 "region": np.repeat(pair_region, n_c * n_t),
                 "year": np.tile(np.arange(n_t), n_pairs * n_c)}
        names = {"member": _names(members, codes["member"], n_pairs > 0),
                 "capability": _names(capabilities, codes["capability"], n_c > 0),
                 "region": _names(regions, codes["region"], n_pairs > 0),
                 "year": np.asarray(years, dtype=np.int64)[codes["year"]]}
        return codes, names

    codes, names = reuse(cache, "cells", (members, capabilities, regions, years, allowed),
                         structure)
    member, capability = codes["member"], codes["capability"]
    caps = inputs.capabilities
    strength = rel[:, None] * q  # [m, c]; each cell takes its (member, capability) entry
    effect_f = strength * caps["funding_effect"].to_numpy(float)[None, :]
    effect_p = strength * caps["personnel_effect"].to_numpy(float)[None, :]
    cells = pd.DataFrame({
        **names,
        "effect_f": effect_f[member, capability],
        "effect_p": effect_p[member, capability],
        "pcost": _fill(per_member("personnel_cost"), 0.0)[member]}, copy=False)
    return cells, codes


def _units(inputs, sets, allowed, rel, q, cache=None):
    """Every held (member, equipment) type (`inv[m,k] > 0`) x allowed region x year, with
    `rel[m] * q[m,c(k)] * ek[k]`, the type's cost, crew and integrality, and `inv[m,k]`;
    and its codes."""
    members, kinds, regions, years = (sets[key] for key in
                                      ("member", "equipment", "region", "year"))
    equipment, inventory = inputs.equipment, inputs.inventory
    holder = codes_of(inventory["member"], members)
    held = np.nonzero((inventory["units"].to_numpy(float) > 0) & (holder >= 0))[0]
    kind_of_row = inventory["equipment"].to_numpy(object)
    capability_of_kind = equipment["capability"].to_numpy(object)

    def structure():
        inv = inventory.take(held)
        grouped = _has_duplicates(inv["member"], inv["equipment"])
        if grouped:  # one holding per member and type
            inv = inv.groupby(["member", "equipment"], sort=False, as_index=False)["units"].sum()
            holding_member = codes_of(inv["member"], members)
        else:
            holding_member = holder[held]
        holding_kind = codes_of(inv["equipment"], kinds)
        # each holding x the member's allowed regions (in pairs order) x years
        n_t = len(years)
        regions_of = allowed.sum(axis=1)
        pairs_of_holding = regions_of[holding_member]
        holding_pair = np.repeat(np.cumsum(regions_of)[holding_member] - pairs_of_holding,
                                 pairs_of_holding) + positions_within(pairs_of_holding)
        holding = np.repeat(np.arange(len(inv)), pairs_of_holding * n_t)
        member, kind = holding_member[holding], holding_kind[holding]
        region = np.repeat(np.nonzero(allowed)[1][holding_pair], n_t)
        year = np.tile(np.arange(n_t), len(holding_pair))
        capability = codes_of(capability_of_kind, sets["capability"])[kind]
        codes = {"member": member, "equipment": kind, "capability": capability,
                 "region": region, "year": year}
        names = {"member": _names(members, member, len(inv) > 0),
                 "equipment": _names(kinds, kind, len(inv) > 0),
                 "capability": capability_of_kind[kind],
                 "region": _names(regions, region, allowed.any()),
                 "year": np.asarray(years, dtype=np.int64)[year]}
        return codes, names, holding, grouped

    codes, names, holding, grouped = reuse(
        cache, "units", (members, kinds, regions, years, sets["capability"], allowed, holder,
                         held, kind_of_row, capability_of_kind), structure)
    units_held = inventory["units"].to_numpy(float)[held]
    if grouped:
        units_held = inventory.take(held).groupby(["member", "equipment"], sort=False)[
            "units"].sum().to_numpy(float)
    member, kind, capability = codes["member"], codes["equipment"], codes["capability"]
    uq = np.where(capability >= 0, q[member, np.maximum(capability, 0)], 1.0)
    units = pd.DataFrame({
        **names,
        "effect": rel[member] * uq * equipment["effect"].to_numpy(float)[kind],
        "ucost": equipment["unit_cost"].to_numpy(float)[kind],
        "crew": equipment["crew"].to_numpy(float)[kind],
        "integer": equipment["integer"].to_numpy(bool)[kind],
        "inv": units_held[holding]}, copy=False)
    return units, codes


def codes_of(names, universe) -> np.ndarray:
    """The position of each of `names` in the list `universe`; -1 for a name not in it."""
    lookup = {name: i for i, name in enumerate(universe)}
    if isinstance(names, pd.Series | pd.Index):  # str columns: `tolist` goes element-wise
        names = names.to_numpy(object)
    names = names.tolist() if hasattr(names, "tolist") else names
    return np.fromiter((lookup.get(name, -1) for name in names), dtype=np.int64,
                       count=len(names))


def _has_duplicates(*columns) -> bool:
    """Whether two rows have the same values in all `columns`."""
    keys = list(zip(*(column.tolist() for column in columns)))
    return len(set(keys)) < len(keys)


def _fill(values: np.ndarray, fill: float) -> np.ndarray:
    """`values` with NaN replaced by `fill` (pandas' fillna)."""
    return np.where(np.isnan(values), fill, values)


def _rows_of(names, members):
    """The rows of `names` that are `members`, member by member in `members` order (as
    `.loc[members]` selects them), and the member code of each."""
    code = codes_of(names, members)
    rows = np.nonzero(code >= 0)[0]
    rows = rows[np.argsort(code[rows], kind="stable")]
    missing = set(range(len(members))) - set(code[rows].tolist())
    if missing:
        raise KeyError(f"{[members[i] for i in sorted(missing)]} not in index")
    return rows, code[rows]


def _names(universe, codes, str_when_empty: bool = False):
    """The names at `codes` (positions in `universe`) for a frame column: pandas' inferred
    dtype (str) when there are any; an empty column is object, or str if `str_when_empty`
    (the dtypes every reader of these frames expects)."""
    if len(codes):
        return pd.Series(np.asarray(universe, dtype=object)).array.take(codes)
    return pd.array([], dtype="str") if str_when_empty else np.array([], dtype=object)


def positions_within(counts) -> np.ndarray:
    """0, 1, .., counts[0]-1, 0, 1, .., counts[1]-1, ..."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


def power_of_two(value: float) -> float:
    """The power of two nearest `value` (1 for a value that is not positive and finite):
    dividing by it is exact in floating point."""
    if not (np.isfinite(value) and value > 0):
        return 1.0
    return float(2.0 ** np.round(np.log2(value)))


def units_of_measure(layout: Layout) -> dict:
    """The units the solver counts each kind of quantity in, powers of two of the case's own
    typical magnitudes, so that HiGHS' absolute tolerances (1e-7) act on numbers near 1:
    money, a typical member's yearly defence bill (2% of the median `gdp[m,t]`); persons,
    the median of `avail[m]`; deterrence, the median positive target; burden, 1/64 (a
    share of GDP). The model's mathematics is unchanged: only the columns handed to the
    solver are divided by their unit (`optimizer.highs_adapter.Scaling`)."""
    def median(values):
        values = np.asarray(values, float)
        values = values[np.isfinite(values) & (values > 0)]
        return float(np.median(values)) if len(values) else 1.0

    my = layout.member_years
    return {"money": power_of_two(0.02 * median(my["gdp"])),
            "persons": power_of_two(median(my["avail"])),
            "deterrence": power_of_two(median(layout.targets["target"])),
            "burden": 2.0 ** -6}


def declare_variables(model, layout: Layout, settings) -> None:
    """Every variable of docs/model.md (all >= 0), sparse, in one global column order.
    `cost[m,t]`, `persons[m,t]` and `total[t]` are variables defined by one equality row each
    (docs/model.md's implementation note); their commitments and personnel bounds are set by those
    families."""
    n_cells, n_units = len(layout.cells), len(layout.units)
    unit = layout.measure = units_of_measure(layout)
    money, persons = unit["money"], unit["persons"]
    layout.var(model, "F", n_cells, 0.0, np.inf, unit=money)
    layout.var(model, "P", n_cells, 0.0, np.inf, unit=persons)
    layout.var(model, "E", n_units, 0.0, layout.units["inv"].to_numpy(),
               integer=layout.units["integer"].to_numpy(bool))
    if settings.allow_shortfall:  # the shortfall as a fraction of its target
        layout.var(model, "sigma", len(layout.targets), 0.0, 1.0)
    n_my = len(layout.member_years)
    layout.var(model, "cost", n_my, 0.0, np.inf, unit=money)
    layout.var(model, "persons", n_my, 0.0, np.inf, unit=persons)
    members = power_of_two(max(len(layout.members), 1))
    layout.var(model, "total", len(layout.years), 0.0, np.inf, unit=money * members)


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
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

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


def key_numbers(layout: Layout, frame: str, keys: list[str]) -> np.ndarray:
    """One integer per row of `layout.<frame>` identifying its values of `keys` (their codes
    combined in mixed radix, sizes from `layout.sizes`); -1 where a value is in no set."""
    codes = layout.codes[frame]
    number = np.zeros(len(codes[keys[0]]), dtype=np.int64)
    unknown = np.zeros(len(number), dtype=bool)
    for key in keys:
        number = number * layout.sizes[key] + codes[key]
        unknown |= codes[key] < 0
    number[unknown] = -1
    return number


def first_seen_groups(keys: np.ndarray):
    """Group number of each element of `keys` (equal keys, one group), groups numbered in the
    order they first appear (pandas' `groupby(sort=False).ngroup()`); and the position of
    each group's first element."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(len(order))
    return number[inverse.reshape(-1)], first[order]


def position(layout: Layout, frame: str, keys: list[str], lookup: str) -> np.ndarray:
    """Row numbers in `layout.<frame>` of each row of `layout.<lookup>` (matched on `keys`,
    which must be unique in `frame`); -1 where absent. Kept in `layout.cache`, keyed on the
    codes and set sizes it depends on."""
    key = tuple(layout.codes[name][k] for name in (frame, lookup) for k in keys) + tuple(
        layout.sizes[k] for k in keys)
    return reuse(layout.cache, f"position {frame} {lookup} {' '.join(keys)}", key,
                 lambda: _position(layout, frame, keys, lookup))


def _position(layout: Layout, frame: str, keys: list[str], lookup: str) -> np.ndarray:
    index, probe = key_numbers(layout, frame, keys), key_numbers(layout, lookup, keys)
    if len(index) == 0:
        return np.full(len(probe), -1, dtype=np.int64)
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    if np.any((ordered[1:] == ordered[:-1]) & (ordered[1:] >= 0)):
        raise pd.errors.InvalidIndexError(
            "Reindexing only valid with uniquely valued Index objects")
    at = np.minimum(np.searchsorted(ordered, probe), len(ordered) - 1)
    found = (ordered[at] == probe) & (probe >= 0)
    return np.where(found, order[at], -1)
