"""Run one pyperformance benchmark script in this process (see pyperf_shim)
and write the seconds its benchmark code took to $BENCH_RESULT_FILE."""

import os
import runpy
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyperf_shim"))
import pyperf  # the shim, not the real pyperf

script = sys.argv[1]
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
with open(os.environ["BENCH_RESULT_FILE"], "w") as result:
    result.write(repr(pyperf.elapsed))
