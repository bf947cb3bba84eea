"""Sweeps: scenarios crossed with grids, the resumable store, executors, the sweep workbook,
member absence, and the frontier (docs/cli.md "burden sweep", docs/model.md "Cost-fairness frontier")."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer import InputError, frontier, read_inputs, run_sweep, solve
from optimizer.headers import internal_names, read_sheet
from optimizer.store import Store, StoreLocked
from optimizer.sweep import Scenario, expand_scenarios, parse_grid

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "inputs" / "tiny.xlsx"
BURDEN = str(Path(sys.executable).with_name("burden"))


@pytest.fixture(scope="module")
def tiny():
    return read_inputs(TINY)


def test_grid_of_n_by_m_gives_n_times_m_scenarios_with_readable_names(tiny):
    grids = [parse_grid("targets.scale=1,1.5,2"), parse_grid("members.cap_gdp_share=0.02,0.05")]
    scenarios = expand_scenarios(tiny, grids)
    assert len(scenarios) == 6
    assert scenarios[0].name == "targets.scale=1; members.cap_gdp_share=0.02"
    assert scenarios[-1].overrides == (("targets.scale", "2"),
                                       ("members.cap_gdp_share", "0.05"))
    with_absence = expand_scenarios(tiny, grids, each_member_absent=True)
    assert len(with_absence) == 6 * 3  # everyone present, Alpha absent, Beta absent
    assert with_absence[1].absent_member == "Alpha"


def test_bad_grid_and_bad_override_are_refused_before_solving(tiny, tmp_path):
    with pytest.raises(InputError):
        parse_grid("targets.scale")
    with pytest.raises(InputError) as info:
        run_sweep(tiny, [Scenario("bad", (("members.gdp", "-1"),)),
                         Scenario("worse", (("settings.nothing", "1"),))],
                  out=tmp_path / "s.xlsx", workers=1)
    text = str(info.value)
    assert "scenario 'bad'" in text and "scenario 'worse'" in text
    assert not (tmp_path / "s.sqlite").exists()


def test_sweep_equals_single_solves_and_writes_the_workbook(tiny, tmp_path):
    out = tmp_path / "sweep.xlsx"
    grid = [("targets.scale", ["1", "2"]), ("settings.objective", ["min_cost",
                                                                   "min_max_burden"])]
    table = run_sweep(tiny, out=out, workers=2, grid=grid).table
    assert len(table) == 4 and set(table["status"]) <= {"optimal", "optimal_with_shortfall"}
    for _, row in table.iterrows():
        single = solve(tiny.with_overrides({"targets.scale": row["targets.scale"],
                                            "settings.objective": row["settings.objective"]}))
        for key in ("shortfall_index", "objective_value", "total_cost", "max_burden"):
            assert row[key] == pytest.approx(single.summary[key], rel=1e-9, abs=1e-12), key
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["brief", "scenarios", "shortfalls", "member_costs", "settings"]
    header = [c.value for c in book["scenarios"][1]]
    assert header == ["Scenario", "targets.scale", "settings.objective", "Status",
                      "Shortfall index", "Objective's optimum", "Total cost (USD million)",
                      "Highest burden (% of GDP)", "Certified optimum",
                      "Stages solved by a second route", "Largest residual (scaled)",
                      "Largest duality gap (relative)", "Solve time (s)", "Message"]
    assert internal_names(header) == ["scenario", "targets.scale", "settings.objective",
                                      "status", "shortfall_index", "objective_value",
                                      "total_cost", "max_burden", "certified",
                                      "second_routes", "max_residual", "max_gap",
                                      "solve_seconds", "message"]
    assert book["member_costs"].max_row == 1 + 4 * 2  # 4 scenarios x 2 members x 1 year
    assert len(book["scenarios"]._charts) == 1
    with sqlite3.connect(tmp_path / "sweep.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_fresh_and_persistent_sweeps_agree(tiny):
    """`persistent=False` (`burden sweep --fresh`) rebuilds every scenario; the default edits
    the worker's loaded model in place. Same figures within the stage tolerance."""
    grid = [("targets.scale", ["1", "1.5", "0.7", "2"]),
            ("members.cap_gdp_share", ["0.05", "0.04"])]
    fresh = run_sweep(tiny, workers=1, grid=grid, persistent=False).table
    edited = run_sweep(tiny, workers=1, grid=grid).table
    assert fresh["scenario"].tolist() == edited["scenario"].tolist()
    assert fresh["status"].tolist() == edited["status"].tolist()
    for key in ("shortfall_index", "objective_value", "total_cost", "max_burden"):
        assert edited[key].to_numpy() == pytest.approx(fresh[key].to_numpy(), rel=2e-6,
                                                       abs=1e-9), key


def test_absent_member_pays_nothing_and_the_ranking_matches_single_solves(tiny, tmp_path):
    out = tmp_path / "absence.xlsx"
    run_sweep(tiny, out=out, workers=1, each_member_absent=True)
    absence = read_sheet(out, "absence")
    assert list(absence["member"]) == ["Beta", "Alpha"]  # Beta carries more: its absence hurts
    present = solve(tiny)
    for _, row in absence.iterrows():
        alone = solve(tiny.with_overrides({f"members[{row['member']}].absent": "true"}))
        mine = alone.members[alone.members["member"] == row["member"]]
        assert (mine["cost"] == 0).all()
        assert not (alone.allocation["member"] == row["member"]).any()
        assert row["extra_shortfall_index"] == pytest.approx(
            alone.summary["shortfall_index"] - present.summary["shortfall_index"], abs=1e-9)
        # each total is its plan's own, within the tie-break's 1e-6 of the cost optimum
        # (the sweep's in-place solves may use a different share of that slack)
        assert row["extra_cost"] == pytest.approx(
            alone.summary["total_cost"] - present.summary["total_cost"],
            abs=2e-6 * present.summary["total_cost"])


def test_second_sweep_on_a_locked_store_is_refused(tmp_path):
    with Store(tmp_path / "s.sqlite"), pytest.raises(StoreLocked, match="in use"):
        with Store(tmp_path / "s.sqlite"):
            pass


def _stored(path: Path) -> pd.DataFrame:
    with sqlite3.connect(path) as db:
        if not db.execute("SELECT name FROM sqlite_master WHERE name = 'scenarios'").fetchone():
            return pd.DataFrame()
        return pd.read_sql_query("SELECT key, scenario, status, total_cost, shortfall_index "
                                 "FROM scenarios ORDER BY key", db)


def test_sweep_killed_with_sigkill_resumes_without_loss_or_duplicates(tmp_path):
    out = tmp_path / "killed.xlsx"
    store = out.with_suffix(".sqlite")
    command = [BURDEN, "sweep", str(TINY), "--grid", "targets.scale=" +
               ",".join(str(1 + k / 10) for k in range(6)), "--grid",
               "members.cap_gdp_share=0.03,0.05", "-o", str(out), "--workers", "1"]
    process = subprocess.Popen(command, cwd=tmp_path, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if store.exists() and len(_stored(store)) >= 3:
                break
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the sweep and its pool workers
        process.wait()
    before = _stored(store)
    assert 3 <= len(before) < 12, "the sweep should have been killed part way"
    rerun = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} of 12 scenarios already done" in rerun.stderr
    after = _stored(store)
    assert len(after) == 12 and after["key"].is_unique and after["scenario"].is_unique
    pd.testing.assert_frame_equal(after[after["key"].isin(before["key"])].reset_index(drop=True),
                                  before.reset_index(drop=True))
    assert len(read_sheet(out, "scenarios")) == 12


def test_dask_local_cluster_equals_the_process_pool(tiny, tmp_path):
    pytest.importorskip("distributed")
    grid = [("targets.scale", ["1", "1.5", "3"])]
    pool = run_sweep(tiny, workers=1, grid=grid).table
    dask = run_sweep(tiny, workers=1, scheduler="local", grid=grid).table
    columns = ["scenario", "status", "shortfall_index", "objective_value", "total_cost",
               "max_burden"]
    pd.testing.assert_frame_equal(pool[columns], dask[columns], rtol=1e-6)


def test_cli_sweep_exit_codes(tmp_path):
    bad = subprocess.run([BURDEN, "sweep", str(TINY), "--grid", "members.gdp=-5"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr + bad.stdout
    assert "members.gdp=-5" in bad.stderr
    assert not list(tmp_path.iterdir())


def test_frontier_runs_from_min_cost_to_min_deviation(tmp_path):
    inputs = read_inputs(ROOT / "tests" / "reference" / "small_5001.xlsx")
    curve = frontier(inputs, points=5).table
    assert len(curve) == 5 and (curve["status"] == "optimal").all()
    cheapest = solve(inputs.with_overrides({"settings.objective": "min_cost"})).summary
    fairest = solve(inputs.with_overrides({"settings.objective": "min_deviation"})).summary
    assert curve["total_cost"].iloc[0] == pytest.approx(cheapest["total_cost"], rel=2e-6)
    assert curve["deviation"].iloc[-1] == pytest.approx(fairest["objective_value"], rel=2e-6)
    assert curve["total_cost"].iloc[-1] == pytest.approx(fairest["total_cost"], rel=2e-6)
    assert (curve["deviation"].diff().dropna() <= 1e-6).all()  # deviation falls ...
    assert (curve["total_cost"].diff().dropna() >= -1e-6).all()  # ... and cost never does
    assert (curve["deviation"] <= curve["eps"] * (1 + 1e-8) + 1e-8).all()


def test_a_member_override_wins_over_the_all_members_one_in_any_order(tiny):
    for order in ([("members.cap_gdp_share", 0.03), ("members[Alpha].cap_gdp_share", 0.04)],
                  [("members[Alpha].cap_gdp_share", 0.04), ("members.cap_gdp_share", 0.03)]):
        case = tiny.with_overrides(dict(order))
        assert case.members["cap_gdp_share"].tolist() == [0.04, 0.03]


def test_absence_ranking_survives_scenarios_that_all_failed():
    from optimizer.sweep import absence_table

    scenarios = [Scenario("everyone"), Scenario("A absent", (("members[A].absent", "true"),))]
    table = pd.DataFrame({"scenario": ["everyone", "A absent"], "status": ["error", "error"],
                          "shortfall_index": [None, None], "total_cost": [None, None]})
    ranked = absence_table(table, scenarios, ["k1", "k2"])
    assert list(ranked["member"]) == ["A"] and ranked["extra_cost"].isna().all()


def test_what_it_takes_per_scenario_equals_its_own_solve(tmp_path):
    """`--what-it-takes`: each short or infeasible scenario's cap_raise is the sum of the raises
    what_it_takes gives that scenario alone; a scenario meeting every target needs none."""
    from conftest import good_sheets, write_workbook

    from optimizer import what_it_takes

    case = write_workbook(tmp_path / "case.xlsx", good_sheets())
    inputs = read_inputs(case)
    grid = [("targets.scale", [1, 1.5]), ("settings.allow_shortfall", ["true", "false"])]
    table = run_sweep(inputs, grid=grid, workers=1, what_it_takes=True).table
    at = list(table.columns).index("status")
    assert list(table.columns[at:at + 4]) == ["status", "what_it_takes", "cap_raise",
                                              "members_raised"]
    for _, row in table.iterrows():
        overrides = {"targets.scale": row["targets.scale"],
                     "settings.allow_shortfall": row["settings.allow_shortfall"]}
        if row["status"] == "optimal":
            assert (row["what_it_takes"], row["cap_raise"], row["members_raised"]) == \
                ("met", 0.0, 0)
            continue
        assert row["status"] in ("optimal_with_shortfall", "infeasible")
        alone = what_it_takes(inputs.with_overrides(overrides))
        assert alone.status == row["what_it_takes"] == "optimal"
        assert row["cap_raise"] == pytest.approx(alone.limits["extra"].sum(), rel=1e-6)
        assert row["members_raised"] == alone.limits["member"].nunique() > 0
    assert set(table["status"]) == {"optimal", "optimal_with_shortfall", "infeasible"}
    plain = run_sweep(inputs, grid=grid, workers=1).table
    assert "cap_raise" not in plain.columns

    out = tmp_path / "raised.xlsx"
    done = subprocess.run([BURDEN, "sweep", str(case), "--grid", "targets.scale=1,1.5",
                           "--what-it-takes", "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sheet = read_sheet(out, "scenarios")
    assert {"what_it_takes", "cap_raise", "members_raised"} <= set(sheet.columns)
    assert sheet.set_index("targets.scale").loc[1.5, "cap_raise"] > 0
    brief = " ".join(str(c.value) for r in openpyxl.load_workbook(out)["brief"].iter_rows()
                     for c in r if c.value)
    assert "To meet every target, 1 scenario would need caps raised; the most: " \
        "targets.scale=1.5" in brief
