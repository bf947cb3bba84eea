"""Each sheet checked against the schema (`schema.py`) and typed: column names matched,
every cell converted to its column's type or a located problem recorded (`Findings`), keys
unique, the settings sheet read into `Settings`. An override re-types only what it changed
(`TypedSheet`: a sheet as typed by a validation, taken as it is when it comes back
unchanged)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from .errors import NOTHING as _NOTHING
from .errors import Problem
from .reading import ROW, blank, norm
from .schema import (
    SETTING_BY_KEY,
    SETTINGS,
    SHARE_RULES,
    SHEET_BY_NAME,
    Column,
)
from .settings import Settings


class Findings:
    """Gathers problems and warnings while the tables are checked."""

    def __init__(self, file: str, labels: Mapping[str, str] | None = None,
                 kind: str = "sheet"):
        self.file = file
        self.kind = kind  # what a table is: a workbook's "sheet", a CSV "file", a "frame"
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.setting_rows: dict[str, int] = {}  # settings key -> its Excel row
        self.labels = dict(labels or {})  # sheet -> how messages name it (`Problem.table`)
        self.index_of: dict[str, dict[int, object]] = {}  # frame -> row number -> index label

    def add(self, sheet, row, column, value, expected):
        if row is not None and int(row) <= 0:  # a record added by an override, not a sheet row
            row = None
        index = self.index_of.get(sheet, {}).get(int(row)) if row is not None else None
        if index is not None:
            row = None
        self.problems.append(Problem(self.file, sheet, row, column, value, expected,
                                     self.labels.get(sheet), index))

    def warn(self, text):
        self.warnings.append(f"{self.file}: {text}")

    def where(self, sheet: str) -> str:
        """How a message names a sheet: "sheet 'members'", "file 'members.csv'", ..."""
        return self.labels.get(sheet) or f"sheet '{sheet}'"

    def at(self, sheet: str, row) -> str:
        """How a message names a row of a sheet: "sheet 'gdp' row 3", "frame 'gdp' index 1"."""
        index = self.index_of.get(sheet, {}).get(int(row)) if row is not None else None
        if index is not None:
            return f"{self.where(sheet)} index {index!r}"
        return f"{self.where(sheet)} row {row}"

    def missing(self, sheet: str) -> str:
        """What a missing required sheet should have been."""
        if self.kind == "file":
            return f"a file named {sheet}.csv"
        if self.kind == "frame":
            return f"a frame named '{sheet}'"
        return f"a sheet named '{sheet}'"


class TypedSheet(NamedTuple):
    """One sheet of a validation that found no problem (an `Inputs._memo` entry): the table
    handed out in `Inputs.tables` and the typed table kept. An override that hands back the
    very table handed out takes the typed table as it is (typing a typed table gives it
    back), so the pieces of `Case.build` keyed on it are reused."""

    handed: pd.DataFrame
    table: pd.DataFrame


def frames_digest(tables: Mapping[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode() + b"\0")
        digest.update(tables[name].to_csv(index=False).encode())
    return digest.hexdigest()


def match_sheets(frames, found: Findings, done=()) -> dict[str, pd.DataFrame]:
    """Input sheets by canonical name, each with its `_row` column (a copy where it had none:
    a frame given is never changed); a sheet in `done` (already typed, so its name is
    canonical and it has `_row`) is taken as it is."""
    tables = {}
    for raw_name, frame in frames.items():
        if raw_name in done and raw_name not in tables:
            tables[raw_name] = frame
            continue
        name = norm(raw_name)
        if name == "readme":
            continue
        if name not in SHEET_BY_NAME:
            found.warn(f"{found.where(raw_name)} is not an input {found.kind}; ignored"
                       + did_you_mean(name, SHEET_BY_NAME))
            continue
        if name in tables:
            found.add(raw_name, None, None, _NOTHING, f"only one {found.kind} named '{name}'")
            continue
        if ROW not in frame.columns:
            if found.kind == "frame":  # rows named by the frame's index, not a sheet row
                found.labels[name] = found.labels[raw_name] = f"frame '{raw_name}'"
                found.index_of[name] = dict(zip(range(2, len(frame) + 2), frame.index.tolist()))
            frame = frame.copy()
            frame[ROW] = np.arange(2, len(frame) + 2)
        tables[name] = frame
    return tables


def typed_table(sheet, raw: pd.DataFrame, found: Findings) -> pd.DataFrame:
    """Check each column of one sheet and convert it to its type; blank optional cells get
    the default (None where the default is 'none'); keys unique."""
    columns = {}
    seen = set()
    for raw_name in raw.columns:
        if raw_name == ROW:
            continue
        name = norm(raw_name)
        if name in seen:
            found.add(sheet.name, None, raw_name, _NOTHING, f"column '{name}' only once")
            continue
        seen.add(name)
        columns[name] = raw_name
    rows = raw[ROW].astype(int).tolist()
    out = {ROW: rows}
    known = {c.name for c in sheet.columns}
    for name, raw_name in columns.items():
        if name not in known and sheet.name != "scenarios":
            near = [k for k in known if k not in columns and _one_edit(name, k)]
            if near:
                found.add(sheet.name, None, raw_name, _NOTHING,
                          f"an input column (did you mean {near[0]}?)")
            else:
                found.warn(f"{found.where(sheet.name)}: column '{raw_name}' is not an input "
                           "column; ignored")
    for col in sheet.columns:
        if col.name not in columns:
            if col.required:
                found.add(sheet.name, None, col.name, _NOTHING,
                          f"a column named '{col.name}' ({col.doc or col.expected()})")
            out[col.name] = [col.default] * len(rows)
            continue
        values = raw[columns[col.name]].tolist()
        numbers = _plain_numbers(col, values)
        out[col.name] = numbers if numbers is not None else \
            [_cell(col, v, sheet.name, r, found) for v, r in zip(values, rows)]
    if sheet.name == "scenarios":  # override paths: kept as found, checked by scenario.py
        for name, raw_name in columns.items():
            if name != "scenario":
                out[raw_name.strip()] = raw[raw_name].tolist()
    table = pd.DataFrame({name: pd.Series(values, dtype=int if name == ROW else object)
                          for name, values in out.items()})
    if sheet.key and all(k in columns for k in sheet.key):
        _check_unique(sheet, table, found)
    return table


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by one inserted, deleted or replaced character, or two
    neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def did_you_mean(value: str, known) -> str:
    """" (did you mean X?)" for the known name closest to `value`, or "" if none is close."""
    import difflib

    known = list(known)
    lower = {str(k).lower(): k for k in known}
    close = difflib.get_close_matches(str(value).lower(), list(lower), n=1, cutoff=0.75)
    return f" (did you mean {lower[close[0]]}?)" if close else ""


def _plain_numbers(col: Column, values: list) -> list | None:
    """A number column whose every cell is already a finite, allowed int or float (the
    common case: a sheet as read, targets scaled by a sweep) in one numpy pass: the values
    `_cell` would give, or None to take the cell-by-cell path that names each problem."""
    if col.kind not in ("number", "integer") or not values:
        return None
    if not set(map(type, values)) <= {int, float} and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None
    numbers = np.asarray(values, dtype=float)
    if not np.isfinite(numbers).all():
        return None
    if col.kind == "integer" and (numbers != np.trunc(numbers)).any():
        return None
    low_bad = numbers <= col.low if col.low_open else numbers < col.low
    high_bad = numbers >= col.high if col.high_open else numbers > col.high
    if (low_bad | high_bad).any():
        return None
    return [int(n) for n in numbers.tolist()] if col.kind == "integer" else numbers.tolist()


_TRUE = {"true", "yes", "1", "y"}


_FALSE = {"false", "no", "0", "n"}


def _cell(col: Column, value, sheet: str, row: int, found: Findings):
    """One cell to its type, or None with a problem recorded."""
    if blank(value):
        if col.required:
            found.add(sheet, row, col.name, value, col.expected())
        return col.default
    if col.kind == "text":
        text = str(value).strip() if not isinstance(value, float) else f"{value:g}"
        return text
    if col.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        found.add(sheet, row, col.name, value, col.expected())
        return col.default
    number = _number(value)
    if number is None or math.isnan(number) or math.isinf(number):
        what = "NaN" if number is not None and math.isnan(number) else \
            "an infinite number" if number is not None else None
        found.add(sheet, row, col.name, value if what is None else f"{value} ({what})",
                  col.expected())
        return None
    if col.kind == "integer":
        if number != int(number):
            found.add(sheet, row, col.name, value, col.expected())
            return None
        number = int(number)
    low_bad = number <= col.low if col.low_open else number < col.low
    high_bad = number >= col.high if col.high_open else number > col.high
    if low_bad or high_bad:
        hint = " (shares of GDP are fractions: 0.02 means 2%)" if \
            col.unit == "fraction of GDP" and number > 1 else ""
        found.add(sheet, row, col.name, value, col.expected() + hint)
        return None
    return number


_PERCENT = re.compile(r"^\s*([-+]?[0-9.eE+-]+)\s*%\s*$")


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip()
    percent = _PERCENT.match(text)
    try:
        if percent:
            return float(percent.group(1)) / 100
        if text.lower() in ("nan", "inf", "-inf", "infinity", "-infinity", "+inf"):
            return float(text)
        return float(text)
    except ValueError:
        return None


def _check_unique(sheet, table: pd.DataFrame, found: Findings):
    """A later row repeating a key (names compared in lower case; rows with a blank key part
    skipped) is a problem naming the first."""
    values = [table[k].tolist() for k in sheet.key]
    rows = table[ROW].tolist()
    first = {}  # key -> position of its first row
    for at, parts in enumerate(zip(*values)):
        key = tuple(v.lower() if isinstance(v, str) else v for v in parts)
        if any(v is None or v != v for v in key):  # NA, as pandas' notna has it
            continue
        if key not in first:
            first[key] = at
            continue
        what = ", ".join(f"{k}={v}" for k, v in zip(sheet.key, parts))
        found.add(sheet.name, int(rows[at]), sheet.key[0], parts[0],
                  f"one row for {what} (already on row {int(rows[first[key]])})")


def read_settings(table: pd.DataFrame, found: Findings) -> Settings:
    values = {}
    for key, value, row in zip(table["key"], table["value"], table[ROW]):
        if key is None:
            continue
        name = key.strip().lower()
        setting = SETTING_BY_KEY.get(name)
        found.setting_rows[name] = int(row)
        if setting is None:
            found.add("settings", row, "key", key,
                      "one of " + ", ".join(s.key for s in SETTINGS)
                      + did_you_mean(name, SETTING_BY_KEY))
            continue
        if value is None:
            continue
        parsed = _setting_value(setting, value, row, found)
        if parsed is not None:
            values[name] = parsed
    weights = values.get("fair_share_weights")
    if values.get("fair_share") == "mixed" and not weights:
        found.add("settings", found.setting_rows.get("fair_share"), "value", "mixed",
                  "a fair_share_weights row (e.g. gdp=0.7, population=0.3) with fair_share mixed")
    return Settings(**values)


def _setting_value(setting, value, row, found: Findings):
    text = str(value).strip()
    if setting.kind == "choice":
        if text.lower() in setting.choices:
            return text.lower()
        found.add("settings", row, "value", value,
                  f"for {setting.key}, one of {' | '.join(setting.choices)}")
        return None
    if setting.kind == "text":
        return text
    if setting.kind == "bool":
        col = Column("value", "bool")
        return _cell(col, value, "settings", row, found)
    if setting.kind == "weights":
        return _weights(text, row, found)
    col = Column("value", "integer" if setting.kind == "integer" else "number",
                 low=setting.low, high=setting.high, low_open=setting.low_open)
    before = len(found.problems)
    number = _cell(col, value, "settings", row, found)
    if len(found.problems) > before:
        problem = found.problems.pop()
        found.add("settings", row, "value", value, f"for {setting.key}, {problem.expected}")
    return number


def _weights(text: str, row, found: Findings):
    weights = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        rule, _, number = part.partition("=")
        rule = rule.strip().lower()
        weight = _number(number) if number else None
        if rule not in SHARE_RULES or weight is None or not math.isfinite(weight) or weight < 0:
            found.add("settings", row, "value", text,
                      "fair_share_weights as rule=weight pairs, rules among "
                      f"{', '.join(SHARE_RULES)}, weights >= 0 (e.g. gdp=0.7, population=0.3)")
            return None
        weights[rule] = weights.get(rule, 0.0) + weight
    total = sum(weights.values())
    if total <= 0:
        found.add("settings", row, "value", text, "fair_share_weights summing to more than 0")
        return None
    return tuple((rule, weights[rule] / total) for rule in SHARE_RULES if weights.get(rule))
