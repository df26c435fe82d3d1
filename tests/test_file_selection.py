"""The collector's file decision (ccov.measuring.file_selection.FileSelector)
sees each file by its real name, as coverage.py does: a file reached through
a symlinked directory, or itself a symlink, is measured where it really is.
Directories are resolved once per run, so these check that a cached
directory never hides a link further down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ccov
from ccov.measuring.file_selection import FileSelector


def tree(root: Path) -> None:
    for name in ["src/pkg/a.py", "src/pkg/b.py", "elsewhere/c.py", "elsewhere/d.py"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")


def test_a_file_reached_through_a_symlinked_directory_is_measured(tmp_path):
    tree(tmp_path)
    (tmp_path / "alias").symlink_to(tmp_path / "src" / "pkg")
    select = FileSelector(str(tmp_path), ["src"], [])
    assert select(str(tmp_path / "alias" / "a.py"))
    assert select(str(tmp_path / "alias" / "b.py"))  # the directory resolved before
    assert not select(str(tmp_path / "elsewhere" / "c.py"))


def test_a_symlinked_file_is_decided_by_its_target_in_a_known_directory(tmp_path):
    tree(tmp_path)
    (tmp_path / "elsewhere" / "into_src.py").symlink_to(tmp_path / "src" / "pkg" / "a.py")
    (tmp_path / "src" / "pkg" / "out_of_src.py").symlink_to(tmp_path / "elsewhere" / "c.py")
    select = FileSelector(str(tmp_path), ["src"], [])
    # Each directory is seen first through a plain file, then through a link in it.
    assert not select(str(tmp_path / "elsewhere" / "d.py"))
    assert select(str(tmp_path / "elsewhere" / "into_src.py"))
    assert select(str(tmp_path / "src" / "pkg" / "b.py"))
    assert not select(str(tmp_path / "src" / "pkg" / "out_of_src.py"))


def test_relative_names_and_missing_files(tmp_path):
    tree(tmp_path)
    select = FileSelector(str(tmp_path), ["src"], [])
    assert select("src/pkg/../pkg/a.py")
    assert not select("src/pkg/gone.py")  # not a file: nothing to report


def test_a_symlinked_directory_below_a_known_one(tmp_path):
    tree(tmp_path)
    (tmp_path / "src" / "pkg" / "linked").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "back").symlink_to(tmp_path / "src" / "pkg")
    select = FileSelector(str(tmp_path), ["src"], [])
    assert select(str(tmp_path / "src" / "pkg" / "a.py"))
    assert not select(str(tmp_path / "src" / "pkg" / "linked" / "c.py"))
    assert select(str(tmp_path / "src" / "pkg" / "linked" / "back" / "b.py"))
    assert select(str(tmp_path / "elsewhere" / "back" / "a.py"))
    assert select._canonical_file(str(tmp_path / "src" / "pkg" / "linked" / "back" / "b.py")) == str(
        (tmp_path / "src" / "pkg" / "b.py").resolve())


def test_every_imported_file_gets_the_name_realpath_gives(tmp_path):
    import os
    import sys

    from ccov.files import canonical

    (tmp_path / "lib").symlink_to(os.path.dirname(os.__file__))
    names = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
    names += [str(tmp_path / "lib" / "os.py"), str(tmp_path / "lib" / "json" / "decoder.py")]
    select = FileSelector(str(tmp_path), ["src"], [])
    for name in names:
        plain = os.path.normcase(os.path.abspath(name))
        assert select._canonical_file(plain) == canonical(plain), name


def test_a_file_left_out_does_not_close_its_folder(tmp_path):
    """A folder with no measured file is remembered, so that its next file
    costs one lstat; an omitted file in the source must not close the source."""
    tree(tmp_path)
    select = FileSelector(str(tmp_path), ["src"], ["src/pkg/a.py"])
    assert not select(str(tmp_path / "src" / "pkg" / "a.py"))
    assert select(str(tmp_path / "src" / "pkg" / "b.py"))
    assert not select(str(tmp_path / "elsewhere" / "c.py"))
    assert not select(str(tmp_path / "elsewhere" / "d.py"))  # decided from the closed folder
    assert select._closed_folders == {str(tmp_path / "elsewhere"): str(tmp_path / "elsewhere") + "/"}


def test_a_name_the_source_may_still_take_closes_nothing(tmp_path):
    """A --source name not importable yet may resolve later (resolve_late):
    until it does, no folder is taken for closed."""
    tree(tmp_path)
    select = FileSelector(str(tmp_path), ["not_yet_a_module"], [])
    assert not select(str(tmp_path / "elsewhere" / "c.py"))
    assert select._closed_folders == {}


def test_every_omit_pattern_matches_whole_names(tmp_path):
    """With several --omit patterns, all but the last matched as prefixes:
    `src/pkg/a` left out src/pkg/a.py, which coverage.py measures (its
    GlobMatcher matches whole names), while one pattern alone did not."""
    tree(tmp_path)
    select = FileSelector(str(tmp_path), ["src"], ["src/pkg/a", "nothing/*"])
    assert select(str(tmp_path / "src" / "pkg" / "a.py"))
    select = FileSelector(str(tmp_path), ["src"], ["src/pkg/a*", "nothing/*"])
    assert not select(str(tmp_path / "src" / "pkg" / "a.py"))
    assert select(str(tmp_path / "src" / "pkg" / "b.py"))


def test_ccov_never_measures_itself_in_a_checkout(tmp_path):
    """Run from ccov's own checkout (the editable install the tests use), with
    no source given: its modules and its reports are ccov's, not the
    project's.  Its own folder was taken for ccov/measuring alone (#41), and
    its C extension module named a measured 'file' that no report could
    decode."""
    checkout = Path(__file__).resolve().parent.parent
    if not Path(ccov.__file__).resolve().is_relative_to(checkout):
        pytest.skip("ccov is installed, not run from this checkout")
    data = str(tmp_path / "data")
    subprocess.run([sys.executable, "-m", "ccov", "run", "--data-file", data, "examples/linecount.py",
                    "examples/sample.py"], cwd=checkout, check=True, capture_output=True)
    report = subprocess.run([sys.executable, "-m", "ccov", "report", "--data-file", data], cwd=checkout,
                            capture_output=True, text=True)
    assert report.returncode == 0 and report.stderr == "", report.stderr
    assert [line.split()[0] for line in report.stdout.splitlines() if line.endswith("%")] == \
        ["examples/linecount.py", "TOTAL"]
