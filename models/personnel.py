"""Family 3, personnel (docs/model.md constraint 3):

    persons[m,t] <= avail[m]

Stated as the upper bound of the variable `persons[m,t]`, which `accounts.py` defines as
`sum_{c,g} P[m,c,g,t] + sum_{k,g} crew[k] * E[m,k,g,t]`.

| symbol | workbook |
|---|---|
| `avail[m]` | members.personnel_available (default 0: no persons, no crewed equipment) |
"""

from __future__ import annotations

from .labelled import Bounds, Reason

FAMILY = "personnel"


def rows(f, settings) -> list[Bounds]:
    return [Bounds("persons", upper=f.member_years["avail"].to_numpy(float),
                   doc="persons[m,t] <= avail[m]")]


def explain_bound(variable: str, position: int, f, currency: str) -> Reason:
    r = f.member_years.iloc[position]
    return Reason("the deployable personnel of",
                  f"{r['member']} ({r['avail']:,.0f} persons in {r['year']})", r["member"])
