from calc import PRECISION


def test_precision():
    assert PRECISION == 2
