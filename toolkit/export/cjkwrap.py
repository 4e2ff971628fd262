"""Chinese line breaking (禁则, GB/T 15834 and W3C clreq) for the PDF back end, in plain Python.

`break_lines(text, width, avail)` cuts a text into lines no wider than `avail`:

* between any two hanzi, but never before a mark that may not start a line (，。、；：？！）》”’ …)
  nor after one that may not end a line (（《“‘ …): the character before is carried down instead
  (推出), nothing hangs into the margin, so text never overflows its box;
* never inside a run of Latin letters and digits (224.32, 2010301, 2023), nor between the two
  halves of —— or ……, unless the run alone is wider than the line (then it is cut, still inside);
* a paragraph never ends with a line of a single character (孤字: 主管部门及代/码 becomes
  主管部门及/代码) when the line before can give one up.

Lines carry whether they end a paragraph, so a justified back end stretches every other line to
the full width (character spacing) and leaves paragraph ends ragged.
"""
from __future__ import annotations

from dataclasses import dataclass

# may not start a line: closing brackets and quotes, stops, pause marks, the middle dot, units
NO_START = frozenset("，。、；：？！）》」』】〕〗〉］｝”’·・‥%％‰℃°′″,.;:?!)]}")
# may not end a line: opening brackets and quotes, currency and number signs
NO_END = frozenset("（《「『【〔〖〈［｛“‘([{￥$＄#＃")
NO_SPLIT = frozenset("—…")  # —— and …… are one mark
FUZZ = 1e-6


@dataclass
class Line:
    text: str
    width: float  # natural width
    last: bool  # ends a paragraph (a hard line break or the end of the text): not justified


def _latin(ch: str) -> bool:
    return ch.isascii() and not ch.isspace()


def allowed(text: str, b: int) -> bool:
    """Whether a line may break before text[b] (0 < b < len(text))."""
    a, c = text[b - 1], text[b]
    if a == " " or c == " ":
        return True
    if c in NO_START or a in NO_END:
        return False
    if a == c and a in NO_SPLIT:
        return False
    return not (_latin(a) and _latin(c))


def _visible(text: str) -> int:
    """The length of a line without its closing marks: 码 and 金。 are 孤字 lines, （元） is not."""
    return len(text.strip(" ").rstrip("".join(NO_START) + " "))


class Measure:
    """Character widths of one font and size, cached (a CJK text is mostly repeated characters)."""

    def __init__(self, width_of):
        self._of = width_of
        self._cache: dict = {}

    def __call__(self, ch: str) -> float:
        w = self._cache.get(ch)
        if w is None:
            w = self._cache[ch] = self._of(ch)
        return w

    def text(self, text: str) -> float:
        return sum(self(ch) for ch in text)


def _paragraph(text: str, m: Measure, avail: float, first: float) -> list:
    """Break points (start, end) of one paragraph (no line feeds in `text`)."""
    out = []
    start, n = 0, len(text)
    while start < n and text[start] == " ":
        start += 1
    limit = first
    while start < n:
        w, i = 0.0, start
        while i < n:
            cw = m(text[i])
            if w + cw > limit + FUZZ and i > start:
                break
            w += cw
            i += 1
        if i >= n:
            out.append((start, n))
            break
        b = next((k for k in range(i, start, -1) if allowed(text, k)), None)
        if b is None:  # one unbreakable run wider than the line: cut inside it, not before a mark
            b = next((k for k in range(i, start, -1) if text[k] not in NO_START and text[k - 1] not in NO_END), i)
        out.append((start, b))
        start = b
        while start < n and text[start] == " ":
            start += 1
        limit = avail
    if len(out) >= 2:
        (s0, e0), (s1, e1) = out[-2], out[-1]
        if _visible(text[s1:e1]) <= 1:  # 孤字: take one more character down if the line before can give it
            for k in range(e0 - 1, s0, -1):
                if allowed(text, k) and m.text(text[k:e1].strip(" ")) <= avail + FUZZ:
                    if _visible(text[k:e1]) > _visible(text[s1:e1]):
                        out[-2], out[-1] = (s0, k), (k, e1)
                    break
    return out


def break_lines(text: str, width_of, avail: float, first_indent: float = 0.0) -> list:
    """The lines of `text` (hard breaks at line feeds) for a box `avail` wide; the first line is
    `first_indent` shorter. `width_of(ch)` gives a character's width (or pass a `Measure`)."""
    m = width_of if isinstance(width_of, Measure) else Measure(width_of)
    lines: list = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    for k, para in enumerate(text.split("\n")):
        first = avail - (first_indent if k == 0 else 0.0)
        spans = _paragraph(para, m, avail, first) or [(0, 0)]
        for j, (s, e) in enumerate(spans):
            piece = para[s:e].rstrip(" ")
            lines.append(Line(piece, m.text(piece), j == len(spans) - 1))
    return lines


__all__ = ["break_lines", "allowed", "Line", "Measure", "NO_START", "NO_END"]
