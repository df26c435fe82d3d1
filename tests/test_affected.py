"""pytest --ccov-affected: on a git repository built here, changing one
function selects exactly the tests that ran it; every unsafe case runs
everything and says why."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import clean_env, run

FILES = {
    "shop/__init__.py": "",
    "shop/prices.py": textwrap.dedent(
        '''\
        RATE = 0.2


        def net(amount):
            return round(amount, 2)


        def gross(amount):
            total = amount * (1 + RATE)
            return round(total, 2)
        '''
    ),
    "tests/test_net.py": "from shop.prices import net\n\n\ndef test_net():\n    assert net(1.234) == 1.23\n",
    "tests/test_gross.py": "from shop.prices import gross\n\n\ndef test_gross():\n    assert gross(10) == 12.0\n",
    "tests/test_both.py": (
        "from shop.prices import gross, net\n\n\ndef test_both():\n    assert net(gross(1)) == 1.2\n\n\n"
        "def test_nothing():\n    assert True\n"
    ),
    "conftest.py": "",
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    ".gitignore": "__pycache__/\n",
}


def git(project, *args):
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True,
                          env=clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                                        GIT_COMMITTER_EMAIL="t@t"))
    assert done.returncode == 0, done.stderr
    return done.stdout


def pytest_run(project, *args):
    return run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", *args], project)


def record(project, *extra):
    done = pytest_run(project, "--ccov=shop", "--ccov-context=test", "--ccov-report=", *extra)
    assert "passed" in done.stdout, done.stdout + done.stderr
    return done


def ran(result) -> list[str]:
    """The node ids pytest -v reports as run (serial or xdist)."""
    import re

    found = set()
    for line in result.stdout.splitlines():
        if " PASSED" in line or " FAILED" in line:
            found.update(re.findall(r"(tests/\S+::\S+)", line))
    return sorted(found)


@pytest.fixture
def repo(tmp_path):
    project = tmp_path / "repo"
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    record(project)
    return project


def edit(project, name, old, new):
    path = project / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_changing_one_function_selects_exactly_its_tests(repo, workers):
    edit(repo, "shop/prices.py", "    total = amount * (1 + RATE)", "    total = amount * (1.0 + RATE)")
    result = pytest_run(repo, "--ccov-affected", *workers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ran(result) == ["tests/test_both.py::test_both", "tests/test_gross.py::test_gross"]
    # Under xdist the workers select; the controller says what they chose (#39).
    assert result.stdout.count("ccov: 2 of 4 tests deselected: no line changed since HEAD ran in them.") == 1


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_nothing_changed_runs_nothing_and_passes(repo, workers):
    """Every test deselected: pytest's own status would be 5 (no tests
    ran), which fails a CI step with no word of why (#39)."""
    result = pytest_run(repo, "--ccov-affected", *workers)
    assert ran(result) == []
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ccov: 4 of 4 tests deselected: no line changed since HEAD ran in them." in result.stdout


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_staged_and_committed_changes_count_too(repo, workers):
    edit(repo, "shop/prices.py", "    return round(amount, 2)\n\n\ndef gross", "    return round(amount + 0, 2)\n\n\ndef gross")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "net adds nothing")
    result = pytest_run(repo, "--ccov-affected=HEAD~1", *workers)
    assert result.returncode == 0, result.stdout
    assert ran(result) == ["tests/test_both.py::test_both", "tests/test_net.py::test_net"]


def test_no_change_runs_nothing_but_new_and_failed_tests(repo):
    (repo / "tests" / "test_new.py").write_text("def test_brand_new():\n    assert True\n")
    result = pytest_run(repo, "--ccov-affected")
    assert ran(result) == ["tests/test_new.py::test_brand_new"]


def test_tests_that_failed_when_recorded_run_again(repo):
    edit(repo, "tests/test_net.py", "== 1.23", "== 9.99")
    git(repo, "commit", "-qam", "a failing test")
    record(repo)
    result = pytest_run(repo, "--ccov-affected")
    assert ran(result) == ["tests/test_net.py::test_net"]
    assert "1 did not pass last time" in result.stdout


@pytest.mark.parametrize(
    "change, reason",
    [
        (("shop/prices.py", "RATE = 0.2", "RATE = 0.25"), "changed outside any function body"),
        (("conftest.py", "", "import os\n"), "conftest.py changed and the data knows nothing of it"),
        (("shop/new_module.py", None, "X = 1\n"), "shop/new_module.py changed and the data knows nothing of it"),
        (("data.json", None, "{}\n"), "data.json changed and the data knows nothing of it"),
    ],
    ids=["module-level", "conftest", "new-module", "data-file"],
)
def test_unsafe_changes_run_everything(repo, change, reason):
    name, old, new = change
    if old is None:
        (repo / name).write_text(new)
    elif old == "":
        (repo / name).write_text(new)
    else:
        edit(repo, name, old, new)
    result = pytest_run(repo, "--ccov-affected")
    assert len(ran(result)) == 4, result.stdout
    assert "ccov: running every test: " in result.stdout and reason in result.stdout


def test_unusable_data_runs_everything(repo):
    from ccov.data import datafile

    edit(repo, "shop/prices.py", "    total = amount * (1 + RATE)", "    total = amount * (1.0 + RATE)")
    data = datafile.read(str(repo / ".ccov"))
    cases = {
        "recorded by ccov 0.0.1": {"ccov_version": "0.0.1"},
        "recorded on Python 2.7.18": {"python": "2.7.18"},
        "not recorded with --ccov-context=test": {"tests": None},
    }
    for reason, meta in cases.items():
        changed = datafile.CoverageData(meta={k: v for k, v in {**data.meta, **meta}.items() if v is not None})
        changed.files = data.files
        datafile.write(str(repo / ".ccov"), changed)
        result = pytest_run(repo, "--ccov-affected")
        assert len(ran(result)) == 4 and reason in result.stdout, (reason, result.stdout)
    (repo / ".ccov").unlink()
    result = pytest_run(repo, "--ccov-affected")
    assert len(ran(result)) == 4 and "no data file" in result.stdout


def test_data_not_recorded_at_the_base_runs_everything(repo):
    """Recorded at HEAD, compared with HEAD~1: the sources differ from what was measured."""
    edit(repo, "shop/prices.py", "    return round(amount, 2)\n\n\ndef gross", "    return round(amount + 0, 2)\n\n\ndef gross")
    git(repo, "commit", "-qam", "change")
    record(repo)
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    result = pytest_run(repo, "--ccov-affected=HEAD~2")
    assert len(ran(result)) == 4 and "the data was not recorded at HEAD~2" in result.stdout, result.stdout


def test_with_ccov_it_does_not_replace_the_recorded_data(repo):
    before = (repo / ".ccov").read_bytes()
    edit(repo, "shop/prices.py", "    total = amount * (1 + RATE)", "    total = amount * (1.0 + RATE)")
    result = pytest_run(repo, "--ccov=shop", "--ccov-affected")
    assert "ccov: not measuring" in result.stdout
    assert (repo / ".ccov").read_bytes() == before
    outcomes = json.loads(__import__("ccov.data.datafile", fromlist=["read"]).read(str(repo / ".ccov")).meta["tests"])
    assert outcomes == {
        "tests/test_both.py::test_both": "passed", "tests/test_both.py::test_nothing": "passed",
        "tests/test_gross.py::test_gross": "passed", "tests/test_net.py::test_net": "passed",
    }


def test_lines_added_inside_a_function_select_its_tests(repo):
    edit(repo, "shop/prices.py", "    return round(amount, 2)\n\n\ndef gross",
         "    amount = amount + 0\n    return round(amount, 2)\n\n\ndef gross")
    result = pytest_run(repo, "--ccov-affected")
    assert ran(result) == ["tests/test_both.py::test_both", "tests/test_net.py::test_net"], result.stdout


def test_a_function_added_at_module_level_runs_everything(repo):
    (repo / "shop" / "prices.py").write_text((repo / "shop" / "prices.py").read_text() + "\n\ndef tax(x):\n    return x\n")
    result = pytest_run(repo, "--ccov-affected")
    assert len(ran(result)) == 4 and "outside any function body" in result.stdout, result.stdout


def test_a_test_that_reaches_the_change_through_a_child_process_is_selected(tmp_path):
    """The child's lines belong to the test that started it: without that, the
    test was deselected, though a changed line ran in it (and then failed)."""
    project = tmp_path / "repo"
    files = {**FILES, "tests/test_child.py": textwrap.dedent("""\
        import subprocess, sys


        def test_child():
            out = subprocess.run([sys.executable, "-c", "from shop.prices import gross; print(gross(10))"],
                                 capture_output=True, text=True, check=True)
            assert out.stdout.strip() == "12.0"
    """)}
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    record(project)
    edit(project, "shop/prices.py", "    total = amount * (1 + RATE)", "    total = amount * (1.0 + RATE)")
    result = pytest_run(project, "--ccov-affected")
    assert ran(result) == ["tests/test_both.py::test_both", "tests/test_child.py::test_child",
                           "tests/test_gross.py::test_gross"], result.stdout
