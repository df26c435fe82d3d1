"""The pytest plugin: options, xdist, and the same numbers as pytest-cov."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import clean_env, lcov_lines, run


def pytest_run(project, *args, env=None):
    return run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], project, env=env or clean_env())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_same_lines_as_pytest_cov(sample_project, workers):
    ours = pytest_run(sample_project, "--ccov=calc", "--ccov-report=lcov:ccov.info", *workers)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    theirs = pytest_run(sample_project, "--cov=calc", "--cov-report=lcov:cov.info", *workers)
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    ccov_lines, cov_lines = lcov_lines(sample_project / "ccov.info"), lcov_lines(sample_project / "cov.info")
    assert sorted(ccov_lines) == ["calc/__init__.py", "calc/extra.py", "calc/ops.py"]
    assert ccov_lines == cov_lines
    # Module-level lines run by conftest.py, and lines run in a thread, are counted.
    assert all(ccov_lines["calc/__init__.py"].values())
    assert ccov_lines["calc/ops.py"][18] is True  # box.append(...) inside the thread


def test_xdist_and_serial_agree(sample_project):
    pytest_run(sample_project, "--ccov", "--ccov-report=lcov:serial.info")
    pytest_run(sample_project, "--ccov", "--ccov-report=lcov:xdist.info", "-n", "2")
    serial = lcov_lines(sample_project / "serial.info")
    assert "conftest.py" in serial and "tests/test_ops.py" in serial
    assert serial == lcov_lines(sample_project / "xdist.info")


def test_default_report_is_the_terminal_table(sample_project):
    result = pytest_run(sample_project, "--ccov=calc")
    assert result.returncode == 0
    assert "ccov: platform" in result.stdout
    assert "calc/ops.py" in result.stdout and "TOTAL" in result.stdout
    assert "Missing" not in result.stdout
    missing = pytest_run(sample_project, "--ccov=calc", "--ccov-report=term-missing:skip-covered")
    assert "Missing" in missing.stdout
    assert "calc/__init__.py" not in missing.stdout
    assert "1 file skipped due to complete coverage." in missing.stdout


def test_no_report_and_no_ccov(sample_project):
    result = pytest_run(sample_project, "--ccov=calc", "--ccov-report=")
    assert result.returncode == 0
    assert "TOTAL" not in result.stdout
    assert (sample_project / ".ccov").exists()
    (sample_project / ".ccov").unlink()
    (sample_project / "pytest.ini").write_text("[pytest]\naddopts = --ccov=calc\ntestpaths = tests\n")
    assert "TOTAL" in pytest_run(sample_project).stdout
    (sample_project / ".ccov").unlink()
    off = pytest_run(sample_project, "--no-ccov")
    assert off.returncode == 0
    assert "TOTAL" not in off.stdout and not (sample_project / ".ccov").exists()


def test_fail_under(sample_project):
    failed = pytest_run(sample_project, "--ccov=calc", "--ccov-fail-under=95")
    assert failed.returncode == 1
    assert "FAIL Required test coverage of 95% not reached. Total coverage: " in failed.stdout
    assert "passed" in failed.stdout and " failed" not in failed.stdout.splitlines()[-1]
    passed = pytest_run(sample_project, "--ccov=calc", "--ccov-fail-under=50")
    assert passed.returncode == 0
    assert "Required test coverage of 50% reached." in passed.stdout


def test_per_file_minimums_fail_the_run_as_in_ccov_report(sample_project):
    """fail_under_file was enforced by `ccov report` only."""
    (sample_project / "pyproject.toml").write_text(
        (sample_project / "pyproject.toml").read_text() + '\n[tool.ccov]\nfail_under_file = {"*/extra.py" = 100}\n')
    result = pytest_run(sample_project, "--ccov=calc")
    assert result.returncode == 1, result.stdout
    assert "ccov: coverage failure: 1 file below the per-file minimum:" in result.stdout
    assert "calc/extra.py" in result.stdout.split("per-file minimum:")[1]
    report = run([sys.executable, "-m", "ccov", "report"], sample_project)
    assert report.returncode == 2 and "1 file below the per-file minimum" in report.stderr


def test_a_test_that_changes_directory_moves_no_report(sample_project):
    """Reports are written where pytest started, naming files relative to it,
    even after a test did os.chdir() and never came back."""
    (sample_project / "tests" / "test_wander.py").write_text(
        "import os\n\n\ndef test_wander(tmp_path):\n    os.chdir(tmp_path)\n")
    result = pytest_run(sample_project, "--ccov=calc", "--ccov-report=term", "--ccov-report=lcov",
                        "--ccov-report=xml", "--ccov-report=html", "--ccov-report=json")
    assert result.returncode == 0, result.stdout
    for written in ("lcov.info", "coverage.xml", "htmlcov/index.html", "coverage.json"):
        assert (sample_project / written).is_file(), written
    table = result.stdout.split("ccov: platform")[1]
    assert "\ncalc/ops.py " in table and str(sample_project) not in table
    assert "SF:calc/ops.py" in (sample_project / "lcov.info").read_text()


def test_measuring_everything_leaves_out_the_pytest_launcher(sample_project, tmp_path):
    """`--ccov=` measures everything that is not installed; the venv's
    `bin/pytest` script is installed, and was listed at 0%."""
    import os

    launcher = os.path.join(os.path.dirname(sys.executable), "pytest")
    result = run([launcher, "-p", "no:cacheprovider", "--ccov=", "--ccov-report=lcov"], sample_project)
    assert result.returncode == 0, result.stdout + result.stderr
    measured = lcov_lines(sample_project / "lcov.info")
    assert "calc/ops.py" in measured
    assert not [name for name in measured if name.endswith("pytest") or "/bin/" in name], sorted(measured)


NESTED = '''\
import re
import sys

import mod

pytest_plugins = ["pytester"]


def test_outer():
    assert mod.outer() == 1


def test_nested(pytester):
    pytester.makepyfile(inner_mod="def inner():\\n    return 2\\n",
                        test_inner="import inner_mod\\n\\n\\ndef test_i():\\n    assert inner_mod.inner() == 2\\n")
    result = pytester.runpytest_inprocess("--ccov=.", "--ccov-report=term-missing")
    result.assert_outcomes(passed=1)
    assert re.search(r"inner_mod.py +2 +0 +100%", result.stdout.str())
    ours = [i for i in range(6) if sys.monitoring.get_tool(i) == "ccov"]
    assert len(ours) == 1, ours  # the outer run's, resumed; the inner one's was given back
    assert mod.later() == 3
'''


def test_a_nested_in_process_run(project):
    """pytester.runpytest_inprocess("--ccov") inside pytest --ccov, as
    pytest-cov supports: the inner run measures its own tests, the outer
    one is suspended meanwhile and measures on after it (it died with "the
    collector is already running", leaking a tool id; then, resuming, the
    collector freed a code object's state twice)."""
    (project / "mod.py").write_text("def outer():\n    return 1\n\n\ndef later():\n    return 3\n")
    (project / "test_nested.py").write_text(NESTED)
    result = pytest_run(project, "--ccov=.", "--ccov-report=term-missing", "-p", "no:randomly")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^mod.py +4 +0 +100%", result.stdout, re.M), result.stdout
    assert re.search(r"^test_nested.py +\d+ +0 +100%", result.stdout, re.M), result.stdout


def test_no_free_tool_id_is_a_usage_error(sample_project):
    (sample_project / "take_ids.py").write_text("import sys\nfor i in range(6):\n    sys.monitoring.use_tool_id(i, 'x')\n")
    result = pytest_run(sample_project, "-p", "take_ids", "--ccov=calc",
                        env=clean_env(PYTHONPATH=str(sample_project)))
    assert result.returncode == 4, result.stdout + result.stderr
    assert "ERROR: ccov: no free sys.monitoring tool id" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_append_and_replace(sample_project):
    from ccov.data import datafile

    pytest_run(sample_project, "--ccov=calc", "tests/test_more.py")
    first = datafile.read(str(sample_project / ".ccov")).files
    pytest_run(sample_project, "--ccov=calc", "tests/test_more.py")
    assert datafile.read(str(sample_project / ".ccov")).files.keys() == first.keys()
    ops = str(sample_project / "calc" / "ops.py")
    before = first[ops].all_lines()
    pytest_run(sample_project, "--ccov=calc", "--ccov-append", "tests/test_ops.py::test_add")
    after = datafile.read(str(sample_project / ".ccov")).files[ops].all_lines()
    assert after & before == before and after != before
    pytest_run(sample_project, "--ccov=calc", "tests/test_more.py")
    assert datafile.read(str(sample_project / ".ccov")).files[ops].all_lines() == before


def test_config_file_option(sample_project):
    (sample_project / "ci.toml").write_text('[tool.ccov]\nsource = ["calc"]\nomit = ["*/extra.py"]\n')
    result = pytest_run(sample_project, "--ccov", "--ccov-config=ci.toml", "--ccov-report=lcov")
    assert result.returncode == 0, result.stdout
    assert sorted(lcov_lines(sample_project / "lcov.info")) == ["calc/__init__.py", "calc/ops.py"]


def test_no_report_on_fail(sample_project):
    (sample_project / "tests" / "test_fails.py").write_text("def test_fails():\n    assert False\n")
    result = pytest_run(sample_project, "--ccov=calc", "--no-ccov-on-fail", "--ccov-report=lcov")
    assert result.returncode == 1
    assert "TOTAL" not in result.stdout and not (sample_project / "lcov.info").exists()
    assert "no report, because tests failed" in result.stdout


def test_bad_report_type_is_a_usage_error(sample_project):
    result = pytest_run(sample_project, "--ccov", "--ccov-report=pdf")
    assert result.returncode == 4
    assert "unknown report type 'pdf'" in result.stderr


def test_quiet_and_no_terminal(sample_project):
    quiet = pytest_run(sample_project, "--ccov=calc", "-q")
    assert "TOTAL" in quiet.stdout
    assert "TOTAL" not in pytest_run(sample_project, "--ccov=calc", "-qq").stdout
    bare = pytest_run(sample_project, "--ccov=calc", "-p", "no:terminal", "--ccov-report=lcov")
    assert bare.returncode == 0, bare.stderr
    assert (sample_project / "lcov.info").exists()


@pytest.mark.parametrize("core", ["ctrace", "sysmon"])
def test_beside_pytest_cov(sample_project, core):
    result = pytest_run(
        sample_project, "--ccov=calc", "--ccov-report=lcov:ccov.info", "--cov=calc", "--cov-report=lcov:cov.info",
        env=clean_env(COVERAGE_CORE=core),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert lcov_lines(sample_project / "ccov.info") == lcov_lines(sample_project / "cov.info")


def test_everything_not_installed(sample_project, tmp_path):
    (tmp_path / "outside.py").write_text("def f():\n    return 1\n")
    (sample_project / "tests" / "test_outside.py").write_text(
        f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\nimport outside\n\ndef test_it():\n    assert outside.f() == 1\n"
    )
    result = pytest_run(sample_project, "--ccov=", "--ccov-report=term")
    assert result.returncode == 0, result.stdout
    assert "outside.py" in result.stdout
    assert "site-packages" not in result.stdout


def test_ci_report_types(sample_project):
    import json
    import xml.etree.ElementTree as ElementTree

    result = pytest_run(sample_project, "--ccov=calc", "--ccov-report=xml:out/cov.xml", "--ccov-report=json",
                        "--ccov-report=markdown:cov.md", "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    for message in ("Coverage XML written to file out/cov.xml", "Coverage JSON written to file coverage.json",
                    "Coverage Markdown written to file cov.md"):
        assert message in result.stdout
    totals = json.loads((sample_project / "coverage.json").read_text())["totals"]
    root = ElementTree.parse(sample_project / "out" / "cov.xml").getroot()
    assert int(root.get("lines-valid")) == totals["num_statements"]
    assert int(root.get("lines-covered")) == totals["covered_lines"]
    assert f"| **TOTAL** | **{totals['num_statements']}** | **{totals['missing_lines']}** |" in (sample_project / "cov.md").read_text()


def test_xdist_workers_hand_their_data_over_and_save_nothing(sample_project):
    """Only the controller writes a data file.  With `parallel = true` a
    process's save makes a file of its own, which the controller combines
    (as pytest-cov does): a worker that also saved would leave one here."""
    (sample_project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.ccov]\nparallel = true\n'
    )
    result = pytest_run(sample_project, "--ccov=calc", "--ccov-report=lcov", "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(sample_project.glob(".ccov.*")) == [] and (sample_project / ".ccov").exists()
    assert all(lcov_lines(sample_project / "lcov.info")["calc/__init__.py"].values())


def test_html_report(sample_project):
    result = pytest_run(sample_project, "--ccov=calc", "--ccov-report=html:cov_html", "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Coverage HTML written to dir cov_html" in result.stdout
    index = (sample_project / "cov_html" / "index.html").read_text()
    assert 'data-name="calc/ops.py"' in index


def test_xdist_workers_on_a_copy_elsewhere(sample_project, tmp_path):
    """`--tx popen//chdir=DIR --rsyncdir`: workers run on a copy of the project
    in another directory, as remote workers do; `--ccov=calc` is found there,
    and their paths map back onto the controller's."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = pytest_run(sample_project, "--tx", f"2*popen//chdir={elsewhere}", "--rsyncdir", str(sample_project),
                        "--dist", "load", "--ccov=calc", "--ccov-report=lcov:remote.info")
    assert result.returncode == 0, result.stdout + result.stderr
    serial = pytest_run(sample_project, "--ccov=calc", "--ccov-report=lcov:serial.info")
    assert serial.returncode == 0
    assert lcov_lines(sample_project / "remote.info") == lcov_lines(sample_project / "serial.info")


def test_tests_marked_no_cover_are_not_measured_as_in_pytest_cov(project):
    """pytest-cov leaves a test marked no_cover (or asking for the no_cover
    fixture) unmeasured while it runs; `pytest --ccov` measured it."""
    (project / "mod.py").write_text(
        "def marked():\n    return 1\n\ndef by_fixture():\n    return 2\n\ndef measured():\n    return 3\n"
    )
    (project / "test_mod.py").write_text(
        "import pytest\nimport mod\n\n"
        "@pytest.mark.no_cover\ndef test_marked():\n    assert mod.marked() == 1\n\n"
        "def test_fixture(no_cover):\n    assert mod.by_fixture() == 2\n\n"
        "def test_measured():\n    assert mod.measured() == 3\n"
    )
    ours = pytest_run(project, "--ccov=mod", "--ccov-report=lcov:ccov.info", "test_mod.py")
    assert ours.returncode == 0, ours.stdout + ours.stderr
    theirs = pytest_run(project, "--cov=mod", "--cov-report=lcov:cov.info", "test_mod.py")
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    lines = lcov_lines(project / "ccov.info")["mod.py"]
    assert lines[2] is False and lines[5] is False and lines[8] is True
    assert lines == lcov_lines(project / "cov.info")["mod.py"]


def test_pytest_cov_option_names_when_pytest_cov_is_not_there(sample_project):
    """A CI file or an editor written for pytest-cov runs unchanged: without
    pytest-cov (here: blocked), ccov answers its option names, as its own."""
    without = ("-p", "no:pytest_cov")
    (sample_project / "summary.md").write_text("# Earlier step\n")
    theirs = pytest_run(sample_project, *without, "--cov=calc", "--cov-branch", "--cov-report=lcov:names.info",
                        "--cov-report=markdown-append:summary.md", "--cov-report=term-missing", "--cov-precision=1",
                        "--cov-fail-under=99", "--cov-context=test")
    assert theirs.returncode == 1, theirs.stdout + theirs.stderr  # the gate fails the run, as pytest-cov's
    assert "FAIL Required test coverage of 99% not reached. Total coverage: " in theirs.stdout
    assert re.search(r"^TOTAL +24 +5 +4 +0 +75\.0%$", theirs.stdout, re.M), theirs.stdout  # --cov-precision=1
    ours = pytest_run(sample_project, *without, "--ccov=calc", "--ccov-branch", "--ccov-report=lcov:ours.info")
    assert lcov_lines(sample_project / "names.info") == lcov_lines(sample_project / "ours.info")
    summary = (sample_project / "summary.md").read_text()
    assert summary.startswith("# Earlier step\n| Name | Stmts | Miss | Branch | BrPart | Cover |"), summary
    assert ours.returncode == 0 and (sample_project / ".ccov").exists()
    # --cov-reset forgets the --cov before it (in addopts, say); --no-cov turns measuring off.
    for options in (["--cov=calc", "--cov-reset"], ["--cov=calc", "--no-cov"]):
        (sample_project / ".ccov").unlink(missing_ok=True)
        off = pytest_run(sample_project, *without, *options)
        assert off.returncode == 0 and "TOTAL" not in off.stdout and not (sample_project / ".ccov").exists(), options
    # With pytest-cov there, --cov is pytest-cov's (test_beside_pytest_cov), and ccov's are --ccov only.
    help_text = pytest_run(sample_project, "--help").stdout
    assert "--ccov-reset" in help_text and "--ccov-precision" in help_text
    assert "--ccov-reset, --cov-reset" in pytest_run(sample_project, *without, "--help").stdout


def test_unused_coverage_settings_are_named_under_pytest_too(sample_project):
    (sample_project / "setup.cfg").write_text("[coverage:run]\nbrnach = true\ndynamic_context = test_function\n")
    result = pytest_run(sample_project, "--ccov=calc")
    assert "ccov: warning: setup.cfg: unknown setting [coverage:run] brnach ignored" in result.stdout
    assert "ccov: warning: setup.cfg: [coverage:run] dynamic_context is not used by ccov" in result.stdout
