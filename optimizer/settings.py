"""The settings sheet, typed: `Settings`, every default the schema's (`schema.SETTINGS`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .schema import (
    SETTING_BY_KEY,
    SETTINGS,
)


@dataclass(frozen=True)
class Settings:
    """The settings sheet, typed; every default is the schema's (`schema.SETTINGS`), the
    weights of `mixed` as a tuple of (rule, weight) pairs (none: empty)."""

    objective: str = SETTING_BY_KEY["objective"].default
    fair_share: str = SETTING_BY_KEY["fair_share"].default
    fair_share_weights: tuple[tuple[str, float], ...] = \
        tuple(SETTING_BY_KEY["fair_share_weights"].default or ())
    share_ceiling: float | None = SETTING_BY_KEY["share_ceiling"].default
    share_floor: float | None = SETTING_BY_KEY["share_floor"].default
    fairness_tolerance: float | None = SETTING_BY_KEY["fairness_tolerance"].default
    robustness: int = SETTING_BY_KEY["robustness"].default
    max_growth: float | None = SETTING_BY_KEY["max_growth"].default
    allow_shortfall: bool = SETTING_BY_KEY["allow_shortfall"].default
    tie_break: str = SETTING_BY_KEY["tie_break"].default
    path_year: int | None = SETTING_BY_KEY["path_year"].default
    path_total_share: float | None = SETTING_BY_KEY["path_total_share"].default
    path_core_share: float | None = SETTING_BY_KEY["path_core_share"].default
    max_change: float | None = SETTING_BY_KEY["max_change"].default
    currency: str = SETTING_BY_KEY["currency"].default
    time_limit: float | None = SETTING_BY_KEY["time_limit"].default
    mip_gap: float = SETTING_BY_KEY["mip_gap"].default
    negotiation_slack: float = SETTING_BY_KEY["negotiation_slack"].default

    def as_table(self) -> pd.DataFrame:
        """The settings as used, defaults filled in (the report's `inputs` sheet)."""
        rows = []
        for s in SETTINGS:
            value = getattr(self, s.key)
            if s.key == "fair_share_weights":
                value = ", ".join(f"{k}={w:g}" for k, w in value) if value else None
            rows.append((s.key, value))
        return pd.DataFrame(rows, columns=["key", "value"])
