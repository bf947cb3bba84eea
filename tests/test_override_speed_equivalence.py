"""`Inputs.with_overrides` reuses the validated case (typed tables of sheets no override
touched, and the pieces of the cross-sheet build whose inputs are unchanged). It must give
exactly what validating the edited tables from scratch gives: every table, the settings, the
warnings, and for a bad value the same problems in the same order."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer import inputs as inputs_module
from optimizer.inputs import ROW, InputError, inputs_from_frames, read_inputs
from optimizer.scenario import _apply

ROOT = Path(__file__).resolve().parents[1]
FRAMES = ("members", "capabilities", "targets", "equipment", "inventory", "access", "quality",
          "member_years", "scenarios", "sources")


@pytest.fixture(scope="module", params=["alliance.xlsx", "tiny.xlsx"])
def case(request):
    return read_inputs(ROOT / "inputs" / request.param)


def from_scratch(inputs):
    """The same case with nothing to reuse: every table typed and checked again."""
    return dataclasses.replace(inputs, _memo={})


def assert_frames_identical(a: pd.DataFrame, b: pd.DataFrame, what: str):
    pd.testing.assert_frame_equal(a, b, check_exact=True, obj=what)
    assert a.dtypes.astype(str).tolist() == b.dtypes.astype(str).tolist(), what
    assert a.columns.dtype == b.columns.dtype and a.index.dtype == b.index.dtype, what
    for column in a.columns:  # the cells' own types too (object columns)
        assert [type(v) for v in a[column]] == [type(v) for v in b[column]], (what, column)


def assert_same_inputs(a, b):
    for name in FRAMES:
        assert_frames_identical(getattr(a, name), getattr(b, name), name)
    assert a.settings == b.settings
    assert a.warnings == b.warnings
    assert (a.source, a.sha256) == (b.source, b.sha256)
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        assert_frames_identical(a.tables[name], b.tables[name], f"tables[{name}]")


def problems(inputs, overrides, scenario=None):
    with pytest.raises(InputError) as info:
        inputs.with_overrides(overrides, scenario)
    return [(p, type(p.row), type(p.value), str(p)) for p in info.value.problems]


def good_overrides(inputs):
    first, last = inputs.members.index[0], inputs.members.index[-1]
    region, capability = inputs.regions[0], inputs.capabilities.index[0]
    return [
        {},
        {"targets.scale": 1.01},
        {"targets.scale": "0.5"},
        {f"targets[{region}].scale": 1.2},
        {f"targets[{capability}].scale": 0.8},
        {f"members[{first}].cap_gdp_share": 0.04},
        {f"members[{first.upper()}].cap_gdp_share": "4%"},
        {"members.cap_gdp_share": 0.06},
        {"members.floor_gdp_share": 0.001, f"members[{last}].floor_gdp_share": 0.002},
        {f"members[{last}].gdp": 5000},
        {f"members[{last}].absent": "yes"},
        {"settings.fairness_tolerance": 0.2},
        {"settings.objective": "min_max_burden", "settings.robustness": "1"},
        {"targets.scale": 1.01, f"members[{first}].cap_gdp_share": 0.04,
         "settings.fairness_tolerance": 0.2},
    ]


def bad_overrides(inputs):
    first = inputs.members.index[0]
    return [
        {"members.cap_gdp_share": 2},
        {f"members[{first}].gdp": -5},
        {f"members[{first}].floor_gdp_share": 0.9, f"members[{first}].cap_gdp_share": 0.01},
        {f"members[{first}].personnel_cost": None, f"members[{first}].personnel_available": 5},
        {"members.gdp_growth": 1e200},  # an infinite GDP path (where there are two years)
        {"settings.robustness": "x"},
        {"settings.share_ceiling": 0.0001},
        {"settings.fair_share": "mixed"},
        {"targets.scale": 1e308, "settings.objective": "max_fun"},
        {"targets.scale": "big"},
        {"members[Nobody].gdp": 1, "budget.total": 1},
    ]


def test_fast_path_equals_from_scratch_and_inputs_from_frames(case):
    for overrides in good_overrides(case):
        fast = case.with_overrides(overrides, scenario="s")
        assert_same_inputs(fast, from_scratch(case).with_overrides(overrides, scenario="s"))
        # the edited tables, validated by the public entry point
        tables = {name: table.copy() for name, table in case.tables.items()}
        for path, value in sorted(overrides.items(), key=lambda item: "[" in item[0]):
            assert _apply(tables, path, value) is None
        plain = inputs_from_frames(tables, source=case.source, sha256=case.sha256)
        plain = dataclasses.replace(
            plain, warnings=tuple(dict.fromkeys(case.warnings + plain.warnings)))
        assert_same_inputs(fast, plain)


def test_bad_values_give_the_same_problems(case):
    for overrides in bad_overrides(case):
        if len(case.years) < 2 and "members.gdp_growth" in overrides:
            continue
        assert problems(case, overrides, "s") == problems(from_scratch(case), overrides, "s"), \
            overrides


def test_overrides_of_an_overridden_case(case):
    for first in good_overrides(case)[1:6]:
        derived, scratch = case.with_overrides(first), from_scratch(case).with_overrides(first)
        for second in good_overrides(case)[5:]:
            assert_same_inputs(derived.with_overrides(second),
                               from_scratch(scratch).with_overrides(second))
        for second in bad_overrides(case)[:4] + bad_overrides(case)[5:8]:
            assert problems(derived, second) == problems(from_scratch(scratch), second)


def test_the_original_is_never_changed(case):
    before = {name: table.copy() for name, table in case.tables.items()}
    members = case.members.copy()
    for overrides in good_overrides(case):
        case.with_overrides(overrides)
    for name, table in before.items():
        assert_frames_identical(case.tables[name], table, name)
    assert_frames_identical(case.members, members, "members")


def test_a_table_replaced_or_edited_by_hand_is_validated_again(case):
    """Only a table that *is* one validation handed out is taken as typed."""
    tables = {name: table.copy() for name, table in case.tables.items()}
    tables["members"]["gdp"] = tables["members"]["gdp"].astype(object)
    tables["members"].loc[0, "gdp"] = -1
    edited = dataclasses.replace(case, tables=tables)
    found = problems(edited, {"targets.scale": 2})
    assert [(p.sheet, p.column) for p, *_ in found] == [("members", "gdp")]
    assert found == problems(from_scratch(edited), {"targets.scale": 2})


def test_only_the_edited_sheets_are_typed_again(case, monkeypatch):
    typed = []
    original = inputs_module._typed_table

    def counting(sheet, raw, found):
        typed.append(sheet.name)
        return original(sheet, raw, found)

    monkeypatch.setattr(inputs_module, "_typed_table", counting)
    case.with_overrides({"settings.fairness_tolerance": 0.2})
    case.with_overrides({"targets.scale": 1.01})
    first = case.members.index[0]
    case.with_overrides({f"members[{first}].cap_gdp_share": 0.04})
    assert typed == ["settings", "targets", "members"]


def test_rows_of_matches_the_pandas_steps():
    table = pd.DataFrame({
        ROW: pd.Series([2, 3, 4, 5, 6, 7], dtype=int),
        "name": pd.Series(["a", None, "b", "a", float("nan"), "c"], dtype=object),
        "x": pd.Series([1.0, 2.0, None, 4.0, 5.0, 6.0], dtype=object),
        "flag": pd.Series([True, False, True, None, True, False], dtype=object),
        "note": pd.Series(["p", "q", None, "s", "t", "u"], dtype=object),
    })
    got = inputs_module._rows_of(table, ["name"], {"x": float, "flag": bool}, index="name")
    want = table.dropna(subset=["name"]).drop_duplicates(subset=["name"]).set_index("name") \
        .drop(columns=[ROW]).astype({"x": float, "flag": bool})
    assert_frames_identical(got, want, "indexed")
    got = inputs_module._rows_of(table, ["name", "x"], {"x": float})
    want = table.dropna(subset=["name", "x"]).drop(columns=[ROW]).reset_index(drop=True) \
        .astype({"x": float})
    assert_frames_identical(got, want, "plain")
    empty = table.iloc[:0]
    assert_frames_identical(inputs_module._rows_of(empty, ["name"], {"x": float}),
                            empty.dropna(subset=["name"]).drop(columns=[ROW])
                            .reset_index(drop=True).astype({"x": float}), "empty")
    assert np.isnan(inputs_module._rows_of(table, ["name"], {"x": float})["x"].iloc[1])  # None: NaN
