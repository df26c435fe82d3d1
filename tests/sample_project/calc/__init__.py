"""A small package for the plugin tests: module-level lines run at import."""
from calc.ops import add, divide

PRECISION = 2
__all__ = ["add", "divide", "PRECISION"]
