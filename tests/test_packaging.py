"""ccov as a user installs it: a wheel built from this checkout, installed
into a fresh virtual environment (the test suite itself runs on an editable
install, which hides what only an installed wheel does)."""

from __future__ import annotations

import shutil
import sys
import venv
from pathlib import Path

import pytest

from conftest import SAMPLE_PROJECT, run

CHECKOUT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(CHECKOUT, build / "src", ignore=shutil.ignore_patterns(".venv-*", ".git", "*.so", "build",
                                                                          "__pycache__", "*.egg-info"))
    done = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                str(build / "src")], build)
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("ccov-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel, pytest and pytest-xdist; returns its python."""
    target = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    done = run([str(python), "-m", "pip", "install", "-q", str(wheel), "pytest", "pytest-xdist"], target, timeout=600)
    assert done.returncode == 0, done.stderr
    return python


def test_xdist_workers_raise_no_rewrite_warning(installed, tmp_path):
    """Workers import ccov from the .pth bootstrap before pytest: pytest
    warned that it could not rewrite ccov, and a project with
    filterwarnings=error (click, packaging, ...) then ran no test at all."""
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE_PROJECT, project)
    result = run([str(installed), "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--ccov=calc", "-W", "error"],
                 project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 passed" in result.stdout and "warning" not in result.stdout.lower()
    under_run = run([str(installed), "-m", "ccov", "run", "-m", "pytest", "-p", "no:cacheprovider", "-W", "error"],
                    project)
    assert under_run.returncode == 0 and "9 passed" in under_run.stdout, under_run.stdout + under_run.stderr


def test_the_wheel_ships_the_bootstrap_and_the_reports(installed):
    done = run([str(installed), "-c", "import ccov, ccov._collector, ccov.reports.html, ccov.childproc as c; "
                "print(c.bootstrap_file())"], installed.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("site-packages/ccov-subprocess.pth")
