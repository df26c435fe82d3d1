"""The branches of a source file, read from its syntax tree: for each line
that can go more than one way, the lines it can go to.

This is coverage.py's model of a branch, so that `--branch` results agree
with it: `if`/`elif`, `while` (not `while True`), `for` and `async for`
(into the body, or to the `else` clause or what follows the loop), and each
refutable `case` of a `match` (into its body, or on to the next case).  A
destination is the first line of a statement; one that leaves a function,
class body or module is minus the first line of that scope ("exit").
"""

from __future__ import annotations

import ast

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def first_line(node: ast.stmt) -> int:
    """The line a statement starts running at: a decorator runs before its `def`."""
    decorators = getattr(node, "decorator_list", None)
    return min([d.lineno for d in decorators] + [node.lineno]) if decorators else node.lineno


def irrefutable(case: ast.match_case) -> bool:
    """A case that matches anything (`case _:`, `case name:`, or an `|` ending in one)."""
    if case.guard is not None:
        return False
    pattern = case.pattern
    while isinstance(pattern, ast.MatchOr):
        pattern = pattern.patterns[-1]
    while isinstance(pattern, ast.MatchAs) and pattern.pattern is not None:
        pattern = pattern.pattern
    return isinstance(pattern, ast.MatchAs) and pattern.pattern is None


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


class _Finder:
    def __init__(self, excluded: frozenset):
        self.excluded = excluded
        self.branches: dict[int, tuple[int, ...]] = {}

    def add(self, line: int, destinations: list[int]) -> None:
        if line in self.excluded:
            return
        kept = {d for d in destinations if d not in self.excluded}
        if len(kept) > 1:
            self.branches[line] = tuple(sorted(kept))

    def block(self, body: list, after: int) -> None:
        """Statements in sequence; control leaves the last one for `after`."""
        for index, statement in enumerate(body):
            following = first_line(body[index + 1]) if index + 1 < len(body) else after
            self.statement(statement, following)

    def statement(self, node: ast.stmt, after: int) -> None:
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            self.block(node.body, -first_line(node))
        elif isinstance(node, ast.If):
            self.add(node.lineno, [first_line(node.body[0]), first_line(node.orelse[0]) if node.orelse else after])
            self.block(node.body, after)
            self.block(node.orelse, after)
        elif isinstance(node, (ast.While, ast.For, ast.AsyncFor)):
            otherwise = first_line(node.orelse[0]) if node.orelse else after
            if not (isinstance(node, ast.While) and _always_true(node.test)):
                self.add(node.lineno, [first_line(node.body[0]), otherwise])
            self.block(node.body, node.lineno)
            self.block(node.orelse, after)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            leave = first_line(node.finalbody[0]) if node.finalbody else after
            self.block(node.body, first_line(node.orelse[0]) if node.orelse else leave)
            for handler in node.handlers:
                self.block(handler.body, leave)
            self.block(node.orelse, leave)
            self.block(node.finalbody, after)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self.block(node.body, after)
        elif isinstance(node, ast.Match):
            self.match(node, after)

    def match(self, node: ast.Match, after: int) -> None:
        for index, case in enumerate(node.cases):
            if index + 1 < len(node.cases):
                next_case = node.cases[index + 1].pattern.lineno
            else:
                next_case = after
            if not irrefutable(case):
                self.add(case.pattern.lineno, [first_line(case.body[0]), next_case])
            self.block(case.body, after)


def possible_branches(tree: ast.Module, excluded: frozenset) -> dict[int, tuple[int, ...]]:
    """{branch line: destination lines}, for lines with two or more destinations."""
    finder = _Finder(excluded)
    finder.block(tree.body, -1)
    return finder.branches
