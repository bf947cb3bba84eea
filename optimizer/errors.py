"""The one exception a planner's input raises, `InputError`, carrying every `Problem` found,
each located as a planner would look for it (file, sheet, Excel row, column, the value found
and what was expected). Every module that checks input raises these; none other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The `value` of a problem about something missing (a sheet, a column): nothing was found.
NOTHING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as a planner would look for it."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: object
    expected: str
    #: how the table is named, where it is not a workbook's sheet: "file 'members.csv'" (a
    #: folder of CSV files), "frame 'members'" (`inputs_from_frames`)
    table: str | None = None
    #: the row's label in its DataFrame's index (`inputs_from_frames`; `row` is then None)
    index: object = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet and self.table != "":
            where.append(self.table or f"sheet '{self.sheet}'")
        if self.index is not None:
            where.append(f"index {self.index!r}")
        elif self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        found = "" if self.value is NOTHING else f"found {_show(self.value)}, "
        return f"{', '.join(where)}: {found}expected {self.expected}"


def _show(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "a blank cell"
    if isinstance(value, str):
        return repr(value)
    return str(value)


class InputError(Exception):
    """Every problem found in an input, raised once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
