"""Explain an infeasible plan in the inputs' own words, from an irreducible infeasible subset
(IIS) of the LP: each row and bound in it is named by the target, member, year and limit it
came from."""

from __future__ import annotations

import numpy as np


def _money(value: float, currency: str) -> str:
    return f"{value:,.1f} {currency}"


def describe_rows(layout, compiled, rows, columns, currency: str) -> list[str]:
    """Sentences for the rows and column bounds of an IIS."""
    targets, limits = [], []
    my = layout.member_years
    for row in rows:
        if row >= compiled.matrix.shape[0]:
            continue  # a stage bound, not an input
        name, index = compiled.block_of(int(row))
        if name == "deterrence":
            t = layout.targets.iloc[layout.deterrence_rows[index]]
            targets.append(t)
        elif name == "robust_link":
            link = layout.robust_links.iloc[index]
            limits.append((f"robustness (gamma = {layout.gamma}): members that may deliver "
                           "nothing there:", str(link["member"])))
        elif name == "equipment_inventory":
            e = layout.equipment_rows.iloc[index]
            units = layout.units
            held = units.loc[(units["member"] == e["member"]) &
                             (units["equipment"] == e["equipment"]), "inv"].iloc[0]
            limits.append((f"the inventory of {e['equipment']} held by",
                           f"{e['member']} ({held:g} units)"))
        elif name in ("fairness_lower", "fairness_upper"):
            r = my.iloc[index]
            side = "at least" if name == "fairness_lower" else "at most"
            limits.append((f"the fairness band (each pays {side} (1 "
                           f"{'-' if side == 'at least' else '+'} tau) x its fair share of the "
                           "year's total) for", f"{r['member']} in {r['year']} "
                           f"(fair share {r['share']:.2%})"))
        elif name == "ramp":
            r = layout.ramp_rows.iloc[index]
            limits.append(("the ramp (spending grows by at most max_growth a year) for",
                           f"{r['member']} into {r['year']}"))
        elif name == "ramp_baseline":
            r = layout.baseline_rows.iloc[index]
            base = my.loc[(my["member"] == r["member"]) & my["first"], "baseline"].iloc[0]
            limits.append(("the ramp from the baseline for",
                           f"{r['member']} (baseline {_money(base, currency)}, into "
                           f"{r['year']})"))
    stranded = _stranded_members(layout)
    access = {}  # member -> the commitments access leaves nowhere to be spent
    for col in columns:
        for kind, item, member in _describe_bound(layout, int(col), currency):
            if kind == "the commitments of" and member in stranded:
                access.setdefault(member, []).append(item)
            else:
                limits.append((kind, item))
    sentences = [f"Access leaves {member} ({'; '.join(items)}) no region to spend in: the "
                 "access sheet denies it every region with a target "
                 f"({', '.join(map(str, layout.regions))})."
                 for member, items in access.items()]
    if access and not targets and not limits:
        return sentences
    limit_text = _grouped(limits) if limits else "the members' limits"
    for t in targets:
        sentences.append(
            f"Target {t['capability']} in {t['region']} in {t['year']} "
            f"({t['target']:,.1f}) cannot be met: it is held back by {limit_text}.")
    if not targets and (limits or not access):
        sentences.append(f"These limits cannot all hold: {limit_text}.")
    return sentences


def _stranded_members(layout) -> set:
    """Present members with no allowed region at all (no funding, personnel or equipment
    column to spend through)."""
    spending = set(layout.cells["member"].tolist()) | set(layout.units["member"].tolist())
    return {m for m in layout.members if m not in spending}


def _grouped(limits: list[tuple[str, str]]) -> str:
    """Join (kind, item) limits into one phrase per kind, in order of first appearance:
    "the commitments of A (..), B (..); the deployable personnel of C (..)"."""
    groups: dict[str, list[str]] = {}
    for kind, item in limits:
        items = groups.setdefault(kind, [])
        if item not in items:
            items.append(item)
    return "; ".join(f"{kind} {', '.join(items)}" for kind, items in groups.items())


def _describe_bound(layout, col: int, currency: str) -> list[str]:
    my = layout.member_years
    for name in ("cost", "persons", "E"):
        start = layout.offsets.get(name)
        size = len(layout.units) if name == "E" else len(my)
        if start is None or not start <= col < start + size:
            continue
        index = col - start
        if name == "cost":
            r = my.iloc[index]
            cap = "no cap" if not np.isfinite(r["upper"]) else \
                f"cap {r['cap_share']:.2%} of GDP = {_money(r['upper'], currency)}"
            floor = f"floor {r['floor_share']:.2%} of GDP"
            if r["pledge"] > 0:
                floor += f" or pledge {_money(r['pledge'], currency)}"
            if r["member"] in _stranded_members(layout):
                return [("the commitments of", f"{floor}, at least "
                         f"{_money(r['lower'], currency)} in {r['year']}", r["member"])]
            return [("the commitments of", f"{r['member']} in {r['year']} ({floor}, at least "
                     f"{_money(r['lower'], currency)}; {cap})", r["member"])]
        if name == "persons":
            r = my.iloc[index]
            return [("the deployable personnel of",
                     f"{r['member']} ({r['avail']:,.0f} persons in {r['year']})", r["member"])]
        u = layout.units.iloc[index]
        return [(f"the inventory of {u['equipment']} held by",
                 f"{u['member']} ({u['inv']:g} units)", u["member"])]
    return []


def unreachable_targets(layout) -> list[str]:
    """Targets no present member may contribute to (no access, no effect), with shortfall off."""
    return [f"Target {t['capability']} in {t['region']} in {t['year']} ({t['target']:,.1f}) "
            "cannot be met: no present member can contribute there (access, effects and "
            "inventory all rule it out) and shortfall is not allowed."
            for _, t in layout.unreachable.iterrows()]
