"""Every kind of branch, each taken one way, both ways, or never."""
import asyncio


def if_elif_else(n):
    if n < 0:
        return "negative"
    elif n == 0:
        return "zero"
    else:
        return "positive"


def if_without_else(flag):
    result = 1
    if flag:
        result = 2
    return result


def if_at_end(flag):
    if flag:
        print("flag")


def loops(items):
    total = 0
    for item in items:
        if item is None:
            continue
        if item > 100:
            break
        total += item
    else:
        total = -total
    count = 0
    while count < 3:
        count += 1
    else:
        count = -count
    while True:
        count += 1
        if count > 5:
            break
    return total, count


def for_at_end(items):
    for item in items:
        print(item)


def matcher(value):
    match value:
        case 0:
            return "zero"
        case int(n) if n > 10:
            return "big"
        case [x, y]:
            return "pair"
        case {"key": v}:
            return v
        case _:
            return "other"


def matcher_no_default(value):
    match value:
        case 1:
            value = "one"
        case 2:
            value = "two"
    return value


def try_finally(n):
    try:
        if n > 1:
            return "big"
    finally:
        n += 1
    return n


def try_except(n):
    try:
        result = 10 // n
    except ZeroDivisionError:
        result = None
    except (TypeError, ValueError):
        result = -1
    else:
        result += 1
    finally:
        n = 0
    return result


def with_blocks(path_like):
    import contextlib
    with contextlib.suppress(KeyError):
        if path_like:
            raise KeyError(path_like)
        path_like = 3
    return path_like


def comprehensions(items):
    evens = [x for x in items if x % 2 == 0]
    odds = {x for x in items
            if x % 2}
    gen = (x * 2 for x in items if x)
    return evens, odds, list(gen)


def ternary_and_short_circuit(a, b):
    value = a if a else b
    both = a and b
    either = (a or
              b)
    if a and b:
        return value, both, either
    if (a or
            b):
        return 1
    return None


def generator(n):
    for i in range(n):
        if i % 2:
            yield i
    yield -1


async def agen(n):
    for i in range(n):
        yield i


async def async_user(n):
    total = 0
    async for value in agen(n):
        if value > 1:
            total += value
    return total


async def async_collect(n):
    # No branch instruction: the `async for` line's two ways are seen only as
    # the steps from its line (the loop ends by an exception).
    found = []
    async for value in agen(n):
        found.append(value)
    return found


def early_returns(x):
    if x is None:
        return 0
    if isinstance(x, str):
        x = len(x)
    return x * 2


def pragma_no_branch(x):
    if x:  # pragma: no branch
        x += 1
    return x


def nested_functions(x):
    def inner(y):
        if y:
            return y
        return -y
    return inner(x) + (lambda z: z if z else 0)(x)


def while_loop_exit(n):
    while n:
        n -= 1


def assert_and_raise(n):
    assert n >= 0
    if n > 5:
        raise ValueError(n)
    return n


class Klass:
    flag = True
    if flag:
        attr = 1
    else:
        attr = 2

    def method(self, x):
        return [y for y in range(x) if y]


def main():
    for n in (-1, 0, 1):
        if_elif_else(n)
    if_without_else(True)
    if_at_end(False)
    loops([1, None, 2])
    loops([200])
    for_at_end([])
    for value in (0, 11, [1, 2], {"key": 3}, "s"):
        matcher(value)
    matcher_no_default(1)
    try_finally(2)
    try_finally(0)
    try_except(1)
    try_except(0)
    with_blocks(0)
    with_blocks("k")
    comprehensions([1, 2, 3])
    ternary_and_short_circuit(1, 0)
    ternary_and_short_circuit(0, 1)
    list(generator(4))
    asyncio.run(async_user(3))
    asyncio.run(async_collect(2))
    early_returns(None)
    early_returns(3)
    pragma_no_branch(1)
    nested_functions(2)
    while_loop_exit(2)
    assert_and_raise(1)
    try:
        assert_and_raise(9)
    except ValueError:
        pass
    Klass().method(3)


if __name__ == "__main__":
    main()
