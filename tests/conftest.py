"""Shared helpers: a small valid input workbook built in code, to be corrupted one cell at a time.

`good_sheets()` returns the workbook as {sheet: [header, row, ...]} (header is Excel row 1, so
the first data row is row 2); `write_workbook(path, sheets)` writes it with openpyxl.
`case_tables(members, targets, ...)` / `build(...)`: a tiny hand-solvable case from lists of
row dicts, as tables or validated `Inputs`; `target(value, ...)` one targets row.
"""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.inputs import inputs_from_frames

MEMBER_COLUMNS = ["member", "gdp", "gdp_growth", "population", "personnel_available",
                  "personnel_cost", "floor_gdp_share", "cap_gdp_share", "baseline",
                  "reliability", "absent"]

GOOD = {
    "settings": [
        ["key", "value"],
        ["objective", "min_cost"],
        ["fair_share", "gdp"],
        ["allow_shortfall", True],
        ["currency", "EUR million"],
    ],
    "members": [
        MEMBER_COLUMNS,
        ["Alpha", 1000, 0.02, 10, 20, 0.25, 0.01, 0.05, 15, 1, False],
        ["Beta", 3000, 0.0, 20, 100, 1.0, 0.01, 0.04, 40, 0.9, False],
        ["Gamma", 2000, -0.01, 15, 0, 0.5, 0.015, 0.03, 25, 0.8, False],
    ],
    "capabilities": [
        ["capability", "funding_effect", "personnel_effect"],
        ["land", 1.0, 0.5],
        ["air", 0.8, 0.0],
    ],
    "targets": [
        ["capability", "region", "year", "target", "priority"],
        ["land", "east", 2026, 100, 1],
        ["land", "east", 2027, 110, 1],
        ["land", "east", 2028, 120, 2],
        ["air", "north", 2026, 50, 1],
        ["air", "north", 2027, 55, 1],
        ["air", "north", 2028, 60, 1],
    ],
    "equipment": [
        ["equipment", "capability", "effect", "unit_cost", "crew", "integer"],
        ["tank", "land", 10, 5, 3, True],
    ],
    "inventory": [
        ["member", "equipment", "units"],
        ["Alpha", "tank", 4],
    ],
    "access": [
        ["member", "region", "allowed"],
        ["Gamma", "north", False],
    ],
    "quality": [
        ["member", "capability", "multiplier"],
        ["Beta", "air", 1.1],
    ],
    "gdp": [
        ["member", "year", "gdp"],
        ["Beta", 2027, 3100],
    ],
    "commitments": [
        ["member", "year", "floor_gdp_share", "cap_gdp_share", "pledge"],
        ["Alpha", 2027, 0.02, None, 30],
    ],
}


def good_sheets() -> dict[str, list[list]]:
    """A fresh, mutable copy of the valid workbook's cells."""
    return copy.deepcopy(GOOD)


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write {sheet: rows} to an .xlsx at `path` (the first row of each sheet is its header)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def set_cell(sheets, sheet: str, row: int, column: str, value) -> None:
    """Set one cell by its Excel row number (2 = first data row) and column header."""
    rows = sheets[sheet]
    rows[row - 1][rows[0].index(column)] = value


@pytest.fixture
def workbook(tmp_path):
    """Write `sheets` (default: the good workbook) into tmp_path and return its path."""
    counter = iter(range(1000))

    def make(sheets=None, name=None) -> Path:
        name = name or f"case{next(counter)}.xlsx"
        return write_workbook(tmp_path / name, good_sheets() if sheets is None else sheets)

    return make


def case_tables(members, targets, *, capabilities=None, settings=None, **sheets) -> dict:
    """The tables of a case from lists of row dicts (one list per sheet; columns as in
    docs/workbook.md): objective min_cost, currency USD million and one capability `air`
    (funding effect 1) unless given."""
    settings = {"objective": "min_cost", "currency": "USD million", **(settings or {})}
    tables = {
        "settings": pd.DataFrame({"key": list(settings),
                                  "value": [str(v) for v in settings.values()]}),
        "members": pd.DataFrame(members),
        "capabilities": pd.DataFrame(
            capabilities or [{"capability": "air", "funding_effect": 1.0}]),
        "targets": pd.DataFrame(targets),
    }
    tables.update({name: pd.DataFrame(rows) for name, rows in sheets.items()})
    return tables


def build(members, targets, **kwargs):
    """Validated `Inputs` of `case_tables(members, targets, **kwargs)`."""
    return inputs_from_frames(case_tables(members, targets, **kwargs))


def target(value, region="east", year=2026, capability="air", priority=None) -> dict:
    row = {"capability": capability, "region": region, "year": year, "target": value}
    if priority is not None:
        row["priority"] = priority
    return row
