"""What it would take to meet every target: the least raise of the caps (and, if asked, of
the deployable personnel), or else which targets would have to give (docs/model.md, "What it
would take").

`what_it_takes(inputs)` solves the relaxed model of `models.relaxation` (every target
required; stage A the raises weighed as shares of GDP, stage B the money; then the stated
objective's stages), every stage certified as in `solve`, and, as the alternative, stage 1 of
the model with shortfall allowed: how much of each target would be cut within today's limits.
A relaxed model that is still infeasible (personnel, inventory, access, floors, ramp, fairness
band) is explained as `solve` explains one (`optimizer.conflicts`).

`solve()` calls it after its own stages when the plan is short or infeasible (a sweep with
`what_it_takes=True` per scenario, `optimizer.sweep.cap_raise_fields`);
`Result.what_it_takes`, `what_it_takes_cuts` and `what_it_takes_lines` hold its tables and
sentences.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import models
from models import impossible
from models.relaxation import requested

from .brief import brief_lines, money, percent, quantity
from .conflicts import explain_infeasible
from .extract import AT_BOUND, allocation_table, deterrence_table, members_table
from .held_back import held_back, summarised
from .highs_adapter import HighsSession, assemble, compile_model
from .result import (
    CUT_COLUMNS,
    STAGE_COLUMNS,
    STILL_SHORT_COLUMNS,
    WHAT_IT_TAKES_COLUMNS,
    empty_frame,
    stage_row,
)

#: a raise below this share of the limit it raises, or of all the raises together, is none:
#: the later stages may move that much within the keep rows' slack (1e-6, docs/model.md)
RAISED = 2e-6
RAISED_OF_ALL = 1e-5
SHOWN = 5  # raises named in the sentences; the sheet has every one
CUTS_SHOWN = 3  # targets named as the alternative


@dataclass(frozen=True)
class WhatItTakes:
    """The least relaxation that meets every target, and the alternative.

    - `status`: `optimal` (a relaxed plan meets every target; `limits` says what it raises,
      nothing when no raise is needed), `infeasible` (no raise of the limits relaxed meets
      every target: `conflicts` names what blocks it), `time_limit` or `error`.
    - `relax`: the limits relaxed ("caps", "personnel").
    - `limits`: one row per member and year raised, `WHAT_IT_TAKES_COLUMNS`: `cap_share` and
      `cap` now, `needed_cap_share` and `needed_cap` the cap that would do, `extra` the money
      above the cap, `extra_gdp_share` as a share of GDP; with personnel relaxed,
      `personnel_available`, `personnel_needed` and `extra_personnel` too (else NaN).
    - `cuts`: the alternative, within today's limits: the shortfall of each target that would
      be left short (`CUT_COLUMNS`; empty when even that plan is infeasible).
    - `stages`: the stages solved and their certificates (`STAGE_COLUMNS`): first
      `shortfall_index` with the limits raised as far as needed (the probe), then the relaxed
      model's, every target required.
    - `total_cost`: the relaxed plan's total cost (None without one).
    - `sentences`: the above in plain words (the brief's lines).
    - `still_short`: for a relaxed model still infeasible, the targets short at the least
      shortfall with the limits raised as far as needed, and what holds each back
      (`STILL_SHORT_COLUMNS`); empty when even that model is infeasible.
    - `conflicts`: what blocks a relaxed plan that is still infeasible: a sentence per row
      of `still_short`, or (when that is empty) the explanation of an infeasible plan.
    """

    status: str
    relax: tuple
    limits: pd.DataFrame
    cuts: pd.DataFrame
    stages: pd.DataFrame
    total_cost: float | None = None
    sentences: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    still_short: pd.DataFrame = field(default_factory=lambda: empty_frame(STILL_SHORT_COLUMNS))


def what_it_takes(inputs, relax=("caps",), shortfalls: pd.DataFrame | None = None,
                  extra=None) -> WhatItTakes:
    """The least raise of the limits in `relax` ("caps", and "personnel") under which every
    target is met, with the stated objective's stages after it; and which targets would be cut
    instead (`shortfalls`: a deterrence table of this case with shortfall allowed, whose
    shortfalls are taken; else stage 1 is solved with shortfall allowed).

    `extra`: a function called on each Pyomo model solved here (`build_model(inputs,
    formulation)`: the relaxed one, the probe and the stage 1 of the alternative) to add the
    analyst's own constraints, as `run_sweep` and `frontier` take it; every one of them then
    holds them, and a conflict names them as `solve` does."""
    relax = requested(relax)
    if not relax:
        raise ValueError("what_it_takes relaxes at least one limit: caps or personnel")
    currency = str(inputs.settings.currency or "").strip()
    layout, compiled = _built(inputs, extra, relax=relax)
    limit = inputs.settings.time_limit  # for all of it, every solve together
    deadline = None if limit is None else time.perf_counter() + limit
    status, raised, x, stage_rows, conflicts, still_short = _relaxed(inputs, layout, compiled,
                                                                     deadline, extra)
    limits = _limits(layout, raised) if raised is not None else \
        empty_frame(WHAT_IT_TAKES_COLUMNS)
    if "personnel" not in relax:
        limits = limits.astype({name: float for name in PERSONNEL})
    total = None
    if x is not None:
        total = float(x[layout.column("total", np.arange(len(layout.years)))].sum())
    cuts = _cuts(inputs, shortfalls, deadline, extra)
    found = WhatItTakes(status, relax, limits, cuts,
                        pd.DataFrame(stage_rows, columns=STAGE_COLUMNS), total, [], conflicts,
                        still_short)
    return dataclasses.replace(found, sentences=sentences(found, currency))


PERSONNEL = ["personnel_available", "personnel_needed", "extra_personnel"]


def _built(inputs, extra, **formulated):
    """The formulation of `inputs` (`models.formulate(inputs, **formulated)`) and its
    matrices; with `extra`, through its Pyomo model with the analyst's constraints added."""
    layout = models.formulate(inputs, **formulated)
    if extra is None:
        return layout, assemble(layout)
    model = models.build_model(inputs, layout)
    extra(model)
    return model.formulation, compile_model(model)


def left(deadline) -> float | None:
    """Seconds left before `deadline` (None: no limit), at least a millisecond."""
    return None if deadline is None else max(deadline - time.perf_counter(), 1e-3)


def _relaxed(inputs, layout, compiled, deadline, extra):
    """Status, the plan at the last relaxation stage (what it takes), the relaxed plan after
    every stage, stage rows, conflicts and the targets still short.

    First the probe: the least shortfall with the limits raised as far as needed. Targets
    short there: the relaxed model is infeasible, and they say why (no infeasibility has to
    be proven, which for a large MIP can take HiGHS minutes). The probe itself infeasible:
    the limits conflict whatever the targets, explained from an irreducible infeasible
    subset. Else the relaxed model's stages, every target required. With the analyst's own
    rows (`extra`), a target the probe leaves short that no limit of the inputs holds is
    explained from an IIS of the relaxed model, which names those rows."""
    none = empty_frame(STILL_SHORT_COLUMNS)
    if len(layout.unreachable):
        return "infeasible", None, None, [], impossible(layout), none
    status, short, probe_row, explain = _still_short(inputs, layout.relax, deadline, extra)
    rows = [probe_row]
    if status == "infeasible":
        return "infeasible", None, None, rows, explain(), none
    if status != "optimal":
        return status, None, None, rows, [], none
    # a target short for no limit of the inputs is held by the analyst's own rows: the
    # relaxed model's first stage then proves it infeasible and an IIS names them
    if len(short) and (extra is None or short["held_back_by"].astype(bool).all()):
        return "infeasible", None, None, rows, short_sentences(short, layout.relax), short
    session = HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
    solved, raised = None, None
    relaxing = len(_relaxation_stages(layout))
    session.start()
    for number, name in enumerate(layout.stages, start=1):
        costs = compiled.objectives[name]
        stage_start = time.perf_counter()
        outcome = session.minimise(costs, left(deadline))
        rows.append(stage_row(number + 1, name, outcome, time.perf_counter() - stage_start))
        if outcome.status == "infeasible":
            return "infeasible", None, None, rows, explain_infeasible(
                session, layout, compiled, layout.settings), short
        if outcome.status != "optimal":  # the raises are reported once their stages are done
            return outcome.status, raised, solved if raised is not None else None, rows, \
                [f"stage {number + 1} ({name}): {outcome.message}"] if outcome.message \
                else [], none
        solved = outcome.x
        if number == relaxing:
            raised = outcome.x
        if number < len(layout.stages):
            session.keep(costs, outcome.value)
    return "optimal", raised, solved, rows, [], none


def _still_short(inputs, relax, deadline, extra):
    """The probe: stage 1 (the least shortfall index) with the limits `relax` raised as far
    as needed. Its status; the targets still short there, each with what holds it back
    (`optimizer.held_back`), most urgent first; its stage row; and a function
    explaining the probe when it is infeasible."""
    allowed = dataclasses.replace(inputs, settings=dataclasses.replace(
        inputs.settings, allow_shortfall=True))
    layout, compiled = _built(allowed, extra, relax=relax, required=False)
    session = HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
    session.start()
    started = time.perf_counter()
    outcome = session.minimise(compiled.objectives["shortfall_index"], left(deadline))
    row = stage_row(1, "shortfall_index", outcome, time.perf_counter() - started)
    none = empty_frame(STILL_SHORT_COLUMNS)

    def explain():
        return explain_infeasible(session, layout, compiled, allowed.settings)

    if outcome.status != "optimal":
        return outcome.status, none, row, explain
    x = outcome.x
    allocation = allocation_table(layout, x)
    deterrence = deterrence_table(layout, allocation, inputs.settings.robustness, None)
    members = members_table(allowed, layout, x)
    reasons = held_back(allowed, layout, members, allocation, deterrence,
                        caps="caps" not in relax)
    short = deterrence.assign(held_back_by=reasons)
    short = short[short["shortfall"] > 0]
    return "optimal", _most_urgent(short)[STILL_SHORT_COLUMNS].reset_index(drop=True), row, \
        explain


def _most_urgent(short: pd.DataFrame) -> pd.DataFrame:
    """Targets by `priority * shortfall / target`, largest first."""
    weight = short["priority"] * short["shortfall"] / short["target"].where(short["target"] > 0)
    return short.assign(_w=weight.fillna(0.0)).sort_values("_w", ascending=False,
                                                           kind="stable")


def _raised(relax) -> str:
    return "caps" if tuple(relax) == ("caps",) else "personnel" \
        if tuple(relax) == ("personnel",) else "caps and personnel"


def short_sentences(short: pd.DataFrame, relax) -> list[str]:
    """One sentence a target still short with the limits raised."""
    return [f"Even with the {_raised(relax)} raised as far as needed, {row['capability']} in "
            f"{row['region']} in {int(row['year'])} would still be short by "
            f"{quantity(row['shortfall'])} of {quantity(row['target'])}"
            + (f" ({summarised(row['held_back_by'])})." if row["held_back_by"] else ".")
            for _, row in short.iterrows()]


def _relaxation_stages(layout) -> list[str]:
    return [name for name in layout.stages if name.startswith("relaxation")]


def _limits(layout, x) -> pd.DataFrame:
    """The raised member-years of `x`, the plan at the last relaxation stage (whose raises
    are least: the later stages may move them within the keep rows' slack)."""
    my = layout.member_years
    frame = pd.DataFrame({"member": my["member"].to_numpy(object),
                          "year": my["year"].to_numpy(np.int64),
                          "gdp": my["gdp"].to_numpy(float)})
    cap = my["upper"].to_numpy(float)
    frame["cap_share"] = np.where(np.isfinite(cap), my["cap_share"].to_numpy(float), np.nan)
    frame["cap"] = np.where(np.isfinite(cap), cap, np.nan)
    # what the plan spends above each cap
    cost = x[layout.column("cost", np.arange(len(my)))]
    extra = np.where(np.isfinite(cap), np.maximum(cost - np.where(np.isfinite(cap), cap, 0.0),
                                                  0.0), 0.0)
    raised = (extra > RAISED * np.maximum(np.where(np.isfinite(cap), cap, 0.0), 1.0)) & \
        (extra > RAISED_OF_ALL * extra.sum())
    extra = np.where(raised, extra, 0.0)
    frame["needed_cap"] = frame["cap"] + extra
    frame["needed_cap_share"] = frame["needed_cap"] / frame["gdp"]
    frame["extra"] = np.where(np.isfinite(cap), extra, np.nan)
    frame["extra_gdp_share"] = frame["extra"] / frame["gdp"]
    avail = my["avail"].to_numpy(float)
    more = np.full(len(my), np.nan)
    if "personnel_raise" in layout.variables:
        persons = x[layout.column("persons", np.arange(len(my)))]
        more = np.maximum(persons - avail, 0.0)
        staffed = (more > RAISED * np.maximum(avail, 1.0)) & (more > RAISED_OF_ALL * more.sum())
        more = np.where(staffed, more, 0.0)
        raised |= staffed
        frame["personnel_available"] = avail
        frame["personnel_needed"] = avail + more
    else:
        frame["personnel_available"] = np.nan
        frame["personnel_needed"] = np.nan
    frame["extra_personnel"] = more
    return frame.loc[raised, WHAT_IT_TAKES_COLUMNS].reset_index(drop=True)


def _cuts(inputs, shortfalls, deadline, extra) -> pd.DataFrame:
    """Each target's shortfall within today's limits: from `shortfalls`, or stage 1 of the
    model with shortfall allowed (empty when that model is infeasible too)."""
    if shortfalls is None:
        shortfalls = _stage_one(inputs, deadline, extra)
        if shortfalls is None:
            return empty_frame(CUT_COLUMNS)
    cut = shortfalls[shortfalls["shortfall"] > 0]
    return cut[CUT_COLUMNS].reset_index(drop=True)


def _stage_one(inputs, deadline, extra) -> pd.DataFrame | None:
    """The targets with their shortfalls at stage 1 with shortfall allowed; None when
    infeasible or not solved."""
    allowed = dataclasses.replace(inputs, settings=dataclasses.replace(
        inputs.settings, allow_shortfall=True))
    layout, compiled = _built(allowed, extra)
    session = HighsSession(compiled, mip_gap=inputs.settings.mip_gap)
    session.start()
    outcome = session.minimise(compiled.objectives["shortfall_index"], left(deadline))
    if outcome.status != "optimal":
        return None
    targets = layout.targets
    target = targets["target"].to_numpy(float)
    short = target * outcome.x[layout.column("sigma", np.arange(len(targets)))]
    frame = targets[["capability", "region", "year", "target", "priority"]].copy()
    frame["shortfall"] = np.where(short > AT_BOUND * np.maximum(target, 1.0), short, 0.0)
    return frame.reset_index(drop=True)


# --- sentences ---------------------------------------------------------------------------------

def sentences(found: WhatItTakes, currency: str = "") -> list[str]:
    """What it would take, in plain words: the raises, then the targets cut instead."""
    unit = f" {currency}" if currency else ""
    limits = found.limits
    lines = []
    what = _raised(found.relax)
    if found.status == "optimal" and not len(limits):
        lines.append("Every target can be met within today's caps and limits.")
    elif found.status == "optimal":
        raises = limits.assign(_order=limits["extra_gdp_share"].fillna(0.0)).sort_values(
            "_order", ascending=False, kind="stable")
        parts = []
        for _, row in raises.iterrows():
            if pd.notna(row["extra"]) and row["extra"] > 0:
                parts.append(f"{row['member']}'s cap in {int(row['year'])} would rise from "
                             f"{percent(row['cap_share'])} to {percent(row['needed_cap_share'])}"
                             f" of GDP (+{money(row['extra'])}{unit})")
            if pd.notna(row["extra_personnel"]) and row["extra_personnel"] > 0:
                parts.append(f"{row['member']}'s deployable personnel in {int(row['year'])} "
                             f"would rise from {row['personnel_available']:,.0f} to "
                             f"{row['personnel_needed']:,.0f} persons "
                             f"(+{row['extra_personnel']:,.0f})")
        more = len(parts) - SHOWN
        text = "; ".join(parts[:SHOWN])
        if more > 0:
            text += f"; and {more} more (the what it takes sheet)"
        lines.append(f"To meet every target: {text}.")
    elif found.status == "infeasible":
        shown = found.conflicts[:CUTS_SHOWN] or ["The limits conflict."]
        more = len(found.conflicts) - len(shown)
        tail = f" And {more} more targets (the what it takes sheet)." if more > 0 else ""
        lines.append(f"Raising the {what} does not meet every target. " + " ".join(shown) +
                     tail)
    else:
        lines.append(f"What it would take was not found (status {found.status}).")
    cuts = found.cuts
    if len(cuts):
        cuts = _most_urgent(cuts)
        parts = [f"{row['capability']} in {row['region']} in {int(row['year'])} would be cut "
                 f"by {quantity(row['shortfall'])} of {quantity(row['target'])}"
                 for _, row in cuts.head(CUTS_SHOWN).iterrows()]
        more = len(cuts) - CUTS_SHOWN
        tail = f"; and {more} more targets" if more > 0 else ""
        lead = "Or, within today's limits: " if found.status == "optimal" else \
            "Within today's limits: "
        lines.append(lead + "; ".join(parts) + tail + ".")
    return lines


# --- in a Result -------------------------------------------------------------------------------

def with_what_it_takes(result, inputs, relax=("caps",), started: float | None = None):
    """`result` with what it would take (tables and sentences) and its brief written again.
    `started`: when the solve began (`time.perf_counter()`): the time limit covers the whole
    solve, so what it would take gets what is left of it."""
    limit = inputs.settings.time_limit
    if limit is not None and started is not None:
        spent = time.perf_counter() - started
        inputs = dataclasses.replace(inputs, settings=dataclasses.replace(
            inputs.settings, time_limit=max(limit - spent, 1e-3)))
    shortfalls = result.deterrence if result.status == "optimal_with_shortfall" and \
        inputs.settings.allow_shortfall and len(result.deterrence) else None
    found = what_it_takes(inputs, relax, shortfalls)
    result = dataclasses.replace(result, what_it_takes=found.limits,
                                 what_it_takes_cuts=found.cuts,
                                 what_it_takes_short=found.still_short,
                                 what_it_takes_lines=list(found.sentences))
    return dataclasses.replace(result, brief=brief_lines(result))
