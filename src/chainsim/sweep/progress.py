"""A progress bar on stderr: redrawn in place on a terminal, a line every 10 % (or minute)
in a batch-job log, where carriage returns would make one unreadable line. The bar, rate
and ETA are tqdm's (``tqdm.format_meter``); only the cadence is chainsim's, because tqdm
itself redraws with carriage returns in a log file too."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        total: int,
        done: int = 0,
        label: str = "runs",
        stream: TextIO | None = None,
        enabled: bool = True,
        unit: str = "runs",
    ) -> None:
        self.total, self.start_done, self.done, self.failed = total, done, done, 0
        self.label, self.stream, self.enabled, self.unit = label, stream or sys.stderr, enabled, unit
        self.tty = self.enabled and getattr(self.stream, "isatty", lambda: False)()
        # block characters on a UTF-8 terminal; '#' in a log file or a non-UTF-8 stream
        self.ascii = not (self.tty and "utf" in (getattr(self.stream, "encoding", "") or "").lower())
        self.t0 = self._last = time.monotonic()
        self._last_decile = -1
        self.draw()

    def update(self, done: int = 0, failed: int = 0) -> None:
        self.done += done
        self.failed += failed
        self.draw()

    def line(self) -> str:
        from tqdm import tqdm

        fail = f", {self.failed} failed" if self.failed else ""
        return tqdm.format_meter(
            self.done + self.failed,
            self.total,
            time.monotonic() - self.t0,
            ncols=100,
            prefix=self.label,
            unit=f" {self.unit}",
            initial=self.start_done,  # the rate counts this session's runs only
            postfix=f"{self.done} done{fail}",
            ascii=self.ascii,
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
