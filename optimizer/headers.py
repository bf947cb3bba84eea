"""The headers a planner reads in every workbook burden writes, and the way back.

`Result`'s tables keep their internal column names (the API); only the Excel headers are these.
`HEADERS` is the one mapping from an internal name to the header shown; `{currency}` in a header
is the case's `currency` setting ("USD million"), or "money" when it has none. Anything that
reads a workbook back by column names goes through `internal_names` or `read_sheet`.

    >>> shown("cost", "USD million")
    'Cost (USD million)'
    >>> internal_names(["Member", "Cost (EUR)", "scenario path"])
    ['member', 'cost', 'scenario path']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Internal name -> the header shown (with units).
HEADERS: dict[str, str] = {
    # members, allocation, deterrence
    "member": "Member",
    "year": "Year",
    "gdp": "GDP ({currency})",
    "cost": "Cost ({currency})",
    "burden": "Burden (% of GDP)",
    "fair_share": "Fair share (% of alliance cost)",
    "actual_share": "Cost share (% of alliance cost)",
    "deviation": "Deviation from fair share ({currency})",
    "floor": "Floor ({currency})",
    "cap": "Cap ({currency})",
    "at_floor": "At floor",
    "at_cap": "At cap",
    "personnel_used": "Personnel used (persons)",
    "personnel_available": "Personnel available (persons)",
    "region": "Region",
    "capability": "Capability",
    "resource": "Resource",
    "item": "Equipment",
    "quantity": "Quantity ({currency}, persons or units)",
    "deterrence": "Deterrence (points)",
    "target": "Target (points)",
    "priority": "Priority",
    "achieved": "Achieved (points)",
    "protected": "Protected (points)",
    "shortfall": "Shortfall (points)",
    "marginal_cost": "Marginal cost ({currency} per point)",
    "held_back_by": "Held back by",
    # what it would take
    "cap_share": "Cap, share of GDP (%)",
    "needed_cap_share": "Cap needed, share of GDP (%)",
    "needed_cap": "Cap needed ({currency})",
    "extra": "Above the cap ({currency})",
    "extra_gdp_share": "Above the cap, share of GDP (%)",
    "personnel_needed": "Personnel needed (persons)",
    "extra_personnel": "Personnel above the limit (persons)",
    # stages, inputs, conflicts
    "stage": "Stage",
    "name": "Minimised",
    "value": "Value",
    "status": "Status",
    "certified": "Certified optimum",
    "route": "Solver route",
    "residual": "Residual (scaled)",
    "duality_gap": "Duality gap (relative)",
    "seconds": "Time (s)",
    "key": "Setting",
    "conflict": "Conflict",
    # fairness and the alliance by year
    "fair_gdp": "Fair share by GDP (%)",
    "fair_population": "Fair share by population (%)",
    "fair_equal": "Fair share, equal (%)",
    "fair_mixed": "Fair share, mixed (%)",
    "rule_in_use": "Fair share, rule in use (%)",
    "gap": "Cost share - fair share (% points)",
    "rank_gdp": "Rank by GDP",
    "rank_burden": "Rank by burden",
    "rank_gap": "Rank by gap",
    "members": "Members",
    "targets": "Targets",
    "targets_met": "Targets met",
    "priority_weight": "Priority weight",
    "shortfall_index": "Shortfall index",
    "weighted_met": "Priority-weighted targets met (%)",
    "spearman": "GDP-burden rank correlation (Spearman)",
    "reading": "Reading",
    # sweeps and frontiers
    "scenario": "Scenario",
    "objective_value": "Objective's optimum",
    "total_cost": "Total cost ({currency})",
    "max_burden": "Highest burden (% of GDP)",
    "min_burden": "Lowest burden (% of GDP)",
    "solve_seconds": "Solve time (s)",
    "second_routes": "Stages solved by a second route",
    "max_residual": "Largest residual (scaled)",
    "max_gap": "Largest duality gap (relative)",
    "what_it_takes": "What it would take (status)",
    "cap_raise": "Cap raise needed ({currency})",
    "members_raised": "Members whose cap rises",
    "message": "Message",
    "rank": "Rank",
    "compared_with": "Compared with",
    "extra_shortfall_index": "Extra shortfall index",
    "extra_cost": "Extra cost ({currency})",
    "point": "Point",
    # Shapley values
    "shapley_value": "Shapley value",
    "standard_error": "Standard error",
    "deterrence_share": "Share of deterrence, Shapley (%)",
    "cost_share": "Share of the alliance's cost (%)",
    "share_standard_error": "Standard error of the share (%)",
    "coalition": "Coalition",
    "size": "Size",
    "eps": "Allowed deviation ({currency})",
    # constraints (an analyst's own rows)
    "constraint": "Your constraint",
    "index": "Index",
    "body": "Value of its body",
    "lower": "Lower bound",
    "upper": "Upper bound",
    "slack": "Slack (to the nearer bound)",
    "dual": "Dual at the cost stage ({currency} per unit)",
    # the planners' levers: rules, the path, the previous plan
    "rule": "Rule",
    "measure": "Measure",
    "sense": "Sense",
    "bound": "Bound (the rule's value, or its share of the whole)",
    "cost_per_unit": "Cost to the alliance ({currency} per unit of the bound)",
    "baseline_share": "Baseline (% of GDP)",
    "path_share": "Path, total (% of GDP)",
    "core_path_share": "Path, core (% of GDP)",
    "floor_share": "Floor, share of GDP (%)",
    "core_floor_share": "Core floor (% of GDP)",
    "related_cap_share": "Related cap (% of GDP)",
    "core_share": "Core (% of GDP)",
    "related_share": "Related (% of GDP)",
    "core_cost": "Core cost ({currency})",
    "related_cost": "Related cost ({currency})",
    "on_path": "On the path",
    "path_binds": "Held at the path",
    "cap_below_path": "Cap below the path",
    "previous": "Previous plan ({currency})",
    "change": "Change from the previous plan ({currency})",
    "change_share": "Change (% of the previous plan)",
    "within_max_change": "Within max_change",
}

MONEY_WORD = "money"


def shown(name: str, currency: str | None = "") -> str:
    """The header of column `name` (a name without one is shown as it is)."""
    template = HEADERS.get(name)
    if template is None:
        return name
    return template.format(currency=str(currency or "").strip() or MONEY_WORD)


def shown_all(names: Iterable[str], currency: str | None = "") -> list[str]:
    return [shown(name, currency) for name in names]


def _pattern(template: str) -> re.Pattern:
    head, _, tail = template.partition("{currency}")
    if not _:
        return re.compile(re.escape(template) + r"\Z")
    return re.compile(re.escape(head) + r".+?" + re.escape(tail) + r"\Z")


_PATTERNS = [(_pattern(template), name) for name, template in HEADERS.items()]


def internal_name(header) -> str:
    """The internal name of a shown header, whatever the currency; other text as it is."""
    text = str(header)
    for pattern, name in _PATTERNS:
        if pattern.match(text):
            return name
    return text


def internal_names(headers: Iterable) -> list[str]:
    return [internal_name(header) for header in headers]


def read_sheet(path, sheet: str, header_row: int = 0):
    """A table of a workbook burden wrote, with its internal column names (pandas).

    >>> members = read_sheet("alliance-report.xlsx", "members")    # doctest: +SKIP
    >>> members["cost"].sum()                                         # doctest: +SKIP
    """
    import pandas as pd

    frame = pd.read_excel(path, sheet_name=sheet, header=header_row)
    return frame.set_axis(internal_names(frame.columns), axis=1)
