"""Room to negotiate (docs/model.md, "Room to negotiate (ranges)"): each member's least and
largest cost with the alliance's total within (1 + slack) of its least, stage 1 kept.

The bounds are checked against a second implementation written here from the formulas alone:
the model of the small cases below (funding only: `F[m,t]`, shortfall `S[t]`) built directly in
highspy, stage 1 solved and kept, `C*` found, then each member's cost minimised and maximised.
Where the answer is plain, it is derived by hand instead (slack 0 with tied members).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import highspy
import numpy as np
import openpyxl
import pytest

from optimizer import InputError, ranges, solve
from optimizer.inputs import inputs_from_frames

Y0, Y1 = 2026, 2027
BURDEN = Path(sys.executable).with_name("burden")
#: Members of the small case: gdp, reliability, floor and cap (shares of GDP).
MEMBERS = {"A": (100.0, 1.0, 0.0, 0.3), "B": (200.0, 0.8, 0.01, 0.2),
           "C": (150.0, 0.5, 0.0, 0.5)}
#: Targets by year: 2026 within reach; 2027 beyond it (A 30 + B 32 + C 37.5 = 99.5 at caps).
TARGETS = {Y0: 60.0, Y1: 120.0}


def frames(members=MEMBERS, targets=TARGETS, settings=None, **sheets):
    import pandas as pd

    settings = {"objective": "min_cost", **(settings or {})}
    out = {
        "settings": pd.DataFrame({"key": list(settings),
                                  "value": [str(v) for v in settings.values()]}),
        "members": pd.DataFrame([
            {"member": m, "gdp": g, "reliability": r, "floor_gdp_share": f,
             "cap_gdp_share": c} for m, (g, r, f, c) in members.items()]),
        "capabilities": pd.DataFrame([{"capability": "air", "funding_effect": 1.0}]),
        "targets": pd.DataFrame([{"capability": "air", "region": "east", "year": y,
                                  "target": t} for y, t in targets.items()]),
    }
    out.update({name: pd.DataFrame(rows) for name, rows in sheets.items()})
    return out


def case(**kwargs):
    return inputs_from_frames(frames(**kwargs))


# ----------------------------------------------------------------- the second implementation
def independent_bounds(members, targets, slack):
    """(SI*, C*, {(member, year or None, sense): bound}) by highspy on the model written out:
    columns F[m,t] (floor*gdp <= F <= cap*gdp) then S[t] (0 <= S <= target); rows
    sum_m rel*F[m,t] + S[t] >= target[t]; stage 1 min sum S/target, kept within
    (1 + 1e-6) + 1e-9; C* = min sum F; then sum F <= max((1 + slack) C*, kept C*)."""
    names, years = list(members), sorted(targets)
    n_f = len(names) * len(years)
    column = {(m, t): i * len(years) + j for i, m in enumerate(names)
              for j, t in enumerate(years)}
    lower = [members[m][2] * members[m][0] for m in names for _ in years] + [0.0] * len(years)
    upper = [members[m][3] * members[m][0] for m in names for _ in years] + \
        [targets[t] for t in years]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)  # HiGHS' scheduler is one per process: as burden sets it
    n = n_f + len(years)
    for j in range(n):
        h.addVar(lower[j], upper[j])
    for k, t in enumerate(years):
        index = [column[(m, t)] for m in names] + [n_f + k]
        values = [members[m][1] for m in names] + [1.0]
        h.addRow(targets[t], highspy.kHighsInf, len(index), np.array(index, np.int32),
                 np.array(values))

    def minimise(costs):
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(costs, float))
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return h.getInfo().objective_function_value

    def add_at_most(costs, bound):
        index = np.nonzero(costs)[0].astype(np.int32)
        h.addRow(-highspy.kHighsInf, bound, len(index), index, np.asarray(costs)[index])

    shortfall = np.zeros(n)
    shortfall[n_f:] = [1.0 / targets[t] for t in years]
    si = minimise(shortfall)
    add_at_most(shortfall, si * (1 + 1e-6) + 1e-9)
    total = np.r_[np.ones(n_f), np.zeros(len(years))]
    least = minimise(total)
    add_at_most(total, max((1 + slack) * least, least * (1 + 1e-6) + 1e-9))
    bounds = {}
    for m in names:
        for when in [None, *years]:
            costs = np.zeros(n)
            costs[[column[(m, t)] for t in (years if when is None else [when])]] = 1.0
            bounds[(m, when, "min")] = minimise(costs)
            bounds[(m, when, "max")] = -minimise(-costs)
    return si, least, bounds


def close(actual, expected, scale):
    return actual == pytest.approx(expected, rel=1e-6, abs=1e-6 * scale)


# ----------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("slack", [0.0, 0.05, 0.3])
def test_every_bound_is_the_independent_lps(slack):
    si, least, expected = independent_bounds(MEMBERS, TARGETS, slack)
    room = ranges(case(), slack=slack, workers=1)
    assert room.status == "optimal_with_shortfall" and room.slack == slack
    assert close(room.least_cost, least, least) and close(room.shortfall_index, si, 1)
    assert room.programs == 2 * len(MEMBERS) and room.solved == room.programs
    table = room.table.set_index("member")
    assert list(table.index) == list(MEMBERS)
    for m, (gdp, *_rest) in MEMBERS.items():
        assert close(table.loc[m, "low"], expected[(m, None, "min")], least), (m, "low")
        assert close(table.loc[m, "high"], expected[(m, None, "max")], least), (m, "high")
        assert table.loc[m, "low_gdp_share"] == pytest.approx(table.loc[m, "low"] / (2 * gdp))
        assert table.loc[m, "high_gdp_share"] == pytest.approx(
            table.loc[m, "high"] / (2 * gdp))
    assert table["certified"].all() and (table["status"] == "optimal").all()
    # the range widens with the slack: someone has room to move at 30%
    if slack == 0.3:
        assert ((table["high"] - table["low"]) > 1.0).any()


@pytest.mark.parametrize("objective", ["min_cost", "min_deviation"])
def test_the_plans_cost_lies_in_its_range_when_its_total_is_within_the_slack(objective):
    inputs = case(settings={"objective": objective})
    room = ranges(inputs, slack=0.5, workers=1)
    plan = solve(inputs)
    costs = plan.members.groupby("member")["cost"].sum()
    table = room.table.set_index("member")
    assert np.allclose(table["optimal_cost"], costs.reindex(table.index))
    assert room.plan_total == pytest.approx(costs.sum())
    assert room.plan_total <= room.cost_bound  # 50% is room enough for the fairest plan
    tol = 1e-6 * room.least_cost
    assert (table["low"] <= table["optimal_cost"] + tol).all()
    assert (table["optimal_cost"] <= table["high"] + tol).all()
    gdp = 2 * np.array([MEMBERS[m][0] for m in table.index])
    assert np.allclose(table["optimal_gdp_share"], table["optimal_cost"] / gdp)


def test_a_plan_above_the_allowed_total_is_said_to_be():
    # min_deviation pays for fairness: at slack 0 its total is above C*, so its costs may
    # fall outside the ranges, and the notes say so
    room = ranges(case(settings={"objective": "min_deviation"}), slack=0.0, workers=1)
    assert room.plan_total > room.cost_bound
    assert any("need not lie inside the ranges" in note for note in room.notes)


def test_slack_zero_leaves_only_the_alternative_optima():
    # A and B equally reliable and uncapped, C half as reliable: target 10 costs 10 paid by
    # A and B in any split (A from 0 to 10, B likewise); C pays nothing in a cheapest plan
    # (a point of C's costs 2).
    members = {"A": (100.0, 1.0, 0.0, 1.0), "B": (100.0, 1.0, 0.0, 1.0),
               "C": (100.0, 0.5, 0.0, 1.0)}
    room = ranges(case(members=members, targets={Y0: 10.0}), slack=0.0, workers=1)
    table = room.table.set_index("member")
    assert room.status == "optimal" and room.least_cost == pytest.approx(10.0)
    for m in ("A", "B"):
        assert table.loc[m, "low"] == pytest.approx(0.0, abs=1e-6)
        assert table.loc[m, "high"] == pytest.approx(10.0, rel=1e-6)
    assert table.loc["C", "low"] == pytest.approx(0.0, abs=1e-6)
    # only the stages' own tolerance is left: total <= C* (1 + 1e-6) + 1e-9, and each unit
    # C pays adds half a unit to the total, so C pays at most twice that tolerance
    assert table.loc["C", "high"] == pytest.approx(2 * (10.0 * 1e-6 + 1e-9), rel=1e-3)
    # the plan is one of those optima: A and B pay the 10 between them
    assert table.loc["A", "optimal_cost"] + table.loc["B", "optimal_cost"] == \
        pytest.approx(10.0, rel=1e-5)
    assert ((table["low"] - 1e-6 <= table["optimal_cost"])
            & (table["optimal_cost"] <= table["high"] + 1e-6)).all()


def test_by_year_gives_each_member_and_year_its_range():
    slack = 0.05
    _, least, expected = independent_bounds(MEMBERS, TARGETS, slack)
    room = ranges(case(), slack=slack, by_year=True, workers=1)
    table = room.table
    assert list(table.columns[:2]) == ["member", "year"]
    assert len(table) == len(MEMBERS) * 2 and room.programs == 4 * len(MEMBERS)
    for row in table.itertuples(index=False):
        assert close(row.low, expected[(row.member, row.year, "min")], least)
        assert close(row.high, expected[(row.member, row.year, "max")], least)
        gdp = MEMBERS[row.member][0]
        assert row.low_gdp_share == pytest.approx(row.low / gdp)
    # 2027 is beyond reach: stage 1 kept leaves every member at its cap, no room at all
    late = table[table["year"] == Y1].set_index("member")
    for m, (gdp, _, _, cap) in MEMBERS.items():
        assert late.loc[m, "low"] == pytest.approx(cap * gdp, rel=1e-5)
        assert late.loc[m, "high"] == pytest.approx(cap * gdp, rel=1e-6)


def test_an_interrupted_run_resumes_from_its_store(tmp_path):
    out = tmp_path / "room.xlsx"
    inputs = case()

    def stop_after_three(done, total, already):
        if done - already >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ranges(inputs, slack=0.05, workers=1, out=out, progress=stop_after_three)
    assert not out.exists()
    again = ranges(inputs, slack=0.05, workers=1, out=out)
    assert (again.from_store, again.solved) == (3, 3)
    third = ranges(inputs, slack=0.05, workers=1, out=out)
    assert (third.from_store, third.solved) == (6, 0)  # nothing solved again
    assert third.table.equals(again.table)
    # another slack is another set of bounds, kept beside the first in the same store
    other = ranges(inputs, slack=0.1, workers=1, out=out)
    assert other.solved == 6 and (other.table["high"] >= again.table["high"] - 1e-6).all()


def test_integer_equipment_bounds_are_mips_and_said_to_be():
    # A holds 3 tanks (10 points for 5 each, whole units only) and money at 1 a point; B money
    # only, capped at 12. Target 14: one tank and 4 points of money, C* = 9 (two tanks: 10).
    # With 30% slack the total is at most 11.7, so money alone (14) is out: A pays at least
    # one tank, 5 (the LP relaxation would say 1: a fifth of a tank beside B's 12), at most
    # two tanks and 1.7 of money, 11.7 with B paying nothing; B at most 6.7 beside A's tank.
    members = {"A": (100.0, 1.0, 0.0, 1.0), "B": (100.0, 1.0, 0.0, 0.12)}
    inputs = case(members=members, targets={Y0: 14.0},
                  equipment=[{"equipment": "tank", "capability": "air", "effect": 10,
                              "unit_cost": 5, "integer": True}],
                  inventory=[{"member": "A", "equipment": "tank", "units": 3}])
    room = ranges(inputs, slack=0.3, workers=1)
    table = room.table.set_index("member")
    assert room.mip and any("MIP" in note for note in room.notes)
    assert room.least_cost == pytest.approx(9.0, rel=1e-6)
    assert table.loc["A", "low"] == pytest.approx(5.0, rel=1e-6)
    assert table.loc["A", "high"] == pytest.approx(11.7, rel=1e-6)
    assert table.loc["B", "low"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["B", "high"] == pytest.approx(6.7, rel=1e-6)
    # the plan (tie-break: fair shares 50/50) is A 5, B 4: inside both ranges
    assert table["optimal_cost"].to_dict() == pytest.approx({"A": 5.0, "B": 4.0}, rel=1e-5)
    assert table["certified"].all()


def test_a_bad_slack_is_an_input_error():
    with pytest.raises(InputError, match="slack"):
        ranges(case(), slack=-0.1)


def run(*args, cwd):
    done = subprocess.run([str(BURDEN), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_the_command_writes_a_workbook_that_reads_back(tmp_path):
    source = Path(__file__).resolve().parents[1] / "inputs" / "tiny.xlsx"
    code, out, err = run("ranges", source, "--slack", "0.02", "--workers", "2", "--json",
                         cwd=tmp_path)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["status"] == "optimal" and payload["slack"] == 0.02
    book = tmp_path / "tiny-ranges.xlsx"
    assert payload["workbook"] == str(book) and book.with_suffix(".sqlite").exists()
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["ranges", "charts", "chart data"]
    ws = wb["ranges"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["member", "plan's cost (USD million)", "least (USD million)",
                          "largest (USD million)"]
    rows = payload["rows"]
    for number, row in enumerate(rows, start=2):
        assert ws.cell(number, 1).value == row["member"]
        assert ws.cell(number, 3).value == pytest.approx(row["low"])
        assert ws.cell(number, 4).value == pytest.approx(row["high"])
    labels = {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(len(rows) + 3, 20)}
    assert labels["least total cost C*"] == pytest.approx(payload["least_cost"])
    assert labels["slack"] == pytest.approx(0.02)
    assert len(wb["charts"]._charts) == 2  # money and % of GDP
    # run again: every bound from the store, the same rows
    code, out, err = run("ranges", source, "--slack", "0.02", "--workers", "1", "--json",
                         cwd=tmp_path)
    assert code == 0, err
    again = json.loads(out)
    assert (again["solved"], again["from_store"]) == (0, 4) and again["rows"] == rows


@pytest.mark.parametrize("slack", ["-0.5", "lots"])
def test_a_bad_slack_on_the_command_line_is_named(tmp_path, slack):
    source = Path(__file__).resolve().parents[1] / "inputs" / "tiny.xlsx"
    code, out, err = run("ranges", source, "--slack", slack, cwd=tmp_path)
    assert code == 2
    assert f"--slack: found '{slack}', expected a number >= 0" in err
    assert not (tmp_path / "tiny-ranges.xlsx").exists()


def test_the_figure_draws_each_range_and_the_plan():
    import io

    import pandas as pd

    from optimizer import Ranges, figures

    table = pd.DataFrame({"member": ["A", "B"], "optimal_cost": [5.0, 4.0],
                          "low": [5.0, 0.0], "high": [11.7, 6.7],
                          "optimal_gdp_share": [0.05, 0.04], "low_gdp_share": [0.05, 0.0],
                          "high_gdp_share": [0.117, 0.067], "certified": [True, True],
                          "status": ["optimal", "optimal"]})
    room = Ranges(table, 9.0, slack=0.3, status="optimal", currency="USD million")
    fig = figures.range_chart(room, share=False)
    fig.savefig(io.BytesIO())
    (ax,) = fig.axes
    (bars,) = ax.containers
    assert [b.get_y() for b in bars] == pytest.approx([5.0, 0.0])
    assert [b.get_height() for b in bars] == pytest.approx([6.7, 6.7])
    (line,) = ax.get_lines()
    assert list(line.get_ydata()) == [5.0, 4.0]
    shares = figures.range_chart(room)
    assert list(shares.axes[0].get_lines()[0].get_ydata()) == [0.05, 0.04]
    empty = Ranges(table.iloc[:0], None, slack=0.3, status="infeasible")
    texts = [t.get_text() for t in figures.range_chart(empty).texts]
    assert any("no ranges (status: infeasible)" in t for t in texts)


def test_a_case_without_a_plan_has_no_ranges_and_says_why(tmp_path):
    # without shortfall, 2027's target of 120 is beyond the 99.5 the caps allow
    room = ranges(case(settings={"allow_shortfall": "false"}), workers=1,
                  out=tmp_path / "none.xlsx")
    assert room.status == "infeasible" and not room.solved_ok
    assert room.table.empty and room.least_cost is None
    assert room.notes[0] == "the plan is infeasible: no ranges" and len(room.notes) > 1
    ws = openpyxl.load_workbook(tmp_path / "none.xlsx")["ranges"]
    assert [ws.cell(r, 3).value for r in range(1, 6) if ws.cell(r, 1).value == "status"] == \
        ["infeasible"]
