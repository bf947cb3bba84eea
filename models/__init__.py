"""The Pyomo formulation of docs/model.md.

`build_model(inputs)` returns a `ConcreteModel` whose `layout` attribute (a `models.layout.Layout`)
says what each variable and row is. Sets and variables first, then each constraint family
(one module each, its formula in the docstring), then the stage objectives:

| module | docs/model.md |
|---|---|
| layout.py | sets, parameters, variables |
| accounts.py | cost, persons, total as defined variables |
| deterrence.py | 1. deterrence (and the robust gamma form) |
| commitments.py | 2. commitments (floors, caps, pledges) |
| personnel.py | 3. personnel |
| equipment.py | 4. equipment inventory |
| fairness.py | 5. fairness band |
| ramp.py | 6. ramp |
| objectives.py | the lexicographic stages |
"""

from __future__ import annotations

from .accounts import add_accounts
from .commitments import add_commitments
from .deterrence import add_deterrence
from .equipment import add_equipment
from .fairness import add_fairness
from .layout import Layout, StructureCache, build_layout, declare_variables
from .objectives import add_objectives
from .personnel import add_personnel
from .ramp import add_ramp


def build_model(inputs):
    """The model of docs/model.md for `inputs` (present members only), as a Pyomo `ConcreteModel`
    whose `layout` attribute says what each variable and row is. (Pyomo is imported here, not
    with the package: `build_layout_only`, the solver's default route, does without it.)"""
    import pyomo.environ as pyo
    from pyomo.common.gc_manager import PauseGC

    with PauseGC():
        model = pyo.ConcreteModel(name="burden")
        model.layout = _formulate(model, inputs)
        model.layout.model = model
    return model


def build_layout_only(inputs, cache: StructureCache | None = None) -> Layout:
    """The same formulation as plain arrays (`Layout.row_specs`, `objective_specs`), with no
    Pyomo objects: what a sweep needs to update a solver in place. `tests/test_formulation.py`
    checks that it compiles to exactly the matrices of `build_model`. `cache`: structural
    pieces kept from the previous case (a `Resolver`'s); the layout is the same without it."""
    return _formulate(None, inputs, cache)


def _formulate(model, inputs, cache=None) -> Layout:
    """Sets and variables, then each family, then the stage objectives: into `model`, or as
    arrays only when `model` is None."""
    settings = inputs.settings
    layout = build_layout(inputs, cache)
    layout.gamma = settings.robustness
    declare_variables(model, layout, settings)
    add_deterrence(model, layout, settings.robustness, settings.allow_shortfall)
    add_accounts(model, layout)
    add_commitments(model, layout)
    add_personnel(model, layout)
    add_equipment(model, layout)
    add_fairness(model, layout, settings.fairness_tolerance)
    add_ramp(model, layout, settings.max_growth)
    layout.stages = add_objectives(model, layout, settings)
    return layout


__all__ = ["StructureCache", "build_layout_only", "build_model"]
