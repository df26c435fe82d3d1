"""Code that exists before measuring starts is measured when it runs,
however it is held: by a module's name, a closure, a cache, a default
argument, a generator. pytest imports some modules before any coverage
plugin starts (`-p`, entry-point plugins, its own use of pygments), and the
Python API starts whenever the program says.

Until issue #39 ccov found such code only through the names of measured
modules (and their classes), so the lines of a function reachable only
through a wrapper stayed missing though they ran."""

from __future__ import annotations

import sys
import textwrap

import pytest
from conftest import clean_env, coverage_json, lcov_lines, run

EARLY = """\
import functools


def hide(function):
    def wrapper(*args):
        return function(*args)
    return wrapper


@functools.cache
def cached():
    return 1


@hide
def hidden():
    return 2


def plain():
    return 3


def with_default(check=lambda: 4):
    return check()


def make_counter():
    def count(n):
        total = 0
        for i in range(n):
            total += i
        return total
    return count


counter = make_counter()
registry = {"by_key": lambda: 5}


def numbers():
    yield 6
    yield 7


started = numbers()
"""

USES_EARLY = """\
import early


def test_all_run():
    assert early.cached() == 1
    assert early.hidden() == 2
    assert early.plain() == 3
    assert early.with_default() == 4
    assert early.counter(4) == 6
    assert early.registry["by_key"]() == 5
    assert list(early.started) == [6, 7]
"""

# Every line of early.py that the test runs after measuring starts.
BODIES = [6, 12, 17, 21, 24, 25, 30, 31, 32, 33, 38, 42, 43]


@pytest.mark.parametrize("mode", [[], ["--ccov-branch"]], ids=["lines", "branches"])
def test_a_module_imported_before_the_plugin_starts(project, mode):
    (project / "early.py").write_text(EARLY)
    (project / "test_early.py").write_text(USES_EARLY)
    env = clean_env(PYTHONPATH=str(project))
    done = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "early", "--ccov=.", *mode,
                "--ccov-report=lcov:ccov.info", "test_early.py"], project, env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = lcov_lines(project / "ccov.info")["early.py"]
    assert [line for line in BODIES if not lines.get(line)] == []
    # coverage.py, started by pytest-cov at the same moment, agrees.
    theirs = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "early", "--cov=.",
                  *(["--cov-branch"] if mode else []), "--cov-report=lcov:cov.info", "test_early.py"], project, env)
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert lines == lcov_lines(project / "cov.info")["early.py"]


@pytest.mark.parametrize("branch", [False, True], ids=["lines", "branches"])
def test_the_api_measures_code_made_before_start(project, branch):
    (project / "early.py").write_text(EARLY)
    (project / "script.py").write_text(textwrap.dedent(f"""\
        import ccov
        import early
        cov = ccov.Coverage(source=["early.py"], branch={branch})
        cov.start()
        exec(open("test_early.py").read())
        test_all_run()
        cov.stop()
        cov.save()
        cov.lcov_report(outfile="api.info")
        """))
    (project / "test_early.py").write_text(USES_EARLY)
    done = run([sys.executable, "script.py"], project, clean_env(PYTHONPATH=str(project)))
    assert done.returncode == 0, done.stderr
    lines = lcov_lines(project / "api.info")["early.py"]
    assert sorted(line for line, hit in lines.items() if hit) == BODIES


def test_ccov_run_agrees_with_coverage_py_on_wrapped_code(project):
    """`ccov run` starts before the program, so nothing is early there: the
    same module gives coverage.py's lines."""
    (project / "early.py").write_text(EARLY)
    (project / "main.py").write_text(USES_EARLY + "\ntest_all_run()\n")
    done = run([sys.executable, "-m", "ccov", "run", "main.py"], project)
    assert done.returncode == 0, done.stderr
    run([sys.executable, "-m", "ccov", "lcov", "-o", "ccov.info"], project)
    ours = lcov_lines(project / "ccov.info")["early.py"]
    theirs = coverage_json(project, ["main.py"])["early.py"]
    assert sorted(line for line, hit in ours.items() if hit) == theirs["executed_lines"]
