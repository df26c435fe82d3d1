"""The collector's branch-table reader for 3.12/3.13 (csrc/branch_reader_312.c)
gives the tables of the Python reference (tests/branch_reference.py): the
BRANCH callback trusts every direction, implied arc, return and step in it,
so a table that differs is a wrong or missing arc."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from types import CodeType

import pytest

if sys.version_info >= (3, 14):
    pytest.skip("3.14+ reads co_branches() instead", allow_module_level=True)

from branch_reference import branch_table

from ccov import _collector

PROGRAMS = Path(__file__).parent / "programs"


def code_objects(top: CodeType) -> list[CodeType]:
    found, todo = [], [top]
    while todo:
        code = todo.pop()
        found.append(code)
        todo.extend(c for c in code.co_consts if isinstance(c, CodeType))
    return found


def compiled(path: Path) -> CodeType | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in old modules
            return compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None  # not Python this compiler reads (badsyntax test files)


def assert_same_tables(paths) -> int:
    read = _collector.branch_table
    compared = 0
    for path in paths:
        top = compiled(path)
        for code in code_objects(top) if top else ():
            assert read(code) == branch_table(code), f"{path}: {code.co_name} (line {code.co_firstlineno})"
            compared += 1
    return compared


def test_the_reader_gives_the_references_tables_on_the_branch_programs():
    """The programs the branch oracle compares with coverage.py: every
    pattern real projects showed (with, finally, async for, one-line
    bodies, loops that end a function, nested conditions)."""
    assert assert_same_tables(sorted(PROGRAMS.rglob("*.py"))) > 100


def test_the_reader_gives_the_references_tables_on_the_standard_library():
    """About 85,000 code objects: the library, and its tests where installed."""
    root = Path(os.__file__).parent
    paths = [path for path in sorted(root.rglob("*.py")) if "site-packages" not in path.parts]
    assert assert_same_tables(paths) > 20_000


def test_tables_hold_byte_offsets_and_lines():
    """A direction is (instruction, destination, from_line, to_line, needed),
    offsets in bytes as the BRANCH event gives them."""
    source = "def f(x):\n    if x:\n        return 1\n    return 2\n"
    function = next(c for c in compile(source, "m", "exec").co_consts if isinstance(c, CodeType))
    directions, implied, returns, steps = _collector.branch_table(function)
    assert {(line, to) for _, _, line, to, _ in directions} == {(2, 3), (2, 4)}
    assert all(at % 2 == 0 and destination % 2 == 0 for at, destination, *_ in directions)
    assert (directions, implied, returns, steps) == branch_table(function)


def test_bad_arguments_raise():
    with pytest.raises(TypeError):
        _collector.branch_table("not code")
    with pytest.raises(TypeError):
        _collector.branch_table()  # type: ignore[call-arg]
