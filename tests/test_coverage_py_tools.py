"""The tools built on coverage.py work on what ccov measured, with the same
numbers: coverage.py's own commands on the `.coverage` ccov writes, a test
adapter that makes VS Code's calls, and pytest-cov's place taken by ccov
(its option names, `hasplugin("pytest_cov")`, its combining of subprocess
data).  Before issue #40 none of them could see ccov's data."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import clean_env, run

MOD = """\
import subprocess
import sys


def f(x):
    if x > 1:
        return "big"
    return "small"


def g(flag):
    while flag:
        flag -= 1
    return flag


def in_child():
    return subprocess.run([sys.executable, "-c", "import pkg.child; pkg.child.h()"], check=True)


def unused():
    return 0
"""
CHILD = "def h():\n    if 1 + 1 == 2:\n        return 'child'\n    return 'never'\n"
TESTS = """\
from pkg.mod import f, g, in_child


def test_f():
    assert f(3) == "big"


def test_g():
    assert g(2) == 0


def test_child():
    in_child()
"""

# The calls VS Code's pytest adapter (python_files/vscode_pytest) makes: it
# refuses --cov without pytest-cov, and at the end of the session, with
# COVERAGE_ENABLED=True, reads .coverage through coverage.py's API.
ADAPTER = """\
import json
import os
import pathlib

import pytest


def pytest_load_initial_conftests(early_config, parser, args):
    manager = early_config.pluginmanager
    if any("--cov" in arg for arg in args) and not (manager.hasplugin("pytest_cov")
                                                   or manager.hasplugin("pytest_cov.plugin")):
        raise pytest.UsageError("pytest-cov is not installed")


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("COVERAGE_ENABLED") != "True":
        return
    import coverage
    from coverage.exceptions import NoSource

    cov = coverage.Coverage()
    cov.load()
    files = set(cov.get_data().measured_files())
    for pattern in cov.config.report_omit or []:
        files = {f for f in files if not pathlib.Path(f).match(pattern)}
    payload = {}
    for name in sorted(files):
        try:
            _, statements, _, missing, _ = cov.analysis2(name)
            stats = cov.branch_stats(name)
        except NoSource:
            continue
        payload[os.path.relpath(name)] = {
            "lines_covered": sorted(set(statements) - set(missing)), "lines_missed": sorted(missing),
            "executed_branches": sum(taken for _, taken in stats.values()),
            "total_branches": sum(total for total, _ in stats.values()),
        }
    pathlib.Path(os.environ["PAYLOAD"]).write_text(json.dumps(payload, indent=1, sort_keys=True))
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text(MOD)
    (tmp_path / "pkg" / "child.py").write_text(CHILD)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text(TESTS)
    (tmp_path / "adapter.py").write_text(ADAPTER)
    return tmp_path


def pytest_run(project, *args, **env):
    return run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, "tests"], project,
               clean_env(PYTHONPATH=str(project), **env))


def pytest_cov_run(project, *args, **env):
    """The same run under pytest-cov itself (coverage.py's fastest core)."""
    done = pytest_run(project, "-p", "pytest_cov", *args, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def ccov_run(project, *args, **env):
    """The same run with pytest-cov blocked: ccov answers its names."""
    done = pytest_run(project, "-p", "no:pytest_cov", *args, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ccov: platform" in done.stdout, done.stdout
    return done


def coverage_py(project, *args):
    done = run([sys.executable, "-m", "coverage", *args], project)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("branch", [[], ["--cov-branch"]], ids=["lines", "branches"])
def test_vs_code_s_adapter_gets_the_same_payload(project, branch):
    (project / ".coveragerc").write_text("[report]\nomit = */child.py\n")
    theirs_path, ours_path = project / "theirs.json", project / "ours.json"
    pytest_cov_run(project, "-p", "adapter", "--cov=pkg", *branch, COVERAGE_ENABLED="True", PAYLOAD=str(theirs_path))
    (project / ".coverage").unlink()
    ccov_run(project, "-p", "adapter", "--cov=pkg", *branch, COVERAGE_ENABLED="True", PAYLOAD=str(ours_path))
    theirs, ours = json.loads(theirs_path.read_text()), json.loads(ours_path.read_text())
    assert sorted(ours) == ["pkg/__init__.py", "pkg/mod.py"]
    assert ours == theirs


@pytest.mark.parametrize("branch", [[], ["--cov-branch"]], ids=["lines", "branches"])
def test_coverage_py_s_commands_read_the_data_file_ccov_wrote(project, branch):
    """`coverage report`, `xml` and `json` after `pytest --cov`, as CI steps
    and badge makers run them: the same as after pytest-cov.  (pytest-cov 7
    measures subprocesses only with coverage.py's `patch = subprocess`; ccov
    always does, and accepts the setting in silence.)"""
    (project / ".coveragerc").write_text("[run]\npatch = subprocess\n")
    pytest_cov_run(project, "--cov=pkg", *branch)
    theirs = [coverage_py(project, "report", "-m"), json.loads(coverage_py(project, "json", "-o", "-"))["files"]]
    (project / ".coverage").unlink()
    ours_run = ccov_run(project, "--cov=pkg", *branch, "--cov-report=term-missing")
    ours = [coverage_py(project, "report", "-m"), json.loads(coverage_py(project, "json", "-o", "-"))["files"]]
    assert ours == theirs
    # The table ccov printed is the one coverage.py prints from the same data.
    table = ours_run.stdout[ours_run.stdout.index("Name "):]
    assert table[:table.index("\n", table.index("TOTAL"))] == theirs[0].strip()
    assert "pkg/child.py" in theirs[1]  # the subprocess's lines are in it, combined


def test_pytest_cov_s_name_registers_while_ccov_stands_in(project):
    (project / "tests" / "test_which.py").write_text(
        "def test_which(pytestconfig):\n    assert pytestconfig.pluginmanager.hasplugin('pytest_cov')\n")
    ccov_run(project, "--cov=pkg")
    ccov_run(project, "--cov=pkg", CCOV_STANDS_IN_FOR_PYTEST_COV="1")


@pytest.mark.parametrize("how", ["variable", "setting"])
def test_ccov_stands_in_though_pytest_cov_is_installed(project, how):
    """A project that installs pytest-cov through its test extra switches
    without editing its test command."""
    env = {}
    if how == "variable":
        env["CCOV_STANDS_IN_FOR_PYTEST_COV"] = "1"
    else:
        (project / "pyproject.toml").write_text("[tool.ccov]\nstand_in_for_pytest_cov = true\n")
    done = pytest_run(project, "--cov=pkg", "--cov-report=term-missing", "--cov-fail-under=10", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ccov: platform" in done.stdout and "coverage: platform" not in done.stdout, done.stdout
    assert (project / ".coverage").exists() and (project / ".ccov").exists()
    assert "pkg/mod.py" in coverage_py(project, "report")


def test_parallel_children_are_combined_as_pytest_cov_combines_them(project):
    """`parallel = true`: the subprocess's file was left beside the data
    file, and the report missed its lines (#40)."""
    (project / ".coveragerc").write_text("[run]\nparallel = true\n")
    done = pytest_run(project, "--ccov=pkg", "--ccov-report=term-missing")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "pkg/child.py 4 1 75% 4" in " ".join(done.stdout.split()), done.stdout
    assert [p.name for p in project.glob(".ccov.*")] == []


def test_pytest_cov_s_report_file_names_while_standing_in(project):
    ccov_run(project, "--cov=pkg", "--cov-report=term", "--cov-report=lcov", "--cov-report=xml")
    assert (project / "coverage.lcov").exists() and (project / "coverage.xml").exists()
    ccov_run(project, "--ccov=pkg", "--ccov-report=term", "--ccov-report=lcov")  # ccov's names: ccov's default
    assert (project / "lcov.info").exists()


def test_combine_takes_coverage_py_s_files_too(tmp_path):
    """A fleet in the middle of a switch: one shard measured by coverage.py,
    another by ccov, in another checkout; one report of both."""
    program = "import sys\n\nif sys.argv[1] == 'a':\n    side = 'a'\nelse:\n    side = 'b'\n"
    shards = {"coverage": tmp_path / "shard_cov", "ccov": tmp_path / "shard_ccov"}
    for tool, folder in shards.items():
        folder.mkdir()
        (folder / "prog.py").write_text(program)
        argument = "a" if tool == "coverage" else "b"
        done = run([sys.executable, "-m", tool, "run", "-p", "prog.py", argument], folder)
        assert done.returncode == 0, done.stderr
    here = tmp_path / "report"
    here.mkdir()
    (here / "prog.py").write_text(program)
    (here / "pyproject.toml").write_text(
        f'[tool.coverage.paths]\nsource = [".", "{shards["coverage"]}", "{shards["ccov"]}"]\n')
    combined = run([sys.executable, "-m", "ccov", "combine", str(shards["coverage"]), str(shards["ccov"])], here)
    assert combined.returncode == 0 and "Combined 2 data files" in combined.stdout, combined.stdout + combined.stderr
    report = run([sys.executable, "-m", "ccov", "report", "-m"], here)
    assert "prog.py 4 0 100%" in " ".join(report.stdout.split()), report.stdout  # both sides ran


def comparable_xml(path) -> str:
    """The XML report without what differs by tool and by moment."""
    import re

    text = path.read_text()
    text = re.sub(r' (version|timestamp)="[^"]*"', "", text)
    return "\n".join(line for line in text.splitlines() if "Generated by" not in line)


@pytest.mark.parametrize("branch", [[], ["--cov-branch"]], ids=["lines", "branches"])
@pytest.mark.parametrize("source", ["pkg", "."])
def test_the_xml_report_is_pytest_cov_s(project, branch, source):
    """Cobertura as coverage.py writes it: its sources (one per source
    folder), packages and names relative to them, branch-rate 0 without
    branch data, missing-branches on partial lines, its layout (#40)."""
    (project / ".coveragerc").write_text("[run]\npatch = subprocess\n")  # pytest-cov 7's subprocesses
    pytest_cov_run(project, f"--cov={source}", *branch, "--cov-report=xml:theirs.xml")
    ccov_run(project, f"--cov={source}", *branch, "--cov-report=term", "--cov-report=xml:ours.xml")
    assert comparable_xml(project / "ours.xml") == comparable_xml(project / "theirs.xml")
