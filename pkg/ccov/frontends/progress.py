"""A progress line for work that runs over a second: `ccov: analysing
530/1500 files`, rewritten in place on stderr when stderr is a terminal, and
wiped when the work ends.  A cold report of 1,500 files is a minute of work:
without it, a minute of silence.  Nothing is written when stderr is a file or
a pipe (CI logs), nor for work that ends within the second."""

from __future__ import annotations

import os
import sys
import time

# Seconds of silence before the line appears; CCOV_PROGRESS_DELAY changes it
# (the tests set 0, to see the line without waiting).
DEFAULT_DELAY = 1.0
_REDRAW = 0.1  # at most ten redraws a second


class Progress:
    def __init__(self, what: str, stream=None, delay: float | None = None):
        self.what = what
        self.stream = stream or sys.stderr
        if delay is None:
            try:
                delay = float(os.environ.get("CCOV_PROGRESS_DELAY", DEFAULT_DELAY))
            except ValueError:
                delay = DEFAULT_DELAY
        self.delay = delay
        self.started = time.monotonic()
        self.drawn_at = 0.0
        self.width = 0
        try:
            self.shown = self.stream.isatty()
        except (AttributeError, ValueError, OSError):
            self.shown = False

    def __call__(self, done: int, total: int) -> None:
        """`done` of `total` files so far."""
        if not self.shown:
            return
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.drawn_at < _REDRAW and done < total):
            return
        self.drawn_at = now
        text = f"ccov: {self.what} {done}/{total} files"
        self._write("\r" + text.ljust(self.width))
        self.width = len(text)

    def finish(self) -> None:
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.shown = False
