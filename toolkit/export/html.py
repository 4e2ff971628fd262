"""HTML back end: one self-contained page from the same document model as the PDF.

Inline CSS (screen and print: A4, table headers repeated by `thead`, each part and table on a new
page), charts as inline SVG drawn from the same vector charts as the PDF, a linked 目录. No
scripts, no external resources: the file can be published as it is.
"""
from __future__ import annotations

from html import escape

from . import charts
from .document import TOC, Chart, Cover, Document, Heading, PageBreak, Paragraph, Table
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
table { border-collapse: collapse; width: 100%%; font-size: 9pt; line-height: 1.35; table-layout: fixed; }
th, td { border: 0.6pt solid var(--rule); padding: 2px 4px; vertical-align: middle; word-break: break-all; }
th, td.h { background: var(--head); font-weight: bold; text-align: center; }
td.r { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.c { text-align: center; }
tr.total td, td.b { font-weight: bold; }
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
}
""" % {"font": CSS_FONT_STACK}


def _e(text) -> str:
    return escape(str(text or ""), quote=True).replace("\n", "<br>")


def _cell(c, tag: str) -> str:
    attrs = []
    if c.span > 1:
        attrs.append(f'colspan="{c.span}"')
    if c.vspan > 1:
        attrs.append(f'rowspan="{c.vspan}"')
    cls = []
    if tag == "td":
        if c.header:
            cls.append("h")
        elif c.align == "right":
            cls.append("r")
        elif c.align == "center":
            cls.append("c")
        if c.bold and not c.header:
            cls.append("b")
    if cls:
        attrs.append(f'class="{" ".join(cls)}"')
    a = (" " + " ".join(attrs)) if attrs else ""
    return f"<{tag}{a}>{_e(c.text)}</{tag}>"


def _table(t: Table, anchor: str) -> str:
    out = [f'<section class="table" id="{anchor}">']
    if t.kind == "table":
        if t.label:
            out.append(f'<p class="tlabel">{_e(t.label)}</p>')
        out.append(f'<h2 class="ttitle">{_e(t.title)}</h2>')
        out.append(f'<div class="tmeta"><span>{_e(t.dept)}</span><span>{_e(t.unit)}</span></div>')
    else:
        out.append(f'<h3 class="ttitle">{_e(t.title)}</h3>')
        if t.subtitle:
            out.append(f'<p class="tsub">{_e(t.subtitle)}</p>')
    widths = fit_widths(t)  # as in the PDF
    total = float(sum(widths)) or 1.0
    out.append("<table><colgroup>" + "".join(f'<col style="width:{100 * float(w) / total:.2f}%">'
                                             for w in widths) + "</colgroup>")
    if t.header:
        out.append("<thead>")
        for row in t.header:
            out.append("<tr>" + "".join(_cell(c, "th") for c in row.cells if c is not None) + "</tr>")
        out.append("</thead>")
    out.append("<tbody>")
    for row in t.body:
        cls = ' class="total"' if row.total else ""
        out.append(f"<tr{cls}>" + "".join(_cell(c, "td") for c in row.cells if c is not None) + "</tr>")
    out.append("</tbody></table>")
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
            parts.append(f'<figure id="{anchor}"><figcaption>{_e(b.title)}</figcaption>{charts.to_svg(b)}</figure>')
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(doc.title)}</title>"
        f'<meta name="generator" content="bdt">'
        f"<style>{CSS}</style></head><body><main>\n" + "\n".join(parts) +
        f"\n<footer>{_e(doc.title)}</footer></main></body></html>\n"
    )
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
    return page


__all__ = ["render_html"]
