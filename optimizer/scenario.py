"""Override paths (docs/cli.md, "Override paths") applied to a case's tables as read.

Paths: `settings.<key>`, `members.<column>` (every member), `members[<member>].<column>`,
`targets.scale` (every target), `targets[<region>].scale`, `targets[<capability>].scale`,
`rules[<rule>].value` and `rules[<rule>].share`. `apply_path` edits `EditedTables` (a table
is copied the first time it is edited); `Inputs.with_overrides` then validates the edited
tables as `inputs_from_frames` would (`inputs.validate_tables`, reusing the checks whose
tables did not change), so a per-year commitment still overrides a member's column for its
own year, and a bad value is reported like a bad cell, naming the scenario and the path.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .reading import ROW
from .schema import SETTING_BY_KEY, SHEET_BY_NAME
from .sheets import did_you_mean

_PATH = re.compile(r"^\s*(settings|members|targets|rules)\s*(?:\[\s*(.+?)\s*\])?\s*\.\s*(\w+)\s*$",
                   re.IGNORECASE)


def parse_assignment(text: str) -> tuple[str, str]:
    """`PATH=VALUE` (as given to `--set`) -> (path, value)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise InputError([Problem("--set", None, None, None, text, "PATH=VALUE, e.g. "
                                  "settings.objective=min_max_burden")])
    return path.strip(), value.strip()


class EditedTables(dict):
    """The case's tables; a table is copied the first time it is looked up to be edited (a
    shallow copy: under pandas' copy-on-write, editing it never changes the case's table)."""

    def __init__(self, tables):
        super().__init__(tables)
        self._copied = set()

    def __getitem__(self, name):
        if name not in self._copied and name in self:
            self._copied.add(name)
            super().__setitem__(name, super().__getitem__(name).copy(deep=False))
        return super().__getitem__(name)

    def __setitem__(self, name, table):
        self._copied.add(name)
        super().__setitem__(name, table)

    def setdefault(self, name, default):
        if name not in self:
            self[name] = default
        return self[name]

    def frames(self) -> dict:
        """The tables, edited or (the very objects given) not, without copying any."""
        return {name: super(EditedTables, self).__getitem__(name) for name in self}


def apply_path(tables: dict, path: str, value) -> str | None:
    """Edit the tables in place; return what was expected if the path is wrong."""
    match = _PATH.match(str(path))
    if not match:
        return ("a path like settings.<key>, members.<column>, members[<member>].<column>, "
                "targets.scale, targets[<region or capability>].scale, rules[<rule>].value")
    sheet, name, attribute = match.group(1).lower(), match.group(2), match.group(3).lower()
    if sheet == "settings":
        if name is not None or attribute not in SETTING_BY_KEY:
            return "settings.<key> with a key among " + ", ".join(SETTING_BY_KEY) + (
                did_you_mean(attribute, SETTING_BY_KEY) if name is None else "")
        table = tables.setdefault("settings", pd.DataFrame({ROW: [], "key": [], "value": []}))
        hit = _named(table["key"], attribute, strip=True)
        if hit.any():
            _put(table, "value", hit, value)
        else:
            row = {ROW: 0, "key": attribute, "value": value}
            tables["settings"] = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        return None
    if sheet == "members":
        columns = [c.name for c in SHEET_BY_NAME["members"].columns if c.name != "member"]
        if attribute not in columns:
            return "a members column among " + ", ".join(columns) + did_you_mean(attribute,
                                                                                  columns)
        table = tables["members"]
        if table[attribute].dtype != object:
            table[attribute] = table[attribute].astype(object)
        if name is None:
            table[attribute] = [value] * len(table)
            return None
        hit = _named(table["member"], name)
        if not hit.any():
            return (f"a member named in the members sheet (no '{name}')"
                    + did_you_mean(name, table["member"].dropna().astype(str)))
        _put(table, attribute, hit, value)
        return None
    if sheet == "rules":
        return _apply_rule(tables, name, attribute, value)
    if attribute != "scale":
        return "targets.scale or targets[<region or capability>].scale"
    try:
        factor = float(value)
    except (TypeError, ValueError):
        return "a number (the factor that multiplies the targets)"
    if not factor >= 0 or factor == float("inf"):
        return "a factor >= 0"
    table = tables["targets"]
    if name is None:
        hit = None
    else:
        region, capability = _named(table["region"], name), _named(table["capability"], name)
        if region.any() and capability.any():
            return f"a name that is a region or a capability, not both ('{name}' is both)"
        if not region.any() and not capability.any():
            names = [*table["region"].dropna().astype(str), *table["capability"].dropna().astype(str)]
            return (f"a region or capability named in the targets sheet (no '{name}')"
                    + did_you_mean(name, dict.fromkeys(names)))
        hit = region if region.any() else capability
    # each target hit: as a number (NaN if it is none) times the factor, a Python float
    targets = table["target"].tolist()
    numbers = np.array(targets, dtype=float) if set(map(type, targets)) <= {float} else \
        pd.to_numeric(table["target"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(all="ignore"):  # as pandas has it: too large a product is inf
        scaled = (numbers * factor).tolist()
    if hit is not None:
        scaled = [new if h else old for h, new, old in zip(hit.tolist(), scaled, targets)]
    table["target"] = pd.Series(scaled, dtype=object, index=table.index)
    return None


def _apply_rule(tables: dict, name: str | None, attribute: str, value) -> str | None:
    """`rules[<rule>].value` or `.share`: the rule's limit; the other of the two is blanked,
    so a share rule given a value becomes a value rule."""
    if name is None or attribute not in ("value", "share"):
        return "rules[<rule>].value or rules[<rule>].share"
    if "rules" not in tables:
        return f"a rule named in the rules sheet (the workbook has no rules sheet; no '{name}')"
    table = tables["rules"]
    hit = _named(table["rule"], name, strip=True)
    if not hit.any():
        return (f"a rule named in the rules sheet (no '{name}')"
                + did_you_mean(name, table["rule"].dropna().astype(str)))
    other = "share" if attribute == "value" else "value"
    for column in (attribute, other):
        if table[column].dtype != object:
            table[column] = table[column].astype(object)
    _put(table, attribute, hit, value)
    _put(table, other, hit, None)
    return None


def _named(column: pd.Series, name: str, strip: bool = False) -> np.ndarray:
    """Which cells of `column` are `name`, in any case: `column.astype(str).str.lower() ==
    name.lower()` (with `strip`, `.str.strip()` before `.str.lower()`) as a numpy array, in
    one pass where every cell is text."""
    values, name = column.tolist(), name.lower()
    if set(map(type, values)) <= {str}:
        return np.array([(v.strip() if strip else v).lower() == name for v in values],
                        dtype=bool)
    text = column.astype(str)
    return ((text.str.strip() if strip else text).str.lower() == name).to_numpy(dtype=bool)


def _put(table: pd.DataFrame, column: str, hit: np.ndarray, value) -> None:
    """`table.loc[hit, column] = value`; for a scalar put in an object column (every typed
    column), the column made anew in one pass."""
    if table[column].dtype != object or not pd.api.types.is_scalar(value):
        table.loc[hit, column] = value
        return
    table[column] = pd.Series([value if h else v for h, v in zip(
        hit.tolist(), table[column].tolist())], dtype=object, index=table.index)
