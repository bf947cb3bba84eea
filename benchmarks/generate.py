"""Random but plausible benchmark workbooks in the input format of docs/workbook.md.

Seeded and deterministic: the same size, variant and seed always give the same cell values.
The numbers mimic the NATO-size reference cases (`tests/reference/nato_51*.xlsx`):
GDPs of 20k-1.35M (USD million), floors 0-1.5% and caps 1.4-5.3% of GDP, deployable personnel
of 900-75,000 (median about 6,500) at 0.02-0.15 a person-year, funding effects 0.5-1.95 and personnel effects
4.5-30 per capability, targets of 17k-420k with risk tiers 1-3, six equipment types holding
1-39 units, about a quarter of member-region pairs denied, a baseline and a 30% ramp, and
final-year floor commitments for about half the members.

| size | members | capabilities | regions | years | equipment types |
|---|---|---|---|---|---|
| nato | 32 | 8 | 5 | 10 | 6 |
| large | 60 | 20 | 8 | 15 | 12 |

Each size comes in an LP variant (no integer equipment) and a MIP variant (the same workbook
with about half the equipment types integer). Robustness (gamma) is off unless asked for.
Targets are scaled so the members' rough capacity is 1.45 times the targets in every size,
which leaves a small shortfall (the reference cases have one too).

    python benchmarks/generate.py [OUT_DIR] [--size nato|large] [--variant lp|mip]
                                  [--gamma G] [--time-limit S] [--seed N]

Writes `<size>_<variant>[_g<G>].xlsx` into OUT_DIR (default: a new temporary folder) and prints
the paths. `benchmarks/run.py` calls `write_case`; nothing generated is committed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

SIZES = {
    "nato": dict(members=32, capabilities=8, regions=5, years=10, equipment=6),
    "large": dict(members=60, capabilities=20, regions=8, years=15, equipment=12),
}
FIRST_YEAR = 2026
MEDIAN = 6500  # deployable personnel, median (lognormal, sigma 1)
SEEDS = {"nato": 5100, "large": 6100}
SUPPLY_RATIO = 1.45  # rough capacity / targets: a small shortfall, as in the reference cases  # default seed per size (LP and MIP share it)


def _member_names(n: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = []
    for i in range(n):
        label = letters[i % 26] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
        names.append(f"State {label}")
    return names


def case_tables(size: str, variant: str = "lp", gamma: int = 0, time_limit: float | None = None,
                seed: int | None = None) -> dict[str, tuple[list[str], list[list]]]:
    """The sheets of one case: {sheet: (header, rows)}."""
    dims = SIZES[size]
    rng = np.random.default_rng(SEEDS[size] if seed is None else seed)
    n_m, n_c, n_g, n_t, n_k = (dims[k] for k in
                               ("members", "capabilities", "regions", "years", "equipment"))
    members = _member_names(n_m)
    caps = [f"cap{i}" for i in range(n_c)]
    regions = [f"region{i}" for i in range(n_g)]
    years = list(range(FIRST_YEAR, FIRST_YEAR + n_t))
    last = years[-1]

    # members
    gdp = np.round(np.exp(rng.uniform(np.log(2e4), np.log(1.35e6), n_m)), 1)
    growth = np.round(rng.uniform(0.001, 0.03, n_m), 3)
    population = np.exp(rng.uniform(np.log(4e5), np.log(9.2e7), n_m)).astype(int)
    personnel = np.clip(rng.lognormal(np.log(MEDIAN), 1.0, n_m), 900, 75000).astype(int)
    pcost = np.round(rng.uniform(0.02, 0.15, n_m), 4)
    floor = np.round(rng.uniform(0.0001, 0.015, n_m), 4)
    cap = np.round(np.maximum(rng.uniform(0.014, 0.053, n_m), floor + 0.005), 4)
    baseline_share = np.maximum(rng.uniform(0.01, 0.035, n_m), floor + 0.002)
    baseline = np.round(gdp / (1 + growth) * baseline_share, 1)
    reliability = np.round(rng.uniform(0.6, 0.99, n_m), 2)
    member_rows = [[members[i], float(gdp[i]), float(growth[i]), int(population[i]),
                    int(personnel[i]), float(pcost[i]), float(floor[i]), float(cap[i]),
                    float(baseline[i]), float(reliability[i])] for i in range(n_m)]

    # capabilities
    ef = np.round(rng.uniform(0.5, 1.95, n_c), 3)
    ep = np.round(rng.uniform(4.5, 30.0, n_c), 2)
    cap_rows = [[caps[i], float(ef[i]), float(ep[i])] for i in range(n_c)]

    # targets: about 92% of (capability, region, year), per-(c,g) level times a yearly factor,
    # scaled so that the members' rough yearly capacity (personnel at their effect, money up to
    # the caps at the funding effect) is SUPPLY_RATIO times the yearly targets
    level = rng.uniform(6e4, 3.8e5, (n_c, n_g))
    factor = rng.uniform(0.3, 1.1, (n_c, n_g, n_t))
    present = rng.random((n_c, n_g, n_t)) < 0.92
    priority = rng.integers(1, 4, (n_c, n_g, n_t))
    capacity = (personnel * reliability).sum() * ep.mean() + (cap * gdp).sum() * ef.mean()
    demand = (level[:, :, None] * factor * present).sum() / n_t
    tightness = capacity / (SUPPLY_RATIO * demand)
    target_rows = []
    for c in range(n_c):
        for g in range(n_g):
            for t in range(n_t):
                if present[c, g, t]:
                    value = round(float(level[c, g] * factor[c, g, t] * tightness), 2)
                    target_rows.append([caps[c], regions[g], years[t], value,
                                        int(priority[c, g, t])])

    # equipment: type k serves capability k; in the MIP variant about half are integer
    effect = np.round(rng.uniform(70, 500, n_k), 1)
    ucost = np.round(rng.uniform(68, 290, n_k), 1)
    crew = rng.integers(50, 200, n_k)
    integer = np.zeros(n_k, dtype=bool)
    if variant == "mip":
        integer[rng.permutation(n_k)[: max(1, n_k // 2)]] = True
    else:
        rng.permutation(n_k)  # keep the random stream identical between variants
    equipment_rows = [[f"kit{k}", caps[k % n_c], float(effect[k]), float(ucost[k]),
                       int(crew[k]), bool(integer[k])] for k in range(n_k)]

    held = rng.random((n_m, n_k)) < 0.5
    units = rng.integers(1, 40, (n_m, n_k))
    inventory_rows = [[members[m], f"kit{k}", int(units[m, k])]
                      for m in range(n_m) for k in range(n_k) if held[m, k]]

    # access: about a quarter of member-region pairs denied, every member keeps one region
    denied = rng.random((n_m, n_g)) < 0.24
    for m in range(n_m):
        if denied[m].all():
            denied[m, rng.integers(n_g)] = False
    access_rows = [[members[m], regions[g], False]
                   for m in range(n_m) for g in range(n_g) if denied[m, g]]

    # commitments: about half the members raise their floor in the final year
    raise_floor = rng.random(n_m) < 0.55
    bump = rng.uniform(1.2, 2.0, n_m)
    commitment_rows = [[members[m], last, round(float(min(floor[m] * bump[m], cap[m] - 0.002)),
                                                 4)]
                       for m in range(n_m) if raise_floor[m]]

    # one GDP override (a revised forecast for the final year)
    m = int(rng.integers(n_m))
    revised = gdp[m] * (1 + growth[m]) ** (n_t - 1) * rng.uniform(0.92, 1.08)
    gdp_rows = [[members[m], last, round(float(revised), 1)]]

    settings = [["objective", "min_cost"], ["fair_share", "gdp"], ["max_growth", 0.3],
                ["currency", "USD million"]]
    if gamma:
        settings.append(["robustness", int(gamma)])
    if time_limit is not None:
        settings.append(["time_limit", float(time_limit)])

    return {
        "settings": (["key", "value"], settings),
        "members": (["member", "gdp", "gdp_growth", "population", "personnel_available",
                     "personnel_cost", "floor_gdp_share", "cap_gdp_share", "baseline",
                     "reliability"], member_rows),
        "capabilities": (["capability", "funding_effect", "personnel_effect"], cap_rows),
        "targets": (["capability", "region", "year", "target", "priority"], target_rows),
        "equipment": (["equipment", "capability", "effect", "unit_cost", "crew", "integer"],
                      equipment_rows),
        "inventory": (["member", "equipment", "units"], inventory_rows),
        "access": (["member", "region", "allowed"], access_rows),
        "commitments": (["member", "year", "floor_gdp_share"], commitment_rows),
        "gdp": (["member", "year", "gdp"], gdp_rows),
    }


def case_name(size: str, variant: str, gamma: int = 0) -> str:
    return f"{size}_{variant}" + (f"_g{gamma}" if gamma else "")


def write_case(out_dir, size: str, variant: str = "lp", gamma: int = 0,
               time_limit: float | None = None, seed: int | None = None) -> Path:
    """Write one case workbook into `out_dir` and return its path."""
    from openpyxl import Workbook

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{case_name(size, variant, gamma)}.xlsx"
    book = Workbook(write_only=True)
    for sheet, (header, rows) in case_tables(size, variant, gamma, time_limit, seed).items():
        ws = book.create_sheet(sheet)
        ws.append(header)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", help="folder to write into (default: a temp dir)")
    parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
    parser.add_argument("--variant", choices=["lp", "mip", "all"], default="all")
    parser.add_argument("--gamma", type=int, default=0, help="robustness (default 0: off)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="the time_limit setting in seconds (default: none)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir) if args.out_dir else Path(tempfile.mkdtemp(prefix="burden-"))
    sizes = list(SIZES) if args.size == "all" else [args.size]
    variants = ["lp", "mip"] if args.variant == "all" else [args.variant]
    for size in sizes:
        for variant in variants:
            print(write_case(out_dir, size, variant, args.gamma, args.time_limit, args.seed))


if __name__ == "__main__":
    main()
