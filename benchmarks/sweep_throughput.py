"""Sweep throughput (issues 4 and 5): a 200-scenario `targets.scale` grid on a generated
NATO-size LP, with one worker, on the process pool and on a Dask LocalCluster, in one run.

    .venv/bin/python benchmarks/generate.py cases/ --size nato --variant lp
    .venv/bin/python benchmarks/sweep_throughput.py cases/nato_lp.xlsx [--scenarios 200]
"""

import argparse
import time

from optimizer import read_inputs, run_sweep


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case")
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    inputs = read_inputs(args.case)
    values = [f"{0.8 + k * 0.004:.3f}" for k in range(args.scenarios)]
    for label, scheduler in (("process pool", None), ("dask local", "local")):
        started = time.perf_counter()
        table = run_sweep(inputs, workers=args.workers, scheduler=scheduler,
                          grid=[("targets.scale", values)])
        seconds = time.perf_counter() - started
        print(f"{label}: {len(table)} scenarios in {seconds:.1f} s = "
              f"{len(table) / seconds:.2f}/s; {table['status'].value_counts().to_dict()}",
              flush=True)


if __name__ == "__main__":
    main()
