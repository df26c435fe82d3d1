"""`ccov run`'s fast parser gives argparse's answers, or leaves the case to argparse."""

from __future__ import annotations

import pytest

from ccov.cli import RUN_OPTIONS, parse_run_quickly
from ccov.cli_parser import build_parser

CASES = [
    ["run", "prog.py"],
    ["run", "prog.py", "-m", "--source", "x"],
    ["run", "--source", "a", "--source=b", "--omit=*/t/*", "prog.py", "arg"],
    ["run", "-a", "-p", "--data-file", "d.db", "-m", "pkg.mod", "--flag"],
    ["run", "--parallel", "--append", "--config=c.toml", "prog.py"],
    ["run"],
]


@pytest.mark.parametrize("argv", CASES, ids=" ".join)
def test_same_as_argparse(argv):
    quick = parse_run_quickly(argv)
    full = build_parser().parse_args(argv)
    assert quick is not None
    for _, dest, _, _, _ in RUN_OPTIONS:
        assert getattr(quick, dest) == getattr(full, dest) or (not getattr(quick, dest) and not getattr(full, dest)), dest
    assert quick.program == full.program


@pytest.mark.parametrize("argv", [["run", "-h"], ["run", "-ap", "x.py"], ["run", "--source"], ["run", "--nope", "x.py"],
                                  ["run", "--append=yes", "x.py"]])
def test_unusual_cases_go_to_argparse(argv):
    assert parse_run_quickly(argv) is None
