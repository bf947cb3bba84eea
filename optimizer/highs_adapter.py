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
API moves too: only this module touches either. Choice and figures: README, "Performance".
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

INF = highspy.kHighsInf
STAGE_RELATIVE = 1e-6  # keep stage k within (1 + 1e-6) of its optimum ...
STAGE_ABSOLUTE = 1e-9  # ... plus 1e-9 (MODEL.md)
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
                         blocks=blocks, pattern=pattern)


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
    """Compile a built model (see `models.build_model`) to matrices in the layout's order."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    layout = model.layout
    constraints = [getattr(model, name) for name in layout.families]
    row_order = [con for component in constraints for con in component.values()]
    info = LinearStandardFormCompiler().write(
        model, mixed_form=True, column_order=layout.columns, row_order=row_order)
    if len(info.rows) != len(row_order) or any(
            info.rows[i][0] is not row_order[i] for i in range(0, len(row_order), 997)):
        raise RuntimeError("compiled rows differ from the layout's rows")
    position = {id(v): i for i, v in enumerate(layout.columns)}
    columns = np.fromiter((position[id(v)] for v in info.columns), dtype=np.int64,
                          count=len(info.columns))
    n = len(layout.columns)
    # Columns the compiler dropped (used nowhere) come back as empty columns.
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
    blocks, start = [], 0
    for name, component in zip(layout.families, constraints):
        blocks.append((name, start, len(component)))
        start += len(component)
    return CompiledModel(matrix=_canonical(matrix), row_lower=row_lower, row_upper=row_upper,
                         col_lower=np.asarray(layout.lower, float),
                         col_upper=np.asarray(layout.upper, float),
                         integer=np.asarray(layout.integer, bool), objectives=objectives,
                         blocks=blocks)


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


class StageOutcome:
    """What one stage's `minimise` found: status (optimal, infeasible, time_limit, error),
    objective value, and the solution `x` (None without one). A session made with
    `lazy_solution=True` fetches `x` from HiGHS only when it is first asked for (a list
    conversion of ~17 ms on the large case's 258k columns, wasted on the stages before the
    last); it must be asked before that session runs again."""

    def __init__(self, status: str, value: float | None, x: np.ndarray | None = None,
                 message: str = "", fetch=None):
        self.status, self.value, self.message = status, value, message
        self._x, self._fetch = x, fetch

    @property
    def has_solution(self) -> bool:
        return self._x is not None or self._fetch is not None

    @property
    def x(self) -> np.ndarray | None:
        if self._x is None and self._fetch is not None:
            self._x, self._fetch = self._fetch(), None
        return self._x


class HighsSession:
    """One HiGHS instance holding the compiled model through every stage."""

    def __init__(self, compiled: CompiledModel, mip_gap: float = 1e-6, threads: int = 1,
                 lazy_solution: bool = False):
        self.compiled = compiled
        self.lazy_solution = lazy_solution
        self.run_seconds = 0.0  # wall-clock seconds inside `Highs.run` (benchmarks/)
        self.highs = quiet_highs()
        self.highs.setOptionValue("threads", threads)
        self.highs.setOptionValue("random_seed", 0)
        self.highs.setOptionValue("mip_rel_gap", float(mip_gap))
        self.highs.setOptionValue("mip_abs_gap", 0.0)
        if compiled.is_mip:
            # HiGHS 1.16's MIP presolve, with dominated-column (rule 5) and forcing-column
            # (rule 7) reductions on, returns a wrong "optimal" min_max_burden stage on the
            # shipped example once the stage-1 bound row is present (0.05 instead of
            # 0.045173, which the LP relaxation and presolve-off both confirm):
            # tests/test_formulation.py::test_mip_presolve_keeps_the_true_optimum.
            self.highs.setOptionValue("presolve_rule_off", MIP_PRESOLVE_RULES_OFF)
        self.highs.passModel(self._lp())
        self.costs = np.zeros(compiled.matrix.shape[1])  # the column costs HiGHS holds
        self.keep_rows: list[tuple[int, np.ndarray]] = []  # (row, costs), stage order
        self.kept = 0  # keep rows in force for the case being solved

    def _lp(self) -> highspy.HighsLp:
        c = self.compiled
        lp = highspy.HighsLp()
        n_rows, n_cols = c.matrix.shape
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_, lp.col_upper_ = c.col_lower, c.col_upper
        lp.row_lower_, lp.row_upper_ = c.row_lower, c.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = c.matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = c.matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = c.matrix.data.astype(float)
        if c.is_mip:
            lp.integrality_ = [highspy.HighsVarType.kInteger if flag else
                               highspy.HighsVarType.kContinuous for flag in c.integer]
        return lp

    def minimise(self, costs: np.ndarray, seconds_left: float | None) -> StageOutcome:
        """Minimise `costs . x` over the model as it stands (only changed costs are sent)."""
        h = self.highs
        costs = np.asarray(costs, float)
        changed = np.nonzero(self.costs != costs)[0].astype(np.int32)
        if len(changed):
            h.changeColsCost(len(changed), changed, costs[changed])
            self.costs = costs
        h.setOptionValue("time_limit", float(seconds_left) if seconds_left else INF)
        self._run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            self._run()
            h.setOptionValue("presolve", "choose")
            status = h.getModelStatus()
        x, value, fetch = None, None, None
        if h.getInfo().primal_solution_status == 2:  # feasible
            if self.lazy_solution:
                fetch = self._solution
                value = float(h.getInfo().objective_function_value)
            else:
                x = self._solution()
                value = float(np.dot(costs, x))
        if status == highspy.HighsModelStatus.kOptimal:
            return StageOutcome("optimal", value, x, fetch=fetch)
        if status == highspy.HighsModelStatus.kInfeasible:
            return StageOutcome("infeasible", None)
        if status in (highspy.HighsModelStatus.kTimeLimit,
                      highspy.HighsModelStatus.kInterrupt):
            return StageOutcome("time_limit", value, x, "time limit reached", fetch=fetch)
        return StageOutcome("error", value, x, f"HiGHS: {h.modelStatusToString(status)}",
                            fetch=fetch)

    def _run(self) -> None:
        started = time.perf_counter()
        self.highs.run()
        self.run_seconds += time.perf_counter() - started

    def _solution(self) -> np.ndarray:
        return np.fromiter(self.highs.allVariableValues(), dtype=float,
                           count=self.compiled.matrix.shape[1])

    def set_mip_gap(self, gap: float) -> None:
        self.highs.setOptionValue("mip_rel_gap", float(gap))

    def start(self) -> None:
        """Begin the stages of a case: every keep row is freed (bounds -inf..inf) and re-used,
        coefficients and bound edited in place, as the stages come; deleting rows instead
        would cost HiGHS its basis."""
        if self.keep_rows:
            rows = np.array([row for row, _ in self.keep_rows], dtype=np.int32)
            self.highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -INF),
                                        np.full(len(rows), INF))
        self.kept = 0

    def update(self, compiled: CompiledModel, edits: Edits | None = None) -> bool:
        """Load `compiled` by editing the model in place (bounds and changed coefficients) when
        it has the same structure as the one held; False (nothing changed) otherwise.
        `edits`: `Edits.between(held, compiled)`, when the caller has it already."""
        edits = edits if edits is not None else Edits.between(self.compiled, compiled)
        if edits is None:
            return False
        self.start()
        h = self.highs
        if len(edits.columns):
            h.changeColsBounds(len(edits.columns), edits.columns,
                               compiled.col_lower[edits.columns],
                               compiled.col_upper[edits.columns])
        if len(edits.rows):
            h.changeRowsBounds(len(edits.rows), edits.rows, compiled.row_lower[edits.rows],
                               compiled.row_upper[edits.rows])
        for row, col, value in edits.coefficients:
            h.changeCoeff(row, col, value)
        self.compiled = compiled
        return True

    def keep(self, costs: np.ndarray, value: float) -> None:
        """Row `costs . x <= value * (1 + 1e-6) + 1e-9` (keep this stage's optimum): the next
        keep row of this session, added the first time and edited in place after `start`."""
        bound = value * (1 + STAGE_RELATIVE) + STAGE_ABSOLUTE if value >= 0 else \
            value * (1 - STAGE_RELATIVE) + STAGE_ABSOLUTE
        costs = np.asarray(costs, float)
        h = self.highs
        if self.kept < len(self.keep_rows):
            row, before = self.keep_rows[self.kept]
            if before is not costs:
                changed = np.nonzero(before != costs)[0]  # a zero removes the entry
                for column, coefficient in zip(changed.tolist(), costs[changed].tolist()):
                    h.changeCoeff(row, column, coefficient)
            h.changeRowBounds(row, -INF, bound)
            self.keep_rows[self.kept] = (row, costs)  # stage objectives are never edited
        else:
            index = np.nonzero(costs)[0]
            h.addRow(-INF, bound, len(index), index.astype(np.int32), costs[index])
            self.keep_rows.append((h.getNumRow() - 1, costs))
        self.kept += 1

    def add_bound_row(self, costs: np.ndarray, upper: float) -> int:
        """Row `costs . x <= upper`, whose bound `set_row_upper` can move later; its index."""
        index = np.nonzero(costs)[0]
        self.highs.addRow(-INF, float(upper), len(index), index.astype(np.int32),
                          np.asarray(costs[index], float))
        return self.highs.getNumRow() - 1

    def set_row_upper(self, row: int, upper: float) -> None:
        self.highs.changeRowBounds(int(row), -INF, float(upper))

    def row_duals(self, costs: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        """Duals of the model's rows at the current stage. For a MIP, the LP with the integer
        columns fixed at `x` is solved (then the integers are restored)."""
        h = self.highs
        c = self.compiled
        n_rows = c.matrix.shape[0]
        if not c.is_mip:
            solution = h.getSolution()
            if not solution.dual_valid:
                return None
            return np.asarray(solution.row_dual)[:n_rows]
        fixed = np.nonzero(c.integer)[0].astype(np.int32)
        values = np.round(x[fixed])
        h.changeColsIntegrality(len(fixed), fixed,
                                np.full(len(fixed), highspy.HighsVarType.kContinuous))
        h.changeColsBounds(len(fixed), fixed, values, values)
        h.setOptionValue("time_limit", INF)
        self._run()
        duals = None
        if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            duals = np.asarray(h.getSolution().row_dual)[:n_rows]
        h.changeColsBounds(len(fixed), fixed, c.col_lower[fixed], c.col_upper[fixed])
        h.changeColsIntegrality(len(fixed), fixed,
                                np.full(len(fixed), highspy.HighsVarType.kInteger))
        return duals

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


class StageSessions:
    """One `HighsSession` per lexicographic stage, for a series of cases that differ only in
    numbers: the session of stage k holds the keep rows of the stages before it, so when the
    next case is loaded every stage starts from the basis of its own last optimum (a stage's
    objective is the same from case to case; one instance for all stages would start each
    stage from the previous stage's optimum, far from it). On the NATO-size LP with targets
    scaled by 1% a case, a stage takes ~0.03 s instead of ~0.3 s (README, Performance).
    Offers the `HighsSession` methods the stages use."""

    def __init__(self, compiled: CompiledModel, stages: int, mip_gap: float = 1e-6):
        self.sessions = [HighsSession(compiled, mip_gap=mip_gap, lazy_solution=True)
                         for _ in range(stages)]
        self.stage = 0

    @property
    def run_seconds(self) -> float:
        """Wall-clock seconds inside `Highs.run`, all stages (benchmarks/)."""
        return sum(session.run_seconds for session in self.sessions)

    def start(self) -> None:
        for session in self.sessions:
            session.start()
        self.stage = 0

    def update(self, compiled: CompiledModel) -> bool:
        edits = Edits.between(self.sessions[0].compiled, compiled)  # the same for every stage
        if edits is None:
            return False
        for session in self.sessions:
            session.update(compiled, edits)
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


def _same_array(first: np.ndarray, second: np.ndarray) -> bool:
    return first is second or np.array_equal(first, second)


def elapsed(start: float) -> float:
    return time.perf_counter() - start
