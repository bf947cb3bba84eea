"""The Pyomo model `build_model(inputs)` a Pyomo user reads, checked on every shipped and
reference workbook against docs/model.md computed here straight from the inputs: its sets are
the present members, capabilities, regions, years and equipment types; its variables are
indexed by label tuples over the sparse sets (cells, units, targets, member-years) with the
bounds the commitments, personnel and inventory give and integer domains exactly where the
equipment is integer; its constraints are the formulation's row blocks with the matrix route's
sizes; its one active objective is the first stage, which another solver (GLPK, through Pyomo
alone) solves to the stage-1 optimum burden and the reference give. (That the model compiles
to the matrix route's matrices is tests/test_formulation.py's.)"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from models import build_model, formulate
from optimizer import read_inputs, solve
from optimizer.highs_adapter import assemble

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
EXPECTED = json.loads((REFERENCE / "expected.json").read_text())
CASES = sorted(REFERENCE.glob("*.xlsx")) + sorted((ROOT / "inputs").glob("*.xlsx"))
#: solved by GLPK: LPs with and without shortfall, ramp, robustness, a MIP, an infeasible one
GLPK_CASES = ["tiny.xlsx", "small_5001.xlsx", "small_5004.xlsx", "small_5005.xlsx",
              "small_5009.xlsx", "infeasible_5204.xlsx"]
OBJECTIVE_STAGE = {"min_cost": "total_cost", "min_max_burden": "max_burden",
                   "min_deviation": "deviation"}


@dataclasses.dataclass
class Case:
    name: str
    inputs: object
    model: object


@pytest.fixture(scope="module", params=CASES, ids=lambda path: path.name)
def case(request):
    inputs = read_inputs(request.param)
    return Case(request.param.name, inputs, build_model(inputs))


# -- docs/model.md, from the inputs ---------------------------------------------------------

def present(inputs) -> list[str]:
    return [m for m, absent in inputs.members["absent"].items() if not absent]


def regions(inputs) -> list[str]:
    return list(dict.fromkeys(inputs.targets["region"].tolist()))


def years(inputs) -> list[int]:
    return sorted({int(t) for t in inputs.targets["year"]})


def denied(inputs) -> set:
    """The (member, region) pairs access rules out (unlisted pairs are allowed)."""
    access = inputs.access
    return {(m, g) for m, g, ok in access[["member", "region", "allowed"]].itertuples(
        index=False) if not ok}


def inventory(inputs) -> dict:
    """inv[m,k] > 0 of present members."""
    held = {}
    members = set(present(inputs))
    for member, kind, units in inputs.inventory[["member", "equipment", "units"]].itertuples(
            index=False):
        if member in members and units > 0:
            held[member, kind] = held.get((member, kind), 0.0) + float(units)
    return held


def stages(settings) -> list[str]:
    plan = ["shortfall_index"] if settings.allow_shortfall else []
    plan += {"min_cost": ["total_cost"], "min_max_burden": ["max_burden", "total_cost"],
             "min_deviation": ["deviation", "total_cost"]}[settings.objective]
    if settings.tie_break == "previous_plan":
        plan.append("previous_plan")
    if settings.tie_break in ("fair_share", "previous_plan") and \
            settings.objective != "min_deviation":
        plan.append("deviation")
    return plan


def previous_years(inputs) -> list[tuple]:
    """The present members' (member, year) pairs the previous plan covers."""
    if inputs.previous is None or inputs.previous.empty:
        return []
    known = set(zip(inputs.previous["member"], inputs.previous["year"]))
    return [key for key in member_years(inputs) if key in known]


def lever_blocks(inputs) -> set[str]:
    """The row blocks of docs/model.md sections 7-9 the case's inputs call for."""
    settings, my = inputs.settings, inputs.member_years
    present_years = my[my.index.get_level_values("member").isin(present(inputs))]
    blocks = set()
    if inputs.rules is not None and not inputs.rules.empty:
        blocks.add("rules")
    if (present_years["core_floor_share"] > 0).any():
        blocks.add("core_floor")
    if present_years["related_cap_share"].notna().any():
        blocks.add("related_cap")
    if settings.path_year is not None:
        blocks |= {name for name, share in (("path_total", settings.path_total_share),
                                            ("path_core", settings.path_core_share))
                   if share is not None and share > 0}
    if previous_years(inputs):
        if settings.max_change is not None:
            blocks.add("max_change")
        if settings.tie_break == "previous_plan":
            blocks |= {"change_above", "change_below"}
    return blocks


def cells(inputs) -> list[tuple]:
    out, years_ = denied(inputs), years(inputs)
    return [(m, c, g, t) for m in present(inputs) for c in inputs.capabilities.index
            for g in regions(inputs) if (m, g) not in out for t in years_]


def units(inputs) -> list[tuple]:
    out, years_ = denied(inputs), years(inputs)
    return [(m, k, g, t) for (m, k) in inventory(inputs) for g in regions(inputs)
            if (m, g) not in out for t in years_]


def targets(inputs) -> list[tuple]:
    return [(c, g, int(t)) for c, g, t in
            inputs.targets[["capability", "region", "year"]].itertuples(index=False)]


def member_years(inputs) -> list[tuple]:
    return [(m, t) for m in present(inputs) for t in years(inputs)]


def bound(value):
    """A Pyomo bound for a number: None for NaN or infinity."""
    return None if value is None or not math.isfinite(value) else float(value)


# -- sets and variables ---------------------------------------------------------------------

def test_sets_are_the_present_members_capabilities_regions_years_and_equipment(case):
    m, inputs = case.model, case.inputs
    assert list(m.M) == present(inputs)
    assert list(m.C) == inputs.capabilities.index.tolist()
    assert list(m.G) == regions(inputs)
    assert list(m.T) == years(inputs)
    assert list(m.K) == inputs.equipment.index.tolist()


def test_variables_exist_where_the_settings_need_them_indexed_by_labels(case):
    import pyomo.environ as pyo

    m, inputs, settings = case.model, case.inputs, case.inputs.settings
    plan = stages(settings)
    expected = {"F": cells(inputs), "P": cells(inputs), "E": units(inputs),
                "cost": member_years(inputs), "persons": member_years(inputs),
                "total": years(inputs)}
    if settings.allow_shortfall:
        expected["sigma"] = targets(inputs)
    if settings.robustness > 0:
        expected["lam"] = targets(inputs)
        out = denied(inputs)
        expected["mu"] = [(member, c, g, t) for c, g, t in targets(inputs)
                          for member in sorted(present(inputs)) if (member, g) not in out]
    if "deviation" in plan:
        expected["dev"] = member_years(inputs)
    if "previous_plan" in plan:
        expected["change"] = previous_years(inputs)
    names = {v.local_name for v in m.component_objects(pyo.Var)}
    assert names == set(expected) | ({"Z"} if "max_burden" in plan else set())
    for name, keys in expected.items():
        variable = getattr(m, name)
        assert sorted(variable.keys()) == sorted(keys), name
        assert len(set(keys)) == len(keys), name
    if "max_burden" in plan:
        assert not m.Z.is_indexed() and m.Z.lb == 0 and m.Z.ub is None


def test_one_known_member_year_is_a_label_key(case):
    inputs = case.inputs
    rows = inputs.member_years.reset_index()
    row = rows[rows["member"].isin(present(inputs))].iloc[0]
    member, year = row["member"], int(row["year"])
    cost = case.model.cost[member, year]
    assert cost.lb == max(row["floor_share"] * row["gdp"], row["pledge"])
    assert cost.ub == bound(row["cap_share"] * row["gdp"])
    assert case.model.persons[member, year].ub == \
        np.nan_to_num(inputs.members.loc[member, "personnel_available"])


def test_bounds_are_the_commitments_personnel_limit_and_inventory(case):
    import pyomo.environ as pyo

    m, inputs = case.model, case.inputs
    resolved = inputs.member_years
    for member, year in member_years(inputs):
        row = resolved.loc[(member, year)]
        lower = max(row["floor_share"] * row["gdp"], row["pledge"])
        upper = bound(row["cap_share"] * row["gdp"])
        cost = m.cost[member, year]
        assert cost.lb == pytest.approx(lower, rel=1e-15), (member, year)
        assert (cost.ub is None) == (upper is None), (member, year)
        if upper is not None:
            assert cost.ub == pytest.approx(upper, rel=1e-15), (member, year)
        avail = inputs.members.loc[member, "personnel_available"]
        assert m.persons[member, year].lb == 0
        assert m.persons[member, year].ub == (0.0 if np.isnan(avail) else avail)
    held = inventory(inputs)
    for key in m.E:
        member, kind = key[0], key[1]
        assert m.E[key].lb == 0 and m.E[key].ub == held[member, kind], key
        integer = bool(inputs.equipment.loc[kind, "integer"])
        assert (m.E[key].domain is pyo.Integers) == integer, key
        assert m.E[key].is_integer() == integer, key
    for name in ("F", "P", "total", "lam", "mu", "dev"):
        for v in getattr(m, name, {}).values() if hasattr(m, name) else ():
            assert v.lb == 0 and v.ub is None and v.domain is pyo.Reals, v.name
    for v in (m.sigma.values() if hasattr(m, "sigma") else ()):
        assert (v.lb, v.ub) == (0, 1), v.name
    continuous = [v for v in m.component_data_objects(pyo.Var) if v.parent_component() is not m.E]
    assert not any(v.is_integer() for v in continuous)


# -- constraints and objectives --------------------------------------------------------------

def test_constraints_are_the_blocks_with_the_matrix_route_sizes(case):
    import pyomo.environ as pyo

    m, inputs, settings = case.model, case.inputs, case.inputs.settings
    plan = stages(settings)
    expected = {"deterrence", "cost_definition", "persons_definition", "total_definition",
                "equipment_inventory"}
    expected |= {"robust_link"} if settings.robustness > 0 else set()
    expected |= {"fairness_lower", "fairness_upper"} if settings.fairness_tolerance else set()
    expected |= {"ramp", "ramp_baseline"} if settings.max_growth is not None else set()
    expected |= {"max_burden_definition"} if "max_burden" in plan else set()
    expected |= {"deviation_above", "deviation_below"} if "deviation" in plan else set()
    expected |= lever_blocks(inputs)
    components = [c.local_name for c in m.component_objects(pyo.Constraint)]
    assert components == list(m.formulation.blocks)
    assert set(components) == expected
    sizes = {name: count for name, _, count in assemble(formulate(inputs)).blocks}
    for name in components:
        assert len(getattr(m, name)) == sizes[name], name
    n_my, n_t = len(member_years(inputs)), len(years(inputs))
    assert sizes["cost_definition"] == sizes["persons_definition"] == n_my
    assert sizes["total_definition"] == n_t
    assert sizes["equipment_inventory"] == len({(u[0], u[1], u[3]) for u in units(inputs)})
    if "ramp" in expected:
        assert sizes["ramp"] == len(present(inputs)) * (n_t - 1)
    # labels as keys: each deterrence row holds its target as its lower bound
    target = dict(zip(targets(inputs), inputs.targets["target"].tolist()))
    assert set(m.deterrence.keys()) <= set(target)
    for key, row in m.deterrence.items():
        assert row.lb == target[key] and row.ub is None, key
    assert set(m.cost_definition.keys()) == set(member_years(inputs))
    assert all(row.lb == row.ub == 0 for row in m.cost_definition.values())


def test_the_first_stage_is_the_one_active_objective(case):
    import pyomo.environ as pyo

    m, settings = case.model, case.inputs.settings
    plan = stages(settings)
    assert plan[0] == ("shortfall_index" if settings.allow_shortfall
                       else OBJECTIVE_STAGE[settings.objective])
    assert {o.local_name for o in m.component_objects(pyo.Objective)} == set(plan)
    active = [o.local_name for o in m.component_data_objects(pyo.Objective, active=True)]
    assert active == [plan[0]]


# -- another solver on the model as it is ----------------------------------------------------

def _close(actual, expected, relative):
    if expected == 0:
        return abs(actual) <= 1e-7
    return abs(actual - expected) <= relative * abs(expected)


@pytest.mark.skipif(shutil.which("glpsol") is None, reason="glpsol is not installed")
@pytest.mark.parametrize("name", GLPK_CASES)
def test_glpk_on_the_model_gives_stage_one(name):
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition

    path = REFERENCE / name if (REFERENCE / name).exists() else ROOT / "inputs" / name
    inputs = read_inputs(path)
    expected = EXPECTED.get(name)
    relative = 1e-6
    if inputs.equipment["integer"].any():
        inputs = dataclasses.replace(
            inputs, settings=dataclasses.replace(inputs.settings, mip_gap=1e-7))
        relative = 1e-5
    model = build_model(inputs)
    results = pyo.SolverFactory("glpk").solve(model, load_solutions=False)
    condition = results.solver.termination_condition
    ours = solve(inputs)
    if ours.status == "infeasible":
        assert condition == TerminationCondition.infeasible
        assert expected is None or expected["status"] == "infeasible"
        return
    assert condition == TerminationCondition.optimal
    model.solutions.load_from(results)
    active = next(model.component_data_objects(pyo.Objective, active=True))
    value = pyo.value(active)
    first = ours.stages.iloc[0]
    assert first["name"] == active.local_name
    assert _close(value, first["value"], relative), (value, first["value"])
    if expected is not None:
        key = "shortfall_index" if inputs.settings.allow_shortfall else "objective_value"
        assert _close(value, expected[key], relative), (value, expected[key])


def test_a_target_no_one_can_reach_is_named_by_the_model_not_a_row(workbook):
    """Such a target has no term at all: it is no row of the model (a constant row), the
    formulation lists it, and `solve` reports the case infeasible, naming it, before any
    solver runs (docs/pyomo.md)."""
    from conftest import good_sheets, set_cell

    sheets = good_sheets()
    set_cell(sheets, "settings", 4, "value", False)  # allow_shortfall
    sheets["access"] = [["member", "region", "allowed"], ["Alpha", "north", False],
                        ["Beta", "north", False], ["Gamma", "north", False]]
    inputs = read_inputs(workbook(sheets))
    model = build_model(inputs)
    unreachable = model.formulation.unreachable["deterrence"]
    north = inputs.targets[inputs.targets["region"] == "north"]
    assert len(unreachable) == len(north[north["target"] > 0]) > 0
    assert set(unreachable["region"]) == {"north"}
    for _, t in unreachable.iterrows():
        assert (t["capability"], t["region"], t["year"]) not in model.deterrence
    result = solve(inputs, model=model)
    assert result.status == "infeasible"
    assert all("north" in sentence for sentence in result.conflicts)
