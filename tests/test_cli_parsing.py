"""`ccov run`'s fast parser gives argparse's answers, or leaves the case to argparse."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccov.frontends.cli import RUN_OPTIONS, parse_run_quickly
from ccov.frontends.cli_parser import build_parser

CASES = [
    ["run", "prog.py"],
    ["run", "prog.py", "-m", "--source", "x"],
    ["run", "--source", "a", "--source=b", "--omit=*/t/*", "prog.py", "arg"],
    ["run", "-a", "-p", "--data-file", "d.db", "-m", "pkg.mod", "--flag"],
    ["run", "--parallel", "--append", "--config=c.toml", "prog.py"],
    ["run"],
]


@pytest.mark.parametrize("argv", CASES, ids=" ".join)
def test_same_as_argparse(argv):
    quick = parse_run_quickly(argv)
    full = build_parser().parse_args(argv)
    assert quick is not None
    for _, dest, _, _, _ in RUN_OPTIONS:
        assert getattr(quick, dest) == getattr(full, dest) or (not getattr(quick, dest) and not getattr(full, dest)), dest
    assert quick.program == full.program


@pytest.mark.parametrize("argv", [["run", "-h"], ["run", "-ap", "x.py"], ["run", "--source"], ["run", "--nope", "x.py"],
                                  ["run", "--append=yes", "x.py"]])
def test_unusual_cases_go_to_argparse(argv):
    assert parse_run_quickly(argv) is None


# ---- any command line gets an answer, never a traceback ----------------------------------


COMMANDS = ["report", "lcov", "xml", "json", "combine", "erase", "debug", "diff", "help", "bogus", ""]
WORDS = ["--fail-under", "-o", "--data-file", "--format", "--precision", "--sort", "--skip-covered", "--skip-empty",
         "-m", "--show-missing", "--keep", "-a", "--base", "--step-summary", "--config", "--bogus", "-x", "-h"]
VALUES = ["", "abc", "-1", "101", "50", "nan", "1e999", "missing/dir/x", "/proc/version", "-", "markdown", "-cover",
          ".ccov", "pyproject.toml", "sub", "\x00", "é", "%s%n", "--", "*"]


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory):
    project = tmp_path_factory.mktemp("cli_fuzz")
    (project / "prog.py").write_text("x = 1\nif x:\n    y = 2\n")
    (project / "sub").mkdir()
    from conftest import ccov

    assert ccov("run", "prog.py", cwd=project).returncode == 0
    return project


option_and_value = st.tuples(st.sampled_from(WORDS), st.sampled_from(VALUES)).map(list)
stray_word = st.sampled_from(WORDS + VALUES).map(lambda word: [word])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(argv=st.tuples(st.sampled_from(COMMANDS), st.lists(option_and_value | stray_word, max_size=4).map(lambda parts: sum(parts, []))))
def test_any_command_line_gets_a_documented_exit_code(fuzz_project, argv):
    import contextlib
    import io
    import os
    import shutil

    from ccov.frontends import cli

    command, words = argv
    saved = fuzz_project / ".ccov.saved"
    if not saved.exists():
        shutil.copy(fuzz_project / ".ccov", saved)
    shutil.copy(saved, fuzz_project / ".ccov")
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(fuzz_project)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main([command, *words] if command else words)
            except SystemExit as exit:  # --help / help print and exit 0
                status = exit.code
    finally:
        os.chdir(previous)
    assert status in (0, 1, 2, 3), (argv, status, err.getvalue())
    assert "Traceback" not in err.getvalue()
    if status not in (0, 2):
        lines = err.getvalue().strip().splitlines()
        assert lines and lines[-1].startswith("ccov: error: "), (argv, err.getvalue())


def test_a_reversed_sort_column_is_a_value(tmp_path):
    """coverage.py takes `--sort -cover`; argparse took `-cover` for an option (#39)."""
    from conftest import ccov

    (tmp_path / "a.py").write_text("x = 1\nif not x:\n    y = 2\n")
    (tmp_path / "b.py").write_text("import a\n")
    assert ccov("run", "b.py", cwd=tmp_path).returncode == 0
    reversed_ = ccov("report", "--sort", "-cover", cwd=tmp_path)
    assert reversed_.returncode == 0, reversed_.stderr
    names = [line.split()[0] for line in reversed_.stdout.splitlines() if line.endswith("%")]
    assert names == ["b.py", "a.py", "TOTAL"]
    assert ccov("report", "--sort=-cover", cwd=tmp_path).stdout == reversed_.stdout


def test_an_unknown_option_points_at_its_commands_help():
    from ccov.errors import UsageError

    for argv, command in ((["report", "--bogus"], "ccov report"), (["run", "--nope", "x.py"], "ccov run"),
                          (["--bogus"], "ccov")):
        with pytest.raises(UsageError, match=rf"unrecognized arguments: .* \(see `{command} --help`\)$"):
            build_parser().parse_args(argv)


def test_a_programs_own_arguments_are_left_alone():
    parsed = build_parser().parse_args(["run", "prog.py", "--sort", "-cover"])
    assert parsed.program == ["prog.py", "--sort", "-cover"]
