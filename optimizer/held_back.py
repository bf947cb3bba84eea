"""Why a target is short: the limits that hold it back, read off the plan.

For a target `(c, g, t)` left short, the members that could reach it (allowed in `g`, with a
positive effect in `c`: funding, personnel where they have any, or equipment of `c` they hold)
and the limits each of them is at in year `t`:

- `at cap`: `cost[m,t]` at `cap[m,t] * gdp[m,t]` (money to fund, staff or equip is used up);
- `out of personnel`: `persons[m,t]` at `avail[m]` (where it reaches by personnel or crews);
- `out of equipment`: every unit of a type serving `c` in use somewhere that year;
- `at the fairness band`: `cost[m,t]` at `(1 + tau) * s[m,t] * total[t]`;
- `at the ramp`: `cost[m,t]` at `(1 + rho)^(t - t') * cost[m,t']` (or the baseline's);

and the members that would help but are denied the region (`no access`: present, with a
positive effect in `c`, `allowed[m,g] = FALSE`). At a plan whose shortfall is least (stage 1
kept), a member that reaches a short target and is at none of these limits is held by a row
not listed here (a rule, an analyst's own constraint): it is not named. The text is the
deterrence table's `held_back_by`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .extract import AT_LIMIT

ORDER = ("at cap", "out of personnel", "out of equipment", "at the fairness band",
         "at the ramp", "no access")


def at_limit(value, limit) -> bool:
    return bool(value >= limit - AT_LIMIT * max(abs(limit), 1.0))


def held_back(inputs, layout, members: pd.DataFrame, allocation: pd.DataFrame,
              deterrence: pd.DataFrame, caps: bool = True) -> pd.Series:
    """`held_back_by` of each row of `deterrence`: "" where the target is met. `caps=False`:
    a plan whose caps were raised as far as needed (no cap holds anything back)."""
    text = pd.Series("", index=deterrence.index, dtype=object)
    short = deterrence.index[deterrence["shortfall"] > 0]
    if not len(short):
        return text
    plan = members.set_index(["member", "year"])
    equipment = allocation[allocation["resource"] == "equipment"] \
        .groupby(["member", "item", "year"])["quantity"].sum() if len(allocation) else \
        pd.Series(dtype=float)
    potential = _potential(inputs)
    allowed = _allowed(layout)
    avail = layout.member_years.set_index(["member", "year"])["avail"]
    for i in short:
        c, g, t = deterrence.at[i, "capability"], deterrence.at[i, "region"], \
            int(deterrence.at[i, "year"])
        reasons = _reasons(inputs, layout, plan, equipment, potential, allowed, avail, c, g, t)
        if not caps:
            reasons.pop("at cap", None)
        text[i] = describe(reasons)
    return text


def describe(reasons: dict) -> str:
    """'at cap: A, B; out of personnel: C' in `ORDER`."""
    return "; ".join(f"{kind}: {', '.join(reasons[kind])}" for kind in ORDER
                     if reasons.get(kind))


def _reasons(inputs, layout, plan, equipment, potential, allowed, avail, c, g, t) -> dict:
    cells, units = layout.cells, layout.units
    settings = inputs.settings
    here = (cells["capability"] == c) & (cells["region"] == g) & (cells["year"] == t)
    funders = set(cells.loc[here & (cells["effect_f"] > 0), "member"])
    staffers = {m for m in cells.loc[here & (cells["effect_p"] > 0), "member"]
                if avail.get((m, t), 0.0) > 0}
    kit = units[(units["capability"] == c) & (units["region"] == g) & (units["year"] == t)
                & (units["effect"] > 0)]
    reasons: dict[str, list[str]] = {}

    def add(kind, name):
        reasons.setdefault(kind, [])
        if name not in reasons[kind]:
            reasons[kind].append(name)

    equipped = set(kit["member"])
    reachers = [m for m in layout.members if m in funders or m in staffers or m in equipped]
    for m in reachers:
        if (m, t) not in plan.index:
            continue
        row = plan.loc[(m, t)]
        if bool(row["at_cap"]):
            add("at cap", m)
        crewed = kit[(kit["member"] == m) & (kit["crew"] > 0)]
        if (m in staffers or len(crewed)) and row["personnel_available"] > 0 and \
                at_limit(row["personnel_used"], row["personnel_available"]):
            add("out of personnel", m)
        for _, unit in kit[kit["member"] == m].iterrows():
            used = float(equipment.get((m, unit["equipment"], t), 0.0))
            if at_limit(used, float(unit["inv"])):
                add("out of equipment", f"{m} ({unit['equipment']})")
        if settings.fairness_tolerance is not None and row["fair_share"] > 0 and at_limit(
                row["actual_share"], (1 + settings.fairness_tolerance) * row["fair_share"]):
            add("at the fairness band", m)
        if settings.max_growth is not None and _at_ramp(inputs, layout, plan, m, t):
            add("at the ramp", m)
    for m in layout.members:
        if not allowed.get((m, g), True) and potential.get((m, c), False):
            add("no access", m)
    return reasons


def _at_ramp(inputs, layout, plan, m, t) -> bool:
    rho = inputs.settings.max_growth
    years = list(layout.years)
    cost = float(plan.loc[(m, t), "cost"])
    at = years.index(t)
    if at > 0:
        before = years[at - 1]
        return at_limit(cost, (1 + rho) ** (t - before) * float(plan.loc[(m, before), "cost"]))
    baseline = inputs.members.at[m, "baseline"]
    return bool(pd.notna(baseline)) and at_limit(cost, (1 + rho) * float(baseline))


def _allowed(layout) -> dict:
    """(member, region) -> allowed, for the present members."""
    pairs = layout.sets.codes["pairs"]
    members, regions = layout.members, layout.regions
    allowed = {(m, g): False for m in members for g in regions}
    for a, b in zip(pairs["member"].tolist(), pairs["region"].tolist()):
        allowed[(members[a], regions[b])] = True
    return allowed


def _potential(inputs) -> dict:
    """(member, capability) -> could the member add deterrence there anywhere it is allowed:
    a positive funding effect, a personnel effect with personnel to deploy, or held equipment
    of the capability with a positive effect."""
    members = inputs.members
    caps = inputs.capabilities
    quality = {(r["member"], r["capability"]): float(r["multiplier"])
               for _, r in inputs.quality.iterrows()}
    held = {}
    equipment = inputs.equipment
    for _, r in inputs.inventory.iterrows():
        kind = r["equipment"]
        if r["units"] > 0 and kind in equipment.index and equipment.at[kind, "effect"] > 0:
            held[(r["member"], equipment.at[kind, "capability"])] = True
    found = {}
    for m in inputs.present_members:
        rel = float(members.at[m, "reliability"]) if pd.notna(members.at[m, "reliability"]) \
            else 1.0
        avail = members.at[m, "personnel_available"]
        avail = float(avail) if pd.notna(avail) else 0.0
        for c in caps.index:
            strength = rel * quality.get((m, c), 1.0)
            if strength <= 0:
                continue
            found[(m, c)] = bool(
                np.nan_to_num(caps.at[c, "funding_effect"]) > 0
                or (np.nan_to_num(caps.at[c, "personnel_effect"]) > 0 and avail > 0)
                or held.get((m, c), False))
    return found
