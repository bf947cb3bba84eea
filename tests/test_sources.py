"""The audit trail: the optional `sources` sheet names input sheets and their
columns (checked, each bad row located), and is copied into the report as given."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import good_sheets, write_workbook

from optimizer import InputError, read_inputs, solve, write_report

HEADER = ["sheet", "column", "source", "edition", "note"]
ROWS = [
    ["members", "gdp", "NATO, Defence Expenditure of NATO Countries (2014-2026), Table 5", "2026",
     "2026 is an estimate"],
    [" Members ", "Population", "World Bank SP.POP.TOTL", "2024", None],  # any case, spaces
    ["targets", "*", "illustrative", None, "@sized by hand"],  # * : the whole sheet
    ["settings", "value", "+the planning staff", None, None],
]


def with_sources(folder: Path, rows, name="sourced.xlsx") -> Path:
    sheets = good_sheets()
    sheets["sources"] = [HEADER, *rows]
    return write_workbook(folder / name, sheets)


def test_good_sources_are_accepted_and_kept(tmp_path):
    inputs = read_inputs(with_sources(tmp_path, ROWS))
    assert inputs.sources.shape == (len(ROWS), len(HEADER))
    assert inputs.sources["sheet"].tolist() == ["members", "Members", "targets", "settings"]


def test_sources_are_copied_into_the_report_as_given(tmp_path):
    result = solve(read_inputs(with_sources(tmp_path, ROWS)))
    book = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    ws = book["sources"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    expected = [[cell.strip() if isinstance(cell, str) else cell for cell in row]
                for row in ROWS]
    assert rows[1:] == expected
    formula_like = [cell for row in ws.iter_rows(min_row=2) for cell in row
                    if isinstance(cell.value, str) and cell.value[0] in "@+"]
    assert len(formula_like) == 2
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in formula_like)


def test_a_workbook_without_sources_gets_no_sources_sheet(tmp_path):
    result = solve(read_inputs(write_workbook(tmp_path / "plain.xlsx", good_sheets())))
    book = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    assert "sources" not in book.sheetnames


def problems_of(path) -> list:
    with pytest.raises(InputError) as caught:
        read_inputs(path)
    return caught.value.problems


def test_bad_sources_rows_are_located_by_sheet_row_and_column(tmp_path):
    rows = [
        ROWS[0],
        ["memebers", "gdp", "a typo in the sheet", None, None],  # row 3
        ["members", "gpd", "a typo in the column", None, None],  # row 4
        ["targets", "capability", "fine", None, None],
        ["capabilities", "gdp", "a column of another sheet", None, None],  # row 6
    ]
    problems = problems_of(with_sources(tmp_path, rows))
    located = [(p.sheet, p.row, p.column, p.value) for p in problems]
    assert located == [("sources", 3, "sheet", "memebers"), ("sources", 4, "column", "gpd"),
                       ("sources", 6, "column", "gdp")]
    assert all(p.file == "sourced.xlsx" for p in problems)
    assert "an input sheet (settings, members" in problems[0].expected
    assert "a column of sheet 'members' (member, gdp, gdp_growth" in problems[1].expected
    assert "a column of sheet 'capabilities' (capability, funding_effect" in \
        problems[2].expected
    assert str(problems[1]).startswith(
        "sourced.xlsx, sheet 'sources', row 4, column 'column': found 'gpd', expected")


def test_a_blank_sheet_or_column_is_a_missing_required_cell(tmp_path):
    problems = problems_of(with_sources(tmp_path, [["members", None, "somewhere", None, None]]))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("sources", 2, "column")]
