"""Fairness diagnostics (optimizer/diagnostics.py) on hand-computed cases, and target priorities
deciding which target is left short in a hand-solved case."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import spearmanr

from optimizer import solve
from optimizer.brief import brief_lines
from optimizer.diagnostics import (
    READINGS,
    fairness_table,
    free_rider_test,
    horizon_totals,
    spearman,
    year_table,
)
from optimizer.inputs import inputs_from_frames

# Four members (GDP constant over the years, so every year's GDP shares are the same):
#            gdp   population
#   A        100   10
#   B        200   40
#   C        300   30
#   D        400   20
# gdp shares 0.1 0.2 0.3 0.4; population 0.1 0.4 0.3 0.2; equal 0.25;
# mixed (gdp=0.5, population=0.5): 0.1 0.3 0.3 0.3.
# With share_ceiling 0.28 the mixed shares become min(0.28, lam*s) summing to 1: B, C, D at
# 0.28 (0.84), A at lam*0.1 = 0.16, lam = 1.6 (and 1.6*0.3 = 0.48 >= 0.28, so B-D do sit at
# the ceiling): rule in use 0.16 0.28 0.28 0.28.
GDP = {"A": 100.0, "B": 200.0, "C": 300.0, "D": 400.0}
POP = {"A": 10.0, "B": 40.0, "C": 30.0, "D": 20.0}
RULES = {
    "fair_gdp": [0.1, 0.2, 0.3, 0.4],
    "fair_population": [0.1, 0.4, 0.3, 0.2],
    "fair_equal": [0.25] * 4,
    "fair_mixed": [0.1, 0.3, 0.3, 0.3],
    "rule_in_use": [0.16, 0.28, 0.28, 0.28],
}
# Costs chosen by hand (not solved): 2026 burdens 4%, 3%, 2%, 1% (the largest economy carries
# the lightest relative burden: rank correlation -1); 2027 burdens 3%, 3%, 2%, 4%.
COSTS = {2026: [4.0, 6.0, 6.0, 4.0], 2027: [3.0, 6.0, 6.0, 16.0]}


def four_members(settings=None, population=True):
    settings = settings or {"fair_share": "mixed", "fair_share_weights": "gdp=1, population=1",
                            "share_ceiling": 0.28}
    members = pd.DataFrame({"member": list(GDP), "gdp": list(GDP.values())})
    if population:
        members["population"] = list(POP.values())
    return inputs_from_frames({
        "settings": pd.DataFrame({"key": list(settings),
                                  "value": [str(v) for v in settings.values()]}),
        "members": members,
        "capabilities": pd.DataFrame({"capability": ["land"], "funding_effect": [1.0]}),
        "targets": pd.DataFrame({"capability": ["land", "land"], "region": ["east", "east"],
                                 "year": [2026, 2027], "target": [10.0, 10.0]}),
    })


def hand_members() -> pd.DataFrame:
    rows = []
    for year, costs in COSTS.items():
        total = sum(costs)
        for (member, gdp), cost in zip(GDP.items(), costs, strict=True):
            rows.append({"member": member, "year": year, "gdp": gdp, "cost": cost,
                         "burden": cost / gdp, "actual_share": cost / total})
    return pd.DataFrame(rows)


def test_fair_shares_under_every_rule():
    table = fairness_table(four_members(), hand_members())
    assert list(table.columns) == [
        "member", "year", "gdp", "cost", "burden", "fair_gdp", "fair_population", "fair_equal",
        "fair_mixed", "rule_in_use", "actual_share", "gap", "rank_gdp", "rank_burden",
        "rank_gap"]
    assert list(zip(table["year"], table["member"], strict=True)) == \
        [(y, m) for y in (2026, 2027) for m in "ABCD"]
    for year in (2026, 2027):
        rows = table[table["year"] == year]
        for column, expected in RULES.items():
            assert rows[column].tolist() == pytest.approx(expected, abs=1e-12), (year, column)


def test_gap_and_ranks_by_hand():
    table = fairness_table(four_members(), hand_members())
    first = table[table["year"] == 2026]
    # actual shares 4/20, 6/20, 6/20, 4/20 = 0.2 0.3 0.3 0.2 against 0.16 0.28 0.28 0.28
    assert first["gap"].tolist() == pytest.approx([0.04, 0.02, 0.02, -0.08], abs=1e-12)
    assert first["rank_gdp"].tolist() == [4, 3, 2, 1]
    assert first["rank_burden"].tolist() == [1, 2, 3, 4]
    assert first["rank_gap"].tolist() == [1, 2, 2, 4]  # B and C tie
    second = table[table["year"] == 2027]
    assert second["rank_burden"].tolist() == [2, 2, 4, 1]  # A and B both at 3%
    assert table["rank_gdp"].dtype == "int64"


def test_rules_that_do_not_apply_are_left_out():
    inputs = four_members({"fair_share": "equal"}, population=False)
    table = fairness_table(inputs, hand_members())
    assert "fair_population" not in table and "fair_mixed" not in table
    assert table["rule_in_use"].tolist() == pytest.approx([0.25] * 8)
    assert table["fair_gdp"].tolist() == pytest.approx(RULES["fair_gdp"] * 2)


def test_rank_correlation_by_hand():
    # 2026: GDP ranks 1 2 3 4, burden ranks 4 3 2 1: rho = -1.
    # 2027: burden 3% 3% 2% 4%: average ranks 2.5 2.5 1 4 against 1 2 3 4; deviations from
    # the mean 2.5: (-1.5 -0.5 0.5 1.5) and (0 0 -1.5 1.5): covariance sum 1.5, squares 5 and
    # 4.5, rho = 1.5 / sqrt(22.5) = sqrt(0.1) = 0.3162...
    test = free_rider_test(hand_members())
    assert test["year"].tolist() == [2026, 2027]
    assert test["members"].tolist() == [4, 4]
    assert test["spearman"].tolist() == pytest.approx([-1.0, math.sqrt(0.1)], abs=1e-12)
    assert test["reading"].tolist() == [READINGS["negative"], READINGS["positive"]]
    for year, group in hand_members().groupby("year"):
        assert spearman(group["gdp"], group["burden"]) == pytest.approx(
            spearmanr(group["gdp"], group["burden"]).statistic, abs=1e-12), year


def test_readings_point_the_right_way():
    # Olson-Zeckhauser: the large carry a disproportionate burden, the small free-ride.
    assert "small free-ride on the large" in READINGS["positive"]
    assert "does not hold" in READINGS["negative"]
    assert "no clear relation" in READINGS["none"]


@pytest.mark.parametrize("gdp, burden, expected", [
    ([1, 2, 3, 4, 5], [0.01, 0.02, 0.03, 0.04, 0.05], "positive"),
    ([1, 2, 3, 4, 5], [0.05, 0.04, 0.03, 0.02, 0.01], "negative"),
    ([1, 2, 3, 4, 5], [0.03, 0.01, 0.05, 0.02, 0.04], "none"),    # rho = 0.1
    ([1, 2], [0.01, 0.02], "few"),
    ([1, 2, 3], [0.02, 0.02, 0.02 + 1e-13], "flat"),              # solver noise is no rank
])
def test_free_rider_reading(gdp, burden, expected):
    frame = pd.DataFrame({"member": list("abcde")[:len(gdp)], "year": 2030, "gdp": gdp,
                          "burden": burden})
    assert free_rider_test(frame)["reading"].tolist() == [READINGS[expected]]


# ---------------------------------------------------------------- priorities decide
# One member, GDP 1000, cap 1% of GDP: it can spend 10. Two targets of 10 in 2026, land and
# air, each bought at 1 money per unit. Stage 1 minimises
#   SI = p_land * (10 - F_land) / 10 + p_air * (10 - F_air) / 10,  F_land + F_air <= 10,
# a linear function whose best corner spends all 10 on the target with the larger priority:
# with p_land = 2, p_air = 1: F_land = 10, air short by 10, SI* = 1; swapped: land short.
def priority_case(p_land, p_air):
    return inputs_from_frames({
        "settings": pd.DataFrame({"key": ["objective"], "value": ["min_cost"]}),
        "members": pd.DataFrame({"member": ["Solo"], "gdp": [1000.0], "cap_gdp_share": [0.01]}),
        "capabilities": pd.DataFrame({"capability": ["land", "air"],
                                      "funding_effect": [1.0, 1.0]}),
        "targets": pd.DataFrame({"capability": ["land", "air"], "region": ["east", "east"],
                                 "year": [2026, 2026], "target": [10.0, 10.0],
                                 "priority": [p_land, p_air]}),
    })


@pytest.mark.parametrize("p_land, p_air, short, met", [(2.0, 1.0, "air", "land"),
                                                       (1.0, 2.0, "land", "air")])
def test_priority_decides_which_target_is_left_short(p_land, p_air, short, met):
    result = solve(priority_case(p_land, p_air))
    assert result.status == "optimal_with_shortfall"
    assert result.summary["shortfall_index"] == pytest.approx(1.0, rel=1e-6)
    shortfall = result.deterrence.set_index("capability")["shortfall"]
    assert shortfall[short] == pytest.approx(10.0, rel=1e-6)
    assert shortfall[met] <= 1e-5  # the cost stage may spend the 1e-6 stage slack
    # W = 3, SI = 1: two thirds of the priority-weighted targets met, one of two in full
    totals = horizon_totals(result.free_riders)
    assert totals["weighted_met"] == pytest.approx(2 / 3, rel=1e-6)
    assert (totals["targets"], totals["targets_met"]) == (2, 1)
    brief = brief_lines(result)
    assert brief == result.brief
    assert brief[0] == "66.67% of the priority-weighted targets are met; 1 of 2 targets in full."
    assert brief[1].startswith(f"Left short, most urgent first: {short} in east in 2026 "
                               f"(priority {p_air if short == 'air' else p_land:g}): 10.00 of "
                               "10.00 missing")


def test_year_table_sums_to_the_horizon():
    result = solve(priority_case(2.0, 1.0))
    years = year_table(result.fairness, result.deterrence)
    assert years.equals(result.free_riders)
    row = years.iloc[0]
    assert (row["year"], row["members"], row["targets"], row["targets_met"]) == (2026, 1, 2, 1)
    assert row["priority_weight"] == 3.0
    assert row["cost"] == pytest.approx(10.0, rel=1e-6)
    assert row["burden"] == pytest.approx(0.01, rel=1e-6)
    assert row["reading"] == READINGS["few"]
