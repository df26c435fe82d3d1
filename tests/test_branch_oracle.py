"""ccov --branch must give coverage.py --branch's answers: the same branch
lines, the same arcs taken and missed, file by file, on programs that
exercise every kind of branch (and on every program the line oracle uses)."""

from __future__ import annotations

import pytest

from conftest import ccov, ccov_files, clean_env, coverage_json
from test_oracle import CASES, CORES, compare

BRANCH_CASES = {
    **CASES,
    "branches": ["branches.py"],
    "branches_more": ["branches_more.py"],
    "branches_real": ["branches_real.py"],
}


def arcs_of(entry) -> tuple[set, set]:
    taken = {(line, to) for line, tos in entry.taken.items() for to in tos}
    return taken, set(entry.missing_arcs)


def compare_branches(ours: dict, theirs: dict) -> None:
    compare(ours, theirs)
    for name, entry in theirs.items():
        taken, missing = arcs_of(ours[name])
        assert sorted(taken) == sorted(map(tuple, entry["executed_branches"])), f"{name}: branches taken"
        assert sorted(missing) == sorted(map(tuple, entry["missing_branches"])), f"{name}: branches missed"
        summary = entry["summary"]
        assert ours[name].n_branches == summary["num_branches"], f"{name}: branch count"
        assert ours[name].n_partial == summary["num_partial_branches"], f"{name}: partial branches"


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("case", sorted(BRANCH_CASES))
def test_same_branches_as_coverage_py(programs, case, core):
    args = BRANCH_CASES[case]
    ran = ccov("run", "--branch", *args, cwd=programs, env=clean_env(CCOV_CORE=core))
    assert ran.returncode in (0, 1, 3), ran.stderr
    assert "internal error" not in ran.stderr
    theirs = coverage_json(programs, args, branch=True)
    assert theirs, "coverage.py measured nothing"
    compare_branches(ccov_files(programs), theirs)


def test_the_branch_programs_take_and_miss_branches(programs):
    """The oracle programs are worth comparing on: each has branches taken
    one way only, both ways, and not at all."""
    ccov("run", "--branch", "branches.py", cwd=programs)
    entry = ccov_files(programs)["branches.py"]
    both = [line for line, tos in entry.taken.items() if len(tos) == len(entry.branches[line])]
    assert both and entry.partial_lines and set(entry.branches) - set(entry.taken)
