"""The measured program observes nothing of ccov: profilers, other
sys.monitoring tools and the program itself see the same code objects, the
same calls and the same events under `ccov run` as under `python`.

Until issue #39, on 3.12 a function whose code completed was given a fresh
copy of its code (to win back quickened superinstructions): cProfile then
counted one call of a function called fifty times, another tool's local
events on the old code object went silent, and `f.__code__` was no longer
the code its frames and generators ran."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from conftest import ccov, clean_env, run

MODES = pytest.mark.parametrize("mode", [[], ["--branch"]], ids=["lines", "branches"])

HOT = """\
def g(x):
    y = x + 1
    return y


def make():
    def inner(k):
        return k * 2
    return inner


def gen(n):
    for i in range(n):
        yield i


class Body:
    def step(self, n):
        total = 0
        for i in range(n):
            total += i
        return total

    @staticmethod
    def twice(n):
        return n * 2

    @classmethod
    def build(cls):
        return cls()
"""


def both(project, program: str, mode: list[str]) -> tuple[object, object]:
    """What `program` prints as JSON under python and under `ccov run`."""
    (project / "hot.py").write_text(HOT)
    (project / "prog.py").write_text(textwrap.dedent(program))
    plain = run([sys.executable, "prog.py"], project)
    assert plain.returncode == 0, plain.stderr
    measured = ccov("run", *mode, "prog.py", cwd=project)
    assert measured.returncode == 0, measured.stderr
    # hot.py was measured, so ccov had armed (and, once complete, disarmed) its code.
    report = json.loads(ccov("json", "-o", "-", cwd=project).stdout)
    assert report["files"]["hot.py"]["summary"]["covered_lines"] > 5
    return json.loads(plain.stdout), json.loads(measured.stdout)


@MODES
def test_cprofile_counts_every_call(project, mode):
    """pstats keys its entries by file, line and name: a second code object
    for `g` would take the first one's entry and its count."""
    (project / "hot.py").write_text(HOT)
    (project / "p.py").write_text("from hot import g\nfor i in range(50):\n    g(i)\n")
    plain = run([sys.executable, "-m", "cProfile", "-s", "ncalls", "p.py"], project)
    measured = ccov("run", *mode, "-m", "cProfile", "-s", "ncalls", "p.py", cwd=project)
    assert plain.returncode == measured.returncode == 0, measured.stderr

    def calls_of_g(output: str) -> list[str]:
        return [line.split()[0] for line in output.splitlines() if line.rstrip().endswith("hot.py:1(g)")]

    assert calls_of_g(plain.stdout) == ["50"]
    assert calls_of_g(measured.stdout) == ["50"]


@MODES
def test_functions_keep_their_code_objects(project, mode):
    program = """
        import json
        import hot
        functions = {"g": hot.g, "step": hot.Body.step, "twice": hot.Body.twice,
                     "build": hot.Body.build.__func__, "make": hot.make}
        before = {name: f.__code__ for name, f in functions.items()}
        inner = hot.make()
        inner_code = inner.__code__
        early = hot.gen(3)  # made before its code completes
        next(early)
        for _ in range(3):  # every line runs: ccov's events on them are all removed
            hot.g(1); hot.Body().step(3); hot.Body.twice(2); hot.Body.build(); inner(1)
        completed = list(hot.gen(2))
        print(json.dumps({
            "same code": {name: f.__code__ is before[name] for name, f in functions.items()},
            "closure": inner.__code__ is inner_code and hot.make().__code__ is inner_code,
            "generator": early.gi_code is hot.gen.__code__,
            "rest of generator": list(early) + completed,
        }))
        """
    plain, measured = both(project, program, mode)
    assert measured == plain
    assert all(plain["same code"].values()) and plain["closure"] and plain["generator"]


@MODES
def test_a_frame_runs_the_code_its_function_holds(project, mode):
    program = """
        import json, sys
        import hot
        codes = []
        def watch(frame, event, arg):
            if event == "call" and frame.f_code.co_name == "g":
                codes.append(frame.f_code)
        sys.setprofile(watch)
        for i in range(3):  # the first call completes g's code
            hot.g(i)
        sys.setprofile(None)
        print(json.dumps([code is hot.g.__code__ for code in codes]))
        """
    plain, measured = both(project, program, mode)
    assert plain == measured == [True, True, True]


@MODES
def test_another_tool_that_arms_the_code_later_gets_its_events(project, mode):
    """A tool that took the code object early and arms it after the function
    ran to completion under ccov must get every line of the next call."""
    program = """
        import json, sys
        import hot
        mon = sys.monitoring
        code = hot.Body.step.__code__
        hot.Body().step(3)  # every line runs: ccov removes its events
        hot.Body().step(3)
        mon.use_tool_id(4, "other tool")
        lines = []
        mon.register_callback(4, mon.events.LINE, lambda c, line: lines.append(line))
        mon.set_local_events(4, code, mon.events.LINE)
        hot.Body().step(2)
        print(json.dumps(lines))
        """
    plain, measured = both(project, program, mode)
    assert plain == measured
    assert plain == [19, 20, 21, 20, 21, 20, 22]


def test_per_test_contexts_keep_the_measured_code(project):
    """With contexts, code that ran is armed again for the next context:
    each context gets its lines, from the same code object."""
    (project / "hot.py").write_text(HOT)
    code = textwrap.dedent(
        """
        from ccov.config import Config
        from ccov.measuring.measure import Measurement
        from ccov.data import linebits
        m = Measurement(Config(), may_switch_contexts=True)
        m.start(install_handlers=False)
        m.record_contexts()
        import hot
        original = hot.g.__code__
        for name in ("a", "b"):
            m.switch_context(name)
            hot.g(2)
        m.switch_context("")
        kept = hot.g.__code__ is original
        entry = next(e for p, e in m.hand_over().files.items() if p.endswith("hot.py"))
        print(kept, {c: linebits.to_lines(b) for c, b in sorted(entry.lines.items()) if b})
        """
    )
    result = run([sys.executable, "-c", code], project, clean_env(PYTHONPATH=str(project)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"True {({'': [1, 6, 12, 17, 18, 24, 25, 28, 29], 'a': [2, 3], 'b': [2, 3]})}"
