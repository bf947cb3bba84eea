"""The shipped example's report as a ministry reader sees it: rendered by LibreOffice to PDF
(`soffice --headless --convert-to pdf`), a sensible number of pages, every chart on a page of
its own and none of them blank. Skipped, saying why, where LibreOffice or poppler is missing
(Debian: apt-get install libreoffice-calc poppler-utils)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from optimizer import read_inputs, solve, write_report
from optimizer.report import build_report, save_atomically

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("soffice", "pdfinfo", "pdftotext", "pdftoppm")
MISSING = [tool for tool in TOOLS if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{', '.join(MISSING)} not installed: the rendered report needs "
    "LibreOffice and poppler (apt-get install libreoffice-calc poppler-utils)")

#: The titles of the charts sheet's charts (2030: the last year of the shipped example's first
#: five years, tests/cases/alliance_2030.xlsx, the case rendered here).
CHART_TITLES = ["Burden by member, 2030", "Share of the alliance's cost against fair share",
                "Cost share against fair share, 2030", "Spending path by member",
                "The alliance's total cost and burden by year", "Contributions by region, 2030"]
#: 31 allies over 5 years: brief, summary, ~4 pages of members, ~3 of fairness, ~14 of
#: allocation, ~3 of deterrence, stages, inputs, sources, 6 charts, ~5 of chart data.
PAGES = range(30, 56)
#: A chart is drawn when its page has at least this many times the saturated pixels of the
#: same page rendered with the chart data's numbers removed (axes, titles and legends only).
DRAWN = 1.5


def run(*command, cwd=None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, (command, done.stdout, done.stderr)
    return done.stdout


def to_pdf(report: Path) -> Path:
    folder = report.parent
    profile = (folder / "profile").as_uri()  # a profile of its own: no lock on the user's
    run("soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
        "--outdir", str(folder), str(report), cwd=folder)
    pdf = report.with_suffix(".pdf")
    assert pdf.exists()
    return pdf


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rendered")
    result = solve(read_inputs(ROOT / "tests" / "cases" / "alliance_2030.xlsx"))
    pdf = to_pdf(write_report(result, folder / "alliance-report.xlsx"))
    info = dict(line.split(":", 1) for line in run("pdfinfo", str(pdf)).splitlines()
                if ":" in line)
    pages = int(info["Pages"])
    texts = [run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-")
             for n in range(1, pages + 1)]
    return folder, pdf, texts, result


@pytest.fixture(scope="module")
def blanked(rendered, tmp_path_factory):
    """The same report with every number of the chart data removed: its charts are blank."""
    folder = tmp_path_factory.mktemp("blanked")
    workbook = build_report(rendered[3])
    for row in workbook["chart data"].iter_rows():
        for cell in row:
            if isinstance(cell.value, int | float):
                cell.value = None
    report = folder / "blank-report.xlsx"
    save_atomically(workbook, report)
    return folder, to_pdf(report)


def coloured_share(folder: Path, pdf: Path, page: int) -> float:
    """The share of a page's pixels in a saturated colour (bars, lines, markers; not the
    black text, grey grid lines or white paper)."""
    from PIL import Image

    stem = folder / f"page-{page}"
    run("pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-singlefile",
        str(pdf), str(stem))
    hsv = np.asarray(Image.open(f"{stem}.png").convert("HSV"))
    return float(((hsv[..., 1] > 80) & (hsv[..., 2] > 60)).mean())


def test_the_report_prints_on_a_sensible_number_of_pages(rendered):
    texts = rendered[2]
    assert len(texts) in PAGES, len(texts)
    assert "Brief: alliance_2030.xlsx" in texts[0]
    assert "Item" in texts[1] and "Total cost, the plan's (USD million)" in texts[1]


def test_every_table_page_repeats_its_header(rendered):
    texts = rendered[2]
    for text in texts:
        if "members, page" in text:  # (the headers wrap: their words on lines of their own)
            assert "Personnel" in text and "Cost (USD" in text
        if "allocation, page" in text:
            assert "Deterrence" in text and "Quantity (USD" in text


def test_every_chart_is_on_a_page_of_its_own_and_none_is_blank(rendered, blanked):
    folder, pdf, texts, _ = rendered
    pages = {}
    charts = [n for n, text in enumerate(texts, start=1) if "charts, page" in text]
    assert len(charts) == len(CHART_TITLES)
    for title in CHART_TITLES:
        found = [n for n in charts if title in " ".join(texts[n - 1].split())]
        assert len(found) == 1, (title, found)
        pages[title] = found[0]
    assert len(set(pages.values())) == len(CHART_TITLES)
    for title, page in pages.items():
        drawn, blank = coloured_share(folder, pdf, page), coloured_share(*blanked, page)
        assert drawn >= DRAWN * blank + 0.001, (title, page, drawn, blank)
