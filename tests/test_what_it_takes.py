"""What it would take to meet every target (optimizer/relaxation.py) and why a target is short
(optimizer/held_back.py), on tiny cases solved by hand in the comment above each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import build, case_tables, target

from optimizer import solve, write_report
from optimizer.cli import main
from optimizer.headers import read_sheet
from optimizer.relaxation import what_it_takes

Y = 2026
BURDEN = Path(sys.executable).with_name("burden")


PERSONNEL_ONLY = [{"capability": "air", "funding_effect": 0.0, "personnel_effect": 1.0}]
REQUIRED = {"allow_shortfall": False}


# ------------------------------------------------------------------------ what it would take
def test_one_member_needs_the_target_cost_over_gdp():
    # ef = 1: target 30 costs 30. A gdp 1000 cap 2% (20): 10 short. The cap that meets it is
    # 30 / 1000 = 3.00% of GDP, 10 above the cap (1.00% of GDP).
    inputs = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02}], [target(30)])
    found = what_it_takes(inputs)
    assert found.status == "optimal"
    assert found.stages["certified"].all()
    assert len(found.limits) == 1
    row = found.limits.iloc[0]
    assert (row["member"], row["year"]) == ("A", Y)
    assert row["needed_cap_share"] == pytest.approx(30 / 1000, rel=1e-9)
    assert row["needed_cap"] == pytest.approx(30, rel=1e-9)
    assert row["cap"] == pytest.approx(20, rel=1e-12)
    assert row["extra"] == pytest.approx(10, rel=1e-9)
    assert row["extra_gdp_share"] == pytest.approx(0.01, rel=1e-9)
    assert found.total_cost == pytest.approx(30, rel=1e-9)
    assert found.sentences[0] == ("To meet every target: A's cap in 2026 would rise from "
                                  "2.00% to 3.00% of GDP (+10.0 USD million).")
    assert found.sentences[1] == "Or, within today's limits: air in east in 2026 would be " \
        "cut by 10.00 of 30.00."


def test_the_larger_gdp_takes_the_whole_raise():
    # ef = 1; target 50. A gdp 1000 cap 2% (20), B gdp 3000 cap 1% (30): the caps give 50.
    # Raise the target to 62: 12 more needed. A point of GDP buys 10 at A and 30 at B, so
    # stage A (min u_A/1000 + u_B/3000, u_A + u_B >= 12) puts all 12 on B: 12/3000 = 0.4
    # points (on A: 1.2 points). B's cap 1.00% -> 1.40%; A stays at 2.00%. (The plan's
    # raise may exceed 12 by the keep rows' slack, 1e-6 of each stage: the tie-break moves
    # that much cost from A, above its fair share, to B; hence rel=1e-5.)
    # Fair shares equal (31 each): were money alone minimised (stage B without A), the
    # tie-break would split the raise 11 on A, 1 on B.
    inputs = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02},
                    {"member": "B", "gdp": 3000, "cap_gdp_share": 0.01}], [target(62)],
                   settings={"fair_share": "equal"})
    found = what_it_takes(inputs)
    assert found.limits["member"].tolist() == ["B"]
    row = found.limits.iloc[0]
    assert row["extra"] == pytest.approx(12, rel=1e-5)
    assert row["needed_cap_share"] == pytest.approx(0.014, rel=1e-5)
    assert row["extra_gdp_share"] == pytest.approx(12 / 3000, rel=1e-5)
    stages = dict(zip(found.stages["name"], found.stages["value"]))
    assert stages["relaxation"] == pytest.approx(12 / 3000, rel=1e-6)
    assert stages["relaxation_money"] == pytest.approx(12, rel=1e-6)


def test_the_analysts_own_constraint_holds_in_what_it_takes():
    # ef = 1; A and B gdp 100 with caps 2% (2 each); target 6: 2 short. Equal GDP weighs the
    # raises alike and the tie-break (fair shares 3/3) spreads them: both caps 2% -> 3%. The
    # analyst's own constraint "B spends at most 2" (`extra`) leaves A the whole raise:
    # A's cap 2% -> 4% (+2), B none; and the alternative's cut is computed with it too.
    import pyomo.environ as pyo

    inputs = build([{"member": "A", "gdp": 100, "cap_gdp_share": 0.02},
                    {"member": "B", "gdp": 100, "cap_gdp_share": 0.02}], [target(6)])
    plain = what_it_takes(inputs).limits.set_index("member")
    assert plain["extra"].to_dict() == pytest.approx({"A": 1.0, "B": 1.0}, rel=1e-5)

    def b_holds_at_two(model):
        model.b_at_most_two = pyo.Constraint(expr=model.cost["B", Y] <= 2)

    found = what_it_takes(inputs, extra=b_holds_at_two)
    assert found.status == "optimal" and found.stages["certified"].all()
    assert found.limits["member"].tolist() == ["A"]
    row = found.limits.iloc[0]
    assert row["extra"] == pytest.approx(2, rel=1e-6)
    assert row["needed_cap_share"] == pytest.approx(0.04, rel=1e-6)
    assert found.total_cost == pytest.approx(6, rel=1e-6)

    def b_spends_nothing_and_a_is_capped(model):  # no raise of the caps can help: named
        model.b_nothing = pyo.Constraint(expr=model.cost["B", Y] <= 0)
        model.a_at_most_three = pyo.Constraint(expr=model.cost["A", Y] <= 3)

    blocked = what_it_takes(inputs, extra=b_spends_nothing_and_a_is_capped)
    assert blocked.status == "infeasible"
    assert any("held back by your constraints b_nothing, a_at_most_three" in line
               for line in blocked.conflicts), blocked.conflicts
    assert blocked.still_short["shortfall"].tolist() == pytest.approx([3.0])


def test_an_infeasible_plan_leads_with_what_it_takes(tmp_path):
    # Every target required. ef = 1. A gdp 100 cap 5% (5), B gdp 100 cap 5% (5).
    # Targets 8 east and 8 west (16): both caps at 10 conflict with both targets. The least
    # raise: 6 in all; weighed alike (equal GDP), stage B sum u = 6 too; the tie-break
    # (fair shares 8/8) spreads it 3 and 3: A and B's caps 5% -> 8%.
    inputs = build([{"member": "A", "gdp": 100, "cap_gdp_share": 0.05},
                    {"member": "B", "gdp": 100, "cap_gdp_share": 0.05}],
                   [target(8, "east"), target(8, "west")], settings=REQUIRED)
    result = solve(inputs)
    assert result.status == "infeasible"
    assert len(result.conflicts) >= 2  # both targets are named
    table = result.what_it_takes.set_index("member")
    assert table["extra"].sum() == pytest.approx(6, rel=1e-6)
    assert table.loc["A", "needed_cap_share"] == pytest.approx(0.08, rel=1e-6)
    assert table.loc["B", "needed_cap_share"] == pytest.approx(0.08, rel=1e-6)
    assert result.brief[0] == "No plan meets every target and limit (status infeasible)."
    assert result.brief[1].startswith("To meet every target: ")
    assert "A's cap in 2026 would rise from 5.00% to 8.00% of GDP (+3.0 USD million)" \
        in result.brief[1]
    assert result.brief[2] == ("Or, within today's limits: air in east in 2026 would be cut by "
                               "3.00 of 8.00; air in west in 2026 would be cut by 3.00 of 8.00.")
    assert result.brief[3] == (f"The first of {len(result.conflicts)} conflicts (all on the "
                               f"conflicts sheet): {result.conflicts[0]}")
    assert len(result.brief) == 4  # short: every conflict stays on the conflicts sheet
    book = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    conflicts = [row[0] for row in book["conflicts"].iter_rows(min_row=2, values_only=True)]
    assert conflicts == result.conflicts
    assert solve(inputs, what_it_takes=False).brief[1:] == result.conflicts


def test_still_infeasible_for_lack_of_personnel():
    # air deters by persons only (1 a person). A: 10 persons, 1 money each, cap 1% (10).
    # Target 20: raising the cap cannot help; with it raised, 10 is still short, for want of
    # personnel. Relaxing personnel too: 10 more persons (A's only staff), 20 in all, and
    # the cap 10 more for their pay.
    inputs = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.01,
                     "personnel_available": 10, "personnel_cost": 1}], [target(20)],
                   capabilities=PERSONNEL_ONLY)
    found = what_it_takes(inputs)
    assert found.status == "infeasible"
    assert found.limits.empty
    assert found.conflicts == ["Even with the caps raised as far as needed, air in east in "
                               "2026 would still be short by 10.00 of 20.00 (out of "
                               "personnel: A)."]
    assert found.sentences[0] == "Raising the caps does not meet every target. " + \
        found.conflicts[0]
    short = found.still_short.iloc[0]
    assert short["shortfall"] == pytest.approx(10, rel=1e-6)
    assert short["held_back_by"] == "out of personnel: A"
    both = what_it_takes(inputs, relax=("caps", "personnel"))
    assert both.status == "optimal"
    row = both.limits.iloc[0]
    assert row["extra_personnel"] == pytest.approx(10, rel=1e-6)
    assert row["personnel_needed"] == pytest.approx(20, rel=1e-6)
    # 20 persons cost 20 > cap 10: the cap rises by 10 too
    assert row["extra"] == pytest.approx(10, rel=1e-6)
    assert "A's deployable personnel in 2026 would rise from 10 to 20 persons (+10)" \
        in both.sentences[0]


def test_personnel_raise_weighs_persons_against_each_limit():
    # air by persons only. A 10 persons, B 40, no caps; target 60: 10 more persons needed.
    # Stage A weighs v/avail: on B 10/40 = 0.25, on A 10/10 = 1 -> all on B (40 -> 50).
    inputs = build([{"member": "A", "gdp": 1000, "personnel_available": 10,
                     "personnel_cost": 1},
                    {"member": "B", "gdp": 1000, "personnel_available": 40,
                     "personnel_cost": 1}], [target(60)], capabilities=PERSONNEL_ONLY)
    found = what_it_takes(inputs, relax=("personnel",))
    assert found.status == "optimal"
    assert found.limits["member"].tolist() == ["B"]
    assert found.limits.iloc[0]["personnel_needed"] == pytest.approx(50, rel=1e-6)


def test_still_infeasible_for_lack_of_access():
    # A is denied the east, the only region with a target: no raise reaches it.
    inputs = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02}],
                   [target(10), target(5, "west")], settings=REQUIRED,
                   access=[{"member": "A", "region": "east", "allowed": False}])
    result = solve(inputs)
    assert result.status == "infeasible"
    assert result.brief[1].startswith("Raising the caps does not meet every target. Target "
                                      "air in east in 2026 (10.0) cannot be met")
    assert "no present member can contribute there" in result.brief[1]


# ----------------------------------------------------------------------- why a target is short
def test_held_back_by_access():
    # A (no cap) is denied the east; nobody else: the east target is short for lack of
    # access alone. The west target is met.
    result = solve(build([{"member": "A", "gdp": 1000}], [target(10), target(5, "west")],
                         access=[{"member": "A", "region": "east", "allowed": False}]))
    det = result.deterrence.set_index("region")
    assert det.loc["east", "shortfall"] == pytest.approx(10)
    assert det.loc["east", "held_back_by"] == "no access: A"
    assert det.loc["west", "held_back_by"] == ""
    assert "Held back by: air in east in 2026 (no access: A)." in result.brief


def test_held_back_by_a_cap():
    # A gdp 1000 cap 2% (20) reaches the target 30 and is at its cap; B (no cap) is denied.
    result = solve(build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02},
                          {"member": "B", "gdp": 1000}], [target(30)],
                         access=[{"member": "B", "region": "east", "allowed": False}]))
    row = result.deterrence.iloc[0]
    assert row["shortfall"] == pytest.approx(10, rel=1e-5)
    assert row["held_back_by"] == "at cap: A; no access: B"
    # what it would take: A's cap, since B cannot reach the east at any cap
    assert result.what_it_takes["member"].tolist() == ["A"]


def test_held_back_by_personnel(tmp_path):
    # air by persons only: A has 10 persons (no cap); target 20 is short by 10.
    result = solve(build([{"member": "A", "gdp": 1000, "personnel_available": 10,
                           "personnel_cost": 1}], [target(20)], capabilities=PERSONNEL_ONLY))
    row = result.deterrence.iloc[0]
    assert row["shortfall"] == pytest.approx(10, rel=1e-5)
    assert row["held_back_by"] == "out of personnel: A"
    assert result.what_it_takes_lines[0].startswith("Raising the caps does not meet every")
    # the sheet: no raise, the target still short with what holds it back, the sentences
    path = write_report(result, tmp_path / "report.xlsx")
    rows = list(openpyxl.load_workbook(path)["what it takes"].iter_rows(values_only=True))
    assert rows[1][0] is None  # no member-year raised
    title = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Still short"))
    header, still = rows[title + 1], rows[title + 2]
    assert header[6] == "Held back by"
    assert still[:3] == ("air", "east", Y) and still[6] == "out of personnel: A"
    assert still[5] == pytest.approx(result.what_it_takes_short["shortfall"].iloc[0])


# ---------------------------------------------------------------------------- outputs read back
def test_the_report_sheet_reads_back(tmp_path):
    inputs = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02},
                    {"member": "B", "gdp": 3000, "cap_gdp_share": 0.01}], [target(62)])
    result = solve(inputs)
    assert result.status == "optimal_with_shortfall"
    path = write_report(result, tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(path)
    assert "what it takes" in book.sheetnames
    sheet = read_sheet(path, "what it takes").head(len(result.what_it_takes))
    assert sheet["member"].tolist() == ["B"]
    for column in ("cap_share", "cap", "needed_cap_share", "needed_cap", "extra",
                   "extra_gdp_share"):
        assert sheet[column].astype(float).tolist() == pytest.approx(
            result.what_it_takes[column].tolist(), rel=1e-12)
    assert "personnel_needed" not in sheet  # personnel not relaxed: no columns for it
    ws = book["what it takes"]
    texts = [cell.value for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    for line in result.what_it_takes_lines:
        assert line in texts
    assert read_sheet(path, "deterrence")["held_back_by"].tolist() == ["at cap: A, B"]


def test_sweeps_and_the_switch_leave_it_out():
    inputs = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02}], [target(30)])
    assert solve(inputs, what_it_takes=False).what_it_takes_lines == []
    from optimizer.stages import Resolver

    assert Resolver().solve(inputs).what_it_takes_lines == []
    met = build([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.05}], [target(30)])
    assert solve(met).what_it_takes_lines == []  # every target met: nothing to compute


def test_cli_leads_with_what_it_takes(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    tables = case_tables([{"member": "A", "gdp": 1000, "cap_gdp_share": 0.02}], [target(30)],
                    settings=REQUIRED)
    for name, table in tables.items():
        table.to_csv(case / f"{name}.csv", index=False)
    done = subprocess.run([str(BURDEN), "solve", str(case), "-o", str(tmp_path / "r.xlsx")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "status: infeasible"
    assert lines[1] == "No plan meets every target and limit (status infeasible)."
    assert lines[2] == ("To meet every target: A's cap in 2026 would rise from 2.00% to 3.00% "
                        "of GDP (+10.0 USD million).")
    off = CliRunner().invoke(main, ["solve", str(case), "-o", str(tmp_path / "s.xlsx"),
                                    "--no-what-it-takes"])
    assert off.exit_code == 1
    assert "To meet every target" not in off.output
    assert off.output.splitlines()[1].endswith("The conflict:")
