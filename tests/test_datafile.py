"""The data file: round trips, atomic writes, and a clear error for every bad file."""

from __future__ import annotations

import os
import sqlite3
from hashlib import blake2b

import pytest
from conftest import ccov, run_read_only

from ccov.data import datafile, linebits
from ccov.errors import CcovError


def sample() -> datafile.CoverageData:
    data = datafile.CoverageData()
    data.add_lines("/abs/a.py", linebits.from_lines([1, 2, 30]), hash="h1")
    data.add_lines("/abs/b.py", 0)
    data.add_lines("/abs/a.py", linebits.from_lines([5]), context="test_x|call")
    return data


def test_round_trip(tmp_path):
    path = tmp_path / "data"
    datafile.write(str(path), sample())
    back = datafile.read(str(path))
    assert linebits.to_lines(back.files["/abs/a.py"].lines[""]) == [1, 2, 30]
    assert linebits.to_lines(back.files["/abs/a.py"].all_lines()) == [1, 2, 5, 30]
    assert back.files["/abs/a.py"].hash == "h1"
    assert back.files["/abs/b.py"].all_lines() == 0
    assert back.meta["kind"] == "lines"
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "data"
    datafile.write(str(path), sample())
    before = path.read_bytes()

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(datafile.os, "fsync", disk_full)
    with pytest.raises(CcovError, match="cannot write data file .*No space left on device"):
        datafile.write(str(path), datafile.CoverageData())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_unwritable_directory(tmp_path):
    """A directory that cannot be written (read-only even for root: a bind
    mount, see conftest.run_read_only): one line, and no file left behind."""
    import sys

    target = tmp_path / "ro"
    target.mkdir()
    program = ("from ccov.data import datafile\nfrom ccov.errors import CcovError\n"
               "try:\n    datafile.write('data', datafile.CoverageData())\n"
               "except CcovError as err:\n    print(err)\n")
    result = run_read_only(target, [sys.executable, "-c", program])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("cannot write data file data: ") and "Read-only" in result.stdout or \
        "Permission denied" in result.stdout, result.stdout
    assert list(target.iterdir()) == []


def test_erase_with_nothing_to_erase_on_a_read_only_filesystem(tmp_path):
    import sys

    result = run_read_only(tmp_path, [sys.executable, "-m", "ccov", "erase"])
    assert result.returncode == 0, result.stderr


def resigned(content: bytes) -> bytes:
    """`content` with its checksum made right again: damage the checksum
    cannot show, so the decoder itself must find it."""
    header = len(datafile.MAGIC) + 4
    body = content[header + 16:]
    return content[:header] + blake2b(body, digest_size=16).digest() + body


def _foreign_sqlite(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()


def _other_version(path):
    content = datafile.encode(sample())
    version = len(datafile.MAGIC)
    open(path, "wb").write(content[:version] + (99).to_bytes(4, "little") + content[version + 4:])


def _a_flipped_byte(path):
    content = bytearray(datafile.encode(sample()))
    content[-3] ^= 0x10
    open(path, "wb").write(bytes(content))


def _a_missing_context(path):
    """A row that names context 7 of 2, behind a checksum that matches."""
    data = datafile.CoverageData()
    data.add_lines("/abs/a.py", 0b110, context="only")
    content = datafile.encode(data)
    marker = (0).to_bytes(4, "little") + (1).to_bytes(4, "little") + b"\x06"  # context 0, a 1-byte bitmap
    assert content.count(marker) == 1
    open(path, "wb").write(resigned(content.replace(marker, (7).to_bytes(4, "little") + marker[4:])))


def _bytes_after_the_end(path):
    open(path, "wb").write(resigned(datafile.encode(sample()) + b"\0"))


BAD_FILES = {
    "random bytes": lambda p: open(p, "wb").write(os.urandom(3000)),
    "empty": lambda p: open(p, "wb").close(),
    "text": lambda p: open(p, "w").write("!coverage.py: This is a private format\n"),
    "foreign sqlite (or an older ccov's)": _foreign_sqlite,
    "other format version": _other_version,
    "a flipped byte": _a_flipped_byte,
    "a missing context": _a_missing_context,
    "bytes after the end": _bytes_after_the_end,
    "directory": lambda p: os.mkdir(p),
}
EXPECTED = {
    "random bytes": "not a ccov data file",
    "empty": "not a ccov data file",
    "text": "not a ccov data file",
    "foreign sqlite (or an older ccov's)": "an SQLite database",
    "other format version": "format version 99",
    "a flipped byte": "checksum does not match",
    "a missing context": "missing context",
    "bytes after the end": "bytes after the end",
    "directory": "is a directory",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_data_file_gives_one_line_error(project, kind):
    BAD_FILES[kind](str(project / ".ccov"))
    for command in ("report", "lcov"):
        result = ccov(command, cwd=project, timeout=30)
        assert result.returncode == 1
        assert result.stderr.startswith("ccov: error: ")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert EXPECTED[kind] in result.stderr and "Traceback" not in result.stderr


def test_names_that_are_not_utf8_round_trip(tmp_path):
    """A file name (or test id) that is not UTF-8 comes back as the same str:
    stored as its bytes, not refused (which lost the whole run's data)."""
    odd = os.fsdecode(b"/abs/caf\xe9.py")
    data = datafile.CoverageData(meta={"static_context": os.fsdecode(b"label\xff")})
    data.add_lines(odd, linebits.from_lines([3]), context=os.fsdecode(b"test_\xff|run"))
    data.add_lines("/abs/plain.py", linebits.from_lines([1]))
    datafile.write(str(tmp_path / "data"), data)
    back = datafile.read(str(tmp_path / "data"))
    assert sorted(back.files) == sorted([odd, "/abs/plain.py"])
    assert back.files[odd].lines == {os.fsdecode(b"test_\xff|run"): linebits.from_lines([3])}
    assert back.meta["static_context"] == os.fsdecode(b"label\xff")


def test_a_measured_file_whose_name_is_not_utf8(project):
    """The run is saved, every report is written, and the odd name is shown
    with U+FFFD (the report files stay UTF-8)."""
    (project / "plain.py").write_text("A = 1\n")
    with open(os.path.join(os.fsencode(project), b"odd\xff.py"), "w") as odd:
        odd.write("B = 2\n")
    (project / "prog.py").write_text("import importlib, os, plain\nimportlib.import_module(os.fsdecode(b'odd\\xff'))\n")
    ran = ccov("run", "prog.py", cwd=project)
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    report = ccov("report", cwd=project)
    assert report.returncode == 0, report.stderr
    assert "odd\ufffd.py" in report.stdout and "plain.py" in report.stdout and "TOTAL" in report.stdout
    for command in (["lcov"], ["xml"], ["json"], ["html"], ["report", "--format=markdown"]):
        written = ccov(*command, cwd=project)
        assert written.returncode == 0 and "Traceback" not in written.stderr, (command, written.stderr)
    assert "SF:odd\ufffd.py" in (project / "lcov.info").read_text(encoding="utf-8")


def test_context_names_that_are_not_utf8_reach_the_json_report(project):
    data = datafile.CoverageData()
    (project / "a.py").write_text("x = 1\n" * 5)
    data.add_lines(str(project / "a.py"), linebits.from_lines([1, 2]), context=os.fsdecode(b"test_x|call\xff"))
    datafile.write(str(project / ".ccov"), data)
    result = ccov("json", "--show-contexts", "-o", "-", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "test_x|call\\udcff" in result.stdout


def test_truncated_at_every_offset(tmp_path):
    path = tmp_path / "data"
    datafile.write(str(path), sample())
    whole = path.read_bytes()
    cut = tmp_path / "cut"
    for size in range(len(whole)):
        cut.write_bytes(whole[:size])
        try:
            datafile.read(str(cut))
        except CcovError as err:
            assert "\n" not in str(err)


def test_corrupted_bytes_give_data_or_one_line_error(tmp_path):
    """Bytes overwritten anywhere: the reader returns data or raises a
    one-line CcovError, nothing else."""
    import random

    path = tmp_path / "data"
    datafile.write(str(path), sample())
    whole = path.read_bytes()
    damaged = tmp_path / "damaged"
    chance = random.Random(20261124)
    for _ in range(3000):
        data = bytearray(whole)
        for _ in range(chance.randint(1, 8)):
            data[chance.randrange(len(data))] = chance.randrange(256)
        damaged.write_bytes(bytes(data))
        try:
            datafile.read(str(damaged))
        except CcovError as err:
            assert "\n" not in str(err)


def test_damage_behind_a_matching_checksum_gives_data_or_one_line_error(tmp_path):
    """The decoder's own checks: bytes overwritten, removed or added in the
    body, with the checksum made right again."""
    import random

    whole = datafile.encode(sample())
    header = len(datafile.MAGIC) + 4 + 16
    damaged = tmp_path / "damaged"
    chance = random.Random(20261127)
    errors = 0
    for _ in range(3000):
        data = bytearray(whole)
        for _ in range(chance.randint(1, 4)):
            at = chance.randrange(header, len(data))
            action = chance.randrange(3)
            if action == 0:
                data[at] = chance.randrange(256)
            elif action == 1:
                del data[at]
            else:
                data.insert(at, chance.randrange(256))
        damaged.write_bytes(resigned(bytes(data)))
        try:
            datafile.read(str(damaged))
        except CcovError as err:
            errors += 1
            assert "\n" not in str(err) and "is not a usable ccov data file" in str(err)
    assert errors > 1000  # most damage is found, not read as other data


def test_no_data_file(project):
    result = ccov("report", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip() == "ccov: error: no data file at .ccov: run `ccov run` (or `pytest --ccov`) first"


def test_combine_skips_unreadable_inputs_and_keeps_them(project):
    good = datafile.CoverageData()
    good.add_lines(str(project / "x.py"), linebits.from_lines([1]))
    datafile.write(str(project / ".ccov.h.1.0123456789aa"), good)
    (project / ".ccov.h.2.0123456789bb").write_bytes(b"junk")
    result = ccov("combine", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "not combined" in result.stderr
    assert (project / ".ccov.h.2.0123456789bb").exists()
    assert not (project / ".ccov.h.1.0123456789aa").exists()
    assert list(datafile.read(str(project / ".ccov")).files) == [str(project / "x.py")]


def test_combine_with_nothing_to_combine(project):
    result = ccov("combine", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip() == "ccov: error: no data files to combine"


def test_erase(project):
    for name in (".ccov", ".ccov.host.1.0123456789ab", "keep.txt"):
        (project / name).write_text("x")
    assert ccov("erase", cwd=project).returncode == 0
    assert sorted(p.name for p in project.iterdir()) == ["keep.txt"]
