"""Print-ready xlsx: the tables and performance forms of the document, values only.

Written from the same document model as the PDF (so the figures are the filled ones, never a
cached formula result): one sheet per table/form, numbers as numbers with their display format,
no formulas, no hidden or helper sheets, no macros; every sheet protected (no password: it guards
against slips, not people), A4 with the print area, repeated header rows, fit to page width and
page numbers set. Text that would read as a formula is stored as text with a leading '.
"""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection

from .document import NUMERIC, Document, Table, continued

FONT = "宋体"
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="E8ECF1")
FORMATS = {"amount": "0.00", "area": "0.00", "percent": "0.00", "yuan": "#,##0", "count": "0", "year": "0"}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, used: set) -> str:
    base = _BAD_SHEET.sub("_", name or "表").strip("'")[:31] or "表"
    title, n = base, 2
    while title in used:
        suffix = f"({n})"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def _display_width(text: str) -> float:
    return sum(1.9 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


def _lines(text: str, width: float) -> int:
    width = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(_display_width(part) / width)) for part in (text or "").split("\n"))


def _row_heights(t: Table, widths: list) -> list:
    """Heights (points) so wrapped text shows in full: spreadsheets do not grow merged rows themselves."""
    rows = t.header + t.body
    need = [1] * len(rows)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row.cells):
            if cell is None or not cell.text:
                continue
            lines = _lines(cell.text, sum(widths[j:j + cell.span]))
            per_row = math.ceil(lines / max(cell.vspan, 1))
            for k in range(i, min(i + max(cell.vspan, 1), len(rows))):
                need[k] = max(need[k], per_row)
    return [13.5 * n + 4 for n in need]


def _put(ws, r: int, c: int, cell, body_font, bold_font):
    x = ws.cell(row=r, column=c)
    v = cell.value
    if isinstance(v, Decimal) and cell.type in NUMERIC:
        x.value = v
        fmt = cell.format or FORMATS.get(cell.type, "General")  # the schema type's format (its decimals)
        unit = (cell.unit or "").replace('"', "")
        x.number_format = f'{fmt}"{unit}"' if unit else fmt
    elif cell.text:
        x.value = cell.text
        if x.data_type == "f":  # never a formula: neutralised text already starts with '
            x.data_type = "s"
    x.font = bold_font if (cell.bold or cell.header) else body_font
    horiz = {"right": "right", "center": "center"}.get(cell.align, "left")
    x.alignment = Alignment(horizontal=horiz, vertical="center", wrap_text=cell.type not in NUMERIC)
    return x


def _write(ws, t: Table, mark: str | None = None) -> None:
    n = t.ncols
    body_font, bold_font = Font(name=FONT, size=10), Font(name=FONT, size=10, bold=True)
    last = get_column_letter(n)
    r = 1
    if t.kind == "table" or t.label:  # the label of a table, or of a form numbered as one (表13/表14)
        ws.cell(row=1, column=1, value=t.label).font = Font(name=FONT, size=9)
        r = 2
    ws.cell(row=r, column=1, value=t.title).font = Font(name=FONT, size=14, bold=True)
    ws.cell(row=r, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A{r}:{last}{r}")
    ws.row_dimensions[r].height = 26
    r += 1
    if t.kind == "table":
        ws.cell(row=r, column=1, value=t.dept).font = body_font
        if n > 2:
            ws.merge_cells(f"A{r}:{get_column_letter(n - 1)}{r}")
        u = ws.cell(row=r, column=n, value=t.unit)
        u.font, u.alignment = body_font, Alignment(horizontal="right")
        r += 1
    elif t.subtitle:
        ws.cell(row=r, column=1, value=t.subtitle).font = body_font
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A{r}:{last}{r}")
        r += 1
    first_header = r
    rows = t.header + t.body
    nh = len(t.header)
    for i, row in enumerate(rows):
        for j in range(n):
            ws.cell(row=r + i, column=j + 1).border = BOX
        for j, cell in enumerate(row.cells):
            if cell is None:
                continue
            x = _put(ws, r + i, j + 1, cell, body_font, bold_font)
            if i < nh or cell.header:
                x.fill = HEAD_FILL
                x.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if cell.span > 1 or cell.vspan > 1:
                ws.merge_cells(start_row=r + i, start_column=j + 1, end_row=r + i + cell.vspan - 1,
                               end_column=j + cell.span)
    end = r + len(rows) - 1
    widths = [float(w) * (1.0 if t.kind == "table" else 1.15) for w in t.widths]
    heights = _row_heights(t, widths)
    for i, h in enumerate(heights):
        ws.row_dimensions[r + i].height = h
    if t.note:
        end += 1
        ws.cell(row=end, column=1, value=t.note).font = body_font
        ws.merge_cells(f"A{end}:{last}{end}")
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = w
    # printing
    ws.print_area = f"A1:{last}{end}"
    if nh:
        ws.print_title_rows = f"{first_header}:{first_header + nh - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.firstPageNumber = 1  # every sheet is printed as its own pages: page 1 is its first
    ws.page_setup.useFirstPageNumber = True
    orientation, one = _orientation(t, widths, sum(heights) + 26 + 20 * (r - 2))
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToHeight = 1 if one else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = MARGIN_LR
    # room for the header and the footer: LibreOffice gives them (margin − distance) and clips the
    # rest (with a 0.6 in margin and Excel's 0.5 in distance, half of 第 1 页，共 N 页 was cut off)
    ws.page_margins.top = ws.page_margins.bottom = MARGIN_TB
    ws.page_margins.header = ws.page_margins.footer = HEAD_FOOT
    # page 1 and the pages after it (续表 above the repeated header rows)
    ws.HeaderFooter.differentFirst = True
    for footer in (ws.oddFooter, ws.firstFooter):  # each sheet numbered from 1 (LibreOffice's &N
        footer.center.text = "第 &P 页"  # would count the pages of the whole workbook)
        footer.center.size = 10
    ws.oddHeader.center.text = continued(t)
    ws.oddHeader.center.size = 10
    if mark:  # a forced export: the draft mark on every printed page
        for header in (ws.oddHeader, ws.firstHeader):
            header.left.text = f"【{mark}】"
            header.left.color = "C62828"
            header.left.size = 11
    ws.sheet_view.showGridLines = False
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # readers may widen a column to read a long name
    ws.protection.formatRows = False


MARGIN_TB, HEAD_FOOT = 0.8, 0.3  # inches
A4_IN = (8.27, 11.69)
ONE_PAGE = 1.15  # a sheet up to 1.15 pages tall (after fitting its width) is printed on one page


MARGIN_LR = 0.5


def _scales(widths: list, height_pt: float, landscape: bool) -> tuple:
    """(scale to fit the width, scale to fit the whole sheet on one page) on A4."""
    paper_w, paper_h = A4_IN[::-1] if landscape else A4_IN
    room_w, room_h = (paper_w - 2 * MARGIN_LR) * 72, (paper_h - 2 * MARGIN_TB) * 72
    sheet_w = sum(w * 7 + 5 for w in widths) * 0.75  # Excel column width units → pixels → points
    width = min(1.0, room_w / sheet_w)
    return width, min(width, room_h / height_pt)


def _orientation(t: Table, widths: list, height_pt: float) -> tuple:
    """("portrait" | "landscape", one page?). A sheet at most ONE_PAGE pages tall once fitted to
    the paper's width is printed on one page (fit to page); a longer one runs over pages at the
    width's scale (a long 表12, a form with a long text). The T-shaped tables (表1, 表4, 表9: wide)
    always fit one page, in the orientation that prints them larger (portrait, as in the PDF,
    unless landscape is larger)."""
    keys = t.col_keys
    if any(k.startswith("in_") for k in keys) and any(k.startswith("ex_") for k in keys):  # T-shaped
        port, land = _scales(widths, height_pt, False)[1], _scales(widths, height_pt, True)[1]
        return ("portrait" if port >= land else "landscape"), True
    width, page = _scales(widths, height_pt, t.landscape)
    return ("landscape" if t.landscape else "portrait"), page * ONE_PAGE >= width


def render_xlsx(doc: Document, path) -> dict:
    wb = Workbook()
    wb.remove(wb.active)
    used: set = set()
    n = 0
    for t in doc.tables:
        ws = wb.create_sheet(_sheet_title(t.sheet or t.title, used))
        _write(ws, t, doc.mark)
        n += 1
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = f"【{doc.mark}】{doc.title}" if doc.mark else doc.title
    wb.properties.creator = doc.dept or "bdt"
    wb.properties.subject = "部门预算公开"
    wb.properties.keywords = "，".join(k for k in ("部门预算公开", doc.dept, str(doc.year or ""), doc.mark) if k)
    wb.properties.category = doc.mark or "部门预算公开"
    wb.properties.contentStatus = doc.mark or "正式"
    wb.properties.description = doc.note
    wb.properties.language = "zh-CN"
    wb.save(path if hasattr(path, "write") else str(path))
    return {"sheets": n}


__all__ = ["render_xlsx"]
