"""inputs/alliance.xlsx is rebuilt from the repository's own data/ and cites its publishers.

`inputs/build_alliance.py`, run with no arguments on a clone, reads data/ and must write the
shipped workbook again: every sheet's cells equal, and the file itself byte for byte (the
builder fixes the dates inside the archive). The `sources` sheet names the NATO publication
and the World Bank series, not a copy of them somewhere on GitHub.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "inputs" / "alliance.xlsx"
BUILDER = ROOT / "inputs" / "build_alliance.py"


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


def test_the_builder_rewrites_the_shipped_workbook_from_data(tmp_path):
    out = tmp_path / "alliance.xlsx"
    run = subprocess.run([sys.executable, str(BUILDER), "-o", str(out)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout and "(31 members)" in run.stdout
    rebuilt, shipped = _cells(out), _cells(SHIPPED)
    assert list(rebuilt) == list(shipped)
    for sheet in shipped:
        assert rebuilt[sheet] == shipped[sheet], \
            f"sheet {sheet} differs: run python inputs/build_alliance.py and commit the result"
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_the_data_it_reads_is_in_the_repository():
    data = ROOT / "data"
    for name in ("nato_members.csv", "nato_members_2025_wide.csv",
                 "nato_defence_share_gdp_2014_2026.csv", "SOURCES.md"):
        assert (data / name).is_file(), name
    sources = (data / "SOURCES.md").read_text()
    assert "Defence Expenditure of NATO Countries (2014-2026)" in sources
    assert "SP.POP.TOTL" in sources


def test_the_sources_sheet_cites_the_publishers():
    rows = _cells(SHIPPED)["sources"]
    header, body = rows[0], rows[1:]
    assert header == ("sheet", "column", "source", "edition", "note")
    cited = {(sheet, column): source for sheet, column, source, *_ in body}
    nato = "NATO, Defence Expenditure of NATO Countries (2014-2026)"
    for column in ("member", "gdp", "gdp_growth", "personnel_available", "personnel_cost",
                   "baseline"):
        assert cited[("members", column)].startswith(nato), column
    assert "Population, total (SP.POP.TOTL)" in cited[("members", "population")]
    assert cited[("members", "population")].startswith("World Bank")
    text = " ".join(str(cell) for row in body for cell in row if cell is not None)
    assert "github" not in text.lower()
