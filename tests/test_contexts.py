"""Per-test contexts: which tests ran each line, as pytest-cov's
--cov-context=test records it; static contexts; re-arming between
contexts; combine; `ccov who`; storage size."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from conftest import ccov, clean_env, run

# coverage.py's sys.monitoring core, its default on 3.14+, keeps no dynamic
# contexts (it warns no-sysmon-context and gives each line the first test that
# ran it only): the contexts oracle is its C tracer there.
ORACLE = clean_env(COVERAGE_CORE="ctrace") if sys.version_info >= (3, 14) else clean_env()


def pytest_run(project, *args, env=None):
    result = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def statement_contexts(report: dict) -> dict:
    """{file: {statement line: sorted contexts}} from a JSON report with contexts,
    on executed statements (coverage.py also lists lines that are not statements)."""
    found = {}
    for name, entry in report["files"].items():
        executed = {str(line) for line in entry["executed_lines"]}
        found[name] = {line: sorted(names) for line, names in entry["contexts"].items() if line in executed}
    return found


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_same_contexts_as_pytest_cov(sample_project, workers):
    pytest_run(sample_project, "--ccov=calc", "--ccov-context=test", "--ccov-report=", *workers)
    assert ccov("json", "--show-contexts", "-o", "ours.json", cwd=sample_project).returncode == 0
    pytest_run(sample_project, "--cov=calc", "--cov-context=test", "--cov-report=", *workers, env=ORACLE)
    done = run([sys.executable, "-m", "coverage", "json", "--show-contexts", "-o", "theirs.json"], sample_project, ORACLE)
    assert done.returncode == 0, done.stderr
    ours = statement_contexts(json.loads((sample_project / "ours.json").read_text()))
    theirs = statement_contexts(json.loads((sample_project / "theirs.json").read_text()))
    assert ours == theirs
    # A line run by several tests lists each of them.
    assert len(ours["calc/ops.py"]["9"]) == 2


# `shared` as is, and with a long table first: lines CPython would look up
# slowly, so the collector measures it by INSTRUCTION events (codestate.c).
TABLE = "".join(f"    'k{i}': {i},\n" for i in range(300))
SHARED = {
    "by_line": "def shared(x):\n    if x:\n        return 1\n    return 2\n",
    "by_instruction": f"def shared(x):\n    rows = {{\n{TABLE}    }}\n    if x:\n        return 1\n    return 2\n",
}


@pytest.mark.parametrize("measured_by", sorted(SHARED))
def test_rearming_records_each_line_once_per_context(project, measured_by):
    """The same code in three contexts: each context gets all the lines it ran,
    and nothing it did not run."""
    (project / "target.py").write_text(SHARED[measured_by] + "\n\ndef only_b():\n    return 3\n")
    shift = SHARED[measured_by].count("\n") - 4  # the table's lines
    code = textwrap.dedent(
        """
        from ccov.config import Config
        from ccov.measuring.measure import Measurement
        m = Measurement(Config(), may_switch_contexts=True)
        m.start(install_handlers=False)
        m.record_contexts()
        import target
        for name, calls in (("a", [1]), ("b", [0, 1]), ("c", [])):
            m.switch_context(name)
            for x in calls:
                target.shared(x)
            if name == "b":
                target.only_b()
        m.switch_context("")
        data = m.hand_over()
        entry = next(e for p, e in data.files.items() if p.endswith("target.py"))
        from ccov.data import linebits
        print({c: linebits.to_lines(b) for c, b in sorted(entry.lines.items()) if b})
        from ccov import _collector
        print(_collector.stats()["codes_by_instruction"])
        """
    )
    result = run([sys.executable, "-c", code], project, clean_env(PYTHONPATH=str(project)))
    assert result.returncode == 0, result.stderr
    contexts, by_instruction = result.stdout.strip().splitlines()
    table = list(range(2, 1 + shift))  # `rows = {` and its entries (the `}` line runs nothing)
    s = shift
    assert contexts == str({"": [1, 7 + s], "a": [*table, 2 + s, 3 + s], "b": [*table, 2 + s, 3 + s, 4 + s, 8 + s]})
    assert by_instruction == ("1" if measured_by == "by_instruction" else "0")


def test_static_context_and_combine_keep_contexts(project):
    (project / "prog.py").write_text("import sys\nif len(sys.argv) > 1:\n    arg = 1\nelse:\n    arg = 0\n")
    assert ccov("run", "-p", "--context", "py-a", "prog.py", "x", cwd=project).returncode == 0
    assert ccov("run", "-p", "--context", "py-b", "prog.py", cwd=project).returncode == 0
    assert ccov("combine", cwd=project).returncode == 0
    report = json.loads(ccov("json", "--show-contexts", "-o", "-", cwd=project).stdout)
    contexts = report["files"]["prog.py"]["contexts"]
    assert contexts == {"1": ["py-a", "py-b"], "2": ["py-a", "py-b"], "3": ["py-a"], "5": ["py-b"]}


def test_who_prints_the_tests_of_lines(sample_project):
    pytest_run(sample_project, "--ccov=calc", "--ccov-context=test", "--ccov-report=")
    result = ccov("who", "calc/ops.py:9-11", "calc/ops.py:3", cwd=sample_project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "calc/ops.py:9: 2 contexts"
    assert sorted(lines[1:3]) == [
        "    tests/test_ops.py::test_divide_by_zero|run",
        "    tests/test_ops.py::test_divide|run",
    ]
    assert "calc/ops.py:3: no statement there" in lines
    bad = ccov("who", "calc/ops.py:x", cwd=sample_project)
    assert bad.returncode == 3 and bad.stderr.startswith("ccov: error: ")
    missing = ccov("who", "nope.py:1", cwd=sample_project)
    assert missing.returncode == 1 and "not in the data file" in missing.stderr


def test_who_on_a_continuation_line_answers_for_its_statement(project):
    """A line inside a multi-line statement named no test ("no statement there")."""
    (project / "mod.py").write_text("def total(a,\n          b):\n    return (a +\n            b)\n")
    (project / "test_mod.py").write_text("from mod import total\n\n\ndef test_total():\n    assert total(1, 2) == 3\n")
    pytest_run(project, "--ccov=.", "--ccov-context=test", "--ccov-report=")
    result = ccov("who", "mod.py:4", "mod.py:2", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "mod.py:3: 1 context", "    test_mod.py::test_total|run",
        "mod.py:1: 1 context", "    (no context: outside any test)",
    ]


def test_ten_thousand_tests_fit_in_a_few_megabytes(tmp_path):
    """10,000 contexts over 20,000 lines (100 files of 200), each test running
    60 lines in 3 files: the data file stays small."""
    import random

    from ccov.data import datafile, linebits

    chance = random.Random(9)
    data = datafile.CoverageData()
    for test in range(10_000):
        for module in chance.sample(range(100), 3):
            lines = chance.sample(range(1, 201), 20)
            data.add_lines(f"/project/src/mod{module:03d}.py", linebits.from_lines(lines), context=f"tests/test_{test}.py::t|run")
    path = tmp_path / ".ccov"
    datafile.write(str(path), data)
    size = path.stat().st_size
    assert size < 20 * 1024 * 1024, f"{size / 1e6:.1f} MB"
    back = datafile.read(str(path))
    assert back.summary()["contexts"] == 10_000
