"""Re-solving without rebuilding: a `Resolver` loads cases that differ only in numbers by
editing the solver in place, and rebuilds when the structure changes; the answers equal fresh
solves (docs/model.md stage values within 1e-6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import read_inputs, solve
from optimizer.stages import Resolver

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"

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
    base = read_inputs(REFERENCE / name)
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


ALLIANCE = ROOT / "tests" / "cases" / "alliance_2030.xlsx"  # the shipped example, 2026-2030
GRID = [{"targets.scale": scale, "members.cap_gdp_share": cap}
        for scale in (1.0, 1.05, 0.85) for cap in (0.06, 0.05)]


@pytest.mark.parametrize("warm_start", [pytest.param(False, marks=pytest.mark.slow), True])
def test_a_numbers_only_grid_on_the_shipped_example_equals_fresh_solves(warm_start):
    """The shipped example's first five years (31 members, integer equipment, every lever)
    over a grid of target scales and
    caps: every scenario edited in place (cold on one instance, or warm on one instance per
    stage), and every stage value and member's cost as a fresh solve gives (stage tolerance
    1e-6)."""
    from optimizer.highs_adapter import HighsSession

    base = read_inputs(ALLIANCE)
    resolver = Resolver(warm_start=warm_start)
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
    if warm_start:
        assert len(resolver.sessions.sessions) == len(again.stages) == 4
    else:
        assert isinstance(resolver.sessions, HighsSession)


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
    objective it keeps (here another objective in the first keep row's place), as HiGHS
    holds it: each column in its unit of measure, the row scaled by a power of two."""
    import numpy as np

    from optimizer.highs_adapter import HighsSession, assemble
    from optimizer.stages import formulate

    base = read_inputs(ROOT / "inputs" / "tiny.xlsx")
    first, second = (assemble(formulate(base.with_overrides({"targets.scale": s})))
                     for s in (1.0, 2.0))
    weights = [first.objectives["shortfall_index"], second.objectives["total_cost"]]
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
    factor = session.keep_rows[0].factor
    np.testing.assert_array_equal(row, factor * weights[1] * session.scaling.column)
    assert lp.row_upper_[rows - 1] == pytest.approx(factor * (3.0 * (1 + 1e-6) + 1e-9))


# A Resolver formulates each case with the structure kept from the cases before it
# (`models.StructureCache`) and assembles it through the last matrix's entry order
# (`highs_adapter.MatrixPattern`). Whatever came before, the result must be exactly the
# formulation of the case alone.
SEQUENCE_POOL = [
    {}, {"targets.scale": 0.9}, {"targets.scale": 1.4}, {"members.cap_gdp_share": 0.05},
    {"members.personnel_cost": 0},  # zero coefficients leave the matrix
    {"members.reliability": 0.8}, {"members.gdp_growth": 0.02},
    {"settings.robustness": 1}, {"settings.fairness_tolerance": 0.4},
    {"settings.max_growth": 0.15}, {"settings.allow_shortfall": "false"},
    {"settings.objective": "min_deviation"}, {"members[{first}].absent": "yes"},
    {"members[{first}].absent": "yes", "targets.scale": 1.2},
]


def _compiled_parts(layout, compiled):
    import numpy as np

    m = compiled.matrix
    arrays = [m.indptr, m.indices, m.data, compiled.row_lower, compiled.row_upper,
              compiled.col_lower, compiled.col_upper, compiled.integer,
              *compiled.objectives.values()]
    unreachable = sorted(layout.unreachable)
    return ([np.asarray(a) for a in arrays], list(compiled.objectives), compiled.blocks,
            [getattr(layout, f) for f in ("cells", "units", "member_years", "targets")]
            + [layout.unreachable[block] for block in unreachable],
            (list(layout.stages), unreachable))


def _assert_same(got, want, label):
    import numpy as np
    import pandas as pd

    for a, b in zip(got[0], want[0]):
        assert a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), \
            label
    assert got[1:3] == want[1:3], label
    for a, b in zip(got[3], want[3]):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=label)
    assert got[4] == want[4], label


@pytest.mark.parametrize("name", ["alliance", "small_5013.xlsx"])
def test_kept_structure_gives_the_formulation_of_each_case_alone(name):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from models import StructureCache
    from optimizer.highs_adapter import assemble
    from optimizer.stages import formulate

    base = read_inputs(ALLIANCE if name == "alliance" else REFERENCE / name)
    first = base.members.index[0]
    pool = [{k.replace("{first}", first): v for k, v in o.items()} for o in SEQUENCE_POOL]
    cases = [base.with_overrides(o) for o in pool]
    alone = {}

    def formulation_alone(k):
        if k not in alone:
            layout = formulate(cases[k])
            alone[k] = _compiled_parts(layout, assemble(layout))
        return alone[k]

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.integers(0, len(pool) - 1), min_size=2, max_size=6))
    def check(sequence):
        cache, previous = StructureCache(), None
        for k in sequence:
            layout = formulate(cases[k], cache=cache)
            previous = assemble(layout, previous, keep_pattern=True)
            _assert_same(_compiled_parts(layout, previous), formulation_alone(k),
                         f"{pool[k]} after {[pool[j] for j in sequence]}")

    check()
    # and the plain walk through the pool, each case after the one before
    cache, previous = StructureCache(), None
    for k in list(range(len(pool))) + [0, 1, 0]:
        layout = formulate(cases[k], cache=cache)
        previous = assemble(layout, previous, keep_pattern=True)
        _assert_same(_compiled_parts(layout, previous), formulation_alone(k), str(pool[k]))
