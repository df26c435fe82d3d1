"""`ccov diff`: coverage of changed lines, on git repositories built here,
checked against diff-cover reading ccov's own lcov file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import ccov, clean_env, run

from ccov.changes.diffcov import parse_diff
from ccov.reports.diff import _escape_data, _escape_property

GIT_ENV = clean_env(
    GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
    GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1",
)


def git(repo, *args):
    done = subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def write(repo, name, text):
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def repo(project):
    git(project, "init", "-q", "-b", "main")
    write(project, "app.py", """\
        def old(x):
            return x + 1
        """)
    write(project, "moved.py", """\
        def keep():
            return "kept"
        """)
    write(project, "gone.py", "X = 1\n")
    write(project, "main.py", "import app, moved\napp.old(1)\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "feature")
    write(project, "app.py", """\
        def old(x):
            return x + 1


        def new(flag):
            if flag:
                return "yes"
            return "no"


        def never():
            a = 1
            b = 2
            return a + b
        """)
    git(project, "mv", "moved.py", "renamed.py")
    write(project, "renamed.py", """\
        def keep():
            return "kept"


        def added_after_rename():
            return "new"
        """)
    git(project, "rm", "-q", "gone.py")
    write(project, "tools/script.py", "print('not measured')\n")
    write(project, "main.py", "import app, renamed\napp.old(1)\napp.new(True)\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "feature work")
    write(project, "app.py", (project / "app.py").read_text() + "\n\nUNCOMMITTED = 1\n")
    assert ccov("run", "--source=.", "--omit=tools/*", "main.py", cwd=project).returncode == 0
    return project


def test_changed_lines_coverage(repo):
    result = ccov("diff", "--base", "main", cwd=repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Diff coverage against main (merge base ")
    # app.py: new() (5-8), never() (11-14) and the uncommitted line 17 changed; never() did not run
    assert "app.py      5 of 9 changed statements covered (55.6%); not covered: 8, 12-14" in result.stdout
    assert "main.py     2 of 2 changed statements covered (100.0%)" in result.stdout
    # too different for git to call it a rename: all of it is new, and keep() never ran
    assert "renamed.py  2 of 4 changed statements covered (50.0%); not covered: 2, 6" in result.stdout
    assert "Changed Python files without coverage data: tools/script.py" in result.stdout
    assert "gone.py" not in result.stdout
    assert lines[-1] == "TOTAL       9 of 15 changed statements covered (60.0%)"


def test_fail_under_and_github_annotations(repo):
    failed = ccov("diff", "--base=main", "--fail-under=80", "--format=github", cwd=repo)
    assert failed.returncode == 2
    assert "diff coverage 60% is below --fail-under=80% (short by 20 points)" in failed.stderr
    annotations = [line for line in failed.stdout.splitlines() if line.startswith("::warning")]
    assert annotations == [
        "::warning file=app.py,line=8,endLine=8,title=Not covered by tests::Changed line 8 of app.py not covered by tests",
        "::warning file=app.py,line=12,endLine=14,title=Not covered by tests::Changed lines 12-14 of app.py not covered by tests",
        "::warning file=renamed.py,line=2,endLine=2,title=Not covered by tests::Changed line 2 of renamed.py not covered by tests",
        "::warning file=renamed.py,line=6,endLine=6,title=Not covered by tests::Changed line 6 of renamed.py not covered by tests",
    ]
    assert ccov("diff", "--base=main", "--fail-under=60", cwd=repo).returncode == 0


def test_annotation_escaping():
    assert _escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert _escape_property("dir,with:odd%name") == "dir%2Cwith%3Aodd%25name"


def test_default_base_and_missing_base(repo):
    local = ccov("diff", cwd=repo)  # no remote: main
    assert local.returncode == 0 and local.stdout.startswith("Diff coverage against main ")
    missing = ccov("diff", "--base", "no-such-branch", cwd=repo)
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "ccov: error: the base 'no-such-branch' is not in this repository; fetch it first "
        "(`git fetch origin no-such-branch`)"
    )


def test_the_default_base_is_the_default_branch_not_the_upstream(repo, tmp_path):
    """A pushed feature branch's upstream is its own copy on the remote:
    compared with it, nothing had changed and any gate passed (#39).  The
    default is the merge base with the remote's default branch, as
    diff-cover's origin/main."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "fetch", "-q", "origin")
    git(repo, "remote", "set-head", "origin", "main")  # as `git clone` sets it
    git(repo, "branch", "-q", "--set-upstream-to", "origin/feature")
    result = ccov("diff", "--fail-under", "100", cwd=repo)
    assert result.stdout.startswith("Diff coverage against origin/main (merge base "), result.stdout
    assert result.returncode == 2, result.stdout + result.stderr
    assert "No changed statements" not in result.stdout
    # Without origin/HEAD (a remote added by hand), origin/main still serves.
    git(repo, "remote", "set-head", "origin", "--delete")
    assert ccov("diff", cwd=repo).stdout.startswith("Diff coverage against origin/main ")


def test_shallow_clone_without_the_base(repo, tmp_path):
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(shallow))
    (shallow / ".ccov").write_bytes((repo / ".ccov").read_bytes())
    result = ccov("diff", "--base", "origin/release", cwd=shallow)
    assert result.returncode == 1
    assert "shallow clone" in result.stderr and "`git fetch origin release`" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_parse_diff_handles_renames_deletions_and_quoting():
    text = textwrap.dedent("""\
        diff --git a/old name.py b/new name.py
        similarity index 90%
        rename from old name.py
        rename to new name.py
        --- a/old name.py
        +++ b/new name.py
        @@ -3,0 +4,2 @@ def f():
        +x
        +y
        diff --git a/gone.py b/gone.py
        deleted file mode 100644
        --- a/gone.py
        +++ /dev/null
        @@ -1 +0,0 @@
        -X = 1
        diff --git a/one.py b/one.py
        --- a/one.py
        +++ b/one.py
        @@ -10 +10 @@
        -a
        +b
        @@ -20,2 +20,0 @@
        -c
        -d
    """)
    assert parse_diff(text) == {"new name.py": {4, 5}, "one.py": {10}}


ODD_NAMES = ["with space.py", 'quote"d.py', "back\\slash.py", "caf\u00e9 au lait.py"]


def test_changed_files_with_odd_names_are_all_counted(project):
    """git ends a name holding a space with a tab, and C-quotes one holding
    a quote or a backslash: such files were dropped from `ccov diff` (and
    from --ccov-affected, which reads the same diffs)."""
    git(project, "init", "-q", "-b", "main")
    for name in ODD_NAMES:
        write(project, name, "def f():\n    return 1\n")
    imports = "".join(f"__import__('importlib').import_module({name[:-3]!r}).f()\n" for name in ODD_NAMES)
    write(project, "main.py", "import sys\nsys.path.insert(0, '.')\n" + imports)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "feature")
    for name in ODD_NAMES:
        write(project, name, "def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    git(project, "commit", "-qam", "g everywhere")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    result = ccov("diff", "--base", "main", cwd=project)
    assert result.returncode == 0, result.stderr
    for name in ODD_NAMES:  # `def g` ran at import, its body never did
        assert re.search(re.escape(name) + r" +1 of 2 changed statements covered", result.stdout), (name, result.stdout)
    assert result.stdout.splitlines()[-1].split()[1:4] == ["4", "of", "8"]


def test_the_diff_reader_takes_gits_own_quoting(project):
    from ccov.changes import gitdiff

    git(project, "init", "-q", "-b", "main")
    names = [*ODD_NAMES, "tab\there.py", "new line\n.py"]
    for name in names:
        (project / name).write_text("a\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    for name in names:
        (project / name).write_text("a\nb\n")
    changes = gitdiff.parse(gitdiff.git("diff", "--unified=0", "HEAD", cwd=str(project)))
    assert sorted((c.old_path, c.new_path, c.new_lines) for c in changes) == sorted((n, n, {2}) for n in names)


def test_same_changed_line_coverage_as_diff_cover(repo):
    assert ccov("lcov", cwd=repo).returncode == 0
    done = run([sys.executable, "-m", "diff_cover.diff_cover_tool", "lcov.info", "--compare-branch=main",
                "--json-report", "dc.json"], repo, env=GIT_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    theirs = json.loads((repo / "dc.json").read_text())
    ours = ccov("diff", "--base", "main", "--format=markdown", cwd=repo).stdout
    assert f"**{theirs['total_percent_covered']:.1f}%**" in ours or f"**{theirs['total_percent_covered']}.0%**" in ours
    for name, stats in theirs["src_stats"].items():
        if stats["violation_lines"]:
            from ccov.reports.ranges import format_ranges

            statements = set(stats["violation_lines"]) | set(stats.get("covered_lines", []))
            assert f"| {name} |" in ours
            assert format_ranges(sorted(statements), stats["violation_lines"]) in ours
    assert theirs["total_num_lines"] == 15 and theirs["total_num_violations"] == 6


def test_diff_step_summary(repo, tmp_path):
    summary = tmp_path / "summary.md"
    result = ccov("diff", "--base=main", "--step-summary", cwd=repo, env=clean_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert result.returncode == 0
    text = summary.read_text()
    assert text.startswith("**Diff coverage** against `main`: **60.0%** (9 of 15 changed statements)")
    assert "| app.py | 9 | 5 | 8, 12-14 |" in text
