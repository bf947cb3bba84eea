"""Solve a case in lexicographic stages (docs/model.md) and return a `Result`.

Stage 1 minimises the shortfall index (when shortfall is allowed), stage 2 the chosen
objective, stage 3 total cost (for min_max_burden and min_deviation), and the tie-break the
deviation from fair shares; after each stage a row keeps it within (1 + 1e-6) of its optimum
(+1e-9). Everything runs on one HiGHS instance (see `highs_adapter.py`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from datetime import UTC, datetime
from importlib.metadata import version

import numpy as np
import pandas as pd

import models
from models import StructureCache, build_model, impossible, stage_plan
from models.relaxation import requested
from models.sets import index_sets

from . import __version__ as VERSION
from .analyst_model import as_built, constraints_table, load_plan
from .brief import brief_lines
from .certificate import FIRST_ROUTE
from .conflicts import explain_infeasible as _explain
from .diagnostics import fairness_table, year_table
from .extract import allocation_table, deterrence_table, members_table
from .held_back import held_back
from .highs_adapter import HighsSession, StageSessions, assemble, compile_model
from .levers import path_table, previous_table, rules_table
from .relaxation import with_what_it_takes
from .result import (
    ALLOCATION_COLUMNS,
    DETERRENCE_COLUMNS,
    MEMBER_COLUMNS,
    STAGE_COLUMNS,
    Result,
    empty_frame,
    stage_row,
)

SHORTFALL_TOLERANCE = 1e-7  # SI* above this: optimal_with_shortfall (docs/model.md)


ENGINES = ("matrix", "pyomo")


def solve(inputs, *, engine: str = "matrix", model=None, solver: str = "highs",
          what_it_takes: bool | tuple | None = None) -> Result:
    """Solve `inputs` and return a Result. Settings are changed one way, on the inputs:
    `solve(inputs.with_overrides({"settings.objective": "min_max_burden"}))`.

    `model`: a Pyomo model from `build_model(inputs)` that the analyst may have changed
    (constraints, variables, bounds, terms added to a stage's objective): the stages are
    solved on it, its own rows are reported in `Result.constraints` and named in an
    infeasibility explanation, and its variables hold the plan afterwards. As built, it is
    solved by the matrix route.

    `solver`: "highs" (default) or any solver Pyomo knows ("glpk", "cbc", "scip", "gurobi",
    "cplex", ...); another solver than HiGHS takes the Pyomo route, and its answers are
    certified on the same matrices (optimizer/pyomo_solvers.py).

    `engine`: "matrix" (default) formulates the model as arrays and hands them to HiGHS;
    "pyomo" builds the Pyomo model and compiles it with Pyomo's standard-form compiler. Both
    give bit-identical matrices (tests/test_formulation.py), so the same answer.

    `what_it_takes`: for a plan left short or infeasible, the least raise of the caps that
    would meet every target, and the targets cut instead (`optimizer.relaxation`), in
    `Result.what_it_takes*` and the brief. None (default): computed for such a plan unless the
    model was changed by the analyst (whose rows the relaxation does not know); False: never;
    True or a tuple such as ("caps", "personnel") (the limits to relax): also for a changed
    model, whose own rows are then left out of it (`what_it_takes(inputs, extra=f)` keeps
    the rows a function `f` adds). Always solved by HiGHS.

    >>> result = solve(read_inputs("inputs/tiny.xlsx"))          # doctest: +SKIP
    >>> result.status, round(result.summary["total_cost"], 1)     # doctest: +SKIP
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    started = time.perf_counter()
    if solver != "highs":
        from .pyomo_solvers import check_solver

        check_solver(solver)
    if model is not None:
        _check_model(model, inputs)
    own = model  # the analyst's model, which takes the plan and whose rows are reported
    if model is None and (engine == "pyomo" or solver != "highs"):
        model = build_model(inputs)
    if model is not None and solver == "highs" and engine == "matrix" and as_built(model):
        formulation, model = model.formulation, None  # nothing added: the matrix route
    elif model is not None:
        formulation = model.formulation
    else:
        formulation = formulate(inputs)
    # an analyst's changed model has rows the relaxation does not know
    relax = _relaxed_limits(what_it_takes, own if model is not None else None)
    if len(formulation.unreachable):
        return _with_what_it_takes(
            _without_solution(inputs, "infeasible", [], impossible(formulation),
                              list(inputs.warnings), started, formulation.n_columns, 0),
            inputs, relax, started)
    if model is None:
        compiled = assemble(formulation)
        session = HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
    else:
        compiled = compile_model(model)
        if solver == "highs":
            session = HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
        else:
            from .pyomo_solvers import PyomoSession

            session = PyomoSession(model, compiled.variables, compiled, solver,
                                   mip_gap=inputs.settings.mip_gap)
    result = solve_compiled(inputs, formulation, compiled, session, started, model=own,
                            solver=solver)
    if solver != "highs":  # a stage counts as solved by a second route when HiGHS proved it
        result.summary["second_routes"] = int((result.stages["route"] != solver).sum())
    return _with_what_it_takes(result, inputs, relax, started)


def _relaxed_limits(what_it_takes, model) -> tuple:
    """The limits `solve` relaxes for a plan short or infeasible (none: not computed)."""
    if what_it_takes is False or (what_it_takes is None and model is not None):
        return ()
    if what_it_takes is None or what_it_takes is True:
        return ("caps",)

    return requested(what_it_takes)


def _with_what_it_takes(result, inputs, relax: tuple, started: float):
    """`result` with what it would take, when it is short or infeasible and `relax` asks
    (within what is left of the time limit)."""
    if not relax or result.status not in ("optimal_with_shortfall", "infeasible"):
        return result

    return with_what_it_takes(result, inputs, relax, started)


def _check_model(model, inputs) -> None:
    """A model from `build_model`, for the settings the stages are solved with."""
    formulation = getattr(model, "formulation", None)
    if formulation is None:
        raise ValueError("solve(model=...) takes a model from burden's build_model(inputs)")

    if formulation.inputs is inputs:  # built from these very inputs (a sweep's `extra`)
        return
    sets, built = index_sets(inputs), formulation.sets
    differs = [name for name in ("members", "capabilities", "regions", "years",
                                 "equipment_types") if getattr(sets, name) != getattr(built, name)]
    differs += [name for name in ("member_years", "cells", "units", "targets")
                if not getattr(sets, name).equals(getattr(built, name))]
    if differs:
        raise ValueError(f"the model was built from other inputs (its {', '.join(differs)} "
                         "differ): build it from the inputs it is solved with")
    if stage_plan(inputs.settings) != formulation.stages:
        raise ValueError(
            f"the model was built for the stages {', '.join(formulation.stages)}, these "
            f"settings solve {', '.join(stage_plan(inputs.settings))}: build the model "
            "from the inputs with these settings")


def formulate(inputs, engine: str = "matrix", cache=None):
    """The formulation of `inputs`' model: arrays only ("matrix"), or with its Pyomo model in
    `formulation.model` ("pyomo"). `cache` (matrix only): a `models.StructureCache` whose
    structural pieces are reused where their inputs are unchanged."""
    if engine == "matrix":
        return models.formulate(inputs, cache)
    if engine == "pyomo":
        return models.build_model(inputs).formulation
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")


def compile_layout(formulation):
    """The matrices of a formulation from `formulate`, by the route it was formulated for."""
    return assemble(formulation) if formulation.model is None else \
        compile_model(formulation.model)


class Resolver:
    """Solves a series of cases on a HiGHS instance kept loaded: a case that differs from the
    last only in numbers (targets, caps, floors, pledges, GDP, reliability, tolerances) is
    loaded by editing bounds and changed coefficients in place; a case whose structure differs
    (robustness, objective, absence, access, ...) is loaded afresh. Both in matrix mode,
    formulated with the structure of the cases before kept (`StructureCache`) and assembled
    through the last matrix's entry order: exactly the formulation of the case alone
    (tests/test_resolve.py). Every answer is certified (`optimizer.certificate`) before it is
    kept, as in `solve`.

    `warm_start=True` (the default): one instance per stage, each starting from its own last
    basis (`highs_adapter.StageSessions`); a wrong warm-started optimum fails its certificate
    and is solved again cold, and among alternative optima the one found may depend on the
    cases before. `warm_start=False`: each case starts cold (the solver's basis cleared) and
    runs its stages on one instance, the path `solve` takes, so the answer does not depend on
    the cases solved before, at a cost in time (benchmarks/README.md, "Certified optima").

    `tables`: True, every table; "deterrence" (what a sweep stores), the summary, stages,
    members and deterrence tables, without marginal costs; False, the summary, stages and
    members only. The others stay empty."""

    def __init__(self, tables: bool | str = True, warm_start: bool = True):
        self.tables = tables
        self.warm_start = warm_start
        self.sessions = None
        self.stages = None
        self.rebuilds = 0
        self.updates = 0
        self.structure = StructureCache()  # index sets and look-ups of the cases solved
        self.compiled = None  # the last case's matrices, whose entry order `assemble` reuses

    def solve(self, inputs) -> Result:
        started = time.perf_counter()
        layout = formulate(inputs, cache=self.structure)
        if len(layout.unreachable):
            return _without_solution(inputs, "infeasible", [], impossible(layout),
                                     list(inputs.warnings), started, layout.n_columns, 0)
        compiled = self.compiled = assemble(layout, self.compiled, keep_pattern=True)
        if (self.sessions is not None and self.stages == layout.stages
                and self.sessions.update(compiled, cold=not self.warm_start)):
            self.updates += 1
            self.sessions.set_mip_gap(inputs.settings.mip_gap)
        elif self.warm_start:
            self.sessions = StageSessions(compiled, len(layout.stages),
                                          mip_gap=inputs.settings.mip_gap)
            self.stages = list(layout.stages)
            self.rebuilds += 1
        else:
            self.sessions = HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
            self.stages = list(layout.stages)
            self.rebuilds += 1
        return solve_compiled(inputs, layout, compiled, self.sessions, started,
                              tables=self.tables)


def solve_compiled(inputs, layout, compiled, session, started, tables: bool = True,
                   model=None, solver: str = "highs") -> Result:
    """The lexicographic stages on a loaded session (a `HighsSession`, `StageSessions` or
    `PyomoSession`), then the extraction (`tables=False`: summary, stages and members only).
    `model`: the analyst's Pyomo model (built by `build_model`, compiled into `compiled`
    or, as built, formulated alone): its variables take the plan and, when it was compiled,
    its own rows are reported."""
    session.start()
    try:
        return _stages(inputs, layout, compiled, session, started, tables, model, solver)
    finally:
        session.finish()


def _stages(inputs, layout, compiled, session, started, tables, model=None,
            solver="highs") -> Result:
    settings = inputs.settings
    warnings = list(inputs.warnings)
    n_vars, n_rows = compiled.matrix.shape[1], compiled.matrix.shape[0]

    stages, solved, marginal, status = [], None, None, "optimal"
    cost_duals = None  # row duals at the cost stage, for the analyst's own rows
    for number, name in enumerate(layout.stages, start=1):
        costs = compiled.objectives[name]
        left = None
        if settings.time_limit is not None:
            left = max(settings.time_limit - (time.perf_counter() - started), 1e-3)
        stage_start = time.perf_counter()
        outcome = session.minimise(costs, left)
        seconds = time.perf_counter() - stage_start
        if outcome.status == "infeasible":
            conflicts = _explain(session, layout, compiled, settings)
            stages.append(stage_row(number, name, outcome, seconds))
            return _without_solution(inputs, "infeasible", stages, conflicts, warnings,
                                     started, n_vars, n_rows, solver)
        if outcome.status == "error" or not outcome.has_solution:
            stages.append(stage_row(number, name, outcome, seconds))
            if solved is None or outcome.status == "error":
                message = f"stage {number} ({name}): {outcome.message}" if outcome.message \
                    else ""
                return _without_solution(inputs, outcome.status, stages,
                                         [message] if message else [],
                                         warnings, started, n_vars, n_rows, solver)
            status = outcome.status
            break
        solved = outcome
        stages.append(stage_row(number, name, outcome, seconds))
        if name == "total_cost" and tables is True:
            duals = cost_duals = session.row_duals(costs, outcome.x)
            deterrence = layout.blocks["deterrence"]
            rows = compiled.block_rows("deterrence")
            if duals is not None and len(rows) == deterrence.size:
                marginal = np.full(len(layout.targets), np.nan)
                marginal[deterrence.labels["target_row"].to_numpy()] = duals[rows]
        if outcome.status != "optimal":
            status = outcome.status
            warnings.append(f"stage {number} ({name}) stopped early: {outcome.message}")
            break
        if number < len(layout.stages):
            session.keep(costs, outcome.value)

    x = solved.x
    stage_table = pd.DataFrame(stages, columns=STAGE_COLUMNS)
    members = members_table(inputs, layout, x)
    if tables:
        allocation = allocation_table(layout, x)
        deterrence = deterrence_table(layout, allocation, settings.robustness, marginal)
        if tables is True:
            deterrence = _with_held_back(inputs, layout, members, allocation, deterrence)
        if tables == "deterrence":  # a sweep keeps the per-target shortfalls only
            allocation = empty_frame(ALLOCATION_COLUMNS)
    else:
        allocation = empty_frame(ALLOCATION_COLUMNS)
        deterrence = empty_frame(DETERRENCE_COLUMNS)
    values = dict(zip(stage_table["name"], stage_table["value"]))
    shortfall_index = float(values.get("shortfall_index", 0.0))
    objective_name = {"min_cost": "total_cost", "min_max_burden": "max_burden",
                      "min_deviation": "deviation"}[settings.objective]
    if status == "optimal" and shortfall_index > SHORTFALL_TOLERANCE:
        status = "optimal_with_shortfall"
    present = members[members["member"].isin(layout.members)]
    summary = _summary(inputs, status, started, n_vars, n_rows, stage_table, solver)
    summary.update(
        shortfall_index=shortfall_index,
        objective_value=values.get(objective_name),
        # the plan's own total (the sum of the members' costs, as every sheet shows it); the
        # cost stage's optimum stays in the stages table
        total_cost=float(members["cost"].sum()),
        max_burden=float(present["burden"].max()) if len(present) else None,
        min_burden=float(present["burden"].min()) if len(present) else None,
        members_at_cap=int(present.groupby("member")["at_cap"].any().sum()),
    )
    levers = {}
    if tables is True:
        levers = lever_tables(layout, compiled, x, cost_duals, members)
    constraints = None
    if model is not None:
        compiled_from_model = compiled.variables is not None
        load_plan(compiled.variables if compiled_from_model else layout.model_columns,
                  compiled.integer, x)
        if compiled_from_model:
            constraints = constraints_table(model, layout, compiled, cost_duals)
    result = Result(status=status, summary=summary, stages=stage_table, members=members,
                    allocation=allocation, deterrence=deterrence,
                    settings=settings.as_table(), conflicts=[], warnings=warnings,
                    sources=inputs.sources)
    if constraints is not None:
        result = dataclasses.replace(result, constraints=constraints)
    if levers:
        result = dataclasses.replace(result, **levers)
    if tables is not True:
        return result
    fairness = fairness_table(inputs, members)
    result = dataclasses.replace(result, fairness=fairness,
                                 free_riders=year_table(fairness, deterrence))
    return dataclasses.replace(result, brief=brief_lines(result))


def lever_tables(layout, compiled, x, duals, members) -> dict:
    """The `rules`, `path` and `previous` tables of a solved plan (optimizer/levers.py);
    the rules' marginal costs are their rows' duals at the cost stage."""
    tables = {"path": path_table(layout, x), "previous": previous_table(layout, members)}
    if layout.sets.rules is not None and len(layout.sets.rules):
        block, rule_duals = layout.blocks.get("rules"), None
        if block is None and duals is not None:  # every group vacuous: no row binds
            rule_duals = (np.zeros(0, dtype=np.int64), np.zeros(0))
        elif block is not None and duals is not None:
            rows = compiled.block_rows("rules")
            if len(rows) == block.size:  # each row's dual, at its place among the groups
                rule_duals = (block.labels["sum_row"].to_numpy(), duals[rows])
        tables["rules"] = rules_table(layout, x, rule_duals)
    return tables


def _with_held_back(inputs, layout, members, allocation, deterrence):
    """The deterrence table with each short target's `held_back_by`."""
    return deterrence.assign(held_back_by=held_back(inputs, layout, members, allocation,
                                                    deterrence))


@functools.cache
def _solver_name(solver: str = "highs") -> str:
    """The solver, as the summary names it (read once): HiGHS by its highspy version,
    another by the version Pyomo reports."""
    if solver == "highs":
        return f"HiGHS {version('highspy')} (highspy)"
    from .pyomo_solvers import solver_version

    return solver_version(solver)


def certification(stages) -> dict:
    """The summary's account of the stages' certificates: whether every stage solved was
    certified, the largest residual and gap, and how many stages needed a second route."""
    solved = stages[stages["status"] == "optimal"] if len(stages) else stages
    return {
        "certified": bool(len(stages)) and bool((stages["status"] == "optimal").all())
        and bool(solved["certified"].all()),
        "max_residual": float(solved["residual"].max()) if len(solved) else None,
        "max_gap": float(solved["duality_gap"].max()) if len(solved) else None,
        "second_routes": int((stages["route"] != FIRST_ROUTE).sum()) if len(stages) else 0,
    }


def _summary(inputs, status, started, n_vars, n_rows, stages=None,
             solver: str = "highs") -> dict:
    if stages is None:
        stages = pd.DataFrame(columns=STAGE_COLUMNS)
    return {
        "status": status, "objective": inputs.settings.objective, "shortfall_index": None,
        "objective_value": None, "total_cost": None, "max_burden": None, "min_burden": None,
        "members_at_cap": None,
        "solver": _solver_name(solver),
        "solve_seconds": round(time.perf_counter() - started, 3),
        **certification(stages),
        "variables": n_vars, "constraints": n_rows, "input_file": inputs.source,
        "input_sha256": inputs.sha256,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": VERSION,
    }


def _without_solution(inputs, status, stages, conflicts, warnings, started, n_vars, n_rows,
                      solver: str = "highs"):
    stage_table = pd.DataFrame(stages, columns=STAGE_COLUMNS)
    result = Result(status=status,
                    summary=_summary(inputs, status, started, n_vars, n_rows, stage_table,
                                     solver),
                    stages=stage_table,
                    members=empty_frame(MEMBER_COLUMNS),
                    allocation=empty_frame(ALLOCATION_COLUMNS),
                    deterrence=empty_frame(DETERRENCE_COLUMNS),
                    settings=inputs.settings.as_table(), conflicts=conflicts, warnings=warnings,
                    sources=inputs.sources)
    return dataclasses.replace(result, brief=brief_lines(result))
