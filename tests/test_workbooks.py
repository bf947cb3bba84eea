"""The sweep, frontier and Shapley workbooks as a planner reads and prints them: headers with
units read back through the one mapping (optimizer/headers.py), the sweep's brief, settings,
input hash and per-target shortfalls (kept in the store, older stores still read), the
frontier drawn with straight segments on numeric axes, and a page setup on every sheet."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer import read_inputs, run_sweep
from optimizer.headers import HEADERS, internal_name, read_sheet, shown
from optimizer.store import Store
from optimizer.sweep_report import write_frontier_report

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "inputs" / "tiny.xlsx"


def charts_of(path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [archive.read(n).decode() for n in sorted(archive.namelist())
                if re.match(r"xl/charts/chart\d+\.xml$", n)]


def assert_prints_landscape(book) -> None:
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        if ws.title != "brief":
            assert ws.print_title_rows == "$1:$1", ws.title
        for chart in ws._charts:  # below the tables, from a page break: never split
            row = chart.anchor._from.row + 1  # the anchor read back counts rows from 0
            assert row - 1 in [b.id for b in ws.row_breaks.brk], ws.title


def test_every_header_reads_back_as_its_name_in_any_currency():
    shown_headers = [shown(name, "EUR") for name in HEADERS]
    assert len(set(shown_headers)) == len(shown_headers)
    for name in HEADERS:
        for currency in ("EUR", "USD million", "", None):
            assert internal_name(shown(name, currency)) == name, (name, currency)
    assert shown("cost", "") == "Cost (money)"
    assert internal_name("targets.scale") == "targets.scale"  # an override path stays


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    out = folder / "sweep.xlsx"
    inputs = read_inputs(TINY)
    table = run_sweep(inputs, out=out, workers=1, grid=[("targets.scale", ["1", "3"])]).table
    return inputs, table, out


def test_the_sweep_workbook_opens_with_a_brief_naming_the_input_and_its_hash(swept):
    inputs, table, out = swept
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["brief", "scenarios", "shortfalls", "member_costs", "settings"]
    lines = [row[0] for row in book["brief"].iter_rows(min_row=3, values_only=True) if row[0]]
    assert book["brief"]["A1"].value == "Sweep: tiny.xlsx"
    assert lines[0] == f"Input: tiny.xlsx (SHA-256 {inputs.sha256})."
    assert lines[1] == "2 scenarios: 1 optimal, 1 optimal_with_shortfall."
    assert lines[2].startswith("Least total cost: targets.scale=1, 145.0 USD million; most: "
                               "targets.scale=3, ")
    assert "1 scenario leaves targets short (targets.scale=3): see the shortfalls sheet." in lines


def test_the_sweep_workbook_holds_the_settings_of_the_base_case(swept):
    inputs, _, out = swept
    settings = read_sheet(out, "settings")
    expected = inputs.settings.as_table()
    assert list(settings.columns) == ["key", "value"]
    assert settings["key"].tolist() == expected["key"].tolist()
    assert dict(zip(settings["key"], settings["value"]))["currency"] == "USD million"


def test_the_sweep_workbook_lists_each_target_left_short_per_scenario(swept):
    inputs, table, out = swept
    short = read_sheet(out, "shortfalls")
    assert list(short.columns) == ["scenario", "capability", "region", "year", "target",
                                   "priority", "shortfall"]
    assert set(short["scenario"]) == {"targets.scale=3"}
    single = __import__("optimizer").solve(inputs.with_overrides({"targets.scale": "3"}))
    expected = single.deterrence[single.deterrence["shortfall"] > 0]
    assert len(short) == len(expected) > 0
    assert short["shortfall"].to_numpy() == pytest.approx(expected["shortfall"].to_numpy(),
                                                          rel=1e-6)
    header = [c.value for c in openpyxl.load_workbook(out)["shortfalls"][1]]
    assert header[4:] == ["Target (points)", "Priority", "Shortfall (points)"]


def test_the_store_keeps_every_target_of_every_scenario(swept):
    _, _, out = swept
    with sqlite3.connect(out.with_suffix(".sqlite")) as db:
        assert db.execute("SELECT COUNT(DISTINCT key) FROM targets").fetchone()[0] == 2


def test_a_store_from_before_targets_were_kept_still_writes_its_workbook(tmp_path):
    inputs = read_inputs(TINY)
    out = tmp_path / "old.xlsx"
    run_sweep(inputs, out=out, workers=1, grid=[("targets.scale", ["1", "3"])])
    store = out.with_suffix(".sqlite")
    with sqlite3.connect(store) as db:  # a store without the targets table
        db.execute("DROP TABLE targets")
    out.unlink()
    table = run_sweep(inputs, out=out, workers=1, grid=[("targets.scale", ["1", "3"])]).table
    assert len(table) == 2
    with Store(store) as opened:
        assert opened.targets().empty
    lines = [row[0] for row in openpyxl.load_workbook(out)["brief"].iter_rows(values_only=True)
             if row[0]]
    assert ("2 scenarios came from a store written before per-target shortfalls were kept: "
            "none are listed for them.") in lines
    assert read_sheet(out, "shortfalls").empty


def test_the_sweep_workbook_prints_and_its_chart_has_titled_axes(swept):
    _, _, out = swept
    book = openpyxl.load_workbook(out)
    assert_prints_landscape(book)
    (chart,) = charts_of(out)
    assert "Total cost and highest burden by scenario" in chart
    assert "Total cost (USD million)" in chart and "highest burden (% of GDP)" in chart
    assert '<smooth val="1"' not in chart and '<smooth val="0"' in chart


FRONTIER = pd.DataFrame({"point": [0, 1, 2, 3], "eps": [300.0, 200.0, 100.0, 0.0],
                         "deviation": [300.0, 200.0, 100.0, 0.0],
                         "total_cost": [1000.0, 1001.0, 1010.0, 1200.0],
                         "max_burden": [0.03, 0.031, 0.032, 0.04],
                         "shortfall_index": [0.0] * 4, "status": ["optimal"] * 4})


def test_the_frontier_is_straight_segments_on_numeric_axes_with_units(tmp_path):
    out = write_frontier_report(FRONTIER, tmp_path / "f.xlsx", currency="EUR million")
    (chart,) = charts_of(out)
    assert "<scatterChart>" in chart and "<lineChart>" not in chart
    assert '<scatterStyle val="lineMarker"' in chart
    assert re.findall(r"<smooth val=\"(\d)\"", chart) and \
        set(re.findall(r"<smooth val=\"(\d)\"", chart)) == {"0"}
    axes = re.findall(r"<valAx>(.*?)</valAx>", chart, re.S)
    assert len(axes) == 2 and all('<delete val="0"' in a and "<title>" in a for a in axes)
    assert "Deviation from fair share (EUR million)" in chart
    assert "Total cost (EUR million)" in chart
    # the curve's points, in order of deviation, and the y axis starts below the cheapest
    ws = openpyxl.load_workbook(out)["frontier"]
    rows = list(ws.iter_rows(min_row=len(FRONTIER) + 5, max_col=2, values_only=True))
    assert rows[:4] == [(0.0, 1200.0), (100.0, 1010.0), (200.0, 1001.0), (300.0, 1000.0)]
    (low,) = re.findall(r'<min val="([\d.]+)"', chart)
    assert 900.0 <= float(low) <= 1000.0  # below the cheapest point, not from 0
    header = [c.value for c in ws[1]]
    assert header == ["Point", "Allowed deviation (EUR million)",
                      "Deviation from fair share (EUR million)", "Total cost (EUR million)",
                      "Highest burden (% of GDP)", "Shortfall index", "Status"]
    assert ws.cell(2, 4).number_format == "#,##0.0" and ws.cell(2, 5).number_format == "0.00%"
    assert_prints_landscape(openpyxl.load_workbook(out))


def test_the_frontier_takes_its_currency_from_the_curve(tmp_path):
    from optimizer import Frontier

    out = Frontier(FRONTIER.copy(), "USD million").to_excel(tmp_path / "f.xlsx")
    assert openpyxl.load_workbook(out)["frontier"]["D1"].value == "Total cost (USD million)"
    assert read_sheet(out, "frontier").columns[:4].tolist() == ["point", "eps", "deviation",
                                                                "total_cost"]
