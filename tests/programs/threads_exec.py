"""Threads, exec'd code, deep recursion."""
import os
import sys
import threading

results = {}


def worker_a():
    total = 0
    for i in range(1000):
        total += i
    results["a"] = total


def worker_b(n):
    results["b"] = [i * 2 for i in range(n)]


def never_run_in_thread():
    return "never"


threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b, args=(5,))]
for t in threads:
    t.start()
for t in threads:
    t.join()

exec("x = 1\nif x:\n    y = 2\n")

helper_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exec_target.py")
with open(helper_path) as helper_file:
    helper_code = compile(helper_file.read(), helper_path, "exec")
namespace = {}
exec(helper_code, namespace)
namespace["run_me"]()

sys.setrecursionlimit(10000)


def depth(n):
    if n == 0:
        return 0
    return 1 + depth(n - 1)


print(sorted(results), depth(2000))
