"""What de-quickened code costs on 3.12, and what swapping in fresh code
objects gives back (issue #19).

On 3.12, instrumenting a code object replaces its quickened
superinstructions for good, even once all its events are removed again;
only a new code object is quickened afresh. Since 28 November ccov gives a
function whose code completed an equal, new copy (csrc/requicken.c). This
counts, with callgrind, the instructions of requicken_nbody.py run three
ways: by python, under `ccov run`, and under `ccov run` with SWAP=1 (after
the first of six rounds the workload swaps in fresh, unmeasured copies
itself): the last two should now agree on 3.12.

    python bench/requicken_study.py        (the Python that runs it; needs valgrind)

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
        print("requicken_study: valgrind is needed", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if k != "SWAP"}
    with tempfile.TemporaryDirectory() as work:
        # ccov measures the files under the current directory.
        workload = shutil.copy(HERE / "requicken_nbody.py", work)
        data = ["--data-file", os.path.join(work, "data")]
        runs = {
            "python": instructions([sys.executable, workload, *ARGS], env, work),
            "ccov run (workload measured)": instructions([sys.executable, "-m", "ccov", "run", *data, workload, *ARGS], env, work),
            "ccov run, fresh code after round 1 of 6": instructions(
                [sys.executable, "-m", "ccov", "run", *data, workload, *ARGS], {**env, "SWAP": "1"}, work),
        }
        report = subprocess.run([sys.executable, "-m", "ccov", "report", *data], cwd=work, env=env,
                                capture_output=True, text=True, check=True).stdout
        assert "requicken_nbody.py" in report, "ccov did not measure the workload"
    base = runs["python"]
    print(f"Python {sys.version.split()[0]}, requicken_nbody.py {' '.join(ARGS)}")
    for name, count in runs.items():
        print(f"  {name:<42} {count / 1e9:7.3f}G  {100 * (count / base - 1):+5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
