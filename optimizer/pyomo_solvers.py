"""The one place that talks to Pyomo's SolverFactory: the lexicographic stages solved by any
solver Pyomo drives (GLPK, CBC, SCIP, Gurobi, CPLEX, ...), HiGHS staying the fast path.

`PyomoSession` offers what `solve._stages` asks of a `HighsSession`. Each stage puts a
temporary objective (and, after it, a "keep stage k" row) on the analyst's Pyomo model, hands
the model to the solver, and takes its answer back; `finish` removes everything it added, so
the model is left as it was given (its objectives' active flags too), but for its variables,
which hold the last stage's plan. The solver's word is never taken unchecked: every answer is certified on the compiled
matrices (`optimizer.certificate`), in the same scaled space as `HighsSession` certifies
(`Scaling`), with the same tolerances:

- a linear program with the row duals the solver hands back (Pyomo's `dual` suffix); when
  it gives none, or they do not prove its point optimal (CBC writes 8 significant digits),
  the solver's point with the duals HiGHS finds for the same LP (route "<solver>, duals by
  HiGHS"): the point is the solver's, the proof is checked here either way;
- a mixed-integer program by its integrality, its primal residual, the linear program with
  the integers fixed at the incumbent, solved by HiGHS (route "<solver>, fixed LP by HiGHS"),
  and the solver's dual bound when Pyomo reports one. Without a bound the incumbent is not
  proven optimal among whole-unit plans, and the certificate says so (it does not hold).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .certificate import Certificate, LinearProgram, certify_mip, failed, integrality_residual
from .errors import InputError, Problem
from .highs_adapter import (
    CompiledModel,
    HighsSession,
    Scaling,
    StageOutcome,
    keep_bound,
)

FAST_PATH = "highs"  # solved by `HighsSession` on highspy, never through Pyomo
KNOWN = ("highs", "glpk", "cbc", "scip", "gurobi", "cplex")

#: Each solver's own names for (time limit in seconds, relative MIP gap).
OPTION_NAMES = {
    "glpk": ("tmlim", "mipgap"),
    "cbc": ("seconds", "ratioGap"),
    "scip": ("limits/time", "limits/gap"),
    "gurobi": ("TimeLimit", "MIPGap"),
    "gurobi_direct": ("TimeLimit", "MIPGap"),
    "gurobi_persistent": ("TimeLimit", "MIPGap"),
    "cplex": ("timelimit", "mipgap"),
    "cplex_direct": ("timelimit", "mipgap"),
    "highs": ("time_limit", "mip_rel_gap"),
    "appsi_highs": ("time_limit", "mip_rel_gap"),
}
WHOLE_SECONDS = {"glpk"}  # glpsol --tmlim takes whole seconds


def solver_options(solver: str, seconds_left: float | None, mip_gap: float) -> dict:
    """The time limit and MIP gap in `solver`'s own option names (none for a solver whose
    names are not known)."""
    names = OPTION_NAMES.get(solver)
    if names is None:
        return {}
    options = {names[1]: float(mip_gap)}
    if seconds_left is not None:
        options[names[0]] = max(1, math.ceil(seconds_left)) if solver in WHOLE_SECONDS \
            else float(seconds_left)
    return options


def _factory(name: str):
    """Pyomo's solver `name`; Pyomo's own log lines about a name it cannot find are kept
    from the planner (the caller says it in one line)."""
    import io

    import pyomo.environ as pyo
    from pyomo.common.log import LoggingIntercept

    with LoggingIntercept(io.StringIO(), "pyomo"):
        return pyo.SolverFactory(name)


def _is_available(name: str) -> bool:
    if name == FAST_PATH:
        return True
    import io

    from pyomo.common.log import LoggingIntercept

    try:
        with LoggingIntercept(io.StringIO(), "pyomo"):
            return bool(_factory(name).available(exception_flag=False))
    except Exception:  # noqa: BLE001 - an unknown or broken plugin is not available
        return False


def available_solvers() -> list[str]:
    """The solvers of `KNOWN` that can be used here ("highs" always: highspy)."""
    return [name for name in KNOWN if _is_available(name)]


def check_solver(name: str) -> str:
    """`name`, when Pyomo (or highspy, for "highs") can run it; InputError otherwise."""
    if _is_available(name):
        return name
    raise InputError([Problem(
        file="solver", sheet=None, row=None, column=None, value=name,
        expected=f"an installed solver: {', '.join(available_solvers())}")])


def solver_version(name: str) -> str:
    """The solver as a summary names it: "GLPK 5.0 (Pyomo glpk)"."""
    try:
        version = _factory(name).version()
    except Exception:  # noqa: BLE001 - some plugins cannot say
        version = None
    shown = ".".join(str(part) for part in version[:3]) if version else "version unknown"
    return f"{name.upper()} {shown} (Pyomo {name})"


def _status(termination, has_solution: bool) -> str:
    from pyomo.opt import TerminationCondition as T

    if termination in (T.optimal, T.globallyOptimal, T.locallyOptimal):
        return "optimal"
    if termination in (T.infeasible, T.invalidProblem) or (
            termination == T.infeasibleOrUnbounded and not has_solution):
        return "infeasible"
    if termination in (T.maxTimeLimit, T.maxIterations, T.maxEvaluations, T.userInterrupt,
                       T.resourceInterrupt):
        return "time_limit"
    return "error"


class PyomoSession:
    """The stages of one case on a Pyomo model, solved by `solver` through SolverFactory.
    `columns`: the model's VarData in the compiled column order; `compiled`: the model's
    `CompiledModel`, on which each answer is certified."""

    def __init__(self, model, columns, compiled: CompiledModel, solver: str,
                 mip_gap: float = 1e-6):
        self.model, self.columns, self.compiled = model, list(columns), compiled
        self.solver = solver
        self.mip_gap = float(mip_gap)
        self.run_seconds = 0.0  # wall-clock seconds inside the solver's `solve`
        self.opt = _factory(solver)
        self.scaling = Scaling(compiled)
        self.program = LinearProgram(*self.scaling.held(compiled))
        self.rows = compiled.rows
        self._block = None  # the temporary block: objective, keep rows, dual suffix
        self._keeps: list[tuple[np.ndarray, float]] = []  # (costs, bound) of each keep row
        self._duals: tuple[np.ndarray, np.ndarray] | None = None  # (x, model-space duals)
        self._fallback = None  # a HighsSession for explanations and fixed-integer LPs

    # ------------------------------------------------------------------ the model's state
    def start(self) -> None:
        """Note the model's state (active objectives, solutions) and add the temporary block
        the stages use."""
        import pyomo.environ as pyo

        model = self.model
        self._active = [o for o in model.component_data_objects(pyo.Objective, active=True)]
        self._solutions = (dict(model.solutions.symbol_map), list(model.solutions.solutions),
                           model.solutions.index)
        name = "_burden_stages"
        while model.component(name) is not None:
            name += "_"
        self._block = pyo.Block(concrete=True)
        model.add_component(name, self._block)
        self._block.keep = pyo.ConstraintList()
        # the solver hands duals back through a Suffix named "dual" (the analyst's own, if
        # the model has one: its entries are put back by `finish`)
        held = model.component("dual")
        self._dual_suffix_added = held is None
        if self._dual_suffix_added:
            model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        self._suffix = model.dual if isinstance(model.component("dual"), pyo.Suffix) else None
        self._kept_duals = {} if self._dual_suffix_added or self._suffix is None else \
            dict(self._suffix.items())
        self._keeps = []

    def finish(self) -> None:
        """Remove every temporary component; objectives' active flags and the model's
        solutions as they were at `start` (the variables hold what the last stage left, and
        `solve` writes the plan into them)."""
        model = self.model
        if self._block is None:
            return
        model.del_component(self._block)
        self._block = None
        if self._dual_suffix_added:
            model.del_component("dual")
        elif self._suffix is not None:
            self._suffix.clear()
            self._suffix.update(self._kept_duals)
        for objective in self._active:
            objective.activate()
        symbol_map, solutions, index = self._solutions
        model.solutions.symbol_map = symbol_map
        model.solutions.solutions = solutions
        model.solutions.index = index

    # ------------------------------------------------------------------------ the stages
    def keep(self, costs: np.ndarray, value: float) -> None:
        """Row `costs . x <= keep_bound(value)` (keep this stage's optimum)."""
        bound = keep_bound(value)
        costs = np.asarray(costs, float)
        self._block.keep.add(self._expression(costs) <= bound)
        self._keeps.append((costs, bound))

    def _expression(self, costs: np.ndarray):
        from pyomo.core.expr.numeric_expr import LinearExpression

        support = np.nonzero(costs)[0]
        return LinearExpression(constant=0.0, linear_coefs=costs[support].tolist(),
                                linear_vars=[self.columns[j] for j in support])

    def minimise(self, costs: np.ndarray, seconds_left: float | None) -> StageOutcome:
        """Minimise `costs . x` over the model with the keep rows so far, and certify."""
        import pyomo.environ as pyo

        costs = np.asarray(costs, float)
        block, model = self._block, self.model
        if block.component("objective") is not None:
            block.del_component("objective")
        block.objective = pyo.Objective(expr=self._expression(costs), sense=pyo.minimize)
        others = [o for o in self._active if o.active]
        for objective in others:
            objective.deactivate()
        for var in self.columns:
            var.set_value(None, skip_validation=True)
        if self._suffix is not None:
            self._suffix.clear()
        self._duals = None
        started = time.perf_counter()
        try:
            results = self.opt.solve(model, load_solutions=False, tee=False,
                                     options=solver_options(self.solver, seconds_left,
                                                            self.mip_gap))
        except Exception as error:  # noqa: BLE001 - the solver's failure is a stage's error
            return StageOutcome("error", message=f"{self.solver}: {error}", route=self.solver)
        finally:
            self.run_seconds += time.perf_counter() - started
            for objective in others:
                objective.activate()
        has_solution = len(results.solution) > 0
        status = _status(results.solver.termination_condition, has_solution)
        message = f"{self.solver}: {results.solver.termination_condition}"
        if status == "infeasible":
            return StageOutcome("infeasible", message=message, route=self.solver)
        if not has_solution:
            return StageOutcome("error" if status == "optimal" else status,
                                message=f"{message} (no solution)", route=self.solver)
        model.solutions.load_from(results)
        x = self._values_of_columns()
        value = float(np.dot(costs, x))
        if status != "optimal":
            note = "time limit reached" if status == "time_limit" else message
            return StageOutcome(status, value, x, note, route=self.solver)
        duals = self._read_duals() if not self.compiled.is_mip else None
        outcome = self._certified(costs, x, duals, results)
        if outcome.certificate.primal_residual > 1e-7 or \
                outcome.certificate.integrality > 1e-6:
            return StageOutcome("error", value, x,
                                f"{self.solver}'s answer is not a plan of the model: "
                                f"{outcome.certificate.failure()}",
                                certificate=outcome.certificate, route=outcome.route)
        return outcome

    def _values_of_columns(self) -> np.ndarray:
        """The solution in column order; a column the solver never saw (in no row) at the
        bound nearest 0."""
        c = self.compiled
        x = np.array([np.nan if v.value is None else v.value for v in self.columns], float)
        missing = np.isnan(x)
        x[missing] = np.clip(0.0, c.col_lower[missing], c.col_upper[missing])
        return x

    def _read_duals(self) -> np.ndarray | None:
        """The duals of the compiled rows, then of the keep rows, from the dual suffix (in
        HiGHS' convention: >= 0 where a lower bound holds a row); None without them."""
        dual = self._suffix
        keeps = list(self._block.keep.values())
        if dual is None or not len(dual):
            return None
        values = [dual.get(con) for con in self.rows + keeps]
        if any(v is None for v in values[:len(self.rows)]):
            return None
        return np.array([0.0 if v is None else float(v) for v in values])

    def _certified(self, costs, x, duals, results) -> StageOutcome:
        """The outcome of an answer the solver calls optimal, with its certificate."""
        scaling, c = self.scaling, self.compiled
        scaled_costs, factor = scaling.objective(costs)
        scaled_x = x / scaling.column
        keep = []
        for kept_costs, bound in self._keeps:
            held, kept_factor = scaling.objective(kept_costs)
            keep.append((held, kept_factor * bound))
        value = float(np.dot(costs, x))
        n_rows = c.matrix.shape[0]
        if not c.is_mip:
            certificate, route = None, self.solver
            if duals is not None:
                certificate = self.program.certify(scaled_costs, scaled_x,
                                                   self._to_scaled(duals, factor), keep)
                self._duals = (x, duals[:n_rows])
            if certificate is None or not certificate.holds:
                # the solver's point, certified with the duals of the same LP by HiGHS
                theirs = self._fixed_lp_duals(costs, x)
                if theirs is not None:
                    again = self.program.certify(scaled_costs, scaled_x,
                                                 self._to_scaled(theirs, factor), keep)
                    if again.holds or certificate is None:
                        certificate, route = again, f"{self.solver}, duals by HiGHS"
                        self._duals = (x, theirs[:n_rows])
            if certificate is None:
                certificate = self._unproven(scaled_costs, scaled_x, keep,
                                             "no row duals: optimality not proven")
            return StageOutcome("optimal", value, x, certificate=certificate, route=route)
        integrality = integrality_residual(x, c.integer)
        incumbent = x.copy()
        incumbent[c.integer] = np.round(incumbent[c.integer])
        fixed = self._fixed_lp_duals(costs, incumbent)
        route = f"{self.solver}, fixed LP by HiGHS"
        if fixed is None:
            lp = failed("the LP with the integers fixed has no certified optimum")
        else:
            self._duals = (x, fixed[:n_rows])
            lower = np.where(c.integer, incumbent, c.col_lower) / scaling.column
            upper = np.where(c.integer, incumbent, c.col_upper) / scaling.column
            lp = self.program.with_columns(lower, upper).certify(
                scaled_costs, incumbent / scaling.column, self._to_scaled(fixed, factor), keep)
        bound = _dual_bound(results)
        certificate = certify_mip(lp, integrality, float(np.dot(scaled_costs, scaled_x)),
                                  np.nan if bound is None else bound * factor, self.mip_gap)
        if bound is None:
            note = "; ".join(part for part in (
                lp.note, f"{self.solver} reported no dual bound: the incumbent is not proven "
                "optimal among whole-unit plans") if part)
            certificate = Certificate(certificate.primal_residual, certificate.dual_residual,
                                      certificate.gap, integrality=integrality,
                                      bound_gap=np.inf, mip_gap=self.mip_gap, note=note)
        return StageOutcome("optimal", value, x, certificate=certificate, route=route)

    def _unproven(self, scaled_costs, scaled_x, keep, note: str) -> Certificate:
        """What can be checked without duals: the primal residual (and integrality)."""
        zero = np.zeros(self.compiled.matrix.shape[0] + len(keep))
        primal = self.program.certify(scaled_costs, scaled_x, zero, keep).primal_residual
        return Certificate(primal, np.inf, np.inf,
                           integrality=integrality_residual(scaled_x * self.scaling.column,
                                                            self.compiled.integer),
                           note=note)

    def _to_scaled(self, duals: np.ndarray, factor: float) -> np.ndarray:
        """Model-space duals (rows, then keep rows) as the scaled program's: y' = s y / R."""
        n_rows = self.compiled.matrix.shape[0]
        scaled = np.array(duals, float)
        scaled[:n_rows] = duals[:n_rows] * factor / self.scaling.row
        for k, (kept_costs, _) in enumerate(self._keeps):
            _, kept_factor = self.scaling.objective(kept_costs)
            scaled[n_rows + k] = duals[n_rows + k] * factor / kept_factor
        return scaled

    def _fixed_lp_duals(self, costs: np.ndarray, incumbent: np.ndarray) -> np.ndarray | None:
        """Model-space duals (rows, then keep rows) of the LP with the integer columns fixed
        at `incumbent` (for an LP: the LP itself), solved and certified by HiGHS; None when
        it has no certified optimum."""
        c = self.compiled
        lower = np.where(c.integer, incumbent, c.col_lower)
        upper = np.where(c.integer, incumbent, c.col_upper)
        fixed = CompiledModel(matrix=c.matrix, row_lower=c.row_lower, row_upper=c.row_upper,
                              col_lower=lower, col_upper=upper,
                              integer=np.zeros(len(c.integer), bool), objectives=c.objectives,
                              blocks=c.blocks, column_unit=c.column_unit)
        session = HighsSession(fixed, mip_gap=self.mip_gap)
        for kept_costs, bound in self._keeps:
            session.add_bound_row(kept_costs, bound)
        outcome = session.minimise(costs, None)
        if outcome.status != "optimal" or not outcome.certified:
            return None
        solution = session.highs.getSolution()
        if not solution.dual_valid:
            return None
        held = np.asarray(solution.row_dual, float)
        n_rows = c.matrix.shape[0]
        duals = held.copy()
        duals[:n_rows] = held[:n_rows] * session.scaling.row / session.cost_factor
        for row in session.bound_rows:
            duals[row.row] = held[row.row] * row.factor / session.cost_factor
        return duals

    def row_duals(self, costs: np.ndarray, x: np.ndarray) -> np.ndarray | None:
        """Duals of the compiled rows at the current stage (HiGHS' sign convention); for a
        MIP, those of the LP with the integers fixed at `x`. None without them."""
        if self._duals is not None and self._duals[0] is x:
            return self._duals[1]
        return None

    # ------------------------------------------------------------------- explanations
    def _highs(self) -> HighsSession:
        if self._fallback is None:
            self._fallback = HighsSession(self.compiled, mip_gap=self.mip_gap)
        return self._fallback

    def relaxation_feasible(self) -> bool:
        return self._highs().relaxation_feasible()

    def infeasible_subset(self) -> tuple[list[int], list[int]]:
        return self._highs().infeasible_subset()


def _dual_bound(results) -> float | None:
    """The solver's lower bound on a minimisation, when Pyomo reports a finite one."""
    try:
        bound = results.problem.lower_bound
    except (AttributeError, IndexError):
        return None
    if bound is None:
        return None
    bound = float(bound)
    return bound if math.isfinite(bound) else None


__all__ = ["PyomoSession", "available_solvers", "check_solver", "solver_options"]
