"""File names across machines and checkouts.

- `[tool.ccov.paths]`: each entry is a list whose first item is where the
  files are here, and whose other items are prefixes (or patterns) under
  which other machines recorded them, as coverage.py's `[paths]`.  A
  recorded name is renamed only if the renamed file exists here.
- `relative_files = true`: names under the measured root are stored
  relative to it, so shards run in different checkouts agree; reports and
  combine resolve them against the current directory.

Patterns: `*` is any run of characters within one directory name, `?` one
character, `**` any number of directories (none included); `/` and `\\`
both match either separator, so Windows names map too.  A pattern matches
from the start of the recorded name; begin it with `*/` or `**/` to match
anywhere (`*/src` also matches a relative `src/...`).
"""

from __future__ import annotations

import os
import re

from ccov.data.datafile import CoverageData

_SEPARATOR = r"[/\\]"


def _pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern.replace("\\", "/").rstrip("/")
    optional_first_directory = pattern.startswith("*/")
    if optional_first_directory:
        pattern = pattern[2:]
    pieces = []
    for piece in re.split(r"(\*\*/?|\*|\?|/)", pattern):
        if piece in ("**", "**/"):
            pieces.append(r"(?:.*[/\\])?" if piece == "**/" else r".*")
        elif piece == "*":
            pieces.append(r"[^/\\]*")
        elif piece == "?":
            pieces.append(r"[^/\\]")
        elif piece == "/":
            pieces.append(_SEPARATOR)
        else:
            pieces.append(re.escape(piece))
    prefix = r"(?:[^/\\]*[/\\])?" if optional_first_directory else ""
    return re.compile(prefix + "".join(pieces) + _SEPARATOR)


class PathMap:
    """Rename recorded file names by the `[tool.ccov.paths]` rules."""

    def __init__(self, rules: dict[str, list[str]], base: str):
        self.rules = []
        for entries in rules.values():
            if entries:
                local = os.path.join(base, entries[0])
                self.rules.append((local, [_pattern_regex(p) for p in entries[1:]]))

    def __call__(self, name: str) -> str:
        for local, patterns in self.rules:
            for pattern in patterns:
                match = pattern.match(name)
                if match:
                    rest = name[match.end():].replace("\\", "/")
                    candidate = os.path.normpath(os.path.join(local, *rest.split("/")))
                    if os.path.exists(candidate):
                        return candidate
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
    path_map = PathMap(config.paths, base) if config.paths else None

    def rename(name: str) -> str:
        if path_map is not None:
            name = path_map(name)
        if keep_relative:
            return _relative(name, base)
        return name if os.path.isabs(name) else os.path.normpath(os.path.join(base, name))

    return renamed(data, rename)
