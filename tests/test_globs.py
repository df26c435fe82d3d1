"""File patterns mean what they mean to coverage.py: the same patterns,
compared with coverage.py's own matcher (its GlobMatcher, with the
patterns prepared as its `omit` and `include` are) on the same paths,
and the rules its documentation gives, end to end at measure time and at
report time."""

from __future__ import annotations

import itertools
import json
import os
import sys

import pytest
from conftest import ccov, ccov_files, run

from ccov.errors import UsageError
from ccov.globs import compile_patterns

PATTERNS = [
    "*/tests/*", "tests/*", "conftest.py", "*.py", "test_*.py", "src/**/gen_*.py", "**/migrations/*",
    "*/site-packages/*", "src/pkg/*", "*test*", "./src/*", "a?c.py", "[ab].py", "src/*.py", "*/src/pkg/mod.py",
    "src/pkg/mod.py", "**/*.py", "*/pkg/*/deep.py", "ROOT/tests/*", "/elsewhere/*", "*/util", "docs/conf.py",
    "*\\tests\\*", "with space/*", "sub-dir/*.py", "*/__main__.py", "*/.tox/*",
]
FILES = [
    "tests/test_a.py", "tests/unit/test_b.py", "conftest.py", "tests/conftest.py", "src/pkg/mod.py",
    "src/pkg/sub/gen_x.py", "src/gen_y.py", "app/migrations/0001.py", "src/pkg/deep/deeper/deep.py",
    "src/pkg/x/deep.py", "abc.py", "a.py", "b.py", "c.py", "src/util/helpers.py", "docs/conf.py",
    "with space/f.py", "sub-dir/x.py", "pkg/__main__.py", ".tox/py312/lib/site-packages/m.py", "main.py",
]
OUTSIDE = ["/elsewhere/a.py", "/other/tests/t.py", "/venv/lib/python3.12/site-packages/dep/m.py", "/x/src/util"]


@pytest.fixture
def root(tmp_path, monkeypatch):
    here = tmp_path / "root"
    for name in FILES:
        (here / name).parent.mkdir(parents=True, exist_ok=True)
        (here / name).write_text("")
    monkeypatch.chdir(here)
    return str(here)


def coverage_matches(patterns: list[str], path: str) -> bool:
    from coverage.files import GlobMatcher
    from coverage.inorout import prep_patterns

    return GlobMatcher(prep_patterns(patterns), "test").match(path)


def test_every_pattern_matches_what_coverage_py_matches(root):
    paths = [os.path.join(root, name) for name in FILES] + OUTSIDE
    differ = []
    for pattern in PATTERNS:
        pattern = pattern.replace("ROOT", root)
        ours = compile_patterns([pattern], root)
        for path in paths:
            theirs = coverage_matches([pattern], path)
            if bool(ours.match(path)) != theirs:
                differ.append(f"{pattern!r} on {path}: coverage.py {theirs}")
    assert differ == []


def test_several_patterns_match_what_any_of_them_matches(root):
    paths = [os.path.join(root, name) for name in FILES] + OUTSIDE
    for pair in itertools.combinations(PATTERNS[:12], 2):
        ours = compile_patterns(list(pair), root)
        for path in paths:
            assert bool(ours.match(path)) == coverage_matches(list(pair), path), (pair, path)


@pytest.mark.parametrize("pattern", ["***", "x**/a.py", "**x/a.py", "**/**/a.py", "a[b.py", "a]b.py"])
def test_the_patterns_coverage_py_refuses_are_refused(root, pattern):
    from coverage.exceptions import ConfigError

    with pytest.raises(ConfigError):
        coverage_matches([pattern], "/x")
    with pytest.raises(UsageError, match="file pattern"):
        compile_patterns([pattern], root)


PROJECT = {
    "pkg/__init__.py": "",
    "pkg/core.py": "def f():\n    return 1\n",
    "tests/unit/test_core.py": "import pkg.core\n\ndef test_f():\n    assert pkg.core.f() == 1\n",
    "conftest.py": "import pkg\n",
    "pkg/conftest.py": "X = 1\n",
}


@pytest.mark.parametrize("where", ["run", "report"])
@pytest.mark.parametrize("omit, left_out", [
    ("*/tests/*", {"tests/unit/test_core.py"}),  # a trailing /* spans folders (#40)
    ("conftest.py", {"conftest.py", "pkg/conftest.py"}),  # a bare name, anywhere (#40)
    ("pkg/*", {"pkg/__init__.py", "pkg/core.py", "pkg/conftest.py"}),
])
def test_omit_leaves_out_what_coverage_py_leaves_out(tmp_path, where, omit, left_out):
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "pyproject.toml").write_text(f'[tool.coverage.{where}]\nomit = ["{omit}"]\n')
    ours = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ccov=.", "--ccov-report=json:ccov.json",
                "tests"], tmp_path)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    theirs = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "pytest_cov", "--cov=.",
                  "--cov-report=json:cov.json", "tests"], tmp_path)
    assert theirs.returncode == 0, theirs.stdout + theirs.stderr
    reported = set(json.loads((tmp_path / "ccov.json").read_text())["files"])
    assert reported == set(json.loads((tmp_path / "cov.json").read_text())["files"])
    assert not reported & left_out and reported, reported


def test_fail_under_file_patterns_read_alike(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "low.py").write_text("def f():\n    return 1\n")
    (tmp_path / "main.py").write_text("import lib.low\n")
    (tmp_path / "pyproject.toml").write_text('[tool.ccov]\nfail_under_file = {"low.py" = 100}\n')
    assert ccov("run", "main.py", cwd=tmp_path).returncode == 0
    assert ccov_files(tmp_path)["lib/low.py"].n_missing == 1
    gate = ccov("report", cwd=tmp_path)
    assert gate.returncode == 2 and "lib/low.py" in gate.stdout + gate.stderr
