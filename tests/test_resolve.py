"""Re-solving without rebuilding: a `Resolver` loads cases that differ only in numbers by
editing the solver in place, and rebuilds when the structure changes; the answers equal fresh
solves (MODEL.md stage values within 1e-6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import read_inputs, solve
from optimizer.solve import Resolver

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"

NUMBERS_ONLY = [
    {"targets.scale": 1.0},
    {"targets.scale": 1.3},
    {"members.cap_gdp_share": 0.04},
    {"members.floor_gdp_share": 0.012, "targets.scale": 0.8},
    {"members.gdp_growth": 0.03},
    {"members.reliability": 0.9},
    {"targets.scale": 0.5},
]
STRUCTURAL = [{"settings.objective": "min_max_burden"}, {"settings.allow_shortfall": "false"}]


def _values(result):
    return [result.summary[k] for k in ("shortfall_index", "objective_value", "total_cost")]


@pytest.mark.parametrize("name", ["small_5004.xlsx", "small_5013.xlsx"])
def test_in_place_resolves_equal_fresh_solves(name):
    path = REFERENCE / name
    if not path.exists():
        pytest.skip("no reference cases")
    base = read_inputs(path)
    resolver = Resolver()
    for overrides in NUMBERS_ONLY + STRUCTURAL + NUMBERS_ONLY[:2]:
        case = base.with_overrides(overrides)
        again, fresh = resolver.solve(case), solve(case)
        assert again.status == fresh.status, overrides
        if fresh.solved:
            assert _values(again) == pytest.approx(_values(fresh), rel=1e-6, abs=1e-7), \
                overrides
        else:
            assert again.conflicts == fresh.conflicts
    # the first case and each structural change rebuild; everything else is edited in place
    assert resolver.rebuilds == 1 + len(STRUCTURAL) + 1
    assert resolver.updates == len(NUMBERS_ONLY) - 1 + 1


def test_an_infeasible_scenario_in_the_middle_is_explained_and_does_not_poison_the_next():
    base = read_inputs(ROOT / "inputs" / "tiny.xlsx")
    resolver = Resolver()
    resolver.solve(base)
    bad = resolver.solve(base.with_overrides({"settings.allow_shortfall": "false",
                                              "targets.scale": 100}))
    assert bad.status == "infeasible" and "Target land in east in 2026" in bad.conflicts[0]
    good = resolver.solve(base)
    assert good.status == "optimal" and good.summary["total_cost"] == pytest.approx(145)
