"""What finding the code that exists when measuring starts costs
(csrc/existing.c): the time of starting a measurement in a process that has
imported a large set of modules (pytest, asyncio, email, http, decimal,
unittest, xml, sqlite3, logging, multiprocessing, urllib), with and without
a module of a measured file among them.  Only with one does start() walk
every object the garbage collector tracks; `ccov run` starts before the
program imports anything and never walks.

    python bench/existing_code_study.py [--runs N]      (the Python that runs it)

Each figure is the median over N fresh processes, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """\
import gc, sys, time
import pytest, asyncio, email.mime.multipart, http.server, json, decimal, argparse
import unittest, xml.dom.minidom, sqlite3, logging.handlers, concurrent.futures
import multiprocessing, urllib.request
if sys.argv[1] == "measured":
    import measured_module
from ccov.config import Config
from ccov.measuring.measure import Measurement
objects = len(gc.get_objects())
config = Config()
config.source = ["src"]  # the probe itself is not measured
measurement = Measurement(config)
start = time.perf_counter()
measurement.start(install_handlers=False)
print(1000 * (time.perf_counter() - start), objects, len(sys.modules))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as work:
        Path(work, "probe.py").write_text(PROBE)
        Path(work, "src").mkdir()
        Path(work, "src", "measured_module.py").write_text("def f():\n    return 1\n")
        print(f"Python {sys.version.split()[0]}, start() in a process of many modules, median of {runs}")
        for case in ("unmeasured", "measured"):
            figures = []
            for _ in range(runs):
                done = subprocess.run([sys.executable, "probe.py", case], cwd=work, capture_output=True, text=True,
                                      check=True, env={**os.environ, "PYTHONPATH": str(Path(work, "src"))})
                figures.append(done.stdout.split())
            milliseconds = statistics.median(float(f[0]) for f in figures)
            print(f"  {'a measured module imported' if case == 'measured' else 'no measured module imported':<30}"
                  f" {milliseconds:6.2f} ms  ({figures[0][1]} objects, {figures[0][2]} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
