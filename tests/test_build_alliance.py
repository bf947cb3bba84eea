"""inputs/alliance.xlsx is rebuilt from the repository's own data/ and cites its publishers.

`inputs/build_alliance.py`, run with no arguments on a clone, reads data/ and must write the
shipped workbook again: every sheet's cells equal, and the file itself byte for byte (the
builder fixes the dates inside the archive). With `--last-year 2030` it writes the tests'
smaller real case, tests/cases/alliance_2030.xlsx: the same sheets, the rows of later years
left out. The `sources` sheet names the NATO publications and the World Bank series, not a
copy of them somewhere on GitHub.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "inputs" / "alliance.xlsx"
SHORT = ROOT / "tests" / "cases" / "alliance_2030.xlsx"
BUILDER = ROOT / "inputs" / "build_alliance.py"
SHEETS = ["readme", "settings", "members", "capabilities", "targets", "equipment", "inventory",
          "access", "quality", "commitments", "gdp", "rules", "previous", "sources"]


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


@pytest.mark.parametrize("shipped, arguments", [(SHIPPED, []), (SHORT, ["--last-year", "2030"])],
                         ids=["alliance", "alliance_2030"])
def test_the_builder_rewrites_the_shipped_workbook_from_data(tmp_path, shipped, arguments):
    out = tmp_path / shipped.name
    run = subprocess.run([sys.executable, str(BUILDER), "-o", str(out), *arguments],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout and "(31 members)" in run.stdout
    rebuilt, cells = _cells(out), _cells(shipped)
    assert list(rebuilt) == list(cells) == SHEETS
    for sheet in cells:
        assert rebuilt[sheet] == cells[sheet], \
            f"sheet {sheet} differs: run python inputs/build_alliance.py {' '.join(arguments)} " \
            f"and commit the result"
    assert out.read_bytes() == shipped.read_bytes()


def test_the_short_case_is_the_shipped_one_cut_at_2030():
    whole, short = _cells(SHIPPED), _cells(SHORT)
    for sheet in SHEETS:
        if sheet == "readme":
            continue
        header, *rows = whole[sheet]
        if "year" in header:
            at = header.index("year")
            rows = [row for row in rows if row[at] is None or row[at] <= 2030]
        assert short[sheet] == [header, *rows], sheet
    assert {row[2] for row in short["targets"][1:]} == set(range(2026, 2031))
    readme = dict(short["readme"][1:])
    assert "2026-2030 (the 2026-2035 case cut short)" in readme["what"]


def test_an_impossible_last_year_is_refused(tmp_path):
    run = subprocess.run([sys.executable, str(BUILDER), "-o", str(tmp_path / "x.xlsx"),
                          "--last-year", "2040"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "--last-year must be between 2026 and 2035" in run.stderr


def test_the_data_it_reads_is_in_the_repository():
    data = ROOT / "data"
    for name in ("nato_members.csv", "nato_members_2025_wide.csv",
                 "nato_defence_share_gdp_2014_2026.csv", "previous_plan_2026_2030.csv",
                 "SOURCES.md"):
        assert (data / name).is_file(), name
    sources = (data / "SOURCES.md").read_text()
    assert "Defence Expenditure of NATO Countries (2014-2026)" in sources
    assert "SP.POP.TOTL" in sources
    assert "The Hague Summit Declaration" in sources and "previous_plan_2026_2030.csv" in sources


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
    hague = "NATO, The Hague Summit Declaration (25 June 2025)"
    for key in (("settings", "value"), ("members", "related_cap_gdp_share")):
        assert cited[key].startswith(hague), key
    assert cited[("gdp", "*")].startswith(nato)
    for sheet in ("rules", "previous"):
        assert cited[(sheet, "*")] == "illustrative", sheet
    text = " ".join(str(cell) for row in body for cell in row if cell is not None)
    assert "github" not in text.lower()
