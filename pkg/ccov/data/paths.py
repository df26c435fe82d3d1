"""File names across machines and checkouts.

- `[paths]` (coverage.py's, or `[tool.ccov.paths]`): each entry is a list
  whose first item is where the files are here, and whose other items are
  patterns of where other machines (or a tox site-packages) recorded them.
  They mean what they mean to coverage.py: a pattern that does not start
  with a wildcard is a path from the configuration's folder (with links
  resolved), `*/` at its start and `**/` stand for any folders or none, `*`
  for part of one name, `/` and `\\` match either separator, and case is
  ignored; the pattern matches the start of a recorded name, which is
  renamed only if the renamed file exists here, else the next pattern is
  tried.  A pattern may not end with a wildcard, nor a result hold one.
- `relative_files = true`: names under the measured root are stored
  relative to it, so shards run in different checkouts agree; reports and
  combine resolve them against the current directory.  With it, patterns
  stay relative, and a recorded relative name whose first folder exists
  here maps onto it (coverage.py's implicit `*/<folder>` rule).
"""

from __future__ import annotations

import os
import re

from ccov.data.datafile import CoverageData
from ccov.errors import UsageError
from ccov.globs import translate


def _separator(text: str) -> str:
    """The separator a name is written with: its first slash or backslash."""
    found = re.search(r"[/\\]", text)
    return found.group() if found else os.sep


def _absolute_anywhere(text: str) -> bool:
    """Absolute on POSIX or on Windows, wherever ccov runs."""
    return text.startswith(("/", "\\")) or re.match(r"[a-zA-Z]:", text) is not None


class PathMap:
    """Rename recorded file names by `[paths]` rules, as coverage.py's
    PathAliases does."""

    def __init__(self, rules: dict[str, list[str]], base: str, relative: bool = False):
        self.base = base
        self.relative = relative
        self.aliases: list[tuple[str, re.Pattern, str]] = []
        for entries in rules.values():
            for pattern in entries[1:]:
                self._add(pattern, entries[0])

    def _add(self, pattern: str, result: str) -> None:
        original = pattern
        separator = _separator(pattern)
        if len(pattern) > 1:
            pattern = pattern.rstrip("\\/")
        if pattern.endswith("*"):
            raise UsageError(f"[paths] pattern {original!r} must not end with a wildcard")
        if not self.relative and not pattern.startswith("*") and not _absolute_anywhere(pattern + separator):
            pattern = os.path.realpath(os.path.join(self.base, pattern))
        if not pattern.endswith(separator):
            pattern += separator
        if "*" in result or "?" in result:
            raise UsageError(f"[paths] result {result!r} must not hold a wildcard")
        result = result.rstrip("\\/") + _separator(result)
        self.aliases.append((original, re.compile(translate(pattern), re.IGNORECASE), result))

    def __call__(self, name: str) -> str:
        if self.relative:
            name = _relative(name, self.base)
        for _, regex, result in self.aliases:
            found = regex.match(name)
            if not found:
                continue
            renamed_to = (result + name[found.end():]).replace(_separator(name), _separator(result))
            if not self.relative:
                renamed_to = os.path.realpath(os.path.join(self.base, renamed_to))
            elif renamed_to.startswith(("./", ".\\")) and not result.startswith(("./", ".\\")):
                renamed_to = renamed_to[2:]
            if os.path.exists(os.path.join(self.base, renamed_to)):
                return renamed_to
        if self.relative and not _absolute_anywhere(name):
            return self._implicit(name)
        return name

    def _implicit(self, name: str) -> str:
        """coverage.py's rule made on the fly for a relative name: its first
        folder, found anywhere in a later recorded name, is that folder
        here (`*/<folder>`)."""
        parts = re.split(r"[/\\]", name)
        if len(parts) > 1:
            pattern = f"*/{parts[0]}"
            if not any(original == pattern for original, _, _ in self.aliases):
                regex = re.compile(rf"(?:.*[/\\])?{re.escape(parts[0])}[/\\]")
                self.aliases.append((pattern, regex, parts[0] + os.sep))
                return self(name)
        return name


def renamed(data: CoverageData, rename) -> CoverageData:
    """`data` with each file name passed through `rename`; files that land on
    one name are merged."""
    result = CoverageData(meta=dict(data.meta))
    for name, entry in data.files.items():
        new_name = rename(name)
        target = result.files.get(new_name)
        if target is None:
            result.files[new_name] = entry
        else:
            target.merge(entry)
            target.hash = target.hash or entry.hash
    return result


def _relative(name: str, root: str) -> str:
    """`name` relative to `root` with `/`, if it is under it; else as it is."""
    prefix = root.rstrip(os.sep) + os.sep
    return name[len(prefix):].replace(os.sep, "/") if name.startswith(prefix) else name


def relative_to(data: CoverageData, root: str) -> CoverageData:
    """Names under `root` made relative (with `/`), for relative_files."""
    return renamed(data, lambda name: _relative(name, root))


def localized(data: CoverageData, config, base: str | None = None, keep_relative: bool = False) -> CoverageData:
    """Names as they are on this machine: remapped by `[tool.ccov.paths]`,
    and relative names resolved against `base` (unless `keep_relative`)."""
    base = base or os.getcwd()
    if not config.paths and not keep_relative and all(os.path.isabs(name) for name in data.files):
        return data  # the usual case: nothing to rename
    path_map = PathMap(config.paths, base, relative=config.relative_files) if config.paths else None

    def rename(name: str) -> str:
        if path_map is not None:
            name = path_map(name)
        if keep_relative:
            return _relative(name, base)
        return name if os.path.isabs(name) else os.path.normpath(os.path.join(base, name))

    return renamed(data, rename)
