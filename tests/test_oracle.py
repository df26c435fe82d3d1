"""ccov must give coverage.py's numbers: statements, executed and excluded lines,
file by file, on programs that exercise every construct."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import assert_ran_as_python_does, ccov, ccov_files, clean_env, coverage_json, run

CASES = {
    "basics": ["basics.py"],
    "generators": ["generators.py"],
    "control": ["control.py"],
    "threads_exec": ["threads_exec.py"],
    "exit_in_function": ["exit_in_function.py"],
    "uncaught": ["uncaught.py"],
    "package": ["uses_package.py"],
    "package_source": ["--source=sample_pkg", "uses_package.py"],
    # A plain directory (no __init__.py): its never-run files are reported too.
    "directory_source": ["--source=plain_dir", "uses_plain_dir.py"],
    "module": ["-m", "uses_package"],
    "branches_real": ["branches_real.py"],
}


def compare(ours: dict, theirs: dict) -> None:
    assert sorted(ours) == sorted(theirs), "measured files differ"
    for name, entry in theirs.items():
        mine = ours[name]
        statements = set(entry["executed_lines"]) | set(entry["missing_lines"])
        assert sorted(mine.statements) == sorted(statements), f"{name}: statements"
        assert sorted(mine.executed) == entry["executed_lines"], f"{name}: executed lines"
        assert sorted(mine.missing) == entry["missing_lines"], f"{name}: missing lines"
        assert sorted(mine.excluded) == entry["excluded_lines"], f"{name}: excluded lines"


# How the collector finds measured code: a code watcher (the default), or
# PY_START enabled globally (the fallback when no watcher slot is free).
CORES = ["watcher", "pystart"]


@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_lines_as_coverage_py(programs, case, core):
    args = CASES[case]
    ran = ccov("run", *args, cwd=programs, env=clean_env(CCOV_CORE=core))
    assert_ran_as_python_does(ran, args, programs)
    theirs = coverage_json(programs, args)
    assert theirs, "coverage.py measured nothing"
    compare(ccov_files(programs), theirs)


def test_functions_match_coverage_py_regions(programs):
    """Every function coverage.py reports appears in ccov's results with the same hit state."""
    ccov("run", "control.py", cwd=programs)
    theirs = coverage_json(programs, ["control.py"])["control.py"]["functions"]
    ours = {f.name: f for f in ccov_files(programs)["control.py"].functions}
    for name, entry in theirs.items():
        if not name or entry["summary"]["num_statements"] == 0:
            continue
        assert name in ours, name
        assert ours[name].statements == entry["summary"]["num_statements"], name
        assert ours[name].hit == (entry["summary"]["covered_lines"] > 0), name


def test_modules_imported_from_a_zip_file_are_measured(programs):
    """coverage.py reports a module zipimport loaded from an archive under the
    measured directory (named `archive.zip/mod.py`); ccov did not measure it."""
    import zipfile

    with zipfile.ZipFile(programs / "lib.zip", "w") as archive:
        archive.writestr("zmod.py", "def f(x):\n    if x:\n        return 1\n    return 2\n")
        archive.writestr("zpkg/__init__.py", "from .inner import g\n")
        archive.writestr("zpkg/inner.py", "def g():\n    return 3\n")
    (programs / "zipped.py").write_text("import sys\nsys.path.insert(0, 'lib.zip')\nimport zmod, zpkg\nzmod.f(1)\n")
    from test_branch_oracle import compare_branches

    ran = ccov("run", "--branch", "zipped.py", cwd=programs)
    assert ran.returncode == 0, ran.stderr
    theirs = coverage_json(programs, ["zipped.py"], branch=True)
    assert "lib.zip/zmod.py" in theirs and "lib.zip/zpkg/inner.py" in theirs
    compare_branches(ccov_files(programs), theirs)


DUPLICATED_RETURN = """\
def first_true(items):
    for item in items:
        if item:
            break
    return item


first_true([0])
"""


def test_a_return_after_a_loop_that_ran_to_its_end(project):
    """3.14+ fires no LINE event for `return item` here (the compiler
    duplicated the return block for the loop's end), and coverage.py's line
    mode reports line 5 missing: plainly wrong, it ran (its branch mode counts
    it, from the PY_RETURN event).  ccov counts it on every Python, in both
    modes, from PY_RETURN on 3.14+."""
    (project / "dup.py").write_text(DUPLICATED_RETURN)
    for mode in ([], ["--branch"]):
        assert ccov("run", *mode, "dup.py", cwd=project).returncode == 0
        assert ccov_files(project)["dup.py"].missing == {4}, mode
    coverage = [sys.executable, "-m", "coverage"]
    run(coverage + ["run", "dup.py"], project)
    run(coverage + ["json", "-o", "lines.json"], project)
    theirs = json.loads((project / "lines.json").read_text())["files"]["dup.py"]["missing_lines"]
    assert theirs == ([4, 5] if sys.version_info >= (3, 14) else [4])


def long_tables_program() -> str:
    """Code whose lines CPython would look up from the start of the line
    table on every LINE event (a line more than ~126 lines past where its
    offset puts it), so that the collector measures it by INSTRUCTION
    events: a module, a class body and a function, each with a long table of
    one entry a line, then control flow the line table must still follow."""
    table = "".join(f"    'k{i}': {i},\n" for i in range(300))
    return (
        "import sys\n"
        f"TABLE = {{\n{table}}}\n"
        "if len(TABLE) > 10:\n    big = True\nelse:\n    big = False\n"
        "for key in list(TABLE)[:3]:\n    if key == 'k1':\n        continue\n    last = key\n"
        "n = 0\nwhile True:\n    n += 1\n    if n > 2:\n        break\n"
        "try:\n    {}['missing']\nexcept KeyError:\n    caught = 1\nelse:\n    caught = 0\n"
        "with open(__file__) as f:\n    first = f.readline()\n"
        "squares = [i * i for i in range(5)]\n"
        "class Holder:\n"
        f"    ROWS = {{\n{table}    }}\n"
        "    if big:\n        size = len(ROWS)\n    else:\n        size = 0\n"
        "def lookup(name, strict):\n"
        f"    rows = {{\n{table}    }}\n"
        "    if name in rows:\n        return rows[name]\n"
        "    if strict:\n        raise KeyError(name)\n"
        "    return None\n"
        "lookup('k5', True)\nlookup('nope', False)\n"
        "def never():\n    return 1\n"
        "if sys.argv[-1] == 'stop':\n    sys.exit(0)\n"
        "done = True\n"
    )


@pytest.mark.parametrize("core", CORES)
def test_code_measured_by_instruction_gives_coverage_py_lines(programs, core):
    (programs / "long_tables.py").write_text(long_tables_program())
    ran = ccov("run", "long_tables.py", cwd=programs, env=clean_env(CCOV_CORE=core, CCOV_STATS="1"))
    assert ran.returncode == 0, ran.stderr
    stats = dict(item.split("=") for item in ran.stderr.split(":", 1)[1].split())
    # The module, the class body and the function: else this tests LINE
    # events.  Never in the PY_START fallback (csrc/codestate.c, by_instruction).
    assert int(stats["codes_by_instruction"]) == (0 if core == "pystart" else 3)
    compare(ccov_files(programs), coverage_json(programs, ["long_tables.py"]))
