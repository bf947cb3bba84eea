"""Reading and validating input workbooks (docs/workbook.md: format, "What bad input gets", Sweeps).

Each bad-input test starts from the valid workbook of conftest.py, corrupts one thing and checks
the problem's sheet, Excel row (header = row 1), column and expected text. Positive tests check
name matching, booleans, percentages, defaults, warnings, growth paths, per-year overrides, the
.csv folder form and `Inputs.with_overrides`.
"""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import good_sheets, set_cell
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import InputError, read_inputs
from optimizer.schema import SHEETS

ALL_SETTINGS = ("objective, fair_share, fair_share_weights, share_ceiling, share_floor, "
                "fairness_tolerance, robustness, max_growth, allow_shortfall, tie_break, "
                "path_year, path_total_share, path_core_share, max_change, "
                "currency, time_limit, mip_gap, negotiation_slack")


def problems_of(path) -> list:
    with pytest.raises(InputError) as info:
        read_inputs(path)
    assert info.value.problems, "an InputError with no problems"
    return info.value.problems


def where(problem) -> tuple:
    return (problem.sheet, problem.row, problem.column)


def read_ok(workbook, sheets):
    return read_inputs(workbook(sheets))


def corrupt(*edits):
    """A good workbook with `edits` (sheet, Excel row, column, value) applied."""
    sheets = good_sheets()
    for sheet, row, column, value in edits:
        set_cell(sheets, sheet, row, column, value)
    return sheets


def drop_column(sheets, sheet, column):
    index = sheets[sheet][0].index(column)
    for row in sheets[sheet]:
        del row[index]
    return sheets


def without_sheet(name):
    sheets = good_sheets()
    del sheets[name]
    return sheets


def with_setting(key, value, sheets=None):
    sheets = sheets if sheets is not None else good_sheets()
    sheets["settings"].append([key, value])
    return sheets


def with_duplicate_poland():
    sheets = good_sheets()
    sheets["members"].append(["Poland", 1500, 0.0, 37, 0, None, 0.02, 0.05, 20, 1, False])
    sheets["members"].append(["poland", 1600, 0.0, 37, 0, None, 0.02, 0.05, 20, 1, False])
    return sheets


def unreferenced(sheets):
    """No sheet but members names Gamma (row 4), so blanking it breaks nothing else."""
    del sheets["access"]
    return sheets


def with_population_rule():
    sheets = corrupt(("settings", 3, "value", "population"), ("members", 3, "population", None))
    return sheets


# ---------------------------------------------------------------------------------------------
# Bad input: one corruption, one problem, located as Excel numbers it

ONE_PROBLEM = [
    # (id, sheets, sheet, row, column, words the expected text must contain)
    ("missing settings sheet", lambda: without_sheet("settings"),
     "settings", None, None, "a sheet named 'settings'"),
    ("missing members sheet", lambda: without_sheet("members"),
     "members", None, None, "a sheet named 'members'"),
    ("missing capabilities sheet", lambda: without_sheet("capabilities"),
     "capabilities", None, None, "a sheet named 'capabilities'"),
    ("missing targets sheet", lambda: without_sheet("targets"),
     "targets", None, None, "a sheet named 'targets'"),
    ("missing gdp column", lambda: drop_column(good_sheets(), "members", "gdp"),
     "members", None, "gdp", "a column named 'gdp'"),
    ("missing target column", lambda: drop_column(good_sheets(), "targets", "target"),
     "targets", None, "target", "a column named 'target'"),
    ("missing units column", lambda: drop_column(good_sheets(), "inventory", "units"),
     "inventory", None, "units", "a column named 'units'"),
    ("duplicate member, other case", with_duplicate_poland,
     "members", 6, "member", "one row for member=poland (already on row 5)"),
    ("duplicate target key", lambda: corrupt(("targets", 3, "year", 2026)),
     "targets", 3, "capability",
     "one row for capability=land, region=east, year=2026 (already on row 2)"),
    ("unknown capability in targets", lambda: corrupt(("targets", 4, "capability", "sea")),
     "targets", 4, "capability", "a capability defined in the workbook (land, air)"),
    ("unknown capability in equipment", lambda: corrupt(("equipment", 2, "capability", "sea")),
     "equipment", 2, "capability", "a capability defined in the workbook (land, air)"),
    ("unknown equipment in inventory", lambda: corrupt(("inventory", 2, "equipment", "jet")),
     "inventory", 2, "equipment", "an equipment type defined in the workbook (tank)"),
    ("unknown member in inventory", lambda: corrupt(("inventory", 2, "member", "Delta")),
     "inventory", 2, "member", "a member defined in the workbook (Alpha, Beta, Gamma)"),
    ("unknown member in gdp", lambda: corrupt(("gdp", 2, "member", "Delta")),
     "gdp", 2, "member", "a member defined in the workbook"),
    ("blank gdp", lambda: corrupt(("members", 3, "gdp", None)),
     "members", 3, "gdp", "a number > 0"),
    ("blank target", lambda: corrupt(("targets", 5, "target", None)),
     "targets", 5, "target", "a number >= 0"),
    ("blank member name", lambda: unreferenced(corrupt(("members", 4, "member", "  "))),
     "members", 4, "member", "a name (text)"),
    ("text for a number", lambda: corrupt(("members", 3, "gdp", "lots")),
     "members", 3, "gdp", "a number > 0"),
    ("text for units", lambda: corrupt(("inventory", 2, "units", "four")),
     "inventory", 2, "units", "a number >= 0"),
    ("negative target", lambda: corrupt(("targets", 4, "target", -5)),
     "targets", 4, "target", "a number >= 0"),
    ("negative funding_effect", lambda: corrupt(("capabilities", 3, "funding_effect", -1)),
     "capabilities", 3, "funding_effect", "a number >= 0"),
    ("zero gdp", lambda: corrupt(("members", 2, "gdp", 0)),
     "members", 2, "gdp", "a number > 0"),
    ("growth of -100%", lambda: corrupt(("members", 2, "gdp_growth", -1)),
     "members", 2, "gdp_growth", "a number > -1"),
    ("NaN text", lambda: corrupt(("members", 2, "population", "NaN")),
     "members", 2, "population", "a number >= 0"),
    ("inf text", lambda: corrupt(("capabilities", 2, "funding_effect", "inf")),
     "capabilities", 2, "funding_effect", "a number >= 0"),
    ("-inf text", lambda: corrupt(("members", 4, "baseline", "-inf")),
     "members", 4, "baseline", "a number >= 0"),
    ("cap share above 1", lambda: corrupt(("members", 2, "cap_gdp_share", 2)),
     "members", 2, "cap_gdp_share", "shares of GDP are fractions: 0.02 means 2%"),
    ("commitments floor share above 1",
     lambda: corrupt(("commitments", 2, "floor_gdp_share", 1.5)),
     "commitments", 2, "floor_gdp_share", "shares of GDP are fractions: 0.02 means 2%"),
    ("200% as text", lambda: corrupt(("members", 3, "floor_gdp_share", "200%")),
     "members", 3, "floor_gdp_share", "0.02 means 2%"),
    ("reliability 0", lambda: corrupt(("members", 2, "reliability", 0)),
     "members", 2, "reliability", "a number > 0 and <= 1"),
    ("reliability 1.5", lambda: corrupt(("members", 3, "reliability", 1.5)),
     "members", 3, "reliability", "a number > 0 and <= 1"),
    ("floor above cap via commitments",
     lambda: corrupt(("commitments", 2, "floor_gdp_share", 0.06)),
     "commitments", 2, "floor_gdp_share", "a floor no higher than the cap (0.05) for Alpha in 2027"),
    ("year 2026.5 in targets", lambda: corrupt(("targets", 2, "year", 2026.5)),
     "targets", 2, "year", "a whole number"),
    ("year 2026.5 in commitments", lambda: corrupt(("commitments", 2, "year", "2026.5")),
     "commitments", 2, "year", "a whole number"),
    ("bad boolean", lambda: corrupt(("members", 3, "absent", "maybe")),
     "members", 3, "absent", "TRUE or FALSE (or yes/no, 1/0)"),
    ("bad boolean setting", lambda: corrupt(("settings", 4, "value", "perhaps")),
     "settings", 4, "value", "TRUE or FALSE"),
    ("unknown setting key", lambda: with_setting("colour", "blue"),
     "settings", 6, "key", "one of " + ALL_SETTINGS),
    ("unknown objective", lambda: corrupt(("settings", 2, "value", "max_fun")),
     "settings", 2, "value", "for objective, one of min_cost | min_max_burden | min_deviation"),
    ("robustness not whole", lambda: with_setting("robustness", 1.5),
     "settings", 6, "value", "for robustness, a whole number >= 0"),
    ("population missing with fair_share population", with_population_rule,
     "members", 3, "population", "a population, since the fair-share rule uses it"),
    ("personnel_cost missing where personnel_available > 0",
     lambda: corrupt(("members", 3, "personnel_cost", None)),
     "members", 3, "personnel_cost", "a personnel cost where personnel_available > 0"),
]


@pytest.mark.parametrize(("make", "sheet", "row", "column", "words"),
                         [pytest.param(*case[1:], id=case[0]) for case in ONE_PROBLEM])
def test_one_corruption_gives_one_located_problem(workbook, make, sheet, row, column, words):
    path = workbook(make(), name="plan.xlsx")
    problems = problems_of(path)
    assert [where(p) for p in problems] == [(sheet, row, column)], [str(p) for p in problems]
    problem = problems[0]
    assert words in problem.expected
    assert problem.file == "plan.xlsx"
    text = str(problem)
    assert text.startswith("plan.xlsx")
    if row is not None:
        assert f"row {row}," in text
    if column is not None:
        assert f"column '{column}'" in text


@pytest.mark.parametrize(("cell", "shown"), [("NaN", "NaN"), ("inf", "infinite"),
                                             ("Infinity", "infinite")])
def test_nan_and_infinity_are_named_as_such(workbook, cell, shown):
    (problem,) = problems_of(workbook(corrupt(("members", 3, "gdp", cell))))
    assert where(problem) == ("members", 3, "gdp")
    assert shown in str(problem.value)
    assert cell in str(problem)


def test_blank_required_cell_is_shown_as_blank(workbook):
    (problem,) = problems_of(workbook(corrupt(("targets", 3, "target", None))))
    assert "found a blank cell" in str(problem)


def test_duplicate_member_is_case_insensitive_and_names_the_first_row(workbook):
    (problem,) = problems_of(workbook(with_duplicate_poland()))
    assert problem.value == "poland"
    assert "already on row 5" in problem.expected


def test_floor_above_cap_on_members_is_reported(workbook):
    problems = problems_of(workbook(corrupt(("members", 3, "floor_gdp_share", 0.06))))
    assert {where(p) for p in problems} == {("members", 3, "floor_gdp_share")}
    assert all("a floor no higher than the cap (0.04)" in p.expected for p in problems)


def test_floor_above_cap_on_members_is_reported_once(workbook):
    problems = problems_of(workbook(corrupt(("members", 3, "floor_gdp_share", 0.06))))
    assert len(problems) == 1, [str(p) for p in problems]


def test_pledge_only_commitment_is_not_blamed_for_members_floor_above_cap(workbook):
    sheets = corrupt(("members", 3, "floor_gdp_share", 0.06))
    sheets["commitments"].append(["Beta", 2028, None, None, 50])
    problems = problems_of(workbook(sheets))
    assert {p.sheet for p in problems} == {"members"}, [str(p) for p in problems]


def test_commitments_cap_below_members_floor_is_reported_on_the_commitments_row(workbook):
    sheets = good_sheets()
    sheets["commitments"].append(["Beta", 2028, None, 0.005, None])
    (problem,) = problems_of(workbook(sheets))
    assert (problem.sheet, problem.row) == ("commitments", 3)
    assert "cap (0.005) for Beta in 2028" in problem.expected


def test_share_ceiling_that_cannot_sum_to_one(workbook):
    (problem,) = problems_of(workbook(with_setting("share_ceiling", 0.2)))
    assert problem.sheet == "settings"
    assert problem.value == 0.2
    assert "at least 1/3 (0.3333)" in problem.expected
    assert "sum to 1" in problem.expected


def test_share_floor_too_high(workbook):
    (problem,) = problems_of(workbook(with_setting("share_floor", 0.4)))
    assert problem.sheet == "settings"
    assert problem.value == 0.4
    assert "at most 1/3 (0.3333)" in problem.expected


def test_share_floor_above_share_ceiling(workbook):
    sheets = with_setting("share_floor", 0.3, with_setting("share_ceiling", 0.25,
                                                           good_sheets()))
    problems = problems_of(workbook(sheets))
    assert any("no higher than the share ceiling (0.25)" in p.expected for p in problems)
    assert any("at least 1/3" in p.expected for p in problems)  # 0.25 * 3 < 1 as well


def test_share_ceiling_problem_points_at_its_settings_row(workbook):
    (problem,) = problems_of(workbook(with_setting("share_ceiling", 0.2)))
    assert where(problem) == ("settings", 6, "value")


def test_mixed_without_weights(workbook):
    (problem,) = problems_of(workbook(corrupt(("settings", 3, "value", "mixed"))))
    assert (problem.sheet, problem.column) == ("settings", "value")
    assert "fair_share_weights" in problem.expected
    assert "mixed" in problem.expected


def test_mixed_using_population_needs_population(workbook):
    sheets = with_setting("fair_share_weights", "gdp=0.7, population=0.3",
                          corrupt(("settings", 3, "value", "mixed"),
                                  ("members", 4, "population", None)))
    (problem,) = problems_of(workbook(sheets))
    assert where(problem) == ("members", 4, "population")


def test_population_not_needed_for_an_absent_member_or_another_rule(workbook):
    sheets = with_population_rule()
    set_cell(sheets, "members", 3, "absent", True)
    assert read_ok(workbook, sheets).settings.fair_share == "population"
    gdp_rule = corrupt(("members", 3, "population", None))
    assert pd.isna(read_ok(workbook, gdp_rule).members.loc["Beta", "population"])


def test_personnel_cost_not_needed_without_personnel(workbook):
    sheets = corrupt(("members", 4, "personnel_cost", None))  # Gamma: personnel_available 0
    inputs = read_ok(workbook, sheets)
    assert pd.isna(inputs.members.loc["Gamma", "personnel_cost"])


def test_every_problem_is_reported_together(workbook):
    sheets = corrupt(("members", 3, "gdp", "lots"),
                     ("targets", 4, "capability", "sea"),
                     ("capabilities", 2, "funding_effect", -1),
                     ("inventory", 2, "equipment", "jet"),
                     ("settings", 2, "value", "max_fun"))
    problems = problems_of(workbook(sheets))
    assert len(problems) == 5, [str(p) for p in problems]
    assert {where(p) for p in problems} == {
        ("members", 3, "gdp"), ("targets", 4, "capability"),
        ("capabilities", 2, "funding_effect"), ("inventory", 2, "equipment"),
        ("settings", 2, "value")}


def test_rows_keep_excel_numbers_across_blank_rows(workbook):
    sheets = good_sheets()
    sheets["members"].insert(2, [None] * len(sheets["members"][0]))  # Excel row 3 left blank
    set_cell(sheets, "members", 4, "gdp", "lots")  # Beta, now on row 4
    (problem,) = problems_of(workbook(sheets))
    assert where(problem) == ("members", 4, "gdp")


def test_not_an_xlsx_and_unreadable_file(tmp_path):
    text = tmp_path / "plan.txt"
    text.write_text("hello")
    (problem,) = problems_of(text)
    assert "an .xlsx workbook or a folder of .csv files" in problem.expected
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    (problem,) = problems_of(fake)
    assert problem.file == "fake.xlsx"
    assert "a readable .xlsx workbook" in problem.expected
    (problem,) = problems_of(tmp_path / "missing.xlsx")
    assert "an existing .xlsx workbook" in problem.expected


# ---------------------------------------------------------------------------------------------
# Good input: names, booleans, percentages, defaults, warnings


def test_good_workbook_reads(workbook):
    inputs = read_ok(workbook, good_sheets())
    assert inputs.members.index.tolist() == ["Alpha", "Beta", "Gamma"]
    assert inputs.years == [2026, 2027, 2028]
    assert inputs.regions == ["east", "north"]
    assert inputs.settings.currency == "EUR million"
    assert inputs.members.loc["Beta", "reliability"] == 0.9
    assert bool(inputs.equipment.loc["tank", "integer"]) is True
    assert inputs.inventory.to_dict("records") == [
        {"member": "Alpha", "equipment": "tank", "units": 4.0}]
    assert inputs.warnings == ()


def test_sheet_and_column_names_match_case_insensitively_with_spaces(workbook):
    sheets = good_sheets()
    sheets[" Members "] = sheets.pop("members")
    sheets["GDP"] = sheets.pop("gdp")
    sheets["Settings"] = sheets.pop("settings")
    sheets[" Members "][0] = [f" {name.upper()} " for name in sheets[" Members "][0]]
    inputs = read_ok(workbook, sheets)
    assert inputs.warnings == ()
    assert inputs.members.index.tolist() == ["Alpha", "Beta", "Gamma"]
    assert inputs.members.loc["Gamma", "cap_gdp_share"] == 0.03
    assert inputs.member_years.loc[("Beta", 2027), "gdp"] == 3100  # the GDP sheet was read


def test_names_in_other_sheets_match_case_insensitively(workbook):
    sheets = corrupt(("inventory", 2, "member", " alpha "), ("access", 2, "region", "NORTH"),
                     ("targets", 2, "capability", "LAND"))
    inputs = read_ok(workbook, sheets)
    assert inputs.inventory["member"].tolist() == ["Alpha"]
    assert inputs.access["region"].tolist() == ["north"]
    assert inputs.targets["capability"].tolist() == ["land"] * 3 + ["air"] * 3


@pytest.mark.parametrize(("cells", "value"), [
    ((True, False, "yes"), True), (("TRUE", "false", "No"), False), ((1, 0, "1"), True),
    (("Yes", "0", 0), False)])
def test_booleans(workbook, cells, value):
    """TRUE/FALSE cells and the texts true/false, yes/no, 1/0 (any case)."""
    sheets = corrupt(("members", 2, "absent", cells[0]), ("members", 3, "absent", cells[1]),
                     ("equipment", 2, "integer", cells[2]), ("settings", 4, "value", cells[2]))
    inputs = read_ok(workbook, sheets)
    assert inputs.members["absent"].tolist() == [True, False, False]
    assert inputs.present_members == ["Beta", "Gamma"]
    assert bool(inputs.equipment.loc["tank", "integer"]) is value
    assert inputs.settings.allow_shortfall is value


def test_percent_text_reads_as_a_fraction(workbook):
    sheets = corrupt(("members", 2, "cap_gdp_share", "2%"),
                     ("members", 3, "floor_gdp_share", " 0.5 % "),
                     ("commitments", 2, "floor_gdp_share", "1.5%"))
    inputs = read_ok(workbook, sheets)
    assert inputs.members.loc["Alpha", "cap_gdp_share"] == pytest.approx(0.02)
    assert inputs.members.loc["Beta", "floor_gdp_share"] == pytest.approx(0.005)
    assert inputs.member_years.loc[("Alpha", 2027), "floor_share"] == pytest.approx(0.015)


def test_blank_optional_cells_take_defaults(workbook):
    sheets = good_sheets()
    for row in (2, 3, 4):
        for column in ("reliability", "gdp_growth", "absent", "cap_gdp_share",
                       "floor_gdp_share"):
            set_cell(sheets, "members", row, column, None)
    for row in range(2, 8):
        set_cell(sheets, "targets", row, "priority", None)
    set_cell(sheets, "equipment", 2, "crew", None)
    inputs = read_ok(workbook, sheets)
    assert inputs.members["reliability"].tolist() == [1.0, 1.0, 1.0]
    assert inputs.members["gdp_growth"].tolist() == [0.0, 0.0, 0.0]
    assert inputs.members["absent"].tolist() == [False, False, False]
    assert inputs.members["floor_gdp_share"].tolist() == [0.0, 0.0, 0.0]
    assert inputs.members["cap_gdp_share"].isna().all()
    assert inputs.targets["priority"].tolist() == [1.0] * 6
    assert inputs.equipment.loc["tank", "crew"] == 0.0
    # no growth: every year's GDP is the first year's (Beta 2027 from the gdp sheet)
    assert inputs.member_years["gdp"].tolist() == [1000.0] * 3 + [3000.0, 3100.0, 3000.0] + \
        [2000.0] * 3


def test_optional_columns_and_sheets_may_be_left_out(workbook):
    sheets = {name: rows for name, rows in good_sheets().items()
              if name in ("settings", "members", "capabilities", "targets")}
    sheets["members"] = [["member", "gdp"], ["Alpha", 1000], ["Beta", 3000], ["Gamma", 2000]]
    inputs = read_ok(workbook, sheets)
    assert inputs.members["reliability"].tolist() == [1.0, 1.0, 1.0]
    assert inputs.members["personnel_available"].tolist() == [0.0, 0.0, 0.0]
    assert inputs.equipment.empty and inputs.inventory.empty and inputs.access.empty
    assert inputs.member_years["pledge"].tolist() == [0.0] * 9


def test_settings_defaults(workbook):
    sheets = good_sheets()
    sheets["settings"] = [["key", "value"], ["objective", None]]
    settings = read_ok(workbook, sheets).settings
    assert (settings.objective, settings.fair_share, settings.allow_shortfall,
            settings.tie_break, settings.robustness, settings.mip_gap) == (
        "min_cost", "gdp", True, "fair_share", 0, 1e-6)


def test_settings_values(workbook):
    sheets = good_sheets()
    sheets["settings"] += [["fair_share_weights", "gdp=0.7, population=0.3"],
                           ["share_ceiling", "50%"], ["robustness", 1]]
    sheets["settings"][1] = [" OBJECTIVE", "Min_Max_Burden"]
    set_cell(sheets, "settings", 3, "value", "mixed")
    settings = read_ok(workbook, sheets).settings
    assert settings.objective == "min_max_burden"
    assert settings.fair_share == "mixed"
    assert settings.fair_share_weights == (("gdp", pytest.approx(0.7)),
                                           ("population", pytest.approx(0.3)))
    assert settings.share_ceiling == 0.5
    assert settings.robustness == 1


def test_unknown_extra_sheet_and_column_warn_and_readme_is_silent(workbook):
    sheets = good_sheets()
    sheets["notes"] = [["a", "b"], [1, 2]]
    sheets["readme"] = [["item", "text"], ["what", "a test case"]]
    sheets["members"][0].append("colour")
    for row in sheets["members"][1:]:
        row.append("red")
    inputs = read_ok(workbook, sheets)
    assert len(inputs.warnings) == 2
    assert any("sheet 'notes'" in w and "ignored" in w for w in inputs.warnings)
    assert any("column 'colour'" in w and "members" in w for w in inputs.warnings)
    assert not any("readme" in w for w in inputs.warnings)
    assert "colour" not in inputs.members.columns


# ---------------------------------------------------------------------------------------------
# Per-year values: growth paths, GDP overrides, commitments


def test_gdp_growth_path(workbook):
    sheets = good_sheets()
    del sheets["gdp"]
    my = read_ok(workbook, sheets).member_years
    for member, gdp, growth in (("Alpha", 1000, 0.02), ("Beta", 3000, 0.0),
                                ("Gamma", 2000, -0.01)):
        for year in (2026, 2027, 2028):
            assert my.loc[(member, year), "gdp"] == pytest.approx(
                gdp * (1 + growth) ** (year - 2026), rel=1e-12)
    assert my.loc[("Alpha", 2028), "gdp"] == pytest.approx(1040.4)
    assert my.loc[("Gamma", 2028), "gdp"] == pytest.approx(1960.2)
    assert list(my.index.names) == ["member", "year"]
    assert len(my) == 9


def test_gdp_sheet_overrides_one_year_only(workbook):
    sheets = good_sheets()
    sheets["gdp"].append(["alpha", 2027, 1500])
    my = read_ok(workbook, sheets).member_years
    assert my.loc[("Alpha", 2027), "gdp"] == 1500
    assert my.loc[("Alpha", 2026), "gdp"] == 1000
    assert my.loc[("Alpha", 2028), "gdp"] == pytest.approx(1040.4)  # the growth path
    assert my.loc[("Beta", 2027), "gdp"] == 3100
    assert my.loc[("Beta", 2028), "gdp"] == 3000


def test_commitments_override_their_own_year_only(workbook):
    sheets = good_sheets()
    sheets["commitments"].append(["Beta", 2028, None, 0.035, None])
    my = read_ok(workbook, sheets).member_years
    # Alpha 2027: floor 0.02 and pledge 30; cap blank keeps Alpha's 0.05
    assert my.loc[("Alpha", 2027), ["gdp", "floor_share", "cap_share", "pledge"]].to_dict() \
        == pytest.approx({"gdp": 1020.0, "floor_share": 0.02, "cap_share": 0.05, "pledge": 30.0})
    # the core floor and related cap: the member's (0 and none) where not given
    assert my.loc[("Alpha", 2027), "core_floor_share"] == 0.0
    assert np.isnan(my.loc[("Alpha", 2027), "related_cap_share"])
    for year in (2026, 2028):  # no carry-forward
        assert my.loc[("Alpha", year), ["floor_share", "cap_share", "pledge"]].tolist() == [
            0.01, 0.05, 0.0]
    # Beta 2028: cap 0.035, floor blank keeps Beta's 0.01
    assert my.loc[("Beta", 2028), ["floor_share", "cap_share", "pledge"]].tolist() == [
        0.01, 0.035, 0.0]
    assert my.loc[("Beta", 2027), "cap_share"] == 0.04


def test_commitments_and_gdp_years_outside_planning_years_warn(workbook):
    sheets = corrupt(("commitments", 2, "year", 2030), ("gdp", 2, "year", 2031))
    inputs = read_ok(workbook, sheets)
    assert any("'commitments' row 2" in w and "2030 is not a planning year" in w
               for w in inputs.warnings)
    assert any("'gdp' row 2" in w and "2031 is not a planning year" in w
               for w in inputs.warnings)
    my = inputs.member_years
    assert my["pledge"].tolist() == [0.0] * 9
    assert my.loc[("Beta", 2027), "gdp"] == 3000


# ---------------------------------------------------------------------------------------------
# A folder of .csv files


def write_csv_folder(folder, sheets):
    folder.mkdir()
    for name, rows in sheets.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([["" if v is None else v for v in row]
                                          for row in rows])
    return folder


def test_csv_folder_equals_workbook(workbook, tmp_path):
    book = read_ok(workbook, good_sheets())
    folder = read_inputs(write_csv_folder(tmp_path / "case", good_sheets()))
    for name in ("members", "targets", "member_years", "capabilities", "equipment",
                 "inventory", "access", "quality"):
        pd.testing.assert_frame_equal(getattr(folder, name), getattr(book, name), obj=name)
    assert folder.settings == book.settings
    assert folder.warnings == ()


def test_csv_folder_problems_are_located_too(tmp_path):
    sheets = corrupt(("targets", 4, "capability", "sea"), ("members", 3, "gdp", "lots"))
    with pytest.raises(InputError) as info:
        read_inputs(write_csv_folder(tmp_path / "case", sheets))
    assert {where(p) for p in info.value.problems} == {("targets", 4, "capability"),
                                                       ("members", 3, "gdp")}


# ---------------------------------------------------------------------------------------------
# Overrides


@pytest.fixture
def base(workbook):
    return read_ok(workbook, good_sheets())


def assert_same(a, b, *names):
    for name in names:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_override_setting(base):
    new = base.with_overrides({"settings.objective": "min_max_burden"})
    assert new.settings == dataclasses.replace(base.settings, objective="min_max_burden")
    assert base.settings.objective == "min_cost"  # the original is unchanged
    assert_same(new, base, "members", "targets", "member_years", "equipment")


def test_override_setting_not_in_the_sheet(base):
    new = base.with_overrides({"settings.robustness": "1"})
    assert new.settings == dataclasses.replace(base.settings, robustness=1)


def test_override_members_column_for_all(base):
    new = base.with_overrides({"members.cap_gdp_share": 0.06})
    assert new.members["cap_gdp_share"].tolist() == [0.06] * 3
    pd.testing.assert_frame_equal(new.members.drop(columns="cap_gdp_share"),
                                  base.members.drop(columns="cap_gdp_share"))
    assert new.member_years["cap_share"].tolist() == [0.06] * 9
    pd.testing.assert_frame_equal(new.member_years.drop(columns="cap_share"),
                                  base.member_years.drop(columns="cap_share"))
    assert_same(new, base, "targets")
    assert new.settings == base.settings
    assert base.members["cap_gdp_share"].tolist() == [0.05, 0.04, 0.03]


def test_override_one_members_gdp(base):
    new = base.with_overrides({"members[beta].gdp": 5000})
    assert new.members["gdp"].tolist() == [1000.0, 5000.0, 2000.0]
    pd.testing.assert_frame_equal(new.members.drop(columns="gdp"),
                                  base.members.drop(columns="gdp"))
    changed = new.member_years["gdp"] != base.member_years["gdp"]
    # 2027 keeps the gdp sheet's 3100
    assert changed[changed].index.tolist() == [("Beta", 2026), ("Beta", 2028)]
    assert new.member_years.loc[("Beta", 2028), "gdp"] == 5000
    assert_same(new, base, "targets")


def test_override_targets_scale(base):
    new = base.with_overrides({"targets.scale": 2})
    assert new.targets["target"].tolist() == [200.0, 220.0, 240.0, 100.0, 110.0, 120.0]
    pd.testing.assert_frame_equal(new.targets.drop(columns="target"),
                                  base.targets.drop(columns="target"))
    assert_same(new, base, "members", "member_years")


def test_override_region_scale(base):
    new = base.with_overrides({"targets[East].scale": 1.5})
    assert new.targets["target"].tolist() == [150.0, 165.0, 180.0, 50.0, 55.0, 60.0]
    assert_same(new, base, "members", "member_years")


def test_override_capability_scale(base):
    new = base.with_overrides({"targets[air].scale": "0.5"})
    assert new.targets["target"].tolist() == [100.0, 110.0, 120.0, 25.0, 27.5, 30.0]
    assert_same(new, base, "members", "member_years")


def test_override_absent_member(base):
    new = base.with_overrides({"members[Gamma].absent": "yes"})
    assert new.present_members == ["Alpha", "Beta"]
    assert base.present_members == ["Alpha", "Beta", "Gamma"]


@pytest.mark.parametrize(("path", "value", "words"), [
    ("settings.colour", "blue", "settings.<key> with a key among objective"),
    ("settings.objective", "max_fun", "one of min_cost | min_max_burden | min_deviation"),
    ("settings.robustness", "x", "a whole number >= 0"),
    ("members.colour", 1, "a members column among gdp"),
    ("members[Delta].gdp", 1, "a member named in the members sheet (no 'Delta')"),
    ("members.cap_gdp_share", 2, "shares of GDP are fractions"),
    ("members[Alpha].gdp", -5, "a number > 0"),
    ("targets.scale", "big", "a number"),
    ("targets.scale", -1, "a factor >= 0"),
    ("targets[south].scale", 2, "a region or capability named in the targets sheet"),
    ("targets.size", 2, "targets.scale or targets[<region or capability>].scale"),
    ("budget.total", 1, "a path like settings.<key>"),
])
def test_bad_override_names_the_path(base, path, value, words):
    with pytest.raises(InputError) as info:
        base.with_overrides({path: value})
    problems = info.value.problems
    assert problems
    assert all(path in str(p) for p in problems), [str(p) for p in problems]
    assert any(words in p.expected for p in problems), [str(p) for p in problems]


def test_bad_override_of_every_member_reports_each_row(base):
    with pytest.raises(InputError) as info:
        base.with_overrides({"members.cap_gdp_share": 2})
    assert [where(p) for p in info.value.problems] == [
        ("members", row, "cap_gdp_share") for row in (2, 3, 4)]


def test_bad_override_of_an_unlisted_setting_names_no_row_0(base):
    with pytest.raises(InputError) as info:
        base.with_overrides({"settings.robustness": "x"})
    (problem,) = info.value.problems
    assert problem.row != 0
    assert "row 0" not in str(problem)


def test_overrides_on_csv_inputs(tmp_path):
    inputs = read_inputs(write_csv_folder(tmp_path / "case", good_sheets()))
    new = inputs.with_overrides({"members[Alpha].cap_gdp_share": "3%"})
    assert new.members["cap_gdp_share"].tolist() == [pytest.approx(0.03), 0.04, 0.03]


def test_override_of_a_name_that_is_both_region_and_capability(workbook):
    sheets = good_sheets()
    sheets["capabilities"].append(["east", 1.0, 0.0])
    sheets["targets"].append(["east", "north", 2026, 5, 1])
    inputs = read_ok(workbook, sheets)
    with pytest.raises(InputError) as info:
        inputs.with_overrides({"targets[east].scale": 2})
    (problem,) = info.value.problems
    assert problem.column == "targets[east].scale"
    assert "not both ('east' is both)" in problem.expected


def test_overrides_keep_the_workbooks_warnings(workbook):
    sheets = good_sheets()
    sheets["notes"] = [["a", "b"], [1, 2]]
    inputs = read_ok(workbook, sheets)
    assert len(inputs.warnings) == 1
    assert inputs.with_overrides({"targets.scale": 2}).warnings == inputs.warnings


# The one-pass path for number columns gives exactly what the cell-by-cell path gives, and
# steps aside whenever a cell would be a problem (so the problem is still named by the cell).
_CELLS = st.one_of(st.integers(-10, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.none(), st.sampled_from(["", "3", "2%", "x"]))


@given(values=st.one_of(st.lists(_CELLS, min_size=1, max_size=12),
                        st.lists(st.one_of(st.integers(0, 10**6), st.floats(0, 1e9)),
                                 min_size=1, max_size=12)),
       column=st.sampled_from([c for s in SHEETS for c in s.columns
                               if c.kind in ("number", "integer")]))
@settings(max_examples=300, deadline=None)
def test_plain_numbers_agree_with_the_cell_by_cell_path(values, column):
    from optimizer.sheets import Findings as _Collector
    from optimizer.sheets import _cell, _plain_numbers

    fast = _plain_numbers(column, values)
    found = _Collector("case.xlsx")
    slow = [_cell(column, v, "sheet", row, found) for row, v in enumerate(values, start=2)]
    if fast is not None:
        assert not found.problems
        assert fast == slow and [type(v) for v in fast] == [type(v) for v in slow]
    elif all(type(v) in (int, float) and v == v for v in values) and not found.problems:
        # (a NaN is read as a blank cell, which the one-pass path leaves to the other)
        pytest.fail("plain, allowed numbers took the slow path")


def test_access_row_for_a_region_without_targets_is_a_warning_and_ignored(workbook):
    """A planner reuses one access table across cases: a region this case has no target in
    is not a typo to refuse (the model makes it none), but is said."""
    sheets = corrupt(("access", 2, "region", "nort"))
    sheets["access"].append(["Beta", "south", False])
    inputs = read_ok(workbook, sheets)
    assert inputs.access.empty
    warnings = [w for w in inputs.warnings if "sheet 'access'" in w]
    assert warnings == [
        "case0.xlsx: sheet 'access' row 2: region 'nort' has no target; the row is ignored "
        "(did you mean north?)",
        "case0.xlsx: sheet 'access' row 3: region 'south' has no target; the row is ignored"]


def test_csv_from_european_excel_reads_like_the_workbook(workbook, tmp_path):
    """Semicolons between fields, decimal commas, points between thousands, and file names
    in capitals (Members.CSV): what Excel saves as CSV where the decimal mark is a comma."""
    folder = tmp_path / "case"
    folder.mkdir()

    def european(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "" if value is None else str(value)
        if isinstance(value, int) and value >= 1_000_000:
            return f"{value:,}".replace(",", ".")  # 1.234.567
        return str(value).replace(".", ",")

    sheets = corrupt(("members", 2, "gdp", 1_234_567))
    for name, rows in sheets.items():
        with open(folder / f"{name.capitalize()}.CSV", "w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=";").writerows([[european(v) for v in row] for row in rows])
    assert "1.234.567;0,02" in (folder / "Members.CSV").read_text()
    book = read_ok(workbook, sheets)
    read = read_inputs(folder)
    for name in ("members", "targets", "member_years", "capabilities", "equipment",
                 "inventory", "access", "quality"):
        pd.testing.assert_frame_equal(getattr(read, name), getattr(book, name), obj=name)
    assert read.settings == book.settings
    assert read.warnings == ()


def test_csv_problems_name_the_file_not_a_sheet(tmp_path):
    sheets = corrupt(("members", 3, "gdp", "lots"))
    del sheets["capabilities"]
    folder = write_csv_folder(tmp_path / "case", sheets)
    (folder / "members.csv").rename(folder / "Members.CSV")
    with pytest.raises(InputError) as info:
        read_inputs(folder)
    assert sorted(map(str, info.value.problems)) == [
        "case, file 'Members.CSV', row 3, column 'gdp': found 'lots', expected a number > 0",
        "case, sheet 'capabilities': expected a file named capabilities.csv"]


def frames_of(sheets) -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in sheets.items()}


def test_frames_need_no_settings_frame(workbook):
    from optimizer import inputs_from_frames

    sheets = good_sheets()
    del sheets["settings"]
    inputs = inputs_from_frames(frames_of(sheets))
    assert inputs.settings == inputs_module_settings()
    pd.testing.assert_frame_equal(inputs.members, read_ok(workbook, good_sheets()).members)


def inputs_module_settings():
    from optimizer.settings import Settings

    return Settings()


def test_problems_in_frames_name_the_frame_and_its_index():
    from optimizer import inputs_from_frames

    frames = frames_of(corrupt(("members", 3, "gdp", "lots"), ("targets", 4, "capability",
                                                                 "sea")))
    frames["members"].index = ["a", "b", "c"]
    with pytest.raises(InputError) as info:
        inputs_from_frames(frames)
    assert sorted(map(str, info.value.problems)) == [
        "<frames>, frame 'members', index 'b', column 'gdp': found 'lots', expected a number > 0",
        "<frames>, frame 'targets', index 2, column 'capability': found 'sea', expected a "
        "capability defined in the workbook (land, air)"]
    (gdp,) = [p for p in info.value.problems if p.column == "gdp"]
    assert (gdp.sheet, gdp.row, gdp.index) == ("members", None, "b")


def test_result_repr_shows_plain_numbers():
    from optimizer.result import Result

    result = Result(status="optimal", summary={
        "objective": "min_cost", "shortfall_index": 1.2e-7, "total_cost": 9774680.5,
        "objective_value": 9774680.5, "max_burden": 0.045173}, stages=None, members=None,
        allocation=None, deterrence=None, settings=None)
    assert repr(result) == (
        "Result(status='optimal', objective='min_cost', shortfall_index=0.00000012, "
        "objective_value=9774680.5, total_cost=9774680.5, max_burden=0.045173)")


def test_the_settings_defaults_are_the_schemas():
    """One list of settings: `Settings` has a field for every setting of the schema, and
    its defaults are the schema's (and what a workbook without a settings row gets)."""
    import dataclasses

    from optimizer.schema import SETTINGS
    from optimizer.settings import Settings

    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert list(fields) == [s.key for s in SETTINGS]
    for s in SETTINGS:
        expected = () if s.key == "fair_share_weights" and s.default is None else s.default
        assert fields[s.key] == expected, s.key
