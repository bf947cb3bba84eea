"""What the studies return: plain data, each table a DataFrame, and `.to_excel(path)` for
its workbook (as `Result` has `write_report`). `run_sweep` gives a `Sweep`, `frontier` a
`Frontier`, `shapley` and `shapley_exact` a `Shapley`, `ranges` a `Ranges`
(optimizer/negotiation.py). Each pickles; the writers take the tables held here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .sweep_report import write_frontier_report, write_shapley_report, write_sweep_report


@dataclass(frozen=True)
class Sweep:
    """A sweep's figures (docs/cli.md, "burden sweep"; docs/report.md, "Other workbooks").

    - `table`: one row per scenario: scenario, one column per override path, status,
      shortfall_index, objective_value, total_cost, max_burden, certificates, seconds.
    - `member_costs`: scenario, member, year, cost, burden, fair_share.
    - `shortfalls`: scenario and target (capability, region, year) with target and shortfall,
      every target of every solved scenario.
    - `absence`: with `each_member_absent`, the members ranked by what their absence costs
      (extra shortfall index, then extra cost); else None.
    - `settings`: the base case's settings as used; `source`, `sha256`: its input.
    """

    table: pd.DataFrame
    member_costs: pd.DataFrame
    shortfalls: pd.DataFrame
    absence: pd.DataFrame | None = None
    settings: pd.DataFrame | None = None
    source: str = ""
    sha256: str = ""
    currency: str = ""

    def to_excel(self, path) -> Path:
        """The sweep workbook (brief, scenarios with a chart, shortfalls, member_costs,
        absence, settings), written to a temporary file and moved into place."""
        return write_sweep_report(self, Path(path))


@dataclass(frozen=True)
class Frontier:
    """The cost-fairness frontier (docs/model.md): `table`, one row per point (point, eps,
    deviation, total_cost, max_burden, shortfall_index, status), from the min-cost end to
    the min-deviation end; `currency`, the unit of eps, deviation and total cost."""

    table: pd.DataFrame
    currency: str = ""

    def to_excel(self, path) -> Path:
        """The frontier workbook: the points and the curve."""
        return write_frontier_report(self.table, Path(path), self.currency)


@dataclass(frozen=True)
class Shapley:
    """Shapley values of the deterrence game (docs/model.md, "Coalition values").

    - `table`: per present member: shapley_value, standard_error, deterrence_share (of
      `value`), fair_share and cost_share over the horizon.
    - `coalitions`: every coalition solved: coalition, size, value `v(A)`.
    - `value`: `v(M)`, the grand coalition's; `total_priority`: `W`.
    - `samples`, `seed` (None when exact), and the counts of coalitions: `needed`, `solved`
      in this run, `from_store`; `notes`: what a reader must know (undefined shares, one
      sample, ...).
    """

    table: pd.DataFrame
    coalitions: pd.DataFrame
    value: float
    total_priority: float
    samples: int | None = None
    seed: int | None = None
    needed: int = 0
    solved: int = 0
    from_store: int = 0
    notes: list[str] = field(default_factory=list)

    def to_excel(self, path) -> Path:
        """The Shapley workbook: the shares with a chart, the run's figures and notes, and
        the coalitions."""
        return write_shapley_report(self, Path(path))
