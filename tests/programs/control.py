"""match, try/except/except*/else/finally, with, early returns, nested functions."""
import contextlib


def describe(value):
    match value:
        case 0:
            return "zero"
        case int(n) if n < 0:
            return "negative"
        case [x, y]:
            return f"pair {x},{y}"
        case {"kind": kind, **rest}:
            return f"kind {kind} {rest}"
        case str() | bytes():
            return "text"
        case _:
            return "other"


def risky(mode):
    try:
        if mode == "value":
            raise ValueError(mode)
        if mode == "key":
            raise KeyError(mode)
        result = "ok"
    except ValueError:
        result = "value error"
    except (KeyError, IndexError) as err:
        result = f"lookup error {err}"
    else:
        result += " (else)"
    finally:
        cleanup = True
    return result, cleanup


def grouped(errors):
    try:
        raise ExceptionGroup("group", errors)
    except* ValueError as group:
        seen = ["value", len(group.exceptions)]
    except* TypeError:
        seen = ["type"]
    return seen


def returns_in_finally(flag):
    try:
        if flag:
            return "early"
        return "late"
    finally:
        pass


@contextlib.contextmanager
def managed(name, log):
    log.append(f"enter {name}")
    try:
        yield name
    finally:
        log.append(f"exit {name}")


def use_with():
    log = []
    with managed("a", log) as a, managed("b", log) as b:
        log.append(a + b)
    with (
        managed("c", log) as c,
        managed("d", log),
    ):
        log.append(c)
    with open(__file__) as handle:
        first = handle.readline()
    return log, bool(first)


def outer(n):
    def inner(m):
        return m + n
    def unused_inner():
        return "never"
    return inner(1)


def early(x):
    if x is None:
        return "none"
    if x > 10:
        return "big"
    return "small"


print([describe(v) for v in (0, -3, [1, 2], {"kind": "k", "a": 1}, "s")])
print(risky("value"), risky("key"), risky("fine"))
print(grouped([ValueError(1), ValueError(2)]))
print(returns_in_finally(True), use_with(), outer(2), early(None), early(3))
