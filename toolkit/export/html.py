"""HTML back end: one self-contained page from the same document model as the PDF.

Inline CSS (screen and print: A4, table headers repeated by `thead`, each part and table on a new
page), charts as inline SVG drawn from the same vector charts as the PDF, a linked 目录. No
scripts, no external resources: the file can be published as it is.
"""
from __future__ import annotations

from html import escape

from . import charts
from .document import NUMERIC, TOC, Chart, Cover, Document, Heading, PageBreak, Paragraph, Table
from .fonts import CSS_FONT_STACK
from .pdf import fit_widths

CSS = """
:root { --rule: #222; --head: #e8ecf1; }
* { box-sizing: border-box; }
body { font-family: %(font)s; color: #111; margin: 0; background: #f3f3f3; line-height: 1.7; }
main { max-width: 210mm; margin: 0 auto; background: #fff; padding: 18mm 20mm; }
.cover { text-align: center; padding: 40mm 0 30mm; }
.cover .dept { font-size: 22pt; font-weight: bold; margin: 0 0 10mm; }
.cover .title { font-size: 28pt; font-weight: bold; margin: 0; }
nav.toc h2 { text-align: center; font-size: 18pt; letter-spacing: .5em; }
nav.toc ol { list-style: none; padding: 0; margin: 0; }
nav.toc li { margin: .15em 0; }
nav.toc li.l2 { padding-left: 2em; } nav.toc li.l3 { padding-left: 4em; }
nav.toc a { color: inherit; text-decoration: none; } nav.toc a:hover { text-decoration: underline; }
h1 { font-size: 17pt; text-align: center; margin: 1.2em 0 .8em; }
h2 { font-size: 13.5pt; margin: 1em 0 .3em; }
h3 { font-size: 12pt; margin: .6em 0 .2em; text-indent: 2em; }
p.body { text-indent: 2em; margin: .25em 0; font-size: 11.5pt; }
section.table { margin: 1.2em 0 1.6em; }
.tlabel { font-size: 9pt; margin: 0; }
.ttitle { font-size: 14pt; text-align: center; margin: .2em 0; font-weight: bold; }
.tsub { text-align: center; margin: 0 0 .3em; }
.tmeta { display: flex; justify-content: space-between; font-size: 9.5pt; margin-bottom: 2px; }
.tw { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%%; }
.tw:focus { outline: 2px solid #3B6FB6; outline-offset: 1px; }
table { border-collapse: collapse; width: 100%%; font-size: 9pt; line-height: 1.35; table-layout: fixed; }
caption.sr, .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
th, td { border: 0.6pt solid var(--rule); padding: 2px 4px; vertical-align: middle; overflow-wrap: anywhere;
  word-break: normal; line-break: strict; }
thead th, td.h, th.h { background: var(--head); font-weight: bold; text-align: center; }
tbody th { font-weight: normal; text-align: left; }
.r { text-align: right; font-variant-numeric: tabular-nums; }
.n { white-space: nowrap; overflow-wrap: normal; }
.c { text-align: center; }
tr.total td, tr.total th, .b { font-weight: bold; }
.draft { background: #fdecea; color: #8e1b1b; border: 2px solid #c62828;
  padding: .4em .8em; margin: 0 0 1em; font-weight: bold; }
body.draft-doc::after { content: "%(mark)s"; position: fixed; left: 50%%; top: 50%%; transform: translate(-50%%, -50%%) rotate(-40deg);
  font-size: 64pt; font-weight: bold; color: rgba(198, 40, 40, .12); white-space: nowrap; pointer-events: none; z-index: 3; }
@media (max-width: 600px) {
  main { padding: 12px 10px; }
  .cover { padding: 18vh 0 12vh; }
  .cover .dept { font-size: 17pt; } .cover .title { font-size: 20pt; }
  .tmeta { flex-wrap: wrap; gap: 0 1em; }
  body.draft-doc::after { font-size: 34pt; }
}
.note { font-size: 10pt; margin: .3em 0 0; }
figure { margin: 1em auto; text-align: center; }
figure figcaption { font-weight: bold; margin-bottom: .3em; }
figure svg { max-width: 100%%; height: auto; }
footer { font-size: 9pt; color: #666; margin-top: 3em; text-align: center; }
@page { size: A4; margin: 20mm 18mm; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  .pb { break-before: page; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  h1, h2, h3, .ttitle, .tmeta, figcaption { break-after: avoid; }
  nav.toc a::after { content: ""; }
  .tw { overflow: visible; }
}
"""


def _css(mark: str | None) -> str:
    return CSS % {"font": CSS_FONT_STACK, "mark": (mark or "").replace('"', "")}


def _e(text) -> str:
    return escape(str(text or ""), quote=True).replace("\n", "<br>")


# a point of the PDF's column widths in CSS pixels: the table's minimum width, below which it
# scrolls sideways in its own container instead of squeezing columns (9pt text here, 8.5pt there)
PX_PER_PT = 1.3


def _cls(c, tag: str) -> list:
    cls = []
    if c.header:
        cls.append("h")
    if c.align == "right":
        cls.append("r")
    elif c.align == "center" and not c.header:
        cls.append("c")
    if c.type in NUMERIC or c.type == "code":
        cls.append("n")  # figures and codes never wrap
    if c.bold and not c.header:
        cls.append("b")
    return cls


def _attrs(c, tag: str, extra: list) -> str:
    attrs = list(extra)
    if c.span > 1:
        attrs.append(f'colspan="{c.span}"')
    if c.vspan > 1:
        attrs.append(f'rowspan="{c.vspan}"')
    cls = _cls(c, tag)
    if cls:
        attrs.append(f'class="{" ".join(cls)}"')
    return (" " + " ".join(attrs)) if attrs else ""


def _is_row_header(t: Table, c) -> bool:
    """Body cells that name their row: labels of a table (科目名称, 项目), the label cells of a form."""
    if c is None or not c.text:
        return False
    if t.kind == "form":
        return c.type == "label" and not c.header
    return c.type == "label"


def _form_subject(t: Table) -> str:
    """What a form is about (its 项目名称 / 部门名称 value): forms share a title, regions need their own name."""
    for row in t.body:
        cells = [c for c in row.cells if c is not None]
        for k, c in enumerate(cells[:-1]):
            if c.type == "label" and c.text.strip() in ("项目名称", "部门名称") and cells[k + 1].text:
                return cells[k + 1].text
    return ""


def _table(t: Table, anchor: str) -> str:
    out = [f'<section class="table" id="{anchor}">']
    cap_id = f"{anchor}-t"
    if t.kind == "table":
        if t.label:
            out.append(f'<p class="tlabel">{_e(t.label)}</p>')
        out.append(f'<h2 class="ttitle" id="{cap_id}">{_e(t.title)}</h2>')
        out.append(f'<div class="tmeta"><span>{_e(t.dept)}</span><span>{_e(t.unit)}</span></div>')
        caption = "，".join(x for x in (t.label, t.title, t.dept, t.unit) if x)
    else:
        if t.label:  # a form numbered as a table (表13/表14 of bj-14)
            out.append(f'<p class="tlabel">{_e(t.label)}</p>')
        out.append(f'<h3 class="ttitle" id="{cap_id}">{_e(t.title)}</h3>')
        if t.subtitle:
            out.append(f'<p class="tsub">{_e(t.subtitle)}</p>')
        caption = "，".join(x for x in (t.label, t.title, t.subtitle, _form_subject(t)) if x)
    widths = fit_widths(t)  # as in the PDF
    total = float(sum(widths)) or 1.0
    min_px = int(total * PX_PER_PT)
    out.append(f'<div class="tw" role="region" aria-label="{_e(caption)}" tabindex="0">')
    out.append(f'<table style="min-width:{min_px}px"><caption class="sr">{_e(caption)}</caption><colgroup>'
               + "".join(f'<col style="width:{100 * float(w) / total:.2f}%">' for w in widths) + "</colgroup>")
    n = t.ncols
    col_heads: list = [[] for _ in range(n)]  # header cell ids above each column
    if t.header:
        out.append("<thead>")
        for i, row in enumerate(t.header):
            cells = []
            for j, c in enumerate(row.cells):
                if c is None:
                    continue
                hid = f"{anchor}-h{i}-{j}"
                for k in range(j, min(j + c.span, n)):
                    col_heads[k].append(hid)
                scope = "colgroup" if c.span > 1 else "col"
                cells.append(f"<th{_attrs(c, 'th', [f'id={chr(34)}{hid}{chr(34)}', f'scope={chr(34)}{scope}{chr(34)}'])}>"
                             f"{_e(c.text)}</th>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</thead>")
    out.append("<tbody>")
    row_heads: dict = {}  # column -> (header ids, last body row covered) of a row header spanning down
    for i, row in enumerate(t.body):
        cls = ' class="total"' if row.total else ""
        cells = []
        left_heads: list = []  # row headers to the left in this row (a T-shaped table has two)
        for j, c in enumerate(row.cells):
            if c is None:
                if j in row_heads and row_heads[j][1] >= i:
                    left_heads = [h for h in left_heads if h not in row_heads[j][0]] + row_heads[j][0]
                continue
            if t.kind == "form" and c.header and c.text:  # a column-heading row inside a form
                cells.append(f"<th{_attrs(c, 'th', ['scope=' + chr(34) + ('colgroup' if c.span > 1 else 'col') + chr(34)])}>"
                             f"{_e(c.text)}</th>")
                continue
            if _is_row_header(t, c):
                hid = f"{anchor}-r{i}-{j}"
                if t.kind == "table" and any(x is not None and x.type == "label" and x.text
                                             for x in row.cells[:j]):
                    left_heads = []  # the right half of a T-shaped table starts again
                ids = [hid]
                extra = [f'id="{hid}"', 'scope="rowgroup"' if c.vspan > 1 else 'scope="row"']
                heads = [h for k in range(j, min(j + c.span, n)) for h in col_heads[k]]
                if heads and t.kind == "table":
                    extra.append(f'headers="{" ".join(dict.fromkeys(heads))}"')
                cells.append(f"<th{_attrs(c, 'th', extra)}>{_e(c.text)}</th>")
                if c.vspan > 1:
                    for k in range(j, j + c.span):
                        row_heads[k] = (ids, i + c.vspan - 1)
                left_heads = left_heads + ids
                continue
            heads = [h for k in range(j, min(j + c.span, n)) for h in col_heads[k]] + left_heads
            extra = [f'headers="{" ".join(dict.fromkeys(heads))}"'] if heads else []
            cells.append(f"<td{_attrs(c, 'td', extra)}>{_e(c.text)}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if t.note:
        out.append(f'<p class="note">{_e(t.note)}</p>')
    out.append("</section>")
    return "\n".join(out)


def render_html(doc: Document, path=None) -> str:
    """The page as a string; written to `path` (UTF-8) when given."""
    parts = []
    entries = doc.toc_entries()
    pb = False
    for i, b in enumerate(doc.blocks):
        anchor = f"s{i}"
        brk = ' pb' if pb else ''
        if isinstance(b, PageBreak):
            pb = True
            continue
        pb = False
        if isinstance(b, Cover):
            parts.append(f'<header class="cover"><p class="dept">{_e(b.dept)}</p><p class="title">{_e(b.title)}</p>'
                         "</header>")
        elif isinstance(b, TOC):
            items = "".join(f'<li class="l{lvl}"><a href="#s{bi}">{_e(text)}</a></li>' for bi, lvl, text in entries)
            parts.append(f'<nav class="toc{brk}"><h2>{_e(b.title)}</h2><ol>{items}</ol></nav>')
        elif isinstance(b, Heading):
            tag = f"h{min(b.level, 3)}"
            parts.append(f'<{tag} id="{anchor}" class="{brk.strip()}">{_e(b.text)}</{tag}>'.replace(' class=""', ""))
        elif isinstance(b, Paragraph):
            parts.append(f'<p class="body">{_e(b.text)}</p>')
        elif isinstance(b, Table):
            html = _table(b, anchor)
            if brk:
                html = html.replace('<section class="table"', '<section class="table pb"', 1)
            parts.append(html)
        elif isinstance(b, Chart):
            data = _table(charts.chart_table(b), f"{anchor}-d").replace('<section class="table"', '<section class="table data"', 1)
            parts.append(f'<figure id="{anchor}"><figcaption>{_e(b.title)}</figcaption>{charts.to_svg(b)}'
                         f'<details><summary>{_e(b.title)}（数据）</summary>{data}</details></figure>')
    title = f"【{doc.mark}】{doc.title}" if doc.mark else doc.title
    banner = f'<div class="draft" role="note">{_e(doc.note or doc.mark)}</div>\n' if doc.mark else ""
    meta = ('<meta name="robots" content="noindex">'
            f'<meta name="bdt-status" content="{_e(doc.mark)}">') if doc.mark else ""
    body_cls = ' class="draft-doc"' if doc.mark else ""
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title>"
        f'<meta name="generator" content="bdt"><meta name="author" content="{_e(doc.dept)}">{meta}'
        f"<style>{_css(doc.mark)}</style></head><body{body_cls}><main>\n"
        + banner + "\n".join(parts) +
        f"\n<footer>{_e(doc.title)}</footer></main></body></html>\n"
    )
    if hasattr(path, "write"):
        path.write(page.encode("utf-8"))
    elif path is not None:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
    return page


__all__ = ["render_html"]
