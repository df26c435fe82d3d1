"""The same numbers as coverage.py on real projects: each pinned library's own
test suite runs under `pytest --cov` (pytest-cov) and under `pytest --ccov`,
and the two JSON reports must agree file by file: statements, executed
lines, and the arcs taken and missed.

The sdists are downloaded from PyPI by this module the first time (checked
against the pinned SHA-256) and cached in .cache/realcode of the checkout;
CCOV_REALCODE_CACHE moves the cache, CCOV_REALCODE=0 skips these tests (they
need the network once), and CCOV_REALCODE=click,boltons runs the named
libraries' alone (.ci/run spreads them over the Pythons it tests).  A library's suite runs from its unpacked sdist,
imported from its source tree, with its own pytest configuration."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import LINES_FROM_BRANCH_MODE, clean_env, genhtml, lcov_tools, run
from realcode import LIBRARIES, Library, suite_arguments, suite_environment, unpack

ENABLED = os.environ.get("CCOV_REALCODE", "1") != "0"
_NAMED = os.environ.get("CCOV_REALCODE", "1")


def _chosen(library: Library) -> bool:
    return _NAMED in ("", "1") or library.name in _NAMED.split(",")


def _suite(tree: Path, library: Library, measure: list[str]):
    """Run the library's tests with one tool's options; a failing test does
    not matter (both tools run the same tests), a suite that cannot run does.
    Tests whose lines depend on the clock are left out: both runs must
    execute the same code for their numbers to be comparable."""
    deselect = [f"--deselect={test}" for test in library.racy]
    done = run([sys.executable, *suite_arguments(library, [*deselect, *measure])], tree,
               clean_env(**suite_environment(tree, library)), timeout=600)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    # --deselect of a test that is not there is silently ignored.
    assert not deselect or f"{len(deselect)} deselected" in done.stdout, done.stdout[-3000:]
    return done


def _files(report: Path) -> dict:
    return {name: entry for name, entry in json.loads(report.read_text())["files"].items()}


def _compare(ours: dict, theirs: dict, branch: bool) -> None:
    assert sorted(ours) == sorted(theirs), "measured files differ"
    for name, entry in theirs.items():
        mine = ours[name]
        keys = ["executed_lines", "missing_lines"] + (["executed_branches", "missing_branches"] if branch else [])
        for key in keys:
            assert mine[key] == entry[key], f"{name}: {key}"


# attrs' line mode is left out: its suite runs with its own configuration,
# in branch mode, in test_a_real_project_configured_for_coverage_py.
CASES = [(library, branch) for library in LIBRARIES for branch in (True, False)
         if (branch or library.name != "attrs") and _chosen(library)]


@pytest.mark.skipif(not ENABLED, reason="CCOV_REALCODE=0")
@pytest.mark.parametrize(("library", "branch"), CASES,
                         ids=[f"{lib.name}-{'branch' if branch else 'line'}" for lib, branch in CASES])
def test_a_real_suite_gives_coverage_py_numbers(library, branch, tmp_path):
    tree = unpack(library, tmp_path)
    # Neither tool reads the library's own coverage settings: the comparison
    # is of measurement, under the same (default) exclusions.
    (tmp_path / "empty.cfg").write_text("")
    (tmp_path / "ccov.toml").write_text("[tool.ccov]\n")
    _suite(tree, library, [f"--cov={library.package}", f"--cov-config={tmp_path / 'empty.cfg'}",
                           f"--cov-report=json:{tmp_path / 'theirs.json'}"]
           + (["--cov-branch"] if branch or LINES_FROM_BRANCH_MODE else []))
    _suite(tree, library, [f"--ccov={library.package}", f"--ccov-config={tmp_path / 'ccov.toml'}",
                           f"--ccov-report=json:{tmp_path / 'ours.json'}", "--ccov-report=lcov:ccov.info"]
           + (["--ccov-branch"] if branch else []))
    theirs, ours = _files(tmp_path / "theirs.json"), _files(tmp_path / "ours.json")
    assert len(theirs) > 3, "coverage.py measured next to nothing"
    _compare(ours, theirs, branch)
    # Every lcov at hand (1.16, 2.x) renders the tracefile of a real suite:
    # lcov 2.x's genhtml rejected one ("line is hit but no branches").
    for tool in lcov_tools():
        rendered = genhtml(tool, tree, "ccov.info", branches=branch)
        assert rendered.returncode == 0, f"genhtml {tool[0]}.x: {rendered.stderr[-2000:]}"


def _table(output: str) -> list[str]:
    """The terminal table, from its header to the files skipped after it."""
    lines = [line.rstrip() for line in output.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("Name "))
    end = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    skipped = [line for line in lines[end:] if "skipped due to complete coverage" in line]
    return lines[start:end + 1] + skipped


@pytest.mark.skipif(not ENABLED or not _chosen(next(lib for lib in LIBRARIES if lib.name == "attrs")),
                    reason="CCOV_REALCODE leaves attrs out")
def test_a_real_project_configured_for_coverage_py(tmp_path):
    """attrs as its maintainers measure it: bare `--cov` and bare `--ccov`
    both read its [tool.coverage] (branch, parallel, source_pkgs, [paths],
    exclude_lines, show_missing, skip_covered; `patch`, which ccov has no use
    for and changes nothing, is taken in silence).  The table and the JSON
    numbers must be the same."""
    (library,) = [lib for lib in LIBRARIES if lib.name == "attrs"]
    tree = unpack(library, tmp_path)
    theirs = _suite(tree, library, ["--cov", f"--cov-report=json:{tmp_path / 'theirs.json'}", "--cov-report=term"])
    ours = _suite(tree, library, ["--ccov", f"--ccov-report=json:{tmp_path / 'ours.json'}", "--ccov-report=term"])
    assert _table(ours.stdout) == _table(theirs.stdout)
    assert "ccov: warning" not in ours.stdout
    their_files, our_files = _files(tmp_path / "theirs.json"), _files(tmp_path / "ours.json")
    assert len(their_files) > 10, "coverage.py measured next to nothing"
    _compare(our_files, their_files, branch=True)
    for name, entry in their_files.items():  # the whole document, functions and classes included
        mine = dict(our_files[name])
        mine.pop("path")
        assert mine == entry, name
