"""The labelled formulation: variables and rows that carry their labels.

A model is written once, as blocks in the planners' terms, on plain numpy and pandas:

- a `Variable` block: one column per row of its `labels` frame (member, capability, region,
  year, equipment...), with its bounds, integrality and unit of measure;
- a `Rows` block: one row per row of its `labels` frame, stated as `lower <= A x <= upper`
  with the terms `(row, column, coefficient)` built element-wise or summed over keys;
- `Bounds`: a family's bounds on a variable another family declares (the commitments on
  `cost[m,t]`, the personnel limit on `persons[m,t]`);
- `Objective`: one per lexicographic stage.

A family (one module each, listed once in `models.registry`) declares its variables and then
its rows; the `Formulation` collects them, puts the columns in the registry's order
(`COLUMN_ORDER`, never the order of calls) and is what everything downstream reads: the
matrices for HiGHS (`row_specs`, `objective_specs`, `lower`, `upper`, `integer`,
`column_unit`), the Pyomo model (`models.pyomo_model`), the extraction and the explanation of
an infeasible plan (each family's `explain`, next to its rows).

Structural pieces a sweep's scenarios share (index sets, look-ups, entry lists) go through
`StructureCache.call(function, *arguments)`: the key of a piece is the arguments it is
computed from, so nothing can be left out of it, and the function must be a module-level one
without a closure (`call` refuses any other).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


class Labels:
    """The labels of a block without copying them: the `keys` columns of `frame` (its rows
    `take`, or all), and `references` (arrays such as each row's target number). Reads as
    a frame does where the blocks' readers need it: `len`, `columns`, `labels[key]`,
    `labels.iloc[i]`; `frame()` gives the frame itself."""

    def __init__(self, frame: pd.DataFrame, keys, take=None, references: dict | None = None):
        self.source, self.keys, self.take = frame, list(keys), take
        self.references = references or {}
        self._frame = None

    def __len__(self) -> int:
        return len(self.source) if self.take is None else len(self.take)

    @property
    def columns(self) -> list[str]:
        return self.keys + list(self.references)

    def __getitem__(self, key) -> pd.Series:
        if key in self.references:
            return pd.Series(self.references[key], name=key)
        column = self.source[key]
        if self.take is not None:
            column = column.take(self.take)
        return column.reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            frame = self.source[self.keys]
            if self.take is not None:
                frame = frame.take(self.take)
            frame = frame.reset_index(drop=True)
            for key, values in self.references.items():
                frame[key] = values
            self._frame = frame
        return self._frame

    @property
    def iloc(self):
        return self.frame().iloc


@dataclass(eq=False)
class Variable:
    """A block of columns, one per row of `labels` (a frame, or `Labels`). `codes`: the integer code of each label
    (its position in its index set, -1 in none), for look-ups; `unit`: what one unit of the
    column counts for the solver (`models.sets.units_of_measure`)."""

    name: str
    labels: pd.DataFrame | Labels
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray | None = None
    unit: float = 1.0
    doc: str = ""
    codes: dict = field(default_factory=dict)
    family: str = ""  # set by the Formulation
    offset: int = 0  # first global column, set by the Formulation

    def __post_init__(self):
        size = len(self.labels)
        self.lower = np.array(np.broadcast_to(np.asarray(self.lower, float), (size,)))
        self.upper = np.array(np.broadcast_to(np.asarray(self.upper, float), (size,)))
        self.integer = np.zeros(size, dtype=bool) if self.integer is None else \
            np.asarray(self.integer, dtype=bool)

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def keys(self) -> list[str]:
        return list(self.labels.columns)

    def column(self, positions) -> np.ndarray:
        """Global column numbers of positions within this block."""
        return self.offset + np.asarray(positions, dtype=np.int64)


@dataclass(eq=False)
class Rows:
    """A block of rows `lower[i] <= sum coefficient * x[column] <= upper[i]`, one per row of
    `labels` (a frame, or `Labels`); `rows` numbers the terms' rows within the block, `columns` are global."""

    name: str
    labels: pd.DataFrame | Labels
    rows: np.ndarray
    columns: np.ndarray
    coefficients: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    doc: str = ""
    family: str = ""  # set by the Formulation
    #: rows left out because they have no terms yet must hold (a target no one can reach,
    #: shortfall off): their labels, for the family's explanation
    impossible: pd.DataFrame | None = None

    def __post_init__(self):
        self.rows = np.asarray(self.rows, dtype=np.int64)
        self.columns = np.asarray(self.columns, dtype=np.int64)
        self.coefficients = np.asarray(self.coefficients, dtype=float)
        self.lower = np.asarray(self.lower, dtype=float)
        self.upper = np.asarray(self.upper, dtype=float)

    @property
    def size(self) -> int:
        return len(self.lower)


@dataclass(eq=False)
class Bounds:
    """Bounds a family puts on a variable declared by another (None: left as it is)."""

    variable: str
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    doc: str = ""


@dataclass(eq=False)
class Objective:
    """A stage objective: `sum coefficient * x[column]` (global columns)."""

    name: str
    columns: np.ndarray
    coefficients: np.ndarray
    doc: str = ""

    def __post_init__(self):
        self.columns = np.asarray(self.columns, dtype=np.int64)
        self.coefficients = np.asarray(self.coefficients, dtype=float)


@dataclass(eq=False)
class Sums:
    """Sums of the plan the report reads, one per row of `labels`, constraining nothing:
    `value[i] = sum coefficient * x[column]` over the terms with `rows == i`."""

    name: str
    labels: pd.DataFrame
    rows: np.ndarray
    columns: np.ndarray
    coefficients: np.ndarray
    doc: str = ""

    def __post_init__(self):
        self.rows = np.asarray(self.rows, dtype=np.int64)
        self.columns = np.asarray(self.columns, dtype=np.int64)
        self.coefficients = np.asarray(self.coefficients, dtype=float)

    def at(self, x: np.ndarray) -> np.ndarray:
        """Each sum at the plan `x` (global columns)."""
        return np.bincount(self.rows, weights=self.coefficients * np.asarray(x)[self.columns],
                           minlength=len(self.labels))


@dataclass(frozen=True)
class Reason:
    """One row or bound of an infeasible subset, in the inputs' words: a limit (`kind` and
    `item`: "the ramp ... for", "Germany into 2027"; `member` when it is one member's), or a
    target that cannot be met (`target`: its row of the targets frame). `requires`: for a
    limit that makes `member` spend (a floor, pledge, core floor or path), what it asks in
    words without the member's name ("floor 2.00% of GDP, at least 5.0 USD million in 2026"),
    so a member access leaves nowhere to spend is named once, with all it is asked."""

    kind: str = ""
    item: str = ""
    member: str | None = None
    target: pd.Series | None = None
    requires: str = ""


class Formulation:
    """One model: its index sets (`models.sets.IndexSets`), variable blocks in the global
    column order, row blocks in the families' order, and the stage objectives."""

    def __init__(self, sets, settings, cache: StructureCache | None = None):
        self.sets = sets
        self.settings = settings
        self.cache = cache
        self.variables: dict[str, Variable] = {}
        self.blocks: dict[str, Rows] = {}
        self.objectives: dict[str, Objective] = {}
        self.sums: dict[str, Sums] = {}  # what the report reads at the plan (`Sums`)
        self.stages: list[str] = []
        self.bound_owner: dict[str, str] = {}  # variable -> family whose bounds it carries
        self.model = None  # the Pyomo model built from this formulation, if any
        self.inputs = None  # the `Inputs` formulated (set by `models.formulate`)
        self.relax: tuple[str, ...] = ()  # the limits relaxed (`models.relaxation`), if any
        # set by `models.pyomo_model` with the model: its variables and constraints in the
        # matrices' order, the stage objectives' expressions and the components' names
        self.model_columns: list | None = None
        self.model_rows: list | None = None
        self.model_objectives: dict | None = None
        self.model_signature: frozenset | None = None
        self._arrays: list | None = None

    # -- building, by `models.formulate` -------------------------------------------------------
    def declare(self, variables: list[Variable], family: str, order: tuple[str, ...]) -> None:
        """Add variable blocks; every block so far is laid out in `order` (by name)."""
        for variable in variables:
            if variable.name in self.variables:
                raise ValueError(f"variable {variable.name!r} is declared twice")
            if variable.name not in order:
                raise ValueError(f"variable {variable.name!r} is not in the column order")
            variable.family = family
            self.variables[variable.name] = variable
            self.bound_owner.setdefault(variable.name, family)
        self.variables = {name: self.variables[name] for name in order
                          if name in self.variables}
        offset = 0
        for variable in self.variables.values():
            variable.offset = offset
            offset += variable.size
        self._arrays = None

    def add(self, parts, family: str) -> None:
        """Add a family's row blocks, bounds, objectives and sums, in the order given."""
        for part in parts:
            if isinstance(part, Bounds):
                variable = self.variables[part.variable]
                if part.lower is not None:
                    variable.lower[:] = part.lower
                if part.upper is not None:
                    variable.upper[:] = part.upper
                self.bound_owner[part.variable] = family
            elif isinstance(part, Objective):
                self.objectives[part.name] = part
            elif isinstance(part, Sums):
                self.sums[part.name] = part
            else:
                if part.name in self.blocks:
                    raise ValueError(f"rows {part.name!r} are added twice")
                part.family = family
                self.blocks[part.name] = part
        self._arrays = None

    # -- reading ---------------------------------------------------------------------------
    def column(self, name: str, positions) -> np.ndarray:
        """Global column numbers of positions within variable block `name`."""
        return self.variables[name].column(positions)

    @property
    def offsets(self) -> dict:
        return {name: v.offset for name, v in self.variables.items()}

    @property
    def n_columns(self) -> int:
        return sum(v.size for v in self.variables.values())

    def _columns(self) -> list:
        if self._arrays is None:
            parts = list(self.variables.values())
            self._arrays = [np.concatenate([getattr(v, name) for v in parts]) if parts else
                            np.zeros(0, dtype=bool if name == "integer" else float)
                            for name in ("lower", "upper", "integer")]
            units = [np.where(v.integer, 1.0, float(v.unit)) for v in parts]
            self._arrays.append(np.concatenate(units) if units else np.zeros(0))
        return self._arrays

    @property
    def lower(self) -> np.ndarray:
        return self._columns()[0]

    @property
    def upper(self) -> np.ndarray:
        return self._columns()[1]

    @property
    def integer(self) -> np.ndarray:
        return self._columns()[2]

    @property
    def column_unit(self) -> np.ndarray:
        """Each column's unit of measure: the solver sees `x / unit`."""
        return self._columns()[3]

    @property
    def row_specs(self) -> dict:
        """name -> (rows, columns, coefficients, lower, upper) of every row block."""
        return {name: (b.rows, b.columns, b.coefficients, b.lower, b.upper)
                for name, b in self.blocks.items()}

    @property
    def objective_specs(self) -> dict:
        """name -> (columns, coefficients) of every stage objective."""
        return {name: (o.columns, o.coefficients) for name, o in self.objectives.items()}

    def variable_at(self, column: int) -> tuple[Variable, int] | None:
        """The variable block holding a global column, and the position within it."""
        for variable in self.variables.values():
            if variable.offset <= column < variable.offset + variable.size:
                return variable, column - variable.offset
        return None

    @property
    def unreachable(self) -> dict[str, pd.DataFrame]:
        """The rows that must hold but have no terms, by block (`deterrence`: targets no one
        can reach; `rules`: rule groups with nothing to count): each block's labels of
        them. Empty when every row can be met by some plan."""
        return {name: b.impossible for name, b in self.blocks.items()
                if b.impossible is not None and len(b.impossible)}

    # the index sets and parameter frames, as the extraction reads them
    def __getattr__(self, name):
        sets = self.__dict__.get("sets")
        if sets is not None and name in ("members", "capabilities", "regions", "years", "equipment_types",
                    "member_years", "cells", "units", "targets", "shares", "measure"):
            return getattr(sets, name)
        raise AttributeError(name)

    def position(self, index: dict, keys: list[str], probe: dict, slot: str) -> np.ndarray:
        """For each element of `probe` (codes by key), the element of `index` with the same
        codes of `keys` (unique in `index`); -1 where absent. `slot`: what is looked up."""
        sizes = self.sets.sizes
        return cached(self.cache, positions_of, tuple(index[k] for k in keys),
                      tuple(probe[k] for k in keys), tuple(sizes[k] for k in keys), slot=slot)

    @property
    def gamma(self) -> int:
        return int(self.settings.robustness)


class StructureCache:
    """Structural pieces of the last formulation (index sets, look-ups, entry lists), kept by
    a `Resolver` across the cases it solves (never global). `call(function, *arguments)`
    returns `function(*arguments)`, or the value kept from the last call with equal
    arguments: the key is the arguments themselves, so a formulation with the cache is the
    formulation without it (tests/test_resolve.py)."""

    def __init__(self):
        self._pieces: dict = {}

    def call(self, function, *arguments, slot: str = ""):
        """`function(*arguments)`, computed or kept. `slot` tells apart calls of one function
        on different things (one piece is kept per function and slot)."""
        check_pure(function)
        name = (function.__module__, function.__qualname__, slot)
        held = self._pieces.get(name)
        if held is not None and same_arguments(held[0], arguments):
            return held[1]
        value = function(*arguments)
        self._pieces[name] = (arguments, value)
        return value


def cached(cache: StructureCache | None, function, *arguments, slot: str = ""):
    """`function(*arguments)`, through `cache` when there is one."""
    if cache is None:
        check_pure(function)
        return function(*arguments)
    return cache.call(function, *arguments, slot=slot)


def check_pure(function) -> None:
    """A cached function reads only its arguments: a module-level function, no closure."""
    if getattr(function, "__closure__", None) or "<locals>" in function.__qualname__:
        raise TypeError(f"{function.__qualname__} reads more than its arguments: a cached "
                        "piece must be a module-level function of them")


def same_arguments(first: tuple, second: tuple) -> bool:
    """Are two argument lists (arrays, lists, tuples, numbers, strings) equal element for
    element (arrays by dtype and value)?"""
    if len(first) != len(second):
        return False
    for a, b in zip(first, second):
        if a is b:
            continue
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                    and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)):
                return False
        elif isinstance(a, tuple) and isinstance(b, tuple):
            if not same_arguments(a, b):
                return False
        elif isinstance(a, pd.DataFrame | pd.Series) or isinstance(b, pd.DataFrame | pd.Series):
            raise TypeError("pass a frame's columns as arrays to a cached piece")
        elif type(a) is not type(b) or a != b:
            return False
    return True


# -- look-ups on integer codes --------------------------------------------------------------

def codes_of(names, universe) -> np.ndarray:
    """The position of each of `names` in the list `universe`; -1 for a name not in it."""
    lookup = {name: i for i, name in enumerate(universe)}
    if isinstance(names, pd.Series | pd.Index):  # str columns: `tolist` goes element-wise
        names = names.to_numpy(object)
    names = names.tolist() if hasattr(names, "tolist") else names
    return np.fromiter((lookup.get(name, -1) for name in names), dtype=np.int64,
                       count=len(names))


def key_numbers(codes: tuple, sizes: tuple) -> np.ndarray:
    """One integer per element identifying its codes (one array per key) combined in mixed
    radix (`sizes`: each key's set size); -1 where a code is -1."""
    number = np.zeros(len(codes[0]), dtype=np.int64)
    unknown = np.zeros(len(number), dtype=bool)
    for code, size in zip(codes, sizes):
        number = number * size + code
        unknown |= code < 0
    number[unknown] = -1
    return number


def first_seen_groups(keys: np.ndarray):
    """Group number of each element of `keys` (equal keys, one group), groups numbered in the
    order they first appear (pandas' `groupby(sort=False).ngroup()`); and the position of
    each group's first element."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(len(order))
    return number[inverse.reshape(-1)], first[order]


def grouped_by(codes: tuple, sizes: tuple):
    """`first_seen_groups` of the key numbers of `codes`."""
    return first_seen_groups(key_numbers(codes, sizes))


def positions_of(index_codes: tuple, probe_codes: tuple, sizes: tuple) -> np.ndarray:
    """For each probe (its codes, one array per key), the element of the index with the same
    codes (unique in the index); -1 where absent."""
    index, probe = key_numbers(index_codes, sizes), key_numbers(probe_codes, sizes)
    if len(index) == 0:
        return np.full(len(probe), -1, dtype=np.int64)
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    if np.any((ordered[1:] == ordered[:-1]) & (ordered[1:] >= 0)):
        raise pd.errors.InvalidIndexError(
            "Reindexing only valid with uniquely valued Index objects")
    at = np.minimum(np.searchsorted(ordered, probe), len(ordered) - 1)
    found = (ordered[at] == probe) & (probe >= 0)
    return np.where(found, order[at], -1)


def positions_within(counts) -> np.ndarray:
    """0, 1, .., counts[0]-1, 0, 1, .., counts[1]-1, ..."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts
