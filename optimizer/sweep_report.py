"""The sweep and frontier workbooks.

Written from the store (sweeps) or a frontier table, with the report's cell writer (text is
always inert text) and its atomic save.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference

from .report import (
    MONEY,
    PERCENT,
    bar_chart,
    fit_columns,
    new_table_sheet,
    save_atomically,
)

ABSENCE_COLUMNS = ["rank", "member", "scenario", "compared_with", "status",
                   "extra_shortfall_index", "extra_cost", "shortfall_index", "total_cost"]


def absence_table(table: pd.DataFrame, scenarios, keys) -> pd.DataFrame:
    """Each absent-member scenario against the same scenario with everyone present, ranked by
    the extra shortfall index, then the extra cost (within each group of other overrides)."""
    by_overrides = {frozenset((p, str(v)) for p, v in s.overrides): s.name for s in scenarios}
    figures = table.set_index("scenario")
    for column in ("shortfall_index", "total_cost"):  # failed scenarios: NaN, not None
        figures[column] = pd.to_numeric(figures[column], errors="coerce")
    rows = []
    for scenario in scenarios:
        member = scenario.absent_member
        if member is None or scenario.name not in figures.index:
            continue
        rest = frozenset((p, str(v)) for p, v in scenario.overrides
                         if not p.lower().endswith("].absent"))
        base = by_overrides.get(rest)
        if base is None or base not in figures.index:
            continue
        mine, theirs = figures.loc[scenario.name], figures.loc[base]
        rows.append({"member": member, "scenario": scenario.name, "compared_with": base,
                     "status": mine["status"],
                     "extra_shortfall_index": mine["shortfall_index"] - theirs["shortfall_index"],
                     "extra_cost": mine["total_cost"] - theirs["total_cost"],
                     "shortfall_index": mine["shortfall_index"],
                     "total_cost": mine["total_cost"]})
    frame = pd.DataFrame(rows, columns=[c for c in ABSENCE_COLUMNS if c != "rank"])
    if frame.empty:
        return frame.assign(rank=pd.Series(dtype="int64"))[ABSENCE_COLUMNS]
    frame = frame.sort_values(["compared_with", "extra_shortfall_index", "extra_cost"],
                              ascending=[True, False, False], kind="stable")
    frame["rank"] = frame.groupby("compared_with").cumcount() + 1
    return frame[ABSENCE_COLUMNS].reset_index(drop=True)


def write_sweep_report(store, scenarios, keys, out: Path, absence: bool = False) -> Path:
    """The sweep workbook: `scenarios`, `member_costs`, `absence` (when asked), a chart."""
    from .sweep import sweep_table

    table = sweep_table(store, scenarios, keys)
    members = store.member_costs(keys)
    wb = Workbook()
    wb.remove(wb.active)
    ws = new_table_sheet(wb, "scenarios", table, list(table.columns))
    new_table_sheet(wb, "member_costs", members,
                    ["scenario", "member", "year", "cost", "burden", "fair_share"])
    if absence:
        new_table_sheet(wb, "absence", absence_table(table, scenarios, keys), ABSENCE_COLUMNS)
    if len(table):
        _scenario_chart(ws, table)
    for sheet in wb.worksheets:
        fit_columns(sheet)
    save_atomically(wb, out)
    return out


def _scenario_chart(ws, table: pd.DataFrame) -> None:
    """Total cost (bars) and max burden (line, right axis) by scenario."""
    columns = list(table.columns)
    name_col = columns.index("scenario") + 1
    cost_col = columns.index("total_cost") + 1
    burden_col = columns.index("max_burden") + 1
    last = len(table) + 1
    bars = bar_chart("Total cost and max burden by scenario", "total cost", "#,##0")
    bars.add_data(Reference(ws, min_col=cost_col, min_row=1, max_row=last),
                  titles_from_data=True)
    bars.set_categories(Reference(ws, min_col=name_col, min_row=2, max_row=last))
    line = LineChart()
    line.add_data(Reference(ws, min_col=burden_col, min_row=1, max_row=last),
                  titles_from_data=True)
    line.y_axis.axId = 200
    line.y_axis.title = "max burden (share of GDP)"
    line.y_axis.number_format = "0.0%"
    line.y_axis.crosses = "max"
    line.y_axis.delete = False
    bars += line
    bars.width = min(max(20, 1.2 * len(table)), 48)
    ws.add_chart(bars, f"{ws.cell(1, len(columns) + 2).column_letter}2")


def write_frontier_report(frame: pd.DataFrame, out: Path) -> Path:
    """The frontier workbook: one row per point and a line chart of cost against deviation."""
    wb = Workbook()
    wb.remove(wb.active)
    columns = list(frame.columns)
    ws = new_table_sheet(wb, "frontier", frame, columns)
    for name, fmt in (("eps", MONEY), ("deviation", MONEY), ("total_cost", MONEY),
                      ("max_burden", PERCENT)):
        if name in columns:
            col = columns.index(name) + 1
            for row in range(2, len(frame) + 2):
                ws.cell(row, col).number_format = fmt
    if len(frame):
        chart = LineChart()
        chart.title = "Cost-fairness frontier"
        chart.x_axis.title = "deviation from fair shares"
        chart.y_axis.title = "total cost"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        last = len(frame) + 1
        chart.add_data(Reference(ws, min_col=columns.index("total_cost") + 1, min_row=1,
                                 max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=columns.index("deviation") + 1, min_row=2,
                                       max_row=last))
        chart.width, chart.height = 20, 10
        ws.add_chart(chart, f"{ws.cell(1, len(columns) + 2).column_letter}2")
    fit_columns(ws)
    save_atomically(wb, out)
    return out
