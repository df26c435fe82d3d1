"""How many callbacks each way of measuring branches costs, per pyperformance
benchmark (one call of each), on the Python that runs this:

  naive    BRANCH events, each location disabled once both its directions
           were seen (a sys.monitoring tool in Python counts them)
  ccov     ccov --branch: BRANCH events only for directions no LINE event can
           prove, plus the LINE events (CCOV_STATS counters)
  markers  the floor of the marker-statement way: one LINE event per arc
           taken (the arcs ccov recorded), on top of the LINE events

    ./dev bench-branches [3.12|3.13]     (python bench/branch_study.py)

Callbacks are what a collector costs on 3.12/3.13 (each is a C call from
the interpreter); the time ratios are in run.py's `branches` section.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import BENCHMARKS, benchmark_copies, clean_env, workload_env  # noqa: E402

NAIVE_COUNTER = r'''
import os, runpy, sys
mon = sys.monitoring
TOOL = 4
root = os.path.realpath(os.path.dirname(os.path.abspath(sys.argv[1])))
seen, count = {}, [0]
def on_start(code, offset):
    if os.path.realpath(code.co_filename).startswith(root):
        mon.set_local_events(TOOL, code, mon.events.BRANCH)
    return mon.DISABLE
def on_branch(code, source, destination):
    count[0] += 1
    ways = seen.setdefault((code, source), set())
    ways.add(destination)
    if len(ways) >= 2:
        return mon.DISABLE
mon.use_tool_id(TOOL, "naive-branch-counter")
mon.register_callback(TOOL, mon.events.PY_START, on_start)
mon.register_callback(TOOL, mon.events.BRANCH, on_branch)
mon.set_events(TOOL, mon.events.PY_START)
sys.path.insert(0, os.path.join(sys.argv[2], "pyperf_shim"))
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
mon.set_events(TOOL, 0)
print("NAIVE", count[0], file=sys.stderr)
'''


def study(name: str, script: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        env = workload_env(clean_env(), 1, Path(scratch) / "seconds")
        counter = Path(scratch) / "naive.py"
        counter.write_text(NAIVE_COUNTER)
        naive = subprocess.run([sys.executable, str(counter), str(script), str(HERE)], cwd=scratch, env=env,
                               capture_output=True, text=True)
        naive_events = int(re.search(r"NAIVE (\d+)", naive.stderr)[1])
        data = Path(scratch) / "data"
        ours = subprocess.run([sys.executable, "-m", "ccov", "run", "--branch", f"--source={script.parent}",
                               f"--data-file={data}", str(script)],
                              cwd=scratch, env={**env, "CCOV_STATS": "1"}, capture_output=True, text=True)
        stats = dict(re.findall(r"(\w+)=(\d+)", ours.stderr.split("ccov stats", 1)[1]))
        from ccov.data import datafile

        arcs = sum(len(entry.all_arcs()) for entry in datafile.read(str(data)).files.values())
    lines = int(stats["line_events"])
    return {"naive": naive_events, "ccov": int(stats["branch_events"]) + lines, "ccov_branch": int(stats["branch_events"]),
            "markers": lines + arcs, "lines": lines}


def main() -> None:
    scripts = benchmark_copies(BENCHMARKS)
    found = {name: study(name, script) for name, script in scripts.items()}
    version = "{}.{}.{}".format(*sys.version_info[:3])
    out = [f"Python {version}, one call of each benchmark; callbacks (LINE + BRANCH) per way", "",
           "| benchmark | naive: BRANCH until both ways | ccov --branch | markers (floor) |",
           "| --- | ---: | ---: | ---: |"]
    for name, row in found.items():
        out.append(f"| {name} | {row['naive'] + row['lines']:,} | {row['ccov']:,} | {row['markers']:,} |")
    text = "\n".join(out)
    (HERE / "results" / f"branch-study-{version}.md").write_text(text + "\n")
    (HERE / "results" / f"branch-study-{version}.json").write_text(json.dumps(found, indent=1))
    import tables  # bench/tables.py, beside this file
    tables.update()
    print(text)


if __name__ == "__main__":
    main()
