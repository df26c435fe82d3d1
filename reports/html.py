"""The HTML report: an index (flat and directory views) and a page per file,
with the project's own CSS and JavaScript beside them.  No network, no
CDN: the directory opens from file://.

Every name and every source line is escaped.  Page file names are made from
[a-z0-9_] only plus a hash, so no recorded name can point a page outside the
output directory.  A page is rendered only when what it shows changed since
the last run (a manifest keeps each page's key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time
from html import escape
from importlib import resources

from ccov import __version__
from ccov.errors import plural
from ccov.model.results import FileCoverage, Results, Totals, display_percent, percent
from ccov.model.source import SourceError, decode, read_bytes
from ccov.reports.table import shown_files

ASSETS = ("ccov.css", "ccov.js")
MANIFEST = "ccov-html.json"


def page_name(name: str) -> str:
    """A file name for the page of a measured file: safe characters only,
    unique through a hash of the full name."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[-60:] or "file"
    return f"f_{slug}_{hashlib.blake2b(name.encode('utf-8', 'surrogatepass'), digest_size=4).hexdigest()}.html"


def _percent(entry_or_totals, precision: int) -> str:
    return display_percent(entry_or_totals.percent, precision)


def _head(title: str, page: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{escape(title)}</title>\n<link rel=\"stylesheet\" href=\"ccov.css\">\n"
        f"<script src=\"ccov.js\" defer></script>\n</head>\n<body data-page=\"{page}\">\n"
    )


_HELP = (
    '<div id="help" class="help" hidden role="dialog" aria-label="Keyboard shortcuts">'
    "<h2>Keyboard</h2><dl>{}</dl><p>Press <kbd>?</kbd> or <kbd>Esc</kbd> to close.</p></div>\n"
)
INDEX_KEYS = [("/", "filter the files"), ("h", "hide or show fully covered files"),
              ("t", "flat list or directory tree"), ("?", "this help")]
FILE_KEYS = [("j", "next missing chunk"), ("k", "previous missing chunk"), ("n", "next file"),
             ("p", "previous file"), ("u", "back to the index"), ("?", "this help")]


def _help(keys) -> str:
    return _HELP.format("".join(f"<dt><kbd>{escape(k)}</kbd></dt><dd>{escape(d)}</dd>" for k, d in keys))


# ---- the index ---------------------------------------------------------------------------------


def _bar(percent: float) -> str:
    return f'<span class="bar" aria-hidden="true"><span style="width:{percent:.1f}%"></span></span>'


def _counts_cells(totals: Totals, precision: int, branch: bool) -> str:
    """Statements, missing, excluded, [branches, partial,] and coverage of a
    file, a directory or all."""
    branch_cells = (
        f'<td class="num">{totals.branches}</td><td class="num">{totals.partial}</td>'
        # Statements and branches apart, then (the Coverage column) together.
        f'<td class="num">{display_percent(percent(totals.executed, totals.statements), precision)}%</td>'
        f'<td class="num">{display_percent(percent(totals.taken, totals.branches), precision)}%</td>'
    ) if branch else ""
    return (
        f'<td class="num">{totals.statements}</td><td class="num">{totals.missing}</td>'
        f'<td class="num">{totals.excluded}</td>{branch_cells}'
        f'<td class="cover">{_bar(totals.percent)}<span class="pc">{_percent(totals, precision)}%</span></td>'
    )


def _file_row(entry: FileCoverage, precision: int, branch: bool, extra: str = "") -> str:
    totals = Totals.of(entry)
    data = (
        f'data-name="{escape(entry.name)}" data-stmts="{entry.n_statements}" data-miss="{entry.n_missing}" '
        f'data-excl="{len(entry.excluded)}" data-cover="{entry.percent:.4f}"'
        + (f' data-branches="{totals.branches}" data-partial="{totals.partial}"'
           f' data-stmtpc="{percent(totals.executed, totals.statements):.4f}"'
           f' data-brpc="{percent(totals.taken, totals.branches):.4f}"' if branch else "")
    )
    covered = " covered" if entry.n_missing == 0 and entry.n_missing_branches == 0 else ""
    return (
        f'<tr class="file{covered}" {data}{extra}><td class="name"><a href="{page_name(entry.name)}">'
        f"{escape(entry.name)}</a></td>{_counts_cells(totals, precision, branch)}</tr>\n"
    )


def _tree_rows(files: list[FileCoverage], precision: int, branch: bool) -> str:
    """The directory view: each directory with its totals, then its contents."""
    tree: dict = {}
    directory_totals: dict[str, Totals] = {}
    for entry in files:
        *directories, _ = entry.name.replace("\\", "/").split("/")
        node, path = tree, ""
        for directory in directories:
            node = node.setdefault(directory + "/", {})
            path += directory + "/"
            directory_totals.setdefault(path, Totals()).add(entry)
        node.setdefault(None, []).append(entry)

    rows = []

    def walk(node, depth: int, parent: str) -> None:
        for key in sorted(k for k in node if k is not None):
            path = parent + key
            total = directory_totals[path]
            rows.append(
                f'<tr class="dir" data-path="{escape(path)}" data-parent="{escape(parent)}" style="--depth:{depth}">'
                f'<td class="name"><button class="twisty" aria-expanded="true" aria-label="collapse {escape(path)}">'
                f"</button>{escape(key)}</td>{_counts_cells(total, precision, branch)}</tr>\n"
            )
            walk(node[key], depth + 1, path)
        for entry in sorted(node.get(None, []), key=lambda e: e.name):
            rows.append(_file_row(entry, precision, branch, f' data-parent="{escape(parent)}" style="--depth:{depth}"'))

    walk(tree, 0, "")
    return "".join(rows)


def _index_header(branch: bool, first: str) -> str:
    branch_heads = (
        '<th data-sort="branches" class="num"><button>Branches</button></th>'
        '<th data-sort="partial" class="num"><button>Partial</button></th>'
        '<th data-sort="stmtpc" class="num"><button>Statements %</button></th>'
        '<th data-sort="brpc" class="num"><button>Branches %</button></th>'
    ) if branch else ""
    return (
        f'<thead><tr><th data-sort="name" class="name" aria-sort="none"><button>{first}</button></th>'
        '<th data-sort="stmts" class="num"><button>Statements</button></th>'
        '<th data-sort="miss" class="num"><button>Missing</button></th>'
        f'<th data-sort="excl" class="num"><button>Excluded</button></th>{branch_heads}'
        '<th data-sort="cover" class="cover"><button>Coverage</button></th></tr></thead>\n'
    )


def _index(results: Results, files: list[FileCoverage], notes: list[str], title: str, precision: int) -> str:
    totals = results.totals
    branch = results.branch
    header = _index_header(branch, "File")
    total_row = (
        f'<tfoot><tr class="total"><td class="name">Total ({plural(totals.files, 'file')})</td>'
        f"{_counts_cells(totals, precision, branch)}</tr></tfoot>\n"
    )
    out = [_head(title, "index"), "<header>\n", _index_nav("files"), f"<h1>{escape(title)}</h1>\n"]
    branch_text = (f"; {totals.taken} of {totals.branches} branches taken, {totals.partial} missed from lines that ran"
                   if branch else "")
    out.append(
        f'<p class="summary"><strong class="total-pc">{_percent(totals, precision)}%</strong> of '
        f"{totals.statements} statements run; {totals.missing} missing, {totals.excluded} excluded{branch_text}, "
        f"in {totals.files} files.</p>\n"
    )
    out.append(
        '<div class="controls"><input id="filter" type="search" placeholder="Filter files (/)" '
        'aria-label="Filter files"> <label><input type="checkbox" id="hide-covered"> Hide fully covered</label> '
        '<label><input type="checkbox" id="tree-view"> Directory view</label> '
        '<button id="help-button" aria-label="Keyboard shortcuts">?</button></div>\n</header>\n<main>\n'
    )
    out.append(f'<table id="files" class="files">\n{header}<tbody>\n')
    out.extend(_file_row(entry, precision, branch) for entry in files)
    out.append(f"</tbody>\n{total_row}</table>\n")
    out.append(f'<table id="tree" class="files tree" hidden>\n{header.replace("data-sort", "data-nosort")}<tbody>\n')
    out.append(_tree_rows(files, precision, branch))
    out.append(f"</tbody>\n{total_row}</table>\n")
    out.append('<p id="no-match" hidden>No file matches the filter.</p>\n')
    for note in notes:
        out.append(f'<p class="note">{escape(note)}</p>\n')
    if results.skipped:
        out.append('<section class="skipped"><h2>Not shown</h2><ul>\n')
        out.extend(
            f'<li><a href="{page_name(name)}"><code>{escape(name)}</code></a>: {escape(why)}</li>\n'
            for name, why in results.skipped
        )
        out.append("</ul></section>\n")
    out.append(
        f'</main>\n<footer>ccov {escape(__version__)}, {escape(time.strftime("%Y-%m-%d %H:%M %z"))}</footer>\n'
    )
    out.append(_help(INDEX_KEYS))
    out.append("</body>\n</html>\n")
    return "".join(out)


# ---- the function and class indexes ---------------------------------------------------------------

REGION_PAGES = {"function": ("functions.html", "Functions", "(no function)"),
                "class": ("classes.html", "Classes", "(no class)")}


def _index_nav(current: str) -> str:
    """Files, Functions, Classes: the three indexes, each linking to the others."""
    pages = [("files", "index.html", "Files")] + [(kind, page, label) for kind, (page, label, _) in REGION_PAGES.items()]
    links = [f'<a href="{page}"{" aria-current=page" if kind == current else ""}>{label}</a>'
             for kind, page, label in pages]
    return f'<nav class="indexes">{"".join(links)}</nav>\n'


def _region_index(results: Results, files: list[FileCoverage], kind: str, title: str, precision: int) -> str:
    """Every function (or class) of the reported files, with its coverage,
    linking to its line: coverage.py's regions, as the JSON report counts them."""
    _, label, outside = REGION_PAGES[kind]
    branch = results.branch
    rows, totals = [], Totals()
    for entry in files:
        page = page_name(entry.name)
        for name, (start, part) in entry.regions_of(kind).items():
            if not part.n_statements:
                continue
            counts = Totals.of(part)
            totals.add(part)
            shown = name or outside
            data = (f'data-name="{escape(shown + " " + entry.name)}" data-stmts="{counts.statements}" '
                    f'data-miss="{counts.missing}" data-excl="{counts.excluded}" data-cover="{counts.percent:.4f}"'
                    + (f' data-branches="{counts.branches}" data-partial="{counts.partial}"'
                       f' data-stmtpc="{percent(counts.executed, counts.statements):.4f}"'
                       f' data-brpc="{percent(counts.taken, counts.branches):.4f}"' if branch else ""))
            covered = " covered" if counts.missing == 0 and counts.taken == counts.branches else ""
            target = page + (f"#L{start}" if name else "")
            rows.append(f'<tr class="file{covered}" {data}><td class="name"><a href="{target}">{escape(shown)}</a> '
                        f'<span class="in">{escape(entry.name)}</span></td>{_counts_cells(counts, precision, branch)}</tr>\n')
    header = _index_header(branch, label[:-1] if kind == "function" else "Class")
    out = [_head(f"{label} \u2014 {title}", "regions"), "<header>\n", _index_nav(kind),
           f"<h1>{escape(label)} \u2014 {escape(title)}</h1>\n"]
    out.append(f'<p class="summary"><strong>{len(rows)}</strong> {label.lower()} and the code outside them, '
               f"with statements, in {len(files)} files.</p>\n")
    out.append(
        f'<div class="controls"><input id="filter" type="search" placeholder="Filter {label.lower()} (/)" '
        f'aria-label="Filter {label.lower()}"> <label><input type="checkbox" id="hide-covered"> Hide fully covered</label> '
        '<button id="help-button" aria-label="Keyboard shortcuts">?</button></div>\n</header>\n<main>\n'
    )
    out.append(f'<table id="files" class="files">\n{header}<tbody>\n{"".join(rows)}</tbody>\n')
    out.append(f'<tfoot><tr class="total"><td class="name">Total</td>{_counts_cells(totals, precision, branch)}'
               "</tr></tfoot>\n</table>\n")
    out.append('<p id="no-match" hidden>Nothing matches the filter.</p>\n</main>\n')
    out.append(_help([("/", f"filter the {label.lower()}"), ("h", "hide or show fully covered ones"), ("?", "this help")]))
    out.append("</body>\n</html>\n")
    return "".join(out)


# ---- a file's page -----------------------------------------------------------------------------

MARKERS = {"run": ("\u2713", "executed"), "par": ("\u25d0", "partial branch"), "mis": ("\u2717", "missing"),
           "exc": ("\u2212", "excluded")}


def _line_kind(number: int, entry: FileCoverage, partial: dict) -> str:
    if number in entry.excluded:
        return "exc"
    if number in partial:
        return "par"
    if number in entry.statements:
        return "run" if number in entry.executed else "mis"
    return ""


def _not_taken(destinations: list[int]) -> str:
    """What a partial line never did, in words."""
    return "never went to " + " or ".join(f"line {to}" if to > 0 else "the exit" for to in destinations)


def _source_lines(entry: FileCoverage) -> tuple[list[str], str | None]:
    """Escaped lines, or none and why (a source gone since the report was built).
    ccov.js colours the syntax in the browser: doing it here cost seconds on
    a 2,000-file report, and a page without JavaScript keeps every mark."""
    try:
        text = decode(read_bytes(entry.path), entry.path)
    except SourceError as err:
        return [], str(err)
    return escape(text, quote=False).split("\n")[: text.count("\n") + (0 if text.endswith("\n") else 1)], None


def _file_page(entry: FileCoverage, neighbours: tuple[str | None, str | None], title: str, precision: int) -> str:
    previous, following = neighbours
    nav = ['<nav><a id="to-index" href="index.html">Index</a>']
    nav.append(f'<a id="prev-file" href="{previous}">\u2190 Previous file</a>' if previous else "")
    nav.append(f'<a id="next-file" href="{following}">Next file \u2192</a>' if following else "")
    nav.append("</nav>\n")
    out = [_head(f"{entry.name} \u2014 {title}", "file"), "<header>\n", "".join(nav)]
    out.append(f"<h1>{escape(entry.name)}</h1>\n")
    partial = entry.partial
    branch_text = (f"; {entry.n_taken} of {entry.n_branches} branches taken"
                   if entry.branches is not None else "")
    out.append(
        f'<p class="summary"><strong>{_percent(entry, precision)}%</strong> of {entry.n_statements} statements run; '
        f"{entry.n_missing} missing, {len(entry.excluded)} excluded{branch_text}.</p>\n"
    )
    counts = {"run": entry.n_executed - len(partial), "par": len(partial), "mis": entry.n_missing,
              "exc": len(entry.excluded)}
    out.append('<div class="controls">')
    for kind, (mark, label) in MARKERS.items():
        if kind == "par" and entry.branches is None:
            continue
        out.append(
            f'<label class="toggle {kind}"><input type="checkbox" data-kind="{kind}" checked> '
            f'<span class="m">{mark}</span> {label} ({counts[kind]})</label> '
        )
    out.append('<button id="help-button" aria-label="Keyboard shortcuts">?</button></div>\n')
    if entry.functions:
        out.append(f'<details class="functions"><summary>Functions ({len(entry.functions)})</summary><table>\n')
        out.append('<thead><tr><th>Function</th><th class="num">Statements</th><th class="num">Run</th>'
                   '<th class="cover">Coverage</th></tr></thead><tbody>\n')
        for function in entry.functions:
            pc = percent(function.executed, function.statements)
            out.append(
                f'<tr><td><a href="#L{function.line}">{escape(function.name)}</a></td>'
                f'<td class="num">{function.statements}</td><td class="num">{function.executed}</td>'
                f'<td class="cover">{_bar(pc)}<span class="pc">{display_percent(pc, precision)}%</span></td></tr>\n'
            )
        out.append("</tbody></table></details>\n")
    out.append("</header>\n<main>\n")
    lines, problem = _source_lines(entry)
    if problem:
        out.append(f'<p class="problem">The source cannot be shown: {escape(problem)}</p>\n')
    names, indices = _context_table(entry)
    if names:
        # The names once per page, as JSON in a <script>: every "<" is written
        # \u003c, since "</script>" ends it and "<!--<script" makes the parser
        # ignore the next "</script>" (a test id may hold either).
        table = json.dumps(names).replace("<", "\\u003c")
        out.append(f'<script type="application/json" id="contexts">{table}</script>\n')
    out.append(f'<div class="source{" with-contexts" if names else ""}">\n')
    for number, html in enumerate(lines, start=1):
        kind = _line_kind(number, entry, partial)
        note = f'<span class="br">{escape(_not_taken(partial[number]))}</span>' if kind == "par" else ""
        first = entry.multiline.get(number, number)
        if not kind and first != number:
            # A continuation line: coloured and marked as its statement is.
            kind = _line_kind(first, entry, partial)
            mark, label = MARKERS.get(kind, ("", ""))
            label = f"{label} (the statement on line {first})"
            kind += " cont" if kind else ""
        else:
            mark, label = MARKERS.get(kind, ("", ""))
        marker = f'<span class="m" title="{label}">{mark}</span>' if kind else '<span class="m"></span>'
        tests = ""
        if names:
            ran_by = indices.get(number)
            tests = (f'<button class="t" data-c="{" ".join(map(str, ran_by))}" title="who ran this line">{len(ran_by)}</button>'
                     if ran_by else '<span class="t"></span>')
        out.append(
            f'<div class="line {kind}" id="L{number}"><a class="ln" href="#L{number}">{number}</a>{marker}{tests}'
            f"<code>{html}</code>{note}</div>\n"
        )
    out.append("</div>\n</main>\n")
    if names:
        out.append('<div id="who" class="who" hidden role="dialog" aria-label="Contexts of a line"></div>\n')
    out.append(_help(FILE_KEYS))
    out.append("</body>\n</html>\n")
    return "".join(out)


def _context_table(entry: FileCoverage) -> tuple[list[str], dict[int, list[int]]]:
    """The named contexts that ran this file's lines, and per line their
    positions in that list; nothing when only the unnamed context ran."""
    named = sorted({name for names in entry.contexts.values() for name in names})
    if named in ([], [""]):
        return [], {}
    position = {name: index for index, name in enumerate(named)}
    return named, {line: [position[name] for name in names] for line, names in entry.contexts.items()}


def _skipped_page(name: str, why: str, title: str) -> str:
    return (
        f"{_head(f'{name} — {title}', 'file')}<header>\n<nav><a id=\"to-index\" href=\"index.html\">Index</a></nav>\n"
        f"<h1>{escape(name)}</h1>\n</header>\n<main>\n"
        f'<p class="problem">This file was measured but cannot be shown: {escape(why)}</p>\n</main>\n</body>\n</html>\n'
    )


# ---- writing -------------------------------------------------------------------------------


def _canonical(value):
    """A value as plain sorted data, so equal results give equal text (sets
    and dicts have no stable order; string hashes differ between runs)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, dict):
        return sorted((key, _canonical(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    if dataclasses.is_dataclass(value):
        return [(field.name, _canonical(getattr(value, field.name))) for field in dataclasses.fields(value)]
    return value


# Fields that follow from the source text alone, whose digest is in the key
# already: leaving them out saves hashing every function's lines again.
_SOURCE_DERIVED = frozenset({"regions", "line_count"})


def _page_key(entry: FileCoverage, neighbours, title: str, precision: int) -> str:
    """Everything a file's page is made from, hashed: equal keys, equal pages.
    The whole file result goes in, field by field (but what its digest
    decides), so a field added to the results model can never be left out."""
    fields = [(field.name, _canonical(getattr(entry, field.name)))
              for field in dataclasses.fields(entry) if field.name not in _SOURCE_DERIVED]
    parts = (__version__, fields, neighbours, title, precision)
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _write_if_changed(path: str, text: str) -> bool:
    data = text.encode("utf-8", "surrogateescape")
    try:
        with open(path, "rb") as existing:
            if existing.read() == data:
                return False
    except OSError:
        pass
    with open(path, "wb") as out:
        out.write(data)
    return True


def write(results: Results, directory: str, *, title: str = "Coverage report", precision: int = 0,
          skip_covered: bool = False, skip_empty: bool = False, progress=None) -> dict:
    """Write the report into `directory`; returns counts of pages written and kept.
    OSError propagates: the caller turns it into a one-line error."""
    os.makedirs(directory, exist_ok=True)
    for asset in ASSETS:
        _write_if_changed(os.path.join(directory, asset),
                          resources.files("ccov.reports").joinpath("html_assets", asset).read_text("utf-8"))
    files, notes = shown_files(results, skip_covered=skip_covered, skip_empty=skip_empty, sort="name")
    manifest_path = os.path.join(directory, MANIFEST)
    try:
        with open(manifest_path, encoding="utf-8") as manifest_file:
            previous = json.load(manifest_file)
        if not isinstance(previous, dict):
            previous = {}
    except (OSError, ValueError):
        previous = {}
    manifest, written, kept = {}, 0, 0
    pages = [page_name(entry.name) for entry in files]
    for position, entry in enumerate(files):
        neighbours = (pages[position - 1] if position else None, pages[position + 1] if position + 1 < len(pages) else None)
        page = pages[position]
        key = manifest[page] = _page_key(entry, neighbours, title, precision)
        target = os.path.join(directory, page)
        if previous.get(page) == key and os.path.exists(target):
            kept += 1
            continue
        _write_if_changed(target, _file_page(entry, neighbours, title, precision))
        written += 1
        if progress is not None:
            progress(position + 1, len(files))
    for name, why in results.skipped:
        _write_if_changed(os.path.join(directory, page_name(name)), _skipped_page(name, why, title))
    _write_if_changed(os.path.join(directory, "index.html"), _index(results, files, notes, title, precision))
    for kind, (page, _, _) in REGION_PAGES.items():
        _write_if_changed(os.path.join(directory, page), _region_index(results, files, kind, title, precision))
    _write_if_changed(manifest_path, json.dumps(manifest, indent=0, sort_keys=True))
    return {"written": written, "kept": kept}
