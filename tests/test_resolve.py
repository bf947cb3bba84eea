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


ALLIANCE = ROOT / "inputs" / "alliance.xlsx"
GRID = [{"targets.scale": scale, "members.cap_gdp_share": cap}
        for scale in (1.0, 1.15, 0.85) for cap in (0.06, 0.05)]


def test_a_numbers_only_grid_on_the_shipped_example_equals_fresh_solves():
    """The shipped example (31 members, integer equipment) over a grid of target scales and
    caps: every scenario edited in place, one HiGHS instance per stage, and every stage value
    and member's cost as a fresh solve gives (stage tolerance 1e-6)."""
    base = read_inputs(ALLIANCE)
    resolver = Resolver()
    for overrides in GRID:
        case = base.with_overrides(overrides)
        again, fresh = resolver.solve(case), solve(case)
        assert again.status == fresh.status == "optimal", overrides
        assert again.stages["value"].tolist() == pytest.approx(
            fresh.stages["value"].tolist(), rel=2e-6, abs=1e-7), overrides
        yearly = [r.members.groupby("year")["cost"].sum().to_numpy() for r in (again, fresh)]
        assert yearly[0] == pytest.approx(yearly[1], rel=2e-6), overrides
        assert len(again.allocation) and len(again.deterrence) and again.brief
    assert (resolver.rebuilds, resolver.updates) == (1, len(GRID) - 1)
    assert len(resolver.sessions.sessions) == len(again.stages) == 3


def test_summary_only_resolves_skip_the_tables_but_not_the_members():
    base = read_inputs(ROOT / "inputs" / "tiny.xlsx")
    lean, full = Resolver(tables=False), Resolver()
    for scale in (1.0, 1.2):
        case = base.with_overrides({"targets.scale": scale})
        short, whole = lean.solve(case), full.solve(case)
        assert short.summary["total_cost"] == pytest.approx(whole.summary["total_cost"])
        assert short.members["cost"].to_numpy() == pytest.approx(
            whole.members["cost"].to_numpy(), abs=1e-6)
        assert short.allocation.empty and short.deterrence.empty and not short.brief
        assert len(whole.allocation) and whole.brief


def test_keep_rows_are_edited_in_place_with_the_new_objective():
    """A stage's keep row is re-used case after case: its coefficients follow the stage
    objective (shortfall weights are priority / target, so they move with the targets)."""
    import numpy as np

    from optimizer.highs_adapter import HighsSession, assemble
    from optimizer.solve import formulate

    base = read_inputs(ROOT / "inputs" / "tiny.xlsx")
    first, second = (assemble(formulate(base.with_overrides({"targets.scale": s})))
                     for s in (1.0, 2.0))
    weights = [c.objectives["shortfall_index"] for c in (first, second)]
    assert not np.array_equal(*weights)
    session = HighsSession(first)
    session.start()
    session.keep(weights[0], 1.0)
    rows = session.highs.getNumRow()
    assert session.update(second)
    session.keep(weights[1], 3.0)
    lp = session.highs.getLp()
    assert session.highs.getNumRow() == rows  # the same row, not a new one
    row = np.zeros(lp.num_col_)
    starts, index, value = (np.asarray(a) for a in (lp.a_matrix_.start_,
                                                     lp.a_matrix_.index_,
                                                     lp.a_matrix_.value_))
    for column in range(lp.num_col_):
        for k in range(starts[column], starts[column + 1]):
            if index[k] == rows - 1:
                row[column] = value[k]
    np.testing.assert_array_equal(row, weights[1])
    assert lp.row_upper_[rows - 1] == pytest.approx(3.0 * (1 + 1e-6) + 1e-9)
