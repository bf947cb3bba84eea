"""One plan, one total: the summary's total cost is the sum of the plan it reports, and a member
the tie-break lifts a hair off its floor still counts as at it (docs/report.md, members)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_workbook

from optimizer import read_inputs, solve

ROOT = Path(__file__).resolve().parent.parent

#: The template's example with Poland allowed in the east: one member whose floor (its pledge,
#: 40,000) is the cheapest plan; the tie-break's slack (1e-6 of 40,000, +1e-9) lands on it.
POLAND = {
    "settings": [["key", "value"], ["objective", "min_cost"], ["fair_share", "gdp"],
                 ["allow_shortfall", True], ["currency", "USD million"]],
    "members": [["member", "gdp", "gdp_growth", "population", "personnel_available",
                 "personnel_cost", "floor_gdp_share", "cap_gdp_share", "baseline",
                 "reliability", "absent"],
                ["Poland", 1000000, 0.02, 36.6, 20000, 0.05, 0.02, 0.05, 30000, 1, False]],
    "capabilities": [["capability", "funding_effect", "personnel_effect"], ["maritime", 1, 10]],
    "targets": [["capability", "region", "year", "target", "priority"],
                ["maritime", "east", 2026, 50000, 1]],
    "equipment": [["equipment", "capability", "effect", "unit_cost", "crew", "integer"],
                  ["frigate", "maritime", 500, 300, 200, True]],
    "inventory": [["member", "equipment", "units"], ["Poland", "frigate", 4]],
    "access": [["member", "region", "allowed"], ["Poland", "east", True]],
    "quality": [["member", "capability", "multiplier"], ["Poland", "maritime", 1.1]],
    "gdp": [["member", "year", "gdp"], ["Poland", 2026, 1050000]],
    "commitments": [["member", "year", "floor_gdp_share", "cap_gdp_share", "pledge"],
                    ["Poland", 2026, 0.03, 0.05, 40000]],
}


@pytest.fixture(scope="module")
def alliance():
    return solve(read_inputs(ROOT / "inputs" / "alliance.xlsx"))


def test_the_total_cost_is_the_sum_of_the_members_costs(alliance):
    stage = float(alliance.stages.set_index("name").loc["total_cost", "value"])
    members = float(alliance.members["cost"].sum())
    assert members > stage + 1.0  # the tie-break spent part of its slack on this plan
    assert alliance.summary["total_cost"] == members
    assert alliance.allocation["cost"].sum() == pytest.approx(members, rel=1e-9)
    assert alliance.free_riders["cost"].sum() == pytest.approx(members, rel=1e-12)
    assert f"{members:,.1f} USD million" in " ".join(alliance.brief)


def test_a_member_the_tie_break_lifts_off_its_floor_is_at_its_floor(tmp_path):
    result = solve(read_inputs(write_workbook(tmp_path / "poland.xlsx", POLAND)))
    row = result.members.iloc[0]
    assert result.status == "optimal"
    assert row["floor"] == 40000.0
    assert 40000.0 < row["cost"] <= 40000.0 + 2e-6 * 40000  # a hair above the floor
    assert bool(row["at_floor"]) and not bool(row["at_cap"])
    assert "At their floor: Poland (2026)." in result.brief
