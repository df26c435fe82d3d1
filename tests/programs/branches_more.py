"""Branches in the harder places: ends of with/try/except blocks, loops
with break and continue, decorators, class bodies, except*, exec'd code,
threads, lambdas and nested comprehensions."""
import functools
import threading


def decorator(function):
    @functools.wraps(function)
    def wrapper(*args):
        return function(*args)
    return wrapper


def if_last_in_with(flag):
    import contextlib
    with contextlib.nullcontext():
        if flag:
            flag = 2
    return flag


def if_last_in_try_finally(flag):
    try:
        if flag:
            flag += 1
    finally:
        flag = -flag
    return flag


def if_last_in_except(flag):
    try:
        raise ValueError
    except ValueError:
        if flag:
            flag = 0
    return flag


def if_last_in_else(flag):
    try:
        pass
    except ValueError:
        pass
    else:
        if flag:
            flag = 5
    return flag


def loop_with_break(items, target):
    for item in items:
        if item == target:
            found = item
            break
    else:
        found = None
    return found


def while_with_break(n):
    while n > 0:
        n -= 1
        if n == 3:
            break
    return n


def nested_loops(rows):
    total = 0
    for row in rows:
        for cell in row:
            if cell < 0:
                continue
            total += cell
    return total


def elif_chain(n):
    if n == 1:
        n = 10
    elif n == 2:
        n = 20
    elif n == 3:
        n = 30
    return n


@decorator
def decorated(n):
    if n:
        return n
    return None


class Config:
    debug = False
    if debug:
        level = 1
    for name in ("a", "b"):
        pass


def except_star(n):
    try:
        if n:
            raise ExceptionGroup("g", [ValueError(n)])
    except* ValueError:
        n = -1
    except* TypeError:
        n = -2
    return n


def with_return(n):
    import contextlib
    with contextlib.nullcontext():
        if n:
            return 1
    return 0


def match_or_patterns(value):
    match value:
        case 1 | 2:
            return "small"
        case str() as text if text:
            return text
        case [first, *rest]:
            return first
        case None:
            return None
    return "unknown"


def worker(results, n):
    if n % 2:
        results.append(n)
    else:
        results.append(-n)


def in_threads():
    results = []
    threads = [threading.Thread(target=worker, args=(results, n)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def lambdas_and_comprehensions(items):
    pick = lambda x: x if x > 1 else 0  # noqa: E731
    nested = [[y for y in range(x) if y] for x in items if x]
    return [pick(x) for x in items], nested


def while_true_loop(n):
    while True:
        if n > 2:
            return n
        n += 1


def exit_by_exception_in_finally(a, b):
    try:
        a = a + 1
    except ValueError:
        a = 0
    else:
        if a == b:
            raise ValueError(a)
    finally:
        if a > 2:
            raise KeyError(a)


def condition_raises(n):
    if 10 // n:
        return 1
    return 2


def condition_raises_at_end(n):
    if 10 // n:
        sink = n
        return sink


def main():
    for call in (lambda: exit_by_exception_in_finally(0, 1), lambda: condition_raises(0),
                 lambda: condition_raises_at_end(0)):
        try:
            call()
        except (ValueError, KeyError, ZeroDivisionError):
            pass
    if_last_in_with(0)
    if_last_in_try_finally(1)
    if_last_in_except(1)
    if_last_in_except(0)
    if_last_in_else(0)
    loop_with_break([1, 2, 3], 2)
    loop_with_break([], 2)
    while_with_break(5)
    nested_loops([[1, -1], [2]])
    elif_chain(2)
    elif_chain(4)
    decorated(1)
    except_star(1)
    except_star(0)
    with_return(1)
    with_return(0)
    for value in (1, "x", [3, 4], None, 2.5):
        match_or_patterns(value)
    in_threads()
    lambdas_and_comprehensions([0, 1, 2, 3])
    while_true_loop(0)
    namespace = {}
    exec(compile("for i in range(2):\n    if i:\n        x = i\n", "exec_branches", "exec"), namespace)


main()
