"""Build inputs/alliance.xlsx, the shipped real-data example workbook (format: docs/workbook.md).

Member GDP, growth, population, personnel, personnel cost and baseline spending come from the
NATO and World Bank figures in data/ (data/SOURCES.md says where each column comes from);
everything about capabilities, targets, regions, equipment, access and quality is
illustrative. The workbook written here is self-contained: nothing reads the CSVs at solve
time. Re-running it on an unchanged data/ rewrites alliance.xlsx byte for byte.

Usage:
    python inputs/build_alliance.py [DATA_DIR] [-o OUT]

DATA_DIR defaults to data/ in this repository; OUT defaults to inputs/alliance.xlsx.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _xlsx import write_workbook  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_OUT = Path(__file__).resolve().parent / "alliance.xlsx"

NATO_ATTRIBUTION = "Source: NATO, Defence Expenditure of NATO Countries (2014-2026)"
NATO_EDITION = "2026 edition (2014-2026), Excel tables def-exp-2026-en.xlsx"
NATO_TABLES = "https://www.nato.int/content/dam/nato/webready/documents/finance/def-exp-2026-en.xlsx"
WORLD_BANK = "World Bank, World Development Indicators: Population, total (SP.POP.TOTL)"
WB_EDITION = "2024 values (World Bank open data)"

AGGREGATES = {"NATO Total", "NATO Europe and Canada"}
BASE_YEAR = 2025  # baseline = spending in t0 - 1
T0 = 2026  # first planning year; members.gdp is GDP in this year
YEARS = list(range(T0, T0 + 5))

# Policy / modelling choices (stated in the readme sheet)
MAX_GROWTH = 0.25  # ramp: cost may grow at most 25 % a year, first year against the 2025e baseline
FLOOR = 0.02  # 2014 Wales pledge: 2 % of GDP
CAP = 0.05  # 2025 Hague goal: 5 % of GDP (used here as a cap on core spending)
DEPLOYABLE = 0.10  # deployable fraction of military personnel

# ---------------------------------------------------------------- illustrative model content
CAPABILITIES = [
    # capability, funding_effect (points per USD million), personnel_effect (points per person)
    ("land", 1.0, 0.12),
    ("air", 0.8, 0.05),
    ("maritime", 0.7, 0.04),
    ("air_defence", 0.9, 0.06),
    ("cyber", 1.2, 0.30),
]

# Target in 2026, in USD million of funding it would take if met by funding alone
# (deterrence points = this x funding_effect), its yearly growth, and a risk-tier priority.
# Regions: east (eastern flank), north (High North and Baltic Sea), south (Mediterranean and
# Black Sea approaches).
TARGET_PLAN = {
    # (capability, region): (USD million 2026, yearly growth, priority)
    ("land", "east"): (340_000, 0.12, 3),
    ("air", "east"): (190_000, 0.12, 2),
    ("maritime", "east"): (45_000, 0.06, 1),
    ("air_defence", "east"): (150_000, 0.14, 3),
    ("cyber", "east"): (70_000, 0.10, 2),
    ("land", "north"): (140_000, 0.10, 2),
    ("air", "north"): (125_000, 0.10, 2),
    ("maritime", "north"): (140_000, 0.10, 3),
    ("air_defence", "north"): (70_000, 0.10, 2),
    ("cyber", "north"): (45_000, 0.08, 1),
    ("land", "south"): (115_000, 0.06, 1),
    ("air", "south"): (100_000, 0.07, 2),
    ("maritime", "south"): (125_000, 0.07, 2),
    ("air_defence", "south"): (70_000, 0.07, 2),
    ("cyber", "south"): (35_000, 0.06, 1),
}

EQUIPMENT = [
    # equipment, capability, effect (points per unit-year), unit_cost (USD million per unit-year),
    # crew (persons per unit), integer
    ("frigate", "maritime", 800, 450, 180, True),
    ("fighter_squadron", "air", 400, 350, 300, False),
    ("sam_battery", "air_defence", 250, 180, 100, False),
    ("armoured_brigade", "land", 5000, 2000, 3000, False),
]

INVENTORY = [
    ("United States", "frigate", 40),
    ("United States", "fighter_squadron", 60),
    ("United States", "sam_battery", 30),
    ("United States", "armoured_brigade", 6),
    ("United Kingdom", "frigate", 12),
    ("United Kingdom", "fighter_squadron", 8),
    ("France", "frigate", 15),
    ("France", "fighter_squadron", 10),
    ("Germany", "armoured_brigade", 3),
    ("Germany", "sam_battery", 12),
    ("Italy", "frigate", 10),
    ("Poland", "armoured_brigade", 4),
    ("Poland", "sam_battery", 8),
    ("Turkiye", "frigate", 16),
    ("Spain", "frigate", 11),
    ("Netherlands", "sam_battery", 6),
]

ACCESS = [
    # member, region, allowed: exceptions only; every other pair is allowed
    ("Albania", "north", False),
    ("Montenegro", "north", False),
    ("North Macedonia", "north", False),
    ("Estonia", "south", False),
    ("Latvia", "south", False),
    ("Lithuania", "south", False),
]

QUALITY = [
    ("Estonia", "cyber", 1.3),
    ("Finland", "land", 1.1),
    ("Norway", "maritime", 1.1),
    ("United States", "air", 1.1),
    ("Hungary", "maritime", 0.5),
    ("Luxembourg", "land", 0.8),
]

COMMITMENTS = [
    # member, year, floor_gdp_share, cap_gdp_share, pledge (USD million); None = blank cell
    ("Poland", 2027, None, None, 56_000),
]

GDP_OVERRIDES = [
    # member, year, gdp (USD million): Norway's 2026e USD GDP jumps 14 %; hold it flat in 2027
    ("Norway", 2027, None),  # filled in from the 2026e value below
]


def floor_to(x: float, digits: int) -> float:
    q = 10**digits
    return math.floor(x * q) / q


def load_members(data_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(data_dir / "nato_members.csv")
    raw = raw[~raw["member"].isin(AGGREGATES)]
    has_data = raw.groupby("member")["defence_expenditure_usd_million"].transform(
        lambda s: s.notna().any()
    )
    skipped = sorted(set(raw.loc[~has_data, "member"]))
    if skipped != ["Iceland"]:
        raise SystemExit(f"expected only Iceland without defence data, found {skipped}")
    raw = raw[has_data]

    def pivot(col: str) -> pd.DataFrame:
        return raw.pivot(index="member", columns="year", values=col)

    gdp = pivot("gdp_usd_million")
    exp = pivot("defence_expenditure_usd_million")
    pers = pivot("military_personnel_thousands")
    pshare = pivot("personnel_spend_share_pct")
    pop = raw[raw["year"] == 2024].set_index("member")["population_million_wb2024"]
    est = raw.pivot(index="member", columns="year", values="estimate")
    if not (est[2025] == "yes").all() or not (est[2026] == "yes").all():
        raise SystemExit("expected NATO to flag 2025 and 2026 as estimates")

    rows = []
    for m in sorted(gdp.index):
        g26, g25 = float(gdp.at[m, 2026]), float(gdp.at[m, 2025])
        base = float(exp.at[m, BASE_YEAR])
        pcost = pshare.at[m, 2025] / 100 * exp.at[m, 2025] / (pers.at[m, 2025] * 1000)
        floor = FLOOR
        reach = (1 + MAX_GROWTH) * base / g26  # highest 2026 share the ramp allows
        if FLOOR > reach:
            floor = floor_to(reach, 4)
        rows.append(
            {
                "member": m,
                "gdp": int(g26) if g26.is_integer() else g26,
                "gdp_growth": round(g26 / g25 - 1, 6),
                "population": float(pop[m]),
                "personnel_available": int(round(DEPLOYABLE * pers.at[m, 2026] * 1000)),
                "personnel_cost": round(float(pcost), 6),
                "floor_gdp_share": floor,
                "cap_gdp_share": CAP,
                "baseline": int(base) if base.is_integer() else base,
                "reliability": 1.0,
                "absent": False,
            }
        )
    members = pd.DataFrame(rows)
    if len(members) != 31 or members.isna().any().any():
        raise SystemExit("expected 31 complete member rows")
    return members


def build_targets() -> list[tuple]:
    ef = {c: f for c, f, _ in CAPABILITIES}
    rows = []
    for (cap, region), (money, growth, prio) in TARGET_PLAN.items():
        for t in YEARS:
            points = money * ef[cap] * (1 + growth) ** (t - T0)
            rows.append((cap, region, t, int(round(points, -3)), prio))
    rows.sort(key=lambda r: (r[1], r[0], r[2]))
    return rows


def check_feasible_floors(members: pd.DataFrame, gdp_over: dict) -> None:
    """Each member's floor must be reachable under its cap and under the ramp, every year."""
    for r in members.itertuples():
        for t in YEARS:
            g = gdp_over.get((r.member, t), r.gdp * (1 + r.gdp_growth) ** (t - T0))
            lo, hi = r.floor_gdp_share * g, r.cap_gdp_share * g
            ramp = (1 + MAX_GROWTH) ** (t - T0 + 1) * r.baseline
            if not lo <= min(hi, ramp) + 1e-9:
                raise SystemExit(
                    f"{r.member} {t}: floor {lo:.0f} above cap {hi:.0f} or ramp {ramp:.0f}"
                )
    for m, t, _f, _c, pledge in COMMITMENTS:
        r = members.set_index("member").loc[m]
        g = gdp_over.get((m, t), r.gdp * (1 + r.gdp_growth) ** (t - T0))
        ramp = (1 + MAX_GROWTH) ** (t - T0 + 1) * r.baseline
        if pledge is not None and not pledge <= min(r.cap_gdp_share * g, ramp):
            raise SystemExit(f"{m} {t}: pledge {pledge} above cap or ramp")


def readme_rows(members: pd.DataFrame) -> list[tuple]:
    low = members[members["floor_gdp_share"] < FLOOR]
    low_txt = ", ".join(f"{r.member} {r.floor_gdp_share:.4f}" for r in low.itertuples())
    return [
        (
            "what",
            "burden example input: the 31 NATO allies that report defence data, planning "
            "years 2026-2030, three regions (east, north, south), five capability areas. "
            "Format: docs/workbook.md. Built by inputs/build_alliance.py from the NATO and "
            "World Bank figures in data/ (see data/SOURCES.md); the workbook itself is "
            "self-contained.",
        ),
        (
            "attribution",
            NATO_ATTRIBUTION + ", 2026 edition (Tables 2, 5, 7, 8a). "
            "Population: " + WORLD_BANK + ", 2024.",
        ),
        (
            "real: gdp",
            "members.gdp = GDP 2026e, USD million, current prices and exchange rates "
            "(NATO Table 5). 2025 and 2026 are NATO estimates.",
        ),
        (
            "real: gdp_growth",
            "derived: NATO Table 5 GDP 2026e / 2025e - 1 (nominal USD growth, so "
            "it includes exchange-rate movements, e.g. Norway +14 %); applied "
            "to every later year.",
        ),
        (
            "real: population",
            "members.population = World Bank SP.POP.TOTL 2024, in MILLIONS of "
            "persons (only feeds population fair shares).",
        ),
        (
            "real: personnel_available",
            "persons = 10 % (an assumed deployable fraction) of NATO "
            "Table 7 military personnel 2026e (thousands x 1000).",
        ),
        (
            "real: personnel_cost",
            "derived, USD million per person-year = NATO Table 8a personnel "
            "share 2025e x Table 2 expenditure 2025e / Table 7 personnel "
            "2025e. The personnel share includes pensions, so this "
            "overstates the cost of a serving person.",
        ),
        (
            "real: baseline",
            "members.baseline = 2025e core defence expenditure, USD million, "
            "current prices (NATO Table 2). With max_growth 0.25 the 2026 cost is "
            "at most 1.25 x baseline.",
        ),
        (
            "policy: floor_gdp_share",
            f"0.02 (2014 Wales pledge, 2 % of GDP), except where the "
            f"ramp cannot reach 2 % of 2026e GDP from the 2025e baseline; "
            f"there the floor is 1.25 x baseline / GDP 2026e rounded "
            f"down: {low_txt}.",
        ),
        (
            "policy: cap_gdp_share",
            "0.05 (the 2025 Hague goal of 5 % of GDP, of which 3.5 % core; "
            "used here as a cap on core spending).",
        ),
        (
            "illustrative",
            "reliability (1.0 for all), capabilities and their effects, regions, "
            "targets and priorities, equipment, inventory (round numbers, NOT real "
            "holdings: NATO publishes none), access exceptions, quality "
            "multipliers, the Poland 2027 pledge, the Norway 2027 GDP override and "
            "the settings are illustrative choices, not NATO figures.",
        ),
        (
            "units",
            "money in USD million (current prices); deterrence in points: funding_effect "
            "points per USD million, personnel_effect points per person, equipment effect "
            "points per unit-year. Targets are sized from a USD-million need x "
            "funding_effect, rising 6-14 % a year (fastest in the east).",
        ),
        (
            "left out",
            "Iceland: no armed forces and no row in NATO's expenditure tables (its GDP "
            "is only in NATO's totals), so it is not a member row here.",
        ),
        (
            "data quirks",
            "Netherlands: NATO Table 3 share (real terms) is higher than nominal "
            "spending / nominal GDP; this workbook uses nominal USD throughout. "
            "Luxembourg's GDP series appears to be GNI-based. Fiscal years are "
            "labelled by the calendar year holding most of their months.",
        ),
    ]


def sources_rows() -> list[tuple]:
    nato = "NATO, Defence Expenditure of NATO Countries (2014-2026)"
    est = "2025 and 2026 are NATO estimates; tables: " + NATO_TABLES
    return [
        (
            "members",
            "member",
            nato,
            NATO_EDITION,
            "the 31 allies with defence data; Iceland has no row and is left out",
        ),
        (
            "members",
            "gdp",
            nato + ", Table 5 (current prices and exchange rates, million USD)",
            NATO_EDITION,
            "2026e value. " + est,
        ),
        (
            "members",
            "gdp_growth",
            nato + ", Table 5",
            NATO_EDITION,
            "derived: GDP 2026e / GDP 2025e - 1 (nominal USD). " + est,
        ),
        (
            "members",
            "population",
            WORLD_BANK,
            WB_EDITION,
            "2024 value, million persons",
        ),
        (
            "members",
            "personnel_available",
            nato + ", Table 7 (military personnel, thousands)",
            NATO_EDITION,
            "derived: 10 % (assumption) of 2026e personnel, in persons. " + est,
        ),
        (
            "members",
            "personnel_cost",
            nato + ", Table 8a (personnel share), Table 2 (current USD), Table 7",
            NATO_EDITION,
            "derived: personnel share 2025e x expenditure 2025e / personnel 2025e, USD million per "
            "person-year; share includes pensions. " + est,
        ),
        (
            "members",
            "baseline",
            nato + ", Table 2 (core defence expenditure, current prices, million USD)",
            NATO_EDITION,
            "2025e value. " + est,
        ),
        (
            "members",
            "floor_gdp_share",
            "NATO Wales Summit Declaration (2014): 2 % of GDP",
            "policy value",
            "lowered for Albania and Slovenia so the 25 % ramp can reach it",
        ),
        (
            "members",
            "cap_gdp_share",
            "NATO Hague Summit Declaration (2025): 5 % of GDP",
            "policy value",
            "used as a cap on core spending",
        ),
        ("members", "reliability", "illustrative", "", "1.0 for every member"),
        ("capabilities", "*", "illustrative", "", ""),
        ("targets", "*", "illustrative", "", "sized to be reachable between floors and caps"),
        ("equipment", "*", "illustrative", "", ""),
        ("inventory", "*", "illustrative", "", "round numbers, not real holdings"),
        ("access", "*", "illustrative", "", ""),
        ("quality", "*", "illustrative", "", ""),
        ("commitments", "*", "illustrative", "", ""),
        ("gdp", "*", "illustrative", "", "Norway 2027 held at its 2026e value"),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    members = load_members(args.data_dir)
    gdp_rows = []
    for m, t, g in GDP_OVERRIDES:
        if g is None:
            g = members.set_index("member").at[m, "gdp"]
        gdp_rows.append((m, t, g))
    check_feasible_floors(members, {(m, t): g for m, t, g in gdp_rows})

    settings = [
        ("objective", "min_cost"),
        ("fair_share", "gdp"),
        ("currency", "USD million"),
        ("max_growth", MAX_GROWTH),
        ("allow_shortfall", True),
        ("tie_break", "fair_share"),
        ("time_limit", 120),
    ]
    sheets = {
        "readme": (["item", "text"], readme_rows(members)),
        "settings": (["key", "value"], settings),
        "members": (list(members.columns), [tuple(r) for r in members.itertuples(index=False)]),
        "capabilities": (["capability", "funding_effect", "personnel_effect"], CAPABILITIES),
        "targets": (["capability", "region", "year", "target", "priority"], build_targets()),
        "equipment": (
            ["equipment", "capability", "effect", "unit_cost", "crew", "integer"],
            EQUIPMENT,
        ),
        "inventory": (["member", "equipment", "units"], INVENTORY),
        "access": (["member", "region", "allowed"], ACCESS),
        "quality": (["member", "capability", "multiplier"], QUALITY),
        "commitments": (
            ["member", "year", "floor_gdp_share", "cap_gdp_share", "pledge"],
            COMMITMENTS,
        ),
        "gdp": (["member", "year", "gdp"], gdp_rows),
        "sources": (["sheet", "column", "source", "edition", "note"], sources_rows()),
    }
    write_workbook(args.out, sheets)
    print(f"wrote {args.out} ({len(members)} members)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
