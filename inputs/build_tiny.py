"""Build inputs/tiny.xlsx: a two-member case whose optimum is computed by hand in inputs/TINY.md.

Usage:
    python inputs/build_tiny.py [-o OUT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _xlsx import write_workbook  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "tiny.xlsx"

MEMBERS_HEADER = [
    "member",
    "gdp",
    "gdp_growth",
    "population",
    "personnel_available",
    "personnel_cost",
    "floor_gdp_share",
    "cap_gdp_share",
    "reliability",
    "absent",
]
MEMBERS = [
    # Alpha: small, with 20 cheap persons (0.25 per person-year), cap 2 % of GDP = 20
    ("Alpha", 1000, 0, 10, 20, 0.25, 0.01, 0.02, 1, False),
    # Beta: three times Alpha's GDP, dear persons (1.0 per person-year), cap 5 % of GDP = 150
    ("Beta", 3000, 0, 20, 100, 1.0, 0.01, 0.05, 1, False),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    sheets = {
        "readme": (
            ["item", "text"],
            [
                (
                    "what",
                    "Tiny hand-checked case: 2 members, 1 capability, 1 region, 1 year, no "
                    "equipment. Every number is made up. The optimum is derived step by step "
                    "in inputs/TINY.md and checked by tests/test_shipped_examples.py.",
                ),
                (
                    "expected",
                    "status optimal; shortfall_index 0; objective_value 145; total_cost "
                    "145; cost Alpha 20 (at its cap), Beta 125.",
                ),
            ],
        ),
        "settings": (
            ["key", "value"],
            [
                ("objective", "min_cost"),
                ("fair_share", "gdp"),
                ("allow_shortfall", True),
                ("tie_break", "fair_share"),
                ("currency", "USD million"),
            ],
        ),
        "members": (MEMBERS_HEADER, MEMBERS),
        "capabilities": (
            ["capability", "funding_effect", "personnel_effect"],
            [
                ("land", 1.0, 0.5),
            ],
        ),
        "targets": (
            ["capability", "region", "year", "target", "priority"],
            [
                ("land", "east", 2026, 150, 1),
            ],
        ),
    }
    write_workbook(args.out, sheets)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
