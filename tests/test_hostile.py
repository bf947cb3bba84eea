"""Hostile and broken files: each is refused before it can exhaust memory or
time, with one problem naming the file, exit 2 from the CLI, no traceback and no report.

Every hostile file is built here from the good workbook of `conftest.py`, with `zipfile`, or
(for the zip bomb) by writing the archive's bytes directly, streaming, so the test itself stays
small and fast."""

from __future__ import annotations

import csv
import random
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from pathlib import Path

import openpyxl
import psutil
import pytest
from conftest import good_sheets, set_cell, write_workbook

from optimizer import InputError, read_inputs
from optimizer.workbook_guard import (
    BYTES_PER_CELL,
    MAX_RATIO,
    OLE2_MAGIC,
    check_workbook,
    ensure_defused_xml,
    read_caps,
)

BURDEN = Path(sys.executable).with_name("burden")
SHEET = "xl/worksheets/sheet2.xml"  # the members sheet of the good workbook
SHEET_OPEN = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData><row r="1">')
SHEET_CLOSE = b"</row></sheetData></worksheet>"


# ---------------------------------------------------------------------------------------------
# Building hostile files


@pytest.fixture
def good(tmp_path) -> Path:
    return write_workbook(tmp_path / "good.xlsx", good_sheets())


def rezip(source: Path, target: Path, replace=None, add=None) -> Path:
    """A copy of the workbook `source` with some parts' bytes replaced or added."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as old, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename in replace:
                data = replace[info.filename](data)
            new.writestr(info.filename, data)
        for name, data in add.items():
            new.writestr(name, data)
    return target


def measured(call):
    """(what `call()` returned or raised, its peak RSS growth in bytes, its seconds), the peak
    sampled every 5 ms by a thread, since memory freed on return would hide it afterwards."""
    process, peak, done = psutil.Process(), [0], threading.Event()
    before = process.memory_info().rss

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            done.wait(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        outcome = call()
    except Exception as exc:  # noqa: BLE001 - returned for the test to look at
        outcome = exc
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    peak[0] = max(peak[0], process.memory_info().rss)
    return outcome, peak[0] - before, elapsed


def only_problem(path, **limits):
    """The one problem `read_inputs` reports for a refused file."""
    with pytest.raises(InputError) as info:
        read_inputs(path, **limits)
    problems = info.value.problems
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.file == Path(path).name
    assert problem.sheet is None and problem.row is None and problem.column is None
    text = str(problem)
    assert "\n" not in text and len(text) < 500, text
    return problem


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                   * 10) for i in range(1, 10))
          + b"]>")  # &lol9; expands to 10**9 "lol"s: 3 GB


def billion_laughs_in_sheet(data: bytes) -> bytes:
    return LAUGHS + data.replace(b"<t>member</t>", b"<t>&lol9;</t>", 1)


def external_entity_in_sheet(data: bytes) -> bytes:
    return (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + data.replace(b"<t>member</t>", b"<t>&x;</t>", 1))


def with_shared_strings_bomb(source: Path, target: Path) -> Path:
    """A sharedStrings part (declared in the content types, as Excel does) holding the bomb."""
    strings = LAUGHS + (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                        b'count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    override = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>')
    return rezip(source, target,
                 replace={"[Content_Types].xml": lambda d: d.replace(b"</Types>", override)},
                 add={"xl/sharedStrings.xml": strings})


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine: the CRC-32 of A+B from those of A and B and B's length."""
    def times(matrix, vector):
        total, i = 0, 0
        while vector:
            if vector & 1:
                total ^= matrix[i]
            vector >>= 1
            i += 1
        return total

    def square(matrix):
        return [times(matrix, matrix[n]) for n in range(32)]

    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = square(odd)
    odd = square(even)
    while True:
        even = square(odd)
        if len2 & 1:
            crc1 = times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = square(even)
        if len2 & 1:
            crc1 = times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def repeated_crc(chunk: bytes, count: int) -> int:
    """CRC-32 of `chunk` repeated `count` times, without building it (square and multiply)."""
    result, power, power_len = 0, zlib.crc32(chunk), len(chunk)
    while count:
        if count & 1:
            result = crc32_combine(result, power, power_len)
        power = crc32_combine(power, power, power_len)
        power_len *= 2
        count >>= 1
    return result


def write_raw_zip(target: Path, entries) -> Path:
    """Write a zip from (name, [deflated chunks], crc, uncompressed size) entries, streaming."""
    central, offset = [], 0
    with open(target, "wb") as out:
        for name, chunks, crc, size in entries:
            compressed = sum(len(c) for c in chunks)
            encoded = name.encode()
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, compressed,
                                 size, len(encoded), 0) + encoded
            out.write(header)
            for chunk in chunks:
                out.write(chunk)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21,
                                       crc, compressed, size, len(encoded), 0, 0, 0, 0, 0,
                                       offset) + encoded)
            offset += len(header) + compressed
        directory = b"".join(central)
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                              len(directory), offset, 0))
    return target


def deflated(data: bytes) -> list[bytes]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return [packer.compress(data) + packer.flush()]


def zip_bomb(source: Path, target: Path, megabytes: int) -> Path:
    """The good workbook with its members sheet replaced by one row of `megabytes` MB of <c/>
    cells: a genuine archive (true CRC and sizes) whose sheet inflates to that size, built from
    one compressed 1 MB block repeated, so it costs a few kB of memory to write."""
    chunk = b"<c/>" * (1 << 18)  # 1 MB
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    opening = packer.compress(SHEET_OPEN) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)  # independent of history
    closing = packer.compress(SHEET_CLOSE) + packer.flush()
    crc = zlib.crc32(SHEET_OPEN)
    crc = crc32_combine(crc, repeated_crc(chunk, megabytes), len(chunk) * megabytes)
    crc = crc32_combine(crc, zlib.crc32(SHEET_CLOSE), len(SHEET_CLOSE))
    size = len(SHEET_OPEN) + len(chunk) * megabytes + len(SHEET_CLOSE)
    entries = []
    with zipfile.ZipFile(source) as old:
        for info in old.infolist():
            if info.filename == SHEET:
                entries.append((SHEET, [opening, *[block] * megabytes, closing], crc, size))
            else:
                data = old.read(info.filename)
                entries.append((info.filename, deflated(data), zlib.crc32(data), len(data)))
    return write_raw_zip(target, entries)


def test_crc32_combine_matches_zlib():
    a, b = b"burden" * 1000, b"<c/>" * 777
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    assert repeated_crc(b, 5) == zlib.crc32(b * 5)


# ---------------------------------------------------------------------------------------------
# XML entities: defusedxml


def test_defusedxml_is_what_openpyxl_parses_with():
    import openpyxl.xml
    import openpyxl.xml.functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    ensure_defused_xml()  # and the guard agrees


def test_the_guard_refuses_to_read_when_defusedxml_is_not_in_use(good, monkeypatch):
    import xml.etree.ElementTree

    import openpyxl.xml.functions

    monkeypatch.setattr(openpyxl.xml.functions, "iterparse", xml.etree.ElementTree.iterparse)
    with pytest.raises(RuntimeError, match="defusedxml"):
        check_workbook(good)
    with pytest.raises(RuntimeError, match="defusedxml"):
        read_inputs(good)


@pytest.mark.parametrize("build", [
    lambda good, target: rezip(good, target, {SHEET: billion_laughs_in_sheet}),
    lambda good, target: with_shared_strings_bomb(good, target),
    lambda good, target: rezip(good, target, {"xl/workbook.xml": lambda d: LAUGHS + d}),
], ids=["sheet", "sharedStrings", "workbook.xml"])
def test_billion_laughs_is_refused_at_once(good, tmp_path, build):
    bomb = build(good, tmp_path / "laughs.xlsx")
    started = time.perf_counter()
    problem = only_problem(bomb)
    assert time.perf_counter() - started < 10  # refused before expanding (against a hang)
    assert "entity declarations" in problem.expected and "EntitiesForbidden" in problem.expected


def test_external_entity_is_refused_and_never_read(good, tmp_path):
    hostile = rezip(good, tmp_path / "xxe.xlsx", {SHEET: external_entity_in_sheet})
    problem = only_problem(hostile)
    assert "external references" in problem.expected
    assert "root:" not in str(problem)  # /etc/passwd's text never reaches a message


# ---------------------------------------------------------------------------------------------
# Sizes: the file, the archive's declared sizes, the compression ratio, the cells read


def test_zip_bomb_is_refused_from_its_declared_size_fast_and_without_memory(good, tmp_path):
    bomb = zip_bomb(good, tmp_path / "bomb.xlsx", megabytes=2048)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(bomb) as archive:  # genuine: it really inflates to 2 GB of cells
        assert archive.getinfo(SHEET).file_size > 2 * 1024 ** 3
        with archive.open(SHEET) as handle:
            assert handle.read(1 << 20).startswith(SHEET_OPEN + b"<c/><c/>")
    problem, grown, elapsed = measured(lambda: only_problem(bomb))
    # refused before inflating: no memory taken, and far from the minutes 2 GB of cells
    # would take (a bound against a hang, not a speed figure)
    assert grown < 50 * 1024 * 1024, grown
    assert elapsed < 10, elapsed
    assert "5,000,000 cells" in problem.expected and "--max-cells" in problem.expected


def test_a_bomb_within_the_cell_allowance_is_refused_by_its_compression_ratio(good, tmp_path):
    bomb = zip_bomb(good, tmp_path / "dense.xlsx", megabytes=40)  # 10 million <c/> in one row
    with zipfile.ZipFile(bomb) as archive:
        info = archive.getinfo(SHEET)
        assert info.file_size < 5_000_000 * BYTES_PER_CELL  # passes the cell allowance
        assert info.file_size > MAX_RATIO * info.compress_size
    problem, grown, elapsed = measured(lambda: only_problem(bomb))
    assert grown < 50 * 1024 * 1024 and elapsed < 10, (grown, elapsed)
    assert f"at most {MAX_RATIO}:1" in problem.expected and SHEET in problem.expected
    assert "zip bomb" in problem.expected


def test_a_genuine_large_sheet_passes_the_ratio_check(good, tmp_path):
    rows = "".join(  # 40,000 rows as Excel writes them: about 3 MB, compressing about 10:1
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>member {i % 97}</t></is></c>'
        f'<c r="B{i}"><v>{1000 + i * 7.31:.2f}</v></c><c r="C{i}"><v>0.0{i % 9}</v></c>'
        f'<c r="D{i}" t="b"><v>{i % 2}</v></c></row>' for i in range(1, 40_001))
    big = rezip(good, tmp_path / "big.xlsx",
                {SHEET: lambda d: SHEET_OPEN[:-len(b'<row r="1">')] + rows.encode()
                 + SHEET_CLOSE[len(b"</row>"):]})
    with zipfile.ZipFile(big) as archive:
        info = archive.getinfo(SHEET)
        assert info.file_size > 2 * 1024 * 1024 and info.file_size / info.compress_size < 50
    check_workbook(big)  # no exception


def test_more_cells_than_max_cells_is_refused_and_says_how_to_raise_the_limit(good):
    problem = only_problem(good, max_cells=100)
    assert "at most 100 cells" in problem.expected
    assert "--max-cells" in problem.expected and "max_cells=" in problem.expected
    read_inputs(good, max_cells=5_000)  # a limit the workbook fits: read as usual


def test_an_archive_unpacking_to_more_than_its_allowance_is_refused(good, tmp_path):
    padded = rezip(good, tmp_path / "padded.xlsx",
                   add={"xl/media/image1.bin": random.Random(1).randbytes(200_000)})
    problem = only_problem(padded, max_cells=1_000)  # sheets fit 30 kB, the archive 60 kB
    assert "unpacks to at most" in problem.expected


def test_file_over_max_file_mb_is_refused(good):
    problem = only_problem(good, max_file_mb=0.001)
    assert "at most 0.001 MB" in problem.expected and "--max-file-mb" in problem.expected


def test_a_far_away_cell_costs_neither_memory_nor_time(tmp_path):
    sheets = good_sheets()
    path = write_workbook(tmp_path / "far.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    book["members"]["XFD1048576"] = "stray"
    book.save(path)
    inputs, grown, elapsed = measured(lambda: read_inputs(path))
    assert not isinstance(inputs, Exception), inputs
    assert elapsed < 10 and grown < 100 * 1024 * 1024, (elapsed, grown)
    # the stray cell is beyond every named column: ignored like any unnamed column
    assert inputs.members.index.tolist() == ["Alpha", "Beta", "Gamma"]


def test_far_right_cells_on_many_rows_are_cut_at_the_column_cap(tmp_path):
    path = write_workbook(tmp_path / "wide.xlsx", good_sheets())
    book = openpyxl.load_workbook(path)
    notes = book.create_sheet("notes")  # not an input sheet: read, then ignored with a warning
    for row in range(1, 4_001):
        notes.cell(row, 1, f"note {row}")
        notes.cell(row, 16_384, "far right")
    book.save(path)
    inputs, grown, elapsed = measured(lambda: read_inputs(path))
    assert not isinstance(inputs, Exception), inputs
    assert elapsed < 10 and grown < 100 * 1024 * 1024, (elapsed, grown)
    assert any("'notes'" in warning for warning in inputs.warnings)


def test_a_value_below_the_rows_read_is_an_error_not_silently_dropped(tmp_path):
    rows, columns = read_caps(1_000)
    assert rows * columns >= 1_000 and rows * columns < 1_100
    sheets = good_sheets()
    sheets["members"] += [[None] * len(sheets["members"][0])] * (rows + 5)
    sheets["members"].append(["Delta", 500] + [None] * 9)
    path = write_workbook(tmp_path / "long.xlsx", sheets)
    with pytest.raises(InputError) as info:
        read_inputs(path, max_cells=1_000)
    (problem,) = info.value.problems
    assert (problem.sheet, problem.row) == ("members", rows + 10)
    assert "--max-cells" in problem.expected and problem.value == "Delta"
    assert "Delta" in read_inputs(path).members.index  # within the default limit: read


def test_read_caps_follow_max_cells():
    assert read_caps(5_000_000) == (20_000, 250)
    rows, columns = read_caps(50_000_000)
    assert rows * columns >= 50_000_000 and columns <= 16_384
    assert read_caps(1) == (2, 26)


# ---------------------------------------------------------------------------------------------
# Files that are not plain workbooks: macros, passwords, damage, something else entirely


def test_workbook_with_macros_is_refused_by_name(good, tmp_path):
    with_vba = rezip(good, tmp_path / "macros.xlsx", add={"xl/vbaProject.bin": b"\0" * 64})
    problem = only_problem(with_vba)
    assert "macro-enabled" in problem.expected and "vbaproject.bin" in problem.expected


def test_xlsm_file_is_refused_by_name(good, tmp_path):
    xlsm = tmp_path / "plan.xlsm"
    xlsm.write_bytes(good.read_bytes())
    problem = only_problem(xlsm)
    assert "macro-enabled" in problem.expected and ".xlsm" in problem.expected


def test_macro_enabled_content_type_is_refused(good, tmp_path):
    sneaky = rezip(good, tmp_path / "sneaky.xlsx", {"[Content_Types].xml": lambda d: d.replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")})
    assert b"macroEnabled" in zipfile.ZipFile(sneaky).read("[Content_Types].xml")
    assert "macro-enabled" in only_problem(sneaky).expected


def test_password_protected_workbook_is_refused_by_name(tmp_path):
    encrypted = tmp_path / "secret.xlsx"  # Excel's encrypted .xlsx: an OLE2 compound file
    junk = random.Random(2).randbytes(4000)
    encrypted.write_bytes(OLE2_MAGIC + junk[:1000] + "EncryptionInfo".encode("utf-16-le")
                          + junk[1000:2000] + "EncryptedPackage".encode("utf-16-le") + junk[2000:])
    problem = only_problem(encrypted)
    assert "password-protected" in problem.expected


def test_old_binary_excel_file_named_xlsx_is_refused(tmp_path):
    legacy = tmp_path / "old.xlsx"
    legacy.write_bytes(OLE2_MAGIC + random.Random(3).randbytes(4000))
    assert "older binary Office file" in only_problem(legacy).expected


def test_truncated_workbook_is_refused_as_damaged(good, tmp_path):
    half = tmp_path / "half.xlsx"
    data = good.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    problem = only_problem(half)
    assert "damaged or truncated" in problem.expected


def test_random_bytes_named_xlsx_are_not_a_workbook(tmp_path):
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(b"\x00\x01" + random.Random(4).randbytes(5000))
    problem = only_problem(noise)
    assert "not an .xlsx workbook" in problem.expected


def test_empty_file_is_not_a_workbook(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert "empty" in only_problem(empty).expected


@pytest.mark.parametrize("parts", [
    {"hello.txt": b"not a workbook inside"},
    {"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<workbook"},
], ids=["zip-without-workbook", "broken-xml"])
def test_a_zip_that_is_no_workbook_is_one_clear_line(tmp_path, parts):
    path = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    problem = only_problem(path)
    assert problem.expected.startswith("a readable .xlsx workbook: it could not be read")


def test_malformed_sheet_xml_is_one_clear_line(good, tmp_path):
    broken = rezip(good, tmp_path / "broken.xlsx",
                   {SHEET: lambda d: d.replace(b"</sheetData>", b"<row></sheetData>")})
    assert "could not be read" in only_problem(broken).expected


# ---------------------------------------------------------------------------------------------
# A folder of .csv files


def write_csv_folder(folder: Path, sheets, encoding="utf-8") -> Path:
    folder.mkdir()
    for name, rows in sheets.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding=encoding) as handle:
            csv.writer(handle).writerows([["" if v is None else v for v in row]
                                          for row in rows])
    return folder


def test_csv_with_latin1_bytes_is_one_located_problem(tmp_path):
    sheets = good_sheets()
    set_cell(sheets, "members", 3, "member", "Zürich")
    folder = write_csv_folder(tmp_path / "case", sheets, encoding="latin-1")
    with pytest.raises(InputError) as info:
        read_inputs(folder)
    (problem,) = info.value.problems
    assert (problem.file, problem.sheet, problem.row) == ("members.csv", "members", 3)
    assert "UTF-8" in problem.expected and "0xfc" in problem.expected
    assert "\n" not in str(problem)


def test_csv_with_a_field_over_the_csv_limit_is_one_problem(tmp_path):
    sheets = good_sheets()
    set_cell(sheets, "members", 2, "member", "A" * 200_000)
    folder = write_csv_folder(tmp_path / "case", sheets)
    with pytest.raises(InputError) as info:
        read_inputs(folder)
    (problem,) = info.value.problems
    assert problem.file == "members.csv" and "comma-separated text" in problem.expected


def test_csv_file_over_max_file_mb_is_refused(tmp_path):
    folder = write_csv_folder(tmp_path / "case", good_sheets())
    with pytest.raises(InputError) as info:
        read_inputs(folder, max_file_mb=0.0001)
    (problem,) = info.value.problems
    assert problem.file.endswith(".csv") and "--max-file-mb" in problem.expected


# ---------------------------------------------------------------------------------------------
# Through the command line: exit 2, one clear line, no traceback, no report


def burden(cwd, *args, env=None):
    assert BURDEN.exists(), f"console script not installed beside {sys.executable}"
    done = subprocess.run([str(BURDEN), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def assert_refused(done, name: str, words: str):
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "1 problem in the input:", done.stderr
    (line,) = lines[1:]
    assert line.strip().startswith(f"{name}: expected") and words in line, line


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    good = write_workbook(folder / "good.xlsx", good_sheets())
    half = folder / "half.xlsx"
    half.write_bytes(good.read_bytes()[:5000])
    secret = folder / "secret.xlsx"
    secret.write_bytes(OLE2_MAGIC + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le"))
    return {
        "good": good,
        "bomb": zip_bomb(good, folder / "bomb.xlsx", megabytes=2048),
        "laughs": rezip(good, folder / "laughs.xlsx", {SHEET: billion_laughs_in_sheet}),
        "macros": rezip(good, folder / "macros.xlsx", add={"xl/vbaProject.bin": b"\0" * 64}),
        "half": half,
        "secret": secret,
    }


@pytest.mark.parametrize("case, words", [
    ("bomb", "--max-cells"),
    ("laughs", "entity declarations"),
    ("macros", "macro-enabled"),
    ("half", "damaged or truncated"),
    ("secret", "password-protected"),
])
def test_cli_solve_refuses_hostile_files_with_one_line_and_no_report(hostile, tmp_path, case,
                                                                    words):
    path = hostile[case]
    report = tmp_path / "report.xlsx"
    started = time.perf_counter()
    done = burden(tmp_path, "solve", path, "-o", report)
    assert_refused(done, path.name, words)
    assert not report.exists() and list(tmp_path.iterdir()) == []
    assert time.perf_counter() - started < 60


def test_cli_limits_are_options_of_solve_and_validate(hostile, tmp_path):
    good = hostile["good"]
    assert_refused(burden(tmp_path, "validate", good, "--max-file-mb", "0.001"), good.name,
                   "--max-file-mb")
    assert_refused(burden(tmp_path, "solve", good, "--max-cells", "100", "-o",
                          tmp_path / "r.xlsx"), good.name, "--max-cells")
    assert not (tmp_path / "r.xlsx").exists()
    done = burden(tmp_path, "validate", good, "--max-file-mb", "1", "--max-cells", "10000")
    assert done.returncode == 0, done.stderr
    done = burden(tmp_path, "validate", good, "--max-cells", "0")
    assert done.returncode == 2 and "--max-cells" in done.stderr


def test_cli_without_defusedxml_refuses_to_read_rather_than_parse_unsafely(hostile, tmp_path):
    import os

    env = {**os.environ, "OPENPYXL_DEFUSEDXML": "False"}
    done = burden(tmp_path, "validate", hostile["laughs"], env=env)
    assert done.returncode == 1 and "defusedxml" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
