"""ccov --branch must give coverage.py --branch's answers: the same branch
lines, the same arcs taken and missed, file by file, on programs that
exercise every kind of branch (and on every program the line oracle uses)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import assert_ran_as_python_does, ccov, ccov_files, clean_env, coverage_json, run
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
    assert_ran_as_python_does(ran, args, programs)
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


def measured_by_ccov(directory, name: str, text: str):
    """Write the program `name`, run it under `ccov run --branch`; its FileCoverage."""
    (directory / name).write_text(text)
    ccov("run", "--branch", name, cwd=directory)
    return ccov_files(directory)[name]


def test_a_one_line_raise_inside_with_is_taken_where_coverage_py_misses_it(tmp_path):
    """coverage.py is wrong here, so ccov differs on purpose (README, "Where
    ccov differs"): `if a: raise E` on one line inside a `with` raises, yet
    coverage.py (7.17) reports both directions of the `if` missed: its trace
    goes from the `if` line to the `with` line (the context manager's exit),
    and its with-exit rewriting skips exits by exception.  (On 3.14+ its
    default core takes the arc to line 5, as in
    test_a_raise_on_the_condition_line_leaves_the_function.)  Written on two
    lines, the same code is taken in both tools."""
    ours = measured_by_ccov(tmp_path, "raise_in_with.py", (
        "import contextlib\n"
        "def main(a):\n"
        "    with contextlib.nullcontext():\n"
        "        if a: raise ValueError(a)\n"
        "        a = 1\n"
        "try:\n"
        "    main(2)\n"
        "except ValueError:\n"
        "    pass\n"
    ))
    assert ours.taken[4] == frozenset({-2}), ours.taken
    theirs = coverage_json(tmp_path, ["raise_in_with.py"], branch=True)["raise_in_with.py"]
    # What coverage.py says instead: nothing taken (its C tracer), or on
    # 3.14+ (its sys.monitoring core walks past the raise) the arc to line 5.
    assert [tuple(arc) for arc in theirs["executed_branches"]] in ([], [(4, 5)], [(4, -2)])


def test_a_loop_in_a_finally_after_a_suppressed_raise_is_a_branch(tmp_path):
    """coverage.py is wrong here, so ccov differs on purpose (README, "Where
    ccov differs"); found in click's own tests.  coverage.py's parser takes a
    `raise` inside a `with` as leaving the `try`, though the context manager
    (pytest.raises, contextlib.suppress) can swallow it: the `try` then never
    ends normally, the `for` in its `finally` gets no exit arc (one exit: no
    branch), and the line after the statement has no arc into it, yet runs.
    ccov reports what ran: the loop went both ways."""
    ours = measured_by_ccov(tmp_path, "suppressed.py", (
        "import contextlib\n"
        "def main(items):\n"
        "    try:\n"
        "        with contextlib.suppress(ValueError):\n"
        "            raise ValueError\n"
        "    finally:\n"
        "        for item in items:\n"
        "            if not item:\n"
        "                print(item)\n"
        "    return items\n"
        "main([1, 2])\n"
    ))
    assert ours.taken[7] == frozenset({8, 10}), ours.taken
    theirs = coverage_json(tmp_path, ["suppressed.py"], branch=True)["suppressed.py"]
    assert 10 in theirs["executed_lines"]  # coverage.py sees line 10 run...
    # ...but counts no branch at the loop: only the `if`'s two.
    assert theirs["summary"]["num_branches"] == 2 and ours.n_branches == 4


def test_a_branch_ending_a_finally_that_only_a_return_enters_is_a_branch(tmp_path):
    """coverage.py is wrong here, so ccov differs on purpose (docs/accuracy.md,
    "Where ccov differs"): the same gap as the loop above, without a `with`.
    When the `try` body cannot end normally (it returns), coverage.py's
    parser draws the return straight to the exit and gives the `finally`'s
    last statement no way out: its `if` has one arc (no branch), and the
    line it guards has none, though both directions ran.  ccov counts the
    `if`'s two ways, the way out being the pending return (the exit)."""
    ours = measured_by_ccov(tmp_path, "pending_return.py", (
        "def f(a):\n"
        "    try:\n"
        "        return a\n"
        "    finally:\n"
        "        if a:\n"
        "            print(a)\n"
        "f(1)\n"
        "f(0)\n"
    ))
    assert ours.taken[5] == frozenset({6, -1}) and ours.n_branches == 2, ours.taken
    theirs = coverage_json(tmp_path, ["pending_return.py"], branch=True)["pending_return.py"]
    assert {5, 6} <= set(theirs["executed_lines"])  # coverage.py sees both lines run...
    assert theirs["summary"]["num_branches"] == 0  # ...and no branch at the `if`


@pytest.mark.parametrize("jump, way_out", [("continue", 2), ("break", 8)])
def test_a_branch_ending_a_finally_that_only_a_loop_jump_enters_is_a_branch(tmp_path, jump, way_out):
    """The same gap as the two above, with a `continue` or `break` as the
    `try` body (found on real suites, #39). A trace shows the `if` going
    both ways: into its body, and, after the `finally`, where the pending
    jump goes: the loop's head for `continue`, past the loop for `break`.
    coverage.py counts no branch there; ccov counts both ways, and (before
    #39) took the way out of a `break`'s `finally` for the loop's head: it
    reported a way that cannot run missing, and dropped the one that ran."""
    ours = measured_by_ccov(tmp_path, "pending_jump.py", (
        "def f(items):\n"
        "    for item in items:\n"
        "        try:\n"
        f"            {jump}\n"
        "        finally:\n"
        "            if item:\n"
        "                print(item)\n"
        "    return items\n"
        "f([0])\n"
        "f([1])\n"
    ))
    assert set(ours.branches[6]) == set(ours.taken[6]) == {7, way_out}, ours.taken
    theirs = coverage_json(tmp_path, ["pending_jump.py"], branch=True)["pending_jump.py"]
    assert {6, 7} <= set(theirs["executed_lines"])  # coverage.py sees both lines run...
    assert not any(source == 6 for source, _ in theirs["executed_branches"] + theirs["missing_branches"])


def test_a_raise_on_the_condition_line_leaves_the_function(tmp_path):
    """`if (x and\\n y): raise E` raises out of the function: the arc taken is
    to the exit, as coverage.py's C tracer says on every version.  On 3.14+
    coverage.py's default (sys.monitoring) core is wrong here: it walks past
    the raise to the next statement, so it reports that arc taken and that
    line run, though neither ran (README, "Where ccov differs")."""
    ours = measured_by_ccov(tmp_path, "raise_on_line.py", (
        "def main(a, b, c):\n"
        "    if (a > 1 and\n"
        "            a and b): raise ValueError(a)\n"
        "    if c in (1, 2):\n"
        "        c = 1\n"
        "    c = b - c\n"
        "try:\n"
        "    main(3, 2, -1)\n"
        "except ValueError:\n"
        "    pass\n"
    ))
    assert ours.taken[2] == frozenset({-1}) and 4 not in ours.executed
    traced = run([sys.executable, "-m", "coverage", "run", "--branch", "raise_on_line.py"], tmp_path,
                 clean_env(COVERAGE_CORE="ctrace"))
    assert traced.returncode == 0, traced.stderr
    run([sys.executable, "-m", "coverage", "json", "-o", "coverage.json"], tmp_path)
    theirs = json.loads((tmp_path / "coverage.json").read_text())["files"]
    compare_branches({"raise_on_line.py": ours}, theirs)
