"""Checks on a workbook file made before openpyxl parses any of it.

A planner's workbook comes from many hands. Before a single XML byte is parsed, `check_workbook`
refuses, each with one located `Problem` naming the file:

- a file larger than `max_file_mb` (CLI `--max-file-mb`, default 50);
- a file that is not a zip archive ("not an .xlsx workbook"), an empty one, and a damaged or
  truncated one (`BadZipFile`);
- a password-protected workbook (Excel saves those as an OLE2 compound file holding an
  `EncryptionInfo` stream) and an old binary Office file (.xls);
- a macro-enabled workbook (.xlsm/.xltm/.xlam, an `xl/vbaProject.bin` part, or a
  `macroEnabled` content type), refused by name;
- an archive whose sheets declare more XML than `max_cells` cells need (CLI `--max-cells`,
  default 5,000,000; about `BYTES_PER_CELL` bytes a cell), whose parts together declare more
  than twice that, or a large part compressed more than `MAX_RATIO`:1 (the mark of a zip bomb).

The declared sizes come from the zip's central directory (`ZipInfo.file_size`); they are an
honest bound because Python's `zipfile` never yields more bytes than a part declares (a part
that inflates further fails its CRC check instead). These checks read no part's data except
`[Content_Types].xml`, which is read only once its declared size has passed.

XML entity bombs and external entities are refused by defusedxml, which openpyxl uses when it is
installed (a hard dependency); `ensure_defused_xml` checks that it really is in use, and
`load_error` turns whatever openpyxl raises while loading into one line.

`read_caps(max_cells)` gives the rows and columns read per sheet, so a sheet with one far-away
cell (XFD1048576) cannot make the reader pad a million rows of 16,384 cells.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

from .errors import NOTHING as _NOTHING
from .errors import InputError, Problem

MB = 1024 * 1024
DEFAULT_MAX_FILE_MB = 50.0
DEFAULT_MAX_CELLS = 5_000_000
BYTES_PER_CELL = 30  # a cell's XML is rarely shorter: <c r="B12"><v>0.25</v></c> is 26 bytes
MAX_RATIO = 200  # genuine sheet XML compresses 5-20:1; deflate's ceiling is about 1030:1
RATIO_FLOOR = MB  # parts declaring less than this are too small to matter, whatever the ratio
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam")
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTION_NAMES = ("EncryptionInfo".encode("utf-16-le"), b"EncryptedPackage",
                     "EncryptedPackage".encode("utf-16-le"))
_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_MAX = 4 * MB  # a real one is a few kB


def _problem(path: Path, expected: str):
    return Problem(path.name, None, None, None, _NOTHING, expected)


def _refuse(path: Path, expected: str):
    return InputError([_problem(path, expected)])


def _mb(size: float) -> str:
    return f"{size / MB:,.3g} MB" if size < 100 * MB else f"{size / MB:,.0f} MB"


def check_file_size(path, max_file_mb: float = DEFAULT_MAX_FILE_MB) -> None:
    """Refuse a file larger than `max_file_mb` megabytes (1 MB = 1,048,576 bytes)."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_file_mb * MB:
        raise _refuse(path, f"a file of at most {max_file_mb:g} MB, not {_mb(size)}: raise the "
                            "limit with --max-file-mb (read_inputs(path, max_file_mb=...)) if "
                            "the file is genuine")


def check_workbook(path, *, max_file_mb: float = DEFAULT_MAX_FILE_MB,
                   max_cells: int = DEFAULT_MAX_CELLS) -> None:
    """Raise `InputError` (one problem naming the file) unless `path` looks like an .xlsx
    workbook that is safe to hand to openpyxl within the limits; return None otherwise."""
    path = Path(path)
    ensure_defused_xml()
    if path.suffix.lower() in MACRO_SUFFIXES:
        raise _macros(path, f"a {path.suffix} file")
    check_file_size(path, max_file_mb)
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise _refuse(path, "a readable .xlsx workbook, but this file is empty")
    if head == OLE2_MAGIC:
        raise _ole2(path)
    if not head.startswith(b"PK"):
        raise _refuse(path, "a readable .xlsx workbook, but this file is not an .xlsx "
                            "workbook at all (an .xlsx is a zip archive; this is some other "
                            "kind of file)")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(path, archive, max_cells)
    except zipfile.BadZipFile as exc:
        raise _refuse(path, "a complete .xlsx workbook: the file is damaged or truncated "
                            f"({exc}); save it again from Excel") from None
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:  # unreadable archive
        raise _refuse(path, "a complete .xlsx workbook: the archive cannot be read "
                            f"({type(exc).__name__}: {exc}); save it again from Excel") from None


def _macros(path: Path, why: str):
    return _refuse(path, f"an .xlsx workbook without macros: this one is macro-enabled ({why}); "
                         "burden never reads macro workbooks: save a copy as 'Excel Workbook "
                         "(.xlsx)' and use that")


def _ole2(path: Path):
    with open(path, "rb") as handle:  # the file is within max_file_mb by now
        data = handle.read()
    if any(name in data for name in _ENCRYPTION_NAMES):
        return _refuse(path, "an .xlsx workbook without a password: this one is "
                             "password-protected (encrypted); remove the password in Excel "
                             "(File > Info > Protect Workbook > Encrypt with Password) and save "
                             "it again")
    return _refuse(path, "an .xlsx workbook: this is an older binary Office file (.xls or "
                         "similar); open it in Excel and save it as 'Excel Workbook (.xlsx)'")


def _check_archive(path: Path, archive: zipfile.ZipFile, max_cells: int) -> None:
    infos = archive.infolist()
    names = {info.filename.lower(): info for info in infos}
    for name in names:
        if name.rsplit("/", 1)[-1] == "vbaproject.bin":
            raise _macros(path, f"it holds {name}")
    sheet_bytes = sum(info.file_size for name, info in names.items()
                      if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    sheet_limit = max_cells * BYTES_PER_CELL
    if sheet_bytes > sheet_limit:
        raise _refuse(path, f"a workbook of at most {max_cells:,} cells: its sheets declare "
                            f"{_mb(sheet_bytes)} of XML, room for about "
                            f"{sheet_bytes // BYTES_PER_CELL:,} cells; raise the limit with "
                            "--max-cells (read_inputs(path, max_cells=...)) if the workbook is "
                            "genuine")
    total = sum(info.file_size for info in infos)
    if total > 2 * sheet_limit:
        raise _refuse(path, f"an archive that unpacks to at most {_mb(2 * sheet_limit)} (twice "
                            f"the sheets' allowance under --max-cells {max_cells:,}): its parts "
                            f"declare {_mb(total)}; raise --max-cells if the workbook is genuine")
    for info in infos:
        if info.file_size > RATIO_FLOOR and \
                info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _refuse(path, f"parts compressed at most {MAX_RATIO}:1: {info.filename} "
                                f"unpacks {ratio:,.0f}:1 ({_mb(info.compress_size)} to "
                                f"{_mb(info.file_size)}), the mark of a zip bomb")
    types = names.get(_CONTENT_TYPES.lower())
    if types is not None and types.file_size <= _CONTENT_TYPES_MAX:
        with archive.open(types) as handle:
            text = handle.read(_CONTENT_TYPES_MAX).lower()
        if b"macroenabled" in text:
            raise _macros(path, "its content types say macroEnabled")


def read_caps(max_cells: int = DEFAULT_MAX_CELLS) -> tuple[int, int]:
    """(rows, columns) read from each sheet: a rectangle of about `max_cells` cells, long and
    narrow as input tables are (250 columns by 20,000 rows under the default 5,000,000).

    Anything to the right of the columns is ignored like any other unnamed column; a value
    below the rows is an input error (`inputs.py`), so nothing is dropped silently."""
    max_cells = max(1, int(max_cells))
    columns = min(EXCEL_COLUMNS, max(26, max_cells // 20_000))
    rows = min(EXCEL_ROWS, max(2, math.ceil(max_cells / columns)))
    return rows, columns


def ensure_defused_xml() -> None:
    """Raise RuntimeError unless openpyxl parses XML through defusedxml (which refuses entity
    declarations, so no 'billion laughs' and no external entity is ever expanded)."""
    import openpyxl.xml
    import openpyxl.xml.functions as functions

    if not (openpyxl.xml.DEFUSEDXML and
            getattr(functions.iterparse, "__module__", "").startswith("defusedxml")):
        raise RuntimeError(
            "openpyxl is not using defusedxml to parse XML (is defusedxml installed, and "
            "OPENPYXL_DEFUSEDXML unset or True?): burden refuses to read workbooks without it")


def load_error(exc: BaseException) -> str:
    """What to tell a planner when openpyxl fails on a workbook that passed the checks: one
    line, naming an unsafe XML construct when that was the cause."""
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml is a hard dependency
        DefusedXmlException = ()  # noqa: N806
    chain, seen = [], set()
    cause = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for cause in chain:
        if DefusedXmlException and isinstance(cause, DefusedXmlException):
            return ("an .xlsx workbook without XML entity declarations or external references: "
                    f"this one has them ({type(cause).__name__}: {_one_line(cause)}), which "
                    "burden refuses as unsafe; save the workbook again from Excel")
    root = chain[-1]
    return (f"a readable .xlsx workbook: it could not be read ({type(root).__name__}: "
            f"{_one_line(root)}); save it again from Excel")


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["DEFAULT_MAX_CELLS", "DEFAULT_MAX_FILE_MB", "check_file_size", "check_workbook",
           "ensure_defused_xml", "load_error", "read_caps"]
