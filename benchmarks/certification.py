"""What certifying every stage costs, and what warm starts are worth.

    python benchmarks/certification.py CASE.xlsx [--repeat N] [--scenarios K] [--sweep]

Each measurement runs in a fresh process, the modes alternated, and medians are printed:

- `solve`: `optimizer.solve` on CASE (formulation to extraction, in process), with the
  certificates (the default) and with `HighsSession._certify` replaced by a stub that
  certifies nothing (the solution is still fetched from HiGHS, as it must be anyway);
- `--sweep`: K numbers-only scenarios (`targets.scale` 0.8, 0.804, ...) re-solved in place
  by one `Resolver` in the measuring process (what a sweep's worker does, without the pool's
  start-up), after a first load; scenarios per second, three ways: certified with warm starts
  (the default, `Resolver()`: one instance per stage, each from its own last basis), the same
  uncertified, and certified with each scenario starting cold on one instance edited in
  place (`Resolver(warm_start=False)`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, sys, time
sys.path.insert(0, {root!r})
mode, what, path, scenarios = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
from optimizer import read_inputs, solve
from optimizer import highs_adapter
from optimizer.certificate import Certificate
if mode == "uncertified":
    highs_adapter.HighsSession._certify = lambda self, *args: Certificate(0.0, 0.0, 0.0)
warm = mode != "cold starts"
inputs = read_inputs(path)
if what == "solve":
    started = time.perf_counter()
    result = solve(inputs)
    print(json.dumps({{"seconds": time.perf_counter() - started, "status": result.status,
                      "value": result.summary["total_cost"]}}))
else:
    from optimizer.stages import Resolver
    resolver = Resolver(tables="deterrence", warm_start=warm)
    resolver.solve(inputs.with_overrides({{"targets.scale": "0.79"}}))  # the first load
    cases = [inputs.with_overrides({{"targets.scale": f"{{0.8 + k * 0.004:.3f}}"}})
             for k in range(scenarios)]
    started = time.perf_counter()
    results = [resolver.solve(case) for case in cases]
    seconds = time.perf_counter() - started
    print(json.dumps({{"seconds": seconds, "per_second": len(results) / seconds,
                      "certified": sum(bool(r.summary["certified"]) for r in results),
                      "second_routes": sum(r.summary["second_routes"] for r in results),
                      "updates": resolver.updates}}))
"""


def measure(mode: str, what: str, path: str, scenarios: int) -> dict:
    code = WORKER.format(root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, mode, what, path, str(scenarios)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    import os

    print(f"{Path(args.case).name}  (load average {os.getloadavg()[0]:.1f})")
    runs: dict = {}
    for _ in range(args.repeat):
        for mode in ("certified", "uncertified"):
            runs.setdefault(mode, []).append(measure(mode, "solve", args.case, 0)["seconds"])
    on, off = statistics.median(runs["certified"]), statistics.median(runs["uncertified"])
    print(f"  solve: certified {on:.2f} s, uncertified {off:.2f} s: "
          f"certification adds {100 * (on / off - 1):+.1f}%")
    if not args.sweep:
        return
    sweeps: dict = {}
    for _ in range(args.repeat):
        for mode in ("certified", "uncertified", "cold starts"):
            sweeps.setdefault(mode, []).append(measure(mode, "sweep", args.case,
                                                       args.scenarios))
    rate = {mode: statistics.median(r["per_second"] for r in rows)
            for mode, rows in sweeps.items()}
    print(f"  in-place sweep, {args.scenarios} scenarios, one worker (scenarios/s):")
    for mode, value in rate.items():
        last = sweeps[mode][-1]
        print(f"    {mode:12s} {value:6.2f}/s  ({value / rate['uncertified']:.2f}x uncertified;"
              f" certified {last['certified']}, second routes {last['second_routes']})")


if __name__ == "__main__":
    main()
