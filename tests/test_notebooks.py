"""Every notebook in notebooks/ runs from top to bottom without an error, and is committed
without outputs.

The notebooks run with nbclient on a `python3` kernel whose spec is written for this test into
a temporary folder (put first on JUPYTER_PATH), so the kernel is this interpreter whatever
kernelspecs the machine has; PYTHONPATH puts this checkout first, so the kernel imports this
tree's `optimizer`. The working directory is notebooks/, as in Jupyter.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

#: Run first in every notebook: which interpreter, which package, which folder.
PROBE = "import os, sys, optimizer\nprint(sys.executable)\nprint(optimizer.__file__)\nprint(os.getcwd())"


def test_the_notebooks_are_there():
    assert "quickstart.ipynb" in [p.name for p in PATHS]


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {number} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {number} has a count"
            assert "execution" not in cell.metadata, f"{path.name} cell {number} timings"


@pytest.fixture
def kernel(tmp_path, monkeypatch) -> str:
    """A `python3` kernelspec running this interpreter, first on the Jupyter path."""
    from ipykernel.kernelspec import write_kernel_spec

    spec = write_kernel_spec(tmp_path / "kernels" / "python3")
    assert Path(spec, "kernel.json").is_file()
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return "python3"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_runs(path, kernel):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=300, kernel_name=kernel,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, naming the cell, if one fails

    probe = "".join(o.get("text", "") for o in nb.cells[0].outputs).splitlines()
    assert probe[0] == sys.executable
    assert Path(probe[1]).resolve() == ROOT / "optimizer" / "__init__.py"
    assert Path(probe[2]).resolve() == NOTEBOOKS
    for number, cell in enumerate(nb.cells[1:], start=1):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{path.name} cell {number}: {output}"
            if output.output_type == "stream" and output.name == "stderr":
                assert "Warning" not in output.text, f"{path.name} cell {number}: {output.text}"
