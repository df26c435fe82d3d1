"""Line numbers as ranges (`3-5, 9`), the way coverage reports show them."""

from __future__ import annotations


def line_ranges(statements, lines) -> list[tuple[int, int]]:
    """Group `lines` into runs of consecutive *statements*: a run goes on
    across non-statement lines (blanks, comments) but stops at a statement
    that is not in `lines`."""
    wanted = set(lines)
    ranges = []
    start = end = None
    for line in sorted(statements):
        if line in wanted:
            if start is None:
                start = line
            end = line
        elif start is not None:
            ranges.append((start, end))
            start = None
    if start is not None:
        ranges.append((start, end))
    return ranges


def format_ranges(statements, lines) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in line_ranges(statements, lines))
