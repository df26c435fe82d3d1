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



def _constant(test: ast.expr) -> bool:
    """A test the compiler decides (`if True:`, `if 0:`, `if __debug__:`):
    it goes one way only, so it is no branch (coverage.py counts none)."""
    return isinstance(test, ast.Constant) or (isinstance(test, ast.Name) and test.id == "__debug__")


_NO_ARC = None  # a `raise` whose arc coverage.py does not draw (a `finally` takes it)
# How a block can end, besides the line a jump goes to (_Finder.ends).
_FALLS_THROUGH = "falls through"
_RAISES = "raises"


class _Scope:
    """Where control goes from a statement that jumps: `return` leaves by
    `exit`, `break` goes to `loop_after`, `continue` to `loop_header`, and
    `raise` to `raise_to`: the exit, or, inside a `try` body, its first
    `except` line; inside a `try` that has only a `finally` (or in the
    handlers and `else` of one with a `finally`), nowhere coverage.py draws
    an arc to (_NO_ARC).  `return`, `break` and `continue` go straight to
    their targets, through any `finally`, as in coverage.py's model."""

    def __init__(self, exit: int, loop_header: int | None = None, loop_after: int | None = None,
                 raise_to: int | None = 0):
        self.exit = exit
        self.loop_header = loop_header
        self.loop_after = loop_after
        self.raise_to = exit if raise_to == 0 else raise_to

    def where(self, raise_to: int | None) -> _Scope:
        return _Scope(self.exit, self.loop_header, self.loop_after, raise_to)

    def loop(self, header: int, after: int) -> _Scope:
        return _Scope(self.exit, header, after, self.raise_to)


class _Finder:
    def __init__(self, excluded: frozenset, with_code: frozenset | None = None, multiline: dict | None = None):
        self.excluded = excluded
        # Statements (by first line) the compiler made code for: a `global`,
        # `nonlocal` or bare annotation has none, nor has code it found
        # unreachable or a test it folded (`if 0:`, `if __debug__:`).  None: all.
        self.with_code = with_code
        self.multiline = multiline or {}
        self.branches: dict[int, tuple[int, ...]] = {}
        # {`with` line: (last line of the statement, where control goes after it)}
        self.withs: dict[int, tuple[int, int]] = {}

    def runs(self, node: ast.stmt) -> bool:
        line = first_line(node)
        return self.with_code is None or self.multiline.get(line, line) in self.with_code

    def same_statement(self, a: int, b: int) -> bool:
        """Whether two lines belong to one statement (a body on its header's
        last line, `if (a and\n b): raise E`, is on the header's line)."""
        return self.multiline.get(a, a) == self.multiline.get(b, b)

    def start(self, body: list, index: int, after: int) -> int:
        """Where control goes entering body[index:]: the first statement that
        runs (statements without code are passed over), else `after`."""
        for statement in body[index:]:
            if self.runs(statement):
                return first_line(statement)
        return after

    def add(self, line: int, destinations: list[int | None]) -> None:
        if line in self.excluded or (self.with_code is not None and line not in self.with_code):
            return  # no code on that line: the compiler decided it, it is no branch
        # An arc to its own line (`if x: y()` on one line) is no arc at all.
        kept = {d for d in destinations if d is not None and d not in self.excluded and d != line}  # None: _NO_ARC
        if len(kept) > 1:
            self.branches[line] = tuple(sorted(kept))

    def entering(self, line: int, body: list, after: int, scope: _Scope) -> int | None:
        """Where a branch on `line` goes when it enters `body`: its first
        statement that runs, or, for a body written on the branch's own line,
        where that leads."""
        index = next((i for i, statement in enumerate(body) if self.runs(statement)), None)
        if index is None:
            return after
        first = body[index]
        if not self.same_statement(first_line(first), line):
            return first_line(first)
        if isinstance(first, ast.Break) and scope.loop_after is not None:
            return scope.loop_after
        if isinstance(first, ast.Continue) and scope.loop_header is not None:
            return scope.loop_header
        if isinstance(first, ast.Return):
            return scope.exit
        if isinstance(first, ast.Raise):
            return scope.raise_to
        return self.start(body, index + 1, after)

    def ends(self, body: list, scope: _Scope) -> set:
        """How running `body` can end: _FALLS_THROUGH, _RAISES, or the line
        a `return`, `break` or `continue` ending it goes to.  Only the
        shapes that end in a jump are looked into; anything else (a loop, a
        `with`, which may swallow a raise, a nested `try`) may fall through."""
        last = next((statement for statement in reversed(body) if self.runs(statement)), None)
        if isinstance(last, ast.Return):
            return {scope.exit}
        if isinstance(last, ast.Break) and scope.loop_after is not None:
            return {scope.loop_after}
        if isinstance(last, ast.Continue) and scope.loop_header is not None:
            return {scope.loop_header}
        if isinstance(last, ast.Raise):
            return {_RAISES}
        if isinstance(last, ast.If) and not _constant(last.test):
            return self.ends(last.body, scope) | self.ends(last.orelse, scope)
        return {_FALLS_THROUGH}

    def finally_leads_to(self, node: ast.Try | ast.TryStar, after: int, scope: _Scope) -> int:
        """Where the end of a `finally` goes: where the statement goes next,
        unless its `try` can only end by one kind of jump (`try: break`):
        then where that jump goes, as it does once the `finally` ran."""
        ends = self.ends(node.body, scope)
        if _FALLS_THROUGH in ends and node.orelse:
            ends = (ends - {_FALLS_THROUGH}) | self.ends(node.orelse, scope)
        for handler in node.handlers:
            ends |= self.ends(handler.body, scope)
        if len(ends) == 1 and not ends & {_FALLS_THROUGH, _RAISES}:
            return next(iter(ends))
        return after

    def block(self, body: list, after: int, scope: _Scope) -> None:
        """Statements in sequence; control leaves the last one for `after`."""
        for index, statement in enumerate(body):
            self.statement(statement, self.start(body, index + 1, after), scope)

    def statement(self, node: ast.stmt, after: int, scope: _Scope) -> None:
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            exit = -first_line(node)
            if node.body and self.same_statement(first_line(node.body[0]), node.lineno):
                # A body on the `def` or `class` line: that line goes on to
                # what follows, and (running the body) out of the function.
                self.add(node.lineno, [after, exit])
            self.block(node.body, exit, _Scope(exit))
        elif isinstance(node, ast.If):
            otherwise = self.entering(node.lineno, node.orelse, after, scope) if node.orelse else after
            if not _constant(node.test):
                self.add(node.lineno, [self.entering(node.lineno, node.body, after, scope), otherwise])
            self.block(node.body, after, scope)
            self.block(node.orelse, after, scope)
        elif isinstance(node, (ast.While, ast.For, ast.AsyncFor)):
            otherwise = self.start(node.orelse, 0, after)
            inner = scope.loop(node.lineno, after)
            if not (isinstance(node, ast.While) and _constant(node.test)):
                self.add(node.lineno, [self.entering(node.lineno, node.body, node.lineno, inner), otherwise])
            self.block(node.body, node.lineno, inner)
            self.block(node.orelse, after, scope)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            leave = self.start(node.finalbody, 0, after)
            in_body = scope.where(node.handlers[0].lineno if node.handlers else _NO_ARC)
            self.block(node.body, self.start(node.orelse, 0, leave), in_body)
            afterwards = scope.where(_NO_ARC) if node.finalbody else scope
            for handler in node.handlers:
                self.block(handler.body, leave, afterwards)
            self.block(node.orelse, leave, afterwards)
            self.block(node.finalbody, self.finally_leads_to(node, after, scope), scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self.withs[node.lineno] = (node.end_lineno or node.lineno, after)
            self.block(node.body, after, scope)
        elif isinstance(node, ast.Match):
            self.match(node, after, scope)

    def match(self, node: ast.Match, after: int, scope: _Scope) -> None:
        for index, case in enumerate(node.cases):
            if index + 1 < len(node.cases):
                next_case = node.cases[index + 1].pattern.lineno
            else:
                next_case = after
            if not irrefutable(case):
                self.add(case.pattern.lineno, [self.entering(case.pattern.lineno, case.body, after, scope), next_case])
            self.block(case.body, after, scope)


def possible_branches(tree: ast.Module, excluded: frozenset, with_code: frozenset | None = None,
                      multiline: dict | None = None) -> tuple[dict, dict]:
    """({branch line: destination lines}, for lines with two or more
    destinations; {`with` line: (its last line, what follows it)}).

    Leaving a `with` block runs its exit on the `with` line (3.10+), so a
    recorded arc from inside the block to the `with` line is the way out of
    it: coverage.py joins it with what follows, and so does the report
    (ccov.model.results)."""
    finder = _Finder(excluded, with_code, multiline)
    finder.block(tree.body, -1, _Scope(-1))
    return finder.branches, finder.withs
