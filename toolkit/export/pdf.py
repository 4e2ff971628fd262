"""PDF back end: the document model laid out with ReportLab platypus, in one pass.

A4 portrait, the CJK font embedded as a subset, table headers repeated on every page a table
runs over, page numbers in the footer from the first page after the 目录 (as published documents
number them), and a 目录 whose page numbers are right: each 目录 line draws its number through a
PDF form XObject that is filled in when the document is saved, by which time every heading has
recorded the page it landed on. So the document is laid out once, not twice as a
`multiBuild` would. The 目录 lines and the PDF bookmarks link to the headings.
"""
from __future__ import annotations

import math
from functools import partial

from .rlimport import lazy_long_patterns

with lazy_long_patterns():
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepInFrame, PageTemplate, Spacer
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

from . import charts
from .cjkwrap import Measure, allowed, break_lines
from .document import NUMERIC, TOC, Chart, Cover, Document, Heading, PageBreak, Paragraph, Table, continued
from .fonts import PDF_FONT, cjk_font

PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 20 * mm, 22 * mm, 20 * mm
FRAME_W = PAGE_W - 2 * MARGIN_X
BLACK = colors.black
HEADER_BG = colors.HexColor("#E8ECF1")
RULE = colors.HexColor("#999999")
CELL_SIZE, CELL_LEADING, CELL_PAD = 8.5, 10.8, 3


def _styles(typo=None) -> dict:
    base = dict(fontName=PDF_FONT, wordWrap="CJK", textColor=BLACK)
    s = {
        "body": ParagraphStyle("body", fontSize=11.5, leading=20, firstLineIndent=23, spaceAfter=3, alignment=TA_JUSTIFY,
                               **base),
        "plain": ParagraphStyle("plain", fontSize=11.5, leading=20, spaceAfter=3, alignment=TA_JUSTIFY, **base),
        "h1": ParagraphStyle("h1", fontSize=17, leading=24, alignment=TA_CENTER, spaceBefore=6, spaceAfter=14, **base),
        "h2": ParagraphStyle("h2", fontSize=13, leading=20, spaceBefore=8, spaceAfter=4, **base),
        "h3": ParagraphStyle("h3", fontSize=12, leading=19, spaceBefore=4, spaceAfter=2, firstLineIndent=23, **base),
        "ttitle": ParagraphStyle("ttitle", fontSize=14, leading=20, alignment=TA_CENTER, spaceAfter=4, **base),
        "tlabel": ParagraphStyle("tlabel", fontSize=9, leading=12, **base),
        "tsub": ParagraphStyle("tsub", fontSize=10.5, leading=15, alignment=TA_CENTER, spaceAfter=4, **base),
        "note": ParagraphStyle("note", fontSize=10, leading=15, spaceBefore=4, alignment=TA_JUSTIFY, **base),
        "caption": ParagraphStyle("caption", fontSize=11, leading=16, alignment=TA_CENTER, spaceBefore=6,
                                  spaceAfter=4, **base),
        "cover_dept": ParagraphStyle("cover_dept", fontSize=22, leading=34, alignment=TA_CENTER, **base),
        "cover_title": ParagraphStyle("cover_title", fontSize=28, leading=40, alignment=TA_CENTER, **base),
        "toc_title": ParagraphStyle("toc_title", fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=14, **base),
    }
    for name, al in (("left", TA_JUSTIFY), ("center", TA_CENTER), ("right", TA_RIGHT)):
        s["cell_" + name] = ParagraphStyle("cell_" + name, fontSize=CELL_SIZE, leading=CELL_LEADING, alignment=al,
                                           **base)
    s["cell_label"] = ParagraphStyle("cell_label", parent=s["cell_left"], alignment=TA_LEFT)
    s["cont"] = ParagraphStyle("cont", parent=s["tlabel"], spaceAfter=3)
    if typo is not None and typo.official:
        _official(s, typo)
    return s


# GB/T 9704: 三号 (16 pt) body text on a 22-line page (28.95 pt), indented two characters; the
# title 二号 (22 pt); headings 三号. {style: (role, size, leading, first line indent)}
OFFICIAL_STYLES = {
    "body": ("body", 16, 28.95, 32), "plain": ("body", 16, 28.95, 0), "note": ("body", 12, 20, None),
    "h1": ("title", 22, 34, None), "cover_title": ("title", 28, 40, None), "cover_dept": ("title", 22, 34, None),
    "toc_title": ("title", 22, 32, None), "ttitle": ("title", 16, 24, None),
    "h2": ("heading", 16, 28.95, None), "caption": ("heading", 12, 18, None), "h3": ("kai", 16, 28.95, 32),
}


def _official(s: dict, typo) -> None:
    """The 公文 style: each text style whose official font is installed set in it (and in its
    size); a face that is already heavy (小标宋, 黑体) is not drawn bold on top."""
    for name, (role, size, leading, indent) in OFFICIAL_STYLES.items():
        font = typo.pdf(role)
        if font is None:
            continue  # not installed: the standard font and size stay
        st = s[name]
        st.fontName, st.fontSize, st.leading = font, size, leading
        if indent is not None:
            st.firstLineIndent = indent
        st.bdt_plain = role in ("title", "heading")


LONG_TEXT, CHUNK = 1200, 400
_SENTENCE_END = "。；！？\n"


def chunks(text: str, size: int = CHUNK) -> list:
    """A very long text cut after a sentence end (or a line feed) every ~`size` characters, so
    that it is laid out piece by piece: a table cell of 30,000 characters split across pages is
    re-measured for every page it runs over, pieces are not. Nothing is dropped."""
    out, start = [], 0
    while len(text) - start > size * 1.5:
        cut = max(text.rfind(c, start + size // 2, start + size) for c in _SENTENCE_END)
        cut = cut + 1 if cut > start else start + size
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return [c.strip("\n") or c for c in out]


def paragraphs(text: str, style, cls=None) -> list:
    """One paragraph, or a very long text as consecutive pieces (later pieces without the indent)."""
    cls = cls or Para
    if len(text) <= LONG_TEXT:
        return [cls(text, style)]
    cont = ParagraphStyle(style.name + "_cont", parent=style, firstLineIndent=0, spaceBefore=0)
    first = ParagraphStyle(style.name + "_first", parent=style, spaceAfter=0)
    parts = chunks(text)
    return [cls(c, first if i == 0 else cont if i < len(parts) - 1 else
                ParagraphStyle(style.name + "_last", parent=cont, spaceAfter=style.spaceAfter))
            for i, c in enumerate(parts)]


# ------------------------------------------------------------------------------ flowables


_MEASURES: dict = {}


def _measure(font: str, size: float) -> Measure:
    m = _MEASURES.get((font, size))
    if m is None:
        m = _MEASURES[(font, size)] = Measure(lambda ch: stringWidth(ch, font, size))
    return m


MAX_STRETCH = 0.15  # em of extra space between two characters a justified line may get (more: a short line in a narrow cell, left ragged)


class Para(Flowable):
    """A paragraph of plain text laid out by `cjkwrap.break_lines` (禁则, no 孤字 line, nothing
    wider than the box) and drawn line by line: justified lines are stretched to the full width
    with character spacing (ReportLab's own justification stretches spaces only, which Chinese
    text does not have). Splits between lines across frames and table rows."""

    bold = False

    def __init__(self, text: str, style, lines=None):
        super().__init__()
        self.text, self.style = text, style
        self._lines = lines  # (width, [Line]) when already broken (the parts of a split)
        self._cont = lines is not None

    def _break(self, aw: float) -> list:
        if self._lines is not None and abs(self._lines[0] - aw) < 0.01:
            return self._lines[1]
        st = self.style
        if self._lines is not None:  # a part laid out for another width: break its own text again
            text = ""
            for ln in self._lines[1]:
                if text and not text.endswith("\n") and text[-1].isascii() and ln.text[:1].isascii():
                    text += " "
                text += ln.text + ("\n" if ln.last else "")
            text = text[:-1] if text.endswith("\n") else text
        else:
            text = self.text
        indent = 0 if self._cont else st.firstLineIndent
        lines = break_lines(text, _measure(st.fontName, st.fontSize), aw - st.leftIndent - st.rightIndent, indent)
        self._lines = (aw, lines)
        return lines

    def wrap(self, aw, ah):
        self.width = aw
        self.height = len(self._break(aw)) * self.style.leading
        return aw, self.height

    def split(self, aw, ah):
        # as ReportLab's Paragraph: the lines of the last wrap (a table asks with the cell's width
        # before padding), no single first line left behind, [self] when it all fits
        if self._lines is None:
            self._break(aw)
        aw, lines = self._lines
        k = int((ah + 1e-6) / self.style.leading)
        if k <= 1:
            return []
        if k >= len(lines):
            return [self]
        head = type(self)(self.text, self.style, (aw, lines[:k]))
        head._cont = self._cont
        head.spaceAfter = 0
        tail = type(self)(self.text, self.style, (aw, lines[k:]))
        tail._cont = True
        tail.spaceBefore = 0
        for part in (head, tail):
            part.__dict__.update({k2: v for k2, v in self.__dict__.items() if k2.startswith("bdt_")})
        tail.bdt_key = tail.bdt_toc = tail.bdt_outline = None  # a heading's mark is on its first part
        return [head, tail]

    def draw(self):
        c, st = self.canv, self.style
        lines = self._break(self.width)
        box = self.width - st.leftIndent - st.rightIndent
        y = self.height - st.fontSize
        c.saveState()
        c.setFillColor(st.textColor)
        bold = self.bold and not getattr(st, "bdt_plain", False)
        if bold:  # fill+stroke (text render mode 2): a bold face the CJK font does not have
            c.setStrokeColor(st.textColor)
            c.setLineWidth(st.fontSize * 0.035)
        for n, ln in enumerate(lines):
            indent = st.firstLineIndent if n == 0 and not self._cont else 0
            room = box - indent
            x = st.leftIndent + indent
            space = 0.0
            if st.alignment == TA_CENTER:
                x += (room - ln.width) / 2
            elif st.alignment == TA_RIGHT:
                x += room - ln.width
            elif st.alignment == TA_JUSTIFY and not ln.last and len(ln.text) > 1 and ln.width < room:
                space = (room - ln.width) / (len(ln.text) - 1)
                if space > MAX_STRETCH * st.fontSize:  # a short line in a narrow cell: left as it is
                    space = 0.0
            t = c.beginText(x, y)
            t.setFont(st.fontName, st.fontSize)
            if bold:
                t.setTextRenderMode(2)
            if space:
                t.setCharSpace(space)
            t.textOut(ln.text)
            c.drawText(t)
            y -= st.leading
        c.restoreState()


class _BoldPara(Para):
    """A paragraph drawn fill+stroke: bold."""

    bold = True


class _HeadingPara(_BoldPara):
    """A heading (or table title) that records its page, bookmarks itself and joins the outline."""

    bdt_key = None
    bdt_toc = None  # index of the 目录 entry
    bdt_outline = None  # outline level (0-based) or None
    bdt_text = ""

    def draw(self):
        c = self.canv
        reg = getattr(c, "bdt_registry", None)
        if reg is not None and self.bdt_key:
            c.bookmarkHorizontal(self.bdt_key, 0, self.height + 4)
            if self.bdt_outline is not None:
                level = min(self.bdt_outline, reg.outline_level + 1)
                c.addOutlineEntry(self.bdt_text, self.bdt_key, level=level, closed=level >= 1)
                reg.outline_level = level
            if self.bdt_toc is not None:
                reg.pages[self.bdt_toc] = c.getPageNumber()
        super().draw()


class _BodyStart(Flowable):
    """Zero-size marker: page numbering starts on the page this lands on."""

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        reg = getattr(self.canv, "bdt_registry", None)
        if reg is not None and reg.body_start is None:
            reg.body_start = self.canv.getPageNumber()


class _TocLine(Flowable):
    def __init__(self, idx: int, level: int, text: str, key: str):
        super().__init__()
        self.idx, self.level, self.text, self.key = idx, level, text, key
        self.size = 12 if level == 1 else 11

    def wrap(self, aw, ah):
        self.width = aw
        self.height = self.size + (11 if self.level == 1 else 8)
        return aw, self.height

    def draw(self):
        c = self.canv
        indent = {1: 0, 2: 2 * 11, 3: 4 * 11}.get(self.level, 0)
        y = 5
        c.setFont(PDF_FONT, self.size)
        c.setFillColor(BLACK)
        c.drawString(indent, y, self.text)
        start = indent + stringWidth(self.text, PDF_FONT, self.size) + 4
        stop = self.width - 28
        dot = stringWidth(".", PDF_FONT, self.size)
        if stop > start + dot:
            c.setFillColor(colors.HexColor("#555555"))
            c.drawString(start, y, "." * int((stop - start) / dot))
        c.saveState()
        c.translate(self.width, y)
        c.doForm(f"bdttoc{self.idx}")
        c.restoreState()
        c.linkRect("", self.key, (0, 0, self.width, self.height), relative=1, thickness=0)


class _Registry:
    """What the layout learns while drawing: where the body starts, which page each heading is on."""

    def __init__(self, n_entries: int, toc_size: dict):
        self.n = n_entries
        self.toc_size = toc_size
        self.body_start = None
        self.pages: dict = {}
        self.outline_level = -1

    def number(self, page: int) -> int:
        return page - (self.body_start or 1) + 1

    def define_forms(self, canv: Canvas) -> None:
        for i in range(self.n):
            page = self.pages.get(i)
            canv.beginForm(f"bdttoc{i}", lowerx=-60, lowery=-4, upperx=2, uppery=16)
            canv.setFont(PDF_FONT, self.toc_size.get(i, 11))
            canv.setFillColor(BLACK)
            canv.drawRightString(0, 0, "" if page is None else str(self.number(page)))
            canv.endForm()


class _Canvas(Canvas):
    def __init__(self, *args, bdt_registry=None, **kw):
        super().__init__(*args, **kw)
        self.bdt_registry = bdt_registry

    def save(self):
        if self.bdt_registry is not None:
            self.bdt_registry.define_forms(self)
        super().save()


# ------------------------------------------------------------------------------ tables


def _widths(rel: list, total: float) -> list:
    s = float(sum(rel)) or 1.0
    return [total * float(w) / s for w in rel]


def _text_width(text: str) -> float:
    return stringWidth(text, PDF_FONT, CELL_SIZE) + 2 * CELL_PAD + 1


def fit_widths(t: Table, total: float = FRAME_W, text_width=None) -> list:
    """Schema widths scaled to the page, then widened where a figure, a code or a short heading
    (up to 6 characters) would otherwise wrap. The room is taken first from columns wider than
    anything in them, then, if need be, from text columns (whose long names then wrap)."""
    cjk_font()
    text_width = text_width or _text_width
    base = _widths(t.widths, total)
    n = len(base)
    need = [0.0] * n  # must fit on one line
    natural = [0.0] * n  # the widest single-column text
    for row in t.header + t.body:
        for j, cell in enumerate(row.cells):
            if cell is None or cell.span != 1 or not cell.text or "\n" in cell.text:
                continue
            w = text_width(cell.text)
            natural[j] = max(natural[j], w)
            if cell.type in NUMERIC or cell.type == "code" or len(cell.text) <= 6:
                need[j] = max(need[j], w)
    widths = list(base)
    grow = [max(0.0, need[j] - widths[j]) for j in range(n)]
    deficit = sum(grow)
    if deficit <= 0:
        return widths
    floor = text_width("四个汉字")
    for tier in (natural, [max(x, floor) for x in need]):
        spare = [max(0.0, widths[j] - max(tier[j], need[j])) if not grow[j] else 0.0 for j in range(n)]
        total = sum(spare)
        if total <= 0:
            continue
        take = min(deficit, total)
        for j in range(n):
            widths[j] += take * grow[j] / sum(grow) - take * spare[j] / total
        grow = [max(0.0, need[j] - widths[j]) for j in range(n)]
        deficit = sum(grow)
        if deficit <= 0.01:
            break
    return widths


_WORDS = ("预算", "资金", "基金", "经营", "支出", "收入", "经费", "合计", "项目", "科目", "名称", "编码", "管理", "拨款",
          "结转", "指标", "金额")


def _balanced(text: str, avail: float, width=None) -> str:
    """A heading that must wrap, broken into even lines at a word where possible
    (国有资本/经营预算, 政府性/基金预算 — not 国有资本经营预/算), only where 禁则 allows a break;
    the lines are joined by line feeds (`Para` breaks the rest)."""
    width = width or (lambda chunk: stringWidth(chunk, PDF_FONT, CELL_SIZE))

    def fits(chunk):
        return width(chunk) <= avail

    if fits(text) or " " in text or "\n" in text:
        return text
    lines = math.ceil(width(text) / avail)
    if lines == 2:
        cands = [k for k in range(1, len(text)) if allowed(text, k) and fits(text[:k]) and fits(text[k:])]
        if cands:
            k = min(cands, key=lambda k: (not text[k:].startswith(_WORDS), abs(len(text) - 2 * k)))
            return text[:k] + "\n" + text[k:]
    base, extra = divmod(len(text), lines)
    sizes = [base + (1 if i >= lines - extra else 0) for i in range(lines)]
    chunks, pos = [], 0
    for size in sizes:
        if pos and not allowed(text, pos):
            return text
        chunks.append(text[pos:pos + size])
        pos += size
    if not all(fits(c) for c in chunks):
        return text
    return "\n".join(chunks)


def _table_flowable(t: Table, st: dict) -> RLTable:
    widths = fit_widths(t, FRAME_W)
    rows = t.header + t.body
    data, cmds = [], [
        ("FONT", (0, 0), (-1, -1), PDF_FONT, CELL_SIZE, CELL_LEADING),
        ("GRID", (0, 0), (-1, -1), 0.5, BLACK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.8),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ]
    if t.header:
        cmds.append(("BACKGROUND", (0, 0), (-1, len(t.header) - 1), HEADER_BG))
    for i, row in enumerate(rows):
        out = []
        for j, cell in enumerate(row.cells):
            if cell is None:
                out.append("")
                continue
            if cell.span > 1 or cell.vspan > 1:
                cmds.append(("SPAN", (j, i), (j + cell.span - 1, i + cell.vspan - 1)))
            if cell.header and i >= len(t.header):
                cmds.append(("BACKGROUND", (j, i), (j + cell.span - 1, i + cell.vspan - 1), HEADER_BG))
            text = cell.text
            if not text:
                out.append("")
                continue
            avail = sum(widths[j:j + cell.span]) - 2 * CELL_PAD
            if not cell.bold and "\n" not in text and stringWidth(text, PDF_FONT, CELL_SIZE) <= avail:
                out.append(text)
                if cell.align != "left":
                    cmds.append(("ALIGN", (j, i), (j, i), cell.align.upper()))
            else:
                cls = _BoldPara if cell.bold else Para
                if len(text) > LONG_TEXT:
                    out.append(paragraphs(text, st["cell_" + cell.align], cls))
                    continue
                head = cell.header or i < len(t.header)
                shown = _balanced(text, avail) if head else text
                # labels and headings ragged, the text of a field justified
                style = st["cell_" + cell.align] if not head or cell.align != "left" else st["cell_label"]
                out.append(cls(shown, style))
        data.append(out)
    # a row that could be taller than a page (a long project text) may split across pages
    # instead of failing ("too large on page") or shrinking the whole form; such a table's cells
    # are top-aligned (ReportLab cannot split a vertically centred merged cell)
    split = _tall(t, widths)
    if split:
        cmds.append(("VALIGN", (0, 0), (-1, -1), "TOP"))
    tbl = _ContTable(data, colWidths=widths, repeatRows=len(t.header), hAlign="CENTER", splitInRow=int(split))
    tbl.setStyle(TableStyle(cmds))
    tbl.bdt_cont = (continued(t), st["cont"])
    return tbl


class _ContTable(RLTable):
    """A table that, when it runs over a page, starts the next one with a 续表 line (its header
    rows repeat below it)."""

    bdt_cont = None

    def split(self, aw, ah):
        parts = super().split(aw, ah)
        if len(parts) != 2 or not self.bdt_cont:
            return parts
        text, style = self.bdt_cont
        line = Para(text, style)
        line.keepWithNext = True
        parts[1].bdt_cont = self.bdt_cont
        return [parts[0], line, parts[1]]


FRAME_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM


def _tall(t: Table, widths: list) -> bool:
    """Whether a cell's text may need more than half a page (a generous estimate: every
    character a full em wide, every line break a line)."""
    for row in t.header + t.body:
        for j, cell in enumerate(row.cells):
            if cell is None or not cell.text or len(cell.text) < 200:
                continue
            per_line = max(1, int((sum(widths[j:j + cell.span]) - 2 * CELL_PAD) / CELL_SIZE))
            lines = sum(len(part) // per_line + 1 for part in cell.text.split("\n"))
            if lines * CELL_LEADING > FRAME_H / 2:
                return True
    return False


MIN_SCALE = 0.9  # a form is never shrunk below 90 % (8.5 pt cell text → 7.65 pt)


def _one_page(tbl: RLTable, t: Table):
    """A form a little taller than a page is scaled to fit on one (forms are read as one sheet);
    a longer one, or one with a text that may run over a page, is left to run over pages at full
    size (a long project text splits across pages instead of shrinking the whole form)."""
    _, h = tbl.wrap(FRAME_W, FRAME_H)
    room = FRAME_H - 60  # the title and year line above it
    if h <= room or h > room / MIN_SCALE or tbl.splitInRow:
        return tbl
    return KeepInFrame(FRAME_W, room, [tbl], mode="shrink", hAlign="CENTER")


# ------------------------------------------------------------------------------ very long cell texts
# A text a table cell cannot hold on one page (Excel allows 32,767 characters) is cut into pieces
# of about a third of a page, each in a row of its own (the row's other cells stay in its first
# piece): ReportLab then splits the table between rows, and lays each piece out once. Left in one
# cell, the cell is split across pages with splitInRow, and its whole remaining text re-measured
# on every page — quadratic: a 32,767-character department name took 69 s in the PDF and, through
# the DOCX's 目录 page numbers, 64 s in the DOCX. The rows of one model row are drawn as one
# (no rule between them), so the output looks like one tall cell; no character is dropped.

PIECE_LINES = int(FRAME_H / 3 / CELL_LEADING)


def _lines_estimate(text: str, per_line: int) -> int:
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _pieces(text: str, per_line: int, max_lines: int) -> list:
    """`text` cut into pieces of at most ~max_lines lines of per_line full-width characters:
    at line feeds where there are some, else every per_line * max_lines characters (after a
    sentence end where one is near). "\n".join of pieces cut at line feeds gives the text back."""
    out, cur, cur_lines = [], [], 0
    for part in text.split("\n"):
        n = max(1, -(-len(part) // per_line))
        if n > max_lines:  # one line longer than a piece: flush, then cut it
            if cur:
                out.append("\n".join(cur))
                cur, cur_lines = [], 0
            out += chunks(part, per_line * max_lines) if len(part) > per_line * max_lines * 1.5 else [part]
            continue
        if cur and cur_lines + n > max_lines:
            out.append("\n".join(cur))
            cur, cur_lines = [], 0
        cur.append(part)
        cur_lines += n
    if cur:
        out.append("\n".join(cur))
    return out


def split_long_rows(t: Table, widths: list) -> tuple[Table, set]:
    """A copy of `t` whose body cells taller than PIECE_LINES lines are spread over consecutive
    rows, and the set of (row, column) where no horizontal rule is drawn above the cell (inside
    one model row, and inside a vertical merge that had to be undone to let the rows split)."""
    import dataclasses

    from .document import Cell

    h = len(t.header)
    rows = t.header + t.body

    def parts_of(cell, j):
        if cell is None or not cell.text or (len(cell.text) < 200 and cell.text.count("\n") < PIECE_LINES):
            return None  # (the quick test: short, few line feeds)
        per_line = max(1, int((sum(widths[j:j + cell.span]) - 2 * CELL_PAD) / CELL_SIZE))
        if _lines_estimate(cell.text, per_line) <= PIECE_LINES:
            return None
        return _pieces(cell.text, per_line, PIECE_LINES)

    split = {}
    for i in range(h, len(rows)):
        for j, cell in enumerate(rows[i].cells):
            parts = parts_of(cell, j)
            if parts and len(parts) > 1:
                split[(i, j)] = parts
    if not split:
        return t, set()
    long_rows = {i for i, _ in split}
    # vertical merges over a row that is spread: undone (the cell stays in its first row)
    unmerged = {}
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.cells):
            if cell is not None and cell.vspan > 1 and any(r in long_rows for r in range(i, i + cell.vspan)):
                unmerged[(i, j)] = cell.vspan
    new_rows, joined, start = [], set(), {}
    for i, row in enumerate(rows):
        start[i] = len(new_rows)
        n = max([len(split[(i, j)]) for j in range(len(row.cells)) if (i, j) in split] or [1])
        for k in range(n):
            cells = []
            for j, cell in enumerate(row.cells):
                if cell is None:
                    cells.append(None)
                    continue
                if (i, j) in split:
                    parts = split[(i, j)]
                    text = parts[k] if k < len(parts) else ""
                elif k == 0:
                    text = cell.text
                else:
                    text = ""
                vspan = 1 if (i, j) in unmerged or k else cell.vspan
                cells.append(dataclasses.replace(cell, text=text, vspan=vspan) if (k or (i, j) in split
                                                                                 or (i, j) in unmerged) else cell)
                if k:
                    joined.update((len(new_rows), jj) for jj in range(j, j + cell.span))
            new_rows.append(dataclasses.replace(row, cells=cells))
    for (i, j), vspan in unmerged.items():  # the rows the merge covered: no rule in its columns
        span = rows[i].cells[j].span
        first, end = start[i] + 1, start[i + vspan] if i + vspan in start else len(new_rows)
        for r in range(first, end):
            joined.update((r, jj) for jj in range(j, j + span))
            c = new_rows[r].cells
            if c[j] is None:  # a position the merge covered: now an empty cell of its own
                c[j] = Cell(text="", header=rows[i].cells[j].header, span=span)
    return dataclasses.replace(t, header=new_rows[:h], body=new_rows[h:]), joined


def _rules_without(tbl: RLTable, n_rows: int, n_cols: int, joined: set) -> None:
    """Replace the table's GRID by a box, the column rules and the row rules except at `joined`."""
    tbl._linecmds = [c for c in tbl._linecmds if c[0] != "GRID"]
    cmds = [("BOX", (0, 0), (-1, -1), 0.5, BLACK)]
    if n_cols > 1:
        cmds.append(("LINEBEFORE", (1, 0), (-1, -1), 0.5, BLACK))
    for r in range(1, n_rows):
        j = 0
        while j < n_cols:
            if (r, j) in joined:
                j += 1
                continue
            k = j
            while k + 1 < n_cols and (r, k + 1) not in joined:
                k += 1
            cmds.append(("LINEABOVE", (j, r), (k, r), 0.5, BLACK))
            j = k + 1
    tbl.setStyle(TableStyle(cmds))


def _clip(text: str, size: float, width: float) -> str:
    """`text` shortened with "…" to fit `width` at `size` (a running header line, not content)."""
    if stringWidth(text, PDF_FONT, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", PDF_FONT, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def _dept_line(t: Table, st: dict):
    if len(t.dept or "") > LONG_TEXT:  # a very long name: paragraphs, then the unit (not a one-row table)
        unit = Para(t.unit or "", ParagraphStyle("u", parent=st["tlabel"], alignment=TA_RIGHT))
        unit.keepWithNext = True
        return paragraphs(t.dept, st["tlabel"]) + [unit]
    left = Para(t.dept or "", st["tlabel"])
    right = Para(t.unit or "", ParagraphStyle("u", parent=st["tlabel"], alignment=TA_RIGHT))
    line = RLTable([[left, right]], colWidths=[FRAME_W * 0.75, FRAME_W * 0.25], splitInRow=1)
    line.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), PDF_FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("TOPPADDING", (0, 0), (-1, -1), 0)]))
    line.keepWithNext = True
    return line


# ------------------------------------------------------------------------------ the story


def _heading(text: str, style, key: str | None, toc: int | None, outline: int | None) -> _HeadingPara:
    p = _HeadingPara(text, style)
    p.bdt_key, p.bdt_toc, p.bdt_outline, p.bdt_text = key, toc, outline, text
    p.keepWithNext = True
    return p


def story(doc: Document, st: dict) -> tuple[list, list]:
    """The platypus flowables for a document, and its 目录 entries (idx, level, text, key)."""
    entries = doc.toc_entries()
    toc_of = {block_index: n for n, (block_index, _, _) in enumerate(entries)}
    flow: list = []
    after_toc = False
    for i, b in enumerate(doc.blocks):
        key = f"bdt-h{i}"
        if isinstance(b, Cover):
            flow += [Spacer(1, 62 * mm), *paragraphs(b.dept, st["cover_dept"], _BoldPara), Spacer(1, 14 * mm),
                     *paragraphs(b.title, st["cover_title"], _BoldPara)]
        elif isinstance(b, TOC):
            flow.append(_BoldPara(b.title, st["toc_title"]))
            for n, (bi, level, text) in enumerate(entries):
                flow.append(_TocLine(n, level, text, f"bdt-h{bi}"))
            after_toc = True
        elif isinstance(b, PageBreak):
            flow.append(RLPageBreak())
            if after_toc:
                flow.append(_BodyStart())
                after_toc = False
        elif isinstance(b, Heading):
            style = st[f"h{min(b.level, 3)}"]
            flow.append(_heading(b.text, style, key, toc_of.get(i), b.level - 1))
        elif isinstance(b, Paragraph):
            flow.append(Para(b.text, st["plain" if b.style == "plain" else "body"]))
        elif isinstance(b, Table):
            if b.kind == "table":
                if b.label:
                    lab = Para(b.label, st["tlabel"])
                    lab.keepWithNext = True
                    flow.append(lab)
                flow.append(_heading(b.title, st["ttitle"], key, toc_of.get(i), b.level - 1))
                line = _dept_line(b, st)
                flow += line if isinstance(line, list) else [line]
            else:
                if b.label:  # a form numbered as a table (表13/表14 of bj-14)
                    lab = Para(b.label, st["tlabel"])
                    lab.keepWithNext = True
                    flow.append(lab)
                flow.append(_heading(b.title, st["ttitle"], key, toc_of.get(i), b.level - 1))
                if b.subtitle:
                    sub = Para(b.subtitle, st["tsub"])
                    sub.keepWithNext = True
                    flow.append(sub)
            b, joined = split_long_rows(b, fit_widths(b, FRAME_W))
            tbl = _table_flowable(b, st)
            if joined:
                _rules_without(tbl, len(b.header) + len(b.body), len(b.widths), joined)
            if b.kind == "form":
                tbl = _one_page(tbl, b)
            flow.append(tbl)
            if b.note:
                flow.append(Para(b.note, st["note"]))
        elif isinstance(b, Chart):
            cap = _BoldPara(b.title, st["caption"])
            cap.keepWithNext = True
            dr = charts.drawing(b)
            dr.hAlign = "CENTER"
            flow += [cap, dr, Spacer(1, 6)]
    return flow, [(n, lvl, text, f"bdt-h{bi}") for n, (bi, lvl, text) in enumerate(entries)]


DRAFT_RED = colors.HexColor("#C62828")


def _draft(canv: Canvas, mark: str) -> None:
    """The draft mark of a forced export: a large diagonal watermark and a red line at the top."""
    canv.saveState()
    canv.setFillColor(DRAFT_RED)
    canv.setFillAlpha(0.2)
    canv.setFont(PDF_FONT, 54)
    canv.translate(PAGE_W / 2, PAGE_H / 2)
    canv.rotate(52)
    canv.drawCentredString(0, -18, mark)
    canv.restoreState()
    canv.saveState()
    canv.setFillColor(DRAFT_RED)
    canv.setFont(PDF_FONT, 10)
    canv.drawString(MARGIN_X, PAGE_H - 13 * mm, f"【{mark}】")
    canv.restoreState()


def _footer(reg: _Registry, title: str, mark: str | None = None):
    title = _clip(title, 8, FRAME_W * 0.8)

    def draw(canv: Canvas, doc) -> None:
        page = canv.getPageNumber()
        if mark:
            _draft(canv, mark)
        if reg.body_start is None or page < reg.body_start:
            return
        canv.saveState()
        canv.setFont(PDF_FONT, 9.5)
        canv.setFillColor(BLACK)
        canv.drawCentredString(PAGE_W / 2, 11 * mm, f"- {reg.number(page)} -")
        canv.setFont(PDF_FONT, 8)
        canv.setFillColor(colors.HexColor("#666666"))
        canv.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 13 * mm, title)  # clipped to the line
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.4)
        canv.line(MARGIN_X, PAGE_H - 14.5 * mm, PAGE_W - MARGIN_X, PAGE_H - 14.5 * mm)
        canv.restoreState()

    return draw


def render_pdf(doc: Document, path, typography=None) -> dict:
    """Write the PDF; returns {"pages": n, "toc": [(text, page number)…]} for callers and tests.
    `typography`: "standard" (default) or "official" (GB/T 9704 fonts where installed, `fonts.typography`)."""
    from ..model import paused_gc

    with paused_gc():  # ReportLab's flowables, lines and PDF objects: a collection would traverse them all
        return _render_pdf(doc, path, typography)


def _render_pdf(doc: Document, path, typography=None) -> dict:
    from .fonts import typography as find_typography

    cjk_font()
    typo = find_typography(typography)
    st = _styles(typo)
    flow, entries = story(doc, st)
    reg = _Registry(len(entries), {n: (12 if lvl == 1 else 11) for n, lvl, _, _ in entries})
    if not any(isinstance(b, TOC) for b in doc.blocks):
        reg.body_start = 1  # no 目录: number every page
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_W, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    title = f"【{doc.mark}】{doc.title}" if doc.mark else doc.title
    keywords = ["部门预算公开", doc.dept, str(doc.year or "")] + ([doc.mark] if doc.mark else [])
    tpl = BaseDocTemplate(
        path if hasattr(path, "write") else str(path), pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=title, author=doc.dept,
        subject="部门预算公开" + (f"。{doc.note}" if doc.note else ""), keywords=[k for k in keywords if k],
        creator="bdt（部门预算公开工具）", pageCompression=1, initialFontName=PDF_FONT, initialFontSize=10,
        lang="zh-CN", displayDocTitle=1,
    )
    tpl.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=_footer(reg, doc.title, doc.mark))])
    from reportlab import rl_config

    a85, rl_config.useA85 = rl_config.useA85, 0  # binary streams: smaller, and no pure-Python ASCII85 pass
    try:
        tpl.build(flow, canvasmaker=partial(_Canvas, bdt_registry=reg))
    finally:
        rl_config.useA85 = a85
    pages = tpl.page
    return {"pages": pages, "body_start": reg.body_start, "typography": typo,
            "toc": [(text, reg.number(reg.pages[n]) if n in reg.pages else None) for n, _, text, _ in entries]}


__all__ = ["render_pdf", "fit_widths"]
