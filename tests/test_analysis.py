"""Source analysis agrees with coverage.py's parser on statements and exclusions:
on tricky snippets, and on hundreds of real files (the standard library)."""

from __future__ import annotations

import glob
import os
import sysconfig
import textwrap

import pytest
from coverage.config import DEFAULT_EXCLUDE as COVERAGE_DEFAULT_EXCLUDE
from coverage.parser import PythonParser

from ccov.config import DEFAULT_EXCLUDE
from ccov.model.analysis import AnalysisError, analyze
from ccov.model.source import SourceError, decode

SNIPPETS = {
    "pragma block": """
        def f(x):
            if x:  # pragma: no cover
                a = 1
                b = 2
            else:
                c = 3
            return x
        """,
    "pragma decorator": """
        import functools
        @functools.lru_cache(  # pragma: no cover
            maxsize=3,
        )
        def cached(x):
            return x
        y = 1
        """,
    "pragma in multiline statement": """
        total = (1 +
                 2)  # pragma: no cover
        other = 3
        """,
    "stub bodies": """
        from typing import Protocol, overload
        class P(Protocol):
            def m(self) -> int: ...
            def n(
                self,
            ) -> str: ...
        @overload
        def f(x: int) -> int: ...
        def f(x):
            ...
            return x
        """,
    "type checking": """
        import typing
        if typing.TYPE_CHECKING:
            import os
        x = 1
        """,
    "docstrings everywhere": '''
        """Module docstring
        on two lines."""
        class C:
            """Class doc."""
            def m(self):
                """Method doc."""
                return 1
        def g():
            "single-quoted doc"
        ''',
    "match with excluded default": """
        def f(v):
            match v:
                case 1:
                    return "one"
                case _:  # pragma: no cover
                    return "other"
        """,
    "one-liners": """
        if True: x = 1
        while False: pass
        for i in range(2): y = i
        def h(): return 1
        class K: pass
        z = lambda: (yield)
        """,
    "continuations": """
        a = 1 + \\
            2
        b = [x
             for x in range(3)
             if x]
        c = f'''{a}
        {b}'''
        """,
    "constant tests": """
        if 0:
            dead = 1
        while 1:
            break
        if __debug__:
            live = 1
        """,
}


def coverage_says(text: str) -> tuple[set, set]:
    parser = PythonParser(text=text, exclude="|".join(f"(?:{r})" for r in COVERAGE_DEFAULT_EXCLUDE))
    parser.parse_source()
    return parser.statements, parser.excluded


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets(name):
    text = textwrap.dedent(SNIPPETS[name]).lstrip("\n")
    ours = analyze(text, "snippet.py", DEFAULT_EXCLUDE)
    statements, excluded = coverage_says(text)
    assert set(ours.statements) == statements
    assert set(ours.excluded) == excluded


def _stdlib_files():
    root = sysconfig.get_paths()["stdlib"]
    files = sorted(glob.glob(os.path.join(root, "*.py")) + glob.glob(os.path.join(root, "*", "*.py")))
    return [f for f in files if "site-packages" not in f and "/test/" not in f and "lib2to3" not in f]


def test_standard_library_sources():
    """Every stdlib module that parses gives coverage.py's statements and exclusions."""
    checked = 0
    for path in _stdlib_files()[::3]:
        with open(path, "rb") as source_file:
            data = source_file.read()
        try:
            text = decode(data, path)
            ours = analyze(text, path, DEFAULT_EXCLUDE)
        except (SourceError, AnalysisError):
            continue
        if not text.strip():
            assert not ours.statements, path
            continue
        statements, excluded = coverage_says(text)
        assert set(ours.statements) == statements, path
        assert set(ours.excluded) == excluded, path
        checked += 1
    assert checked > 150


def test_syntax_error_is_one_line():
    with pytest.raises(AnalysisError) as caught:
        analyze("def f(:\n    pass\n", "bad.py", DEFAULT_EXCLUDE)
    assert str(caught.value).startswith("bad.py is not valid Python at line 1")
    with pytest.raises(AnalysisError):
        analyze("x = 1\n\0\n", "nul.py", DEFAULT_EXCLUDE)


def test_source_decoding_follows_pep_263():
    latin = "# -*- coding: latin-1 -*-\nname = 'café'\n".encode("latin-1")
    assert "café" in decode(latin, "x.py")
    assert decode(b"\xef\xbb\xbfx = 1\r\ny = 2\r\n", "bom.py") == "x = 1\ny = 2\n"
    with pytest.raises(SourceError, match="cannot decode"):
        decode(b"x = '\xff'\n", "bad.py")


@pytest.mark.parametrize("data", [
    b"x = 1\n", b"", b"x = 1", b"\xef\xbb\xbfx = 'caf\xc3\xa9'\n", "x = 'é'\r\ny = 2\rz = 3\n".encode(),
    "#!/usr/bin/env python\n# coding: latin-1\nx = 'é'\n".encode("latin-1"),
    "x = 1\n# coding: latin-1\ny = 'é'\n".encode(),  # a cookie after code is no cookie
    "x = 1\ny = 2\n# coding: latin-1\nz = 'é'\n".encode(),  # nor on the third line
    "# vim: set fileencoding=cp1252 :\nx = '\u20ac'\n".encode("cp1252"),
    b"# coding: utf-8\nx = '\xff'\n", b"\xef\xbb\xbf# coding: latin-1\n", b"# coding: no-such-codec\n",
    b"\xffx = 1\n", b"x = 1\ny = 2\nz = '\xff'\n",
])
def test_decoding_without_the_tokenizer_gives_what_it_gives(data):
    """Files without a coding cookie are decoded without importing tokenize;
    every file still reads as tokenize.detect_encoding reads it, errors too."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        expected = data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
    except (SyntaxError, UnicodeDecodeError, LookupError) as err:
        with pytest.raises(SourceError) as caught:
            decode(data, "f.py")
        assert str(caught.value) == f"cannot decode f.py: {err}"
    else:
        assert decode(data, "f.py") == expected


def test_functions_have_qualified_names():
    text = textwrap.dedent("""
        class A:
            def m(self):
                def inner():
                    return 1
                return inner()
        async def g():
            return 2
    """)
    found = {f.name: (f.line, sorted(f.lines)) for f in analyze(text, "f.py", DEFAULT_EXCLUDE).functions}
    assert found == {"A.m": (3, [4, 6]), "A.m.inner": (4, [5]), "g": (7, [8])}


def test_analysis_repeats_no_compiler_warning(recwarn):
    """3.14 warns of `return` in `finally` (PEP 765) when the program compiles;
    a report that analyses the file says nothing more."""
    from ccov.model.analysis import analyze

    source = "def f():\n    try:\n        pass\n    finally:\n        return 1\n"
    assert analyze(source, "warned.py", []).statements
    assert [str(w.message) for w in recwarn] == []
