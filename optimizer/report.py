"""The report workbook.

`write_report(result, path)` turns one `Result` into an `.xlsx` a minister's staff can read:
the `brief` (plain sentences, first), a `summary` (the plan's figures first, the audit trail
last), the `members` table, the `fairness` diagnostics, the `allocation` and `deterrence`
tables, `what it takes` to meet every target (a plan short or infeasible), the `stages`
table, the settings as used (`inputs`), the `conflicts` of an infeasible plan, the input's
`sources`, a `charts` sheet with native Excel charts, one a printed page (burden by
member against its floor and the reference burdens; cost share against fair share, as shares
and as a percentage of it; the spending path by member over the years; the alliance's totals
by year; contributions by region), and the `chart data` they draw from.

Headers are planner-readable with units (`headers.HEADERS`, the currency from the settings);
the tables of `Result` keep their internal names, and `headers.read_sheet` reads a sheet back
under them. Every sheet prints landscape on A4 or Letter: one page wide with its header row
repeated, the charts at 100% with a page break between them.

Each sheet is written by one small function `(workbook, result) -> None` listed in `SHEETS`, in
the order the sheets appear; a writer that has nothing to show writes no sheet (a hand-built
`Result` without a brief or fairness table gets neither). Adding a sheet is one function and one
entry in that list.

Safety: every text cell is stored as text, never as a formula; text that starts like a formula
(`=`, `+`, `-`, `@`, a tab or a carriage return) also gets Excel's quote prefix, so editing the
cell in Excel does not turn it into one either. The workbook is saved to a temporary file in the
target's folder and moved into place, so a crash never leaves half a report, and the input
workbook is never overwritten.

Cells are written one by one with openpyxl (no `DataFrame.to_excel`) so that types are ours:
NaN and None become empty cells, numpy scalars plain numbers, booleans TRUE/FALSE.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import numbers
import os
import pathlib
import stat
import tempfile
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from .diagnostics import horizon_totals
from .headers import _pattern, shown, shown_all
from .result import (
    ALLOCATION_COLUMNS,
    CONSTRAINT_COLUMNS,
    CUT_COLUMNS,
    DETERRENCE_COLUMNS,
    MEMBER_COLUMNS,
    PATH_COLUMNS,
    PREVIOUS_COLUMNS,
    RULE_COLUMNS,
    STAGE_COLUMNS,
    STILL_SHORT_COLUMNS,
    SUMMARY_KEYS,
    WHAT_IT_TAKES_COLUMNS,
    Result,
)

MONEY = "#,##0.0"
PERCENT = "0.00%"
QUANTITY = "#,##0.00"
COUNT = "#,##0"
#: Excel shows TRUE/FALSE anyway; LibreOffice needs the format to show them rather than 1/0.
BOOLEAN = '"TRUE";"TRUE";"FALSE"'

#: Number format of each column (and summary key) by name; unnamed columns stay General.
NUMBER_FORMATS = {
    "gdp": MONEY, "cost": MONEY, "floor": MONEY, "cap": MONEY, "deviation": MONEY,
    "total_cost": MONEY,
    "burden": PERCENT, "fair_share": PERCENT, "actual_share": PERCENT,
    "max_burden": PERCENT, "min_burden": PERCENT,
    "quantity": QUANTITY, "deterrence": QUANTITY, "target": QUANTITY, "achieved": QUANTITY,
    "protected": QUANTITY, "shortfall": QUANTITY, "marginal_cost": QUANTITY,
    "personnel_used": COUNT, "personnel_available": COUNT,
    "cap_share": PERCENT, "needed_cap_share": PERCENT, "extra_gdp_share": PERCENT,
    "needed_cap": MONEY, "extra": MONEY, "personnel_needed": COUNT, "extra_personnel": COUNT,
    "shortfall_index": "0.0000", "seconds": "0.00", "solve_seconds": "0.00",
    "residual": "0.0E+00", "duality_gap": "0.0E+00", "max_residual": "0.0E+00",
    "max_gap": "0.0E+00", "second_routes": COUNT,
    "variables": COUNT, "constraints": COUNT, "members_at_cap": COUNT,
}

#: The unit of a stage's optimum follows what the stage minimises.
STAGE_FORMATS = {"shortfall_index": "0.0000", "total_cost": MONEY, "deviation": MONEY,
                 "max_burden": PERCENT}

#: First characters that make Excel (or a CSV import) read text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(name="Calibri", size=11, bold=True)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DCE6F1")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
WRAPPED = Alignment(wrap_text=True, vertical="top")
NOTE_FONT = Font(name="Calibri", size=10, italic=True, color="595959")
LEFT = Alignment(horizontal="left")
WIDEST_COLUMN = 60
NARROWEST_COLUMN = 8
WIDEST_TEXT = 32  # a column of wrapped text (sources, readings) is at most this wide
HEADER_LINES = 3  # a header wraps onto at most this many lines
LINE_HEIGHT = 15  # points a line of 11-point text takes

#: Page layout of every sheet: landscape, narrow margins (inches), one page wide.
MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}
#: The charts sheet: each chart fills one landscape page of A4 (27.7 x 18.0 cm inside these
#: margins) or Letter (25.4 x 18.5 cm) at 100%: CHART_ROWS rows of 15 points (16.9 cm) a page.
CHART_WIDTH, CHART_HEIGHT, CHART_ROWS = 24.0, 15.0, 32

SheetWriter = Callable[[Workbook, Result], None]


# --- cells -------------------------------------------------------------------------------------

def cell_value(value):
    """The value as openpyxl should store it: None for NaN/NA, plain Python numbers and text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        return number if math.isfinite(number) else ("inf" if number > 0 else "-inf")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def put(ws: Worksheet, row: int, column: int, value, number_format: str | None = None):
    """Write one cell; text always as text, numbers with `number_format`."""
    cell = ws.cell(row=row, column=column)
    value = cell_value(value)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text  # openpyxl takes "=..." for a formula here; the next line undoes that
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    elif isinstance(value, bool):
        cell.value = value
        cell.number_format = BOOLEAN
    else:
        cell.value = value
        if number_format and isinstance(value, int | float):
            cell.number_format = number_format
    return cell


def put_header(ws: Worksheet, row: int, names: Sequence[str]) -> None:
    """A bold, filled header row whose text wraps."""
    for column, name in enumerate(names, start=1):
        cell = put(ws, row, column, name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT


def currency_of(result: Result) -> str:
    """The case's `currency` setting ("" when it has none)."""
    table = result.settings
    if table is None or not len(table) or "key" not in table:
        return ""
    match = table.loc[table["key"] == "currency", "value"]
    value = match.iloc[0] if len(match) else None
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else \
        str(value).strip()


def write_table(ws: Worksheet, frame: pd.DataFrame, columns: Sequence[str], top: int = 1,
                formats: dict[str, str] | None = None, currency: str = "") -> int:
    """Header at row `top` (the columns' shown headers), then one row per frame row; returns
    the last row written."""
    formats = NUMBER_FORMATS if formats is None else formats
    put_header(ws, top, shown_all(columns, currency))
    rows = frame.reindex(columns=list(columns)).itertuples(index=False, name=None)
    return put_rows(ws, rows, [formats.get(name) for name in columns], top + 1)


def put_rows(ws: Worksheet, rows, number_formats: Sequence[str | None], first_row: int) -> int:
    """Write rows of values from `first_row` on; returns the last row written."""
    row = first_row - 1
    for row, values in enumerate(rows, start=first_row):
        for column, (value, number_format) in enumerate(zip(values, number_formats, strict=True),
                                                        start=1):
            put(ws, row, column, value, number_format)
    return row


def shown_length(value) -> int:
    """About how many characters a cell shows."""
    if isinstance(value, str):
        return max(len(line) for line in value.splitlines() or [""])
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return len(f"{value:,}")
    if isinstance(value, float):
        return len(f"{value:,.2f}")
    return len(str(value))


def header_width(text: str) -> int:
    """The narrowest column a header fits in on at most HEADER_LINES lines (its longest
    word unbroken)."""
    words = text.split()
    return max([math.ceil(len(text) / HEADER_LINES), *map(len, words)] or [0])


def fit_columns(ws: Worksheet) -> None:
    """Column widths from the longest value, within [NARROWEST_COLUMN, WIDEST_COLUMN]; a
    header (wrapping text) needs only its longest word, a wrapped column at most WIDEST_TEXT;
    each header row is as tall as its longest header needs."""
    widths: dict[str, int] = {}
    headers = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or cell.font.italic or (
                    cell.font.bold and cell.fill.fill_type != "solid"):
                continue  # a blank, a note or a section's title: they run over the next cells
            if cell.alignment.wrap_text:
                if cell.fill.fill_type == "solid":
                    length = header_width(str(cell.value))
                    headers.append(cell)
                else:
                    length = min(shown_length(cell.value), WIDEST_TEXT)
            else:
                length = shown_length(cell.value)
            widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), length)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = min(max(width + 2, NARROWEST_COLUMN), WIDEST_COLUMN)
    fit_wrapped_rows(ws, headers)


def fit_wrapped_rows(ws: Worksheet, cells=None) -> None:
    """Heights of rows holding wrapped text (not every reader fits them itself)."""
    lines: dict[int, int] = {}
    cells = cells if cells is not None else (
        c for row in ws.iter_rows() for c in row
        if c.value is not None and c.alignment.wrap_text)
    for cell in cells:
        width = ws.column_dimensions[cell.column_letter].width or 10
        count = sum(max(1, math.ceil(len(part) / max(width - 1.5, 1)))
                    for part in str(cell.value).splitlines() or [""])
        lines[cell.row] = max(lines.get(cell.row, 1), count)
    for row, count in lines.items():
        if count > 1:
            ws.row_dimensions[row].height = LINE_HEIGHT * count


def fit_for_print(ws: Worksheet, title_rows: str | None = "1:1") -> None:
    """Landscape, narrow margins, one page wide (as many tall as needed), the header row
    repeated on every page. A sheet of charts (`charts` in its name) prints at 100% instead,
    one chart a page, its rows broken between the charts."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&A, page &P of &N"
    if ws._charts and ws.title == "charts":
        ws.page_setup.scale = 100
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        return
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def new_table_sheet(wb: Workbook, title: str, frame: pd.DataFrame,
                    columns: Sequence[str], currency: str = "",
                    formats: dict[str, str] | None = None) -> Worksheet:
    """A sheet holding one table: frozen, filtered header."""
    ws = wb.create_sheet(title)
    last_row = write_table(ws, frame, columns, formats=formats, currency=currency)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=last_row, column=len(columns)).coordinate}"
    return ws


# --- sheets ------------------------------------------------------------------------------------

#: The summary's first rows, what a planner reads; every other key of the summary (audit:
#: solver, timings, sizes, the input's hash, versions, and whatever keys a solver adds) comes
#: after the warnings and conflicts. `objective_value` (a stage's optimum) is on `stages`.
PLAN_KEYS = ["status", "objective", "total_cost", "max_burden", "min_burden", "members_at_cap",
             "shortfall_index", "certified"]
SHOWN_ELSEWHERE = {"objective_value"}
#: The summary's labels (keys without one are shown with their words: "max residual").
SUMMARY_LABELS = {
    "status": "Status", "objective": "Objective",
    "total_cost": "Total cost, the plan's ({currency})",
    "max_burden": "Highest burden (% of GDP)", "min_burden": "Lowest burden (% of GDP)",
    "members_at_cap": "Members at their cap (count)",
    "shortfall_index": "Shortfall index (0: every target met)",
    "certified": "Optimum certified (every stage checked outside the solver)",
    "max_residual": "Largest residual of the certificates (scaled)",
    "max_gap": "Largest duality gap of the certificates (relative)",
    "second_routes": "Stages solved again by a second route",
    "solver": "Solver", "solve_seconds": "Solve time (s)", "variables": "Variables",
    "constraints": "Constraints", "input_file": "Input file",
    "input_sha256": "Input SHA-256", "created_at": "Created (UTC)",
    "version": "burden version",
}


def summary_label(key: str, currency: str = "") -> str:
    label = SUMMARY_LABELS.get(key)
    if label is None:
        words = str(key).replace("_", " ")
        return words[:1].upper() + words[1:]
    return label.format(currency=currency or "money")


def summary_key(label) -> str:
    """The summary key a label shows (any currency); other text as it is."""
    for key, template in SUMMARY_LABELS.items():
        if _pattern(template).match(str(label)):
            return key
    return str(label)


def summary_rows(summary: dict) -> tuple[list[str], list[str]]:
    """(the planner's keys, the audit keys) of a summary, in the order shown."""
    plan = [key for key in PLAN_KEYS if key in summary]
    known = [key for key in SUMMARY_KEYS if key in summary]
    rest = [key for key in known + list(summary)
            if key not in plan and key not in SHOWN_ELSEWHERE]
    return plan, list(dict.fromkeys(rest))


def summary_sheet(wb: Workbook, result: Result) -> None:
    """The plan's figures, then the warnings and conflicts, if any, then the audit trail."""
    ws = wb.create_sheet("summary")
    currency = currency_of(result)
    put_header(ws, 1, ["Item", "Value"])
    plan, audit = summary_rows(result.summary)
    row = 1

    def put_keys(keys, row):
        for key in keys:
            row += 1
            put(ws, row, 1, summary_label(key, currency))
            value = result.summary.get(key)
            fmt = NUMBER_FORMATS.get(key)
            if fmt is None and isinstance(value, float):
                fmt = "General"
            cell = put(ws, row, 2, value, fmt)
            if isinstance(cell.value, str):
                cell.alignment = LEFT
        return row

    row = put_keys(plan, row)
    for heading, lines in (("Warnings", result.warnings), ("Conflicts", result.conflicts)):
        if not lines:
            continue
        row += 2
        put(ws, row, 1, heading).font = HEADER_FONT
        for offset, line in enumerate(lines):
            put(ws, row + offset, 2, line).alignment = WRAPPED
        row += len(lines) - 1
    row += 2
    put(ws, row, 1, "Audit trail").font = HEADER_FONT
    put_keys(audit, row)
    ws.freeze_panes = "A2"


def table_sheet(title: str, frame_of: Callable[[Result], pd.DataFrame],
                columns: Sequence[str]) -> SheetWriter:
    """A writer for a sheet that always holds one of the result's tables."""
    def write(wb: Workbook, result: Result) -> None:
        new_table_sheet(wb, title, frame_of(result), columns, currency_of(result))
    write.__name__ = f"{title}_sheet"
    return write


def stages_sheet(wb: Workbook, result: Result) -> None:
    """The lexicographic stages, each optimum in its own unit, and what the plan's total is."""
    ws = new_table_sheet(wb, "stages", result.stages, STAGE_COLUMNS, currency_of(result))
    value = STAGE_COLUMNS.index("value") + 1
    for offset, name in enumerate(result.stages["name"], start=2):
        cell = ws.cell(row=offset, column=value)
        if isinstance(cell.value, int | float):
            cell.number_format = STAGE_FORMATS.get(str(name), QUANTITY)
    if len(result.stages):
        note = put(ws, len(result.stages) + 3, 1,
                   "Each stage keeps the one before within 1e-6 relative of its optimum, so the "
                   "plan's total cost (summary) may exceed the cost stage's optimum by that much.")
        note.font = NOTE_FONT


def conflicts_sheet(wb: Workbook, result: Result) -> None:
    """One sentence a row, only when the plan is infeasible."""
    if not result.conflicts:
        return
    ws = new_table_sheet(wb, "conflicts", pd.DataFrame({"conflict": result.conflicts}),
                         ["conflict"])
    for (cell,) in ws.iter_rows(min_row=2):
        cell.alignment = WRAPPED
    ws.column_dimensions["A"].width = BRIEF_WIDTH


def what_it_takes_sheet(wb: Workbook, result: Result) -> None:
    """What it would take to meet every target (a plan short or infeasible): the raised caps
    (and personnel, when relaxed) by member and year; below, the targets still short with
    the caps raised (when raising them does not suffice), the targets cut instead within
    today's limits; then the sentences. Only when it was computed."""
    if not result.what_it_takes_lines:
        return
    currency = currency_of(result)
    limits = result.what_it_takes
    columns = [name for name in WHAT_IT_TAKES_COLUMNS
               if name not in ("personnel_available", "personnel_needed", "extra_personnel")
               or limits[name].notna().any()]
    ws = new_table_sheet(wb, "what it takes", limits, columns, currency)
    row = max(len(limits) + 1, 1) + 2
    if len(result.what_it_takes_short):
        put(ws, row, 1, "Still short with the limits raised as far as needed (points):"
            ).font = HEADER_FONT
        row = write_table(ws, result.what_it_takes_short, STILL_SHORT_COLUMNS, top=row + 1,
                          currency=currency) + 2
    if len(result.what_it_takes_cuts):
        put(ws, row, 1, "Or, within today's limits, these targets would be cut (points):"
            ).font = HEADER_FONT
        row = write_table(ws, result.what_it_takes_cuts, CUT_COLUMNS, top=row + 1,
                          currency=currency) + 2
    for line in result.what_it_takes_lines:
        put(ws, row, 1, line).font = NOTE_FONT
        row += 1


def constraints_sheet(wb: Workbook, result: Result) -> None:
    """The analyst's own constraints (a model changed in Pyomo), only when there are any."""
    if not len(result.constraints):
        return
    # a side without a bound is a blank cell; values to a hundredth (the cells hold them all)
    table = result.constraints.replace([np.inf, -np.inf], np.nan)
    new_table_sheet(wb, "your constraints", table, CONSTRAINT_COLUMNS, currency_of(result),
                    formats=dict.fromkeys(["body", "lower", "upper", "slack", "dual"],
                                          QUANTITY))


def rules_sheet(wb: Workbook, result: Result) -> None:
    """Each rule row: its value at the plan against its bound, the slack and what the rule
    costs the alliance per unit of its bound; only when the case has rules."""
    if not len(result.rules):
        return
    new_table_sheet(wb, "rules", result.rules, RULE_COLUMNS, currency_of(result),
                    formats=dict.fromkeys(["value", "bound", "slack", "cost_per_unit"],
                                          QUANTITY))


def path_sheet(wb: Workbook, result: Result) -> None:
    """Each member's path, floors and caps as shares of GDP beside its total, core and related
    spending by year; only when the case has a path, a related capability, a core floor or a
    related cap."""
    table = result.path
    if not len(table) or not (
            table["path_share"].notna().any() or table["core_path_share"].notna().any()
            or (table["related_cost"] > 0).any() or table["related_cap_share"].notna().any()
            or (table["core_floor_share"] > 0).any()):
        return
    shares = ["baseline_share", "path_share", "core_path_share", "floor_share",
              "core_floor_share", "cap_share", "related_cap_share", "burden", "core_share",
              "related_share"]
    new_table_sheet(wb, "path", table, PATH_COLUMNS, currency_of(result),
                    formats={**dict.fromkeys(shares, PERCENT),
                             **dict.fromkeys(["gdp", "core_cost", "related_cost"], MONEY)})


def previous_sheet(wb: Workbook, result: Result) -> None:
    """The plan against the previous plan, member by member; only when there is one."""
    if not len(result.previous):
        return
    new_table_sheet(wb, "previous plan", result.previous, PREVIOUS_COLUMNS,
                    currency_of(result),
                    formats={**dict.fromkeys(["previous", "cost", "change"], MONEY),
                             "change_share": PERCENT})


def sources_sheet(wb: Workbook, result: Result) -> None:
    """The input's `sources` sheet, as given (its own headers), when it has rows; text wraps."""
    if not len(result.sources):
        return
    columns = [str(c) for c in result.sources.columns]
    ws = wb.create_sheet("sources")
    put_header(ws, 1, columns)
    rows = result.sources.itertuples(index=False, name=None)
    last = put_rows(ws, rows, [None] * len(columns), 2)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAPPED
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=last, column=len(columns)).coordinate}"


BRIEF_WIDTH = 100  # the brief's one column, in characters (fit_columns leaves it alone)
#: Number formats of the fairness sheet's columns (its own names, then the usual ones).
FAIRNESS_FORMATS = {
    **NUMBER_FORMATS, **dict.fromkeys(["fair_gdp", "fair_population", "fair_equal",
                                        "fair_mixed", "rule_in_use", "gap", "weighted_met"],
                                       PERCENT),
    "members": COUNT, "targets": COUNT, "targets_met": COUNT, "spearman": "0.00",
    "rank_gdp": COUNT, "rank_burden": COUNT, "rank_gap": COUNT,
}


def brief_sheet(wb: Workbook, result: Result) -> None:
    """A title, then the brief's sentences, one a row, wrapped in one wide column."""
    if not result.brief:
        return
    ws = wb.create_sheet("brief")
    name = pathlib.Path(str(result.summary.get("input_file") or "")).name
    title = put(ws, 1, 1, f"Brief: {name}" if name else "Brief")
    title.font = Font(name="Calibri", size=14, bold=True)
    write_lines(ws, result.brief, 3)


def write_lines(ws: Worksheet, lines: Sequence[str], first_row: int) -> int:
    """Sentences one a row, wrapped in a column BRIEF_WIDTH wide; returns the last row."""
    row = first_row - 1
    for row, line in enumerate(lines, start=first_row):
        put(ws, row, 1, line).alignment = WRAPPED
        # not every reader fits wrapped rows itself: about 15 points a line of text
        ws.row_dimensions[row].height = LINE_HEIGHT * math.ceil(shown_length(line) / BRIEF_WIDTH)
    ws.column_dimensions["A"].width = BRIEF_WIDTH
    return row


def fairness_sheet(wb: Workbook, result: Result) -> None:
    """The fairness table; below it the alliance by year (targets met, GDP, cost, the
    free-rider test) with an "all years" row. Its chart is on the charts sheet."""
    fairness, years = result.fairness, result.free_riders
    if fairness.empty:
        return
    currency = currency_of(result)
    ws = wb.create_sheet("fairness")
    columns = [str(c) for c in fairness.columns]
    bottom = write_table(ws, fairness, columns, formats=FAIRNESS_FORMATS, currency=currency)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=bottom, column=len(columns)).coordinate}"
    if len(years):
        top = bottom + 2
        names = [str(c) for c in years.columns]
        last = write_table(ws, years, names, top=top, formats=FAIRNESS_FORMATS,
                           currency=currency)
        totals = horizon_totals(years)
        put(ws, last + 1, 1, "all years").font = HEADER_FONT
        for column, name in enumerate(names[1:], start=2):
            put(ws, last + 1, column, totals.get(name), FAIRNESS_FORMATS.get(name))
        if "reading" in names:
            column = names.index("reading") + 1
            for row in range(top + 1, last + 1):
                ws.cell(row=row, column=column).alignment = WRAPPED


# --- charts ------------------------------------------------------------------------------------

#: Burdens every member is measured against (share of GDP): the Wales pledge, The Hague's
#: core and total defence spending.
REFERENCE_BURDENS = [(0.02, "2% of GDP"), (0.035, "3.5% of GDP"), (0.05, "5% of GDP")]


class ChartData:
    """The `chart data` sheet: the small tables the charts draw from, one below the other."""

    def __init__(self, wb: Workbook, currency: str):
        self.ws = wb.create_sheet("chart data")
        self.currency = currency
        self.next_row = 1

    def table(self, title: str, header: Sequence[str], rows: Sequence[Sequence],
              formats: Sequence[str | None]) -> tuple[int, int]:
        """Write a titled table; returns (its header row, its last row)."""
        put(self.ws, self.next_row, 1, title).font = HEADER_FONT
        top = self.next_row + 1
        put_header(self.ws, top, header)
        bottom = put_rows(self.ws, rows, formats, top + 1)
        self.next_row = bottom + 3
        return top, bottom


def charts_sheet(wb: Workbook, result: Result) -> None:
    """The charts, one a printed page, on `charts`; the tables they draw from on `chart data`.

    Nothing when the result has no allocation (an infeasible plan, a solver error).
    """
    members = result.members
    if not result.solved or members.empty:
        return
    present = members
    if len(result.fairness):
        present = members[members["member"].isin(set(result.fairness["member"]))]
    year = present["year"].max()
    label = year_label(year)
    ws = wb.create_sheet("charts")
    data = ChartData(wb, currency_of(result))
    last_year = present[present["year"] == year]
    charts = [burden_chart(data, last_year, label),
              share_chart(data, last_year, label),
              fairness_chart(data, last_year, label),
              path_chart(data, present),
              totals_chart(data, present)]
    in_year = result.allocation[result.allocation["year"] == year]
    if len(in_year):
        charts.append(regions_chart(data, in_year, label))
    for number, chart in enumerate(charts):
        ws.add_chart(chart, f"A{2 + CHART_ROWS * number}")
        if number:
            ws.row_breaks.append(Break(id=CHART_ROWS * number))
    for row in range(1, CHART_ROWS * len(charts) + 1):  # rows of a known height: pages hold
        ws.row_dimensions[row].height = LINE_HEIGHT      # CHART_ROWS rows, one chart
    put(ws, CHART_ROWS * len(charts), 1, "")  # the print area reaches the last chart


def year_label(year) -> str:
    """2031, not 2031.0."""
    year = cell_value(year)
    return str(int(year)) if isinstance(year, float) and year.is_integer() else str(year)


def no_smoothing(chart) -> None:
    """Straight segments between points: openpyxl's line and scatter series are smooth
    unless told (Excel then draws curves through points that are not plans)."""
    for series in chart.series:
        series.smooth = False
    if hasattr(chart, "smooth"):
        chart.smooth = False


def markers_only(series, symbol: str, size: int, color: str) -> None:
    """A series drawn as markers of one colour, with no line joining them."""
    series.marker.symbol = symbol
    series.marker.size = size
    series.marker.graphicalProperties = GraphicalProperties(solidFill=color)
    series.marker.graphicalProperties.line.solidFill = color
    series.graphicalProperties.line.noFill = True


def line_chart(overlay: bool = False) -> LineChart:
    """A line chart with visible axes; `overlay`: drawn over another chart, whose category
    axis it shares (so it shows none of its own)."""
    chart = LineChart()
    chart.x_axis.delete = overlay
    chart.y_axis.delete = False
    return chart


def burden_chart(data: ChartData, members: pd.DataFrame, year: str) -> BarChart:
    """Columns: each member's burden (% of GDP) that year, heaviest first, against its own
    floor (markers) and the alliance's reference burdens (lines)."""
    rows = members.sort_values(["burden", "member"], ascending=[False, True], kind="stable")
    floor = (rows["floor"] / rows["gdp"]).where(rows["gdp"] > 0)
    header = ["Member", "Burden (% of GDP)", "Floor (% of GDP)",
              *[name for _, name in REFERENCE_BURDENS]]
    values = [(m, b, f, *[level for level, _ in REFERENCE_BURDENS])
              for m, b, f in zip(rows["member"], rows["burden"], floor, strict=True)]
    top, bottom = data.table(f"Burden by member, {year}", header, values,
                             [None, *[PERCENT] * (len(header) - 1)])
    ws = data.ws
    chart = bar_chart(f"Burden by member, {year}: cost as % of GDP against the member's floor "
                      "and the reference burdens", "burden (% of GDP)", "0.0%")
    chart.x_axis.title = "member (heaviest burden first)"
    chart.add_data(Reference(ws, min_col=2, min_row=top, max_row=bottom), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=bottom))
    chart.gapWidth = 40
    lines = line_chart(overlay=True)
    lines.add_data(Reference(ws, min_col=3, max_col=len(header), min_row=top, max_row=bottom),
                   titles_from_data=True)
    markers_only(lines.series[0], "dash", 12, "000000")  # floors differ: no line between
    for series, color in zip(lines.series[1:], ["7F7F7F", "ED7D31", "C00000"], strict=False):
        series.marker.symbol = "none"
        series.graphicalProperties.line.solidFill = color
        series.graphicalProperties.line.dashStyle = "dash"
        series.graphicalProperties.line.width = 19050  # 1.5 points
    no_smoothing(lines)
    chart += lines
    return chart


def share_chart(data: ChartData, members: pd.DataFrame, year: str) -> BarChart:
    """Horizontal bars: each member's share of the alliance's cost beside its fair share,
    largest fair share at the top."""
    rows = members.sort_values(["fair_share", "member"], ascending=[True, True], kind="stable")
    header = ["Member", "Cost share (% of alliance cost)", "Fair share (% of alliance cost)"]
    values = list(zip(rows["member"], rows["actual_share"], rows["fair_share"], strict=True))
    top, bottom = data.table(f"Cost share against fair share, {year}", header, values,
                             [None, PERCENT, PERCENT])
    chart = bar_chart(f"Share of the alliance's cost against fair share, {year}",
                      "share of the alliance's cost (%)", "0%")
    chart.type = "bar"
    chart.x_axis.title = "member (largest fair share at the top)"
    chart.add_data(Reference(data.ws, min_col=2, max_col=3, min_row=top, max_row=bottom),
                   titles_from_data=True)
    chart.set_categories(Reference(data.ws, min_col=1, min_row=top + 1, max_row=bottom))
    chart.gapWidth = 30
    every_label(chart.x_axis, len(values))
    return chart


def fairness_chart(data: ChartData, members: pd.DataFrame, year: str) -> BarChart:
    """Horizontal bars from 100%: each member's cost share as a percentage of its fair share
    (above 100%: it pays more than its fair share), furthest above at the top."""
    rows = members[members["fair_share"] > 0]
    rows = rows.assign(ratio=rows["actual_share"] / rows["fair_share"]).sort_values(
        ["ratio", "member"], ascending=[True, True], kind="stable")
    header = ["Member", "Cost share (% of fair share)"]
    values = list(zip(rows["member"], rows["ratio"], strict=True))
    top, bottom = data.table(f"Cost share as a percentage of fair share, {year}", header,
                             values, [None, PERCENT])
    chart = bar_chart(f"Cost share against fair share, {year}: 100% is a fair share; longer "
                      "bars to the right pay more", "cost share (% of the member's fair share)",
                      "0%")
    chart.type = "bar"
    chart.x_axis.title = "member (furthest above its fair share at the top)"
    chart.x_axis.crosses = None
    chart.x_axis.crossesAt = 1.0  # bars grow from a fair share, left or right
    chart.add_data(Reference(data.ws, min_col=2, min_row=top, max_row=bottom),
                   titles_from_data=True)
    chart.set_categories(Reference(data.ws, min_col=1, min_row=top + 1, max_row=bottom))
    chart.legend = None
    chart.gapWidth = 30
    every_label(chart.x_axis, len(values))
    return chart


def every_label(axis, count: int) -> None:
    """Every category named, in a font small enough for `count` of them on one page."""
    axis.tickLblSkip = 1
    size = 900 if count <= 20 else 700 if count <= 36 else 500
    axis.txPr = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(
        sz=size)), endParaRPr=CharacterProperties(sz=size))])


def path_chart(data: ChartData, members: pd.DataFrame) -> LineChart:
    """Lines: each member's burden (% of GDP) year by year (the table: a member a row)."""
    table = members.pivot_table(index="member", columns="year", values="burden", sort=False)
    order = members.drop_duplicates("member")["member"].tolist()
    table = table.reindex(index=[m for m in order if m in table.index])
    table = table.reindex(columns=sorted(table.columns))
    header = ["Member", *[year_label(y) for y in table.columns]]
    values = [(m, *row) for m, row in zip(table.index, table.to_numpy(), strict=True)]
    top, bottom = data.table("Burden by member and year (% of GDP)", header, values,
                             [None, *[PERCENT] * len(table.columns)])
    first, last = year_label(table.columns[0]), year_label(table.columns[-1])
    years = first if first == last else f"{first}-{last}"
    chart = line_chart()
    chart.title = f"Spending path by member, {years}: cost as % of GDP"
    chart.y_axis.title = "burden (% of GDP)"
    chart.y_axis.number_format = "0.0%"
    chart.x_axis.title = "year"
    chart.add_data(Reference(data.ws, min_col=1, max_col=len(header), min_row=top + 1,
                             max_row=bottom), from_rows=True, titles_from_data=True)
    chart.set_categories(Reference(data.ws, min_col=2, max_col=len(header), min_row=top,
                                   max_row=top))
    for series in chart.series:
        series.marker.symbol = "circle"
        series.marker.size = 4
        series.graphicalProperties.line.width = 12700  # 1 point
    no_smoothing(chart)
    chart.legend.position = "r"
    chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
    return chart


def totals_chart(data: ChartData, members: pd.DataFrame) -> BarChart:
    """Columns: the alliance's total cost each year; a line: its burden (% of the alliance's
    GDP), on the right axis."""
    by_year = members.groupby("year", sort=True)[["cost", "gdp"]].sum()
    burden = by_year["cost"] / by_year["gdp"].where(by_year["gdp"] > 0)
    cost_header = shown("total_cost", data.currency)
    header = ["Year", cost_header, "Alliance burden (% of GDP)"]
    values = [(year_label(y), c, b) for y, c, b in zip(by_year.index, by_year["cost"], burden,
                                                       strict=True)]
    top, bottom = data.table("The alliance by year", header, values, [None, MONEY, PERCENT])
    chart = bar_chart("The alliance's total cost and burden by year", cost_header,
                      "#,##0")
    chart.x_axis.title = "year"
    chart.add_data(Reference(data.ws, min_col=2, min_row=top, max_row=bottom),
                   titles_from_data=True)
    chart.set_categories(Reference(data.ws, min_col=1, min_row=top + 1, max_row=bottom))
    chart.y_axis.scaling.min = 0
    line = right_axis_line("alliance burden (% of GDP)", "0.0%")
    line.add_data(Reference(data.ws, min_col=3, min_row=top, max_row=bottom),
                  titles_from_data=True)
    line.series[0].marker.symbol = "circle"
    no_smoothing(line)
    chart += line
    return chart


def right_axis_line(title: str, number_format: str) -> LineChart:
    """A line drawn over a column chart against its own value axis on the right (from 0),
    on a hidden category axis of its own (so no reader repeats the columns' axis title)."""
    line = LineChart()
    line.x_axis.axId = 20
    line.x_axis.delete = True
    line.y_axis.axId = 200
    line.y_axis.crossAx = 20
    line.x_axis.crossAx = 200
    line.y_axis.delete = False
    line.y_axis.title = title
    line.y_axis.number_format = number_format
    line.y_axis.crosses = "max"
    line.y_axis.majorGridlines = None
    line.y_axis.scaling.min = 0
    return line


def regions_chart(data: ChartData, allocation: pd.DataFrame, year: str) -> BarChart:
    """Stacked bars: deterrence delivered in each region that year, by capability."""
    by_region = (allocation.groupby(["region", "capability"])["deterrence"].sum()
                 .unstack("capability", fill_value=0.0))
    capabilities = [str(c) for c in by_region.columns]
    rows = [(region, *values) for region, values in zip(by_region.index, by_region.to_numpy(),
                                                        strict=True)]
    top, bottom = data.table(f"Deterrence by region and capability, {year} (points)",
                             ["Region", *capabilities], rows, [None, *[QUANTITY] *
                                                                len(capabilities)])
    chart = bar_chart(f"Contributions by region, {year}: deterrence by capability",
                      "deterrence (points)", "#,##0")
    chart.x_axis.title = "region"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.add_data(Reference(data.ws, min_col=2, max_col=1 + len(capabilities), min_row=top,
                             max_row=bottom), titles_from_data=True)
    chart.set_categories(Reference(data.ws, min_col=1, min_row=top + 1, max_row=bottom))
    return chart


def bar_chart(title: str, y_title: str, y_format: str) -> BarChart:
    """A column chart with visible axes (Excel hides openpyxl's axes unless told), a page
    wide."""
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.tickLblPos = "low"  # category names below the bars, also under negative ones
    chart.legend.position = "b"
    chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
    return chart


def scatter_line_chart(title: str, x_title: str, y_title: str) -> ScatterChart:
    """Points joined by straight segments, on numeric axes that are both visible."""
    chart = ScatterChart()
    chart.title = title
    chart.style = 13
    chart.scatterStyle = "lineMarker"
    chart.x_axis.title = x_title
    chart.y_axis.title = y_title
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
    return chart


#: The report's sheets, in order.
SHEETS: list[SheetWriter] = [
    brief_sheet,
    summary_sheet,
    table_sheet("members", lambda r: r.members, MEMBER_COLUMNS),
    fairness_sheet,
    table_sheet("allocation", lambda r: r.allocation, ALLOCATION_COLUMNS),
    table_sheet("deterrence", lambda r: r.deterrence, DETERRENCE_COLUMNS),
    rules_sheet,
    path_sheet,
    previous_sheet,
    what_it_takes_sheet,
    stages_sheet,
    constraints_sheet,
    table_sheet("inputs", lambda r: r.settings, ["key", "value"]),
    conflicts_sheet,
    sources_sheet,
    charts_sheet,
]


# --- the workbook ------------------------------------------------------------------------------

def build_report(result: Result) -> Workbook:
    """The report as an openpyxl workbook, not yet saved."""
    wb = Workbook()
    wb.remove(wb.active)
    for write in SHEETS:
        write(wb, result)
    for ws in wb.worksheets:
        if ws.title not in ("brief", "conflicts"):
            fit_columns(ws)
        if ws.title in ("sources", "fairness", "conflicts"):
            fit_wrapped_rows(ws)
        fit_for_print(ws, None if ws.title in ("brief", "charts", "chart data") else "1:1")
    return wb


def write_report(result: Result, path, *, overwrite_input: str | None = None) -> pathlib.Path:
    """Write the report workbook of `result` to `path` (replacing any file there) and return it.

    Raises `ValueError` when `path` is the input workbook `overwrite_input`.
    """
    path = pathlib.Path(path)
    if overwrite_input is not None and same_file(path, pathlib.Path(overwrite_input)):
        raise ValueError(f"will not write the report over the input workbook {overwrite_input}")
    save_atomically(build_report(result), path)
    return path


def same_file(a: pathlib.Path, b: pathlib.Path) -> bool:
    """True when both names lead to one file (also through links)."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def save_atomically(wb: Workbook, path: pathlib.Path) -> None:
    """Save to a temporary file beside `path`, sync it, then move it onto `path`."""
    mode = file_mode(path)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-",
                                         suffix=".xlsx", delete=False)
    try:
        with handle:
            wb.save(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
    sync_folder(path.parent)


def file_mode(path: pathlib.Path) -> int:
    """The permissions the report gets: those of the file it replaces, else the umask's."""
    with contextlib.suppress(FileNotFoundError):
        return stat.S_IMODE(path.stat().st_mode)
    umask = 0o022
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = pathlib.Path("/proc/self/status").read_text()
        umask = int(next(line for line in status.splitlines()
                         if line.startswith("Umask:")).split()[1], 8)
    return 0o666 & ~umask


def sync_folder(folder: pathlib.Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX)."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
