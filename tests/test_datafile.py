"""The data file: round trips, atomic writes, and a clear error for every bad file."""

from __future__ import annotations

import os
import sqlite3

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

    def explode(connection, data):
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(datafile, "_fill", explode)
    with pytest.raises(CcovError, match="cannot write data file .*disk full"):
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


def _foreign_sqlite(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()


def _other_version(path):
    datafile.write(path, sample())
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 99")
    connection.commit()
    connection.close()


def _missing_table(path):
    datafile.write(path, sample())
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE line_bits")
    connection.commit()
    connection.close()


def _meta_is_a_recursive_view(path):
    """Reading it never ends unless the reader refuses views."""
    datafile.write(path, sample())
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE meta")
    connection.execute("CREATE VIEW meta AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
                       "SELECT 'k' || x AS key, 'v' AS value FROM n")
    connection.commit()
    connection.close()


BAD_FILES = {
    "meta is a recursive view": _meta_is_a_recursive_view,
    "random bytes": lambda p: open(p, "wb").write(os.urandom(3000)),
    "empty": lambda p: open(p, "wb").close(),
    "text": lambda p: open(p, "w").write("!coverage.py: This is a private format\n"),
    "foreign sqlite": _foreign_sqlite,
    "other schema version": _other_version,
    "missing table": _missing_table,
    "directory": lambda p: os.mkdir(p),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_data_file_gives_one_line_error(project, kind):
    BAD_FILES[kind](str(project / ".ccov"))
    for command in ("report", "lcov"):
        result = ccov(command, cwd=project, timeout=30)
        assert result.returncode == 1
        assert result.stderr.startswith("ccov: error: ")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


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


def test_context_names_stored_as_blobs_are_read(tmp_path, project):
    datafile.write(str(project / ".ccov"), sample())
    (project / "a.py").write_text("x = 1\n" * 5)
    connection = sqlite3.connect(project / ".ccov")
    connection.execute("UPDATE file SET path = ? WHERE path = '/abs/a.py'", (str(project / "a.py"),))
    connection.execute("DELETE FROM file WHERE path = '/abs/b.py'")
    connection.execute("DELETE FROM line_bits WHERE file_id NOT IN (SELECT id FROM file)")
    connection.execute("UPDATE file SET hash = NULL")
    for context_id, name in connection.execute("SELECT id, name FROM context").fetchall():
        connection.execute("UPDATE context SET name = ? WHERE id = ?", (name.encode() + b"\xff", context_id))
    connection.commit()
    connection.close()
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
