"""Sets of line numbers as bitmaps: bit n set means line n.

In memory a bitmap is a Python int (union is `|`); on disk it is the int's
little-endian bytes, the same layout the C collector produces.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing and collections.abc are not imported: they cost start-up time
if TYPE_CHECKING:
    from collections.abc import Iterable


def from_bytes(data: bytes) -> int:
    return int.from_bytes(data, "little")


def to_bytes(bits: int) -> bytes:
    return bits.to_bytes((bits.bit_length() + 7) // 8, "little")


def from_lines(lines: Iterable[int]) -> int:
    bits = 0
    for line in lines:
        if line > 0:
            bits |= 1 << line
    return bits


def to_lines(bits: int) -> list[int]:
    # The binary digits, lowest first: a scan of a string beats testing bits.
    digits = bin(bits)[:1:-1]
    return [line for line, digit in enumerate(digits) if digit == "1"]
