"""The yardstick: the model of docs/model.md built straight into highspy with numpy/scipy, no Pyomo.

Same columns and rows, in the same order, as `models/` (so the two matrices can be compared
entry by entry): F, P over allowed (member, region) x capability x year; E over held
equipment; S per target; cost, persons (per member and year) and total (per year) as
variables defined by one equality row each; commitments and personnel as the bounds of
`cost` and `persons`; lam, mu under robustness; Z and dev for the objectives that need them.
Rows: robust links, deterrence, persons / cost / total definitions, equipment inventory,
fairness band, ramp and baseline, max-burden and deviation rows. The stages, the "keep stage
k" rows and the marginal costs (duals of the deterrence rows in the cost stage; for a MIP the
LP with the integers fixed) are done as `optimizer/stages.py` does them.

End to end (what `benchmarks/run.py` times against `burden solve`):

    python benchmarks/direct_highs.py CASE.xlsx [-o OUT.xlsx] [--json]

reads the workbook with openpyxl, builds, solves, writes a minimal report (summary, members,
allocation and deterrence tables, no charts or styling) and prints the stage values.
Supports what the generated cases and the shipped example use: every sheet, the gdp /
population / equal fair-share rules without ceiling or floor, every objective, tie-break,
fairness band, ramp, robustness and shortfall settings, and the levers of docs/model.md
sections 7-9 (rules, core floors and related caps, the path, the previous plan with
max_change and the previous_plan tie-break). The lever rows follow the others here, so a case
with levers does not give burden's row order (`run.py` then reports a different matrix).
Input is assumed valid (run `burden validate` first): this is a benchmark, not a reader.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

STAGE_RELATIVE, STAGE_ABSOLUTE = 1e-6, 1e-9
NONZERO = 1e-9
# burden's HiGHS options for a MIP (optimizer/highs_adapter.py: two MIP presolve rules off, a
# HiGHS 1.16 workaround); the yardstick must make HiGHS do the same work. run.py compares
# every HiGHS option of the two instances and prints any that differ.
MIP_PRESOLVE_RULES_OFF = (1 << 5) | (1 << 7)


class Timings(dict):
    """Wall seconds per step; `cpu` holds the process's CPU seconds for the same steps (less
    disturbed than wall time when other work shares the machine)."""

    def __init__(self):
        super().__init__()
        self.cpu = {}

    @contextmanager
    def step(self, name: str):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self[name] = time.perf_counter() - wall
            self.cpu[name] = time.process_time() - cpu


# ---------------------------------------------------------------------------------------------
# Reading


def read_workbook(path) -> dict[str, list[dict]]:
    """Every sheet as a list of records keyed by lower-case column name (blank rows dropped)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    try:
        for ws in book.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = None
            records = []
            for row in rows:
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                    continue
                if header is None:
                    header = [str(v).strip().lower() if v is not None else "" for v in row]
                    continue
                records.append({h: v for h, v in zip(header, row) if h})
            sheets[ws.title.strip().lower()] = records
    finally:
        book.close()
    return sheets


def _bool(value, default=False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def _num(value, default=math.nan) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return float(value)


@dataclass
class Case:
    """A case as arrays over the present members (M), capabilities (C), regions (G), years
    (T), equipment types (K), targets and inventory pairs."""

    settings: dict
    members: list
    capabilities: list
    regions: list
    years: list
    gdp: np.ndarray  # (M, T)
    lower: np.ndarray  # (M, T) max(floor * gdp, pledge)
    upper: np.ndarray  # (M, T) cap * gdp (inf: none)
    floor_share: np.ndarray
    cap_share: np.ndarray
    population: np.ndarray
    avail: np.ndarray
    pcost: np.ndarray
    baseline: np.ndarray
    rel: np.ndarray
    ef: np.ndarray
    ep: np.ndarray
    quality: np.ndarray  # (M, C)
    allowed: np.ndarray  # (M, G) bool
    t_cap: np.ndarray  # per target: capability, region, year codes, value, priority
    t_reg: np.ndarray
    t_year: np.ndarray
    target: np.ndarray
    priority: np.ndarray
    equipment: list
    k_cap: np.ndarray
    k_effect: np.ndarray
    k_ucost: np.ndarray
    k_crew: np.ndarray
    k_integer: np.ndarray
    inv_member: np.ndarray  # inventory pairs (first appearance order, duplicates summed)
    inv_kit: np.ndarray
    inv_units: np.ndarray
    related: np.ndarray | None = None  # (C,) bool: category related
    core_floor: np.ndarray | None = None  # (M, T) share of GDP (0: none)
    related_cap: np.ndarray | None = None  # (M, T) share of GDP (NaN: none)
    start_share: np.ndarray | None = None  # (M,) b[m] of the path (0 without a baseline)
    previous: np.ndarray | None = None  # (M, T) prev[m,t] (NaN: not in the previous plan)
    rules: list = field(default_factory=list)  # dicts: measure, filters (code sets), per...


def case_from_sheets(sheets: dict) -> Case:
    s = {str(r["key"]).strip().lower(): r.get("value") for r in sheets["settings"]
         if r.get("key") is not None}
    settings = {
        "objective": str(s.get("objective") or "min_cost").strip().lower(),
        "fair_share": str(s.get("fair_share") or "gdp").strip().lower(),
        "fairness_tolerance": _num(s.get("fairness_tolerance"), None),
        "robustness": int(_num(s.get("robustness"), 0)),
        "max_growth": _num(s.get("max_growth"), None),
        "allow_shortfall": _bool(s.get("allow_shortfall"), True),
        "tie_break": str(s.get("tie_break") or "fair_share").strip().lower(),
        "time_limit": _num(s.get("time_limit"), None),
        "mip_gap": _num(s.get("mip_gap"), 1e-6),
        "path_year": None if _num(s.get("path_year"), None) is None else
        int(_num(s.get("path_year"))),
        "path_total_share": _num(s.get("path_total_share"), None),
        "path_core_share": _num(s.get("path_core_share"), None),
        "max_change": _num(s.get("max_change"), None),
    }
    if settings["fair_share"] not in ("gdp", "population", "equal") or \
            s.get("share_ceiling") is not None or s.get("share_floor") is not None:
        raise NotImplementedError("direct_highs: mixed shares and share ceilings/floors")

    rows = [r for r in sheets["members"] if r.get("member") is not None]
    rows = [r for r in rows if not _bool(r.get("absent"))]
    members = [str(r["member"]) for r in rows]
    m_of = {m.lower(): i for i, m in enumerate(members)}

    def col(name, default=math.nan):
        return np.array([_num(r.get(name), default) for r in rows])

    capabilities = [str(r["capability"]) for r in sheets["capabilities"]]
    c_of = {c.lower(): i for i, c in enumerate(capabilities)}
    ef = np.array([_num(r.get("funding_effect"), 0.0) for r in sheets["capabilities"]])
    ep = np.array([_num(r.get("personnel_effect"), 0.0) for r in sheets["capabilities"]])

    targets = [r for r in sheets["targets"] if r.get("target") is not None]
    regions = list(dict.fromkeys(str(r["region"]) for r in targets))
    g_of = {g.lower(): i for i, g in enumerate(regions)}
    years = sorted({int(r["year"]) for r in targets})
    t_of = {y: i for i, y in enumerate(years)}
    n_m, n_t = len(members), len(years)

    gdp0, growth = col("gdp"), col("gdp_growth", 0.0)
    gdp = gdp0[:, None] * (1.0 + growth[:, None]) ** (np.array(years)[None, :] - years[0])
    floor_share = np.repeat(col("floor_gdp_share", 0.0)[:, None], n_t, axis=1)
    cap_share = np.repeat(col("cap_gdp_share")[:, None], n_t, axis=1)
    core_floor = np.repeat(col("core_floor_gdp_share", 0.0)[:, None], n_t, axis=1)
    related_cap = np.repeat(col("related_cap_gdp_share")[:, None], n_t, axis=1)
    pledge = np.zeros((n_m, n_t))
    for r in sheets.get("gdp", []):
        m, y = m_of.get(str(r["member"]).lower()), t_of.get(int(r["year"]))
        if m is not None and y is not None and r.get("gdp") is not None:
            gdp[m, y] = float(r["gdp"])
    for r in sheets.get("commitments", []):
        m, y = m_of.get(str(r["member"]).lower()), t_of.get(int(r["year"]))
        if m is None or y is None:
            continue
        for key, table in (("floor_gdp_share", floor_share), ("cap_gdp_share", cap_share),
                           ("pledge", pledge), ("core_floor_gdp_share", core_floor),
                           ("related_cap_gdp_share", related_cap)):
            if r.get(key) is not None:
                table[m, y] = float(r[key])
    lower = np.maximum(floor_share * gdp, pledge)
    upper = np.where(np.isnan(cap_share), np.inf, cap_share * gdp)
    # the path starts from b[m] = baseline / gdp[m, t0 - 1], gdp[m, t0 - 1] = gdp[m, t0] / (1 + g)
    start_share = np.nan_to_num(col("baseline") * (1.0 + growth) / gdp[:, 0], nan=0.0)
    previous = np.full((n_m, n_t), np.nan)
    for r in sheets.get("previous", []):
        m, y = m_of.get(str(r["member"]).lower()), t_of.get(int(r["year"]))
        if m is not None and y is not None and r.get("cost") is not None:
            previous[m, y] = float(r["cost"])
    related = np.array([str(r.get("category") or "core").strip().lower() == "related"
                        for r in sheets["capabilities"]], dtype=bool)

    def names(text, codes):
        if text is None or not str(text).strip():
            return None
        wanted = {w.strip().lower() for w in str(text).split(",") if w.strip()}
        return {code for name, code in codes.items() if str(name).lower() in wanted}

    rules = [{"name": str(r["rule"]), "measure": str(r["measure"]).strip().lower(),
              "member": names(r.get("member"), m_of),
              "capability": names(r.get("capability"), c_of),
              "region": names(r.get("region"), g_of),
              "year": names(r.get("year"), {str(y): i for y, i in t_of.items()}),
              "per": [d.strip().lower() for d in str(r.get("per") or "").split(",")
                      if d.strip()],
              "sense": str(r["sense"]).strip(), "value": _num(r.get("value")),
              "share": _num(r.get("share"))}
             for r in sheets.get("rules", []) if r.get("rule") is not None]

    quality = np.ones((n_m, len(capabilities)))
    for r in sheets.get("quality", []):
        m = m_of.get(str(r["member"]).lower())
        if m is not None:
            quality[m, c_of[str(r["capability"]).lower()]] = float(r["multiplier"])
    allowed = np.ones((n_m, len(regions)), dtype=bool)
    for r in sheets.get("access", []):
        m = m_of.get(str(r["member"]).lower())
        if m is not None:
            allowed[m, g_of[str(r["region"]).lower()]] = _bool(r.get("allowed"), True)

    kits = sheets.get("equipment", [])
    equipment = [str(r["equipment"]) for r in kits]
    k_of = {k.lower(): i for i, k in enumerate(equipment)}
    pairs: dict = {}
    for r in sheets.get("inventory", []):
        m = m_of.get(str(r["member"]).lower())
        units = _num(r.get("units"), 0.0)
        if m is None or not units > 0:
            continue
        key = (m, k_of[str(r["equipment"]).lower()])
        pairs[key] = pairs.get(key, 0.0) + units
    inv = np.array(list(pairs), dtype=np.int64).reshape(-1, 2)

    return Case(
        settings=settings, members=members, capabilities=capabilities, regions=regions,
        years=years, gdp=gdp, lower=lower, upper=upper, floor_share=floor_share,
        cap_share=cap_share, population=col("population"),
        avail=col("personnel_available", 0.0), pcost=np.nan_to_num(col("personnel_cost")),
        baseline=col("baseline"), rel=col("reliability", 1.0), ef=ef, ep=ep, quality=quality,
        allowed=allowed,
        t_cap=np.array([c_of[str(r["capability"]).lower()] for r in targets], dtype=np.int64),
        t_reg=np.array([g_of[str(r["region"]).lower()] for r in targets], dtype=np.int64),
        t_year=np.array([t_of[int(r["year"])] for r in targets], dtype=np.int64),
        target=np.array([float(r["target"]) for r in targets]),
        priority=np.array([_num(r.get("priority"), 1.0) for r in targets]),
        equipment=equipment,
        k_cap=np.array([c_of[str(r["capability"]).lower()] for r in kits], dtype=np.int64),
        k_effect=np.array([float(r["effect"]) for r in kits]),
        k_ucost=np.array([float(r["unit_cost"]) for r in kits]),
        k_crew=np.array([_num(r.get("crew"), 0.0) for r in kits]),
        k_integer=np.array([_bool(r.get("integer")) for r in kits], dtype=bool),
        inv_member=inv[:, 0], inv_kit=inv[:, 1], inv_units=np.array(list(pairs.values())),
        related=related, core_floor=core_floor, related_cap=related_cap,
        start_share=start_share, previous=previous, rules=rules)


def read_case(path) -> Case:
    return case_from_sheets(read_workbook(path))


# ---------------------------------------------------------------------------------------------
# Building


@dataclass
class DirectModel:
    n_cols: int
    offsets: dict  # variable name -> (first column, count)
    rows: list  # (family name, first row, count)
    matrix: object  # scipy.sparse.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    objectives: dict  # stage name -> dense cost vector
    stages: list
    # index arrays for extraction
    cells: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    deterrence_rows: np.ndarray | None = None
    shares: np.ndarray | None = None

    def block(self, name):
        for block, start, count in self.rows:
            if block == name:
                return np.arange(start, start + count)
        return np.arange(0)

    def part(self, x, name):
        start, count = self.offsets.get(name, (0, 0))
        return x[start:start + count]


def stage_plan(settings) -> list:
    stages = ["shortfall_index"] if settings["allow_shortfall"] else []
    objective = settings["objective"]
    stages += {"min_cost": ["total_cost"], "min_max_burden": ["max_burden", "total_cost"],
               "min_deviation": ["deviation", "total_cost"]}[objective]
    if settings["tie_break"] == "previous_plan":
        stages.append("previous_plan")
    if settings["tie_break"] in ("fair_share", "previous_plan") and objective != "min_deviation":
        stages.append("deviation")
    return stages


def fair_shares(case: Case) -> np.ndarray:
    rule = case.settings["fair_share"]
    n_m, n_t = case.gdp.shape
    if rule == "gdp":
        return case.gdp / case.gdp.sum(axis=0, keepdims=True)
    if rule == "population":
        return np.repeat((case.population / case.population.sum())[:, None], n_t, axis=1)
    return np.full((n_m, n_t), 1.0 / n_m)


def build(case: Case) -> DirectModel:
    s = case.settings
    stages = stage_plan(s)
    n_m, n_c, n_g, n_t = len(case.members), len(case.capabilities), len(case.regions), \
        len(case.years)
    gamma = s["robustness"]

    # index sets: cells = allowed (member, region) x capability x year, in that order
    pairs = np.argwhere(case.allowed)
    n_pairs, block = len(pairs), n_c * n_t
    c_m = np.repeat(pairs[:, 0], block)
    c_g = np.repeat(pairs[:, 1], block)
    c_c = np.tile(np.repeat(np.arange(n_c), n_t), n_pairs)
    c_t = np.tile(np.arange(n_t), n_pairs * n_c)
    strength = case.rel[c_m] * case.quality[c_m, c_c]
    eff_f, eff_p = strength * case.ef[c_c], strength * case.ep[c_c]
    n_cells = len(c_m)

    # units = inventory pair x allowed region of its member x year
    per_member = case.allowed.sum(axis=1)
    first_pair = np.concatenate([[0], np.cumsum(per_member)[:-1]])
    counts = per_member[case.inv_member]
    which = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pair_of = first_pair[case.inv_member[which]] + within
    u_inv = np.repeat(which, n_t)
    u_m, u_g = np.repeat(pairs[pair_of, 0], n_t), np.repeat(pairs[pair_of, 1], n_t)
    u_t = np.tile(np.arange(n_t), len(pair_of))
    u_k = case.inv_kit[u_inv]
    u_c = case.k_cap[u_k]
    u_effect = case.rel[u_m] * case.quality[u_m, u_c] * case.k_effect[u_k]
    n_units = len(u_m)

    n_tg = len(case.target)
    n_my = n_m * n_t

    # columns, in the layout's order
    offsets, lower, upper = {}, [], []

    def var(name, count, lo, hi):
        offsets[name] = (sum(len(v) for v in lower), count)
        lower.append(np.broadcast_to(np.asarray(lo, float), (count,)))
        upper.append(np.broadcast_to(np.asarray(hi, float), (count,)))

    var("F", n_cells, 0.0, np.inf)
    var("P", n_cells, 0.0, np.inf)
    var("E", n_units, 0.0, case.inv_units[u_inv])
    if s["allow_shortfall"]:
        var("sigma", n_tg, 0.0, 1.0)  # the shortfall as a fraction of its target
    var("cost", n_my, case.lower.ravel(), case.upper.ravel())
    var("persons", n_my, 0.0, np.repeat(case.avail, n_t))
    var("total", n_t, 0.0, np.inf)

    def col(name, positions):
        return offsets[name][0] + np.asarray(positions, dtype=np.int64)

    # target lookup by (capability, region, year)
    tindex = np.full((n_c, n_g, n_t), -1, dtype=np.int64)
    tindex[case.t_cap, case.t_reg, case.t_year] = np.arange(n_tg)
    cell_target = tindex[c_c, c_g, c_t]
    unit_target = tindex[u_c, u_g, u_t]

    blocks = []  # (name, rows, cols, coefs, lower, upper) in row order

    def contrib(cell_row, unit_row):
        hc, hu = cell_row >= 0, unit_row >= 0
        ids_c, ids_u = np.nonzero(hc)[0], np.nonzero(hu)[0]
        rows = np.concatenate([cell_row[hc], cell_row[hc], unit_row[hu]])
        cols = np.concatenate([col("F", ids_c), col("P", ids_c), col("E", ids_u)])
        coefs = np.concatenate([eff_f[hc], eff_p[hc], u_effect[hu]])
        keep = coefs != 0
        return rows[keep], cols[keep], coefs[keep]

    d_rows, d_cols, d_coefs = contrib(cell_target, unit_target)
    parts = [(d_rows, d_cols, d_coefs)]
    if s["allow_shortfall"]:
        short = np.nonzero(case.target > 0)[0]
        parts.append((short, col("sigma", short), case.target[short]))
    if gamma > 0:
        # mu over (target, member allowed in its region), sorted by target then member name
        t_rep = np.repeat(np.arange(n_tg), case.allowed[:, case.t_reg].sum(axis=0))
        l_m = np.concatenate([np.nonzero(case.allowed[:, g])[0] for g in case.t_reg]) \
            if n_tg else np.zeros(0, np.int64)
        name_rank = np.argsort(np.argsort(np.array(case.members, dtype=object), kind="stable"),
                               kind="stable")
        order = np.lexsort((name_rank[l_m], t_rep))
        t_rep, l_m = t_rep[order], l_m[order]
        n_links = len(t_rep)
        var("lam", n_tg, 0.0, np.inf)
        var("mu", n_links, 0.0, np.inf)
        parts.append((np.arange(n_tg), col("lam", np.arange(n_tg)), np.full(n_tg, -gamma)))
        parts.append((t_rep, col("mu", np.arange(n_links)), -np.ones(n_links)))
        lindex = np.full((n_m, n_tg), -1, dtype=np.int64)
        lindex[l_m, t_rep] = np.arange(n_links)
        lc = np.where(cell_target >= 0, lindex[c_m, np.maximum(cell_target, 0)], -1)
        lu = np.where(unit_target >= 0, lindex[u_m, np.maximum(unit_target, 0)], -1)
        l_rows, l_cols, l_coefs = contrib(lc, lu)
        blocks.append(("robust_link",
                       np.concatenate([np.arange(n_links), np.arange(n_links), l_rows]),
                       np.concatenate([col("lam", t_rep), col("mu", np.arange(n_links)),
                                       l_cols]),
                       np.concatenate([np.ones(n_links), np.ones(n_links), -l_coefs]),
                       np.zeros(n_links), np.full(n_links, np.inf)))
    all_rows = np.concatenate([p[0] for p in parts])
    has_terms = np.zeros(n_tg, dtype=bool)
    has_terms[all_rows] = True
    renumber = np.cumsum(has_terms) - 1
    blocks.append(("deterrence", renumber[all_rows], np.concatenate([p[1] for p in parts]),
                   np.concatenate([p[2] for p in parts]), case.target[has_terms],
                   np.full(int(has_terms.sum()), np.inf)))

    own = np.arange(n_my)
    cell_my, unit_my = c_m * n_t + c_t, u_m * n_t + u_t
    zeros = np.zeros(n_my)
    blocks.append(("persons_definition", np.concatenate([own, cell_my, unit_my]),
                   np.concatenate([col("persons", own), col("P", np.arange(n_cells)),
                                   col("E", np.arange(n_units))]),
                   np.concatenate([np.ones(n_my), -np.ones(n_cells), -case.k_crew[u_k]]),
                   zeros, zeros))
    pcost = np.where(per_member > 0, case.pcost, 0.0)
    blocks.append(("cost_definition", np.concatenate([own, cell_my, own, unit_my]),
                   np.concatenate([col("cost", own), col("F", np.arange(n_cells)),
                                   col("persons", own), col("E", np.arange(n_units))]),
                   np.concatenate([np.ones(n_my), -np.ones(n_cells), -np.repeat(pcost, n_t),
                                   -case.k_ucost[u_k]]), zeros, zeros))
    my_year = np.tile(np.arange(n_t), n_m)
    blocks.append(("total_definition", np.concatenate([np.arange(n_t), my_year]),
                   np.concatenate([col("total", np.arange(n_t)), col("cost", own)]),
                   np.concatenate([np.ones(n_t), -np.ones(n_my)]), np.zeros(n_t),
                   np.zeros(n_t)))
    n_inv = len(case.inv_units)
    e_rows = u_inv * n_t + u_t  # (inventory pair, year); pairs without regions have no rows
    held = np.zeros(n_inv * n_t, dtype=bool)
    held[e_rows] = True
    e_renumber = np.cumsum(held) - 1
    blocks.append(("equipment_inventory", e_renumber[e_rows], col("E", np.arange(n_units)),
                   np.ones(n_units), np.full(int(held.sum()), -np.inf),
                   np.repeat(case.inv_units, n_t)[held]))

    share = fair_shares(case).ravel()
    total_col = col("total", my_year)
    tau = s["fairness_tolerance"]
    if tau is not None:
        rows2 = np.concatenate([own, own])
        cols2 = np.concatenate([col("cost", own), total_col])
        blocks.append(("fairness_lower", rows2, cols2,
                       np.concatenate([np.ones(n_my), -(1 - tau) * share]),
                       np.zeros(n_my), np.full(n_my, np.inf)))
        blocks.append(("fairness_upper", rows2, cols2,
                       np.concatenate([np.ones(n_my), -(1 + tau) * share]),
                       np.full(n_my, -np.inf), np.zeros(n_my)))
    rho = s["max_growth"]
    if rho is not None:
        later = np.nonzero(my_year > 0)[0]
        earlier = later - 1
        years = np.asarray(case.years)
        growth = (1.0 + rho) ** (years[my_year[later]] - years[my_year[earlier]])
        n_r = len(later)
        blocks.append(("ramp", np.concatenate([np.arange(n_r), np.arange(n_r)]),
                       np.concatenate([col("cost", later), col("cost", earlier)]),
                       np.concatenate([np.ones(n_r), -growth]), np.full(n_r, -np.inf),
                       np.zeros(n_r)))
        first = np.nonzero((my_year == 0) & ~np.isnan(np.repeat(case.baseline, n_t)))[0]
        blocks.append(("ramp_baseline", np.arange(len(first)), col("cost", first),
                       np.ones(len(first)), np.full(len(first), -np.inf),
                       (1.0 + rho) * np.repeat(case.baseline, n_t)[first]))

    _lever_blocks(case, blocks, var, col, own, n_my, n_t, dict(
        m=c_m, g=c_g, c=c_c, t=c_t, eff_f=eff_f, eff_p=eff_p, pcost=pcost[c_m]), dict(
        m=u_m, g=u_g, c=u_c, t=u_t, effect=u_effect, crew=case.k_crew[u_k],
        cost=case.k_ucost[u_k] + case.k_crew[u_k] * pcost[u_m]), "previous_plan" in stages)

    objectives = {}
    if "max_burden" in stages:
        var("Z", 1, 0.0, np.inf)
        blocks.append(("max_burden_definition", np.concatenate([own, own]),
                       np.concatenate([col("cost", own), col("Z", np.zeros(n_my, int))]),
                       np.concatenate([np.ones(n_my), -case.gdp.ravel()]),
                       np.full(n_my, -np.inf), np.zeros(n_my)))
    if "deviation" in stages:
        var("dev", n_my, 0.0, np.inf)
        rows3 = np.concatenate([own, own, own])
        cols3 = np.concatenate([col("dev", own), col("cost", own), total_col])
        blocks.append(("deviation_above", rows3, cols3,
                       np.concatenate([np.ones(n_my), -np.ones(n_my), share]),
                       np.zeros(n_my), np.full(n_my, np.inf)))
        blocks.append(("deviation_below", rows3, cols3,
                       np.concatenate([np.ones(n_my), np.ones(n_my), -share]),
                       np.zeros(n_my), np.full(n_my, np.inf)))
    n = sum(len(v) for v in lower)
    if "shortfall_index" in stages:
        c = np.zeros(n)
        c[col("sigma", np.arange(n_tg))] = np.where(case.target > 0, case.priority, 0.0)
        objectives["shortfall_index"] = c
    c = np.zeros(n)
    c[col("total", np.arange(n_t))] = 1.0
    objectives["total_cost"] = c
    if "max_burden" in stages:
        c = np.zeros(n)
        c[col("Z", [0])] = 1.0
        objectives["max_burden"] = c
    if "deviation" in stages:
        c = np.zeros(n)
        c[col("dev", own)] = 1.0
        objectives["deviation"] = c
    if "previous_plan" in stages:
        c = np.zeros(n)
        c[col("chg", np.arange(offsets["chg"][1]))] = 1.0
        objectives["previous_plan"] = c

    return _assemble(blocks, offsets, lower, upper, objectives, stages, case, dict(
        m=c_m, g=c_g, c=c_c, t=c_t, eff_f=eff_f, eff_p=eff_p), dict(
        m=u_m, g=u_g, c=u_c, t=u_t, k=u_k, effect=u_effect),
        np.nonzero(has_terms)[0], share, n)


def _measure(measure, cells, units, chosen_cells, chosen_units, col):
    """(element, column, coefficient) of one measure of docs/model.md's per-cell quantities
    over the chosen cells, then the chosen units (element: its position in that order)."""
    k = len(chosen_cells)
    parts = []
    cell_terms = {"funding": [("F", 1.0)], "personnel": [("P", 1.0)], "units": [],
                  "deterrence": [("F", cells["eff_f"]), ("P", cells["eff_p"])],
                  "cost": [("F", 1.0), ("P", cells["pcost"])]}[measure]
    unit_terms = {"funding": None, "personnel": units["crew"], "units": 1.0,
                  "deterrence": units["effect"], "cost": units["cost"]}[measure]
    for name, coefficient in cell_terms:
        values = np.broadcast_to(np.asarray(coefficient, float), cells["m"].shape)
        parts.append((np.arange(k), col(name, chosen_cells), values[chosen_cells]))
    if unit_terms is not None and len(chosen_units):
        values = np.broadcast_to(np.asarray(unit_terms, float), units["m"].shape)
        parts.append((k + np.arange(len(chosen_units)), col("E", chosen_units),
                      values[chosen_units]))
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0)
    return tuple(np.concatenate(p) for p in zip(*parts))


def _lever_blocks(case, blocks, var, col, own, n_my, n_t, cells, units, previous_plan):
    """Rows of docs/model.md sections 7-9: core floor, related cap, the path, the rules,
    max_change and the previous-plan tie-break's change rows (columns `chg`)."""
    s = case.settings
    if case.related is None:
        return
    gdp = case.gdp.ravel()
    cell_my, unit_my = cells["m"] * n_t + cells["t"], units["m"] * n_t + units["t"]
    all_cells, all_units = np.arange(len(cells["m"])), np.arange(len(units["m"]))

    def category(related, rows_kept, name, lower, upper):
        chosen_cells = all_cells[case.related[cells["c"]] == related]
        chosen_units = all_units[case.related[units["c"]] == related] if len(units["c"]) \
            else all_units
        element, column, coefficient = _measure("cost", cells, units, chosen_cells,
                                                chosen_units, col)
        owner = np.concatenate([cell_my[chosen_cells], unit_my[chosen_units]])[element]
        row_of = np.full(n_my, -1)
        row_of[rows_kept] = np.arange(len(rows_kept))
        keep = row_of[owner] >= 0
        blocks.append((name, row_of[owner][keep], column[keep], coefficient[keep],
                       lower, upper))

    core_floor = case.core_floor.ravel() * gdp
    on = np.nonzero(core_floor > 0)[0]
    if len(on):
        category(False, on, "core_floor", core_floor[on], np.full(len(on), np.inf))
    related_cap = case.related_cap.ravel()
    on = np.nonzero(np.isfinite(related_cap))[0]
    if len(on):
        category(True, on, "related_cap", np.full(len(on), -np.inf), related_cap[on] * gdp[on])
    if s["path_year"] is not None:
        before = case.years[0] - 1
        progress = np.minimum(1.0, (np.array(case.years) - before) / (s["path_year"] - before))
        b = case.start_share[:, None]
        for key, name, related in (("path_total_share", "path_total", None),
                                   ("path_core_share", "path_core", False)):
            goal = s[key]
            if goal is None:
                continue
            share = np.where(b >= goal, goal, b + (goal - b) * progress[None, :]).ravel()
            on = np.nonzero(share > 0)[0]
            if related is None:
                blocks.append((name, np.arange(len(on)), col("cost", on), np.ones(len(on)),
                               share[on] * gdp[on], np.full(len(on), np.inf)))
            else:
                category(related, on, name, share[on] * gdp[on], np.full(len(on), np.inf))
    codes = {"cells": {"member": cells["m"], "capability": cells["c"], "region": cells["g"],
                       "year": cells["t"]},
             "units": {"member": units["m"], "capability": units["c"], "region": units["g"],
                       "year": units["t"]}}

    def passing(rule, frame, dimensions):
        size = len(codes[frame]["member"])
        ok = np.ones(size, dtype=bool)
        for d in dimensions:
            if rule[d] is not None:
                ok &= np.isin(codes[frame][d], sorted(rule[d]))
        return np.nonzero(ok)[0]

    dims = ("member", "capability", "region", "year")
    for rule in case.rules:
        a_cells, a_units = passing(rule, "cells", dims), passing(rule, "units", dims)
        if not len(a_cells):
            raise NotImplementedError(f"direct_highs: rule {rule['name']} selects nothing")

        def key(frame, at, rule=rule):
            return list(zip(*(codes[frame][d][at].tolist() for d in rule["per"]))) \
                if rule["per"] else [()] * len(at)

        groups = {}
        for k in key("cells", a_cells):
            groups.setdefault(k, len(groups))
        if np.isnan(rule["share"]):
            b_cells, b_units, bound = a_cells, a_units, rule["value"]
            weight = np.ones(len(a_cells) + len(a_units))
        else:
            b_cells, b_units = passing(rule, "cells", ("year",)), passing(rule, "units",
                                                                          ("year",))
            weight = np.concatenate([np.isin(b_cells, a_cells), np.isin(b_units, a_units)]) \
                - rule["share"]
            bound = 0.0
        element, column, coefficient = _measure(rule["measure"], cells, units, b_cells,
                                                b_units, col)
        group = np.array([groups.get(k, -1) for k in key("cells", b_cells) +
                          key("units", b_units)], dtype=np.int64)
        row = group[element] if len(element) else element
        keep = row >= 0
        n = len(groups)
        lower = np.full(n, bound if rule["sense"] in (">=", "=") else -np.inf)
        upper = np.full(n, bound if rule["sense"] in ("<=", "=") else np.inf)
        blocks.append(("rules", row[keep], column[keep],
                       (coefficient * weight[element])[keep], lower, upper))
    previous = case.previous.ravel()
    covered = np.nonzero(np.isfinite(previous))[0]
    if s["max_change"] is not None and len(covered):
        delta = s["max_change"]
        blocks.append(("max_change", np.arange(len(covered)), col("cost", covered),
                       np.ones(len(covered)), (1 - delta) * previous[covered],
                       (1 + delta) * previous[covered]))
    if previous_plan:
        n = len(covered)
        var("chg", n, 0.0, np.inf)
        rows = np.concatenate([np.arange(n), np.arange(n)])
        columns = np.concatenate([col("chg", np.arange(n)), col("cost", covered)])
        blocks.append(("change_above", rows, columns,
                       np.concatenate([np.ones(n), -np.ones(n)]), -previous[covered],
                       np.full(n, np.inf)))
        blocks.append(("change_below", rows, columns, np.ones(2 * n), previous[covered],
                       np.full(n, np.inf)))


def _assemble(blocks, offsets, lower, upper, objectives, stages, case, cells, units,
              deterrence_rows, share, n):
    import scipy.sparse as sp

    rows, cols, coefs, row_lower, row_upper, spans = [], [], [], [], [], []
    start = 0
    for name, r, c, v, lo, hi in blocks:
        rows.append(np.asarray(r, np.int64) + start)
        cols.append(c)
        coefs.append(v)
        row_lower.append(lo)
        row_upper.append(hi)
        spans.append((name, start, len(lo)))
        start += len(lo)
    rows, cols, coefs = np.concatenate(rows), np.concatenate(cols), np.concatenate(coefs)
    keep = coefs != 0
    matrix = sp.csc_array((coefs[keep], (rows[keep], cols[keep])), shape=(start, n))
    integer = np.zeros(n, dtype=bool)
    e0, ne = offsets["E"]
    integer[e0:e0 + ne] = case.k_integer[units["k"]]
    return DirectModel(n_cols=n, offsets=offsets, rows=spans, matrix=matrix,
                       row_lower=np.concatenate(row_lower).astype(float),
                       row_upper=np.concatenate(row_upper).astype(float),
                       col_lower=np.concatenate(lower), col_upper=np.concatenate(upper),
                       integer=integer, objectives=objectives, stages=stages, cells=cells,
                       units=units, deterrence_rows=deterrence_rows, shares=share)


# ---------------------------------------------------------------------------------------------
# Solving


def new_highs():
    """A silent HiGHS instance (the banner goes to fd 1 on the first instance, as in burden)."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


def transfer(model: DirectModel, mip_gap: float = 1e-6):
    """A HiGHS instance holding the model (the same options as burden's session)."""
    import highspy

    h = new_highs()
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 0.0)
    if model.integer.any():
        h.setOptionValue("presolve_rule_off", MIP_PRESOLVE_RULES_OFF)
    lp = highspy.HighsLp()
    n_rows, n_cols = model.matrix.shape
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_ = np.zeros(n_cols)
    lp.col_lower_, lp.col_upper_ = model.col_lower, model.col_upper
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = model.matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = model.matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = model.matrix.data.astype(float)
    if model.integer.any():
        lp.integrality_ = np.where(model.integer, highspy.HighsVarType.kInteger,
                                   highspy.HighsVarType.kContinuous).tolist()
    h.passModel(lp)
    return h


def minimise(h, costs, seconds_left):
    import highspy

    n = len(costs)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
    h.setOptionValue("time_limit", float(seconds_left) if seconds_left else highspy.kHighsInf)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        h.setOptionValue("presolve", "off")
        h.run()
        h.setOptionValue("presolve", "choose")
        status = h.getModelStatus()
    has_x = h.getInfo().primal_solution_status == 2
    x = np.asarray(h.getSolution().col_value) if has_x else None
    name = {highspy.HighsModelStatus.kOptimal: "optimal",
            highspy.HighsModelStatus.kInfeasible: "infeasible",
            highspy.HighsModelStatus.kTimeLimit: "time_limit"}.get(status, "error")
    return name, (float(costs @ x) if has_x else None), x


def keep(h, costs, value):
    import highspy

    index = np.nonzero(costs)[0]
    bound = value * (1 + STAGE_RELATIVE) + STAGE_ABSOLUTE if value >= 0 else \
        value * (1 - STAGE_RELATIVE) + STAGE_ABSOLUTE
    h.addRow(-highspy.kHighsInf, bound, len(index), index.astype(np.int32), costs[index])


def row_duals(h, model: DirectModel, x):
    """Duals of the model's rows; for a MIP, of the LP with the integers fixed at `x`."""
    import highspy

    n_rows = model.matrix.shape[0]
    if not model.integer.any():
        solution = h.getSolution()
        return np.asarray(solution.row_dual)[:n_rows] if solution.dual_valid else None
    fixed = np.nonzero(model.integer)[0].astype(np.int32)
    values = np.round(x[fixed])
    h.changeColsIntegrality(len(fixed), fixed,
                            np.full(len(fixed), highspy.HighsVarType.kContinuous))
    h.changeColsBounds(len(fixed), fixed, values, values)
    h.setOptionValue("time_limit", highspy.kHighsInf)
    h.run()
    duals = np.asarray(h.getSolution().row_dual)[:n_rows] \
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None
    h.changeColsBounds(len(fixed), fixed, model.col_lower[fixed], model.col_upper[fixed])
    h.changeColsIntegrality(len(fixed), fixed,
                            np.full(len(fixed), highspy.HighsVarType.kInteger))
    return duals


def solver_work(h) -> str:
    """What HiGHS did in its last run: simplex iterations, and branch-and-bound nodes of a MIP
    (equal work on equal models shows that time differences are the machine's, not the
    model's)."""
    info = h.getInfo()
    nodes = f", {info.mip_node_count} nodes" if info.mip_node_count > 0 else ""
    return f"{info.simplex_iteration_count} it{nodes}"


def solve_stages(h, model: DirectModel, time_limit=None, started=None, timings=None):
    """The lexicographic stages on `h`; returns (stages [(name, value, status, work)], x,
    duals)."""
    started = time.perf_counter() if started is None else started
    timings = Timings() if timings is None else timings
    stages, x, duals = [], None, None
    for number, name in enumerate(model.stages, start=1):
        costs = model.objectives[name]
        left = None if time_limit is None else \
            max(time_limit - (time.perf_counter() - started), 1e-3)
        with timings.step(f"stage{number}"):
            status, value, sol = minimise(h, costs, left)
        stages.append((name, value, status, solver_work(h)))
        if sol is None:
            break
        x = sol
        if name == "total_cost":
            with timings.step("duals"):
                duals = row_duals(h, model, x)
        if status != "optimal":
            break
        if number < len(model.stages):
            keep(h, costs, value)
    return stages, x, duals


# ---------------------------------------------------------------------------------------------
# Extraction and a minimal report


def extract(case: Case, model: DirectModel, x, duals):
    """Plain tables: members (member, year, gdp, cost, burden), allocation (nonzero funding,
    personnel, equipment), deterrence (target, achieved, shortfall, marginal cost)."""
    n_t = len(case.years)
    cost = np.maximum(model.part(x, "cost"), 0.0)
    members = [(case.members[i // n_t], case.years[i % n_t], float(case.gdp.flat[i]),
                float(cost[i]), float(cost[i] / case.gdp.flat[i])) for i in range(len(cost))]
    cells, units = model.cells, model.units
    allocation = []
    achieved = np.zeros(len(case.target))
    tindex = np.full((len(case.capabilities), len(case.regions), n_t), -1, dtype=np.int64)
    tindex[case.t_cap, case.t_reg, case.t_year] = np.arange(len(case.target))
    for resource, qty, frame, effect, unit_cost in (
            ("funding", model.part(x, "F"), cells, cells["eff_f"], 1.0),
            ("personnel", model.part(x, "P"), cells, cells["eff_p"], case.pcost[cells["m"]]),
            ("equipment", model.part(x, "E"), units, units["effect"],
             case.k_ucost[units["k"]] + case.k_crew[units["k"]] * case.pcost[units["m"]])):
        hit = np.nonzero(qty > NONZERO)[0]
        q = qty[hit]
        deterrence = q * np.asarray(effect)[hit]
        money = q * (np.asarray(unit_cost)[hit] if np.ndim(unit_cost) else unit_cost)
        rows = tindex[frame["c"][hit], frame["g"][hit], frame["t"][hit]]
        np.add.at(achieved, rows[rows >= 0], deterrence[rows >= 0])
        item = [case.equipment[k] for k in frame["k"][hit]] if resource == "equipment" else \
            [""] * len(hit)
        allocation += list(zip([case.members[m] for m in frame["m"][hit]],
                               [case.years[t] for t in frame["t"][hit]],
                               [case.regions[g] for g in frame["g"][hit]],
                               [case.capabilities[c] for c in frame["c"][hit]],
                               [resource] * len(hit), item, q.tolist(), money.tolist(),
                               deterrence.tolist()))
    marginal = np.full(len(case.target), np.nan)
    if duals is not None:
        marginal[model.deterrence_rows] = duals[model.block("deterrence")]
    short = np.maximum(case.target - achieved, 0.0)
    deterrence = list(zip([case.capabilities[c] for c in case.t_cap],
                          [case.regions[g] for g in case.t_reg],
                          [case.years[t] for t in case.t_year], case.target.tolist(),
                          achieved.tolist(), short.tolist(), marginal.tolist()))
    return members, allocation, deterrence


def write_minimal(path, summary: dict, members, allocation, deterrence) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in (
            ("summary", ["key", "value"], list(summary.items())),
            ("members", ["member", "year", "gdp", "cost", "burden"], members),
            ("allocation", ["member", "year", "region", "capability", "resource", "item",
                            "quantity", "cost", "deterrence"], allocation),
            ("deterrence", ["capability", "region", "year", "target", "achieved", "shortfall",
                            "marginal_cost"], deterrence)):
        ws = book.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append([None if isinstance(v, float) and not math.isfinite(v) else v
                       for v in row])
    tmp = f"{path}.tmp"
    book.save(tmp)
    os.replace(tmp, path)


def run(path, out=None, timings=None) -> dict:
    """Read, build, transfer, solve, extract and (if `out`) write; return the stage values."""
    timings = Timings() if timings is None else timings
    with timings.step("read"):
        case = read_case(path)
    started = time.perf_counter()
    with timings.step("build"):
        model = build(case)
    with timings.step("transfer"):
        h = transfer(model, case.settings["mip_gap"])
    stages, x, duals = solve_stages(h, model, case.settings["time_limit"], started, timings)
    with timings.step("extract"):
        tables = extract(case, model, x, duals) if x is not None else ([], [], [])
    summary = {f"stage {i} {s[0]}": s[1] for i, s in enumerate(stages, 1)}
    summary["status"] = stages[-1][2] if stages else "error"
    if out:
        with timings.step("report"):
            write_minimal(out, summary, *tables)
    n_rows, n_cols = model.matrix.shape
    return {"stages": stages, "variables": n_cols, "rows": n_rows,
            "nonzeros": int(model.matrix.nnz), "timings": dict(timings), "cpu": timings.cpu}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Solve a case with the direct highspy build.")
    parser.add_argument("case")
    parser.add_argument("-o", "--output", help="minimal report (.xlsx)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.case, args.output)
    if args.json:
        print(json.dumps(result))
    else:
        for name, value, status, work in result["stages"]:
            print(f"{name}: {value!r} ({status}; {work})")


if __name__ == "__main__":
    main()
