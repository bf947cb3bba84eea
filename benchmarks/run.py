"""`make bench`: where burden's time and memory go, against a direct highspy build.

    python benchmarks/run.py [--quick] [--repeat N] [--time-limit S] [--cases a,b,...]
                             [--json FILE] [--keep DIR]

Cases: the shipped example (`alliance`) and generated NATO-size and large workbooks, LP and
MIP (`benchmarks/generate.py`, written into a temporary folder with the `time_limit` setting
given here). For each case:

1. In one fresh worker process (so every case starts equal), N repeats of burden's own steps,
   timed one by one as `optimizer.solve` runs them — read (`read_inputs`), build
   (`models.formulate`), compile (`highs_adapter.assemble`), transfer (`HighsSession`),
   each solve stage, the duals, extract — and the same steps of the direct highspy builder
   (`benchmarks/direct_highs.py`); also the Pyomo route's build (`models.build_model`) and
   compile (`highs_adapter.compile_model`, Pyomo's standard-form compiler), which
   `solve(engine="pyomo")` takes; then `optimizer.solve` once as a whole and `write_report` N
   times. Medians are printed.
   The worker also checks that both builds give the same matrix, bounds and objectives, and
   that the stage values agree (1e-6 relative on LPs).
2. N runs of each whole process, alternated: `burden solve CASE -o R.xlsx` against
   `python benchmarks/direct_highs.py CASE -o R.xlsx` (read with openpyxl, build, solve,
   write a minimal report); medians of wall time, CPU time and peak RSS (`os.wait4`, per child).

Every step is timed twice: wall seconds and the process's CPU seconds. On a shared machine
(other test runs on the same two cores) wall time is inflated by waiting for a core; CPU time
much less so, and the printed load averages say how busy the machine was.

`--quick`: the NATO-size LP only, once. Timed assertions never go in the test suite: this
prints figures, it does not judge them (the goals, benchmarks/README.md, are shown beside them).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

ALL_CASES = ["alliance", "nato_lp", "nato_mip", "large_lp", "large_mip"]
GOALS = {"build_transfer": 5.0, "whole": {"nato_lp": 2.0, "nato_mip": 1.5, "large_mip": 1.5},
         "rss_large_lp_mib": 1024}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Worker: the in-process breakdown of one case


def burden_steps(path, times):
    """burden's solve, step by step (as `optimizer/stages.py` runs it)."""
    import numpy as np
    from direct_highs import solver_work

    from models import build_model, formulate
    from optimizer import read_inputs
    from optimizer.extract import allocation_table, deterrence_table, members_table
    from optimizer.highs_adapter import HighsSession, assemble, compile_model

    with times.step("read"):
        inputs = read_inputs(path)
    settings = inputs.settings
    with times.step("pyomo build"):
        model = build_model(inputs)
    with times.step("pyomo compile"):
        compile_model(model)
    del model
    gc.collect()
    started = time.perf_counter()
    with times.step("build"):
        layout = formulate(inputs)
    with times.step("compile"):
        compiled = assemble(layout)
    with times.step("transfer"):
        session = HighsSession(compiled, mip_gap=settings.mip_gap)
    stages, x, marginal = [], None, None
    for number, name in enumerate(layout.stages, start=1):
        costs = compiled.objectives[name]
        left = None if settings.time_limit is None else \
            max(settings.time_limit - (time.perf_counter() - started), 1e-3)
        with times.step(f"stage{number}"):
            outcome = session.minimise(costs, left)
        stages.append((name, outcome.value, outcome.status, solver_work(session.highs)))
        if outcome.x is None:
            break
        x = outcome.x
        if name == "total_cost":
            with times.step("duals"):
                duals = session.row_duals(costs, x)
            if duals is not None:
                marginal = np.full(len(layout.targets), np.nan)
                target_rows = layout.blocks["deterrence"].labels["target_row"].to_numpy()
                marginal[target_rows] = duals[compiled.block_rows("deterrence")]
        if outcome.status != "optimal":
            break
        if number < len(layout.stages):
            session.keep(costs, outcome.value)
    with times.step("extract"):
        if x is not None:
            members_table(inputs, layout, x)
            allocation = allocation_table(layout, x)
            deterrence_table(layout, allocation, settings.robustness, marginal)
    return inputs, compiled, stages, session.highs


def direct_steps(path, times):
    import direct_highs as direct

    with times.step("read"):
        case = direct.read_case(path)
    started = time.perf_counter()
    with times.step("build"):
        model = direct.build(case)
    with times.step("transfer"):
        h = direct.transfer(model, case.settings["mip_gap"])
    stages, x, duals = direct.solve_stages(h, model, case.settings["time_limit"], started,
                                           times)
    with times.step("extract"):
        tables = direct.extract(case, model, x, duals) if x is not None else ([], [], [])
    with tempfile.TemporaryDirectory() as tmp, times.step("report"):
        direct.write_minimal(Path(tmp) / "direct.xlsx", {"case": str(path)}, *tables)
    return model, stages, h


def option_differences(a, b) -> list[str]:
    """HiGHS options set differently on two instances (the time limit aside)."""
    oa, ob = a.getOptions(), b.getOptions()
    names = [n for n in dir(oa) if not n.startswith("_") and not callable(getattr(oa, n))]
    return [f"{n}: {getattr(oa, n)!r} vs {getattr(ob, n)!r}" for n in names
            if n != "time_limit" and getattr(oa, n) != getattr(ob, n)]


def same_model(compiled, model) -> bool:
    """The two builds give the same matrix, bounds, integrality and stage objectives."""
    import numpy as np

    a = compiled.matrix.copy()
    a.eliminate_zeros()
    b = model.matrix
    if a.shape != b.shape or a.nnz != b.nnz or abs(a - b).max() != 0:
        return False
    pairs = [(compiled.row_lower, model.row_lower), (compiled.row_upper, model.row_upper),
             (compiled.col_lower, model.col_lower), (compiled.col_upper, model.col_upper),
             (compiled.integer, model.integer)]
    pairs += [(compiled.objectives[k], model.objectives[k]) for k in model.objectives]
    return all(np.array_equal(np.asarray(u, float), np.asarray(v, float)) for u, v in pairs)


def worker(path: str, repeat: int) -> dict:
    import direct_highs

    import models  # noqa: F401 - imports are not part of the in-process figures
    import optimizer
    import optimizer.highs_adapter  # noqa: F401

    runs = {"burden": [], "direct": []}
    for i in range(repeat):
        log(f"  repeat {i + 1}/{repeat}: burden")
        times = direct_highs.Timings()
        inputs, compiled, b_stages, b_highs = burden_steps(path, times)
        runs["burden"].append({"wall": dict(times), "cpu": times.cpu})
        gc.collect()  # burden's Pyomo model is gone: no GC pass over it during the direct run
        log(f"  repeat {i + 1}/{repeat}: direct")
        times = direct_highs.Timings()
        d_model, d_stages, d_highs = direct_steps(path, times)
        runs["direct"].append({"wall": dict(times), "cpu": times.cpu})
        if i == 0:
            identical = same_model(compiled, d_model)
            options = option_differences(b_highs, d_highs)
            shape = compiled.matrix.shape
            sizes = {"variables": shape[1], "rows": shape[0],
                     "nonzeros": int(compiled.matrix.nnz), "mip": bool(compiled.is_mip)}
            values = {"burden": b_stages, "direct": d_stages}
        del compiled, d_model, b_highs, d_highs
        gc.collect()
    log("  solve() whole, write_report")
    wall, cpu = time.perf_counter(), time.process_time()
    result = optimizer.solve(inputs)
    whole = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    report = direct_highs.Timings()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            with report.step(i):
                optimizer.write_report(result, Path(tmp) / "report.xlsx")
    for run in runs["burden"]:
        run["wall"]["report"] = statistics.median(report.values())
        run["cpu"]["report"] = statistics.median(report.cpu.values())
    return {"sizes": sizes, "same_model": identical, "options": options, "values": values,
            "runs": runs,
            "solve_whole": whole, "solve_status": result.status}


# ---------------------------------------------------------------------------------------------
# Whole processes


def timed_process(cmd: list[str], cwd: Path) -> dict:
    """Run `cmd`: wall and CPU seconds, peak RSS (MiB) of this child alone, exit code, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mib": usage.ru_maxrss / 1024, "code": child.returncode,
                "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")[-2000:]}


def whole_processes(path: Path, repeat: int, tmp: Path) -> dict:
    burden_cli = Path(sys.executable).parent / "burden"
    commands = {
        "burden": [str(burden_cli), "solve", str(path), "-o", str(tmp / "burden-report.xlsx"),
                   "--json"],
        "direct": [sys.executable, str(HERE / "direct_highs.py"), str(path), "-o",
                   str(tmp / "direct-report.xlsx"), "--json"],
    }
    runs = {name: [] for name in commands}
    for i in range(repeat):
        for name, cmd in commands.items():
            log(f"  process {i + 1}/{repeat}: {name}")
            runs[name].append(timed_process(cmd, tmp))
    summary = {}
    for name, items in runs.items():
        bad = [r for r in items if r["code"] != 0]
        if bad:
            log(f"  {name} exited {bad[0]['code']}: {bad[0]['stderr']}")
        summary[name] = {key: statistics.median(r[key] for r in items)
                         for key in ("seconds", "cpu", "rss_mib")}
        summary[name]["all_seconds"] = [round(r["seconds"], 3) for r in items]
        summary[name]["codes"] = [r["code"] for r in items]
    try:
        summary["burden"]["summary"] = json.loads(runs["burden"][-1]["stdout"])
    except ValueError:
        summary["burden"]["summary"] = None
    return summary


# ---------------------------------------------------------------------------------------------
# Sweep throughput (reported as not available when the sweep cannot run)


def sweep_available() -> bool:
    try:
        from optimizer import run_sweep  # noqa: F401
    except ImportError:
        return False
    return True


def sweep_throughput(path: Path) -> float:
    """Scenarios per second of a 20-scenario `targets.scale` grid with workers=1."""
    from optimizer import read_inputs, run_sweep

    inputs = read_inputs(path)
    values = [f"{0.9 + 0.01 * i:.2f}" for i in range(20)]
    t0 = time.perf_counter()
    table = run_sweep(inputs, grid=[("targets.scale", values)], out=None, workers=1).table
    return len(table) / (time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Output


def medians(runs: list[dict], kind: str) -> dict:
    keys = list(dict.fromkeys(k for r in runs for k in r[kind]))
    return {k: statistics.median(r[kind][k] for r in runs if k in r[kind]) for k in keys}


def relative(a, b) -> float:
    if a is None or b is None:
        return float("nan")
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 1e-7 else abs(a - b)


def fmt(seconds) -> str:
    return "" if seconds is None else f"{seconds:.3f}"


def ratio(a, b) -> str:
    return "" if not a or not b else f"{a / b:.1f}x"


def print_case(console, name, data, proc, load) -> dict:
    from rich import box
    from rich.table import Table

    sizes = data["sizes"]
    runs = data["runs"]
    bw, dw = medians(runs["burden"], "wall"), medians(runs["direct"], "wall")
    bc, dc = medians(runs["burden"], "cpu"), medians(runs["direct"], "cpu")
    console.print(f"\n{name}: {sizes['variables']:,} variables, {sizes['rows']:,} rows, "
                  f"{sizes['nonzeros']:,} nonzeros{' (MIP)' if sizes['mip'] else ''}; "
                  f"same matrix as direct: {'yes' if data['same_model'] else 'NO'}; "
                  f"HiGHS options: {'same' if not data['options'] else 'DIFFER'}; "
                  f"load average {load[0]:.1f} -> {load[1]:.1f}", soft_wrap=True)
    for line in data["options"]:
        console.print(f"  option differs (burden vs direct): {line}")
    table = Table(box=box.MARKDOWN)
    for column in ("step", "burden s", "direct s", "ratio", "burden CPU s", "direct CPU s",
                   "CPU ratio"):
        table.add_column(column, justify="left" if column == "step" else "right", no_wrap=True)
    stage_names = [s[0] for s in data["values"]["burden"]]
    steps = ["read", "build", "compile", "transfer"] + \
        [f"stage{i}" for i in range(1, len(stage_names) + 1)] + ["duals", "extract", "report"]
    reference = ["pyomo build", "pyomo compile"]  # the Pyomo route, not in the sums

    def row(label, b_wall, d_wall, b_cpu, d_cpu, **style):
        table.add_row(label, fmt(b_wall), fmt(d_wall), ratio(b_wall, d_wall), fmt(b_cpu),
                      fmt(d_cpu), ratio(b_cpu, d_cpu), **style)

    for step in steps:
        label = step if not step.startswith("stage") else \
            f"{step} {stage_names[int(step[5:]) - 1]}"
        row(label, bw.get(step), dw.get(step), bc.get(step), dc.get(step))

    def build_transfer(b, d, route=("build", "compile")):
        return sum(b[k] for k in route) + b["transfer"], d["build"] + d["transfer"]

    btw, btc = build_transfer(bw, dw), build_transfer(bc, dc)
    row("build+compile+transfer", *btw, *btc, style="bold")
    row("sum of steps", sum(bw[k] for k in bw if k not in reference), sum(dw.values()),
        sum(bc[k] for k in bc if k not in reference), sum(dc.values()))
    for step in reference:
        row(f"{step} (engine=pyomo)", bw.get(step), None, bc.get(step), None)
    pyomo_route = ("pyomo build", "pyomo compile")
    row("build+compile+transfer (engine=pyomo)", *build_transfer(bw, dw, pyomo_route),
        *build_transfer(bc, dc, pyomo_route))
    row("optimizer.solve() once", data["solve_whole"]["wall"], None,
        data["solve_whole"]["cpu"], None)
    pb, pd = proc["burden"], proc["direct"]
    row("whole process", pb["seconds"], pd["seconds"],
        pb["cpu"], pd["cpu"], style="bold")
    table.add_row("whole process peak RSS MiB", f"{pb['rss_mib']:.0f}", f"{pd['rss_mib']:.0f}",
                  ratio(pb["rss_mib"], pd["rss_mib"]), "", "", "")
    console.print(table)

    check = Table(box=box.MARKDOWN)
    for column in ("stage", "burden", "status", "HiGHS work", "direct", "status ",
                   "HiGHS work ", "rel. diff"):
        check.add_column(column, justify="right" if column in ("burden", "direct", "rel. diff")
                         else "left")
    worst = 0.0
    for (n, vb, sb, wb), (_, vd, sd, wd) in zip(data["values"]["burden"],
                                                data["values"]["direct"]):
        diff = relative(vb, vd)
        worst = max(worst, diff)
        check.add_row(n, f"{vb:.10g}" if vb is not None else "-", sb, wb,
                      f"{vd:.10g}" if vd is not None else "-", sd, wd, f"{diff:.1e}")
    console.print(f"{name}: stage values (in-process), burden vs direct")
    console.print(check)
    return {"build_transfer": btw, "build_transfer_cpu": btc,
            "whole": (pb["seconds"], pd["seconds"]), "whole_cpu": (pb["cpu"], pd["cpu"]),
            "rss": pb["rss_mib"], "worst_diff": worst, "mip": sizes["mip"]}


def print_goals(console, rows: dict) -> None:
    from rich import box
    from rich.table import Table

    console.print("\ngoals (this run): build = build+compile+transfer / direct build+"
                  "transfer (burden's default route, engine=matrix); whole = `burden solve` process / direct process; wall time, CPU "
                  "time in brackets; RSS = peak of `burden solve`", soft_wrap=True)
    table = Table(box=box.MARKDOWN)
    for column in ("case", "build", "goal", "whole", "goal ", "RSS MiB", "goal  ",
                   "stage values agree"):
        table.add_column(column, justify="left" if column == "case" else "right", no_wrap=True)

    def verdict(value, goal, below=False):
        if goal is None:
            return ""
        ok = value < goal if below else value <= goal
        return f"{'<' if below else '<='} {goal:g}{'' if below else 'x'} " \
            f"{'met' if ok else 'MISSED'}"

    for name, r in rows.items():
        bt = r["build_transfer"][0] / r["build_transfer"][1]
        btc = r["build_transfer_cpu"][0] / r["build_transfer_cpu"][1]
        wh = r["whole"][0] / r["whole"][1]
        whc = r["whole_cpu"][0] / r["whole_cpu"][1]
        goal_b = GOALS["build_transfer"] if name.split("_")[0] in ("nato", "large") else None
        goal_w = GOALS["whole"].get(name)
        goal_r = GOALS["rss_large_lp_mib"] if name == "large_lp" else None
        tol = 1e-5 if r["mip"] else 1e-6
        table.add_row(name, f"{bt:.1f}x ({btc:.1f}x)", verdict(max(bt, btc), goal_b),
                      f"{wh:.2f}x ({whc:.2f}x)", verdict(wh, goal_w),
                      f"{r['rss']:.0f}", verdict(r["rss"], goal_r, below=True),
                      f"{r['worst_diff']:.1e} ({'yes' if r['worst_diff'] <= tol else 'NO'})")
    console.print(table)


# ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="burden benchmarks")
    parser.add_argument("--quick", action="store_true", help="the NATO-size LP only, once")
    parser.add_argument("--repeat", type=int, default=3, help="repeats per figure (median)")
    parser.add_argument("--time-limit", type=float, default=300.0,
                        help="the time_limit setting of the generated cases (seconds)")
    parser.add_argument("--cases", default=",".join(ALL_CASES),
                        help=f"comma-separated, among {', '.join(ALL_CASES)}")
    parser.add_argument("--json", help="also write the raw figures to this file")
    parser.add_argument("--keep", help="write the generated cases here and keep them")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat)))
        return 0

    import generate
    from rich.console import Console

    console = Console(width=max(Console().width, 140))
    cases = ["nato_lp"] if args.quick else [c.strip() for c in args.cases.split(",") if c]
    repeat = 1 if args.quick else args.repeat
    tmp_root = tempfile.TemporaryDirectory(prefix="burden-bench-")
    tmp = Path(tmp_root.name)
    case_dir = Path(args.keep).resolve() if args.keep else tmp / "cases"  # children: other cwd
    paths = {}
    for name in cases:
        if name == "alliance":
            paths[name] = ROOT / "inputs" / "alliance.xlsx"
        else:
            size, variant = name.split("_")
            paths[name] = generate.write_case(case_dir, size, variant,
                                              time_limit=args.time_limit)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--short", "--", "optimizer", "models"], cwd=ROOT,
                           text=True, capture_output=True).stdout.split("\n")
    dirty = [line[3:] for line in dirty if line.strip()]
    console.print(f"burden benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} "
                  f"cores, Python {sys.version.split()[0]}, repeat {repeat} (medians), "
                  f"time_limit {args.time_limit:g} s on the generated cases; burden at "
                  f"{head or '?'}" +
                  (f" with uncommitted changes to {', '.join(dirty)}" if dirty else ""),
                  soft_wrap=True)
    raw, goal_rows = {}, {}
    for name in cases:
        log(f"{name}: in-process breakdown ({paths[name]})")
        load_before = os.getloadavg()[0]
        done = subprocess.run([sys.executable, __file__, "--worker", str(paths[name]),
                               "--repeat", str(repeat)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
        if done.returncode != 0:
            console.print(f"{name}: worker failed (exit {done.returncode})")
            continue
        data = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"{name}: whole processes")
        proc = whole_processes(paths[name], repeat, tmp)
        load = (load_before, os.getloadavg()[0])
        raw[name] = {"in_process": data, "process": proc, "load": load}
        goal_rows[name] = print_case(console, name, data, proc, load)
        if args.json:  # after every case, so a long run interrupted keeps what it measured
            Path(args.json).write_text(json.dumps(raw, indent=1, default=str))
    if goal_rows:
        print_goals(console, goal_rows)

    console.rule("sweep throughput")
    if not sweep_available():
        console.print("sweep throughput: not yet available (optimizer.run_sweep cannot be "
                      "imported)")
    elif args.quick:
        console.print("sweep throughput: skipped by --quick")
    else:
        nato = paths.get("nato_lp") or generate.write_case(case_dir, "nato", "lp",
                                                           time_limit=args.time_limit)
        try:
            rate = sweep_throughput(nato)
        except Exception as error:  # noqa: BLE001 - a failed sweep is reported, not raised
            console.print(f"sweep throughput: not yet available ({type(error).__name__}: "
                          f"{error})")
        else:
            console.print(f"sweep throughput: {rate:.2f} scenarios/s (nato LP, 20-scenario "
                          "targets.scale grid, workers=1)")
            raw["sweep_rate"] = rate
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=1, default=str))
    tmp_root.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
