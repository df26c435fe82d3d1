"""3.12: a module's function or a class's method whose code has completed
(every line ran, its events are removed) runs a fresh copy of its code,
quickened as new code is (csrc/requicken.c). On 3.12 instrumenting a code
object drops its superinstructions for good; 3.13+ keeps them, and ccov
leaves code alone."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from conftest import ccov, clean_env, run

ON_312 = sys.version_info[:2] == (3, 12)

HOT = """\
def advance(n):
    a = 0
    b = 1
    for i in range(n):
        a, b = b, a
    return a + b


def make():
    def inner(k):
        x = k
        y = x
        return x + y
    return inner


def sometimes(x):
    if x > 50:
        return -x
    return x


class Body:
    def step(self, n):
        a = 0
        b = 1
        for i in range(n):
            a, b = b, a
        return a + b

    @staticmethod
    def twice(n):
        x = n
        y = x
        return x + y
"""

PROGRAM = """\
import dis, json
import hot

# The same functions, compiled under a name ccov never measures: quickened
# as any new code is, and never instrumented.
twin = {}
exec(compile(open(hot.__file__).read(), "<twin>", "exec"), twin)


def supers(function):
    return sorted(i.opname for i in dis.get_instructions(function, adaptive=True) if "__" in i.opname)


codes = {name: getattr(hot, name).__code__ for name in ("advance", "sometimes")}
codes.update(step=hot.Body.step.__code__, twice=hot.Body.twice.__code__)
inner_code = next(c for c in hot.make.__code__.co_consts if getattr(c, "co_name", "") == "inner")
early = hot.make()
results = [hot.advance(10), early(1)]  # both complete here
late = hot.make()  # made after its code completed
results += [hot.Body().step(3), hot.Body.twice(4)]
# A call site specialized for the function before its code completes, and
# calling it after (at x == 51).
results.append(sum(hot.sometimes(x) for x in range(100)))
results += [hot.advance(5), early(2), late(3), hot.Body().step(4), hot.Body.twice(5)]
functions = {"advance": hot.advance, "sometimes": hot.sometimes, "step": hot.Body.step, "twice": hot.Body.twice}
twins = {"advance": twin["advance"], "sometimes": twin["sometimes"], "step": twin["Body"].step,
         "twice": twin["Body"].twice}
print(json.dumps({
    "copied": {name: [f.__code__ is not codes[name], f.__code__ == codes[name]] for name, f in functions.items()},
    "closures": [early.__code__ is inner_code, late.__code__ is inner_code],
    "supers": {name: supers(f) for name, f in functions.items()},
    "twin supers": {name: supers(f) for name, f in twins.items()},
    "results": results,
}))
"""


def write_program(project):
    (project / "hot.py").write_text(HOT)
    (project / "prog.py").write_text(PROGRAM)


@pytest.mark.parametrize("mode", [[], ["--branch"]], ids=["lines", "branches"])
def test_completed_functions_run_a_quickened_copy(project, mode):
    write_program(project)
    plain = run([sys.executable, "prog.py"], project)
    # hot.py alone is measured: the copies counted are its functions'.
    measured = ccov("run", *mode, "--omit=prog.py", "prog.py", cwd=project, env=clean_env(CCOV_STATS="1"))
    assert measured.returncode == 0, measured.stderr
    ours, theirs = json.loads(measured.stdout), json.loads(plain.stdout)
    summed = sum(range(51)) - sum(range(51, 100))
    assert ours["results"] == theirs["results"] == [1, 2, 1, 8, summed, 1, 4, 6, 1, 10]
    # Every line ran, and was recorded, whatever code ran it afterwards.
    report = json.loads(ccov("json", "-o", "-", cwd=project).stdout)
    assert report["files"]["hot.py"]["missing_lines"] == []
    if mode:
        assert report["files"]["hot.py"]["missing_branches"] == []
    # Closures are held by no name ccov can find: they keep their code.
    assert ours["closures"] == [True, True]
    if ON_312:
        # An equal copy, with the superinstructions unmeasured code has.
        assert ours["copied"] == {name: [True, True] for name in ("advance", "sometimes", "step", "twice")}
        assert ours["supers"] == ours["twin supers"]
        assert all(ours["supers"].values()), "no superinstructions to compare"
        assert "codes_requickened=5" in measured.stderr  # those four, and make
    else:
        # 3.13+ keeps superinstructions: the functions keep their code.
        assert ours["copied"] == {name: [False, True] for name in ("advance", "sometimes", "step", "twice")}
        assert "codes_requickened=0" in measured.stderr


@pytest.mark.skipif(not ON_312, reason="3.12 only: later Pythons keep superinstructions")
def test_code_another_tool_listens_to_is_kept(project):
    """Local events another tool set on the code would not follow a copy."""
    (project / "hot.py").write_text(HOT)
    (project / "prog.py").write_text(textwrap.dedent(
        """
        import json, sys
        import hot
        mon = sys.monitoring
        mon.use_tool_id(4, "other tool")
        seen = []
        mon.register_callback(4, mon.events.LINE, lambda code, line: seen.append(line))
        original = hot.advance.__code__
        mon.set_local_events(4, original, mon.events.LINE)
        hot.advance(3)
        before = len(seen)
        hot.advance(3)
        print(json.dumps([hot.advance.__code__ is original, len(seen) - before]))
        """))
    measured = ccov("run", "prog.py", cwd=project)
    assert measured.returncode == 0, measured.stderr
    kept, more_lines = json.loads(measured.stdout)
    assert kept is True
    assert more_lines == 10  # the other tool still sees every line of the second call


@pytest.mark.skipif(not ON_312, reason="3.12 only: later Pythons keep superinstructions")
def test_per_test_contexts_keep_the_measured_code(project):
    """With contexts, completed code is armed again for the next context: it
    must stay the code ccov instruments, and each context gets its lines."""
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
        original = hot.advance.__code__
        for name in ("a", "b"):
            m.switch_context(name)
            hot.advance(2)
        m.switch_context("")
        kept = hot.advance.__code__ is original
        entry = next(e for p, e in m.hand_over().files.items() if p.endswith("hot.py"))
        print(kept, {c: linebits.to_lines(b) for c, b in sorted(entry.lines.items()) if b})
        """
    )
    result = run([sys.executable, "-c", code], project, clean_env(PYTHONPATH=str(project)))
    assert result.returncode == 0, result.stderr
    body = [2, 3, 4, 5, 6]
    assert result.stdout.strip() == f"True {({'': [1, 9, 17, 23, 24, 31, 32], 'a': body, 'b': body})}"
