"""Nothing is lost and nothing is half-written: atomic outputs, the input left alone, the sweep
store under SIGKILL, the store lock, and the large case within its memory budget.

Each test names the protection it guards. Kills land at seeded random moments, so a failure
can be replayed; the seeds only pick the delays, the machine's speed decides what was running.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer import read_inputs, solve, write_report
from optimizer.headers import read_sheet
from optimizer.store import Store

ROOT = Path(__file__).resolve().parents[1]
ALLIANCE = ROOT / "tests" / "cases" / "alliance_2030.xlsx"  # the shipped example, 2026-2030
TINY = ROOT / "inputs" / "tiny.xlsx"
BURDEN = str(Path(sys.executable).with_name("burden"))
GIB_KIB = 1024 * 1024  # ru_maxrss is in KiB on Linux


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and everything in its session (sweep pool workers too)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# ---------------------------------------------------------------------------------------------
# Atomic outputs

#: Loads a solved Result, builds its report workbook once and saves it to the same path over and
#: over with save_atomically (the step write_report ends with), printing a line after each
#: complete save; building once makes nearly all of the loop's time saving, so nearly every
#: kill lands mid-save. argv: the pickled Result, the report path.
WRITER = """
import pickle, sys
from pathlib import Path
from optimizer.report import build_report, save_atomically
with open(sys.argv[1], "rb") as handle:
    workbook = build_report(pickle.load(handle))
count = 0
while True:
    save_atomically(workbook, Path(sys.argv[2]))
    count += 1
    print(count, flush=True)
"""


def _zip_members(path: Path) -> dict[str, bytes]:
    """Every member of the .xlsx but docProps/core.xml (it holds the save time)."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None, f"{path.name}: a member fails its CRC"
        return {name: archive.read(name) for name in archive.namelist()
                if name != "docProps/core.xml"}


def test_report_killed_mid_write_leaves_the_previous_complete_file(tmp_path):
    # Guards save_atomically: the workbook goes to a temporary file in the target's folder,
    # is fsync'ed, and os.replace moves it onto the path in one step. Writing in place
    # (wb.save(path)) truncates the report first, and a SIGKILL during the save leaves a
    # partial zip at the path: this test then fails on the CRC check or the member compare.
    from optimizer.report import build_report, save_atomically

    result = solve(read_inputs(ALLIANCE))
    pickled = tmp_path / "result.pickle"
    pickled.write_bytes(pickle.dumps(result))
    # The complete reports: write_report's, and a workbook saved again (openpyxl adds a few
    # default attributes to a workbook it has saved once, so later saves differ from the first).
    reference = tmp_path / "reference.xlsx"
    write_report(result, reference)
    complete = [_zip_members(reference)]
    workbook = build_report(result)
    for _ in range(3):
        save_atomically(workbook, reference)
        if _zip_members(reference) not in complete:
            complete.append(_zip_members(reference))
    book = openpyxl.load_workbook(reference, read_only=True)
    names = book.sheetnames
    book.close()
    assert {"brief", "summary", "members", "allocation"} <= set(names)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    report = out_dir / "alliance-report.xlsx"
    write_report(result, report)

    rng = random.Random(4)
    saves = []
    for _ in range(6):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(pickled), str(report)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            first = writer.stdout.readline()  # the loop runs: the next save has begun
            assert first.strip() == "1", "the writer died before its first report"
            time.sleep(rng.uniform(0.0, 0.5))  # a kill within the first saves of this report
        finally:
            writer.kill()  # SIGKILL
            writer.wait()
            saves.append(1 + len(writer.stdout.read().split()))
            writer.stdout.close()
        assert writer.returncode == -signal.SIGKILL
        # The path holds a complete report, byte for byte (bar the save time).
        assert report.exists(), "the report vanished: os.replace must never unlink first"
        assert _zip_members(report) in complete
        book = openpyxl.load_workbook(report, read_only=True)
        assert book.sheetnames == names
        book.close()
        # Nothing but the report and hidden temporaries of killed saves is in the folder.
        strays = [p.name for p in out_dir.iterdir() if p != report]
        assert all(n.startswith(".alliance-report-") and n.endswith(".xlsx") for n in strays)
    assert sum(saves) >= 6


def test_report_is_replaced_by_rename_and_a_failed_save_leaves_the_old_one(tmp_path,
                                                                           monkeypatch):
    # Guards os.replace in save_atomically deterministically (the SIGKILL test above only
    # catches an in-place write whose window is long): a new report is a new inode moved onto
    # the path, so a reader of the old one keeps it whole, and a save that fails half-way
    # leaves the old report and no temporary file (the cleanup in save_atomically). Copying
    # the temporary file over the path, or writing in place, fails here.
    result = solve(read_inputs(TINY))
    report = tmp_path / "tiny-report.xlsx"
    write_report(result, report)
    old = report.read_bytes()
    with open(report, "rb") as reader:
        inode = os.fstat(reader.fileno()).st_ino
        write_report(result, report)
        assert report.stat().st_ino != inode, "the report was rewritten in place"
        assert reader.read() == old  # the old file, still whole for whoever had it open
    current = report.read_bytes()

    def dies_half_way(self, target):
        if isinstance(target, (str, os.PathLike)):
            with open(target, "wb") as handle:
                handle.write(current[: len(current) // 2])
        else:
            target.write(current[: len(current) // 2])
            target.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", dies_half_way)
    with pytest.raises(OSError, match="No space"):
        write_report(result, report)
    assert report.read_bytes() == current
    assert [p.name for p in tmp_path.iterdir()] == [report.name]


def test_solve_never_writes_the_input_and_refuses_it_as_the_output(tmp_path, monkeypatch):
    # Guards cli._check_output (same_file: resolved path, then inode) and, behind it,
    # write_report's own `overwrite_input` check: without the first the exit code is 1 not 2;
    # without both the input is overwritten by its report and its hash changes.
    from click.testing import CliRunner

    from optimizer.cli import main

    folder = tmp_path / "plans"
    folder.mkdir()
    plan = folder / "plan.xlsx"
    shutil.copyfile(TINY, plan)
    (folder / "link.xlsx").symlink_to(plan)
    os.link(plan, folder / "hard.xlsx")
    digest, stamp = _sha256(plan), plan.stat().st_mtime_ns

    def burden_solve(output):
        return subprocess.Popen([BURDEN, "solve", "plan.xlsx", "-o", output], cwd=folder,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    solved, refused = burden_solve(str(tmp_path / "report.xlsx")), burden_solve("plan.xlsx")
    monkeypatch.chdir(folder)  # the other spellings in-process (same code, no start-up)
    for spelling in ("./plan.xlsx", str(plan), "link.xlsx", "hard.xlsx", "../plans/plan.xlsx"):
        run = CliRunner().invoke(main, ["solve", "plan.xlsx", "-o", spelling])
        assert run.exit_code == 2, (spelling, run.output)
        assert "names the input itself" in run.output, spelling
    stdout, stderr = refused.communicate(timeout=120)
    assert refused.returncode == 2, stdout + stderr
    assert "input" in stderr and "Traceback" not in stdout + stderr
    stdout, stderr = solved.communicate(timeout=120)
    assert solved.returncode == 0, stderr
    book = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    assert "summary" in book.sheetnames
    book.close()
    assert _sha256(plan) == digest and plan.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in folder.iterdir()) == ["hard.xlsx", "link.xlsx", "plan.xlsx"]


# ---------------------------------------------------------------------------------------------
# The sweep store under SIGKILL, and its lock

# Enough scenarios that a sweep is still committing when the kill lands (a tiny scenario
# re-solved in place takes a small fraction of the kill delays).
SCALES = [f"{1 + k / 200:g}" for k in range(200)]


def _sweep(out: Path, scales=SCALES) -> list[str]:
    return [BURDEN, "sweep", str(TINY), "--grid", "targets.scale=" + ",".join(scales),
            "-o", str(out), "--workers", "1"]


def _per_scenario() -> int:
    """member_costs rows of one solved scenario of tiny.xlsx."""
    inputs = read_inputs(TINY)
    return len(inputs.present_members) * len(inputs.years)


def _rows(store: Path) -> int:
    """Scenarios committed so far (0 before the table exists)."""
    if not store.exists():
        return 0
    with contextlib.closing(sqlite3.connect(store, timeout=10)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'scenarios'").fetchone():
            return 0
        return db.execute("SELECT COUNT(*) FROM scenarios").fetchone()[0]


def _snapshot(store: Path, per_scenario: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the store after a kill and return (scenarios, member_costs), sorted by key."""
    if not store.exists():
        return pd.DataFrame(), pd.DataFrame()
    # The kernel dropped the flock with the process: the store opens for the next sweep.
    with Store(store):
        pass
    with contextlib.closing(sqlite3.connect(store)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        scenarios = pd.read_sql_query("SELECT * FROM scenarios ORDER BY key", db)
        members = pd.read_sql_query("SELECT * FROM member_costs ORDER BY key, member, year", db)
    assert scenarios["key"].is_unique and scenarios["scenario"].is_unique
    assert not members.duplicated(["key", "member", "year"]).any()
    # A scenario and its member rows are one transaction: all of them or none.
    counts = members.groupby("key").size()
    assert set(counts.index) <= set(scenarios["key"])
    solved = scenarios.loc[scenarios["status"].str.startswith("optimal"), "key"]
    assert (counts.reindex(solved).fillna(0) == per_scenario).all()
    return scenarios, members


def _check_workbook(out: Path) -> None:
    if out.exists():  # a sweep workbook is written atomically too
        with zipfile.ZipFile(out) as archive:
            assert archive.testzip() is None


def _unchanged(before: pd.DataFrame, after: pd.DataFrame) -> None:
    if before.empty:
        return
    kept = after[after["key"].isin(before["key"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before.reset_index(drop=True))


def test_sweep_store_survives_sigkill_at_random_moments(tmp_path):
    # Guards store.py: each scenario committed at once in one transaction (WAL), the key as
    # primary key with INSERT OR IGNORE, done keys skipped on resume, and the flock dropped by
    # the kernel at death. Without per-scenario commits nothing survives a kill (the progress
    # assertion fails); without the skip the final run re-solves and rewrites stored rows (the
    # "already done" count and the unchanged-rows compare fail).
    per_scenario = _per_scenario()
    out = tmp_path / "swept.xlsx"
    store = out.with_suffix(".sqlite")
    rng = random.Random(5)
    before = (pd.DataFrame(), pd.DataFrame())
    partial = 0
    for round_ in range(4):
        committed = _rows(store)
        process = subprocess.Popen(_sweep(out), cwd=tmp_path, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if round_ % 2 == 0:  # any moment: start-up, store creation, pool spawn, solving
                time.sleep(rng.uniform(0.2, 4.0))
            else:  # a moment while scenarios are being committed
                wanted = committed + rng.randint(1, 3)
                deadline = time.monotonic() + 60
                while (_rows(store) < min(wanted, len(SCALES)) and process.poll() is None
                       and time.monotonic() < deadline):
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 0.3))
        finally:
            _kill_group(process)
        after = _snapshot(store, per_scenario)
        _unchanged(before[0], after[0])
        _unchanged(before[1], after[1])
        _check_workbook(out)
        partial += 0 < len(after[0]) < len(SCALES)
        before = after
    assert partial, "no kill left a part of the sweep committed (are scenarios committed one by one?)"

    finished = subprocess.run(_sweep(out), cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
    assert finished.returncode == 0, finished.stderr
    if len(before[0]):
        assert f"{len(before[0])} of {len(SCALES)} scenarios already done" in finished.stderr
    final = _snapshot(store, per_scenario)
    _unchanged(before[0], final[0])
    _unchanged(before[1], final[1])
    assert len(final[0]) == len(SCALES)
    assert sorted(final[0]["scenario"]) == sorted(f"targets.scale={s}" for s in SCALES)
    table = read_sheet(out, "scenarios")
    assert len(table) == len(SCALES) and table["scenario"].is_unique


def test_a_second_sweep_on_a_busy_store_is_refused_and_the_first_completes(tmp_path):
    # Guards the flock in Store.__enter__: without it the second sweep runs too (exit 0),
    # solving every scenario a second time into the same store.
    out = tmp_path / "shared.xlsx"
    store = out.with_suffix(".sqlite")
    scales = [f"{1 + k / 100:g}" for k in range(120)]  # enough to outlast a start-up
    first = subprocess.Popen(_sweep(out, scales), cwd=tmp_path, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not store.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.exists() and first.poll() is None, "the first sweep did not start"
        second = subprocess.run(_sweep(out, scales), cwd=tmp_path, capture_output=True,
                                text=True, timeout=120)
        overlapped = first.poll() is None
        stdout, stderr = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            _kill_group(first)
    assert second.returncode == 1, second.stdout + second.stderr
    assert "in use" in second.stderr and str(store) in second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    assert overlapped, "the first sweep ended before the second one asked for the lock"
    assert first.returncode == 0, stderr
    scenarios, _ = _snapshot(store, _per_scenario())
    assert len(scenarios) == len(scales)
    assert sorted(scenarios["scenario"]) == sorted(f"targets.scale={s}" for s in scales)
    table = read_sheet(out, "scenarios")
    assert len(table) == len(scales) and table["scenario"].is_unique


# ---------------------------------------------------------------------------------------------
# Scale


def _generator():
    spec = importlib.util.spec_from_file_location("burden_generate",
                                                  ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_large_case_solves_and_reports_within_the_memory_budget(tmp_path):
    # Guards the memory budget: peak RSS of `burden solve` on the large LP under 1 GiB
    # (benchmarks/README.md has the measured figure). The peak is the child's own
    # (os.wait4), not the largest of every child this test session has waited for.
    generate = _generator()
    assert generate.SIZES["large"] == dict(members=60, capabilities=20, regions=8, years=15,
                                           equipment=12)
    case = generate.write_case(tmp_path, "large", "lp", gamma=0, time_limit=600)
    report = tmp_path / "large-report.xlsx"
    with open(tmp_path / "stdout", "w") as stdout, open(tmp_path / "stderr", "w") as stderr:
        child = subprocess.Popen([BURDEN, "solve", str(case), "-o", str(report)],
                                 cwd=tmp_path, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    message = (tmp_path / "stderr").read_text()
    assert child.returncode in (0, 1), message
    if child.returncode == 0:
        book = openpyxl.load_workbook(report, read_only=True)
        assert {"brief", "summary", "members", "allocation"} <= set(book.sheetnames)
        book.close()
    peak_mib = usage.ru_maxrss / 1024
    print(f"burden solve large_lp: peak RSS {peak_mib:.0f} MiB, exit {child.returncode}")
    assert usage.ru_maxrss < GIB_KIB, f"peak RSS {peak_mib:.0f} MiB"
