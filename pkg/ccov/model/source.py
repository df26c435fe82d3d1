"""Reading Python source as Python does: PEP 263 coding cookies and BOMs."""

from __future__ import annotations

import io

from ccov.data.datafile import checksum
from ccov.files import zip_member


class SourceError(Exception):
    """A source file that cannot be read or decoded; the message says why."""


def read_bytes(path: str) -> bytes:
    """A source file's bytes; a module imported from a zip archive is read
    from the archive (its name is `archive.zip/inner/mod.py`)."""
    try:
        with open(path, "rb") as source_file:
            return source_file.read()
    except OSError as err:
        inside = zip_member(path)
        if inside is not None:
            return _read_member(*inside)
        raise SourceError(f"cannot read {path}: {err.strerror or err}") from None


def _read_member(archive: str, member: str) -> bytes:
    import zipimport

    try:
        return zipimport.zipimporter(archive).get_data(member)
    except (OSError, zipimport.ZipImportError) as err:
        raise SourceError(f"cannot read {member} in {archive}: {err}") from None


# tokenize (and the `re` and enum it imports) waits for the functions that
# read source as text: `ccov run` only hashes bytes, and starts faster.

_BOM = b"\xef\xbb\xbf"


def decode(data: bytes, path: str) -> str:
    """The text Python reads from a source file's bytes, with universal
    newlines, as the compiler sees them."""
    text = _plain_utf8(data)
    if text is None:
        text = _by_coding_cookie(data, path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _plain_utf8(data: bytes) -> str | None:
    """A file without a coding cookie in its first two lines is UTF-8, after
    a BOM if it has one.  That case, nearly every file, needs no tokenize
    module, whose import (with `re` and enum) cost `ccov run --branch` on
    3.14+ more than the rest of its start-up.  None for the others, and for
    bytes that are not UTF-8 (detect_encoding says why, as Python would)."""
    second_line_end = data.find(b"\n", data.find(b"\n") + 1)
    if b"coding" in (data if second_line_end < 0 else data[:second_line_end]):
        return None
    try:
        return data[len(_BOM):].decode() if data.startswith(_BOM) else data.decode()
    except UnicodeDecodeError:
        return None


def _by_coding_cookie(data: bytes, path: str) -> str:
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as err:
        raise SourceError(f"cannot decode {path}: {err}") from None


def content_hash(data: bytes) -> str:
    """What names a source's content: its line endings do not count (a
    Windows shard's checkout of a file is the same file, with the same
    lines, as coverage.py takes it)."""
    return checksum(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hex()


def multiline_map(tokens) -> dict[int, int]:
    """{line: first line of its statement} for the lines of multi-line statements."""
    import token
    import tokenize

    mapping = {}
    first = 0
    for kind, text, (start_line, _), (end_line, _), _ in tokens:
        if kind == token.NEWLINE:
            if first and end_line != first:
                for line in range(first, end_line + 1):
                    mapping[line] = first
            first = 0
        if text.strip() and kind != tokenize.COMMENT and not first:
            first = start_line
    return mapping


def tokens_of(text: str) -> list:
    """(type, string, start, end, line) tuples.  The C tokenizer's own tuples
    when available: tokenize.generate_tokens wraps each in a namedtuple, which
    is a third of the cost of analysing a file."""
    import tokenize

    readline = io.StringIO(text).readline
    try:
        import _tokenize  # type: ignore[import-not-found]  # private, no stubs

        return list(_tokenize.TokenizerIter(readline, extra_tokens=True))
    except SyntaxError as err:
        raise tokenize.TokenError(err.msg, (err.lineno, err.offset)) from None
    except (ImportError, TypeError):
        return list(tokenize.generate_tokens(readline))


def statement_map(path: str) -> tuple:
    """((line, first line of its statement), ...) for the multi-line
    statements of a source file; () if it cannot be read or tokenized.  The
    3.14+ branch collector asks it once per file (csrc/branches_314.c), while
    the program runs: the collector's own scanner (csrc/statements.c) finds
    the same lines as multiline_map at a thirtieth of the cost, and the
    tokenizer answers only where the scanner cannot follow the text."""
    from ccov._collector import multiline_statements

    try:
        text = decode(read_bytes(path), path)
    except SourceError:
        return ()
    found = multiline_statements(text)
    if found is not None:
        return found
    import tokenize

    try:
        return tuple(multiline_map(tokens_of(text)).items())
    except (tokenize.TokenError, SyntaxError, ValueError):
        return ()
