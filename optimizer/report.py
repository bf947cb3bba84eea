"""The report workbook.

`write_report(result, path)` turns one `Result` into an `.xlsx` a minister's staff can read:
the `brief` (plain sentences, first), a `summary`, the `members` table, the `fairness`
diagnostics (with a chart of the gaps to fair share), the `allocation`, `deterrence` and
`stages` tables, the settings as used (`inputs`), the `conflicts` of an infeasible plan, the
input's `sources`, and a `charts` sheet with native Excel charts (burden against fair share by
member, contributions by region).

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
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .result import (
    ALLOCATION_COLUMNS,
    DETERRENCE_COLUMNS,
    MEMBER_COLUMNS,
    STAGE_COLUMNS,
    SUMMARY_KEYS,
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
    "personnel_used": QUANTITY, "personnel_available": QUANTITY,
    "shortfall_index": "0.0000", "seconds": "0.00", "solve_seconds": "0.00",
    "variables": COUNT, "constraints": COUNT, "members_at_cap": COUNT,
}

#: The unit of `objective_value` follows the objective.
OBJECTIVE_FORMATS = {"min_cost": MONEY, "min_deviation": MONEY, "min_max_burden": PERCENT}

#: First characters that make Excel (or a CSV import) read text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(name="Calibri", size=11, bold=True)
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DCE6F1")
LEFT = Alignment(horizontal="left")
WIDEST_COLUMN = 60
NARROWEST_COLUMN = 8

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
    """A bold, filled header row."""
    for column, name in enumerate(names, start=1):
        cell = put(ws, row, column, name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def write_table(ws: Worksheet, frame: pd.DataFrame, columns: Sequence[str], top: int = 1,
                formats: dict[str, str] | None = None) -> int:
    """Header at row `top`, then one row per frame row; returns the last row written."""
    formats = NUMBER_FORMATS if formats is None else formats
    put_header(ws, top, columns)
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


def fit_columns(ws: Worksheet) -> None:
    """Column widths from the longest value, within [NARROWEST_COLUMN, WIDEST_COLUMN]."""
    widths: dict[str, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                length = shown_length(cell.value)
                widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), length)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = min(max(width + 2, NARROWEST_COLUMN), WIDEST_COLUMN)


def fit_for_print(ws: Worksheet) -> None:
    """Landscape, one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if ws.title != "charts":
        ws.print_title_rows = "1:1"


def new_table_sheet(wb: Workbook, title: str, frame: pd.DataFrame,
                    columns: Sequence[str]) -> Worksheet:
    """A sheet holding one table: frozen, filtered header."""
    ws = wb.create_sheet(title)
    last_row = write_table(ws, frame, columns)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=last_row, column=len(columns)).coordinate}"
    return ws


# --- sheets ------------------------------------------------------------------------------------

def summary_sheet(wb: Workbook, result: Result) -> None:
    """Key/value rows in `SUMMARY_KEYS` order, then the warnings and conflicts, if any."""
    ws = wb.create_sheet("summary")
    put_header(ws, 1, ["key", "value"])
    formats = dict(NUMBER_FORMATS)
    formats["objective_value"] = OBJECTIVE_FORMATS.get(result.summary.get("objective"))
    row = 1
    for row, key in enumerate(SUMMARY_KEYS, start=2):
        put(ws, row, 1, key)
        put(ws, row, 2, result.summary.get(key), formats.get(key)).alignment = LEFT
    for heading, lines in (("warnings", result.warnings), ("conflicts", result.conflicts)):
        if not lines:
            continue
        put(ws, row + 2, 1, heading).font = HEADER_FONT
        for offset, line in enumerate(lines):
            put(ws, row + 2 + offset, 2, line)
        row += 1 + len(lines)
    ws.freeze_panes = "A2"


def table_sheet(title: str, frame_of: Callable[[Result], pd.DataFrame],
                columns: Sequence[str]) -> SheetWriter:
    """A writer for a sheet that always holds one of the result's tables."""
    def write(wb: Workbook, result: Result) -> None:
        new_table_sheet(wb, title, frame_of(result), columns)
    write.__name__ = f"{title}_sheet"
    return write


def conflicts_sheet(wb: Workbook, result: Result) -> None:
    """One sentence a row, only when the plan is infeasible."""
    if not result.conflicts:
        return
    ws = new_table_sheet(wb, "conflicts", pd.DataFrame({"conflict": result.conflicts}),
                         ["conflict"])
    for (cell,) in ws.iter_rows(min_row=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def sources_sheet(wb: Workbook, result: Result) -> None:
    """The input's `sources` sheet, as given, when it has rows."""
    if len(result.sources):
        new_table_sheet(wb, "sources", result.sources, [str(c) for c in result.sources.columns])


BRIEF_WIDTH = 100  # the brief's one column, in characters (fit_columns leaves it alone)
#: Number formats of the fairness sheet's columns (its own names, then the usual ones).
FAIRNESS_FORMATS = {
    **NUMBER_FORMATS, **dict.fromkeys(["fair_gdp", "fair_population", "fair_equal",
                                        "fair_mixed", "rule_in_use", "gap", "weighted_met"],
                                       PERCENT),
    "members": COUNT, "targets": COUNT, "targets_met": COUNT, "spearman": "0.00",
}


def brief_sheet(wb: Workbook, result: Result) -> None:
    """A title, then the brief's sentences, one a row, wrapped in one wide column."""
    if not result.brief:
        return
    ws = wb.create_sheet("brief")
    name = pathlib.Path(str(result.summary.get("input_file") or "")).name
    title = put(ws, 1, 1, f"Brief: {name}" if name else "Brief")
    title.font = Font(name="Calibri", size=14, bold=True)
    for row, line in enumerate(result.brief, start=3):
        put(ws, row, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
        # not every reader fits wrapped rows itself: about 15 points a line of text
        ws.row_dimensions[row].height = 15 * math.ceil(shown_length(line) / BRIEF_WIDTH)
    ws.column_dimensions["A"].width = BRIEF_WIDTH


def fairness_sheet(wb: Workbook, result: Result) -> None:
    """The fairness table; below it the alliance by year (targets met, GDP, cost, the
    free-rider test) with an "all years" row; beside it a chart of the last year's gaps."""
    from .diagnostics import horizon_totals

    fairness, years = result.fairness, result.free_riders
    if fairness.empty:
        return
    ws = wb.create_sheet("fairness")
    columns = [str(c) for c in fairness.columns]
    bottom = write_table(ws, fairness, columns, formats=FAIRNESS_FORMATS)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=bottom, column=len(columns)).coordinate}"
    if len(years):
        top = bottom + 2
        names = [str(c) for c in years.columns]
        last = write_table(ws, years, names, top=top, formats=FAIRNESS_FORMATS)
        totals = horizon_totals(years)
        put(ws, last + 1, 1, "all years").font = HEADER_FONT
        for column, name in enumerate(names[1:], start=2):
            put(ws, last + 1, column, totals.get(name), FAIRNESS_FORMATS.get(name))
    year = fairness["year"].max()
    rows = [i + 2 for i in range(len(fairness)) if fairness["year"].iloc[i] == year]
    gap = columns.index("gap") + 1
    chart = bar_chart(f"Gap to fair share by member, {year_label(year)}",
                      "actual share - fair share", "0.0%")
    chart.add_data(Reference(ws, min_col=gap, min_row=rows[0], max_row=rows[-1]))
    chart.set_categories(Reference(ws, min_col=1, min_row=rows[0], max_row=rows[-1]))
    chart.legend = None
    chart.x_axis.tickLblPos = "low"  # member names below the bars, also under negative ones
    chart.width = min(max(chart.width, 1.2 * len(rows)), 48)
    ws.add_chart(chart, f"{get_column_letter(len(columns) + 2)}2")


def charts_sheet(wb: Workbook, result: Result) -> None:
    """Small helper tables and the charts drawn from them, for the last planning year.

    Nothing when the result has no allocation (an infeasible plan, a solver error).
    """
    members = result.members
    if not result.solved or members.empty:
        return
    year = members["year"].max()
    label = year_label(year)
    ws = wb.create_sheet("charts")
    charts = [burden_chart(ws, members[members["year"] == year], label)]
    in_year = result.allocation[result.allocation["year"] == year]
    if len(in_year):
        charts.append(regions_chart(ws, in_year, label, top=ws.max_row + 3))
    column = get_column_letter(ws.max_column + 2)
    for number, chart in enumerate(charts):
        ws.add_chart(chart, f"{column}{2 + 20 * number}")


def year_label(year) -> str:
    """2031, not 2031.0."""
    year = cell_value(year)
    return str(int(year)) if isinstance(year, float) and year.is_integer() else str(year)


def burden_chart(ws: Worksheet, members: pd.DataFrame, year: str) -> BarChart:
    """Clustered bars: each member's share of the alliance's cost against its fair share."""
    columns = ["member", "actual share", "fair share"]
    shares = members[["member", "actual_share", "fair_share"]].set_axis(columns, axis=1)
    bottom = write_table(ws, shares, columns, formats={"actual share": PERCENT,
                                                       "fair share": PERCENT})
    chart = bar_chart(f"Burden against fair share by member, {year}",
                      "share of the alliance's cost", "0%")
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=bottom),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=bottom))
    chart.width = min(max(chart.width, 1.2 * len(shares)), 48)  # room for every member's name
    return chart


def regions_chart(ws: Worksheet, allocation: pd.DataFrame, year: str, top: int) -> BarChart:
    """Stacked bars: deterrence delivered in each region that year, by capability."""
    by_region = (allocation.groupby(["region", "capability"])["deterrence"].sum()
                 .unstack("capability", fill_value=0.0))
    capabilities = [str(c) for c in by_region.columns]
    put_header(ws, top, ["region", *capabilities])
    rows = ((region, *values) for region, values in zip(by_region.index, by_region.to_numpy(),
                                                        strict=True))
    bottom = put_rows(ws, rows, [None, *[QUANTITY] * len(capabilities)], top + 1)
    chart = bar_chart(f"Contributions by region, {year}", "deterrence", "#,##0")
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.add_data(Reference(ws, min_col=2, max_col=1 + len(capabilities), min_row=top,
                             max_row=bottom), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=bottom))
    return chart


def bar_chart(title: str, y_title: str, y_format: str) -> BarChart:
    """A column chart with visible axes (Excel hides openpyxl's axes unless told)."""
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.number_format = y_format
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = 20, 9
    return chart


#: The report's sheets, in order.
SHEETS: list[SheetWriter] = [
    brief_sheet,
    summary_sheet,
    table_sheet("members", lambda r: r.members, MEMBER_COLUMNS),
    fairness_sheet,
    table_sheet("allocation", lambda r: r.allocation, ALLOCATION_COLUMNS),
    table_sheet("deterrence", lambda r: r.deterrence, DETERRENCE_COLUMNS),
    table_sheet("stages", lambda r: r.stages, STAGE_COLUMNS),
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
        if ws.title != "brief":
            fit_columns(ws)
        fit_for_print(ws)
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
