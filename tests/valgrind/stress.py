"""Run under valgrind memcheck by `./dev valgrind`: threads, generators,
recursion, exec'd code created and dropped (some of it measured by
INSTRUCTION events: a long table of one entry a line), a fork, a subprocess."""
import os
import subprocess
import sys
import threading

SOURCE = compile("def f(x):\n    return (lambda y: y + x)(1)\n", __file__, "exec")
TABLE = "".join(f"    {i}: {i},\n" for i in range(300))
LONG = compile(f"ROWS = {{\n{TABLE}}}\nif ROWS:\n    n = len(ROWS)\n", __file__, "exec")


def numbers(n):
    for i in range(n):  # noqa: UP028  (a generator resumed n times, on purpose)
        yield i


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


def work():
    total = sum(numbers(100)) + depth(50)
    for _ in range(200):
        space = {}
        exec(SOURCE, space)
        exec(LONG, space)
        total += space["f"](2) + space["n"]
    return total


threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
pid = os.fork()
if pid == 0:
    work()
    os._exit(0)
_, status = os.waitpid(pid, 0)
if status != 0:  # valgrind found an error in the child (--error-exitcode)
    sys.exit(f"forked child failed with status {status}")
if len(sys.argv) == 1:
    subprocess.run([sys.executable, __file__, "child"], check=True)
print("done")
