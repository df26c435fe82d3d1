"""Python syntax highlighting for the HTML report: source text in, one string
of escaped HTML per line out.

One regular expression over the whole text, not the tokenize module: it is
several times faster, which matters on a 2,000-file report, and a
highlighter only has to be right about what it colours.  Strings and
comments that span lines are closed at each line's end and reopened on the
next, so every line stands alone (the page hides and marks lines one by one).
"""

from __future__ import annotations

import builtins
import keyword
import re
from html import escape

_STRING_PREFIX = r"(?i:[rbuf]|br|rb|fr|rf)?"
_TOKEN = re.compile(
    rf"""
    (?P<comment>\#[^\n]*)
  | (?P<string>{_STRING_PREFIX}(?:'''(?:[^\\]|\\.)*?(?:'''|\Z)|\"\"\"(?:[^\\]|\\.)*?(?:\"\"\"|\Z)
                               |'(?:[^'\\\n]|\\.)*(?:'|$)|"(?:[^"\\\n]|\\.)*(?:"|$)))
  | (?P<number>\b(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d[\d_]*)[jJ]?\b)
  | (?P<decorator>^[ \t]*@[\w.]+)
  | (?P<name>[^\W\d]\w*)
    """,
    re.VERBOSE | re.MULTILINE | re.DOTALL,
)
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) - {"_"}
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))
_CLASS_OF = {"comment": "c", "string": "s", "number": "n", "decorator": "d"}


def _css_class(match: re.Match) -> str | None:
    kind = match.lastgroup
    if kind != "name":
        return _CLASS_OF[kind]
    word = match.group()
    if word in _KEYWORDS:
        return "k"
    if word in _BUILTINS:
        return "b"
    return None


def highlight(text: str) -> list[str]:
    """Escaped, highlighted HTML for each line of `text` (newlines already universal)."""
    lines: list[list[str]] = [[]]
    position = 0

    def emit(fragment: str, css: str | None) -> None:
        for number, piece in enumerate(fragment.split("\n")):
            if number:
                lines.append([])
            if piece:
                escaped = escape(piece, quote=False)
                lines[-1].append(f'<span class="{css}">{escaped}</span>' if css else escaped)

    for match in _TOKEN.finditer(text):
        if match.start() > position:
            emit(text[position:match.start()], None)
        emit(match.group(), _css_class(match))
        position = match.end()
    emit(text[position:], None)
    if text.endswith("\n"):
        lines.pop()
    return ["".join(parts) for parts in lines]
