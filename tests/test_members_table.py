"""`members_table` looks every member-year up by position with numpy; a second method, a
plain pandas merge, groupby and reindex (`_members_table_reference`), gives the same table:
columns, rows, dtypes, flags, NaN in the same places, numbers within 1e-12."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from optimizer import read_inputs, solve
from optimizer.extract import AT_LIMIT, _year_totals, component, members_table
from optimizer.inputs import InputError
from optimizer.result import MEMBER_COLUMNS
from optimizer.stages import formulate

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
#: the shipped example's first five years, every lever kept (inputs/build_alliance.py)
ALLIANCE = ROOT / "tests" / "cases" / "alliance_2030.xlsx"
SHIPPED = sorted((ROOT / "inputs").glob("*.xlsx"))
REFERENCE_CASES = ["small_5002.xlsx", "small_5008.xlsx", "small_5013.xlsx", "small_5014.xlsx",
                   "nato_5100.xlsx"]


def _members_table_reference(inputs, layout, x: np.ndarray) -> pd.DataFrame:
    """Per member (absent ones with zeros) and year: cost, burden, shares, bounds, personnel."""
    my = layout.member_years
    n = len(my)
    cost = np.maximum(component(layout, x, "cost", n), 0.0)
    persons = np.maximum(component(layout, x, "persons", n), 0.0)
    present = my[["member", "year"]].assign(cost=cost, personnel_used=persons)
    every = inputs.member_years.reset_index()
    frame = every.merge(present, on=["member", "year"], how="left")
    frame["cost"] = frame["cost"].fillna(0.0)
    frame["personnel_used"] = frame["personnel_used"].fillna(0.0)
    total = frame.groupby("year")["cost"].transform("sum")
    shares = layout.shares.stack()
    shares.index.names = ["member", "year"]
    frame["fair_share"] = shares.reindex(pd.MultiIndex.from_frame(frame[["member", "year"]])) \
        .fillna(0.0).to_numpy()
    frame["burden"] = frame["cost"] / frame["gdp"]
    frame["actual_share"] = np.where(total > 0, frame["cost"] / total.where(total > 0, 1), 0.0)
    frame["deviation"] = frame["cost"] - frame["fair_share"] * total
    absent = inputs.members["absent"].reindex(frame["member"]).to_numpy(bool)
    floor = np.maximum(frame["floor_share"] * frame["gdp"], frame["pledge"])
    cap = frame["cap_share"] * frame["gdp"]
    frame["floor"] = np.where(absent, 0.0, floor)
    frame["cap"] = np.where(absent, np.nan, cap)
    frame["at_floor"] = ~absent & (frame["cost"] <= frame["floor"] + AT_LIMIT *
                                   np.maximum(frame["floor"].abs(), 1.0))
    frame["at_cap"] = ~absent & frame["cap"].notna() & (
        frame["cost"] >= frame["cap"] - AT_LIMIT * np.maximum(frame["cap"].abs(), 1.0))
    avail = inputs.members["personnel_available"].fillna(0.0)
    frame["personnel_available"] = np.where(absent, 0.0, avail.reindex(frame["member"]))
    return frame[MEMBER_COLUMNS].reset_index(drop=True)


def assert_same_table(inputs, layout, x: np.ndarray) -> pd.DataFrame:
    """`members_table` equals the second method's table: the same columns, rows, dtypes and
    flags, NaN in the same places, every number within 1e-12 of it (relative)."""
    new = members_table(inputs, layout, x)
    old = _members_table_reference(inputs, layout, x)
    assert_frame_equal(new, old, check_exact=False, rtol=1e-12, atol=1e-12)
    return new


def solution_vectors(layout, seed: int, count: int = 4):
    """Nonnegative vectors whose `cost` entries sit at, just inside, just outside, below and
    above each member-year's floor and cap (so that at_floor and at_cap flip), or are 0;
    other entries random, about a third of them exact zeros."""
    rng = np.random.default_rng(seed)
    my = layout.member_years
    n = len(my)
    lower = my["lower"].to_numpy(float)
    upper = my["upper"].to_numpy(float)
    capped = np.isfinite(upper)
    scale = np.maximum(np.where(capped, upper, 2.0 * lower + 1.0), 1.0)
    for _ in range(count):
        x = rng.random(layout.n_columns) * rng.choice([1.0, 10.0, 1000.0], layout.n_columns)
        x[rng.random(layout.n_columns) < 0.3] = 0.0
        near_floor = AT_LIMIT * np.maximum(np.abs(lower), 1.0)
        near_cap = AT_LIMIT * np.maximum(np.abs(upper), 1.0)
        choices = np.stack([
            np.zeros(n), lower, lower + 0.5 * near_floor, lower + 3.0 * near_floor,
            lower * (1.0 - 1e-3), np.where(capped, upper, lower), upper - 0.5 * near_cap,
            upper - 3.0 * near_cap, upper * (1.0 + 1e-3), rng.random(n) * scale * 1.2])
        cost = choices[rng.integers(0, len(choices), n), np.arange(n)]
        cost[~np.isfinite(cost)] = 0.0
        x[layout.offsets["cost"]:layout.offsets["cost"] + n] = np.maximum(cost, 0.0)
        yield x


def _cases():
    cases = [pytest.param(path, id=path.name) for path in SHIPPED]
    cases += [pytest.param(REFERENCE / name, id=name) for name in REFERENCE_CASES]
    return cases


_read = {}


def read(path: Path):
    if path not in _read:
        _read[path] = read_inputs(path)
    return _read[path]


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """The benchmarks' large generated case (60 members x 15 years)."""
    spec = importlib.util.spec_from_file_location("burden_generate",
                                                  ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return read_inputs(module.write_case(tmp_path_factory.mktemp("large"), "large", "lp"))


@pytest.mark.parametrize("path", _cases())
def test_random_solutions_give_the_reference_table(path):
    inputs = read(path)
    layout = formulate(inputs)
    flags = set()
    for x in solution_vectors(layout, seed=len(path.name)):
        table = assert_same_table(inputs, layout, x)
        flags.update((column, value) for column in ("at_floor", "at_cap")
                     for value in table[column].unique().tolist())
    assert {("at_floor", True), ("at_floor", False)} <= flags
    assert ("at_cap", False) in flags
    if inputs.member_years["cap_share"].notna().any():
        assert ("at_cap", True) in flags


def case_path(name: str) -> Path:
    for folder in (ROOT / "inputs", ROOT / "tests" / "cases", REFERENCE):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


def test_the_large_generated_case_gives_the_reference_table(large):
    layout = formulate(large)
    for x in solution_vectors(layout, seed=7):
        assert_same_table(large, layout, x)
    last = large.members.index[-1]
    absent = large.with_overrides({f"members[{last}].absent": "yes"})
    for x in solution_vectors(formulate(absent), seed=8, count=2):
        assert_same_table(absent, formulate(absent), x)


@pytest.mark.parametrize("name", ["tiny.xlsx", "alliance_2030.xlsx", "small_5013.xlsx",
                                  "small_5014.xlsx", "small_5002.xlsx"])
def test_solved_plans_give_the_reference_table(name, monkeypatch):
    path = case_path(name)
    seen = []

    def recorded(inputs, layout, x):
        seen.append(assert_same_table(inputs, layout, x))
        return seen[-1]

    # the module, not the function `optimizer.solve` that the package exports
    monkeypatch.setattr(importlib.import_module("optimizer.stages"), "members_table",
                        recorded)
    result = solve(read(path))
    assert result.solved and len(seen) == 1
    assert_frame_equal(result.members, seen[0], check_exact=True)


@pytest.mark.parametrize("name", ["tiny.xlsx", "alliance_2030.xlsx"])
def test_absent_members_get_zeros_no_floor_and_no_cap(name):
    base = read(case_path(name))
    for member in (base.members.index[0], base.members.index[-1]):
        inputs = base.with_overrides({f"members[{member}].absent": "yes"})
        layout = formulate(inputs)
        assert member not in set(layout.member_years["member"])
        for x in solution_vectors(layout, seed=3):
            table = assert_same_table(inputs, layout, x)
            gone = table[table["member"] == member]
            assert len(gone) == len(inputs.years)
            assert (gone[["cost", "fair_share", "floor", "personnel_used",
                          "personnel_available"]] == 0.0).all().all()
            assert gone["cap"].isna().all() and not gone[["at_floor", "at_cap"]].any().any()
        result = solve(inputs)
        assert_same_table(inputs, layout, np.zeros(layout.n_columns))
        assert_frame_equal(result.members.loc[result.members["member"] == member,
                                              ["cost", "floor"]].reset_index(drop=True),
                           pd.DataFrame({"cost": 0.0, "floor": 0.0},
                                        index=range(len(inputs.years))))


def test_member_years_and_layout_of_different_cases():
    # the layout lacks a member the inputs have present, and has one the inputs make absent
    base = read(REFERENCE / "small_5004.xlsx")
    member = base.members.index[1]
    absent = base.with_overrides({f"members[{member}].absent": "yes"})
    for inputs, layout in ((base, formulate(absent)), (absent, formulate(base))):
        for x in solution_vectors(layout, seed=11, count=3):
            assert_same_table(inputs, layout, x)


def test_years_with_no_cost():
    inputs = read(ALLIANCE)
    layout = formulate(inputs)
    assert_same_table(inputs, layout, np.zeros(layout.n_columns))
    x = next(solution_vectors(layout, seed=5))
    my = layout.member_years
    first = layout.offsets["cost"] + np.flatnonzero(my["year"].to_numpy() == inputs.years[0])
    x[first] = 0.0
    table = assert_same_table(inputs, layout, x)
    idle = table[table["year"] == inputs.years[0]]
    assert (idle["actual_share"] == 0.0).all() and (idle["deviation"] == 0.0).all()


def test_no_cap_no_personnel_figure_and_zero_gdp():
    # blanks the workbook cannot hold, set on the tables members_table reads
    base = read(ALLIANCE)
    member_years = base.member_years.copy()
    members = base.members.copy()
    rng = np.random.default_rng(2)
    member_years.loc[rng.random(len(member_years)) < 0.4, "cap_share"] = np.nan
    member_years.iloc[3, member_years.columns.get_loc("gdp")] = 0.0
    member_years.iloc[5, member_years.columns.get_loc("floor_share")] = np.nan
    members.iloc[::2, members.columns.get_loc("personnel_available")] = np.nan
    inputs = dataclasses.replace(base, member_years=member_years, members=members)
    layout = formulate(base)
    for x in solution_vectors(layout, seed=4):
        table = assert_same_table(inputs, layout, x)
    assert table["cap"].isna().any() and table["personnel_available"].notna().all()


def test_nonfinite_solution_entries():
    # NaN counts as no cost (the reference merge's fillna), infinities flow through the totals
    inputs = read(ALLIANCE)
    layout = formulate(inputs)
    n = len(layout.member_years)
    rng = np.random.default_rng(9)
    for x in solution_vectors(layout, seed=9, count=3):
        for name in ("cost", "persons"):
            at = layout.offsets[name] + rng.choice(n, 4, replace=False)
            x[at] = [np.nan, np.inf, -np.inf, -0.0]
        assert_same_table(inputs, layout, x)


def test_a_layout_without_members():
    base = read(ROOT / "inputs" / "tiny.xlsx")
    with pytest.raises(InputError, match="at least one member present"):
        base.with_overrides({f"members[{m}].absent": "yes" for m in base.members.index})
    layout = formulate(base)
    empty = copy.copy(layout)
    empty.sets = dataclasses.replace(layout.sets, member_years=layout.member_years.iloc[:0],
                                     shares=layout.shares.iloc[:0])
    table = assert_same_table(base, empty, np.ones(layout.n_columns))
    assert (table["cost"] == 0.0).all()


@pytest.mark.parametrize("seed", range(6))
def test_year_totals_add_as_pandas_groupby_does(seed):
    # ragged, unsorted years, rows without a year, values whose naive sum differs
    rng = np.random.default_rng(seed)
    n = 200
    year = rng.integers(-1, 7, n)
    cost = rng.random(n) * 10.0 ** rng.integers(-3, 12, n)
    cost[rng.random(n) < 0.2] = 0.0
    if seed % 2:
        cost[rng.choice(n, 3, replace=False)] = [np.inf, np.inf, 1e308]
    frame = pd.DataFrame({"year": np.where(year >= 0, year, np.nan), "cost": cost})
    expected = frame.groupby("year")["cost"].transform("sum").to_numpy()
    got = _year_totals(cost, year)
    assert_frame_equal(pd.DataFrame({"t": got}), pd.DataFrame({"t": expected}),
                       check_exact=True)
