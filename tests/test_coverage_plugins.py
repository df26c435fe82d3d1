"""coverage.py plugins that configure (covdefaults) run under ccov as they run
under coverage.py, so a project that uses one gets the same table and the
same gate; a plugin ccov cannot run says what is not measured.

Until issue #40 ccov warned that it has no plugins and went on with the
plugin's settings missing: a line-only table, pragmas counted as missed,
and covdefaults' `fail_under = 100` gone (exit 0)."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import clean_env, run

MOD = """\
import sys


def f(x):
    if x:
        return 1
    return 2


def g():  # pragma: no cover
    return 3


def h():
    raise NotImplementedError


if sys.platform == "win32":  # pragma: win32 cover
    X = 1
"""
TEST = "from pkg.mod import f\n\n\ndef test_f():\n    assert f(1) == 1\n"
CONFIGS = {
    "setup.cfg": "[coverage:run]\nplugins = covdefaults\n",
    ".coveragerc": "[run]\nplugins =\n    covdefaults\n",
    "pyproject.toml": '[tool.coverage.run]\nplugins = ["covdefaults"]\n',
}


def make_project(tmp_path, config_name: str, text: str | None = None):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text(MOD)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text(TEST)
    (tmp_path / config_name).write_text(text or CONFIGS[config_name])


def pytest_run(tmp_path, *args):
    return run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, "tests"], tmp_path,
               clean_env(PYTHONPATH=str(tmp_path)))


def table_and_gate(output: str) -> list[str]:
    """The coverage table, its notes and the gate's line, without the headers
    each tool puts above them."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Name "))
    return [line for line in lines[start:] if line.strip() and not line.endswith(" in 0.1s")
            and " passed" not in line and " failed" not in line]


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
def test_covdefaults_gives_pytest_cov_s_table_and_gate(tmp_path, config_name):
    make_project(tmp_path, config_name)
    ours = pytest_run(tmp_path, "--ccov=.")
    theirs = pytest_run(tmp_path, "-p", "pytest_cov", "--cov=.")
    assert "Branch BrPart" in ours.stdout  # covdefaults turned branches on
    assert table_and_gate(ours.stdout) == table_and_gate(theirs.stdout), ours.stdout + theirs.stdout
    assert "FAIL Required test coverage of 100% not reached." in ours.stdout  # covdefaults' fail_under
    # pytest-cov's other line of a failed gate, before the summary.
    error = "ERROR: Coverage failure: total of 82 is less than fail-under=100"
    assert error in theirs.stdout and error in ours.stdout
    assert ours.returncode == theirs.returncode == 1
    # `ccov report` and `coverage report` on the data each wrote: the same table, and exit 2 both.
    report = run([sys.executable, "-m", "ccov", "report"], tmp_path)
    assert report.returncode == 2
    assert "ccov: warning" not in report.stderr, report.stderr


def test_a_plugins_options_come_from_its_section(tmp_path):
    """covdefaults omits */__main__.py unless `subtract_omit` says not to."""
    make_project(tmp_path, "setup.cfg",
                 "[coverage:run]\nplugins = covdefaults\n\n[coverage:covdefaults]\nsubtract_omit = */__main__.py\n")
    (tmp_path / "pkg" / "__main__.py").write_text("VALUE = 1\n")
    (tmp_path / "tests" / "test_main.py").write_text("import pkg.__main__\n\n\ndef test_main():\n    pass\n")
    ours = pytest_run(tmp_path, "--ccov=.", "--ccov-report=term-missing", "--ccov-report=json:cov.json")
    measured = json.loads((tmp_path / "cov.json").read_text())["files"]
    theirs = pytest_run(tmp_path, "-p", "pytest_cov", "--cov=.", "--cov-report=term-missing",
                        "--cov-report=json:cov.json")
    assert table_and_gate(ours.stdout) == table_and_gate(theirs.stdout), ours.stdout + theirs.stdout
    assert "pkg/__main__.py" in measured
    assert sorted(measured) == sorted(json.loads((tmp_path / "cov.json").read_text())["files"])


def test_the_defaults_are_coverage_py_s_own_text():
    """covdefaults removes coverage.py's default exclusions by their text."""
    from coverage.config import DEFAULT_EXCLUDE, DEFAULT_PARTIAL

    from ccov import config

    assert config.DEFAULT_EXCLUDE == DEFAULT_EXCLUDE
    assert config.DEFAULT_PARTIAL_BRANCHES == DEFAULT_PARTIAL


def test_a_file_tracer_plugin_is_named_in_a_warning(tmp_path):
    (tmp_path / "tracing_plugin.py").write_text(
        "def coverage_init(reg, options):\n    reg.add_file_tracer(object())\n")
    (tmp_path / "prog.py").write_text("x = 1\n")
    (tmp_path / ".coveragerc").write_text("[run]\nplugins = tracing_plugin\n")
    done = run([sys.executable, "-m", "ccov", "run", "prog.py"], tmp_path, clean_env(PYTHONPATH=str(tmp_path)))
    assert done.returncode == 0
    assert done.stderr.strip() == ("ccov: warning: coverage.py plugin tracing_plugin traces files ccov cannot "
                                   "measure (templates, Cython, ...): those are not measured")


@pytest.mark.parametrize("module, message", [
    ("no_such_plugin", "plugin no_such_plugin cannot be imported: ModuleNotFoundError"),
    ("not_a_plugin", "plugin module not_a_plugin has no coverage_init function"),
])
def test_a_plugin_that_cannot_run_is_a_usage_error(tmp_path, module, message):
    (tmp_path / "not_a_plugin.py").write_text("X = 1\n")
    (tmp_path / "prog.py").write_text("x = 1\n")
    (tmp_path / ".coveragerc").write_text(f"[run]\nplugins = {module}\n")
    done = run([sys.executable, "-m", "ccov", "run", "prog.py"], tmp_path, clean_env(PYTHONPATH=str(tmp_path)))
    assert done.returncode == 3
    assert done.stderr.startswith(f"ccov: error: {message}") and len(done.stderr.splitlines()) == 1, done.stderr
