"""The routes from `Inputs` to a loaded HiGHS instance, measured side by side: the supported
persistent interfaces against the standard-form route and burden's own matrices.

    .venv/bin/python benchmarks/routes.py CASE.xlsx [CASE.xlsx ...] [--repeat 3]

For each case, build + transfer (from validated `Inputs` to a HiGHS instance holding the
model, objective set, nothing solved), CPU seconds, median of N, each route in a fresh child
process per repeat (so that one route's garbage does not slow the next), after the same route
once on `inputs/tiny.xlsx` (imports and first-call costs are not counted):

| route | what it runs |
|---|---|
| direct | `benchmarks/direct_highs.py`: numpy arrays -> `HighsLp` -> `passModel` (the yardstick) |
| matrix | burden's default: `models.formulate` + `highs_adapter.assemble` + `HighsSession` |
| pyomo + standard form | `models.build_model` + `highs_adapter.compile_model` (Pyomo's `LinearStandardFormCompiler`) + `HighsSession` (`solve(engine="pyomo")`) |
| pyomo + appsi | `models.build_model` + `pyomo.contrib.appsi.solvers.Highs().set_instance` (the appsi persistent interface) |
| pyomo + contrib.solver | `models.build_model` + `pyomo.contrib.solver.solvers.highs.Highs().set_instance` (the newer persistent interface) |

The Pyomo model carries every stage objective; the persistent interfaces get the first stage's
objective active and the others deactivated, as a staged solve would start.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROUTES = ["direct", "matrix", "pyomo + standard form", "pyomo + appsi",
          "pyomo + contrib.solver"]


def run_route(route: str, path: str, warm_up: bool = True) -> dict:
    """In this (child) process: the route once on tiny.xlsx (imports and first-call costs,
    not timed), read the case, then the route on it, timed."""
    sys.path.insert(0, str(HERE))
    import direct_highs

    import models
    from optimizer import read_inputs
    from optimizer.highs_adapter import HighsSession, assemble, compile_model

    if route.startswith("pyomo + appsi"):
        from pyomo.contrib.appsi.solvers import Highs as AppsiHighs
    if route.startswith("pyomo + contrib"):
        from pyomo.contrib.solver.solvers.highs import Highs as ContribHighs
    if warm_up:
        run_route(route, str(HERE.parent / "inputs" / "tiny.xlsx"), warm_up=False)
    inputs = read_inputs(path)
    case = direct_highs.read_case(path) if route == "direct" else None
    started = time.process_time()
    if route == "direct":
        model = direct_highs.build(case)
        direct_highs.transfer(model, case.settings["mip_gap"])
    elif route == "matrix":
        HighsSession(assemble(models.formulate(inputs)))
    else:
        model = models.build_model(inputs)
        if route == "pyomo + standard form":
            HighsSession(compile_model(model))
        else:
            for k, name in enumerate(model.formulation.stages):
                getattr(model, name).activate() if k == 0 else getattr(model, name).deactivate()
            solver = AppsiHighs() if route == "pyomo + appsi" else ContribHighs()
            solver.set_instance(model)
    return {"cpu": time.process_time() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--route", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.route:
        print(json.dumps(run_route(args.route, args.cases[0])))
        return 0
    print("| case | " + " | ".join(ROUTES) + " |")
    print("|---|" + "---|" * len(ROUTES))
    for path in args.cases:
        medians = {}
        for route in ROUTES:
            times = []
            for _ in range(args.repeat):
                done = subprocess.run([sys.executable, __file__, path, "--route", route],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    times = None
                    print(f"{route} failed on {path}: {done.stderr[-500:]}", file=sys.stderr)
                    break
                times.append(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])
            medians[route] = statistics.median(times) if times else None
        base = medians["direct"]
        cells = [f"{v:.3f} s ({v / base:.1f}x)" if v is not None and base else "failed"
                 for v in medians.values()]
        print(f"| {Path(path).stem} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
