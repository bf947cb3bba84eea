"""`Inputs.with_overrides` reuses the validated case (typed tables of sheets no override
touched, typed columns no override touched, and the pieces of the cross-sheet build whose
inputs are unchanged). It must give exactly what validating the edited tables from scratch
gives: every table, the settings, the warnings, and for a bad value the same problems in the
same order."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import checks, sheets
from optimizer import inputs as inputs_module
from optimizer.inputs import InputError, inputs_from_frames, read_inputs
from optimizer.reading import ROW
from optimizer.scenario import apply_path
from optimizer.schema import SHEET_BY_NAME, SHEETS

ROOT = Path(__file__).resolve().parents[1]
FRAMES = ("members", "capabilities", "targets", "equipment", "inventory", "access", "quality",
          "member_years", "scenarios", "sources")


def _generated(tmp_path_factory, size: str):
    """The benchmarks' generated case of that size (gdp and commitments sheets too)."""
    spec = importlib.util.spec_from_file_location("burden_generate",
                                                  ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return read_inputs(module.write_case(tmp_path_factory.mktemp(size), size, "lp"))


@pytest.fixture(scope="module", params=["alliance_2030.xlsx", "tiny.xlsx", "nato"])
def case(request, tmp_path_factory):
    """The shipped example's first five years (every lever kept), the tiny example, and the
    generated NATO-size case."""
    if request.param == "nato":
        return _generated(tmp_path_factory, "nato")
    if request.param == "alliance_2030.xlsx":
        return read_inputs(ROOT / "tests" / "cases" / request.param)
    return read_inputs(ROOT / "inputs" / request.param)


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """The large generated case (60 members, 2,217 targets): the sweep benchmark's."""
    return _generated(tmp_path_factory, "large")


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
            assert apply_path(tables, path, value) is None
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
    original = inputs_module.typed_table

    def counting(sheet, raw, found, *earlier):
        typed.append(sheet.name)
        return original(sheet, raw, found, *earlier)

    monkeypatch.setattr(inputs_module, "typed_table", counting)
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
    got = checks._rows_of(table, ["name"], {"x": float, "flag": bool}, index="name")
    want = table.dropna(subset=["name"]).drop_duplicates(subset=["name"]).set_index("name") \
        .drop(columns=[ROW]).astype({"x": float, "flag": bool})
    assert_frames_identical(got, want, "indexed")
    got = checks._rows_of(table, ["name", "x"], {"x": float})
    want = table.dropna(subset=["name", "x"]).drop(columns=[ROW]).reset_index(drop=True) \
        .astype({"x": float})
    assert_frames_identical(got, want, "plain")
    empty = table.iloc[:0]
    assert_frames_identical(checks._rows_of(empty, ["name"], {"x": float}),
                            empty.dropna(subset=["name"]).drop(columns=[ROW])
                            .reset_index(drop=True).astype({"x": float}), "empty")
    assert np.isnan(checks._rows_of(table, ["name"], {"x": float})["x"].iloc[1])  # None: NaN


# ---------------------------------------------------------------------------------------------
# The sweep's overrides (targets scaled, members' columns, settings) against the tables edited
# by hand and validated by the public entry point; the shortcuts they take (typed columns and
# key checks kept, pieces keyed on the columns they read) are each shown to be taken.

_OVERRIDE = re.compile(r"^(settings|members|targets)(?:\[(.+)\])?\.(\w+)$")


def edited_by_hand(inputs, overrides) -> dict[str, pd.DataFrame]:
    """The case's tables with `overrides` applied in plain Python (not `scenario.apply_path`):
    what a sweep's edit must validate like."""
    tables = {name: table.copy() for name, table in inputs.tables.items()}
    for path, value in sorted(overrides.items(), key=lambda item: "[" in item[0]):
        sheet, name, attribute = _OVERRIDE.match(path).groups()
        table = tables[sheet] if sheet in tables else pd.DataFrame(
            {ROW: pd.Series(dtype=int), "key": pd.Series(dtype=object),
             "value": pd.Series(dtype=object)})
        if sheet == "targets":
            factor = float(value)
            hit = [True] * len(table)
            if name is not None:
                hit = [r.lower() == name.lower() for r in table["region"]]
                if not any(hit):
                    hit = [c.lower() == name.lower() for c in table["capability"]]
            table["target"] = pd.Series([v * factor if h else v for v, h in zip(
                table["target"], hit)], dtype=object)
        elif sheet == "members":
            hit = [name is None or m.lower() == name.lower() for m in table["member"]]
            table[attribute] = pd.Series([value if h else v for v, h in zip(
                table[attribute], hit)], dtype=object)
        else:
            hit = [k.strip().lower() == attribute for k in table["key"]]
            if any(hit):
                table["value"] = pd.Series([value if h else v for v, h in zip(
                    table["value"], hit)], dtype=object)
            else:
                table = pd.DataFrame({
                    ROW: pd.Series([*table[ROW], 0], dtype=int),
                    "key": pd.Series([*table["key"], attribute], dtype=object),
                    "value": pd.Series([*table["value"], value], dtype=object)})
        tables[sheet] = table
    return tables


def validated_by_hand(inputs, overrides):
    tables = edited_by_hand(inputs, overrides)
    plain = inputs_from_frames(tables, source=inputs.source, sha256=inputs.sha256)
    return dataclasses.replace(plain, warnings=tuple(dict.fromkeys(inputs.warnings +
                                                                   plain.warnings)))


def problems_by_hand(inputs, overrides):
    with pytest.raises(InputError) as info:
        inputs_from_frames(edited_by_hand(inputs, overrides), source=inputs.source,
                           sha256=inputs.sha256)
    return info.value.problems


def sweep_overrides(inputs):
    """What a sweep sets: every target scaled, by region, by capability; members' columns
    (every member, one member); settings (a key in the sheet or not); combined."""
    members = inputs.members.index.tolist()
    first, last = members[0], members[-1]
    region, capability = inputs.regions[-1], inputs.capabilities.index[-1]
    keys = set(inputs.tables["settings"]["key"].str.lower()) if "settings" in inputs.tables \
        else set()
    absent = "settings.max_growth" if "max_growth" not in keys else "settings.mip_gap"
    return [
        {"targets.scale": "0.804"},
        {"targets.scale": 1.37},
        {"targets.scale": 0},
        {f"targets[{region}].scale": 0.9},
        {f"targets[{region.upper()}].scale": "1.1"},
        {f"targets[{capability}].scale": 1.25},
        {"members.reliability": 0.9},
        {"members.population": 1000},
        {"members.baseline": None},
        {"members.cap_gdp_share": "5%"},
        {f"members[{first}].gdp": 1234.5},
        {f"members[{last}].floor_gdp_share": 0},
        {f"members[{last}].personnel_available": 0, "members.personnel_cost": 0.01},
        {f"members[{first}].absent": True},
        {"settings.robustness": 1},
        {"settings.objective": "min_max_burden"},
        {absent: "0.3"},
        {"targets.scale": 1.1, f"targets[{region}].scale": 1.2,
         f"members[{first}].cap_gdp_share": 0.04, "members.gdp_growth": 0.01,
         "settings.fairness_tolerance": 0.2},
    ]


def bad_sweep_overrides(inputs):
    members = inputs.members.index.tolist()
    first, last = members[0], members[-1]
    return [
        {"targets.scale": 1e308},  # every target infinite: each named
        {"members.reliability": 0},  # every member named
        {"members.gdp": "x"},
        {f"members[{first}].gdp": -5, f"members[{last}].gdp": "much"},
        {f"members[{first}].floor_gdp_share": 0.3, f"members[{first}].cap_gdp_share": 0.2},
        {f"members[{first}].cap_gdp_share": 2},
        {"members.absent": "maybe"},
        {"members.absent": True},
        {"settings.robustness": "-1"},
        {"settings.fair_share": "population", "members.population": None},
        {"targets.scale": 2, "settings.share_floor": 0.9, f"members[{last}].gdp": 0},
    ]


def test_sweep_overrides_equal_the_tables_edited_by_hand(case):
    for overrides in sweep_overrides(case):
        fast = case.with_overrides(overrides, scenario="s")
        assert_same_inputs(fast, validated_by_hand(case, overrides))
        assert_same_inputs(fast, from_scratch(case).with_overrides(overrides, scenario="s"))


def test_sweep_overrides_of_the_large_case(large):
    for overrides in sweep_overrides(large)[::2] + sweep_overrides(large)[-1:]:
        assert_same_inputs(large.with_overrides(overrides), validated_by_hand(large, overrides))
    for overrides in bad_sweep_overrides(large)[:4]:
        fast = problems(large, overrides)
        assert fast == problems(from_scratch(large), overrides)
        assert [p for p, *_ in fast] == [dataclasses.replace(p, file=f.file) for p, (f, *_) in
                                         zip(problems_by_hand(large, overrides), fast)]


def test_bad_sweep_values_name_every_cell_as_the_tables_edited_by_hand(case):
    for overrides in bad_sweep_overrides(case):
        fast = problems(case, overrides, "s")
        assert fast == problems(from_scratch(case), overrides, "s"), overrides
        plain = problems_by_hand(case, overrides)
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        assert [str(p) for p, *_ in fast] == [
            str(dataclasses.replace(p, file=f"scenario 's' ({label}) on {p.file}"))
            for p in plain], overrides
        assert [(p.sheet, p.row, p.column, p.expected) for p, *_ in fast] == [
            (p.sheet, p.row, p.column, p.expected) for p in plain]
    found = problems(case, {"members.reliability": 0})
    assert [p.row for p, *_ in found] == case.tables["members"][ROW].tolist()
    found = problems(case, {"targets.scale": 1e308})
    assert [(p.row, p.value) for p, *_ in found] == [
        (row, f"{v * 1e308} (an infinite number)") for row, v in
        zip(case.tables["targets"][ROW], case.tables["targets"]["target"])
        if math.isinf(v * 1e308)]


def test_a_sweep_of_derived_cases(case):
    """Each scenario from the one before (the memo handed on), and back again."""
    current, scratch = case, from_scratch(case)
    for overrides in sweep_overrides(case):
        current = current.with_overrides(overrides)
        scratch = from_scratch(scratch).with_overrides(overrides)
        assert_same_inputs(current, scratch)
        for bad in bad_sweep_overrides(case)[1:4]:  # bad whatever the targets
            assert problems(current, bad) == problems(from_scratch(current), bad)


def test_an_inputs_sent_to_a_worker_still_takes_the_shortcuts(case):
    """A pickled case (a sweep worker's) keeps its memo: its overrides equal the original's."""
    copy = pickle.loads(pickle.dumps(case))
    for overrides in sweep_overrides(case)[::3]:
        assert_same_inputs(copy.with_overrides(overrides), case.with_overrides(overrides))


def test_pieces_keyed_on_unchanged_columns_are_reused(case, monkeypatch):
    """A check across sheets is keyed on what it reads: the targets' names are resolved
    again only when their name columns change, whatever else an override edits; keys are
    checked on every sheet typed anew, and a repeated key is named as from scratch."""
    unique, resolved = [], []
    check_unique = sheets._check_unique
    target_names = checks.Case._target_names
    monkeypatch.setattr(sheets, "_check_unique", lambda sheet, *rest: (
        unique.append(sheet.name), check_unique(sheet, *rest))[1])
    monkeypatch.setattr(checks.Case, "_target_names", lambda self: (
        resolved.append(1), target_names(self))[1])
    region = case.regions[0]
    case.with_overrides({"targets.scale": 0.804})
    case.with_overrides({f"targets[{region}].scale": 1.2})
    assert resolved == [] and unique == ["targets", "targets"]  # same names; keys checked
    first = case.members.index[0]
    unique.clear()
    case.with_overrides({f"members[{first}].cap_gdp_share": "4%", "settings.robustness": 1})
    assert "targets" not in unique and resolved == []  # the targets sheet: not typed again
    # an edited key column: a repeated key named
    tables = {name: table.copy() for name, table in case.tables.items()}
    names = tables["members"]["member"].tolist()
    tables["members"]["member"] = pd.Series([names[0]] + names[:-1], dtype=object)
    edited = dataclasses.replace(case, tables=tables)
    found = problems(edited, {"targets.scale": 2})
    assert found == problems(from_scratch(edited), {"targets.scale": 2})
    assert ("members", "member") in [(p.sheet, p.column) for p, *_ in found]
    # a name column of the targets edited: resolved again
    tables = {name: table.copy() for name, table in case.tables.items()}
    tables["targets"]["capability"] = tables["targets"]["capability"].str.upper()
    edited = dataclasses.replace(case, tables=tables)
    resolved.clear()
    fast = edited.with_overrides({"targets.scale": 2})
    assert resolved == [1]
    assert_same_inputs(fast, from_scratch(edited).with_overrides({"targets.scale": 2}))


def test_a_cell_equal_but_not_the_typed_object_is_typed_again(case):
    """A table edited by hand is typed as ever: equal values of other types (1 == 1.0 ==
    True) come back typed, a table with other columns or rows is validated like any."""
    tables = {name: table.copy() for name, table in case.tables.items()}
    targets = tables["targets"]
    targets["priority"] = pd.Series([int(p) if p == int(p) else p for p in targets["priority"]],
                                    dtype=object)
    targets["year"] = pd.Series([float(y) for y in targets["year"]], dtype=object)
    targets["target"] = pd.Series([int(t) for t in targets["target"]], dtype=object)
    tables["members"] = tables["members"][[*tables["members"].columns[::-1]]]
    tables["capabilities"] = tables["capabilities"].iloc[::-1].reset_index(drop=True)
    edited = dataclasses.replace(case, tables=tables)
    for overrides in ({"settings.robustness": 1}, {"targets.scale": 2},
                      {f"members[{case.members.index[0]}].gdp": 10}):
        fast = edited.with_overrides(overrides)
        assert_same_inputs(fast, from_scratch(edited).with_overrides(overrides))
        assert [type(y) for y in fast.tables["targets"]["year"]] == [int] * len(targets)
        assert {type(t) for t in fast.tables["targets"]["target"]} == {float}
    targets["priority"] = pd.Series([True] + targets["priority"].tolist()[1:], dtype=object)
    found = problems(edited, {"targets.scale": 2})
    assert [(p.sheet, p.column, p.value) for p, *_ in found] == [("targets", "priority", True)]
    assert found == problems(from_scratch(edited), {"targets.scale": 2})


def test_typing_a_typed_table_gives_it_back(case, large):
    """What taking a sheet handed back unchanged as typed rests on."""
    for inputs in (case, large):
        for sheet in SHEETS:
            if sheet.name not in inputs.tables:
                continue
            found = sheets.Findings("case.xlsx")
            table = inputs.tables[sheet.name]
            again = sheets.typed_table(sheet, table, found)
            assert not found.problems and not found.warnings, sheet.name
            assert_frames_identical(again, table, sheet.name)


_CELLS = st.one_of(st.integers(-10, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.none(), st.text(max_size=4),
                   st.sampled_from(["", " 3 ", "2%", "x", "yes", "FALSE", "1e400", "nan"]))


@given(value=_CELLS, column=st.sampled_from([c for s in SHEETS for c in s.columns]))
@settings(max_examples=500, deadline=None)
def test_typing_a_typed_cell_gives_it_back(value, column):
    found = sheets.Findings("case.xlsx")
    typed = sheets._cell(column, value, "sheet", 2, found)
    if found.problems:
        return
    again = sheets._cell(column, typed, "sheet", 2, found)
    assert not found.problems
    assert type(again) is type(typed)
    assert again == typed or (isinstance(typed, float) and math.isnan(typed) and
                              math.isnan(again))
    fast = sheets._plain_numbers(column, [typed])
    assert fast is None or (fast == [typed] and type(fast[0]) is type(typed))


def test_every_default_is_an_allowed_value():
    for sheet in SHEETS:
        for column in sheet.columns:
            found = sheets.Findings("case.xlsx")
            typed = sheets._cell(column, column.default, sheet.name, 2, found)
            if not column.required:
                assert not found.problems and typed == column.default, (sheet.name, column)
    assert SHEET_BY_NAME["targets"].key == ("capability", "region", "year")
