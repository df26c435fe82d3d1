"""Patterns real projects found that the constructed programs missed (#17):
arcs into statements without code, constant conditions, unreachable code,
bodies on a def or class line, a one-line body on a multi-line condition's
closing line, async generators, generators closed midway or by the GC."""

import asyncio
import functools
import gc
import sys

COUNTER = 0


def not_statement_after_return(flag):
    global COUNTER
    if flag:
        return 1
    global COUNTER
    COUNTER += 1
    return 2


def annotation_after_raise(flag):
    if flag:
        raise ValueError
    x: int
    return 3


def nonlocal_after(flag):
    value = 0

    def inner():
        nonlocal value
        if flag:
            return 1
        nonlocal value
        value += 1
        return value
    return inner()


def constants():
    if __debug__:
        a = 1
    if True:
        b = 2
    if 0:
        c = 3
    if False:
        d = 4
    while 1:
        break
    return a + b


def unreachable(flag):
    return flag
    if flag:
        print("never")


def one_line(x): return x + 1


class One: pass


class Two: x = 1


def multi_line_condition(a, b):
    if (a and
            b): raise ValueError("both")
    return 0


def after_with_one_line(flag):
    while flag: flag -= 1
    for i in range(flag): pass
    return flag


not_statement_after_return(True)
not_statement_after_return(False)
annotation_after_raise(False)
try:
    annotation_after_raise(True)
except ValueError:
    pass
nonlocal_after(True)
nonlocal_after(False)
constants()
unreachable(True)
one_line(1)
multi_line_condition(1, 0)
# The raise on the condition's line: on 3.14+ coverage.py's default core gets
# it wrong (test_branch_oracle's raise_on_the_condition_line compares ccov
# with its C tracer there).
if sys.version_info < (3, 14):
    try:
        multi_line_condition(1, 1)
    except ValueError:
        pass
after_with_one_line(2)
after_with_one_line(0)


@functools.lru_cache
def cached(x): return x * 2


class Point: x = 1; y = 2


def never(): pass


square = lambda v: v * v


async def ticker(n):
    for i in range(n):
        if i % 2:
            yield i
        else:
            yield -i
    if n > 5:
        yield 99


async def consume(n):
    total = 0
    async for value in ticker(n):
        if value > 0:
            total += value
        else:
            total -= value
    async for value in ticker(0):
        total += 1
    return total


def inner():
    try:
        yield 1
        yield 2
    except GeneratorExit:
        raise
    finally:
        pass


def outer():
    try:
        yield from inner()
    except ValueError:
        yield 3
    finally:
        pass


def closed_midway():
    g = outer()
    next(g)
    g.close()
    g2 = outer()
    next(g2)
    g2.throw(ValueError)


def finalized_by_gc():
    class Box:
        pass
    box = Box()
    box.me = box
    box.gen = outer()
    next(box.gen)
    del box
    gc.collect()


cached(2)
square(3)
asyncio.run(consume(4))
closed_midway()
finalized_by_gc()


# Found by the widened fuzzer (#17): each failed before the fix.
async def empty_at_the_end(n):
    async for value in ticker(n):
        break


async def break_then_return(n):
    async for value in ticker(n):
        break
    return n


def one_line_class_in_a_loop(items):
    for item in items:
        if item > 1:
            item = 0
        elif item:
            class Local: value = item
        if item:
            continue
        item += 1


def one_line_class_in_finally(a):
    try:
        if a:
            raise ValueError(a)
    finally:
        if a % 2 == 0:
            pass
        else:
            class Local: value = a
            note: int
    return a


def one_line_def_at_the_end(a):
    for b in range(a):
        if b:
            break
    else:
        def inner(q): return q + 1


def one_line_def_ends_a_finally_with_a_pending_return(a):
    # The return of `return a` runs again at the end of the finally, on the
    # def's line: that leaves this function, not the one-line body (whose
    # exit is the def line's own), which never runs.
    try:
        if a:
            return a
    finally:
        def inner(q): return q + 1
    return 0


# Found on jinja2's filters (#39): on 3.12 the loop's way out is a return
# with no line of its own, so no LINE event follows the `async for` line.
async def async_for_ends_an_if_at_the_end(flag, n):
    found = []
    if flag:
        async for value in ticker(n):
            found.append(value)


asyncio.run(empty_at_the_end(0))
asyncio.run(break_then_return(0))
one_line_class_in_a_loop([0, 2, 1, 0])
one_line_class_in_a_loop([1])
try:
    one_line_class_in_finally(3)
except ValueError:
    pass
one_line_def_at_the_end(0)
one_line_def_ends_a_finally_with_a_pending_return(1)
one_line_def_ends_a_finally_with_a_pending_return(0)
asyncio.run(async_for_ends_an_if_at_the_end(True, 3))
asyncio.run(async_for_ends_an_if_at_the_end(False, 3))
