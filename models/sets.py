"""The index sets and parameters of the model (docs/model.md, "Sets and parameters"), from
`Inputs`: only present members, only allowed member-region pairs, only held equipment.

Every name is coded once as its position in its set (`codes_of`); the frames are built from
those integer codes with numpy (`np.repeat`, `np.tile`, table look-ups), and the codes stay in
`IndexSets.codes` for the families' look-ups (`Formulation.position`).

| symbol | here | workbook |
|---|---|---|
| `M`, `C`, `G`, `T`, `K` | `members`, `capabilities`, `regions`, `years`, `equipment_types` | members, capabilities, targets (regions, years), equipment |
| `(m,c,g,t)` with `allowed[m,g]` | `cells`: effect_f = rel*q*ef, effect_p = rel*q*ep, pcost | access, quality, capabilities, members |
| `(m,k,g,t)` with `inv[m,k] > 0` | `units`: effect = rel*q*ek, ucost, crew, integer, inv | inventory, equipment |
| `(m,t)` | `member_years`: gdp, lower, upper, avail, share, baseline, core_lower, related_upper, path_total, path_core, previous | members, commitments, gdp, previous, settings (path) |
| `category[c]` | `related` (True: related, else core) | capabilities.category |
| `r` | `rules` (as `Inputs.rules`) | rules |
| `(c,g,t)` | `targets`: target, priority | targets |
| `s[m,t]` | `shares` | settings.fair_share (optimizer/shares.py) |
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.shares import fair_shares

from .labelled import StructureCache, cached, codes_of, positions_within


@dataclass(eq=False)
class IndexSets:
    """The sets and the per-element parameters of one case."""

    members: list[str]
    capabilities: list[str]
    regions: list[str]
    years: list[int]
    equipment_types: list[str]
    member_years: pd.DataFrame  # member, year, gdp, lower, upper, avail, share, baseline
    cells: pd.DataFrame  # member, capability, region, year, effect_f, effect_p, pcost
    units: pd.DataFrame  # member, equipment, capability, region, year, effect, ucost, ...
    targets: pd.DataFrame  # capability, region, year, target, priority
    shares: pd.DataFrame  # fair shares, index member, columns years
    #: per capability (in `capabilities` order): True where its category is related
    related: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rules: pd.DataFrame | None = None  # `Inputs.rules`
    #: integer codes of the frames' key columns (a name's position in its set, -1 if in
    #: none): frame name -> {column: codes}; "pairs": the allowed (member, region) pairs
    codes: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)  # each set's size
    measure: dict = field(default_factory=dict)  # `units_of_measure`


def index_sets(inputs, cache: StructureCache | None = None) -> IndexSets:
    """The sparse index sets and per-element parameters of `inputs`."""
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
    sizes = {key: len(names) for key, names in sets.items()}
    sizes["target_row"] = len(targets)
    # the (member, region) pairs of the cells, in the cells' order
    one_per_pair = np.arange(0, len(cells), max(len(capabilities) * len(years), 1))
    target_codes = cached(cache, _target_codes, targets["capability"].to_numpy(object),
                          targets["region"].to_numpy(object), targets["year"].to_numpy(object),
                          capabilities, regions, years)
    codes = {"member_years": my_codes, "cells": cell_codes, "units": unit_codes,
             "targets": target_codes,
             "pairs": {key: cell_codes[key][one_per_pair] for key in ("member", "region")}}
    category = inputs.capabilities["category"] if "category" in inputs.capabilities else \
        pd.Series("core", index=inputs.capabilities.index)
    index = IndexSets(members=members, capabilities=capabilities, regions=regions,
                      years=years, equipment_types=sets["equipment"],
                      member_years=member_years, cells=cells, units=units, targets=targets,
                      shares=shares, codes=codes, sizes=sizes,
                      related=(category.to_numpy(object) == "related"),
                      rules=inputs.rules)
    index.measure = units_of_measure(index)
    return index


def _target_codes(capability, region, year, capabilities, regions, years) -> dict:
    return {"capability": codes_of(capability, capabilities),
            "region": codes_of(region, regions), "year": codes_of(year, years)}


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
    first = np.asarray(frame["year"]) == years[0]
    settings = inputs.settings
    baseline = per_member("baseline")[member]
    path = {}
    for name, share_of_gdp in (("path_total", settings.path_total_share),
                               ("path_core", settings.path_core_share)):
        path[name] = np.zeros(len(gdp)) if share_of_gdp is None or settings.path_year is None \
            else path_shares(baseline, gdp, per_member("gdp_growth")[member], member,
                             np.asarray(frame["year"], dtype=float), first, years[0],
                             settings.path_year, share_of_gdp)
    core = frame.get("core_floor_share", np.zeros(len(gdp)))
    related = frame.get("related_cap_share", np.full(len(gdp), np.nan))
    frame.update(
        lower=np.maximum(np.asarray(frame["floor_share"], dtype=float) * gdp,
                         np.asarray(frame["pledge"], dtype=float)),
        upper=_fill(np.asarray(frame["cap_share"], dtype=float) * gdp, np.inf),
        avail=_fill(per_member("personnel_available")[member], 0.0),
        share=np.where(year >= 0, share[member, np.maximum(year, 0)], np.nan),
        baseline=baseline,
        baseline_share=baseline_shares(baseline, gdp, per_member("gdp_growth")[member], member,
                                       first),
        first=first,
        core_lower=np.asarray(core, dtype=float) * gdp,
        related_upper=_fill(np.asarray(related, dtype=float) * gdp, np.inf),
        **path,
        previous=_previous_costs(inputs.previous, frame["member"], frame["year"]))
    return pd.DataFrame(frame), {"member": member, "year": year}


def path_shares(baseline, gdp, growth, member, year, first, first_year, path_year,
                target_share) -> np.ndarray:
    """The path share `pi[m,t]` of each (member, year) row (docs/model.md, "The path"):
    `b[m] = baseline[m] / gdp[m,tb]`, `gdp[m,tb] = gdp[m,t0] / (1 + gdp_growth[m])`,
    `tb = t0 - 1`, `f(t) = min(1, (t - tb) / (Y - tb))`; `pi = P` where `b >= P`, else
    `b + (P - b) f(t)`. A member without a baseline starts from 0."""
    start = _fill(baseline_shares(baseline, gdp, growth, member, first), 0.0)
    before = first_year - 1
    progress = np.minimum(1.0, (year - before) / (path_year - before))
    return np.where(start >= target_share, target_share,
                    start + (target_share - start) * progress)


def baseline_shares(baseline, gdp, growth, member, first) -> np.ndarray:
    """`b[m] = baseline[m] / gdp[m,tb]` with `gdp[m,tb] = gdp[m,t0] / (1 + gdp_growth[m])`,
    for each (member, year) row; NaN without a baseline."""
    gdp_first = np.zeros(int(member.max()) + 1 if len(member) else 0)
    gdp_first[member[first]] = np.asarray(gdp, dtype=float)[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        return baseline * (1.0 + _fill(growth, 0.0)) / gdp_first[member]


def _previous_costs(previous, members, years) -> np.ndarray:
    """`prev[m,t]` for each (member, year) row; NaN where the previous plan has none."""
    out = np.full(len(members), np.nan)
    if previous is None or previous.empty:
        return out
    cost = dict(zip(zip(previous["member"].tolist(), previous["year"].tolist()),
                    previous["cost"].tolist()))
    for at, key in enumerate(zip(list(members), np.asarray(years).tolist())):
        if key in cost:
            out[at] = cost[key]
    return out


def _cell_structure(members, capabilities, regions, years, allowed):
    """Codes and names of every allowed (member, region) pair x capability x year."""
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


def _cells(inputs, sets, allowed, rel, q, per_member, cache=None):
    """Every allowed (member, region) pair x capability x year, in that nesting, with
    `rel[m] * q[m,c] * ef[c]`, `rel[m] * q[m,c] * ep[c]` and `pcost[m]`; and its codes."""
    codes, names = cached(cache, _cell_structure, sets["member"], sets["capability"],
                          sets["region"], sets["year"], allowed)
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


def _unit_structure(members, kinds, regions, years, capabilities, allowed, holding_members,
                    holding_kinds, held, capability_of_kind):
    """Codes and names of every held (member, equipment) type x allowed region x year; the
    holding of each, and whether holdings of one type by one member were summed."""
    inv = pd.DataFrame({"member": holding_members[held], "equipment": holding_kinds[held]})
    grouped = _has_duplicates(inv["member"], inv["equipment"])
    if grouped:  # one holding per member and type
        inv = inv.drop_duplicates(ignore_index=True)
    holding_member = codes_of(inv["member"], members)
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
    capability = codes_of(capability_of_kind, capabilities)[kind]
    codes = {"member": member, "equipment": kind, "capability": capability,
             "region": region, "year": year}
    names = {"member": _names(members, member, len(inv) > 0),
             "equipment": _names(kinds, kind, len(inv) > 0),
             "capability": capability_of_kind[kind],
             "region": _names(regions, region, allowed.any()),
             "year": np.asarray(years, dtype=np.int64)[year]}
    return codes, names, holding, grouped


def _units(inputs, sets, allowed, rel, q, cache=None):
    """Every held (member, equipment) type (`inv[m,k] > 0`) x allowed region x year, with
    `rel[m] * q[m,c(k)] * ek[k]`, the type's cost, crew and integrality, and `inv[m,k]`;
    and its codes."""
    equipment, inventory = inputs.equipment, inputs.inventory
    holder = codes_of(inventory["member"], sets["member"])
    held = np.nonzero((inventory["units"].to_numpy(float) > 0) & (holder >= 0))[0]
    codes, names, holding, grouped = cached(
        cache, _unit_structure, sets["member"], sets["equipment"], sets["region"],
        sets["year"], sets["capability"], allowed, inventory["member"].to_numpy(object),
        inventory["equipment"].to_numpy(object), held,
        equipment["capability"].to_numpy(object))
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


def power_of_two(value: float) -> float:
    """The power of two nearest `value` (1 for a value that is not positive and finite):
    dividing by it is exact in floating point."""
    if not (np.isfinite(value) and value > 0):
        return 1.0
    return float(2.0 ** np.round(np.log2(value)))


def units_of_measure(sets: IndexSets) -> dict:
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

    my = sets.member_years
    return {"money": power_of_two(0.02 * median(my["gdp"])),
            "persons": power_of_two(median(my["avail"])),
            "deterrence": power_of_two(median(sets.targets["target"])),
            "burden": 2.0 ** -6}
