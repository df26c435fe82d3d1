"""Reading a TOML configuration file, parsed once per content.

tomllib, with the `re`, `datetime` and `string` modules it imports and the
expressions it compiles when it loads, costs about 75 M instructions on
3.12, nearly twice Python's own start-up, on every `ccov run` of a project
that keeps its coverage settings in pyproject.toml (about 48 M under
pytest, which has loaded `re` already). So the parsed document is kept in `.ccov_cache/`
beside the file, with the bytes it was parsed from, and read back with
marshal while the file still holds those bytes. A kept document that is
missing, damaged, of another Python or of other bytes is not used; one that
cannot be written (a read-only folder, a document with dates, which marshal
cannot hold) is simply not kept.
"""

from __future__ import annotations

import os
import sys

_FORMAT = 1  # what a kept document is: (_FORMAT, the file's bytes, the document)


def load(path: str) -> dict:
    """The document in the TOML file at `path`.  Raises what reading and
    tomllib raise: OSError, UnicodeDecodeError, tomllib.TOMLDecodeError."""
    with open(path, "rb") as toml_file:
        content = toml_file.read()
    kept_at = _kept_path(path)
    document = _read_kept(kept_at, content)
    if document is None:
        import tomllib

        document = tomllib.loads(content.decode("utf-8-sig"))  # as coverage.py: a BOM may start it
        _keep(kept_at, content, document)
    return document


def _kept_path(path: str) -> str:
    folder = os.path.join(os.path.dirname(os.path.abspath(path)), ".ccov_cache")
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return os.path.join(folder, f"toml-{os.path.basename(path)}-py{version}.marshal")


def _read_kept(kept_at: str, content: bytes) -> dict | None:
    import marshal

    from ccov.files import read_regular

    try:
        kept = marshal.loads(read_regular(kept_at))  # a FIFO planted there must not block
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if type(kept) is tuple and len(kept) == 3 and kept[0] == _FORMAT and kept[1] == content \
            and type(kept[2]) is dict:
        return kept[2]
    return None


def _keep(kept_at: str, content: bytes, document: dict) -> None:
    import marshal

    from ccov.cache_folder import cache_folder

    try:
        data = marshal.dumps((_FORMAT, content, document))
    except ValueError:  # dates and times: not worth keeping
        return
    partial = f"{kept_at}.{os.getpid()}.partial"
    try:
        cache_folder(os.path.dirname(os.path.dirname(kept_at)))
        with open(partial, "wb") as partial_file:
            partial_file.write(data)
        os.replace(partial, kept_at)
    except OSError:
        try:
            os.unlink(partial)
        except OSError:
            pass
