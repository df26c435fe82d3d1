"""`[paths]` means what it means to coverage.py: the same remapping of the
same recorded names, in `combine` and at report time, and under pytest as
pytest-cov does it (which always combines).  The layout is the one tox
makes: the suite imports the installed copy from a site-packages folder,
and the report shows the source tree's names."""

from __future__ import annotations

import json
import os
import sys

import pytest
from conftest import clean_env, run

MOD = "def used(x):\n    if x:\n        return 1\n    return 2\n\n\ndef unused():\n    return 3\n"
TEST = "from pkg.mod import used\n\n\ndef test_used():\n    assert used(True) == 1\n"
SITE = ".tox/3.12-tests/lib/python3.12/site-packages"
CONFIG = """\
[tool.coverage.run]
source_pkgs = ["pkg"]
branch = true
{parallel}
[tool.coverage.paths]
source = ["src", ".tox/3.*tests*/**/site-packages"]
"""


def project(tmp_path, parallel: bool):
    for folder in ("src", SITE):
        (tmp_path / folder / "pkg").mkdir(parents=True)
        (tmp_path / folder / "pkg" / "__init__.py").write_text("")
        (tmp_path / folder / "pkg" / "mod.py").write_text(MOD)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text(TEST)
    (tmp_path / "pyproject.toml").write_text(CONFIG.format(parallel="parallel = true" if parallel else ""))
    return clean_env(PYTHONPATH=str(tmp_path / SITE))


def files_of(path) -> dict:
    report = json.loads(path.read_text())["files"]
    return {name: (entry["executed_lines"], sorted(map(tuple, entry["executed_branches"])))
            for name, entry in report.items()}


def test_combine_and_report_remap_as_coverage_py_does(tmp_path):
    env = project(tmp_path, parallel=True)
    (tmp_path / "use.py").write_text("import pkg.mod\npkg.mod.used(0)\n")
    for tool in ("ccov", "coverage"):
        ran = run([sys.executable, "-m", tool, "run", "use.py"], tmp_path, env)
        assert ran.returncode == 0, ran.stderr
        combined = run([sys.executable, "-m", tool, "combine"], tmp_path, env)
        assert combined.returncode == 0, combined.stdout + combined.stderr
        done = run([sys.executable, "-m", tool, "json", "-o", f"{tool}.json"], tmp_path, env)
        assert done.returncode == 0, done.stderr
    ours, theirs = files_of(tmp_path / "ccov.json"), files_of(tmp_path / "coverage.json")
    assert sorted(ours) == ["src/pkg/__init__.py", "src/pkg/mod.py"]
    assert ours == theirs


@pytest.mark.parametrize("parallel", [False, True], ids=["one file", "parallel"])
def test_pytest_reports_the_source_names_as_pytest_cov_does(tmp_path, parallel):
    """pytest-cov always combines, so [paths] applies to its reports; ccov
    reported the site-packages names (#40)."""
    env = project(tmp_path, parallel)
    base = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"]
    ours = run([*base, "--ccov", "--ccov-report=json:ccov.json"], tmp_path, env)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    theirs = run([*base, "-p", "pytest_cov", "--cov", "--cov-report=json:cov.json"], tmp_path, env)
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    assert files_of(tmp_path / "ccov.json") == files_of(tmp_path / "cov.json")
    assert "src/pkg/mod.py" in files_of(tmp_path / "ccov.json")


def test_a_pattern_ending_in_a_wildcard_is_refused_as_coverage_py_refuses_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.coverage.paths]\nsource = ["src", "*/site-packages/*"]\n')
    (tmp_path / "prog.py").write_text("x = 1\n")
    assert run([sys.executable, "-m", "ccov", "run", "prog.py"], tmp_path).returncode == 0
    done = run([sys.executable, "-m", "ccov", "report"], tmp_path)
    assert done.returncode == 3 and done.stderr.startswith("ccov: error: [paths] pattern"), done.stderr
    assert os.path.exists(tmp_path / ".ccov")
