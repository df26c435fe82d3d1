"""Helpers shared by the tests: run ccov and coverage.py as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "programs"
SAMPLE_PROJECT = Path(__file__).parent / "sample_project"

# Material for the tests, not tests of this suite.
collect_ignore = ["programs", "sample_project", "valgrind"]


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


def coverage_json(cwd, run_args: list[str], branch=False) -> dict:
    """Run coverage.py on the same program; {relative path: file entry}."""
    base = [sys.executable, "-m", "coverage"]
    run(base + ["run"] + (["--branch"] if branch else []) + run_args, cwd)
    done = run(base + ["json", "-o", "coverage.json", "--ignore-errors"], cwd)
    assert done.returncode == 0, done.stderr
    report = json.loads((Path(cwd) / "coverage.json").read_text())
    return report["files"]


def ccov_files(cwd) -> dict:
    """ccov's results model, read in-process: {relative path: FileCoverage}."""
    from ccov import datafile, paths, results
    from ccov.config import Config

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
    mount = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && cd "$1" && shift && exec "$@"'
    return run(["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh", str(directory), *argv],
               directory, env)
