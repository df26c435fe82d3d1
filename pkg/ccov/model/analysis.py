"""Static analysis of a source file: its statements, excluded lines and functions.

Statements are counted the way coverage.py counts them, so the numbers agree:

- the candidate lines are every line number in `co_lines()` of the freshly
  compiled module and all its nested code objects;
- each line is mapped to the first line of its logical statement (tokenizer
  NEWLINE boundaries), so multi-line statements count once;
- docstrings are not statements;
- a line matching an exclusion regex is excluded; if it is (part of) the
  header of a compound statement, the whole indented suite is excluded; an
  excluded decorator or `def`/`class` line excludes the whole definition; an
  irrefutable `case` whose body is all excluded is excluded too.
"""

from __future__ import annotations

import ast
import bisect
import re
import token
import tokenize
import warnings
from dataclasses import dataclass
from types import CodeType

from ccov.model.source import multiline_map, tokens_of
from ccov.model.syntax_branches import irrefutable, possible_branches


class AnalysisError(Exception):
    """Source that does not parse; the message says where."""


@dataclass(frozen=True)
class Function:
    name: str          # qualified: Class.method, outer.inner
    line: int          # the `def` line
    lines: frozenset   # statements of its body (nested functions' bodies excluded)


@dataclass(frozen=True)
class Region:
    """A function or class as coverage.py's JSON report counts it: a
    function's lines run from its body's first line to its end, less its
    nested functions' bodies; a class's lines are its methods' bodies, less
    its nested classes'.  Blank and comment lines included."""
    kind: str          # "function" or "class"
    name: str          # qualified: Class.method, outer.inner
    start: int         # the `def` or `class` line
    lines: frozenset


@dataclass
class FileAnalysis:
    statements: frozenset
    excluded: frozenset
    functions: list
    multiline: dict    # line -> first line of its statement, for multi-line statements only
    # {branch line: the statement lines it can go to (negative: exit)}; see ccov.model.syntax_branches
    branches: dict | None = None
    # branch lines marked `# pragma: no branch`: counted, never missing (as coverage.py does)
    no_branch: frozenset = frozenset()
    # {`with` line: (its last line, what follows it)}: see ccov.model.syntax_branches.possible_branches
    withs: dict | None = None
    regions: tuple = ()  # Region, in source order
    line_count: int = 0  # lines in the source

    def first_line(self, line: int) -> int:
        return self.multiline.get(line, line)


def _code_lines(code: CodeType) -> set[int]:
    lines: set[int] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        if current.co_name == "__annotate__":  # 3.14 deferred annotations rarely run
            continue
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
        lines.update(line for _, _, line in current.co_lines() if line)
    return lines


def _lines_matching(text: str, regex: str, multiline: dict) -> set[int]:
    """Lines (mapped to their statement's first line) that a match touches.
    Newlines are counted only up to each match, so a file without a match
    costs one regex scan."""
    matched: set[int] = set()
    counted_to = 0
    line = 1
    for match in re.finditer(regex, text, flags=re.MULTILINE):
        line += text.count("\n", counted_to, match.start())
        counted_to = match.start()
        last = line + text.count("\n", match.start(), match.end())
        matched.update(multiline.get(n, n) for n in range(line, last + 1))
    return matched


def _exclude_suites(tokens, excluded: set[int]) -> None:
    """An excluded compound-statement header excludes its indented suite."""
    indent = 0
    exclude_indent = 0
    excluding = False
    statement_first = 0
    nesting = 0
    for kind, text, (start_line, _), (end_line, _), _ in tokens:
        if kind == token.INDENT:
            indent += 1
        elif kind == token.DEDENT:
            indent -= 1
        elif kind == token.OP:
            if text == ":" and nesting == 0:
                header = range(statement_first, end_line + 1)
                if not excluding and excluded.intersection(header):
                    excluded.add(end_line)
                    exclude_indent = indent
                    excluding = True
            elif text in "([{":
                nesting += 1
            elif text in ")]}":
                nesting -= 1
        elif kind == token.NEWLINE:
            statement_first = 0
        if text.strip() and kind != tokenize.COMMENT and not statement_first:
            statement_first = start_line
            if excluding and indent <= exclude_indent:
                excluding = False
            if excluding:
                excluded.add(end_line)


def _is_docstring(body: list) -> bool:
    first = body[0] if body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statement_nodes(root: ast.AST):
    """Statement-level nodes (with handlers and match cases), parents first,
    found through the block fields only: expressions are never visited."""
    todo = [root]
    while todo:
        node = todo.pop()
        yield node
        for name in _BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block:
                todo.extend(block)


def _last_line(node) -> int:
    """A node's last line (typeshed allows None; a parsed node always has one)."""
    return node.end_lineno or node.lineno


def _apply_ast_rules(tree: ast.Module, code_lines: set, excluded: set, docstrings: set) -> None:
    for node in _statement_nodes(tree):
        if isinstance(node, (*_DEFINITIONS, ast.Module)) and _is_docstring(node.body):
            doc = node.body[0]
            docstrings.update(range(doc.lineno, _last_line(doc) + 1))
        if isinstance(node, _DEFINITIONS):
            start = min((d.lineno for d in node.decorator_list), default=node.lineno)
            if excluded.intersection(range(start, node.lineno + 1)):
                excluded.update(range(start, _last_line(node) + 1))
        if isinstance(node, ast.match_case) and irrefutable(node):
            body = set(range(node.body[0].lineno, _last_line(node.body[-1]) + 1)) & code_lines
            if body and body <= excluded:
                excluded.update(range(node.pattern.lineno, _last_line(node.pattern) + 1))


def _functions(tree: ast.Module, statements: frozenset) -> list[Function]:
    """Each function with the statements of its own body: a nested function's
    body belongs to the nested function (its `def` line to the enclosing one)."""
    found: list = []  # (qualified name, node, [nested function nodes])
    todo: list = [(tree, "", None)]
    while todo:
        node, prefix, owner = todo.pop()
        for name in _BLOCK_FIELDS:
            for child in getattr(node, name, None) or ():
                if isinstance(child, _DEFINITIONS):
                    qualified = f"{prefix}{child.name}"
                    inner_owner: tuple | None = owner
                    if isinstance(child, _FUNCTIONS):
                        if owner is not None:
                            owner[2].append(child)
                        inner_owner = (qualified, child, [])
                        found.append(inner_owner)
                    todo.append((child, qualified + ".", inner_owner))
                else:
                    todo.append((child, prefix, owner))
    functions = []
    ordered = sorted(statements)
    for name, node, nested in found:
        lo = bisect.bisect_right(ordered, node.lineno)
        hi = bisect.bisect_right(ordered, node.end_lineno)
        own = set(ordered[lo:hi])
        for inner in nested:
            if inner.body:
                own.difference_update(range(inner.body[0].lineno, inner.end_lineno + 1))
        if own:
            functions.append(Function(name, node.lineno, frozenset(own)))
    functions.sort(key=lambda f: f.line)
    return functions


def _regions(tree: ast.Module) -> tuple:
    """Every function and class as a Region, in source order.  Iterative: a
    long elif chain nests as deep as it is long."""
    found = []  # (kind, name, start, the set of lines, still changing)
    context: list[tuple[str, str, set]] = []  # (kind, qualified name, lines) of the enclosing definitions
    todo: list = [tree]
    while todo:
        node = todo.pop()
        if node is None:  # the end of a definition's body
            kind, _, lines = context.pop()
            if kind == "class":
                for outer_kind, _, outer_lines in reversed(context):
                    if outer_kind == "class":
                        outer_lines -= lines
                        break
            continue
        if isinstance(node, _DEFINITIONS):
            name = f"{context[-1][1]}.{node.name}" if context else node.name
            if isinstance(node, _FUNCTIONS):
                lines = set(range(node.body[0].lineno, _last_line(node.body[-1]) + 1))
                if context and context[-1][0] == "class":
                    context[-1][2].update(lines)
                for outer_kind, _, outer_lines in reversed(context):
                    if outer_kind == "function":
                        outer_lines -= lines
                        break
                context.append(("function", name, lines))
            else:
                context.append(("class", name, set()))
            found.append((context[-1][0], name, node.lineno, context[-1][2]))
            todo.append(None)
        children = [child for field in _BLOCK_FIELDS for child in getattr(node, field, None) or ()]
        todo.extend(reversed(children))
    return tuple(Region(kind, name, start, frozenset(lines)) for kind, name, start, lines in found)


def analyze(text: str, filename: str, exclusions: list[str],
            no_branch: list[str] | tuple[str, ...] = ()) -> FileAnalysis:
    """Analyse decoded source text; raises AnalysisError if it does not parse.
    `no_branch`: regexes of lines whose branches are not counted."""
    try:
        # The program was warned already when it compiled this (3.14+: `return`
        # in `finally`, PEP 765); a report does not say it again.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename)
            code = compile(tree, filename, "exec", dont_inherit=True)
        tokens = tokens_of(text)
    except (SyntaxError, ValueError, tokenize.TokenError, RecursionError, MemoryError) as err:
        line = getattr(err, "lineno", None)
        where = f" at line {line}" if line else ""
        raise AnalysisError(f"{filename} is not valid Python{where}: {getattr(err, 'msg', None) or err}") from None
    multiline = multiline_map(tokens)
    excluded = _lines_matching(text, "|".join(f"(?:{r})" for r in exclusions), multiline) if exclusions else set()
    if excluded:
        _exclude_suites(tokens, excluded)
        excluded = {multiline.get(line, line) for line in excluded}
    code_lines = _code_lines(code)
    docstrings: set[int] = set()
    _apply_ast_rules(tree, code_lines, excluded, docstrings)
    ignored = excluded | docstrings
    statements = frozenset({multiline.get(line, line) for line in code_lines - ignored} - ignored)
    quiet = _lines_matching(text, "|".join(f"(?:{r})" for r in no_branch), multiline) if no_branch else set()
    with_code = frozenset(multiline.get(line, line) for line in code_lines)
    branches, withs = possible_branches(tree, frozenset(excluded), with_code, multiline)
    return FileAnalysis(
        statements=statements,
        excluded=frozenset(excluded),
        functions=_functions(tree, statements),
        multiline=multiline,
        branches=branches,
        withs=withs,
        no_branch=frozenset(quiet),
        regions=_regions(tree),
        line_count=len(text.splitlines()),
    )
