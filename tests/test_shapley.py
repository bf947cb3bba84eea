"""Coalition values and Shapley shares (docs/model.md, "Coalition values and Shapley shares"):
the sampled estimate against exact enumeration, efficiency, symmetry, null player, the
standard error's 1/sqrt(N), one solve per coalition, resume from the store, the workbook and
the command line.

The case: one capability, targets east 100 (priority 1) and west 50 (priority 2), so
W = 3; shortfall allowed. A and B are identical (caps 40); C (cap 60) may not serve in the west; D has a cap of
0. By hand: v(A) = 1.6 (all 40 west: SI = 1 + 2*10/50), v(C) = 0.6, v(A,B) = 2.3,
v(A,C) = 2.2, v(M) = 2.9 (east is short by 10 of 100).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from optimizer import shapley, solve
from optimizer.coalitions import coalition_value, shapley_exact
from optimizer.headers import internal_names
from optimizer.inputs import inputs_from_frames

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "inputs" / "tiny.xlsx"
BURDEN = str(Path(sys.executable).with_name("burden"))
MEMBERS = ["A", "B", "C", "D"]


def build(members, access=(), allow_shortfall="true"):
    frames = {
        "settings": pd.DataFrame({"key": ["objective", "allow_shortfall"],
                                  "value": ["min_cost", allow_shortfall]}),
        "members": pd.DataFrame(members),
        "capabilities": pd.DataFrame([{"capability": "air", "funding_effect": 1.0}]),
        "targets": pd.DataFrame([
            {"capability": "air", "region": "east", "year": 2026, "target": 100, "priority": 1},
            {"capability": "air", "region": "west", "year": 2026, "target": 50, "priority": 2}]),
    }
    if access:
        frames["access"] = pd.DataFrame(access)
    return inputs_from_frames(frames)


def member(name, cap, gdp=1000.0):
    return {"member": name, "gdp": gdp, "cap_gdp_share": cap}


@pytest.fixture(scope="module")
def case():
    return build([member("A", 0.04), member("B", 0.04), member("C", 0.06), member("D", 0.0)],
                 access=[{"member": "C", "region": "west", "allowed": False}])


@pytest.fixture(scope="module")
def exact(case):
    return shapley_exact(case)


@pytest.fixture(scope="module")
def sampled(case, tmp_path_factory):
    """One pool run solves every coalition; later runs on the same store solve none."""
    out = tmp_path_factory.mktemp("shapley") / "case-shapley.xlsx"
    table = shapley(case, samples=256, seed=0, workers=1, out=out)
    return out, table


def test_coalition_values_by_hand(case):
    assert coalition_value(case, []) == 0.0
    assert coalition_value(case, ["A"]) == pytest.approx(1.6, abs=1e-9)
    assert coalition_value(case, ["C"]) == pytest.approx(0.6, abs=1e-9)
    assert coalition_value(case, ["A", "C"]) == pytest.approx(2.2, abs=1e-9)
    # v(M) = W - SI* of the full solve (shortfall allowed)
    full = solve(case)
    assert coalition_value(case, MEMBERS) == pytest.approx(
        3.0 - full.summary["shortfall_index"], abs=1e-9)


def test_exact_efficiency_symmetry_and_null_player(exact):
    grand, exact = exact.value, exact.table.set_index("member")
    assert grand == pytest.approx(2.9, abs=1e-9)
    assert exact["shapley_value"].sum() == pytest.approx(grand, abs=1e-9)
    assert exact.loc["A", "shapley_value"] == pytest.approx(exact.loc["B", "shapley_value"],
                                                            abs=1e-12)
    assert abs(exact.loc["D", "shapley_value"]) <= 1e-12  # no capacity: a null player
    # by hand: C adds 0.6 in every order (v(C), v(A,C)-v(A), v(A,B,C)-v(A,B)); A adds 1.6
    # when B is not before it and 0.7 when B is (v(A,B)-v(B), v(A,B,C)-v(B,C)): 1.15
    assert exact.loc["C", "shapley_value"] == pytest.approx(0.6, abs=1e-9)
    assert exact.loc["A", "shapley_value"] == pytest.approx(1.15, abs=1e-9)


def test_null_player_without_access_gets_zero():
    case = build([member("A", 0.04), member("C", 0.06), member("E", 0.05)],
                 access=[{"member": "E", "region": "east", "allowed": False},
                         {"member": "E", "region": "west", "allowed": False}])
    study = shapley_exact(case)
    table = study.table.set_index("member")
    assert abs(table.loc["E", "shapley_value"]) <= 1e-12
    assert table["shapley_value"].sum() == pytest.approx(study.value, abs=1e-9)


def test_sampled_estimate_agrees_with_the_exact_values(sampled, exact):
    _, study = sampled
    table, exact = study.table.set_index("member"), exact.table.set_index("member")
    for m in MEMBERS:
        tolerance = max(3 * table.loc[m, "standard_error"], 1e-9)
        assert abs(table.loc[m, "shapley_value"] - exact.loc[m, "shapley_value"]) <= tolerance, m
    assert table.loc["D", "standard_error"] <= 1e-12  # a null player's marginals are all 0


def test_efficiency_and_the_shares(sampled, case):
    _, study = sampled
    table, grand = study.table, study.value
    assert list(table.columns) == ["member", "shapley_value", "standard_error",
                                   "deterrence_share", "fair_share", "cost_share"]
    assert table["shapley_value"].sum() == pytest.approx(grand, abs=1e-9)
    assert table["deterrence_share"].sum() == pytest.approx(1.0, abs=1e-9)
    assert study.total_priority == 3.0 and study.notes == []
    assert len(study.coalitions) == study.needed + 1  # and the empty one
    # fair and cost shares from the full solve of the grand coalition
    result = solve(case)
    costs = result.members.set_index("member")["cost"]
    for m in MEMBERS:
        row = table.set_index("member").loc[m]
        assert row["cost_share"] == pytest.approx(costs[m] / costs.sum(), abs=1e-9)
    assert table["fair_share"].sum() == pytest.approx(1.0, abs=1e-9)


def test_standard_error_shrinks_like_one_over_root_n(sampled, case):
    out, large = sampled
    small = shapley(case, samples=16, seed=0, workers=1, out=out)
    assert small.solved == 0  # every coalition is already in the store
    small, large = small.table, large.table
    # A and B (C's and D's marginals are the same in every order: no error to shrink)
    ratio = small["standard_error"][:2].to_numpy() / large["standard_error"][:2].to_numpy()
    assert np.all((ratio > 2) & (ratio < 8)), ratio


def test_each_coalition_is_solved_once_and_a_rerun_solves_none(sampled, case):
    out, study = sampled
    rng = np.random.default_rng(0)
    orders = [rng.permutation(4) for _ in range(256)]
    needed = {frozenset(order[:k]) for order in orders for k in range(1, 5)}
    store = out.with_suffix(".sqlite")
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM scenarios").fetchone()
    assert study.needed == study.solved == len(needed) == rows[0] == rows[1]
    again = shapley(case, samples=256, seed=0, workers=1, out=out)
    assert again.solved == 0 and again.from_store == len(needed)
    pd.testing.assert_frame_equal(again.table, study.table)
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM scenarios").fetchone()[0] == rows[0]


def test_workbook_has_the_sheet_and_chart(sampled, tmp_path):
    out, study = sampled
    table = study.table
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["shapley", "coalitions"]
    sheet = book["shapley"]
    header = [c.value for c in sheet[1]][:7]
    assert header == ["Member", "Shapley value", "Standard error",
                      "Share of deterrence, Shapley (%)", "Fair share (% of alliance cost)",
                      "Share of the alliance's cost (%)", "Standard error of the share (%)"]
    assert internal_names(header) == ["member", "shapley_value", "standard_error",
                                      "deterrence_share", "fair_share", "cost_share",
                                      "share_standard_error"]
    assert [sheet.cell(r, 1).value for r in range(2, 6)] == MEMBERS
    assert sheet.cell(2, 2).value == pytest.approx(table["shapley_value"][0], rel=1e-12)
    assert len(sheet._charts) == 1
    # v(A) of every coalition the orders needed, and the empty one
    assert book["coalitions"].max_row == 1 + 1 + study.needed
    # the object writes the same workbook again, from its tables alone
    again = openpyxl.load_workbook(study.to_excel(tmp_path / "again.xlsx"))
    assert [[c.value for c in row] for row in again["coalitions"].iter_rows()] == \
        [[c.value for c in row] for row in book["coalitions"].iter_rows()]


def test_exact_refuses_large_alliances():
    case = build([member(f"M{i}", 0.01) for i in range(11)])
    with pytest.raises(ValueError, match="at most 10"):
        shapley_exact(case)


def test_cli_prints_the_table_and_writes_the_workbook(tmp_path):
    out = tmp_path / "tiny-shapley.xlsx"
    run = subprocess.run([BURDEN, "shapley", str(TINY), "--samples", "8", "--seed", "1",
                          "--workers", "1", "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Alpha" in run.stdout and "Beta" in run.stdout and "v(M) = 1" in run.stdout
    assert out.exists() and out.with_suffix(".sqlite").exists()
    bad = subprocess.run([BURDEN, "shapley", str(TINY), "--samples", "0"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert bad.returncode == 2
