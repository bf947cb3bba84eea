"""The shipped example workbooks in inputs/: format, real data, hand-computed optimum.

(a) both workbooks carry the sheets and required columns of docs/workbook.md;
(b) alliance.xlsx's GDP is NATO's 2026e figure for named members;
(c) tiny.xlsx solves to the optimum computed by hand in inputs/TINY.md, and alliance.xlsx solves
    without shortfall to an independently computed minimum cost;
(d) alliance.xlsx's floors are reachable under its caps and its growth ramp (no solver needed).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

INPUTS = Path(__file__).resolve().parents[1] / "inputs"
ALLIANCE = INPUTS / "alliance.xlsx"
TINY = INPUTS / "tiny.xlsx"

# docs/workbook.md: sheet -> required columns (and the optional columns the examples use)
REQUIRED = {
    "settings": {"key", "value"},
    "members": {"member", "gdp"},
    "capabilities": {"capability"},
    "targets": {"capability", "region", "year", "target"},
}
REQUIRED_IF_PRESENT = {
    "equipment": {"equipment", "capability", "effect", "unit_cost"},
    "inventory": {"member", "equipment", "units"},
    "access": {"member", "region", "allowed"},
    "quality": {"member", "capability", "multiplier"},
    "gdp": {"member", "year", "gdp"},
    "commitments": {"member", "year"},
    "scenarios": {"scenario"},
    "sources": {"sheet", "column", "source"},
}
MEMBER_COLUMNS = {
    "member",
    "gdp",
    "gdp_growth",
    "population",
    "personnel_available",
    "personnel_cost",
    "floor_gdp_share",
    "cap_gdp_share",
    "baseline",
    "reliability",
    "absent",
}

# NATO, Defence Expenditure of NATO Countries (2014-2026), 2026 edition, Table 5:
# GDP 2026e, USD million, current prices (data/nato_members.csv)
NATO_GDP_2026 = {"Germany": 5_455_980, "Poland": 1_134_841, "United States": 32_547_624}


def _norm(name) -> str:
    return str(name).strip().lower()


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = [_norm(h) for h in rows[0]]
        out[_norm(ws.title)] = pd.DataFrame([list(r) for r in rows[1:]], columns=header)
    return out


# ------------------------------------------------------------------------- (a) format
@pytest.mark.parametrize("path", [ALLIANCE, TINY], ids=["alliance", "tiny"])
def test_workbook_has_required_sheets_and_columns(path):
    sheets = _sheets(path)
    for sheet, cols in REQUIRED.items():
        assert sheet in sheets, f"{path.name}: missing sheet {sheet}"
        assert cols <= set(sheets[sheet].columns), f"{path.name}/{sheet}: {cols}"
    for sheet, cols in REQUIRED_IF_PRESENT.items():
        if sheet in sheets:
            assert cols <= set(sheets[sheet].columns), f"{path.name}/{sheet}: {cols}"
    for name, df in sheets.items():
        assert None not in df.columns and "none" not in df.columns, f"{name}: blank header"
        blank = df.isna().all(axis=1)
        assert not blank.any(), f"{path.name}/{name}: blank row"


@pytest.mark.parametrize("path", [ALLIANCE, TINY], ids=["alliance", "tiny"])
def test_numbers_are_numbers_and_booleans_are_booleans(path):
    sheets = _sheets(path)
    members = sheets["members"]
    for col in set(members.columns) - {"member", "absent"}:
        for v in members[col]:
            assert v is None or isinstance(v, (int, float)) and not isinstance(v, bool), (col, v)
    assert all(isinstance(v, bool) for v in members["absent"])
    for v in sheets["targets"]["target"]:
        assert isinstance(v, (int, float)) and v >= 0


def test_alliance_is_the_31_allies_with_data_and_complete():
    sheets = _sheets(ALLIANCE)
    members = sheets["members"]
    assert MEMBER_COLUMNS <= set(members.columns)
    assert len(members) == 31 and members["member"].is_unique
    assert "Iceland" not in set(members["member"])
    assert not members[sorted(MEMBER_COLUMNS)].isna().any().any()
    assert sorted(set(sheets["targets"]["year"])) == [2026, 2027, 2028, 2029, 2030]
    readme = " ".join(str(v) for v in sheets["readme"].to_numpy().ravel())
    assert "Source: NATO, Defence Expenditure of NATO Countries (2014-2026)" in readme
    assert {"gdp", "population", "baseline"} <= set(
        sheets["sources"].query("sheet == 'members'")["column"]
    )


# ------------------------------------------------------------------------- (b) real data
@pytest.mark.parametrize("member", sorted(NATO_GDP_2026))
def test_alliance_gdp_is_nato_2026e(member):
    members = _sheets(ALLIANCE)["members"].set_index("member")
    assert members.at[member, "gdp"] == NATO_GDP_2026[member]


# ------------------------------------------------------------------------- (c) hand optimum
def test_tiny_matches_hand_computed_optimum():
    from optimizer import read_inputs, solve  # the public API (inputs/TINY.md has the derivation)

    result = solve(read_inputs(str(TINY)))
    assert result.status == "optimal"
    assert result.summary["shortfall_index"] == pytest.approx(0.0, abs=1e-7)
    assert result.summary["objective_value"] == pytest.approx(145.0, rel=1e-6)
    assert result.summary["total_cost"] == pytest.approx(145.0, rel=1e-6)
    costs = pd.DataFrame(result.members).set_index(["member", "year"])["cost"]
    assert costs[("Alpha", 2026)] == pytest.approx(20.0, rel=1e-6)  # at its cap, 2 % of 1000
    assert costs[("Beta", 2026)] == pytest.approx(125.0, rel=1e-6)  # carries the rest
    assert len(costs) == 2


# Stage-2 optimum of alliance.xlsx from an independent, direct highspy build of docs/model.md
# (same lexicographic stages; LP relaxation and MIP agree to 1e-9), not from the optimizer.
ALLIANCE_MIN_COST = 9_774_680.51


def test_alliance_solves_without_shortfall():
    from optimizer import read_inputs, solve

    result = solve(read_inputs(str(ALLIANCE)))
    assert result.status == "optimal"
    assert result.summary["shortfall_index"] == pytest.approx(0.0, abs=1e-7)
    objective = result.summary["objective_value"]
    assert objective == pytest.approx(ALLIANCE_MIN_COST, rel=1e-5)
    # the tie-break may spend up to the 1e-6 slack it is given, never more
    assert objective * (1 - 1e-9) <= result.summary["total_cost"] <= objective * (1 + 2e-6)
    assert len(pd.DataFrame(result.members)) == 31 * 5


# ------------------------------------------------------------------------- (d) feasibility
def test_alliance_floors_reachable_under_caps_and_ramp():
    sheets = _sheets(ALLIANCE)
    settings = dict(zip(sheets["settings"]["key"], sheets["settings"]["value"], strict=True))
    rho = settings["max_growth"]
    members = sheets["members"].set_index("member")
    years = sorted(set(sheets["targets"]["year"]))
    t0 = years[0]
    gdp_over = {(r.member, r.year): r.gdp for r in sheets["gdp"].itertuples()}
    pledges = {(r.member, r.year): r.pledge for r in sheets["commitments"].itertuples()}
    assert not sheets["commitments"][["floor_gdp_share", "cap_gdp_share"]].notna().any().any()
    for m, r in members.iterrows():
        assert 0 <= r.floor_gdp_share <= r.cap_gdp_share <= 1
        # the first year, exactly as the brief puts it
        assert r.floor_gdp_share * r.gdp <= (1 + rho) * r.baseline, m
        for t in years:
            gdp = gdp_over.get((m, t), r.gdp * (1 + r.gdp_growth) ** (t - t0))
            need = max(r.floor_gdp_share * gdp, pledges.get((m, t)) or 0)
            ramp = (1 + rho) ** (t - t0 + 1) * r.baseline  # the most the ramp allows in t
            assert need <= r.cap_gdp_share * gdp, (m, t)
            assert need <= ramp, (m, t)


def test_alliance_targets_fit_inside_the_caps():
    """The money the targets need if met by funding alone is well inside sum(cap * gdp)."""
    sheets = _sheets(ALLIANCE)
    ef = dict(
        zip(
            sheets["capabilities"]["capability"],
            sheets["capabilities"]["funding_effect"],
            strict=True,
        )
    )
    members = sheets["members"]
    t = sheets["targets"]
    for year, rows in t.groupby("year"):
        need = sum(row.target / ef[row.capability] for row in rows.itertuples())
        room = sum(
            r.cap_gdp_share * r.gdp * (1 + r.gdp_growth) ** (year - 2026)
            for r in members.itertuples()
        )
        assert need < 0.75 * room, year
