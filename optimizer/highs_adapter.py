"""The one place that talks to HiGHS (highspy) and to Pyomo's standard-form compiler.

Two routes to the same `CompiledModel` (sparse matrices, bounds, stage objectives):
`assemble(layout)` takes the arrays the model families emit in matrix mode (what `solve()`
uses: no Pyomo on the hot path), and `compile_model(model)` runs Pyomo's
`LinearStandardFormCompiler` on the Pyomo model of the same families (the reference route,
`solve(engine="pyomo")`); tests/test_formulation.py proves the two bit-identical. Either is
handed to `highspy` with `passModel`. Stages then switch the column costs and add one "keep
stage k" row each on the same HiGHS instance, so nothing is rebuilt between stages; a series of
cases that differ only in numbers is loaded by editing bounds and coefficients in place
(`HighsSession.update`), one instance per stage (`StageSessions`) so that every stage starts
from its own last basis. Pyomo marks its compiler as changing between releases, and highspy's
API moves too: only this module touches either. Choice and figures: docs/decisions.md and benchmarks/README.md.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from .certificate import (
    FIRST_ROUTE,
    Certificate,
    LinearProgram,
    certify_mip,
    failed,
    integrality_residual,
)

INF = highspy.kHighsInf
STAGE_RELATIVE = 1e-6  # keep stage k within (1 + 1e-6) of its optimum ...
STAGE_ABSOLUTE = 1e-9  # ... plus 1e-9 (docs/model.md)
MIP_PRESOLVE_RULES_OFF = (1 << 5) | (1 << 7)  # dominated columns, forcing columns (see below)


def quiet_highs() -> highspy.Highs:
    """A silent HiGHS instance. HiGHS prints its banner to file descriptor 1 when the first
    instance of a process is made, which would corrupt `burden solve --json`: the descriptor
    points at the null device for that moment."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs


@dataclass
class CompiledModel:
    """A model as matrices. Columns are in the layout's global order; rows in the order the
    families were added (`blocks`: constraint name, first row, row count)."""

    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    objectives: dict  # name -> dense cost vector over columns
    blocks: list  # (constraint name, first row, count)
    pattern: MatrixPattern | None = None  # entry order (`assemble(.., keep_pattern=True)`)
    column_unit: np.ndarray | None = None  # each column's unit of measure (see `Scaling`)
    #: compiled from a Pyomo model (`compile_model`): its variables in column order, and the
    #: constraint of each row
    variables: list | None = None
    rows: list | None = None

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def block_of(self, row: int) -> tuple[str, int]:
        """The constraint name and its local index for a row number."""
        for name, start, count in self.blocks:
            if start <= row < start + count:
                return name, row - start
        raise IndexError(row)

    def block_rows(self, name: str) -> np.ndarray:
        for block, start, count in self.blocks:
            if block == name:
                return np.arange(start, start + count)
        return np.arange(0)


def assemble(layout, previous: CompiledModel | None = None,
             keep_pattern: bool = False) -> CompiledModel:
    """The matrices straight from the layout's arrays (matrix mode, no Pyomo): the same
    CompiledModel `compile_model` gives for the Pyomo model of the same inputs.

    `keep_pattern` (a `Resolver`): the result keeps its entry order (`MatrixPattern`), and
    `previous`, what was assembled last: when this layout's rows and columns are entry for
    entry those of `previous`, only the coefficients are put in place, through the entry
    order `previous` kept. The matrix is the same either way."""
    n = layout.n_columns
    specs = list(layout.row_specs.values())
    blocks, start = [], 0
    for name, (_, _, _, lower, _) in layout.row_specs.items():
        blocks.append((name, start, len(lower)))
        start += len(lower)
    shape = (start, n)
    entries = [(r, c) for r, c, _, _, _ in specs]  # each block's rows (local) and columns
    coefs = np.concatenate([v for _, _, v, _, _ in specs])
    pattern, matrix = None, None
    if keep_pattern:
        pattern = previous.pattern if previous is not None else None
        if pattern is None or not pattern.fits(entries, shape):
            pattern = MatrixPattern.of(entries, [b[1] for b in blocks], shape)
        matrix = pattern.matrix(coefs) if pattern is not None else None
    if matrix is None:
        rows, cols = _global_entries(entries, [b[1] for b in blocks])
        matrix = _canonical(sp.coo_array((coefs, (rows, cols)), shape=shape).tocsc())
    objectives = {}
    for name, (c, v) in layout.objective_specs.items():
        dense = np.zeros(n)
        np.add.at(dense, c, v)
        objectives[name] = dense
    lower = np.concatenate([lo for _, _, _, lo, _ in specs])
    upper = np.concatenate([up for _, _, _, _, up in specs])
    return CompiledModel(matrix=matrix,
                         row_lower=np.where(np.isfinite(lower), lower, -INF),
                         row_upper=np.where(np.isfinite(upper), upper, INF),
                         col_lower=np.asarray(layout.lower, float),
                         col_upper=np.asarray(layout.upper, float),
                         integer=np.asarray(layout.integer, bool), objectives=objectives,
                         blocks=blocks, pattern=pattern, column_unit=layout.column_unit)


def _global_entries(entries: list, starts: list) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of every entry, rows numbered across blocks."""
    return (np.concatenate([r + start for (r, _), start in zip(entries, starts)]),
            np.concatenate([c for _, c in entries]))


class MatrixPattern:
    """Where each (row, column, coefficient) entry of a layout goes in the compressed-column
    matrix, kept so that a layout with the same rows and columns (a sweep's numbers-only
    scenario) is assembled by reordering its coefficients, not by sorting again. Only for
    entries without duplicate (row, column) pairs (`of` gives None otherwise)."""

    def __init__(self, entries, shape, order, indices, columns):
        self.entries, self.shape = entries, shape  # each block's (rows, columns)
        self.order, self.indices, self.columns = order, indices, columns  # entries sorted
        self.indptr = self._starts(columns)

    def _starts(self, columns: np.ndarray) -> np.ndarray:
        indptr = np.zeros(self.shape[1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(columns, minlength=self.shape[1]), out=indptr[1:])
        return indptr

    @classmethod
    def of(cls, entries: list, starts: list, shape) -> MatrixPattern | None:
        rows, cols = _global_entries(entries, starts)
        order = np.lexsort((rows, cols))  # by column, then row: compressed-column order
        sorted_rows, sorted_cols = rows[order], cols[order]
        if np.any((sorted_rows[1:] == sorted_rows[:-1]) & (sorted_cols[1:] == sorted_cols[:-1])):
            return None
        return cls(entries, shape, order, sorted_rows, sorted_cols)

    def fits(self, entries: list, shape) -> bool:
        """Are `entries` (block by block) exactly the entries of this pattern? The arrays a
        `StructureCache` kept are the same objects, and are not compared again."""
        return self.shape == shape and len(entries) == len(self.entries) and all(
            _same_array(r, kept_r) and _same_array(c, kept_c)
            for (r, c), (kept_r, kept_c) in zip(entries, self.entries))

    def matrix(self, coefs: np.ndarray) -> sp.csc_array:
        """The canonical matrix of these entries with `coefs` (explicit zeros dropped)."""
        data = coefs[self.order]
        kept = data != 0
        if kept.all():
            indptr, indices = self.indptr, self.indices
        else:
            data, indices = data[kept], self.indices[kept]
            indptr = self._starts(self.columns[kept])
        matrix = sp.csc_array((data, indices, indptr), shape=self.shape)
        matrix.has_sorted_indices = True
        matrix.has_canonical_format = True
        return matrix


def _canonical(matrix) -> sp.csc_array:
    """Explicit zeros dropped, row indices sorted: one representation per matrix."""
    matrix = sp.csc_array(matrix)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def compile_model(model) -> CompiledModel:
    """Compile a Pyomo model built by `models.build_model` with Pyomo's standard-form
    compiler, whatever the analyst added to it: the formulation's columns and rows first, in
    its order, then any other variable and active constraint in the model's order (their
    blocks named by their components). Column bounds and integrality are read off the model's
    variables; every stage objective is compiled, with the terms an analyst added to it."""
    import pyomo.environ as pyo
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    formulation = model.formulation
    generated = formulation.model_columns
    stage_objectives = [getattr(model, name) for name in formulation.objectives]
    for objective in model.component_data_objects(pyo.Objective, active=True):
        if objective.parent_component().local_name not in formulation.objectives:
            raise ValueError(
                f"objective {objective.name!r} is not one of burden's stages "
                f"({', '.join(formulation.stages)}): add its terms to a stage's objective "
                "(m.total_cost.expr += ...) instead")
    active = [objective.active for objective in stage_objectives]
    for objective in stage_objectives:
        objective.activate()
    try:
        info = LinearStandardFormCompiler().write(
            model, mixed_form=True, column_order=generated, row_order=formulation.model_rows)
    finally:
        for objective, was in zip(stage_objectives, active):
            objective.activate() if was else objective.deactivate()
    position = {id(v): i for i, v in enumerate(generated)}
    extra = [v for v in info.columns if id(v) not in position]
    for k, v in enumerate(extra):
        position[id(v)] = len(generated) + k
    variables = list(generated) + extra
    columns = np.fromiter((position[id(v)] for v in info.columns), dtype=np.int64,
                          count=len(info.columns))
    n = len(variables)
    # Columns the compiler dropped (used nowhere, or fixed) come back as empty columns.
    matrix = sp.csc_array(info.A)
    if len(columns) != n or not np.array_equal(columns, np.arange(n)):
        expand = sp.csc_array((np.ones(len(columns)), (columns, np.arange(len(columns)))),
                              shape=(n, len(columns)))
        matrix = sp.csc_array((expand @ matrix.T).T)
    rhs = np.asarray(info.rhs, dtype=float)
    sense = np.fromiter((r[1] for r in info.rows), dtype=np.int8, count=len(info.rows))
    row_lower = np.where(sense <= 0, rhs, -INF)
    row_upper = np.where(sense >= 0, rhs, INF)
    objectives = {}
    c = sp.csr_array(info.c)
    for k, objective in enumerate(info.objectives):
        dense = np.zeros(n)
        row = c[[k], :].tocoo()
        dense[columns[row.col]] = row.data
        objectives[objective.local_name] = dense
    names = [row.constraint.parent_component().local_name for row in info.rows]
    blocks, start = [], 0
    counts = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    for name in [*formulation.blocks, *(n for n in dict.fromkeys(names)
                                        if n not in formulation.blocks)]:
        count = counts.get(name, 0)
        blocks.append((name, start, count))
        start += count
    lower, upper, integer = variable_bounds(variables)
    unit = np.concatenate([formulation.column_unit, np.ones(len(extra))])
    return CompiledModel(matrix=_canonical(matrix), row_lower=row_lower, row_upper=row_upper,
                         col_lower=lower, col_upper=upper, integer=integer,
                         objectives=objectives, blocks=blocks,
                         column_unit=np.where(integer, 1.0, unit), variables=variables,
                         rows=[row.constraint for row in info.rows])


def variable_bounds(variables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds (fixed variables: their value) and integrality of Pyomo
    variables."""
    n = len(variables)
    lower, upper = np.empty(n), np.empty(n)
    integer = np.zeros(n, dtype=bool)
    for j, v in enumerate(variables):
        if v.fixed:
            lower[j] = upper[j] = v.value
            continue
        lb, ub = v.lb, v.ub
        lower[j] = -np.inf if lb is None else lb
        upper[j] = np.inf if ub is None else ub
        integer[j] = v.is_integer() or v.is_binary()
    return lower, upper, integer


@dataclass
class Edits:
    """What turns one compiled model into another of the same structure: the columns and rows
    whose bounds moved, and the (row, column, value) of each changed coefficient. Only what
    differs is sent to HiGHS: a large case has ~260k columns, of which a numbers-only scenario
    moves a few hundred bounds."""

    columns: np.ndarray  # int32
    rows: np.ndarray  # int32
    coefficients: list  # (row, column, value)

    @classmethod
    def between(cls, old: CompiledModel, new: CompiledModel) -> Edits | None:
        """None when the structure differs (shape, nonzero pattern, integrality, blocks)."""
        if (old.matrix.shape != new.matrix.shape
                or not _same_array(old.matrix.indptr, new.matrix.indptr)
                or not _same_array(old.matrix.indices, new.matrix.indices)
                or not np.array_equal(old.integer, new.integer)
                or [b[:2] for b in old.blocks] != [b[:2] for b in new.blocks]):
            return None
        columns = np.nonzero((old.col_lower != new.col_lower) |
                             (old.col_upper != new.col_upper))[0].astype(np.int32)
        rows = np.nonzero((old.row_lower != new.row_lower) |
                          (old.row_upper != new.row_upper))[0].astype(np.int32)
        changed = np.nonzero(old.matrix.data != new.matrix.data)[0]
        coefficients = []
        if len(changed):
            column_of = np.repeat(np.arange(new.matrix.shape[1]), np.diff(new.matrix.indptr))
            coefficients = list(zip(new.matrix.indices[changed].tolist(),
                                    column_of[changed].tolist(),
                                    new.matrix.data[changed].tolist()))
        return cls(columns, rows, coefficients)


def powers_of_two(values: np.ndarray) -> np.ndarray:
    """The power of two nearest each value (1 where a value is not positive and finite)."""
    values = np.asarray(values, float)
    ok = np.isfinite(values) & (values > 0)
    return np.where(ok, 2.0 ** np.round(np.log2(np.where(ok, values, 1.0))), 1.0)


def _entry_columns(matrix: sp.csc_array) -> np.ndarray:
    return np.repeat(np.arange(matrix.shape[1]), np.diff(matrix.indptr))


class Scaling:
    """How a compiled model is handed to HiGHS: column `j` counted in its unit of measure
    `D_j` (`x = D x'`, `CompiledModel.column_unit`), then row `i` multiplied by `R_i`, the
    power of two that brings its largest coefficient nearest 1, and each objective or added
    row by the power of two that does the same for its coefficients. Every factor is a power
    of two, so the scaled numbers are the model's own, exactly. HiGHS then solves

        minimise (s c D) . x'  subject to  R rl <= (R A D) x' <= R ru,  cl / D <= x' <= cu / D

    and its answer maps back as `x = D x'`, row duals `y = R y' / s`. The factors are fixed
    by the first model a session holds, so a numbers-only case is still an in-place edit."""

    def __init__(self, compiled: CompiledModel):
        n_cols = compiled.matrix.shape[1]
        unit = compiled.column_unit
        self.column = np.ones(n_cols) if unit is None else np.asarray(unit, float)
        by_column = compiled.matrix.copy()
        by_column.data = np.abs(by_column.data) * self.column[_entry_columns(by_column)]
        largest = np.zeros(compiled.matrix.shape[0])
        np.maximum.at(largest, by_column.indices, by_column.data)
        self.row = 1.0 / powers_of_two(largest)

    def matrix(self, matrix: sp.csc_array) -> sp.csc_array:
        scaled = matrix.copy()
        scaled.data = scaled.data * self.row[scaled.indices] * self.column[
            _entry_columns(scaled)]
        return scaled

    def held(self, compiled: CompiledModel) -> tuple:
        """The model as the solver holds it: (matrix, row_lower, row_upper, col_lower,
        col_upper), scaled; `LinearProgram(*held)` is what its certificates read."""
        return (self.matrix(compiled.matrix), compiled.row_lower * self.row,
                compiled.row_upper * self.row, compiled.col_lower / self.column,
                compiled.col_upper / self.column)

    def coefficient(self, row: int, column: int, value: float) -> float:
        return value * self.row[row] * self.column[column]

    def objective(self, costs: np.ndarray) -> tuple[np.ndarray, float]:
        """The costs HiGHS minimises for `costs`, and their factor `s`."""
        scaled = np.asarray(costs, float) * self.column
        largest = float(np.abs(scaled).max()) if len(scaled) else 0.0
        factor = 1.0 / float(powers_of_two(largest))
        return scaled * factor, factor


def coefficient_ranges(matrix, costs, col_lower, col_upper, row_lower, row_upper) -> dict:
    """The smallest and largest nonzero magnitude of the matrix, the costs, the finite
    column bounds and the finite row bounds (as HiGHS prints them when it starts)."""
    def span(values):
        values = np.abs(np.asarray(values, float))
        values = values[np.isfinite(values) & (values > 0)]
        return (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)

    return {"matrix": span(matrix.data), "cost": span(costs),
            "bound": span(np.concatenate([col_lower, col_upper])),
            "rhs": span(np.concatenate([row_lower, row_upper]))}


#: The routes a stage is solved again by, in order, when its first answer carries no
#: certificate: each starts cold (the solver's basis and solution cleared).
LP_ROUTES = (
    ("cold start, presolve off", {"presolve": "off"}),
    ("interior point with crossover", {"solver": "ipm", "run_crossover": "on"}),
    ("tight tolerances", {"presolve": "off", "primal_feasibility_tolerance": 1e-10,
                          "dual_feasibility_tolerance": 1e-10}),
)
MIP_ROUTES = (
    ("cold start, presolve off", {"presolve": "off"}),
    ("tight tolerances", {"presolve": "off", "mip_feasibility_tolerance": 1e-9,
                          "primal_feasibility_tolerance": 1e-10,
                          "dual_feasibility_tolerance": 1e-10}),
)


@dataclass
class StageOutcome:
    """What one stage's `minimise` found: status (optimal, infeasible, time_limit, error),
    the value of `costs . x` (in the costs' own units), the solution `x` (None without one),
    its certificate (`optimizer.certificate`), the route that gave it (`FIRST_ROUTE` or one
    of `LP_ROUTES` / `MIP_ROUTES`), and the certificate of the first answer when another
    route was needed."""

    status: str
    value: float | None = None
    x: np.ndarray | None = None
    message: str = ""
    certificate: Certificate | None = None
    route: str = FIRST_ROUTE
    rejected: Certificate | None = None

    @property
    def has_solution(self) -> bool:
        return self.x is not None

    @property
    def certified(self) -> bool:
        return self.certificate is not None and self.certificate.holds


@dataclass
class BoundRow:
    """A row the stages add: `costs . x <= upper` (a "keep stage k" row, or a frontier's
    deviation bound); `upper` is infinite while the row is not in force."""

    row: int
    costs: np.ndarray
    upper: float
    factor: float = 1.0  # the row as HiGHS holds it: factor * (costs * D) . x' <= factor*upper


class HighsSession:
    """One HiGHS instance holding the compiled model through every stage. Every optimum it
    returns has been certified on the compiled matrices (`optimizer.certificate`), or solved
    again by the routes of `LP_ROUTES` / `MIP_ROUTES` until one is; a stage none of them can
    certify comes back as status `error`."""

    def __init__(self, compiled: CompiledModel, mip_gap: float = 1e-6, threads: int = 1):
        self.compiled = compiled
        self.run_seconds = 0.0  # wall-clock seconds inside `Highs.run` (benchmarks/)
        self.highs = quiet_highs()
        self.highs.setOptionValue("threads", threads)
        self.highs.setOptionValue("random_seed", 0)
        self.mip_gap = float(mip_gap)
        self.highs.setOptionValue("mip_rel_gap", self.mip_gap)
        self.highs.setOptionValue("mip_abs_gap", 0.0)
        if compiled.is_mip:
            # HiGHS 1.16's MIP presolve, with dominated-column (rule 5) and forcing-column
            # (rule 7) reductions on, returns a wrong "optimal" min_max_burden stage on the
            # shipped example once the stage-1 bound row is present (0.05 instead of
            # 0.045173, which the LP relaxation and presolve-off both confirm):
            # tests/test_formulation.py::test_mip_presolve_keeps_the_true_optimum.
            self.highs.setOptionValue("presolve_rule_off", MIP_PRESOLVE_RULES_OFF)
        self.scaling = Scaling(compiled)
        self._scale(compiled)
        self.highs.passModel(self._lp())
        self.costs = np.zeros(compiled.matrix.shape[1])  # the (scaled) costs HiGHS holds
        self.cost_factor = 1.0  # `s` of those costs
        self.bound_rows: list[BoundRow] = []  # keep rows (stage order), then bound rows
        self.keep_rows: list[BoundRow] = []  # the keep rows among them
        self.kept = 0  # keep rows in force for the case being solved
        self.fixed_duals: tuple[np.ndarray, np.ndarray] | None = None  # MIP: (x, row duals)

    def _scale(self, compiled: CompiledModel) -> None:
        """The model as HiGHS holds it (`Scaling`): matrix and bounds, kept for the
        certificate, which is computed on them and the solver's scaled answer."""
        (self.matrix, self.row_lower, self.row_upper, self.col_lower,
         self.col_upper) = self.scaling.held(compiled)
        self._program = None  # made for the first certificate of this model

    @property
    def program(self) -> LinearProgram:
        """The held model as the certificates read it (made once per model loaded)."""
        if self._program is None:
            self._program = LinearProgram(self.matrix, self.row_lower, self.row_upper,
                                          self.col_lower, self.col_upper)
        return self._program

    def _lp(self) -> highspy.HighsLp:
        c = self.compiled
        lp = highspy.HighsLp()
        n_rows, n_cols = c.matrix.shape
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_, lp.col_upper_ = self.col_lower, self.col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = self.matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = self.matrix.data.astype(float)
        if c.is_mip:
            lp.integrality_ = [highspy.HighsVarType.kInteger if flag else
                               highspy.HighsVarType.kContinuous for flag in c.integer]
        return lp

    def minimise(self, costs: np.ndarray, seconds_left: float | None) -> StageOutcome:
        """Minimise `costs . x` over the model as it stands (only changed costs are sent), and
        certify the answer; on a failed certificate solve again by each route in turn."""
        started = time.perf_counter()
        costs = np.asarray(costs, float)
        scaled, self.cost_factor = self.scaling.objective(costs)
        changed = np.nonzero(self.costs != scaled)[0].astype(np.int32)
        if len(changed):
            self.highs.changeColsCost(len(changed), changed, scaled[changed])
            self.costs = scaled
        outcome = self._attempt(costs, seconds_left, started)
        # an "infeasible" verdict is confirmed from a cold start too (after a warm start,
        # or with keep rows in force, it would be wrong: the last optimum satisfies them)
        if outcome.certified or outcome.status not in ("optimal", "infeasible"):
            return outcome
        first = outcome
        for route, options in (MIP_ROUTES if self.compiled.is_mip else LP_ROUTES):
            self.highs.clearSolver()
            saved = {key: _option(self.highs, key) for key in options}
            for key, value in options.items():
                self.highs.setOptionValue(key, value)
            try:
                outcome = self._attempt(costs, seconds_left, started)
            finally:
                for key, value in saved.items():
                    self.highs.setOptionValue(key, value)
            outcome.route, outcome.rejected = route, first.certificate
            if outcome.certified or outcome.status == "time_limit" or (
                    first.status == outcome.status == "infeasible"):
                break
        if outcome.status == "optimal" and not outcome.certified:
            residual = first.certificate.failure() if first.certificate else first.status
            outcome = StageOutcome(
                "error", message=f"no route gave a certified optimum (first answer: {residual}; "
                f"last route, {outcome.route}: {outcome.certificate.failure()})",
                certificate=outcome.certificate, route=outcome.route,
                rejected=first.certificate)
        return outcome

    def _attempt(self, costs: np.ndarray, seconds_left: float | None,
                 started: float) -> StageOutcome:
        """One run of HiGHS on the model as it stands, certified when it says optimal."""
        h = self.highs
        left = None if seconds_left is None else max(seconds_left - (time.perf_counter() -
                                                                     started), 1e-3)
        h.setOptionValue("time_limit", float(left) if left else INF)
        self._run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            self._run()
            h.setOptionValue("presolve", "choose")
            status = h.getModelStatus()
        x, value, solution, scaled = None, None, None, None
        if h.getInfo().primal_solution_status == 2:  # feasible
            solution = h.getSolution()
            scaled = np.asarray(solution.col_value, dtype=float)
            x = scaled * self.scaling.column
            value = float(np.dot(costs, x))
        if status == highspy.HighsModelStatus.kOptimal:
            certificate = failed("the solver gave no solution") if x is None else \
                self._certify(scaled, x, solution)
            return StageOutcome("optimal", value, x, certificate=certificate)
        if status == highspy.HighsModelStatus.kInfeasible:
            return StageOutcome("infeasible")
        if status in (highspy.HighsModelStatus.kTimeLimit,
                      highspy.HighsModelStatus.kInterrupt):
            return StageOutcome("time_limit", value, x, "time limit reached")
        return StageOutcome("error", value, x, f"HiGHS: {h.modelStatusToString(status)}")

    def _active_rows(self) -> list[BoundRow]:
        return [row for row in self.bound_rows if np.isfinite(row.upper)]

    def _certify(self, x: np.ndarray, answer: np.ndarray, solution) -> Certificate:
        """The certificate of HiGHS' answer `x` (scaled columns) on the model as it is
        held (`_scale`; `answer` is the same in the model's units): every factor is a power of
        two, so residuals in these units are the model's own residuals measured in its units
        of measure."""
        c = self.compiled
        n_rows = c.matrix.shape[0]
        costs = self.costs
        active = self._active_rows()
        keep = [(row.factor * row.costs * self.scaling.column, row.factor * row.upper)
                for row in active]
        if not c.is_mip:
            if not solution.dual_valid:
                return failed("the solver gave no row duals")
            duals = np.asarray(solution.row_dual, dtype=float)
            y = np.concatenate([duals[:n_rows], duals[[row.row for row in active]]])
            return self.program.certify(costs, x, y, keep)
        bound = float(self.highs.getInfo().mip_dual_bound)  # before the LP below runs
        integrality = integrality_residual(x, c.integer)
        incumbent = x.copy()
        incumbent[c.integer] = np.round(incumbent[c.integer])
        duals = self._fixed_lp_duals(incumbent)
        self.fixed_duals = None if duals is None else (
            answer, duals[:n_rows] * self.scaling.row / self.cost_factor)
        if duals is None:
            lp = failed("the LP with the integers fixed has no certified optimum")
        else:
            y = np.concatenate([duals[:n_rows], duals[[row.row for row in active]]])
            lower = np.where(c.integer, incumbent, self.col_lower)
            upper = np.where(c.integer, incumbent, self.col_upper)
            lp = self.program.with_columns(lower, upper).certify(costs, incumbent, y, keep)
        return certify_mip(lp, integrality, float(np.dot(costs, x)), bound, self.mip_gap)

    def _fixed_lp_duals(self, incumbent: np.ndarray) -> np.ndarray | None:
        """Row duals (every row of the instance) of the LP with the integer columns fixed at
        `incumbent`; the integers are restored afterwards."""
        h = self.highs
        c = self.compiled
        fixed = np.nonzero(c.integer)[0].astype(np.int32)
        h.changeColsIntegrality(len(fixed), fixed,
                                np.full(len(fixed), highspy.HighsVarType.kContinuous))
        h.changeColsBounds(len(fixed), fixed, incumbent[fixed], incumbent[fixed])  # unit 1
        try:
            h.setOptionValue("time_limit", INF)
            self._run()
            duals = None
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                solution = h.getSolution()
                if solution.dual_valid:
                    duals = np.asarray(solution.row_dual, dtype=float)
        finally:
            h.changeColsBounds(len(fixed), fixed, self.col_lower[fixed], self.col_upper[fixed])
            h.changeColsIntegrality(len(fixed), fixed,
                                    np.full(len(fixed), highspy.HighsVarType.kInteger))
        return duals

    def _run(self) -> None:
        started = time.perf_counter()
        self.highs.run()
        self.run_seconds += time.perf_counter() - started

    def set_mip_gap(self, gap: float) -> None:
        self.mip_gap = float(gap)
        self.highs.setOptionValue("mip_rel_gap", self.mip_gap)

    def start(self) -> None:
        """Begin the stages of a case: every keep row is freed (bounds -inf..inf) and re-used,
        coefficients and bound edited in place, as the stages come; deleting rows instead
        would cost HiGHS its basis."""
        if self.keep_rows:
            rows = np.array([row.row for row in self.keep_rows], dtype=np.int32)
            self.highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -INF),
                                        np.full(len(rows), INF))
            for row in self.keep_rows:
                row.upper = INF
        self.kept = 0

    def update(self, compiled: CompiledModel, edits: Edits | None = None,
               cold: bool = False) -> bool:
        """Load `compiled` by editing the model in place (bounds and changed coefficients) when
        it has the same structure as the one held; False (nothing changed) otherwise.
        `edits`: `Edits.between(held, compiled)`, when the caller has it already. `cold`: the
        solver's basis and solution are cleared, so the next solve starts as on a fresh load."""
        edits = edits if edits is not None else Edits.between(self.compiled, compiled)
        if edits is None:
            return False
        self.start()
        h = self.highs
        if cold:
            h.clearSolver()
        self.compiled = compiled
        self._scale(compiled)
        if len(edits.columns):
            h.changeColsBounds(len(edits.columns), edits.columns,
                               self.col_lower[edits.columns], self.col_upper[edits.columns])
        if len(edits.rows):
            h.changeRowsBounds(len(edits.rows), edits.rows, self.row_lower[edits.rows],
                               self.row_upper[edits.rows])
        for row, col, value in edits.coefficients:
            h.changeCoeff(row, col, self.scaling.coefficient(row, col, value))
        return True

    def keep(self, costs: np.ndarray, value: float) -> None:
        """Row `costs . x <= keep_bound(value)` (keep this stage's optimum): the next keep
        row of this session, added the first time and edited in place after `start`."""
        bound = keep_bound(value)
        costs = np.asarray(costs, float)
        h = self.highs
        if self.kept < len(self.keep_rows):
            kept = self.keep_rows[self.kept]
            if kept.costs is not costs:
                changed = np.nonzero(kept.costs != costs)[0]  # a zero removes the entry
                held = kept.factor * costs * self.scaling.column
                for column, coefficient in zip(changed.tolist(), held[changed].tolist()):
                    h.changeCoeff(kept.row, column, coefficient)
            h.changeRowBounds(kept.row, -INF, kept.factor * bound)
            kept.costs, kept.upper = costs, bound
        else:
            kept = self._add_row(costs, bound)
            self.keep_rows.append(kept)
        self.kept += 1

    def _add_row(self, costs: np.ndarray, upper: float) -> BoundRow:
        """Row `costs . x <= upper`, scaled as `Scaling` scales an objective."""
        held, factor = self.scaling.objective(costs)
        index = np.nonzero(held)[0]
        self.highs.addRow(-INF, factor * upper, len(index), index.astype(np.int32),
                          held[index])
        row = BoundRow(self.highs.getNumRow() - 1, costs, float(upper), factor)
        self.bound_rows.append(row)
        return row

    def add_bound_row(self, costs: np.ndarray, upper: float) -> int:
        """Row `costs . x <= upper`, whose bound `set_row_upper` can move later; its index."""
        return self._add_row(np.asarray(costs, float), float(upper)).row

    def set_row_upper(self, row: int, upper: float) -> None:
        for bound_row in self.bound_rows:
            if bound_row.row == row:
                bound_row.upper = float(upper)
                self.highs.changeRowBounds(int(row), -INF, bound_row.factor * float(upper))

    def row_duals(self, costs: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        """Duals of the model's rows at the current stage. For a MIP, those of the LP with
        the integer columns fixed at `x` (computed when the stage was certified)."""
        n_rows = self.compiled.matrix.shape[0]
        to_model = self.scaling.row / self.cost_factor  # y = R y' / s
        if not self.compiled.is_mip:
            solution = self.highs.getSolution()
            if not solution.dual_valid:
                return None
            return np.asarray(solution.row_dual)[:n_rows] * to_model
        if self.fixed_duals is not None and self.fixed_duals[0] is x:
            return self.fixed_duals[1]
        incumbent = np.asarray(x, float) / self.scaling.column
        incumbent[self.compiled.integer] = np.round(incumbent[self.compiled.integer])
        duals = self._fixed_lp_duals(incumbent)
        return None if duals is None else duals[:n_rows] * to_model

    def finish(self) -> None:
        """Nothing to do: one instance holds every stage."""

    def relaxation_feasible(self) -> bool:
        """Is the model feasible with integrality dropped (zero objective)?"""
        probe = quiet_highs()
        lp = self._lp()
        lp.integrality_ = []
        probe.passModel(lp)
        probe.run()
        return probe.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def infeasible_subset(self) -> tuple[list[int], list[int]]:
        """Rows and columns (bounds) of an irreducible infeasible subset of the LP relaxation."""
        probe = quiet_highs()
        lp = self._lp()
        lp.integrality_ = []
        probe.passModel(lp)
        probe.setOptionValue("iis_strategy", 4)
        probe.run()
        status, iis = probe.getIis()
        if not iis.valid_:
            return [], []
        return list(iis.row_index_), list(iis.col_index_)


def keep_bound(value: float) -> float:
    """The bound of a "keep stage k" row: `value (1 + 1e-6) + 1e-9` (docs/model.md), with the
    relative part taken away from a negative value."""
    relative = STAGE_RELATIVE if value >= 0 else -STAGE_RELATIVE
    return value * (1 + relative) + STAGE_ABSOLUTE


class StageSessions:
    """One `HighsSession` per lexicographic stage, for a series of cases that differ only in
    numbers: the session of stage k holds the keep rows of the stages before it, so when the
    next case is loaded every stage starts from the basis of its own last optimum (a stage's
    objective is the same from case to case; one instance for all stages would start each
    stage from the previous stage's optimum, far from it). Every answer is certified as in
    `HighsSession`. Offers the `HighsSession` methods the stages use."""

    def __init__(self, compiled: CompiledModel, stages: int, mip_gap: float = 1e-6):
        self.sessions = [HighsSession(compiled, mip_gap=mip_gap) for _ in range(stages)]
        self.stage = 0

    @property
    def run_seconds(self) -> float:
        """Wall-clock seconds inside `Highs.run`, all stages (benchmarks/)."""
        return sum(session.run_seconds for session in self.sessions)

    def start(self) -> None:
        for session in self.sessions:
            session.start()
        self.stage = 0

    def update(self, compiled: CompiledModel, cold: bool = False) -> bool:
        edits = Edits.between(self.sessions[0].compiled, compiled)  # the same for every stage
        if edits is None:
            return False
        for session in self.sessions:
            session.update(compiled, edits, cold)
        self.stage = 0
        return True

    def set_mip_gap(self, gap: float) -> None:
        for session in self.sessions:
            session.set_mip_gap(gap)

    def minimise(self, costs: np.ndarray, seconds_left: float | None) -> StageOutcome:
        return self.sessions[self.stage].minimise(costs, seconds_left)

    def keep(self, costs: np.ndarray, value: float) -> None:
        """Keep this stage's optimum in every later stage's session; move to the next stage."""
        for session in self.sessions[self.stage + 1:]:
            session.keep(costs, value)
        self.stage += 1

    def finish(self) -> None:
        self.stage = 0

    def row_duals(self, costs: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        return self.sessions[self.stage].row_duals(costs, x)

    def relaxation_feasible(self) -> bool:
        return self.sessions[0].relaxation_feasible()

    def infeasible_subset(self) -> tuple[list[int], list[int]]:
        return self.sessions[0].infeasible_subset()


def _option(highs: highspy.Highs, key: str):
    """The value of a HiGHS option (highspy returns it with a status, or alone)."""
    value = highs.getOptionValue(key)
    return value[1] if isinstance(value, tuple) else value


def _same_array(first: np.ndarray, second: np.ndarray) -> bool:
    return first is second or np.array_equal(first, second)
