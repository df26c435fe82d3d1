"""Generated programs: hypothesis builds Python programs from a grammar of
statements (if/elif/else, for/while with else, break/continue, try/except/
else/finally, with, match with guards, functions, lambdas, generators,
comprehensions, ternaries, short-circuits, multi-line expressions) and
ccov must never crash, never report a line that is not a statement, and
give coverage.py's executed and missing lines (and, with --branch, its
branch arcs), file by file."""

from __future__ import annotations

import itertools
import os
import random
import sys
import warnings

import pytest
from conftest import ccov, ccov_files, coverage_json
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from test_oracle import compare

# Each run draws other programs; a failure says its seed, and
# CCOV_FUZZ_SEED=<seed> draws the same ones again (CCOV_FUZZ_EXAMPLES: how many).
SEED = int(os.environ.get("CCOV_FUZZ_SEED") or random.randrange(2**32))
EXAMPLES = int(os.environ.get("CCOV_FUZZ_EXAMPLES", "6"))
# No shrinking: it took minutes on a failure; the failing programs are shown
# as drawn, and the seed draws them again.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                phases=[Phase.explicit, Phase.generate])


@pytest.fixture(autouse=True)
def say_the_seed(request):
    """Shown with a failure's report: how to replay the same programs."""
    request.node.add_report_section("call", "fuzz", f"replay with CCOV_FUZZ_SEED={SEED} CCOV_FUZZ_EXAMPLES={EXAMPLES}")

VARIABLES = ["a", "b", "c"]
_names = itertools.count()

conditions = st.sampled_from(
    ["a > 2", "b == c", "not a", "a % 2 == 0", "b < 0 or c > 1", "a and b", "(a if b else c) > 1", "c in (1, 2)"]
)
expressions = st.sampled_from(
    [
        "a + 1",
        "b - c",
        "(a if a > b else c)",
        "(b and c)",
        "len([i for i in range(a % 4) if i % 2])",
        "(lambda q: q * 2)(c)",
        "sum(\n    i\n    for i in range(3)\n    if i != b\n)",
        "{k: k for k in range(c % 3)}.get(1, 0)",
        "(\n    a\n    + b\n)",
    ]
)


def indent(lines: list[str], by: str = "    ") -> list[str]:
    return [by + line if line else line for line in lines]


@st.composite
def block(draw, depth: int, in_loop: bool = False, in_function: bool = False) -> list[str]:
    return [line for _ in range(draw(st.integers(1, 3))) for line in draw(statement(depth, in_loop, in_function))]


@st.composite
def statement(draw, depth: int, in_loop: bool, in_function: bool) -> list[str]:
    simple = ["assign", "pass", "assert", "raise_maybe", "print", "declaration", "one_line_def", "one_line_class",
              "multi_line_condition"]
    compound = ["if", "for", "while", "try", "with", "match", "def", "generator", "constant_if", "async_for"]
    kinds = simple + (["break", "continue"] if in_loop else []) + (["return", "dead_code"] if in_function else [])
    kind = draw(st.sampled_from(kinds + (compound if depth > 0 else [])))
    inner = lambda loop=in_loop, function=in_function: draw(block(depth - 1, loop, function))  # noqa: E731
    cond, expr, var = draw(conditions), draw(expressions), draw(st.sampled_from(VARIABLES))
    if kind == "assign":
        return [f"{var} = {expr}".replace("\n", "\n")] if "\n" not in expr else f"{var} = {expr}".split("\n")
    if kind == "pass":
        return ["pass"]
    if kind == "assert":
        return ["assert a is not None"]
    if kind == "raise_maybe":
        return [f"if {cond}:", "    raise ValueError(a)"]
    if kind == "print":
        return [f"sink.append({var})"]
    if kind in ("break", "continue"):
        return [f"if {cond}:", f"    {kind}"]
    if kind == "return":
        return [f"if {cond}:", f"    return {var}"]
    if kind == "dead_code":  # a return, and code after it in the same block (the compiler drops it)
        return [f"if {cond}:", f"    return {var}", "    if a:", "        sink.append(a)"]
    if kind == "declaration":  # statements without code, where a jump may land
        n = next(_names)
        return [draw(st.sampled_from([f"global gz{n}", f"ann{n}: int"]))]
    if kind == "one_line_def":  # a body on the def line: a branch in coverage.py's model
        n = next(_names)
        return [f"def o{n}(q): return q + 1"] + ([f"sink.append(o{n}(a))"] if draw(st.booleans()) else [])
    if kind == "one_line_class":
        return [f"class K{next(_names)}: value = {var}"]
    if kind == "multi_line_condition":  # the body on the condition's closing line
        # (3.14+: coverage.py's sys.monitoring core takes a raise there for a
        # step to the next statement; test_branch_oracle's
        # raise_on_the_condition_line compares ccov with its C tracer.)
        bodies = ["b = a", "sink.append(c)"] + (["raise ValueError(a)"] if sys.version_info < (3, 14) else [])
        body = draw(st.sampled_from(bodies))
        return ["if (a > 1 and", f"        {cond}): {body}"]
    if kind == "if":
        lines = [f"if {cond}:", *indent(inner())]
        if draw(st.booleans()):
            lines += [f"elif {draw(conditions)}:", *indent(inner())]
        if draw(st.booleans()):
            lines += ["else:", *indent(inner())]
        return lines
    if kind == "for":
        lines = [f"for {var} in range({draw(st.integers(0, 3))}):", *indent(inner(loop=True))]
        return lines + (["else:", *indent(inner())] if draw(st.booleans()) else [])
    if kind == "while":
        n = next(_names)
        lines = [f"w{n} = 0", f"while w{n} < {draw(st.integers(0, 3))}:", f"    w{n} += 1", *indent(inner(loop=True))]
        return lines + (["else:", *indent(inner())] if draw(st.booleans()) else [])
    if kind == "try":
        lines = ["try:", *indent(inner()), "except ValueError:", *indent(inner())]
        if draw(st.booleans()):
            lines += ["else:", *indent(inner())]
        if draw(st.booleans()):
            lines += ["finally:", *indent(inner())]
        return lines
    if kind == "with":
        body = inner()
        if all(line.startswith(("global ", "ann")) for line in body):
            body.append("pass")  # a body of declarations alone fails an assertion in coverage.py's parser (7.x)
        # coverage.py misses the raise of `if x: raise E` written on one line
        # inside a `with` (test_branch_oracle's one_line_raise_in_with).
        body = [line.replace("): raise ValueError(a)", "): sink.append(a)") for line in body]
        return ["with contextlib.nullcontext(a) as held:", *indent(body)]
    if kind == "constant_if":  # the compiler decides these: no branch
        test = draw(st.sampled_from(["True", "0", "__debug__", "False", "1"]))
        lines = [f"if {test}:", *indent(inner())]
        return lines + (["else:", *indent(inner())] if draw(st.booleans()) else [])
    if kind == "async_for":
        n = next(_names)
        return [
            f"async def ag{n}(limit):",
            "    for step in range(limit):",
            f"        if {cond}:",
            "            yield step",
            f"async def use{n}(a, b, c):",
            f"    async for item in ag{n}(c % 3):",
            *indent(draw(block(0, True, False)), "        "),  # simple statements: no asyncio.run inside the loop
            "    return a",
            f"asyncio.run(use{n}(a, b, c))",
        ]
    if kind == "match":
        return [
            f"match {var}:",
            "    case 0:",
            *indent(inner(), "        "),
            f"    case int() if {cond}:",
            *indent(inner(), "        "),
            "    case _:",
            *indent(inner(), "        "),
        ]
    if kind == "def":
        n = next(_names)
        body = draw(block(depth - 1, False, True))
        call = [f"if {cond}:", f"    f{n}(a, b, c)"] if draw(st.booleans()) else [f"f{n}(a, b, c)"]
        return [f"def f{n}(a, b, c):", *indent(body), f"    return {expr.splitlines()[0] if '(' not in expr else 'a'}", *call]
    n = next(_names)
    return [
        f"def g{n}(a, b, c):",
        "    yield a",
        f"    if {cond}:",
        "        yield b",
        "    yield from range(c % 2)",
        f"list(g{n}(a, b, c))",
    ]


@st.composite
def program(draw) -> str:
    args = draw(st.tuples(*(st.integers(-1, 4) for _ in VARIABLES)))
    body = draw(block(3))
    lines = ["import asyncio", "import contextlib", "sink = []", "", "def main(a, b, c):", *indent(body), "", "try:",
             f"    main{args}", "except (ValueError, ZeroDivisionError):", "    pass"]
    return "\n".join(lines) + "\n"


@FUZZ
@seed(SEED)
@given(programs=st.lists(program(), min_size=10, max_size=10))
def test_generated_programs_match_coverage_py(tmp_path_factory, programs):
    directory = tmp_path_factory.mktemp("fuzz")
    for number, text in enumerate(programs):
        with warnings.catch_warnings():  # 3.14+: `return` in `finally` (PEP 765) is valid, and warned of
            warnings.simplefilter("ignore", SyntaxWarning)
            compile(text, f"p{number}.py", "exec")  # the grammar makes valid Python
        (directory / f"p{number}.py").write_text(text)
    driver = "".join(f"import p{n}\n" for n in range(len(programs)))
    (directory / "driver.py").write_text(driver)
    ran = ccov("run", "driver.py", cwd=directory)
    assert ran.returncode == 0, ran.stderr
    ours = ccov_files(directory)
    for name, entry in ours.items():
        assert set(entry.executed) <= set(entry.statements), name
    compare(ours, coverage_json(directory, ["driver.py"]))


@FUZZ
@seed(SEED)
@given(programs=st.lists(program(), min_size=10, max_size=10))
def test_generated_programs_match_coverage_py_branches(tmp_path_factory, programs):
    from test_branch_oracle import compare_branches

    directory = tmp_path_factory.mktemp("fuzzbranch")
    for number, text in enumerate(programs):
        (directory / f"p{number}.py").write_text(text)
    (directory / "driver.py").write_text("".join(f"import p{n}\n" for n in range(len(programs))))
    ran = ccov("run", "--branch", "driver.py", cwd=directory)
    assert ran.returncode == 0, ran.stderr
    assert "internal error" not in ran.stderr
    compare_branches(ccov_files(directory), coverage_json(directory, ["driver.py"], branch=True))
