"""The input schema: one table that drives reading, validation, `burden template` and the docs.

Each input sheet is a `Sheet` with its `Column`s: type, whether required, default,
allowed range, unit, an example value and a line of documentation. `inputs.py` validates
against it, `template.py` writes a workbook from it, and `column_reference()` renders the
column reference of docs/workbook.md, so the three never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

INF = float("inf")
YEAR_LOW, YEAR_HIGH = 1900, 2300  # a planning year, not a typo


@dataclass(frozen=True)
class Column:
    """One column of an input sheet."""

    name: str
    kind: str  # "text", "number", "integer", "bool"
    required: bool = False
    default: object = None
    low: float = -INF  # smallest allowed value
    high: float = INF  # largest allowed value
    low_open: bool = False  # True: value must be strictly greater than `low`
    high_open: bool = False
    unit: str = ""
    symbol: str = ""  # the docs/model.md symbol it feeds
    doc: str = ""
    example: object = None

    def expected(self) -> str:
        """What a valid cell holds, in a planner's words."""
        if self.kind == "text":
            return "a name (text)"
        if self.kind == "bool":
            return "TRUE or FALSE (or yes/no, 1/0)"
        noun = "a whole number" if self.kind == "integer" else "a number"
        bounds = []
        if self.low > -INF:
            bounds.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high < INF:
            bounds.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return noun + (" " + " and ".join(bounds) if bounds else "")


@dataclass(frozen=True)
class Sheet:
    """One sheet of the input workbook."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()  # columns whose combination must be unique
    doc: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _share(name, symbol, doc, example, default=None):
    return Column(name, "number", default=default, low=0, high=1, unit="fraction of GDP",
                  symbol=symbol, doc=doc, example=example)


SHEETS: tuple[Sheet, ...] = (
    Sheet("settings", (
        Column("key", "text", required=True, doc="a setting's name (see the settings list)",
               example="objective"),
        Column("value", "text", doc="its value", example="min_cost"),
    ), key=("key",), doc="How to solve: objective, fair-share rule, tolerances."),
    Sheet("members", (
        Column("member", "text", required=True, symbol="M", doc="member state", example="Poland"),
        Column("gdp", "number", required=True, low=0, low_open=True, unit="money",
               symbol="gdp[m]", doc="GDP in the first planning year", example=1000000),
        Column("gdp_growth", "number", default=0.0, low=-1, low_open=True, unit="fraction a year",
               symbol="gdp_growth[m]", doc="GDP growth per year (may be negative)", example=0.02),
        Column("population", "number", low=0, unit="persons (any one unit)", symbol="pop[m]",
               doc="population; required when a fair-share rule uses it", example=36.6),
        Column("personnel_available", "number", default=0.0, low=0, unit="persons",
               symbol="avail[m]", doc="deployable persons", example=20000),
        Column("personnel_cost", "number", low=0, unit="money per person-year",
               symbol="pcost[m]", doc="cost of one person for a year; required where "
               "personnel_available > 0", example=0.05),
        _share("floor_gdp_share", "floor[m,t]", "least spending, as a share of GDP", 0.02,
               default=0.0),
        _share("cap_gdp_share", "cap[m,t]", "most spending, as a share of GDP (blank: no cap)",
               0.05),
        Column("baseline", "number", low=0, unit="money", symbol="baseline[m]",
               doc="spending in the year before the first planning year (for the ramp)",
               example=30000),
        Column("reliability", "number", default=1.0, low=0, low_open=True, high=1,
               symbol="rel[m]", doc="share of pledged effect that can be counted on",
               example=1.0),
        _share("core_floor_gdp_share", "core_floor[m,t]",
               "least core defence spending (capabilities of category core), as a share of "
               "GDP", 0.02, default=0.0),
        _share("related_cap_gdp_share", "related_cap[m,t]",
               "most defence- and security-related spending (capabilities of category "
               "related), as a share of GDP (blank: no cap)", 0.015),
        Column("absent", "bool", default=False, symbol="absent[m]",
               doc="TRUE: the member stands aside (no contributions, no costs)", example=False),
    ), key=("member",), doc="One row a member state."),
    Sheet("capabilities", (
        Column("capability", "text", required=True, symbol="C", doc="capability area",
               example="air_defence"),
        Column("funding_effect", "number", default=0.0, low=0, unit="deterrence per money",
               symbol="ef[c]", doc="deterrence bought by one money unit", example=1.0),
        Column("personnel_effect", "number", default=0.0, low=0, unit="deterrence per person",
               symbol="ep[c]", doc="deterrence given by one deployed person", example=10.0),
        Column("category", "text", default="core", symbol="category[c]",
               doc="core (core defence, NATO's definition) or related (defence- and "
               "security-related: infrastructure, resilience, industrial base)",
               example="core"),
    ), key=("capability",), doc="Capability areas and what money and persons buy in each."),
    Sheet("targets", (
        Column("capability", "text", required=True, symbol="c", doc="a capability area",
               example="air_defence"),
        Column("region", "text", required=True, symbol="G", doc="region (theatre)",
               example="east"),
        Column("year", "integer", required=True, low=YEAR_LOW, high=YEAR_HIGH, symbol="T",
               doc="planning year", example=2026),
        Column("target", "number", required=True, low=0, unit="deterrence",
               symbol="target[c,g,t]", doc="deterrence required", example=50000),
        Column("priority", "number", default=1.0, low=0, symbol="priority[c,g,t]",
               doc="risk tier weight in the shortfall index (1 normal, higher = more urgent)",
               example=1),
    ), key=("capability", "region", "year"),
        doc="Deterrence targets, long form; defines the regions and years."),
    Sheet("equipment", (
        Column("equipment", "text", required=True, symbol="K", doc="equipment type",
               example="frigate"),
        Column("capability", "text", required=True, symbol="c(k)",
               doc="the capability it serves", example="maritime"),
        Column("effect", "number", required=True, low=0, unit="deterrence per unit",
               symbol="ek[k]", doc="deterrence of one unit", example=500),
        Column("unit_cost", "number", required=True, low=0, unit="money per unit-year",
               symbol="ucost[k]", doc="cost of one unit for a year", example=300),
        Column("crew", "number", default=0.0, low=0, unit="persons per unit", symbol="crew[k]",
               doc="persons one unit needs", example=200),
        Column("integer", "bool", default=False, symbol="integer[k]",
               doc="TRUE: whole units only", example=True),
    ), required=False, key=("equipment",), doc="Equipment types."),
    Sheet("inventory", (
        Column("member", "text", required=True, symbol="m", example="Poland"),
        Column("equipment", "text", required=True, symbol="k", example="frigate"),
        Column("units", "number", required=True, low=0, unit="units", symbol="inv[m,k]",
               doc="units held", example=4),
    ), required=False, key=("member", "equipment"), doc="Equipment each member holds."),
    Sheet("access", (
        Column("member", "text", required=True, symbol="m", example="Poland"),
        Column("region", "text", required=True, symbol="g", example="south"),
        Column("allowed", "bool", required=True, symbol="allowed[m,g]", example=False),
    ), required=False, key=("member", "region"),
        doc="Exceptions only: unlisted member-region pairs are allowed."),
    Sheet("quality", (
        Column("member", "text", required=True, symbol="m", example="Poland"),
        Column("capability", "text", required=True, symbol="c", example="land"),
        Column("multiplier", "number", required=True, low=0, symbol="q[m,c]",
               doc="quality multiplier on the member's effect (default 1)", example=1.1),
    ), required=False, key=("member", "capability"), doc="Quality multipliers."),
    Sheet("gdp", (
        Column("member", "text", required=True, symbol="m", example="Poland"),
        Column("year", "integer", required=True, low=YEAR_LOW, high=YEAR_HIGH, symbol="t",
               example=2027),
        Column("gdp", "number", required=True, low=0, low_open=True, unit="money",
               symbol="gdp[m,t]", doc="GDP that year (overrides the growth path)",
               example=1050000),
    ), required=False, key=("member", "year"), doc="GDP overrides by year."),
    Sheet("commitments", (
        Column("member", "text", required=True, symbol="m", example="Poland"),
        Column("year", "integer", required=True, low=YEAR_LOW, high=YEAR_HIGH, symbol="t",
               example=2027),
        _share("floor_gdp_share", "floor[m,t]", "floor that year only (blank: the member's)",
               0.03),
        _share("cap_gdp_share", "cap[m,t]", "cap that year only (blank: the member's)", 0.05),
        Column("pledge", "number", low=0, unit="money", symbol="pledge[m,t]",
               doc="money pledged that year (least spending)", example=40000),
        _share("core_floor_gdp_share", "core_floor[m,t]",
               "core floor that year only (blank: the member's)", 0.035),
        _share("related_cap_gdp_share", "related_cap[m,t]",
               "related cap that year only (blank: the member's)", 0.015),
    ), required=False, key=("member", "year"), doc="Per-year overrides of floors, caps, pledges."),
    Sheet("rules", (
        Column("rule", "text", required=True, symbol="r", doc="the rule's name",
               example="east_funding"),
        Column("measure", "text", required=True, symbol="mu",
               doc="what is summed: cost, funding, personnel, units or deterrence",
               example="funding"),
        Column("member", "text", doc="members it covers (blank: all; a name or a comma list)",
               example=None),
        Column("capability", "text", doc="capabilities it covers (blank: all; a comma list)",
               example=None),
        Column("region", "text", doc="regions it covers (blank: all; a comma list)",
               example="east"),
        Column("year", "text", doc="years it covers (blank: all; a comma list or a span "
               "2026-2030)", example=None),
        Column("per", "text", symbol="D_r",
               doc="blank: one limit over everything selected; or dimensions (member, "
               "capability, region, year, comma-separated) for one limit per group",
               example="year"),
        Column("sense", "text", required=True, doc="<=, >= or =", example=">="),
        Column("value", "number", unit="the measure's unit",
               doc="the limit itself (give value or share, not both)", example=None),
        Column("share", "number", low=0, high=1, unit="fraction",
               doc="the limit as a share of the same measure over the same group with only "
               "the year filter kept (give value or share, not both)", example=0.3),
    ), required=False, key=("rule",),
        doc="Planners' own limits on sums of cost, funding, personnel, units or deterrence."),
    Sheet("previous", (
        Column("member", "text", required=True, symbol="m", example="Poland"),
        Column("year", "integer", required=True, low=YEAR_LOW, high=YEAR_HIGH, symbol="t",
               example=2027),
        Column("cost", "number", required=True, low=0, unit="money", symbol="prev[m,t]",
               doc="the member's cost that year in the previous plan", example=45000),
    ), required=False, key=("member", "year"),
        doc="Last year's plan, for stability (max_change, tie_break previous_plan)."),
    Sheet("scenarios", (
        Column("scenario", "text", required=True, doc="scenario name", example="east+20%"),
    ), required=False, key=("scenario",),
        doc="One row per what-if scenario, one column per override path."),
    Sheet("sources", (
        Column("sheet", "text", required=True, doc="an input sheet", example="members"),
        Column("column", "text", required=True, doc="a column of that sheet", example="gdp"),
        Column("source", "text", required=True, doc="where the figures came from",
               example="NATO, Defence Expenditure of NATO Countries (2014-2026), Table 5"),
        Column("edition", "text", doc="edition or date", example="2026"),
        Column("note", "text", doc="estimates, derivations", example="2026 is an estimate"),
    ), required=False, doc="Where the inputs came from; copied to the report."),
)

SHEET_BY_NAME = {s.name: s for s in SHEETS}

OBJECTIVES = ("min_cost", "min_max_burden", "min_deviation")
FAIR_SHARE_RULES = ("gdp", "population", "equal", "mixed")
SHARE_RULES = ("gdp", "population", "equal")  # the rules `mixed` weighs
TIE_BREAKS = ("fair_share", "previous_plan", "none")
CATEGORIES = ("core", "related")
MEASURES = ("cost", "funding", "personnel", "units", "deterrence")
SENSES = ("<=", ">=", "=")
RULE_DIMENSIONS = ("member", "capability", "region", "year")


@dataclass(frozen=True)
class Setting:
    """One key of the settings sheet."""

    key: str
    kind: str  # "choice", "number", "integer", "bool", "text", "weights"
    default: object
    doc: str
    choices: tuple[str, ...] = ()
    low: float = -INF
    high: float = INF
    low_open: bool = False
    symbol: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("objective", "choice", "min_cost", "what stage 2 minimises", OBJECTIVES),
    Setting("fair_share", "choice", "gdp", "rule for fair shares s[m,t]", FAIR_SHARE_RULES),
    Setting("fair_share_weights", "weights", None,
            "weights of the rules for `mixed`, e.g. gdp=0.7, population=0.3"),
    Setting("share_ceiling", "number", None, "largest fair share any member gets", low=0,
            high=1, low_open=True),
    Setting("share_floor", "number", None, "smallest fair share any member gets", low=0, high=1),
    Setting("fairness_tolerance", "number", None,
            "band around fair shares: cost within (1 +- tau) s*total", low=0, symbol="tau"),
    Setting("robustness", "integer", 0,
            "targets hold even if this many members deliver nothing there", low=0,
            symbol="gamma"),
    Setting("max_growth", "number", None, "largest yearly growth of a member's spending",
            low=-1, low_open=True, symbol="rho"),
    Setting("allow_shortfall", "bool", True, "FALSE: every target must be met in full"),
    Setting("tie_break", "choice", "fair_share",
            "among equally good plans, prefer costs closest to fair shares (previous_plan: "
            "closest to the previous plan first, then to fair shares)", TIE_BREAKS),
    Setting("path_year", "integer", None,
            "the year the path shares are reached (e.g. 2035) and held after",
            low=YEAR_LOW, high=YEAR_HIGH, symbol="Y"),
    Setting("path_total_share", "number", None,
            "total spending a member reaches by path_year, as a share of GDP (e.g. 0.05)",
            low=0, high=1, symbol="Pt"),
    Setting("path_core_share", "number", None,
            "core spending a member reaches by path_year, as a share of GDP (e.g. 0.035)",
            low=0, high=1, symbol="Pc"),
    Setting("max_change", "number", None,
            "largest change of a member's cost from the previous plan, as a fraction of it",
            low=0, symbol="delta"),
    Setting("currency", "text", "USD million", "money unit (a label only)"),
    Setting("time_limit", "number", None, "seconds for the whole solve", low=0, low_open=True),
    Setting("mip_gap", "number", 1e-6, "relative MIP gap", low=0),
    Setting("negotiation_slack", "number", 0.01,
            "room to negotiate: total cost within (1 + eps) of its least", low=0, symbol="eps"),
)

SETTING_BY_KEY = {s.key: s for s in SETTINGS}


def column_reference() -> str:
    """The column reference of docs/workbook.md, as Markdown, generated from this schema."""
    lines = []
    for sheet in SHEETS:
        need = "required" if sheet.required else "optional"
        lines += [f"### `{sheet.name}` ({need})", "", sheet.doc, "",
                  "| column | required | type | default | unit | model symbol | meaning |",
                  "|---|---|---|---|---|---|---|"]
        for col in sheet.columns:
            default = "" if col.default is None else str(col.default)
            lines.append(f"| {col.name} | {'yes' if col.required else ''} | {col.expected()} "
                         f"| {default} | {col.unit} | {col.symbol} | {col.doc} |")
        lines.append("")
    lines += ["### settings keys", "", "| key | default | model symbol | meaning |",
              "|---|---|---|---|"]
    for s in SETTINGS:
        choices = f" ({' / '.join(s.choices)})" if s.choices else ""
        lines.append(f"| {s.key} | {'' if s.default is None else s.default} | {s.symbol} "
                     f"| {s.doc}{choices} |")
    return "\n".join(lines) + "\n"


#: The override paths of `--set`, `--grid` and the `scenarios` sheet's columns (docs/cli.md,
#: Sweeps), with what each changes: `burden sweep --help` and the template's readme list them.
OVERRIDE_PATHS: tuple[tuple[str, str], ...] = (
    ("settings.<key>", "a setting: settings.objective=min_max_burden"),
    ("members.<column>", "every member's: members.floor_gdp_share=0.02"),
    ("members[<member>].<column>", "one member's (wins over members.<column>)"),
    ("members[<member>].absent", "true: the member stands aside"),
    ("targets.scale", "multiplies every target: targets.scale=1.2"),
    ("targets[<region>].scale", "one region's targets: targets[east].scale=1.2"),
    ("targets[<capability>].scale", "one capability's targets"),
    ("rules[<rule>].value", "one rule's limit: rules[east].value=250000"),
    ("rules[<rule>].share", "one rule's share: rules[east].share=0.35"),
)
