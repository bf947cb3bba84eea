"""Coalition values and Shapley shares (docs/model.md, "Coalition values and Shapley shares").

`v(A) = W - SI*(A)`: `W` is the sum of the priorities of the targets above zero and `SI*(A)`
the optimal stage-1 shortfall index with only the members of `A` present and shortfall allowed
whatever the settings say; `v({}) = 0` without a solve. `shapley()` estimates each member's
Shapley value from `samples` uniformly random orders of the members (seeded): every coalition
the sampled orders need is collected first, each distinct one is solved once (on the sweep
executors: a process pool, or Dask) and committed at once to a SQLite store, so a killed run
resumes and a re-run solves nothing it has already solved. `shapley_exact()` enumerates every
coalition instead (small alliances and tests).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from .highs_adapter import HighsSession
from .result import SHAPLEY_COLUMNS
from .stages import compile_layout, formulate, solve
from .store import Store, scenario_key
from .studies import Shapley
from .sweep import ABSENT, Scenario, run_tasks

EXACT_LIMIT = 10  # shapley_exact enumerates 2^|M| coalitions: at most this many members
EFFICIENCY_TOLERANCE = 1e-9  # the shares sum to v(M) within this (relative to max(1, W))
FORCE_SHORTFALL = ("settings.allow_shortfall", "true")


class ShapleyError(RuntimeError):
    """A coalition value could not be computed (its stage 1 has no optimal solution)."""


# ---------------------------------------------------------------------------------------------
# Coalition values


def total_priority(inputs) -> float:
    """`W`: the sum of priorities over the targets above zero."""
    targets = inputs.targets
    return float(targets.loc[targets["target"] > 0, "priority"].sum())


def coalition_overrides(inputs, members_in: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The overrides that leave only `members_in` present (of the present members), with
    shortfall allowed: every other present member absent, in sheet order."""
    members_in = set(members_in)
    unknown = members_in - set(inputs.present_members)
    if unknown:
        raise ValueError(f"not present members of the case: {', '.join(sorted(unknown))}")
    absent = tuple((ABSENT.format(m), "true") for m in inputs.present_members
                   if m not in members_in)
    return absent + (FORCE_SHORTFALL,)


def _stage_one(case) -> tuple[str, float | None, str]:
    """Minimise the shortfall index of `case` (shortfall allowed): (status, SI*, message)."""
    compiled = compile_layout(formulate(case))
    session = HighsSession(compiled, mip_gap=case.settings.mip_gap)
    outcome = session.minimise(compiled.objectives["shortfall_index"], case.settings.time_limit)
    if outcome.status != "optimal":
        return outcome.status, None, outcome.message or outcome.status
    return "optimal", max(float(outcome.value), 0.0), ""


def coalition_value(inputs, members_in: Iterable[str]) -> float:
    """`v(A) = W - SI*(A)` for the coalition `members_in` of `inputs`' present members;
    0 for the empty coalition (no solve). Raises `ShapleyError` if stage 1 is not optimal."""
    members_in = list(members_in)
    if not members_in:
        return 0.0
    case = inputs.with_overrides(dict(coalition_overrides(inputs, members_in)))
    status, index, message = _stage_one(case)
    if status != "optimal":
        raise ShapleyError(f"coalition {_label(members_in)}: stage 1 {status} ({message})")
    return total_priority(inputs) - index


def solve_coalition(inputs, scenario: Scenario, key: str, position: int) -> dict:
    """The executor task: stage 1 of one coalition as a sweep-store row (`shortfall_index`
    holds SI*(A)). Never raises: a failure is a row with its status and message."""
    started = time.perf_counter()
    row = {"key": key, "position": position, "scenario": scenario.name,
           "overrides": list(scenario.overrides), "members": []}
    try:
        case = inputs.with_overrides(dict(scenario.overrides), scenario=scenario.name)
        status, index, message = _stage_one(case)
    except Exception as error:  # noqa: BLE001 - a failed coalition is a row, never a crash
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" ({last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
        status, index, message = "error", None, f"{type(error).__name__}: {error}{where}"
    return row | {"status": status, "shortfall_index": index,
                  "solve_seconds": time.perf_counter() - started, "message": message or None}


def _label(members: Iterable[str]) -> str:
    members = list(members)
    return "{" + ", ".join(members) + "}" if members else "{}"


def _value_rows(value: dict, members: list[str]) -> list[tuple[str, int, float]]:
    """(coalition, size, v) per coalition, smallest first, members in sheet order."""
    rows = [(sorted(members.index(m) for m in c), c, v) for c, v in value.items()]
    return [(_label(members[i] for i in order), len(c), v)
            for order, c, v in sorted(rows, key=lambda r: (len(r[0]), r[0]))]


def _case_identity(inputs) -> str:
    """What the store keys coalitions by: the input's hash and its tables as validated (an
    override applied in code keeps the input's hash, so the hash alone would not do)."""
    digest = hashlib.sha256(inputs.sha256.encode())
    for name in sorted(inputs.tables):
        digest.update(b"\0" + name.encode() + b"\0")
        digest.update(inputs.tables[name].to_csv(index=False).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Solving many coalitions


def _solve_coalitions(inputs, coalitions: list[frozenset], store_path: Path,
                      workers: int | None, scheduler: str | None,
                      progress: Callable[[int, int, int], None] | None) -> tuple[dict, dict]:
    """SI*(A) for every coalition (none empty), from the store or solved there in one
    executor run. Returns ({coalition: SI*}, counts)."""
    present = inputs.present_members
    identity = _case_identity(inputs)
    tasks = []
    for position, coalition in enumerate(coalitions):
        ordered = [m for m in present if m in coalition]
        overrides = coalition_overrides(inputs, ordered)
        tasks.append((Scenario(f"coalition {_label(ordered)}", overrides),
                      scenario_key(identity, list(overrides)), position))
    failures = []

    def failed(row):
        failures.append(f"{row['scenario']}: {row['status']}"
                        + (f" ({row['message']})" if row.get("message") else ""))

    def run(todo, on_row):
        run_tasks(inputs, todo, workers or os.cpu_count() or 1, scheduler, on_row,
                  task=solve_coalition)

    with Store(store_path) as store:
        solved = store.solve_missing(
            tasks, run, rejected=failed, progress=progress,
            keep=lambda row: row["status"] == "optimal" and row.get("shortfall_index") is not None)
        stored = store.scenarios([task[1] for task in tasks]).set_index("key")
    if failures:
        raise ShapleyError(f"{len(failures)} coalition{'s' if len(failures) != 1 else ''} "
                           "without an optimal stage 1: " + "; ".join(sorted(failures)[:5])
                           + ("; ..." if len(failures) > 5 else ""))
    values = {coalition: float(stored.loc[key, "shortfall_index"])
              for coalition, (_, key, _) in zip(coalitions, tasks)}
    return values, {"coalitions": len(tasks), "solved": solved,
                    "from_store": len(tasks) - solved}


# ---------------------------------------------------------------------------------------------
# Shapley values


def shapley(inputs, samples: int = 200, seed: int = 0, workers: int | None = None,
            scheduler: str | None = None, out=None,
            progress: Callable[[int, int, int], None] | None = None,
            exact: bool = False) -> Shapley:
    """Each present member's Shapley value of the deterrence game, estimated from `samples`
    seeded random orders, with its standard error, share of `v(M)`, fair share and cost share.

    `out`: the workbook to write (`shapley` and `coalitions` sheets, a chart); its store is
    `out` with the suffix `.sqlite` (re-run: nothing already there is solved again). None
    keeps the store in a temporary folder and writes no workbook. `workers`: processes
    (default: cores); `scheduler`: Dask ("local" or an address) instead of a process pool.
    The `Shapley` (optimizer/studies.py) holds the table, every coalition's value, v(M), W,
    the counts of coalitions (needed, solved now, from the store) and `notes`. `exact=True` enumerates every coalition instead of sampling (at most
    `EXACT_LIMIT` members; `samples` and `seed` are then unused, the standard errors 0): the
    values of `shapley_exact`, solved on the executors and kept in the store.

    >>> shares = shapley(read_inputs("inputs/tiny.xlsx"), samples=100)  # doctest: +SKIP
    >>> shares.table, shares.value                                       # doctest: +SKIP
    """
    samples = int(samples)
    if samples < 1:
        raise ValueError("samples must be at least 1")
    members = inputs.present_members
    n = len(members)
    W = total_priority(inputs)
    if exact and n > EXACT_LIMIT:
        raise ValueError(f"{n} members: exact Shapley values enumerate 2^n coalitions, at "
                         f"most {EXACT_LIMIT} members (sample instead)")
    rng = np.random.default_rng(seed)
    orders = np.array([rng.permutation(n) for _ in range(samples)], dtype=np.int64) \
        .reshape(samples, n) if not exact else np.zeros((0, n), dtype=np.int64)
    needed = {frozenset(members)} if n else set()
    for order in orders:
        for k in range(1, n + 1):
            needed.add(frozenset(members[i] for i in order[:k]))
    if exact:
        needed |= {frozenset(c) for size in range(1, n + 1)
                   for c in combinations(members, size)}
    coalitions = sorted(needed, key=lambda c: (len(c), sorted(members.index(m) for m in c)))
    with tempfile.TemporaryDirectory() as scratch:
        store_path = Path(out).with_suffix(".sqlite") if out else Path(scratch) / "s.sqlite"
        index, counts = _solve_coalitions(inputs, coalitions, store_path, workers, scheduler,
                                          progress)
    value = {c: W - si for c, si in index.items()}
    value[frozenset()] = 0.0
    if exact:
        return _exact_table(inputs, members, value, W, out, counts)

    marginals = np.zeros((samples, n))
    for row, order in enumerate(orders):
        before, v_before = frozenset(), 0.0
        for i in order:
            after = before | {members[i]}
            v_after = value[after]
            marginals[row, i] = v_after - v_before
            before, v_before = after, v_after
    grand = value.get(frozenset(members), 0.0)
    phi = marginals.mean(axis=0) if n else np.zeros(0)
    if n and abs(phi.sum() - grand) > EFFICIENCY_TOLERANCE * max(1.0, abs(W)):
        raise ShapleyError(f"the shares sum to {phi.sum()!r}, not v(M) = {grand!r}")
    error = marginals.std(axis=0, ddof=1) / math.sqrt(samples) if samples > 1 else \
        np.full(n, np.nan)
    table, notes = _shares_table(inputs, members, phi, error, grand, W)
    if samples == 1:
        notes.append("one sampled order: no standard error")
    found = _study(table, value, members, grand, W, notes, counts, samples=samples, seed=seed)
    if out:
        found.to_excel(out)
    return found


def _exact_values(members: list[str], value: dict) -> list[float]:
    """Each member's Shapley value from every coalition's value: the weighted mean of its
    marginal contributions, weight |S|! (n - |S| - 1)! / n! for each coalition S without it."""
    n = len(members)
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n)
              for s in range(n)]
    phi = []
    for m in members:
        others = [x for x in members if x != m]
        total = 0.0
        for size in range(n):
            for chosen in combinations(others, size):
                before = frozenset(chosen)
                total += weight[size] * (value[before | {m}] - value[before])
        phi.append(total)
    return phi


def _study(table, value, members, grand, W, notes, counts=None, samples=None,
           seed=None) -> Shapley:
    counts = counts or {}
    return Shapley(table=table, coalitions=pd.DataFrame(
        _value_rows(value, members), columns=["coalition", "size", "value"]), value=grand,
        total_priority=W, samples=samples, seed=seed, needed=counts.get("coalitions", 0),
        solved=counts.get("solved", 0), from_store=counts.get("from_store", 0), notes=notes)


def _exact_table(inputs, members, value, W, out, counts) -> Shapley:
    """`shapley(exact=True)`'s table from every coalition's value."""
    phi = np.array(_exact_values(members, value))
    grand = value.get(frozenset(members), 0.0)
    table, notes = _shares_table(inputs, members, phi, np.zeros(len(members)), grand, W)
    notes.append("exact: every coalition enumerated (no sampling error)")
    found = _study(table, value, members, grand, W, notes, counts)
    if out:
        found.to_excel(out)
    return found


def _shares_table(inputs, members, phi, error, grand, W) -> tuple[pd.DataFrame, list[str]]:
    """The output table: Shapley values and shares beside fair share and cost share (from a
    full solve of the grand coalition)."""
    notes = []
    undefined = abs(grand) <= EFFICIENCY_TOLERANCE * max(1.0, abs(W))
    if undefined:
        notes.append("v(M) = 0 (the alliance delivers none of its targets): deterrence "
                     "shares are undefined")
        share = np.full(len(members), np.nan)
    else:
        share = phi / grand
    fair = pd.Series(np.nan, index=members)
    cost = pd.Series(np.nan, index=members)
    result = solve(inputs, what_it_takes=False) if members else None
    if result is not None and result.solved:
        frame = result.members[result.members["member"].isin(members)]
        totals = frame.groupby("year")["cost"].sum()
        overall = float(totals.sum())
        if overall > 0:
            weighted = frame["fair_share"] * frame["year"].map(totals)
            fair = weighted.groupby(frame["member"]).sum().reindex(members) / overall
            cost = frame.groupby("member")["cost"].sum().reindex(members) / overall
        else:
            notes.append("the grand coalition's plan costs nothing: fair and cost shares "
                         "are undefined")
    elif result is not None:
        notes.append(f"the full solve of the grand coalition is {result.status}: fair and "
                     "cost shares are undefined")
    table = pd.DataFrame({"member": members, "shapley_value": phi, "standard_error": error,
                          "deterrence_share": share, "fair_share": fair.to_numpy(float),
                          "cost_share": cost.to_numpy(float)}, columns=SHAPLEY_COLUMNS)
    return table, notes


def shapley_exact(inputs) -> Shapley:
    """Exact Shapley values by enumerating all 2^|M| coalitions (|M| <= 10), solved here one
    by one, with no store: a `Shapley` whose table has member, shapley_value and
    deterrence_share (a second method beside `shapley(exact=True)`)."""
    members = inputs.present_members
    n = len(members)
    if n > EXACT_LIMIT:
        raise ValueError(f"{n} members: shapley_exact enumerates 2^n coalitions, at most "
                         f"{EXACT_LIMIT} members (use shapley() to sample)")
    value = {}
    for size in range(n + 1):
        for chosen in combinations(members, size):
            value[frozenset(chosen)] = coalition_value(inputs, chosen)
    phi = _exact_values(members, value)
    grand = value[frozenset(members)]
    share = np.array(phi) / grand if abs(grand) > EFFICIENCY_TOLERANCE else \
        np.full(n, np.nan)
    table = pd.DataFrame({"member": members, "shapley_value": phi, "deterrence_share": share})
    return _study(table, value, members, grand, total_priority(inputs), [],
                  {"coalitions": len(value) - 1, "solved": len(value) - 1})

