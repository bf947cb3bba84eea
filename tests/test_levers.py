"""The planners' levers from the workbook's side (docs/workbook.md, docs/model.md sections
7-9): every bad `rules`, `previous` and path input is a located problem; overrides of a
rule's value or share; `--previous` reading last year's report; the levers' report sheets
read back; the Pyomo model carries them and a second solver agrees; sweeps, the frontier
and Shapley run with them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import good_sheets, write_workbook

from optimizer import InputError, read_inputs, solve, write_report
from optimizer.headers import read_sheet

BURDEN = Path(sys.executable).with_name("burden")

RULES_HEADER = ["rule", "measure", "member", "capability", "region", "year", "per", "sense",
                "value", "share"]


def with_rules(*rows, sheets=None):
    sheets = sheets or good_sheets()
    sheets["rules"] = [RULES_HEADER, *[list(r) for r in rows]]
    return sheets


def problems(path, **read) -> list:
    with pytest.raises(InputError) as caught:
        read_inputs(path, **read)
    return caught.value.problems


def where(problem) -> tuple:
    return (problem.sheet, problem.row, problem.column)


GOOD_RULE = ["east_land", "funding", None, "land", "east", None, "year", ">=", None, 0.5]


# -------------------------------------------------------------------- located problems
@pytest.mark.parametrize(("row", "place", "words"), [
    (["r", "money", None, None, None, None, None, ">=", 1, None], (2, "measure"),
     "one of cost, funding, personnel, units, deterrence"),
    (["r", "cost", None, None, None, None, None, ">>", 1, None], (2, "sense"),
     "one of <=, >=, = (or at most, at least, exactly)"),
    (["r", "cost", None, None, None, None, None, ">=", None, None], (2, "value"),
     "a value or a share (one of the two)"),
    (["r", "cost", None, None, None, None, None, ">=", 5, 0.3], (2, "share"),
     "a value or a share, not both"),
    (["r", "cost", None, None, None, None, None, ">=", None, 1.5], (2, "share"),
     "<= 1"),
    (["r", "cost", "Alpah", None, None, None, None, ">=", 1, None], (2, "member"),
     "did you mean Alpha?"),
    (["r", "cost", None, "sea", None, None, None, ">=", 1, None], (2, "capability"),
     "a capability defined in the workbook"),
    (["r", "cost", None, None, "west", None, None, ">=", 1, None], (2, "region"),
     "a region named in targets"),
    (["r", "cost", None, None, None, "2031", None, ">=", 1, None], (2, "year"),
     "planning years (2026, 2027, 2028)"),
    (["r", "cost", None, None, None, None, "country", ">=", 1, None], (2, "per"),
     "dimensions among member, capability, region, year"),
    (["r", "cost", "Gamma", None, "north", None, None, ">=", 1, None], (2, "region"),
     "a selection holding at least one cell"),
    ([None, "cost", None, None, None, None, None, ">=", 1, None], (2, "rule"),
     "a name"),
])
def test_a_bad_rule_is_one_located_problem(workbook, row, place, words):
    found = problems(workbook(with_rules(GOOD_RULE, row)))
    row_number, column = place
    assert [where(p) for p in found] == [("rules", row_number + 1, column)], \
        [str(p) for p in found]  # the good rule is row 2
    assert words in found[0].expected, found[0].expected


def test_a_rule_over_members_access_strands_is_reported_on_the_member_cell(workbook):
    # Gamma may spend nowhere; a rule on Gamma with every region is empty for lack of access:
    # the cell to change is the member list, and the message names both selections.
    sheets = good_sheets()
    sheets["access"].append(["Gamma", "east", False])
    found = problems(workbook(with_rules(
        ["r", "cost", "Gamma", None, None, None, None, ">=", 1, None], sheets=sheets)))
    assert [where(p) for p in found] == [("rules", 2, "member")], [str(p) for p in found]
    assert "(Gamma) is allowed in the regions it covers (east, north)" in found[0].expected


def test_rules_read_with_lists_spans_and_any_case(workbook):
    inputs = read_inputs(workbook(with_rules(
        GOOD_RULE, ["two", "COST", "alpha, BETA", None, None, "2026-2027", "member, year",
                    "At  Most", 500, None])))
    rules = inputs.rules.set_index("rule")
    assert rules.loc["two", "member"] == ("Alpha", "Beta")
    assert rules.loc["two", "year"] == (2026, 2027)
    assert rules.loc["two", "per"] == ("member", "year")
    assert rules.loc["two", "sense"] == "<=" and rules.loc["two", "measure"] == "cost"
    assert rules.loc["east_land", "region"] == ("east",)
    assert rules.loc["east_land", "capability"] == ("land",) and \
        rules.loc["east_land", "member"] is None


def test_a_rule_over_members_standing_aside_is_left_out_with_a_warning(workbook):
    sheets = with_rules(GOOD_RULE, ["gamma", "cost", "Gamma", None, None, None, None, ">=",
                                    1, None])
    sheets["members"][3][-1] = True  # Gamma stands aside
    inputs = read_inputs(workbook(sheets))
    assert inputs.rules["rule"].tolist() == ["east_land"]
    assert any("rule 'gamma' covers only members standing aside" in w
               for w in inputs.warnings)


def test_bad_previous_plan_rows_are_located(workbook):
    sheets = good_sheets()
    sheets["previous"] = [["member", "year", "cost"], ["Alpah", 2026, 10], ["Beta", 2026, -1],
                          ["Beta", 2030, 5], ["Beta", 2027, 40]]
    found = problems(workbook(sheets))
    assert sorted(where(p) for p in found) == [("previous", 2, "member"),
                                               ("previous", 3, "cost")]
    text = " ".join(p.expected for p in found)
    assert "did you mean Alpha?" in text and ">= 0" in text
    sheets["previous"] = [["member", "year", "cost"], ["Beta", 2030, 5], ["Beta", 2027, 40]]
    inputs = read_inputs(workbook(sheets))
    assert any("'previous' row 2: year 2030 is not a planning year" in w
               for w in inputs.warnings)
    assert inputs.previous.to_dict("records") == [{"member": "Beta", "year": 2027,
                                                   "cost": 40.0}]


@pytest.mark.parametrize(("settings", "key", "words"), [
    ({"path_total_share": 0.05}, "path_total_share", "a path_year"),
    ({"path_year": 2035}, "path_year", "path_total_share or path_core_share"),
    ({"path_year": 2020, "path_total_share": 0.05}, "path_year",
     "from the first planning year (2026) on"),
    ({"path_core_share": 3.5, "path_year": 2035}, "path_core_share", "<= 1"),
    ({"max_change": 0.1}, "max_change", "a previous plan beside it"),
    ({"tie_break": "previous_plan"}, "tie_break", "a previous plan beside it"),
    ({"max_change": -0.1}, "max_change", ">= 0"),
])
def test_bad_path_and_stability_settings_are_located(workbook, settings, key, words):
    sheets = good_sheets()
    for k, v in settings.items():
        sheets["settings"].append([k, v])
    found = problems(workbook(sheets))
    row = 2 + [r[0] for r in sheets["settings"][1:]].index(key)
    assert [where(p) for p in found] == [("settings", row, "value")], [str(p) for p in found]
    assert words in found[0].expected


def test_bad_category_and_core_floor_are_located(workbook):
    sheets = good_sheets()
    sheets["capabilities"][0].append("category")
    sheets["capabilities"][1].append("Core")
    sheets["capabilities"][2].append("civil")
    sheets["members"][0].append("core_floor_gdp_share")
    sheets["members"][1].append(0.06)  # above Alpha's cap of 5%
    sheets["members"][2].append(0.02)
    sheets["members"][3].append(None)
    found = problems(workbook(sheets))
    assert sorted(where(p) for p in found) == [("capabilities", 3, "category"),
                                               ("members", 2, "core_floor_gdp_share")]
    assert any("one of core, related" in p.expected for p in found)
    assert any("a core floor no higher than the cap (0.05)" in p.expected for p in found)


# ------------------------------------------------------------------------------ overrides
def test_rule_overrides_change_the_answer_and_bad_ones_are_named(workbook):
    inputs = read_inputs(workbook(with_rules(
        ["beta_air", "funding", "Beta", "air", None, None, None, ">=", 10, None])))
    base = solve(inputs)
    more = solve(inputs.with_overrides({"rules[beta_air].value": 40}))
    share = inputs.with_overrides({"rules[BETA_AIR].share": 0.9})
    assert share.rules.loc[0, "share"] == 0.9 and pd.isna(share.rules.loc[0, "value"])
    assert base.rules["value"].iloc[0] >= 10 - 1e-6
    assert more.rules["value"].iloc[0] >= 40 - 1e-6
    assert more.summary["total_cost"] >= base.summary["total_cost"] - 1e-6
    with pytest.raises(InputError) as caught:
        inputs.with_overrides({"rules[beta_ari].value": 1})
    assert "a rule named in the rules sheet (no 'beta_ari') (did you mean beta_air?)" in \
        str(caught.value)
    with pytest.raises(InputError) as caught:
        inputs.with_overrides({"rules[beta_air].share": 2})
    assert "column 'share'" in str(caught.value)


# ------------------------------------------------------------------- --previous round trip
def brief_text(path) -> str:
    sheet = openpyxl.load_workbook(path, read_only=True)["brief"]
    return " ".join(str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0])


def run(cwd, *args):
    done = subprocess.run([str(BURDEN), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def test_previous_report_holds_the_plan_with_max_change_zero(tmp_path):
    """Last year's report as the previous plan with max_change 0 fixes every cost at it: the
    same costs come back, and the comparison sheet shows no change."""
    case = write_workbook(tmp_path / "case.xlsx", good_sheets())
    assert run(tmp_path, "solve", case, "-o", "last.xlsx").returncode == 0
    done = run(tmp_path, "solve", case, "--previous", "last.xlsx", "-o", "now.xlsx",
               "--set", "settings.max_change=0", "--set", "settings.tie_break=previous_plan")
    assert done.returncode == 0, done.stderr
    before = read_sheet(tmp_path / "last.xlsx", "members").set_index(["member", "year"])
    after = read_sheet(tmp_path / "now.xlsx", "members").set_index(["member", "year"])
    pd.testing.assert_series_equal(after["cost"], before["cost"], rtol=1e-6, atol=1e-6)
    compared = read_sheet(tmp_path / "now.xlsx", "previous plan")
    assert len(compared) == len(before)
    assert compared["change"].abs().max() <= 1e-4
    assert compared["within_max_change"].all()
    assert "Against the previous plan" in brief_text(tmp_path / "now.xlsx")


def test_every_study_takes_the_previous_report(tmp_path):
    """`--previous` on sweep and ranges (frontier and shapley read it the same way): with
    max_change 0 every scenario keeps that report's costs, another report with the same
    overrides is keyed apart in the store, and no member has room to negotiate."""
    case = write_workbook(tmp_path / "case.xlsx", good_sheets())
    assert run(tmp_path, "solve", case, "-o", "last.xlsx").returncode == 0
    assert run(tmp_path, "solve", case, "-o", "other.xlsx",
               "--set", "targets.scale=1.3").returncode == 0
    held = ("--set", "settings.max_change=0", "--grid", "targets.scale=0.5,1")
    for report in ("last.xlsx", "other.xlsx"):  # one store for both
        done = run(tmp_path, "sweep", case, "--previous", report, *held, "-o", "held.xlsx")
        assert done.returncode == 0, done.stderr
        assert "already done" not in done.stderr
        before = read_sheet(tmp_path / report, "members").set_index(["member", "year"])
        costs = read_sheet(tmp_path / "held.xlsx", "member_costs")
        assert costs["scenario"].nunique() == 2
        for _, plan in costs.groupby("scenario"):
            plan = plan.set_index(["member", "year"])["cost"]
            pd.testing.assert_series_equal(plan, before["cost"].reindex(plan.index),
                                           check_names=False, rtol=1e-6, atol=1e-6)
    done = run(tmp_path, "ranges", case, "--previous", "last.xlsx", "--set",
               "settings.max_change=0")
    assert done.returncode == 0, done.stderr
    from optimizer import ranges  # the same in a notebook: no room left to negotiate

    held_fast = read_inputs(case, previous=tmp_path / "last.xlsx").with_overrides(
        {"settings.max_change": 0})
    table = ranges(held_fast).table.set_index("member")
    last = read_sheet(tmp_path / "last.xlsx", "members").groupby("member")["cost"].sum()
    for member, cost in last.items():
        assert table.loc[member, "low"] == pytest.approx(cost, rel=1e-6)
        assert table.loc[member, "high"] == pytest.approx(cost, rel=1e-6)


def test_previous_report_problems_name_that_file(tmp_path):
    case = write_workbook(tmp_path / "case.xlsx", good_sheets())
    other = good_sheets()
    other["members"] = [["Member", "Year", "Cost (EUR million)"], ["Delta", 2026, 5]]
    write_workbook(tmp_path / "last.xlsx", other)
    done = run(tmp_path, "validate", case, "--previous", "last.xlsx")
    assert done.returncode == 2
    assert "case.xlsx, file 'last.xlsx', sheet 'members', row 2, column 'member'" in \
        done.stderr, done.stderr
    done = run(tmp_path, "solve", case, "--previous", "missing.xlsx")
    assert done.returncode == 2 and "a report burden wrote (.xlsx), for --previous" in \
        done.stderr
    done = run(tmp_path, "solve", case, "--previous", "case.xlsx")  # an input, not a report
    assert done.returncode == 2
    assert "case.xlsx, sheet 'members', column 'year': found 'columns member, gdp," in \
        done.stderr and "expected a column of a burden report's members sheet" in done.stderr


# --------------------------------------------------------------- report, Pyomo, a second solver
@pytest.fixture(scope="module")
def levers_case(tmp_path_factory):
    """The good workbook with every lever: a share rule per year, a value rule per member,
    a related capability with caps, core floors, a path, a previous plan and max_change."""
    sheets = with_rules(["east_land", "funding", None, "land", "east", None, "year", ">=",
                         None, 0.6],
                        ["persons", "personnel", None, None, None, None, "member", "<=", 60,
                         None])
    sheets["capabilities"][0].append("category")
    sheets["capabilities"][1].append("core")
    sheets["capabilities"][2].append("related")
    sheets["members"][0] += ["core_floor_gdp_share", "related_cap_gdp_share"]
    for row, extra in zip(sheets["members"][1:], ([0.012, 0.01], [0.0, 0.004], [0.0, None])):
        row += extra
        row[sheets["members"][0].index("cap_gdp_share")] = 0.06
    sheets["settings"] += [["path_year", 2030], ["path_total_share", 0.03],
                           ["path_core_share", 0.015], ["max_change", 0.8]]
    sheets["previous"] = [["member", "year", "cost"], ["Alpha", 2026, 20], ["Beta", 2026, 60],
                          ["Gamma", 2026, 40]]
    path = write_workbook(tmp_path_factory.mktemp("levers") / "levers.xlsx", sheets)
    return read_inputs(path)


def test_levers_report_sheets_read_back(levers_case, tmp_path):
    result = solve(levers_case)
    assert result.status in ("optimal", "optimal_with_shortfall"), result.conflicts
    out = write_report(result, tmp_path / "report.xlsx")
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"rules", "path", "previous plan"} <= set(names)
    rules = read_sheet(out, "rules")
    assert len(rules) == len(result.rules) == 3 + 3  # 3 years of east_land, 3 members
    pd.testing.assert_series_equal(rules["value"], result.rules["value"], check_names=False,
                                   rtol=1e-9)
    path = read_sheet(out, "path")
    assert path["on_path"].all()
    assert (path["burden"] >= path["path_share"] - 1e-6).all()
    assert (path["core_share"] >= path["core_path_share"] - 1e-6).all()
    brief = brief_text(out)
    assert "On the path to 3.00% of GDP and 1.50% of GDP in core by 2030" in brief


def test_pyomo_model_carries_the_levers_and_glpk_agrees(levers_case):
    from optimizer import build_model

    model = build_model(levers_case)
    assert len(model.rules) == 6 and ("east_land", "*", "*", "*", 2027) in model.rules
    assert len(model.path_total) and len(model.path_core) and len(model.max_change)
    assert len(model.related_cap) == 6 and len(model.core_floor) == 3
    plain = solve(levers_case)
    through_pyomo = solve(levers_case, engine="pyomo")
    assert through_pyomo.summary["total_cost"] == pytest.approx(
        plain.summary["total_cost"], rel=1e-6)
    if shutil.which("glpsol") is None:
        pytest.skip("GLPK (glpsol) is not installed: make installs glpk-utils as root")
    other = solve(levers_case, solver="glpk")
    assert other.status == plain.status
    for name, value in zip(plain.stages["name"], plain.stages["value"]):
        assert other.stages.set_index("name").loc[name, "value"] == pytest.approx(
            value, rel=1e-6, abs=1e-7), name


def test_sweep_frontier_and_shapley_carry_the_levers(levers_case, tmp_path):
    from optimizer import frontier, run_sweep, shapley
    from optimizer.sweep import Scenario

    table = run_sweep(levers_case, [Scenario("base"), Scenario("more east", (
        ("rules[east_land].share", "0.9"),))], out=tmp_path / "sweep.xlsx", workers=1).table
    by_scenario = table.set_index("scenario")
    # each row is the plan a solve of the same inputs gives (a sweep edits a loaded model)
    for name, inputs in (("base", levers_case),
                         ("more east", levers_case.with_overrides(
                             {"rules[east_land].share": 0.9}))):
        alone = solve(inputs, what_it_takes=False)
        assert alone.status in ("optimal", "optimal_with_shortfall"), alone.conflicts
        assert by_scenario.loc[name, "status"] == alone.status
        assert by_scenario.loc[name, "total_cost"] == pytest.approx(
            alone.members["cost"].sum(), rel=1e-6)
    # 90% of land funding in the east binds (60% has slack): the plan costs more
    assert by_scenario.loc["more east", "total_cost"] > by_scenario.loc["base", "total_cost"] + 1
    points = frontier(levers_case, points=3).table
    assert len(points) == 3 and points["total_cost"].notna().all()
    values = shapley(levers_case, samples=4, seed=1, workers=1, out=tmp_path / "shapley.xlsx")
    assert len(values.table) == 3
