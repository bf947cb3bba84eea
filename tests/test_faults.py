"""Solver faults become statuses, never lost work; results are deterministic."""

from __future__ import annotations

import dataclasses
import time
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


def test_time_limit_without_a_plan_is_a_status_and_is_honoured():
    inputs = _with_time_limit(read_inputs(REFERENCE / "nato_5100.xlsx"), 0.05)
    started = time.perf_counter()
    result = solve(inputs)
    elapsed = time.perf_counter() - started
    assert result.status in ("time_limit", "optimal_with_shortfall")
    if result.status == "time_limit" and result.members.empty:
        assert not result.solved and result.allocation.empty
    assert elapsed < 0.05 + 15  # the build and extraction are outside HiGHS' clock


def test_time_limit_with_a_plan_keeps_it_and_stays_within_the_limit():
    inputs = read_inputs(REFERENCE / "nato_5100.xlsx")
    started = time.perf_counter()
    result = solve(_with_time_limit(inputs, 3.0))
    elapsed = time.perf_counter() - started
    assert result.status in ("time_limit", "optimal_with_shortfall")
    assert elapsed < 3.0 + 15
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
