"""The planner's brief: plain sentences built from a `Result`'s own numbers.

`brief_lines(result)` is what the report's first sheet and `burden solve` show. Every number in
a line is a cell of the report, written as the report shows it: money as `#,##0.0`, shares and
burdens as `0.00%`, deterrence and marginal costs as `#,##0.00`, counts as whole numbers, the
rank correlation as `0.00`, priorities and years as they are. The sources of each line:

- targets met, alliance GDP and cost share: the `fairness` sheet's year rows and their
  "all years" row (`Result.free_riders`, `diagnostics.horizon_totals`);
- total cost: the summary's `total_cost`;
- heaviest and lightest burdens, shares, caps, floors, personnel: the `members` sheet;
- targets left short, what holds them back (`held_back_by`) and the dearest targets: the
  `deterrence` sheet;
- what it would take to meet every target, and the targets cut instead: the `what it takes`
  sheet (`Result.what_it_takes_lines`, optimizer/relaxation.py);
- an infeasible plan: what it would take first, then the conflict in short (every sentence
  is on the `conflicts` sheet; without what it would take, all of them here).
"""

from __future__ import annotations

import math

import pandas as pd

from .diagnostics import horizon_totals, left_short
from .held_back import summarised

DEAREST = 3  # targets named as dearest at the margin
SHORT = 3  # targets named as left short
SHOWN_GAP = 5e-5  # a gap to fair share smaller than this shows as 0.00%


def money(value) -> str:
    return f"{value:,.1f}"


def percent(value) -> str:
    return f"{value:.2%}"


def quantity(value) -> str:
    return f"{value:,.2f}"


def general(value) -> str:
    """A number as Excel's General format shows a short one: 2026, 1.5."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def brief_lines(result) -> list[str]:
    """The brief of `result`, one sentence (or a short list) a line."""
    if not result.solved or result.members.empty:
        return _without_plan(result)
    currency = _currency(result)
    present = result.members
    if len(result.fairness):
        present = present[present["member"].isin(set(result.fairness["member"]))]
    years = sorted(int(y) for y in present["year"].unique())
    lines = []
    if result.status == "time_limit":
        lines.append("The solver stopped at its time limit: this is the best plan found, not a "
                     "proven optimum.")
    totals = horizon_totals(result.free_riders) if len(result.free_riders) else None
    if totals is not None:
        lines.append(_targets_line(totals))
    lines += _short_lines(result.deterrence)
    lines += _held_back_lines(result.deterrence)
    lines += list(result.what_it_takes_lines)
    lines.append(_cost_line(result.summary.get("total_cost"), totals, years, currency))
    lines += _burden_lines(present)
    if len(result.free_riders):
        lines.append(_free_rider_line(result.free_riders.iloc[-1]))
    lines += _limit_lines(present, years)
    lines += _dearest_lines(result.deterrence, currency)
    lines += _rule_lines(result.rules, currency)
    lines += _path_lines(result.path, result.settings, years)
    lines += _previous_lines(result.previous, currency)
    return lines + _ignored_lines(result.warnings)


def _ignored_lines(warnings) -> list[str]:
    """The input's columns and sheets that were read as no input at all (a planner should know
    a column they typed did nothing)."""
    ignored = [str(w).split(": ", 1)[-1] for w in warnings
               if "is not an input" in str(w) and str(w).endswith("ignored")]
    if not ignored:
        return []
    return ["Read as no input and ignored: " + "; ".join(
        text.split(" is not an input", 1)[0] for text in ignored) + "."]


def _without_plan(result) -> list[str]:
    if result.status == "infeasible" and result.what_it_takes_lines:
        return ["No plan meets every target and limit (status infeasible).",
                *result.what_it_takes_lines, *_conflict_in_short(result.conflicts)]
    if result.status == "infeasible":
        head = "No plan meets every target and limit (status infeasible)."
        if result.conflicts:
            head += " The conflict:"
    else:
        head = f"No plan was found (status {result.status})."
    return [head, *result.conflicts]


def _conflict_in_short(conflicts) -> list[str]:
    """The first conflict sentence, and how many the conflicts sheet holds."""
    if not conflicts:
        return []
    if len(conflicts) == 1:
        return [f"The conflict (also on the conflicts sheet): {conflicts[0]}"]
    return [f"The first of {len(conflicts)} conflicts (all on the conflicts sheet): "
            f"{conflicts[0]}"]


def _currency(result) -> str:
    settings = dict(zip(result.settings["key"], result.settings["value"], strict=False))
    return str(settings.get("currency") or "").strip()


def _unit(currency: str) -> str:
    return f" {currency}" if currency else ""


def _span(years: list[int]) -> str:
    if not years:
        return "the horizon"
    return str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _targets_line(totals: dict) -> str:
    n, met, share = totals["targets"], totals["targets_met"], totals["weighted_met"]
    weighted = "" if math.isnan(share) else f" ({percent(share)} of the priority-weighted " \
        "targets)"
    if met == n:
        every = "The target is" if n == 1 else f"All {n:,d} targets are"
        return f"{every} met in full{weighted}."
    if math.isnan(share):
        return f"{met:,d} of {n:,d} targets are met in full."
    return (f"{percent(share)} of the priority-weighted targets are met; {met:,d} of {n:,d} "
            "targets in full.")


def _target_name(row) -> str:
    return (f"{row['capability']} in {row['region']} in {int(row['year'])} "
            f"(priority {general(row['priority'])})")


def _short_lines(deterrence: pd.DataFrame) -> list[str]:
    short = deterrence[left_short(deterrence)]
    if short.empty:
        return []
    weight = short["priority"] * short["shortfall"] / short["target"].where(short["target"] > 0)
    short = short.assign(_weight=weight.fillna(0.0)).sort_values("_weight", ascending=False,
                                                                kind="stable")
    parts = [f"{_target_name(row)}: {quantity(row['shortfall'])} of {quantity(row['target'])} "
             "missing" for _, row in short.head(SHORT).iterrows()]
    return ["Left short, most urgent first: " + "; ".join(parts) + "."]


def _held_back_lines(deterrence: pd.DataFrame) -> list[str]:
    """What holds back the most urgent short targets (the deterrence sheet's `held_back_by`)."""
    if "held_back_by" not in deterrence:
        return []
    short = deterrence[left_short(deterrence) & (deterrence["held_back_by"].fillna("") != "")]
    if short.empty:
        return []
    weight = short["priority"] * short["shortfall"] / short["target"].where(short["target"] > 0)
    short = short.assign(_weight=weight.fillna(0.0)).sort_values("_weight", ascending=False,
                                                                kind="stable")

    parts = [f"{row['capability']} in {row['region']} in {int(row['year'])} "
             f"({summarised(row['held_back_by'])})" for _, row in short.head(SHORT).iterrows()]
    return ["Held back by: " + "; ".join(parts) + "."]


def _cost_line(total_cost, totals, years, currency) -> str:
    unit = _unit(currency)
    if total_cost is None or (isinstance(total_cost, float) and math.isnan(total_cost)):
        return f"No total cost was reported for {_span(years)}."
    line = f"The plan's total cost: {money(total_cost)}{unit} over {_span(years)}"
    if totals is not None and not math.isnan(totals["burden"]):
        line += (f", {percent(totals['burden'])} of the alliance's GDP "
                 f"({money(totals['gdp'])}{unit})")
    return line + "."


def _member_year(row) -> str:
    return f"{row['member']} in {int(row['year'])}"


def _against_fair(row) -> str:
    return (f"{percent(row['actual_share'])} of the alliance's cost against a fair share of "
            f"{percent(row['fair_share'])}")


def _burden_lines(members: pd.DataFrame) -> list[str]:
    if members.empty:
        return []
    heaviest = members.loc[members["burden"].idxmax()]
    lines = [f"Heaviest burden: {_member_year(heaviest)}, {percent(heaviest['burden'])} of GDP, "
             f"{_against_fair(heaviest)}."]
    if len(members) > 1:
        lightest = members.loc[members["burden"].idxmin()]
        lines.append(f"Lightest burden: {_member_year(lightest)}, "
                     f"{percent(lightest['burden'])} of GDP, {_against_fair(lightest)}.")
    gap = members["actual_share"] - members["fair_share"]
    if gap.max() >= SHOWN_GAP:
        above = members.loc[gap.idxmax()]
        lines.append(f"Furthest above its fair share: {_member_year(above)}, "
                     f"{_against_fair(above)}.")
    if gap.min() <= -SHOWN_GAP:
        below = members.loc[gap.idxmin()]
        lines.append(f"Furthest below its fair share: {_member_year(below)}, "
                     f"{_against_fair(below)}.")
    return lines


def _free_rider_line(row) -> str:
    year = int(row["year"])
    if pd.isna(row["spearman"]):
        return f"Free-rider test, {year}: {row['reading']}."
    return (f"Free-rider test, {year}: GDP and burden rank-correlate at "
            f"{row['spearman']:.2f} (Spearman), so {row['reading']}.")


def _who(members: pd.DataFrame, flags: pd.Series, years: list[int]) -> str:
    """'A, B (every year); C (2026, 2027)' for the member-years where `flags` hold."""
    groups: dict[str, list[str]] = {}
    for member, group in members[flags].groupby("member", sort=False):
        held = sorted(int(y) for y in group["year"])
        when = "every year" if len(years) > 1 and held == years else _years(held)
        groups.setdefault(when, []).append(str(member))
    everyone = [str(m) for m in members["member"].unique()]
    return "; ".join(f"{_names(names, everyone)} ({when})" for when, names in groups.items())


def _names(names: list[str], everyone: list[str]) -> str:
    """The names, or "every member but ..." when that is the shorter way to say it."""
    others = [m for m in everyone if m not in names]
    if not others:
        return "every member" if len(everyone) > 1 else names[0]
    if len(names) > 4 and len(others) < len(names) / 2:
        return f"every member but {', '.join(others)}"
    return ", ".join(names)


def _limit_lines(members: pd.DataFrame, years: list[int]) -> list[str]:
    lines = []
    for flag, name in (("at_cap", "cap"), ("at_floor", "floor")):
        flags = members[flag].astype(bool)
        lines.append(f"At their {name}: {_who(members, flags, years)}." if flags.any()
                     else f"No member is at its {name}.")
    available = members["personnel_available"]
    used = members["personnel_used"] >= available - 1e-6 * available.clip(lower=1.0)
    flags = used & (available > 0)
    if flags.any():
        lines.append("Using all their deployable personnel: "
                     f"{_who(members, flags, years)}.")
    return lines


RULES_SHOWN = 3  # binding rule rows named, dearest first
PATH_SHOWN = 6  # members the path holds, named in the brief


def _rule_group(row) -> str:
    parts = [f"{d} {general(row[d]) if d == 'year' else row[d]}"
             for d in ("member", "capability", "region", "year") if row[d] != "all"]
    return f" ({', '.join(parts)})" if parts else ""


def _rule_lines(rules: pd.DataFrame, currency: str) -> list[str]:
    """How many rule rows bind, and what the dearest cost per unit (the `rules` sheet)."""
    if rules is None or rules.empty:
        return []
    priced = rules["cost_per_unit"].fillna(0.0).abs()
    binding = rules[priced.round(9) > 0]
    names = rules["rule"].nunique()
    head = f"Rules: {names:,d} rule{'s' if names != 1 else ''} in {len(rules):,d} " \
        f"row{'s' if len(rules) != 1 else ''}; "
    if binding.empty:
        return [head + "none of them raises the cost."]
    dearest = binding.assign(_price=priced[binding.index].round(9)).sort_values(
        "_price", ascending=False, kind="stable").head(RULES_SHOWN)
    parts = [f"{row['rule']}{_rule_group(row)}: {quantity(row['cost_per_unit'])}"
             f"{_unit(currency)} per unit" for _, row in dearest.iterrows()]
    return [head + f"{len(binding):,d} bind, dearest " + "; ".join(parts) + "."]


def _path_lines(path: pd.DataFrame, settings: pd.DataFrame, years: list[int]) -> list[str]:
    """Who the path holds up, and whose cap lies under it (the `path` sheet)."""
    if path is None or path.empty or not (path["path_share"].notna().any()
                                          or path["core_path_share"].notna().any()):
        return []
    values = dict(zip(settings["key"], settings["value"], strict=False))
    goals = [f"{percent(float(values[k]))} of GDP{' in core' if 'core' in k else ''}"
             for k in ("path_total_share", "path_core_share") if values.get(k) is not None
             and not (isinstance(values[k], float) and math.isnan(values[k]))]
    head = f"On the path to {' and '.join(goals)} by {general(values['path_year'])}, "
    held = path["path_binds"].astype(bool)
    names = list(dict.fromkeys(path.loc[held, "member"].tolist()))
    shown = ", ".join(names[:PATH_SHOWN]) + (
        f" and {len(names) - PATH_SHOWN} more" if len(names) > PATH_SHOWN else "")
    lines = [head + (f"{len(names):,d} of {path['member'].nunique():,d} members spend what "
                     f"the path asks and no more in some year ({shown}; the years are on the "
                     "path sheet)." if held.any()
                     else "every member spends above what its path asks.")]
    below = path["cap_below_path"].astype(bool)
    if below.any():
        lines.append(f"Caps under the path: {_who(path, below, years)}.")
    return lines


def _previous_lines(previous: pd.DataFrame, currency: str) -> list[str]:
    """The largest change from the previous plan (the `previous plan` sheet)."""
    if previous is None or previous.empty:
        return []
    change = previous["change"].abs()
    if money(float(change.max())) == money(0.0):
        return [f"Against the previous plan: no member-year changes by as much as "
                f"{money(0.05)}{_unit(currency)} ({len(previous):,d} member-years compared)."]
    row = previous.loc[change.idxmax()]
    share = "" if math.isnan(row["change_share"]) else f", {row['change_share']:+.2%}"
    line = (f"Against the previous plan, the largest change: {row['member']} in "
            f"{int(row['year'])}, {float(row['change']):+,.1f}{_unit(currency)}{share}.")
    return [line]


def _dearest_lines(deterrence: pd.DataFrame, currency: str) -> list[str]:
    """The dearest targets at the margin; a target dear alike in several years is named once
    with its years ("maritime in north in 2026-2035 (priority 3): 1.43")."""
    priced = deterrence[deterrence["marginal_cost"].notna() & (deterrence["marginal_cost"] > 0)]
    if priced.empty:
        return []
    priced = priced.assign(_shown=priced["marginal_cost"].map(quantity),
                           _price=priced["marginal_cost"].round(9))
    groups = priced.groupby(["capability", "region", "priority", "_shown"], sort=False).agg(
        years=("year", lambda y: sorted(int(v) for v in y)), price=("_price", "max"),
        marginal_cost=("marginal_cost", "max")).reset_index()
    dearest = groups.sort_values(["price", "priority"], ascending=False,
                                 kind="stable").head(DEAREST)
    parts = [f"{row['capability']} in {row['region']} in {_years(row['years'])} (priority "
             f"{general(row['priority'])}): {row['_shown']}{_unit(currency)}"
             for _, row in dearest.iterrows()]
    return ["Deterrence is dearest at the margin (the cost of one more unit) for "
            + "; ".join(parts) + "."]


def _years(years: list[int]) -> str:
    """Years as runs: "2026-2028, 2031"."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
