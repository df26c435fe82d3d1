"""A TOML configuration file is parsed once per content: tomllib (with the
re and datetime it imports) would otherwise cost every `ccov run` of a
project with coverage settings in pyproject.toml more than the rest of
ccov's start-up.  What is kept must never change a setting: a changed,
damaged or unkeepable file is read as it is."""

from __future__ import annotations

import pytest
from conftest import ccov

# The program says whether its process had to import tomllib.
PROGRAM = "import sys\nprint('tomllib' in sys.modules)\n"


def pyproject(data_file: str, more: str = "") -> str:
    return f'[project]\nname = "app"\n\n[tool.coverage.run]\ndata_file = "{data_file}"\n{more}'


def run_it(project) -> str:
    """`ccov run` of the program: what it printed, after checking it ran."""
    ran = ccov("run", "prog.py", cwd=project)
    assert ran.returncode == 0 and "ccov: " not in ran.stderr, ran.stderr
    return ran.stdout.strip()


@pytest.fixture
def configured(project):
    (project / "prog.py").write_text(PROGRAM)
    (project / "pyproject.toml").write_text(pyproject("first.data"))
    return project


def test_a_second_run_reads_the_settings_without_parsing_again(configured):
    assert run_it(configured) == "True"
    assert (configured / "first.data").exists()
    (configured / "first.data").unlink()
    assert run_it(configured) == "False"
    assert (configured / "first.data").exists()


def test_a_changed_file_is_parsed_again(configured):
    run_it(configured)
    (configured / "pyproject.toml").write_text(pyproject("second.data"))
    assert run_it(configured) == "True"
    assert (configured / "second.data").exists()
    assert run_it(configured) == "False"


def test_a_damaged_kept_document_is_not_used(configured):
    run_it(configured)
    (kept,) = (configured / ".ccov_cache").glob("toml-pyproject.toml-*")
    for damage in (b"", kept.read_bytes()[:-7], b"\xff" * 40):
        kept.write_bytes(damage)
        (configured / "first.data").unlink()
        assert run_it(configured) == "True"
        assert (configured / "first.data").exists()


def test_a_file_with_dates_is_parsed_every_time(configured):
    # marshal cannot hold dates and times: such a document is not kept.
    (configured / "pyproject.toml").write_text(pyproject("dated.data", "\n[tool.other]\nreleased = 1979-05-27\n"))
    assert run_it(configured) == "True"
    assert run_it(configured) == "True"
    assert (configured / "dated.data").exists()
    assert not list((configured / ".ccov_cache").glob("toml-*"))


def test_a_folder_where_nothing_can_be_kept_changes_nothing(configured):
    (configured / ".ccov_cache").write_text("a file where the folder would be\n")
    assert run_it(configured) == "True"
    assert run_it(configured) == "True"
    assert (configured / "first.data").exists()


def test_invalid_toml_is_still_a_usage_error(configured):
    (configured / "pyproject.toml").write_text("[tool.coverage.run\nbranch = true\n")
    ran = ccov("run", "prog.py", cwd=configured)
    assert ran.returncode == 3
    assert ran.stderr.startswith("ccov: error: pyproject.toml is not valid TOML:"), ran.stderr
