"""What writing coverage.py's data file (`.coverage`) costs ccov, against what
coverage.py's own save of the same run costs (issue #40: it must cost no
more).

boltons' own test suite (the pinned sdist of tests/realcode.py) runs once
under pytest-cov and once under `pytest --ccov`, in line and in branch
mode; each tool's data of that run is then written again, in fresh
processes interleaved run by run, timing from the data in memory to the
file on disk: coverage.py's `CoverageData` writing what its tracer recorded
(every arc between lines it saw run), and ccov writing `.coverage` from
what its collector recorded (its branches' arcs and its lines).  Importing
sqlite3 is timed on its own: coverage.py pays it when it starts, ccov only
when it writes this file.

    python bench/coverage_file_study.py [--runs N]   (needs pytest-cov and coverage.py)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from realcode import LIBRARIES, suite_arguments, suite_environment, unpack  # noqa: E402

PROBE = """\
import sys, time
tool, source, target = sys.argv[1:4]
if tool == "ccov":
    from ccov.data import datafile
    data = datafile.read(source)
    before = time.perf_counter()
    import sqlite3
    from ccov.data import coverage_file
    start = time.perf_counter()
    coverage_file.write(target, data)
    print(1000 * (start - before))
else:
    from coverage.data import CoverageData
    recorded = CoverageData(source)
    recorded.read()
    arcs = {name: recorded.arcs(name) for name in recorded.measured_files()} if recorded.has_arcs() else None
    lines = None if arcs else {name: recorded.lines(name) for name in recorded.measured_files()}
    start = time.perf_counter()
    written = CoverageData(target)
    written.add_arcs(arcs) if arcs else written.add_lines(lines)
    written.write()
    print(0.0)
print(1000 * (time.perf_counter() - start))
"""


def record(tree: Path, library, mode: str, work: Path) -> dict[str, Path]:
    """Each tool's data file of one run of the suite."""
    import os

    env = {**os.environ, **suite_environment(tree, library)}
    env.pop("COVERAGE_FILE", None)
    branch = mode == "branches"
    runs = {
        "coverage.py": ["-p", "pytest_cov", f"--cov={library.package}", "--cov-report="] + (["--cov-branch"] * branch),
        "ccov": ["-p", "no:pytest_cov", f"--ccov={library.package}", "--ccov-report="] + (["--ccov-branch"] * branch),
    }
    kept = {}
    for tool, measure in runs.items():
        subprocess.run([sys.executable, *suite_arguments(library, measure)], cwd=tree, env=env, check=True,
                       capture_output=True)
        data = tree / (".coverage" if tool == "coverage.py" else ".ccov")
        kept[tool] = work / f"{tool}-{mode}.data"
        data.replace(kept[tool])
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    library = next(lib for lib in LIBRARIES if lib.name == "boltons")
    print(f"Python {sys.version.split()[0]}, {library.name} {library.version}'s suite, median of {runs} processes")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tree = unpack(library, work / "tree")
        (work / "probe.py").write_text(PROBE)
        for mode in ("lines", "branches"):
            data = record(tree, library, mode, work)
            times: dict[str, list[float]] = {tool: [] for tool in data}
            imports: list[float] = []
            for run in range(runs):  # the two tools interleaved, run by run
                for tool, taken in times.items():
                    target = work / f"written-{tool}-{mode}-{run}"
                    done = subprocess.run([sys.executable, "probe.py", tool, str(data[tool]), str(target)], cwd=work,
                                          capture_output=True, text=True, check=True)
                    importing, writing = map(float, done.stdout.split())
                    taken.append(writing)
                    if tool == "ccov":
                        imports.append(importing)
            figures = {tool: statistics.median(taken) for tool, taken in times.items()}
            ratio = figures["ccov"] / figures["coverage.py"]
            print(f"  {mode:<9} coverage.py's save {figures['coverage.py']:6.1f} ms, "
                  f"ccov's .coverage {figures['ccov']:6.1f} ms ({ratio:.2f}x), "
                  f"and {statistics.median(imports):.1f} ms importing sqlite3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
