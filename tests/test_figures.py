"""Figures (optimizer/figures.py), the notebook HTML summaries, and Inputs built from DataFrames.

A 3-member, 2-region, 2-capability, 2-year LP case is built with `inputs_from_frames`; each
figure is checked for the artists it must hold (bar containers, lines, image shape) and is
rendered once so drawing raises nothing (warnings are errors here). The same case written as a
workbook must give the same result as the frames.
"""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from optimizer import figures, inputs_from_frames, read_inputs, solve

YEARS = (2026, 2027)


def case_frames(cap: float = 0.05, allow_shortfall: bool = True) -> dict[str, pd.DataFrame]:
    """Three members, land and air in east and north, two years; C may not go north."""
    members = pd.DataFrame({
        "member": ["A", "B", "C"],
        "gdp": [1000.0, 2000.0, 3000.0],
        "population": [10.0, 30.0, 20.0],
        "floor_gdp_share": [0.0, 0.0, 0.0],
        "cap_gdp_share": [cap, cap, cap],
    })
    capabilities = pd.DataFrame({"capability": ["land", "air"], "funding_effect": [1.0, 0.5],
                                 "personnel_effect": [0.0, 0.0]})
    rows = []
    for year in YEARS:
        for capability, region, target in (("land", "east", 100.0), ("land", "north", 50.0),
                                           ("air", "east", 40.0), ("air", "north", 30.0)):
            rows.append((capability, region, year, target, 1.0))
    targets = pd.DataFrame(rows, columns=["capability", "region", "year", "target", "priority"])
    access = pd.DataFrame({"member": ["C"], "region": ["north"], "allowed": [False]})
    settings = pd.DataFrame({"key": ["objective", "fair_share", "allow_shortfall", "currency"],
                             "value": ["min_cost", "gdp", allow_shortfall, "EUR million"]},
                            dtype=object)
    return {"settings": settings, "members": members, "capabilities": capabilities,
            "targets": targets, "access": access}


def write_frames(path, frames: dict[str, pd.DataFrame]):
    """The frames as a workbook, one sheet each, header in row 1 (as a planner would type it)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in frames.items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([v.item() if isinstance(v, np.generic) else v for v in row])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def result():
    return solve(inputs_from_frames(case_frames(), source="case"))


@pytest.fixture(scope="module")
def short_result():
    """Caps too tight for the targets: solved with shortfall."""
    return solve(inputs_from_frames(case_frames(cap=0.02), source="short"))


@pytest.fixture(scope="module")
def infeasible_result():
    return solve(inputs_from_frames(case_frames(cap=0.02, allow_shortfall=False),
                                    source="infeasible"))


def rendered(fig: Figure) -> Figure:
    """Draw the figure once (to PNG in memory): layout and drawing must not warn or fail."""
    assert isinstance(fig, Figure)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue()[:4] == b"\x89PNG"
    return fig


def bar_containers(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def texts(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.texts)


# ---------------------------------------------------------------------------------------------
# The case itself


def test_case_solves_as_an_lp(result, short_result, infeasible_result):
    assert result.status == "optimal"
    assert short_result.status == "optimal_with_shortfall"
    assert infeasible_result.status == "infeasible"
    assert result.deterrence["marginal_cost"].notna().all()


# ---------------------------------------------------------------------------------------------
# Figures of one result


@pytest.mark.parametrize("year", [None, 2027])
def test_burden_vs_fair_share(result, year):
    fig = rendered(figures.burden_vs_fair_share(result, year=year))
    (ax,) = fig.axes
    (bars,) = bar_containers(ax)
    (markers,) = ax.get_lines()
    shown = year or YEARS[0]
    rows = result.members[result.members["year"] == shown]
    assert len(bars) == 3 == len(markers.get_xdata())
    assert sorted(b.get_height() for b in bars) == pytest.approx(sorted(rows["burden"]))
    # fair_share * total / gdp: under the GDP rule every member's fair burden is total / sum(gdp)
    fair = rows["cost"].sum() / rows["gdp"].sum()
    assert np.asarray(markers.get_ydata(), dtype=float) == pytest.approx([fair] * 3)
    assert str(shown) in ax.get_title()


def test_burden_vs_fair_share_rejects_an_unknown_year(result):
    with pytest.raises(ValueError, match="2031"):
        figures.burden_vs_fair_share(result, year=2031)


@pytest.mark.parametrize("by, categories", [("region", ["east", "north"]),
                                            ("capability", ["land", "air"])])
def test_contributions_stack_one_container_per_category(result, by, categories):
    fig = rendered(figures.contributions(result, by=by))
    (ax,) = fig.axes
    containers = bar_containers(ax)
    assert len(containers) == len(categories)
    assert [c.get_label() for c in containers] == categories
    assert all(len(c) == 3 for c in containers)  # one bar per member
    heights = np.array([[bar.get_height() for bar in c] for c in containers]).sum(axis=0)
    expected = result.allocation.groupby("member")["deterrence"].sum() \
        .reindex(["A", "B", "C"]).fillna(0.0)
    assert heights == pytest.approx(expected.to_numpy())


def test_contributions_for_one_year_and_bad_by(result):
    fig = rendered(figures.contributions(result, by="region", year=2027))
    (ax,) = fig.axes
    total = sum(bar.get_height() for c in bar_containers(ax) for bar in c)
    assert total == pytest.approx(
        result.allocation.loc[result.allocation["year"] == 2027, "deterrence"].sum())
    with pytest.raises(ValueError, match="by"):
        figures.contributions(result, by="member")


def test_shortfall_heatmap_is_capability_by_region(result, short_result):
    fig = rendered(figures.shortfall_heatmap(result))
    ax = fig.axes[0]  # the second axes is the colour bar
    (image,) = ax.get_images()
    assert image.get_array().shape == (2, 2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["land", "air"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["east", "north"]
    assert np.asarray(image.get_array()) == pytest.approx(np.zeros((2, 2)))

    fig = rendered(figures.shortfall_heatmap(short_result, year=2026))
    image = fig.axes[0].get_images()[0]
    table = short_result.deterrence[short_result.deterrence["year"] == 2026] \
        .set_index(["capability", "region"])
    expected = [[table.at[(c, g), "shortfall"] / table.at[(c, g), "target"]
                 for g in ("east", "north")] for c in ("land", "air")]
    assert np.asarray(image.get_array()) == pytest.approx(np.array(expected))
    assert np.asarray(image.get_array()).max() > 0


def test_marginal_costs_one_bar_per_target_up_to_top(result):
    fig = rendered(figures.marginal_costs(result))
    (ax,) = fig.axes
    (bars,) = bar_containers(ax)
    assert len(bars) == len(result.deterrence) == 8
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths)  # dearest at the top
    assert max(widths) == pytest.approx(result.deterrence["marginal_cost"].max())
    assert "EUR million" in ax.get_xlabel()

    fig = rendered(figures.marginal_costs(result, top=3))
    (bars,) = bar_containers(fig.axes[0])
    assert len(bars) == 3


def test_marginal_costs_without_duals(result):
    no_duals = dataclasses.replace(
        result, deterrence=result.deterrence.assign(marginal_cost=float("nan")))
    fig = rendered(figures.marginal_costs(no_duals))
    assert not fig.axes
    assert "no marginal costs" in texts(fig)


@pytest.mark.parametrize("draw", [
    figures.burden_vs_fair_share, figures.contributions, figures.shortfall_heatmap,
    figures.marginal_costs,
])
def test_no_solution_figure(infeasible_result, draw):
    fig = rendered(draw(infeasible_result))
    assert not fig.axes
    assert "no solution" in texts(fig)
    assert "infeasible" in texts(fig)


# ---------------------------------------------------------------------------------------------
# Sweeps and frontiers (hand-made frames with the run_sweep / frontier columns)


def sweep_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "scenario": ["base", "east+20%", "no-us", "robust"],
        "status": ["optimal", "optimal", "infeasible", "optimal_with_shortfall"],
        "shortfall_index": [0.0, 0.0, np.nan, 0.1],
        "objective_value": [100.0, 120.0, np.nan, 130.0],
        "total_cost": [100.0, 120.0, np.nan, 130.0],
        "max_burden": [0.03, 0.035, np.nan, 0.05],
        "solve_seconds": [0.2, 0.3, 0.1, 0.4],
    })


def test_sweep_chart_bars_and_twin_markers():
    frame = sweep_frame()
    fig = rendered(figures.sweep_chart(frame))
    assert len(fig.axes) == 2
    left, right = fig.axes
    (bars,) = bar_containers(left)
    assert len(bars) == 4
    assert [b.get_height() for b in bars] == pytest.approx([100.0, 120.0, 0.0, 130.0])
    (line,) = right.get_lines()
    assert np.asarray(line.get_ydata(), dtype=float) == pytest.approx(
        frame["max_burden"].to_numpy(), nan_ok=True)
    labels = [t.get_text() for t in left.get_xticklabels()]
    assert labels[0] == "base" and "infeasible" in labels[2]


def test_sweep_chart_empty_and_missing_columns():
    frame = sweep_frame()
    assert "no scenarios" in texts(rendered(figures.sweep_chart(frame.iloc[:0])))
    failed = frame.assign(total_cost=np.nan, max_burden=np.nan, status="infeasible")
    assert "no solution" in texts(rendered(figures.sweep_chart(failed)))
    with pytest.raises(ValueError, match="max_burden"):
        figures.sweep_chart(frame.drop(columns=["max_burden"]))


def test_frontier_chart_one_point_per_solved_row():
    frame = pd.DataFrame({"eps": [0.0, 0.25, 0.5, 0.75, 1.0],
                          "deviation": [300.0, 200.0, np.nan, 100.0, 50.0],
                          "total_cost": [1000.0, 1010.0, np.nan, 1040.0, 1100.0],
                          "max_burden": [0.05, 0.045, np.nan, 0.04, 0.035]})
    fig = rendered(figures.frontier_chart(frame))
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [50.0, 100.0, 200.0, 300.0]
    assert list(line.get_ydata()) == [1100.0, 1040.0, 1010.0, 1000.0]
    assert "no solution" in texts(rendered(figures.frontier_chart(frame.iloc[2:3])))


def test_figures_never_touch_pyplot():
    code = ("import sys, pandas as pd\n"
            "from optimizer import figures\n"
            "f = pd.DataFrame({'eps': [0.0], 'deviation': [1.0], 'total_cost': [2.0],"
            " 'max_burden': [0.1]})\n"
            "figures.frontier_chart(f).savefig(__import__('io').BytesIO())\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n")
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# Notebook summaries


def test_result_repr_html(result, infeasible_result):
    html = result._repr_html_()
    assert "<table" in html and "optimal" in html
    assert "stage 2: total_cost" in html and "max burden" in html
    html = infeasible_result._repr_html_()
    assert "infeasible" in html
    tricky = dataclasses.replace(result, status="<b>odd</b>", conflicts=["cap < floor & <x>"])
    html = tricky._repr_html_()
    assert "&lt;b&gt;odd&lt;/b&gt;" in html and "<b>odd" not in html
    assert "cap &lt; floor &amp; &lt;x&gt;" in html


def test_inputs_repr_html():
    frames = case_frames()
    frames["targets"] = frames["targets"].replace({"north": "<north>"})
    frames["access"] = frames["access"].replace({"north": "<north>"})
    html = inputs_from_frames(frames, source="case")._repr_html_()
    assert "<table" in html and "min_cost" in html and "2026-2027" in html
    assert "&lt;north&gt;" in html and "<north>" not in html


# ---------------------------------------------------------------------------------------------
# Inputs from DataFrames and from the equivalent workbook


def test_frames_and_workbook_give_the_same_result(tmp_path, result):
    from_book = read_inputs(write_frames(tmp_path / "case.xlsx", case_frames()))
    assert from_book.settings == inputs_from_frames(case_frames()).settings
    book_result = solve(from_book)
    assert book_result.status == result.status
    pd.testing.assert_frame_equal(book_result.stages.drop(columns=["seconds"]),
                                  result.stages.drop(columns=["seconds"]),
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    for key in ("shortfall_index", "objective_value", "total_cost", "max_burden",
                "min_burden", "members_at_cap"):
        assert book_result.summary[key] == pytest.approx(result.summary[key], rel=1e-9)
    pd.testing.assert_frame_equal(book_result.members, result.members, check_exact=False,
                                  rtol=1e-9, atol=1e-9)


def test_frames_are_validated_like_a_workbook():
    from optimizer import InputError

    frames = case_frames()
    frames["members"].loc[1, "gdp"] = -5.0
    with pytest.raises(InputError) as caught:
        inputs_from_frames(frames)
    (problem,) = caught.value.problems
    # named by the frame's index label, not an Excel row
    assert (problem.sheet, problem.index, problem.row, problem.column) == ("members", 1, None,
                                                                            "gdp")
