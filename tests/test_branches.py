"""Branch coverage end to end: every report carries branch data, the gate
counts statements and branches together, combining merges arcs, and the
pytest plugin, configuration, child processes and contexts all measure
branches.  coverage.py --branch is the oracle wherever it has an answer."""

from __future__ import annotations

import json
import re
import sys
import textwrap

import jsonschema
import pytest
from conftest import ccov, ccov_files, clean_env, coverage_json, genhtml, lcov_summary, lcov_tools, run
from test_ci_formats import report_schema, validate_dtd

APP = """\
def classify(n):
    if n < 0:
        return "negative"
    for i in range(n):
        if i == 3:
            break
    else:
        return "short"
    return "long"


def unused(flag):
    if flag:
        return 1
    return 2
"""


@pytest.fixture
def measured(project):
    (project / "app.py").write_text(APP)
    (project / "main.py").write_text("import app\napp.classify(2)\napp.classify(9)\n")
    assert ccov("run", "--branch", "main.py", cwd=project).returncode == 0
    return project


def coverage_report(cwd, *args) -> str:
    run([sys.executable, "-m", "coverage", "run", "--branch", "main.py"], cwd)
    return run([sys.executable, "-m", "coverage", "report", *args], cwd).stdout


def test_terminal_table_is_coverage_pys(measured):
    ours = ccov("report", "-m", cwd=measured).stdout
    assert "Branch BrPart" in ours
    assert ours == coverage_report(measured, "-m")


def test_markdown_table_has_branch_columns(measured):
    table = ccov("report", "--format", "markdown", cwd=measured).stdout
    header, rule, *_ = table.splitlines()
    assert header == "| Name | Stmts | Miss | Branch | BrPart | Cover |"
    assert rule == "| --- | ---: | ---: | ---: | ---: | ---: |"


def test_fail_under_counts_statements_and_branches(measured):
    from ccov.model.results import Totals

    totals = Totals()
    for entry in ccov_files(measured).values():
        totals.add(entry)
    lines_only = 100 * totals.executed / totals.statements
    combined = totals.percent
    assert combined < lines_only  # the gate below must depend on the branches
    between = (combined + lines_only) / 2
    assert ccov("report", f"--fail-under={between}", cwd=measured).returncode == 2
    assert ccov("report", f"--fail-under={combined - 1}", cwd=measured).returncode == 0


def test_lcov_has_numeric_branch_records(measured):
    assert ccov("lcov", cwd=measured).returncode == 0
    text = (measured / "lcov.info").read_text()
    app = text.split("SF:app.py\n")[1].split("end_of_record")[0]
    records = re.findall(r"^BRDA:(\d+),(\d+),(\d+),([01-])$", app, re.M)
    assert len(records) == len(re.findall("^BRDA:", app, re.M))  # every one numeric
    entry = ccov_files(measured)["app.py"]
    assert len(records) == entry.n_branches
    taken = sum(1 for *_, hit in records if hit == "1")
    assert f"BRF:{len(records)}\nBRH:{taken}\n" in app
    never_run = {int(line) for line, _, _, hit in records if hit == "-"}
    assert never_run == {13}  # unused(): its branch line never ran


def _lcov_branches(text: str) -> dict:
    """{SF: (sorted (line, hit) of its BRDA records, BRF, BRH)}."""
    found = {}
    for record in text.split("end_of_record")[:-1]:
        name = re.search(r"^SF:(.*)$", record, re.M).group(1)
        hits = sorted((int(line), hit) for line, hit in re.findall(r"^BRDA:(\d+),[^,]*,.*,([0-9]+|-)$", record, re.M))
        brf, brh = (int(re.search(rf"^{key}:(\d+)$", record, re.M).group(1)) for key in ("BRF", "BRH"))
        found[name] = (hits, brf, brh)
    return found


def test_lcov_branch_records_and_counts_are_coverage_pys(programs):
    """BRF and BRH are the results model's counts, and the BRDA records the
    arcs it lists as taken or missing, as in coverage.py's lcov.  The lcov
    writer recounted them itself, and disagreed on `# pragma: no branch`."""
    assert ccov("run", "--branch", "branches.py", cwd=programs).returncode == 0
    assert ccov("lcov", "-o", "ccov.info", cwd=programs).returncode == 0
    coverage = [sys.executable, "-m", "coverage"]
    run(coverage + ["run", "--branch", "branches.py"], programs)
    assert run(coverage + ["lcov", "-o", "cov.info"], programs).returncode == 0
    ours, theirs = (_lcov_branches((programs / name).read_text()) for name in ("ccov.info", "cov.info"))
    assert ours == theirs
    entry = ccov_files(programs)["branches.py"]
    assert ours["branches.py"][1:] == (entry.n_branches, entry.n_taken)


@pytest.mark.parametrize("tool", lcov_tools(), ids=lambda tool: f"lcov{tool[0]}" if isinstance(tool, tuple) else tool)
def test_lcov_tool_and_genhtml_read_branches(measured, tool):
    """lcov 1.16 (Debian 12) and lcov 2.x (sid, through sid-run) read the
    branch records, and genhtml --branch-coverage accepts them (2.x checks
    more: it rejected tracefiles of real projects)."""
    ccov("lcov", cwd=measured)
    entry = ccov_files(measured)["app.py"]
    assert lcov_summary(tool, measured, branches=True)["branches"] == (entry.n_taken, entry.n_branches)
    done = genhtml(tool, measured, branches=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_xml_carries_branch_rates_and_stays_valid(measured):
    assert ccov("xml", cwd=measured).returncode == 0
    root = validate_dtd(measured / "coverage.xml").getroot()
    entry = ccov_files(measured)["app.py"]
    assert root.get("branches-valid") == str(entry.n_branches)
    assert root.get("branches-covered") == str(entry.n_taken)
    app = next(c for c in root.iter("class") if c.get("filename") == "app.py")
    lines = {int(element.get("number")): element for element in app.find("lines")}
    assert lines[2].get("condition-coverage") == "50% (1/2)"
    assert lines[5].get("branch") == "true" and lines[5].get("condition-coverage") == "100% (2/2)"
    assert lines[13].get("condition-coverage") == "0% (0/2)"
    assert lines[3].get("branch", "false") == "false"


def test_json_branches_match_coverage_py_and_the_schema(measured):
    assert ccov("json", cwd=measured).returncode == 0
    ours = json.loads((measured / "coverage.json").read_text())
    jsonschema.validate(ours, report_schema())
    assert ours["meta"]["branch_coverage"] is True
    theirs = coverage_json(measured, ["main.py"], branch=True)["app.py"]
    assert ours["files"]["app.py"]["executed_branches"] == theirs["executed_branches"]
    assert ours["files"]["app.py"]["missing_branches"] == theirs["missing_branches"]
    assert ours["files"]["app.py"]["summary"] == theirs["summary"]


def test_html_marks_partial_lines_and_what_they_missed(project):
    (project / "app.py").write_text("def f(x):\n    if x:\n        x += 1\n    return x\n\n\nf(1)\n")
    (project / "main.py").write_text("import app\n")
    ccov("run", "--branch", "main.py", cwd=project)
    assert ccov("html", cwd=project).returncode == 0
    index = (project / "htmlcov" / "index.html").read_text()
    assert "<button>Branches</button>" in index and "<button>Partial</button>" in index
    page = next((project / "htmlcov").glob("*app_py*.html")).read_text()
    line = re.search(r'<div class="line ([a-z]*)" id="L2">.*?</div>', page)
    assert line[1] == "par" and "never went to line 4" in line[0]
    assert re.search(r'<div class="line run" id="L3">', page)


def test_combine_merges_arcs_as_coverage_py_does(project):
    (project / "app.py").write_text(APP)
    (project / "main.py").write_text("import sys, app\napp.classify(int(sys.argv[1]))\n")
    for argument in ("-1", "9"):
        assert ccov("run", "--branch", "-p", "main.py", argument, cwd=project).returncode == 0
        run([sys.executable, "-m", "coverage", "run", "--branch", "-p", "main.py", argument], project)
    assert ccov("combine", cwd=project).returncode == 0
    run([sys.executable, "-m", "coverage", "combine"], project)
    ours = ccov_files(project)["app.py"]
    theirs = json.loads(run([sys.executable, "-m", "coverage", "json", "-o", "-"], project).stdout)["files"]["app.py"]
    assert sorted([line, to] for line, tos in ours.taken.items() for to in tos) == theirs["executed_branches"]
    assert [list(arc) for arc in ours.missing_arcs] == theirs["missing_branches"]


def test_line_data_and_branch_data_do_not_combine(project):
    (project / "main.py").write_text("x = 1\nif x:\n    x = 2\n")
    ccov("run", "-p", "main.py", cwd=project)
    ccov("run", "--branch", "-p", "main.py", cwd=project)
    result = ccov("combine", cwd=project)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cannot combine" in result.stderr
    assert "Traceback" not in result.stderr


def test_append_of_the_other_kind_keeps_this_runs_data(project):
    (project / "main.py").write_text("x = 1\nif x:\n    x = 2\n")
    ccov("run", "main.py", cwd=project)
    result = ccov("run", "--branch", "-a", "main.py", cwd=project)
    assert "cannot combine" in result.stderr and "saved to" in result.stderr
    kept = [p for p in project.iterdir() if p.name.startswith(".ccov.")]
    assert len(kept) == 1
    from ccov.data import datafile

    assert datafile.read(str(kept[0])).branches


def test_branch_setting_in_pyproject(project):
    (project / "pyproject.toml").write_text("[tool.ccov]\nbranch = true\n")
    (project / "main.py").write_text("def f(x):\n    if x:\n        return 1\n\n\nf(0)\n")
    ccov("run", "main.py", cwd=project)
    entry = ccov_files(project)["main.py"]
    assert entry.branches == {2: (-1, 3)} and entry.taken == {2: frozenset({-1})}


def test_child_processes_measure_branches(project):
    (project / "child.py").write_text("import sys\nif len(sys.argv) > 1:\n    x = 1\n")
    (project / "main.py").write_text("import subprocess, sys\nsubprocess.run([sys.executable, 'child.py', 'a'])\n")
    assert ccov("run", "--branch", "main.py", cwd=project).returncode == 0
    entry = ccov_files(project)["child.py"]
    assert entry.taken == {2: frozenset({3})} and entry.partial_lines == [2]


def test_pytest_plugin_branches_equal_pytest_cov(sample_project):
    ours = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ccov=calc", "--ccov-branch",
                "--ccov-report=json", "-n", "2"], sample_project)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    theirs = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov=calc", "--cov-branch",
                  "--cov-report=json:theirs.json"], sample_project)
    assert theirs.returncode == 0, theirs.stdout
    mine = json.loads((sample_project / "coverage.json").read_text())["files"]
    other = json.loads((sample_project / "theirs.json").read_text())["files"]
    assert sorted(mine) == sorted(other)
    for name, entry in other.items():
        assert mine[name]["executed_branches"] == entry["executed_branches"], name
        assert mine[name]["missing_branches"] == entry["missing_branches"], name


def test_contexts_keep_arcs_per_test(sample_project):
    done = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ccov=calc", "--ccov-branch",
                "--ccov-context=test", "--ccov-report="], sample_project)
    assert done.returncode == 0, done.stdout
    from ccov.data import datafile

    data = datafile.read(str(sample_project / ".ccov"))
    per_test = {context for entry in data.files.values() for context, arcs in entry.arcs.items() if arcs} - {""}
    assert len(per_test) > 1 and all("::" in context for context in per_test)
    # Each test's arcs were recorded again in its own context, not only in the first.
    counts = [len(arcs) for entry in data.files.values() for arcs in entry.arcs.values()]
    assert sum(counts) > len(set().union(*(entry.all_arcs() for entry in data.files.values())))


def test_collector_releases_branch_events_at_stop(project):
    (project / "main.py").write_text(
        "import sys\n"
        "from ccov.measuring.collector import Collector\n"
        "c = Collector(lambda name: name.endswith('main.py'), branch=True)\n"
        "c.start()\n"
        "def f(x):\n    if x:\n        return 1\n    return 2\n"
        "f(1)\n"
        "tool = c.tool_id\n"
        "c.stop()\n"
        "m = sys.monitoring\n"
        "assert m.get_tool(tool) is None\n"
        "assert m.get_local_events(tool, f.__code__) == 0, m.get_local_events(tool, f.__code__)\n"
        "assert m.get_events(tool) == 0\n"
        "m.use_tool_id(tool, 'probe')\n"
        "for event in (m.events.BRANCH, m.events.PY_RETURN, m.events.PY_UNWIND, m.events.LINE, m.events.JUMP):\n"
        "    assert m.register_callback(tool, event, None) is None, event\n"
        "print('released')\n"
    )
    result = run([sys.executable, "main.py"], project)
    assert result.stdout.strip() == "released", result.stderr


def assert_few_branch_events(project) -> None:
    """`ccov run --branch main.py` saw fewer than 20 BRANCH events in all
    (CCOV_STATS counts them): each hot branch of the tests below runs
    100,000 times."""
    result = ccov("run", "--branch", "main.py", cwd=project, env=clean_env(CCOV_STATS="1"))
    events = int(re.search(r"branch_events=(\d+)", result.stderr)[1])
    assert events < 20, result.stderr


def test_a_hot_one_way_branch_stops_calling_back(project):
    """A branch that always goes the same way into a line only it leads to
    costs one event, not one per iteration (CCOV_STATS counts them)."""
    (project / "main.py").write_text(
        "def check(i):\n    if i >= 0:\n        return i\n    raise ValueError(i)\n\n\n"
        "def main():\n    for i in range(100000):\n        check(i)\n    return 0\n\n\n"
        "def search(n):\n    while n:\n        n -= 1\n        if n < 5:\n            return n\n\n\n"
        "def last_loop(items):\n    for item in items:\n        check(item)\n\n\n"
        "main()\nsearch(100000)\nlast_loop(range(100000))\n"
    )
    assert_few_branch_events(project)
    entry = ccov_files(project)["main.py"]
    assert entry.taken[2] == frozenset({3})
    # A loop whose end leaves the function is proved by its own return.
    assert entry.taken[14] == frozenset({15}) and -13 in entry.branches[14]
    assert entry.taken[21] == frozenset({22, -20})


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="3.14+ disables each direction on its own")
def test_an_if_that_ends_a_loop_body_and_always_holds_stops_calling_back(project):
    """The way back to the loop's head from an `if` that ends its body is a
    join (the loop's line), so no LINE event proves it, and on 3.12/3.13
    the BRANCH location, which carries both ways, kept calling back on every
    iteration while that way never came (chaos in pyperformance: 20,000
    events a run).  The jump back is that way's alone: its JUMP event proves
    it, once."""
    (project / "main.py").write_text(
        "def total(items):\n    sum = 0\n    for item in items:\n        if item >= 0:\n            sum += item\n"
        "    return sum\n\n\n"
        "def odd(items):\n    sum = 0\n    for item in items:\n        if item % 2:\n            sum += item\n"
        "    return sum\n\n\n"
        "total(range(100000))\nodd(range(10))\n"
    )
    assert_few_branch_events(project)
    entry = ccov_files(project)["main.py"]
    assert entry.taken[4] == frozenset({5}) and set(entry.branches[4]) == {3, 5}
    # The way back, when it comes, is recorded from its jump.
    assert entry.taken[12] == frozenset({11, 13})
    assert ccov("json", "-o", "ccov.json", cwd=project).returncode == 0
    ours = json.loads((project / "ccov.json").read_text())["files"]["main.py"]
    theirs = coverage_json(project, ["main.py"], branch=True)["main.py"]
    assert ours["executed_branches"] == theirs["executed_branches"]
    assert ours["missing_branches"] == theirs["missing_branches"]


def test_code_that_cannot_branch_records_no_arcs(project):
    """An arc is recorded only in code that can go two ways: a function
    without a branch used to record every step (2 -> 3, 3 -> 4), which no
    report counts (on 3.14+ until 27 November).  A one-line body on a `def`
    line is still a branch of the code around it, and keeps both its ways."""
    (project / "main.py").write_text(
        "def straight(x):\n    y = x + 1\n    z = y * 2\n    return z\n\n\n"
        "def body(q): return q\n\n\n"
        "def branchy(x):\n    if x:\n        return 1\n    return 2\n\n\n"
        "straight(1)\nbody(2)\nbranchy(3)\n"
    )
    assert ccov("run", "--branch", "main.py", cwd=project).returncode == 0
    from ccov.data import datafile

    arcs = datafile.read(str(project / ".ccov")).files[str(project / "main.py")].all_arcs()
    assert not {(a, b) for a, b in arcs if 2 <= a <= 4 or 2 <= b <= 4}, sorted(arcs)
    assert (11, 12) in arcs
    entry = ccov_files(project)["main.py"]
    assert entry.taken[7] == frozenset({10, -7}) and entry.taken[11] == frozenset({12})


def test_a_function_first_called_near_the_recursion_limit_keeps_its_branches(project):
    """The branch table of a code object is read when it first runs; near
    the recursion limit that failed and the function had no branch data for
    the whole run."""
    (project / "deep.py").write_text(textwrap.dedent("""\
        import sys
        def late(x):
            if x:
                return 1
            return 2
        def probe(n):
            try:
                return probe(n + 1)
            except RecursionError:
                return n
        room = probe(0)
        def down(n):
            if n == 0:
                return late(1)
            return down(n - 1)
        down(room - 3)
        late(0)
    """))
    result = ccov("run", "--branch", "deep.py", cwd=project)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    entry = ccov_files(project)["deep.py"]
    assert entry.taken[3] == {4, 5}
    assert entry.n_missing_branches == 0


GC_FINALIZED = """\
import gc


def stream():
    try:
        yield 1
        yield 2
    except Exception:
        raise


class Holder:
    pass


def make_garbage():
    holder = Holder()
    holder.itself = holder
    holder.stream = stream()
    next(holder.stream)


def first_call(x):
    if x:
        return 1
    return 2


gc.collect()
gc.disable()
make_garbage()
gc.set_threshold(100)
gc.enable()
first_call(1)
gc.collect()
"""


@pytest.mark.parametrize("core", ["watcher", "pystart"])
def test_a_line_run_by_the_garbage_collector_inside_a_callback_is_kept(project, core):
    """The collector runs Python code when a code object first runs (its branch
    table; with the PY_START core, its file decision too).  A garbage
    collection during that call closed a half-read generator while the
    thread's events were suppressed, and its `except` line, which ran, was
    reported missing (jinja2's Template.generate, #21).  The threshold makes
    the collection come due inside the table builder's allocations."""
    (project / "gcfin.py").write_text(GC_FINALIZED)
    for branch in ([], ["--branch"]):
        result = ccov("run", *branch, "gcfin.py", cwd=project, env=clean_env(CCOV_CORE=core))
        assert result.returncode == 0 and result.stderr == "", result.stderr
        entry = ccov_files(project)["gcfin.py"]
        assert 8 in entry.executed, branch  # except Exception: (GeneratorExit passes through)
        assert entry.missing == {7, 9, 26}, branch


@pytest.mark.parametrize("tool", lcov_tools(), ids=lambda tool: f"lcov{tool[0]}" if isinstance(tool, tuple) else tool)
def test_a_branch_line_that_ran_but_went_nowhere_is_accepted_by_genhtml(project, tool):
    """A condition that raised every time: its line ran, neither arc was
    taken.  lcov 2.x's genhtml rejected such a tracefile ("line is hit but
    no branches on line have been evaluated", boltons' suite); the line now
    has no BRDA records, and its two arcs still count, missed, in BRF."""
    (project / "raiser.py").write_text(
        "def f(x):\n    try:\n        if int(x):\n            return 1\n        return 2\n    except ValueError:\n"
        "        return 3\n\nf('a')\n"
    )
    assert ccov("run", "--branch", "raiser.py", cwd=project).returncode == 0
    assert ccov("lcov", cwd=project).returncode == 0
    record = (project / "lcov.info").read_text()
    assert "DA:3,1" in record and "BRDA:3," not in record
    entry = ccov_files(project)["raiser.py"]
    assert f"BRF:{entry.n_branches}\nBRH:{entry.n_taken}\n" in record and entry.n_branches == 2
    done = genhtml(tool, project, branches=True)
    assert done.returncode == 0, done.stdout + done.stderr
