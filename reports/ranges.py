"""Line numbers as ranges (`3-5, 9`), the way coverage reports show them."""

from __future__ import annotations


def line_ranges(statements, lines) -> list[tuple[int, int]]:
    """Group `lines` into runs of consecutive *statements*: a run goes on
    across non-statement lines (blanks, comments) but stops at a statement
    that is not in `lines`."""
    wanted = set(lines)
    ranges: list[tuple[int, int]] = []
    start = end = 0  # 0: no run open (line numbers start at 1)
    for line in sorted(statements):
        if line in wanted:
            start = start or line
            end = line
        elif start:
            ranges.append((start, end))
            start = 0
    if start:
        ranges.append((start, end))
    return ranges


def format_ranges(statements, lines) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in line_ranges(statements, lines))


def format_missing(entry) -> str:
    """Missing lines as ranges, and the branch arcs not taken between lines
    that ran (`12->15`, `20->exit`), in line order, as coverage.py shows them."""
    items = [(start, str(start) if start == end else f"{start}-{end}")
             for start, end in line_ranges(entry.statements, entry.missing)]
    missing = entry.missing  # an arc into a missing line says nothing the line does not
    items += [(line, f"{line}->{to if to > 0 else 'exit'}")
              for line, to in entry.missing_arcs if line not in missing and to not in missing]
    return ", ".join(text for _, text in sorted(items, key=lambda item: item[0]))
