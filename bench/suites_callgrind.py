"""The test suites of bench/run.py (toolz, attrs, click, boltons) counted
with callgrind, for when the wall clock cannot tell a miss from noise: on
this shared machine a suite's wall-clock overhead moves by several points
between two runs of the same code.

The first run downloads and unpacks the suites as the bench does. Each
suite runs once natively in every mode (writing the bytecode caches
every counted run then reads), then once per mode under callgrind, exactly
as the `suite` and `suites` sections run it (bench/run.py's toolz_run and
real_suite_run), with PYTHONHASHSEED=0. Two suites are counted at a time;
the modes of one suite run one after another, since they share its tree.

    .venv-3.12/bin/python bench/suites_callgrind.py [--only click,attrs]
    sid-run .venv-3.14/bin/python bench/suites_callgrind.py

Prints each suite's overhead per mode and merges it into
bench/results/suites-callgrind-<python>.json (with the commit counted).
A whole Python takes about an hour on two cores; --only counts fewer, and
--modes "pytest --ccov" counts one mode against bare pytest, to compare two
checkouts: it only prints, since a suite's row holds every mode of one
commit.
"""

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import (  # noqa: E402 - bench/run.py
    PYVER,
    REAL_SUITES,
    callgrind_instructions,
    checkout_commit,
    real_suite_run,
    run_wait4,
    toolz_run,
)

SUITES = ["toolz", *REAL_SUITES]
# The modes the targets name, and pytest-cov's fastest core for each. Its
# branch mode is counted only where it uses sys.monitoring (3.14+): before
# that it is the C tracer, which the wall clock already puts far behind.
MODES = ["pytest", "pytest --ccov", "pytest --ccov --ccov-branch", "pytest --cov"] + (
    ["pytest --cov --cov-branch"] if sys.version_info >= (3, 14) else [])


def suite_run(suite: str, mode: str) -> tuple[list[str], Path, dict]:
    command, folder, env = toolz_run(mode) if suite == "toolz" else real_suite_run(suite, mode)
    env["PYTHONHASHSEED"] = "0"
    return command, folder, env


def instructions(suite: str, mode: str) -> int:
    # Exit 1 (a failing test) still counts, as in the timed sections: toolz's
    # pinned release has a test that fails on 3.14+, under every tool alike.
    return callgrind_instructions(*suite_run(suite, mode), allowed=(0, 1))


def count_suite(suite: str, modes: list[str]) -> dict[str, int]:
    for mode in modes:
        run_wait4(*suite_run(suite, mode), allowed=(0, 1))
    counts = {mode: instructions(suite, mode) for mode in modes}
    bare = counts["pytest"]
    print(f"{suite:8} {bare / 1e9:7.3f}G " + "  ".join(
        f"{mode.removeprefix('pytest ')} {(n / bare - 1) * 100:+.1f}%" for mode, n in counts.items() if mode != "pytest"),
        flush=True)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated suites of " + ",".join(SUITES))
    parser.add_argument("--modes", help="comma-separated modes besides bare pytest (prints only)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else SUITES
    if unknown := set(names) - set(SUITES):
        parser.error(f"no such suite: {', '.join(sorted(unknown))}")
    modes = ["pytest", *args.modes.split(",")] if args.modes else MODES
    if unknown := set(modes) - set(MODES):
        parser.error(f"no such mode: {', '.join(sorted(unknown))}")
    commit = checkout_commit()
    with ThreadPoolExecutor(2) as pool:
        counted = dict(zip(names, pool.map(lambda name: count_suite(name, modes), names), strict=True))
    if args.modes:
        return
    out = HERE / "results" / f"suites-callgrind-{PYVER}.json"
    results = json.loads(out.read_text()) if out.exists() else {"python": PYVER, "suites": {}}
    for name, counts in counted.items():
        results["suites"][name] = {"commit": commit, "instructions": counts}
    out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
