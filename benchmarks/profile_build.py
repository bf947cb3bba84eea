"""Where burden's build and transfer time goes: cProfile of `models.build_model`,
`highs_adapter.compile_model` and `HighsSession` on one case (solves not included).

    python benchmarks/profile_build.py CASE.xlsx [--top 15] [--sort tottime|cumulative]
    python benchmarks/profile_build.py nato_lp          # a generated case by name

Prints the wall time of each step, then the top functions of the three steps together.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", help="a workbook, or nato_lp / nato_mip / large_lp / large_mip")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    args = parser.parse_args(argv)

    from models import build_model
    from optimizer import read_inputs
    from optimizer.highs_adapter import HighsSession, compile_model

    path = Path(args.case)
    if not path.exists():
        import generate

        size, variant = args.case.split("_")
        path = generate.write_case(tempfile.mkdtemp(prefix="burden-prof-"), size, variant)
    inputs = read_inputs(path)
    build_model(inputs)  # warm-up: first-call costs are not the hot spots we look for
    profiler = cProfile.Profile()
    steps = {}
    t0 = time.perf_counter()
    profiler.enable()
    model = build_model(inputs)
    steps["build"] = time.perf_counter() - t0
    compiled = compile_model(model)
    steps["compile"] = time.perf_counter() - t0 - steps["build"]
    HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
    profiler.disable()
    steps["transfer"] = time.perf_counter() - t0 - steps["build"] - steps["compile"]
    print(f"{path.name}: " + ", ".join(f"{k} {v:.3f} s" for k, v in steps.items()) +
          " (under the profiler)")
    pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
