"""Solver faults become statuses, never lost work; results are deterministic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from optimizer import read_inputs, solve
from optimizer.sweep import Scenario, _process_pool, run_scenario

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
ALLIANCE = ROOT / "tests" / "cases" / "alliance_2030.xlsx"  # the shipped example, 2026-2030


def _with_time_limit(inputs, seconds):
    return dataclasses.replace(inputs, settings=dataclasses.replace(inputs.settings,
                                                                    time_limit=seconds))


def _limits_handed_to_highs(monkeypatch) -> list[float]:
    """The seconds left that a solve hands HiGHS for each stage, as it hands them."""
    from optimizer import highs_adapter

    handed = []
    minimise = highs_adapter.HighsSession.minimise

    def recording(self, costs, seconds_left):
        handed.append(seconds_left)
        return minimise(self, costs, seconds_left)

    monkeypatch.setattr(highs_adapter.HighsSession, "minimise", recording)
    return handed


def test_time_limit_without_a_plan_is_a_status_and_is_honoured(monkeypatch):
    inputs = _with_time_limit(read_inputs(REFERENCE / "nato_5100.xlsx"), 0.05)
    handed = _limits_handed_to_highs(monkeypatch)
    result = solve(inputs)
    assert result.status in ("time_limit", "optimal_with_shortfall")
    if result.status == "time_limit" and result.members.empty:
        assert not result.solved and result.allocation.empty
    # every stage gets what is left of the limit, never more
    assert handed and all(0 < limit <= 0.05 for limit in handed), handed


def test_time_limit_with_a_plan_keeps_it_and_stays_within_the_limit(monkeypatch):
    inputs = read_inputs(REFERENCE / "nato_5100.xlsx")
    handed = _limits_handed_to_highs(monkeypatch)
    result = solve(_with_time_limit(inputs, 3.0))
    assert result.status in ("time_limit", "optimal_with_shortfall")
    # what is left shrinks from run to run
    assert handed and all(0 < limit <= 3.0 for limit in handed), handed
    assert all(later < earlier for earlier, later in zip(handed, handed[1:])), handed
    if result.status == "time_limit":
        stopped = result.stages[result.stages["status"] == "time_limit"]
        assert len(stopped) == 1
        if result.solved and len(result.members):
            assert result.members["cost"].sum() > 0
            assert any("stopped early" in w for w in result.warnings) or \
                stopped["value"].isna().all()


def test_an_exception_inside_a_worker_becomes_an_error_row():
    inputs = read_inputs(ROOT / "inputs" / "tiny.xlsx")
    broken = dataclasses.replace(inputs, tables={})  # so every override fails in the worker
    row = run_scenario(broken, Scenario("x", (("targets.scale", "2"),)), "k", 0)
    assert row["status"] == "error" and "Error" in row["message"] and row["members"] == []
    rows = []
    _process_pool(broken, [(Scenario("a", (("targets.scale", "2"),)), "ka", 0),
                           (Scenario("b", ()), "kb", 1)], 1, rows.append)
    assert sorted(r["key"] for r in rows) == ["ka", "kb"]
    assert {r["status"] for r in rows} == {"error"}


def test_same_input_gives_identical_tables_across_runs():
    first, second = solve(read_inputs(ALLIANCE)), solve(read_inputs(ALLIANCE))
    for table in ("members", "allocation", "deterrence", "stages"):
        a, b = getattr(first, table), getattr(second, table)
        if table == "stages":
            a, b = a.drop(columns="seconds"), b.drop(columns="seconds")
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    volatile = {"solve_seconds", "created_at"}
    assert {k: v for k, v in first.summary.items() if k not in volatile} == \
        {k: v for k, v in second.summary.items() if k not in volatile}
