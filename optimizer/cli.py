"""The `burden` command: thin glue between arguments and the public API.

Exit codes (WORKBOOK.md): 0 solved (also with shortfall), 1 no solution, 2 bad input or usage.
No traceback reaches a planner unless `--debug` asks for it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from .inputs import InputError

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
    """Turns any unexpected exception into one line and exit code 1 (2 for bad input)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as error:
            _print_problems(error)
            sys.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as error:  # noqa: BLE001 - a planner sees one line, never a traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {type(error).__name__}: {error} (run with --debug for details)",
                       err=True)
            sys.exit(EXIT_NO_SOLUTION)


def _print_problems(error: InputError) -> None:
    count = len(error.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} in the input:", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks (for developers).")
@click.version_option(package_name="burden")
@click.pass_context
def main(ctx, debug):
    """burden: share the burden of deterrence across an alliance."""
    ctx.obj = {"debug": debug}


def _limits(command):
    """The reading limits of WORKBOOK.md (`--max-file-mb`, `--max-cells`) on a command."""
    command = click.option(
        "--max-cells", type=click.IntRange(min=1), default=5_000_000, show_default=True,
        help="Refuse a workbook whose sheets declare XML for more cells than this.")(command)
    return click.option(
        "--max-file-mb", type=click.FloatRange(min=0, min_open=True), default=50.0,
        show_default=True, help="Refuse an input file larger than this (MB).")(command)


def _load(path: str, overrides: tuple[str, ...] = (), max_file_mb: float = 50.0,
          max_cells: int = 5_000_000):
    from .inputs import read_inputs
    from .scenario import parse_assignment

    inputs = read_inputs(path, max_file_mb=max_file_mb, max_cells=max_cells)
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


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Report path (default: <input stem>-report.xlsx in this folder).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override an input, e.g. --set settings.objective=min_max_burden.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--engine", type=click.Choice(["matrix", "pyomo"]), default="matrix",
              show_default=True,
              help="How the model reaches HiGHS: arrays straight from the formulation, or "
                   "through the Pyomo model (same matrices, slower; for cross-checks).")
@_limits
def solve(input_path, output, overrides, as_json, engine, max_file_mb, max_cells):
    """Solve INPUT and write its report."""
    from . import solve as run_solve
    from . import write_report

    output, inputs = _prepare(input_path, output, "report", overrides,
                              max_file_mb=max_file_mb, max_cells=max_cells)
    result = run_solve(inputs, engine=engine)
    written = write_report(result, output, overwrite_input=str(input_path))
    if as_json:
        summary = {k: _jsonable(v) for k, v in result.summary.items()}
        summary["conflicts"] = result.conflicts
        summary["report"] = str(written)
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_summary(result, written)
    sys.exit(EXIT_SOLVED if result.solved else EXIT_NO_SOLUTION)


def _print_summary(result, written: Path) -> None:
    """The status, then the brief (the report's first sheet), warnings and the report's path."""
    from .brief import brief_lines

    click.echo(f"status: {result.status}")
    for line in result.brief or brief_lines(result):
        click.echo(line)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(f"report: {written}")


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@_limits
def validate(input_path, max_file_mb, max_cells):
    """Read and check INPUT only; print counts or every problem."""
    from .sweep import sheet_scenarios, validate_scenarios

    inputs = _load(input_path, max_file_mb=max_file_mb, max_cells=max_cells)
    validate_scenarios(inputs, sheet_scenarios(inputs))
    for warning in inputs.warnings:
        click.echo(f"warning: {warning}", err=True)
    present = len(inputs.present_members)
    click.echo(f"{Path(input_path).name}: valid")
    click.echo(f"  members: {len(inputs.members)} ({present} present)")
    click.echo(f"  capabilities: {len(inputs.capabilities)}, regions: {len(inputs.regions)}, "
               f"years: {inputs.years[0]}-{inputs.years[-1]} ({len(inputs.years)})")
    click.echo(f"  targets: {len(inputs.targets)}, equipment types: {len(inputs.equipment)}, "
               f"scenarios: {len(inputs.scenarios)}")
    click.echo(f"  objective: {inputs.settings.objective}, fair share: "
               f"{inputs.settings.fair_share}")


def _override_paths() -> str:
    from .schema import OVERRIDE_PATHS

    width = max(len(path) for path, _ in OVERRIDE_PATHS)
    return "\b\nOverride paths (the scenarios sheet's columns, --grid and --set):\n" + "\n".join(
        f"  {path:<{width}}  {meaning}" for path, meaning in OVERRIDE_PATHS)


@main.command(epilog=_override_paths())
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--grid", "grids", multiple=True, metavar="PATH=V1,V2,...",
              help="Cross the scenarios with these values of PATH (repeatable).")
@click.option("--each-member-absent", is_flag=True,
              help="Add one scenario per member standing aside, and an absence ranking.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Sweep workbook (default: <input stem>-sweep.xlsx); its store is the same "
              "name with .sqlite.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--scheduler", default=None, metavar="local|ADDRESS",
              help="Run on Dask: 'local' starts a LocalCluster, or a scheduler address "
              "(tcp://host:8786). Needs the extra 'cluster'.")
@click.option("--fresh", is_flag=True,
              help="Solve every scenario from scratch instead of editing the worker's loaded "
                   "model (slower; figures then independent of scenario order).")
def sweep(input_path, grids, each_member_absent, output, workers, scheduler, fresh):
    """Solve every scenario of INPUT (its scenarios sheet crossed with each --grid)."""
    from .store import StoreLocked
    from .sweep import console_progress, expand_scenarios, parse_grid, run_sweep

    output, inputs = _prepare(input_path, output, "sweep")
    grid = [parse_grid(text) for text in grids]
    scenarios = expand_scenarios(inputs, grid, each_member_absent)
    total = len(scenarios)
    update, close = console_progress()
    told = []

    def progress(done, count, already):
        if not told:
            told.append(True)
            if already:
                click.echo(f"{already} of {count} scenarios already done in "
                           f"{output.with_suffix('.sqlite')}; solving the other "
                           f"{count - already}", err=True)
        update(done, count, already)

    try:
        table = run_sweep(inputs, out=output, workers=workers, scheduler=scheduler, grid=grid,
                          each_member_absent=each_member_absent, progress=progress,
                          persistent=not fresh)
    except StoreLocked as error:
        close()
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_NO_SOLUTION)
    except KeyboardInterrupt:
        close()
        _interrupted(output.with_suffix(".sqlite"), scenarios, inputs.sha256, "scenarios")
    finally:
        close()
    counts = table["status"].value_counts().to_dict()
    click.echo(f"{len(table)} of {total} scenarios: " +
               ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    click.echo(f"sweep workbook: {output}")
    sys.exit(EXIT_SOLVED)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--points", type=click.IntRange(min=2), default=11, show_default=True,
              help="Points on the curve, ends included.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Frontier workbook (default: <input stem>-frontier.xlsx).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override an input first (as for solve).")
def frontier(input_path, points, output, overrides):
    """The cost-fairness frontier: least cost for each allowed deviation from fair shares."""
    from .sweep_report import write_frontier_report
    from .tradeoff import frontier as run_frontier

    output, inputs = _prepare(input_path, output, "frontier", overrides)
    curve = run_frontier(inputs, points=points)
    solved = curve["total_cost"].notna()
    write_frontier_report(curve, output)
    for _, row in curve[solved].iterrows():
        click.echo(f"deviation {row['deviation']:,.1f}  total cost {row['total_cost']:,.1f}  "
                   f"max burden {row['max_burden']:.2%}")
    if not solved.any():
        click.echo(f"status: {curve['status'].iloc[0]}")
    click.echo(f"frontier workbook: {output}")
    sys.exit(EXIT_SOLVED if solved.any() else EXIT_NO_SOLUTION)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path())
@click.option("--samples", type=click.IntRange(min=1), default=200, show_default=True,
              help="Random orders of the members to sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sampling.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores).")
@click.option("--scheduler", default=None, metavar="local|ADDRESS",
              help="Run on Dask: 'local' starts a LocalCluster, or a scheduler address "
              "(tcp://host:8786). Needs the extra 'cluster'.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Shapley workbook (default: <input stem>-shapley.xlsx); its store of "
              "coalition values is the same name with .sqlite.")
def shapley(input_path, samples, seed, workers, scheduler, output):
    """Each member's Shapley share of the alliance's deterrence, beside fair and cost share."""
    from .shapley import ShapleyError
    from .shapley import shapley as run_shapley
    from .store import StoreLocked
    from .sweep import console_progress

    output, inputs = _prepare(input_path, output, "shapley")
    update, close = console_progress(label="coalitions")
    try:
        table = run_shapley(inputs, samples=samples, seed=seed, workers=workers,
                            scheduler=scheduler, out=output, progress=update)
    except (StoreLocked, ShapleyError) as error:
        close()
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_NO_SOLUTION)
    finally:
        close()
    attrs = table.attrs
    click.echo(f"v(M) = {attrs['v_grand']:.6g} of W = {attrs['W']:.6g} priority-weighted "
               f"targets; {attrs['samples']} sampled orders, {attrs['coalitions']} coalitions "
               f"({attrs['solved']} solved now, {attrs['from_store']} from the store)")
    click.echo(f"{'member':<20} {'shapley':>10} {'std err':>10} {'share':>8} {'fair':>8} "
               f"{'cost':>8}")
    for row in table.itertuples(index=False):
        click.echo(f"{str(row.member)[:20]:<20} {row.shapley_value:>10.4f} "
                   f"{row.standard_error:>10.4f} {_percent(row.deterrence_share):>8} "
                   f"{_percent(row.fair_share):>8} {_percent(row.cost_share):>8}")
    for note in attrs["notes"]:
        click.echo(f"note: {note}")
    click.echo(f"shapley workbook: {output}")
    sys.exit(EXIT_SOLVED)


def _interrupted(store_path: Path, scenarios, sha256: str, what: str) -> None:
    """Ctrl-C during a sweep: say what is saved and how to go on; exit 130."""
    from .store import saved_keys, scenario_key

    keys = {scenario_key(sha256, s.overrides) for s in scenarios}
    saved = len(keys & saved_keys(store_path))
    click.echo(f"interrupted: {saved} of {len(keys)} {what} are saved in {store_path}; run "
               f"the same command again to solve the other {len(keys) - saved}", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _percent(value) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.1%}"


@main.command()
@click.argument("output", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
def template(output, force):
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
    click.echo(f"template: {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
