"""The terminal table: coverage.py's layout, so the eye and GitLab's regex know it.

    Name         Stmts   Miss  Cover   Missing
    ------------------------------------------
    pkg/mod.py      20      3    85%   12-14
    ------------------------------------------
    TOTAL           20      3    85%

With branches, `Branch` and `BrPart` columns come before `Cover`, and the
Missing column also lists the branch arcs not taken (`12->15`).
"""

from __future__ import annotations

from typing import TextIO

from ccov.model.results import Results
from ccov.reports.table import file_cells, header_cells, shown_files, total_cells


def write(
    results: Results,
    out: TextIO,
    *,
    show_missing: bool = False,
    skip_covered: bool = False,
    skip_empty: bool = False,
    sort: str = "name",
    precision: int = 0,
) -> None:
    shown, notes = shown_files(results, skip_covered=skip_covered, skip_empty=skip_empty, sort=sort)
    totals = results.totals

    branch = results.branch
    header = header_cells(branch, show_missing)
    rows = [file_cells(f, precision, show_missing, branch) for f in shown]
    total = total_cells(totals, precision, show_missing, branch)
    cover = header.index("Cover")

    name_width = max([len(r[0]) for r in rows] + [len("TOTAL")])
    # coverage.py's width: the total's percentage and two spaces (at least
    # " Cover"), and one more; wider only for a longer percentage in a row.
    cover_width = max([max(len(total[cover]) + 1, len(" Cover")) + 1, *(len(r[cover]) + 1 for r in rows)])

    def line(cells: list[str]) -> str:
        text = f"{cells[0]:<{name_width}}   {cells[1]:>5}  {cells[2]:>5}"
        if branch:
            text += f" {cells[3]:>6} {cells[4]:>6}"
        text += f"{cells[cover]:>{cover_width}}"
        if show_missing:
            text += f"   {cells[cover + 1]}"
        return text.rstrip()

    rule = "-" * len(line(header))
    out.write(line(header) + "\n" + rule + "\n")
    for row in rows:
        out.write(line(row) + "\n")
    if rows:
        out.write(rule + "\n")
    out.write(line(total) + "\n")
    for note in notes:
        out.write("\n" + note + "\n")
