"""The raw tables of an input: a workbook (.xlsx, read within its limits, uncalculated
formulas refused) or a folder of .csv files (separator and decimal comma detected) -> one
frame per sheet, cells as found, each record's Excel row number in the column `ROW`; and the
members sheet of a previous report as the `previous` sheet (`burden solve --previous`).
Typing and checking them is `sheets.py`'s and `checks.py`'s work."""

from __future__ import annotations

import csv
import hashlib
import math
import re
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from .errors import NOTHING as _NOTHING
from .errors import InputError, Problem
from .headers import internal_names
from .workbook_guard import EXCEL_ROWS, check_file_size, check_workbook, load_error, read_caps

ROW = "_row"  # the Excel row number of each raw record, kept beside the values


def with_previous_plan(frames, digest, labels, report: Path, max_file_mb, max_cells):
    """The input's tables with the `members` sheet of a previous report as its `previous`
    sheet (member, year, cost; Excel rows kept), the digest covering both files."""
    if not report.is_file() or report.suffix.lower() != ".xlsx":
        raise InputError([Problem(report.name, None, None, None, _NOTHING,
                                  "a report burden wrote (.xlsx), for --previous")])
    tables, report_digest = read_xlsx(report, max_file_mb, max_cells)
    members = next((t for name, t in tables.items() if norm(name) == "members"), None)
    if members is None:
        raise InputError([Problem(report.name, "members", None, None,
                                  f"sheets {', '.join(map(str, tables)) or 'none'}",
                                  "a members sheet (member, year, cost): a report burden "
                                  "wrote, for --previous")])
    members = members.set_axis(internal_names(members.columns), axis=1)
    missing = [c for c in ("member", "year", "cost") if c not in members.columns]
    if missing:
        held = ", ".join(str(c) for c in members.columns if c != ROW) or "none"
        raise InputError([Problem(report.name, "members", None, c, f"columns {held}",
                                  "a column of a burden report's members sheet (member, year, "
                                  "cost)") for c in missing])
    plan = members[["member", "year", "cost"]].copy()
    plan[ROW] = members[ROW] if ROW in members.columns else np.arange(2, len(plan) + 2)
    frames = {name: table for name, table in frames.items() if norm(name) != "previous"}
    frames["previous"] = plan
    labels = {**labels, "previous": f"file '{report.name}', sheet 'members'"}
    digest = hashlib.sha256(f"{digest}\n{report_digest}".encode()).hexdigest()
    return frames, digest, labels


def read_xlsx(path: Path, max_file_mb: float = 50,
               max_cells: int = 5_000_000) -> tuple[dict[str, pd.DataFrame], str]:
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
                if header is None and any(not blank(v) for v in row):
                    header = row
                    continue
                for index, value in enumerate(row):
                    if not (isinstance(value, str) and value.startswith("=")):
                        continue
                    known = frame is not None and number in set(frame[ROW]) and index < len(
                        header or ()) and header[index] in frame.columns
                    cached = frame.loc[frame[ROW] == number, header[index]].iloc[0] \
                        if known else None
                    if blank(cached):
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
        if number > cap_rows and not all(blank(v) for v in row):
            value = next(v for v in row if not blank(v))
            raise InputError([Problem(
                file, sheet, number, None, value,
                f"the sheet's data within its first {cap_rows:,} rows (the read limit that "
                f"--max-cells {max_cells:,} sets): delete what lies below the table, or raise "
                "--max-cells (read_inputs(path, max_cells=...))")])
        yield row


def read_csv_folder(folder: Path, max_file_mb: float = 50
                     ) -> tuple[dict[str, pd.DataFrame], str, dict[str, str]]:
    """Each `.csv` file of `folder` (the suffix in any case) as a raw table, the digest of
    them all, and how messages name each table ("file 'Members.CSV'"). A file separated by
    semicolons (what Excel writes where the decimal mark is a comma) is read as such, its
    decimal commas as decimal points."""
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
        labels[norm(file.stem)] = labels[file.stem] = f"file '{file.name}'"
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
        if all(blank(v) for v in row):
            continue
        if header is None:
            header = [str(v).strip() if not blank(v) else "" for v in row]
            continue
        records.append(list(row[: len(header)]) + [None] * (len(header) - len(row)))
        numbers.append(number)
    if header is None:
        return pd.DataFrame({ROW: pd.Series(dtype=int)})
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame = frame.loc[:, [h != "" for h in header]]
    frame[ROW] = numbers
    return frame


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or (
        isinstance(value, float) and math.isnan(value))


def norm(name) -> str:
    return str(name).strip().lower()
