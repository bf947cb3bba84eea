"""The `burden` command as a planner runs it: a subprocess in a scratch folder (docs/cli.md,
"Exit codes": exit 0 solved, 1 no solution, 2 bad input or usage; never a traceback)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import good_sheets, set_cell, write_workbook

BURDEN = Path(sys.executable).with_name("burden")
TINY = Path(__file__).resolve().parents[1] / "inputs" / "tiny.xlsx"


def burden(cwd, *args):
    assert BURDEN.exists(), f"console script not installed beside {sys.executable}"
    done = subprocess.run([str(BURDEN), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def bad_workbook(folder) -> Path:
    sheets = good_sheets()
    for sheet, row, column, value in (("members", 3, "gdp", "lots"),
                                      ("targets", 4, "capability", "sea"),
                                      ("capabilities", 2, "funding_effect", -1),
                                      ("inventory", 2, "equipment", "jet"),
                                      ("settings", 2, "value", "max_fun")):
        set_cell(sheets, sheet, row, column, value)
    return write_workbook(folder / "bad.xlsx", sheets)


def tiny_sheets() -> dict[str, list[list]]:
    book = openpyxl.load_workbook(TINY, read_only=True)
    try:
        return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)]
                for ws in book.worksheets}
    finally:
        book.close()


def test_validate_good_workbook_prints_counts(tmp_path):
    write_workbook(tmp_path / "plan.xlsx", good_sheets())
    done = burden(tmp_path, "validate", "plan.xlsx")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "plan.xlsx: valid" in out
    assert "members: 3 (3 present)" in out
    assert "capabilities: 2, regions: 2, years: 2026-2028 (3)" in out
    assert "targets: 6, equipment types: 1, scenarios: 0" in out
    assert "objective: min_cost, fair share: gdp" in out


def test_validate_bad_workbook_prints_every_problem(tmp_path):
    bad_workbook(tmp_path)
    done = burden(tmp_path, "validate", "bad.xlsx")
    assert done.returncode == 2
    assert "valid" not in done.stdout
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    assert lines[0] == "5 problems in the input:"
    problems = lines[1:]
    assert len(problems) == 5, done.stderr
    for sheet, row, column, found in (("members", 3, "gdp", "'lots'"),
                                      ("targets", 4, "capability", "'sea'"),
                                      ("capabilities", 2, "funding_effect", "-1"),
                                      ("inventory", 2, "equipment", "'jet'"),
                                      ("settings", 2, "value", "'max_fun'")):
        where = f"bad.xlsx, sheet '{sheet}', row {row}, column '{column}': found {found}"
        assert sum(line.startswith(where) for line in problems) == 1, (where, done.stderr)
    assert all("expected" in line for line in problems)


def test_solve_writes_default_report_in_cwd(tmp_path):
    done = burden(tmp_path, "solve", TINY)
    assert done.returncode == 0, done.stderr
    assert "status: optimal" in done.stdout
    assert "total cost: 145.0 USD million" in done.stdout
    report = tmp_path / "tiny-report.xlsx"
    assert f"report: {report}" in done.stdout
    book = openpyxl.load_workbook(report, read_only=True)
    try:
        assert "summary" in book.sheetnames
    finally:
        book.close()


def test_solve_json_to_named_report(tmp_path):
    done = burden(tmp_path, "solve", TINY, "-o", "other.xlsx", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "optimal"
    assert summary["objective"] == "min_cost"
    assert summary["total_cost"] == pytest.approx(145, rel=1e-6)
    assert summary["shortfall_index"] == pytest.approx(0, abs=1e-6)
    assert tmp_path / summary["report"] == tmp_path / "other.xlsx"  # as given, or absolute
    assert (tmp_path / "other.xlsx").is_file()
    assert not (tmp_path / "tiny-report.xlsx").exists()


def test_pyomo_engine_gives_the_same_answer(tmp_path):
    """`--engine pyomo` builds the Pyomo model; the matrices are identical, so the numbers
    are too (min_max_burden by hand: 125 / 3000)."""
    done = burden(tmp_path, "solve", TINY, "--json", "--engine", "pyomo", "--set",
                  "settings.objective=min_max_burden")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["objective_value"] == pytest.approx(125 / 3000, rel=1e-6)
    assert summary["total_cost"] == pytest.approx(145, rel=1e-6)
    assert burden(tmp_path, "solve", TINY, "--engine", "cplex").returncode == 2


def test_set_changes_the_objective(tmp_path):
    done = burden(tmp_path, "solve", TINY, "--json", "--set",
                  "settings.objective=min_max_burden")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["objective"] == "min_max_burden"
    # Alpha at its cap delivers 25 points for 20; Beta buys the other 125 of 3000 GDP
    assert summary["objective_value"] == pytest.approx(125 / 3000, rel=1e-6)
    assert summary["max_burden"] == pytest.approx(125 / 3000, rel=1e-6)


@pytest.mark.parametrize(("assignment", "words"), [
    ("settings.colour=blue", "settings.colour"),
    ("nonsense", "PATH=VALUE"),
])
def test_bad_set_exits_2(tmp_path, assignment, words):
    done = burden(tmp_path, "solve", TINY, "--set", assignment)
    assert done.returncode == 2
    assert words in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_naming_the_input_exits_2_and_leaves_it_alone(tmp_path):
    case = tmp_path / "case.xlsx"
    shutil.copyfile(TINY, case)
    before = sha256(case)
    done = burden(tmp_path, "solve", "case.xlsx", "-o", case)  # relative vs absolute spelling
    assert done.returncode == 2
    assert "names the input itself" in done.stderr
    assert sha256(case) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.xlsx"]


def test_bad_input_writes_no_report(tmp_path):
    bad_workbook(tmp_path)
    done = burden(tmp_path, "solve", "bad.xlsx", "-o", "out.xlsx")
    assert done.returncode == 2
    assert "5 problems in the input:" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]


def test_infeasible_exits_1_and_names_the_target(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "settings", 4, "value", False)  # allow_shortfall
    assert sheets["settings"][3][0] == "allow_shortfall"
    set_cell(sheets, "capabilities", 2, "capability", "cyber")
    sheets["targets"][1] = ["cyber", "baltic", 2031, 100_000, 1]  # far beyond every cap
    write_workbook(tmp_path / "hard.xlsx", sheets)
    done = burden(tmp_path, "solve", "hard.xlsx")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "status: infeasible" in done.stdout
    lines = [line for line in done.stdout.splitlines()
             if "cyber" in line and "baltic" in line and "2031" in line]
    assert lines, done.stdout
    assert "100,000" in lines[0]


def test_missing_input_exits_2_with_one_line(tmp_path):
    done = burden(tmp_path, "solve", "nowhere.xlsx")
    assert done.returncode == 2
    naming = [line for line in done.stderr.splitlines() if "nowhere.xlsx" in line]
    assert len(naming) == 1, done.stderr
    assert "expected an existing .xlsx workbook" in naming[0]
    assert len(done.stderr.strip().splitlines()) <= 2  # a count line and the problem
    assert list(tmp_path.iterdir()) == []


def test_template_validates(tmp_path):
    done = burden(tmp_path, "template", "out.xlsx")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.xlsx").is_file()
    done = burden(tmp_path, "validate", "out.xlsx")
    assert done.returncode == 0, done.stderr
    assert "out.xlsx: valid" in done.stdout


def test_template_never_replaces_a_file_without_force(tmp_path):
    case = tmp_path / "g2.xlsx"
    shutil.copyfile(TINY, case)
    before = sha256(case)
    done = burden(tmp_path, "template", "g2.xlsx")
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: g2.xlsx exists; the template never replaces a file "
                                   "unless --force is given")
    assert sha256(case) == before
    done = burden(tmp_path, "template", "g2.xlsx", "--force")
    assert done.returncode == 0, done.stderr
    assert sha256(case) != before
    assert burden(tmp_path, "validate", "g2.xlsx").returncode == 0


def test_template_refuses_a_suffix_other_than_xlsx(tmp_path):
    done = burden(tmp_path, "template", "g2.csv")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: g2.csv: the template is an .xlsx workbook; name it g2.xlsx"
    assert list(tmp_path.iterdir()) == []


def test_template_example_solves(tmp_path):
    assert burden(tmp_path, "template", "t.xlsx").returncode == 0
    done = burden(tmp_path, "solve", "t.xlsx", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"


def test_access_leaving_a_member_nowhere_is_named_as_the_cause(tmp_path):
    """The template with Poland also denied the east: its floor (the 2026 pledge of 40,000)
    has nowhere to go. The explanation names access, not the floor and cap, which agree."""
    assert burden(tmp_path, "template", "t.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    book["access"].append(["Poland", "east", False])
    book.save(tmp_path / "t.xlsx")
    done = burden(tmp_path, "solve", "t.xlsx", "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "infeasible"
    # the commitments the solver's conflict holds (the floor, pledge or core floor), then
    # access as their cause
    [conflict] = summary["conflicts"]
    assert conflict.startswith("Access leaves Poland (") and (
        "40,000.0 USD million" in conflict or "core floor 3.50% of GDP" in conflict), conflict
    assert conflict.endswith("no region to spend in: the access sheet denies it every region "
                             "with a target (east, south)."), conflict


def test_a_header_one_edit_from_a_known_column_is_an_input_error(tmp_path):
    sheets = good_sheets()
    sheets["members"][0] = [c.replace("floor_gdp_share", "floor_gdp_shares")
                            for c in sheets["members"][0]]
    sheets["members"][0].append("notes")  # unknown and not near any column: a warning
    for row in sheets["members"][1:]:
        row.append("")
    write_workbook(tmp_path / "plan.xlsx", sheets)
    done = burden(tmp_path, "validate", "plan.xlsx")
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("plan.xlsx, sheet 'members', column 'floor_gdp_shares': expected an input column "
            "(did you mean floor_gdp_share?)") in done.stderr
    assert "notes" not in done.stderr
    sheets["members"][0] = [c.replace("floor_gdp_shares", "floor_gdp_share")
                            for c in sheets["members"][0]]
    write_workbook(tmp_path / "plan.xlsx", sheets)
    done = burden(tmp_path, "validate", "plan.xlsx")
    assert done.returncode == 0, done.stderr
    assert ("warning: plan.xlsx: sheet 'members': column 'notes' is not an input column; "
            "ignored") in done.stderr


def test_unknown_names_suggest_the_nearest_known_one(tmp_path):
    sheets = good_sheets()
    set_cell(sheets, "inventory", 2, "member", "Alpah")
    set_cell(sheets, "inventory", 2, "equipment", "tnak")
    set_cell(sheets, "quality", 2, "capability", "airr")
    write_workbook(tmp_path / "plan.xlsx", sheets)
    done = burden(tmp_path, "validate", "plan.xlsx")
    assert done.returncode == 2
    for column, suggestion in (("member", "Alpha"), ("equipment", "tank"),
                               ("capability", "air")):
        line = next(line for line in done.stderr.splitlines() if f"column '{column}'" in line)
        assert line.endswith(f"(did you mean {suggestion}?)"), line
    done = burden(tmp_path, "solve", TINY, "--set", "members[Alpah].cap_gdp_share=0.1")
    assert done.returncode == 2
    assert "did you mean" in done.stderr, done.stderr


@pytest.mark.parametrize("command", ["solve", "sweep", "frontier", "shapley"])
def test_output_in_a_missing_folder_exits_2_before_any_work(tmp_path, command):
    done = burden(tmp_path, command, TINY, "-o", "nodir/sub/r.xlsx")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == "error: -o nodir/sub/r.xlsx: the folder nodir/sub does not exist"
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_a_sweep_exits_130_and_says_how_to_resume(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: the sweep stops
    within seconds, says how many scenarios are saved, and a re-run solves only the rest."""
    import os
    import signal
    import sqlite3
    import time

    values = ",".join(f"{1 + i / 100:g}" for i in range(60))
    args = [str(BURDEN), "sweep", str(TINY), "--grid", f"targets.scale={values}",
            "--workers", "1", "-o", "s.xlsx"]
    process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    store = tmp_path / "s.sqlite"
    deadline = time.monotonic() + 120
    saved = 0
    while time.monotonic() < deadline and saved < 2:
        time.sleep(0.2)
        if store.exists():
            try:
                with sqlite3.connect(store) as db:
                    saved = db.execute("SELECT count(*) FROM scenarios").fetchone()[0]
            except sqlite3.Error:
                pass
    assert saved >= 2, "the sweep saved no scenario in time"
    os.killpg(process.pid, signal.SIGINT)
    stopped = time.monotonic()
    out, err = process.communicate(timeout=60)
    assert time.monotonic() - stopped < 3.0
    assert process.returncode == 130, out + err
    assert "Traceback" not in out + err
    line = err.strip().splitlines()[-1]
    prefix, _, rest = line.partition(" of 60 scenarios are saved in ")
    assert prefix.startswith("interrupted: "), line
    done = int(prefix.removeprefix("interrupted: "))
    assert done >= 2
    assert rest == f"s.sqlite; run the same command again to solve the other {60 - done}"
    assert not (tmp_path / "s.xlsx").exists()
    again = burden(tmp_path, *args[1:])
    assert again.returncode == 0, again.stderr
    assert f"{done} of 60 scenarios already done" in again.stderr


def test_output_cut_short_by_the_reader_exits_quietly(tmp_path):
    done = subprocess.run(f"'{BURDEN}' solve '{TINY}' | head -1", shell=True, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.stdout == "status: optimal\n"
    assert done.stderr == ""


def test_validate_checks_the_scenarios_sheet(tmp_path):
    sheets = good_sheets()
    sheets["scenarios"] = [["scenario", "targets[wets].scale", "settings.objective"],
                           ["west", 1.2, "min_cost"]]
    write_workbook(tmp_path / "plan.xlsx", sheets)
    done = burden(tmp_path, "validate", "plan.xlsx")
    assert done.returncode == 2, done.stdout
    assert "valid" not in done.stdout
    problems = [line.strip() for line in done.stderr.splitlines()[1:]]
    assert problems == ["scenario 'west', column 'targets[wets].scale': found 1.2, expected a region or "
                        "capability named in the targets sheet (no 'wets')"], done.stderr


def test_override_paths_are_listed_in_sweep_help_and_the_template(tmp_path):
    from optimizer.schema import OVERRIDE_PATHS

    done = burden(tmp_path, "sweep", "--help")
    assert done.returncode == 0
    assert "Override paths" in done.stdout
    for path, _ in OVERRIDE_PATHS:
        assert f"  {path}  " in done.stdout
    assert max(map(len, done.stdout.splitlines())) <= 80
    assert burden(tmp_path, "template", "t.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "t.xlsx", read_only=True)
    try:
        listed = [row[1] for row in book["readme"].iter_rows(values_only=True)
                  if row[0] == "scenarios"]
        header = next(book["scenarios"].iter_rows(values_only=True))
    finally:
        book.close()
    assert [path for path, _ in OVERRIDE_PATHS] == [p for p in listed if p in dict(OVERRIDE_PATHS)]
    assert header == ("scenario", "targets[east].scale")


def test_help_neither_imports_pandas_nor_lacks_examples(tmp_path):
    """`--help` of every command is instant (no pandas, numpy or openpyxl loaded) and shows
    how the command is used."""
    script = (
        "import sys\n"
        "from optimizer.cli import main\n"
        "for command in ([], *([name] for name in main.commands)):\n"
        "    try:\n"
        "        main([*command, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('LOADED', sorted(m for m in ('pandas', 'numpy', 'openpyxl') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("LOADED []"), done.stdout[-300:]
    from optimizer.cli import main

    for name in main.commands:
        text = burden(tmp_path, name, "--help").stdout
        assert "Examples:" in text and f"burden {name} " in text.split("Examples:")[1], name


def test_json_errors_are_json_on_stdout(tmp_path):
    bad_workbook(tmp_path)
    done = burden(tmp_path, "solve", "bad.xlsx", "--json")
    assert done.returncode == 2
    answer = json.loads(done.stdout)
    assert answer["status"] == "input_error"
    assert len(answer["problems"]) == 5
    gdp = next(p for p in answer["problems"] if p["column"] == "gdp")
    assert (gdp["file"], gdp["sheet"], gdp["row"], gdp["value"]) == ("bad.xlsx", "members", 3,
                                                                     "lots")
    done = burden(tmp_path, "sweep", TINY, "--json", "-o", "nodir/s.xlsx")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "status": "usage_error", "message": "-o nodir/s.xlsx: the folder nodir does not exist"}
    done = burden(tmp_path, "solve", TINY, "--json", "--engine", "cplex")
    assert done.returncode == 2
    assert json.loads(done.stdout)["status"] == "usage_error"


def test_quiet_prints_nothing_on_stdout(tmp_path):
    done = burden(tmp_path, "solve", TINY, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert (tmp_path / "tiny-report.xlsx").is_file()
    done = burden(tmp_path, "sweep", TINY, "-q", "--workers", "1", "--grid", "targets.scale=1,2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


def test_set_and_time_limit_reach_every_solving_command(tmp_path):
    """min_max_burden on tiny: 125 / 3000 (test_set_changes_the_objective); the time limit
    lands in the settings the report lists."""
    done = burden(tmp_path, "sweep", TINY, "--set", "settings.objective=min_max_burden",
                  "--time-limit", "30", "--workers", "1", "--json", "-o", "s.xlsx")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["rows"]
    assert row["objective_value"] == pytest.approx(125 / 3000, rel=1e-6)
    # the same store, another --set: solved anew, not taken from the store
    done = burden(tmp_path, "sweep", TINY, "--workers", "1", "--json", "-o", "s.xlsx")
    (row,) = json.loads(done.stdout)["rows"]
    assert row["objective_value"] == pytest.approx(145, rel=1e-6)
    done = burden(tmp_path, "solve", TINY, "--time-limit", "12.5", "-o", "r.xlsx")
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    try:
        settings = {r[0]: r[1] for r in book["inputs"].iter_rows(values_only=True)}
    finally:
        book.close()
    assert settings["time_limit"] == 12.5
    for command in ("frontier", "shapley"):
        done = burden(tmp_path, command, TINY, "--set", "members.absent=true", "--json")
        assert done.returncode == 2, (command, done.stdout)
        assert "at least one member present" in done.stdout
        assert "--time-limit" in burden(tmp_path, command, "--help").stdout


def test_shapley_exact_equals_the_enumeration(tmp_path):
    from optimizer import read_inputs
    from optimizer.coalitions import shapley_exact

    expected = shapley_exact(read_inputs(TINY)).table
    done = burden(tmp_path, "shapley", TINY, "--exact", "--workers", "1", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["exact"] is True and answer["coalitions"] == 3
    values = {m["member"]: m["shapley_value"] for m in answer["members"]}
    assert values == pytest.approx(dict(zip(expected["member"], expected["shapley_value"])),
                                   abs=1e-9)
    assert all(m["standard_error"] == 0 for m in answer["members"])


def test_sweep_leaves_no_lock_file(tmp_path):
    done = burden(tmp_path, "sweep", TINY, "--workers", "1", "-o", "s.xlsx", "-q")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite", "s.xlsx"]
