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

from . import commitments, personnel
from .labelled import Bounds, Labels, Objective, Reason, Rows, Variable

FAMILY = "relaxation"

#: the limits that can be relaxed
LIMITS = ("caps", "personnel")
MEMBER_YEAR = ["member", "year"]


@dataclasses.dataclass(frozen=True)
class Limit:
    """One relaxable limit: `limited[m,t] - scale[m,t] * raised[m,t] <= bound[m,t]` on the
    member-years where `bound` is finite (and above 0 with `positive`); `scale` and `bound`
    are member-year columns."""

    raised: str          # the raise's column, a share of `scale`
    limited: str         # the variable the limit bounds
    scale: str
    bound: str
    rows: str            # the rows' family name
    stage: str           # the stage that minimises sum scale * raised
    positive: bool       # a limit of 0 stays 0
    unit: str | None     # the raise's measure (sets.measure key)
    doc: str
    row_doc: str
    stage_doc: str


#: the limits that can be relaxed, in the order their rows and stages are emitted
LIMITS = {
    "caps": Limit(
        "cap_raise", "cost", "gdp", "upper", "cap_relaxation", "relaxation_money", False, "burden",
        "what member m would spend above its cap in year t, as a share of its GDP",
        "cost[m,t] - gdp[m,t] w[m,t] <= cap[m,t] gdp[m,t]", "sum u = sum gdp w"),
    "personnel": Limit(
        "personnel_raise", "persons", "avail", "avail", "personnel_relaxation",
        "relaxation_persons", True, None,
        "persons member m would deploy above its limit in year t, as a fraction of it",
        "persons[m,t] - avail[m] y[m,t] <= avail[m]", "sum v = sum avail y"),
}


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
    return ["relaxation"] + [LIMITS[name].stage for name in requested(relax)]


def relaxed(sets, limit: Limit) -> np.ndarray:
    """The member-years whose `limit` can be raised: a cap, or deployable personnel."""
    bound = sets.member_years[limit.bound].to_numpy(float)
    return np.flatnonzero(np.isfinite(bound) & ((bound > 0) | (not limit.positive)))


def relaxed_variables(sets, relax) -> list[Variable]:
    my = sets.member_years
    codes = sets.codes["member_years"]
    declared = []
    for limit in (LIMITS[name] for name in requested(relax)):
        rows = relaxed(sets, limit)
        declared.append(Variable(
            limit.raised, Labels(my, MEMBER_YEAR, rows), 0.0, np.inf,
            unit=sets.measure[limit.unit] if limit.unit else 1.0,
            codes={k: v[rows] for k, v in codes.items()}, doc=limit.doc))
    return declared


def relaxed_rows(f, relax) -> list:
    my = f.member_years
    parts, stage_parts = [], []
    objective_columns, objective_coefficients = [], []
    for limit in (LIMITS[name] for name in requested(relax)):
        rows = relaxed(f.sets, limit)
        n = len(rows)
        scale = my[limit.scale].to_numpy(float)[rows]
        bound = my[limit.bound].to_numpy(float)
        lifted = bound.copy()
        lifted[rows] = np.inf
        own = np.arange(n)
        raise_columns = f.column(limit.raised, own)
        parts.append(Bounds(limit.limited, upper=lifted, doc=f"the limits are rows {limit.rows}"))
        parts.append(Rows(
            limit.rows, Labels(my, MEMBER_YEAR, rows, {"member_year": rows}),
            rows=np.concatenate([own, own]),
            columns=np.concatenate([f.column(limit.limited, rows), raise_columns]),
            coefficients=np.concatenate([np.ones(n), -scale]),
            lower=np.full(n, -np.inf), upper=bound[rows], doc=limit.row_doc))
        objective_columns.append(raise_columns)
        objective_coefficients.append(np.ones(n))
        stage_parts.append(Objective(limit.stage, raise_columns, scale, doc=limit.stage_doc))
    parts.append(Objective("relaxation", np.concatenate(objective_columns),
                           np.concatenate(objective_coefficients),
                           doc="sum u / gdp (+ sum v / avail)"))
    return parts + stage_parts


def explain(name: str, label, f, currency: str) -> Reason:
    r = f.member_years.iloc[int(label["member_year"])]
    what = "the raised cap of" if name == "cap_relaxation" else "the raised personnel of"
    return Reason(what, f"{r['member']} in {r['year']}", r["member"])


def explain_bound(variable: str, position: int, f, currency: str) -> Reason | None:
    """A floor or pledge (the caps are rows here; None for a cost with neither), a member's
    personnel without any to raise, or a raise's own bound of 0."""
    if variable == "persons":
        return personnel.explain_bound(variable, position, f, currency)
    if variable == "cost":
        r = f.member_years.iloc[position]
        if r["lower"] <= 0:  # only cost >= 0: no floor or pledge
            return None
        floor = f"floor {r['floor_share']:.2%} of GDP"
        if r["pledge"] > 0:
            floor += f" or pledge {commitments.money(r['pledge'], currency)}"
        lower = commitments.money(r["lower"], currency)
        return Reason("the commitments of", f"{r['member']} in {r['year']} ({floor}, at least "
                      f"{lower})", r["member"], requires=f"{floor}, at least {lower} in {r['year']}")
    block = f.variables[variable]
    r = block.labels.iloc[position]
    return Reason(f"no negative {variable.replace('_', ' ')} for", f"{r['member']} in {r['year']}",
                  r["member"])
