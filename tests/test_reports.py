"""The terminal table, the fail-under gate, and lcov tracefiles lcov 1.16 reads."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import ccov, clean_env, genhtml, lcov_summary, lcov_tools

from ccov.reports.ranges import format_ranges

PROGRAM = """\
def used(x):
    if x:
        return 1
    return 2


def unused():
    a = 1
    b = 2
    return a + b


used(True)
"""


@pytest.fixture
def measured(project):
    (project / "prog.py").write_text(PROGRAM)
    (project / "full.py").write_text("X = 1\n")
    (project / "empty.py").write_text("# nothing\n")
    (project / "main.py").write_text("import prog, full, empty\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    return project


def test_format_ranges_spans_non_statements():
    statements = [1, 2, 3, 4, 5, 10, 11, 12, 13, 14]
    assert format_ranges(statements, [1, 2, 5, 10, 11, 13, 14]) == "1-2, 5-11, 13-14"
    assert format_ranges(statements, []) == ""
    assert format_ranges([3], [3]) == "3"


def test_table(measured):
    result = ccov("report", "-m", cwd=measured)
    assert result.returncode == 0
    assert result.stdout == textwrap.dedent("""\
        Name       Stmts   Miss  Cover   Missing
        ----------------------------------------
        empty.py       0      0   100%
        full.py        1      0   100%
        main.py        1      0   100%
        prog.py        9      4    56%   4, 8-10
        ----------------------------------------
        TOTAL         11      4    64%
        """)


def test_skip_sort_precision(measured):
    result = ccov("report", "--skip-covered", "--precision=2", "--sort=-cover", cwd=measured)
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["prog.py", "9", "4", "55.56%"]
    assert lines[4].split() == ["TOTAL", "11", "4", "63.64%"]
    assert "3 files skipped due to complete coverage." in result.stdout
    only_empty = ccov("report", "--skip-empty", "--sort=stmts", cwd=measured).stdout.splitlines()
    assert [line.split()[0] for line in only_empty[2:5]] == ["full.py", "main.py", "prog.py"]
    assert only_empty[-1] == "1 empty file skipped."



def test_fail_under(measured):
    failed = ccov("report", "--fail-under=70", cwd=measured)
    assert failed.returncode == 2
    assert "total 64% is below --fail-under=70% (short by 6 points)" in failed.stderr
    # 63.64 rounds to 64 at precision 0, as coverage.py compares
    assert ccov("report", "--fail-under=64", cwd=measured).returncode == 0
    # a threshold with decimals is compared at its own precision
    assert ccov("report", "--fail-under=63.7", cwd=measured).returncode == 2
    (measured / "pyproject.toml").write_text("[tool.ccov]\nfail_under = 90\n")
    assert ccov("report", cwd=measured).returncode == 2
    assert ccov("report", "--fail-under=10", cwd=measured).returncode == 0


def test_source_problems_at_report_time_skip_only_that_file(measured):
    (measured / "full.py").write_text("X = 1\nY = 2\n")             # changed
    (measured / "empty.py").unlink()                                 # vanished
    (measured / "main.py").write_bytes(b"x = '\xff'\n")              # undecodable
    result = ccov("report", cwd=measured)
    assert result.returncode == 0
    assert "prog.py" in result.stdout
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 3
    assert all(w.startswith("ccov: warning: ") and w.endswith("; skipped") for w in warnings)


def test_syntax_error_at_report_time(project):
    (project / "prog.py").write_text("X = 1\n")
    ccov("run", "prog.py", cwd=project)
    from ccov.data import datafile

    data = datafile.read(str(project / ".ccov"))
    data.files[str(project / "prog.py")].hash = None
    datafile.write(str(project / ".ccov"), data)
    (project / "prog.py").write_text("X = (\n")
    result = ccov("report", cwd=project)
    assert result.returncode == 1  # nothing left to report
    assert "prog.py is not valid Python" in result.stderr


def test_lcov_content(measured):
    result = ccov("lcov", "-o", "out/cov.info", cwd=measured)
    assert result.returncode == 0, result.stderr
    text = (measured / "out/cov.info").read_text()
    records = text.split("end_of_record\n")
    assert records[-1] == ""
    sources = [r.split("SF:")[1].split("\n")[0] for r in records[:-1]]
    assert sources == ["full.py", "main.py", "prog.py"]  # empty.py has no statements
    prog = records[2]
    assert "FN:1,used\nFNDA:1,used\nFN:7,unused\nFNDA:0,unused\nFNF:2\nFNH:1\n" in prog
    assert "DA:4,0\n" in prog and "DA:3,1\n" in prog
    assert "DA:7,1\n" in prog and "DA:8,0\n" in prog
    assert "LF:9\nLH:5\n" in prog


def test_unwritable_lcov_output(measured):
    (measured / "blocker").write_text("a file, not a directory")
    result = ccov("lcov", "-o", "blocker/lcov.info", cwd=measured)
    assert result.returncode == 1
    assert result.stderr.startswith("ccov: error: cannot write blocker/lcov.info")


@pytest.mark.parametrize("tool", lcov_tools(), ids=lambda tool: f"lcov{tool[0]}" if isinstance(tool, tuple) else tool)
def test_lcov_tool_reads_the_tracefile(measured, tool):
    ccov("lcov", cwd=measured)
    summary = lcov_summary(tool, measured)
    assert summary["lines"] == (7, 11)
    assert summary["functions"] == (1, 2)
    done = genhtml(tool, measured)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (measured / "genhtml-out" / "index.html").exists()


def test_file_names_with_control_characters_cannot_forge_records(project):
    from ccov.data import datafile, linebits

    forged = project / "evil\nDA:99,1\nend_of_record\nSF:x.py"
    forged.write_text("X = 1\n")
    data = datafile.CoverageData()
    data.add_lines(str(forged), linebits.from_lines([1]))
    data.add_lines(str(project / "fine.py"), linebits.from_lines([1]))
    (project / "fine.py").write_text("Y = 2\n")
    datafile.write(str(project / ".ccov"), data)
    result = ccov("lcov", "-o", "-", cwd=project)
    assert result.returncode == 0
    assert result.stdout.count("end_of_record") == 1 and "DA:99" not in result.stdout
    assert "control characters in its name; skipped" in result.stderr


def _with_a_terminal_for_stderr(args, cwd, env):
    """Run ccov with stderr on a pseudo-terminal; (status, what the terminal got)."""
    import os
    import pty

    controller, terminal = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "ccov", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=terminal, timeout=120)
        os.close(terminal)
        terminal = -1
        received = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other end is closed, all read
                break
            if not chunk:
                break
            received += chunk
        return done.returncode, received.decode()
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)


def test_a_progress_line_on_a_terminal_only(project):
    """Reports of many files say how far they are on a terminal (after a
    second; CCOV_PROGRESS_DELAY=0 here), rewriting one line and wiping it at
    the end; into a file or a pipe (CI logs) they say nothing."""
    for index in range(40):
        (project / f"mod{index}.py").write_text(f"VALUE = {index}\n")
    (project / "main.py").write_text("".join(f"import mod{index}\n" for index in range(40)))
    assert ccov("run", "main.py", cwd=project).returncode == 0
    env = clean_env(CCOV_PROGRESS_DELAY="0")
    status, shown = _with_a_terminal_for_stderr(["report"], project, env)
    assert status == 0
    assert "\rccov: analysing 41/41 files" in shown and shown.endswith("\r")
    assert shown.rstrip("\r ").endswith("41/41 files")  # then wiped: spaces, and back to the start
    status, shown = _with_a_terminal_for_stderr(["html"], project, env)
    assert status == 0 and "\rccov: writing HTML for 41/41 files" in shown
    assert "analysing" not in shown  # the analyses were cached by the report
    (project / ".ccov_cache").rename(project / "old_cache")
    piped = ccov("report", cwd=project, env=env)
    assert piped.returncode == 0 and piped.stderr == ""


def test_skip_covered_when_every_file_is_covered(project):
    """The table is then its header and the TOTAL row, as coverage.py's
    (the width of the Cover column came from the rows, and there were none)."""
    (project / "full.py").write_text("X = 1\n")
    assert ccov("run", "full.py", cwd=project).returncode == 0
    result = ccov("report", "--skip-covered", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Name    Stmts   Miss  Cover", "---------------------------",
                                          "TOTAL       1      0   100%", "", "1 file skipped due to complete coverage."]
