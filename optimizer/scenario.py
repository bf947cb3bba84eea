"""Override paths (WORKBOOK.md, Sweeps) -> a new, validated `Inputs`.

Paths: `settings.<key>`, `members.<column>` (every member), `members[<member>].<column>`,
`targets.scale` (every target), `targets[<region>].scale`, `targets[<capability>].scale`.
An override edits the case's tables as read (so per-year commitments still override a
member's column for their own year) and the result is validated again from scratch: a bad
value is reported like a bad cell, naming the scenario and the path.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import pandas as pd

from .inputs import ROW, InputError, Problem, inputs_from_frames
from .schema import SETTING_BY_KEY, SHEET_BY_NAME

_PATH = re.compile(r"^\s*(settings|members|targets)\s*(?:\[\s*(.+?)\s*\])?\s*\.\s*(\w+)\s*$",
                   re.IGNORECASE)


def parse_assignment(text: str) -> tuple[str, str]:
    """`PATH=VALUE` (as given to `--set`) -> (path, value)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise InputError([Problem("--set", None, None, None, text, "PATH=VALUE, e.g. "
                                  "settings.objective=min_max_burden")])
    return path.strip(), value.strip()


def apply_overrides(inputs, overrides: Mapping[str, object], scenario: str | None = None):
    """Apply `{path: value}` to `inputs` and validate the result."""
    tables = {name: table.copy() for name, table in inputs.tables.items()}
    where = f"scenario '{scenario}'" if scenario else "override"
    problems = []
    # general paths first, so `members[X].col` wins over `members.col` whatever the order
    ordered = sorted(overrides.items(), key=lambda item: "[" in str(item[0]))
    for path, value in ordered:
        problem = _apply(tables, path, value)
        if problem:
            problems.append(Problem(where, None, None, path, value, problem))
    changed = None
    try:
        changed = inputs_from_frames(tables, source=inputs.source, sha256=inputs.sha256)
    except InputError as error:
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        problems += [Problem(f"{where} ({label}) on {p.file}", p.sheet, p.row, p.column,
                             p.value, p.expected) for p in error.problems]
    if problems:
        raise InputError(problems)
    # sheets and columns the reader ignored are not in the tables: keep their warnings
    warnings = tuple(dict.fromkeys(inputs.warnings + changed.warnings))
    return dataclasses.replace(changed, warnings=warnings)


def _apply(tables: dict, path: str, value) -> str | None:
    """Edit the tables in place; return what was expected if the path is wrong."""
    match = _PATH.match(str(path))
    if not match:
        return ("a path like settings.<key>, members.<column>, members[<member>].<column>, "
                "targets.scale, targets[<region or capability>].scale")
    sheet, name, attribute = match.group(1).lower(), match.group(2), match.group(3).lower()
    if sheet == "settings":
        if name is not None or attribute not in SETTING_BY_KEY:
            return "settings.<key> with a key among " + ", ".join(SETTING_BY_KEY)
        table = tables.setdefault("settings", pd.DataFrame({ROW: [], "key": [], "value": []}))
        keys = table["key"].astype(str).str.strip().str.lower()
        if (keys == attribute).any():
            table.loc[keys == attribute, "value"] = value
        else:
            row = {ROW: 0, "key": attribute, "value": value}
            tables["settings"] = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        return None
    if sheet == "members":
        columns = [c.name for c in SHEET_BY_NAME["members"].columns if c.name != "member"]
        if attribute not in columns:
            return "a members column among " + ", ".join(columns)
        table = tables["members"]
        if table[attribute].dtype != object:
            table[attribute] = table[attribute].astype(object)
        if name is None:
            table[attribute] = [value] * len(table)
            return None
        hit = table["member"].astype(str).str.lower() == name.lower()
        if not hit.any():
            return f"a member named in the members sheet (no '{name}')"
        table.loc[hit, attribute] = value
        return None
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
        hit = pd.Series(True, index=table.index)
    else:
        region = table["region"].astype(str).str.lower() == name.lower()
        capability = table["capability"].astype(str).str.lower() == name.lower()
        if region.any() and capability.any():
            return f"a name that is a region or a capability, not both ('{name}' is both)"
        if not region.any() and not capability.any():
            return f"a region or capability named in the targets sheet (no '{name}')"
        hit = region if region.any() else capability
    numbers = pd.to_numeric(table["target"], errors="coerce")
    table["target"] = table["target"].astype(object)
    table.loc[hit, "target"] = (numbers[hit] * factor).astype(object)
    return None
