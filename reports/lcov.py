"""lcov tracefile (`lcov.info`), in the form lcov 1.16, genhtml, Codecov,
Coveralls, diff-cover and Coverage Gutters all read:

    TN:
    SF:<path relative to the report's directory>
    FN:<def line>,<qualified name>      (the old two-field form: 1.16 cannot read FN with an end line)
    FNDA:<0|1>,<name>
    FNF / FNH
    DA:<line>,<0|1>
    LF / LH
    BRDA:<line>,0,<n>,<1|0|->           (with --branch: one per destination of a
    BRF / BRH                            branch line, `-` when the line never ran)
    end_of_record

Block and branch ids are numbers: lcov 1.16, Coveralls and lcov-parse drop
or reject text there.

Files without statements are left out (lcov drops them as "no valid records").
"""

from __future__ import annotations

from typing import TextIO

from ccov.model.results import FileCoverage, Results


def _file_record(entry: FileCoverage, out: TextIO) -> None:
    out.write(f"TN:\nSF:{entry.name}\n")
    seen_names: set[str] = set()
    for function in entry.functions:
        name = function.name
        if name in seen_names:  # two functions of one name (redefinition): keep both apart
            name = f"{name}@{function.line}"
        seen_names.add(name)
        out.write(f"FN:{function.line},{name}\nFNDA:{int(function.hit)},{name}\n")
    out.write(f"FNF:{len(entry.functions)}\nFNH:{sum(f.hit for f in entry.functions)}\n")
    executed = entry.executed
    out.writelines(f"DA:{line},{int(line in executed)}\n" for line in sorted(entry.statements))
    out.write(f"LF:{entry.n_statements}\nLH:{entry.n_executed}\n")
    if entry.branches is not None:
        _branch_records(entry, out)
    out.write("end_of_record\n")


def _branch_records(entry: FileCoverage, out: TextIO) -> None:
    """One BRDA per arc the results model lists as taken or missing; BRF and
    BRH are the model's counts, as every other report shows them.  An arc
    from a `# pragma: no branch` line that was not taken is neither (it is
    excused), so it has no BRDA but counts in BRF and BRH: coverage.py's lcov
    does the same, and tools that recount from the BRDA records (lcov 1.16's
    --summary) find fewer branches on such lines.

    Likewise a line that ran but never went either way (its condition raised
    every time): lcov 2.x rejects a tracefile with a hit line and no branch
    taken ("line is hit but no branches on line have been evaluated"), so
    that line gets no BRDA either; its arcs count, missed, in BRF."""
    branches = entry.branches or {}
    for line in sorted(branches):
        if line not in entry.statements:
            continue
        taken = entry.taken.get(line, ())
        if line in entry.executed and not taken:
            continue
        for number, destination in enumerate(branches[line]):
            went = destination in taken
            if line in entry.no_branch and not went:
                continue
            out.write(f"BRDA:{line},0,{number},{int(went) if line in entry.executed else '-'}\n")
    out.write(f"BRF:{entry.n_branches}\nBRH:{entry.n_taken}\n")


def write(results: Results, out: TextIO) -> None:
    for entry in results.files:
        if entry.n_statements:
            _file_record(entry, out)
