import pytest

from calc import add, divide
from calc.ops import in_thread


def test_add():
    assert add(2, 3) == 5


def test_divide():
    assert divide(6, 3) == 2


def test_divide_by_zero():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


def test_thread():
    assert in_thread(4) == 8


@pytest.mark.parametrize("n", range(4))
def test_many(n):
    assert add(n, n) == 2 * n
