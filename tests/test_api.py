"""The Python API, ccov.Coverage: for programs that measure themselves and
for test runners other than pytest."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest
from conftest import ccov, clean_env, lcov_lines, lcov_summary, lcov_tools, run

LIBRARY = """\
def double(x):
    if x > 10:
        return "big"
    return x * 2


def unused():
    return 0
"""


def run_script(project, text: str, *args):
    (project / "script.py").write_text(textwrap.dedent(text))
    result = run([sys.executable, "script.py", *args], project, clean_env(PYTHONPATH=str(project)))
    assert result.returncode == 0, result.stderr
    return result


def test_start_stop_save_report(project):
    """Only what runs between start() and stop() is measured; the data file
    and the reports are those of `ccov run`."""
    (project / "lib.py").write_text(LIBRARY)
    result = run_script(project, """\
        import io, ccov
        cov = ccov.Coverage(source=["lib.py"], branch=True)
        import lib
        lib.double(20)                      # before start(): not measured
        cov.start()
        lib.double(1)
        cov.stop()
        lib.unused()                        # after stop(): not measured
        print("saved", cov.save())
        table = io.StringIO()
        print("total", cov.report(file=table, show_missing=True))
        print(table.getvalue())
        cov.lcov_report(outfile="api.info")
        cov.json_report()
        """)
    assert f"saved {project / '.ccov'}" in result.stdout
    assert "total 37.5" in result.stdout  # (2 lines + 1 arc) of (6 + 2)
    assert "lib.py ".ljust(7) + "      6      4      2      1    38%   1, 3, 7-8" in result.stdout
    assert lcov_lines(project / "api.info")["lib.py"] == {1: False, 2: True, 3: False, 4: True, 7: False, 8: False}
    summary = json.loads((project / "coverage.json").read_text())["files"]["lib.py"]["summary"]
    assert (summary["covered_lines"], summary["num_branches"], summary["covered_branches"]) == (2, 2, 1)


def test_the_same_numbers_as_ccov_run(project):
    (project / "lib.py").write_text(LIBRARY)
    (project / "main.py").write_text("import lib\nlib.double(1)\nlib.double(11)\n")
    assert ccov("run", "--data-file=cli.ccov", "--source=lib.py", "main.py", cwd=project).returncode == 0
    assert ccov("lcov", "--data-file=cli.ccov", "-o", "cli.info", cwd=project).returncode == 0
    run_script(project, """\
        import ccov
        with ccov.Coverage(data_file="api.ccov", source=["lib.py"]) as cov:
            import main
        cov.lcov_report(outfile="api.info")
        """)
    assert lcov_lines(project / "api.info") == lcov_lines(project / "cli.info")


def test_start_again_adds_and_a_run_after_save_appends(project):
    (project / "lib.py").write_text(LIBRARY)
    run_script(project, """\
        import ccov
        cov = ccov.Coverage(source=["lib.py"])
        import lib
        cov.start(); lib.double(1); cov.stop()
        lib.double(20)
        cov.start(); lib.unused(); cov.stop()
        cov.save()
        cov.start(); lib.double(20); cov.save()
        cov.lcov_report(outfile="api.info")
        """)
    assert lcov_lines(project / "api.info")["lib.py"] == {1: False, 2: True, 3: True, 4: True, 7: False, 8: True}


def test_unsaved_data_is_saved_at_exit(project):
    (project / "lib.py").write_text(LIBRARY)
    run_script(project, """\
        import ccov, lib
        ccov.Coverage(source=["lib.py"]).start()
        lib.double(1)
        """)
    assert ccov("report", cwd=project).returncode == 0
    run_script(project, """\
        import ccov, lib
        ccov.Coverage(source=["lib.py"], data_file="none", auto_save=False).start()
        lib.double(1)
        """)
    assert not (project / "none").exists()


def test_inside_ccov_run_one_measures_at_a_time(project):
    """The single-instance rule of the pytest plugin: a Coverage started while
    `ccov run` measures suspends it until the Coverage stops."""
    (project / "lib.py").write_text(LIBRARY)
    (project / "script.py").write_text(textwrap.dedent("""\
        import ccov, lib
        lib.double(1)
        cov = ccov.Coverage(data_file="inner", source=["lib.py"])
        cov.start()
        lib.double(20)
        cov.stop()
        cov.save()
        lib.unused()
        """))
    assert ccov("run", "--source=lib.py", "script.py", cwd=project).returncode == 0
    assert ccov("lcov", "-o", "outer.info", cwd=project).returncode == 0
    assert ccov("lcov", "--data-file=inner", "-o", "inner.info", cwd=project).returncode == 0
    outer, inner = lcov_lines(project / "outer.info")["lib.py"], lcov_lines(project / "inner.info")["lib.py"]
    assert [line for line, hit in outer.items() if hit] == [1, 2, 4, 7, 8]
    assert [line for line, hit in inner.items() if hit] == [2, 3]


def test_configuration_is_read_as_everywhere(project):
    (project / "lib.py").write_text(LIBRARY)
    (project / ".coveragerc").write_text("[run]\nbranch = true\ndata_file = from-rc\n[report]\nprecision = 2\n")
    result = run_script(project, """\
        import ccov, lib
        cov = ccov.Coverage(source=["lib.py"])
        cov.start(); lib.double(1); cov.save()
        print(cov.config.branch, round(cov.report(), 2))
        """)
    assert (project / "from-rc").exists()
    assert "True 37.5" in result.stdout and "TOTAL        6      4      2      1  37.50%" in result.stdout


def test_switch_context_after_code_ran(project):
    """The first switch_context() turns contexts on: code that ran before it,
    to its end or in part, reports its lines again in each context that runs
    it (completed code used to stay silent from then on)."""
    (project / "lib.py").write_text(LIBRARY)
    run_script(project, """\
        import ccov
        cov = ccov.Coverage(source=["lib.py"])
        cov.start()
        import lib
        lib.unused()        # every line runs: the code completes
        lib.double(1)       # in part: line 3 never runs
        cov.switch_context("a")
        lib.unused()
        lib.double(2)
        cov.switch_context("b")
        lib.double(3)
        cov.stop()
        cov.save()
        """)
    done = ccov("json", "--show-contexts", "-o", "-", cwd=project)
    assert done.returncode == 0, done.stderr
    contexts = json.loads(done.stdout)["files"]["lib.py"]["contexts"]
    assert contexts == {"1": [""], "2": ["", "a", "b"], "4": ["", "a", "b"], "7": [""], "8": ["", "a"]}


# ---- coverage.py's API, as the tools built on it call it (#40) ----------------------------


def test_every_keyword_of_coverage_py_s_api_is_taken():
    """Each parameter of coverage.py's constructor and report calls, by its
    own signature: a tool passing one (Bazel passes messages=) must not fail."""
    import inspect

    import coverage

    import ccov

    for name in ("__init__", "report", "xml_report", "json_report", "lcov_report", "html_report", "combine",
                 "analysis2", "branch_stats", "get_option", "set_option", "load", "get_data", "erase", "save",
                 "start", "stop", "switch_context", "exclude", "get_exclude_list", "current"):
        theirs = inspect.signature(getattr(coverage.Coverage, name)).parameters
        ours = inspect.signature(getattr(ccov.Coverage, name)).parameters
        assert [p for p in theirs if p not in ours] == [], name
        # In coverage.py's order, so positional calls mean the same.
        positional = [p for p in theirs.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert list(ours)[:len(positional)] == [p.name for p in positional], name
    assert {ccov.NoSource.__name__, ccov.NoDataError.__name__} == {"NoSource", "NoDataError"}


CALLS = """\
import json, os, sys
tool = sys.argv[1]
if tool == "ccov":
    import ccov as coverage
    from ccov import NoSource
else:
    import coverage
    from coverage.exceptions import NoSource
cov = coverage.Coverage()
cov.load()
data = cov.get_data()
answers = {"omit": cov.config.report_omit, "files": {}}
for name in sorted(data.measured_files()):
    try:
        path, statements, excluded, missing, text = cov.analysis2(name)
        stats = cov.branch_stats(name)
    except NoSource:
        continue
    answers["files"][os.path.relpath(name)] = [statements, excluded, missing, text,
                                                sorted(stats.items()), data.lines(name)]
print(json.dumps(answers))
"""


@pytest.mark.parametrize("branch", [False, True], ids=["lines", "branches"])
def test_the_calls_vs_code_makes_answer_as_coverage_py_s(project, branch):
    """Coverage().load(), get_data().measured_files(), analysis2(),
    branch_stats(), config.report_omit: on ccov's data as coverage.py's API
    answers them on its own data of the same run."""
    (project / "lib.py").write_text(LIBRARY)
    (project / "main.py").write_text("import lib\nlib.double(1)\nlib.double(11)\n")
    (project / ".coveragerc").write_text(f"[run]\nbranch = {branch}\n[report]\nomit = */none/*\n")
    (project / "calls.py").write_text(CALLS)
    answers = {}
    for tool in ("coverage", "ccov"):
        assert run([sys.executable, "-m", tool, "run", "main.py"], project).returncode == 0
        done = run([sys.executable, "calls.py", tool], project, clean_env(PYTHONPATH=str(project)))
        assert done.returncode == 0, done.stderr
        answers[tool] = json.loads(done.stdout)
    assert answers["ccov"] == answers["coverage"]
    assert answers["ccov"]["files"]["lib.py"][2] == [8]  # missing lines


BAZEL_BOOTSTRAP = """\
import os, runpy, sys
import coverage     # the one-line shim: `from ccov import Coverage` (docs/guide.md)

coverage_dir = os.environ["COVERAGE_DIR"]
rcfile_name = os.path.join(coverage_dir, ".coveragerc_1")
with open(rcfile_name, "w") as rcfile:
    rcfile.write("[run]\\nrelative_files = True\\ndisable_warnings = module-not-imported, no-data-collected\\n"
                 "source =\\n\\t" + os.path.abspath("pkg") + "\\n")
cov = coverage.Coverage(config_file=rcfile_name, branch=True, messages=False, omit=["/dev/fd/*", "*/external/*"])
cov.start()
try:
    runpy.run_path("main.py", run_name="__main__")
finally:
    cov.stop()
    lcov_path = os.path.join(coverage_dir, "pylcov.dat")
    cov.lcov_report(outfile=lcov_path, ignore_errors=True)
os.unlink(rcfile_name)
"""


def test_the_calls_of_bazel_s_coverage_bootstrap(project, tmp_path):
    """rules_python's stage-2 bootstrap drives coverage.py through these calls
    alone; a `coverage` module that forwards to ccov is enough."""
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "lib.py").write_text(LIBRARY)
    (project / "main.py").write_text("from pkg import lib\nlib.double(1)\n")
    shim = tmp_path / "shim" / "coverage"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("from ccov import Coverage  # noqa: F401\n")
    (project / "bootstrap.py").write_text(BAZEL_BOOTSTRAP)
    out = tmp_path / "coverage_dir"
    out.mkdir()
    env = clean_env(PYTHONPATH=f"{shim.parent}{os.pathsep}{project}", COVERAGE_DIR=str(out))
    done = run([sys.executable, "bootstrap.py"], project, env)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr
    lcov = (out / "pylcov.dat").read_text()
    assert "SF:pkg/lib.py" in lcov and "BRDA:" in lcov  # relative, with branches, as Bazel's merger takes it
    assert lcov_lines(out / "pylcov.dat")["pkg/lib.py"] == {1: True, 2: True, 3: False, 4: True, 7: True, 8: False}
    for tool in lcov_tools():
        assert lcov_summary(tool, out, "pylcov.dat", branches=True)["lines"] == (4, 6)


def test_a_nested_coverage_gives_measuring_back_when_it_stops(project):
    """An inner Coverage stopped without save() left the outer one off for
    good: its later lines were lost, and the inner's went to it (#40)."""
    (project / "lib.py").write_text(LIBRARY)
    result = run_script(project, """\
        import ccov, lib
        def ran(cov):
            data = cov.get_data()
            return sorted(data.lines(next(iter(data.measured_files()))))
        outer = ccov.Coverage(source=["lib.py"], data_file=None)
        outer.start()
        inner = ccov.Coverage(source=["lib.py"], data_file=None)
        inner.start()
        lib.double(20)          # the inner one's
        inner.stop()            # no save()
        lib.unused()            # the outer one's again
        outer.stop()
        print(ran(outer), ran(inner))
        """)
    assert result.stdout.strip() == "[8] [2, 3]"


def test_report_while_measuring_goes_on_measuring(project):
    (project / "lib.py").write_text(LIBRARY)
    result = run_script(project, """\
        import io, subprocess, sys, ccov, lib
        cov = ccov.Coverage(source=["lib.py"], data_file=None)
        cov.start()             # lib's module level ran before: 2 of 6 lines next
        lib.double(1)
        first = cov.report(file=io.StringIO())
        lib.double(20)          # still measured
        second = cov.report(file=io.StringIO())
        cov.stop()
        # A process started after stop() is not measured.
        subprocess.run([sys.executable, "-c", "import lib; lib.unused()"], check=True)
        third = cov.report(file=io.StringIO())
        print(round(first), round(second), round(third))
        """)
    assert result.stdout.split() == ["33", "50", "50"]
