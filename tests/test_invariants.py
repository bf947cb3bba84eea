"""Invariants on random small cases (hypothesis): whatever the optimum, the reported plan
satisfies every constraint of docs/model.md.

A strategy draws a valid case (2-4 members, 1-2 capabilities, 1-2 regions, 1-3 years, floors
below caps, optional equipment with inventory, access denials, quality, an absent member,
fairness band, ramp, robustness 0/1, any objective and fair-share rule; and, in some cases,
the levers: a rule, a related capability with core floors and related caps, a path to a
target year, a previous plan with max_change or the previous_plan tie-break). Each check
recomputes from the case's own numbers (never from the model's layout) and from
`result.allocation`: member-year cost and persons, commitments, personnel, inventory, access,
fairness band, ramp, deterrence (nominal and, under robustness, protected), the shortfall
index, whole units, each rule's groups and sums, core floors, related caps, the path, the
previous plan's limits.
Tolerance: 1e-6 relative to the magnitude compared (absolute below 1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from optimizer import solve
from optimizer.inputs import inputs_from_frames

SOLVED = ("optimal", "optimal_with_shortfall")
# Cases are small by construction; shrinking a failure takes many solves, so the first
# failing example is reported as drawn.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
T0 = 2026


def tol(*magnitudes) -> float:
    return 1e-6 * max([1.0] + [abs(float(m)) for m in magnitudes])


# ----------------------------------------------------------------------------- strategy
@st.composite
def cases(draw, with_levers: bool = False):
    """(frames, spec): the sheets for `inputs_from_frames` and the same numbers as plain
    Python for the checks; `with_levers`: always some of the levers, a rule most often."""
    n_members = draw(st.integers(2, 4))
    members = [f"M{i}" for i in range(n_members)]
    capabilities = [f"c{i}" for i in range(draw(st.integers(1, 2)))]
    regions = [f"r{i}" for i in range(draw(st.integers(1, 2)))]
    years = [T0 + i for i in range(draw(st.integers(1, 3)))]
    tau = draw(st.sampled_from([None, None, 0.3, 0.6]))
    rho = draw(st.sampled_from([None, None, 0.2, 0.5]))
    gamma = draw(st.sampled_from([0, 0, 1]))
    objective = draw(st.sampled_from(["min_cost", "min_max_burden", "min_deviation"]))
    rule = draw(st.sampled_from(["gdp", "equal", "population"]))
    allow_shortfall = draw(st.sampled_from([True, True, True, True, False]))

    m_rows, spec_m = [], {}
    absent = draw(st.sampled_from([None] + members)) if n_members >= 3 else None
    for m in members:
        gdp = float(draw(st.integers(50, 500)))
        growth = draw(st.sampled_from([0.0, 0.03, -0.02]))
        floor = draw(st.integers(0, 2)) / 100
        cap = draw(st.sampled_from([None, floor + draw(st.integers(1, 8)) / 100]))
        avail = float(draw(st.sampled_from([0, 0, 20, 200])))
        pcost = draw(st.sampled_from([0.01, 0.05, 0.2])) if avail > 0 else None
        rel = draw(st.sampled_from([1.0, 1.0, 0.8, 0.5]))
        baseline = draw(st.sampled_from([None, 5.0, 30.0])) if rho is not None else None
        spec_m[m] = dict(gdp=gdp, growth=growth, floor=floor, cap=cap, avail=avail,
                         pcost=pcost or 0.0, rel=rel, baseline=baseline,
                         pop=float(draw(st.integers(1, 80))), absent=m == absent)
        m_rows.append({"member": m, "gdp": gdp, "gdp_growth": growth,
                       "population": spec_m[m]["pop"], "personnel_available": avail,
                       "personnel_cost": pcost, "floor_gdp_share": floor,
                       "cap_gdp_share": cap, "baseline": baseline, "reliability": rel,
                       "absent": m == absent})

    c_rows, spec_c = [], {}
    for c in capabilities:
        ef = draw(st.sampled_from([0.5, 1.0, 2.0]))
        ep = draw(st.sampled_from([0.0, 0.05, 0.5]))
        spec_c[c] = (ef, ep)
        c_rows.append({"capability": c, "funding_effect": ef, "personnel_effect": ep})

    t_rows = []
    for c in capabilities:
        for g in regions:
            for t in years:
                t_rows.append({"capability": c, "region": g, "year": t,
                               "target": float(draw(st.integers(0, 60))),
                               "priority": draw(st.sampled_from([1.0, 1.0, 2.0, 5.0]))})

    sheets = {}
    spec_k, inventory = {}, {}
    if draw(st.booleans()):
        e_rows, i_rows = [], []
        for i, c in enumerate(capabilities):
            k = f"k{i}"
            spec_k[k] = dict(capability=c, effect=float(draw(st.sampled_from([3, 7, 10]))),
                             ucost=float(draw(st.sampled_from([1, 4, 9]))),
                             crew=float(draw(st.sampled_from([0, 0, 2]))),
                             integer=draw(st.booleans()))
            e_rows.append({"equipment": k, "capability": c, "effect": spec_k[k]["effect"],
                           "unit_cost": spec_k[k]["ucost"], "crew": spec_k[k]["crew"],
                           "integer": spec_k[k]["integer"]})
            for m in members:
                units = float(draw(st.integers(0, 3)))
                if units:
                    inventory[(m, k)] = units
                    i_rows.append({"member": m, "equipment": k, "units": units})
        sheets["equipment"] = e_rows
        if i_rows:
            sheets["inventory"] = i_rows

    denied = set()
    if len(regions) > 1 and draw(st.booleans()):
        for m in members:  # each member keeps at least one region
            if draw(st.booleans()):
                denied.add((m, draw(st.sampled_from(regions))))
        if denied:
            sheets["access"] = [{"member": m, "region": g, "allowed": False}
                                for m, g in sorted(denied)]

    levers = with_levers or draw(st.booleans())
    related, core_floor, related_cap, path, previous, rule_spec = set(), {}, {}, None, {}, None
    max_change, previous_tie = None, False
    if levers:
        if len(capabilities) > 1 and draw(st.booleans()):
            related.add(capabilities[-1])
        for i, m in enumerate(members):
            core_floor[m] = draw(st.sampled_from([0.0, 0.0, 0.01]))
            related_cap[m] = draw(st.sampled_from([None, None, 0.02]))
            if spec_m[m]["cap"] is not None and core_floor[m] > spec_m[m]["cap"]:
                core_floor[m] = 0.0
            m_rows[i]["core_floor_gdp_share"] = core_floor[m]
            m_rows[i]["related_cap_gdp_share"] = related_cap[m]
        if draw(st.booleans()):
            path = dict(year=draw(st.sampled_from([years[0], years[-1], years[-1] + 2])),
                        total=draw(st.sampled_from([None, 0.02, 0.03])),
                        core=draw(st.sampled_from([None, 0.01])))
            if path["total"] is None and path["core"] is None:
                path["total"] = 0.03
            for i, m in enumerate(members):
                highest = max(path["total"] or 0.0, path["core"] or 0.0)
                if spec_m[m]["cap"] is not None and spec_m[m]["cap"] < highest:
                    spec_m[m]["cap"] = m_rows[i]["cap_gdp_share"] = highest + 0.02
                if spec_m[m]["baseline"] is None:
                    spec_m[m]["baseline"] = draw(st.sampled_from([None, 2.0, 10.0]))
                    m_rows[i]["baseline"] = spec_m[m]["baseline"]
        if draw(st.sampled_from([True, True, with_levers, False])):
            rule_spec = dict(
                measure=draw(st.sampled_from(["cost", "funding", "personnel", "units",
                                              "deterrence"])),
                member=draw(st.sampled_from([None, None] + members)),
                capability=draw(st.sampled_from([None, None] + capabilities)),
                region=draw(st.sampled_from([None, None] + regions)),
                year=draw(st.sampled_from([None, None] + years)),
                per=draw(st.sampled_from([(), (), ("year",), ("member",), ("member", "year"),
                                          ("region",)])),
                sense=draw(st.sampled_from([">=", "<=", "<=", "="])),
                share=draw(st.sampled_from([None, 0.2, 0.5])),
                value=draw(st.sampled_from([1.0, 5.0, 40.0])))
            if rule_spec["share"] is not None:
                rule_spec["value"] = None
            if rule_spec["member"] is not None and spec_m[rule_spec["member"]]["absent"]:
                rule_spec["member"] = None  # (a rule over members standing aside is dropped)
        if draw(st.booleans()):
            for m in members:
                for t in years:
                    previous[(m, t)] = float(draw(st.sampled_from([5, 20, 50])))
            max_change = draw(st.sampled_from([None, 1.0, 3.0]))
            previous_tie = max_change is None or draw(st.booleans())

    if rule_spec is not None and rule_spec["region"] is not None:
        covered = [rule_spec["member"]] if rule_spec["member"] is not None else \
            [m for m in members if m != absent]
        if all((m, rule_spec["region"]) in denied for m in covered):
            rule_spec["region"] = None  # a selection with no cell is an input error
    if rule_spec is not None:
        sheets["rules"] = [{"rule": "r", **{k: (",".join(v) if k == "per" else v)
                                            for k, v in rule_spec.items()}}]
    if previous:
        sheets["previous"] = [{"member": m, "year": t, "cost": c}
                              for (m, t), c in previous.items()]
    if related:
        for row in c_rows:
            row["category"] = "related" if row["capability"] in related else "core"
    quality = {}
    if draw(st.booleans()):
        for m in members:
            for c in capabilities:
                q = draw(st.sampled_from([None, 0.5, 1.5]))
                if q is not None:
                    quality[(m, c)] = q
        if quality:
            sheets["quality"] = [{"member": m, "capability": c, "multiplier": q}
                                 for (m, c), q in quality.items()]

    setting_rows = {"objective": objective, "fair_share": rule, "robustness": gamma,
                    "allow_shortfall": str(allow_shortfall).lower()}
    if tau is not None:
        setting_rows["fairness_tolerance"] = tau
    if rho is not None:
        setting_rows["max_growth"] = rho
    if path is not None:
        setting_rows["path_year"] = path["year"]
        for key, value in (("path_total_share", path["total"]),
                           ("path_core_share", path["core"])):
            if value is not None:
                setting_rows[key] = value
    if max_change is not None:
        setting_rows["max_change"] = max_change
    if previous_tie:
        setting_rows["tie_break"] = "previous_plan"
    frames = {
        "settings": pd.DataFrame({"key": list(setting_rows),
                                  "value": [str(v) for v in setting_rows.values()]}),
        "members": pd.DataFrame(m_rows),
        "capabilities": pd.DataFrame(c_rows),
        "targets": pd.DataFrame(t_rows),
        **{name: pd.DataFrame(rows) for name, rows in sheets.items()},
    }
    spec = dict(members=spec_m, capabilities=spec_c, equipment=spec_k, inventory=inventory,
                denied=denied, quality=quality, years=years, targets=t_rows, tau=tau,
                rho=rho, gamma=gamma, rule=rule, allow_shortfall=allow_shortfall,
                levers=levers, related=related, core_floor=core_floor,
                related_cap=related_cap, path=path, rule_spec=rule_spec, previous=previous,
                max_change=max_change, regions=regions, capability_names=capabilities)
    return frames, spec


# ------------------------------------------------------------------------------ checks
def gdp_of(spec, m, t):
    p = spec["members"][m]
    return p["gdp"] * (1 + p["growth"]) ** (t - T0)


def fair_share(spec, m, t):
    present = [j for j, p in spec["members"].items() if not p["absent"]]
    if spec["rule"] == "equal":
        return 1 / len(present)
    if spec["rule"] == "population":
        return spec["members"][m]["pop"] / sum(spec["members"][j]["pop"] for j in present)
    return gdp_of(spec, m, t) / sum(gdp_of(spec, j, t) for j in present)


def check_plan(result, spec):
    members, alloc, det = result.members, result.allocation, result.deterrence
    mp, cp, kp = spec["members"], spec["capabilities"], spec["equipment"]
    years = spec["years"]
    assert len(members) == len(mp) * len(years)
    costs = members.set_index(["member", "year"])

    # per allocation row: its cost, persons and deterrence from the case's own numbers
    money, persons, effect = [], [], []
    for r in alloc.itertuples(index=False):
        p = mp[r.member]
        strength = p["rel"] * spec["quality"].get((r.member, r.capability), 1.0)
        ef, ep = cp[r.capability]
        if r.resource == "funding":
            money.append(r.quantity)
            persons.append(0.0)
            effect.append(strength * ef * r.quantity)
        elif r.resource == "personnel":
            money.append(p["pcost"] * r.quantity)
            persons.append(r.quantity)
            effect.append(strength * ep * r.quantity)
        else:
            k = kp[r.item]
            assert k["capability"] == r.capability
            money.append((k["ucost"] + k["crew"] * p["pcost"]) * r.quantity)
            persons.append(k["crew"] * r.quantity)
            effect.append(strength * k["effect"] * r.quantity)
            if k["integer"]:  # whole units
                assert abs(r.quantity - round(r.quantity)) <= 1e-6, r
    alloc = alloc.assign(money=money, persons=persons, effect=effect)
    np.testing.assert_allclose(alloc["cost"].to_numpy(float), money, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(alloc["deterrence"].to_numpy(float), effect, rtol=1e-6,
                               atol=1e-6)

    # access: nothing in a denied region; absent members: nothing at all
    for m, g in spec["denied"]:
        assert alloc[(alloc["member"] == m) & (alloc["region"] == g)].empty, (m, g)
    for m, p in mp.items():
        if p["absent"]:
            assert alloc[alloc["member"] == m].empty
            assert (costs.loc[m, "cost"] == 0).all()

    spent = alloc.groupby(["member", "year"])[["money", "persons"]].sum()
    total = {t: 0.0 for t in years}
    for m, p in mp.items():
        for t in years:
            cost = costs.loc[(m, t), "cost"]
            total[t] += cost
            own = spent.loc[(m, t)] if (m, t) in spent.index else {"money": 0.0, "persons": 0.0}
            # cost and persons add up from the allocation
            assert cost == pytest.approx(own["money"], rel=1e-6, abs=1e-6), (m, t)
            assert costs.loc[(m, t), "personnel_used"] == pytest.approx(
                own["persons"], rel=1e-6, abs=1e-6), (m, t)
            assert costs.loc[(m, t), "gdp"] == pytest.approx(gdp_of(spec, m, t), rel=1e-12)
            if p["absent"]:
                continue
            # 2. commitments (from the case's own shares; no pledges drawn)
            floor = p["floor"] * gdp_of(spec, m, t)
            assert cost >= floor - tol(floor), (m, t, cost, floor)
            if p["cap"] is not None:
                cap = p["cap"] * gdp_of(spec, m, t)
                assert cost <= cap + tol(cap), (m, t, cost, cap)
            # 3. personnel
            assert own["persons"] <= p["avail"] + tol(p["avail"]), (m, t)
            # fair shares
            assert costs.loc[(m, t), "fair_share"] == pytest.approx(
                fair_share(spec, m, t), rel=1e-9)

    # 4. equipment: units summed over regions within the inventory, every year
    kit = alloc[alloc["resource"] == "equipment"]
    for (m, k, t), units in kit.groupby(["member", "item", "year"])["quantity"].sum().items():
        held = spec["inventory"].get((m, k), 0.0)
        assert units <= held + tol(held), (m, k, t, units, held)

    present = [m for m, p in mp.items() if not p["absent"]]
    # 5. fairness band
    if spec["tau"] is not None:
        tau = spec["tau"]
        for m in present:
            for t in years:
                cost, fair = costs.loc[(m, t), "cost"], fair_share(spec, m, t) * total[t]
                assert (1 - tau) * fair - tol(total[t]) <= cost <= (1 + tau) * fair + \
                    tol(total[t]), (m, t, cost, fair)
    # 6. ramp
    if spec["rho"] is not None:
        rho = spec["rho"]
        for m in present:
            base = mp[m]["baseline"]
            if base is not None:
                first = costs.loc[(m, years[0]), "cost"]
                assert first <= (1 + rho) * base + tol(base), (m, first, base)
            for before, after in zip(years, years[1:]):
                limit = (1 + rho) ** (after - before) * costs.loc[(m, before), "cost"]
                assert costs.loc[(m, after), "cost"] <= limit + tol(limit), (m, after)

    check_levers(result, spec, alloc, costs, present)

    # 1. deterrence: achieved from the allocation; protected without the gamma largest
    keys = ["capability", "region", "year"]
    by_member = alloc.groupby(keys + ["member"])["effect"].sum()
    parts_of = {key: np.sort(group.to_numpy(float))[::-1]
                for key, group in by_member.groupby(level=keys)} if len(alloc) else {}
    si = 0.0
    for r in det.itertuples(index=False):
        key = (r.capability, r.region, r.year)
        parts = parts_of.get(key, np.zeros(0))
        achieved = float(parts.sum())
        assert r.achieved == pytest.approx(achieved, rel=1e-6, abs=1e-6), key
        delivered = achieved
        if spec["gamma"] > 0:
            delivered = achieved - float(parts[:spec["gamma"]].sum())
            assert r.protected == pytest.approx(delivered, rel=1e-6, abs=1e-6), key
        assert delivered + r.shortfall >= r.target - tol(r.target), key
        assert r.shortfall >= 0
        if not spec["allow_shortfall"]:
            assert r.shortfall <= tol(r.target), key
        if r.target > 0:
            si += r.priority * r.shortfall / r.target
    # 1e-6 absolute + relative: the later stages keep SI within (1 + 1e-6) SI* + 1e-9
    reported = result.summary["shortfall_index"]
    assert abs(si - reported) <= 1e-6 * (1 + abs(reported)), (si, reported)
    assert len(det) == len(spec["targets"])


def path_share(spec, m, t, share):
    """pi[m,t] of docs/model.md section 8, from the case's own numbers."""
    p, path = spec["members"][m], spec["path"]
    before = T0 - 1
    start = 0.0 if p["baseline"] is None else \
        p["baseline"] / (p["gdp"] / (1 + p["growth"]))
    if start >= share:
        return share
    return start + (share - start) * min(1.0, (t - before) / (path["year"] - before))


def check_levers(result, spec, alloc, costs, present):
    """Rules, core floors, related caps, the path and the previous plan's limits, from the
    allocation and the case's own numbers."""
    years = spec["years"]
    related = alloc["capability"].isin(spec["related"])
    by = alloc.assign(related=related).groupby(["member", "year", "related"])["money"].sum()

    def spent(m, t, is_related):
        return float(by.get((m, t, is_related), 0.0))

    for m in present:
        for t in years:
            gdp = gdp_of(spec, m, t)
            cost, core = costs.loc[(m, t), "cost"], spent(m, t, False)
            floor = spec["core_floor"].get(m, 0.0) * gdp
            assert core >= floor - tol(floor), (m, t, core, floor)
            cap = spec["related_cap"].get(m)
            if cap is not None:
                assert spent(m, t, True) <= cap * gdp + tol(cap * gdp), (m, t)
            if spec["path"] is not None:
                for key, amount in (("total", cost), ("core", core)):
                    if spec["path"][key] is not None:
                        need = path_share(spec, m, t, spec["path"][key]) * gdp
                        assert amount >= need - tol(need), (m, t, key, amount, need)
            if spec["max_change"] is not None and (m, t) in spec["previous"]:
                prev, delta = spec["previous"][(m, t)], spec["max_change"]
                assert (1 - delta) * prev - tol(prev) <= cost <= (1 + delta) * prev + \
                    tol(prev), (m, t, cost, prev)
    rule = spec["rule_spec"]
    if rule is None:
        assert result.rules.empty
        return
    # the cells: present members x allowed regions x every capability and year
    cells = [(m, c, g, t) for m in present for g in spec["regions"]
             if (m, g) not in spec["denied"] for c in spec["capability_names"] for t in years]
    names = ("member", "capability", "region", "year")

    def passes(cell, only=names):
        return all(rule[d] is None or cell[i] == rule[d] for i, d in enumerate(names)
                   if d in only)

    per = [names.index(d) for d in rule["per"]]
    groups = list(dict.fromkeys(tuple(cell[i] for i in per) for cell in cells if passes(cell)))
    measure = {"cost": "money", "funding": None, "personnel": "persons", "units": None,
               "deterrence": "effect"}[rule["measure"]]
    values = alloc.assign(
        funding=np.where(alloc["resource"] == "funding", alloc["quantity"], 0.0),
        units=np.where(alloc["resource"] == "equipment", alloc["quantity"], 0.0))
    column = measure or rule["measure"]
    totals = values.groupby(["member", "capability", "region", "year"])[column].sum()

    def total(selected):
        return sum(float(totals.get(cell, 0.0)) for cell in selected)

    table = result.rules
    assert len(table) == len(groups), (table, groups)
    for group in groups:
        def in_group(cell, group=group):
            return tuple(cell[i] for i in per) == group
        a = total(c for c in cells if passes(c) and in_group(c))
        bound = rule["value"] if rule["share"] is None else rule["share"] * total(
            c for c in cells if passes(c, ("year",)) and in_group(c))
        size = tol(a, bound)
        if rule["sense"] in (">=", "="):
            assert a >= bound - size, (rule, group, a, bound)
        if rule["sense"] in ("<=", "="):
            assert a <= bound + size, (rule, group, a, bound)
        shown = table
        for d in rule["per"]:
            shown = shown[shown[d] == group[rule["per"].index(d)]]
        assert len(shown) == 1
        assert shown["value"].iloc[0] == pytest.approx(a, rel=1e-6, abs=1e-6)
        assert shown["bound"].iloc[0] == pytest.approx(bound, rel=1e-6, abs=1e-6)


@settings(max_examples=40, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_reported_plan_satisfies_every_constraint(case):
    frames, spec = case
    result = solve(inputs_from_frames(frames))
    event(f"status {result.status}")
    assert result.status in SOLVED + ("infeasible",), (result.status, result.conflicts)
    if spec["tau"] is None and spec["rho"] is None and spec["allow_shortfall"] and \
            not spec["levers"]:
        # floors below caps, every member may act somewhere: always feasible
        assert result.status in SOLVED, result.conflicts
    if result.status == "infeasible":
        assert result.conflicts and all(isinstance(c, str) and c for c in result.conflicts)
        return
    assert (result.status == "optimal_with_shortfall") == (
        result.summary["shortfall_index"] > 1e-7)
    assert not math.isnan(result.summary["total_cost"])
    assert result.summary["certified"], result.stages.to_string()
    check_plan(result, spec)


@settings(max_examples=30, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases(with_levers=True))
def test_reported_plan_satisfies_every_lever(case):
    frames, spec = case
    result = solve(inputs_from_frames(frames))
    event(f"status {result.status}")
    assert result.status in SOLVED + ("infeasible",), (result.status, result.conflicts)
    if result.status == "infeasible":
        assert result.conflicts and all(isinstance(c, str) and c for c in result.conflicts)
        return
    assert result.summary["certified"], result.stages.to_string()
    check_plan(result, spec)


@settings(max_examples=6, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_gamma_zero_equals_plain_and_solves_are_repeatable(case):
    frames, _ = case
    keys = frames["settings"]["key"].tolist()
    values = frames["settings"]["value"].tolist()
    plain = {k: v for k, v in zip(keys, values) if k != "robustness"}
    robust0 = {**plain, "robustness": "0"}

    def with_settings(rows):
        return {**frames, "settings": pd.DataFrame({"key": list(rows),
                                                    "value": list(rows.values())})}

    inputs = inputs_from_frames(with_settings(plain))
    first = solve(inputs)
    again = solve(inputs)
    zero = solve(inputs_from_frames(with_settings(robust0)))
    # solving the same inputs twice gives identical tables
    assert first.status == again.status
    pd.testing.assert_frame_equal(first.members, again.members)
    pd.testing.assert_frame_equal(first.allocation, again.allocation)
    # the robust model with gamma = 0 is the plain model: same stages, same values
    assert zero.status == first.status
    assert list(zero.stages["name"]) == list(first.stages["name"])
    np.testing.assert_allclose(zero.stages["value"].astype(float),
                               first.stages["value"].astype(float), rtol=1e-9, atol=1e-12)
    pd.testing.assert_frame_equal(zero.members, first.members, rtol=1e-9)
