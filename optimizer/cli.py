"""The `burden` command: thin glue between arguments and the public API.

Exit codes: 0 solved (also with shortfall), 1 no solution, 2 bad input or usage.
No traceback reaches a planner unless `--debug` asks for it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of the output went away (`| head -1`)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


class _Group(click.Group):
    """Turns any unexpected exception into one line and exit code 1 (2 for bad input); under
    `--json` the same as a JSON object on stdout."""

    def invoke(self, ctx):
        ctx.obj = ctx.obj or {}
        args = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        ctx.obj["json"] = "--json" in args
        try:
            return super().invoke(ctx)
        except _input_error() as error:
            _print_problems(error)
            _json_error("input_error", problems=[_problem_dict(p) for p in error.problems])
            sys.exit(EXIT_BAD_INPUT)
        except click.UsageError as error:
            _json_error("usage_error", message=error.format_message())
            raise
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            _json_error("interrupted", message="interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as error:  # noqa: BLE001 - a planner sees one line, never a traceback
            if ctx.obj.get("debug"):
                raise
            click.echo(f"error: {type(error).__name__}: {error} (run with --debug for details)",
                       err=True)
            _json_error("error", message=f"{type(error).__name__}: {error}")
            sys.exit(EXIT_NO_SOLUTION)


def _input_error() -> type:
    """`InputError` (no problem can have been found before the inputs module was loaded)."""
    module = sys.modules.get("optimizer.inputs")
    return module.InputError if module is not None else _NeverRaised


class _NeverRaised(Exception):
    pass


def _print_problems(error) -> None:
    count = len(error.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} in the input:", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)


def _problem_dict(problem) -> dict:
    from dataclasses import asdict

    fields = {k: v for k, v in asdict(problem).items()}
    value = fields.get("value")
    fields["value"] = None if type(value) is object else _jsonable(value)
    if not isinstance(fields["value"], (str, int, float, bool, type(None))):
        fields["value"] = str(fields["value"])
    return {**fields, "message": str(problem)}


def _wants_json() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and (ctx.find_root().obj or {}).get("json"))


def _json_error(status: str, **fields) -> None:
    """Under --json, an error as one JSON object on stdout."""
    if _wants_json():
        click.echo(json.dumps({"status": status, **fields}, indent=2))


def _say(*lines) -> None:
    """Lines for the planner on stdout, unless --quiet or --json asked for none."""
    ctx = click.get_current_context(silent=True)
    obj = (ctx.find_root().obj or {}) if ctx is not None else {}
    if not obj.get("quiet") and not obj.get("json"):
        for line in lines:
            click.echo(line)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="\b\nExamples:\n  burden template my-case.xlsx\n"
                    "  burden validate my-case.xlsx\n  burden solve my-case.xlsx -o report.xlsx\n"
                    "  burden sweep my-case.xlsx --grid targets.scale=1,1.2,1.5\n"
                    "Run burden COMMAND --help for each command's options.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks (for developers).")
@click.version_option(package_name="burden")
@click.pass_context
def main(ctx, debug):
    """burden: share the burden of deterrence across an alliance.

    Exit codes: 0 solved (also with a shortfall), 1 no solution, 2 bad input or usage,
    130 interrupted (Ctrl-C)."""
    ctx.obj = {**(ctx.obj or {}), "debug": debug}


def _limits(command):
    """The reading limits (`--max-file-mb`, `--max-cells`) and `--previous` on a command."""
    command = click.option(
        "--previous", type=click.Path(dir_okay=False), default=None, metavar="REPORT.xlsx",
        help="Last year's report: its members sheet is the previous plan (for "
             "settings.max_change and tie_break previous_plan).")(command)
    command = click.option(
        "--max-cells", type=click.IntRange(min=1), default=5_000_000, show_default=True,
        help="Refuse a workbook whose sheets declare XML for more cells than this.")(command)
    return click.option(
        "--max-file-mb", type=click.FloatRange(min=0, min_open=True), default=50.0,
        show_default=True, help="Refuse an input file larger than this (MB).")(command)


def _remember(name):
    def callback(ctx, _param, value):
        ctx.find_root().obj = {**(ctx.find_root().obj or {}), name: value}
        return value
    return callback


def _common(command, solves: bool = True):
    """--json and --quiet on every command; with `solves`, --set and --time-limit too."""
    if solves:
        command = click.option(
            "--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
            metavar="SECONDS",
            help="Stop each solve after this many seconds (settings.time_limit).")(command)
        command = click.option(
            "--set", "overrides", multiple=True, metavar="PATH=VALUE",
            help="Override an input first, e.g. --set settings.objective=min_max_burden "
                 "(repeatable; paths as in burden sweep --help).")(command)
    command = click.option("--quiet", "-q", is_flag=True, callback=_remember("quiet"),
                           expose_value=False,
                           help="Print nothing but warnings and errors.")(command)
    return click.option("--json", "as_json", is_flag=True, callback=_remember("json"),
                        help="Print the outcome, or the problems, as JSON on stdout.")(command)


def _common_plain(command):
    return _common(command, solves=False)


def _with_time_limit(overrides, time_limit) -> tuple:
    return (*overrides, f"settings.time_limit={time_limit!r}") if time_limit else overrides


def _load(path: str, overrides: tuple[str, ...] = (), max_file_mb: float = 50.0,
          max_cells: int = 5_000_000, previous: str | None = None):
    from .inputs import read_inputs
    from .scenario import parse_assignment

    inputs = read_inputs(path, previous=previous, max_file_mb=max_file_mb,
                         max_cells=max_cells)
    if overrides:
        pairs = dict(parse_assignment(text) for text in overrides)
        inputs = inputs.with_overrides(pairs)
    return inputs


def _default_output(input_path: str, suffix: str) -> Path:
    return Path.cwd() / f"{Path(input_path).stem}-{suffix}.xlsx"


def _usage_error(message: str):
    """One plain line and exit 2 (bad usage), as JSON on stdout under --json."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and (ctx.find_root().obj or {}).get("json"):
        click.echo(json.dumps({"status": "usage_error", "message": message}, indent=2))
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _check_folder(output: Path) -> None:
    """The folder an output goes into exists and can be written, before any work is done."""
    import os

    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        _usage_error(f"-o {output} is a folder; name the workbook to write")
    if not folder.is_dir():
        _usage_error(f"-o {output}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        _usage_error(f"-o {output}: the folder {folder} cannot be written")


def _check_output(input_path: str, output: Path) -> None:
    from .report import same_file

    if same_file(Path(input_path), output):
        raise click.UsageError(f"-o {output} names the input itself; the input is never "
                               "overwritten: choose another report path")
    if output.suffix.lower() != ".xlsx":
        raise click.UsageError(f"-o {output}: the report is an .xlsx workbook")


def _prepare(input_path: str, output, suffix: str, overrides=(), **limits):
    """The output path (default `<input stem>-<suffix>.xlsx`, never the input) and the
    validated inputs, their warnings printed."""
    output = Path(output) if output else _default_output(input_path, suffix)
    _check_output(input_path, output)
    _check_folder(output)
    inputs = _load(input_path, overrides, **limits)
    for warning in inputs.warnings:
        click.echo(f"warning: {warning}", err=True)
    return output, inputs


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def certificate_sentence(summary: dict) -> str:
    """Whether every stage's optimum carries a certificate, with its largest residual."""
    if not summary.get("certified"):
        return ("optimum: not certified (a stage stopped early, or its optimum could not be "
                "proven); see the stages sheet")
    routes = summary.get("second_routes") or 0
    again = f"; {routes} stage{'s' if routes != 1 else ''} solved by a second route" \
        if routes else ""
    return (f"optimum: certified (largest residual {summary['max_residual']:.1e}, duality gap "
            f"{summary['max_gap']:.1e}{again})")


def certification_line(table) -> str:
    """How many scenarios' optima were certified, and how many needed a second route."""
    solved = table[table["status"].isin(("optimal", "optimal_with_shortfall"))]
    certified = int((solved["certified"] == True).sum())  # noqa: E712 - None is not True
    again = int((solved["second_routes"].fillna(0) > 0).sum())
    return (f"certified optima: {certified} of {len(solved)} solved scenarios; "
            f"{again} needed a second solver route")


def _emit_json(payload: dict) -> None:
    click.echo(json.dumps(payload, indent=2, default=str))


_WORKERS = click.option("--workers", type=click.IntRange(min=1), default=None,
                        help="Worker processes (default: the number of cores).")
_SCHEDULER = click.option(
    "--scheduler", default=None, metavar="local|ADDRESS",
    help="Run on Dask: 'local' starts a LocalCluster, or a scheduler address "
         "(tcp://host:8786). Needs the extra 'cluster'.")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Report path (default: <input stem>-report.xlsx in this folder).")
@click.option("--engine", type=click.Choice(["matrix", "pyomo"]), default="matrix",
              show_default=True,
              help="How the model reaches HiGHS: arrays straight from the formulation, or "
                   "through the Pyomo model (same matrices, slower; for cross-checks).")
@click.option("--solver", default="highs", show_default=True, metavar="NAME",
              help="The solver of the stages: highs (highspy, the fast path), or any solver "
                   "Pyomo runs here (glpk, cbc, scip, gurobi, cplex, ...); every answer is "
                   "certified on burden's own matrices.")
@click.option("--what-it-takes/--no-what-it-takes", "what_it_takes", default=True,
              show_default=True,
              help="For a plan left short or infeasible, also find the least raise of the caps "
                   "that would meet every target, and the targets cut instead (the brief and "
                   "the what it takes sheet).")
@click.option("--relax-personnel", is_flag=True,
              help="What it would take raises the deployable personnel too, not only the caps.")
@_common
@_limits
def solve(input_path, output, overrides, time_limit, as_json, engine, solver, what_it_takes,
          relax_personnel, max_file_mb, max_cells, previous):
    """Solve INPUT and write its report.

    \b
    Examples:
      burden solve case.xlsx                    # report: ./case-report.xlsx
      burden solve case.xlsx -o out.xlsx --set settings.objective=min_max_burden
      burden solve case.xlsx --time-limit 60 --json
      burden solve case.xlsx --solver glpk
      burden solve case.xlsx --previous last-year-report.xlsx --set settings.max_change=0.1
      burden solve case.xlsx --no-what-it-takes      # short or infeasible: no relaxation
    """
    from . import solve as run_solve
    from . import write_report

    if solver != "highs":
        _check_solver(solver)
    output, inputs = _prepare(input_path, output, "report",
                              _with_time_limit(overrides, time_limit),
                              max_file_mb=max_file_mb, max_cells=max_cells, previous=previous)
    relax = ("caps", "personnel") if relax_personnel else ("caps",)
    result = run_solve(inputs, engine=engine, solver=solver,
                       what_it_takes=relax if what_it_takes else False)
    written = write_report(result, output, overwrite_input=str(input_path))
    if as_json:
        summary = {k: _jsonable(v) for k, v in result.summary.items()}
        summary["conflicts"] = result.conflicts
        summary["what_it_takes"] = list(result.what_it_takes_lines)
        summary["warnings"] = list(result.warnings)
        summary["report"] = str(written)
        _emit_json(summary)
    else:
        _print_summary(result, written)
    sys.exit(EXIT_SOLVED if result.solved else EXIT_NO_SOLUTION)


def _check_solver(name: str) -> None:
    """An unavailable solver: one line (the problem) and exit 2, as JSON under --json."""
    from .errors import InputError
    from .pyomo_solvers import check_solver

    try:
        check_solver(name)
    except InputError as error:
        _json_error("input_error", problems=[_problem_dict(p) for p in error.problems])
        click.echo(f"error: --solver {name}: not found; expected "
                   f"{error.problems[0].expected}", err=True)
        sys.exit(EXIT_BAD_INPUT)


def _print_summary(result, written: Path) -> None:
    """The status, then the brief (the report's first sheet), warnings and the report's path."""
    from .brief import brief_lines

    lines = [f"status: {result.status}"]
    if result.solved:
        lines.append(certificate_sentence(result.summary))
    _say(*lines, *(result.brief or brief_lines(result)))
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    _say(f"report: {written}")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@_common
@_limits
def validate(input_path, overrides, time_limit, as_json, max_file_mb, max_cells, previous):
    """Read and check INPUT only (its scenarios too); print counts or every problem.

    \b
    Examples:
      burden validate case.xlsx
      burden validate cases/                    # a folder of .csv files
      burden validate case.xlsx --set members.floor_gdp_share=0.02 --json
    """
    from .sweep import sheet_scenarios, validate_scenarios

    inputs = _load(input_path, _with_time_limit(overrides, time_limit),
                   max_file_mb=max_file_mb, max_cells=max_cells, previous=previous)
    validate_scenarios(inputs, sheet_scenarios(inputs))
    for warning in inputs.warnings:
        click.echo(f"warning: {warning}", err=True)
    present = len(inputs.present_members)
    if as_json:
        _emit_json({"status": "valid", "input": str(input_path),
                    "members": len(inputs.members), "present": present,
                    "capabilities": len(inputs.capabilities), "regions": len(inputs.regions),
                    "years": inputs.years, "targets": len(inputs.targets),
                    "equipment_types": len(inputs.equipment),
                    "scenarios": len(inputs.scenarios),
                    "objective": inputs.settings.objective,
                    "fair_share": inputs.settings.fair_share,
                    "warnings": list(inputs.warnings)})
        return
    _say(f"{Path(input_path).name}: valid",
         f"  members: {len(inputs.members)} ({present} present)",
         f"  capabilities: {len(inputs.capabilities)}, regions: {len(inputs.regions)}, "
         f"years: {inputs.years[0]}-{inputs.years[-1]} ({len(inputs.years)})",
         f"  targets: {len(inputs.targets)}, equipment types: {len(inputs.equipment)}, "
         f"scenarios: {len(inputs.scenarios)}",
         f"  objective: {inputs.settings.objective}, fair share: "
         f"{inputs.settings.fair_share}")


def _override_paths() -> str:
    from .schema import OVERRIDE_PATHS

    width = max(len(path) for path, _ in OVERRIDE_PATHS)
    return "\b\nOverride paths (the scenarios sheet's columns, --grid and --set):\n" + "\n".join(
        f"  {path:<{width}}  {meaning}" for path, meaning in OVERRIDE_PATHS)


def _set_identity(sha256: str, overrides: tuple) -> str:
    """What a sweep's store keys scenarios by: the input's hash, and the --set overrides
    every scenario starts from."""
    if not overrides:
        return sha256
    import hashlib

    return hashlib.sha256(f"{sha256}\n--set {sorted(overrides)!r}".encode()).hexdigest()


@main.command(epilog=_override_paths())
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--grid", "grids", multiple=True, metavar="PATH=V1,V2,...",
              help="Cross the scenarios with these values of PATH (repeatable).")
@click.option("--each-member-absent", is_flag=True,
              help="Add one scenario per member standing aside, and an absence ranking.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Sweep workbook (default: <input stem>-sweep.xlsx); its store is the same "
              "name with .sqlite.")
@_WORKERS
@_SCHEDULER
@click.option("--fresh", is_flag=True,
              help="Solve every scenario from scratch instead of editing the worker's loaded "
                   "model (slower; figures then independent of scenario order).")
@click.option("--what-it-takes", "what_it_takes", is_flag=True,
              help="For each scenario short or infeasible, also the least raise of the caps "
                   "that meets every target (columns what_it_takes, cap_raise, "
                   "members_raised).")
@_common
@_limits
def sweep(input_path, grids, each_member_absent, output, workers, scheduler, fresh,
          what_it_takes, overrides, time_limit, as_json, max_file_mb, max_cells, previous):
    """Solve every scenario of INPUT (its scenarios sheet crossed with each --grid).

    A sweep interrupted (Ctrl-C, or killed) resumes where it stopped when run again.

    \b
    Examples:
      burden sweep case.xlsx                    # the scenarios sheet's rows
      burden sweep case.xlsx --grid "targets[east].scale=1,1.2,1.5" -o east.xlsx
      burden sweep case.xlsx --grid members.floor_gdp_share=0.02,0.035 \\
          --each-member-absent
    """
    from .store import StoreLocked
    from .sweep import (
        console_progress,
        expand_scenarios,
        parse_grid,
        run_sweep,
        store_identity,
    )

    overrides = _with_time_limit(overrides, time_limit)
    output, inputs = _prepare(input_path, output, "sweep", overrides, max_file_mb=max_file_mb,
                              max_cells=max_cells, previous=previous)
    identity = _set_identity(inputs.sha256, overrides)
    grid = [parse_grid(text) for text in grids]
    scenarios = expand_scenarios(inputs, grid, each_member_absent)
    total = len(scenarios)
    quiet = _quiet()
    update, close = console_progress() if not quiet else (lambda *a: None, lambda: None)
    told = []

    def progress(done, count, already):
        if not told:
            told.append(True)
            if already and not quiet:
                click.echo(f"{already} of {count} scenarios already done in "
                           f"{output.with_suffix('.sqlite')}; solving the other "
                           f"{count - already}", err=True)
        update(done, count, already)

    try:
        table = run_sweep(inputs, out=output, workers=workers, scheduler=scheduler, grid=grid,
                          each_member_absent=each_member_absent, progress=progress,
                          persistent=not fresh, identity=identity,
                          what_it_takes=what_it_takes).table
    except StoreLocked as error:
        close()
        _store_locked(error)
    except KeyboardInterrupt:
        close()
        _interrupted(output.with_suffix(".sqlite"), scenarios,
                     store_identity(identity, what_it_takes=what_it_takes), "scenarios")
    finally:
        close()
    counts = table["status"].value_counts().to_dict()
    if as_json:
        _emit_json({"status": "done", "scenarios": total,
                    "statuses": {str(k): int(v) for k, v in sorted(counts.items())},
                    "workbook": str(output), "store": str(output.with_suffix(".sqlite")),
                    "rows": json.loads(table.to_json(orient="records"))})
    _say(f"{len(table)} of {total} scenarios: " +
         ", ".join(f"{n} {status}" for status, n in sorted(counts.items())),
         certification_line(table), f"sweep workbook: {output}")
    sys.exit(EXIT_SOLVED)


def _store_locked(error) -> None:
    """Another sweep holds the store: one line (JSON under --json), exit 1."""
    click.echo(f"error: {error}", err=True)
    _json_error("store_locked", message=str(error))
    sys.exit(EXIT_NO_SOLUTION)


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    obj = (ctx.find_root().obj or {}) if ctx is not None else {}
    return bool(obj.get("quiet") or obj.get("json"))


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--points", type=click.IntRange(min=2), default=11, show_default=True,
              help="Points on the curve, ends included.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Frontier workbook (default: <input stem>-frontier.xlsx).")
@_common
@_limits
def frontier(input_path, points, output, overrides, time_limit, as_json, max_file_mb,
             max_cells, previous):
    """The cost-fairness frontier: least cost for each allowed deviation from fair shares.

    \b
    Examples:
      burden frontier case.xlsx --points 11
      burden frontier case.xlsx --set settings.fair_share=population -o fair.xlsx
    """
    from .tradeoff import frontier as run_frontier

    output, inputs = _prepare(input_path, output, "frontier",
                              _with_time_limit(overrides, time_limit),
                              max_file_mb=max_file_mb, max_cells=max_cells, previous=previous)
    study = run_frontier(inputs, points=points)
    curve = study.table
    solved = curve["total_cost"].notna()
    study.to_excel(output)
    if as_json:
        _emit_json({"status": "solved" if solved.any() else str(curve["status"].iloc[0]),
                    "points": json.loads(curve.to_json(orient="records")),
                    "workbook": str(output)})
    for _, row in curve[solved].iterrows():
        _say(f"deviation {row['deviation']:,.1f}  total cost {row['total_cost']:,.1f}  "
             f"max burden {row['max_burden']:.2%}")
    if not solved.any():
        _say(f"status: {curve['status'].iloc[0]}")
    _say(f"frontier workbook: {output}")
    sys.exit(EXIT_SOLVED if solved.any() else EXIT_NO_SOLUTION)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--samples", type=click.IntRange(min=1), default=200, show_default=True,
              help="Random orders of the members to sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sampling.")
@click.option("--exact", is_flag=True,
              help="Enumerate every coalition instead of sampling (at most 10 members).")
@_WORKERS
@_SCHEDULER
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Shapley workbook (default: <input stem>-shapley.xlsx); its store of "
              "coalition values is the same name with .sqlite.")
@_common
@_limits
def shapley(input_path, samples, seed, exact, workers, scheduler, output, overrides,
            time_limit, as_json, max_file_mb, max_cells, previous):
    """Each member's Shapley share of the alliance's deterrence, beside fair and cost share.

    \b
    Examples:
      burden shapley case.xlsx --samples 500 --seed 1
      burden shapley case.xlsx --exact     # every coalition (up to 10 members)
    """
    from .coalitions import EXACT_LIMIT, ShapleyError
    from .coalitions import shapley as run_shapley
    from .store import StoreLocked
    from .sweep import console_progress

    output, inputs = _prepare(input_path, output, "shapley",
                              _with_time_limit(overrides, time_limit),
                              max_file_mb=max_file_mb, max_cells=max_cells, previous=previous)
    if exact and len(inputs.present_members) > EXACT_LIMIT:
        _usage_error(f"--exact: {len(inputs.present_members)} members present; --exact "
                     f"enumerates 2^n coalitions, at most {EXACT_LIMIT} members (sample "
                     "instead: --samples N)")
    update, close = console_progress(label="coalitions") if not _quiet() else \
        (lambda *a: None, lambda: None)
    try:
        table = run_shapley(inputs, samples=samples, seed=seed, workers=workers,
                            scheduler=scheduler, out=output, progress=update, exact=exact)
    except (StoreLocked, ShapleyError) as error:
        close()
        click.echo(f"error: {error}", err=True)
        _json_error("error", message=str(error))
        sys.exit(EXIT_NO_SOLUTION)
    except KeyboardInterrupt:
        close()
        from .store import saved_keys

        store = output.with_suffix(".sqlite")
        click.echo(f"interrupted: {len(saved_keys(store))} coalition values are saved in "
                   f"{store}; run the same command again to solve only the others", err=True)
        _json_error("interrupted", message="interrupted", store=str(store))
        sys.exit(EXIT_INTERRUPTED)
    finally:
        close()
    study, table = table, table.table
    if as_json:
        _emit_json({"status": "done", "v_grand": study.value, "W": study.total_priority,
                    "samples": study.samples, "exact": exact,
                    "coalitions": study.needed, "solved": study.solved,
                    "from_store": study.from_store, "notes": study.notes,
                    "members": json.loads(table.to_json(orient="records")),
                    "workbook": str(output)})
    how = "every coalition (exact)" if exact else f"{study.samples} sampled orders"
    _say(f"v(M) = {study.value:.6g} of W = {study.total_priority:.6g} priority-weighted "
         f"targets; {how}, {study.needed} coalitions "
         f"({study.solved} solved now, {study.from_store} from the store)",
         f"{'member':<20} {'shapley':>10} {'std err':>10} {'share':>8} {'fair':>8} "
         f"{'cost':>8}")
    for row in table.itertuples(index=False):
        _say(f"{str(row.member)[:20]:<20} {row.shapley_value:>10.4f} "
             f"{row.standard_error:>10.4f} {_percent(row.deterrence_share):>8} "
             f"{_percent(row.fair_share):>8} {_percent(row.cost_share):>8}")
    _say(*(f"note: {note}" for note in study.notes), f"shapley workbook: {output}")
    sys.exit(EXIT_SOLVED)


@main.command("ranges")
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--slack", default=None, metavar="EPS",
              help="Total cost allowed above its least, as a fraction (default: the setting "
                   "negotiation_slack, 0.01 unless the workbook says otherwise).")
@click.option("--by-year", is_flag=True, help="A range for each member and year.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: 1, in this process).")
@_SCHEDULER
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Ranges workbook (default: <input stem>-ranges.xlsx); its store of bounds "
              "is the same name with .sqlite.")
@_common
@_limits
def ranges_command(input_path, slack, by_year, workers, scheduler, output, overrides,
                   time_limit, as_json, max_file_mb, max_cells, previous):
    """Room to negotiate: each member's least and largest cost with the alliance's total
    within (1 + EPS) of its least.

    An interrupted run resumes where it stopped when run again.

    \b
    Examples:
      burden ranges case.xlsx                   # slack: settings.negotiation_slack
      burden ranges case.xlsx --slack 0.02 --by-year -o room.xlsx
    """
    from .negotiation import ranges as run_ranges
    from .store import StoreLocked, saved_keys
    from .sweep import console_progress

    if slack is not None:
        overrides = (*overrides, f"settings.negotiation_slack={_slack(slack)!r}")
    output, inputs = _prepare(input_path, output, "ranges",
                              _with_time_limit(overrides, time_limit),
                              max_file_mb=max_file_mb, max_cells=max_cells, previous=previous)
    update, close = console_progress(label="bounds") if not _quiet() else \
        (lambda *a: None, lambda: None)
    store = output.with_suffix(".sqlite")
    try:
        room = run_ranges(inputs, by_year=by_year, workers=workers, scheduler=scheduler,
                          out=output, progress=update)
    except StoreLocked as error:
        close()
        _store_locked(error)
    except KeyboardInterrupt:
        close()
        click.echo(f"interrupted: {len(saved_keys(store))} bounds are saved in {store}; run "
                   "the same command again to solve only the others", err=True)
        _json_error("interrupted", message="interrupted", store=str(store))
        sys.exit(EXIT_INTERRUPTED)
    finally:
        close()
    if as_json:
        _emit_json({"status": room.status, "least_cost": room.least_cost,
                    "slack": room.slack, "cost_bound": room.cost_bound,
                    "plan_total": room.plan_total, "mip": room.mip,
                    "bounds": room.programs, "solved": room.solved,
                    "from_store": room.from_store, "notes": room.notes,
                    "rows": json.loads(room.table.to_json(orient="records")),
                    "workbook": str(output)})
    unit = f" {room.currency}" if room.currency else ""
    if room.least_cost is not None:
        _say(f"least total cost C* = {room.least_cost:,.1f}{unit}; slack {room.slack:.2%}: "
             f"total at most {room.cost_bound:,.1f}; {room.programs} bounds "
             f"({room.solved} solved now, {room.from_store} from the store)"
             + (", each a MIP" if room.mip else ""))
        year = " year" if by_year else ""
        _say(f"{'member':<20}{year} {'plan':>14} {'least':>14} {'largest':>14} "
             f"{'% GDP':>15}")
        for row in room.table.to_dict("records"):
            when = f" {row['year']}" if by_year else ""
            _say(f"{str(row['member'])[:20]:<20}{when} {row['optimal_cost']:>14,.1f} "
                 f"{row['low']:>14,.1f} {row['high']:>14,.1f} "
                 f"{_percent(row['low_gdp_share']):>7}-{_percent(row['high_gdp_share'])}"
                 + ("" if row["status"] == "optimal" else f"  ({row['status']})"))
    _say(f"status: {room.status}", *(f"note: {note}" for note in room.notes),
         f"ranges workbook: {output}")
    sys.exit(EXIT_SOLVED if room.solved_ok else EXIT_NO_SOLUTION)


def _slack(text: str) -> float:
    """--slack as a number >= 0, or the problem, located."""
    from .inputs import InputError, Problem

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError([Problem("--slack", None, None, None, text,
                                  "a number >= 0, the fraction above the least total cost "
                                  "(0.01 is 1%)")])
    return value


def _interrupted(store_path: Path, scenarios, identity: str, what: str) -> None:
    """Ctrl-C during a sweep: say what is saved and how to go on; exit 130."""
    from .store import saved_keys, scenario_key

    keys = {scenario_key(identity, s.overrides) for s in scenarios}
    saved = len(keys & saved_keys(store_path))
    message = (f"interrupted: {saved} of {len(keys)} {what} are saved in {store_path}; run "
               f"the same command again to solve the other {len(keys) - saved}")
    click.echo(message, err=True)
    _json_error("interrupted", message=message, saved=saved, total=len(keys))
    sys.exit(EXIT_INTERRUPTED)


def _percent(value) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1%}"


@main.command()
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@_common_plain
def template(output, force, as_json):
    """Write a template workbook that `burden validate` accepts.

    \b
    Examples:
      burden template my-case.xlsx
      burden template my-case.xlsx --force     # replace an existing file
    """
    from .template import write_template

    path = Path(output)
    if path.suffix.lower() != ".xlsx":
        _usage_error(f"{output}: the template is an .xlsx workbook; name it "
                     f"{path.with_suffix('.xlsx').name}")
    if path.exists() and not force:
        _usage_error(f"{output} exists; the template never replaces a file unless --force "
                     "is given")
    _check_folder(path)
    path = write_template(output)
    if as_json:
        _emit_json({"status": "written", "template": str(path)})
    _say(f"template: {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
