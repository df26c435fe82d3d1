"""The Python API, ccov.Coverage: for programs that measure themselves and
for test runners other than pytest."""

from __future__ import annotations

import json
import sys
import textwrap

from conftest import ccov, clean_env, lcov_lines, run

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
        cov.lcov_report("api.info")
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
        cov.lcov_report("api.info")
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
        cov.lcov_report("api.info")
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
