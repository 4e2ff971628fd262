"""Word back end: the same document model as an editable .docx (python-docx).

Real Word tables (merged header cells via gridSpan/vMerge, header rows marked to repeat on every
page), East Asian fonts set on every style (w:eastAsia), headings in Word's Heading styles so the
目录 is a real TOC field (Word fills in the page numbers when the file is opened: the document asks
to update fields), page numbers as a PAGE field in the footer of the body section (cover and 目录
unnumbered, the body starts at 1), charts as PNG pictures drawn from the same vector charts.
"""
from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

from . import charts
from .fonts import cjk_font
from .document import NUMERIC, TOC, Chart, Cover, Document, Heading, PageBreak, Paragraph, Table, continued

BODY_FONT, HEAD_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
TEXT_WIDTH_MM = 170
TWIPS_PER_MM = 56.6929
HEADER_FILL = "E8ECF1"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _fonts(style, east: str, latin: str = LATIN_FONT) -> None:
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]  # drop theme fonts, which would override the names below
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:cs"), latin)


def _style(doc, name: str, base: str | None = None, size: float = 12, east: str = BODY_FONT, bold: bool = False,
           align=None, indent_first: float | None = None, before: float = 0, after: float = 0,
           line: float | None = None):
    styles = doc.styles
    try:
        st = styles[name]
    except KeyError:
        from docx.enum.style import WD_STYLE_TYPE

        st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if base:
            st.base_style = styles[base]
    _fonts(st, east)
    f = st.font
    f.size = Pt(size)
    f.bold = bold
    f.italic = False
    f.color.rgb = RGBColor(0, 0, 0)
    pf = st.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    if align is not None:
        pf.alignment = align
    if indent_first is not None:
        pf.first_line_indent = Pt(indent_first)
    if line is not None:
        pf.line_spacing = line
    return st


def _setup(doc, typo=None) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(20)
    sec.top_margin, sec.bottom_margin = Mm(22), Mm(20)
    sec.footer_distance = Mm(10)
    _style(doc, "Normal", size=12, line=1.5)
    _style(doc, "Heading 1", size=17, east=HEAD_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=12, line=1.3)
    _style(doc, "Heading 2", size=14, east=HEAD_FONT, before=8, after=4, line=1.3)
    _style(doc, "Heading 3", size=12.5, east=HEAD_FONT, before=4, after=2, indent_first=24, line=1.3)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        doc.styles[name].paragraph_format.keep_with_next = True
    _style(doc, "BDT 正文", "Normal", size=12, indent_first=24, line=1.5)
    _style(doc, "BDT 小标题", "Normal", size=12.5, east=HEAD_FONT, indent_first=24, before=4, after=2, line=1.3)
    _style(doc, "BDT 表格", "Normal", size=9, line=1.0)
    _style(doc, "BDT 表名", "Normal", size=14, east=HEAD_FONT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=4,
           line=1.2)
    _style(doc, "BDT 表注", "Normal", size=10, line=1.2, before=4)
    _style(doc, "BDT 小字", "Normal", size=9.5, line=1.2)
    _style(doc, "BDT 目录", "Normal", size=11, line=1.5)
    _style(doc, "BDT 图题", "Normal", size=11, east=HEAD_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=4,
           line=1.2)
    for name in ("BDT 小标题", "BDT 表名", "BDT 图题"):
        doc.styles[name].paragraph_format.keep_with_next = True
    if typo is not None and typo.official:
        _official(doc, typo)
    # East Asian text is Chinese (zh-CN) throughout: document defaults and the theme font language
    rpr_default = doc.styles.element.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if rpr_default is not None:
        _zh_cn(_child(rpr_default, "w:lang")).set(qn("w:bidi"), "ar-SA")
    _zh_cn(_child(doc.settings.element, "w:themeFontLang"))


# GB/T 9704 (公文): {style: (role, size pt, first line indent pt or None, bold)}; the fonts are named
# on w:rFonts w:eastAsia (what Word and WPS use for hanzi) and w:hAnsi/w:ascii stay Times New Roman
OFFICIAL_STYLES = {
    "Normal": ("body", 16, None, False), "BDT 正文": ("body", 16, 32, False), "BDT 表注": ("body", 12, None, False),
    "Heading 1": ("title", 22, None, False), "BDT 表名": ("title", 16, None, False),
    "Heading 2": ("heading", 16, None, False), "BDT 图题": ("heading", 12, None, False),
    "Heading 3": ("kai", 16, 32, False), "BDT 小标题": ("kai", 16, 32, False),
}


def _official(doc, typo) -> None:
    """The 公文 style where its fonts are installed: each style of an installed role set in that
    font and size (小标宋 and 黑体 are heavy faces: not bold on top); the others keep theirs."""
    for name, (role, size, indent, bold) in OFFICIAL_STYLES.items():
        family = typo.family(role)
        if family is None:
            continue
        st = doc.styles[name]
        _fonts(st, family)
        st.font.size = Pt(size)
        st.font.bold = bold
        if indent is not None:
            st.paragraph_format.first_line_indent = Pt(indent)
    if typo.family("body"):  # 三号 on 28.95 pt lines: the 22 lines of a 公文 page
        from docx.enum.text import WD_LINE_SPACING

        for name in ("Normal", "BDT 正文"):
            pf = doc.styles[name].paragraph_format
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Pt(28.95)
        doc.styles["BDT 表格"].paragraph_format.line_spacing = 1.0
        _fonts(doc.styles["BDT 表格"], BODY_FONT)  # tables stay in the standard face, 9 pt
        doc.styles["BDT 表格"].font.size = Pt(9)


def _child(parent, tag: str):
    """`parent`'s child element `tag`, appended when missing."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    return el


def _zh_cn(el):
    el.set(qn("w:val"), "zh-CN")
    el.set(qn("w:eastAsia"), "zh-CN")
    return el


def _field(paragraph, instr: str, placeholder: str = "") -> None:
    """A complex field (PAGE, TOC …) in a paragraph."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r = OxmlElement("w:r")
        r.append(el)
        return r

    p = paragraph._p
    p.append(fld("begin"))
    r = OxmlElement("w:r")
    t = OxmlElement("w:instrText")
    t.set(qn("xml:space"), "preserve")
    t.text = f" {instr} "
    r.append(t)
    p.append(r)
    p.append(fld("separate"))
    if placeholder:
        run = paragraph.add_run(placeholder)
        p.append(run._r)
    p.append(fld("end"))


def _fld_run(kind: str):
    r = OxmlElement("w:r")
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    r.append(el)
    return r


def _toc_field(entries, pages: dict, para) -> None:
    """The 目录 as a TOC field with its result stored: each line is the heading's text, a dot
    leader and a PAGEREF field to the heading's bookmark whose stored result is the page number
    (from the document's known pagination), so Word, WPS and LibreOffice show the numbers as they
    are; Word's 更新域 recomputes them from the bookmarks."""
    paras = []
    for n, (_, level, text) in enumerate(entries):
        p = para("", "BDT 目录")
        p.paragraph_format.left_indent = Pt(12 * (level - 1))
        p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), alignment=2, leader=1)  # right, dots
        r = p.add_run(text)
        p.add_run("\t")
        _field(p, f"PAGEREF {_bookmark(n)} \\h", str(pages.get(n, "")))
        paras.append(p)
        del r
    if not paras:
        return
    first, last = paras[0]._p, paras[-1]._p
    r = OxmlElement("w:r")
    t = OxmlElement("w:instrText")
    t.set(qn("xml:space"), "preserve")
    t.text = ' TOC \\o "1-3" \\h \\z \\u '
    r.append(t)
    ppr = first.find(qn("w:pPr"))
    for el in (_fld_run("separate"), r, _fld_run("begin")):
        if ppr is not None:
            ppr.addnext(el)
        else:
            first.insert(0, el)
    last.append(_fld_run("end"))


def _bookmark(n: int) -> str:
    return f"_Toc_bdt{n:03d}"


_BM_ID = [1000]


def _bookmark_paragraph(p, name: str) -> None:
    _BM_ID[0] += 1
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(_BM_ID[0]))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(_BM_ID[0]))
    ppr = p._p.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        p._p.insert(0, start)
    p._p.append(end)


def _text_xml(text: str, bold: bool) -> str:
    text = _CONTROL.sub(" ", text.replace("\t", " ").replace("\r", ""))
    rpr = "<w:rPr><w:b/><w:bCs/></w:rPr>" if bold else ""
    parts = text.split("\n")
    runs = []
    for k, part in enumerate(parts):
        br = "<w:br/>" if k else ""
        runs.append(f'<w:r>{rpr}{br}<w:t xml:space="preserve">{escape(part)}</w:t></w:r>')
    return "".join(runs)


CELL_PT = 9  # the size of table text (style BDT 表格)
CELL_MARGIN_PT = 57 / 20  # left and right cell margin (tblCellMar, 57 twips)
# widths in em of what Word, WPS or LibreOffice may really draw: a hanzi is one em in every CJK
# font; Latin text falls back to the widest common face when Times New Roman is missing (DejaVu
# Serif on a Linux desktop: digits 0.636 em, Times 0.5 em)
_EM = {**{c: 0.64 for c in "0123456789"}, ".": 0.32, ",": 0.32, ":": 0.34, "-": 0.34, " ": 0.32, "%": 0.95}


def _em(text: str) -> float:
    import unicodedata

    return sum(_EM.get(ch, 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.72) for ch in text)


def cell_width(text: str) -> float:
    """Points a cell needs to show `text` on one line in the fallback fonts (margins included)."""
    return _em(text) * CELL_PT + 2 * CELL_MARGIN_PT + 1.5


def _cell_lines(text: str, avail: float, head: bool) -> str:
    """A column heading that must wrap broken into balanced lines (政府性/基金预算, no 孤字 line:
    not 单位资/金) by hard line breaks measured with the fallback widths (wider than any real
    face, so Word and WPS keep them). What the clerk typed is left to the word processor: a line
    break inside it would change the text a reader copies."""
    from .pdf import _balanced

    if not head or "\n" in text or _em(text) * CELL_PT <= avail:
        return text
    return _balanced(text, avail, lambda chunk: _em(chunk) * CELL_PT)


def _table_xml(t: Table, style_id: str) -> str:
    from .pdf import fit_widths  # the PDF's rules: figures, codes and short headings never wrap

    widths = fit_widths(t, TEXT_WIDTH_MM * TWIPS_PER_MM / 20, cell_width)
    cols = [max(200, int(w * 20)) for w in widths]
    n = len(cols)
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(cols)}" w:type="dxa"/><w:jc w:val="center"/>'
           f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
           '<w:tblCellMar><w:top w:w="15" w:type="dxa"/><w:left w:w="57" w:type="dxa"/>'
           '<w:bottom w:w="15" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
           '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
           'w:noHBand="1" w:noVBand="1"/></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in cols]
    out.append("</w:tblGrid>")
    rows = t.header + t.body
    nh = len(t.header)
    active: dict = {}  # column -> (rows still covered, span) of a vertical merge from above
    for i, row in enumerate(rows):
        tr = ["<w:tr><w:trPr><w:cantSplit/>"]
        if i < nh:
            tr.append("<w:tblHeader/>")
        tr.append("</w:trPr>")
        j = 0
        while j < n:
            cell = row.cells[j] if j < len(row.cells) else None
            if cell is None and j in active:
                left, span = active[j]
                width = sum(cols[j:j + span])
                grid = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
                tr.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{grid}<w:vMerge/>'
                          f'<w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>'
                          '</w:p></w:tc>')
                if left <= 1:
                    del active[j]
                else:
                    active[j] = (left - 1, span)
                j += span
                continue
            if cell is None:  # covered from the left by a gridSpan: nothing to write
                j += 1
                continue
            span = min(cell.span, n - j)
            width = sum(cols[j:j + span])
            props = [f'<w:tcW w:w="{width}" w:type="dxa"/>']
            if span > 1:
                props.append(f'<w:gridSpan w:val="{span}"/>')
            if cell.vspan > 1:
                props.append('<w:vMerge w:val="restart"/>')
                active[j] = (cell.vspan - 1, span)
            if cell.header or i < nh:
                props.append(f'<w:shd w:val="clear" w:color="auto" w:fill="{HEADER_FILL}"/>')
            props.append('<w:vAlign w:val="center"/>')
            jc = {"right": "right", "center": "center"}.get(cell.align, "left")
            text = cell.text
            if text and cell.type not in NUMERIC:
                text = _cell_lines(text, sum(widths[j:j + span]) - 2 * CELL_MARGIN_PT - 1, cell.header or i < nh)
            tr.append(f'<w:tc><w:tcPr>{"".join(props)}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style_id}"/>'
                      f'<w:jc w:val="{jc}"/></w:pPr>{_text_xml(text, cell.bold) if text else ""}</w:p>'
                      "</w:tc>")
            j += span
        tr.append("</w:tr>")
        out.append("".join(tr))
    out.append("</w:tbl>")
    return "".join(out)


def _running_header(sec, title: str | None, mark: str | None, cont: str | None = None) -> None:
    """The page header: the draft mark (red) on the left, the document title on the right, a rule.
    With `cont` (a section holding one table) the first page of the section has that header and
    every further page — the table's continuation — a 续表 line below it."""
    if cont:
        sec.different_first_page_header_footer = True
        _header(sec.first_page_header, title, mark)
        _header(sec.header, title, mark)
        p = sec.header.add_paragraph()
        r = p.add_run(cont)
        r.font.size = Pt(9)
        p.paragraph_format.space_before = Pt(4)
    else:
        _header(sec.header, title, mark)


def _header(header, title: str | None, mark: str | None) -> None:
    header.is_linked_to_previous = False
    hp = header.paragraphs[0]
    for run in list(hp.runs):
        run._r.getparent().remove(run._r)
    if not (title or mark):
        return
    hp.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), alignment=2)
    if mark:
        r = hp.add_run(f"【{mark}】")
        r.font.size = Pt(10)
        r.font.color.rgb = RGBColor(0xC6, 0x28, 0x28)
        r.font.bold = True
    if title:
        r = hp.add_run("\t" + title)
        r.font.size = Pt(8)
        r.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
        ppr = hp._p.get_or_add_pPr()
        ppr.append(parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="4" w:space="1" '
                             'w:color="999999"/></w:pBdr>'))


def _app_properties(d, pages: int | None) -> None:
    """docProps/app.xml written by the toolkit (python-docx's template names "Microsoft Macintosh
    Word"), and the template's thumbnail dropped."""
    from .. import __version__

    pkg = d.part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del pkg.rels[rid]
    for part in pkg.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
                'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                f"<Template>Normal.dotm</Template><Application>bdt {__version__}</Application>"
                + (f"<Pages>{pages}</Pages>" if pages else "") +
                "<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop><Company></Company>"
                "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
                "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0000</AppVersion></Properties>"
            ).encode("utf-8")


def toc_pages(doc: Document, info: dict | None = None, typography=None) -> tuple[dict, int]:
    """{目录 entry index: page number} and the page count, from the PDF's pagination (the same
    page size, margins, breaks and fonts sizes): `info` of a `render_pdf` of this document, or
    laid out once into memory."""
    if info is None:
        import io as _io

        from .pdf import render_pdf

        info = render_pdf(doc, _io.BytesIO(), typography=typography)
    return {n: page for n, (_, page) in enumerate(info["toc"]) if page is not None}, info["pages"]


def render_docx(doc: Document, path, pages: dict | None = None, pdf_info: dict | None = None,
                typography=None) -> dict:
    """Write the DOCX; `pdf_info`: what `render_pdf` returned for this document (export passes it
    when it made the PDF too, so the pagination is not laid out a second time); `typography`:
    "standard" or "official" (GB/T 9704 fonts where installed, `fonts.typography`)."""
    from .fonts import typography as find_typography

    typo = find_typography(typography)
    n_pages = None
    if pages is None and doc.toc_entries():
        pages, n_pages = toc_pages(doc, pdf_info, typography)
    pages = pages or {}
    toc_of = {bi: n for n, (bi, _, _) in enumerate(doc.toc_entries())}
    d = new_docx()
    _setup(d, typo)
    body = d.element.body
    table_style = d.styles["BDT 表格"].style_id
    pending_break = False
    after_toc = False
    n_tables = 0

    def page_numbers(sec) -> None:
        for footer in (sec.footer, sec.first_page_footer) if sec.different_first_page_header_footer else (sec.footer,):
            footer.is_linked_to_previous = False
            fp = footer.paragraphs[0]
            fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fp.add_run("- ")
            _field(fp, "PAGE", "1")
            fp.add_run(" -")

    def next_table(i: int):
        """The table a page break leads to (a heading may stand above it on its page), or None."""
        for b2 in doc.blocks[i + 1:]:
            if isinstance(b2, Table):
                return b2
            if not isinstance(b2, Heading):
                return None
        return None

    table_section = False

    numbered = False

    from docx.enum.style import WD_STYLE_TYPE

    default_style = d.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    style_ids: dict = {}  # name -> w:pStyle value, looked up once (python-docx scans every style per paragraph)

    def para(text: str = "", style: str | None = None, align=None):
        nonlocal pending_break
        p = d.add_paragraph()
        if style is not None:
            if style not in style_ids:
                st = d.styles[style]
                style_ids[style] = None if st == default_style else st.style_id
            if style_ids[style] is not None:
                p._p.get_or_add_pPr().style = style_ids[style]
        if text:
            p.add_run(text)
        if align is not None:
            p.alignment = align
        if pending_break:
            p.paragraph_format.page_break_before = True
            pending_break = False
        return p

    _running_header(d.sections[0], None, doc.mark)
    for i, b in enumerate(doc.blocks):
        if isinstance(b, Cover):
            for _ in range(7):
                para("")
            for text, size in ((b.dept, 22), ("", 12), (b.title, 28)):
                p = para(text, "BDT 表名")
                for run in p.runs:
                    run.font.size = Pt(size)
        elif isinstance(b, TOC):
            p = para(b.title, "BDT 表名")
            for run in p.runs:
                run.font.size = Pt(18)
            _toc_field(doc.toc_entries(), pages, para)
            after_toc = True
        elif isinstance(b, PageBreak):
            if after_toc:
                sec = d.add_section(WD_SECTION.NEW_PAGE)
                sec.footer.is_linked_to_previous = False
                page_numbers(sec)
                _running_header(sec, doc.title, doc.mark)
                numbered = True
                pg = OxmlElement("w:pgNumType")
                pg.set(qn("w:start"), "1")
                sec._sectPr.insert_element_before(pg, "w:cols", "w:formProt", "w:vAlign", "w:noEndnote",
                                                  "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter",
                                                  "w:docGrid", "w:printerSettings", "w:sectPrChange")
                after_toc = False
            elif numbered and (next_table(i) is not None or table_section):
                # a table on its own section: 续表 in the header of the pages it continues on
                t2 = next_table(i)
                sec = d.add_section(WD_SECTION.NEW_PAGE)
                for pg in sec._sectPr.findall(qn("w:pgNumType")):  # copied from the section before:
                    sec._sectPr.remove(pg)  # the numbering goes on, it does not restart at 1
                sec.header_distance = Mm(10)
                _running_header(sec, doc.title, doc.mark, continued(t2) if t2 is not None else None)
                page_numbers(sec)
                table_section = t2 is not None
                pending_break = False
            else:
                pending_break = True
        elif isinstance(b, Heading):
            if b.toc or b.level < 3:
                p = para(b.text, f"Heading {min(b.level, 3)}")
                if i in toc_of:
                    _bookmark_paragraph(p, _bookmark(toc_of[i]))
            else:
                para(b.text, "BDT 小标题")
        elif isinstance(b, Paragraph):
            para(b.text, "BDT 正文" if b.style == "body" else "Normal")
        elif isinstance(b, Table):
            if b.kind == "table":
                if b.label:
                    para(b.label, "BDT 小字").paragraph_format.keep_with_next = True
                p = para(b.title, "Heading 2" if b.toc else "BDT 表名", WD_ALIGN_PARAGRAPH.CENTER)
                p.paragraph_format.keep_with_next = True
                if i in toc_of:
                    _bookmark_paragraph(p, _bookmark(toc_of[i]))
                p = para(f"{b.dept or ''}\t{b.unit or ''}", "BDT 小字")
                p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), alignment=2)  # right tab
                p.paragraph_format.keep_with_next = True
            else:
                if b.label:  # a form numbered as a table (表13/表14 of bj-14): captioned and in the 目录
                    para(b.label, "BDT 小字").paragraph_format.keep_with_next = True
                p = para(b.title, "BDT 表名")
                if i in toc_of:
                    _bookmark_paragraph(p, _bookmark(toc_of[i]))
                if b.subtitle:
                    p = para(b.subtitle, "BDT 小字", WD_ALIGN_PARAGRAPH.CENTER)
                    p.paragraph_format.keep_with_next = True
            if pending_break:
                para("")
            body.sectPr.addprevious(parse_xml(_table_xml(b, table_style)))
            n_tables += 1
            if b.note:
                para(b.note, "BDT 表注")
        elif isinstance(b, Chart):
            para(b.title, "BDT 图题")
            if cjk_font().embedded:
                p = para(align=WD_ALIGN_PARAGRAPH.CENTER)
                p.add_run().add_picture(io.BytesIO(charts.to_png(b)), width=Mm(150))
            else:  # no font file to draw hanzi into a picture: the chart's figures as a table
                body.sectPr.addprevious(parse_xml(_table_xml(charts.chart_table(b), table_style)))
    if not numbered:  # no 目录: number every page
        page_numbers(d.sections[0])
    from datetime import datetime, timezone

    props = d.core_properties
    def short(text: str) -> str:  # core properties hold at most 255 characters
        return text if len(text) <= 255 else text[:254] + "…"

    props.title = short(f"【{doc.mark}】{doc.title}" if doc.mark else doc.title)
    props.author = props.last_modified_by = short(doc.dept)
    props.subject = "部门预算公开"
    props.keywords = short("，".join(k for k in ("部门预算公开", doc.dept, str(doc.year or ""), doc.mark) if k))
    props.category = doc.mark or "部门预算公开"
    props.content_status = doc.mark or "正式"
    props.comments = "由 bdt（部门预算公开工具）从填好的工作簿生成。" + (doc.note or "")
    props.created = props.modified = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    props.revision = 1
    props.language = "zh-CN"
    _app_properties(d, n_pages)
    d.save(path if hasattr(path, "write") else str(path))
    return {"tables": n_tables}


__all__ = ["render_docx"]
