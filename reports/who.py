"""`ccov who`: which contexts (tests) ran the statements of some lines.

    calc/ops.py:9: 2 contexts
        tests/test_ops.py::test_divide|run
        tests/test_ops.py::test_divide_by_zero|run

A line inside a multi-line statement answers for that statement.
"""

from __future__ import annotations

from typing import TextIO

from ccov.errors import plural
from ccov.model.results import FileCoverage


def write(entry: FileCoverage, start: int, end: int, out: TextIO) -> None:
    """The statements that lines start..end belong to, each with its contexts."""
    statements = sorted({s for s in map(entry.statement_of, range(start, end + 1)) if s is not None})
    if not statements:
        out.write(f"{entry.name}:{start}{f'-{end}' if end != start else ''}: no statement there\n")
        return
    for line in statements:
        contexts = entry.contexts.get(line, ())
        label = "not run" if not contexts else plural(len(contexts), "context")
        out.write(f"{entry.name}:{line}: {label}\n")
        for context in contexts:
            out.write(f"    {context or '(no context: outside any test)'}\n")
