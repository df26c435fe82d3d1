"""Cobertura XML (`coverage.xml`), the coverage-04 DTD's shape, as GitLab,
SonarQube, Azure DevOps and Jenkins read it, written as coverage.py writes
it (the same elements, attributes, order and indentation, so a tool, or a
person, comparing the two sees only the generator and the timestamp):

    coverage > sources > source           a directory the file names are relative to:
                                          each configured source folder, and the
                                          report's folder for files under none
             > packages > package         one per directory (of the name relative to
                                          its source), dotted, "." for none
               > classes > class          one per file
                 > methods > method       empty, as coverage.py's; with xml_methods, each
                                          function's rates (its <lines/> left empty)
                 > lines > line number= hits=

Rates are fractions from 0 to 1.  With --branch, a branch line carries
branch="true", condition-coverage="50% (1/2)" and, when a way was not
taken, missing-branches="12,exit" (coverage.py's attribute: the DTD has
none, and its readers pass over it); without branch data every branch-rate
is "0", as coverage.py writes it.

Written in one streaming pass, element by element, indented by tabs as
coverage.py's minidom does: GitLab refuses a report over 10 MiB, so the file
is kept at most the size of coverage.py's for the same project.  That is why
<methods> is empty by default, as coverage.py leaves it: a method element
per function adds about 100 bytes each ([tool.ccov] xml_methods = true
writes them, with each function's rates, for a Jenkins that shows them).
"""

from __future__ import annotations

import os
import time
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from ccov import __version__
from ccov.model.results import FileCoverage, Results


def _rate(covered: int, total: int) -> str:
    return f"{covered / total:.4g}" if total else "1"


def _branch_rate(covered: int, total: int, branches: bool) -> str:
    return _rate(covered, total) if branches else "0"


def source_folders(results: Results, configured: list[str], relative: bool) -> tuple[list[str], dict[str, str]]:
    """The <source> folders, and {file path: its name relative to its folder}:
    coverage.py's rule (the configured folders, then the report's folder for
    a file under none of them)."""
    folders = []
    for source in configured:
        folder = os.path.join(results.root, source)
        if os.path.isdir(folder):
            folders.append(source.rstrip("/\\") if relative else os.path.realpath(folder))
    names = {}
    for entry in results.files:
        path = entry.path.replace("\\", "/")
        for folder in folders:
            real = (folder if relative else os.path.realpath(folder)).replace("\\", "/")
            if path.startswith(real + "/"):
                names[entry.path] = path[len(real) + 1:]
                break
        else:
            names[entry.path] = entry.name.replace("\\", "/")
            if os.path.isabs(entry.name):
                continue
            root = entry.path[: -len(entry.name)].rstrip("/\\")
            if root not in folders:
                folders.append(root)
    return sorted(folders), names


def _write_lines(out: TextIO, entry: FileCoverage, branches: bool) -> None:
    stats = {line: (len(ways), len(ways) - sum(1 for way in ways if (line, way) in missing))
             for missing in [set(entry.missing_arcs)]
             for line, ways in (entry.branches or {}).items() if line not in entry.no_branch}
    not_taken: dict[int, list[int]] = {}
    for line, to in entry.missing_arcs:
        not_taken.setdefault(line, []).append(to)
    if not entry.statements:
        out.write("\t\t\t\t\t<lines/>\n")
        return
    out.write("\t\t\t\t\t<lines>\n")
    for number in sorted(entry.statements):
        attributes = f'number="{number}" hits="{int(number in entry.executed)}"'
        if branches and number in stats:
            total, taken = stats[number]
            attributes += f' branch="true" condition-coverage="{100 * taken // total}% ({taken}/{total})"'
        if branches and number in not_taken:
            ways = ",".join("exit" if to < 0 else str(to) for to in not_taken[number])
            attributes += f' missing-branches="{ways}"'
        out.write(f"\t\t\t\t\t\t<line {attributes}/>\n")
    out.write("\t\t\t\t\t</lines>\n")


def _write_class(out: TextIO, entry: FileCoverage, name: str, branches: bool, methods: bool) -> None:
    package = os.path.dirname(name) or "."
    out.write(f"\t\t\t\t<class name={quoteattr(os.path.relpath(name, package))} filename={quoteattr(name)} "
              f'complexity="0" line-rate="{_rate(entry.n_executed, entry.n_statements)}" '
              f'branch-rate="{_branch_rate(entry.n_taken, entry.n_branches, branches)}">\n')
    if methods and entry.functions:
        out.write("\t\t\t\t\t<methods>\n")
        for function, (arcs, taken) in zip(entry.functions, entry.function_branches(), strict=True):
            out.write(f"\t\t\t\t\t\t<method name={quoteattr(function.name)} signature=\"\" complexity=\"0\" "
                      f'line-rate="{_rate(function.executed, function.statements)}" '
                      f'branch-rate="{_branch_rate(taken, arcs, branches)}"><lines/></method>\n')
        out.write("\t\t\t\t\t</methods>\n")
    else:
        out.write("\t\t\t\t\t<methods/>\n")
    _write_lines(out, entry, branches)
    out.write("\t\t\t\t</class>\n")


def write(results: Results, out: TextIO, sources: list[str] | None = None, relative: bool = False,
          methods: bool = False) -> None:
    """`sources`: the configured source folders (coverage.py's `source`)."""
    totals = results.totals
    branches = results.branch
    folders, names = source_folders(results, sources or [], relative)
    out.write('<?xml version="1.0" ?>\n')
    # The branch counts in coverage.py's order, which differs with and without branch data.
    counts = (f'branches-valid="{totals.branches}" branches-covered="{totals.taken}" '
              f'branch-rate="{_rate(totals.taken, totals.branches)}"') if branches else \
        'branches-covered="0" branches-valid="0" branch-rate="0"'
    out.write(f'<coverage version={quoteattr(__version__)} timestamp="{int(time.time() * 1000)}" '
              f'lines-valid="{totals.statements}" lines-covered="{totals.executed}" '
              f'line-rate="{_rate(totals.executed, totals.statements)}" {counts} complexity="0">\n')
    out.write(f"\t<!-- Generated by ccov {escape(__version__)} -->\n")
    out.write("\t<!-- Based on https://raw.githubusercontent.com/cobertura/web/master/htdocs/xml/coverage-04.dtd -->\n")
    out.write("\t<sources>\n")
    out.writelines(f"\t\t<source>{escape(folder)}</source>\n" for folder in folders)
    out.write("\t</sources>\n")
    by_package: dict[str, list[tuple[str, FileCoverage]]] = {}
    for entry in results.files:
        name = names[entry.path]
        by_package.setdefault((os.path.dirname(name) or ".").replace("/", "."), []).append((name, entry))
    out.write("\t<packages>\n")
    for package in sorted(by_package):
        entries = sorted(by_package[package], key=lambda item: item[1].path)
        executed, statements = sum(e.n_executed for _, e in entries), sum(e.n_statements for _, e in entries)
        taken, arcs = sum(e.n_taken for _, e in entries), sum(e.n_branches for _, e in entries)
        out.write(f'\t\t<package name={quoteattr(package)} line-rate="{_rate(executed, statements)}" '
                  f'branch-rate="{_branch_rate(taken, arcs, branches)}" complexity="0">\n')
        out.write("\t\t\t<classes>\n")
        for name, entry in entries:
            _write_class(out, entry, name, branches, methods)
        out.write("\t\t\t</classes>\n\t\t</package>\n")
    out.write("\t</packages>\n</coverage>\n")
