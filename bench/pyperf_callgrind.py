"""The pyperformance workloads of bench/run.py counted with callgrind, for
when the wall clock cannot tell a miss from noise (3.14 and 3.15 run in a
chroot whose timings swing by 20%).

For each workload and each of bare `python`, `ccov run` and `ccov run
--branch`, two runs under callgrind: one making as many benchmark calls as
the bench's last run made (bench/results/<python>.json) plus one, and one
making one. The difference is the instructions of the bench's calls in a
warm process: start-up, imports and the first call cancel out.

    ./dev bench 3.14 --sections pyperformance   # once: installs pyperformance
    sid-run .venv-3.14/bin/python bench/pyperf_callgrind.py [--only nbody,go]

Prints each workload's overhead and the medians, and merges the workloads
counted into bench/results/callgrind-<python>.json (the medians are over
every workload the file holds).  Takes about 20 minutes on 3.14 and 45 on
3.12 (two at a time).  --slipcover counts SlipCover too, in both modes
(before 3.15), for the target that no 3.12 workload costs more under ccov
than under it; --modes counts only the modes it names (bare `python` is
always counted).  A workload keeps the figures of the modes not counted.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import (  # noqa: E402 - bench/run.py
    BENCHMARKS,
    benchmark_copies,
    callgrind_instructions,
    checkout_commit,
    executed_lines,
    measured_command,
    workload_env,
)

PYVER = platform.python_version()
# Each way of measuring counted, and the key of its overhead in a workload's
# entry.  Bare `python` is counted in every run: each overhead is against
# the bare count of its own run.
KEYS = {"ccov": "line", "ccov-branch": "branch", "slipcover": "slipcover", "slipcover-branch": "slipcover_branch"}
CCOV_MODES = ["ccov", "ccov-branch"]


def instructions(mode: str, script: Path, calls: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        # The wall clock's command for the tool; not its environment, which
        # drops PYTHONDONTWRITEBYTECODE: these counts were all made with it.
        command, _ = measured_command(mode, script.parent, Path(scratch) / "data", [str(script)])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE", "CCOV"))}
        env = workload_env({**env, "PYTHONHASHSEED": "0"}, calls, Path(scratch) / "seconds")
        counted = callgrind_instructions(command, Path(scratch), env)
        if mode != "none" and not executed_lines(mode, Path(scratch) / "data", script):
            raise RuntimeError(f"{mode} measured none of {script}: its count would be void")
        return counted


def merged(earlier: dict, calls: int, commit: str, work: dict) -> dict:
    """A workload's entry: the overheads counted now (`work`: instructions
    per mode, "none" among them), and the earlier entry's for the modes not
    counted now.  The entry's commit is that of ccov's two modes; a figure
    counted at another commit says which in `<key>_commit`."""
    kept = earlier.get("instructions", {}) if earlier.get("calls") == calls else {}
    entry = {**earlier, "calls": calls, "instructions": {**kept, **work}}
    if all(mode in work for mode in CCOV_MODES) or "commit" not in earlier:
        entry["commit"] = commit
    for mode, key in KEYS.items():
        if mode in work:
            entry[key] = work[mode] / work["none"] - 1
            entry.pop(f"{key}_commit", None)
            if entry["commit"] != commit:
                entry[f"{key}_commit"] = commit
        elif key in earlier and f"{key}_commit" not in earlier and earlier.get("commit") != entry["commit"]:
            # Counted with ccov's figures at the earlier commit: it keeps
            # that commit (SlipCover's count does not depend on ccov's code).
            entry[f"{key}_commit"] = earlier["commit"]
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated pyperformance benchmarks")
    parser.add_argument("--slipcover", action="store_true", help="count SlipCover too, both modes")
    parser.add_argument("--modes", help=f"comma-separated, of {', '.join(KEYS)} (default: ccov's two, "
                        "and SlipCover's with --slipcover)")
    args = parser.parse_args()
    modes = args.modes.split(",") if args.modes else CCOV_MODES + (["slipcover", "slipcover-branch"] if args.slipcover else [])
    if unknown := set(modes) - set(KEYS):
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    out = HERE / "results" / f"callgrind-{PYVER}.json"
    results = json.loads(out.read_text())["workloads"] if out.exists() else {}
    calls = json.loads((HERE / "results" / f"{PYVER}.json").read_text())["pyperformance"]["calls"]
    names = args.only.split(",") if args.only else BENCHMARKS
    if not set(CCOV_MODES) <= set(modes):
        # Not both of ccov's modes: as many calls as the figures joined, so
        # that the entry's instructions are all of one count of calls.
        calls = {**calls, **{name: results[name]["calls"] for name in names if name in results}}
    modes = ["none", *modes]
    scripts = benchmark_copies(names)
    jobs = [(mode, name, n) for name in names for mode in modes for n in (1, calls[name] + 1)]
    commit = checkout_commit()
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: instructions(job[0], scripts[job[1]], job[2]), jobs), strict=True))
    for name in names:
        work = {mode: counts[mode, name, calls[name] + 1] - counts[mode, name, 1] for mode in modes}
        entry = results[name] = merged(results.get(name, {}), calls[name], commit, work)
        print(f"{name:14} {work['none'] / 1e9:7.3f}G  "
              + "  ".join(f"{key} {entry[key] * 100:+6.2f}%" for key in KEYS.values() if key in entry), flush=True)
    line = statistics.median(r["line"] for r in results.values())
    branch = statistics.median(r["branch"] for r in results.values())
    print(f"median of {len(results)} workloads: line {line * 100:+.2f}%, branch {branch * 100:+.2f}%")
    out.write_text(json.dumps({"python": PYVER, "workloads": results, "median_line": line, "median_branch": branch},
                              indent=1))


if __name__ == "__main__":
    main()
