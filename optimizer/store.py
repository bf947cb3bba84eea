"""The sweep store: one SQLite file that a killed sweep resumes from.

Each finished scenario is committed at once, in one transaction (WAL journal), keyed by a
hash of the input's content and the scenario's overrides, so a re-run skips what is done and
no scenario is stored twice. Each scenario keeps every target's shortfall in the `targets`
table; a store written without that table still reads (the table is added when it is opened,
the scenarios already in it have no target rows, and the sweep workbook says so). A lock file
next to the store (an OS advisory lock, released by the kernel when the process dies, even by
SIGKILL) keeps two sweeps from writing one store; a sweep that ends removes it (one killed
leaves it, harmless: the next sweep takes it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    overrides TEXT NOT NULL,
    status TEXT NOT NULL,
    shortfall_index REAL,
    objective_value REAL,
    total_cost REAL,
    max_burden REAL,
    solve_seconds REAL,
    message TEXT,
    certified INTEGER,
    second_routes INTEGER,
    max_residual REAL,
    max_gap REAL,
    what_it_takes TEXT,
    cap_raise REAL,
    members_raised INTEGER,
    finished_at TEXT DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS member_costs (
    key TEXT NOT NULL REFERENCES scenarios(key),
    member TEXT NOT NULL,
    year INTEGER NOT NULL,
    cost REAL,
    burden REAL,
    fair_share REAL,
    PRIMARY KEY (key, member, year)
);
CREATE TABLE IF NOT EXISTS targets (
    key TEXT NOT NULL REFERENCES scenarios(key),
    capability TEXT NOT NULL,
    region TEXT NOT NULL,
    year INTEGER NOT NULL,
    target REAL,
    priority REAL,
    shortfall REAL,
    PRIMARY KEY (key, capability, region, year)
);
"""

SCENARIO_FIELDS = ("status", "shortfall_index", "objective_value", "total_cost", "max_burden",
                   "solve_seconds", "message", "certified", "second_routes", "max_residual",
                   "max_gap", "what_it_takes", "cap_raise", "members_raised")
#: Columns a store written before they existed lacks: added (empty) when it is opened.
ADDED_COLUMNS = {"certified": "INTEGER", "second_routes": "INTEGER", "max_residual": "REAL",
                 "max_gap": "REAL", "what_it_takes": "TEXT", "cap_raise": "REAL",
                 "members_raised": "INTEGER"}


class StoreLocked(Exception):
    """Another sweep holds this store."""


def scenario_key(input_sha256: str, overrides: list[tuple[str, object]]) -> str:
    """The identity of a scenario: the input's content and its overrides (order-free)."""
    text = json.dumps(sorted((str(p), str(v)) for p, v in overrides))
    return hashlib.sha256(f"{input_sha256}\n{text}".encode()).hexdigest()


def saved_keys(path) -> set[str]:
    """The keys of the scenarios finished in the store at `path` (none if it does not
    exist), read without taking its lock."""
    path = Path(path)
    if not path.exists():
        return set()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in db.execute("SELECT key FROM scenarios")}
    except sqlite3.Error:
        return set()
    finally:
        db.close()


class Store:
    """A sweep store at `path` (created if missing). Use as a context manager."""

    def __init__(self, path):
        self.path = Path(path)
        self._lock_file = None
        self.db = None

    def __enter__(self) -> Store:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        while True:
            self._lock_file = open(lock, "a+")  # noqa: SIM115
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_file.close()
                self._lock_file = None
                raise StoreLocked(f"the sweep store {self.path} is in use by another sweep "
                                  "(wait for it to finish, or choose another -o)") from None
            # the holder before us removes the file as it lets go: a lock taken on a file
            # no longer at that path guards nothing, so take the one there now
            try:
                same = os.stat(lock).st_ino == os.fstat(self._lock_file.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            self._lock_file.close()
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        held = {row[1] for row in self.db.execute("PRAGMA table_info(scenarios)")}
        for name, kind in ADDED_COLUMNS.items():
            if name not in held:
                self.db.execute(f"ALTER TABLE scenarios ADD COLUMN {name} {kind}")
        return self

    def __exit__(self, *exc):
        if self.db is not None:
            self.db.close()
        if self._lock_file is not None:
            with contextlib.suppress(FileNotFoundError):  # removed while still held
                os.unlink(self.path.with_name(self.path.name + ".lock"))
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
        return False

    def done_keys(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM scenarios")}

    def record(self, row: dict) -> None:
        """Commit one finished scenario (its summary and per-member rows) atomically."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT OR IGNORE INTO scenarios (key, position, scenario, overrides, "
                + ", ".join(SCENARIO_FIELDS) + ") VALUES (?, ?, ?, ?, "
                + ", ".join("?" * len(SCENARIO_FIELDS)) + ")",
                (row["key"], row["position"], row["scenario"],
                 json.dumps([[p, str(v)] for p, v in row["overrides"]]),
                 *(row.get(name) for name in SCENARIO_FIELDS)))
            db.executemany(
                "INSERT OR IGNORE INTO member_costs VALUES (?, ?, ?, ?, ?, ?)",
                [(row["key"], m, int(y), c, b, s) for m, y, c, b, s in row.get("members", [])])
            db.executemany(
                "INSERT OR IGNORE INTO targets VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(row["key"], str(c), str(g), int(y), t, p, s)
                 for c, g, y, t, p, s in row.get("targets", [])])
            db.execute("COMMIT")
        except BaseException:  # a Ctrl-C may land after the COMMIT: nothing to undo then
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def solve_missing(self, tasks: list, run: Callable[[list, Callable[[dict], None]], None],
                      *, keep: Callable[[dict], bool] | None = None,
                      rejected: Callable[[dict], None] | None = None,
                      progress: Callable[[int, int, int], None] | None = None) -> int:
        """Solve the tasks `(scenario, key, position)` the store does not hold, each key once:
        `run(todo, on_row)` solves `todo` and hands every finished row to `on_row`, which
        records the rows `keep` accepts (all when None) and hands the others to `rejected`
        (kept out of the store, so a re-run tries them again). `progress(finished, total,
        from_store)` counts the tasks the store already held as finished. Returns how many
        tasks were solved."""
        todo, seen = [], self.done_keys()
        for task in tasks:
            if task[1] not in seen:
                seen.add(task[1])
                todo.append(task)
        already = len(tasks) - len(todo)
        finished = already

        def on_row(row: dict) -> None:
            nonlocal finished
            if keep is None or keep(row):
                self.record(row)
            elif rejected is not None:
                rejected(row)
            finished += 1
            if progress:
                progress(finished, len(tasks), already)

        if progress:
            progress(already, len(tasks), already)
        if todo:
            run(todo, on_row)
        return len(todo)

    def scenarios(self, keys: list[str] | None = None) -> pd.DataFrame:
        frame = pd.read_sql_query("SELECT * FROM scenarios ORDER BY position, scenario", self.db)
        frame["certified"] = frame["certified"].map({1: True, 0: False})
        if keys is not None:
            frame = frame[frame["key"].isin(keys)]
        return frame.reset_index(drop=True)

    def member_costs(self, keys: list[str] | None = None) -> pd.DataFrame:
        frame = pd.read_sql_query(
            "SELECT s.scenario, m.member, m.year, m.cost, m.burden, m.fair_share, m.key "
            "FROM member_costs m JOIN scenarios s ON s.key = m.key "
            "ORDER BY s.position, m.rowid", self.db)
        if keys is not None:
            frame = frame[frame["key"].isin(keys)]
        return frame.drop(columns=["key"]).reset_index(drop=True)

    def targets(self, keys: list[str] | None = None) -> pd.DataFrame:
        """Every stored target of the scenarios (`keys`): scenario, capability, region, year,
        target, priority, shortfall (and `key`), in scenario order."""
        frame = pd.read_sql_query(
            "SELECT s.scenario, t.capability, t.region, t.year, t.target, t.priority, "
            "t.shortfall, t.key FROM targets t JOIN scenarios s ON s.key = t.key "
            "ORDER BY s.position, t.rowid", self.db)
        if keys is not None:
            frame = frame[frame["key"].isin(keys)]
        return frame.reset_index(drop=True)
