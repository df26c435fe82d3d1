"""The collector's scanner of multi-line statements (csrc/statements.c) finds
the lines the tokenizer finds (ccov.model.source.multiline_map): on 3.14+
branch mode resolves each branch to the next statement by it, so a line put
in the wrong statement would be a wrong arc."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ccov import _collector
from ccov.model.source import SourceError, decode, multiline_map, read_bytes, statement_map, tokens_of


def tokenizer_map(text: str) -> dict[int, int] | None:
    import tokenize

    try:
        return multiline_map(tokens_of(text))
    except (tokenize.TokenError, SyntaxError):
        return None


CASES = {
    "plain": "x = 1\ny = (1,\n     2)\nz = 3\n",
    "continued line": "x = 1 + \\\n    2 + \\\n    3\ny = 4\n",
    "brackets in strings and comments": "x = ')'  # (\ny = [1,  # ]\n     '[', \"]\"]\n",
    "escaped quotes": "x = 'it\\'s (' + \"\\\"\"\ny = '''a\n' '' \\'''\n'''\n",
    "triple-quoted docstring": 'def f():\n    """Doc\n\n    more"""\n    return (1\n            )\n',
    "prefixes": "a = rb'\\'(' + Rb\"x\" + BR'''\n'''\nb = u'(' + br'['\n",
    "a name before a quote is no prefix": "x = [print, 'a']\nif x: y = 'b'\n",
    "statement at the end without a newline": "x = 1\ny = (2,\n 3)",
    "comment-only and blank lines": "# (\n\n\nx = (1,\n\n# ]\n     2)\n",
    "compound one-liners": "if x: y = (1,\n  2)\nelse: z = 3\nwhile (a and\n       b): pass\n",
    "decorators": "@decorate(1,\n          2)\ndef f(\n    x,\n):\n    return x\n",
    "f-string with nested fields in its format spec": "w = 5\nx = f'{3.14159:{w}.{2}f}' + f\"{'}'!r:>{w}}\"\ny = 1\n",
    "f-string braces": "x = f'{{(' + f'}}' + f'{{{1}}}'\ny = (1,\n 2)\n",
    "raw f-string with a backslash before braces": "x = fr'\\{{' + rf'\\{1}'\ny = 2\n",
    "named characters in an f-string": "x = f'\\N{EM DASH}{1}\\N{LEFT CURLY BRACKET}'\ny = (1,\n 2)\n",
    "triple-quoted f-string over lines": "x = f'''\n{1 +\n 2}\n'''\ny = 3\n",
    "f-string field holding a dict and a lambda": "x = f'{ {1: 2}[1] }{(lambda q: q)(3)}'\ny = 1\n",
    "f-string debugging and conversions": "x = 1\ny = f'{x=}{x!r}{x = !s:>4}{x!=2}'\nz = (1,\n 2)\n",
}

CASES_312 = {
    # PEP 701: the same quote inside a field, and comments in a multi-line field.
    "f-string holding its own quote": 'd = {"k": 1}\nx = f"{d["k"]}" + f"{f"{f"{1}"}"}"\ny = (1,\n 2)\n',
    "f-string field over lines with a comment": "x = f'''{\n    1  # one (\n    + 2\n}'''\ny = 3\n",
    "single-quoted f-string field over lines": "x = f'{1 +\n2}'\ny = (3,\n 4)\n",
}

CASES_314 = {
    "template strings": "x = 1\ny = t'{x}(' + t'''\n{x:>{x}}\n''' + rt'\\{x}'\nz = (1,\n 2)\n",
}


def _cases():
    cases = dict(CASES)
    cases.update(CASES_312)
    if sys.version_info >= (3, 14):
        cases.update(CASES_314)
    return cases


@pytest.mark.parametrize("name", list(_cases()))
def test_the_scanner_finds_the_tokenizers_statements(name):
    text = _cases()[name]
    compile(text, name, "exec")  # the cases are real Python
    expected = tokenizer_map(text)
    assert expected is not None
    found = _collector.multiline_statements(text)
    assert found is not None, "the scanner could not follow a valid file"
    assert dict(found) == expected
    assert len(found) == len(expected), "a line given twice"


@pytest.mark.parametrize("text", ["x = (1,\n", "x = 'abc\n", "x = '''abc\n", "x = f'{1\n", "x = )\n",
                                  "x = f'{1:{2}'\n"])
def test_text_the_scanner_cannot_follow_gives_none(text):
    """Where the text does not end its strings and brackets, the scanner
    says so, and statement_map asks the tokenizer instead."""
    assert _collector.multiline_statements(text) is None


def test_statement_map_falls_back_to_the_tokenizer(tmp_path, monkeypatch):
    """Where the scanner cannot follow a file, the tokenizer's answer is used."""
    source = tmp_path / "module.py"
    source.write_text("x = f'{1}'\ny = (1,\n     2)\n")
    assert statement_map(str(source)) == ((2, 2), (3, 2))
    monkeypatch.setattr(_collector, "multiline_statements", lambda text: None)
    assert statement_map(str(source)) == ((2, 2), (3, 2))


def _library_sources():
    root = Path(os.__file__).parent
    return [path for path in sorted(root.rglob("*.py")) if "site-packages" not in path.parts]


def test_the_scanner_agrees_with_the_tokenizer_on_the_standard_library():
    """Every module of this Python's standard library (its test suite too,
    where installed: test_fstring and test_tstring hold the strangest
    strings there are)."""
    compared = 0
    for path in _library_sources():
        try:
            text = decode(read_bytes(str(path)), str(path))
        except SourceError:
            continue
        expected = tokenizer_map(text)
        if expected is None:
            continue  # not Python this tokenizer reads (badsyntax test files)
        found = _collector.multiline_statements(text)
        assert found is not None and dict(found) == expected, path
        compared += 1
    assert compared > 500


def test_text_is_asked_for_as_str():
    with pytest.raises(TypeError):
        _collector.multiline_statements(b"x = 1\n")  # type: ignore[arg-type]
