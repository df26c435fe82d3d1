"""File-name patterns for --omit: a small glob dialect matched against absolute paths.

- `**` matches any number of directories (including none);
- a leading `*` and a trailing `/*` match any number of directories, so the
  usual `*/tests/*` means "any file under a directory called tests";
- elsewhere `*` stays within one directory and `?` matches one character;
- a pattern that is neither absolute nor starts with a wildcard is relative to
  the directory ccov runs in.
"""

from __future__ import annotations

import os

from ccov.errors import UsageError

TYPE_CHECKING = False  # typing itself is not imported: it costs start-up time
if TYPE_CHECKING:
    import re

# The pattern that splits a glob into tokens.  `re` is imported only when a
# pattern is given: with enum, it is a third of `ccov run`'s start-up.
_TOKENS = r"\*\*/?|^\*+|/\*$|\*|\?|\[[^\]/]*\]|[^*?\[]+|\["


def _translate(pattern: str) -> str:
    import re

    parts = []
    for match in re.finditer(_TOKENS, pattern):
        token = match.group()
        if token.startswith("**"):
            parts.append("(?:.*/)?" if token.endswith("/") else ".*")
        elif match.start() == 0 and token.startswith("*"):
            parts.append(".*")
        elif token == "/*":
            parts.append("/.*")
        elif token == "*":
            parts.append("[^/]*")
        elif token == "?":
            parts.append("[^/]")
        elif token.startswith("[") and len(token) > 1:
            body = token[1:-1]
            if body.startswith("!"):
                body = "^" + body[1:]
            parts.append("[" + body.replace("\\", "\\\\") + "]")
        else:
            parts.append(re.escape(token))
    return "".join(parts)


def compile_patterns(patterns: list[str], root: str) -> re.Pattern | None:
    """One regex matching any of `patterns`, or None when there are none."""
    regexes = []
    for pattern in patterns:
        pattern = pattern.strip().replace(os.sep, "/")
        if not pattern:
            continue
        if not (pattern.startswith(("*", "/", "?"))):
            pattern = os.path.join(root, pattern).replace(os.sep, "/")
        regexes.append(_translate(pattern))
    if not regexes:
        return None
    import re

    try:
        # \Z ends every alternative: appended to the last alone, it let the
        # others match as prefixes (`pkg/cli` omitted pkg/cli_helpers.py).
        return re.compile("(?:" + "|".join(regexes) + r")\Z")
    except (re.error, OverflowError, RecursionError) as err:
        bad = ", ".join(repr(p) for p in patterns)
        raise UsageError(f"invalid file pattern among {bad}: {err}") from None
