"""A one-line progress display on stderr, shown only when stderr is a terminal.

    with Progress(total=24, desc="compare") as progress:
        for run in runs:
            ...
            progress.update()

prints, rewriting one line: ``compare: 5/24 runs, 3.1 s elapsed, ~11.8 s left``.
When the stream is not a terminal (CI logs, pipes, files) it prints nothing,
so captured output stays clean. A small built-in line rather than tqdm: one
fewer dependency, and tqdm's own TTY check and rate smoothing are more than
these few-dozen-step loops need.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Count finished steps of known `total` and show done/total, elapsed, remaining.

    `enabled=None` (default) shows the line only when `stream` is a terminal;
    True or False forces it. `unit` names what is counted ("runs", "epochs").
    Redraws at most every `min_interval` seconds, and always at the end.
    """

    def __init__(
        self,
        total: int,
        desc: str = "",
        *,
        unit: str = "runs",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        min_interval: float = 0.1,
    ):
        self.total = int(total)
        self.desc = desc
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.min_interval = min_interval
        self.done = 0
        self._start = time.perf_counter()
        self._last_draw = -float("inf")
        self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Count `n` more finished steps and redraw if it is time."""
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self._last_draw >= self.min_interval or self.done >= self.total):
            self._draw(now)

    def write(self, text: str) -> None:
        """Print `text` on stdout above the progress line, which is then redrawn."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
        print(text, flush=True)
        if self.enabled and self.done:
            self._draw(time.perf_counter())

    def line(self, now: float | None = None) -> str:
        """The text shown: ``desc: done/total unit, E s elapsed, ~R s left``."""
        elapsed = (time.perf_counter() if now is None else now) - self._start
        text = f"{self.desc + ': ' if self.desc else ''}{self.done}/{self.total} {self.unit}, {elapsed:.1f} s elapsed"
        if 0 < self.done < self.total:
            text += f", ~{elapsed / self.done * (self.total - self.done):.1f} s left"
        return text

    def _draw(self, now: float) -> None:
        text = self.line(now)
        # pad with spaces so a shorter line fully covers the previous one
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)
        self._last_draw = now

    def close(self) -> None:
        """End the line (a newline) if anything was drawn."""
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0
