"""Sweep throughput: a `targets.scale` grid on a generated NATO-size LP,
in-place re-solves against rebuild-per-scenario, one worker against two, the process pool
against a Dask LocalCluster; and the share of a sweep's time spent outside HiGHS.

    .venv/bin/python benchmarks/generate.py cases/ --size nato --variant lp
    .venv/bin/python benchmarks/sweep_throughput.py cases/nato_lp.xlsx [--scenarios 200]
        [--fresh-scenarios 40] [--only persistent]
    .venv/bin/python benchmarks/generate.py cases/ --size large --variant lp
    .venv/bin/python benchmarks/sweep_throughput.py cases/large_lp.xlsx --overhead 6

Each configuration runs `optimizer.run_sweep` on the same grid (factors 0.8, 0.804, ...; each
scenario differs from the one before only in numbers) and prints scenarios per second,
wall-clock from the call to the table (pool start-up included). "persistent" is the default
sweep (each worker re-solves on its loaded HiGHS instances, `optimizer.stages.Resolver`);
"fresh" is `run_sweep(persistent=False)` / `burden sweep --fresh` (every scenario formulated,
loaded and solved from scratch), run on fewer scenarios because it is slow.

`--overhead K`: in this process, K numbers-only scenarios through the sweep's task
(`optimizer.sweep.run_scenario`, summary tables only) after one warm-up; per scenario the
seconds inside HiGHS (wall-clock time in `Highs.run`) and the rest (overrides, formulation,
in-place edits, solution fetch, extraction), medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from optimizer import read_inputs, run_sweep


def grid(count: int) -> list[tuple[str, list[str]]]:
    return [("targets.scale", [f"{0.8 + k * 0.004:.3f}" for k in range(count)])]


def throughput(inputs, count, workers, scheduler, persistent) -> tuple[float, dict]:
    started = time.perf_counter()
    table = run_sweep(inputs, workers=workers, scheduler=scheduler, grid=grid(count),
                      persistent=persistent).table
    seconds = time.perf_counter() - started
    return len(table) / seconds, table["status"].value_counts().to_dict()


def overhead(inputs, count: int) -> None:
    from optimizer import sweep
    from optimizer.sweep import Scenario, run_scenario

    resolver = sweep._resolver(inputs)  # the one `run_scenario` uses in this process
    inside, outside, totals = [], [], []
    values = grid(count + 1)[0][1]
    for k, value in enumerate(values):
        scenario = Scenario(f"targets.scale={value}", (("targets.scale", value),))
        sessions, highs_before = resolver.sessions, _highs_seconds(resolver)
        started = time.perf_counter()
        row = run_scenario(inputs, scenario, str(k), k)
        total = time.perf_counter() - started
        if resolver.sessions is not sessions:  # loaded afresh: new instances, new clocks
            highs_before = 0.0
        highs = _highs_seconds(resolver) - highs_before
        print(f"  {scenario.name}: {row['status']}, {total:.3f} s, HiGHS {highs:.3f} s",
              flush=True)
        if k == 0:
            continue  # the warm-up loads the model
        inside.append(highs)
        outside.append(total - highs)
        totals.append(total)
    print(f"per scenario (median of {count}, after one warm-up): total "
          f"{statistics.median(totals):.3f} s, HiGHS {statistics.median(inside):.3f} s, "
          f"outside HiGHS {statistics.median(outside):.3f} s = "
          f"{100 * sum(outside) / sum(totals):.1f}% of the time; "
          f"rebuilds {resolver.rebuilds}, in-place updates {resolver.updates}")


def _highs_seconds(resolver) -> float:
    """Wall-clock seconds inside `Highs.run` so far by the resolver's sessions (HiGHS' own
    `getRunTime` leaves out part of its own work in each run)."""
    if resolver.sessions is None:
        return 0.0
    return resolver.sessions.run_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case")
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--fresh-scenarios", type=int, default=40)
    parser.add_argument("--only", choices=["persistent", "fresh"])
    parser.add_argument("--overhead", type=int, metavar="K",
                        help="measure the share of time outside HiGHS over K scenarios")
    args = parser.parse_args()
    inputs = read_inputs(args.case)
    print(f"{inputs!r}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    if args.overhead:
        overhead(inputs, args.overhead)
        return
    configurations = [("persistent", 1, None), ("persistent", 2, None),
                      ("persistent", 1, "local"), ("persistent", 2, "local"),
                      ("fresh", 1, None), ("fresh", 2, None)]
    print("| solves | workers | executor | scenarios | seconds | scenarios/s | statuses |")
    print("|---|---|---|---|---|---|---|")
    for mode, workers, scheduler in configurations:
        if args.only and mode != args.only:
            continue
        count = args.scenarios if mode == "persistent" else args.fresh_scenarios
        started = time.perf_counter()
        rate, statuses = throughput(inputs, count, workers, scheduler, mode == "persistent")
        seconds = time.perf_counter() - started
        print(f"| {mode} | {workers} | {'dask local' if scheduler else 'process pool'} | "
              f"{count} | {seconds:.1f} | {rate:.2f} | {statuses} |", flush=True)


if __name__ == "__main__":
    main()
