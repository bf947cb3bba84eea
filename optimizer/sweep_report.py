"""The sweep and frontier workbooks.

Written from the store (sweeps) or a frontier table, with the report's cell writer (text is
always inert text), its planner-readable headers (`headers.py`), its page setup and its atomic
save. A sweep workbook opens with a `brief` (what was swept, on which input, its SHA-256, the
outcome in plain sentences), then the `scenarios` (with a chart below), every target left
short in each scenario (`shortfalls`), the `member_costs`, the `absence` ranking when asked, and
the base case's `settings`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, Series
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

ABSENCE_COLUMNS = ["rank", "member", "scenario", "compared_with", "status",
                   "extra_shortfall_index", "extra_cost", "shortfall_index", "total_cost"]
SHORTFALL_COLUMNS = ["scenario", "capability", "region", "year", "target", "priority",
                     "shortfall"]
MEMBER_COST_COLUMNS = ["scenario", "member", "year", "cost", "burden", "fair_share"]
#: Number formats of the sweep and frontier sheets' columns.
FORMATS = {"total_cost": MONEY, "objective_value": "#,##0.0###", "max_burden": PERCENT,
           "shortfall_index": "0.0000", "extra_shortfall_index": "0.0000",
           "extra_cost": MONEY, "solve_seconds": "0.00", "cost": MONEY, "burden": PERCENT,
           "fair_share": PERCENT, "target": QUANTITY, "shortfall": QUANTITY,
           "eps": MONEY, "deviation": MONEY}
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


def write_sweep_report(table, members, targets, scenarios, keys, out: Path,
                       absence: bool = False, inputs=None) -> Path:
    """The sweep workbook from its tables: `table` (the scenarios sheet, `sweep.sweep_table`),
    `members` and `targets` (the store's member costs and targets of those scenarios):
    sheets `brief`, `scenarios` (a chart below), `shortfalls`, `member_costs`, `absence`
    (when asked, from `scenarios` and their `keys`), `settings` (of `inputs`, the base case,
    when given)."""
    currency = _currency(inputs)
    wb = Workbook()
    wb.remove(wb.active)
    brief = wb.create_sheet("brief")
    ws = new_table_sheet(wb, "scenarios", table, list(table.columns), currency, FORMATS)
    short = targets[targets["shortfall"] > 0]
    new_table_sheet(wb, "shortfalls", short, SHORTFALL_COLUMNS, currency, FORMATS)
    new_table_sheet(wb, "member_costs", members, MEMBER_COST_COLUMNS, currency, FORMATS)
    if absence:
        new_table_sheet(wb, "absence", absence_table(table, scenarios, keys), ABSENCE_COLUMNS,
                        currency, FORMATS)
    if inputs is not None:
        new_table_sheet(wb, "settings", inputs.settings.as_table(), ["key", "value"])
    for sheet in wb.worksheets:
        fit_columns(sheet)
    _brief(brief, table, targets, inputs, currency)
    if len(table):
        _scenario_chart(ws, table, currency)
    for sheet in wb.worksheets:
        fit_for_print(sheet, None if sheet.title == "brief" else "1:1")
    save_atomically(wb, out)
    return out


def _currency(inputs) -> str:
    return str(getattr(getattr(inputs, "settings", None), "currency", "") or "").strip()


def _brief(ws, table: pd.DataFrame, targets: pd.DataFrame, inputs, currency: str) -> None:
    """What was swept and what came of it, in sentences, with the input's file and hash."""
    unit = f" {currency}" if currency else ""
    lines = []
    if inputs is not None:
        lines.append(f"Input: {Path(str(inputs.source)).name} (SHA-256 {inputs.sha256}).")
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
    recorded = set(targets["scenario"])
    solved = table[pd.to_numeric(table["total_cost"], errors="coerce").notna()]
    missing = [name for name in solved["scenario"] if name not in recorded]
    if missing:
        lines.append(f"{len(missing):,d} scenario{'s' if len(missing) != 1 else ''} came from "
                     "a store written before per-target shortfalls were kept: none are listed "
                     "for them.")
    if inputs is not None:
        lines.append("The settings of the base case are on the settings sheet; each scenario's "
                     "overrides are columns of the scenarios sheet.")
    title = put(ws, 1, 1, "Sweep" + (f": {Path(str(inputs.source)).name}" if inputs is not None
                                     else ""))
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


def write_frontier_report(frame: pd.DataFrame, out: Path, currency: str | None = None) -> Path:
    """The frontier workbook: one row per point and, below, the curve of total cost against
    deviation (straight segments between the points solved, in order of deviation).
    `currency`: the case's, else `frame.attrs["currency"]` (set by `tradeoff.frontier`)."""
    currency = frame.attrs.get("currency", "") if currency is None else currency
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
