"""The formulation as a Pyomo `ConcreteModel` a Pyomo user recognises.

    m.M, m.C, m.G, m.T, m.K           members, capabilities, regions, years, equipment types
    m.cells    (member, capability, region, year)  allowed cells: F, P
    m.units    (member, equipment, region, year)   held equipment in allowed regions: E
    m.targets  (capability, region, year)          targets: sigma, lam (and S, an expression)
    m.member_years (member, year)                  cost, persons, dev
    m.links    (member, capability, region, year)  robust counterpart: mu
    m.F, m.P, m.E, m.sigma, m.cost, m.persons, m.total, m.lam, m.mu, m.Z, m.dev

Every variable carries its bounds and domain (`E` is `Integers` where the equipment type is
integer): the commitments are the bounds of `m.cost[m, t]`, the personnel limit the upper
bound of `m.persons[m, t]`. Every row block is a `Constraint` of the same name indexed by its
labels (`m.deterrence["Land", "East", 2027]`, `m.ramp["Germany", 2028]`), and every stage a
`Objective` (`m.shortfall_index`, `m.total_cost`, ...), of which only the first stage's is
active: solving the model as it is with any solver gives stage 1 of the lexicographic order.
A target no present member may reach, with shortfall off, has no term at all and so is no
row: `m.formulation.unreachable["deterrence"]` lists such targets, and `solve` reports the
case infeasible, naming them, before any solver runs.
`m.S[c, g, t] = target * sigma[c, g, t]` is the shortfall in deterrence units.

The model's `formulation` is the `Formulation` it was built from; `formulation.model_columns`
and `model_rows` list the variables and constraints in the matrices' order.
"""

from __future__ import annotations

import numpy as np

#: the index set of each variable block (others get one of their own)
SET_OF_VARIABLE = {"F": "cells", "P": "cells", "E": "units", "sigma": "targets",
                   "lam": "targets", "cost": "member_years", "persons": "member_years",
                   "dev": "member_years", "total": "T", "mu": "links"}
#: the columns of a labels frame that name an element (others, such as target_row, refer)
LABELS = ("rule", "member", "capability", "equipment", "region", "year")


def label_keys(labels) -> list[str]:
    return [key for key in labels.columns if key in LABELS]


def label_tuples(labels) -> list:
    """The index of each row of a labels frame: a tuple of its labels (a bare label when
    there is one key, None when there are none)."""
    keys = label_keys(labels)
    if not keys:
        return [None] * len(labels)
    columns = [labels[key].tolist() for key in keys]
    if len(columns) == 1:
        return columns[0]
    return list(zip(*columns))


def pyomo_model(formulation):
    import pyomo.environ as pyo
    from pyomo.common.gc_manager import PauseGC
    from pyomo.core.expr.numeric_expr import LinearExpression

    f = formulation
    with PauseGC():
        m = pyo.ConcreteModel(name="burden")
        m.M = pyo.Set(initialize=list(f.members), ordered=True, doc="members")
        m.C = pyo.Set(initialize=list(f.capabilities), ordered=True, doc="capabilities")
        m.G = pyo.Set(initialize=list(f.regions), ordered=True, doc="regions")
        m.T = pyo.Set(initialize=[int(t) for t in f.years], ordered=True, doc="years")
        m.K = pyo.Set(initialize=list(f.equipment_types), ordered=True,
                      doc="equipment types")
        columns = []
        for name, variable in f.variables.items():
            index = label_tuples(variable.labels)
            if index == [None]:
                var = pyo.Var(domain=pyo.Reals, doc=variable.doc)
                setattr(m, name, var)
                data = [var]
            else:
                set_name = SET_OF_VARIABLE.get(name, f"{name}_index")
                index_set = getattr(m, set_name, None)
                if index_set is None:
                    dimen = max(len(label_keys(variable.labels)), 1)
                    index_set = pyo.Set(initialize=index, dimen=dimen, ordered=True)
                    setattr(m, set_name, index_set)
                var = pyo.Var(index_set, domain=pyo.Reals, doc=variable.doc)
                setattr(m, name, var)
                data = [var[i] for i in index]
            for v, lower, upper, integer in zip(data, variable.lower.tolist(),
                                                variable.upper.tolist(),
                                                variable.integer.tolist()):
                v.lb = lower if lower > -np.inf else None
                v.ub = upper if upper < np.inf else None
                if integer:
                    v.domain = pyo.Integers
            columns.extend(data)
        if "sigma" in f.variables:
            target = dict(zip(label_tuples(f.variables["sigma"].labels),
                              f.targets["target"].tolist()))
            m.S = pyo.Expression(m.targets, rule=lambda m, *i: target[i] * m.sigma[i],
                                 doc="shortfall in deterrence units: target * sigma")
        rows = []
        for name, block in f.blocks.items():
            index = label_tuples(block.labels)
            component = _constraint(pyo, block, index, _bodies(block, columns, LinearExpression))
            setattr(m, name, component)
            rows.extend(component[i] for i in index)
        for name, objective in f.objectives.items():
            setattr(m, name, pyo.Objective(expr=LinearExpression(
                constant=0.0, linear_coefs=objective.coefficients.tolist(),
                linear_vars=[columns[j] for j in objective.columns.tolist()]),
                doc=objective.doc))
            getattr(m, name).deactivate()
        if f.stages:
            getattr(m, f.stages[0]).activate()
    m.formulation = f
    f.model = m
    f.model_columns = columns
    f.model_rows = rows
    f.model_objectives = {name: getattr(m, name).expr for name in f.objectives}
    f.model_signature = signature(m)
    return m


def signature(model) -> frozenset:
    """The names of the model's variables, constraints, objectives and blocks: what an
    analyst adds to."""
    import pyomo.environ as pyo

    types = (pyo.Var, pyo.Constraint, pyo.Objective, pyo.Block)
    return frozenset(c.name for c in model.component_objects(types, descend_into=True))


def _constraint(pyo, block, index: list, bodies: list):
    """The block's rows as one `Constraint` indexed by their labels."""
    lower = [None if not np.isfinite(v) else v for v in block.lower.tolist()]
    upper = [None if not np.isfinite(v) else v for v in block.upper.tolist()]
    position = {key: i for i, key in enumerate(index)}

    def row(_, *key):
        i = position[key[0] if len(key) == 1 else key]
        return lower[i], bodies[i], upper[i]

    return pyo.Constraint(index, rule=row, doc=block.doc)


def _bodies(block, columns, LinearExpression) -> list:
    """Each row's body as a `LinearExpression`, in one pass over the terms sorted by row."""
    order = np.argsort(block.rows, kind="stable")
    rows, cols, coefs = block.rows[order], block.columns[order], block.coefficients[order]
    bounds = np.searchsorted(rows, np.arange(block.size + 1)).tolist()
    col_list, coef_list = cols.tolist(), coefs.tolist()
    return [LinearExpression(constant=0.0, linear_coefs=coef_list[a:b],
                             linear_vars=[columns[j] for j in col_list[a:b]])
            for a, b in zip(bounds[:-1], bounds[1:])]
