"""The documentation stays true to the code and to the repository.

- docs/workbook.md's column reference is generated from the schema that drives validation;
- the README opens with the two commands and links into docs/;
- every relative link in the README and docs/ leads to a file of the repository;
- no tracked text file names a path outside the repository.
"""

import re
import subprocess
from pathlib import Path

import pytest

from optimizer.schema import column_reference

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = ["model.md", "workbook.md", "report.md", "cli.md", "notebooks.md", "pyomo.md",
         "architecture.md", "decisions.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_opens_with_the_two_commands():
    head = README.read_text().split("\n\n", 2)[1]
    assert "make run" in head and "make test" in head


def test_readme_links_every_page_of_docs():
    text = README.read_text()
    for page in PAGES:
        assert (DOCS / page).is_file(), page
        assert f"docs/{page}" in text, f"the README does not link docs/{page}"


def test_workbook_column_reference_matches_schema():
    assert column_reference() in (DOCS / "workbook.md").read_text(), \
        "regenerate docs/workbook.md's column reference from optimizer.schema.column_reference()"


@pytest.mark.parametrize("page", [README, *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_relative_links_lead_to_files(page):
    for target in LINK.findall(page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links {target}, which is missing"


def _tracked_text_files():
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): walk the tree
        paths = [p for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts
                 and ".git" not in p.parts]
    else:
        paths = [ROOT / name for name in listed.stdout.splitlines()]
    for path in paths:
        if path.suffix in {".py", ".md", ".ipynb", ".toml", ".txt", ".cfg", ".json", ""} \
                and path.is_file():
            yield path


OUTSIDE = re.compile(r"\.\./shared|(?<![\w/])shared/(?:data|reference)|"
                     r"(?<![\w/.])(?:MODEL|WORKBOOK|ARCHITECTURE|STYLE)\.md")


def test_nothing_names_a_path_outside_the_repository():
    found = []
    for path in _tracked_text_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_modules_import_one_way_with_no_circle():
    """The import graph of the packages (every import, at the top or inside a function) has no
    circle; a new one fails here."""
    import ast

    graph = {}
    for path in sorted((ROOT / "optimizer").glob("*.py")) + sorted((ROOT / "models").glob("*.py")):
        package = path.parent.name
        name = package if path.stem == "__init__" else f"{package}.{path.stem}"
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level and not node.module:
                found.update(f"{package}.{alias.name}" for alias in node.names)  # submodules
            elif isinstance(node, ast.ImportFrom):
                module = f"{package}.{node.module}" if node.level else (node.module or "")
                found.add(module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m.split(".")[0] in ("optimizer", "models")}

    def reaches(start, goal, seen):
        for step in graph.get(start, ()):
            if step == goal or (step not in seen and (seen.add(step) or reaches(step, goal,
                                                                                 seen))):
                return True
        return False

    circles = {tuple(sorted((a, b))) for a in graph for b in graph[a]
               if b in graph and b != a and reaches(b, a, set())}
    assert not circles, sorted(circles)


def test_no_api_name_is_also_a_submodule():
    """`optimizer.<name>` is one thing: an API function or class never shares its name with a
    module of the package (importing the module would rebind the name)."""
    import optimizer

    clashes = [name for name in optimizer._API if (ROOT / "optimizer" / f"{name}.py").exists()]
    assert not clashes
    import optimizer.coalitions  # noqa: F401
    import optimizer.stages  # noqa: F401

    assert callable(optimizer.solve) and callable(optimizer.shapley)
    assert optimizer.coalitions.shapley_exact and optimizer.stages.Resolver
