"""Build inputs/alliance.xlsx, the shipped real-data example workbook (format: docs/workbook.md).

Member GDP, growth, population, personnel, personnel cost and baseline spending come from the
NATO and World Bank figures in data/ (data/SOURCES.md says where each column comes from), and
the path to 2035 from NATO's Hague Summit Declaration (2025): 5 % of GDP, at least 3.5 % core,
up to 1.5 % defence- and security-related. Everything about capabilities, targets, regions,
equipment, access, quality and rules is illustrative; the previous plan is the 2026-2030
example's own cheapest plan, frozen in data/previous_plan_2026_2030.csv. The workbook written
here is self-contained: nothing reads the CSVs at solve time. Re-running it on an unchanged
data/ rewrites alliance.xlsx byte for byte.

Usage:
    python inputs/build_alliance.py [DATA_DIR] [-o OUT] [--last-year YEAR]

DATA_DIR defaults to data/ in this repository; OUT defaults to inputs/alliance.xlsx. With
--last-year 2030 it writes the first five years of the same case (the tests' smaller real
case, tests/cases/alliance_2030.xlsx): every sheet as in alliance.xlsx, the rows of later
years left out.
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
HAGUE = "NATO, The Hague Summit Declaration (25 June 2025)"

AGGREGATES = {"NATO Total", "NATO Europe and Canada"}
BASE_YEAR = 2025  # baseline = spending in t0 - 1
T0 = 2026  # first planning year; members.gdp is GDP in this year
PATH_YEAR = 2035  # the Hague commitment's target year

# Policy / modelling choices (stated in the readme sheet)
MAX_GROWTH = 0.40  # ramp: cost may grow at most 40 % a year, first year against the 2025e baseline
FLOOR = 0.02  # 2014 Wales pledge: 2 % of GDP
PATH_TOTAL = 0.05  # 2025 Hague commitment: 5 % of GDP a year by 2035 ...
PATH_CORE = 0.035  # ... of which at least 3.5 % core defence (NATO definition)
RELATED_CAP = 0.015  # ... and up to 1.5 % defence- and security-related spending
CAP = 0.06  # most total spending: one point above the 2035 path, so the path stays feasible
DEPLOYABLE = 0.10  # deployable fraction of military personnel

# ---------------------------------------------------------------- illustrative model content
CAPABILITIES = [
    # capability, funding_effect (points per USD million), personnel_effect (points per person),
    # category (core: NATO's core defence; related: defence- and security-related)
    ("land", 1.0, 0.12, "core"),
    ("air", 0.8, 0.05, "core"),
    ("maritime", 0.7, 0.04, "core"),
    ("air_defence", 0.9, 0.06, "core"),
    ("cyber", 1.2, 0.30, "core"),
    ("resilience", 1.0, 0.02, "related"),
]

# Target in 2026, in USD million of funding it would take if met by funding alone
# (deterrence points = this x funding_effect), its yearly growth, and a risk-tier priority.
# Regions: east (eastern flank), north (High North and Baltic Sea), south (Mediterranean and
# Black Sea approaches).
TARGET_PLAN = {
    # (capability, region): (USD million 2026, yearly growth, priority)
    ("land", "east"): (415_000, 0.056, 3),
    ("air", "east"): (232_000, 0.056, 2),
    ("maritime", "east"): (55_000, 0.032, 1),
    ("air_defence", "east"): (183_000, 0.064, 3),
    ("cyber", "east"): (85_000, 0.048, 2),
    ("resilience", "east"): (72_000, 0.20, 2),
    ("land", "north"): (171_000, 0.04, 2),
    ("air", "north"): (152_000, 0.04, 2),
    ("maritime", "north"): (171_000, 0.04, 3),
    ("air_defence", "north"): (85_000, 0.04, 2),
    ("cyber", "north"): (55_000, 0.032, 1),
    ("resilience", "north"): (48_000, 0.20, 2),
    ("land", "south"): (140_000, 0.024, 1),
    ("air", "south"): (122_000, 0.028, 2),
    ("maritime", "south"): (152_000, 0.028, 2),
    ("air_defence", "south"): (85_000, 0.028, 2),
    ("cyber", "south"): (43_000, 0.024, 1),
    ("resilience", "south"): (36_000, 0.18, 1),
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

RULES = [
    # rule, measure, member, capability, region, year, per, sense, value, share
    ("east_funding", "funding", None, None, "east", None, "year", ">=", None, 0.5),
    ("baltic_north", "personnel", "Estonia, Latvia, Lithuania", None, "north", None, "year",
     ">=", 2500, None),
]

PREVIOUS_PLAN = "previous_plan_2026_2030.csv"  # last year's plan (data/SOURCES.md)


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
                "related_cap_gdp_share": RELATED_CAP,
                "absent": False,
            }
        )
    members = pd.DataFrame(rows)
    if len(members) != 31 or members.isna().any().any():
        raise SystemExit("expected 31 complete member rows")
    return members


def build_targets(years: list[int]) -> list[tuple]:
    ef = {c: f for c, f, *_ in CAPABILITIES}
    rows = []
    for (cap, region), (money, growth, prio) in TARGET_PLAN.items():
        for t in years:
            points = money * ef[cap] * (1 + growth) ** (t - T0)
            rows.append((cap, region, t, int(round(points, -3)), prio))
    rows.sort(key=lambda r: (r[1], r[0], r[2]))
    return rows


def real_growth(data_dir: Path) -> pd.Series:
    """NATO Table 5 GDP at constant 2021 prices, 2026e / 2025e - 1, by member."""
    raw = pd.read_csv(data_dir / "nato_members.csv")
    real = raw.pivot(index="member", columns="year", values="gdp_usd_million_2021prices")
    return (real[2026] / real[2025] - 1).round(6)


def build_gdp(members: pd.DataFrame, growth: pd.Series, years: list[int]) -> list[tuple]:
    """GDP 2027 on: 2026e GDP grown at the member's real 2026e growth (2026 prices)."""
    rows = []
    for r in members.itertuples():
        for t in years[1:]:
            rows.append((r.member, t, int(round(r.gdp * (1 + growth[r.member]) ** (t - T0)))))
    return rows


def path_share(b: float, goal: float, t: int) -> float:
    """docs/model.md section 8: the least share of GDP in year t on the path to `goal`."""
    if b >= goal:
        return goal
    return b + (goal - b) * min(1.0, (t - (T0 - 1)) / (PATH_YEAR - (T0 - 1)))


def check_feasible_floors(members: pd.DataFrame, gdp_of: dict, years: list[int]) -> None:
    """Each member's floor, pledge and path must be reachable under its cap and the ramp:
    walking back from the last year, what year t needs (its own least spending, and enough
    that the ramp can reach the next year's) must fit under the cap, and the first year's
    within (1 + max_growth) x baseline."""
    pledges = {(m, t): pledge for m, t, _f, _c, pledge in COMMITMENTS if pledge is not None}
    for r in members.itertuples():
        b = r.baseline / (r.gdp / (1 + r.gdp_growth))
        need = 0.0
        for t in reversed(years):
            g = gdp_of[(r.member, t)]
            least = max(r.floor_gdp_share, path_share(b, PATH_TOTAL, t)) * g
            least = max(least, pledges.get((r.member, t), 0.0))
            need = max(least, need / (1 + MAX_GROWTH))
            if need > r.cap_gdp_share * g + 1e-9:
                raise SystemExit(f"{r.member} {t}: needs {need:.0f}, above its cap")
        if need > (1 + MAX_GROWTH) * r.baseline + 1e-9:
            raise SystemExit(f"{r.member} {T0}: needs {need:.0f}, beyond the ramp")


def least_max_change(members: pd.DataFrame, gdp_of: dict, previous: list[tuple]) -> tuple:
    """The smallest max_change the floors, path and caps alone allow against the previous
    plan (a necessary condition, not a solve): (delta, member, year)."""
    rows = members.set_index("member")
    worst = (0.0, "", 0)
    for m, t, before in previous:
        r = rows.loc[m]
        g = gdp_of[(m, t)]
        b = r.baseline / (r.gdp / (1 + r.gdp_growth))
        least = max(r.floor_gdp_share, path_share(b, PATH_TOTAL, t)) * g
        need = max(least / before - 1, 1 - r.cap_gdp_share * g / before)
        worst = max(worst, (need, m, t))
    return worst


def load_previous(data_dir: Path, members: pd.DataFrame) -> list[tuple]:
    plan = pd.read_csv(data_dir / PREVIOUS_PLAN)
    if set(plan["member"]) != set(members["member"]):
        raise SystemExit(f"{PREVIOUS_PLAN}: not the same members as the members sheet")
    return [(r.member, int(r.year), float(r.cost)) for r in plan.itertuples()]


def readme_rows(members: pd.DataFrame, least_change: tuple, last_year: int) -> list[tuple]:
    low = members[members["floor_gdp_share"] < FLOOR]
    low_txt = ", ".join(f"{r.member} {r.floor_gdp_share:.4f}" for r in low.itertuples())
    ramp = f"{1 + MAX_GROWTH:.2f}"
    b = members["baseline"] / (members["gdp"] / (1 + members["gdp_growth"]))
    above = ", ".join(members.loc[b >= PATH_CORE, "member"])
    first_step = (b + (PATH_TOTAL - b) / (PATH_YEAR - T0 + 1)) * members["gdp"] \
        / members["baseline"]
    steepest = members.loc[first_step.idxmax(), "member"]
    change, changer, change_year = least_change
    shortened = "" if last_year == PATH_YEAR else f" (the {T0}-{PATH_YEAR} case cut short)"
    return [
        (
            "what",
            f"burden example input: the 31 NATO allies that report defence data, planning "
            f"years {T0}-{last_year}{shortened} on NATO's Hague path to 5 % of GDP, three regions "
            f"(east, north, south), six capability areas (five core, one defence- and "
            f"security-related). Format: docs/workbook.md. Built by inputs/build_alliance.py "
            f"from the NATO and World Bank figures in data/ (see data/SOURCES.md); the "
            f"workbook itself is self-contained.",
        ),
        (
            "attribution",
            NATO_ATTRIBUTION + ", 2026 edition (Tables 2, 5, 7, 8a). "
            "Population: " + WORLD_BANK + ", 2024. The path: " + HAGUE + ".",
        ),
        (
            "real: gdp",
            "members.gdp = GDP 2026e, USD million, current prices and exchange rates "
            "(NATO Table 5). 2025 and 2026 are NATO estimates.",
        ),
        (
            "real: gdp_growth",
            "derived: NATO Table 5 GDP 2026e / 2025e - 1 (nominal USD growth, so it "
            "includes exchange-rate movements, e.g. Norway +14 %). It fixes the 2025 GDP "
            "the path starts from (GDP 2026e / (1 + gdp_growth) = GDP 2025e), so each "
            "ally's path starts at its 2025e share; later years come from the gdp sheet.",
        ),
        (
            "real: gdp sheet",
            f"GDP {T0 + 1}-{PATH_YEAR} = GDP 2026e x (1 + real growth)^(year - 2026), real "
            f"growth = NATO Table 5 GDP at constant 2021 prices 2026e / 2025e - 1: money in "
            f"2026 USD, so the 2026 exchange-rate jump is not compounded over ten years.",
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
            f"members.baseline = 2025e core defence expenditure, USD million, current prices "
            f"(NATO Table 2): where each ally's path starts. With max_growth {MAX_GROWTH} "
            f"the 2026 cost is at most {ramp} x baseline.",
        ),
        (
            "policy: the Hague path",
            f"settings path_year {PATH_YEAR}, path_total_share {PATH_TOTAL}, path_core_share "
            f"{PATH_CORE}: every ally spends at least a straight line of GDP shares from its "
            f"2025e share to 5 % of GDP in total and 3.5 % on core defence in {PATH_YEAR} "
            f"(docs/model.md section 8); allies already above 3.5 % core ({above}) keep at "
            f"least 3.5 % core from 2026. The path binds "
            f"hardest on the allies furthest below 5 % in 2025. The declaration's 2029 review "
            f"is not modelled.",
        ),
        (
            "policy: related spending",
            f"capability resilience (infrastructure, civil preparedness and resilience, "
            f"innovation, industrial base) has category related; members."
            f"related_cap_gdp_share {RELATED_CAP} caps it at 1.5 % of GDP, the Hague "
            f"declaration's 'up to 1.5 %'. The other five capabilities are core.",
        ),
        (
            "policy: cap_gdp_share",
            f"{CAP} of GDP on total spending: one point above the 2035 path. A cap of 5 % "
            f"would sit exactly on the path in 2035 and leave no room to carry more than "
            f"the path anywhere; the cap is a modelling choice, not NATO's.",
        ),
        (
            "policy: floor_gdp_share",
            f"0.02 (2014 Wales pledge, 2 % of GDP), except where the ramp cannot reach 2 % "
            f"of 2026e GDP from the 2025e baseline; there the floor is {ramp} x baseline / "
            f"GDP 2026e rounded down: {low_txt}.",
        ),
        (
            "policy: max_growth",
            f"{MAX_GROWTH}: the path's first step, from 2025e spending to a share of 2026e "
            f"GDP (up to 14 % higher in USD on exchange rates alone), needs up to "
            f"{(first_step.max() - 1) * 100:.0f} % more in 2026 ({steepest}), so a 25 % ramp "
            f"would make "
            f"the path infeasible.",
        ),
        (
            "illustrative: rules",
            "the rules sheet is illustrative, not NATO policy: east_funding, funding on the "
            "eastern flank at least 50 % of all funding each year (it binds in most years "
            "and costs nothing: money moves east and persons elsewhere; at 55 % it has a "
            "price, try --set rules[east_funding].share=0.55); baltic_north, Estonia, Latvia "
            "and Lithuania together at least 2,500 persons in the north each year (of their "
            "3,360 deployable).",
        ),
        (
            "illustrative: previous plan",
            f"the previous sheet is last year's plan: the cheapest plan of this example as it "
            "was for 2026-2030 (5 % cap, no path, smaller targets), frozen in "
            "data/previous_plan_2026_2030.csv. tie_break previous_plan: among the cheapest "
            "plans, the one closest to it in 2026-2030, then closest to fair shares. "
            f"max_change is left blank: the new targets, GDP path and Hague path move the plan "
            f"a long way from last year's, and no max_change under {change * 100:.0f} % can "
            f"hold ({changer} {change_year}: its path is {change * 100:.0f} % above its cost "
            f"in last year's plan); at 75 % the plan is feasible and costs the same (try "
            f"--set settings.max_change=0.75).",
        ),
        (
            "illustrative",
            "reliability (1.0 for all), capabilities and their effects, regions, "
            "targets and priorities, equipment, inventory (round numbers, NOT real "
            "holdings: NATO publishes none), access exceptions, quality "
            "multipliers, the Poland 2027 pledge, the rules, the previous plan and "
            "the settings are illustrative choices, not NATO figures.",
        ),
        (
            "units",
            "money in USD million (2026 prices from 2027 on); deterrence in points: "
            "funding_effect points per USD million, personnel_effect points per person, "
            "equipment effect points per unit-year. Targets are sized from a USD-million "
            "need x funding_effect, core ones rising 2.4-6.4 % a year (fastest in the east), "
            "resilience 18-20 % a year from a small start.",
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


def sources_rows(members: pd.DataFrame) -> list[tuple]:
    nato = "NATO, Defence Expenditure of NATO Countries (2014-2026)"
    est = "2025 and 2026 are NATO estimates; tables: " + NATO_TABLES
    low = ", ".join(members.loc[members["floor_gdp_share"] < FLOOR, "member"])
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
            "2025e value; the path starts from it. " + est,
        ),
        (
            "members",
            "floor_gdp_share",
            "NATO Wales Summit Declaration (2014): 2 % of GDP",
            "policy value",
            f"lowered for {low} so the {MAX_GROWTH:.0%} ramp can reach it",
        ),
        (
            "members",
            "cap_gdp_share",
            "modelling choice, above " + HAGUE,
            "policy value",
            f"{CAP:.0%} of GDP on total spending, one point above the {PATH_YEAR} path",
        ),
        (
            "members",
            "related_cap_gdp_share",
            HAGUE + ": up to 1.5 % of GDP on defence- and security-related spending",
            "policy value",
            "caps the related capability (resilience)",
        ),
        ("members", "reliability", "illustrative", "", "1.0 for every member"),
        (
            "settings",
            "value",
            HAGUE + ": 5 % of GDP a year by 2035, at least 3.5 % core defence (NATO "
            "definition), on a credible incremental path",
            "policy value",
            "path_year, path_total_share, path_core_share: a straight line of GDP shares "
            "from each ally's 2025e share (docs/model.md "
            "section 8); the 2029 review is not modelled",
        ),
        (
            "gdp",
            "*",
            nato + ", Table 5 (constant 2021 prices)",
            NATO_EDITION,
            "derived: GDP 2026e x (1 + real growth 2026e/2025e)^(year - 2026), 2026 prices. "
            + est,
        ),
        ("capabilities", "*", "illustrative", "",
         "category: resilience is related (infrastructure, resilience), the rest core"),
        ("targets", "*", "illustrative", "", "sized to be reachable between floors and caps"),
        ("equipment", "*", "illustrative", "", ""),
        ("inventory", "*", "illustrative", "", "round numbers, not real holdings"),
        ("access", "*", "illustrative", "", ""),
        ("quality", "*", "illustrative", "", ""),
        ("commitments", "*", "illustrative", "", ""),
        ("rules", "*", "illustrative", "", "planners' own limits, not NATO policy"),
        (
            "previous",
            "*",
            "illustrative",
            "",
            "last year's plan: the cheapest plan of the 2026-2030 example as it was, frozen "
            "in data/previous_plan_2026_2030.csv",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--last-year", type=int, default=PATH_YEAR,
                    help="the last planning year (default %(default)s); an earlier one "
                         "writes the same case cut short, the path still aimed at "
                         f"{PATH_YEAR}")
    args = ap.parse_args(argv)
    if not T0 <= args.last_year <= PATH_YEAR:
        ap.error(f"--last-year must be between {T0} and {PATH_YEAR}")
    years = list(range(T0, args.last_year + 1))

    members = load_members(args.data_dir)
    gdp_rows = build_gdp(members, real_growth(args.data_dir), years)
    gdp_of = {(m, t): g for m, t, g in gdp_rows} | {(r.member, T0): r.gdp
                                                    for r in members.itertuples()}
    check_feasible_floors(members, gdp_of, years)
    previous = [row for row in load_previous(args.data_dir, members) if row[1] in years]

    settings = [
        ("objective", "min_cost"),
        ("fair_share", "gdp"),
        ("currency", "USD million"),
        ("max_growth", MAX_GROWTH),
        ("allow_shortfall", True),
        ("path_year", PATH_YEAR),
        ("path_total_share", PATH_TOTAL),
        ("path_core_share", PATH_CORE),
        ("tie_break", "previous_plan"),
        ("time_limit", 120),
    ]
    sheets = {
        "readme": (["item", "text"],
                   readme_rows(members, least_max_change(members, gdp_of, previous),
                               args.last_year)),
        "settings": (["key", "value"], settings),
        "members": (list(members.columns), [tuple(r) for r in members.itertuples(index=False)]),
        "capabilities": (["capability", "funding_effect", "personnel_effect", "category"],
                         CAPABILITIES),
        "targets": (["capability", "region", "year", "target", "priority"], build_targets(years)),
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
        "rules": (["rule", "measure", "member", "capability", "region", "year", "per", "sense",
                   "value", "share"], RULES),
        "previous": (["member", "year", "cost"], previous),
        "sources": (["sheet", "column", "source", "edition", "note"], sources_rows(members)),
    }
    write_workbook(args.out, sheets)
    print(f"wrote {args.out} ({len(members)} members)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
