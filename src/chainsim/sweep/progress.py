"""A progress bar on stderr: redrawn in place on a terminal, a line every 10 % (or minute)
in a batch-job log, where carriage returns would make one unreadable line."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    def __init__(
        self,
        total: int,
        done: int = 0,
        label: str = "runs",
        stream: TextIO | None = None,
        enabled: bool = True,
    ) -> None:
        self.total, self.start_done, self.done, self.failed = total, done, done, 0
        self.label, self.stream, self.enabled = label, stream or sys.stderr, enabled
        self.tty = self.enabled and getattr(self.stream, "isatty", lambda: False)()
        self.t0 = self._last = time.monotonic()
        self._last_decile = -1
        self.draw()

    def update(self, done: int = 0, failed: int = 0) -> None:
        self.done += done
        self.failed += failed
        self.draw()

    def line(self) -> str:
        elapsed = time.monotonic() - self.t0
        new = self.done - self.start_done
        rate = new / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done - self.failed
        eta = _clock(left / rate) if rate > 0 and left > 0 else "--:--"
        frac = (self.done + self.failed) / self.total if self.total else 1.0
        width = 28
        bar = "#" * int(width * frac) + "." * (width - int(width * frac))
        fail = f", {self.failed} failed" if self.failed else ""
        return (
            f"{self.label} [{bar}] {self.done}/{self.total}{fail}  {100 * frac:5.1f} %  "
            f"{rate:5.2f} runs/s  elapsed {_clock(elapsed)}  eta {eta}"
        )

    def draw(self, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if final or now - self._last >= 0.1 or self.done + self.failed >= self.total:
                self.stream.write("\r" + self.line() + ("\n" if final else ""))
                self.stream.flush()
                self._last = now
            return
        decile = int(10 * (self.done + self.failed) / max(self.total, 1))
        if final or decile > self._last_decile or now - self._last >= 60:
            self.stream.write(self.line() + "\n")
            self.stream.flush()
            self._last, self._last_decile = now, decile

    def close(self) -> None:
        self.draw(final=True)
