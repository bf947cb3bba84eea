"""Coefficient ranges of the model HiGHS is handed, stage by stage.

    python benchmarks/ranges.py CASE.xlsx [CASE.xlsx ...]

For each case and stage objective: the smallest and largest nonzero magnitude of the matrix,
the stage's costs, the finite column bounds and the finite row bounds, as HiGHS prints them
when it starts ("Coefficient ranges"), once for the model as formulated (the families' own
units: money, persons, deterrence) and once as handed to HiGHS (each column in its unit of
measure, rows and objectives scaled by powers of two: `optimizer.highs_adapter.Scaling`).
HiGHS' default tolerances are absolute (primal and dual feasibility 1e-7): ranges near 1 are
what they resolve. The decades column is log10(largest / smallest).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _decades(span) -> str:
    low, high = span
    return f"{math.log10(high / low):4.1f}" if low > 0 else "   -"


def case_ranges(path) -> list[tuple]:
    """(stage, view, kind, (smallest, largest)) for every stage of the case."""
    from optimizer import read_inputs
    from optimizer.highs_adapter import HighsSession, coefficient_ranges
    from optimizer.stages import compile_layout, formulate

    layout = formulate(read_inputs(path))
    compiled = compile_layout(layout)
    session = HighsSession(compiled)
    rows = []
    for stage in layout.stages:
        costs = compiled.objectives[stage]
        views = {
            "formulated": coefficient_ranges(compiled.matrix, costs, compiled.col_lower,
                                             compiled.col_upper, compiled.row_lower,
                                             compiled.row_upper),
            "to HiGHS": coefficient_ranges(session.matrix, session.scaling.objective(costs)[0],
                                           session.col_lower, session.col_upper,
                                           session.row_lower, session.row_upper)}
        for view, ranges in views.items():
            for kind, span in ranges.items():
                rows.append((stage, view, kind, span))
    return rows


def main(paths: list[str]) -> None:
    for path in paths:
        print(f"\n{Path(path).name}")
        print(f"  {'stage':16s} {'view':11s} {'kind':7s} {'smallest':>10s} {'largest':>10s} "
              f"{'decades':>7s}")
        for stage, view, kind, span in case_ranges(path):
            print(f"  {stage:16s} {view:11s} {kind:7s} {span[0]:10.1e} {span[1]:10.1e} "
                  f"{_decades(span):>7s}")


if __name__ == "__main__":
    main(sys.argv[1:])
