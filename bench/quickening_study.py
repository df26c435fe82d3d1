"""What de-quickened code costs on 3.12: the price of never swapping code.

On 3.12, instrumenting a code object replaces its quickened
superinstructions for good, even once all its events are removed again;
only a new code object is quickened afresh. ccov never gives a function
another code object (the program would see it: cProfile's counts, other
tools' events, `f.__code__` identity; tests/test_observes_nothing.py), so
on 3.12 a measured function runs without its superinstructions for the
rest of the run. This counts, with callgrind, the instructions of
quickening_nbody.py run three ways: by python, under `ccov run`, and under
`ccov run` with SWAP=1 (after the first of six rounds the workload swaps in
fresh, unmeasured copies of its functions itself): the difference between
the last two is what 3.12 gives up.

    python bench/quickening_study.py        (the Python that runs it; needs valgrind)

Counts, not times: the differences are a few percent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = ["6", "20000"]


def instructions(command: list[str], env: dict[str, str], cwd: str) -> int:
    out = os.path.join(cwd, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
                   cwd=cwd, env=env, check=True, capture_output=True)
    match = re.search(r"^summary: (\d+)", Path(out).read_text(), re.MULTILINE)
    assert match, "no summary in the callgrind output"
    return int(match.group(1))


def main() -> int:
    if shutil.which("valgrind") is None:
        print("quickening_study: valgrind is needed", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k != "SWAP"}
    with tempfile.TemporaryDirectory() as work:
        # ccov measures the files under the current directory.
        workload = shutil.copy(HERE / "quickening_nbody.py", work)
        data = ["--data-file", os.path.join(work, "data")]
        runs = {
            "python": instructions([sys.executable, workload, *ARGS], env, work),
            "ccov run (workload measured)": instructions([sys.executable, "-m", "ccov", "run", *data, workload, *ARGS], env, work),
            "ccov run, fresh code after round 1 of 6": instructions(
                [sys.executable, "-m", "ccov", "run", *data, workload, *ARGS], {**env, "SWAP": "1"}, work),
        }
        report = subprocess.run([sys.executable, "-m", "ccov", "report", *data], cwd=work, env=env,
                                capture_output=True, text=True, check=True).stdout
        assert "quickening_nbody.py" in report, "ccov did not measure the workload"
    base = runs["python"]
    print(f"Python {sys.version.split()[0]}, quickening_nbody.py {' '.join(ARGS)}")
    for name, count in runs.items():
        print(f"  {name:<42} {count / 1e9:7.3f}G  {100 * (count / base - 1):+5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
