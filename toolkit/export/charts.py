"""The document's charts, drawn once as ReportLab vector graphics and rendered three ways.

`drawing(chart)` builds a `reportlab.graphics.shapes.Drawing` from plain shapes (wedges, rects,
lines, strings in the embedded CJK font): the PDF places it as a flowable (vectors), `to_svg`
gives the inline SVG of the HTML page, and `to_png` rasterises the *same* drawing with Pillow for
the Word document (ReportLab's own bitmap renderer needs rlPyCairo, which is not installed here;
Pillow already comes with ReportLab).
"""
from __future__ import annotations

import io
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .rlimport import lazy_long_patterns

with lazy_long_patterns():  # reportlab.graphics imports reportlab.platypus
    from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String, Wedge
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth

from .fonts import CSS_FONT_STACK, PDF_FONT, cjk_font

PALETTE = ["#3B6FB6", "#E07B39", "#5AA469", "#C94C4C", "#8E6BB8", "#C9A227", "#4BA3C3", "#A0522D",
           "#708090", "#D4729B", "#6B8E23", "#B8860B"]
WIDTH = 470
TEXT = colors.HexColor("#222222")
GRID = colors.HexColor("#D0D0D0")
CENT = Decimal("0.01")


def _m(v: Decimal) -> str:
    return format(Decimal(v).quantize(CENT, ROUND_HALF_UP), "f")


def _fit(text: str, size: float, width: float) -> str:
    if stringWidth(text, PDF_FONT, size) <= width:
        return text
    while text and stringWidth(text + "…", PDF_FONT, size) > width:
        text = text[:-1]
    return text + "…"


def _s(x, y, text, size=9, anchor="start", color=TEXT) -> String:
    return String(x, y, text, fontName=PDF_FONT, fontSize=size, fillColor=color, textAnchor=anchor)


def _pie(chart) -> Drawing:
    items = [(lab, Decimal(v)) for lab, v in zip(chart.labels, chart.values) if v and Decimal(v) > 0]
    total = sum((v for _, v in items), Decimal(0))
    n = max(len(items), 1)
    h = max(190, 30 + 20 * n)
    d = Drawing(WIDTH, h, initialFontName=PDF_FONT, initialFontSize=9)
    cx, cy, r = 100, h / 2, 82
    if not items:
        d.add(Circle(cx, cy, r, fillColor=colors.HexColor("#EEEEEE"), strokeColor=GRID))
        d.add(_s(cx, cy - 4, "本年无数据", 10, "middle"))
        return d
    acc = 0.0
    for i, (lab, v) in enumerate(items):
        ang = 360.0 * float(v / total)
        col = colors.HexColor(PALETTE[i % len(PALETTE)])
        if ang >= 359.999:
            d.add(Circle(cx, cy, r, fillColor=col, strokeColor=colors.white, strokeWidth=1))
        else:
            start, end = 90 - acc - ang, 90 - acc
            d.add(Wedge(cx, cy, r, start, end, fillColor=col, strokeColor=colors.white, strokeWidth=1))
        if ang >= 25:
            mid = math.radians(90 - acc - ang / 2)
            d.add(_s(cx + 0.62 * r * math.cos(mid), cy + 0.62 * r * math.sin(mid) - 3.5, chart.share(v), 9,
                     "middle", colors.white))
        acc += ang
    # legend: swatch, name, amount, share
    x0, top = 205, cy + 10 * n - 6
    for i, (lab, v) in enumerate(items):
        y = top - 20 * i
        d.add(Rect(x0, y - 1, 10, 10, fillColor=colors.HexColor(PALETTE[i % len(PALETTE)]), strokeColor=None))
        d.add(_s(x0 + 16, y, _fit(lab, 9.5, 132), 9.5))
        d.add(_s(x0 + 206, y, f"{_m(v)}{chart.unit}", 9.5, "end"))
        d.add(_s(WIDTH - 4, y, chart.share(v), 9.5, "end"))
    return d


def _nice_step(top: float) -> float:
    if top <= 0:
        return 1.0
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw))
    for f in (1, 2, 2.5, 5, 10):
        if raw <= f * mag:
            return f * mag
    return 10 * mag


def _wrap(text: str, size: float, width: float) -> list[str]:
    lines, cur = [], ""
    for ch in text:
        if cur and stringWidth(cur + ch, PDF_FONT, size) > width:
            lines.append(cur)
            cur = ch
        else:
            cur += ch
    return lines + [cur] if cur else lines


def _bar(chart) -> Drawing:
    values = [Decimal(v or 0) for v in chart.values]
    n = max(len(values), 1)
    left, right = 52, WIDTH - 8
    band = (right - left) / n
    wrapped = [_wrap(lab, 9, band - 6)[:2] for lab in chart.labels]
    nlines = max((len(w) for w in wrapped), default=1)
    bottom = 18 + 11 * nlines
    h = 165 + bottom
    d = Drawing(WIDTH, h, initialFontName=PDF_FONT, initialFontSize=9)
    top = h - 22
    vmax = float(max(values)) if values else 0.0
    step = _nice_step(vmax)
    ymax = step * max(1, math.ceil(vmax / step)) if vmax > 0 else 4 * step
    nt = int(round(ymax / step))
    for k in range(nt + 1):
        y = bottom + (top - bottom) * k / nt
        d.add(Line(left, y, right, y, strokeColor=GRID if k else TEXT, strokeWidth=0.5 if k else 0.8))
        d.add(_s(left - 5, y - 3, f"{step * k:.2f}", 8, "end"))
    d.add(Line(left, bottom, left, top, strokeColor=TEXT, strokeWidth=0.8))
    d.add(_s(left - 5, top + 8, chart.unit, 8.5, "end"))
    bw = min(46, band * 0.45)
    for i, (lines, v) in enumerate(zip(wrapped, values)):
        cxm = left + band * (i + 0.5)
        bh = (top - bottom) * float(v) / ymax if ymax else 0
        col = colors.HexColor(PALETTE[i % len(PALETTE)])
        if bh > 0:
            d.add(Rect(cxm - bw / 2, bottom, bw, bh, fillColor=col, strokeColor=None))
        d.add(_s(cxm, bottom + bh + 4, _m(v), 9, "middle"))
        for k, line in enumerate(lines):
            d.add(_s(cxm, bottom - 14 - 11 * k, line, 9, "middle"))
    if not any(values):
        d.add(_s((left + right) / 2, (top + bottom) / 2, "本年无数据", 10, "middle"))
    return d


def drawing(chart) -> Drawing:
    """The chart as a ReportLab Drawing (built once per chart object, kept on it)."""
    dr = getattr(chart, "_drawing", None)
    if dr is None:
        cjk_font()
        dr = _bar(chart) if chart.kind == "bar" else _pie(chart)
        object.__setattr__(chart, "_drawing", dr)
    return dr


@lru_cache(maxsize=16)
def _pil_font(path: str, index: int, px: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, px, index=index)


def to_svg(chart) -> str:
    """Inline SVG (no XML prolog), text in the reader's CJK font."""
    from reportlab.graphics import renderSVG

    svg = renderSVG.drawToString(drawing(chart))
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"font-family:\s*" + re.escape(PDF_FONT), "font-family: " + CSS_FONT_STACK.replace("'", ""), svg)
    svg = svg.replace(f'font-family="{PDF_FONT}"', f'font-family="{CSS_FONT_STACK}"')
    title = chart.title.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    uid = re.sub(r"[^A-Za-z0-9_-]", "", chart.key or "chart") or "chart"
    svg = svg.replace('id="clip"', f'id="clip-{uid}"').replace("url(#clip)", f"url(#clip-{uid})")
    svg = svg.replace('id="group"', f'id="group-{uid}"')
    svg = svg.replace("<title>...</title>", f"<title>{title}</title>").replace("<desc>...</desc>", "")
    return svg.replace(">", f' role="img" aria-label="{title}">', 1)


def chart_table(chart):
    """The chart's figures as a document `Table` (item, amount, share): what a renderer shows
    where it cannot draw the chart (no CJK font file for a bitmap)."""
    from .document import Cell, Row, Table

    values = [Decimal(v or 0) for v in chart.values]
    head = Row([Cell("项目", "center", header=True), Cell(f"金额（{chart.unit}）", "center", header=True),
                Cell("占比", "center", header=True)])
    body = [Row([Cell(str(lab)), Cell(_m(v), "right", value=v, type="amount"),
                 Cell(chart.share(v) if v > 0 else "", "right")]) for lab, v in zip(chart.labels, values)]
    return Table(key=f"chart-{chart.key}", kind="table", title=chart.title, widths=[3, 1.5, 1],
                 header=[head], body=body, col_keys=["label", "amount", "share"],
                 col_titles=["项目", f"金额（{chart.unit}）", "占比"], col_types=["label", "amount", "text"],
                 toc=False, new_page=False)


# ------------------------------------------------------------------------------ PNG via Pillow


def to_png(chart, scale: float = 2.5) -> bytes:
    """The same drawing rasterised with Pillow (scale 2.5 = 180 dpi at the drawn size), as PNG bytes.

    Needs a CJK font *file* (`fonts.cjk_font().embedded`); callers fall back to `chart_table`."""
    from reportlab.graphics.renderbase import Renderer, getStateDelta
    from PIL import Image, ImageDraw

    font = cjk_font()
    dr = drawing(chart)
    W, H = int(dr.width * scale), int(dr.height * scale)
    ss = 2  # supersampling for smooth edges
    img = Image.new("RGB", (W * ss, H * ss), "white")
    draw = ImageDraw.Draw(img)
    k = scale * ss

    def rgb(c):
        if c is None:
            return None
        c = colors.toColor(c)
        return (int(round(c.red * 255)), int(round(c.green * 255)), int(round(c.blue * 255)))

    class PILRenderer(Renderer):
        def initState(self, x, y):
            deltas = self._tracker._combined[-1]
            deltas["transform"] = tuple(list(deltas["transform"])[:4]) + (x, y)
            self._tracker.push(deltas)

        def drawNode(self, node):
            self._tracker.push(getStateDelta(node))
            self.drawNodeDispatcher(node)
            self._tracker.pop()

        def applyStateChanges(self, delta, newState):
            pass

        def _pt(self, x, y):
            a, b, c, dd, e, f = self._tracker.getState()["ctm"]
            X, Y = a * x + c * y + e, b * x + dd * y + f
            return (X * k, (dr.height - Y) * k)

        def _poly(self, pts, closed=True):
            s = self._tracker.getState()
            xy = [self._pt(pts[i], pts[i + 1]) for i in range(0, len(pts), 2)]
            fill, stroke = rgb(s["fillColor"]), rgb(s["strokeColor"])
            width = max(1, int(round((s["strokeWidth"] or 0) * k)))
            if closed and fill is not None:
                draw.polygon(xy, fill=fill)
            if stroke is not None and s["strokeWidth"]:
                draw.line(xy + ([xy[0]] if closed else []), fill=stroke, width=width, joint="curve")

        def drawRect(self, r):
            self._poly([r.x, r.y, r.x + r.width, r.y, r.x + r.width, r.y + r.height, r.x, r.y + r.height])

        def drawLine(self, ln):
            self._poly([ln.x1, ln.y1, ln.x2, ln.y2], closed=False)

        def drawPolyLine(self, p):
            self._poly(list(p.points), closed=False)

        def drawPolygon(self, p):
            self._poly(list(p.points))

        def drawCircle(self, c):
            pts = []
            for i in range(180):
                t = 2 * math.pi * i / 180
                pts += [c.cx + c.r * math.cos(t), c.cy + c.r * math.sin(t)]
            self._poly(pts)

        def drawEllipse(self, e):
            pts = []
            for i in range(180):
                t = 2 * math.pi * i / 180
                pts += [e.cx + e.rx * math.cos(t), e.cy + e.ry * math.sin(t)]
            self._poly(pts)

        def drawString(self, s):
            st = self._tracker.getState()
            if st["fillColor"] is None:
                return
            size = st["fontSize"]
            f = _pil_font(font.path, font.index, int(round(size * k)))
            anchor = {"start": "ls", "middle": "ms", "end": "rs"}.get(st["textAnchor"], "ls")
            draw.text(self._pt(s.x, s.y), s.text, font=f, fill=rgb(st["fillColor"]), anchor=anchor)

    class _Canvas:  # the renderer only needs somewhere to hang its state
        def saveState(self):
            pass

        def restoreState(self):
            pass

    PILRenderer().draw(dr, _Canvas())
    img = img.reduce(ss)
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(72 * scale, 72 * scale))
    return buf.getvalue()


__all__ = ["drawing", "to_svg", "to_png", "chart_table", "PALETTE"]
