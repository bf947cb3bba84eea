"""burden: share the burden of deterrence across an alliance.

The public API (ARCHITECTURE.md):

    from optimizer import read_inputs, solve, write_report, InputError
    inputs = read_inputs("inputs/alliance.xlsx")
    result = solve(inputs)
    write_report(result, "alliance-report.xlsx")

Pyomo and HiGHS are imported on first use, so reading and validating stay quick.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .inputs import InputError, Inputs, Problem, inputs_from_frames, read_inputs  # noqa: E402
from .result import Result  # noqa: E402


def solve(inputs, objective=None, time_limit=None):
    """Solve a case in lexicographic stages and return a `Result` (see `optimizer.solve`)."""
    from .solve import solve as _solve

    return _solve(inputs, objective=objective, time_limit=time_limit)


def write_report(result, path, **options):
    """Write the Excel report of a `Result` (see `optimizer.report`)."""
    from .report import write_report as _write_report

    return _write_report(result, path, **options)


__all__ = ["InputError", "Inputs", "Problem", "Result", "inputs_from_frames", "read_inputs",
           "solve", "write_report", "__version__"]
