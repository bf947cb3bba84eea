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
    })
    stages = pd.DataFrame({"stage": [1, 2], "name": ["min_cost", "tie_break"],
                           "value": [183.623456789, 1.5], "status": ["optimal", "optimal"],
                           "certified": [True, True], "route": ["first", "first"],
                           "residual": [1.2e-15, 3.4e-14], "gap": [0.0, 5.6e-12],
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
                             "inputs", "sources", "charts"]


@pytest.mark.parametrize("sheet, columns", [
    ("members", MEMBER_COLUMNS), ("allocation", ALLOCATION_COLUMNS),
    ("deterrence", DETERRENCE_COLUMNS), ("stages", STAGE_COLUMNS), ("inputs", ["key", "value"]),
    ("sources", ["sheet", "column", "source", "edition", "note"]),
])
def test_headers_are_the_column_lists(written, sheet, columns):
    header = rows_of(openpyxl.load_workbook(written)[sheet])[0]
    assert list(header) == columns


@pytest.mark.parametrize("sheet, frame_of", [
    ("members", lambda r: r.members), ("allocation", lambda r: r.allocation),
    ("deterrence", lambda r: r.deterrence), ("stages", lambda r: r.stages),
    ("inputs", lambda r: r.settings), ("sources", lambda r: r.sources),
])
def test_values_read_back_equal_the_frames(written, sheet, frame_of):
    frame = frame_of(solved_result())
    body = rows_of(openpyxl.load_workbook(written)[sheet])[1:]
    assert len(body) == len(frame)
    for read_row, expected_row in zip(body, frame.itertuples(index=False), strict=True):
        for read, expected in zip(read_row, expected_row, strict=True):
            if expected == "":
                expected = None  # an empty text is an empty cell
            assert same(read, expected), (sheet, read, expected)


def test_summary_lists_the_keys_then_warnings(written):
    result = solved_result()
    rows = rows_of(openpyxl.load_workbook(written)["summary"])
    assert rows[0] == ("key", "value")
    assert [key for key, _ in rows[1:len(SUMMARY_KEYS) + 1]] == SUMMARY_KEYS
    for key, value in rows[1:len(SUMMARY_KEYS) + 1]:
        assert same(value, result.summary[key]), key
    tail = rows[len(SUMMARY_KEYS) + 1:]
    assert tail == [(None, None), ("warnings", result.warnings[0]), (None, result.warnings[1])]


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
    ("deterrence", "marginal_cost", "#,##0.00"),
])
def test_number_formats(written, sheet, column, number_format):
    ws = openpyxl.load_workbook(written)[sheet]
    columns = [cell.value for cell in ws[1]]
    assert ws.cell(row=2, column=columns.index(column) + 1).number_format == number_format


def test_summary_number_formats(written):
    ws = openpyxl.load_workbook(written)["summary"]
    formats = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).number_format
               for r in range(2, len(SUMMARY_KEYS) + 2)}
    assert formats["total_cost"] == "#,##0.0"
    assert formats["objective_value"] == "#,##0.0"
    assert formats["max_burden"] == "0.00%"
    assert formats["min_burden"] == "0.00%"


@pytest.mark.parametrize("sheet", ["summary", "members", "allocation", "deterrence", "stages",
                                   "inputs", "sources"])
def test_header_is_bold_filled_and_frozen(written, sheet):
    ws = openpyxl.load_workbook(written)[sheet]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    assert ws["A1"].fill.fill_type == "solid"


@pytest.mark.parametrize("sheet, ref", [("members", "A1:N5"), ("allocation", "A1:I6"),
                                        ("deterrence", "A1:I5"), ("stages", "A1:I3")])
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


def test_two_native_charts_with_titles_and_visible_axes(written):
    with zipfile.ZipFile(written) as archive:
        names = archive.namelist()
        assert "xl/charts/chart1.xml" in names
        assert "xl/charts/chart2.xml" in names
        first = archive.read("xl/charts/chart1.xml").decode("utf-8")
        second = archive.read("xl/charts/chart2.xml").decode("utf-8")
    assert "Burden against fair share by member, 2031" in first
    assert 'grouping val="clustered"' in first
    assert "Contributions by region, 2031" in second
    assert 'grouping val="stacked"' in second
    for xml in (first, second):
        assert "'charts'!" in xml
        assert re.findall(r'<(?:c:)?delete val="(\w+)"', xml) == ["0", "0"]


def test_chart_tables_hold_the_last_year(written):
    rows = rows_of(openpyxl.load_workbook(written)["charts"])
    assert rows[0][:3] == ("member", "actual share", "fair share")
    assert rows[1][:3] == ("Alpha", 0.2571, 0.248)
    assert rows[2][:3] == (HYPERLINK, 0.7429, 0.752)
    region_rows = [row for row in rows if row[0] in ("region", CMD, AT_SUM)]
    header = region_rows[0]
    assert header[0] == "region" and sorted(header[1:3]) == sorted([MINUS, TABBED])
    by_region = {row[0]: dict(zip(header[1:3], row[1:3], strict=True)) for row in region_rows[1:]}
    assert by_region == {AT_SUM: {MINUS: 0, TABBED: 4.3},
                         CMD: {MINUS: pytest.approx(9.0), TABBED: pytest.approx(0.1)}}


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
    assert rows_of(wb["conflicts"]) == [("conflict",), *[(c,) for c in CONFLICTS]]
    assert wb["conflicts"]["A2"].quotePrefix
    assert rows_of(wb["members"]) == [tuple(MEMBER_COLUMNS)]
    assert rows_of(wb["allocation"]) == [tuple(ALLOCATION_COLUMNS)]
    summary = rows_of(wb["summary"])
    assert summary[1] == ("status", "infeasible")
    assert summary[-3:] == [(None, None), ("conflicts", CONFLICTS[0]), (None, CONFLICTS[1])]
    with zipfile.ZipFile(path) as archive:
        assert not [name for name in archive.namelist() if name.startswith("xl/charts/")]


def test_adding_a_sheet_is_one_writer(tmp_path, monkeypatch):
    def brief_sheet(wb, result):
        report.put(wb.create_sheet("brief"), 1, 1, "All targets are met.")

    monkeypatch.setattr(report, "SHEETS", [brief_sheet, *report.SHEETS])
    wb = openpyxl.load_workbook(write_report(solved_result(), tmp_path / "r.xlsx"))
    assert wb.sheetnames[:2] == ["brief", "summary"]
    assert wb["brief"]["A1"].value == "All targets are met."
