"""burden: share the burden of deterrence across an alliance.

The public API (docs/notebooks.md):

    from optimizer import read_inputs, solve, write_report, InputError
    inputs = read_inputs("inputs/alliance.xlsx")
    result = solve(inputs)
    write_report(result, "alliance-report.xlsx")

    from optimizer import build_model          # the same model in Pyomo (docs/pyomo.md)
    m = build_model(inputs)
    m.extra = pyomo.environ.Constraint(expr=...)
    result = solve(inputs, model=m, solver="glpk")

The names are loaded on first use (pandas and friends with them), so `burden --help` and
`import optimizer.schema` stay quick; HiGHS is imported on the first solve, Pyomo only by
`build_model`, `solve(engine="pyomo")`, `solve(model=...)` and `solve(solver=...)` with a
solver other than HiGHS.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

#: Each public name and the module that defines it (a bare name: a submodule of this one).
_API = {"InputError": "errors", "Inputs": "inputs", "Problem": "errors",
        "inputs_from_frames": "inputs", "read_inputs": "inputs", "write_report": "report",
        "Result": "result", "shapley": "coalitions", "solve": "stages", "run_sweep": "sweep",
        "frontier": "tradeoff", "ranges": "negotiation", "Ranges": "negotiation",
        "Sweep": "studies", "Frontier": "studies", "Shapley": "studies",
        "what_it_takes": "relaxation", "WhatItTakes": "relaxation",
        "build_model": "models", "formulate": "models"}
_OUTSIDE = {"models"}  # modules outside this package

__all__ = ["Frontier", "InputError", "Inputs", "Problem", "Ranges", "Result", "Shapley",
           "Sweep", "WhatItTakes", "build_model", "formulate", "frontier",
           "inputs_from_frames", "ranges", "read_inputs", "run_sweep", "shapley", "solve",
           "what_it_takes", "write_report", "__version__"]


class _Package(types.ModuleType):
    """The package, whose API names are looked up in their modules when first asked for. No
    API name is also a submodule's (tests/test_docs.py): `optimizer.solve` is the function,
    `optimizer.stages` its module."""

    def __getattr__(self, name):
        if name not in _API:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        module = _API[name]
        module = module if module in _OUTSIDE else f"{self.__name__}.{module}"
        value = getattr(importlib.import_module(module), name)
        types.ModuleType.__setattr__(self, name, value)
        return value

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_API))


sys.modules[__name__].__class__ = _Package
