"""The answer of one solve, as plain data.

A `Result` holds only pandas DataFrames, dicts, lists and strings: it pickles, crosses a process
boundary, and no Pyomo or HiGHS object escapes into it. The report writer, the sweep store, the
CLI and notebooks all read the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Every status a result can carry (docs/report.md).
STATUSES = ("optimal", "optimal_with_shortfall", "infeasible", "time_limit", "error")

#: Statuses that carry an allocation a planner can use.
SOLVED = ("optimal", "optimal_with_shortfall", "time_limit")

#: Column order of each table; the report writes them in this order.
MEMBER_COLUMNS = [
    "member", "year", "gdp", "cost", "burden", "fair_share", "actual_share", "deviation",
    "floor", "cap", "at_floor", "at_cap", "personnel_used", "personnel_available",
]
ALLOCATION_COLUMNS = [
    "member", "year", "region", "capability", "resource", "item", "quantity", "cost", "deterrence",
]
DETERRENCE_COLUMNS = [
    "capability", "region", "year", "target", "priority", "achieved", "protected", "shortfall",
    "marginal_cost", "held_back_by",
]
#: What it would take to meet every target (optimizer/relaxation.py): per member and year
#: raised, the cap now and the cap that would do (share of GDP and money), the money above
#: it and that as a share of GDP; with personnel relaxed, the persons likewise (else NaN).
WHAT_IT_TAKES_COLUMNS = [
    "member", "year", "gdp", "cap_share", "cap", "needed_cap_share", "needed_cap", "extra",
    "extra_gdp_share", "personnel_available", "personnel_needed", "extra_personnel",
]
#: The alternative: the targets that would be cut within today's limits, by how much.
CUT_COLUMNS = ["capability", "region", "year", "target", "priority", "shortfall"]
#: Targets still short with the limits raised as far as needed, and what holds them back.
STILL_SHORT_COLUMNS = CUT_COLUMNS + ["held_back_by"]
#: A stage's certificate (optimizer/certificate.py): whether it holds, the route that gave
#: the answer ("first", or the route it was solved again by), the larger of its primal and
#: dual residuals, and its duality gap.
STAGE_COLUMNS = ["stage", "name", "value", "status", "certified", "route", "residual",
                 "duality_gap", "seconds"]
#: An analyst's own constraints (`solve(inputs, model=m)` on a model they changed): each
#: row's constraint (its name) and index, its body's value, bounds, slack (the distance to the
#: nearer bound; negative when violated) and dual at the cost stage (money per unit of the
#: body; NaN where the solver gives no LP dual).
CONSTRAINT_COLUMNS = ["constraint", "index", "body", "lower", "upper", "slack", "dual"]
#: The planners' levers (optimizer/levers.py): rules, the path, the previous plan.
RULE_COLUMNS = ["rule", "member", "capability", "region", "year", "measure", "sense", "value",
                "bound", "slack", "cost_per_unit"]
PATH_COLUMNS = ["member", "year", "gdp", "baseline_share", "path_share", "core_path_share",
                "floor_share", "core_floor_share", "cap_share", "related_cap_share", "burden",
                "core_share", "related_share", "core_cost", "related_cost", "on_path",
                "path_binds", "cap_below_path"]
PREVIOUS_COLUMNS = ["member", "year", "previous", "cost", "change", "change_share",
                    "within_max_change"]
#: A sweep's absence ranking and a Shapley table (optimizer/studies.py).
ABSENCE_COLUMNS = ["rank", "member", "scenario", "compared_with", "status",
                   "extra_shortfall_index", "extra_cost", "shortfall_index", "total_cost"]
SHAPLEY_COLUMNS = ["member", "shapley_value", "standard_error", "deterrence_share",
                   "fair_share", "cost_share"]
#: The fairness table's columns (`fair_population` and `fair_mixed` join them where they
#: apply) and the per-year diagnostics (optimizer/diagnostics.py).
FAIRNESS_COLUMNS = [
    "member", "year", "gdp", "cost", "burden", "fair_gdp", "fair_equal", "rule_in_use",
    "actual_share", "gap", "rank_gdp", "rank_burden", "rank_gap",
]
YEAR_COLUMNS = [
    "year", "members", "gdp", "cost", "burden", "targets", "targets_met", "priority_weight",
    "shortfall_index", "weighted_met", "spearman", "reading",
]

#: Keys of the summary, in the order the report lists them (docs/report.md, summary).
SUMMARY_KEYS = [
    "status", "objective", "shortfall_index", "objective_value", "total_cost", "max_burden",
    "min_burden", "members_at_cap", "solver", "certified", "max_residual", "max_gap",
    "second_routes", "solve_seconds", "variables", "constraints",
    "input_file", "input_sha256", "created_at", "version",
]


_TEXT = {"member", "region", "capability", "resource", "item", "name", "status", "sheet",
         "column", "source", "edition", "note", "route", "index",
         "constraint", "rule", "measure", "sense", "held_back_by"}
_WHOLE = {"year", "stage"}
_FLAGS = {"at_floor", "at_cap", "certified", "on_path", "path_binds", "cap_below_path"}


def empty_frame(columns: list[str]) -> pd.DataFrame:
    """A table with the given columns, their usual types, and no rows (for results without a
    solution), so `frame["cost"].sum()` and friends work on it."""
    def dtype(name):
        return object if name in _TEXT else "int64" if name in _WHOLE else \
            bool if name in _FLAGS else float
    return pd.DataFrame({name: np.empty(0, dtype=dtype(name)) for name in columns})


def stage_row(number: int, name: str, outcome, seconds: float) -> tuple:
    """One row of the stages table (`STAGE_COLUMNS`) for a stage's outcome."""
    value = outcome.value if outcome.has_solution else None
    certificate = outcome.certificate
    residual = gap = None
    if certificate is not None and np.isfinite(certificate.worst):
        residual = max(certificate.primal_residual, certificate.dual_residual)
        gap = certificate.gap
    return (number, name, value, outcome.status, outcome.certified, outcome.route,
            residual, gap, seconds)


def _plain(value) -> str:
    """A number in positional notation, to 10 significant digits (every digit before the
    point): 9774680.5, 0.045173, 0.00000012, never 9.77468e+06."""
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 1:
        digits = len(str(int(abs(value))))
        text = f"{value:.{max(0, 10 - digits)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return np.format_float_positional(value, precision=10, unique=True, fractional=False,
                                      trim="-")


@dataclass(frozen=True)
class Result:
    """What `solve` returns.

    - `status`: one of `STATUSES`.
    - `summary`: dict with the `SUMMARY_KEYS` (values are numbers, strings or None).
    - `stages`: one row per lexicographic stage solved (stage, name, value, status, seconds).
    - `members`: per member and year, `MEMBER_COLUMNS`; `floor` and `cap` are the money bounds
      on the member's cost that year (`max(floor share * gdp, pledge)` and `cap share * gdp`;
      NaN where there is no cap); `burden`, `fair_share`, `actual_share` are fractions.
    - `allocation`: nonzero allocations only, `ALLOCATION_COLUMNS`; `resource` is `funding`,
      `personnel` or `equipment`, `item` the equipment type (else empty).
    - `deterrence`: per target, `DETERRENCE_COLUMNS`; `protected` is NaN without robustness;
      `marginal_cost` is the money one more unit of that target costs (NaN where unknown);
      `held_back_by` (a short target only) the limits that hold it back
      (optimizer/held_back.py).
    - `settings`: the settings as used, defaults filled in (`key`, `value`).
    - `conflicts`: for an infeasible plan, sentences in the inputs' own words.
    - `warnings`: anything the planner should know that did not stop the solve.
    - `sources`: the input's `sources` sheet (may be empty).
    - `fairness`: per present member and year, the fair share under every rule beside the
      actual share, the gap and ranks (`FAIRNESS_COLUMNS`, optimizer/diagnostics.py).
    - `free_riders`: per year, the alliance's GDP, cost, targets met and the free-rider test
      (Spearman rank correlation of GDP against burden, with its reading), `YEAR_COLUMNS`.
    - `brief`: plain sentences built from the numbers above (optimizer/brief.py).
    - `constraints`: the analyst's own rows, `CONSTRAINT_COLUMNS` (empty unless the model
      solved had rows added to it).
    - `rules`: each rule row (rule and group) with its value, bound, slack and marginal cost
      (`levers.RULE_COLUMNS`; empty without rules).
    - `path`: per present member and year, the path, floors and caps as shares of GDP and
      the plan's core and related spending (`levers.PATH_COLUMNS`).
    - `previous`: the plan against the previous plan (`levers.PREVIOUS_COLUMNS`; empty
      without one).
    - `what_it_takes`: for a plan short or infeasible, the least raise of the caps that would
      meet every target, `WHAT_IT_TAKES_COLUMNS` (one row per member and year raised);
      `what_it_takes_cuts` the alternative, the targets cut within today's limits
      (`CUT_COLUMNS`); `what_it_takes_short`, when no raise of the caps meets every target,
      the targets still short with them raised and what holds those back
      (`STILL_SHORT_COLUMNS`); `what_it_takes_lines` all in plain words
      (optimizer/relaxation.py).
      Empty when not computed (a plan that meets every target, sweeps, `what_it_takes=False`).
    """

    status: str
    summary: dict
    stages: pd.DataFrame
    members: pd.DataFrame
    allocation: pd.DataFrame
    deterrence: pd.DataFrame
    settings: pd.DataFrame
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: pd.DataFrame = field(default_factory=lambda: empty_frame(
        ["sheet", "column", "source", "edition", "note"]))
    fairness: pd.DataFrame = field(default_factory=lambda: empty_frame(FAIRNESS_COLUMNS).astype(
        dict.fromkeys(["rank_gdp", "rank_burden", "rank_gap"], "int64")))
    free_riders: pd.DataFrame = field(default_factory=lambda: empty_frame(YEAR_COLUMNS).astype(
        {"members": "int64", "targets": "int64", "targets_met": "int64", "reading": object}))
    brief: list[str] = field(default_factory=list)
    constraints: pd.DataFrame = field(default_factory=lambda: empty_frame(CONSTRAINT_COLUMNS))
    rules: pd.DataFrame = field(default_factory=lambda: empty_frame(RULE_COLUMNS))
    path: pd.DataFrame = field(default_factory=lambda: empty_frame(PATH_COLUMNS))
    previous: pd.DataFrame = field(default_factory=lambda: empty_frame(PREVIOUS_COLUMNS))
    what_it_takes: pd.DataFrame = field(
        default_factory=lambda: empty_frame(WHAT_IT_TAKES_COLUMNS))
    what_it_takes_cuts: pd.DataFrame = field(default_factory=lambda: empty_frame(CUT_COLUMNS))
    what_it_takes_short: pd.DataFrame = field(
        default_factory=lambda: empty_frame(STILL_SHORT_COLUMNS))
    what_it_takes_lines: list[str] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        """True when the result carries an allocation (a time limit may stop before one)."""
        return self.status in SOLVED and (self.status != "time_limit" or len(self.members) > 0)

    def __repr__(self) -> str:
        s = self.summary
        parts = [f"status={self.status!r}", f"objective={s.get('objective')!r}"]
        for key in ("shortfall_index", "objective_value", "total_cost", "max_burden"):
            value = s.get(key)
            if value is not None:
                parts.append(f"{key}={_plain(value)}")
        return f"Result({', '.join(parts)})"

    def _repr_html_(self) -> str:
        """A compact summary table for notebooks: status, objective, stage values, total cost
        and burdens (the `members` table and friends hold the rest)."""
        from html import escape

        def number(value, percent=False):
            if value is None or (isinstance(value, float) and value != value):
                return ""
            if percent:
                return f"{value:.2%}"
            return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.6g}"

        s = self.summary
        rows = [("status", escape(str(self.status))),
                ("objective", escape(str(s.get("objective"))))]
        for stage, name, value in zip(self.stages["stage"], self.stages["name"],
                                      self.stages["value"]):
            rows.append((f"stage {int(stage)}: {escape(str(name))}", number(value)))
        rows += [("total cost", number(s.get("total_cost"))),
                 ("max burden", number(s.get("max_burden"), percent=True)),
                 ("min burden", number(s.get("min_burden"), percent=True)),
                 ("members at cap", escape(str(s.get("members_at_cap") if
                                               s.get("members_at_cap") is not None else "")))]
        if self.conflicts:
            rows.append(("conflicts", "<br>".join(escape(c) for c in self.conflicts[:5]) +
                         ("<br>..." if len(self.conflicts) > 5 else "")))
        if self.warnings:
            rows.append(("warnings", str(len(self.warnings))))
        body = "".join(f"<tr><th style='text-align:left'>{k}</th>"
                       f"<td style='text-align:left'>{v}</td></tr>" for k, v in rows)
        return f"<table><caption>Result</caption>{body}</table>"
