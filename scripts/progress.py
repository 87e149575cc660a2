"""Progress of the long steps of training and evaluation, readable on a terminal and in a CI log.

On a terminal a step draws one line and redraws it in place ("parsing real-voice: 400/1,457"); in a log
(stdout is not a terminal) a step writes a line at most every LOG_EVERY_S seconds and one when it ends,
so that a CI log stays short and every line in it is whole.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from typing import IO, Iterator, Optional

LOG_EVERY_S = 15.0
REDRAW_EVERY_S = 0.1
# a tqdm bar as Rasa draws it ("Epochs:  45%|████▌     | 18/40 [01:12<01:28, ...]")
BAR = re.compile(r"^[^|\n]{0,60}:\s+\d+%\|")


def duration(seconds: float) -> str:
    """14.2 s, or 6 min 12 s."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


class Counter:
    """``label: done/total``, redrawn in place on a terminal, a line now and then in a log."""

    def __init__(self, label: str, total: int, out: Optional[IO[str]] = None) -> None:
        self.label, self.total, self.out = label, total, out or sys.stdout
        self.tty = self.out.isatty()
        self.started = self.shown = time.monotonic()
        self.done = 0
        if self.tty:
            self._draw("\r")

    def _draw(self, start: str, end: str = "") -> None:
        self.out.write(f"{start}{self.label}: {self.done:,}/{self.total:,}{end}")
        self.out.flush()

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.shown >= (REDRAW_EVERY_S if self.tty else LOG_EVERY_S):
            self.shown = now
            self._draw("\r" if self.tty else "", "" if self.tty else "\n")

    def close(self) -> None:
        self._draw("\r" if self.tty else "", f" in {duration(time.monotonic() - self.started)}\n")


@contextlib.contextmanager
def timed(label: str, out: Optional[IO[str]] = None) -> Iterator[None]:
    """``label … 14.2 s`` for a step that prints nothing itself: on a terminal the label shows while it runs."""
    out = out or sys.stdout
    tty = out.isatty()
    if tty:
        out.write(f"{label} …")
        out.flush()
    started = time.monotonic()
    yield
    out.write(f"{'' if tty else label + ' …'} {duration(time.monotonic() - started)}\n")
    out.flush()


class LogBars:
    """A child's stderr, copied to a log: the other lines whole, and of its progress bars, which redraw
    themselves with carriage returns, one line every LOG_EVERY_S seconds and the last one."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.pending, self.bar, self.shown = out, b"", b"", float("-inf")  # the first bar shows

    def feed(self, chunk: bytes) -> None:
        *segments, self.pending = re.split(rb"[\r\n]", self.pending + chunk)
        for segment in segments:
            self._segment(segment)

    def _segment(self, segment: bytes) -> None:
        if BAR.match(segment.decode("utf-8", "replace")):
            self.bar = segment
            if time.monotonic() - self.shown >= LOG_EVERY_S:
                self._flush_bar()
        elif segment.strip():
            self._flush_bar()  # the bar's last state before anything else
            self.out.write(segment + b"\n")
            self.out.flush()

    def _flush_bar(self) -> None:
        if self.bar:
            self.out.write(self.bar + b"\n")
            self.out.flush()
            self.bar, self.shown = b"", time.monotonic()

    def close(self) -> None:
        self._segment(self.pending)
        self.pending = b""
        self._flush_bar()
