"""Optimality certificates computed outside the solver, on burden's own matrices.

A stage's answer is kept only when it carries a certificate. For a linear program

    minimise c.x  subject to  rl <= A x <= ru,  cl <= x <= cu

the solver hands back a point `x` and row duals `y` (HiGHS' sign convention: `y_i >= 0`
where the row's lower bound holds it, `y_i <= 0` where its upper bound does). Everything else
is computed here, in numpy, from the model burden formulated (never from the solver's copy):

- **primal residual**: the largest violation of a row or column bound, each divided by the
  magnitude of what it bounds (`max(1, |bound|, sum_j |a_ij x_j|)` for a row);
- **dual residual**: the reduced costs `z = c - A^T y` are recomputed from `y` (with every
  row dual of the wrong sign for its bounds set to zero); the largest part of `z` whose sign
  no finite bound of its column allows, divided by `max(|c|_inf, |c_j| + sum_i |a_ij y_i|)`;
- **gap**: the dual objective `D = sum_i (y_i^+ rl_i - y_i^- ru_i) + sum_j (z_j^+ cl_j -
  z_j^- cu_j)` (finite bounds only) against `c.x`, divided by `max(1, |c.x|)`.

When all three are within their tolerances, `x` is feasible to within the primal tolerance
and no feasible point is better than `c.x` by more than the gap plus what the dual residual
allows: weak duality, `c.x >= D` for every feasible `x` when `(y, z)` is dual feasible. The
check cannot be fooled by a solver's status: a feasible but dearer point leaves a gap or a
wrong-signed reduced cost, a point outside a row leaves a primal residual.

For a mixed-integer stage (`certify_mip`) the incumbent must be integral and feasible, the
linear program with the integer columns fixed at the incumbent must carry a certificate at the
incumbent's value (the continuous part is optimal for those integers), and the incumbent must
lie within the relative gap of the dual bound the solver reports. What that cannot prove: that
the solver's bound is right (the branch-and-bound tree is not re-checked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIMAL_TOLERANCE = 1e-7  # scaled row or bound violation
DUAL_TOLERANCE = 1e-7  # scaled wrong-signed reduced cost
GAP_TOLERANCE = 1e-7  # |c.x - dual objective| / max(1, |c.x|)
INTEGRALITY_TOLERANCE = 1e-6  # |x - round(x)| of an integer column (HiGHS' MIP default)
FIRST_ROUTE = "first"  # the route of an answer certified as the solver first gave it


@dataclass(frozen=True)
class Certificate:
    """The residuals of one stage's answer and whether they prove it optimal."""

    primal_residual: float
    dual_residual: float
    gap: float
    integrality: float = 0.0  # MIP: the largest distance of an integer column from a whole
    bound_gap: float = 0.0  # MIP: (incumbent - dual bound) / max(1, |incumbent|)
    mip_gap: float = 0.0  # MIP: the relative gap the bound is allowed
    note: str = ""  # what failed, in words, when it does not hold

    @property
    def holds(self) -> bool:
        return (self.primal_residual <= PRIMAL_TOLERANCE
                and self.dual_residual <= DUAL_TOLERANCE
                and self.gap <= GAP_TOLERANCE
                and self.integrality <= INTEGRALITY_TOLERANCE
                and self.bound_gap <= self.mip_gap + GAP_TOLERANCE)

    @property
    def worst(self) -> float:
        """The largest of the primal residual, the dual residual and the gap."""
        return max(self.primal_residual, self.dual_residual, self.gap)

    def failure(self) -> str:
        """What is out of tolerance, in words ('' when it holds)."""
        parts = []
        if self.primal_residual > PRIMAL_TOLERANCE:
            parts.append(f"primal residual {self.primal_residual:.1e} > {PRIMAL_TOLERANCE:g}")
        if self.dual_residual > DUAL_TOLERANCE:
            parts.append(f"dual residual {self.dual_residual:.1e} > {DUAL_TOLERANCE:g}")
        if self.gap > GAP_TOLERANCE:
            parts.append(f"duality gap {self.gap:.1e} > {GAP_TOLERANCE:g}")
        if self.integrality > INTEGRALITY_TOLERANCE:
            parts.append(f"integer column off a whole number by {self.integrality:.1e}")
        if self.bound_gap > self.mip_gap + GAP_TOLERANCE:
            parts.append(f"incumbent {self.bound_gap:.1e} above the dual bound "
                         f"(gap allowed {self.mip_gap:g})")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


def failed(note: str) -> Certificate:
    """A certificate that does not hold, for an answer that could not be checked at all."""
    return Certificate(np.inf, np.inf, np.inf, note=note)


def certify_lp(matrix, row_lower, row_upper, col_lower, col_upper, costs, x, y,
               keep=()) -> Certificate:
    """The certificate of `x` (primal) and `y` (row duals) for minimising `costs . x` over
    `row_lower <= matrix @ x <= row_upper`, `col_lower <= x <= col_upper` (infinite bounds as
    +-inf), and the "keep stage k" rows `keep`: (dense coefficients, upper bound) each, after
    the matrix's rows (their duals last in `y`)."""
    return LinearProgram(matrix, row_lower, row_upper, col_lower, col_upper).certify(
        costs, x, y, keep)


class LinearProgram:
    """The rows and bounds of a linear program, with what every certificate of it needs
    computed once (the matrix by rows and by columns, its magnitudes, the finite bounds), so
    that certifying a stage is a few sparse products and elementwise numpy."""

    def __init__(self, matrix, row_lower, row_upper, col_lower, col_upper):
        import scipy.sparse as sp

        self.rows = sp.csr_array(matrix)
        self.columns = sp.csr_array(self.rows.T)
        self.row_magnitude, self.column_magnitude = abs(self.rows), abs(self.columns)
        self.has_lower, self.has_upper = np.isfinite(row_lower), np.isfinite(row_upper)
        self.lower = np.where(self.has_lower, row_lower, 0.0)
        self.upper = np.where(self.has_upper, row_upper, 0.0)
        self.row_floor = np.maximum(np.maximum(np.abs(self.lower), np.abs(self.upper)), 1.0)
        self._columns(col_lower, col_upper)

    def _columns(self, col_lower, col_upper) -> None:
        self.col_has_lower, self.col_has_upper = np.isfinite(col_lower), np.isfinite(col_upper)
        self.cl = np.where(self.col_has_lower, col_lower, 0.0)
        self.cu = np.where(self.col_has_upper, col_upper, 0.0)
        self.col_floor = np.maximum(np.maximum(np.abs(self.cl), np.abs(self.cu)), 1.0)

    def with_columns(self, col_lower, col_upper) -> LinearProgram:
        """The same rows with other column bounds (a MIP's integers fixed)."""
        other = object.__new__(LinearProgram)
        other.__dict__.update(self.__dict__)
        other._columns(col_lower, col_upper)
        return other

    def certify(self, costs, x, y, keep=()) -> Certificate:
        """The certificate of `x` and `y` for minimising `costs . x` (see `certify_lp`)."""
        x, y, costs = (np.asarray(a, float) for a in (x, y, costs))
        n_rows, n_cols = self.rows.shape
        if len(y) != n_rows + len(keep) or len(x) != n_cols:
            return failed("the solution does not fit the model")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            return failed("the solution holds a NaN or an infinite value")
        kept = np.array([row for row, _ in keep]) if keep else np.zeros((0, n_cols))
        kept_upper = np.array([bound for _, bound in keep], dtype=float)
        magnitude_x = np.abs(x)

        activity = self.rows @ x
        row_violation = np.maximum(np.where(self.has_lower, self.lower - activity, 0.0),
                                   np.where(self.has_upper, activity - self.upper, 0.0))
        row_scale = np.maximum(self.row_floor, self.row_magnitude @ magnitude_x)
        kept_violation = np.maximum(kept @ x - kept_upper, 0.0)
        kept_scale = np.maximum(np.maximum(np.abs(kept_upper), 1.0), np.abs(kept) @ magnitude_x)
        col_violation = np.maximum(np.where(self.col_has_lower, self.cl - x, 0.0),
                                   np.where(self.col_has_upper, x - self.cu, 0.0))
        col_scale = np.maximum(self.col_floor, magnitude_x)
        primal = max(_largest(row_violation / row_scale), _largest(kept_violation / kept_scale),
                     _largest(col_violation / col_scale))

        # a row dual whose sign no finite bound allows proves nothing: it is dropped (a keep
        # row has an upper bound only)
        y_rows, y_kept = y[:n_rows], np.minimum(y[n_rows:], 0.0)
        y_rows = np.where((y_rows > 0) & ~self.has_lower, 0.0,
                          np.where((y_rows < 0) & ~self.has_upper, 0.0, y_rows))
        reduced = costs - self.columns @ y_rows - kept.T @ y_kept
        wrong = np.maximum(np.where(self.col_has_lower, 0.0, np.maximum(reduced, 0.0)),
                           np.where(self.col_has_upper, 0.0, np.maximum(-reduced, 0.0)))
        cost_scale = max(_largest(np.abs(costs)), 1e-300)
        dual_scale = np.maximum(cost_scale, np.abs(costs) + self.column_magnitude @ np.abs(y_rows)
                                + np.abs(kept).T @ np.abs(y_kept))
        dual = _largest(wrong / dual_scale)

        z_up, z_down = np.maximum(reduced, 0.0), np.maximum(-reduced, 0.0)
        dual_objective = (np.dot(np.maximum(y_rows, 0.0), self.lower)
                          - np.dot(np.maximum(-y_rows, 0.0), self.upper)
                          + np.dot(y_kept, kept_upper)
                          + np.dot(np.where(self.col_has_lower, z_up, 0.0), self.cl)
                          - np.dot(np.where(self.col_has_upper, z_down, 0.0), self.cu))
        primal_objective = float(np.dot(costs, x))
        gap = abs(primal_objective - dual_objective) / max(1.0, abs(primal_objective))
        return Certificate(primal, dual, float(gap))


def integrality_residual(x, integer) -> float:
    """The largest distance of an integer column's value from a whole number."""
    values = np.asarray(x, float)[np.asarray(integer, bool)]
    return _largest(np.abs(values - np.round(values)))


def certify_mip(fixed_lp: Certificate, integrality: float, incumbent: float, bound: float,
                mip_gap: float) -> Certificate:
    """A MIP stage's certificate: the fixed-integer LP's certificate (`fixed_lp`, computed at
    the incumbent), the incumbent's integrality, and its distance above the dual bound."""
    bound_gap = (incumbent - bound) / max(1.0, abs(incumbent)) if np.isfinite(bound) else np.inf
    return Certificate(fixed_lp.primal_residual, fixed_lp.dual_residual, fixed_lp.gap,
                       integrality=integrality, bound_gap=max(float(bound_gap), 0.0),
                       mip_gap=float(mip_gap), note=fixed_lp.note)


def _largest(values: np.ndarray) -> float:
    return float(values.max()) if len(values) else 0.0
