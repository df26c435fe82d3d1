"""The collector never hurts the program and releases sys.monitoring fully."""

from __future__ import annotations

import sys
import textwrap

import pytest
from conftest import ccov, ccov_files, clean_env, run

CORES = ["watcher", "pystart"]


def python(code: str, cwd, core: str = "watcher") -> str:
    result = run([sys.executable, "-c", textwrap.dedent(code)], cwd, clean_env(PYTHONPATH=str(cwd), CCOV_CORE=core))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("core", CORES)
def test_stop_releases_everything(project, core):
    (project / "target.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    out = python(
        """
        import sys
        from ccov.measuring.collector import Collector
        from ccov.measuring.file_selection import FileSelector
        mon = sys.monitoring
        c = Collector(FileSelector(".", [], []))
        c.start()
        tool = c.tool_id
        import target
        target.f(1)
        c.stop()
        assert mon.get_tool(tool) is None
        assert mon.get_events(tool) == 0
        assert mon.get_local_events(tool, target.f.__code__) == 0
        # no watcher left behind: code created now, in a measured file, stays unarmed
        later = compile("def g():\\n    return 2\\n", target.__file__, "exec")
        assert mon.get_local_events(tool, later) == 0 and mon.get_local_events(tool, later.co_consts[0]) == 0
        mon.use_tool_id(tool, "probe")
        assert mon.register_callback(tool, mon.events.LINE, None) is None
        assert mon.register_callback(tool, mon.events.PY_START, None) is None
        assert mon.register_callback(tool, mon.events.INSTRUCTION, None) is None
        mon.free_tool_id(tool)
        lines = c.lines()
        print(sorted(k.rsplit("/", 1)[-1] for k in lines))
        """,
        project,
        core,
    )
    assert out.split() == ["['target.py']"]


def test_taken_tool_id_falls_back_then_fails_clearly(project):
    out = python(
        """
        import sys
        from ccov.measuring.collector import Collector
        from ccov.errors import CcovError
        from ccov.measuring.file_selection import FileSelector
        mon = sys.monitoring
        mon.use_tool_id(mon.COVERAGE_ID, "someone else")
        c = Collector(FileSelector(".", [], []))
        c.start()
        print(c.tool_id)
        c.stop()
        for i in range(6):
            if mon.get_tool(i) is None:
                mon.use_tool_id(i, "taken")
        try:
            Collector(FileSelector(".", [], [])).start()
        except CcovError as err:
            print("error:", err)
        """,
        project,
    )
    first, second = out.splitlines()
    assert first != "1"
    assert second.startswith("error: no free sys.monitoring tool id")


def test_failing_file_decision_is_reported_once_and_program_goes_on(project):
    out = run(
        [sys.executable, "-c", textwrap.dedent("""
            from ccov.measuring.collector import Collector
            def decide(name):
                raise RuntimeError("decision broke")
            c = Collector(decide)
            c.start()
            import json, email.utils
            print("program still runs")
            c.stop()
        """)],
        project,
    )
    assert out.returncode == 0
    assert out.stdout.strip() == "program still runs"
    assert out.stderr.count("ccov: internal error") == 1
    assert "decision broke" in out.stderr


def test_complete_code_objects_stop_being_instrumented(project):
    (project / "hot.py").write_text("def hot(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n\nhot(10)\nhot(10)\n")
    result = ccov("run", "hot.py", cwd=project, env=clean_env(CCOV_STATS="1"))
    stats = dict(item.split("=") for item in result.stderr.split(":", 1)[1].split())
    assert int(stats["codes_armed"]) == 2
    assert int(stats["codes_completed"]) == 2
    # One LINE event per line, whatever the number of iterations.
    assert int(stats["line_events"]) <= 8


# Functions that never complete (each has a `raise` that never runs), each
# with jumps that land on their own line.
LOOPS = """
def plain_for(n):
    total = 0
    for i in range(n):
        total += i
    if n < 0:
        raise ValueError(n)
    return total

def nested(rows):
    total = 0
    for row in rows:
        for cell in row:
            total += cell
    if not rows:
        raise ValueError(rows)
    return total

def squares(n):
    values = [i * i for i in range(n)]
    if n < 0:
        raise ValueError(n)
    return values

def short_circuits(items):
    count = 0
    for item in items:
        kept = item and item > 1
        count += 1 if kept else 0
    if count < 0:
        raise ValueError(count)
    return count

def counting(n):
    while n > 0:
        n -= 1
    if n:
        raise ValueError(n)
    return n
"""
LOOP_CALLS = "plain_for(5); nested([[1, 2], [3]]); squares(4); short_circuits([0, 1, 2, 3]); counting(3)"


def test_no_instruction_that_ran_stays_instrumented(project):
    """CPython reports no LINE event for an instruction reached from its own
    line, so a LINE location there (a loop's FOR_ITER, the end of `a and b`)
    would never be disabled and would cost a call into CPython's line
    instrumentation on every pass, for as long as the function has a line
    left to see.  After one call, no instruction that ran may be armed."""
    (project / "loops.py").write_text(LOOPS)
    out = python(
        f"""
        import dis, sys
        mon = sys.monitoring
        names = ["plain_for", "nested", "squares", "short_circuits", "counting"]
        armed_ops = {{"INSTRUMENTED_LINE", "INSTRUMENTED_INSTRUCTION"}}

        # Which instructions run: the same source, compiled apart, under a tool of our own.
        probe = {{}}
        exec(compile(open("loops.py").read(), "loops.py", "exec"), probe)
        ran = {{name: set() for name in names}}
        mon.use_tool_id(4, "probe")
        mon.register_callback(4, mon.events.INSTRUCTION, lambda code, offset: ran[code.co_name].add(offset))
        for name in names:
            mon.set_local_events(4, probe[name].__code__, mon.events.INSTRUCTION)
        exec({LOOP_CALLS!r}, probe)
        for name in names:
            mon.set_local_events(4, probe[name].__code__, 0)
        mon.free_tool_id(4)

        from ccov.measuring.collector import Collector
        from ccov.measuring.file_selection import FileSelector
        c = Collector(FileSelector(".", [], []))
        c.start()
        import loops
        exec({LOOP_CALLS!r}, vars(loops))
        for name in names:
            raw = getattr(loops, name).__code__._co_code_adaptive
            armed = {{offset for offset in range(0, len(raw), 2) if dis.opname[raw[offset]] in armed_ops}}
            # What never ran (the raise) is still armed: the check sees instrumentation.
            assert armed - ran[name], name
            print(name, sorted(armed & ran[name]))
        c.stop()
        """,
        project,
    )
    assert out.split() == [word for name in ["plain_for", "nested", "squares", "short_circuits", "counting"]
                           for word in (name, "[]")], out


@pytest.mark.parametrize("contexts", [False, True])
def test_code_armed_for_each_context_is_measured_by_line(project, contexts):
    """Code armed again for each context would pay an event per instruction
    in each: a measurement that may switch contexts keeps LINE events."""
    (project / "loops.py").write_text(LOOPS)
    out = python(
        f"""
        from ccov import _collector
        from ccov.measuring.collector import Collector
        from ccov.measuring.file_selection import FileSelector
        c = Collector(FileSelector(".", [], []), may_switch_contexts={contexts})
        c.start()
        import loops
        exec({LOOP_CALLS!r}, vars(loops))
        print(_collector.stats()["codes_by_instruction"])
        c.stop()
        """,
        project,
    )
    assert (int(out) == 0) == contexts, out


def test_callbacks_called_before_any_start_do_nothing(project):
    """The collector's callbacks, registered by the program itself before
    any measurement started, run and do nothing (they crashed the process)."""
    (project / "target.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    out = python(
        """
        import sys
        from ccov import _collector
        mon = sys.monitoring
        mon.use_tool_id(3, "program")
        for event, callback in ((mon.events.PY_START, _collector.on_py_start), (mon.events.LINE, _collector.on_line),
                                (mon.events.INSTRUCTION, _collector.on_instruction)):
            mon.register_callback(3, event, callback)
        import target
        mon.set_local_events(3, target.f.__code__, mon.events.PY_START | mon.events.LINE | mon.events.INSTRUCTION)
        print(target.f(1), target.f(0))
        """,
        project,
    )
    assert out.split() == ["1", "2"]


@pytest.mark.parametrize("core", CORES)
def test_generators_recursion_and_many_threads(project, core):
    (project / "stress.py").write_text(textwrap.dedent("""
        import sys, threading
        sys.setrecursionlimit(10000)
        def deep(n):
            return 0 if n == 0 else 1 + deep(n - 1)
        def gen(n):
            for i in range(n):
                yield i
        funcs = []
        for k in range(64):
            exec(f"def work_{k}(x):\\n    y = x + {k}\\n    return y\\n", globals())
        threads = [threading.Thread(target=globals()[f"work_{k}"], args=(k,)) for k in range(64)]
        for t in threads: t.start()
        for t in threads: t.join()
        g = gen(3)
        next(g)
        print(deep(3000), sum(gen(5)), list(g))
    """))
    result = ccov("run", "stress.py", cwd=project, env=clean_env(CCOV_CORE=core))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3000 10 [1, 2]"
    assert ccov_files(project)["stress.py"].n_missing == 0


@pytest.mark.parametrize("core", CORES)
def test_code_already_running_at_start_is_measured(project, core):
    (project / "running.py").write_text(textwrap.dedent("""\
        from ccov.measuring.collector import Collector
        from ccov.measuring.file_selection import FileSelector


        def long_running():
            collector = Collector(FileSelector(".", [], []))
            collector.start()
            after_start = 1
            for i in range(3):
                after_start += i
            collector.stop()
            return collector


        lines = long_running().lines()
        print(sorted(n for n in range(1, 20) if int.from_bytes(next(iter(lines.values())), "little") >> n & 1))
    """))
    out = python("import runpy; runpy.run_path('running.py')", project, core)
    assert out.strip() == "[8, 9, 10, 11]"


def test_code_defined_before_start_is_measured_by_the_watcher(project):
    """Functions (and the code nested in them) that exist before measurement
    starts are found once, through the garbage collector's objects."""
    (project / "early.py").write_text(textwrap.dedent("""\
        def outer(n):
            def inner(m):
                return m * 2
            return inner(n) + 1
    """))
    out = python(
        """
        import early
        from ccov.measuring.collector import Collector
        from ccov.measuring.file_selection import FileSelector
        c = Collector(FileSelector(".", [], []))
        c.start()
        early.outer(2)
        c.stop()
        bits = int.from_bytes(next(iter(c.lines().values())), "little")
        print(c.watching, [n for n in range(1, 6) if bits >> n & 1])
        """,
        project,
    )
    assert out.strip() == "True [2, 3, 4]"


@pytest.mark.parametrize("core", CORES)
def test_threads_importing_measured_modules_at_once(project, core):
    """File decisions run Python code that releases the GIL, so decisions of
    two threads interleave.  Every module imported then, and every one
    imported after (by any thread), must still be measured, each file once.
    Thirty rounds of two threads importing twenty modules each, then the main
    thread importing one more: with a process-wide "deciding" marker, files
    went missing in most runs (hundreds of 1,231 in every run of this test)."""
    (project / "main.py").write_text(textwrap.dedent("""\
        import importlib, os, sys, threading
        ROUNDS, PER_THREAD = 30, 20
        os.mkdir("gen")
        sys.path.insert(0, os.path.abspath("gen"))
        names = []
        for r in range(ROUNDS):
            names += [f"m_{r}_{t}_{k}" for t in range(2) for k in range(PER_THREAD)] + [f"m_{r}_main"]
        for name in names:
            with open(os.path.join("gen", name + ".py"), "w") as module:
                module.write("def f():\\n    return 1\\n\\nVALUE = f()\\n")
        importlib.invalidate_caches()

        def load(r, t):
            for k in range(PER_THREAD):
                importlib.import_module(f"m_{r}_{t}_{k}")

        for r in range(ROUNDS):
            threads = [threading.Thread(target=load, args=(r, t)) for t in range(2)]
            for thread in threads: thread.start()
            for thread in threads: thread.join()
            importlib.import_module(f"m_{r}_main")
    """))
    result = ccov("run", "main.py", cwd=project, env=clean_env(CCOV_CORE=core))
    assert result.returncode == 0, result.stderr
    files = ccov_files(project)
    generated = {name for name in files if name.startswith("gen/")}
    assert len(generated) == 30 * 41
    assert all(files[name].n_missing == 0 for name in generated)


def test_a_program_that_frees_every_tool_id_loses_no_data(project):
    """The stop used to raise on the freed id, and the save was abandoned
    with every line still in memory.  Lines run before the ids were freed
    are kept on every Python (before 3.14 the events keep coming after it,
    and those lines are kept too)."""
    (project / "prog.py").write_text(textwrap.dedent("""\
        import sys
        def before():
            return 1
        before()
        for tool_id in range(6):
            sys.monitoring.free_tool_id(tool_id)
        def after():
            return 2
        after()
    """))
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert {1, 2, 3, 4, 5, 6} <= ccov_files(project)["prog.py"].executed


def test_stop_leaves_a_tool_that_took_the_freed_id_alone(project):
    (project / "target.py").write_text("def f():\n    return 1\n")
    out = python(
        """
        import sys
        from ccov.measuring.collector import Collector
        from ccov.measuring.file_selection import FileSelector
        mon = sys.monitoring
        c = Collector(FileSelector(".", [], []))
        c.start()
        import target
        target.f()
        mon.free_tool_id(c.tool_id)
        mon.use_tool_id(c.tool_id, "other")
        def theirs(code, line):
            return None
        mon.register_callback(c.tool_id, mon.events.LINE, theirs)
        tool = c.tool_id
        c.stop()
        print(mon.get_tool(tool), mon.register_callback(tool, mon.events.LINE, None) is theirs)
        print(sorted(k.rsplit("/", 1)[-1] for k in c.lines()))
        """,
        project,
    )
    assert out.split("\n")[:2] == ["other True", "['target.py']"]


# The CCOV_OP_* flags of csrc/collector.h.
_RESUME, _CACHE, _EXTENDED_ARG, _JUMP, _ALWAYS, _BACKWARD, _RETURN, _PY_RETURN, _NO_FALL_THROUGH, _RAISE = (
    1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
_ASYNC_FOR_END, _CONDITIONAL, _FOR_ITER, _SEND, _LOAD_CONST, _CALL, _LOOP_EXIT_SKIP, _FUNCTION_RETURN, _FIRES_JUMP = (
    1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144)


def kinds_from_the_opcode_module() -> bytes:
    """The kinds as the opcode module of the running Python gives them: the
    collector takes them from the opcode names in C (csrc/opcode_kinds.c)."""
    import opcode

    opmap = opcode.opmap
    try:
        from _opcode import has_jump  # type: ignore[import-not-found]  # 3.13+
    except ImportError:
        jumps = set(opcode.hasjrel) | set(getattr(opcode, "hasjabs", ()))
    else:
        jumps = {number for number in opmap.values() if has_jump(number)}
    flags = [0] * 256

    def mark(names, flag: int) -> None:
        for name in names:
            number = opmap.get(name)
            if number is not None and number < 256:
                flags[number] |= flag

    mark(["RESUME"], _RESUME)
    mark(["CACHE"], _CACHE)
    mark(["EXTENDED_ARG"], _EXTENDED_ARG)
    for number in jumps:
        if number < 256:
            flags[number] |= _JUMP
    mark(["JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"], _ALWAYS)
    mark(["JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"], _BACKWARD)
    mark(["RETURN_VALUE", "RETURN_GENERATOR"], _RETURN)
    mark(["RETURN_VALUE"], _PY_RETURN)
    mark(["RERAISE"], _NO_FALL_THROUGH)
    mark(["RAISE_VARARGS"], _RAISE | _NO_FALL_THROUGH)
    mark(["END_ASYNC_FOR"], _ASYNC_FOR_END)
    mark(["POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE", "FOR_ITER"],
         _CONDITIONAL)
    mark(["FOR_ITER"], _FOR_ITER)
    mark(["SEND"], _SEND)
    mark(["LOAD_CONST"], _LOAD_CONST)
    mark(["CALL"], _CALL)
    mark(["END_FOR", "POP_TOP"], _LOOP_EXIT_SKIP)
    mark(["RETURN_VALUE", "RETURN_CONST"], _FUNCTION_RETURN)
    mark(["JUMP_FORWARD", "JUMP_BACKWARD"], _FIRES_JUMP)
    return b"".join(flag.to_bytes(4, "little") for flag in flags)


def test_the_opcode_kinds_are_those_the_opcode_module_gives():
    # The collector reads them from the opcode names it was compiled with,
    # to spare start-up the opcode module: every number must be the same.
    from ccov import _collector

    assert _collector.opcode_kinds() == kinds_from_the_opcode_module()
