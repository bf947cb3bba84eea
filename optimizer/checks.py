"""The checks across sheets and the per-year resolution of a case (`Case`): names known
(members, capabilities, regions, equipment), floors under caps, rules and the previous plan
resolved, shares possible, GDP and commitments per member and year; and the tables `Inputs`
hands out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import NOTHING as _NOTHING
from .reading import ROW
from .schema import (
    CATEGORIES,
    MEASURES,
    RULE_DIMENSIONS,
    SHEET_BY_NAME,
)
from .settings import Settings
from .sheets import Findings, TypedSheet, did_you_mean, norm

RULE_COLUMNS = ["rule", "measure", "sense", "value", "share", "per", *RULE_DIMENSIONS, "row"]


def _listed(names, shown: int = 4) -> str:
    """Up to `shown` names, and how many more."""
    names = list(names)
    more = len(names) - shown
    return ", ".join(map(str, names[:shown])) + (f" and {more} more" if more > 0 else "")


def empty_rules() -> pd.DataFrame:
    """The `rules` table of a case without rules."""
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("value", "share") else
                                      int if c == "row" else object) for c in RULE_COLUMNS})


def empty_previous() -> pd.DataFrame:
    """The `previous` table of a case without a previous plan."""
    return pd.DataFrame({"member": pd.Series(dtype=object), "year": pd.Series(dtype="int64"),
                         "cost": pd.Series(dtype=float)})


def _rows_of(table: pd.DataFrame, needed: list[str], convert: Mapping[str, type],
             index: str | None = None) -> pd.DataFrame:
    """An output table: the rows of `table` with every `needed` cell filled (and, with `index`,
    the first row of each value of that column, which becomes the index), without `_row`;
    the columns in `convert` as numpy arrays of that type (None: NaN for float, False for
    bool), the others with their dtype. The same as `dropna(subset=needed)`, then
    `drop_duplicates(subset=[index])` and `set_index(index)` or `reset_index(drop=True)`,
    `drop(columns=[ROW])` and `astype(convert)`, in a fraction of the time."""
    return _rows_from(table, _kept(table, needed, index), convert, index)


def _kept(table: pd.DataFrame, needed: list[str], index: str | None = None) -> list[int]:
    """The positions of the rows `_rows_of` keeps."""
    blank = np.zeros(len(table), dtype=bool)
    for column in needed:  # pd.isna of each cell
        blank |= table[column].isna().to_numpy(dtype=bool)
    keep = np.flatnonzero(~blank).tolist()
    if index is None:
        return keep
    names, seen, first = table[index].tolist(), set(), []
    for at in keep:
        if names[at] not in seen:
            seen.add(names[at])
            first.append(at)
    return first


def _rows_from(table: pd.DataFrame, keep: list[int], convert: Mapping[str, type],
               index: str | None = None) -> pd.DataFrame:
    """`_rows_of` of the rows `keep`."""
    every = len(keep) == len(table)
    if index is None:
        labels = pd.RangeIndex(len(keep))
    else:
        names = table[index].tolist()
        labels = pd.Index([names[at] for at in keep], dtype=table[index].dtype, name=index)
    data = {}
    for name in table.columns:
        if name in (ROW, index):
            continue
        values = table[name].tolist()
        if not every:
            values = [values[at] for at in keep]
        data[name] = np.array(values, dtype=convert[name]) if name in convert else \
            pd.Series(values, dtype=table[name].dtype, index=labels)
    return pd.DataFrame(data, index=labels)


def _names_list(text) -> list[str]:
    """A comma list as written in a rules cell: its items, stripped (blank: none)."""
    if text is None:
        return []
    return [item.strip() for item in str(text).split(",") if item.strip()]


#: a rule's sense as written: symbols, or words (Excel reads a cell typed `=` as the start of a
#: formula: type `'=` or `exactly`)
_SENSES = {"<=": "<=", "=<": "<=", "\u2264": "<=", "at most": "<=",
           ">=": ">=", "=>": ">=", "\u2265": ">=", "at least": ">=",
           "=": "=", "==": "=", "exactly": "="}


def _sense(text) -> str | None:
    """A rule's sense, `<=`, `>=` or `=` (None: not one of them)."""
    if text is None:
        return None
    return _SENSES.get(" ".join(str(text).split()).lower())


def _same_key(a: tuple, b: tuple) -> bool:
    """Whether two keys of a `Case` piece name the same inputs: tables (and results of other
    pieces) the very same objects, anything else equal values of the same type."""
    frames = (pd.DataFrame, pd.Series)
    return len(a) == len(b) and all(
        x is y or (not isinstance(x, frames) and not isinstance(y, frames)
                   and type(x) is type(y) and x == y) for x, y in zip(a, b))


_MEMBER_CHECKS = ("floor_gdp_share", "cap_gdp_share", "personnel_available", "personnel_cost",
                  "core_floor_gdp_share")


_MEMBER_PATHS = ("member", "gdp", "gdp_growth", "floor_gdp_share", "cap_gdp_share",
                 "core_floor_gdp_share", "related_cap_gdp_share")


@dataclass(frozen=True, eq=False)  # a piece's result: compared as the same object or not
class _MemberGrid:
    """The (member, year) index of `member_years`: every member with a name and a GDP (each
    name's first row; `at`: positions in the members table) and every planning year;
    `position` of each (member, year) in it."""

    at: list[int]
    names: list
    years: list[int]
    index: pd.MultiIndex
    position: dict

    @classmethod
    def of(cls, members: pd.DataFrame, years: list[int]) -> _MemberGrid:
        at, seen, every = [], set(), members["member"].tolist()
        for i, (name, gdp) in enumerate(zip(every, members["gdp"].tolist())):
            if not (pd.isna(name) or pd.isna(gdp) or name in seen):
                seen.add(name)
                at.append(i)
        names = [every[i] for i in at]
        index = pd.MultiIndex.from_product([names, years], names=["member", "year"])
        span = len(years)
        position = {(m, y): i * span + j for i, m in enumerate(names)
                    for j, y in enumerate(years)}
        return cls(at, names, years, index, position)


class Case:
    """Cross-sheet checks (names known, floors under caps, shares possible) and the per-year
    resolution of GDP and commitments.

    `build` is a sequence of pieces, each a function of a few typed tables (or other pieces'
    results) and names: `earlier` holds the pieces of the case this one was derived from (an
    override), and a piece whose inputs are unchanged gives back that result and replays the
    problems and warnings it recorded, in order; the others are computed. `pieces` collects
    this case's pieces for the next one."""

    def __init__(self, found: Findings, typed: dict[str, pd.DataFrame], settings: Settings,
                 earlier: Mapping[str, tuple] | None = None):
        self.found = found
        self.typed = typed
        self.settings = settings
        self.earlier = earlier or {}
        self.pieces: dict[str, tuple] = {}

    def piece(self, name: str, key: tuple, compute):
        """`compute()`, or the earlier case's result if `key` names the same inputs."""
        old = self.earlier.get(name)
        if old is not None and _same_key(old[0], key):
            _, value, problems, warnings = old
            self.found.problems.extend(problems)
            self.found.warnings.extend(warnings)
        else:
            problems, warnings = len(self.found.problems), len(self.found.warnings)
            value = compute()
            problems = tuple(self.found.problems[problems:])
            warnings = tuple(self.found.warnings[warnings:])
        self.pieces[name] = (key, value, problems, warnings)
        return value

    def table(self, name) -> pd.DataFrame:
        if name in self.typed:
            return self.typed[name]
        return pd.DataFrame({ROW: pd.Series(dtype=int),
                             **{c.name: pd.Series(dtype=object)
                                for c in SHEET_BY_NAME[name].columns}})

    def sheet(self, name) -> tuple:
        """What a piece that reads a typed sheet is keyed on: the typed table itself (the
        same object while an override leaves the sheet alone; None for a sheet not given,
        whose empty table is always the same)."""
        return (self.typed.get(name),)

    def columns(self, sheet, *columns) -> tuple:
        """What a piece that reads only these columns of a typed sheet is keyed on: their
        values (the typed table itself when the sheet is the earlier case's, which an
        override leaves alone), so an override of another column reuses the piece."""
        table = self.typed.get(sheet)
        if table is None:
            return (None,)
        return tuple(tuple(table[c].tolist()) for c in columns)

    def names(self, sheet, column) -> dict[str, str]:
        """Canonical spelling of each name defined in `sheet`, keyed by its lower case (a
        piece keyed on the column; not to be changed)."""
        name, key = f"names {sheet}.{column}", self.columns(sheet, column)
        done = self.pieces.get(name)
        if done is not None and _same_key(done[0], key):  # asked for again by this case
            return done[1]
        return self.piece(name, key, lambda: {
            v.lower(): v for v in self.table(sheet)[column].tolist() if isinstance(v, str)})

    def resolve(self, table, sheet, column, known: dict[str, str], what: str,
                unknown_warns: bool = False) -> pd.Series:
        """Map names to their canonical spelling; unknown names are problems (warnings with
        `unknown_warns`, the name then blank, so its row is left out)."""
        out = []
        for value, row in zip(table[column].tolist(), table[ROW].tolist()):
            if value is None:
                out.append(None)
                continue
            canonical = known.get(value.lower())
            if canonical is None and unknown_warns:
                self.found.warn(f"{self.found.at(sheet, row)}: {column} '{value}' has "
                                "no target; the row is ignored"
                                + did_you_mean(value, known.values()))
            elif canonical is None:
                listed = ", ".join(list(known.values())[:12])
                self.found.add(sheet, row, column, value,
                               f"{what} defined in the workbook ({listed})"
                               + did_you_mean(value, known.values()))
            out.append(canonical)
        return pd.Series(out, index=table.index, dtype=object)

    def build(self, source: str, sha256: str) -> dict:
        """The fields of the case's `Inputs`."""
        piece, typed = self.piece, self.typed.get

        def names(sheet, column):  # a key: the names in their order
            return tuple(self.names(sheet, column).items())

        member_names = names("members", "member")
        capability_names = names("capabilities", "capability")
        region_names = names("targets", "region")
        equipment_names = names("equipment", "equipment")

        # the targets' names resolved: a piece of its own, kept while the names are the same
        # (a sweep scales the targets, which changes only the target column)
        target_names = piece("target_names", (
            self.columns("targets", ROW, "capability", "region"), capability_names),
            self._target_names)
        targets = piece("targets", (typed("targets"), target_names),
                        lambda: self._targets(target_names))
        equipment = piece("equipment", (typed("equipment"), capability_names),
                          lambda: self._resolved("equipment", ("capability", dict(
                              capability_names), "a capability")))
        inventory = piece("inventory", (typed("inventory"), member_names, equipment_names),
                          lambda: self._member_table("inventory", dict(member_names), (
                              "equipment", dict(equipment_names), "an equipment type")))
        access = piece("access", (typed("access"), member_names, region_names),
                       lambda: self._member_table("access", dict(member_names), (
                           "region", dict(region_names), "a region named in targets"),
                           unknown_warns=True))
        quality = piece("quality", (typed("quality"), member_names, capability_names),
                        lambda: self._member_table("quality", dict(member_names), (
                            "capability", dict(capability_names), "a capability")))
        gdp_rows = piece("gdp", (typed("gdp"), member_names),
                         lambda: self._member_table("gdp", dict(member_names)))
        commitments = piece("commitments", (typed("commitments"), member_names),
                            lambda: self._member_table("commitments", dict(member_names)))
        piece("sources", (typed("sources"),), lambda: self._check_sources(self.table("sources")))
        members = self.table("members")

        piece("check_members", self.columns("members", ROW, *_MEMBER_CHECKS),
              lambda: self._check_members(members))
        if targets.empty and "targets" in self.typed:
            self.found.add("targets", None, None, _NOTHING, "at least one target row")
        if members.empty and "members" in self.typed:
            self.found.add("members", None, None, _NOTHING, "at least one member row")
        years = piece("years", self.columns("targets", "year"), lambda: tuple(sorted(
            {int(y) for y in targets["year"].tolist() if y is not None})))
        grid = piece("member_grid", (*self.columns("members", "member"), tuple(
            members["gdp"].isna().tolist()), years), lambda: _MemberGrid.of(members, list(years)))
        member_years = piece("member_years", (
            self.columns("members", ROW, *_MEMBER_PATHS), grid, gdp_rows, commitments),
            lambda: self._member_years(members, grid, gdp_rows, commitments))
        self._check_settings(members)
        piece("check_categories", self.columns("capabilities", ROW, "category"),
              lambda: self._check_categories(self.table("capabilities")))
        rules = piece("rules", (typed("rules"), member_names, capability_names, region_names,
                                years, *self.columns("members", "member", "absent"), access),
                      lambda: self._rules(dict(member_names), dict(capability_names),
                                          dict(region_names), years, members, access))
        previous = piece("previous", (typed("previous"), member_names, years),
                         lambda: self._previous(dict(member_names), years))
        self._check_levers(years, previous, members)

        numbers = ("gdp", "gdp_growth", "population", "personnel_available", "personnel_cost",
                   "floor_gdp_share", "cap_gdp_share", "baseline", "reliability")
        equipment_out = lambda: _rows_of(equipment, ["equipment"], {  # noqa: E731
            "effect": float, "unit_cost": float, "crew": float, "integer": bool},
            index="equipment")
        capabilities = self.table("capabilities")
        capabilities_out = lambda: _rows_of(capabilities, ["capability"], dict.fromkeys(  # noqa: E731
            [c for c in capabilities.columns if c not in (ROW, "capability", "category")],
            float), index="capability").assign(category=lambda table: [
                str(c).lower() for c in table["category"].tolist()])

        # outputs: pieces too (no problems), each handed out as a copy of the one kept
        out = {
            "members": piece("members_out", self.sheet("members"), lambda: _rows_of(
                members, ["member"], {**dict.fromkeys(numbers, float), "absent": bool},
                index="member")),
            "targets": piece("targets_out", (targets,), lambda: _rows_of(
                targets, ["capability", "region", "year", "target"],
                {"year": int, "target": float, "priority": float})),
        }
        outputs = {
            "equipment": (equipment_out, equipment),
            "capabilities": (capabilities_out, typed("capabilities")),
            "inventory": (lambda: _rows_of(inventory, ["member", "equipment", "units"],
                                           {"units": float}), inventory),
            "access": (lambda: _rows_of(access, ["member", "region", "allowed"],
                                        {"allowed": bool}), access),
            "quality": (lambda: _rows_of(quality, ["member", "capability", "multiplier"],
                                         {"multiplier": float}), quality),
            "scenarios": (lambda: self.table("scenarios").drop(columns=[ROW]).reset_index(
                drop=True), typed("scenarios")),
            "sources": (lambda: self.table("sources").drop(columns=[ROW]).reset_index(
                drop=True), typed("sources")),
        }
        out.update({name: piece(f"{name}_out", (on,), compute)
                    for name, (compute, on) in outputs.items()})
        out = {name: table.copy() for name, table in out.items()}
        out["rules"], out["previous"] = rules.copy(), previous.copy()
        tables = {name: table.copy() for name, table in self.typed.items()}
        return dict(
            source=source, sha256=sha256, settings=self.settings,
            member_years=member_years.copy(),
            warnings=tuple(self.found.warnings),
            tables=tables,
            _memo={"file": self.found.file, "kind": self.found.kind,
                   "labels": self.found.labels, "index_of": self.found.index_of,
                   "typed": {name: TypedSheet(tables[name], table)
                             for name, table in self.typed.items()},
                   "pieces": self.pieces},
            **out,
        )

    def _target_names(self) -> pd.DataFrame:
        """The targets' capability and region columns, names canonical (unknown capabilities
        are problems)."""
        targets = self._resolved("targets", ("capability", dict(self.names(
            "capabilities", "capability")), "a capability"))
        region_names = self.names("targets", "region")
        targets["region"] = targets["region"].map(
            lambda r: region_names.get(r.lower()) if isinstance(r, str) else r)
        return targets[["capability", "region"]]

    def _targets(self, names: pd.DataFrame) -> pd.DataFrame:
        """The targets sheet with its names canonical (`_target_names`)."""
        targets = self.table("targets").copy(deep=False)  # copy-on-write
        for column in names.columns:
            targets[column] = names[column]
        return targets

    def _resolved(self, sheet, other) -> pd.DataFrame:
        """A copy of a sheet with the names in `other` = (column, known, what) canonical."""
        table = self.table(sheet).copy()
        column, known, what = other
        table[column] = self.resolve(table, sheet, column, known, what)
        return table

    def _member_table(self, sheet, member_names, other=None,
                      unknown_warns: bool = False) -> pd.DataFrame:
        """A copy of a sheet with its member names (and `other` = (column, known, what))
        canonical; with `unknown_warns`, an unknown name in `other` is a warning and its row
        is ignored (an access row for a region that has no target)."""
        table = self.table(sheet).copy()
        table["member"] = self.resolve(table, sheet, "member", member_names, "a member")
        if other is not None:
            column, known, what = other
            table[column] = self.resolve(table, sheet, column, known, what, unknown_warns)
        return table

    def _check_sources(self, sources: pd.DataFrame):
        for sheet, column, row in zip(sources["sheet"].tolist(), sources["column"].tolist(),
                                      sources[ROW].tolist()):
            named = SHEET_BY_NAME.get(norm(sheet)) if sheet is not None else None
            if sheet is not None and named is None:
                self.found.add("sources", row, "sheet", sheet,
                               f"an input sheet ({', '.join(SHEET_BY_NAME)})")
            elif named is not None and column is not None and column.strip() != "*" and \
                    norm(column) not in {c.name for c in named.columns}:
                listed = ", ".join(c.name for c in named.columns)
                self.found.add("sources", row, "column", column,
                               f"a column of sheet '{named.name}' ({listed}), or * for all")

    def _check_members(self, members: pd.DataFrame):
        for floor, cap, avail, cost, core, row in zip(
                *(members[c].tolist() for c in ("floor_gdp_share", "cap_gdp_share",
                                                "personnel_available", "personnel_cost",
                                                "core_floor_gdp_share", ROW))):
            if floor is not None and cap is not None and floor > cap:
                self.found.add("members", row, "floor_gdp_share", floor,
                               f"a floor no higher than the cap ({cap:g})")
            if core is not None and cap is not None and core > cap:
                self.found.add("members", row, "core_floor_gdp_share", core,
                               f"a core floor no higher than the cap ({cap:g})")
            if avail is not None and avail > 0 and cost is None:
                self.found.add("members", row, "personnel_cost", None,
                               "a personnel cost where personnel_available > 0")

    def _member_years(self, members, grid: _MemberGrid, gdp_rows,
                      commitments) -> pd.DataFrame:
        """gdp[m,t], floor[m,t], cap[m,t], pledge[m,t] for every member and planning year."""
        columns = ("gdp", "gdp_growth", "floor_gdp_share", "cap_gdp_share",
                   "core_floor_gdp_share", "related_cap_gdp_share", ROW)
        cells = [members[c].tolist() for c in columns]
        names, years, index, position = grid.names, grid.years, grid.index, grid.position
        gdp0, growth_of, floor0, cap0, core0, related0, rows = (
            [column[at] for at in grid.at] for column in cells)
        if not len(index):
            return pd.DataFrame(index=index).assign(
                gdp=[], floor_share=[], cap_share=[], pledge=[], core_floor_share=[],
                related_cap_share=[])
        span = len(years)

        def per_year(values) -> np.ndarray:  # one value a member -> one a (member, year)
            return np.repeat(np.asarray(values, dtype=float), span)

        def filled(values, default):
            return [default if pd.isna(v) else v for v in values]

        growth = per_year(filled(growth_of, 0.0))
        year = np.tile(np.asarray(years, dtype=float), len(names))
        with np.errstate(over="ignore", invalid="ignore"):
            gdp = per_year(gdp0) * (1.0 + growth) ** (year - min(years))
        reported = set()
        for i in np.flatnonzero(~np.isfinite(gdp)):
            member = i // span
            if member not in reported:
                reported.add(member)
                self.found.add("members", int(rows[member]), "gdp_growth", growth_of[member],
                               "a growth rate whose GDP path stays finite over the planning "
                               "years")
        floor = per_year(filled(floor0, 0.0))
        cap = per_year(cap0)
        core_floor = per_year(filled(core0, 0.0))
        related_cap = per_year(related0)
        pledge = np.zeros(len(index))
        source_row = {}  # position of (member, year) -> (commitments row, column) that set it
        core_row = {}  # position of (member, year) -> commitments row that set its core floor
        year_set = set(years)
        for member, year_, value, row in zip(*(gdp_rows[c].tolist() for c in
                                               ("member", "year", "gdp", ROW))):
            if pd.isna(member) or pd.isna(year_) or pd.isna(value):
                continue
            key = (member, int(year_))
            if key[1] not in year_set:
                self.found.warn(f"{self.found.at('gdp', row)}: year {key[1]} is not a planning "
                                "year; ignored")
            elif key in position:
                gdp[position[key]] = value
        targets = {"floor_gdp_share": floor, "cap_gdp_share": cap, "pledge": pledge,
                   "core_floor_gdp_share": core_floor, "related_cap_gdp_share": related_cap}
        for member, year_, row, *values in zip(*(commitments[c].tolist() for c in (
                "member", "year", ROW, *targets))):
            if pd.isna(member) or pd.isna(year_):
                continue
            key = (member, int(year_))
            if key[1] not in year_set:
                self.found.warn(f"{self.found.at('commitments', row)}: year {key[1]} is not a "
                                "planning year; ignored")
                continue
            if key not in position:
                continue
            at = position[key]
            for (column, target), value in zip(targets.items(), values):
                if value is not None:
                    target[at] = value
                    if column in ("floor_gdp_share", "cap_gdp_share"):
                        source_row[at] = (row, column)
                    elif column == "core_floor_gdp_share":
                        core_row[at] = row
        frame = pd.DataFrame({"gdp": gdp, "floor_share": floor, "cap_share": cap,
                              "pledge": pledge, "core_floor_share": core_floor,
                              "related_cap_share": related_cap}, index=index)
        for at in np.flatnonzero(core_floor > cap):
            if at in core_row or source_row.get(at, (0, ""))[1] == "cap_gdp_share":
                key = index[at]
                self.found.add("commitments", int(core_row.get(at, source_row.get(at, (0,))[0])),
                               "core_floor_gdp_share", core_floor[at],
                               f"a core floor no higher than the cap ({cap[at]:g}) for "
                               f"{key[0]} in {key[1]}")
        for at in np.flatnonzero(floor > cap):
            if at not in source_row:
                continue  # the members row itself: reported once by _check_members
            row, column = source_row[at]
            key = index[at]
            value = floor[at] if column == "floor_gdp_share" else cap[at]
            expected = f"a floor no higher than the cap ({cap[at]:g}) for {key[0]} in " \
                f"{key[1]}" if column == "floor_gdp_share" else \
                f"a cap no lower than the floor ({floor[at]:g}): the floor is above the cap " \
                f"({cap[at]:g}) for {key[0]} in {key[1]}"
            self.found.add("commitments", int(row), column, value, expected)
        return frame

    def _check_categories(self, capabilities: pd.DataFrame):
        for value, row in zip(capabilities["category"].tolist(), capabilities[ROW].tolist()):
            if value is not None and value.lower() not in CATEGORIES:
                self.found.add("capabilities", row, "category", value,
                               f"one of {', '.join(CATEGORIES)}")

    def _rules(self, member_names, capability_names, region_names, years, members,
               access) -> pd.DataFrame:
        """The rules sheet checked and resolved (`Inputs.rules`): measure, sense, exactly one
        of value and share, `per` dimensions, filters naming known members, capabilities,
        regions and planning years, and a selection holding at least one cell (a present
        member allowed in a selected region). A rule that selects only members standing
        aside binds nobody: it is left out, with a warning."""
        table = self.table("rules")
        present = {m for m, gone in zip(members["member"].tolist(), members["absent"].tolist())
                   if isinstance(m, str) and not gone}
        denied = {(m, g) for m, g, allowed in zip(access["member"].tolist(),
                                                  access["region"].tolist(),
                                                  access["allowed"].tolist())
                  if m is not None and g is not None and allowed is False}
        known = {"member": (member_names, "a member"),
                 "capability": (capability_names, "a capability"),
                 "region": (region_names, "a region named in targets")}
        typed_badly = {(p.row, p.column) for p in self.found.problems if p.sheet == "rules"}
        out = []
        for record in table.to_dict("records"):
            row, add = record[ROW], self.found.add
            before = len(self.found.problems)
            measure = (record["measure"] or "").lower()
            if record["measure"] is not None and measure not in MEASURES:
                add("rules", row, "measure", record["measure"],
                    f"one of {', '.join(MEASURES)}" + did_you_mean(measure, MEASURES))
            sense = _sense(record["sense"])
            if record["sense"] is not None and sense is None:
                add("rules", row, "sense", record["sense"],
                    "one of <=, >=, = (or at most, at least, exactly)")
            value, share = record["value"], record["share"]
            if value is None and share is None and not {(row, "value"), (row, "share")} & \
                    typed_badly:
                add("rules", row, "value", None, "a value or a share (one of the two)")
            elif value is not None and share is not None:
                add("rules", row, "share", share,
                    f"a value or a share, not both (value is {value:g})")
            per = _names_list(record["per"])
            for name in per:
                if name.lower() not in RULE_DIMENSIONS:
                    add("rules", row, "per", record["per"],
                        f"dimensions among {', '.join(RULE_DIMENSIONS)}, comma-separated")
                    break
            per = tuple(d for d in RULE_DIMENSIONS if d in {n.lower() for n in per})
            filters = {}
            for dimension, (names, what) in known.items():
                filters[dimension] = self._filter(record, row, dimension, names, what)
            filters["year"] = self._year_filter(record, row, years)
            if len(self.found.problems) > before or record["rule"] is None:
                continue
            chosen = filters["member"] if filters["member"] is not None else \
                tuple(member_names.values())
            here = [m for m in chosen if m in present]
            if not here:
                self.found.warn(f"{self.found.at('rules', row)}: rule '{record['rule']}' "
                                "covers only members standing aside; left out")
                continue
            regions = filters["region"] if filters["region"] is not None else \
                tuple(region_names.values())
            if all((m, g) in denied for m in here for g in regions):
                # the cell the planner narrowed: the regions, else the members
                column = "member" if filters["region"] is None and \
                    filters["member"] is not None else "region"
                add("rules", row, column, record[column],
                    "a selection holding at least one cell: none of the members it covers "
                    f"({_listed(here)}) is allowed in the regions it covers "
                    f"({_listed(regions)}) by the access sheet")
                continue
            out.append((record["rule"], measure, sense,
                        float(value) if value is not None else np.nan,
                        float(share) if share is not None else np.nan, per,
                        filters["member"], filters["capability"], filters["region"],
                        filters["year"], int(row)))
        frame = pd.DataFrame(out, columns=RULE_COLUMNS) if out else empty_rules()
        return frame.astype({"row": "int64"})

    def _filter(self, record, row, dimension, names, what) -> tuple | None:
        """A rule's filter on `dimension`: the canonical names it lists (None: all)."""
        listed = _names_list(record[dimension])
        if not listed:
            return None
        resolved = []
        for name in listed:
            canonical = names.get(name.lower())
            if canonical is None:
                shown = ", ".join(list(names.values())[:12])
                self.found.add("rules", row, dimension, name,
                               f"{what} defined in the workbook ({shown})"
                               + did_you_mean(name, names.values()))
            elif canonical not in resolved:
                resolved.append(canonical)
        return tuple(resolved)

    def _year_filter(self, record, row, years) -> tuple | None:
        """A rule's years: a comma list of planning years or spans `2026-2030` (None: all)."""
        listed = _names_list(record["year"])
        if not listed:
            return None
        chosen = []
        for item in listed:
            first, dash, last = item.partition("-")
            try:
                span = range(int(float(first)), int(float(last if dash else first)) + 1)
            except ValueError:
                span = None
            if span is None or not span or any(y not in years for y in (span[0], span[-1])):
                self.found.add("rules", row, "year", item,
                               "planning years (" + ", ".join(map(str, years)) + ") or a span "
                               "of them such as 2026-2030, comma-separated")
                continue
            chosen += [y for y in span if y in years and y not in chosen]
        return tuple(sorted(chosen))

    def _previous(self, member_names, years) -> pd.DataFrame:
        """The previous plan's costs (`Inputs.previous`) of known members in planning years;
        a year outside the plan is ignored with a warning."""
        table = self.table("previous")
        table = table.assign(member=self.resolve(table, "previous", "member", member_names,
                                                 "a member"))
        keep = []
        for at, (member, year, cost, row) in enumerate(zip(
                *(table[c].tolist() for c in ("member", "year", "cost", ROW)))):
            if member is None or year is None or cost is None:
                continue
            if year not in years:
                self.found.warn(f"{self.found.at('previous', row)}: year {year} is not a "
                                "planning year; ignored")
                continue
            keep.append(at)
        if not keep:
            return empty_previous()
        kept = table.iloc[keep]
        return pd.DataFrame({"member": kept["member"].to_numpy(object),
                             "year": kept["year"].to_numpy("int64"),
                             "cost": kept["cost"].to_numpy(float)})

    def _check_levers(self, years, previous: pd.DataFrame, members: pd.DataFrame):
        """The path settings come together, the path year within reach; stability needs a
        previous plan."""
        s, rows, add = self.settings, self.found.setting_rows, self.found.add
        shares = [k for k in ("path_total_share", "path_core_share") if getattr(s, k) is not None]
        if s.path_year is None and shares:
            add("settings", rows.get(shares[0]), "value", getattr(s, shares[0]),
                f"a path_year (the year {shares[0]} is reached) beside it")
        if s.path_year is not None and not shares and not (
                "path_total_share" in rows or "path_core_share" in rows):
            add("settings", rows.get("path_year"), "value", s.path_year,
                "path_total_share or path_core_share beside path_year")
        if s.path_year is not None and years and s.path_year < years[0]:
            add("settings", rows.get("path_year"), "value", s.path_year,
                f"a path year from the first planning year ({years[0]}) on")
        if s.path_year is not None and shares and "members" in self.typed:
            blank = [m for m, b, gone in zip(*(members[c].tolist() for c in (
                "member", "baseline", "absent"))) if isinstance(m, str) and b is None
                and not gone]
            if blank:
                self.found.warn(
                    f"{self.found.where('members')}: no baseline for {', '.join(blank[:8])}"
                    + (f" and {len(blank) - 8} more" if len(blank) > 8 else "")
                    + ": their path starts from 0% of GDP")
        wants = [k for k, on in (("max_change", s.max_change is not None),
                                 ("tie_break", s.tie_break == "previous_plan")) if on]
        if wants and previous.empty:
            add("settings", rows.get(wants[0]), "value", getattr(s, wants[0]),
                "a previous plan beside it: a previous sheet (member, year, cost) or "
                "burden solve --previous LAST-REPORT.xlsx")

    def _check_settings(self, members: pd.DataFrame):
        s = self.settings
        here = [not bool(a) for a in members["absent"].tolist()]
        count = sum(here)
        rules = {s.fair_share} if s.fair_share != "mixed" else {r for r, _ in
                                                                s.fair_share_weights}
        if "population" in rules:
            present = members[here] if len(members) else members
            for _, row in present.iterrows():
                if row["population"] is None:
                    self.found.add("members", row[ROW], "population", None,
                                   "a population, since the fair-share rule uses it")
            if count and all(p is not None for p in present["population"]) and \
                    sum(present["population"]) <= 0:
                self.found.add("members", None, "population", 0,
                               "populations summing to more than 0")
        rows = self.found.setting_rows
        if s.share_ceiling is not None and count and s.share_ceiling * count < 1:
            self.found.add("settings", rows.get("share_ceiling"), "value", s.share_ceiling,
                           f"a share ceiling of at least 1/{count} ({1 / count:.4g}) so that "
                           f"{count} members' fair shares can sum to 1")
        if s.share_floor is not None and count and s.share_floor * count > 1:
            self.found.add("settings", rows.get("share_floor"), "value", s.share_floor,
                           f"a share floor of at most 1/{count} ({1 / count:.4g}) so that "
                           f"{count} members' fair shares can sum to 1")
        if s.share_floor is not None and s.share_ceiling is not None and \
                s.share_floor > s.share_ceiling:
            self.found.add("settings", rows.get("share_floor"), "value", s.share_floor,
                           f"a share floor no higher than the share ceiling ({s.share_ceiling})")
        if count == 0 and len(members):
            self.found.add("members", None, "absent", _NOTHING, "at least one member present")
