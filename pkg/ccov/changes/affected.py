"""Which tests a change affects: `pytest --ccov-affected[=REF]`.

The data file recorded by `pytest --ccov --ccov-context=test` at REF says
which test ran which line.  The lines changed since REF (committed, staged
and unstaged: `git diff REF`) are mapped, on REF's side of the diff, to the
function around them, and every test that ran a line of that function is
selected.  So are new tests, and tests that failed, or were not run, when the
data was recorded.

It is safe before it is clever: whenever the data cannot vouch for a change,
every test runs, and the reason is said.  That covers data that is missing,
from another ccov, Python or configuration, or not recorded at REF; a change
outside any function (module or class level, a `def` line, a decorator),
where anything importing the module may see it; and a changed file the data
knows nothing of (a new module, a conftest.py, a configuration or data file).
A test is never left out if it ran a changed line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field

from ccov import __version__
from ccov.errors import CcovError

META_TESTS = "tests"            # {node id: "passed" | "failed" | "skipped"}
META_FINGERPRINT = "measurement"  # what was measured, and how


def fingerprint(config) -> str:
    """The configured settings that decide what the data means: equal
    fingerprints, comparable data.  (`source` is left out: it usually comes
    from the command line, and a changed file outside it falls back anyway.)"""
    settings = [sorted(config.omit), config.exclusion_regexes, config.context]
    return hashlib.blake2b(json.dumps(settings).encode(), digest_size=8).hexdigest()


def recording_meta(config, outcomes: dict[str, str]) -> dict[str, str]:
    """What a recording run adds to the data file's meta table."""
    return {META_TESTS: json.dumps(outcomes, sort_keys=True), META_FINGERPRINT: fingerprint(config)}


@dataclass
class Selection:
    """Node ids to run, why, and — when everything must run — the reason."""

    run_everything: str | None = None
    affected: set[str] = field(default_factory=set)
    new: set[str] = field(default_factory=set)
    not_passed: set[str] = field(default_factory=set)
    changed_test_files: set[str] = field(default_factory=set)

    def selects(self, nodeid: str) -> bool:
        if self.run_everything is not None:
            return True
        return (
            nodeid in self.affected
            or nodeid in self.new
            or nodeid in self.not_passed
            or nodeid.split("::", 1)[0] in self.changed_test_files
        )


class _Fallback(Exception):
    """Every test must run; the message says why."""


def _check_recording(data, config) -> dict[str, str]:
    meta = data.meta
    if META_TESTS not in meta:
        raise _Fallback("the data file was not recorded with --ccov-context=test")
    if meta.get("ccov_version") != __version__:
        raise _Fallback(f"the data was recorded by ccov {meta.get('ccov_version')}, this is {__version__}")
    recorded_python = ".".join(meta.get("python", "").split(".")[:2])
    if recorded_python != "{}.{}".format(*sys.version_info[:2]):
        raise _Fallback(f"the data was recorded on Python {meta.get('python')}")
    if meta.get(META_FINGERPRINT) != fingerprint(config):
        raise _Fallback("the data was recorded with other [tool.ccov] settings (omit, exclusions or context)")
    try:
        tests = json.loads(meta[META_TESTS])
    except ValueError:
        raise _Fallback("the recorded test list is damaged") from None
    if not isinstance(tests, dict):
        raise _Fallback("the recorded test list is damaged")
    return tests


def _changes(diff: str) -> dict[str, tuple[set[int], set[int]]]:
    """{path at REF: (lines changed or deleted there, lines changed or added
    in the working tree)}, from `git diff --unified=0 --no-renames`.  A file
    new since REF has 0 among its REF lines."""
    from ccov.changes import gitdiff

    changed: dict[str, tuple[set[int], set[int]]] = {}
    for change in gitdiff.parse(diff):
        if change.old_path is not None:
            lines = changed.setdefault(change.old_path, (set(), set()))
            lines[0].update(change.old_lines)
            lines[1].update(change.new_lines)
        elif change.new_path is not None:
            changed.setdefault(change.new_path, (set(), set()))[0].add(0)
    return changed


def _ours_or_bytecode(path: str, config) -> bool:
    """Untracked files that say nothing about the tests: bytecode, and ccov's own."""
    parts = path.split("/")
    name = parts[-1]
    data_name = os.path.basename(config.data_file)
    return (
        "__pycache__" in parts
        or name.endswith((".pyc", ".pyo"))
        or name == data_name
        or name.startswith((data_name + ".", ".ccov-tmp-"))
        or ".ccov_cache" in parts
        or os.path.basename(config.html_dir.rstrip("/")) in parts[:-1]
    )


def _innermost_function(functions, line: int):
    """The function whose body holds `line` (after its `def` line), innermost first."""
    best = None
    for function in functions:
        last = max(function.lines, default=function.line)
        if function.line < line <= last and (best is None or function.line > best.line):
            best = function
    return best


def _tests_by_line(entry, static: str) -> dict[int, set[str]]:
    from ccov.data import linebits

    found: dict[int, set[str]] = {}
    for context, bits in entry.lines.items():
        name = context[len(static) + 1:] if static and context.startswith(static + "|") else context
        nodeid, bar, phase = name.rpartition("|")
        if not bar or phase not in ("setup", "run", "teardown"):
            continue
        for line in linebits.to_lines(bits):
            found.setdefault(line, set()).add(nodeid)
    return found


def select(data, config, repository: str, rootdir: str, ref: str, collected: list[str]) -> Selection:
    """Which of the `collected` node ids to run."""
    try:
        return _select(data, config, repository, rootdir, ref, collected)
    except _Fallback as reason:
        return Selection(run_everything=str(reason))


def _select(data, config, repository: str, rootdir: str, ref: str, collected: list[str]) -> Selection:
    from ccov.changes import gitdiff
    from ccov.files import canonical
    from ccov.model.source import content_hash

    recorded = _check_recording(data, config)
    try:
        diff = gitdiff.git("diff", "--no-color", "--no-renames", "--unified=0", ref, "--", cwd=repository)
        untracked = gitdiff.git("ls-files", "--others", "--exclude-standard", "--full-name", cwd=repository)
        top = gitdiff.git("rev-parse", "--show-toplevel", cwd=repository).strip()
    except CcovError as err:
        raise _Fallback(str(err)) from None
    changes = _changes(diff)
    for path in untracked.splitlines():
        if not _ours_or_bytecode(path, config):
            changes.setdefault(path, (set(), set()))[0].add(0)

    selection = Selection()
    selection.new = {nodeid for nodeid in collected if nodeid not in recorded}
    selection.not_passed = {nodeid for nodeid, outcome in recorded.items() if outcome != "passed"}
    test_files = {nodeid.split("::", 1)[0] for nodeid in collected}
    measured = {canonical(path): path for path in data.files}
    static = data.meta.get("static_context", "")
    for relative, (lines, new_lines) in sorted(changes.items()):
        absolute = os.path.join(top, relative)
        from_root = os.path.relpath(absolute, rootdir).replace(os.sep, "/")
        if from_root in test_files and os.path.basename(relative) != "conftest.py":
            selection.changed_test_files.add(from_root)
            continue
        recorded_path = measured.get(canonical(absolute))
        if recorded_path is None:
            raise _Fallback(f"{relative} changed and the data knows nothing of it")
        if 0 in lines:
            raise _Fallback(f"{relative} is new since {ref}")
        try:
            before = gitdiff.git("show", f"{ref}:{relative}", cwd=top).encode("utf-8", "surrogateescape")
        except CcovError as err:
            raise _Fallback(str(err)) from None
        entry = data.files[recorded_path]
        if entry.hash and entry.hash != content_hash(before):
            raise _Fallback(f"the data was not recorded at {ref}: {relative} differs")
        functions = _functions(before, relative, f"{relative} at {ref}", config)
        try:
            with open(absolute, "rb") as now:
                current = now.read()
        except OSError as err:
            raise _Fallback(f"{relative} cannot be read: {err.strerror}") from None
        touched = _changed_functions(lines, functions, new_lines, _functions(current, relative, relative, config), relative)
        by_line = _tests_by_line(entry, static)
        for function in touched:
            for body_line in function.lines:
                selection.affected |= by_line.get(body_line, set())
    return selection


def _functions(source: bytes, path: str, label: str, config):
    from ccov.model import analysis
    from ccov.model.source import SourceError, decode

    try:
        return analysis.analyze(decode(source, path), path, config.exclusion_regexes).functions
    except (SourceError, analysis.AnalysisError) as err:
        raise _Fallback(f"{label} cannot be analysed: {err}") from None


def _changed_functions(old_lines, old_functions, new_lines, new_functions, relative: str) -> list:
    """The functions (at REF) that the change is inside.  Lines changed at REF
    must lie in a function body there, and lines changed or added in the
    working tree in a function body here (so an added method or module-level
    line is seen); a function that is new is reached through the one it is in."""
    touched = {}
    for line in sorted(old_lines):
        function = _innermost_function(old_functions, line)
        if function is None:
            raise _Fallback(f"{relative}:{line} changed outside any function body")
        touched[function.name] = function
    by_name = {function.name: function for function in old_functions}
    for line in sorted(new_lines):
        function = _innermost_function(new_functions, line)
        if function is None:
            raise _Fallback(f"{relative}:{line} (in the working tree) is outside any function body")
        name = function.name
        while name and name not in by_name:
            name = name.rpartition(".")[0]
        if not name:
            raise _Fallback(f"{relative}: {function.name} is new and inside no function that was recorded")
        touched[name] = by_name[name]
    return list(touched.values())
