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
    keys = ["capability", "region", "year"]
    cells, units = layout.cells, layout.units
    staffed = set(layout.member_years.loc[layout.member_years["avail"] > 0, "member"])
    funders = _members_by(cells[cells["effect_f"] > 0], keys)
    staffers = _members_by(cells[(cells["effect_p"] > 0) & cells["member"].isin(staffed)], keys)
    kit = {key: list(zip(group["member"], group["equipment"], group["crew"], group["inv"]))
           for key, group in units[units["effect"] > 0].groupby(keys, sort=False)}
    limits = _member_year_limits(inputs, layout, members, caps)
    used = allocation[allocation["resource"] == "equipment"] \
        .groupby(["member", "item", "year"])["quantity"].sum().to_dict() \
        if len(allocation) else {}
    potential, allowed = _potential(inputs), _allowed(layout)
    order = {m: i for i, m in enumerate(layout.members)}
    for i in short:
        c, g, t = deterrence.at[i, "capability"], deterrence.at[i, "region"], \
            int(deterrence.at[i, "year"])
        key = (c, g, t)
        reasons: dict[str, list[str]] = {}
        units_here = kit.get(key, [])
        crewed = {m for m, _, crew, _ in units_here if crew > 0}
        reach = funders.get(key, set()) | staffers.get(key, set()) | \
            {m for m, *_ in units_here}
        for m in sorted(reach, key=order.get):
            for kind in limits.get((m, t), ()):
                if kind == "out of personnel" and m not in staffers.get(key, set()) and \
                        m not in crewed:
                    continue  # its personnel is not how it reaches this target
                reasons.setdefault(kind, []).append(m)
        for m, kind_k, _, inv in units_here:
            if at_limit(float(used.get((m, kind_k, t), 0.0)), float(inv)):
                reasons.setdefault("out of equipment", []).append(f"{m} ({kind_k})")
        denied = [m for m in layout.members
                  if not allowed.get((m, g), True) and potential.get((m, c), False)]
        if denied:
            reasons["no access"] = denied
        text[i] = describe(reasons)
    return text


def describe(reasons: dict) -> str:
    """'at cap: A, B; out of personnel: C' in `ORDER`."""
    return "; ".join(f"{kind}: {', '.join(reasons[kind])}" for kind in ORDER
                     if reasons.get(kind))


def summarised(text: str, shown: int = 4) -> str:
    """A `held_back_by` text for a sentence: each limit's members beyond the first `shown`
    counted, not listed ('at cap: A, B, C, D and 27 more'); the deterrence sheet keeps the
    whole list."""
    parts = []
    for part in str(text).split("; "):
        kind, colon, names = part.partition(": ")
        items = names.split(", ") if colon else []
        if len(items) > shown + 1:
            names = ", ".join(items[:shown]) + f" and {len(items) - shown} more"
        parts.append(f"{kind}{colon}{names}")
    return "; ".join(parts)


def _members_by(frame: pd.DataFrame, keys: list[str]) -> dict:
    """(capability, region, year) -> the set of members in `frame` there."""
    if not len(frame):
        return {}
    return {key: set(group) for key, group in frame.groupby(keys, sort=False)["member"]}


def _member_year_limits(inputs, layout, members: pd.DataFrame, caps: bool) -> dict:
    """(member, year) -> the limits of the member-year the plan is at (but equipment)."""
    settings = inputs.settings
    plan = members.set_index(["member", "year"])
    present = set(layout.members)
    tau, rho = settings.fairness_tolerance, settings.max_growth
    years = list(layout.years)
    limits: dict = {}
    for (m, t), row in zip(plan.index, plan.to_dict("records")):
        if m not in present:
            continue
        kinds = []
        if caps and bool(row["at_cap"]):
            kinds.append("at cap")
        if row["personnel_available"] > 0 and at_limit(row["personnel_used"],
                                                       row["personnel_available"]):
            kinds.append("out of personnel")
        if tau is not None and row["fair_share"] > 0 and at_limit(
                row["actual_share"], (1 + tau) * row["fair_share"]):
            kinds.append("at the fairness band")
        if rho is not None and _at_ramp(inputs, plan, years, m, int(t), rho):
            kinds.append("at the ramp")
        limits[(m, int(t))] = kinds
    return limits


def _at_ramp(inputs, plan, years, m, t, rho) -> bool:
    cost = float(plan.at[(m, t), "cost"])
    at = years.index(t)
    if at > 0:
        before = years[at - 1]
        return at_limit(cost, (1 + rho) ** (t - before) * float(plan.at[(m, before), "cost"]))
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
