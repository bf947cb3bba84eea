"""The planner's brief (optimizer/brief.py): every number in it is a cell of the report, shown
with the same rounding; the brief is the report's first sheet and what `burden solve` prints;
an infeasible plan's brief names the conflict."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import good_sheets, set_cell, write_workbook

from optimizer import read_inputs, solve, write_report
from optimizer.cli import main
from optimizer.headers import internal_names

INPUTS = Path(__file__).resolve().parents[1] / "inputs"
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?%?")
SHOWN = {"#,##0.0": "{:,.1f}", "0.00%": "{:.2%}", "#,##0.00": "{:,.2f}", "#,##0": "{:,.0f}",
         "0.0000": "{:.4f}", "0.00": "{:.2f}", "0.0E+00": "{:.1E}"}


def shown(cell) -> str | None:
    """A number cell as Excel shows it (the report's formats, else General)."""
    value = cell.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if cell.number_format in SHOWN:
        return SHOWN[cell.number_format].format(value)
    assert cell.number_format == "General", cell.number_format
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def cells_shown(book, skip=("brief",)) -> dict[str, set[str]]:
    """Every number cell of every sheet but the brief, as shown, by sheet."""
    return {ws.title: {text for row in ws.iter_rows() for cell in row
                       if (text := shown(cell)) is not None}
            for ws in book.worksheets if ws.title not in skip}


def shortfall_workbook(folder) -> Path:
    sheets = good_sheets()
    for row in range(2, 8):  # every target four times as large: beyond the caps
        set_cell(sheets, "targets", row, "target", sheets["targets"][row - 1][3] * 4)
    return write_workbook(folder / "short.xlsx", sheets)


CASES = {
    "tiny": lambda folder: INPUTS / "tiny.xlsx",
    "good": lambda folder: write_workbook(folder / "good.xlsx", good_sheets()),
    "shortfall": shortfall_workbook,
    "alliance": lambda folder: INPUTS / "alliance.xlsx",
}


@pytest.fixture(scope="module", params=sorted(CASES))
def solved(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    result = solve(read_inputs(CASES[request.param](folder)))
    path = write_report(result, folder / "report.xlsx")
    return request.param, result, openpyxl.load_workbook(path)


def test_every_number_of_the_brief_is_a_report_cell(solved):
    name, result, book = solved
    cells = set().union(*cells_shown(book).values())
    assert len(result.brief) >= 8
    for line in result.brief:
        for number in NUMBER.findall(line):
            assert number in cells, (name, number, line)


def test_the_brief_is_the_first_sheet_wrapped_and_wide(solved):
    _, result, book = solved
    assert book.sheetnames[0] == "brief"
    assert book.sheetnames[1:4] == ["summary", "members", "fairness"]
    ws = book["brief"]
    assert ws["A1"].value.startswith("Brief") and ws["A1"].font.bold
    lines = [ws.cell(row=row, column=1).value for row in range(3, 3 + len(result.brief))]
    assert lines == result.brief
    assert ws.cell(row=3 + len(result.brief), column=1).value is None
    assert ws["A3"].alignment.wrap_text
    assert ws.column_dimensions["A"].width >= 100


def test_key_numbers_come_from_their_sheets(solved):
    name, result, book = solved
    by_sheet = cells_shown(book)
    cost_line = next(line for line in result.brief if "total cost" in line)
    total = f"{result.summary['total_cost']:,.1f}"
    assert f"total cost: {total}" in cost_line and total in by_sheet["summary"]
    heaviest = next(line for line in result.brief if line.startswith("Heaviest burden"))
    assert f"{result.summary['max_burden']:.2%} of GDP" in heaviest
    targets_line = result.brief[0]
    for number in NUMBER.findall(targets_line):
        assert number in by_sheet["fairness"], (name, number)
    if name == "shortfall":
        assert result.status == "optimal_with_shortfall"
        assert any(line.startswith("Left short, most urgent first: land in east in 2028 "
                                   "(priority 2)") for line in result.brief), result.brief
    dearest = [line for line in result.brief if "dearest at the margin" in line]
    assert len(dearest) == 1
    priced = result.deterrence[result.deterrence["marginal_cost"].gt(0)]
    alike = priced.assign(shown=priced["marginal_cost"].round(2)).drop_duplicates(
        ["capability", "region", "priority", "shown"])  # one target dear alike over years
    assert dearest[0].count("(priority ") == min(3, len(alike))


def test_fairness_sheet_holds_the_table_and_the_years_and_no_chart(solved):
    _, result, book = solved
    ws = book["fairness"]
    rows = list(ws.iter_rows(values_only=True))
    header = internal_names(rows[0][:len(result.fairness.columns)])
    assert header == list(result.fairness.columns)
    assert len(result.fairness) > 0
    top = len(result.fairness) + 3  # a blank row, then the years' header
    assert internal_names(rows[top - 1][:len(result.free_riders.columns)]) == \
        list(result.free_riders.columns)
    assert rows[top + len(result.free_riders)][0] == "all years"
    gap = list(result.fairness.columns).index("gap") + 1
    assert ws.cell(row=2, column=gap).number_format == "0.00%"
    assert ws.cell(row=1, column=gap).value == "Cost share - fair share (% points)"
    reading = list(result.free_riders.columns).index("reading") + 1
    assert ws.cell(row=top + 1, column=reading).alignment.wrap_text
    assert ws._charts == []  # the charts have a sheet of their own, not beside this table


def infeasible_workbook(folder) -> Path:
    sheets = good_sheets()
    set_cell(sheets, "settings", 4, "value", False)  # allow_shortfall
    set_cell(sheets, "targets", 7, "target", 1e9)  # air in north in 2028: out of reach
    return write_workbook(folder / "infeasible.xlsx", sheets)


def test_an_infeasible_plan_names_the_conflict(tmp_path):
    result = solve(read_inputs(infeasible_workbook(tmp_path)), what_it_takes=False)
    assert result.status == "infeasible"
    assert result.brief[0] == ("No plan meets every target and limit (status infeasible). "
                               "The conflict:")
    assert result.brief[1:] == result.conflicts
    assert "air in north in 2028" in " ".join(result.brief)
    book = openpyxl.load_workbook(write_report(result, tmp_path / "report.xlsx"))
    assert book.sheetnames[0] == "brief"
    conflicts = [row[0] for row in book["conflicts"].iter_rows(min_row=2, values_only=True)]
    assert result.brief[1:] == conflicts
    assert "fairness" not in book.sheetnames
    # by default the brief leads with what it would take, and the conflict in short
    led = solve(read_inputs(infeasible_workbook(tmp_path)))
    assert led.conflicts == result.conflicts
    assert led.brief[0] == "No plan meets every target and limit (status infeasible)."
    assert led.brief[1:-1] == led.what_it_takes_lines
    assert led.brief[1].startswith("To meet every target: ")
    assert "air in north in 2028 would be cut by" in led.brief[2]
    assert led.brief[-1] == f"The conflict (also on the conflicts sheet): {led.conflicts[0]}"


def test_burden_solve_prints_the_brief(tmp_path):
    runner = CliRunner()
    report = tmp_path / "tiny-report.xlsx"
    done = runner.invoke(main, ["solve", str(INPUTS / "tiny.xlsx"), "-o", str(report)])
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    result = solve(read_inputs(INPUTS / "tiny.xlsx"))
    assert lines[0] == "status: optimal"
    assert lines[1].startswith("optimum: certified (largest residual")
    assert lines[2:2 + len(result.brief)] == result.brief
    assert lines[-1] == f"report: {report}"

    path = infeasible_workbook(tmp_path)
    done = runner.invoke(main, ["solve", str(path), "-o", str(tmp_path / "bad-report.xlsx")])
    assert done.exit_code == 1
    assert "status: infeasible" in done.output
    assert "No plan meets every target and limit" in done.output


def test_the_brief_lists_the_columns_it_ignored(tmp_path):
    """A column the planner typed that is no input (not a near miss: that is an error) is a
    warning, and the brief says it did nothing."""
    import openpyxl

    wb = openpyxl.load_workbook(INPUTS / "tiny.xlsx")
    ws = wb["members"]
    ws.cell(row=1, column=ws.max_column + 1, value="notes")
    wb.save(tmp_path / "noted.xlsx")
    result = solve(read_inputs(tmp_path / "noted.xlsx"))
    assert result.brief[-1] == "Read as no input and ignored: sheet 'members': column 'notes'."
    assert not any("ignored" in line for line in solve(read_inputs(INPUTS / "tiny.xlsx")).brief)


def test_limit_lines_name_the_few_left_out_when_most_members_share_a_limit():
    # 6 members, 5 at their cap in both years, F never: "every member but F"; at their floor
    # 2 of 6 in 2026 only: named; personnel all used by all: "every member".
    from optimizer.brief import _limit_lines

    names = list("ABCDEF")
    rows = [{"member": m, "year": y, "at_cap": m != "F", "at_floor": m in "AB" and y == 2026,
             "personnel_available": 10.0, "personnel_used": 10.0}
            for m in names for y in (2026, 2027)]
    lines = _limit_lines(pd.DataFrame(rows), [2026, 2027])
    assert lines == ["At their cap: every member but F (every year).",
                     "At their floor: A, B (2026).",
                     "Using all their deployable personnel: every member (every year)."]
