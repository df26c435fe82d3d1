"""3.12/3.13 branch tables kept in `.ccov_cache/` between runs
(ccov.model.table_cache): a later run reads them instead of decoding the
bytecode again, and gets the same arcs; a cache that is damaged, of another
environment or cannot be written changes nothing but speed."""

from __future__ import annotations

import marshal
import re
import sys

import pytest
from conftest import ccov

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 14), reason="3.14+ reads branches from co_branches()")

PROGRAMS = ["branches.py", "branches_more.py", "branches_real.py"]


def cache_file(directory):
    (found,) = (directory / ".ccov_cache").glob("branch-tables-*.bin")
    return found


def measured_arcs(directory) -> dict:
    """{file: arcs} recorded by the last run, read raw from the data file."""
    from ccov.data import datafile

    data = datafile.read(str(directory / ".ccov"))
    return {name: entry.all_arcs() for name, entry in data.files.items()}


def run_all(directory) -> dict:
    arcs = {}
    for program in PROGRAMS:
        result = ccov("run", "--branch", program, cwd=directory)
        assert "Traceback" not in result.stderr, result.stderr
        arcs[program] = measured_arcs(directory)
    return arcs


def test_a_second_run_reads_the_tables_and_records_the_same_arcs(programs):
    cold = run_all(programs)
    written = cache_file(programs).read_bytes()
    assert written.startswith(b"ccov branch tables\n")
    warm = run_all(programs)
    assert warm == cold
    # Every table was found in the cache: no run had one to add.
    assert cache_file(programs).read_bytes() == written
    count = int(re.search(r"branch tables kept for --branch: .*: (\d+) tables", ccov("debug", cwd=programs).stdout)[1])
    assert count > 10


def test_debug_says_when_there_is_no_cache(project):
    assert "none this ccov and Python can read" in ccov("debug", cwd=project).stdout


def test_a_changed_function_gets_a_new_table(project):
    (project / "main.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n\nf(1)\n")
    ccov("run", "--branch", "main.py", cwd=project)
    # The same bytecode on other lines: only the line table tells them apart.
    (project / "main.py").write_text(
        "def f(x):\n    # moved down\n    if x:\n        return 1\n    return 2\n\nf(1)\n")
    ccov("run", "--branch", "main.py", cwd=project)
    arcs = measured_arcs(project)[str(project / "main.py")]
    assert (3, 4) in arcs and not {arc for arc in arcs if 2 in arc}, sorted(arcs)


def damaged(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:]


def other_environment(content: bytes) -> bytes:
    """The same tables under another environment, each made wrong: were
    they read, the arcs would change."""
    from ccov.model import table_cache

    start = len(table_cache.MAGIC) + 16
    environment, tables = marshal.loads(content[start:])
    wrong = {key: ((), (), (), ()) for key in tables}
    body = marshal.dumps((environment + " (another)", wrong))
    return table_cache.MAGIC + table_cache.checksum(body) + body


@pytest.mark.parametrize("spoil", [damaged, other_environment, lambda content: content[:40], lambda content: b""],
                         ids=["damaged", "other-environment", "truncated", "empty"])
def test_a_cache_that_cannot_be_trusted_is_not_read(programs, spoil):
    cold = run_all(programs)
    path = cache_file(programs)
    path.write_bytes(spoil(path.read_bytes()))
    assert run_all(programs) == cold
    # ... and is replaced by a good one.
    assert run_all(programs) == cold and cache_file(programs).read_bytes().startswith(b"ccov branch tables\n")


def test_a_cache_that_cannot_be_written_changes_nothing(programs):
    cold = run_all(programs)
    (programs / ".ccov_cache").rename(programs / "kept")
    (programs / ".ccov_cache").write_text("a file where the folder should be\n")
    assert run_all(programs) == cold
    assert (programs / ".ccov_cache").read_text() == "a file where the folder should be\n"
