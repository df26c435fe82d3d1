"""ccov's benchmarks: ccov against no coverage, coverage.py (its C tracer and its
sys.monitoring core) and SlipCover, on the same workloads in one run.

    ./dev bench [3.12|3.13] [--rounds N] [--only fannkuch,nbody] [--sections pyperformance,suite,...]

Sections (all by default):
  pyperformance  pure-Python pyperformance benchmarks, each run in one process
                 (bench/pyperf_shim), every tool interleaved, --rounds rounds
  branches       the same benchmarks measuring branches: ccov --branch against
                 coverage.py --branch (its C tracer, and from 3.14 on its
                 sys.monitoring core) and SlipCover --branch
  suite          toolz's own test suite (from its sdist): pytest, pytest --ccov, pytest --cov,
                 timed and with each run's peak RSS
  suites         the suites of attrs, click and boltons (pinned in tests/realcode.py): bare
                 pytest, --ccov and --cov, in line and in branch mode
  affected       tests chosen for one-function changes to toolz: --ccov-affected against
                 pytest-testmon (share of tests selected, time to decide)
  startup        `ccov run` of an empty script against `python` of it, timed and (with
                 valgrind) counted in instructions
  unwind         exceptions in code that is not measured: ccov in line and branch mode
                 (3.12/3.13 branch mode needs the global PY_UNWIND event)
  processes      what ccov-subprocess.pth costs a process that is not measured, and
                 `ccov combine` of 10,000 data files
  reporting      report, lcov and html of a generated 2,000-file, 500,000-statement
                 project: ccov against coverage.py

Figures are medians of interleaved rounds, as ratios to "no coverage".  Raw
numbers go to bench/results/<python>.json (compare runs with --compare OLD.json),
the Markdown tables to bench/results/<python>.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tables  # bench/tables.py: the tables into docs/performance.md

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
import realcode  # noqa: E402 - tests/realcode.py: the pinned libraries the oracle tests run

WORK = HERE / ".work"
PYTHON = sys.executable
PYVER = "{}.{}.{}".format(*sys.version_info[:3])

BENCHMARKS = [
    "chaos", "deltablue", "fannkuch", "float", "go", "hexiom", "mdp", "nbody",
    "nqueens", "pprint", "raytrace", "richards", "scimark", "spectral_norm",
]
# SlipCover has no release for 3.15 yet (bench/requirements.txt): left out there.
SLIPCOVER = sys.version_info < (3, 15)
TOOLS = ["none", "ccov", "coverage-ctrace", "coverage-sysmon"] + (["slipcover"] if SLIPCOVER else [])
# coverage.py's sys.monitoring core measures branches from 3.14 on (BRANCH_LEFT/RIGHT).
BRANCH_TOOLS = ["none", "ccov-branch", "coverage-ctrace-branch"] + (
    ["coverage-sysmon-branch"] if sys.version_info >= (3, 14) else []) + (["slipcover-branch"] if SLIPCOVER else [])
TARGET_SECONDS = 0.6


def clean_env(**extra) -> dict:
    """The environment for a measured run: no tool's settings, and bytecode
    caches written and read as on a user's machine (a machine that sets
    PYTHONDONTWRITEBYTECODE would compile ccov's modules on every start of
    the editable install, and no installed package's)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COVERAGE", "CCOV", "PYTEST")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def measured_command(tool: str, source: Path, data: Path, program: list[str]) -> tuple[list[str], dict]:
    """The command line that runs `program` (python arguments) under `tool`
    (a `-branch` suffix measures branches too)."""
    if tool.endswith("-branch"):
        command, env = measured_command(tool[: -len("-branch")], source, data, program)
        at = 3 if command[2] == "slipcover" else 4  # after `slipcover`, or after `ccov run`/`coverage run`
        return command[:at] + ["--branch"] + command[at:], env
    if tool == "none":
        return [PYTHON, *program], clean_env()
    if tool == "ccov":
        return [PYTHON, "-m", "ccov", "run", f"--source={source}", f"--data-file={data}", *program], clean_env()
    if tool.startswith("coverage-"):
        core = tool.split("-", 1)[1]
        command = [PYTHON, "-m", "coverage", "run", f"--source={source}", f"--data-file={data}", *program]
        return command, clean_env(COVERAGE_CORE=core)
    if tool == "slipcover":
        return [PYTHON, "-m", "slipcover", "--source", str(source), "--json", "--out", str(data), *program], clean_env()
    raise ValueError(tool)


# ---- pyperformance -------------------------------------------------------------------


def benchmark_copies(names: list[str]) -> dict[str, Path]:
    """Copy the benchmarks out of site-packages: every tool leaves installed code alone."""
    import pyperformance

    source = Path(pyperformance.__file__).parent / "data-files" / "benchmarks"
    copies = {}
    for name in names:
        target = WORK / "benchmarks" / f"bm_{name}"
        if not target.exists():
            shutil.copytree(source / f"bm_{name}", target, ignore=shutil.ignore_patterns("__pycache__"))
        copies[name] = target / "run_benchmark.py"
    return copies


SHIM = HERE / "pyperf_shim"


def workload_env(env: dict, calls: int, result_file: Path) -> dict:
    """`env` for running a benchmark script itself: the pyperf shim on the
    path, `calls` benchmark calls, their seconds written to `result_file`."""
    return {**env, "PYTHONPATH": str(SHIM), "BENCH_CALLS": str(calls), "BENCH_RESULT_FILE": str(result_file)}


def executed_lines(tool: str, data: Path, script: Path) -> int:
    """How many of `script`'s lines `tool` (not "none") reports run, from the
    data it wrote: a tool that times a program it does not measure gives
    void figures (SlipCover, before 413b472, measured nothing)."""
    report = data.with_name("report.json")
    if tool.startswith("slipcover"):
        report = data
    else:
        command = ["ccov"] if tool.startswith("ccov") else ["coverage"]
        subprocess.run([PYTHON, "-m", *command, "json", f"--data-file={data}", "-o", str(report)],
                       cwd=data.parent, env=clean_env(), check=True, capture_output=True)
    files = json.loads(report.read_text())["files"]
    return sum(len(entry["executed_lines"]) for name, entry in files.items() if Path(name).name == script.name)


def run_benchmark(tool: str, script: Path, calls: int, check: bool = False) -> float:
    """Seconds of `calls` benchmark calls under `tool`; with `check`, first
    that the tool measured the script."""
    with tempfile.TemporaryDirectory() as scratch:
        result_file = Path(scratch) / "seconds"
        data = Path(scratch) / "data"
        command, env = measured_command(tool, script.parent, data, [str(script)])
        done = subprocess.run(command, cwd=scratch, env=workload_env(env, calls, result_file), capture_output=True,
                              text=True)
        if done.returncode != 0 or not result_file.exists():
            raise RuntimeError(f"{tool} {script.parent.name} failed:\n{done.stderr[-2000:]}")
        if check and tool != "none" and not executed_lines(tool, data, script):
            raise RuntimeError(f"{tool} measured none of {script}: its figures would be void")
        return float(result_file.read_text())


def bench_pyperformance(names: list[str], rounds: int, tools: list[str] = TOOLS) -> dict:
    scripts = benchmark_copies(names)
    calls = {}
    for name, script in scripts.items():
        once = run_benchmark("none", script, 1)
        calls[name] = max(1, round(TARGET_SECONDS / max(once, 1e-3)))
    times: dict[str, dict[str, list[float]]] = {n: {t: [] for t in tools} for n in names}
    for round_number in range(rounds):
        for name, script in scripts.items():
            for tool in tools:
                times[name][tool].append(run_benchmark(tool, script, calls[name], check=round_number == 0))
        print(f"  pyperformance round {round_number + 1}/{rounds} done", file=sys.stderr)
    # Marks figures whose first round checked that each tool measured the
    # script: before that check, SlipCover's were of a program it left alone.
    return {"calls": calls, "times": times, "measured_checked": True}


# ---- a real test suite ------------------------------------------------------------------


def toolz_checkout() -> Path:
    target = WORK / "toolz"
    if not target.exists():
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run(
                [PYTHON, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", scratch, "toolz==1.0.0"],
                check=True,
            )
            archive = next(Path(scratch).glob("toolz-*.tar.gz"))
            shutil.unpack_archive(archive, scratch)
            shutil.copytree(next(p for p in Path(scratch).iterdir() if p.is_dir()), target)
    return target


# Each way a suite is run; `{package}` is what --ccov/--cov measure.
SUITE_RUNS = {
    "pytest": [],
    "pytest --ccov": ["--ccov={package}", "--ccov-report="],
    "pytest --cov": ["--cov={package}", "--cov-report="],
    "pytest --ccov --ccov-context=test": ["--ccov={package}", "--ccov-report=", "--ccov-context=test"],
    "pytest --cov --cov-context=test": ["--cov={package}", "--cov-report=", "--cov-context=test"],
    "pytest --ccov --ccov-branch": ["--ccov={package}", "--ccov-report=", "--ccov-branch"],
    "pytest --cov --cov-branch": ["--cov={package}", "--cov-report=", "--cov-branch"],
}
# pytest-cov on coverage.py's fastest core for each mode: sys.monitoring,
# except for dynamic contexts, and for branches before 3.14 (BRANCH_LEFT/RIGHT),
# which coverage.py records only with its C tracer.
SUITE_CORES = {"pytest --cov --cov-context=test": "ctrace"} | (
    {} if sys.version_info >= (3, 14) else {"pytest --cov --cov-branch": "ctrace"})


def run_wait4(command: list[str], cwd: Path, env: dict, allowed: tuple = (0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process (its exit status in `allowed`)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in allowed:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}): {child.stderr.read().decode()[-2000:]}")
    child.stderr.close()
    return elapsed, usage.ru_maxrss


def callgrind_instructions(command: list[str], cwd: Path, env: dict, allowed: tuple = (0,)) -> int:
    """Instructions one child process executes, counted by callgrind (its
    exit status in `allowed`): what backs a wall-clock difference too small
    for this machine's noise."""
    counted = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    ran = subprocess.run(counted, cwd=cwd, env=env, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", ran.stderr)
    if ran.returncode not in allowed or not found:
        raise RuntimeError(f"{' '.join(command)} failed under callgrind ({ran.returncode}):\n{ran.stderr[-2000:]}")
    return int(found.group(1))


def checkout_commit() -> str:
    """The short commit of this checkout, recorded with counts; taken when a
    run starts, since the checkout may move while it counts."""
    ran = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return ran.stdout.strip()


def toolz_run(run: str) -> tuple[list[str], Path, dict]:
    """(command, folder, environment) of one of SUITE_RUNS on toolz's suite."""
    extra = [part.format(package="toolz") for part in SUITE_RUNS[run]]
    # hypothesis (a test dependency of ccov) registers a pytest plugin: not part of toolz's suite.
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "toolz", *extra]
    return command, toolz_checkout(), clean_env(COVERAGE_CORE=SUITE_CORES.get(run, "sysmon"))


def bench_suite(rounds: int) -> dict:
    times = {name: [] for name in SUITE_RUNS}
    memory = {name: [] for name in SUITE_RUNS}
    for _ in range(rounds):
        for name in SUITE_RUNS:
            # Exit 1 (a failing test) still times the suite: toolz's pinned
            # release has a test that fails on 3.14+, under every tool alike.
            seconds, rss = run_wait4(*toolz_run(name), allowed=(0, 1))
            times[name].append(seconds)
            memory[name].append(rss)
    return {"times": times, "max_rss_kib": memory}


# ---- more real test suites: the libraries the real-code oracle tests pin ----------------------

REAL_SUITES = ["attrs", "click", "boltons"]
# The modes the targets of #19 name: toolz's, without the dynamic contexts.
REAL_SUITE_RUNS = {run: extra for run, extra in SUITE_RUNS.items() if "context" not in run}


def real_suite_trees() -> dict:
    """{name: (library, unpacked sdist)}, from tests/realcode.py's pins."""
    trees = {}
    for library in realcode.LIBRARIES:
        if library.name in REAL_SUITES:
            target = WORK / "suites" / library.name
            if not target.exists():
                shutil.rmtree(target.parent / f"{library.name}.partial", ignore_errors=True)
                tree = realcode.unpack(library, target.parent / f"{library.name}.partial")
                tree.rename(target)
                shutil.rmtree(target.parent / f"{library.name}.partial")
            trees[library.name] = (library, target)
    return trees


def real_suite_run(name: str, run: str) -> tuple[list[str], Path, dict]:
    """(command, folder, environment) of one of REAL_SUITE_RUNS on a suite
    of REAL_SUITES, as the oracle tests run it: the library's own pytest
    settings, and neither tool reading the library's coverage settings."""
    library, tree = real_suite_trees()[name]
    measure = [part.format(package=library.package) for part in REAL_SUITE_RUNS[run]]
    if measure:
        empty = WORK / "suites" / "empty.cfg"
        empty.write_text("[tool.ccov]\n")  # an empty coverage.py file and an empty ccov table at once
        tool = "ccov" if measure[0].startswith("--ccov") else "cov"
        measure.append(f"--{tool}-config={empty}")
    env = clean_env(COVERAGE_CORE=SUITE_CORES.get(run, "sysmon"), **realcode.suite_environment(tree, library))
    return [PYTHON, *realcode.suite_arguments(library, measure)], tree, env


def bench_real_suites(rounds: int) -> dict:
    names = list(real_suite_trees())
    times = {name: {run: [] for run in REAL_SUITE_RUNS} for name in names}
    memory = {name: {run: [] for run in REAL_SUITE_RUNS} for name in names}
    for name in names:
        run_wait4(*real_suite_run(name, "pytest"), allowed=(0, 1))  # untimed: the first run writes the bytecode caches
    for round_number in range(rounds):
        for name in names:
            for run in REAL_SUITE_RUNS:
                seconds, rss = run_wait4(*real_suite_run(name, run), allowed=(0, 1))
                times[name][run].append(seconds)
                memory[name][run].append(rss)
        print(f"  suites round {round_number + 1}/{rounds} done", file=sys.stderr)
    return {"times": times, "max_rss_kib": memory}


# ---- which tests a change affects: ccov --ccov-affected against pytest-testmon ---------------------

AFFECTED_TOOLS = {
    "pytest --ccov-affected": (["--ccov=toolz", "--ccov-context=test", "--ccov-report="], ["--ccov-affected"]),
    "pytest --testmon": (["--testmon"], ["--testmon"]),
}
_COLLECTED = re.compile(r"(\d+)(?:/(\d+))? tests? collected(?: \((\d+) deselected\))?")


def _git_repo_copy(source: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".ccov*", ".coverage*", ".testmon*"))
    env = clean_env(GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="bench",
                    GIT_COMMITTER_EMAIL="b@b")
    (target / ".gitignore").write_text("__pycache__/\n.ccov*\n.testmondata*\n.pytest_cache/\n")
    # Its own rootdir and no configuration of ccov's checkout around it.
    (target / "pytest.ini").write_text("[pytest]\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=target, check=True, env=env)


def one_function_changes(package: Path, count: int) -> list[tuple[Path, int, str]]:
    """(file, line, indentation): where to add a harmless line inside a function
    body, after its first statement, for `count` functions picked at random."""
    import ast
    import random

    spots = []
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) >= 2:
                first = node.body[0]
                indent = " " * node.body[1].col_offset
                spots.append((path, first.end_lineno, indent))
    return random.Random(669).sample(spots, min(count, len(spots)))


def _collect_only(repo: Path, extra: list[str]) -> tuple[float, int, int]:
    # (pytest-testmon needs pytest's cache plugin, so it stays on here, for every tool alike.)
    command = [PYTHON, "-m", "pytest", "-p", "no:hypothesispytest", "--collect-only", "-q", "toolz", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=repo, env=clean_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    match = _COLLECTED.search(done.stdout)
    if done.returncode not in (0, 5) or not match:
        raise RuntimeError(f"{' '.join(command)}: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    selected, total = int(match.group(1)), int(match.group(2) or match.group(1))
    return elapsed, selected, total


def bench_affected(samples: int = 12) -> dict:
    repo = WORK / "toolz-affected"
    _git_repo_copy(toolz_checkout(), repo)
    for record, _ in AFFECTED_TOOLS.values():
        command = [PYTHON, "-m", "pytest", "-q", "-p", "no:hypothesispytest", "toolz", *record]
        # Exit status 1: some of toolz's own tests fail on this Python (3.14+:
        # two of them); the recording keeps their outcome, and both tools
        # select them again.
        recorded = subprocess.run(command, cwd=repo, env=clean_env(), stdout=subprocess.DEVNULL)
        if recorded.returncode not in (0, 1):
            raise SystemExit(f"bench: recording failed ({recorded.returncode}): {' '.join(command)}")
    changes = one_function_changes(repo / "toolz", samples)
    results = {name: {"selected": [], "seconds": []} for name in AFFECTED_TOOLS}
    results["pytest --collect-only"] = {"selected": [], "seconds": []}
    _, _, suite_size = _collect_only(repo, [])
    for path, line, indent in changes:
        original = path.read_text()
        lines = original.splitlines(keepends=True)
        lines.insert(line, f"{indent}_ = None  # a change\n")
        path.write_text("".join(lines))
        try:
            for name, (_, select) in [*AFFECTED_TOOLS.items(), ("pytest --collect-only", ([], []))]:
                # Shares of the whole suite: testmon leaves unchanged test files uncollected,
                # so its own "x/y collected" counts fewer tests.
                elapsed, selected, _ = _collect_only(repo, select)
                results[name]["selected"].append(selected / suite_size)
                results[name]["seconds"].append(elapsed)
        finally:
            path.write_text(original)
    return {"changes": [f"{p.name}:{line}" for p, line, _ in changes], "suite_size": suite_size, "tools": results}


# ---- start-up ---------------------------------------------------------------------------------


# The pip that installs ccov in the start-up venv writes the `ccov` command,
# a wrapper script.  A current one: the pip bundled with 3.12.1 and 3.13.0
# (tables.OLD_PIP) writes a wrapper that imports re, timed separately below.
CURRENT_PIP = "26.3"
OLD_PIP_WRAPPER = """import re
import sys
from ccov.frontends.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def installed_from_wheel() -> Path:
    """A venv with ccov installed from its wheel by pip CURRENT_PIP, as users
    install it: the development venv's editable install adds an import hook
    (pathlib, urllib.parse) to every Python start there.  Returns its python."""
    target = WORK / f"wheel-venv-{PYVER}"
    wheels = WORK / f"wheels-{PYVER}"
    shutil.rmtree(wheels, ignore_errors=True)
    # Built from a copy: building in the checkout would leave a ccov.egg-info
    # there, whose entry points a later `python -m pytest` in it would read.
    source = WORK / f"wheel-source-{PYVER}"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(HERE.parent, source, ignore=shutil.ignore_patterns(
        ".venv-*", ".git", "*.so", "build", "__pycache__", "*.egg-info", ".work", ".cache", "htmlcov"))
    subprocess.run([PYTHON, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(source)], check=True)
    shutil.rmtree(source, ignore_errors=True)
    subprocess.run([PYTHON, "-m", "venv", "--clear", str(target)], check=True)
    python = target / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"pip=={CURRENT_PIP}"], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *map(str, wheels.glob("ccov-*.whl"))],
                   check=True)
    return python


# A project's pyproject.toml, as most have one: other tools' settings only,
# and the same with coverage.py's settings in it (then tomllib is needed).
OTHER_TOOLS_PYPROJECT = """[project]
name = "app"
version = "1.0"
dependencies = ["attrs>=23"]

[tool.ruff]
line-length = 100

[tool.pytest.ini_options]
testpaths = ["tests"]
"""
COVERAGE_PYPROJECT = OTHER_TOOLS_PYPROJECT + """
[tool.coverage.run]
source = ["app"]

[tool.coverage.report]
show_missing = true
"""


def bench_startup(rounds: int) -> dict:
    python = installed_from_wheel()
    ccov_script = python.parent / "ccov"
    with tempfile.TemporaryDirectory() as scratch:
        folders = {"": Path(scratch) / "bare", "other tools": Path(scratch) / "other", "coverage": Path(scratch) / "cov",
                   "coverage, first": Path(scratch) / "cov-first"}
        for folder in folders.values():
            folder.mkdir()
            (folder / "empty.py").write_text("")
        (folders["other tools"] / "pyproject.toml").write_text(OTHER_TOOLS_PYPROJECT)
        for name in ("coverage", "coverage, first"):
            (folders[name] / "pyproject.toml").write_text(COVERAGE_PYPROJECT)
        # The same run without a wrapper shows what is ccov's own; with the
        # wrapper of the older pip, what an un-upgraded venv pays.
        no_wrapper = "import sys; from ccov.frontends.cli import main; sys.argv[0] = 'ccov'; sys.exit(main())"
        old_wrapper = Path(scratch) / "ccov-old-pip"
        old_wrapper.write_text(OLD_PIP_WRAPPER)
        commands = {"python": ("", [str(python), "empty.py"]), "ccov run": ("", [str(ccov_script), "run", "empty.py"]),
                    tables.OLD_PIP_RUN: ("", [str(python), str(old_wrapper), "run", "empty.py"]),
                    "ccov run, no wrapper": ("", [str(python), "-c", no_wrapper, "run", "empty.py"]),
                    "ccov run, no wrapper, pyproject.toml of other tools":
                        ("other tools", [str(python), "-c", no_wrapper, "run", "empty.py"]),
                    "ccov run, no wrapper, [tool.coverage] in pyproject.toml":
                        ("coverage", [str(python), "-c", no_wrapper, "run", "empty.py"]),
                    # The parsed pyproject.toml is kept in .ccov_cache/ (ccov.toml_file):
                    # the first run in a project parses it, as this one always does.
                    "ccov run, no wrapper, [tool.coverage] in pyproject.toml, first run":
                        ("coverage, first", [str(python), "-c", no_wrapper, "run", "empty.py"])}
        first_run = folders["coverage, first"] / ".ccov_cache"
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(rounds * 4):
            for name, (folder, command) in commands.items():
                shutil.rmtree(first_run, ignore_errors=True)
                start = time.perf_counter()
                subprocess.run(command, cwd=folders[folder], env=clean_env(), check=True)
                times[name].append(time.perf_counter() - start)
        # A few milliseconds are within this machine's noise: instructions
        # counted by callgrind are not (the bytecode caches are warm by now).
        instructions = {}
        if shutil.which("valgrind") is None:
            # Said aloud: the section is rewritten, so a run without valgrind
            # drops the counts an earlier run committed.
            print("bench: valgrind not found, start-up instructions not counted"
                  " (bench/README.md says how to install it)", file=sys.stderr)
        for name, (folder, command) in commands.items():
            if name == "python" or name.startswith("ccov run, no wrapper"):
                shutil.rmtree(first_run, ignore_errors=True)
                instructions[name] = _instructions(command, folders[folder])
    return {"times": times, "install": "wheel", "pip": CURRENT_PIP, "instructions": instructions}


def _instructions(command: list[str], cwd: Path) -> int | None:
    """Instructions `command` runs, counted by callgrind; None without valgrind."""
    if shutil.which("valgrind") is None:
        return None
    ran = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                         cwd=cwd, env=clean_env(), capture_output=True, text=True, check=True)
    found = re.search(r"Collected\s*:\s*([\d,]+)|I\s+refs:\s*([\d,]+)", ran.stderr)
    return int((found.group(1) or found.group(2)).replace(",", "")) if found else None


# ---- unwind: what branch mode's global PY_UNWIND costs code that is not measured ------------


THROWER = """
def fall(depth):
    if depth == 0:
        raise ValueError(depth)
    return fall(depth - 1)

def run(times):
    caught = 0
    for _ in range(times):
        try:
            fall(3)
        except ValueError:
            caught += 1
    return caught
"""


def bench_unwind(rounds: int) -> dict:
    """Exceptions raised and caught, through four frames, 300,000 times, in a
    module that is not measured (outside --source), under ccov in line and
    in branch mode.  On 3.12/3.13 branch mode enables PY_UNWIND, which CPython
    offers only as a global event: every frame an exception leaves calls ccov."""
    tools = ["none", "ccov", "ccov-branch", "coverage-ctrace-branch"]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "lib").mkdir()
        (root / "src").mkdir()
        (root / "lib" / "thrower.py").write_text(THROWER)
        main = root / "src" / "main.py"
        main.write_text(f"import sys\nsys.path.insert(0, {str(root / 'lib')!r})\nimport thrower\nthrower.run(300_000)\n")
        times: dict[str, list[float]] = {tool: [] for tool in tools}
        for _ in range(rounds):
            for tool in tools:
                command, env = measured_command(tool, root / "src", root / "data", [str(main)])
                start = time.perf_counter()
                subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
                times[tool].append(time.perf_counter() - start)
    return {"times": times}


# ---- processes: what the .pth costs a process ccov does not measure; combining many files ---------


PTH_COST = """
import site, sys, timeit, os
sitedir = next(p for p in site.getsitepackages() if os.path.exists(os.path.join(p, "ccov-subprocess.pth")))
os.environ.pop("CCOV_PROCESS", None)
runs = 2000
best = min(timeit.repeat(lambda: site.addpackage(sitedir, "ccov-subprocess.pth", set()), number=runs, repeat=7))
print(best / runs)
"""


def generated_data_files(directory: Path, count: int) -> None:
    """`count` parallel data files, each 40 of 200 files with 120 of 400 lines: a large suite's shards."""
    code = (
        "import os, random, sys\n"
        "from ccov.data import datafile, linebits\n"
        "random.seed(1)\n"
        "for i in range(int(sys.argv[1])):\n"
        "    d = datafile.CoverageData()\n"
        "    for f in random.sample(range(200), 40):\n"
        "        d.add_lines(f'/proj/src/pkg/mod{f:03d}.py', linebits.from_lines(random.sample(range(1, 400), 120)))\n"
        "    datafile.write(datafile.parallel_name('.ccov'), d)\n"
    )
    subprocess.run([PYTHON, "-c", code, str(count)], cwd=directory, env=clean_env(), check=True)


def bench_processes(rounds: int, data_files: int = 10_000) -> dict:
    pth = subprocess.run([PYTHON, "-c", PTH_COST], env=clean_env(), check=True, capture_output=True, text=True)
    times = []
    with tempfile.TemporaryDirectory(dir=WORK) as scratch:
        for _ in range(rounds):
            shutil.rmtree(scratch)
            os.mkdir(scratch)
            generated_data_files(Path(scratch), data_files)
            start = time.perf_counter()
            subprocess.run([PYTHON, "-m", "ccov", "combine"], cwd=scratch, env=clean_env(), check=True,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
    return {"pth_seconds": float(pth.stdout), "data_files": data_files, "combine_times": times}


# ---- reporting on a large generated project ---------------------------------------------------


FUNCTION = '''
def f{n}(x):
    total = 0
    for i in range(x):
        if i % 3 == 0:
            total += i
        elif i % 3 == 1:
            total -= 1
        else:
            total *= 2
    return total
'''


def generated_project(files: int = 2000, functions: int = 25) -> Path:
    """`files` modules of `functions` functions (9 statements each) + module lines: 500,000 statements."""
    root = WORK / "bigproject"
    if (root / "main.py").exists():
        return root
    package = root / "big"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    body = "".join(FUNCTION.format(n=n) for n in range(functions))
    calls = "\n".join(f"f{n}(5)" for n in range(0, functions, 2))
    for index in range(files):
        (package / f"mod{index:04d}.py").write_text(f'"""Generated module {index}."""\n{body}\n\n{calls}\n')
    imports = "\n".join(f"import big.mod{i:04d}" for i in range(files))
    (root / "main.py").write_text(imports + "\n")
    return root


# In this order each round: the first ccov report starts from an empty analysis cache.
REPORT_COMMANDS = {
    "ccov report (cold cache)": ["-m", "ccov", "report"],
    "ccov report (warm cache)": ["-m", "ccov", "report"],
    "ccov lcov (warm cache)": ["-m", "ccov", "lcov", "-o", "ccov.info"],
    "ccov html (warm cache)": ["-m", "ccov", "html", "-d", "htmlcov-ccov"],
    "ccov html (re-run, nothing changed)": ["-m", "ccov", "html", "-d", "htmlcov-ccov"],
    "coverage report": ["-m", "coverage", "report"],
    "coverage lcov": ["-m", "coverage", "lcov", "-o", "coverage.info"],
    "coverage html": ["-m", "coverage", "html", "-d", "htmlcov-coverage"],
}


def bench_reporting(rounds: int) -> dict:
    root = generated_project()
    subprocess.run([PYTHON, "-m", "ccov", "run", "--source=big", "main.py"], cwd=root, check=True, env=clean_env())
    subprocess.run([PYTHON, "-m", "coverage", "run", "--source=big", "main.py"], cwd=root, check=True,
                   env=clean_env(COVERAGE_CORE="sysmon"))
    times = {name: [] for name in REPORT_COMMANDS}
    for _ in range(rounds):
        for scratch in (".ccov_cache", "htmlcov-ccov", "htmlcov-coverage"):
            shutil.rmtree(root / scratch, ignore_errors=True)
        for name, args in REPORT_COMMANDS.items():
            start = time.perf_counter()
            subprocess.run([PYTHON, *args], cwd=root, env=clean_env(), check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    return {"files": 2000, "statements": 2000 * (25 * 9 + 1 + 13), "times": times}


# ---- tables -----------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def overhead(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f}%"


def _ratio_table(perf: dict) -> list[str]:
    """A benchmark-by-tool table of overheads against no coverage."""
    out = []
    tools = [tool for tool in next(iter(perf["times"].values())) if tool != "none"]
    # SlipCover's figures from before the bench checked what each tool
    # measured timed a program it did not measure (docs/performance.md).
    void = {tool for tool in tools if tool.startswith("slipcover") and not perf.get("measured_checked")}
    out.append("| benchmark | " + " | ".join(tools) + " |")
    out.append("| --- |" + " ---: |" * len(tools))
    ratios = {tool: [] for tool in tools}
    for name, by_tool in perf["times"].items():
        base = median(by_tool["none"])
        row = []
        for tool in tools:
            ratio = median(by_tool[tool]) / base
            ratios[tool].append(ratio)
            row.append("void" if tool in void else overhead(ratio))
        out.append(f"| {name} | " + " | ".join(row) + " |")
    medians = ["**void**" if t in void else f"**{overhead(median(ratios[t]))}**" for t in tools]
    out.append("| **median** | " + " | ".join(medians) + " |")
    out.append("")
    return out


def markdown(results: dict) -> str:
    commands = sorted({section.get("command", results["command"]) for section in results.values() if isinstance(section, dict)})
    out = [f"Python {results['python']}, {results['machine']}, {results['date']}; `{'`, `'.join(commands) or results['command']}`", ""]
    for section in ("pyperformance", "branches"):
        if results.get(section):
            out.extend(_ratio_table(results[section]))
    suite = results.get("suite")
    if suite:
        base = median(suite["times"]["pytest"])
        out.append("| toolz test suite | seconds (median) | overhead | peak RSS (MiB) |")
        out.append("| --- | ---: | ---: | ---: |")
        for name, values in suite["times"].items():
            rss = median(suite["max_rss_kib"][name]) / 1024
            out.append(f"| `{name}` | {median(values):.3f} | {overhead(median(values) / base)} | {rss:.1f} |")
        out.append("")
    suites = results.get("suites")
    if suites:
        # (Results of an older run may lack a row added since.)
        runs = [run for run in list(REAL_SUITE_RUNS)[1:] if all(run in by_run for by_run in suites["times"].values())]
        out.append("| test suite (seconds with bare pytest) | " + " | ".join(f"`{run}`" for run in runs) + " |")
        out.append("| --- |" + " ---: |" * len(runs))
        for name, by_run in suites["times"].items():
            base = median(by_run["pytest"])
            cells = [overhead(median(by_run[run]) / base) for run in runs]
            out.append(f"| {name} ({base:.1f} s) | " + " | ".join(cells) + " |")
        out.append("")
    startup = results.get("startup")
    if startup:
        python, ccov = median(startup["times"]["python"]), median(startup["times"]["ccov run"])
        how = " (ccov installed from its wheel)" if startup.get("install") == "wheel" else ""
        if startup.get("pip"):
            how = f" (ccov installed from its wheel by pip {startup['pip']}, whose wrapper imports only `sys`)"
        out.append(f"Start-up{how}: `python empty.py` {python * 1000:.1f} ms, `ccov run empty.py` {ccov * 1000:.1f} ms "
                   f"(+{(ccov - python) * 1000:.1f} ms).")
        if "ccov run, no wrapper" in startup["times"]:
            own = median(startup["times"]["ccov run, no wrapper"])
            out[-1] += (f" Without pip's console-script wrapper: {own * 1000:.1f} ms "
                        f"(+{(own - python) * 1000:.1f} ms).")
        if tables.OLD_PIP_RUN in startup["times"]:
            old = median(startup["times"][tables.OLD_PIP_RUN])
            out[-1] += (f" Through the wrapper of pip {tables.OLD_PIP} (bundled with Python 3.12.1 and 3.13.0; it imports "
                        f"`re`): +{(old - python) * 1000:.1f} ms.")
        for where in ("pyproject.toml of other tools", "[tool.coverage] in pyproject.toml",
                      "[tool.coverage] in pyproject.toml, first run"):
            if f"ccov run, no wrapper, {where}" in startup["times"]:
                there = median(startup["times"][f"ccov run, no wrapper, {where}"])
                out[-1] += f" Without the wrapper, beside a {where}: +{(there - python) * 1000:.1f} ms."
        counted = startup.get("instructions") or {}
        if counted.get("python"):
            base = counted["python"]
            cells = [f"{name.removeprefix('ccov run, no wrapper').lstrip(', ') or 'empty folder'} "
                     f"+{(count - base) / 1e6:.1f} M (+{(count - base) / base * 100:.0f}%)"
                     for name, count in counted.items() if name != "python" and count]
            out.append(f"Instructions (callgrind): `python empty.py` {base / 1e6:.1f} M; `ccov run empty.py` "
                       f"without the wrapper, {'; '.join(cells)}.")
        out.append("")
    chosen = results.get("affected")
    if chosen:
        base = median(chosen["tools"]["pytest --collect-only"]["seconds"])
        out.append(f"| choosing tests, {len(chosen['changes'])} one-function changes to toolz ({chosen['suite_size']} tests) "
                   "| share of tests selected (median) "
                   "| collection time (median) | time to decide |")
        out.append("| --- | ---: | ---: | ---: |")
        for name, found in chosen["tools"].items():
            if name == "pytest --collect-only":
                continue
            seconds = median(found["seconds"])
            out.append(f"| `{name}` | {median(found['selected']) * 100:.1f}% | {seconds:.2f} s | {seconds - base:+.2f} s |")
        out.append(f"| `pytest --collect-only` (nothing chosen) | 100% | {base:.2f} s | |")
        out.append("")
    unwind = results.get("unwind")
    if unwind:
        base = median(unwind["times"]["none"])
        out.append("| 300,000 exceptions through 4 frames, in code not measured | seconds (median) | overhead |")
        out.append("| --- | ---: | ---: |")
        for name, values in unwind["times"].items():
            out.append(f"| `{name}` | {median(values):.3f} | {overhead(median(values) / base)} |")
        out.append("")
    processes = results.get("processes")
    if processes:
        out.append(f"Subprocess bootstrap: `ccov-subprocess.pth` costs a Python process that is not measured "
                   f"{processes['pth_seconds'] * 1e6:.1f} µs. `ccov combine` of {processes['data_files']:,} data files: "
                   f"{median(processes['combine_times']):.1f} s.")
        out.append("")
    reporting = results.get("reporting")
    if reporting:
        out.append(f"| reporting, {reporting['files']} files, {reporting['statements']} statements | seconds (median) |")
        out.append("| --- | ---: |")
        for name, values in reporting["times"].items():
            out.append(f"| `{name}` | {median(values):.2f} |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", help="comma-separated pyperformance benchmarks")
    parser.add_argument("--sections",
                        default="pyperformance,branches,suite,suites,affected,startup,unwind,processes,reporting")
    parser.add_argument("--out", help="JSON file (default bench/results/<python>.json)")
    parser.add_argument("--tables", action="store_true",
                        help="measure nothing: write every Python's tables again from its JSON file")
    args = parser.parse_args()
    if args.tables:
        remake_tables()
        return
    WORK.mkdir(exist_ok=True)
    sections = args.sections.split(",")
    results = {
        "python": PYVER,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "date": time.strftime("%Y-%m-%d"),
        "command": "./dev bench " + " ".join(sys.argv[1:]),
    }
    names = args.only.split(",") if args.only else BENCHMARKS
    runs = {
        "pyperformance": lambda: bench_pyperformance(names, args.rounds),
        "branches": lambda: bench_pyperformance(names, args.rounds, BRANCH_TOOLS),
        "suite": lambda: bench_suite(args.rounds),
        "suites": lambda: bench_real_suites(args.rounds),
        "startup": lambda: bench_startup(args.rounds),
        "affected": bench_affected,
        "unwind": lambda: bench_unwind(args.rounds),
        "processes": lambda: bench_processes(max(1, args.rounds // 5)),
        "reporting": lambda: bench_reporting(max(1, args.rounds // 2)),
    }
    out = Path(args.out) if args.out else HERE / "results" / f"{PYVER}.json"
    for section in runs:
        if section in sections:
            results[section] = runs[section]()
            results[section]["command"] = results["command"]
            save(results, out)  # after each section: a later one that fails loses nothing
    print(markdown(load_into(results, out)))


def load_into(results: dict, out: Path) -> dict:
    """Sections not run this time keep their earlier figures, each with the command that made it."""
    if out.exists():
        earlier = json.loads(out.read_text())
        for section, figures in earlier.items():
            if isinstance(figures, dict) and section not in results:
                figures.setdefault("command", earlier["command"])
                results[section] = figures
    return results


def remake_tables(results: Path = HERE / "results") -> None:
    """results/<python>.md and docs/performance.md from the JSON files, after
    a change to how the tables are made."""
    for out in tables.by_python(results):
        out.with_suffix(".md").write_text(markdown(json.loads(out.read_text())) + "\n")
    tables.update(results)


def save(results: dict, out: Path) -> None:
    out.parent.mkdir(exist_ok=True)
    merged = load_into(dict(results), out)
    out.write_text(json.dumps(merged, indent=1))
    out.with_suffix(".md").write_text(markdown(merged) + "\n")
    if out.parent == HERE / "results":
        tables.update()  # docs/performance.md shows what was just measured


if __name__ == "__main__":
    main()
