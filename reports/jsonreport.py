"""The JSON report (`coverage.json`) in coverage.py's format (its version 3):
the same keys, summaries, and `functions` and `classes` maps, so a tool
that reads coverage.py's JSON reads ccov's.  What only ccov has is in keys
of its own (`meta.ccov_format`, a file's `path`, `totals.files`).  The schema
is ccov/reports/coverage-schema.json (JSON Schema draft 2020-12)."""

from __future__ import annotations

import json
import time
from typing import TextIO

from ccov import __version__
from ccov.model.results import FileCoverage, Results, Totals, display_percent, percent

FORMAT_VERSION = 3  # coverage.py's, whose shape this follows
CCOV_FORMAT = 2     # ccov's own keys: 1 was ccov's earlier format of its own


def _summary(counts: Totals, branch: bool, precision: int) -> dict:
    """coverage.py's summary of a region, a file or all files: the percentages
    count statements and branch arcs together, and apart."""
    found: dict = {
        "covered_lines": counts.executed,
        "num_statements": counts.statements,
        "percent_covered": counts.percent,
        "percent_covered_display": display_percent(counts.percent, precision),
        "missing_lines": counts.missing,
        "excluded_lines": counts.excluded,
        "percent_statements_covered": percent(counts.executed, counts.statements),
        "percent_statements_covered_display": display_percent(percent(counts.executed, counts.statements), precision),
    }
    if branch:
        found.update({
            "num_branches": counts.branches,
            "num_partial_branches": counts.partial,
            "covered_branches": counts.taken,
            "missing_branches": counts.branches - counts.taken,
            "percent_branches_covered": percent(counts.taken, counts.branches),
            "percent_branches_covered_display": display_percent(percent(counts.taken, counts.branches), precision),
        })
    return found


def _lines_and_arcs(entry: FileCoverage, show_contexts: bool, branch: bool, precision: int) -> dict:
    found = {
        "executed_lines": sorted(entry.executed),
        "summary": _summary(Totals.of(entry), branch, precision),
        "missing_lines": sorted(entry.missing),
        "excluded_lines": sorted(entry.excluded),
    }
    if show_contexts:
        found["contexts"] = {str(line): list(names) for line, names in entry.contexts.items()}
    if branch:
        found["executed_branches"] = sorted([line, to] for line, tos in entry.taken.items() for to in tos)
        found["missing_branches"] = [list(arc) for arc in entry.missing_arcs]
    return found


def _file(entry: FileCoverage, show_contexts: bool, branch: bool, precision: int) -> dict:
    found = _lines_and_arcs(entry, show_contexts, branch, precision)
    for kind, key in (("function", "functions"), ("class", "classes")):
        found[key] = {
            name: {**_lines_and_arcs(part, show_contexts, branch, precision), "start_line": start}
            for name, (start, part) in entry.regions_of(kind).items()
        }
    found["path"] = entry.path
    return found


def document(results: Results, show_contexts: bool = False, precision: int = 0) -> dict:
    return {
        "meta": {
            "format": FORMAT_VERSION,
            "version": __version__,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "branch_coverage": results.branch,
            "show_contexts": show_contexts,
            "ccov_format": CCOV_FORMAT,
        },
        "files": {entry.name: _file(entry, show_contexts, results.branch, precision) for entry in results.files},
        "totals": {**_summary(results.totals, results.branch, precision), "files": len(results.files)},
    }


def write(results: Results, out: TextIO, show_contexts: bool = False, precision: int = 0) -> None:
    json.dump(document(results, show_contexts, precision), out, indent=2)
    out.write("\n")
