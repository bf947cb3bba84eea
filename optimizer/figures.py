"""Pictures of a result, a sweep and a frontier, as matplotlib `Figure` objects.

Every function builds its figure with `matplotlib.figure.Figure()` (the object API, no pyplot):
nothing is shown implicitly and no global figure state is touched, so the functions are safe in
scripts, tests and worker processes. In a notebook, show a figure by leaving it as the cell's
last expression (after `%matplotlib inline`), or save it with `fig.savefig("burden.png")`.

    >>> from optimizer import read_inputs, solve, figures     # doctest: +SKIP
    >>> result = solve(read_inputs("inputs/alliance.xlsx"))    # doctest: +SKIP
    >>> figures.burden_vs_fair_share(result, year=2030)        # doctest: +SKIP

A result without a solution (infeasible, error) gives a figure that says "no solution" and why.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

__all__ = ["burden_vs_fair_share", "contributions", "frontier_chart", "marginal_costs",
           "range_chart", "shortfall_heatmap", "sweep_chart"]

_BURDEN_COLOR = "#4C72B0"
_FAIR_COLOR = "#C44E52"
_TOP_MARGINAL = 15


# ---------------------------------------------------------------------------------------------
# Helpers


def _figure(width: float = 8.0, height: float = 4.5) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _message(text: str, title: str | None = None) -> Figure:
    """A figure with one line of text and no axes (nothing to plot)."""
    fig = _figure(6.0, 2.5)
    if title:
        fig.suptitle(title)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, wrap=True)
    return fig


def _no_solution(result, title: str) -> Figure | None:
    """The "no solution" figure when `result` carries no allocation, else None."""
    if result.solved and len(result.members):
        return None
    fig = _message(f"no solution (status: {result.status})", title)
    if result.conflicts:
        why = textwrap.shorten(result.conflicts[0], width=240, placeholder=" ...")
        fig.text(0.5, 0.25, "\n".join(textwrap.wrap(why, 70)), ha="center", va="top",
                 fontsize=8, color="dimgray")
    return fig


def _setting(result, key: str, default=None):
    table = result.settings
    if table is None or not len(table):
        return default
    match = table.loc[table["key"] == key, "value"]
    if not len(match) or match.iloc[0] is None:
        return default
    return match.iloc[0]


def _years(result) -> list[int]:
    return sorted(int(y) for y in pd.unique(result.members["year"]))


def _pick_year(result, year, default: str) -> int:
    """`year` checked against the result's planning years; None gives the first or last."""
    years = _years(result)
    if year is None:
        return years[0] if default == "first" else years[-1]
    if int(year) not in years:
        raise ValueError(f"year {year} is not a planning year of this result "
                         f"({', '.join(map(str, years))})")
    return int(year)


def _thousands() -> FuncFormatter:
    """Axis ticks with thousands separators instead of an offset like "1e7" (a new formatter
    per axis: matplotlib binds a formatter to its axis)."""
    return FuncFormatter(lambda value, _pos: f"{value:,.0f}" if abs(value) >= 100
                         else f"{value:,.3g}")


def _width(count: int, per_item: float = 0.32, least: float = 6.0, most: float = 18.0) -> float:
    return min(max(least, 2.0 + per_item * count), most)


def _ordered(values) -> list:
    """Distinct values in order of first appearance."""
    return list(dict.fromkeys(v for v in values if isinstance(v, str) or not pd.isna(v)))


# ---------------------------------------------------------------------------------------------
# One result


def burden_vs_fair_share(result, year: int | None = None) -> Figure:
    """Each member's burden (cost as % of its GDP) in one year, bars sorted high to low, with a
    marker at the burden its fair share would mean: `fair_share * total / gdp`, where `total`
    is the alliance's total cost that year. `year=None`: the first planning year.

    One bar container (the burdens) and one marker line (the fair-share burdens).

    >>> figures.burden_vs_fair_share(result, year=2030)     # doctest: +SKIP
    """
    title = "Burden against fair share"
    empty = _no_solution(result, title)
    if empty is not None:
        return empty
    year = _pick_year(result, year, "first")
    rows = result.members[result.members["year"] == year].copy()
    total = float(rows["cost"].sum())
    rows["fair_burden"] = rows["fair_share"] * total / rows["gdp"]
    rows = rows.sort_values(["burden", "member"], ascending=[False, True], kind="stable")
    x = np.arange(len(rows))
    fig = _figure(_width(len(rows)), 4.8)
    ax = fig.add_subplot()
    ax.bar(x, rows["burden"].to_numpy(dtype=float), color=_BURDEN_COLOR, label="burden")
    ax.plot(x, rows["fair_burden"].to_numpy(dtype=float), linestyle="none", marker="D",
            markersize=5, color=_FAIR_COLOR, label="fair-share burden")
    ax.set_xticks(x, rows["member"].astype(str).tolist(), rotation=90 if len(rows) > 8 else 0)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.set_ylabel("cost as % of GDP")
    ax.set_title(f"{title}, {year}")
    ax.legend(loc="upper right")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return fig


def contributions(result, by: str = "region", year: int | None = None) -> Figure:
    """Deterrence each member provides, as bars stacked by `region` or `capability`
    (`by`), summed over all planning years (`year=None`) or for one year.

    One bar container per region (or capability) that receives any deterrence.

    >>> figures.contributions(result, by="capability")       # doctest: +SKIP
    """
    if by not in ("region", "capability"):
        raise ValueError(f"by must be 'region' or 'capability', not {by!r}")
    title = f"Deterrence by member and {by}"
    empty = _no_solution(result, title)
    if empty is not None:
        return empty
    allocation = result.allocation
    if year is not None:
        year = _pick_year(result, year, "first")
        allocation = allocation[allocation["year"] == year]
        title = f"{title}, {year}"
    else:
        years = _years(result)
        if len(years) > 1:
            title = f"{title}, {years[0]}-{years[-1]} summed"
        else:
            title = f"{title}, {years[0]}"
    members = _ordered(result.members["member"])
    categories = _ordered(result.deterrence[by]) or _ordered(allocation[by])
    table = (allocation.groupby(["member", by])["deterrence"].sum()
             .unstack(by).reindex(index=members, columns=categories).fillna(0.0))
    table = table.loc[:, table.sum(axis=0) > 0]
    if table.shape[1] == 0:
        return _message("no deterrence allocated", title)
    x = np.arange(len(members))
    fig = _figure(_width(len(members)), 4.8)
    ax = fig.add_subplot()
    bottom = np.zeros(len(members))
    for category in table.columns:
        values = table[category].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, label=str(category))
        bottom += values
    ax.set_xticks(x, [str(m) for m in members], rotation=90 if len(members) > 8 else 0)
    ax.set_ylabel("deterrence (points)")
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title(title)
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return fig


def shortfall_heatmap(result, year: int | None = None) -> Figure:
    """Unmet share of the deterrence target, capability (rows) by region (columns), in one
    year or over all years (`year=None`: shortfalls and targets summed). Blank cells have no
    target.

    One image whose array has shape (capabilities, regions), annotated with percentages.

    >>> figures.shortfall_heatmap(result)                     # doctest: +SKIP
    """
    title = "Shortfall (share of target unmet)"
    empty = _no_solution(result, title)
    if empty is not None:
        return empty
    deterrence = result.deterrence
    if year is not None:
        year = _pick_year(result, year, "first")
        deterrence = deterrence[deterrence["year"] == year]
        title = f"{title}, {year}"
    else:
        title = f"{title}, all years"
    capabilities = _ordered(result.deterrence["capability"])
    regions = _ordered(result.deterrence["region"])
    if not capabilities or not regions:
        return _message("no deterrence targets", title)
    sums = deterrence.groupby(["capability", "region"])[["shortfall", "target"]].sum()
    short = sums["shortfall"].unstack("region").reindex(index=capabilities, columns=regions)
    target = sums["target"].unstack("region").reindex(index=capabilities, columns=regions)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(target.to_numpy(dtype=float) > 0,
                         short.to_numpy(dtype=float) / target.to_numpy(dtype=float), np.nan)
    fig = _figure(_width(len(regions), 1.4, 5.0, 14.0), 1.5 + 0.5 * len(capabilities))
    ax = fig.add_subplot()
    data = np.ma.masked_invalid(share)
    top = max(float(np.nanmax(share)) if np.isfinite(share).any() else 0.0, 1e-9)
    image = ax.imshow(data, cmap="Reds", vmin=0.0, vmax=max(top, 0.05), aspect="auto")
    ax.set_xticks(np.arange(len(regions)), [str(r) for r in regions])
    ax.set_yticks(np.arange(len(capabilities)), [str(c) for c in capabilities])
    ax.set_xlabel("region")
    ax.set_ylabel("capability")
    for i in range(share.shape[0]):
        for j in range(share.shape[1]):
            if math.isfinite(share[i, j]):
                dark = share[i, j] > 0.6 * max(top, 0.05)
                ax.text(j, i, f"{share[i, j]:.1%}", ha="center", va="center", fontsize=9,
                        color="white" if dark else "black")
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.formatter = PercentFormatter(xmax=1.0)
    colorbar.update_ticks()
    ax.set_title(title)
    return fig


def marginal_costs(result, top: int = _TOP_MARGINAL) -> Figure:
    """The money one more point of deterrence would cost, per target (capability / region /
    year), the `top` (15) dearest as horizontal bars. Marginal costs come from the duals of the
    cost stage: LPs only, so a case with whole-unit equipment has none.

    One bar container with min(top, targets with a marginal cost) bars.

    >>> figures.marginal_costs(result)                        # doctest: +SKIP
    """
    title = "Marginal cost of deterrence"
    empty = _no_solution(result, title)
    if empty is not None:
        return empty
    table = result.deterrence.dropna(subset=["marginal_cost"])
    if not len(table):
        return _message("no marginal costs (duals exist for LPs only)", title)
    table = table.assign(label=[f"{c} / {g} / {int(t)}" for c, g, t in
                                zip(table["capability"], table["region"], table["year"])])
    table = table.sort_values(["marginal_cost", "label"], ascending=[False, True],
                              kind="stable").head(int(top))
    table = table.iloc[::-1]  # dearest at the top
    fig = _figure(8.0, 1.2 + 0.32 * len(table))
    ax = fig.add_subplot()
    y = np.arange(len(table))
    ax.barh(y, table["marginal_cost"].to_numpy(dtype=float), color=_BURDEN_COLOR)
    ax.set_yticks(y, table["label"].tolist())
    currency = _setting(result, "currency", "money")
    ax.set_xlabel(f"{currency} per deterrence point")
    shown = f"top {len(table)}" if len(table) < result.deterrence["marginal_cost"].notna().sum() \
        else "all targets"
    ax.set_title(f"{title} ({shown})")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return fig


# ---------------------------------------------------------------------------------------------
# Many results


def _check_columns(frame: pd.DataFrame, columns: list[str], what: str):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"a {what} frame needs the columns {', '.join(missing)}")


def sweep_chart(sweep: pd.DataFrame) -> Figure:
    """A sweep's total cost (bars, left axis) and max burden (markers, right axis, % of GDP)
    by scenario, in the frame's order. Scenarios without a solution have no bar and are named
    with their status under the axis.

    One bar container (len(sweep) bars) on the first axes, one marker line on the twin axes.

    >>> figures.sweep_chart(run_sweep(inputs, scenarios).table)   # doctest: +SKIP
    """
    title = "Sweep: total cost and max burden by scenario"
    _check_columns(sweep, ["scenario", "status", "total_cost", "max_burden"], "sweep")
    if not len(sweep):
        return _message("no scenarios", title)
    cost = pd.to_numeric(sweep["total_cost"], errors="coerce").to_numpy(dtype=float)
    burden = pd.to_numeric(sweep["max_burden"], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(cost).any() and not np.isfinite(burden).any():
        return _message("no solution in any scenario", title)
    labels = []
    for name, status, value in zip(sweep["scenario"], sweep["status"], cost):
        labels.append(str(name) if math.isfinite(value) else f"{name}\n({status})")
    x = np.arange(len(sweep))
    fig = _figure(_width(len(sweep), 0.6, 6.0, 18.0), 4.8)
    ax = fig.add_subplot()
    bars = ax.bar(x, np.nan_to_num(cost, nan=0.0), color=_BURDEN_COLOR, label="total cost")
    ax.set_xticks(x, labels, rotation=90 if len(sweep) > 10 else 0)
    ax.set_ylabel("total cost")
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    right = ax.twinx()
    (line,) = right.plot(x, burden, linestyle="none", marker="o", markersize=7,
                         color=_FAIR_COLOR, label="max burden")
    right.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    right.set_ylabel("max burden (% of GDP)")
    if np.isfinite(burden).any():
        right.set_ylim(0.0, float(np.nanmax(burden)) * 1.15 or 1.0)
    ax.legend([bars, line], ["total cost", "max burden"], loc="upper left")
    ax.set_title(title)
    return fig


def frontier_chart(frontier: pd.DataFrame) -> Figure:
    """The trade-off curve of a frontier: total cost against deviation from fair shares, one
    point per `eps` (labelled), joined in order of deviation.

    One line with one point per solved row.

    >>> figures.frontier_chart(frontier(inputs, points=11))   # doctest: +SKIP
    """
    title = "Frontier: total cost against deviation from fair shares"
    _check_columns(frontier, ["eps", "deviation", "total_cost"], "frontier")
    frame = frontier.assign(
        deviation=pd.to_numeric(frontier["deviation"], errors="coerce"),
        total_cost=pd.to_numeric(frontier["total_cost"], errors="coerce"),
    ).dropna(subset=["deviation", "total_cost"])
    if not len(frame):
        return _message("no solution on the frontier", title)
    frame = frame.sort_values(["deviation", "total_cost"], kind="stable")
    fig = _figure(7.0, 4.8)
    ax = fig.add_subplot()
    ax.plot(frame["deviation"].to_numpy(dtype=float), frame["total_cost"].to_numpy(dtype=float),
            marker="o", color=_BURDEN_COLOR)
    if len(frame) <= 25:
        for eps, dev, cost in zip(frame["eps"], frame["deviation"], frame["total_cost"]):
            label = f"{eps:g}" if isinstance(eps, (int, float, np.number)) else str(eps)
            ax.annotate(label, (dev, cost), textcoords="offset points", xytext=(4, 4),
                        fontsize=8, color="dimgray")
    ax.set_xlabel("deviation from fair shares (money)")
    ax.set_ylabel("total cost")
    ax.xaxis.set_major_formatter(_thousands())
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return fig


def range_chart(room, share: bool = True, year: int | None = None) -> Figure:
    """Room to negotiate (`ranges()`): each member's least-to-largest cost as a bar, its plan's
    cost a marker on it; as % of GDP (`share=True`) or in money. A by-year table is drawn for
    one `year` (default: the last).

    One bar container (one bar per member with both bounds) and one marker line.

    >>> figures.range_chart(ranges(inputs, slack=0.02))   # doctest: +SKIP
    """
    table = room.table
    if room.by_year and len(table):
        year = int(table["year"].max()) if year is None else int(year)
        if year not in set(table["year"].astype(int)):
            raise ValueError(f"no year {year} in the ranges (years: "
                             f"{', '.join(map(str, sorted(set(table['year']))))})")
        table = table[table["year"] == year]
    when = f"in {year}" if room.by_year else "over the horizon"
    slack = f"{room.slack:.1%}"
    title = f"Room to negotiate {when}: total within {slack} of its least"
    table = table.dropna(subset=["low", "high"])
    if not len(table):
        return _message(f"no ranges (status: {room.status})", title)
    low, high, plan = ("low_gdp_share", "high_gdp_share", "optimal_gdp_share") if share \
        else ("low", "high", "optimal_cost")
    x = np.arange(len(table))
    fig = _figure(_width(len(table), 0.35, 6.0, 16.0), 4.8)
    ax = fig.add_subplot()
    bottom = table[low].to_numpy(dtype=float)
    ax.bar(x, table[high].to_numpy(dtype=float) - bottom, bottom=bottom, color="#9DC3E6",
           edgecolor="#2F5597", label="least to largest")
    ax.plot(x, table[plan].to_numpy(dtype=float), linestyle="none", marker="D",
            color=_FAIR_COLOR, label="the plan's cost")
    ax.set_xticks(x, [str(m) for m in table["member"]], rotation=90 if len(table) > 10 else 0)
    if share:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
        ax.set_ylabel("cost (% of GDP)")
    else:
        ax.yaxis.set_major_formatter(_thousands())
        ax.set_ylabel(f"cost ({room.currency})" if room.currency else "cost")
        if float(table[high].max()) > 100 * max(float(table[high][table[high] > 0].min()),
                                                 1e-300):
            ax.set_yscale("log")
    ax.legend(loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(title)
    return fig
