"""The studies' workbooks: sweep, frontier and Shapley (`Sweep.to_excel`, `Frontier.to_excel`,
`Shapley.to_excel`).

Written from the studies' tables (optimizer/studies.py), with the report's cell writer (text is
always inert text), its planner-readable headers (`headers.py`), its page setup and its atomic
save. A sweep workbook opens with a `brief` (what was swept, on which input, its SHA-256, the
outcome in plain sentences), then the `scenarios` (with a chart below), every target left
short in each scenario (`shortfalls`), the `member_costs`, the `absence` ranking when asked, and
the base case's `settings`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, Series
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.worksheet.pagebreak import Break

from .headers import shown
from .report import (
    HEADER_FONT,
    MONEY,
    PERCENT,
    QUANTITY,
    bar_chart,
    fit_columns,
    fit_for_print,
    markers_only,
    new_table_sheet,
    no_smoothing,
    put,
    right_axis_line,
    save_atomically,
    scatter_line_chart,
    write_lines,
)
from .result import ABSENCE_COLUMNS, SHAPLEY_COLUMNS

SHORTFALL_COLUMNS = ["scenario", "capability", "region", "year", "target", "priority",
                     "shortfall"]
MEMBER_COST_COLUMNS = ["scenario", "member", "year", "cost", "burden", "fair_share"]
#: Number formats of the sweep and frontier sheets' columns.
FORMATS = {"total_cost": MONEY, "objective_value": "#,##0.0###", "max_burden": PERCENT,
           "shortfall_index": "0.0000", "extra_shortfall_index": "0.0000",
           "extra_cost": MONEY, "solve_seconds": "0.00", "cost": MONEY, "burden": PERCENT,
           "fair_share": PERCENT, "target": QUANTITY, "shortfall": QUANTITY,
           "eps": MONEY, "deviation": MONEY, "cap_raise": MONEY, "members_raised": "0"}
def write_sweep_report(sweep, out: Path) -> Path:
    """The sweep workbook from a `Sweep`'s tables: sheets `brief`, `scenarios` (a chart
    below), `shortfalls`, `member_costs`, `absence` (when the sweep has one), `settings` (of
    the base case)."""
    table, targets, currency = sweep.table, sweep.shortfalls, sweep.currency
    wb = Workbook()
    wb.remove(wb.active)
    brief = wb.create_sheet("brief")
    ws = new_table_sheet(wb, "scenarios", table, list(table.columns), currency, FORMATS)
    short = targets[targets["shortfall"] > 0]
    new_table_sheet(wb, "shortfalls", short, SHORTFALL_COLUMNS, currency, FORMATS)
    new_table_sheet(wb, "member_costs", sweep.member_costs, MEMBER_COST_COLUMNS, currency,
                    FORMATS)
    if sweep.absence is not None:
        new_table_sheet(wb, "absence", sweep.absence, ABSENCE_COLUMNS, currency, FORMATS)
    if sweep.settings is not None:
        new_table_sheet(wb, "settings", sweep.settings, ["key", "value"])
    for sheet in wb.worksheets:
        fit_columns(sheet)
    _brief(brief, table, targets, sweep, currency)
    if len(table):
        _scenario_chart(ws, table, currency)
    for sheet in wb.worksheets:
        fit_for_print(sheet, None if sheet.title == "brief" else "1:1")
    save_atomically(wb, out)
    return out


def _what_it_takes_lines(table: pd.DataFrame, unit: str) -> list[str]:
    """How many scenarios a raise of the caps would bring to every target, the largest raise,
    and how many no raise of the caps can (the `what_it_takes`, `cap_raise` columns)."""
    raise_ = pd.to_numeric(table["cap_raise"], errors="coerce")
    needed = table[(table["what_it_takes"] == "optimal") & (raise_ > 0)]
    lines = []
    if len(needed):
        top = needed.loc[raise_[needed.index].idxmax()]
        lines.append(f"To meet every target, {len(needed):,d} scenario"
                     f"{'s' if len(needed) != 1 else ''} would need caps raised; the most: "
                     f"{top['scenario']}, {float(top['cap_raise']):,.1f}{unit} above today's "
                     f"caps ({int(top['members_raised']):,d} member"
                     f"{'s' if int(top['members_raised']) != 1 else ''}).")
    beyond = table[table["what_it_takes"] == "infeasible"]
    if len(beyond):
        lines.append(f"In {len(beyond):,d} scenario{'s' if len(beyond) != 1 else ''} no raise "
                     "of the caps meets every target (personnel, equipment, access or other "
                     "limits hold it: solve the scenario for why).")
    return lines


def _brief(ws, table: pd.DataFrame, targets: pd.DataFrame, sweep, currency: str) -> None:
    """What was swept and what came of it, in sentences, with the input's file and hash."""
    unit = f" {currency}" if currency else ""
    lines = []
    if sweep.source:
        lines.append(f"Input: {Path(sweep.source).name} (SHA-256 {sweep.sha256}).")
    counts = table["status"].value_counts()
    lines.append(f"{len(table):,d} scenario{'s' if len(table) != 1 else ''}: " + ", ".join(
        f"{n:,d} {status}" for status, n in sorted(counts.items())) + ".")
    cost = pd.to_numeric(table["total_cost"], errors="coerce")
    if cost.notna().any():
        low, high = table.loc[cost.idxmin()], table.loc[cost.idxmax()]
        lines.append(f"Least total cost: {low['scenario']}, {cost.min():,.1f}{unit}; "
                     f"most: {high['scenario']}, {cost.max():,.1f}{unit}.")
    burden = pd.to_numeric(table["max_burden"], errors="coerce")
    if burden.notna().any():
        at_top = table.loc[burden >= burden.max() * (1 - 1e-9), "scenario"].tolist()
        where = at_top[0] if len(at_top) == 1 else f"{len(at_top):,d} scenarios"
        lines.append(f"Highest burden of any member: {burden.max():.2%} of GDP ({where}).")
    short = targets[targets["shortfall"] > 0]
    if len(short):
        named = list(dict.fromkeys(short["scenario"]))
        shown_names = ", ".join(named[:5]) + (" and others" if len(named) > 5 else "")
        lines.append(f"{len(named):,d} scenario{'s leave' if len(named) != 1 else ' leaves'} "
                     f"targets short ({shown_names}): see the shortfalls sheet.")
    elif len(targets):
        lines.append("Every scenario meets every target in full.")
    if "cap_raise" in table.columns:
        lines.extend(_what_it_takes_lines(table, unit))
    recorded = set(targets["scenario"])
    solved = table[pd.to_numeric(table["total_cost"], errors="coerce").notna()]
    missing = [name for name in solved["scenario"] if name not in recorded]
    if missing:
        lines.append(f"{len(missing):,d} scenario{'s' if len(missing) != 1 else ''} came from "
                     "a store written before per-target shortfalls were kept: none are listed "
                     "for them.")
    if sweep.settings is not None:
        lines.append("The settings of the base case are on the settings sheet; each scenario's "
                     "overrides are columns of the scenarios sheet.")
    title = put(ws, 1, 1, "Sweep" + (f": {Path(sweep.source).name}" if sweep.source else ""))
    title.font = HEADER_FONT
    write_lines(ws, lines, 3)


def _scenario_chart(ws, table: pd.DataFrame, currency: str) -> None:
    """Total cost (bars) and max burden (markers, right axis) by scenario, below the table."""
    columns = list(table.columns)
    name_col = columns.index("scenario") + 1
    cost_col = columns.index("total_cost") + 1
    burden_col = columns.index("max_burden") + 1
    last = len(table) + 1
    bars = bar_chart("Total cost and highest burden by scenario",
                     shown("total_cost", currency), "#,##0")
    bars.x_axis.title = "scenario"
    bars.y_axis.scaling.min = 0
    bars.add_data(Reference(ws, min_col=cost_col, min_row=1, max_row=last),
                  titles_from_data=True)
    bars.set_categories(Reference(ws, min_col=name_col, min_row=2, max_row=last))
    line = right_axis_line("highest burden (% of GDP)", "0.0%")
    line.add_data(Reference(ws, min_col=burden_col, min_row=1, max_row=last),
                  titles_from_data=True)
    markers_only(line.series[0], "circle", 7, "C00000")  # scenarios are no sequence: no line
    no_smoothing(line)
    bars += line
    ws.add_chart(bars, f"A{last + 3}")
    ws.row_breaks.append(Break(id=last + 2))  # the chart starts a page of its own


def write_frontier_report(frame: pd.DataFrame, out: Path, currency: str = "") -> Path:
    """The frontier workbook: one row per point and, below, the curve of total cost against
    deviation (straight segments between the points solved, in order of deviation).
    `currency`: the unit of eps, deviation and total cost."""
    wb = Workbook()
    wb.remove(wb.active)
    columns = list(frame.columns)
    ws = new_table_sheet(wb, "frontier", frame, columns, currency, FORMATS)
    fit_columns(ws)
    solved = frame.assign(deviation=pd.to_numeric(frame["deviation"], errors="coerce"),
                          total_cost=pd.to_numeric(frame["total_cost"], errors="coerce"))
    solved = solved.dropna(subset=["deviation", "total_cost"]).sort_values(
        ["deviation", "total_cost"], kind="stable")
    if len(solved):
        top = len(frame) + 3
        put(ws, top, 1, "The curve, in order of deviation").font = HEADER_FONT
        x_name, y_name = shown("deviation", currency), shown("total_cost", currency)
        put(ws, top + 1, 1, x_name).font = HEADER_FONT
        put(ws, top + 1, 2, y_name).font = HEADER_FONT
        for row, (dev, cost) in enumerate(zip(solved["deviation"], solved["total_cost"],
                                              strict=True), start=top + 2):
            put(ws, row, 1, float(dev), MONEY)
            put(ws, row, 2, float(cost), MONEY)
        bottom = top + 1 + len(solved)
        chart = scatter_line_chart("Cost-fairness frontier: least total cost for each allowed "
                                   "deviation from fair shares", x_name, y_name)
        chart.x_axis.number_format = "#,##0"
        chart.y_axis.number_format = "#,##0"
        low, high = float(solved["total_cost"].min()), float(solved["total_cost"].max())
        pad = (high - low) * 0.1 or abs(high) * 0.01 or 1.0
        chart.y_axis.scaling.min = _round_down(low - pad)
        series = Series(Reference(ws, min_col=2, min_row=top + 2, max_row=bottom),
                        Reference(ws, min_col=1, min_row=top + 2, max_row=bottom),
                        title="least total cost")
        series.marker.symbol = "circle"
        series.marker.size = 6
        chart.series.append(series)
        no_smoothing(chart)
        chart.legend = None
        ws.add_chart(chart, f"A{bottom + 2}")
        ws.row_breaks.append(Break(id=bottom + 1))  # the chart starts a page of its own
    fit_for_print(ws)
    save_atomically(wb, out)
    return out


def _round_down(value: float) -> float:
    """A round axis start at or below `value` (two significant digits)."""
    if value <= 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(value)) - 1)
    return math.floor(value / step) * step


def write_shapley_report(study, out: Path) -> Path:
    """The Shapley workbook: a `shapley` sheet (the table, the share's standard error, the
    run's figures and notes) with a chart of each member's Shapley share (error bars: one
    standard error) beside its fair share and cost share; a `coalitions` sheet with v(A)."""
    grand = study.value
    frame = study.table.copy()
    frame["share_standard_error"] = frame["standard_error"] / grand if grand else np.nan
    if frame["deterrence_share"].isna().all():
        frame["share_standard_error"] = np.nan
    columns = [*SHAPLEY_COLUMNS, "share_standard_error"]
    value_format = "0.000000"
    formats = {"shapley_value": value_format, "standard_error": value_format,
               "deterrence_share": PERCENT, "fair_share": PERCENT, "cost_share": PERCENT,
               "share_standard_error": PERCENT}
    wb = Workbook()
    wb.remove(wb.active)
    ws = new_table_sheet(wb, "shapley", frame, columns)
    for col, name in enumerate(columns, start=1):
        for row in range(2, len(frame) + 2):
            if name in formats and ws.cell(row, col).value is not None:
                ws.cell(row, col).number_format = formats[name]
    row = len(frame) + 3
    figures = [("v(M)", grand, value_format), ("W", study.total_priority, value_format),
               ("samples", study.samples, None), ("seed", study.seed, None),
               ("coalitions", study.needed, None),
               ("solved in this run", study.solved, None),
               ("from the store", study.from_store, None)]
    for key, value, fmt in figures:
        put(ws, row, 1, key).font = HEADER_FONT
        put(ws, row, 2, value, fmt)
        row += 1
    for note in study.notes:
        put(ws, row, 1, "note").font = HEADER_FONT
        put(ws, row, 2, note)
        row += 1
    if len(frame):
        last = len(frame) + 1
        chart = bar_chart("Share of the alliance's deterrence (Shapley) beside fair share and "
                          "cost share", "share", "0%")
        for name in ("deterrence_share", "fair_share", "cost_share"):
            col = columns.index(name) + 1
            chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=last),
                           titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
        se_col = ws.cell(1, columns.index("share_standard_error") + 1).column_letter
        ref = f"'shapley'!${se_col}$2:${se_col}${last}"
        chart.series[0].errBars = ErrorBars(
            errDir="y", errBarType="both", errValType="cust", noEndCap=False,
            plus=NumDataSource(numRef=NumRef(f=ref)), minus=NumDataSource(numRef=NumRef(f=ref)))
        chart.x_axis.title = "member"
        ws.add_chart(chart, f"A{row + 2}")  # below the table and notes, on a page of its own
        ws.row_breaks.append(Break(id=row + 1))
    coalitions = study.coalitions
    sheet = new_table_sheet(wb, "coalitions", coalitions, ["coalition", "size", "value"])
    for r in range(2, len(coalitions) + 2):
        sheet.cell(r, 3).number_format = value_format
    for sheet in wb.worksheets:
        fit_columns(sheet)
        fit_for_print(sheet)
    save_atomically(wb, out)
    return out
