"""Room to negotiate (`optimizer.ranges`): the time of the 2|M| bounds against one solve per
bound, with and without warm starts, on one worker and on executors.

    .venv/bin/python benchmarks/generate.py cases/ --size nato --variant lp
    .venv/bin/python benchmarks/ranges_speed.py cases/nato_lp.xlsx inputs/alliance.xlsx
        [--workers 2] [--dask] [--fresh 8] [--sample K] [--no-cold]

For each case, wall-clock seconds of:

- `solve`: one `optimizer.solve` (every stage and table), the median of three; "one solve per
  bound" is that times the number of bounds, the yardstick (goal: ranges under 2x it);
- `ranges, warm` / `ranges, cold`: `ranges(workers=1)` from the call to the table (the plan's
  own solve, C* and every bound included; a fresh store), each bound warm-started from the last
  basis on one HiGHS instance, or with the basis cleared before each (`warm_start=False`);
- per bound, the median seconds inside `BoundSolver.bound` warm and cold, and the seconds in
  `Highs.run`;
- `fresh per bound` (`--fresh N`, on N bounds): every bound on a new instance (formulate,
  load, stage 1, C*, the bound), the price of not reusing one;
- `ranges, N workers` (`--workers N`): the process pool, pool start-up included, and
  `ranges, dask` (`--dask`) a LocalCluster of N workers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from optimizer import ranges, read_inputs, solve
from optimizer.negotiation import HORIZON, BoundSolver, cost_bound


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - started, value


def per_bound(inputs, warm_start: bool, sample: int | None) -> tuple[float, float, int]:
    """Median seconds a bound takes on one loaded instance, in `bound` and in `Highs.run`
    (the first `sample` members' bounds, or every member's)."""
    solver = BoundSolver(inputs, warm_start)
    _, index, least, _ = solver.least_cost()
    solver.limit(index, least, inputs.settings.negotiation_slack)
    seconds, in_highs = [], []
    for member in inputs.present_members[:sample]:
        for sense in ("min", "max"):
            before = solver.session.run_seconds
            took, outcome = timed(solver.bound, member, HORIZON, sense)
            assert outcome.certified, (member, sense, outcome.status)
            seconds.append(took)
            in_highs.append(solver.session.run_seconds - before)
    return statistics.median(seconds), statistics.median(in_highs), len(seconds)


def fresh(inputs, count: int) -> float:
    """Median seconds of one bound solved on an instance of its own."""
    seconds = []
    members = inputs.present_members[:max(1, (count + 1) // 2)]
    for member in members:
        for sense in ("min", "max")[: max(1, min(2, count - len(seconds)))]:
            started = time.perf_counter()
            solver = BoundSolver(inputs)
            _, index, least, _ = solver.least_cost()
            solver.limit(index, least, inputs.settings.negotiation_slack)
            solver.bound(member, HORIZON, sense)
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def run_ranges(inputs, **options) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        took, room = timed(ranges, inputs, out=None if "out" not in options else
                           Path(scratch) / "r.xlsx", **options)
    assert room.status in ("optimal", "optimal_with_shortfall"), (room.status, room.notes)
    assert room.table["certified"].all()
    return took


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dask", action="store_true")
    parser.add_argument("--fresh", type=int, default=0, metavar="N")
    parser.add_argument("--sample", type=int, default=None, metavar="K",
                        help="per-bound medians over the first K members (default: all)")
    parser.add_argument("--no-cold", action="store_true",
                        help="skip the whole cold ranges run (slow on a large case)")
    args = parser.parse_args(argv)
    for path in args.cases:
        inputs = read_inputs(path)
        solve(inputs)  # imports and first-instance costs out of the figures
        one = statistics.median(timed(solve, inputs)[0] for _ in range(3))
        warm_bound, warm_highs, _ = per_bound(inputs, True, args.sample)
        cold_bound, cold_highs, _ = per_bound(inputs, False, args.sample)
        bounds = 2 * len(inputs.present_members)
        warm = run_ranges(inputs, workers=1)
        cold = run_ranges(inputs, workers=1, warm_start=False) if not args.no_cold else None
        solver = BoundSolver(inputs)
        _, _, least, _ = solver.least_cost()
        kind = "MIPs" if solver.compiled.is_mip else "LPs"
        slack = inputs.settings.negotiation_slack
        print(f"\n{Path(path).name}: {len(inputs.present_members)} members, {bounds} {kind}, "
              f"{solver.compiled.matrix.shape[1]:,} columns x "
              f"{solver.compiled.matrix.shape[0]:,} rows; slack {slack:g}, C* {least:,.1f}, "
              f"total allowed {cost_bound(least, slack):,.1f}")
        rows = [("solve (one)", one, ""),
                (f"one solve per bound ({bounds} x solve)", bounds * one, "the yardstick"),
                ("ranges, 1 worker, warm", warm, f"{warm / (bounds * one):.2f} x yardstick"),
                ("ranges, 1 worker, cold", cold,
                 "" if cold is None else f"{cold / (bounds * one):.2f} x yardstick"),
                ("a bound, warm (median)", warm_bound, f"{warm_highs:.4f} s in Highs.run"),
                ("a bound, cold (median)", cold_bound, f"{cold_highs:.4f} s in Highs.run")]
        rows = [row for row in rows if row[1] is not None]
        if args.fresh:
            each = fresh(inputs, args.fresh)
            rows.append((f"a bound on its own instance (median of {args.fresh})", each,
                         f"{bounds} of them: {bounds * each:.1f} s"))
        if args.workers > 1:
            took = run_ranges(inputs, workers=args.workers)
            rows.append((f"ranges, {args.workers} workers (process pool)", took,
                         f"{took / (bounds * one):.2f} x yardstick"))
            if args.dask:
                took = run_ranges(inputs, workers=args.workers, scheduler="local")
                rows.append((f"ranges, dask LocalCluster, {args.workers} workers", took,
                             f"{took / (bounds * one):.2f} x yardstick"))
        width = max(len(name) for name, _, _ in rows)
        print(f"{'':<{width}}  {'seconds':>9}")
        for name, seconds, note in rows:
            print(f"{name:<{width}}  {seconds:>9.3f}  {note}")


if __name__ == "__main__":
    main()
