"""Room to negotiate (docs/model.md, "Room to negotiate (ranges)"): how far each member's cost
can move while the alliance stays near its least cost.

`C*` is the least total cost with stage 1 (the shortfall index, when shortfall is allowed)
kept. For a slack `eps` (setting `negotiation_slack`), keep stage 1 and

    sum_{m,t} cost[m,t] <= (1 + eps) * C*

and for each present member `m`

    lo[m] = min sum_t cost[m,t],    hi[m] = max sum_t cost[m,t]

(2|M| programs; `by_year=True`: the same for each `cost[m,t]`, 2|M||T|). Any plan whose total
is within `(1 + eps) C*` (the optimal plan of a `min_cost` case among them) has each member's
cost inside `[lo, hi]`. With integer equipment the programs are MIPs, solved to the case's
`mip_gap`: `lo` is then an incumbent at most that gap above the true minimum (`hi` below the
maximum).

The programs run on the sweep executors (a process pool, or Dask). Each worker holds one
HiGHS instance (`BoundSolver`) with stage 1 and the cost row loaded, and solves its programs
one after another changing only the objective, each starting from the last basis; every answer
is certified as a stage's is (`optimizer.certificate`). Each bound is committed at once to a
SQLite store keyed by the case's identity, the member, the sense, the year and the slack, so
an interrupted run resumes and a re-run solves nothing it has solved.
"""

from __future__ import annotations

import functools
import tempfile
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference
from openpyxl.chart.legend import LegendEntry
from openpyxl.worksheet.pagebreak import Break

from .certificate import FIRST_ROUTE
from .coalitions import _case_identity
from .errors import InputError, Problem
from .highs_adapter import HighsSession, assemble, keep_bound
from .report import (
    CHART_ROWS,
    HEADER_FONT,
    LINE_HEIGHT,
    MONEY,
    NOTE_FONT,
    PERCENT,
    ChartData,
    bar_chart,
    every_label,
    fit_columns,
    fit_for_print,
    line_chart,
    markers_only,
    put,
    put_header,
    put_rows,
    save_atomically,
)
from .stages import formulate, solve
from .store import Store, scenario_key
from .sweep import Scenario, run_tasks

RANGE_COLUMNS = ["member", "year", "optimal_cost", "low", "high", "optimal_gdp_share",
                 "low_gdp_share", "high_gdp_share", "certified", "status"]
NOTE_WIDTH = 110  # characters of a note's line on the ranges sheet
HORIZON = "all"  # the year of a bound over the whole horizon (the store's key)
SENSES = ("min", "max")
PRIMAL_SIMPLEX = 4  # HiGHS' simplex_strategy for primal simplex


@dataclass
class Ranges:
    """Each present member's room to negotiate: `table` (`RANGE_COLUMNS`; `year` only with
    `by_year`): the optimal plan's cost (`solve()`), the least and the most the member can
    pay with the alliance's total within `(1 + slack) C*`, the same as a share of GDP
    (`sum cost / sum gdp` over the horizon, or that year's), whether both bounds are
    certified optima, and each row's status. `least_cost` is `C*`, `cost_bound` the total
    allowed; `status` the plan's (`optimal`, `optimal_with_shortfall`), `incomplete` when a
    bound has no optimum, or the plan's when it has none (the table is then empty)."""

    table: pd.DataFrame
    least_cost: float | None
    slack: float
    status: str
    by_year: bool = False
    cost_bound: float | None = None
    plan_total: float | None = None
    shortfall_index: float | None = None
    mip: bool = False
    currency: str = ""
    notes: list[str] = field(default_factory=list)
    programs: int = 0  # LPs (or MIPs) the table needs
    solved: int = 0  # of them solved in this run
    from_store: int = 0  # of them read from the store

    @property
    def solved_ok(self) -> bool:
        return self.status in ("optimal", "optimal_with_shortfall")

    def to_excel(self, path) -> Path:
        """The workbook: a `ranges` sheet (the table, the run's figures and notes) and the
        range charts (`charts`, drawn from `chart data`)."""
        return write_ranges_report(self, Path(path))


# ---------------------------------------------------------------------------------------------
# One instance, many bounds


class BoundSolver:
    """One HiGHS instance holding `inputs`' model; `least_cost()` gives `SI*` and `C*`,
    `limit(SI*, C*, slack)` keeps stage 1 and bounds the total cost, and `bound(member,
    year, sense)` minimises or maximises a member's cost over what is kept, changing only the
    objective. `warm_start=False`: the solver's basis is cleared before each bound."""

    def __init__(self, inputs, warm_start: bool = True):
        self.inputs = inputs
        self.warm_start = warm_start
        self.layout = formulate(inputs)
        self.compiled = assemble(self.layout)
        self.session = HighsSession(self.compiled, mip_gap=inputs.settings.mip_gap)
        self.limited = None  # (SI*, C*, slack) in force
        self.cost_row = None
        my = self.layout.member_years
        self.cost_columns = {
            (member, int(year)): int(column) for member, year, column in zip(
                my["member"], my["year"], self.layout.column("cost", np.arange(len(my))))}

    @property
    def has_stage_one(self) -> bool:
        return "shortfall_index" in self.layout.stages

    def least_cost(self) -> tuple[str, float | None, float | None, str]:
        """(status, SI* or None, C*, message): stage 1, kept, then the least total cost."""
        objectives = self.compiled.objectives
        limit = self.inputs.settings.time_limit
        index = None
        if self.has_stage_one:
            first = self.session.minimise(objectives["shortfall_index"], limit)
            if first.status != "optimal" or not first.certified:
                return first.status, None, None, first.message or first.status
            index = max(float(first.value), 0.0)
            self.session.keep(objectives["shortfall_index"], index)
        cheapest = self.session.minimise(objectives["total_cost"], limit)
        if cheapest.status != "optimal" or not cheapest.certified:
            return cheapest.status, index, None, cheapest.message or cheapest.status
        self.limited = (index, float(cheapest.value), None)
        return "optimal", index, float(cheapest.value), ""

    def limit(self, shortfall_index: float | None, least_cost: float, slack: float) -> None:
        """Stage 1 kept at `shortfall_index` and total cost at most `cost_bound(C*, slack)`
        (the values found by `least_cost`, here or in another process). The bounds then run
        by primal simplex from the basis of the last optimum: only the objective changes, so
        that basis stays feasible (an LP's bound takes tens of iterations, not thousands)."""
        if self.limited is not None and self.limited[2] == slack and \
                self.limited[:2] == (shortfall_index, least_cost):
            return
        objectives = self.compiled.objectives
        session = self.session
        if self.has_stage_one:
            if not session.keep_rows:
                session.keep(objectives["shortfall_index"], shortfall_index)
            elif self.limited[0] != shortfall_index:
                session.set_row_upper(session.keep_rows[0].row, keep_bound(shortfall_index))
        bound = cost_bound(least_cost, slack)
        if self.cost_row is None:
            self.cost_row = session.add_bound_row(objectives["total_cost"], bound)
        else:
            session.set_row_upper(self.cost_row, bound)
        if self.warm_start and not self.compiled.is_mip:
            session.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        self.limited = (shortfall_index, least_cost, slack)

    def bound(self, member: str, year, sense: str):
        """The `StageOutcome` of minimising (`min`) or maximising (`max`) the member's cost
        over the horizon (`year` `HORIZON`) or in one year; its `value` is the cost itself."""
        costs = np.zeros(self.compiled.matrix.shape[1])
        years = self.layout.years if year == HORIZON else [int(year)]
        costs[[self.cost_columns[(member, int(t))] for t in years]] = \
            1.0 if sense == "min" else -1.0
        if not self.warm_start:
            self.session.highs.clearSolver()
        outcome = self.session.minimise(costs, self.inputs.settings.time_limit)
        if outcome.value is not None and sense == "max":
            outcome.value = -outcome.value
        return outcome


def cost_bound(least_cost: float, slack: float) -> float:
    """`(1 + slack) C*`, and never tighter than the stages' own keep row on `C*`
    (`C* (1 + 1e-6) + 1e-9`), so that slack 0 keeps exactly the least-cost plans."""
    return max((1.0 + slack) * least_cost, keep_bound(least_cost))


#: One `BoundSolver` per case in each worker process, so that a worker's bounds after its
#: first are solved on the instance already loaded (a cache: results do not depend on it).
_SOLVERS: dict = {}


def _solver(inputs, identity: str, warm_start: bool) -> BoundSolver:
    """This process's `BoundSolver` for the case, at the least-cost optimum when made (its
    basis is where every bound starts)."""
    key = (identity, warm_start)
    if key not in _SOLVERS:
        _SOLVERS.clear()
        solver = BoundSolver(inputs, warm_start)
        status, _, _, message = solver.least_cost()
        if status != "optimal":
            raise RuntimeError(f"the least total cost is {status} here: {message}")
        _SOLVERS[key] = solver
    return _SOLVERS[key]


def _task_fields(scenario: Scenario) -> tuple[str, str, str]:
    fields = dict(scenario.overrides)
    return fields["ranges.member"], fields["ranges.year"], fields["ranges.sense"]


def bound_row(solver: BoundSolver, scenario: Scenario, key: str, position: int) -> dict:
    """One bound as a store row (`objective_value` holds it, `total_cost` the total cost of
    the plan that attains it). Never raises: a failure is a row with its status."""
    started = time.perf_counter()
    row = {"key": key, "position": position, "scenario": scenario.name,
           "overrides": list(scenario.overrides), "members": []}
    try:
        member, year, sense = _task_fields(scenario)
        outcome = solver.bound(member, year, sense)
    except Exception as error:  # noqa: BLE001 - a failed bound is a row, never a crash
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        return row | {"status": "error", "solve_seconds": time.perf_counter() - started,
                      "message": f"{type(error).__name__}: {error}{where}"}
    certificate = outcome.certificate
    residual = gap = None
    if certificate is not None and np.isfinite(certificate.worst):
        residual = max(certificate.primal_residual, certificate.dual_residual)
        gap = certificate.gap
    total = None
    if outcome.x is not None:
        total = float(solver.compiled.objectives["total_cost"] @ outcome.x)

    return row | {"status": outcome.status if outcome.certified or outcome.status != "optimal"
                  else "not_certified",
                  "objective_value": outcome.value, "total_cost": total,
                  "certified": bool(outcome.certified),
                  "second_routes": int(outcome.route != FIRST_ROUTE),
                  "max_residual": residual, "max_gap": gap,
                  "solve_seconds": time.perf_counter() - started,
                  "message": outcome.message or None}


def solve_bound(inputs, scenario: Scenario, key: str, position: int, *, identity: str,
                shortfall_index: float | None, least_cost: float, slack: float,
                warm_start: bool = True) -> dict:
    """The executor task: one bound on this worker's `BoundSolver` for the case."""
    try:
        solver = _solver(inputs, identity, warm_start)
        solver.limit(shortfall_index, least_cost, slack)
    except Exception as error:  # noqa: BLE001 - reported as the bound's row
        return {"key": key, "position": position, "scenario": scenario.name,
                "overrides": list(scenario.overrides), "members": [], "status": "error",
                "message": f"{type(error).__name__}: {error}"}
    return bound_row(solver, scenario, key, position)


# ---------------------------------------------------------------------------------------------
# The ranges


def _tasks(inputs, identity: str, slack: float, by_year: bool) -> list[tuple]:
    """(Scenario, key, position) per bound: members in sheet order, then year, then sense."""
    years = [str(int(y)) for y in inputs.years] if by_year else [HORIZON]
    tasks = []
    for member in inputs.present_members:
        for year in years:
            for sense in SENSES:
                fields = (("ranges.member", member), ("ranges.year", year),
                          ("ranges.sense", sense), ("ranges.slack", repr(float(slack))))
                name = f"{member} {sense}" + ("" if year == HORIZON else f" {year}")
                tasks.append((Scenario(name, fields), scenario_key(identity, list(fields)),
                              len(tasks)))
    return tasks


def ranges(inputs, slack: float | None = None, by_year: bool = False,
           workers: int | None = None, scheduler: str | None = None, out=None,
           progress: Callable[[int, int, int], None] | None = None,
           warm_start: bool = True) -> Ranges:
    """Each present member's least and largest cost with the alliance's total cost within
    `(1 + slack)` of its least (stage 1 kept), beside the optimal plan's cost.

    `slack`: default the setting `negotiation_slack`. `by_year`: a range per member and year
    instead of over the horizon. `workers`: processes on the sweep executors (default 1: in
    this process, on the instance that found `C*`, which is fastest while a bound takes a
    fraction of a second); `scheduler`: Dask ("local" or an address) instead. `out`: the
    workbook to write; its store is `out` with the suffix `.sqlite` (a re-run solves nothing
    already there). None keeps the store in a temporary folder and writes no workbook.
    `warm_start=False` clears the solver's basis before each bound (benchmarks/).

    >>> room = ranges(read_inputs("inputs/alliance.xlsx"), slack=0.02)   # doctest: +SKIP
    >>> room.table[["member", "low", "high"]]                            # doctest: +SKIP
    """
    slack = inputs.settings.negotiation_slack if slack is None else slack
    try:
        slack = float(slack)
    except (TypeError, ValueError):
        slack = float("nan")
    if not np.isfinite(slack) or slack < 0:
        raise InputError([Problem("slack", None, None, None, slack, "a number >= 0")])
    settings = inputs.settings
    plan = solve(inputs)
    base = dict(slack=slack, by_year=by_year, currency=settings.currency)
    if not plan.solved:
        return _written(Ranges(_empty(by_year), None, status=plan.status,
                               notes=[f"the plan is {plan.status}: no ranges",
                                      *plan.conflicts], **base), out)
    solver = BoundSolver(inputs, warm_start)
    status, index, least, message = solver.least_cost()
    if status != "optimal" or least is None:
        return _written(Ranges(_empty(by_year), None, status=status,
                               notes=[f"the least total cost is {status}: {message}"], **base),
                        out)
    identity = _case_identity(inputs)
    tasks = _tasks(inputs, identity, slack, by_year)
    workers = workers or 1
    with tempfile.TemporaryDirectory() as scratch:
        store_path = Path(out).with_suffix(".sqlite") if out else Path(scratch) / "r.sqlite"
        stored, counts = _solve_bounds(inputs, solver, tasks, store_path, workers, scheduler,
                                       progress, identity=identity, shortfall_index=index,
                                       least_cost=least, slack=slack, warm_start=warm_start)
    room = _assemble(inputs, plan, tasks, stored, by_year)
    room.least_cost, room.cost_bound = least, cost_bound(least, slack)
    room.slack, room.shortfall_index, room.mip = slack, index, solver.compiled.is_mip
    room.programs, room.solved, room.from_store = counts
    room.notes = _notes(room, plan)
    return _written(room, out)


def _written(room: Ranges, out) -> Ranges:
    if out:
        room.to_excel(out)
    return room


def _solve_bounds(inputs, solver, tasks, store_path, workers, scheduler, progress,
                  **limits) -> tuple[pd.DataFrame, tuple[int, int, int]]:
    """Every bound of `tasks`, from the store or solved there: one worker solves in this
    process on `solver`, more on the executors. Returns the stored rows and the counts."""
    failed: dict = {}

    def run(todo, on_row):
        if workers == 1 and not scheduler:
            solver.limit(limits["shortfall_index"], limits["least_cost"], limits["slack"])
            for item in todo:
                on_row(bound_row(solver, *item))
        else:
            run_tasks(inputs, todo, workers, scheduler, on_row,
                      task=functools.partial(solve_bound, **limits))

    with Store(store_path) as store:
        solved = store.solve_missing(tasks, run, keep=lambda row: row["status"] == "optimal",
                                     rejected=lambda row: failed.update({row["key"]: row}),
                                     progress=progress)
        stored = store.scenarios([task[1] for task in tasks])
    if failed:
        stored = pd.concat([stored, pd.DataFrame(list(failed.values()))], ignore_index=True)
    return stored.set_index("key"), (len(tasks), solved, len(tasks) - solved)


def _empty(by_year: bool) -> pd.DataFrame:
    return pd.DataFrame(columns=_columns(by_year))


def _columns(by_year: bool) -> list[str]:
    return RANGE_COLUMNS if by_year else [c for c in RANGE_COLUMNS if c != "year"]


def _assemble(inputs, plan, tasks, stored, by_year) -> Ranges:
    """The table from the plan's members and the stored bounds."""
    members = plan.members[plan.members["member"].isin(inputs.present_members)]
    keys = ["member", "year"] if by_year else ["member"]
    plain = members.groupby(keys, sort=False)[["cost", "gdp"]].sum().reset_index()
    bounds: dict = {}
    for scenario, key, _ in tasks:
        member, year, sense = _task_fields(scenario)
        place = (member, int(year)) if by_year else (member,)
        bounds.setdefault(place, {})[sense] = stored.loc[key] if key in stored.index else None
    rows = []
    for record in plain.itertuples(index=False):
        place = (record.member, int(record.year)) if by_year else (record.member,)
        found = bounds.get(place, {})
        low, high = found.get("min"), found.get("max")
        statuses = [("missing" if r is None else str(r["status"])) for r in (low, high)]
        bad = [f"{sense}: {s}" + (f" ({r['message']})" if r is not None and
                                  isinstance(r.get("message"), str) else "")
               for sense, s, r in zip(("low", "high"), statuses, (low, high))
               if s != "optimal"]
        value = {sense: (float(r["objective_value"]) if r is not None and s == "optimal"
                         else np.nan) for sense, s, r in zip(SENSES, statuses, (low, high))}
        gdp = float(record.gdp)
        row = {"member": record.member, "optimal_cost": float(record.cost),
               "low": value["min"], "high": value["max"],
               "optimal_gdp_share": record.cost / gdp if gdp > 0 else np.nan,
               "low_gdp_share": value["min"] / gdp if gdp > 0 else np.nan,
               "high_gdp_share": value["max"] / gdp if gdp > 0 else np.nan,
               "certified": all(r is not None and r["certified"] == True  # noqa: E712 - None
                                 for r in (low, high)),
               "status": "; ".join(bad) if bad else "optimal"}
        if by_year:
            row["year"] = int(record.year)
        rows.append(row)
    table = pd.DataFrame(rows, columns=_columns(by_year))
    complete = bool(len(table)) and (table["status"] == "optimal").all()
    return Ranges(table, None, slack=float("nan"), by_year=by_year,
                  status=plan.status if complete else "incomplete",
                  plan_total=float(members["cost"].sum()), currency=inputs.settings.currency)


def _notes(room: Ranges, plan) -> list[str]:
    notes = []
    if room.mip:
        notes.append("integer equipment: every bound is a MIP, solved to the case's mip_gap "
                     f"({plan.settings.set_index('key').loc['mip_gap', 'value']:g}); a low is "
                     "at most that gap above the true least, a high below the true most")
    if room.plan_total is not None and room.cost_bound is not None and \
            room.plan_total > room.cost_bound:
        notes.append(f"the plan's total cost {room.plan_total:,.1f} is above (1 + slack) C* = "
                     f"{room.cost_bound:,.1f} (objective {plan.summary['objective']}): its "
                     "costs need not lie inside the ranges")
    if room.status == "incomplete":
        count = int((room.table["status"] != "optimal").sum())
        notes.append(f"{count} row{'s' if count != 1 else ''} without a certified optimum "
                     "(see status); run again to retry them")
    return notes


# ---------------------------------------------------------------------------------------------
# The workbook


RANGE_HEADERS = {"optimal_cost": "plan's cost", "low": "least", "high": "largest",
                 "optimal_gdp_share": "plan's (% of GDP)",
                 "low_gdp_share": "least (% of GDP)", "high_gdp_share": "largest (% of GDP)"}


def write_ranges_report(room: Ranges, out: Path) -> Path:
    """The ranges workbook: the `ranges` sheet (table, figures, notes), `charts` (each
    member's plan cost, a marker, on its least-to-largest bar; in money and in % of GDP; by
    year, one pair per year) and `chart data`."""
    currency = f" ({room.currency})" if room.currency else ""
    columns = _columns(room.by_year)
    wb = Workbook()
    ws = wb.active
    ws.title = "ranges"
    headers = [RANGE_HEADERS.get(c, c) + (currency if c in ("optimal_cost", "low", "high")
                                          else "") for c in columns]
    put_header(ws, 1, headers)
    formats = {"optimal_cost": MONEY, "low": MONEY, "high": MONEY,
               "optimal_gdp_share": PERCENT, "low_gdp_share": PERCENT,
               "high_gdp_share": PERCENT}
    last = put_rows(ws, room.table[columns].itertuples(index=False, name=None),
                    [formats.get(c) for c in columns], 2)
    last = max(last, 1)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=last, column=len(columns)).coordinate}"
    row = last + 2
    figures = [("status", room.status, None),
               ("least total cost C*", room.least_cost, MONEY),
               ("slack", room.slack, PERCENT),
               ("total allowed, (1 + slack) C*", room.cost_bound, MONEY),
               ("the plan's total cost", room.plan_total, MONEY),
               ("shortfall index kept", room.shortfall_index, "0.0000"),
               ("bounds (LPs)" if not room.mip else "bounds (MIPs)", room.programs, None),
               ("solved in this run", room.solved, None),
               ("from the store", room.from_store, None)]
    for key, value, fmt in figures:  # a label runs over the empty cell to its right
        put(ws, row, 1, key).font = HEADER_FONT
        put(ws, row, 3, value, fmt)
        row += 1
    for note in room.notes:
        for line in textwrap.wrap(f"note: {note}", NOTE_WIDTH):
            put(ws, row, 1, line).font = NOTE_FONT  # runs over the cells to its right
            row += 1
    _charts(wb, room)
    for sheet in wb.worksheets:
        fit_columns(sheet)
        fit_for_print(sheet)
    save_atomically(wb, out)
    return out


def _charts(wb, room: Ranges) -> None:
    table = room.table[room.table["status"] == "optimal"]
    if table.empty:
        return
    ws = wb.create_sheet("charts")
    data = ChartData(wb, room.currency)
    groups = [(None, table)] if not room.by_year else list(table.groupby("year", sort=True))
    charts = []
    for year, part in groups:
        when = "over the horizon" if year is None else f"in {int(year)}"
        charts.append(_range_chart(data, part, "money", when, room))
        charts.append(_range_chart(data, part, "share", when, room))
    for number, chart in enumerate(charts):
        ws.add_chart(chart, f"A{2 + CHART_ROWS * number}")
        if number:
            ws.row_breaks.append(Break(id=CHART_ROWS * number))
    for row in range(1, CHART_ROWS * len(charts) + 1):
        ws.row_dimensions[row].height = LINE_HEIGHT
    put(ws, CHART_ROWS * len(charts), 1, "")


def _range_chart(data, part: pd.DataFrame, unit: str, when: str, room: Ranges):
    """Stacked columns: an invisible one up to the least cost, a visible one from the least
    to the largest; the plan's cost a marker on it."""
    low, high, plan = ("low", "high", "optimal_cost") if unit == "money" else \
        ("low_gdp_share", "high_gdp_share", "optimal_gdp_share")
    currency = f" ({room.currency})" if room.currency and unit == "money" else ""
    what = "cost" + currency if unit == "money" else "cost (% of GDP)"
    header = ["member", f"least {what}", "room to negotiate",
              f"plan's {what}"]
    rows = [(m, lo, hi - lo, p) for m, lo, hi, p in
            zip(part["member"], part[low], part[high], part[plan])]
    fmt = MONEY if unit == "money" else PERCENT
    slack = f"{room.slack:.1%}".replace(".0%", "%")
    top, bottom = data.table(f"Room to negotiate {when}, {what}", header, rows,
                             [None, fmt, fmt, fmt])
    spread = [v for v in part[high] if v > 0]
    log = unit == "money" and len(spread) > 1 and max(spread) > 100 * min(spread)
    title = (f"Each member's {what} {when}, the alliance's total within {slack} of its "
             "least" + (" (log scale)" if log else ""))
    chart = bar_chart(title, what, "#,##0" if unit == "money" else "0.0%")
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.x_axis.title = "member"
    chart.add_data(Reference(data.ws, min_col=2, max_col=3, min_row=top, max_row=bottom),
                   titles_from_data=True)
    categories = Reference(data.ws, min_col=1, min_row=top + 1, max_row=bottom)
    chart.set_categories(categories)
    chart.series[0].graphicalProperties.noFill = True
    chart.series[0].graphicalProperties.line.noFill = True
    chart.series[1].graphicalProperties.solidFill = "9DC3E6"
    chart.series[1].graphicalProperties.line.solidFill = "2F5597"
    if log:  # a large member would flatten every other bar
        chart.y_axis.scaling.logBase = 10
    else:
        chart.y_axis.scaling.min = 0
    chart.legend.legendEntry = [LegendEntry(idx=0, delete=True)]  # the invisible columns
    marker = line_chart(overlay=True)
    marker.add_data(Reference(data.ws, min_col=4, min_row=top, max_row=bottom),
                    titles_from_data=True)
    marker.set_categories(categories)
    markers_only(marker.series[0], "diamond", 8, "C00000")
    chart += marker
    every_label(chart.x_axis, len(rows))
    return chart
