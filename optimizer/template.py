"""`burden template`: a workbook with every sheet and column of the schema, one example row
each (consistent, so `burden validate` accepts it), and a `readme` sheet explaining them."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from .report import save_atomically
from .schema import OVERRIDE_PATHS, SETTINGS, SHEETS

# Names that other sheets refer to, so the example rows agree with each other.
_EXAMPLE_NAMES = {"member": "Poland", "capability": "maritime", "region": "east",
                  "equipment": "frigate", "year": 2026}


# A second member and a second region, so the example's access row (Poland may not act in
# the south) leaves Poland the east to spend in and the south to Italy: the example solves.
_MORE_ROWS = {
    "members": [["Italy", 2000000, 0.01, 59.0, 30000, 0.04, 0.02, 0.05, 35000, 1.0, 0.01,
                 0.015, False]],
    "targets": [["maritime", "south", 2026, 30000, 1]],
}
_ACCESS_REGION = "south"


def _example_row(sheet) -> list:
    if sheet.name == "settings":
        return []
    row = []
    for col in sheet.columns:
        if sheet.name == "access" and col.name == "region":
            row.append(_ACCESS_REGION)
        elif col.name in _EXAMPLE_NAMES and sheet.name not in ("sources", "rules"):
            row.append(_EXAMPLE_NAMES[col.name])
        else:
            row.append(col.example)
    return row


def write_template(path) -> Path:
    """Write the template to `path` (via a temporary file and a rename)."""
    path = Path(path)
    book = Workbook()
    readme = book.active
    readme.title = "readme"
    readme.append(["burden input workbook: one sheet per table; names of sheets and columns are "
                   "matched case-insensitively. Required columns are marked below."])
    readme.append([])
    readme.append(["sheet", "column", "required", "expected", "default", "unit", "meaning"])
    for cell in readme[3]:
        cell.font = Font(bold=True)
    for sheet in SHEETS:
        readme.append([sheet.name, "", "sheet required" if sheet.required else "optional sheet",
                       "", "", "", sheet.doc])
        for col in sheet.columns:
            readme.append([sheet.name, col.name, "yes" if col.required else "", col.expected(),
                           "" if col.default is None else str(col.default), col.unit, col.doc])
    readme.append([])
    readme.append(["settings keys", "", "", "", "", "", ""])
    for s in SETTINGS:
        readme.append(["settings", s.key, "", " | ".join(s.choices) or s.kind,
                       "" if s.default is None else str(s.default), "", s.doc])
    readme.append([])
    readme.append(["override paths", "", "", "", "", "", "the columns of the scenarios sheet "
                   "(after scenario), and what --set and --grid take"])
    for override, meaning in OVERRIDE_PATHS:
        readme.append(["scenarios", override, "", "", "", "", meaning])
    readme.append([])
    readme.append(["priority (targets sheet) is a risk tier: the shortfall index weighs a "
                   "target's relative shortfall by it, so a tier-3 target is filled before a "
                   "tier-1 target when not all can be met."])
    readme.column_dimensions["A"].width = 14
    readme.column_dimensions["B"].width = 22
    readme.column_dimensions["D"].width = 34
    readme.column_dimensions["G"].width = 70

    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        header = [c.name for c in sheet.columns]
        if sheet.name == "scenarios":
            header.append("targets[east].scale")
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        if sheet.name == "settings":
            for s in SETTINGS:
                ws.append([s.key, s.default if s.key != "fair_share_weights" else None])
        else:
            row = _example_row(sheet)
            if sheet.name == "scenarios":
                row.append(1.2)
            ws.append(row)
            for more in _MORE_ROWS.get(sheet.name, []):
                ws.append(more)
        for index, _ in enumerate(header, start=1):
            ws.column_dimensions[ws.cell(1, index).column_letter].width = 20

    save_atomically(book, path)
    return path
