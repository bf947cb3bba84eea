"""Report workbook: write a hand-made Result, read it back, and compare (docs/report.md)."""

from __future__ import annotations

import math
import os
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from optimizer import report
from optimizer.headers import internal_names, shown_all
from optimizer.report import write_report
from optimizer.result import (
    ALLOCATION_COLUMNS,
    DETERRENCE_COLUMNS,
    MEMBER_COLUMNS,
    STAGE_COLUMNS,
    SUMMARY_KEYS,
    Result,
    empty_frame,
)

HYPERLINK = '=HYPERLINK("http://x","y")'
CMD = "+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1)"
MINUS = "-2+3"
TABBED = "\tair"
WARNING = "=warning: no population given"
FORMULA_LIKE = [HYPERLINK, CMD, AT_SUM, MINUS, TABBED, WARNING, "=1+1", "@source", "=tank"]
CONFLICTS = ["-conflict: the floor of Alpha in 2031 exceeds its cap.",
             "The target for air in north in 2031 is out of reach."]


def solved_result() -> Result:
    members = pd.DataFrame({
        "member": ["Alpha", HYPERLINK, "Alpha", HYPERLINK],
        "year": [2030, 2030, 2031, 2031],
        "gdp": [1000.0, 3000.0, 1020.5, 3090.25],
        "cost": [20.0, 60.0, 21.5, 62.123456789],
        "burden": [0.02, 0.02, 0.021068, 0.020103],
        "fair_share": [0.25, 0.75, 0.248, 0.752],
        "actual_share": [0.25, 0.75, 0.2571, 0.7429],
        "deviation": [0.0, 0.0, 0.75, -0.75],
        "floor": [20.0, 60.0, 20.41, 61.805],
        "cap": [50.0, float("nan"), 51.025, float("nan")],
        "at_floor": [True, True, False, False],
        "at_cap": [False, False, False, False],
        "personnel_used": [10.5, 0.0, 11.25, 0.0],
        "personnel_available": [100.0, 0.0, 100.0, 0.0],
    })
    allocation = pd.DataFrame({
        "member": ["Alpha", HYPERLINK, HYPERLINK, "Alpha", HYPERLINK],
        "year": [2030, 2030, 2031, 2031, 2031],
        "region": [CMD, AT_SUM, CMD, AT_SUM, CMD],
        "capability": [MINUS, TABBED, MINUS, TABBED, TABBED],
        "resource": ["funding", "personnel", "equipment", "funding", "funding"],
        "item": ["", "", "=tank", "", ""],
        "quantity": [20.0, 10.5, 3.0, 21.5, 1.0 / 3.0],
        "cost": [20.0, 5.25, 30.0, 21.5, 0.123456789],
        "deterrence": [4.0, 2.1, 9.0, 4.3, 0.1],
    })
    deterrence = pd.DataFrame({
        "capability": [MINUS, TABBED, MINUS, TABBED],
        "region": [CMD, AT_SUM, CMD, AT_SUM],
        "year": [2030, 2030, 2031, 2031],
        "target": [4.0, 2.1, 9.0, 4.3],
        "priority": [1.0, 2.0, 1.0, 1.0],
        "achieved": [4.0, 2.1, 9.0, 4.3],
        "protected": [float("nan")] * 4,
        "shortfall": [0.0, 0.0, 0.0, 0.0],
        "marginal_cost": [1.5, float("nan"), 3.333333333, 0.0],
        "held_back_by": ["", "", "", ""],
    })
    stages = pd.DataFrame({"stage": [1, 2], "name": ["min_cost", "tie_break"],
                           "value": [183.623456789, 1.5], "status": ["optimal", "optimal"],
                           "certified": [True, True], "route": ["first", "first"],
                           "residual": [1.2e-15, 3.4e-14], "duality_gap": [0.0, 5.6e-12],
                           "seconds": [0.01, 0.02]})
    settings = pd.DataFrame({"key": ["objective", "fair_share", "currency", "mip_gap"],
                             "value": ["min_cost", "gdp", "=1+1", 1e-6]})
    sources = pd.DataFrame({"sheet": ["members"], "column": ["gdp"], "source": ["@source"],
                            "edition": ["2025"], "note": [None]})
    summary = {"status": "optimal", "objective": "min_cost", "shortfall_index": 0.0,
               "objective_value": 183.623456789, "total_cost": 183.623456789,
               "max_burden": 0.021068, "min_burden": 0.02, "members_at_cap": 0,
               "solver": "highs", "certified": True, "max_residual": 3.4e-14,
               "max_gap": 5.6e-12, "second_routes": 0, "solve_seconds": 0.03, "variables": 40, "constraints": 31,
               "input_file": "alliance.xlsx", "input_sha256": "ab" * 32,
               "created_at": "2026-01-02T03:04:05+00:00", "version": "0.1.0"}
    return Result(status="optimal", summary=summary, stages=stages, members=members,
                  allocation=allocation, deterrence=deterrence, settings=settings,
                  warnings=[WARNING, "GDP for 2031 grown at 2%"],
                  sources=sources)


def infeasible_result() -> Result:
    summary = dict.fromkeys(SUMMARY_KEYS)
    summary.update(status="infeasible", objective="min_cost", solver="highs")
    return Result(status="infeasible", summary=summary, stages=empty_frame(STAGE_COLUMNS),
                  members=empty_frame(MEMBER_COLUMNS),
                  allocation=empty_frame(ALLOCATION_COLUMNS),
                  deterrence=empty_frame(DETERRENCE_COLUMNS),
                  settings=pd.DataFrame({"key": ["objective"], "value": ["min_cost"]}),
                  conflicts=list(CONFLICTS))


@pytest.fixture
def written(tmp_path):
    path = write_report(solved_result(), tmp_path / "report.xlsx")
    return path


def rows_of(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def sheet_xml(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                if name.startswith("xl/worksheets/sheet")}


def same(read, expected) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return read is None
    if isinstance(expected, bool):
        return read is expected
    if isinstance(expected, int | float):
        return isinstance(read, int | float) and abs(read - expected) <= 1e-9
    return read == expected


def test_returns_the_path_it_wrote(tmp_path):
    path = tmp_path / "report.xlsx"
    assert write_report(solved_result(), path) == path
    assert zipfile.is_zipfile(path)


def test_sheets_in_order(written):
    wb = openpyxl.load_workbook(written)
    assert wb.sheetnames == ["summary", "members", "allocation", "deterrence", "stages",
                             "inputs", "sources", "charts", "chart data"]


@pytest.mark.parametrize("sheet, columns", [
    ("members", MEMBER_COLUMNS), ("allocation", ALLOCATION_COLUMNS),
    ("deterrence", DETERRENCE_COLUMNS), ("stages", STAGE_COLUMNS), ("inputs", ["key", "value"]),
    ("sources", ["sheet", "column", "source", "edition", "note"]),
])
def test_headers_are_the_column_lists(written, sheet, columns):
    header = rows_of(openpyxl.load_workbook(written)[sheet])[0]
    if sheet == "sources":
        assert list(header) == columns  # the input's own sheet, as given
    else:
        assert list(header) == shown_all(columns, "=1+1")  # the case's currency setting
    assert internal_names(header) == columns


@pytest.mark.parametrize("sheet, expected", [
    ("members", ["Member", "Year", "GDP (=1+1)", "Cost (=1+1)", "Burden (% of GDP)",
                 "Fair share (% of alliance cost)", "Cost share (% of alliance cost)",
                 "Deviation from fair share (=1+1)", "Floor (=1+1)", "Cap (=1+1)", "At floor",
                 "At cap", "Personnel used (persons)", "Personnel available (persons)"]),
    ("allocation", ["Member", "Year", "Region", "Capability", "Resource", "Equipment",
                    "Quantity (=1+1, persons or units)", "Cost (=1+1)", "Deterrence (points)"]),
    ("deterrence", ["Capability", "Region", "Year", "Target (points)", "Priority",
                    "Achieved (points)", "Protected (points)", "Shortfall (points)",
                    "Marginal cost (=1+1 per point)", "Held back by"]),
    ("stages", ["Stage", "Minimised", "Value", "Status", "Certified optimum", "Solver route",
                "Residual (scaled)", "Duality gap (relative)", "Time (s)"]),
    ("inputs", ["Setting", "Value"]),
])
def test_headers_name_their_units(written, sheet, expected):
    ws = openpyxl.load_workbook(written)[sheet]
    header = [cell.value for cell in ws[1]]
    assert header == expected
    assert all(cell.alignment.wrap_text for cell in ws[1])


def test_the_currency_in_the_headers_comes_from_the_settings(tmp_path):
    import dataclasses

    result = solved_result()
    settings = result.settings.copy()
    settings.loc[settings["key"] == "currency", "value"] = "USD million"
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, settings=settings),
                                             tmp_path / "r.xlsx"))
    assert wb["members"]["D1"].value == "Cost (USD million)"
    assert wb["deterrence"]["I1"].value == "Marginal cost (USD million per point)"
    summary = {row[0]: row[1] for row in rows_of(wb["summary"])}
    assert summary["Total cost, the plan's (USD million)"] == pytest.approx(183.623456789)


@pytest.mark.parametrize("sheet, frame_of", [
    ("members", lambda r: r.members), ("allocation", lambda r: r.allocation),
    ("deterrence", lambda r: r.deterrence), ("stages", lambda r: r.stages),
    ("inputs", lambda r: r.settings), ("sources", lambda r: r.sources),
])
def test_values_read_back_equal_the_frames(written, sheet, frame_of):
    frame = frame_of(solved_result())
    body = rows_of(openpyxl.load_workbook(written)[sheet])[1:]
    if sheet == "stages":  # a blank row and a note on the tolerance follow the table
        assert body[len(frame)] == (None,) * 9 and "1e-6" in body[len(frame) + 1][0]
        body = body[:len(frame)]
    assert len(body) == len(frame)
    for read_row, expected_row in zip(body, frame.itertuples(index=False), strict=True):
        for read, expected in zip(read_row, expected_row, strict=True):
            if expected == "":
                expected = None  # an empty text is an empty cell
            assert same(read, expected), (sheet, read, expected)


def summary_by_key(ws) -> dict:
    """The summary's rows by key (labels read back through `report.summary_key`)."""
    return {report.summary_key(row[0]): row[1] for row in rows_of(ws)[1:] if row[0]}


def test_summary_shows_the_plan_then_warnings_then_the_audit_trail(written):
    result = solved_result()
    rows = rows_of(openpyxl.load_workbook(written)["summary"])
    assert rows[0] == ("Item", "Value")
    plan = ["status", "objective", "total_cost", "max_burden", "min_burden", "members_at_cap",
            "shortfall_index", "certified"]
    assert [report.summary_key(label) for label, _ in rows[1:9]] == plan
    assert rows[2:4] == [("Objective", "min_cost"), ("Total cost, the plan's (=1+1)",
                                                     183.623456789)]
    assert rows[9:13] == [(None, None), ("Warnings", result.warnings[0]),
                          (None, result.warnings[1]), (None, None)]
    assert rows[13] == ("Audit trail", None)
    audit = ["solver", "max_residual", "max_gap", "second_routes", "solve_seconds",
             "variables", "constraints", "input_file", "input_sha256", "created_at", "version"]
    assert [report.summary_key(label) for label, _ in rows[14:]] == audit
    shown = summary_by_key(openpyxl.load_workbook(written)["summary"])
    for key in plan + audit:
        assert same(shown[key], result.summary[key]), key
    assert "objective_value" not in shown  # a stage's optimum: on the stages sheet


def test_summary_lists_keys_it_does_not_know_in_the_audit_trail(tmp_path):
    import dataclasses

    result = solved_result()
    summary = {**result.summary, "solver_options": "presolve off", "nodes_explored": 12}
    wb = openpyxl.load_workbook(write_report(dataclasses.replace(result, summary=summary),
                                             tmp_path / "r.xlsx"))
    rows = rows_of(wb["summary"])
    labels = [label for label, _ in rows]
    assert labels[-2:] == ["Solver options", "Nodes explored"]
    assert labels.index("Audit trail") < labels.index("Solver options")
    assert rows[-1][1] == 12 and rows[-2][1] == "presolve off"


def test_booleans_and_missing_numbers(written):
    ws = openpyxl.load_workbook(written)["members"]
    at_floor = MEMBER_COLUMNS.index("at_floor") + 1
    cap = MEMBER_COLUMNS.index("cap") + 1
    assert ws.cell(row=2, column=at_floor).data_type == "b"
    assert ws.cell(row=2, column=at_floor).value is True
    assert ws.cell(row=2, column=at_floor).number_format == report.BOOLEAN
    assert ws.cell(row=4, column=at_floor).value is False
    assert ws.cell(row=3, column=cap).value is None
    with zipfile.ZipFile(written) as archive:
        assert "nan" not in archive.read("xl/worksheets/sheet2.xml").decode().lower()


@pytest.mark.parametrize("sheet, column, number_format", [
    ("members", "cost", "#,##0.0"), ("members", "gdp", "#,##0.0"),
    ("members", "burden", "0.00%"), ("members", "fair_share", "0.00%"),
    ("members", "actual_share", "0.00%"), ("allocation", "quantity", "#,##0.00"),
    ("deterrence", "marginal_cost", "#,##0.00"), ("members", "floor", "#,##0.0"),
    ("members", "personnel_used", "#,##0"), ("stages", "seconds", "0.00"),
])
def test_number_formats(written, sheet, column, number_format):
    ws = openpyxl.load_workbook(written)[sheet]
    columns = internal_names(cell.value for cell in ws[1])
    assert ws.cell(row=2, column=columns.index(column) + 1).number_format == number_format


def test_summary_number_formats(written):
    ws = openpyxl.load_workbook(written)["summary"]
    formats = {report.summary_key(ws.cell(row=r, column=1).value):
               ws.cell(row=r, column=2).number_format for r in range(2, ws.max_row + 1)}
    assert formats["total_cost"] == "#,##0.0"
    assert formats["max_burden"] == "0.00%"
    assert formats["min_burden"] == "0.00%"
    assert formats["variables"] == "#,##0"


def test_stage_values_are_formatted_by_what_they_minimise(tmp_path):
    import dataclasses

    stages = pd.DataFrame({"stage": [1, 2, 3, 4],
                           "name": ["shortfall_index", "max_burden", "total_cost", "deviation"],
                           "value": [0.0, 0.0451, 183.6, 2.5], "status": ["optimal"] * 4,
                           "certified": [True] * 4, "route": ["first"] * 4,
                           "residual": [1e-15] * 4, "duality_gap": [0.0] * 4,
                           "seconds": [0.01] * 4})
    path = write_report(dataclasses.replace(solved_result(), stages=stages), tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["stages"]
    assert [ws.cell(row=r, column=3).number_format for r in range(2, 6)] == [
        "0.0000", "0.00%", "#,##0.0", "#,##0.0"]
    assert [ws.cell(row=r, column=9).number_format for r in range(2, 6)] == ["0.00"] * 4
    assert [ws.cell(row=r, column=7).number_format for r in range(2, 6)] == ["0.0E+00"] * 4


def test_persons_are_whole_numbers(written):
    ws = openpyxl.load_workbook(written)["members"]
    columns = internal_names(cell.value for cell in ws[1])
    for name in ("personnel_used", "personnel_available"):
        assert ws.cell(row=2, column=columns.index(name) + 1).number_format == "#,##0"


@pytest.mark.parametrize("sheet", ["summary", "members", "allocation", "deterrence", "stages",
                                   "inputs", "sources"])
def test_header_is_bold_filled_and_frozen(written, sheet):
    ws = openpyxl.load_workbook(written)[sheet]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    assert ws["A1"].fill.fill_type == "solid"


@pytest.mark.parametrize("sheet, ref", [("members", "A1:N5"), ("allocation", "A1:I6"),
                                        ("deterrence", "A1:J5"), ("stages", "A1:I3")])
def test_tables_have_an_autofilter(written, sheet, ref):
    assert openpyxl.load_workbook(written)[sheet].auto_filter.ref == ref


def test_column_widths_follow_the_longest_value_within_a_cap(tmp_path):
    result = solved_result()
    long_warning = "w" * 500
    result.warnings.append(long_warning)
    wb = openpyxl.load_workbook(write_report(result, tmp_path / "r.xlsx"))
    summary = wb["summary"]
    assert summary.column_dimensions["B"].width == report.WIDEST_COLUMN
    members = wb["members"]
    assert members.column_dimensions["A"].width >= len(HYPERLINK)
    assert members.column_dimensions["A"].width < report.WIDEST_COLUMN
    assert members.column_dimensions["B"].width >= report.NARROWEST_COLUMN


def chart_xml(path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = sorted((n for n in archive.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)),
                       key=lambda n: int(re.findall(r"\d+", n)[0]))
        return [archive.read(name).decode("utf-8") for name in names]


def test_six_native_charts_with_titles_axes_and_units(written):
    charts = chart_xml(written)
    titles = ["Burden by member, 2031: cost as % of GDP",
              "Share of the alliance's cost against fair share, 2031",
              "Cost share against fair share, 2031: 100% is a fair share",
              "Spending path by member, 2030-2031: cost as % of GDP",
              "The alliance's total cost and burden by year",
              "Contributions by region, 2031: deterrence by capability"]
    assert len(charts) == len(titles)
    for xml, title in zip(charts, titles, strict=True):
        assert title in xml
        assert "'chart data'!" in xml
        axes = re.findall(r"<(?:c:)?(catAx|valAx|dateAx)>(.*?)</(?:c:)?\1>", xml, re.S)
        shown_axes = [body for _, body in axes if '<delete val="0"' in body]
        assert len(shown_axes) >= 2, title
        for body in shown_axes:  # every axis that is drawn has a title
            assert "<title>" in body or "<c:title>" in body, (title, body[:200])
    burden, share, fairness, path, totals, regions = charts
    assert "<barChart>" in burden and "<lineChart>" in burden
    assert burden.count("<ser>") == 5  # burden, the floor, 2%, 3.5%, 5%
    assert "<f>'chart data'!C2</f>" in burden and "<f>'chart data'!F2</f>" in burden  # floor, 5%
    assert '<barDir val="bar"' in share and share.count("<ser>") == 2
    assert '<crossesAt val="1"' in fairness
    assert "<lineChart>" in path and path.count("<ser>") == 2  # a line per member
    assert "<barChart>" in totals and "<lineChart>" in totals
    assert '<grouping val="stacked"' in regions


def test_no_line_is_smoothed(written):
    for xml in chart_xml(written):
        for series in re.findall(r"<ser>.*?</ser>", xml, re.S):
            if "<marker>" in series or "<smooth" in series:
                assert '<smooth val="0"' in series, series[:200]
        assert '<smooth val="1"' not in xml


def test_the_burden_chart_is_sorted_with_the_floor_and_reference_burdens(written):
    rows = rows_of(openpyxl.load_workbook(written)["chart data"])
    assert rows[0][0] == "Burden by member, 2031"
    assert rows[1][:6] == ("Member", "Burden (% of GDP)", "Floor (% of GDP)", "2% of GDP",
                           "3.5% of GDP", "5% of GDP")
    assert rows[2][:6] == ("Alpha", 0.021068, pytest.approx(20.41 / 1020.5), 0.02, 0.035, 0.05)
    assert rows[3][:2] == (HYPERLINK, 0.020103)


def test_chart_tables_hold_the_last_year_and_every_year(written):
    rows = rows_of(openpyxl.load_workbook(written)["chart data"])
    titles = [row[0] for row in rows if row[0] and row[1] is None]
    assert titles == ["Burden by member, 2031", "Cost share against fair share, 2031",
                      "Cost share as a percentage of fair share, 2031",
                      "Burden by member and year (% of GDP)", "The alliance by year",
                      "Deterrence by region and capability, 2031 (points)"]
    share = rows.index(("Cost share against fair share, 2031", *[None] * 5))
    assert rows[share + 2][:3] == (HYPERLINK, 0.7429, 0.752)[:3] or \
        rows[share + 2][:3] == ("Alpha", 0.2571, 0.248)
    assert rows[share + 2][0] == "Alpha"  # the smallest fair share first: at the bottom
    path = rows.index(("Burden by member and year (% of GDP)", *[None] * 5))
    assert rows[path + 1][:3] == ("Member", "2030", "2031")
    assert rows[path + 2][:3] == ("Alpha", 0.02, 0.021068)
    alliance = rows.index(("The alliance by year", *[None] * 5))
    assert rows[alliance + 2][:3] == ("2030", 80.0, pytest.approx(80 / 4000))
    regions = rows.index(("Deterrence by region and capability, 2031 (points)", *[None] * 5))
    header = rows[regions + 1]
    assert header[0] == "Region" and sorted(header[1:3]) == sorted([MINUS, TABBED])
    by_region = {row[0]: dict(zip(header[1:3], row[1:3], strict=True))
                 for row in rows[regions + 2:regions + 4]}
    assert by_region == {AT_SUM: {MINUS: 0, TABBED: 4.3},
                         CMD: {MINUS: pytest.approx(9.0), TABBED: pytest.approx(0.1)}}


def test_every_sheet_prints_landscape_one_page_wide_with_its_header(written):
    wb = openpyxl.load_workbook(written)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        if ws.title == "charts":
            assert not ws.sheet_properties.pageSetUpPr.fitToPage
            assert int(ws.page_setup.scale) == 100
            assert [b.id for b in ws.row_breaks.brk] == [32 * k for k in range(1, 6)]
            continue
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        if ws.title != "chart data":
            assert ws.print_title_rows == "$1:$1", ws.title


def test_charts_fit_a_landscape_page_each(written):
    ws = openpyxl.load_workbook(written)["charts"]
    margins = ws.page_margins
    width = min(29.7, 27.94) - 2.54 * (margins.left + margins.right)
    height = min(21.0, 21.59) - 2.54 * (margins.top + margins.bottom)
    for chart in report.build_report(solved_result())["charts"]._charts:
        assert chart.width <= width and chart.height <= height
        row = int(re.sub(r"[A-Z]", "", chart.anchor))
        assert row % report.CHART_ROWS == 2  # the top of its own page, a row down
    assert report.CHART_ROWS * report.LINE_HEIGHT * 2.54 / 72 <= height


def test_sources_wrap_their_text(tmp_path):
    import dataclasses

    sources = pd.DataFrame({"sheet": ["members"], "column": ["gdp"],
                            "source": ["NATO, Defence Expenditure of NATO Countries " * 4],
                            "edition": ["2025"], "note": ["a long note " * 10]})
    path = write_report(dataclasses.replace(solved_result(), sources=sources),
                        tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["sources"]
    assert ws["C2"].alignment.wrap_text and ws["E2"].alignment.wrap_text
    assert ws.column_dimensions["C"].width <= report.WIDEST_TEXT + 2
    assert ws.row_dimensions[2].height >= 3 * report.LINE_HEIGHT


def test_formula_like_text_is_stored_as_text(written):
    xml = sheet_xml(written)
    assert xml
    for name, text in xml.items():
        assert not re.search(r"<f[ >/]", text), name
    everything = "".join(xml.values())
    for text in (HYPERLINK, CMD, AT_SUM, MINUS, "=1+1", "@source", "=tank"):
        assert f">{text}</t>" in everything, text
    wb = openpyxl.load_workbook(written)
    seen = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in FORMULA_LIKE:
                    seen[cell.value] = cell
    assert set(seen) == set(FORMULA_LIKE)
    for text, cell in seen.items():
        assert cell.data_type == "s", text
        assert cell.quotePrefix, text


def test_plain_text_has_no_quote_prefix(written):
    ws = openpyxl.load_workbook(written)["members"]
    assert ws["A2"].value == "Alpha"
    assert not ws["A2"].quotePrefix


def test_refuses_to_write_over_the_input(tmp_path):
    source = tmp_path / "alliance.xlsx"
    source.write_bytes(b"the planners' input")
    spelled_otherwise = tmp_path / "sub" / ".." / "alliance.xlsx"
    (tmp_path / "sub").mkdir()
    for target in (source, spelled_otherwise, str(source)):
        with pytest.raises(ValueError, match="input"):
            write_report(solved_result(), target, overwrite_input=str(source))
    assert source.read_bytes() == b"the planners' input"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alliance.xlsx", "sub"]


def test_refuses_a_hard_link_to_the_input(tmp_path):
    source = tmp_path / "alliance.xlsx"
    source.write_bytes(b"input")
    link = tmp_path / "link.xlsx"
    os.link(source, link)
    with pytest.raises(ValueError):
        write_report(solved_result(), link, overwrite_input=str(source))
    assert source.read_bytes() == b"input"


def test_another_path_is_allowed_beside_the_input(tmp_path):
    source = tmp_path / "alliance.xlsx"
    source.write_bytes(b"input")
    path = write_report(solved_result(), tmp_path / "alliance-report.xlsx",
                        overwrite_input=str(source))
    assert openpyxl.load_workbook(path).sheetnames[0] == "summary"


def test_replaces_an_existing_file_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"an old report")
    os.chmod(path, 0o640)
    write_report(solved_result(), path)
    assert openpyxl.load_workbook(path).sheetnames[0] == "summary"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_a_new_report_is_readable_by_others_under_the_usual_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_report(solved_result(), tmp_path / "report.xlsx")
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_failed_save_keeps_the_old_file_and_removes_the_temporary_one(tmp_path, monkeypatch):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"an old report")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(solved_result(), path)
    assert path.read_bytes() == b"an old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_a_crash_while_building_writes_nothing(tmp_path, monkeypatch):
    def broken_sheet(wb, result):
        raise RuntimeError("boom")

    monkeypatch.setattr(report, "SHEETS", [*report.SHEETS, broken_sheet])
    with pytest.raises(RuntimeError, match="boom"):
        write_report(solved_result(), tmp_path / "report.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_infeasible_result_has_conflicts_and_no_charts(tmp_path):
    path = write_report(infeasible_result(), tmp_path / "infeasible.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["summary", "members", "allocation", "deterrence", "stages",
                             "inputs", "conflicts"]
    assert rows_of(wb["conflicts"]) == [("Conflict",), *[(c,) for c in CONFLICTS]]
    assert wb["conflicts"]["A2"].quotePrefix
    assert internal_names(rows_of(wb["members"])[0]) == MEMBER_COLUMNS
    assert len(rows_of(wb["members"])) == 1
    assert internal_names(rows_of(wb["allocation"])[0]) == ALLOCATION_COLUMNS
    summary = rows_of(wb["summary"])
    assert summary[1] == ("Status", "infeasible")
    conflicts = summary.index(("Conflicts", CONFLICTS[0]))
    assert summary[conflicts + 1] == (None, CONFLICTS[1])
    with zipfile.ZipFile(path) as archive:
        assert not [name for name in archive.namelist() if name.startswith("xl/charts/")]


def test_adding_a_sheet_is_one_writer(tmp_path, monkeypatch):
    def brief_sheet(wb, result):
        report.put(wb.create_sheet("brief"), 1, 1, "All targets are met.")

    monkeypatch.setattr(report, "SHEETS", [brief_sheet, *report.SHEETS])
    wb = openpyxl.load_workbook(write_report(solved_result(), tmp_path / "r.xlsx"))
    assert wb.sheetnames[:2] == ["brief", "summary"]
    assert wb["brief"]["A1"].value == "All targets are met."
