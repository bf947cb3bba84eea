"""burden: share the burden of deterrence across an alliance.

The public API (docs/notebooks.md):

    from optimizer import read_inputs, solve, write_report, InputError
    inputs = read_inputs("inputs/alliance.xlsx")
    result = solve(inputs)
    write_report(result, "alliance-report.xlsx")

Pyomo is imported only by `solve(engine="pyomo")` and `models.build_model`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .inputs import InputError, Inputs, Problem, inputs_from_frames, read_inputs  # noqa: E402
from .report import write_report  # noqa: E402
from .result import Result  # noqa: E402

# `run_sweep`, `frontier` and `shapley` are light to import (numpy, pandas, sqlite3): imported
# here, after their submodules, so the package names are the functions.
from .shapley import shapley  # noqa: E402

# `from .solve import solve` binds the name to the function after the submodule import has set
# the package attribute `solve` to the module.
from .solve import solve  # noqa: E402
from .sweep import run_sweep  # noqa: E402
from .tradeoff import frontier  # noqa: E402

__all__ = ["InputError", "Inputs", "Problem", "Result", "frontier", "inputs_from_frames",
           "read_inputs", "run_sweep", "shapley", "solve", "write_report", "__version__"]
