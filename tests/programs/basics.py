"""Functions, classes, decorators, multi-line statements, loops, exclusions."""
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections import OrderedDict


def tag(name, *, times=1):
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return [name] * times + [func(*args, **kwargs)]
        return wrapper
    return decorate


@tag(
    "greeting",
    times=2,
)
def hello(who):
    """Docstring of hello,
    spread over two lines."""
    return f"hello {who}"


class Shape:
    """A class with a docstring."""
    sides = 0

    def __init__(self, size):
        self.size = size

    @property
    def area(self):
        return self.size ** 2

    @staticmethod
    def unused():
        return "never called"

    def stub(self): ...

    def excluded(self):  # pragma: no cover
        return "excluded"


def multi_line(a,
               b,
               c=3):
    total = (a +
             b +
             c)
    text = """one
two
three"""
    values = [
        1,
        2,
    ]
    if (total > 100 and
            text):
        return "huge"
    return total, values


def loops(n):
    result = []
    i = 0
    while i < n:
        i += 1
        if i == 100: break
    else:
        result.append("while-else")
    for j in range(n):
        if j == 2:
            continue
        result.append(j)
    else:
        result.append("for-else")
    for k in range(3):
        if k == 1:
            break
    else:
        result.append("not reached")
    return result


square = lambda x: x * x
never = lambda: "never"
squares = [square(x) for x in range(4)]
evens = {x for x in range(10) if x % 2 == 0}
mapping = {x: y for x, y in zip("ab", "cd")}
gen_total = sum(x for x in range(5))
if squares: print("one-line if")
if not squares: print("one-line if not taken")

try:
    import not_a_real_module_xyz  # pragma: no cover
except ImportError:
    pass

print(hello("you"), Shape(3).area, multi_line(1, 2), loops(4))
