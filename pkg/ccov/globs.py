"""File-name patterns (`omit`, `include`, report-time and run-time, and
`fail_under_file`), with coverage.py's meaning, so that a project's patterns
select the same files under either tool:

- a pattern without a slash names a file anywhere in the tree
  (`conftest.py`, `test_*.py`);
- any other pattern matches a whole absolute path: a leading `*/` stands for
  any folders or none (`*/tests/*` matches `tests/a.py` below the root, and
  `/x/tests/unit/b.py`), `**/` for any folders or none anywhere, a trailing
  `/*` for everything below, `*` for part of one name, `?` for one
  character, and `[...]` for one character of a set;
- a pattern that does not start with a wildcard is also tried as a path
  from the root (the directory ccov runs in), with links resolved;
- `/` and `\\` both match either separator.

`***`, `x**`, `**x`, `**/**` and an unmatched bracket are errors, as there.
"""

from __future__ import annotations

import os

from ccov.errors import UsageError

TYPE_CHECKING = False  # typing itself is not imported: it costs start-up time
if TYPE_CHECKING:
    import re

_SLASH = r"[/\\]"
# (regex matching the pattern's next piece, what it becomes; None: an error),
# tried in order at each position of the pattern.  `re` is imported only
# when a pattern is given: with enum, it is a third of `ccov run`'s start-up.
_PIECES = (
    (r"\*\*\*+", None),
    (r"[^/]+\*\*+", None),
    (r"\*\*+[^/]+", None),
    (r"\*\*/\*\*", None),
    (r"^\*+/", f"(?:.*{_SLASH})?"),
    (r"/\*+$", f"{_SLASH}.*"),
    (r"\*\*/", f"(?:.*{_SLASH})?"),
    (r"/", _SLASH),
    (r"\*", r"[^/\\]*"),
    (r"\?", r"[^/\\]"),
    (r"\[.*?\]", "CLASS"),
    (r"[a-zA-Z0-9_-]+", "LITERAL"),
    (r"[\[\]]", None),
    (r"[\s\S]", "ESCAPED"),
)
_compiled: list = []


def translate(pattern: str) -> str:
    """The regex (unanchored) of one pattern, as coverage.py reads it."""
    import re

    if not _compiled:
        _compiled.extend((re.compile(piece), becomes) for piece, becomes in _PIECES)
    pattern = pattern.replace("\\", "/")
    if "/" not in pattern:
        pattern = "**/" + pattern
    regex = []
    position = 0
    while position < len(pattern):
        for piece, becomes in _compiled:
            found = piece.match(pattern, position)
            if found is None:
                continue
            if becomes is None:
                raise UsageError(f"file pattern {pattern!r} cannot hold {found.group()!r}")
            text = found.group()
            regex.append(text if becomes in ("CLASS", "LITERAL") else re.escape(text) if becomes == "ESCAPED"
                         else becomes)
            position = found.end()
            break
    return "".join(regex)


def compile_patterns(patterns: list[str], root: str) -> re.Pattern | None:
    """One regex matching (from its start, to its end) the absolute paths any
    of `patterns` names, or None when there are none."""
    forms = []
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        forms.append(pattern)
        if not pattern.startswith(("*", "?")):
            forms.append(os.path.realpath(os.path.join(root, pattern)))
    if not forms:
        return None
    import re

    regexes = [translate(form) for form in forms]
    try:
        return re.compile("(?:" + "|".join(f"(?:{regex})" for regex in regexes) + r")\Z",
                          re.IGNORECASE if os.name == "nt" else 0)
    except (re.error, OverflowError, RecursionError) as err:
        bad = ", ".join(repr(p) for p in patterns)
        raise UsageError(f"invalid file pattern among {bad}: {err}") from None
