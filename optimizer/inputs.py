"""Read and validate a planner's workbook into `Inputs`, or raise one `InputError` with every
problem found.

workbook (.xlsx, or a folder of .csv) -> raw tables (`reading.py`: cells as found, Excel row
numbers kept) -> typed sheets (`sheets.py`) -> checks across sheets and per-year values
(`checks.py`) -> `Inputs`. Overrides (`Inputs.with_overrides`) edit the tables as read
(`scenario.py`) and validate them again, reusing what did not change.

Nothing here knows about Pyomo. The schema (`schema.py`) says what each column holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd

from .checks import Case, empty_previous, empty_rules
from .errors import NOTHING as _NOTHING
from .errors import InputError, Problem
from .reading import read_csv_folder, read_xlsx, with_previous_plan
from .scenario import EditedTables, apply_path
from .schema import INF, SHEETS
from .settings import Settings
from .sheets import Findings, frames_digest, match_sheets, read_settings, typed_table
from .workbook_guard import MACRO_SUFFIXES


@dataclass(frozen=True)
class Inputs:
    """A validated case. Tables are indexed by their names; treat them as read-only.

    - `members`: index member (sheet order); columns of the members sheet, defaults filled
      (`cap_gdp_share`, `baseline`, `population`, `personnel_cost` NaN where blank).
    - `capabilities`: index capability; funding_effect, personnel_effect, category (core or
      related).
    - `targets`: capability, region, year, target, priority (one row per target).
    - `equipment`: index equipment; capability, effect, unit_cost, crew, integer.
    - `inventory`, `access`, `quality`: long tables as in the workbook (names canonical).
    - `member_years`: index (member, year) over every member and planning year: gdp,
      floor_share, cap_share (NaN: none), pledge (money), core_floor_share,
      related_cap_share (NaN: none) — growth paths, GDP overrides and per-year commitments
      resolved.
    - `rules`: one row a rule (`RULE_COLUMNS`): rule, measure, sense, value and share (NaN
      where not given), per (a tuple of dimensions), the filters member, capability,
      region, year (a tuple of canonical names, or None for all), row (its row in the sheet).
    - `previous`: member, year, cost of the previous plan, for members in the members sheet
      and planning years.
    - `tables`: each sheet as typed by validation (`_row` kept). `with_overrides` starts from
      them and takes a table it finds unchanged (the very object handed out) as validated
      already, so copy a table before editing it.
    """

    source: str
    sha256: str
    settings: Settings
    members: pd.DataFrame
    capabilities: pd.DataFrame
    targets: pd.DataFrame
    equipment: pd.DataFrame
    inventory: pd.DataFrame
    access: pd.DataFrame
    quality: pd.DataFrame
    member_years: pd.DataFrame
    scenarios: pd.DataFrame
    sources: pd.DataFrame
    rules: pd.DataFrame = field(default_factory=lambda: empty_rules())
    previous: pd.DataFrame = field(default_factory=lambda: empty_previous())
    warnings: tuple[str, ...] = field(default_factory=tuple)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    # what `with_overrides` may reuse: the typed tables as validated and the pieces built from
    # them (`validate_tables`); never compared, never shown
    _memo: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)

    def with_overrides(self, overrides: Mapping[str, object], scenario: str | None = None):
        """A new, validated `Inputs` with override paths applied, e.g.
        `{"settings.robustness": 1, "members[Poland].cap_gdp_share": 0.05}`. The original
        is never changed; a bad path or value raises `InputError` naming it."""
        return apply_overrides(self, overrides, scenario)

    @property
    def years(self) -> list[int]:
        return sorted(self.targets["year"].unique().tolist())

    @property
    def regions(self) -> list[str]:
        # (a str column iterates element by element; its objects don't)
        return list(dict.fromkeys(self.targets["region"].to_numpy(object).tolist()))

    @property
    def present_members(self) -> list[str]:
        return self.members.index[~self.members["absent"]].tolist()

    def __repr__(self) -> str:
        return (f"Inputs({Path(self.source).name!r}: {len(self.members)} members, "
                f"{len(self.capabilities)} capabilities, {len(self.regions)} regions, "
                f"{len(self.years)} years, {len(self.targets)} targets, "
                f"{len(self.equipment)} equipment types, objective={self.settings.objective!r})")

    def _repr_html_(self) -> str:
        """A compact summary table for notebooks: counts, years and the settings as used."""
        years = self.years
        span = f"{years[0]}-{years[-1]} ({len(years)})" if len(years) > 1 else \
            ", ".join(map(str, years))
        present = len(self.present_members)
        rows = [("source", Path(self.source).name),
                ("members", f"{len(self.members)}" + (f" ({present} present)"
                                                      if present != len(self.members) else "")),
                ("capabilities", str(len(self.capabilities))),
                ("regions", ", ".join(map(str, self.regions))),
                ("years", span),
                ("targets", str(len(self.targets))),
                ("equipment types", str(len(self.equipment)))]
        if self.warnings:
            rows.append(("warnings", str(len(self.warnings))))
        for key, value in self.settings.as_table().itertuples(index=False):
            if value is not None and not (isinstance(value, float) and value != value):
                rows.append((f"setting: {key}", f"{value:g}" if isinstance(value, float)
                             else str(value)))
        body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th>"
                       f"<td style='text-align:left'>{escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>Inputs</caption>{body}</table>"


def read_inputs(path, *, previous=None, max_file_mb: float = 50,
                max_cells: int = 5_000_000) -> Inputs:
    """Read a workbook (.xlsx) or a folder of .csv files and validate it.

    `previous`: a report burden wrote for last year's plan (.xlsx); its `members` sheet
    (member, year, cost) is the case's previous plan, in place of any `previous` sheet of
    the input (docs/model.md section 9). Its problems name that file and sheet.

    Before anything is parsed, a file larger than `max_file_mb` megabytes, or a workbook whose
    archive declares more than `max_cells` cells' worth of sheet XML, is refused, as are macro,
    password-protected, damaged and non-workbook files (`workbook_guard.py`); each sheet is
    read within `max_cells` cells.

    >>> inputs = read_inputs("inputs/tiny.xlsx")        # doctest: +SKIP
    >>> inputs.settings.objective                       # doctest: +SKIP
    'min_cost'
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputError([Problem(name, None, None, None, _NOTHING,
                                  "an existing .xlsx workbook or a folder of .csv files")])
    if path.is_dir():
        frames, digest, labels = read_csv_folder(path, max_file_mb)
    elif path.suffix.lower() in (".xlsx", *MACRO_SUFFIXES):  # macro files: refused by name
        frames, digest = read_xlsx(path, max_file_mb, max_cells)
    else:
        raise InputError([Problem(name, None, None, None, path.suffix or path.name,
                                  "an .xlsx workbook or a folder of .csv files")])
    if not path.is_dir():
        labels = {}
    if previous is not None:
        frames, digest, labels = with_previous_plan(frames, digest, labels, Path(previous),
                                                     max_file_mb, max_cells)
    return validate_tables(frames, str(path), digest, kind="file" if path.is_dir() else "sheet",
                     labels=labels)


def inputs_from_frames(frames: Mapping[str, pd.DataFrame], source: str = "<frames>",
                       sha256: str | None = None) -> Inputs:
    """Validate tables (one DataFrame per sheet, columns named as in the workbook) into `Inputs`.

    The readers take the same path, so a case built in code is checked exactly like a
    workbook, except that the `settings` frame may be left out (every setting has a
    default) and a problem names the frame and the row's index label ("frame 'members',
    index 2") rather than an Excel row (a frame with a `_row` column keeps those numbers).

    >>> import pandas as pd
    >>> inputs = inputs_from_frames({                         # doctest: +SKIP
    ...     "members": pd.DataFrame({"member": ["A"], "gdp": [100.0]}), ...})
    """
    return validate_tables(frames, source, sha256)


def validate_tables(frames: Mapping[str, pd.DataFrame], source: str, sha256: str | None,
              memo: Mapping[str, object] | None = None, kind: str | None = None,
              labels: Mapping[str, str] | None = None) -> Inputs:
    """`inputs_from_frames`, reusing the work of an earlier validation (`memo`, an
    `Inputs._memo`) where its inputs are unchanged; the result is the same either way.

    One mechanism, by sheet: a frame that *is* one the earlier `Inputs` handed out in
    `tables` (an override leaves every sheet it does not edit so) is that case's typed table,
    not typed again (typing a typed table gives it back unchanged, with no problem or
    warning); every other frame is typed and checked as ever. Each piece of `Case.build` (a
    cross-sheet check, a resolved table, an output) whose inputs are the same typed tables
    (objects) and equal names and values as the earlier case's gives back that case's
    result, with the problems and warnings it recorded then, in the same order.

    `kind`: what the frames came from, for messages: "sheet" (a workbook), "file" (CSV files,
    `labels` naming each), "frame" (DataFrames given in code: the default; rows are then
    named by their index, and the settings frame may be left out).
    """
    file = Path(source).name
    memo = memo or {}
    kind = kind or memo.get("kind", "frame")
    labels = labels if labels is not None else memo.get("labels", {})
    found = Findings(file, labels, kind)
    found.index_of.update(memo.get("index_of", {}))
    handed = memo.get("typed", {})
    done = {name: entry for name, entry in handed.items() if frames.get(name) is entry.handed}
    tables = match_sheets(frames, found, done)
    done = {name: entry for name, entry in done.items()
            if tables.get(name) is entry.handed}  # not another sheet of the same name
    if sha256 is None:
        sha256 = frames_digest(tables)
    typed = {}
    for sheet in SHEETS:
        if sheet.name in done:
            typed[sheet.name] = done[sheet.name].table
        elif sheet.name in tables:
            typed[sheet.name] = typed_table(sheet, tables[sheet.name], found)
        elif sheet.required and not (kind == "frame" and sheet.name == "settings"):
            found.add(sheet.name, None, None, _NOTHING, found.missing(sheet.name))
    if "settings" in typed:
        settings = read_settings(typed["settings"], found)
    else:
        settings = Settings()
    if found.problems and not {"members", "capabilities", "targets"} <= typed.keys():
        raise InputError(found.problems)
    pieces = memo.get("pieces", {}) if memo.get("file") == file else {}
    case = Case(found, typed, settings, pieces)
    inputs = Inputs(**case.build(source, sha256))
    if found.problems:
        raise InputError(found.problems)
    return inputs


def apply_overrides(inputs, overrides: Mapping[str, object], scenario: str | None = None):
    """Apply `{path: value}` to `inputs` and validate the result.

    Only the sheets an override edits are copied and typed again; the others are the case's
    tables as validated (`Inputs._memo`), and every cross-sheet check runs on the result,
    so this is `inputs_from_frames` of the edited tables."""
    tables = EditedTables(inputs.tables)
    where = f"scenario '{scenario}'" if scenario else "override"
    problems = []
    # general paths first, so `members[X].col` wins over `members.col` whatever the order
    ordered = sorted(overrides.items(), key=lambda item: "[" in str(item[0]))
    for path, value in ordered:
        problem = apply_path(tables, path, value)
        if problem:
            problems.append(Problem(where, None, None, path, value, problem))
    changed = None
    try:
        changed = validate_tables(tables.frames(), inputs.source, inputs.sha256,
                            getattr(inputs, "_memo", None))
    except InputError as error:
        label = ", ".join(f"{k}={v}" for k, v in overrides.items())
        problems += [dataclasses.replace(p, file=f"{where} ({label}) on {p.file}")
                     for p in error.problems]
    if problems:
        raise InputError(problems)
    # sheets and columns the reader ignored are not in the tables: keep their warnings
    warnings = tuple(dict.fromkeys(inputs.warnings + changed.warnings))
    return dataclasses.replace(changed, warnings=warnings)


__all__ = ["INF", "InputError", "Inputs", "Problem", "Settings", "inputs_from_frames",
           "read_inputs"]
