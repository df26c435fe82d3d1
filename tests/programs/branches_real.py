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
