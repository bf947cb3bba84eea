"""Fairness diagnostics of a plan: pure pandas, no Pyomo.

- `fairness_table(inputs, members)`: per present member and year, the fair share under every
  rule (docs/model.md, "Fair shares") beside the member's actual share of the alliance's cost, the
  gap between them and three ranks.
- `free_rider_test(members)`: per year, the Spearman rank correlation of GDP against burden
  (cost / GDP), the Olson-Zeckhauser diagnostic, with a one-line reading.
- `year_table(fairness, deterrence)`: per year, the alliance's totals (GDP, cost, targets met)
  beside the free-rider test; `horizon_totals(years)` sums it over the planning horizon.

Reading the free-rider test. Olson and Zeckhauser (1966, "An Economic Theory of Alliances")
argue that in an alliance producing a shared good the large members bear a disproportionate
share of the burden and the small free-ride on them. A positive correlation of GDP against
burden (larger economies spend a larger share of their GDP) is that pattern; a negative one
means the small carry the heavier relative burden, so the exploitation of the large by the
small does not hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .result import YEAR_COLUMNS
from .shares import fair_shares, rule_shares

#: |rho| above this is read as a meaningful relation between size and burden.
MEANINGFUL = 0.3
#: A target is met in full when its shortfall is at most this fraction of it (the stages keep
#: the shortfall index within 1e-6 relative and 1e-9 absolute of its optimum, so a met target
#: may show a shortfall of about 1e-9 of itself).
MET_TOLERANCE = 1e-6
#: Burdens and gaps are compared after rounding to this many decimals, so that solver noise
#: (1e-12) does not rank members who carry the same relative burden.
RANK_DECIMALS = 9

READINGS = {
    "positive": "larger economies carry a heavier relative burden: the Olson-Zeckhauser "
                "pattern, the small free-ride on the large",
    "negative": "smaller members carry a heavier relative burden: the Olson-Zeckhauser "
                "exploitation of the large by the small does not hold (if anyone free-rides, "
                "it is the large)",
    "none": "no clear relation between size and burden",
    "few": "too few members to test (at least three are needed)",
    "flat": "every member carries the same relative burden: nothing to test",
}


def _stacked(wide: pd.DataFrame, name: str) -> pd.Series:
    """A members x years frame as a Series indexed (member, year)."""
    series = wide.stack()
    series.index.names = ["member", "year"]
    return series.rename(name)


def fairness_table(inputs, members: pd.DataFrame) -> pd.DataFrame:
    """Per present member and year (sorted by year, then members in sheet order): gdp, cost,
    burden; `fair_gdp`, `fair_population` (only when every present member has a population),
    `fair_equal`, `fair_mixed` (only when fair_share_weights are set): the plain rules, before
    any ceiling or floor; `rule_in_use`: the settings' rule after ceiling and floor (the share
    the model used); `actual_share` of the year's cost; `gap = actual_share - rule_in_use`;
    ranks within the year (1 = largest GDP, heaviest burden, furthest above fair share)."""
    present = inputs.present_members
    pop = inputs.members.loc[present, "population"]
    rules = {"gdp": rule_shares(inputs, "gdp")}
    if len(present) and pop.notna().all() and float(pop.sum()) > 0:
        rules["population"] = rule_shares(inputs, "population")
    rules["equal"] = rule_shares(inputs, "equal")
    weights = dict(inputs.settings.fair_share_weights)
    if weights:
        total = sum(weights.values())
        rules["mixed"] = sum(rule_shares(inputs, rule) * (w / total)
                             for rule, w in weights.items())
    columns = [_stacked(shares, f"fair_{rule}") for rule, shares in rules.items()]
    columns.append(_stacked(fair_shares(inputs), "rule_in_use"))
    shares = pd.concat(columns, axis=1)
    frame = members[members["member"].isin(present)][
        ["member", "year", "gdp", "cost", "burden", "actual_share"]]
    frame = frame.merge(shares.reset_index(), on=["member", "year"], how="left")
    gap = frame["actual_share"] - frame["rule_in_use"]
    frame["gap"] = gap.where(gap.abs() > 1e-12, 0.0)  # no -0.00% from rounding noise
    order = frame["member"].map({name: position for position, name in enumerate(present)})
    frame = frame.assign(_order=order).sort_values(["year", "_order"], kind="stable") \
        .drop(columns="_order").reset_index(drop=True)
    by_year = frame.groupby("year")
    frame["rank_gdp"] = by_year["gdp"].rank(ascending=False, method="min")
    frame["rank_burden"] = frame["burden"].round(RANK_DECIMALS).groupby(frame["year"]) \
        .rank(ascending=False, method="min")
    frame["rank_gap"] = frame["gap"].round(RANK_DECIMALS).groupby(frame["year"]) \
        .rank(ascending=False, method="min")
    ranks = ["rank_gdp", "rank_burden", "rank_gap"]
    frame[ranks] = frame[ranks].fillna(0).astype("int64")
    rule_columns = [c.name for c in columns]
    return frame[["member", "year", "gdp", "cost", "burden", *rule_columns, "actual_share",
                  "gap", *ranks]]


def spearman(x, y) -> float:
    """Spearman's rank correlation: Pearson's correlation of the average ranks (NaN when
    fewer than three pairs or when either side is constant)."""
    x, y = pd.Series(np.asarray(x, float)), pd.Series(np.asarray(y, float))
    if len(x) < 3:
        return float("nan")
    rx, ry = x.rank(method="average"), y.rank(method="average")
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def reading(rho: float, count: int) -> str:
    """The one-line reading of a GDP-burden rank correlation."""
    if count < 3:
        return READINGS["few"]
    if np.isnan(rho):
        return READINGS["flat"]
    if rho > MEANINGFUL:
        return READINGS["positive"]
    if rho < -MEANINGFUL:
        return READINGS["negative"]
    return READINGS["none"]


def free_rider_test(members: pd.DataFrame) -> pd.DataFrame:
    """Per year: `members` (how many were ranked), `spearman` (GDP against burden) and its
    `reading`. Pass present members only (e.g. the fairness table): an absent member's zero
    cost is not a burden."""
    rows = []
    for year, group in members.groupby("year", sort=True):
        rho = spearman(group["gdp"], group["burden"].round(RANK_DECIMALS))
        rows.append((year, len(group), rho, reading(rho, len(group))))
    return pd.DataFrame(rows, columns=["year", "members", "spearman", "reading"]).astype(
        {"year": "int64", "members": "int64", "spearman": float, "reading": object})


def left_short(deterrence: pd.DataFrame) -> pd.Series:
    """True for the targets not met in full (shortfall above `MET_TOLERANCE` of the target)."""
    return deterrence["shortfall"] > MET_TOLERANCE * deterrence["target"].clip(lower=1.0)


def year_table(fairness: pd.DataFrame, deterrence: pd.DataFrame) -> pd.DataFrame:
    """Per year: present members, alliance GDP, cost and burden (cost / GDP); targets, those
    met in full, `priority_weight` (W_t: sum of priorities of targets > 0), `shortfall_index`
    (SI_t) and `weighted_met` (1 - SI_t / W_t, the share of the priority-weighted targets met);
    then the free-rider test."""
    money = fairness.groupby("year")[["gdp", "cost"]].sum()
    d = deterrence
    positive = d["target"] > 0
    weight = d["priority"].where(positive, 0.0)
    lost = np.where(positive, d["priority"] * d["shortfall"] / d["target"].where(positive, 1.0),
                    0.0)
    targets = pd.DataFrame({"year": d["year"], "targets": 1, "targets_met": ~left_short(d),
                            "priority_weight": weight, "shortfall_index": lost}) \
        .groupby("year").sum()
    frame = free_rider_test(fairness).set_index("year").join(money, how="outer") \
        .join(targets, how="outer")
    frame["burden"] = frame["cost"] / frame["gdp"]
    frame["weighted_met"] = 1.0 - frame["shortfall_index"] / frame["priority_weight"] \
        .where(frame["priority_weight"] > 0)
    frame = frame.reset_index()
    for name in ("members", "targets", "targets_met"):
        frame[name] = frame[name].fillna(0).astype("int64")
    return frame[YEAR_COLUMNS]


def horizon_totals(years: pd.DataFrame) -> dict:
    """`year_table` summed over the planning horizon: gdp, cost, burden, targets, targets_met,
    priority_weight, shortfall_index, weighted_met (1 - SI / W)."""
    sums = {name: float(years[name].sum()) for name in
            ("gdp", "cost", "targets", "targets_met", "priority_weight", "shortfall_index")}
    sums["targets"], sums["targets_met"] = int(sums["targets"]), int(sums["targets_met"])
    sums["burden"] = sums["cost"] / sums["gdp"] if sums["gdp"] > 0 else float("nan")
    weight = sums["priority_weight"]
    sums["weighted_met"] = 1.0 - sums["shortfall_index"] / weight if weight > 0 else float("nan")
    return sums


__all__ = ["fairness_table", "left_short", "free_rider_test", "horizon_totals", "reading",
           "spearman", "year_table"]
