"""What a code object's branches mean as line arcs, read from its bytecode.

This is the readable reference of the table the collector reads once per
measured code object, when it first runs, in branch mode on 3.12/3.13: the
collector reads it in C (csrc/branch_reader_312.c, `_collector.branch_table`),
step for step as here, and tests/test_branch_reader.py checks that the two
give the same tables.  A change here is made there too.  The table tells
the C BRANCH callback, for each (instruction, destination) the interpreter
reports, which line arc that is, and which of them it must wait for before
it may return DISABLE.

Why the collector does not simply wait for both ways of every branch: on
3.12/3.13 one BRANCH location carries both directions, and DISABLE silences
both.  A branch that always goes one way would then call back on every
execution, and in real code most hot branches are one-way (error checks,
`isinstance` dispatch): on pyperformance that is up to 3.6 million calls per
run.  But most directions do not need the BRANCH event at all: when every way
into line D comes from line L (an `if` body, an `else` body, a loop body, the
line after a loop without `break`), then "D ran" already says "L -> D was
taken".  Those are `implied` arcs: the LINE callback records them, and the
BRANCH callback never waits for them.  A direction that leaves the function
through a return instruction only it reaches (the loop at the end of a
function) is proved by that instruction's PY_RETURN event, which fires once;
one that passes through an unconditional jump only it reaches (an `if` that
ends a loop's body, whose false way jumps back to the loop's head) by that
jump's JUMP event, which fires once too.  These are `proofs`.  The BRANCH
callback waits only for the rest: directions that end at a join (the line
after an `if` without `else`) or leave by a shared return, on the way to
which no instruction is theirs alone.

Lines here are raw line numbers; the report maps them onto statements.  An
arc to a negative line leaves the code object (coverage.py's convention:
minus the code object's first line).
"""

from __future__ import annotations

import opcode
import sys
from types import CodeType

_OPMAP = opcode.opmap
_CACHES = opcode._inline_cache_entries  # type: ignore[attr-defined]  # no public table before 3.13
_NAMES = opcode.opname


def _cache_count(op: int) -> int:
    if isinstance(_CACHES, dict):  # 3.13: by name
        return _CACHES.get(_NAMES[op], 0)
    return _CACHES[op]


# Bytes from each opcode to the next instruction (its inline caches included).
_SIZE = [2 + 2 * _cache_count(op) for op in range(256)]


_CONDITIONAL = {_OPMAP[name] for name in (
    "POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE", "FOR_ITER")}
_FORWARD = {_OPMAP[name] for name in (
    "POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE", "FOR_ITER",
    "JUMP_FORWARD", "SEND")}
_BACKWARD = {_OPMAP["JUMP_BACKWARD"], _OPMAP["JUMP_BACKWARD_NO_INTERRUPT"]}
_UNCONDITIONAL = {_OPMAP["JUMP_FORWARD"]} | _BACKWARD
# The jumps that fire JUMP events (JUMP_BACKWARD_NO_INTERRUPT fires none).
_FIRES_JUMP = {_OPMAP["JUMP_FORWARD"], _OPMAP["JUMP_BACKWARD"]}
_RETURNS = {_OPMAP["RETURN_VALUE"], _OPMAP["RETURN_CONST"]}
_STOPS = {_OPMAP["RAISE_VARARGS"], _OPMAP["RERAISE"]}
_FOR_ITER = _OPMAP["FOR_ITER"]
_RESUME = _OPMAP["RESUME"]
_SEND = _OPMAP["SEND"]
_END_ASYNC_FOR = _OPMAP["END_ASYNC_FOR"]
_EXTENDED_ARG = _OPMAP["EXTENDED_ARG"]
# FOR_ITER, when the iterator is done, goes past these (3.12: END_FOR; 3.13: END_FOR, POP_TOP).
_AFTER_LOOP_SKIPS = {_OPMAP["END_FOR"], _OPMAP["POP_TOP"]}
_LOAD_CONST = _OPMAP["LOAD_CONST"]
_TWO_WAY = _CONDITIONAL | {_SEND, _END_ASYNC_FOR}  # an async for ends by an exception
_CALL = _OPMAP["CALL"]

_ENTRY = 0  # the pseudo-line of a code object's start (never a real line)


class _Code:
    """The decoded instructions of one code object."""

    def __init__(self, code: CodeType):
        # Built once per code object while the measured program runs: the
        # loops stay as few and as plain as they can be.
        raw = code.co_code
        offsets: list[int] = []
        ops: dict[int, int] = {}
        args: dict[int, int] = {}
        after: dict[int, int] = {}
        extended = 0
        offset = 0
        end = len(raw)
        while offset < end:
            op = raw[offset]
            arg = raw[offset + 1] | extended
            extended = arg << 8 if op == _EXTENDED_ARG else 0
            offsets.append(offset)
            ops[offset] = op
            args[offset] = arg
            after[offset] = offset = offset + _SIZE[op]
        self.offsets, self.ops, self.args, self.next = offsets, ops, args, after
        unit_line: list[int | None] = [None] * (end // 2)
        for start, stop, line in code.co_lines():
            unit_line[start // 2:stop // 2] = [line] * ((stop - start) // 2)
        self.line: dict[int, int | None] = {at: unit_line[at // 2] for at in offsets}
        self._positions = code.co_positions
        self._end_lines: list | None = None
        self.consts = code.co_consts
        self.handlers = _exception_handlers(code.co_exceptiontable)
        # Where an exception at each instruction goes (the table's ranges do not overlap).
        self.handler_at: dict[int, int] = {}
        for start, stop, handler in self.handlers:
            if handler in ops:
                for at in range(start, stop, 2):
                    self.handler_at.setdefault(at, handler)

    def last_line(self, at: int, line: int) -> int:
        """The last line instruction `at`'s expression spans (`line` when it
        has no position): a call written over several lines runs its
        arguments' lines first, then comes back."""
        if self._end_lines is None:
            self._end_lines = [end_line for _, end_line, _, _ in self._positions()]
        return self._end_lines[at // 2] or line

    def handler_for(self, at: int) -> int | None:
        """Where an exception raised at `at` goes in this code, if anywhere."""
        return self.handler_at.get(at)

    def target(self, at: int) -> int:
        op, arg, after = self.ops[at], self.args[at], self.next[at]
        return after - 2 * arg if op in _BACKWARD else after + 2 * arg

    def loop_exit(self, at: int) -> int:
        """Where FOR_ITER goes when its iterator is done."""
        target = self.target(at)
        while self.ops.get(target) in _AFTER_LOOP_SKIPS and self.line.get(target) == self.line.get(at):
            target = self.next[target]
        return target

    def successors(self, at: int) -> list[int]:
        op = self.ops[at]
        if op in _RETURNS or op in _STOPS:
            return []
        if op in _UNCONDITIONAL:
            return [self.target(at)]
        if op == _FOR_ITER:
            return [self.next[at], self.loop_exit(at)]
        if op in _CONDITIONAL or op == _SEND:
            return [self.next[at], self.target(at)]
        return [self.next[at]] if self.next[at] in self.ops else []

    def is_with_exit(self, at: int) -> bool:
        """The normal exit of a `with` block: __exit__(None, None, None), on the
        `with` line.  coverage.py joins the arcs through it into one."""
        seq = []
        for _ in range(4):
            if at not in self.ops:
                return False
            seq.append((self.ops[at], self.args[at]))
            at = self.next[at]
        none = lambda item: item[0] == _LOAD_CONST and self.consts[item[1]] is None  # noqa: E731
        return all(none(item) for item in seq[:3]) and seq[3] == (_CALL, 2)


def _varints(table: bytes):
    position = 0
    while position < len(table):
        byte = table[position]
        value = byte & 63
        position += 1
        while byte & 64:
            byte = table[position]
            value = (value << 6) | (byte & 63)
            position += 1
        yield value


def _exception_handlers(table: bytes) -> list[tuple[int, int, int]]:
    """(start, end, handler) byte offsets from co_exceptiontable."""
    values = list(_varints(table))
    return [(values[i] * 2, (values[i] + values[i + 1]) * 2, values[i + 2] * 2) for i in range(0, len(values) - 3, 4)]


def _predecessors(code: _Code) -> dict[int, list[int]]:
    """Each instruction's predecessors among the reachable ones (an END_FOR
    that FOR_ITER jumps over is never a way in)."""
    successors = {at: code.successors(at) for at in code.offsets}
    for at, handler in code.handler_at.items():
        if at in successors:
            successors[at] = successors[at] + [handler]
    preds: dict[int, list[int]] = {at: [] for at in code.offsets}
    reachable = set()
    todo = [code.offsets[0]] if code.offsets else []
    while todo:
        at = todo.pop()
        if at in reachable or at not in preds:
            continue
        reachable.add(at)
        todo.extend(successors[at])
    for at in code.offsets:
        if at in reachable:
            for succ in successors[at]:
                if succ in preds:
                    preds[succ].append(at)
    return preds


def _lines_before(code: _Code, preds: dict, at: int) -> set[int]:
    """The lines that can have run just before instruction `at`: the lines of
    its predecessors, looking through instructions that have no line."""
    found = set()
    todo = list(preds[at])
    seen = set()
    while todo:
        previous = todo.pop()
        if previous in seen:
            continue
        seen.add(previous)
        line = code.line.get(previous)
        if line is None:
            if not preds[previous]:
                found.add(_ENTRY)
            todo.extend(preds[previous])
        else:
            found.add(line)
    return found


def implied_arcs(code: _Code, preds: dict) -> dict[int, int]:
    """{line D: line L} for each line that cannot first run but from line L:
    every way into it comes from L, or its one way in from L comes before all
    the others because they are all jumps back (a loop's header, entered from
    the line before the loop, and only later from the end of its body: in
    Python's structured bytecode a loop's body is entered through its header).
    Every line is looked at, not only where BRANCH directions arrive: an
    `async for` has no BRANCH event, only lines."""
    entries: dict[int, list[tuple[int, set[int]]]] = {}
    previous = None
    for at in code.offsets:
        line = code.line.get(at)
        straight = preds[at] == [previous] and previous is not None and code.line.get(previous) == line
        start = at == code.offsets[0]
        previous = at
        if not line or straight or not (preds[at] or start):
            continue  # no LINE event from the instruction before on its own line; never reached
        before = _lines_before(code, preds, at) if preds[at] else {_ENTRY}
        before.discard(line)  # from its own line: no LINE event, no arc
        # Back from the inner lines of its own multi-line expression: the same statement.
        before = {b for b in before if not line < b <= code.last_line(at, line)}
        if before:
            entries.setdefault(line, []).append((at, before))
    implied = {}
    for line, ways in entries.items():
        sources = set().union(*(before for _, before in ways))
        if len(sources) == 1 and _ENTRY not in sources:
            implied[line] = next(iter(sources))
            continue
        first_at, first_before = ways[0]
        if len(first_before) == 1 and _ENTRY not in first_before and all(
            all(code.ops[p] in _BACKWARD and p > first_at for p in preds[at] if code.line.get(p) != line)
            for at, _ in ways[1:]
        ):
            implied[line] = next(iter(first_before))
    return implied


def _arrival(code: _Code, at: int, line: int, exit_line: int) -> tuple[int | None, list[int]]:
    """The line a direction of a branch on `line` arrives at: a line number,
    `exit_line` when it leaves the code object, or None when it is decided by
    another branch on the same line (or raises); and the instructions on the way."""
    path: list[int] = []
    while at in code.ops and at not in path:
        path.append(at)
        here = code.line.get(at)
        if here is not None and here != line:
            if code.is_with_exit(at):
                line = here  # look through the `with` exit, as coverage.py does
            else:
                return here, path
        op = code.ops[at]
        if op in _RETURNS:
            return exit_line, path
        if op in _STOPS:
            # An exception: through the cleanup handlers (no lines of their
            # own) to a line, or out of the function, which coverage.py
            # records as an exit too.
            handler = code.handler_for(at)
            if handler is None:
                return exit_line, path
            at = handler
            continue
        if op in _CONDITIONAL or op == _SEND:
            return None, path
        at = code.target(at) if op in _UNCONDITIONAL else code.next[at]
    return None, path


def _own_prefix(preds: dict, source: int, path: list[int]) -> int:
    """How many of `path`'s first instructions can only be reached, in
    order, from the branch instruction `source`: reaching one of them
    proves that direction was taken."""
    previous = source
    for count, at in enumerate(path):
        if preds[at] != [previous]:
            return count
        previous = at
    return len(path)


def _only_way(preds: dict, source: int, path: list[int]) -> bool:
    """Whether the whole of `path` can only be reached, in order, from `source`."""
    return _own_prefix(preds, source, path) == len(path)


def _proving_jump(code: _Code, preds: dict, source: int, path: list[int]) -> int | None:
    """The first instruction of the path's own prefix that fires a JUMP
    event: its JUMP event proves the direction."""
    own = path[:_own_prefix(preds, source, path)]
    return next((at for at in own if code.ops[at] in _FIRES_JUMP), None)


def branch_table(code: CodeType):
    """(directions, implied, proofs, steps) for the collector:

    directions: tuple of (instruction, destination, from_line, to_line, needed),
        to_line 0 for a direction that makes no arc of its own;
    implied: tuple of (to_line, from_line) pairs;
    proofs: tuple of (instruction, from_line, to_line): the instruction's
        event proves that arc.  A return's PY_RETURN event: a branch
        direction that leaves through a return of its own (the loop at the
        end of a function: its last check), or any return, whose line leaves
        the function; an unconditional jump's JUMP event: a branch direction
        that passes through a jump of its own;
    steps: tuple of (line, to_line) for lines whose step on is a branch
        direction with no branch instruction: a line holding a nested one-line
        body (`def f(x): return x`, a branch in coverage.py's model) goes on
        to to_line, recorded when it runs; to_line 0 (an `async for`, whose
        end is an exception) records the next line that runs after it.
    """
    decoded = _Code(code)
    exit_line = -code.co_firstlineno
    found = []  # (instruction, destination, line, arrival, path)
    for at in decoded.offsets:
        op = decoded.ops[at]
        line = decoded.line.get(at)
        if op not in _CONDITIONAL or not line:
            continue
        for destination in (decoded.next[at], decoded.loop_exit(at) if op == _FOR_ITER else decoded.target(at)):
            arrives, path = _arrival(decoded, destination, line, exit_line)
            found.append((at, destination, line, arrives, path))
    # Code that cannot go two ways (most code objects: small functions,
    # class bodies) has no branch line of its own, so no arc between its
    # lines is a branch arc: it records none, and its flow graph is not
    # built.  (A one-line body on a `def` line is a branch of the code
    # around it, proved by `steps` and `proofs`, never by an implied arc.)
    two_way = any(op in _TWO_WAY for op in decoded.ops.values())
    if two_way:
        preds = _predecessors(decoded)
        implied = implied_arcs(decoded, preds)
    else:
        preds, implied = {}, {}
    directions = []
    proofs: list[tuple[int, int | None, int]] = []
    for at, destination, line, arrives, path in found:
        needed = arrives is not None and implied.get(arrives) != line
        if arrives == exit_line and _only_way(preds, at, path):
            proofs.append((path[-1], line, exit_line))
            needed = False
        elif needed and arrives is not None and (jump := _proving_jump(decoded, preds, at, path)) is not None:
            proofs.append((jump, line, arrives))
            needed = False
        directions.append((at, destination, line, arrives or 0, needed))
    # An `async for` that ends the function leaves through a return of its
    # own that has no line (3.12): no LINE event follows its line there, so
    # that return's PY_RETURN event proves the way out.
    for at in decoded.offsets:
        line = decoded.line.get(at)
        if decoded.ops[at] == _END_ASYNC_FOR and line:
            arrives, path = _arrival(decoded, decoded.next[at], line, exit_line)
            if arrives == exit_line and _only_way(preds, at, path):
                proofs.append((path[-1], line, exit_line))
    lines_here = set(decoded.line.values())
    # An `async for` ends by an exception, with no branch instruction: its
    # way out is the step from its line to the next line that runs.
    steps = {(decoded.line[at], 0) for at in decoded.offsets
             if decoded.ops[at] == _END_ASYNC_FOR and decoded.line.get(at)}
    # A line holding a nested one-line body runs straight on: where it goes
    # is known here, and recorded when the line runs (the next line's own
    # event may have been disabled on an earlier visit).
    one_line = set()
    for nested in code.co_consts:
        if isinstance(nested, CodeType):
            nested_line = _one_line_body(nested)
            if nested_line is not None and nested_line in lines_here:
                one_line.add(nested_line)
    for line in one_line:
        # Where each copy of the line goes (a `finally` body has two): known
        # only if they agree.
        starts = [at for before, at in zip([-1, *decoded.offsets], decoded.offsets, strict=False)
                  if decoded.line.get(at) == line and decoded.line.get(before) != line]
        arrivals = {_arrival(decoded, at, line, exit_line)[0] for at in starts}
        steps.add((line, arrivals.pop() or 0 if len(arrivals) == 1 else 0))
    # Every return leaves from its own line, as a tracer sees it: the way out
    # of a loop that ends the function without a branch instruction (`async
    # for`, whose end is an exception), of a line holding a one-line body, and
    # of a one-line body itself.  Other code without a branch has no use
    # for its way out.
    if two_way or steps or _one_line_body(code) is not None:
        taken = {at for at, _, _ in proofs}
        proofs.extend(
            (at, decoded.line[at], exit_line)
            for at in decoded.offsets
            if decoded.ops[at] in _RETURNS and decoded.line.get(at) and at not in taken
        )
    return tuple(directions), tuple(implied.items()), tuple(proofs), tuple(sorted(steps))


def _one_line_body(code: CodeType) -> int | None:
    """The line of a body written on its `def` or `class` line (`def f(x):
    return x`), else None.  The line is a branch, on to what follows and out
    of the body (ccov.model.syntax_branches): its way out is proved by the body's returns, its
    way on by the step recorded for it in the code around it.  Only the
    instructions up to RESUME are decoded: the lines after it are the body's."""
    raw = code.co_code
    offset = body_start = 0
    while offset < len(raw):
        op = raw[offset]
        offset += _SIZE[op]
        if op == _RESUME:
            body_start = offset
            break
    body = {line for _, stop, line in code.co_lines() if line and stop > body_start}
    return next(iter(body)) if len(body) == 1 else None


def describe(code: CodeType) -> str:
    """A readable dump, for `ccov debug` and for tests."""
    directions, implied, proofs, steps = branch_table(code)
    out = [f"{code.co_name} (line {code.co_firstlineno}):"]
    for at, destination, line, to, needed in directions:
        out.append(f"  @{at} -> @{destination}: {line} -> {to or '-'}{'  (waits)' if needed else ''}")
    out.extend(f"  {line} implies {source} -> {line}" for line, source in sorted(implied))
    out.extend(f"  @{at} proves {line} -> {'exit' if to < 0 else to}" for at, line, to in proofs)
    out.extend(f"  {line} steps to {to}" if to else f"  the step after {line} is recorded" for line, to in steps)
    return "\n".join(out)


if __name__ == "__main__":  # python tests/branch_reference.py FILE: a developer's view
    with open(sys.argv[1], encoding="utf-8") as source_file:
        top = compile(source_file.read(), sys.argv[1], "exec", dont_inherit=True)
    stack = [top]
    while stack:
        current = stack.pop()
        print(describe(current))
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
