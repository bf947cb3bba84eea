"""What-if sweeps (docs/cli.md, "burden sweep"): scenarios, executors, the store, the workbook.

A scenario is a name plus overrides. The `scenarios` sheet's rows are crossed with every
`--grid PATH=V1,V2,...` and, with `--each-member-absent`, with "everyone present" plus one
"member absent" per member. Every scenario is validated before anything is solved. Each task
takes plain data (the case and one scenario) and returns plain data; the model is built inside
the worker. Finished scenarios are committed to the SQLite store at once (`store.py`), so a
killed sweep resumes where it stopped. Executors: a local process pool (default) or Dask
distributed (`scheduler="local"` for a LocalCluster, or a scheduler address).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from models import build_model

from .errors import InputError, Problem
from .relaxation import what_it_takes as least_raise
from .result import ABSENCE_COLUMNS
from .stages import Resolver, solve
from .store import Store, scenario_key
from .studies import Sweep

ABSENT = "members[{}].absent"


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides, `((path, value), ...)` in the order given."""

    name: str
    overrides: tuple[tuple[str, object], ...] = ()

    @property
    def absent_member(self) -> str | None:
        for path, value in self.overrides:
            if path.lower().endswith("].absent") and str(value).strip().lower() in (
                    "true", "yes", "1"):
                return path[path.index("[") + 1:path.rindex("]")]
        return None


def _name(overrides) -> str:
    return "; ".join(f"{p}={v}" for p, v in overrides) or "baseline"


def parse_grid(text: str) -> tuple[str, list[str]]:
    """`PATH=V1,V2,...` -> (path, [values])."""
    path, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip() != ""]
    if not sep or not path.strip() or not items:
        raise InputError([Problem("--grid", None, None, None, text,
                                  "PATH=V1,V2,... e.g. targets.scale=1,1.2,1.5")])
    return path.strip(), items


def sheet_scenarios(inputs) -> list[Scenario]:
    """The `scenarios` sheet's rows (blank cells: no override), or one baseline scenario."""
    table = inputs.scenarios
    if table is None or table.empty:
        return [Scenario("baseline")]
    paths = [c for c in table.columns if c != "scenario"]
    out = []
    for _, row in table.iterrows():
        overrides = tuple((p, _plain(row[p])) for p in paths if not _blank(row[p]))
        name = row["scenario"] if not _blank(row["scenario"]) else _name(overrides)
        out.append(Scenario(str(name), overrides))
    return out


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and value.strip() == "")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def expand_scenarios(inputs, grids: Iterable[tuple[str, list]] = (),
                     each_member_absent: bool = False,
                     base: list[Scenario] | None = None) -> list[Scenario]:
    """The sheet's scenarios (or `base`) crossed with every grid and, optionally, with
    everyone present plus one absent member at a time."""
    scenarios = list(base) if base is not None else sheet_scenarios(inputs)
    for path, values in grids:
        scenarios = [_join(s, Scenario(f"{path}={v}", ((path, v),)))
                     for s, v in itertools.product(scenarios, values)]
    if each_member_absent:
        options = [None] + [Scenario(f"{m} absent", ((ABSENT.format(m), "true"),))
                            for m in inputs.present_members]
        scenarios = [s if extra is None else _join(s, extra)
                     for s, extra in itertools.product(scenarios, options)]
    return scenarios


def _join(first: Scenario, second: Scenario) -> Scenario:
    name = second.name if first.name == "baseline" and not first.overrides else \
        f"{first.name}; {second.name}"
    return Scenario(name, first.overrides + second.overrides)


def validate_scenarios(inputs, scenarios: list[Scenario]) -> None:
    """Apply every scenario's overrides before anything is solved; raise one InputError
    with every problem of every scenario."""
    problems = []
    for scenario in scenarios:
        try:
            inputs.with_overrides(dict(scenario.overrides), scenario=scenario.name)
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)


# ---------------------------------------------------------------------------------------------
# The task (runs in a worker process)


#: One `Resolver` per input in each worker process, so that scenarios that change only numbers
#: are re-solved on the solver already loaded (a cache: results do not depend on it).
_RESOLVERS: dict = {}


def _resolver(inputs):
    if inputs.sha256 not in _RESOLVERS:
        _RESOLVERS.clear()
        _RESOLVERS[inputs.sha256] = Resolver(tables="deterrence")  # per-target shortfalls
    return _RESOLVERS[inputs.sha256]


def run_scenario(inputs, scenario: Scenario, key: str, position: int,
                 persistent: bool = True, extra=None, solver: str = "highs",
                 what_it_takes: bool = False) -> dict:
    """Solve one scenario; always returns a row (an exception becomes status `error`).
    `persistent`: re-use this process's solver when only numbers change. `extra`: a
    function called on the scenario's Pyomo model (`build_model`) before it is solved, with
    the analyst's own constraints; `solver`: as `solve` takes it. `what_it_takes`: for a
    plan short or infeasible, the least raise of the caps that meets every target
    (`optimizer.relaxation`, with `extra`'s constraints), summed (`cap_raise_fields`)."""
    started = time.perf_counter()
    row = {"key": key, "position": position, "scenario": scenario.name,
           "overrides": list(scenario.overrides)}
    try:
        case = inputs.with_overrides(dict(scenario.overrides), scenario=scenario.name)
        if extra is not None:
            model = build_model(case)
            extra(model)
            result = solve(case, model=model, solver=solver, what_it_takes=False)
        elif solver != "highs" or not persistent:
            result = solve(case, solver=solver, what_it_takes=False)
        else:
            result = _resolver(inputs).solve(case)
        raised = cap_raise_fields(case, result, extra) if what_it_takes else {}
    except Exception as error:  # noqa: BLE001 - a failed scenario is a row, never a crash
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        return row | {"status": "error", "message": f"{type(error).__name__}: {error}{where}",
                      "solve_seconds": time.perf_counter() - started, "members": []}
    s = result.summary
    members = result.members
    targets = result.deterrence
    return row | {
        "status": result.status,
        "shortfall_index": s.get("shortfall_index"),
        "objective_value": s.get("objective_value"),
        "total_cost": s.get("total_cost"),
        "max_burden": s.get("max_burden"),
        "solve_seconds": time.perf_counter() - started,
        "message": "; ".join(result.conflicts) or None,
        **{name: s.get(name) for name in ("certified", "second_routes", "max_residual",
                                          "max_gap")},
        **raised,
        "members": list(zip(members["member"], members["year"].astype(int),
                            members["cost"].astype(float), members["burden"].astype(float),
                            members["fair_share"].astype(float))),
        "targets": list(zip(targets["capability"], targets["region"],
                            targets["year"].astype(int), targets["target"].astype(float),
                            targets["priority"].astype(float),
                            targets["shortfall"].astype(float))),
    }


def cap_raise_fields(case, result, extra=None) -> dict:
    """What it would take, in three figures of a sweep row: `what_it_takes` (`met`: the plan
    meets every target; `optimal`: a raise of the caps does; `infeasible`: none does; or the
    relaxation's `time_limit` / `error`; None for a plan that did not solve), `cap_raise`
    (the money above today's caps, summed over members and years; 0 when met, None when no
    raise does) and `members_raised` (how many members' caps rise)."""
    if result.status == "optimal":
        return {"what_it_takes": "met", "cap_raise": 0.0, "members_raised": 0}
    if result.status not in ("optimal_with_shortfall", "infeasible"):
        return {"what_it_takes": None, "cap_raise": None, "members_raised": None}
    shortfalls = result.deterrence if result.status == "optimal_with_shortfall" and \
        case.settings.allow_shortfall and len(result.deterrence) else None
    found = least_raise(case, ("caps",), shortfalls, extra=extra)
    if found.status != "optimal":
        return {"what_it_takes": found.status, "cap_raise": None, "members_raised": None}
    return {"what_it_takes": "optimal", "cap_raise": float(found.limits["extra"].sum()),
            "members_raised": int(found.limits["member"].nunique())}


# ---------------------------------------------------------------------------------------------
# Executors


def _process_pool(inputs, todo, workers, on_row, task=run_scenario):
    """Run `task(inputs, *item)` for each item of `todo` (default: `run_scenario`) on a
    spawn-context process pool; a dead worker's pool is rebuilt and the unfinished tasks
    resubmitted."""
    pending = dict(enumerate(todo))
    attempts = 0
    while pending:
        attempts += 1
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            # the workers start with Ctrl-C blocked (a signal mask survives exec): only this
            # process hears it, and stops them at once
            with _interrupts_blocked():
                futures = {pool.submit(task, inputs, *item): i for i, item in pending.items()}
            try:
                for future in as_completed(futures):
                    i = futures[future]
                    on_row(future.result())
                    del pending[i]
            except BrokenProcessPool:
                if attempts >= 3:
                    for item in pending.values():
                        on_row(_failed(item, "a worker process died three times"))
                    pool.shutdown(wait=True)
                    return
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True)


@contextlib.contextmanager
def _interrupts_blocked():
    """SIGINT held back in this thread (and in processes started meanwhile) while inside."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _stop(pool) -> None:
    """Cancel what has not started and end the pool's workers now (they hold nothing that
    needs saving: finished scenarios are in the store already)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.join(5)


def _dask(inputs, todo, workers, scheduler, on_row, task=run_scenario):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError([Problem("--scheduler", None, None, None, scheduler,
                                  "the optional extra 'cluster' (pip install 'burden[cluster]')")]
                         ) from None
    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        shared = client.scatter(inputs, broadcast=True)
        futures = {client.submit(task, shared, *item, pure=False, retries=1): item
                   for item in todo}
        for future in as_completed(futures):
            item = futures[future]
            try:
                on_row(future.result())
            except Exception as error:  # noqa: BLE001 - KilledWorker and friends
                on_row(_failed(item, f"{type(error).__name__}: {error}"))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(inputs, todo, workers: int, scheduler: str | None, on_row, task=run_scenario):
    """Run `task(inputs, *item)` for each item of `todo` on Dask (`scheduler` given) or the
    process pool (at most one worker per item), handing each returned row to `on_row`."""
    if scheduler:
        _dask(inputs, todo, workers, scheduler, on_row, task)
    else:
        _process_pool(inputs, todo, min(workers, len(todo)), on_row, task)


def _failed(task, message) -> dict:
    scenario, key, position = task
    return {"key": key, "position": position, "scenario": scenario.name,
            "overrides": list(scenario.overrides), "status": "error", "message": message,
            "members": []}


# ---------------------------------------------------------------------------------------------
# The sweep


def store_identity(identity: str, extra=None, solver: str = "highs",
                   what_it_takes: bool = False) -> str:
    """What the store keys a sweep's scenarios by besides their overrides: `identity` (the
    input's hash), and whatever else changes a row: the analyst's `extra`, the solver, the
    least raise of the caps."""
    if extra is not None or solver != "highs":
        name = "" if extra is None else \
            f"{getattr(extra, '__module__', '')}.{getattr(extra, '__qualname__', repr(extra))}"
        identity = f"{identity}|extra={name}|solver={solver}"
    return f"{identity}|what_it_takes=caps" if what_it_takes else identity


def default_store(out: Path) -> Path:
    return out.with_suffix(".sqlite")


def run_sweep(inputs, scenarios=None, out=None, workers: int | None = None,
              scheduler: str | None = None, *, grid: Iterable[tuple[str, list]] = (),
              each_member_absent: bool = False,
              progress: Callable[[int, int, int], None] | None = None,
              persistent: bool = True, identity: str | None = None,
              extra: Callable | None = None, solver: str = "highs",
              what_it_takes: bool = False) -> Sweep:
    """Solve every scenario and return the `Sweep` (optimizer/studies.py): its `table` (one
    row per scenario), `member_costs`, `shortfalls` and, with `each_member_absent`,
    `absence`.

    `scenarios`: a list of `Scenario`, a mapping name -> {path: value}, or None for the
    workbook's `scenarios` sheet; crossed with `grid` and `each_member_absent`. `out`: the
    sweep workbook to write (its store is `out` with the suffix `.sqlite`); None keeps the
    store in a temporary folder and writes no workbook (`Sweep.to_excel` writes it later). `persistent=False` solves every
    scenario from scratch instead of editing the worker's loaded model (the figures then do
    not depend on the order scenarios reach a worker, even among alternative optima).
    `identity`: what the store keys scenarios by besides their overrides (default: the
    input's hash); give another when `inputs` carry overrides applied beforehand.
    `extra`: a function called on each scenario's Pyomo model (`build_model(case)`) to add
    the analyst's own constraints before it is solved (`solve(case, model=m)`); a function
    defined in a notebook or script (`__main__`) cannot reach spawned workers, so such a
    sweep runs in this process unless a Dask `scheduler` is given. `solver`: as `solve`
    takes it. Both are part of the store's key. `what_it_takes`: each scenario short or
    infeasible also gets the least raise of the caps that meets every target (columns
    `what_it_takes`, `cap_raise`, `members_raised`; `cap_raise_fields`), part of the key too.

    >>> sweep = run_sweep(inputs, grid=[("targets.scale", [1, 1.2])], out="s.xlsx")  # doctest: +SKIP
    >>> sweep.table, sweep.member_costs                                        # doctest: +SKIP
    """
    if isinstance(scenarios, Mapping):
        scenarios = [Scenario(name, tuple(dict(o).items())) for name, o in scenarios.items()]
    expanded = expand_scenarios(inputs, list(grid), each_member_absent, base=scenarios)
    validate_scenarios(inputs, expanded)
    if solver != "highs":
        from .pyomo_solvers import check_solver

        check_solver(solver)
    workers = workers or os.cpu_count() or 1
    identity = store_identity(identity or inputs.sha256, extra, solver, what_it_takes)
    with tempfile.TemporaryDirectory() as scratch:
        store_path = default_store(Path(out)) if out else Path(scratch) / "sweep.sqlite"
        with Store(store_path) as store:
            keys = [scenario_key(identity, s.overrides) for s in expanded]
            task = run_scenario if persistent and extra is None and solver == "highs" \
                and not what_it_takes else functools.partial(
                    run_scenario, persistent=persistent, extra=extra, solver=solver,
                    what_it_takes=what_it_takes)

            def run(todo, on_row):
                if extra is not None and not scheduler and \
                        getattr(extra, "__module__", "") == "__main__":
                    for item in todo:  # the function lives only in this process
                        on_row(task(inputs, *item))
                else:
                    run_tasks(inputs, todo, workers, scheduler, on_row, task)

            store.solve_missing([(scenario, key, position) for position, (scenario, key)
                                 in enumerate(zip(expanded, keys))], run, progress=progress)
            table = sweep_table(store, expanded, keys, what_it_takes)
            found = Sweep(table=table, member_costs=store.member_costs(keys),
                          shortfalls=store.targets(keys),
                          absence=absence_table(table, expanded, keys) if each_member_absent
                          else None,
                          settings=inputs.settings.as_table(), source=str(inputs.source),
                          sha256=inputs.sha256, currency=str(inputs.settings.currency or ""))
    if out:
        found.to_excel(out)
    return found


def absence_table(table: pd.DataFrame, scenarios, keys) -> pd.DataFrame:
    """Each absent-member scenario against the same scenario with everyone present, ranked by
    the extra shortfall index, then the extra cost (within each group of other overrides)."""
    by_overrides = {frozenset((p, str(v)) for p, v in s.overrides): s.name for s in scenarios}
    figures = table.set_index("scenario")
    for column in ("shortfall_index", "total_cost"):  # failed scenarios: NaN, not None
        figures[column] = pd.to_numeric(figures[column], errors="coerce")
    rows = []
    for scenario in scenarios:
        member = scenario.absent_member
        if member is None or scenario.name not in figures.index:
            continue
        rest = frozenset((p, str(v)) for p, v in scenario.overrides
                         if not p.lower().endswith("].absent"))
        base = by_overrides.get(rest)
        if base is None or base not in figures.index:
            continue
        mine, theirs = figures.loc[scenario.name], figures.loc[base]
        rows.append({"member": member, "scenario": scenario.name, "compared_with": base,
                     "status": mine["status"],
                     "extra_shortfall_index": mine["shortfall_index"] - theirs["shortfall_index"],
                     "extra_cost": mine["total_cost"] - theirs["total_cost"],
                     "shortfall_index": mine["shortfall_index"],
                     "total_cost": mine["total_cost"]})
    frame = pd.DataFrame(rows, columns=[c for c in ABSENCE_COLUMNS if c != "rank"])
    if frame.empty:
        return frame.assign(rank=pd.Series(dtype="int64"))[ABSENCE_COLUMNS]
    frame = frame.sort_values(["compared_with", "extra_shortfall_index", "extra_cost"],
                              ascending=[True, False, False], kind="stable")
    frame["rank"] = frame.groupby("compared_with").cumcount() + 1
    return frame[ABSENCE_COLUMNS].reset_index(drop=True)


#: The figures of each scenario in the sweep table, after its override columns.
RESULT_COLUMNS = ("status", "shortfall_index", "objective_value", "total_cost", "max_burden",
                  "certified", "second_routes", "max_residual", "max_gap", "solve_seconds",
                  "message")
WHAT_IT_TAKES_FIELDS = ("what_it_takes", "cap_raise", "members_raised")


def sweep_table(store: Store, scenarios: list[Scenario], keys: list[str],
                what_it_takes: bool = False) -> pd.DataFrame:
    """The `scenarios` sheet: scenario, one column per override path, the figures (with
    `what_it_takes`, the least raise of the caps after the status: `WHAT_IT_TAKES_FIELDS`)."""
    figures = RESULT_COLUMNS[:1] + (WHAT_IT_TAKES_FIELDS if what_it_takes else ()) + \
        RESULT_COLUMNS[1:]
    stored = store.scenarios(keys).set_index("key")
    paths = list(dict.fromkeys(p for s in scenarios for p, _ in s.overrides))
    rows = []
    for scenario, key in zip(scenarios, keys):
        if key not in stored.index:
            continue
        record = stored.loc[key]
        values = {p: _number_or_text(v) for p, v in scenario.overrides}
        rows.append({"scenario": scenario.name, **{p: values.get(p) for p in paths},
                     **{f: record[f] for f in figures}})
    columns = ["scenario", *paths, *figures]
    table = pd.DataFrame(rows, columns=columns)
    return table.drop_duplicates(subset=["scenario"]).reset_index(drop=True)


def _number_or_text(value):
    """Override values as the sheet shows them: numbers as numbers, the rest as text."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return str(value)
    try:
        return float(value)
    except ValueError:
        return value


def console_progress(stream=None, label: str = "sweep"
                     ) -> tuple[Callable[[int, int, int], None], Callable[[], None]]:
    """A progress callback for the CLI: a live rich bar on a terminal, plain lines otherwise.
    Returns (callback, close)."""
    stream = stream or sys.stderr
    if stream.isatty():
        bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                       console=Console(file=stream))
        task = bar.add_task(label, total=None, rate="")
        bar.start()
        started = time.perf_counter()

        def update(done, total, already):
            rate = (done - already) / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total, rate=f"{rate:.2f}/s")

        return update, bar.stop
    started = time.perf_counter()
    last = [0.0]

    def plain(done, total, already):
        now = time.perf_counter()
        if done not in (already, total) and now - last[0] < 2.0:
            return
        last[0] = now
        rate = (done - already) / max(now - started, 1e-9)
        left = (total - done) / rate if rate > 0 else float("nan")
        eta = f", ETA {left:.0f}s" if math.isfinite(left) and done < total else ""
        print(f"{label}: {done}/{total} done ({rate:.2f}/s{eta})", file=stream, flush=True)

    return plain, lambda: None
