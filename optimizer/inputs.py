"""Read and validate a planner's workbook into `Inputs`, or raise one `InputError` with every
problem found.

workbook (.xlsx, or a folder of .csv) -> raw tables (cells as found, Excel row numbers kept)
-> typed, checked tables -> `Inputs` (with per-year values resolved).

Nothing here knows about Pyomo. The schema (`schema.py`) says what each column holds.
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .errors import NOTHING as _NOTHING
from .errors import InputError, Problem
from .schema import INF, SETTING_BY_KEY, SETTINGS, SHARE_RULES, SHEET_BY_NAME, SHEETS, Column

ROW = "_row"  # the Excel row number of each raw record, kept beside the values


@dataclass(frozen=True)
class Settings:
    """The settings sheet, typed; every default is the schema's (`schema.SETTINGS`), the
    weights of `mixed` as a tuple of (rule, weight) pairs (none: empty)."""

    objective: str = SETTING_BY_KEY["objective"].default
    fair_share: str = SETTING_BY_KEY["fair_share"].default
    fair_share_weights: tuple[tuple[str, float], ...] = \
        tuple(SETTING_BY_KEY["fair_share_weights"].default or ())
    share_ceiling: float | None = SETTING_BY_KEY["share_ceiling"].default
    share_floor: float | None = SETTING_BY_KEY["share_floor"].default
    fairness_tolerance: float | None = SETTING_BY_KEY["fairness_tolerance"].default
    robustness: int = SETTING_BY_KEY["robustness"].default
    max_growth: float | None = SETTING_BY_KEY["max_growth"].default
    allow_shortfall: bool = SETTING_BY_KEY["allow_shortfall"].default
    tie_break: str = SETTING_BY_KEY["tie_break"].default
    currency: str = SETTING_BY_KEY["currency"].default
    time_limit: float | None = SETTING_BY_KEY["time_limit"].default
    mip_gap: float = SETTING_BY_KEY["mip_gap"].default
    negotiation_slack: float = SETTING_BY_KEY["negotiation_slack"].default

    def as_table(self) -> pd.DataFrame:
        """The settings as used, defaults filled in (the report's `inputs` sheet)."""
        rows = []
        for s in SETTINGS:
            value = getattr(self, s.key)
            if s.key == "fair_share_weights":
                value = ", ".join(f"{k}={w:g}" for k, w in value) if value else None
            rows.append((s.key, value))
        return pd.DataFrame(rows, columns=["key", "value"])


@dataclass(frozen=True)
class Inputs:
    """A validated case. Tables are indexed by their names; treat them as read-only.

    - `members`: index member (sheet order); columns of the members sheet, defaults filled
      (`cap_gdp_share`, `baseline`, `population`, `personnel_cost` NaN where blank).
    - `capabilities`: index capability; funding_effect, personnel_effect.
    - `targets`: capability, region, year, target, priority (one row per target).
    - `equipment`: index equipment; capability, effect, unit_cost, crew, integer.
    - `inventory`, `access`, `quality`: long tables as in the workbook (names canonical).
    - `member_years`: index (member, year) over every member and planning year: gdp,
      floor_share, cap_share (NaN: none), pledge (money) — growth paths, GDP overrides and
      per-year commitments resolved.
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
    warnings: tuple[str, ...] = field(default_factory=tuple)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    # what `with_overrides` may reuse: the typed tables as validated and the pieces built from
    # them (`_validate`); never compared, never shown
    _memo: Mapping[str, object] = field(default_factory=dict, repr=False, compare=False)

    def with_overrides(self, overrides: Mapping[str, object], scenario: str | None = None):
        """A new, validated `Inputs` with override paths applied, e.g.
        `{"settings.robustness": 1, "members[Poland].cap_gdp_share": 0.05}`. The original
        is never changed; a bad path or value raises `InputError` naming it."""
        from .scenario import apply_overrides

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
        from html import escape

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


# ---------------------------------------------------------------------------------------------
# Reading raw tables


def read_inputs(path, *, max_file_mb: float = 50, max_cells: int = 5_000_000) -> Inputs:
    """Read a workbook (.xlsx) or a folder of .csv files and validate it.

    Before anything is parsed, a file larger than `max_file_mb` megabytes, or a workbook whose
    archive declares more than `max_cells` cells' worth of sheet XML, is refused, as are macro,
    password-protected, damaged and non-workbook files (`workbook_guard.py`); each sheet is
    read within `max_cells` cells.

    >>> inputs = read_inputs("inputs/tiny.xlsx")        # doctest: +SKIP
    >>> inputs.settings.objective                       # doctest: +SKIP
    'min_cost'
    """
    from .workbook_guard import MACRO_SUFFIXES

    path = Path(path)
    name = path.name
    if not path.exists():
        raise InputError([Problem(name, None, None, None, _NOTHING,
                                  "an existing .xlsx workbook or a folder of .csv files")])
    if path.is_dir():
        frames, digest, labels = _read_csv_folder(path, max_file_mb)
    elif path.suffix.lower() in (".xlsx", *MACRO_SUFFIXES):  # macro files: refused by name
        frames, digest = _read_xlsx(path, max_file_mb, max_cells)
    else:
        raise InputError([Problem(name, None, None, None, path.suffix or path.name,
                                  "an .xlsx workbook or a folder of .csv files")])
    if path.is_dir():
        return _validate(frames, str(path), digest, kind="file", labels=labels)
    return _validate(frames, str(path), digest, kind="sheet")


def _read_xlsx(path: Path, max_file_mb: float = 50,
               max_cells: int = 5_000_000) -> tuple[dict[str, pd.DataFrame], str]:
    from io import BytesIO

    import openpyxl

    from .workbook_guard import EXCEL_ROWS, check_workbook, load_error, read_caps

    check_workbook(path, max_file_mb=max_file_mb, max_cells=max_cells)  # before any parsing
    cap_rows, cap_columns = read_caps(max_cells)
    data = path.read_bytes()
    frames = {}
    try:
        book = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in book.worksheets:
                width = min(cap_columns, sheet.max_column or cap_columns)  # <dimension>
                rows = sheet.iter_rows(max_row=EXCEL_ROWS, max_col=width, values_only=True)
                frames[sheet.title] = _rows_to_frame(
                    _rows_within(rows, path.name, sheet.title, cap_rows, max_cells))
        finally:
            book.close()
        _check_uncalculated_formulas(data, frames, path.name, cap_rows, cap_columns)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read is one clear line
        raise InputError([Problem(path.name, None, None, None, _NOTHING, load_error(exc))]) \
            from None
    return frames, hashlib.sha256(data).hexdigest()


def _check_uncalculated_formulas(data: bytes, frames, file: str, cap_rows: int,
                                 cap_columns: int) -> None:
    """A formula cell whose result was never calculated (a workbook written by a script and
    never opened in Excel) reads as blank: refuse it rather than fill in a default."""
    import zipfile
    from io import BytesIO

    import openpyxl

    with zipfile.ZipFile(BytesIO(data)) as archive:
        if not any(b"<f" in archive.read(name) for name in archive.namelist()
                   if name.startswith("xl/worksheets/") and name.endswith(".xml")):
            return
    book = openpyxl.load_workbook(BytesIO(data), read_only=True, data_only=False)
    problems = []
    try:
        for sheet in book.worksheets:
            frame = frames.get(sheet.title)
            header = None
            rows = sheet.iter_rows(max_row=cap_rows, max_col=cap_columns, values_only=True)
            for number, row in enumerate(rows, start=1):
                if header is None and any(not _blank(v) for v in row):
                    header = row
                    continue
                for index, value in enumerate(row):
                    if not (isinstance(value, str) and value.startswith("=")):
                        continue
                    known = frame is not None and number in set(frame[ROW]) and index < len(
                        header or ()) and header[index] in frame.columns
                    cached = frame.loc[frame[ROW] == number, header[index]].iloc[0] \
                        if known else None
                    if _blank(cached):
                        column = str(header[index]) if header and index < len(header) else None
                        problems.append(Problem(file, sheet.title, number, column, value,
                                                "a value: the cell holds a formula whose result "
                                                "was never calculated (open and save the "
                                                "workbook in Excel or LibreOffice)"))
    finally:
        book.close()
    if problems:
        raise InputError(problems)


def _rows_within(rows, file: str, sheet: str, cap_rows: int, max_cells: int):
    """The sheet's rows, an all-blank row as `()` (cheap to skip however wide); a value below
    row `cap_rows` is an input error rather than data silently left unread."""
    empty = None
    for number, row in enumerate(rows, start=1):
        if row is empty or row.count(None) == len(row):
            empty = row
            yield ()
            continue
        if number > cap_rows and not all(_blank(v) for v in row):
            value = next(v for v in row if not _blank(v))
            raise InputError([Problem(
                file, sheet, number, None, value,
                f"the sheet's data within its first {cap_rows:,} rows (the read limit that "
                f"--max-cells {max_cells:,} sets): delete what lies below the table, or raise "
                "--max-cells (read_inputs(path, max_cells=...))")])
        yield row


def _read_csv_folder(folder: Path, max_file_mb: float = 50
                     ) -> tuple[dict[str, pd.DataFrame], str, dict[str, str]]:
    """Each `.csv` file of `folder` (the suffix in any case) as a raw table, the digest of
    them all, and how messages name each table ("file 'Members.CSV'"). A file separated by
    semicolons (what Excel writes where the decimal mark is a comma) is read as such, its
    decimal commas as decimal points."""
    import csv

    from .workbook_guard import check_file_size

    digest = hashlib.sha256()
    frames, labels = {}, {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    for file in files:
        check_file_size(file, max_file_mb)
        data = file.read_bytes()
        digest.update(file.name.encode() + b"\0" + data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError([Problem(
                file.name, file.stem, line, None, _NOTHING,
                f"UTF-8 text, but byte 0x{data[exc.start]:02x} at position {exc.start} is not "
                "UTF-8 (the file looks saved as Latin-1 or Windows-1252): save it as "
                "'CSV UTF-8'", table="")]) from None
        lines = text.splitlines()
        separator = _separator(lines)
        try:
            rows = [tuple(cell if cell.strip() != "" else None for cell in row)
                    for row in csv.reader(lines, delimiter=separator)]
        except csv.Error as exc:
            raise InputError([Problem(file.name, file.stem, None, None, _NOTHING,
                                      f"comma-separated text ({exc})", table="")]) from None
        if separator == ";":
            rows = [tuple(_decimal_point(cell) for cell in row) for row in rows]
        frames[file.stem] = _rows_to_frame(rows)
        labels[_norm(file.stem)] = labels[file.stem] = f"file '{file.name}'"
    return frames, digest.hexdigest(), labels


def _separator(lines: list[str]) -> str:
    """The field separator of a CSV file: `;` where its header line (the first that is not
    blank) holds more semicolons than commas, else `,`."""
    header = next((line for line in lines if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?\s*%?\s*$")


def _decimal_point(cell):
    """A number written with a decimal comma (and points between thousands), as
    semicolon-separated CSV from Excel has it, with a decimal point instead: "0,02" ->
    "0.02", "1.234.567,5" -> "1234567.5". Any other cell as it is."""
    if cell is None or "," not in cell and cell.count(".") < 2 or not _DECIMAL_COMMA.match(cell):
        return cell
    return cell.replace(".", "").replace(",", ".")


def _rows_to_frame(rows) -> pd.DataFrame:
    """Raw cells to a frame of objects: header from the first non-empty row, blank rows
    dropped, the Excel row number of each record in column `_row`."""
    header, records, numbers = None, [], []
    for number, row in enumerate(rows, start=1):
        if all(_blank(v) for v in row):
            continue
        if header is None:
            header = [str(v).strip() if not _blank(v) else "" for v in row]
            continue
        records.append(list(row[: len(header)]) + [None] * (len(header) - len(row)))
        numbers.append(number)
    if header is None:
        return pd.DataFrame({ROW: pd.Series(dtype=int)})
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame = frame.loc[:, [h != "" for h in header]]
    frame[ROW] = numbers
    return frame


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------------------------------------
# Validation


class _Collector:
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
    return _validate(frames, source, sha256)


def _validate(frames: Mapping[str, pd.DataFrame], source: str, sha256: str | None,
              memo: Mapping[str, object] | None = None, kind: str | None = None,
              labels: Mapping[str, str] | None = None) -> Inputs:
    """`inputs_from_frames`, reusing the work of an earlier validation (`memo`, an
    `Inputs._memo`) where its inputs are unchanged; the result is the same either way.

    - A frame that *is* one the earlier `Inputs` handed out in `tables` is that case's typed
      table, so it is not typed again (typing a typed table gives it back unchanged, with no
      problem or warning). Every other frame is typed and checked as ever, except that a
      column whose cells are the very objects of that sheet's earlier typed column is that
      column (`_typed_table`).
    - Each piece of `_Case.build` (a cross-sheet check, a resolved table, an output) whose
      inputs are the same objects or equal values as the earlier case's gives back that
      case's result, with the problems and warnings it recorded then, in the same order.

    `kind`: what the frames came from, for messages: "sheet" (a workbook), "file" (CSV files,
    `labels` naming each), "frame" (DataFrames given in code: the default; rows are then
    named by their index, and the settings frame may be left out).
    """
    file = Path(source).name
    memo = memo or {}
    kind = kind or memo.get("kind", "frame")
    labels = labels if labels is not None else memo.get("labels", {})
    found = _Collector(file, labels, kind)
    found.index_of.update(memo.get("index_of", {}))
    handed = memo.get("typed", {})
    done = {name: entry for name, entry in handed.items() if frames.get(name) is entry.handed}
    tables = _match_sheets(frames, found, done)
    done = {name: entry for name, entry in done.items()
            if tables.get(name) is entry.handed}  # not another sheet of the same name
    if sha256 is None:
        sha256 = _frames_digest(tables)
    typed, tokens = {}, {}
    for sheet in SHEETS:
        if sheet.name in done:
            typed[sheet.name], tokens[sheet.name] = done[sheet.name].table, \
                done[sheet.name].tokens
        elif sheet.name in tables:
            typed[sheet.name], tokens[sheet.name] = _typed_table(
                sheet, tables[sheet.name], found, handed.get(sheet.name))
        elif sheet.required and not (kind == "frame" and sheet.name == "settings"):
            found.add(sheet.name, None, None, _NOTHING, found.missing(sheet.name))
    if "settings" in typed:
        settings = _read_settings(typed["settings"], found)
    else:
        settings = Settings()
    if found.problems and not {"members", "capabilities", "targets"} <= typed.keys():
        raise InputError(found.problems)
    pieces = memo.get("pieces", {}) if memo.get("file") == file else {}
    case = _Case(found, typed, settings, pieces, tokens)
    inputs = case.build(source, sha256)
    if found.problems:
        raise InputError(found.problems)
    return inputs


class _TypedSheet(NamedTuple):
    """One sheet of a validation that found no problem (an `Inputs._memo` entry): the table
    handed out in `Inputs.tables`, the typed table kept, and for each of its columns (`_row`
    too) a token, an object that stands for the column's typed values: another validation
    that takes the column as it is takes its token too, one that types the column anew
    makes a new token, so a piece of `_Case.build` can be keyed on the columns it reads."""

    handed: pd.DataFrame
    table: pd.DataFrame
    tokens: Mapping[str, object]


def _frames_digest(tables: Mapping[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode() + b"\0")
        digest.update(tables[name].to_csv(index=False).encode())
    return digest.hexdigest()


def _norm(name) -> str:
    return str(name).strip().lower()


def _match_sheets(frames, found: _Collector, done=()) -> dict[str, pd.DataFrame]:
    """Input sheets by canonical name, each with its `_row` column (a copy where it had none:
    a frame given is never changed); a sheet in `done` (already typed, so its name is
    canonical and it has `_row`) is taken as it is."""
    tables = {}
    for raw_name, frame in frames.items():
        if raw_name in done and raw_name not in tables:
            tables[raw_name] = frame
            continue
        name = _norm(raw_name)
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


def _typed_table(sheet, raw: pd.DataFrame, found: _Collector,
                 earlier: _TypedSheet | None = None) -> tuple[pd.DataFrame, dict[str, object]]:
    """Check each column of one sheet and convert it to its type; blank optional cells get
    the default (None where the default is 'none'). Returns the table and its columns'
    tokens (`_TypedSheet`).

    `earlier`: the same sheet as typed by a validation that found no problem (an override
    starts from a copy of it). Where `raw` has exactly its columns and rows, a column whose
    cells are the very objects of `earlier`'s typed column is taken as it is, with its token:
    typing a typed cell gives back an equal value of the same type and no problem, so this
    is what typing it again would give. If every key column is taken so, the keys are the
    ones `earlier` found unique, and they are not checked again."""
    columns = {}
    seen = set()
    for raw_name in raw.columns:
        if raw_name == ROW:
            continue
        name = _norm(raw_name)
        if name in seen:
            found.add(sheet.name, None, raw_name, _NOTHING, f"column '{name}' only once")
            continue
        seen.add(name)
        columns[name] = raw_name
    rows = raw[ROW].astype(int).tolist()
    out = {ROW: rows}
    before = earlier.table if earlier is not None and sheet.name != "scenarios" and \
        list(raw.columns) == list(earlier.table.columns) and len(raw) == len(earlier.table) \
        else None
    tokens = {ROW: earlier.tokens[ROW] if before is not None and
              rows == before[ROW].tolist() else object()}
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
            tokens[col.name] = object()
            continue
        values = raw[columns[col.name]].tolist()
        if before is not None:
            typed = before[col.name].tolist()
            if all(map(operator.is_, values, typed)):
                out[col.name], tokens[col.name] = typed, earlier.tokens[col.name]
                continue
        numbers = _plain_numbers(col, values)
        out[col.name] = numbers if numbers is not None else \
            [_cell(col, v, sheet.name, r, found) for v, r in zip(values, rows)]
        tokens[col.name] = object()
    if sheet.name == "scenarios":  # override paths: kept as found, checked by scenario.py
        for name, raw_name in columns.items():
            if name != "scenario":
                out[raw_name.strip()] = raw[raw_name].tolist()
                tokens[raw_name.strip()] = object()
    if before is not None:  # the earlier table, the columns typed anew put in (copy-on-write)
        table = before.copy(deep=False)
        for name, values in out.items():
            if tokens[name] is not earlier.tokens[name]:
                table[name] = pd.Series(values, dtype=int if name == ROW else object,
                                        index=table.index)
    else:
        table = pd.DataFrame({name: pd.Series(values, dtype=int if name == ROW else object)
                              for name, values in out.items()})
    if sheet.key and all(k in columns for k in sheet.key) and not (
            before is not None and all(tokens[k] is earlier.tokens[k] for k in sheet.key)):
        _check_unique(sheet, table, found)
    return table, tokens


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


def _cell(col: Column, value, sheet: str, row: int, found: _Collector):
    """One cell to its type, or None with a problem recorded."""
    if _blank(value):
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


def _check_unique(sheet, table: pd.DataFrame, found: _Collector):
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


def _read_settings(table: pd.DataFrame, found: _Collector) -> Settings:
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


def _setting_value(setting, value, row, found: _Collector):
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


def _weights(text: str, row, found: _Collector):
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


def _rows_of(table: pd.DataFrame, needed: list[str], convert: Mapping[str, type],
             index: str | None = None) -> pd.DataFrame:
    """An output table: the rows of `table` with every `needed` cell filled (and, with `index`,
    the first row of each value of that column, which becomes the index), without `_row`;
    the columns in `convert` as numpy arrays of that type (None: NaN for float, False for
    bool), the others with their dtype. The same as `dropna(subset=needed)`, then
    `drop_duplicates(subset=[index])` and `set_index(index)` or `reset_index(drop=True)`,
    `drop(columns=[ROW])` and `astype(convert)`, in a fraction of the time."""
    return _rows_from(table, _kept(table, needed, index), convert, index)


def _kept(table: pd.DataFrame, needed: list[str], index: str | None = None) -> list[int]:
    """The positions of the rows `_rows_of` keeps."""
    blank = np.zeros(len(table), dtype=bool)
    for column in needed:  # pd.isna of each cell
        blank |= table[column].isna().to_numpy(dtype=bool)
    keep = np.flatnonzero(~blank).tolist()
    if index is None:
        return keep
    names, seen, first = table[index].tolist(), set(), []
    for at in keep:
        if names[at] not in seen:
            seen.add(names[at])
            first.append(at)
    return first


def _rows_from(table: pd.DataFrame, keep: list[int], convert: Mapping[str, type],
               index: str | None = None, columns: list[str] | None = None,
               labels: pd.Index | None = None) -> pd.DataFrame | dict[str, object]:
    """`_rows_of` of the rows `keep`; with `columns` (and the index, `labels`), only those
    columns' data (array or Series), by name."""
    every = len(keep) == len(table)
    if labels is None and index is None:
        labels = pd.RangeIndex(len(keep))
    elif labels is None:
        names = table[index].tolist()
        labels = pd.Index([names[at] for at in keep], dtype=table[index].dtype, name=index)
    data = {}
    for name in table.columns if columns is None else columns:
        if name in (ROW, index):
            continue
        values = table[name].tolist()
        if not every:
            values = [values[at] for at in keep]
        data[name] = np.array(values, dtype=convert[name]) if name in convert else \
            pd.Series(values, dtype=table[name].dtype, index=labels)
    return data if columns is not None else pd.DataFrame(data, index=labels)


def _same_key(a: tuple, b: tuple) -> bool:
    """Whether two keys of a `_Case` piece name the same inputs: tables (and results of other
    pieces) the very same objects, anything else equal values of the same type."""
    frames = (pd.DataFrame, pd.Series)
    return len(a) == len(b) and all(
        x is y or (not isinstance(x, frames) and not isinstance(y, frames)
                   and type(x) is type(y) and x == y) for x, y in zip(a, b))


_MEMBER_CHECKS = ("floor_gdp_share", "cap_gdp_share", "personnel_available", "personnel_cost")
_MEMBER_PATHS = ("member", "gdp", "gdp_growth", "floor_gdp_share", "cap_gdp_share")


@dataclass(frozen=True, eq=False)  # a piece's result: compared as the same object or not
class _MemberGrid:
    """The (member, year) index of `member_years`: every member with a name and a GDP (each
    name's first row; `at`: positions in the members table) and every planning year;
    `position` of each (member, year) in it."""

    at: list[int]
    names: list
    years: list[int]
    index: pd.MultiIndex
    position: dict

    @classmethod
    def of(cls, members: pd.DataFrame, years: list[int]) -> _MemberGrid:
        at, seen, every = [], set(), members["member"].tolist()
        for i, (name, gdp) in enumerate(zip(every, members["gdp"].tolist())):
            if not (pd.isna(name) or pd.isna(gdp) or name in seen):
                seen.add(name)
                at.append(i)
        names = [every[i] for i in at]
        index = pd.MultiIndex.from_product([names, years], names=["member", "year"])
        span = len(years)
        position = {(m, y): i * span + j for i, m in enumerate(names)
                    for j, y in enumerate(years)}
        return cls(at, names, years, index, position)


class _Case:
    """Cross-sheet checks (names known, floors under caps, shares possible) and the per-year
    resolution of GDP and commitments.

    `build` is a sequence of pieces, each a function of a few typed tables (or other pieces'
    results) and names: `earlier` holds the pieces of the case this one was derived from (an
    override), and a piece whose inputs are unchanged gives back that result and replays the
    problems and warnings it recorded, in order; the others are computed. `pieces` collects
    this case's pieces for the next one."""

    def __init__(self, found: _Collector, typed: dict[str, pd.DataFrame], settings: Settings,
                 earlier: Mapping[str, tuple] | None = None,
                 tokens: Mapping[str, Mapping[str, object]] | None = None):
        self.found = found
        self.typed = typed
        self.settings = settings
        self.earlier = earlier or {}
        self.tokens = tokens or {}  # sheet -> column -> token (`_TypedSheet`)
        self.pieces: dict[str, tuple] = {}

    def piece(self, name: str, key: tuple, compute):
        """`compute()`, or the earlier case's result if `key` names the same inputs."""
        old = self.earlier.get(name)
        if old is not None and _same_key(old[0], key):
            _, value, problems, warnings = old
            self.found.problems.extend(problems)
            self.found.warnings.extend(warnings)
        else:
            problems, warnings = len(self.found.problems), len(self.found.warnings)
            value = compute()
            problems = tuple(self.found.problems[problems:])
            warnings = tuple(self.found.warnings[warnings:])
        self.pieces[name] = (key, value, problems, warnings)
        return value

    def table(self, name) -> pd.DataFrame:
        if name in self.typed:
            return self.typed[name]
        return pd.DataFrame({ROW: pd.Series(dtype=int),
                             **{c.name: pd.Series(dtype=object)
                                for c in SHEET_BY_NAME[name].columns}})

    def columns(self, sheet, *columns) -> tuple:
        """What a piece that reads these columns of a typed sheet is keyed on: their tokens
        (`_TypedSheet`), the same objects while the columns' typed values are the same
        (None for a sheet not given, whose empty table is always the same)."""
        tokens = self.tokens.get(sheet)
        return tuple(tokens[c] if tokens is not None else None for c in columns)

    def rows_of(self, name: str, table: pd.DataFrame, tokens: Mapping[str, object],
                needed: list[str], convert: Mapping[str, type],
                index: str | None = None) -> pd.DataFrame:
        """`_rows_of(table, ...)` as the piece `name`, keyed on the tokens of the table's
        columns. Where only some columns' tokens differ from the earlier case's and the same
        rows are kept (so the same labels), the earlier output is copied and only those
        columns are made anew."""
        columns = list(table.columns)
        key = (tuple(columns), *(tokens[c] for c in columns))
        old = self.earlier.get(name)

        def compute():
            keep = _kept(table, needed, index)
            if old is not None and old[0][0] == key[0] and old[1][1] == keep:
                before = dict(zip(columns, old[0][1:]))
                if index is None or before[index] is tokens[index]:
                    out = old[1][0].copy(deep=False)  # copy-on-write
                    changed = [c for c in columns if before[c] is not tokens[c]]
                    for column, data in _rows_from(table, keep, convert, index, changed,
                                                   out.index).items():
                        out[column] = data
                    return out, keep
            return _rows_from(table, keep, convert, index), keep

        return self.piece(name, key, compute)[0]

    def names(self, sheet, column) -> dict[str, str]:
        """Canonical spelling of each name defined in `sheet`, keyed by its lower case (a
        piece keyed on the column; not to be changed)."""
        name, key = f"names {sheet}.{column}", self.columns(sheet, column)
        done = self.pieces.get(name)
        if done is not None and _same_key(done[0], key):  # asked for again by this case
            return done[1]
        return self.piece(name, key, lambda: {
            v.lower(): v for v in self.table(sheet)[column].tolist() if isinstance(v, str)})

    def resolve(self, table, sheet, column, known: dict[str, str], what: str,
                unknown_warns: bool = False) -> pd.Series:
        """Map names to their canonical spelling; unknown names are problems (warnings with
        `unknown_warns`, the name then blank, so its row is left out)."""
        out = []
        for value, row in zip(table[column].tolist(), table[ROW].tolist()):
            if value is None:
                out.append(None)
                continue
            canonical = known.get(value.lower())
            if canonical is None and unknown_warns:
                self.found.warn(f"{self.found.at(sheet, row)}: {column} '{value}' has "
                                "no target; the row is ignored"
                                + did_you_mean(value, known.values()))
            elif canonical is None:
                listed = ", ".join(list(known.values())[:12])
                self.found.add(sheet, row, column, value,
                               f"{what} defined in the workbook ({listed})"
                               + did_you_mean(value, known.values()))
            out.append(canonical)
        return pd.Series(out, index=table.index, dtype=object)

    def build(self, source: str, sha256: str) -> Inputs:
        piece, typed = self.piece, self.typed.get

        def names(sheet, column):  # a key: the names in their order
            return tuple(self.names(sheet, column).items())

        member_names = names("members", "member")
        capability_names = names("capabilities", "capability")
        region_names = names("targets", "region")
        equipment_names = names("equipment", "equipment")

        # the targets' names resolved: a piece of its own, kept while the names are the same
        # (a sweep scales the targets, which changes only the target column)
        target_names = piece("target_names", (
            self.columns("targets", ROW, "capability", "region"), capability_names),
            self._target_names)
        targets = piece("targets", (typed("targets"), target_names),
                        lambda: self._targets(target_names))
        equipment = piece("equipment", (typed("equipment"), capability_names),
                          lambda: self._resolved("equipment", ("capability", dict(
                              capability_names), "a capability")))
        inventory = piece("inventory", (typed("inventory"), member_names, equipment_names),
                          lambda: self._member_table("inventory", dict(member_names), (
                              "equipment", dict(equipment_names), "an equipment type")))
        access = piece("access", (typed("access"), member_names, region_names),
                       lambda: self._member_table("access", dict(member_names), (
                           "region", dict(region_names), "a region named in targets"),
                           unknown_warns=True))
        quality = piece("quality", (typed("quality"), member_names, capability_names),
                        lambda: self._member_table("quality", dict(member_names), (
                            "capability", dict(capability_names), "a capability")))
        gdp_rows = piece("gdp", (typed("gdp"), member_names),
                         lambda: self._member_table("gdp", dict(member_names)))
        commitments = piece("commitments", (typed("commitments"), member_names),
                            lambda: self._member_table("commitments", dict(member_names)))
        piece("sources", (typed("sources"),), lambda: self._check_sources(self.table("sources")))
        members = self.table("members")

        piece("check_members", self.columns("members", ROW, *_MEMBER_CHECKS),
              lambda: self._check_members(members))
        if targets.empty and "targets" in self.typed:
            self.found.add("targets", None, None, _NOTHING, "at least one target row")
        if members.empty and "members" in self.typed:
            self.found.add("members", None, None, _NOTHING, "at least one member row")
        years = piece("years", self.columns("targets", "year"), lambda: tuple(sorted(
            {int(y) for y in targets["year"].tolist() if y is not None})))
        grid = piece("member_grid", (*self.columns("members", "member"), tuple(
            members["gdp"].isna().tolist()), years), lambda: _MemberGrid.of(members, list(years)))
        member_years = piece("member_years", (
            self.columns("members", ROW, *_MEMBER_PATHS), grid, gdp_rows, commitments),
            lambda: self._member_years(members, grid, gdp_rows, commitments))
        self._check_settings(members)

        numbers = ("gdp", "gdp_growth", "population", "personnel_available", "personnel_cost",
                   "floor_gdp_share", "cap_gdp_share", "baseline", "reliability")
        equipment_out = lambda: _rows_of(equipment, ["equipment"], {  # noqa: E731
            "effect": float, "unit_cost": float, "crew": float, "integer": bool},
            index="equipment")
        capabilities = self.table("capabilities")
        capabilities_out = lambda: _rows_of(capabilities, ["capability"], dict.fromkeys(  # noqa: E731
            [c for c in capabilities.columns if c not in (ROW, "capability")], float),
            index="capability")

        # outputs: pieces too (no problems), each handed out as a copy of the one kept;
        # members and targets keyed on their columns (`rows_of`: a sweep edits a column)
        out = {
            "members": self.rows_of("members_out", members, self.tokens["members"],
                                    ["member"], {**dict.fromkeys(numbers, float),
                                                 "absent": bool}, index="member"),
            "targets": self.rows_of("targets_out", targets, {
                **self.tokens["targets"], "capability": target_names, "region": target_names},
                ["capability", "region", "year", "target"],
                {"year": int, "target": float, "priority": float}),
        }
        outputs = {
            "equipment": (equipment_out, equipment),
            "capabilities": (capabilities_out, typed("capabilities")),
            "inventory": (lambda: _rows_of(inventory, ["member", "equipment", "units"],
                                           {"units": float}), inventory),
            "access": (lambda: _rows_of(access, ["member", "region", "allowed"],
                                        {"allowed": bool}), access),
            "quality": (lambda: _rows_of(quality, ["member", "capability", "multiplier"],
                                         {"multiplier": float}), quality),
            "scenarios": (lambda: self.table("scenarios").drop(columns=[ROW]).reset_index(
                drop=True), typed("scenarios")),
            "sources": (lambda: self.table("sources").drop(columns=[ROW]).reset_index(
                drop=True), typed("sources")),
        }
        out.update({name: piece(f"{name}_out", (on,), compute)
                    for name, (compute, on) in outputs.items()})
        out = {name: table.copy() for name, table in out.items()}
        tables = {name: table.copy() for name, table in self.typed.items()}
        return Inputs(
            source=source, sha256=sha256, settings=self.settings,
            member_years=member_years.copy(),
            warnings=tuple(self.found.warnings),
            tables=tables,
            _memo={"file": self.found.file, "kind": self.found.kind,
                   "labels": self.found.labels, "index_of": self.found.index_of,
                   "typed": {name: _TypedSheet(tables[name], table, self.tokens[name])
                             for name, table in self.typed.items()},
                   "pieces": self.pieces},
            **out,
        )

    def _target_names(self) -> pd.DataFrame:
        """The targets' capability and region columns, names canonical (unknown capabilities
        are problems)."""
        targets = self._resolved("targets", ("capability", dict(self.names(
            "capabilities", "capability")), "a capability"))
        region_names = self.names("targets", "region")
        targets["region"] = targets["region"].map(
            lambda r: region_names.get(r.lower()) if isinstance(r, str) else r)
        return targets[["capability", "region"]]

    def _targets(self, names: pd.DataFrame) -> pd.DataFrame:
        """The targets sheet with its names canonical (`_target_names`)."""
        targets = self.table("targets").copy(deep=False)  # copy-on-write
        for column in names.columns:
            targets[column] = names[column]
        return targets

    def _resolved(self, sheet, other) -> pd.DataFrame:
        """A copy of a sheet with the names in `other` = (column, known, what) canonical."""
        table = self.table(sheet).copy()
        column, known, what = other
        table[column] = self.resolve(table, sheet, column, known, what)
        return table

    def _member_table(self, sheet, member_names, other=None,
                      unknown_warns: bool = False) -> pd.DataFrame:
        """A copy of a sheet with its member names (and `other` = (column, known, what))
        canonical; with `unknown_warns`, an unknown name in `other` is a warning and its row
        is ignored (an access row for a region that has no target)."""
        table = self.table(sheet).copy()
        table["member"] = self.resolve(table, sheet, "member", member_names, "a member")
        if other is not None:
            column, known, what = other
            table[column] = self.resolve(table, sheet, column, known, what, unknown_warns)
        return table

    def _check_sources(self, sources: pd.DataFrame):
        for sheet, column, row in zip(sources["sheet"].tolist(), sources["column"].tolist(),
                                      sources[ROW].tolist()):
            named = SHEET_BY_NAME.get(_norm(sheet)) if sheet is not None else None
            if sheet is not None and named is None:
                self.found.add("sources", row, "sheet", sheet,
                               f"an input sheet ({', '.join(SHEET_BY_NAME)})")
            elif named is not None and column is not None and column.strip() != "*" and \
                    _norm(column) not in {c.name for c in named.columns}:
                listed = ", ".join(c.name for c in named.columns)
                self.found.add("sources", row, "column", column,
                               f"a column of sheet '{named.name}' ({listed}), or * for all")

    def _check_members(self, members: pd.DataFrame):
        for floor, cap, avail, cost, row in zip(
                *(members[c].tolist() for c in ("floor_gdp_share", "cap_gdp_share",
                                                "personnel_available", "personnel_cost", ROW))):
            if floor is not None and cap is not None and floor > cap:
                self.found.add("members", row, "floor_gdp_share", floor,
                               f"a floor no higher than the cap ({cap:g})")
            if avail is not None and avail > 0 and cost is None:
                self.found.add("members", row, "personnel_cost", None,
                               "a personnel cost where personnel_available > 0")

    def _member_years(self, members, grid: _MemberGrid, gdp_rows,
                      commitments) -> pd.DataFrame:
        """gdp[m,t], floor[m,t], cap[m,t], pledge[m,t] for every member and planning year."""
        columns = ("gdp", "gdp_growth", "floor_gdp_share", "cap_gdp_share", ROW)
        cells = [members[c].tolist() for c in columns]
        names, years, index, position = grid.names, grid.years, grid.index, grid.position
        gdp0, growth_of, floor0, cap0, rows = ([column[at] for at in grid.at]
                                               for column in cells)
        if not len(index):
            return pd.DataFrame(index=index).assign(gdp=[], floor_share=[], cap_share=[],
                                                    pledge=[])
        span = len(years)

        def per_year(values) -> np.ndarray:  # one value a member -> one a (member, year)
            return np.repeat(np.asarray(values, dtype=float), span)

        def filled(values, default):
            return [default if pd.isna(v) else v for v in values]

        growth = per_year(filled(growth_of, 0.0))
        year = np.tile(np.asarray(years, dtype=float), len(names))
        with np.errstate(over="ignore", invalid="ignore"):
            gdp = per_year(gdp0) * (1.0 + growth) ** (year - min(years))
        reported = set()
        for i in np.flatnonzero(~np.isfinite(gdp)):
            member = i // span
            if member not in reported:
                reported.add(member)
                self.found.add("members", int(rows[member]), "gdp_growth", growth_of[member],
                               "a growth rate whose GDP path stays finite over the planning "
                               "years")
        floor = per_year(filled(floor0, 0.0))
        cap = per_year(cap0)
        pledge = np.zeros(len(index))
        source_row = {}  # position of (member, year) -> (commitments row, column) that set it
        year_set = set(years)
        for member, year_, value, row in zip(*(gdp_rows[c].tolist() for c in
                                               ("member", "year", "gdp", ROW))):
            if pd.isna(member) or pd.isna(year_) or pd.isna(value):
                continue
            key = (member, int(year_))
            if key[1] not in year_set:
                self.found.warn(f"{self.found.at('gdp', row)}: year {key[1]} is not a planning "
                                "year; ignored")
            elif key in position:
                gdp[position[key]] = value
        targets = {"floor_gdp_share": floor, "cap_gdp_share": cap, "pledge": pledge}
        for member, year_, row, *values in zip(*(commitments[c].tolist() for c in (
                "member", "year", ROW, *targets))):
            if pd.isna(member) or pd.isna(year_):
                continue
            key = (member, int(year_))
            if key[1] not in year_set:
                self.found.warn(f"{self.found.at('commitments', row)}: year {key[1]} is not a "
                                "planning year; ignored")
                continue
            if key not in position:
                continue
            at = position[key]
            for (column, target), value in zip(targets.items(), values):
                if value is not None:
                    target[at] = value
                    if column != "pledge":
                        source_row[at] = (row, column)
        frame = pd.DataFrame({"gdp": gdp, "floor_share": floor, "cap_share": cap,
                              "pledge": pledge}, index=index)
        for at in np.flatnonzero(floor > cap):
            if at not in source_row:
                continue  # the members row itself: reported once by _check_members
            row, column = source_row[at]
            key = index[at]
            value = floor[at] if column == "floor_gdp_share" else cap[at]
            expected = f"a floor no higher than the cap ({cap[at]:g}) for {key[0]} in " \
                f"{key[1]}" if column == "floor_gdp_share" else \
                f"a cap no lower than the floor ({floor[at]:g}): the floor is above the cap " \
                f"({cap[at]:g}) for {key[0]} in {key[1]}"
            self.found.add("commitments", int(row), column, value, expected)
        return frame

    def _check_settings(self, members: pd.DataFrame):
        s = self.settings
        here = [not bool(a) for a in members["absent"].tolist()]
        count = sum(here)
        rules = {s.fair_share} if s.fair_share != "mixed" else {r for r, _ in
                                                                s.fair_share_weights}
        if "population" in rules:
            present = members[here] if len(members) else members
            for _, row in present.iterrows():
                if row["population"] is None:
                    self.found.add("members", row[ROW], "population", None,
                                   "a population, since the fair-share rule uses it")
            if count and all(p is not None for p in present["population"]) and \
                    sum(present["population"]) <= 0:
                self.found.add("members", None, "population", 0,
                               "populations summing to more than 0")
        rows = self.found.setting_rows
        if s.share_ceiling is not None and count and s.share_ceiling * count < 1:
            self.found.add("settings", rows.get("share_ceiling"), "value", s.share_ceiling,
                           f"a share ceiling of at least 1/{count} ({1 / count:.4g}) so that "
                           f"{count} members' fair shares can sum to 1")
        if s.share_floor is not None and count and s.share_floor * count > 1:
            self.found.add("settings", rows.get("share_floor"), "value", s.share_floor,
                           f"a share floor of at most 1/{count} ({1 / count:.4g}) so that "
                           f"{count} members' fair shares can sum to 1")
        if s.share_floor is not None and s.share_ceiling is not None and \
                s.share_floor > s.share_ceiling:
            self.found.add("settings", rows.get("share_floor"), "value", s.share_floor,
                           f"a share floor no higher than the share ceiling ({s.share_ceiling})")
        if count == 0 and len(members):
            self.found.add("members", None, "absent", _NOTHING, "at least one member present")


__all__ = ["INF", "InputError", "Inputs", "Problem", "Settings", "inputs_from_frames",
           "read_inputs"]
