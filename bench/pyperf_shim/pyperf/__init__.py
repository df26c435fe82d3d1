"""A stand-in for pyperf, so a pyperformance benchmark runs its own code once,
in this process, under whatever coverage tool runs the process.

`Runner.bench_func` / `bench_time_func` run the benchmark BENCH_CALLS times and
add the time to `elapsed`, which is written to $BENCH_RESULT_FILE at exit.
bench/run.py runs the benchmark script itself, with this folder on
PYTHONPATH: every coverage tool then measures it as the program it was given
(SlipCover measures nothing that runpy.run_path loads).
"""

import argparse
import asyncio
import atexit
import os
import time

perf_counter = time.perf_counter
CALLS = int(os.environ.get("BENCH_CALLS", "1"))
elapsed = 0.0


@atexit.register
def _report() -> None:
    if "BENCH_RESULT_FILE" in os.environ:
        with open(os.environ["BENCH_RESULT_FILE"], "w") as result:
            result.write(repr(elapsed))


class Runner:
    def __init__(self, *args, add_cmdline_args=None, **kwargs):
        self.metadata = {}
        self.argparser = argparse.ArgumentParser()

    def parse_args(self, args=None):
        return self.argparser.parse_known_args([])[0]

    def bench_func(self, name, func, *args, inner_loops=None, metadata=None):
        global elapsed
        start = perf_counter()
        for _ in range(CALLS):
            func(*args)
        elapsed += perf_counter() - start

    def bench_time_func(self, name, time_func, *args, inner_loops=None, metadata=None):
        global elapsed
        elapsed += time_func(CALLS, *args)

    def bench_async_func(self, name, func, *args, inner_loops=None, metadata=None):
        global elapsed
        start = perf_counter()
        for _ in range(CALLS):
            asyncio.run(func(*args))
        elapsed += perf_counter() - start
