"""Write a plain, reproducible .xlsx for the shipped example workbooks (shared by the builders).

Every sheet gets its header in row 1 and one row per record, no blank rows; numbers are written
as numbers, booleans as TRUE/FALSE cells, None as a blank cell. The file is byte-for-byte
reproducible: the document dates and the zip entry times are fixed, so rebuilding an unchanged
workbook leaves git clean.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_W3CDTF = "2026-01-01T00:00:00Z"


def _native(v):
    """numpy / pandas scalars to plain Python, so openpyxl types the cell correctly."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and v != v:  # NaN -> blank
        return None
    return v


def write_workbook(path: Path, sheets: dict[str, tuple[Sequence[str], Iterable[Sequence]]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(header))
        for c in ws[1]:
            c.font = bold
        for row in rows:
            row = [_native(v) for v in row]
            if len(row) != len(header):
                raise ValueError(f"{name}: row {row} does not match header {header}")
            ws.append(row)
        ws.freeze_panes = "A2"
        for i, h in enumerate(header, start=1):
            width = max(
                [len(str(h))]
                + [len(str(ws.cell(r, i).value or "")) for r in range(2, min(ws.max_row, 200) + 1)]
            )
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 100)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        _make_reproducible(Path(tmp), path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _make_reproducible(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=dst.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "docProps/core.xml":
                    data = re.sub(
                        rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                        rb"\g<1>" + FIXED_W3CDTF.encode() + rb"\g<3>",
                        data,
                    )
                zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o644 << 16
                zout.writestr(zi, data)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
