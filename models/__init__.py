"""The model of docs/model.md, written once as labelled blocks (`models.labelled`).

`formulate(inputs)` gives the `Formulation` (plain arrays: what HiGHS is handed), and
`build_model(inputs)` the same model as a Pyomo `ConcreteModel` with label-indexed sets,
variables and constraints (`models.pyomo_model`). The families, one module each with its
formula in the docstring, are listed once in `models.registry`:

| module | docs/model.md |
|---|---|
| sets.py | sets and parameters |
| allocation.py | the decision variables F, P, E |
| deterrence.py | 1. deterrence (and the robust gamma form) |
| accounts.py | cost, persons, total as defined variables |
| commitments.py | 2. commitments (floors, caps, pledges) |
| personnel.py | 3. personnel |
| equipment.py | 4. equipment inventory |
| fairness.py | 5. fairness band |
| ramp.py | 6. ramp |
| objectives.py | the lexicographic stages |
| relaxation.py | what it would take: the least raise of caps (and personnel) that meets every target |

Nothing here imports the report or Excel side of `optimizer`; Pyomo is imported only by
`build_model`.
"""

from __future__ import annotations

from . import relaxation
from .labelled import Formulation, StructureCache
from .objectives import stage_plan
from .registry import COLUMN_ORDER, FAMILIES
from .sets import index_sets


def formulate(inputs, cache: StructureCache | None = None, relax=(),
              required: bool = True) -> Formulation:
    """The model of `inputs` (present members only) as labelled blocks. `cache`: structural
    pieces kept from the cases before (a `Resolver`'s); the formulation is the same without
    it. `relax`: "caps" and/or "personnel" for the least relaxation that meets every target
    (`models.relaxation`: shortfall off, the limits as rows with a raise, its stages first);
    without it the model as stated. `required=False` (with `relax`): the shortfall stays as
    the settings allow it, and stage 1 (the least shortfall with the limits raised as far as
    needed) comes before the relaxation's stages."""
    relax = relaxation.requested(relax)
    if relax and required:
        inputs = relaxation.required(inputs)
    settings = inputs.settings
    sets = index_sets(inputs, cache)
    formulation = Formulation(sets, settings, cache)
    formulation.inputs = inputs
    for family in FAMILIES:
        if hasattr(family, "variables"):
            formulation.declare(family.variables(sets, settings), family.FAMILY,
                                COLUMN_ORDER)
    if relax:
        formulation.declare(relaxation.relaxed_variables(sets, relax), relaxation.FAMILY,
                            COLUMN_ORDER)
    for family in FAMILIES:
        if hasattr(family, "rows"):
            formulation.add(family.rows(formulation, settings), family.FAMILY)
    formulation.stages = stage_plan(settings)
    if relax:
        formulation.add(relaxation.relaxed_rows(formulation, relax), relaxation.FAMILY)
        first = formulation.stages[:1] if formulation.stages[:1] == ["shortfall_index"] else []
        formulation.stages = first + relaxation.stages(relax) + formulation.stages[len(first):]
        formulation.relax = relax
    return formulation


def impossible(formulation: Formulation) -> list[str]:
    """The rows that must hold but have no term (a target no one can reach with shortfall
    off, a rule with nothing to count), in words: each family's `impossible`."""
    return [sentence for family in FAMILIES if hasattr(family, "impossible")
            for sentence in family.impossible(formulation)]


def build_model(inputs, formulation: Formulation | None = None):
    """The model of `inputs` as a Pyomo `ConcreteModel` (see `models.pyomo_model`)."""
    from .pyomo_model import pyomo_model

    return pyomo_model(formulation if formulation is not None else formulate(inputs))


__all__ = ["Formulation", "StructureCache", "build_model", "formulate", "impossible"]
