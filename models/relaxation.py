"""What it would take: the least relaxation of the caps (and, if asked, of the deployable
personnel) under which every target is met in full (docs/model.md, "What it would take").

Active only when the formulation is asked for it (`models.formulate(inputs, relax=("caps",))`,
or `("caps", "personnel")`); the default formulation has none of it. Asked for, every target is
required (`S = 0`: shortfall off whatever the settings say) and

    cost[m,t] <= cap[m,t] * gdp[m,t] + u[m,t]           for every (m, t) with a cap
    persons[m,t] <= avail[m] + v[m,t]                    for every (m, t) with avail[m] > 0
                                                         (only with "personnel")

with `u[m,t] >= 0` money above the cap and `v[m,t] >= 0` persons above the limit; the bounds
`cost[m,t] <= cap[m,t] * gdp[m,t]` and `persons[m,t] <= avail[m]` become these rows (the
floors and pledges stay bounds). A member without deployable personnel is given none.

The columns are held as shares: `w[m,t] = u[m,t] / gdp[m,t]` (share of GDP above the cap,
column `cap_raise`) and `y[m,t] = v[m,t] / avail[m]` (fraction of the personnel limit,
column `personnel_raise`), so the rows read

    cost[m,t] - gdp[m,t] * w[m,t] <= cap[m,t] * gdp[m,t]        (rows cap_relaxation)
    persons[m,t] - avail[m] * y[m,t] <= avail[m]                 (rows personnel_relaxation)

Stages, before the stated objective's own (`stage_plan` without the shortfall stage):

    A  relaxation          sum_{m,t} w[m,t] (+ sum_{m,t} y[m,t])
                           = sum u / gdp (+ sum v / avail): a percentage point of GDP weighs
                           the same for every member, and so does a percent of its personnel
    B  relaxation_money    sum_{m,t} gdp[m,t] * w[m,t] = sum u         (with "caps")
    B' relaxation_persons  sum_{m,t} avail[m] * y[m,t] = sum v         (with "personnel")

each kept within (1 + 1e-6) (+1e-9) of its optimum for the stages after it, as every stage is.

| symbol | workbook |
|---|---|
| `cap[m,t]` | members.cap_gdp_share, or commitments.cap_gdp_share for that year |
| `gdp[m,t]` | members.gdp * (1 + gdp_growth)^(t - t0), or the gdp sheet |
| `avail[m]` | members.personnel_available |
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .labelled import Bounds, Labels, Objective, Reason, Rows, Variable

FAMILY = "relaxation"

#: the limits that can be relaxed
LIMITS = ("caps", "personnel")
MEMBER_YEAR = ["member", "year"]


def requested(relax) -> tuple[str, ...]:
    """The limits asked for, in `LIMITS` order; a ValueError for any other."""
    relax = (relax,) if isinstance(relax, str) else tuple(relax or ())
    unknown = [name for name in relax if name not in LIMITS]
    if unknown:
        raise ValueError(f"relax takes {', '.join(LIMITS)}, not {', '.join(map(repr, unknown))}")
    return tuple(name for name in LIMITS if name in relax)


def required(inputs):
    """`inputs` with every target required in full (shortfall off)."""
    if not inputs.settings.allow_shortfall:
        return inputs
    return dataclasses.replace(inputs, settings=dataclasses.replace(inputs.settings,
                                                                    allow_shortfall=False))


def stages(relax) -> list[str]:
    """The relaxation's stages, minimised before the stated objective's."""
    return ["relaxation"] + (["relaxation_money"] if "caps" in relax else []) + \
        (["relaxation_persons"] if "personnel" in relax else [])


def capped(sets) -> np.ndarray:
    """The member-years with a cap."""
    return np.flatnonzero(np.isfinite(sets.member_years["upper"].to_numpy(float)))


def staffed(sets) -> np.ndarray:
    """The member-years with deployable personnel."""
    return np.flatnonzero(sets.member_years["avail"].to_numpy(float) > 0)


def relaxed_variables(sets, relax) -> list[Variable]:
    my = sets.member_years
    codes = sets.codes["member_years"]
    declared = []
    if "caps" in relax:
        rows = capped(sets)
        declared.append(Variable(
            "cap_raise", Labels(my, MEMBER_YEAR, rows), 0.0, np.inf,
            unit=sets.measure["burden"], codes={k: v[rows] for k, v in codes.items()},
            doc="what member m would spend above its cap in year t, as a share of its GDP"))
    if "personnel" in relax:
        rows = staffed(sets)
        declared.append(Variable(
            "personnel_raise", Labels(my, MEMBER_YEAR, rows), 0.0, np.inf,
            codes={k: v[rows] for k, v in codes.items()},
            doc="persons member m would deploy above its limit in year t, as a fraction of it"))
    return declared


def relaxed_rows(f, relax) -> list:
    my = f.member_years
    n_my = len(my)
    parts = []
    objective_columns, objective_coefficients = [], []
    if "caps" in relax:
        rows = capped(f.sets)
        n = len(rows)
        gdp = my["gdp"].to_numpy(float)[rows]
        own = np.arange(n)
        raise_columns = f.column("cap_raise", own)
        parts.append(Bounds("cost", upper=np.full(n_my, np.inf),
                            doc="the caps are rows cap_relaxation"))
        parts.append(Rows(
            "cap_relaxation", Labels(my, MEMBER_YEAR, rows, {"member_year": rows}),
            rows=np.concatenate([own, own]),
            columns=np.concatenate([f.column("cost", rows), raise_columns]),
            coefficients=np.concatenate([np.ones(n), -gdp]),
            lower=np.full(n, -np.inf), upper=my["upper"].to_numpy(float)[rows],
            doc="cost[m,t] - gdp[m,t] w[m,t] <= cap[m,t] gdp[m,t]"))
        objective_columns.append(raise_columns)
        objective_coefficients.append(np.ones(n))
        money = Objective("relaxation_money", raise_columns, gdp, doc="sum u = sum gdp w")
    if "personnel" in relax:
        rows = staffed(f.sets)
        n = len(rows)
        avail_all = my["avail"].to_numpy(float)
        avail = avail_all[rows]
        own = np.arange(n)
        raise_columns = f.column("personnel_raise", own)
        parts.append(Bounds("persons", upper=np.where(avail_all > 0, np.inf, avail_all),
                            doc="the personnel limits are rows personnel_relaxation"))
        parts.append(Rows(
            "personnel_relaxation", Labels(my, MEMBER_YEAR, rows, {"member_year": rows}),
            rows=np.concatenate([own, own]),
            columns=np.concatenate([f.column("persons", rows), raise_columns]),
            coefficients=np.concatenate([np.ones(n), -avail]),
            lower=np.full(n, -np.inf), upper=avail,
            doc="persons[m,t] - avail[m] y[m,t] <= avail[m]"))
        objective_columns.append(raise_columns)
        objective_coefficients.append(np.ones(n))
        persons = Objective("relaxation_persons", raise_columns, avail, doc="sum v = sum avail y")
    parts.append(Objective("relaxation", np.concatenate(objective_columns),
                           np.concatenate(objective_coefficients),
                           doc="sum u / gdp (+ sum v / avail)"))
    if "caps" in relax:
        parts.append(money)
    if "personnel" in relax:
        parts.append(persons)
    return parts


def explain(name: str, label, f, currency: str) -> Reason:
    r = f.member_years.iloc[int(label["member_year"])]
    what = "the raised cap of" if name == "cap_relaxation" else "the raised personnel of"
    return Reason(what, f"{r['member']} in {r['year']}", r["member"])


def explain_bound(variable: str, position: int, f, currency: str) -> Reason:
    """A floor or pledge (the caps are rows here), a member's personnel without any to raise,
    or a raise's own bound of 0."""
    from . import commitments, personnel

    if variable == "persons":
        return personnel.explain_bound(variable, position, f, currency)
    if variable == "cost":
        r = f.member_years.iloc[position]
        floor = f"floor {r['floor_share']:.2%} of GDP"
        if r["pledge"] > 0:
            floor += f" or pledge {commitments.money(r['pledge'], currency)}"
        return Reason("the commitments of", f"{r['member']} in {r['year']} ({floor}, at least "
                      f"{commitments.money(r['lower'], currency)})", r["member"])
    block = f.variables[variable]
    r = block.labels.iloc[position]
    return Reason(f"no negative {variable.replace('_', ' ')} for", f"{r['member']} in {r['year']}",
                  r["member"])
