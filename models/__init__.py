"""The Pyomo formulation of MODEL.md.

`build_model(inputs)` returns a `ConcreteModel` whose `layout` attribute (a `models.layout.Layout`)
says what each variable and row is. Sets and variables first, then each constraint family
(one module each, its formula in the docstring), then the stage objectives:

| module | MODEL.md |
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

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from .accounts import add_accounts
from .commitments import add_commitments
from .deterrence import add_deterrence
from .equipment import add_equipment
from .fairness import add_fairness
from .layout import build_layout, declare_variables
from .objectives import add_objectives
from .personnel import add_personnel
from .ramp import add_ramp


def build_model(inputs) -> pyo.ConcreteModel:
    """The model of MODEL.md for `inputs` (present members only)."""
    settings = inputs.settings
    with PauseGC():
        layout = build_layout(inputs)
        layout.gamma = settings.robustness
        model = pyo.ConcreteModel(name="burden")
        declare_variables(model, layout, settings)
        add_deterrence(model, layout, settings.robustness, settings.allow_shortfall)
        add_accounts(model, layout)
        add_commitments(model, layout)
        add_personnel(model, layout)
        add_equipment(model, layout)
        add_fairness(model, layout, settings.fairness_tolerance)
        add_ramp(model, layout, settings.max_growth)
        layout.stages = add_objectives(model, layout, settings)
        model.layout = layout
    return model


__all__ = ["build_model"]
