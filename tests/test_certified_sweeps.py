"""Certified optima deep in a sweep: in-place re-solves equal cold solves, whatever came
before them; every executor gives the same table; the store and the CLI say how each
scenario's optimum was certified."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import read_inputs, run_sweep, solve
from optimizer.stages import Resolver

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "inputs" / "tiny.xlsx"
REFERENCE = ROOT / "tests" / "reference"
BURDEN = str(Path(sys.executable).with_name("burden"))
DASK = str(Path(sys.executable).with_name("dask"))
EXAMPLES = int(os.environ.get("BURDEN_RESOLVE_EXAMPLES", "20"))  # make fuzz: 400

# numbers-only edits (re-solved in place) and structural ones (loaded afresh)
NUMBERS = st.one_of(
    st.tuples(st.just("targets.scale"), st.sampled_from(["0.7", "0.85", "1", "1.15", "1.3"])),
    st.tuples(st.just("members.cap_gdp_share"), st.sampled_from(["0.02", "0.04", "0.06"])),
    st.tuples(st.just("members.floor_gdp_share"), st.sampled_from(["0", "0.005", "0.01"])),
    st.tuples(st.just("members.reliability"), st.sampled_from(["0.8", "1"])),
)
STRUCTURE = st.one_of(
    st.tuples(st.just("settings.objective"),
              st.sampled_from(["min_cost", "min_max_burden", "min_deviation"])),
    st.tuples(st.just("settings.robustness"), st.sampled_from(["0", "1"])),
    st.tuples(st.just("settings.tie_break"), st.sampled_from(["fair_share", "none"])),
)
SCENARIO = st.lists(st.one_of(NUMBERS, NUMBERS, STRUCTURE), min_size=1, max_size=3)


def _case(name: str):
    path = TINY if name == "tiny" else REFERENCE / name
    assert path.exists(), f"{path} is part of the repository"
    return read_inputs(path)


def _stage_values(result) -> dict:
    return dict(zip(result.stages["name"], result.stages["value"]))


@pytest.mark.parametrize("name, warm_start", [
    ("tiny", True),  # LP, min_cost; warm starts, one instance per stage (the default)
    pytest.param("small_5013.xlsx", True, marks=pytest.mark.slow),  # LP, robust, ramp, absent
    ("small_5005.xlsx", True),  # MIP, min_max_burden
    pytest.param("small_5007.xlsx", True, marks=pytest.mark.slow),  # MIP, robust
    ("tiny", False),  # the same, each case starting cold on one instance
    pytest.param("small_5005.xlsx", False, marks=pytest.mark.slow),
])
def test_in_place_re_solves_equal_cold_solves_and_are_certified(name, warm_start):
    base = _case(name)
    resolver = Resolver(tables=False, warm_start=warm_start)
    checked = []
    examples = EXAMPLES if warm_start else max(EXAMPLES // 2, 1)

    @settings(max_examples=examples, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(SCENARIO, min_size=2, max_size=5))
    def check(sequence):
        for overrides in sequence:
            case = base.with_overrides(dict(overrides))
            again, cold = resolver.solve(case), solve(case)
            label = f"{overrides} in {sequence}"
            assert again.status == cold.status, label
            if cold.status in ("optimal", "optimal_with_shortfall"):
                assert again.summary["certified"] and cold.summary["certified"], label
                got, want = _stage_values(again), _stage_values(cold)
                assert list(got) == list(want), label
                for stage, value in want.items():
                    assert got[stage] == pytest.approx(value, rel=2e-6, abs=1e-7), \
                        f"{stage}: {label}"
            checked.append(again.status)

    check()
    print(f"\n{name} (warm start {warm_start}): {len(checked)} in-place re-solves equal to "
          f"cold solves, all certified ({resolver.updates} edited in place, "
          f"{resolver.rebuilds} loaded afresh)")
    assert resolver.updates > 0 and resolver.rebuilds > 0  # both paths were exercised
    assert len(checked) >= 2 * examples


# ------------------------------------------------------------------------ executors
GRID = [("targets.scale", ["0.9", "1.1"]),
        ("settings.objective", ["min_cost", "min_max_burden"])]
COMPARED = ["scenario", "status", "shortfall_index", "objective_value", "total_cost",
            "certified"]


def _dask_cluster(tmp_path):
    """A real `dask scheduler` and one `dask worker` on the loopback interface."""
    scheduler_file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    import json

    address = json.loads(scheduler_file.read_text())["address"]
    worker = subprocess.Popen(
        [DASK, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
         "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return address, [worker, scheduler]


def _stop(processes):
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_pool_dask_local_and_a_real_cluster_give_the_same_table(tmp_path):
    pytest.importorskip("distributed")
    if not Path(DASK).exists():
        pytest.skip("the dask command is not installed")
    case = _case("small_5008.xlsx")  # robust; GRID mixes min_cost and min_max_burden
    pool = run_sweep(case, workers=2, grid=GRID).table
    local = run_sweep(case, workers=2, scheduler="local", grid=GRID).table
    address, processes = _dask_cluster(tmp_path)
    try:
        cluster = run_sweep(case, workers=1, scheduler=address, grid=GRID).table
    finally:
        _stop(processes)
    assert len(pool) == 4 and pool["certified"].all()
    for other in (local, cluster):
        pd.testing.assert_frame_equal(pool[COMPARED], other[COMPARED], rtol=1e-6)
    for _, row in pool.iterrows():  # and each equals a cold solve of that scenario alone
        overrides = dict(part.split("=", 1) for part in row["scenario"].split("; "))
        cold = solve(case.with_overrides(overrides))
        assert row["objective_value"] == pytest.approx(cold.summary["objective_value"],
                                                       rel=1e-6)


# ------------------------------------------------------------------- store and CLI
def test_the_store_keeps_each_scenarios_certificate_and_an_old_store_is_upgraded(tmp_path):
    tiny = read_inputs(TINY)
    store = tmp_path / "sweep.sqlite"
    with sqlite3.connect(store) as db:  # a store written before certificates were kept
        db.executescript("""
            CREATE TABLE scenarios (key TEXT PRIMARY KEY, position INTEGER NOT NULL,
                scenario TEXT NOT NULL, overrides TEXT NOT NULL, status TEXT NOT NULL,
                shortfall_index REAL, objective_value REAL, total_cost REAL,
                max_burden REAL, solve_seconds REAL, message TEXT,
                finished_at TEXT DEFAULT CURRENT_TIMESTAMP);
            INSERT INTO scenarios (key, position, scenario, overrides, status)
                VALUES ('old', 0, 'before', '[]', 'optimal');""")
    table = run_sweep(tiny, workers=1, grid=[("targets.scale", ["1", "1.2"])],
                      out=tmp_path / "sweep.xlsx").table
    assert table["certified"].tolist() == [True, True]
    assert table["second_routes"].tolist() == [0, 0]
    assert (table["max_residual"] < 1e-7).all() and (table["max_gap"] < 1e-7).all()
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT scenario, certified FROM scenarios ORDER BY position, "
                          "scenario").fetchall()
    assert ("before", None) in rows and sum(1 for _, c in rows if c == 1) == 2


def test_cli_says_the_optimum_is_certified_and_how_many_scenarios_needed_a_second_route(
        tmp_path):
    solved = subprocess.run([BURDEN, "solve", str(TINY), "-o", "r.xlsx"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert solved.returncode == 0, solved.stderr
    assert "optimum: certified (largest residual" in solved.stdout
    swept = subprocess.run([BURDEN, "sweep", str(TINY), "--grid", "targets.scale=1,1.3",
                            "--workers", "1", "-o", "s.xlsx"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert swept.returncode == 0, swept.stderr
    assert ("certified optima: 2 of 2 solved scenarios; 0 needed a second solver route"
            in swept.stdout)
    as_json = subprocess.run([BURDEN, "solve", str(TINY), "-o", "j.xlsx", "--json"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    import json

    summary = json.loads(as_json.stdout)
    assert summary["certified"] is True and summary["second_routes"] == 0
