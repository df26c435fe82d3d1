"""Helpers shared by the tests: run ccov and coverage.py as a user would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
SAMPLE_PROJECT = Path(__file__).parent / "sample_project"

# Material for the tests, not tests of this suite.
collect_ignore = ["programs", "sample_project", "valgrind"]

# The slow tier: minutes each, the network, a browser, or wheels built.
# `./dev quick` (pytest -m "not slow") runs the rest, for the inner loop;
# `./dev test` and CI run everything.
SLOW = {
    "test_realcode_oracle.py", "test_fuzz_programs.py", "test_packaging.py", "test_html_browser.py",
    "test_branch_reader.py::test_the_reader_gives_the_references_tables_on_the_standard_library",
    "test_odd_sources.py::test_odd_sources_match_coverage_py",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: left out of the quick tier (`./dev quick`)")


def pytest_collection_modifyitems(items):
    for item in items:
        module = item.path.name
        if module in SLOW or f"{module}::{item.originalname}" in SLOW:
            item.add_marker(pytest.mark.slow)


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE", "CCOV", "PYTEST"))}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def run(args: list[str], cwd, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=timeout
    )


def ccov(*args, cwd, env=None, timeout=120) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "ccov", *args], cwd, env, timeout)


def assert_ran_as_python_does(ran: subprocess.CompletedProcess, program_args: list[str], cwd) -> None:
    """`ccov run PROGRAM` ended with the status `python PROGRAM` ends with,
    and ccov itself said no error: a program's own exit status is no excuse
    for a ccov usage error (3) or data error (1)."""
    program = list(program_args)
    while program and program[0].startswith("--"):  # ccov's own options (--source=...)
        program.pop(0)
    plain = run([sys.executable, *program], cwd)
    assert ran.returncode == plain.returncode, ran.stderr
    assert "ccov: error" not in ran.stderr and "internal error" not in ran.stderr, ran.stderr


# 3.14+ fires no LINE event for a return block the compiler duplicated after
# a loop that ran to its end: coverage.py's line mode reports that line missing
# though it ran (its branch mode, which sees the PY_RETURN event, counts it).
# ccov counts it in both modes, so there the lines oracle is coverage.py's
# branch mode (test_oracle.test_a_return_after_a_loop_that_ran_to_its_end).
LINES_FROM_BRANCH_MODE = sys.version_info >= (3, 14)


def coverage_json(cwd, run_args: list[str], branch=False) -> dict:
    """Run coverage.py on the same program; {relative path: file entry}."""
    base = [sys.executable, "-m", "coverage"]
    branch = branch or LINES_FROM_BRANCH_MODE
    run(base + ["run"] + (["--branch"] if branch else []) + run_args, cwd)
    done = run(base + ["json", "-o", "coverage.json", "--ignore-errors"], cwd)
    assert done.returncode == 0, done.stderr
    report = json.loads((Path(cwd) / "coverage.json").read_text())
    return report["files"]


def ccov_files(cwd) -> dict:
    """ccov's results model, read in-process: {relative path: FileCoverage}."""
    from ccov.config import Config
    from ccov.data import datafile, paths
    from ccov.model import results

    data = paths.localized(datafile.read(str(Path(cwd) / ".ccov")), Config(), base=str(cwd))
    built = results.build(data, Config().exclusion_regexes, root=str(cwd), no_branch=Config().partial_branches)
    return {f.name: f for f in built.files}


@pytest.fixture
def programs(tmp_path) -> Path:
    """A private copy of tests/programs."""
    target = tmp_path / "programs"
    shutil.copytree(PROGRAMS, target)
    return target


@pytest.fixture
def project(tmp_path) -> Path:
    """An empty directory to write a small program into."""
    target = tmp_path / "project"
    target.mkdir()
    return target


@pytest.fixture
def sample_project(tmp_path) -> Path:
    """A private copy of tests/sample_project: a package, a conftest and tests."""
    target = tmp_path / "sample_project"
    shutil.copytree(SAMPLE_PROJECT, target)
    return target


def lcov_lines(path) -> dict:
    """{SF: {line: hit}} from an lcov tracefile."""
    found = {}
    current = None
    for line in Path(path).read_text().splitlines():
        if line.startswith("SF:"):
            current = found.setdefault(line[3:], {})
        elif line.startswith("DA:"):
            number, hits = line[3:].split(",")[:2]
            current[int(number)] = int(hits) > 0
    return found


def run_read_only(directory, argv: list[str], env=None) -> subprocess.CompletedProcess:
    """Run `argv` in `directory` while that directory is read-only.  As root
    (CI), permissions do not stop writes: a read-only bind mount in a private
    mount namespace does.  Otherwise, taking the write permission away."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o500)
        try:
            return run(argv, directory, env)
        finally:
            os.chmod(directory, 0o700)
    # The mount holding the directory is made private in the new namespace
    # first, so the bind mount never shows outside it.  (Not --propagation
    # private: in a chroot, such as the one 3.14/3.15 run in, / cannot be.)
    mount = ('mount --make-private "$(findmnt -n -o TARGET -T "$1")" && mount --bind "$1" "$1" && '
             'mount -o remount,ro,bind "$1" "$1" && cd "$1" && shift && exec "$@"')
    return run(["unshare", "--mount", "--propagation", "unchanged", "sh", "-c", mount, "sh", str(directory), *argv],
               directory, env)


SID_RUN = "/opt/sid-pythons/bin/sid-run"


def lcov_tools() -> list:
    """The lcov installations to check a tracefile with, as (major version,
    command prefix): the one on PATH (Debian 12's 1.16 on the host, 2.x inside
    the sid chroot), and sid's 2.x through sid-run when it is installed
    (../shared/tools/get-pythons.sh, which .ci/run runs)."""
    prefixes = ([[]] if shutil.which("lcov") else []) + ([[SID_RUN]] if os.path.exists(SID_RUN) else [])
    found = {}
    for prefix in prefixes:
        done = subprocess.run([*prefix, "lcov", "--version"], capture_output=True, text=True)
        version = re.search(r"version (\d+)\.", done.stdout + done.stderr)
        if done.returncode == 0 and version:
            found.setdefault(int(version[1]), prefix)
    return sorted(found.items())


def lcov_summary(tool, directory, tracefile: str = "lcov.info", branches: bool = False) -> dict:
    """`lcov --summary`, as {"lines": (hit, found), "functions": ..., "branches": ...}."""
    major, prefix = tool
    rc = ["--rc", "branch_coverage=1" if major >= 2 else "lcov_branch_coverage=1"] if branches else []
    done = subprocess.run([*prefix, "lcov", "--summary", tracefile, *rc], cwd=directory, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    counts = {}
    for kind, hit, total in re.findall(r"(lines|functions|branches)\.+: [\d.]+% \((\d+) of (\d+)", done.stdout + done.stderr):
        counts[kind] = (int(hit), int(total))
    return counts


def genhtml(tool, directory, tracefile: str = "lcov.info", branches: bool = False) -> subprocess.CompletedProcess:
    major, prefix = tool
    flags = ["--branch-coverage"] if branches else []
    return subprocess.run([*prefix, "genhtml", "-q", *flags, "-o", "genhtml-out", tracefile], cwd=directory,
                          capture_output=True, text=True)
