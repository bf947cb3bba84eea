"""Certified optima: the certificate is computed on burden's own matrices and can fail; a
failed check is solved again by another route, and a stage no route certifies is an error,
never an "optimal" answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer import read_inputs, solve
from optimizer.certificate import (
    DUAL_TOLERANCE,
    GAP_TOLERANCE,
    PRIMAL_TOLERANCE,
    certify_lp,
    certify_mip,
    failed,
)

ROOT = Path(__file__).resolve().parents[1]
INF = np.inf

# minimise x + 2y  subject to  x + y >= 1,  x <= 0.3 (a row),  x, y >= 0:
# the optimum is (0.3, 0.7) at cost 1.7, with row duals (2, -1) (HiGHS' signs: >= 0 where a
# lower bound holds the row, <= 0 where an upper bound does) and reduced costs 0.
A = sp.csc_array(np.array([[1.0, 1.0], [1.0, 0.0]]))
ROW_LOWER, ROW_UPPER = np.array([1.0, -INF]), np.array([INF, 0.3])
COL_LOWER, COL_UPPER = np.zeros(2), np.full(2, INF)
COSTS = np.array([1.0, 2.0])


def certificate(x, y, keep=()):
    return certify_lp(A, ROW_LOWER, ROW_UPPER, COL_LOWER, COL_UPPER, COSTS, np.array(x),
                      np.array(y), keep)


def test_the_true_optimum_is_certified():
    cert = certificate([0.3, 0.7], [2.0, -1.0])
    assert cert.holds, cert.failure()
    assert cert.primal_residual == 0 and cert.dual_residual == 0 and cert.gap == 0


def test_a_feasible_but_dearer_point_is_rejected():
    # (0, 1) is feasible and costs 2 > 1.7; with the optimum's duals the gap shows it
    cert = certificate([0.0, 1.0], [2.0, -1.0])
    assert not cert.holds
    assert cert.primal_residual == 0
    assert cert.gap == pytest.approx(0.3 / 2.0)
    # and with the duals of its own basis (y = (2, 0)) the reduced cost of x is -1 < 0 at
    # its lower bound: a wrong sign, so the dual residual shows it (relative to the largest
    # of the cost scale, 2, and x's own terms, |c_x| + |a_x| |y| = 3)
    cert = certificate([0.0, 1.0], [2.0, 0.0])
    assert not cert.holds and cert.dual_residual == pytest.approx(1.0 / 3.0)
    assert "dual residual" in cert.failure()


def test_a_point_outside_a_row_is_rejected():
    cert = certificate([0.3, 0.5], [2.0, -1.0])  # x + y = 0.8 < 1
    assert not cert.holds
    assert cert.primal_residual == pytest.approx(0.2 / 1.0)
    assert "primal residual" in cert.failure()
    assert not certificate([0.3, -0.1], [2.0, -1.0]).holds  # below a column bound


def test_duals_of_the_wrong_sign_are_rejected():
    # y_1 < 0 on a row that has no upper bound proves nothing: it is dropped, and what is
    # left proves only cost >= -0.3, a gap of 2 against 1.7
    cert = certificate([0.3, 0.7], [-2.0, -1.0])
    assert not cert.holds and cert.gap == pytest.approx(2.0 / 1.7)
    # y_2 > 0 on a row with no lower bound: dropped, the reduced cost of x is then -1
    cert = certificate([0.3, 0.7], [2.0, 1.0])
    assert not cert.holds and cert.dual_residual > DUAL_TOLERANCE


def test_a_keep_row_takes_part_in_the_certificate():
    # keep "x + 2y <= 1.7": the optimum stays certified with a zero dual on it; a point
    # beyond it is a primal residual
    keep = [(COSTS, 1.7)]
    assert certificate([0.3, 0.7], [2.0, -1.0, 0.0], keep).holds
    assert not certificate([0.0, 1.0], [2.0, 0.0, 0.0], keep).holds
    assert not certificate([0.3, 0.7], [2.0, -1.0], keep).holds  # a dual missing


def test_nan_in_the_answer_is_never_certified():
    assert not certificate([np.nan, 0.7], [2.0, -1.0]).holds


def test_mip_certificate_needs_integrality_and_the_bound():
    lp = certificate([0.3, 0.7], [2.0, -1.0])
    assert certify_mip(lp, 0.0, 1.7, 1.7, 1e-6).holds
    assert not certify_mip(lp, 0.3, 1.7, 1.7, 1e-6).holds  # a fractional integer column
    beyond = certify_mip(lp, 0.0, 1.7, 1.5, 1e-6)  # 12% above the dual bound
    assert not beyond.holds and "dual bound" in beyond.failure()
    assert certify_mip(lp, 0.0, 1.7, 1.5, 0.2).holds  # within the gap allowed
    assert not certify_mip(failed("no LP"), 0.0, 1.7, 1.7, 1e-6).holds


def test_tolerances_are_stated():
    assert PRIMAL_TOLERANCE <= 1e-6 and DUAL_TOLERANCE <= 1e-6 and GAP_TOLERANCE <= 1e-6


# ------------------------------------------------------------------------ on the model
def _tiny():
    return read_inputs(ROOT / "inputs" / "tiny.xlsx")


def test_every_stage_of_a_solve_is_certified_and_the_summary_says_so():
    result = solve(_tiny())
    stages = result.stages
    assert stages["certified"].all() and (stages["route"] == "first").all()
    assert (stages["residual"] <= max(PRIMAL_TOLERANCE, DUAL_TOLERANCE)).all()
    assert (stages["duality_gap"] <= GAP_TOLERANCE).all()
    summary = result.summary
    assert summary["certified"] is True and summary["second_routes"] == 0
    assert summary["max_residual"] == stages["residual"].max()
    assert summary["max_gap"] == stages["duality_gap"].max()


def test_a_wrong_answer_from_the_solver_is_caught_and_solved_again():
    """HiGHS' primal simplex with a dual feasibility tolerance of 0.5 stops where reduced
    costs are still far from right and calls it optimal: the certificate rejects the answer
    (its duals prove nothing) and the next route gives a certified one, the true optimum."""
    from optimizer.highs_adapter import HighsSession
    from optimizer.stages import compile_layout, formulate

    compiled = compile_layout(formulate(_tiny()))
    costs = compiled.objectives["total_cost"]
    truth = HighsSession(compiled).minimise(costs, None)
    loose = HighsSession(compiled)
    loose.highs.setOptionValue("dual_feasibility_tolerance", 0.5)
    loose.highs.setOptionValue("presolve", "off")
    loose.highs.setOptionValue("simplex_strategy", 4)
    outcome = loose.minimise(costs, None)
    assert outcome.rejected is not None and not outcome.rejected.holds
    assert "dual residual" in outcome.rejected.failure()
    assert outcome.route not in ("first", "cold start, presolve off") and outcome.certified
    assert outcome.value == pytest.approx(truth.value, rel=1e-9)
    assert truth.route == "first" and truth.certified


def test_a_stage_no_route_can_certify_is_an_error_naming_the_stage(monkeypatch):
    from optimizer import highs_adapter

    monkeypatch.setattr(highs_adapter.LinearProgram, "certify",
                        lambda *args, **kwargs: failed("checked by a test"))
    result = solve(_tiny())
    assert result.status == "error"
    assert result.summary["certified"] is False
    assert result.conflicts and result.conflicts[0].startswith("stage 1 (shortfall_index)")
    assert "no route gave a certified optimum" in result.conflicts[0]
    assert "checked by a test" in result.conflicts[0]
    assert result.members.empty
