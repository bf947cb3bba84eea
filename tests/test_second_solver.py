"""A second solver that is not HiGHS: SCIP (the pyscipopt wheel, with SoPlex for its LPs)
solves the stages of the reference, shipped and random cases from the model's own matrices,
and every stage value must equal burden's: relative 1e-6 on LPs (absolute 1e-7 near 0),
1e-5 where integer equipment makes a stage a MIP (both at a relative gap of 1e-7)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from optimizer import read_inputs, solve
from optimizer.inputs import inputs_from_frames
from optimizer.stages import compile_layout, formulate

pytest.importorskip("pyscipopt", reason="the pyscipopt wheel (SCIP) is a dev dependency")

from scip_stages import scip_stage_values  # noqa: E402
from test_invariants import PHASES, cases  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
CASES = [ROOT / "inputs" / "tiny.xlsx", ROOT / "tests" / "cases" / "alliance_2030.xlsx",
         *sorted(REFERENCE.glob("small_*.xlsx"))]


def _exact(inputs):
    return dataclasses.replace(inputs, settings=dataclasses.replace(inputs.settings,
                                                                    mip_gap=1e-7))


def assert_same_stages(inputs, label):
    inputs = _exact(inputs)
    result = solve(inputs)
    layout = formulate(inputs)
    if len(layout.unreachable) and not inputs.settings.allow_shortfall:
        assert result.status == "infeasible", label
        return
    compiled = compile_layout(layout)
    theirs = scip_stage_values(compiled, layout.stages)
    ours = dict(zip(result.stages["name"], result.stages["value"]))
    if result.status == "infeasible":
        assert theirs[layout.stages[0]] == "infeasible", label
        return
    assert result.summary["certified"], label
    rel = 1e-5 if compiled.is_mip else 1e-6
    assert list(theirs) == list(ours), label
    for stage, value in theirs.items():
        assert isinstance(value, float), f"{label}: SCIP says {value} at {stage}"
        assert ours[stage] == pytest.approx(value, rel=rel, abs=1e-7), f"{label}: {stage}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_scip_gives_every_stage_value_burden_gives(path):
    assert_same_stages(read_inputs(path), path.name)


def test_the_reference_cases_are_here():
    assert REFERENCE.is_dir() and len(CASES) >= 2 + 16


@settings(max_examples=25, deadline=None, phases=PHASES, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_scip_agrees_on_random_cases(case):
    frames, spec = case
    assert_same_stages(inputs_from_frames(frames), str(spec)[:300])
