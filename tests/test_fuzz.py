"""Fuzzed inputs and formula injection.

Fuzz: the good workbook of `conftest.py` with ONE cell corrupted (wrong type, sign, blank,
NaN/inf, huge, unicode, formula-like text, a duplicate key, or any value hypothesis finds).
Reading it either raises `InputError` with a problem that names that cell (sheet, Excel row,
column; see `names_the_cell` for the few problems a corrupted cell causes elsewhere by design),
or succeeds and reads exactly the corrupted value (or the column's default when the cell is
blank); it never raises anything else. 200 examples run in `make test`; `make fuzz` runs the
slow copy with `BURDEN_FUZZ_EXAMPLES` (default 5000) examples; a handful go through the CLI.

Formula injection: names and a settings value that begin with =, +, -, @, a tab or a carriage
return are solved and reported; the report's worksheet XML holds no formula and the names read
back exactly.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import good_sheets, set_cell, write_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import InputError, read_inputs, solve, write_report
from optimizer.schema import SHEET_BY_NAME

BURDEN = Path(sys.executable).with_name("burden")
GOOD = good_sheets()
CELLS = [(sheet, row, column) for sheet, rows in GOOD.items()
         for row in range(2, len(rows) + 1) for column in rows[0]]
SHARES = {"floor_gdp_share", "cap_gdp_share"}
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
FORMULA_LIKE = ["=1+1", "=SUM(A1:A3)", "+1", "-1+2", "@A1", "=cmd|' /C calc'!A0", "=0.5"]
NOT_A_NUMBER = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"]


def write_book(path: Path, sheets) -> Path:
    """`write_workbook`, then every text that openpyxl took for a formula ("=...") made plain
    text again, as a planner's typed text is: the fuzz corrupts values, not cell types."""
    write_workbook(path, sheets)
    if any(isinstance(v, str) and v.startswith("=") for rows in sheets.values()
           for row in rows for v in row):
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
        book.save(path)
    return path


@st.composite
def corruptions(draw):
    """(sheet, Excel row, column, kind, value): one cell of the good workbook and what to put
    there instead."""
    sheet, row, column = draw(st.sampled_from(CELLS))
    old = GOOD[sheet][row - 1][GOOD[sheet][0].index(column)]
    others = [r[GOOD[sheet][0].index(column)] for r in GOOD[sheet][1:]]
    number = isinstance(old, (int, float)) and not isinstance(old, bool)
    kind = draw(st.sampled_from(["type", "sign", "blank", "nan", "huge", "unicode", "formula",
                                 "duplicate", "larger", "any"]))
    if kind == "type":
        value = draw(st.sampled_from(["lots", "1,5", "two", True, 42, 0.5]))
    elif kind == "sign":
        value = -old if number and old else -1
    elif kind == "blank":
        value = draw(st.sampled_from([None, "", "   "]))
    elif kind == "nan":
        value = draw(st.sampled_from([*NOT_A_NUMBER, math.nan, math.inf, -math.inf]))
    elif kind == "huge":
        value = draw(st.sampled_from([1e308, -1e308, 1.7976931348623157e308, 10 ** 30, 5e-324]))
    elif kind == "unicode":
        value = draw(TEXT | st.sampled_from(["Ωmega", "ß", "☃", "東京", "ALPHA", " alpha "]))
    elif kind == "formula":
        value = draw(st.sampled_from(FORMULA_LIKE))
    elif kind == "duplicate":
        value = draw(st.sampled_from(others))
    elif kind == "larger":
        value = old * draw(st.floats(1, 100)) if number and old else draw(st.floats(0, 1e6))
    else:
        value = draw(st.one_of(st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6),
                               st.floats(allow_nan=True, allow_infinity=True), TEXT))
    return sheet, row, column, kind, value


def stored_value(path: Path, sheet: str, row: int, column: int):
    """The cell as the workbook holds it: openpyxl writes NaN and infinities as empty cells and
    floats to 15-16 digits (the largest float comes back as inf); the reader sees this value."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        (cells,) = book[sheet].iter_rows(min_row=row, max_row=row, min_col=column,
                                         max_col=column, values_only=True)
        return cells[0]
    finally:
        book.close()


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number_of(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None


def read_back(inputs, sheet, row, column):
    table = inputs.tables[sheet]
    (value,) = table.loc[table["_row"] == row, column].tolist()
    return value


def same_as_written(read, value, sheet, column) -> bool:
    """Whether a successful read holds exactly the corrupted value as stored (typed as its
    column types it; a blank cell: the column's default)."""
    col = next(c for c in SHEET_BY_NAME[sheet].columns if c.name == column)
    if blank(value):
        return read == col.default or (read is None and col.default is None)
    if col.kind == "text":
        return read == (f"{value:g}" if isinstance(value, float) else str(value).strip())
    if col.kind == "bool":
        if isinstance(value, (bool, int, float)):
            return read is bool(value)
        return read is (value.strip().lower() in {"true", "yes", "1", "y"})
    number = number_of(value)
    return number is not None and read is not None and math.isclose(read, number,
                                                                    rel_tol=1e-12)


def names_the_cell(problems, sheets, sheet, row, column, old) -> bool:
    """Whether a problem points at the corrupted cell: the cell itself; or, by design, the
    other half of a floor/cap pair (reported on the floor, or on the commitments row that set
    it); a later duplicate of a key ("already on row <row>"); or a reference elsewhere to the
    name the cell held before it was corrupted (`old`)."""
    spec = SHEET_BY_NAME[sheet]
    member = sheets[sheet][row - 1][0] if sheet == "members" else None
    for p in problems:
        if (p.sheet, p.row, p.column) == (sheet, row, column):
            return True
        if column in SHARES and p.column in SHARES:
            if p.sheet == sheet and p.row == row:
                return True
            if sheet == "members" and p.sheet == "commitments" and \
                    sheets["commitments"][p.row - 1][0] == member:
                return True
        if column in spec.key and p.sheet == sheet and p.column == spec.key[0] and \
                "already on row" in p.expected and \
                (p.row == row or f"already on row {row})" in p.expected):
            return True  # a duplicate key is reported on its later row, first key column
        if isinstance(old, str) and column in spec.key and p.sheet != sheet and \
                isinstance(p.value, str) and p.value.lower() == old.lower() and \
                "defined in the workbook" in p.expected:
            return True
    return False


def check_one_corruption(tmp_path: Path, case) -> None:
    sheet, row, column, kind, value = case
    sheets = good_sheets()
    old = sheets[sheet][row - 1][sheets[sheet][0].index(column)]
    set_cell(sheets, sheet, row, column, value)
    path = write_book(tmp_path / "fuzz.xlsx", sheets)
    stored = stored_value(path, sheet, row, sheets[sheet][0].index(column) + 1)
    try:
        inputs = read_inputs(path)
    except InputError as error:
        assert names_the_cell(error.problems, sheets, sheet, row, column, old), (
            f"{kind} {value!r} in {sheet}!{column}{row}: no problem names it:\n{error}")
        for problem in error.problems:
            assert problem.file == path.name and "\n" not in str(problem)
        return
    read = read_back(inputs, sheet, row, column)
    assert same_as_written(read, stored, sheet, column), (
        f"{kind} {value!r} (stored as {stored!r}) in {sheet}!{column}{row} was accepted but "
        f"read as {read!r}")
    years = inputs.member_years  # what the model will see: finite (a cap may be NaN: none)
    finite = years[["gdp", "floor_share", "pledge"]].map(math.isfinite).all().all() and \
        not years["cap_share"].map(math.isinf).any()
    assert finite, f"{kind} {value!r} in {sheet}!{column}{row} gave non-finite numbers:\n{years}"


FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FAST
@given(case=corruptions())
def test_one_corrupted_cell_is_named_or_read_as_written(tmp_path, case):
    check_one_corruption(tmp_path, case)


@pytest.mark.slow
@pytest.mark.timeout(0)  # as long as BURDEN_FUZZ_EXAMPLES asks, not the 600 s per test
@settings(FAST, max_examples=int(os.environ.get("BURDEN_FUZZ_EXAMPLES", "5000")))
@given(case=corruptions())
def test_one_corrupted_cell_long_run(tmp_path, case):
    check_one_corruption(tmp_path, case)


@pytest.mark.parametrize("case", [
    ("members", 2, "gdp", "huge", 1e308),
    ("members", 3, "member", "unicode", "ALPHA"),          # a duplicate, case-insensitively
    ("members", 2, "member", "unicode", "Ωmega"),          # the inventory names a lost member
    ("members", 2, "cap_gdp_share", "larger", 0.015),      # below the 2027 commitment's floor
    ("commitments", 2, "floor_gdp_share", "larger", 0.9),  # above the member's cap
    ("targets", 4, "year", "duplicate", 2026),             # land/east/2026 twice
    ("settings", 5, "value", "formula", "=1+1"),           # currency: any text will do
    ("settings", 3, "value", "unicode", "mixed"),          # mixed needs weights
    ("equipment", 2, "integer", "type", "maybe"),
    ("quality", 2, "multiplier", "nan", "nan"),
    ("inventory", 2, "units", "nan", math.inf),            # stored blank: required
], ids=lambda case: f"{case[0]}-{case[2]}-{case[3]}")
def test_chosen_corruptions(tmp_path, case):
    check_one_corruption(tmp_path, case)


@pytest.mark.parametrize("sheet, row, column, value", [
    ("members", 2, "gdp_growth", 1e308),
    ("targets", 2, "year", 1_000_000),
], ids=["growth", "year"])
def test_gdp_path_that_overflows_is_an_input_error(tmp_path, sheet, row, column, value):
    sheets = good_sheets()
    set_cell(sheets, sheet, row, column, value)
    path = write_book(tmp_path / "overflow.xlsx", sheets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(InputError) as info:
            read_inputs(path)
    assert any((p.sheet, p.row, p.column) == (sheet, row, column) for p in info.value.problems)


def test_bad_boolean_setting_is_located_on_its_value_cell(tmp_path):
    sheets = good_sheets()
    set_cell(sheets, "settings", 4, "value", "lots")  # allow_shortfall
    with pytest.raises(InputError) as info:
        read_inputs(write_book(tmp_path / "setting.xlsx", sheets))
    (problem,) = info.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("settings", 4, "value")


def test_formula_without_a_cached_value_is_not_silently_blank(tmp_path):
    sheets = good_sheets()
    set_cell(sheets, "members", 2, "gdp_growth", "=0.01*2")  # openpyxl stores a formula
    path = write_workbook(tmp_path / "formula.xlsx", sheets)
    with pytest.raises(InputError) as info:
        read_inputs(path)
    assert any((p.sheet, p.row, p.column) == ("members", 2, "gdp_growth")
               for p in info.value.problems)


# ---------------------------------------------------------------------------------------------
# A handful through the command line: exit 0, 1 or 2 and never a traceback


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=corruptions())
def test_cli_solve_of_a_corrupted_workbook_exits_0_1_or_2(tmp_path, case):
    sheet, row, column, kind, value = case
    sheets = good_sheets()
    set_cell(sheets, sheet, row, column, value)
    path = write_book(tmp_path / "fuzz.xlsx", sheets)
    report = tmp_path / "fuzz-report.xlsx"
    report.unlink(missing_ok=True)
    done = subprocess.run([str(BURDEN), "solve", str(path), "-o", str(report)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode in (0, 1, 2), output
    if done.returncode == 2:
        assert "problem" in done.stderr and not report.exists(), output
        assert f"sheet '{sheet}'" in done.stderr or "row" in done.stderr, output
    else:
        assert report.exists(), output


# ---------------------------------------------------------------------------------------------
# Formula injection


EVIL = {  # good name -> hostile name, as typed in the workbook
    "Alpha": '=HYPERLINK("http://example.invalid","click")',
    "Beta": "+Beta",
    "Gamma": "-Gamma",
    "land": "@land",
    "air": "\t=air",
    "east": "=east",
    "north": "\r-north",
    "tank": "=tank()",
}
CURRENCY = "=cmd|' /C calc'!A0"


def evil_sheets():
    sheets = good_sheets()
    for rows in sheets.values():
        for row in rows[1:]:
            for i, value in enumerate(row):
                if isinstance(value, str) and value in EVIL:
                    row[i] = EVIL[value]
    set_cell(sheets, "settings", 5, "value", CURRENCY)  # the currency row
    return sheets


def worksheet_formulas(path: Path) -> dict[str, int]:
    """The number of <f> elements in each worksheet part of an .xlsx."""
    found = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                found[name] = len(re.findall(r"<(?:\w+:)?f[\s>/]", xml))
    return found


def report_strings(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path)  # formulas would come back as "=..." with type "f"
    strings = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.add(cell.value)
    return strings


def test_input_text_that_looks_like_a_formula_is_reported_as_inert_text(tmp_path):
    path = write_book(tmp_path / "evil.xlsx", evil_sheets())
    inputs = read_inputs(path)
    read = {v.strip() for v in EVIL.values()}  # cells are read with surrounding spaces removed
    assert set(inputs.members.index) == {EVIL["Alpha"], EVIL["Beta"], EVIL["Gamma"]}
    assert set(inputs.capabilities.index) == {"@land", "=air"}
    assert set(inputs.regions) == {"=east", "-north"}
    assert set(inputs.equipment.index) == {"=tank()"}
    assert inputs.settings.currency == CURRENCY
    result = solve(inputs)
    assert result.solved, result.status
    report = write_report(result, tmp_path / "evil-report.xlsx")
    formulas = worksheet_formulas(report)
    assert formulas and not any(formulas.values()), formulas
    strings = report_strings(report)
    missing = (read - {"=tank()"}) - strings  # equipment is listed only when it is used
    assert not missing, missing
    assert CURRENCY in strings or any(CURRENCY in s for s in strings)


def test_scenario_names_that_look_like_formulas_are_inert_in_the_sweep_workbook(tmp_path):
    from optimizer import run_sweep

    inputs = read_inputs(write_book(tmp_path / "evil.xlsx", evil_sheets()))
    out = tmp_path / "evil-sweep.xlsx"
    names = ["=1+1", "+scale", "@once"]
    run_sweep(inputs, {name: {"targets.scale": 1.0 + i / 10} for i, name in enumerate(names)},
              out=out, workers=1)
    formulas = worksheet_formulas(out)
    assert formulas and not any(formulas.values()), formulas
    strings = report_strings(out)
    assert set(names) <= strings and EVIL["Alpha"] in strings
