"""The README's column reference is generated from the schema that drives validation."""

from pathlib import Path

from optimizer.schema import column_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_opens_with_the_two_commands():
    head = README.read_text().split("\n\n", 2)[1]
    assert "make run" in head and "make test" in head


def test_readme_column_reference_matches_schema():
    assert column_reference() in README.read_text(), \
        "regenerate the README's column reference from optimizer.schema.column_reference()"
