"""Fair shares `s[m,t]` (docs/model.md, "Fair shares"): pure numpy/pandas, no Pyomo.

- `gdp`: `gdp[m,t] / sum_j gdp[j,t]` (ability to pay)
- `population`: `pop[m] / sum_j pop[j]`;  `equal`: `1/|M|`
- `mixed`: `sum_r w_r * share_r[m,t]`, weights normalised to sum 1
- ceiling / floor, after mixing: `s'[m,t] = min(ceiling, max(floor, lam_t * s[m,t]))` with
  `lam_t > 0` such that `sum_m s'[m,t] = 1`.

Sums run over the present members only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def rule_shares(inputs, rule: str) -> pd.DataFrame:
    """Shares under one plain rule (gdp, population, equal): index member (present), columns
    years."""
    present = inputs.present_members
    years = inputs.years
    if rule == "gdp":
        return _by_member_and_year(inputs.member_years["gdp"], present, years) \
            .pipe(lambda gdp: gdp / gdp.sum(axis=0))
    if rule == "population":
        pop = inputs.members.loc[present, "population"].astype(float)
        share = (pop / pop.sum()).to_numpy()
        return pd.DataFrame(np.repeat(share[:, None], len(years), axis=1), index=present,
                            columns=years)
    if rule == "equal":
        return pd.DataFrame(1.0 / len(present), index=present, columns=years)
    raise ValueError(f"unknown fair-share rule {rule!r}")


def _by_member_and_year(series: pd.Series, present, years) -> pd.DataFrame:
    """`series` (index member, year) as a frame, index `present`, columns `years`: what
    `series.unstack("year").loc[present, years]` gives, without the unstack's cost."""
    index = series.index
    members = index.get_level_values("member").tolist()
    periods = index.get_level_values("year").tolist()
    if not index.is_unique or set(present) - set(members) or set(years) - set(periods):
        return series.unstack("year").loc[present, years]  # pandas' errors
    member_of = {m: i for i, m in enumerate(present)}
    year_of = {t: j for j, t in enumerate(years)}
    rows = np.fromiter((member_of.get(m, -1) for m in members), dtype=np.int64,
                       count=len(index))
    cols = np.fromiter((year_of.get(t, -1) for t in periods), dtype=np.int64,
                       count=len(index))
    known = (rows >= 0) & (cols >= 0)
    table = np.full((len(present), len(years)), np.nan)
    table[rows[known], cols[known]] = series.to_numpy(float)[known]
    # copy=False keeps the unstacked frame's memory layout (each member's years contiguous),
    # so that `sum(axis=0)` adds in the same order and gives the same bits.
    return pd.DataFrame(table, index=pd.Index(present, name="member"),
                        columns=pd.Index(years, name="year"), copy=False)


def fair_shares(inputs) -> pd.DataFrame:
    """`s[m,t]` under the settings' rule with ceiling and floor applied: index member
    (present members), columns years; each column sums to 1."""
    settings = inputs.settings
    if settings.fair_share == "mixed":
        weights = dict(settings.fair_share_weights)
        total = sum(weights.values())
        mixed = sum(rule_shares(inputs, rule) * (w / total) for rule, w in weights.items())
    else:
        mixed = rule_shares(inputs, settings.fair_share)
    if settings.share_ceiling is None and settings.share_floor is None:
        return mixed
    return mixed.apply(lambda column: pd.Series(
        bounded_shares(column.to_numpy(), settings.share_floor, settings.share_ceiling),
        index=column.index))


def bounded_shares(shares: np.ndarray, floor: float | None, ceiling: float | None) -> np.ndarray:
    """`min(ceiling, max(floor, lam * s))` with `lam > 0` chosen so the result sums to 1.

    `f(lam) = sum_m clip(lam * s[m], floor, ceiling)` is continuous, piecewise linear and
    non-decreasing in `lam`, so the `lam` with `f(lam) = 1` is found exactly by walking its
    breakpoints (`floor / s[m]` and `ceiling / s[m]`) and solving the linear piece that
    crosses 1. Members with `s[m] = 0` sit at the floor (or 0).
    """
    s = np.asarray(shares, dtype=float)
    lo = 0.0 if floor is None else float(floor)
    hi = np.inf if ceiling is None else float(ceiling)

    def total(lam):
        return np.clip(lam * s, lo, hi).sum()

    positive = s > 0
    breaks = np.concatenate([lo / s[positive], hi / s[positive] if np.isfinite(hi) else []])
    breaks = np.unique(breaks[np.isfinite(breaks) & (breaks > 0)])
    candidates = np.concatenate([[0.0], breaks])
    values = np.array([total(b) for b in candidates])
    above = np.nonzero(values >= 1.0 - 1e-15)[0]
    if len(above) == 0:  # beyond the last breakpoint every positive share is free to scale
        lam0 = candidates[-1]
        free = positive & (lam0 * s >= lo) & (lam0 * s < hi)
        fixed = total(lam0) - (lam0 * s[free]).sum()
        lam = (1.0 - fixed) / s[free].sum()
        return np.clip(lam * s, lo, hi)
    k = above[0]
    if k == 0 or values[k] == 1.0:
        return np.clip(candidates[k] * s, lo, hi)
    a, b = candidates[k - 1], candidates[k]
    fa, fb = values[k - 1], values[k]
    lam = a + (1.0 - fa) * (b - a) / (fb - fa)  # f is linear on [a, b]
    return np.clip(lam * s, lo, hi)
