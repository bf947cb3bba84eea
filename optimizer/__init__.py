"""burden: share the burden of deterrence across an alliance.

The public API (ARCHITECTURE.md):

    from optimizer import read_inputs, solve, write_report, InputError
    inputs = read_inputs("inputs/alliance.xlsx")
    result = solve(inputs)
    write_report(result, "alliance-report.xlsx")

Pyomo and HiGHS are imported on the first solve, so reading and validating stay quick.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .inputs import InputError, Inputs, Problem, inputs_from_frames, read_inputs  # noqa: E402
from .report import write_report  # noqa: E402
from .result import Result  # noqa: E402

# `from .solve import solve` binds the name to the function after the submodule import has set
# the package attribute `solve` to the module; Pyomo itself is only imported on the first solve.
from .solve import solve  # noqa: E402


def run_sweep(inputs, scenarios=None, out=None, workers=None, scheduler=None, **options):
    """Solve many scenarios (see `optimizer.sweep.run_sweep`); returns the scenarios table."""
    from .sweep import run_sweep as _run_sweep

    return _run_sweep(inputs, scenarios, out, workers, scheduler, **options)


def frontier(inputs, points=11):
    """The cost-fairness frontier (see `optimizer.frontier.frontier`)."""
    from .frontier import frontier as _frontier

    return _frontier(inputs, points=points)


def shapley(inputs, samples=200, seed=0, workers=None, scheduler=None, out=None, **options):
    """Each member's Shapley share of the alliance's deterrence (see
    `optimizer.shapley.shapley`); returns the shapley table."""
    from .shapley import shapley as _shapley

    # importing the submodule `optimizer.shapley` rebinds this package's name `shapley` to
    # that module: put this function back, so `optimizer.shapley(...)` works every time
    globals()["shapley"] = _api_shapley
    return _shapley(inputs, samples=samples, seed=seed, workers=workers, scheduler=scheduler,
                    out=out, **options)


_api_shapley = shapley

__all__ = ["InputError", "Inputs", "Problem", "Result", "frontier", "inputs_from_frames",
           "read_inputs", "run_sweep", "shapley", "solve", "write_report", "__version__"]
