"""A one-line progress bar on stderr for long runs (bdt batch), without a dependency; CJK names are
measured in terminal columns (double-width characters count two)."""
from __future__ import annotations

import shutil
import sys
import time
import unicodedata


def _cols(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    out, used = [], 0
    for ch in text:
        w = _cols(ch)
        if used + w > width:
            return "".join(out[:-1]) + "…" if out else ""
        out.append(ch)
        used += w
    return "".join(out)


class Progress:
    """A one-line progress bar on stderr (no dependency). On a terminal it redraws in place;
    elsewhere (when forced) it prints a line every 10 %."""

    def __init__(self, total: int, stream=None, enabled: bool | None = None, label: str = "校验"):
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.enabled = self.tty if enabled is None else enabled
        self.label = label
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.last_pct = -1
        self.done = 0

    def update(self, done: int, name: str = "") -> None:
        self.done = done
        if not self.enabled:
            return
        now = time.perf_counter()
        pct = int(100 * done / self.total)
        if self.tty:
            if now - self.last < 0.1 and done < self.total:
                return
            self.last = now
            width = shutil.get_terminal_size((80, 20)).columns
            rate = done / max(now - self.t0, 1e-6)
            eta = (self.total - done) / rate if rate > 0 else 0
            bar_w = 24
            fill = int(bar_w * done / self.total)
            head = f"{self.label} [{'#' * fill}{'.' * (bar_w - fill)}] {done}/{self.total} {pct:3d}% {rate:5.1f}/秒 剩余 {int(eta) // 60}:{int(eta) % 60:02d} "
            line = head + _clip(name, max(width - _cols(head) - 1, 0))
            self.stream.write("\r" + line + " " * max(width - 1 - _cols(line), 0))
            self.stream.flush()
        elif pct // 10 > self.last_pct // 10 or done == self.total:
            self.last_pct = pct
            self.stream.write(f"{self.label} {done}/{self.total}（{pct}%）\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()



__all__ = ["Progress"]
