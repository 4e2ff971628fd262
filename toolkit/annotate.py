"""Annotate a workbook file with its findings, headless: the marks the 校验 button makes in Excel.

    annotate("单位.xlsx", "单位.标注.xlsx")      # bdt validate 单位.xlsx --annotate 单位.标注.xlsx

Each cell with a finding gets the colour of its worst finding (red error, yellow warning, blue
info); the cells a previous run had marked get their template colour back (colors.cell_rgb);
a 校验结果 sheet lists every finding with a link to its cell. Written by the lossless patch
writer: only the `s` (style) attribute of the marked cells changes, styles.xml gains the new
fills and cell formats, the findings sheet is added (or rewritten); every value, every other
part (VBA, buttons, validation, names) keeps its bytes. The source file is never changed.
No xlwings here: the web front end and the command line use it, the button can share its marks.
"""
from __future__ import annotations

import datetime as _dt
import posixpath
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .findings import (FINDINGS_HEADER, FINDINGS_SHEET, MARK_RGB, cell_marks, findings_rows, mark_plan, summary,
                       summary_line)
from .findings import previous_marks as marks_listed
from .io.writer import cell_styles, read_part, restyle_sheet_xml, sheet_parts, write_parts

MARK = MARK_RGB  # RGB, as the button paints
HEADER = FINDINGS_HEADER
WIDTHS = [7, 8, 22, 9, 70, 14, 14]

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WS_TYPE = NS_R + "/worksheet"
WS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


@dataclass
class Annotated:
    path: Path
    findings: list
    marked: int  # cells coloured
    restored: int  # cells of an earlier run given their template colour back

    @property
    def counts(self) -> dict:
        return summary(self.findings)


def previous_marks(path) -> list[tuple[str, str]]:
    """(sheet, A1) of the cells listed on an existing 校验结果 sheet (by this function or the button)."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        if FINDINGS_SHEET not in wb.sheet_names:
            return []
        rows = wb.get_sheet_by_name(FINDINGS_SHEET).to_python(skip_empty_area=False)
    except Exception:
        return []
    return marks_listed(rows)


# ---------------------------------------------------------------- styles.xml

class _Styles:
    """Appends fills, a bold font and cell formats to styles.xml; clones a cell's format with another fill."""

    def __init__(self, xml: str):
        self.xml = xml
        self.fills = self._items("fills", "fill")
        self.xfs = self._items("cellXfs", "xf")
        self.new_fills: list[str] = []
        self.new_xfs: list[str] = []
        self._fill_ids: dict = {}
        self._clones: dict = {}
        self._font_id = None
        self.new_fonts: list[str] = []
        self.fonts = self._items("fonts", "font")

    def _items(self, group: str, tag: str) -> list[str]:
        m = re.search(rf"<{group}\b[^>]*?(?:/>|>(.*?)</{group}>)", self.xml, flags=re.S)
        if not m or not m.group(1):
            return []
        return re.findall(rf"<{tag}\b[^>]*?(?:/>|>.*?</{tag}>)", m.group(1), flags=re.S)

    def fill_id(self, rgb: str | None) -> int:
        if rgb is None:
            return 0
        if rgb not in self._fill_ids:
            fill = (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                    f'<bgColor indexed="64"/></patternFill></fill>')
            if fill in self.fills:  # an earlier annotation added it already
                self._fill_ids[rgb] = self.fills.index(fill)
            else:
                self.new_fills.append(fill)
                self._fill_ids[rgb] = len(self.fills) + len(self.new_fills) - 1
        return self._fill_ids[rgb]

    def with_fill(self, style: str | None, rgb: str | None) -> int:
        key = (style, rgb)
        if key not in self._clones:
            base = self.xfs[int(style)] if style is not None and int(style) < len(self.xfs) else '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            m = re.match(r"<xf\b([^>]*?)(/?)>", base)
            attrs = re.sub(r'\s(fillId|applyFill)="[^"]*"', "", m.group(1))
            xf = f'<xf{attrs} fillId="{self.fill_id(rgb)}" applyFill="1"{m.group(2)}>' + base[m.end():]
            if xf in self.xfs:
                self._clones[key] = self.xfs.index(xf)
            else:
                self.new_xfs.append(xf)
                self._clones[key] = len(self.xfs) + len(self.new_xfs) - 1
        return self._clones[key]

    def bold(self) -> int:
        if self._font_id is None:
            font = '<font><b val="1"/><sz val="11"/><name val="宋体"/></font>'
            if font in self.fonts:
                self._font_id = self.fonts.index(font)
            else:
                self.new_fonts.append(font)
                self._font_id = len(self.fonts) + len(self.new_fonts) - 1
            xf = (f'<xf numFmtId="0" fontId="{self._font_id}" fillId="{self.fill_id("DDEBF7")}" '
                  f'borderId="0" xfId="0" applyFont="1" applyFill="1"/>')
            if xf in self.xfs:
                self._bold_xf = self.xfs.index(xf)
            else:
                self.new_xfs.append(xf)
                self._bold_xf = len(self.xfs) + len(self.new_xfs) - 1
        return self._bold_xf

    def _append(self, xml: str, group: str, items: list[str], total: int) -> str:
        if not items:
            return xml
        m = re.search(rf"<{group}\b([^>]*?)(/?)>", xml)
        if m is None:
            raise ValueError(f"styles.xml has no <{group}>")
        attrs = re.sub(r'\scount="\d+"', "", m.group(1)) + f' count="{total}"'
        if m.group(2):  # <group/>: no items yet
            return xml[: m.start()] + f"<{group}{attrs}>" + "".join(items) + f"</{group}>" + xml[m.end():]
        close = xml.index(f"</{group}>", m.end())
        return xml[: m.start()] + f"<{group}{attrs}>" + xml[m.end(): close] + "".join(items) + xml[close:]

    def render(self) -> str:
        xml = self._append(self.xml, "fonts", self.new_fonts, len(self.fonts) + len(self.new_fonts))
        xml = self._append(xml, "fills", self.new_fills, len(self.fills) + len(self.new_fills))
        return self._append(xml, "cellXfs", self.new_xfs, len(self.xfs) + len(self.new_xfs))


# ---------------------------------------------------------------- the findings sheet

def _col(j: int) -> str:
    return "ABCDEFGHIJ"[j]


def _cell(ref: str, value, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return f'<c r="{ref}"{s}><v>{format(value, "f") if isinstance(value, Decimal) else value}</v></c>'
    text = escape(str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def findings_sheet_xml(findings, line: str, bold: int) -> str:
    rows = [f'<row r="1">{_cell("A1", line, bold)}</row>',
            '<row r="2">' + "".join(_cell(f"{_col(j)}2", h, bold) for j, h in enumerate(HEADER)) + "</row>"]
    links = []
    for i, values in enumerate(findings_rows(findings), start=3):
        rows.append(f'<row r="{i}">' + "".join(_cell(f"{_col(j)}{i}", v) for j, v in enumerate(values)) + "</row>")
        sheet, cell = values[2], values[3]
        if cell:
            target = "'" + sheet.replace("'", "''") + "'!" + cell
            links.append(f'<hyperlink ref="D{i}" location={quoteattr(target)} display={quoteattr(cell)}/>')
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>' for j, w in enumerate(WIDTHS))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" '
            'state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f'<cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
            + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
            + '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')


def _add_sheet(zf: zipfile.ZipFile, parts: dict) -> str:
    """Register a new worksheet part at the end of the workbook; returns its part name."""
    names = set(zf.namelist())
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in names:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    wb = read_part(zf, "xl/workbook.xml").decode("utf-8")
    rels = read_part(zf, "xl/_rels/workbook.xml.rels").decode("utf-8")
    ct = read_part(zf, "[Content_Types].xml").decode("utf-8")
    ids = {int(x) for x in re.findall(r'Id="rId(\d+)"', rels)}
    rid = f"rId{max(ids, default=0) + 1}"
    sheet_id = max((int(x) for x in re.findall(r'<(?:\w+:)?sheet\b[^>]*\ssheetId="(\d+)"', wb)), default=0) + 1
    rels = rels.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{WS_TYPE}" '
                                            f'Target="{posixpath.relpath(part, "xl")}"/></Relationships>', 1)
    m = re.search(r"</(\w+:)?sheets>", wb)
    if m is None:
        raise ValueError("workbook.xml has no <sheets>")
    ns = m.group(1) or ""
    wb = wb[: m.start()] + f'<{ns}sheet xmlns:r="{NS_R}" name="{FINDINGS_SHEET}" sheetId="{sheet_id}" r:id="{rid}"/>' + wb[m.start():]
    if f'PartName="/{part}"' not in ct:
        ct = ct.replace("</Types>", f'<Override PartName="/{part}" ContentType="{WS_CT}"/></Types>', 1)
    parts["xl/workbook.xml"] = wb.encode("utf-8")
    parts["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
    parts["[Content_Types].xml"] = ct.encode("utf-8")
    return part


# ---------------------------------------------------------------- annotate

def annotate(src, out, findings=None, schema=None, stamp: str | None = None, waivers=None) -> Annotated:
    """Write a copy of `src` at `out` with every finding's cell coloured and a 校验结果 sheet.

    `findings` default: toolkit.rules.validate of the file (with `waivers`, toolkit.waivers).
    A cell whose findings are all waived gets a light grey (findings.MARK_RGB["waived"]) and its
    rows on 校验结果 read 已豁免（错误） with the reason and who waived it. Raises WorkbookError
    (Chinese message) for a file that cannot be read, ValueError when `out` is the source itself."""
    from .io.reader import read_workbook
    from .rules import validate

    src, out = Path(src), Path(out)
    if out.exists() and out.resolve() == src.resolve():
        raise ValueError("标注版工作簿不能覆盖原文件，请用另一个文件名。")
    d = read_workbook(src, schema=schema)
    if findings is None:
        findings = validate(d, waivers=waivers)
    previous = previous_marks(src)
    paint = mark_plan(d, findings, previous)
    marks = cell_marks(findings)
    stamp = stamp or _dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zf:
        sheets = sheet_parts(zf)
        styles = _Styles(read_part(zf, "xl/styles.xml").decode("utf-8"))
        parts: dict = {}
        for sheet, cells in paint.items():
            part = sheets.get(sheet)
            if part is None or sheet == FINDINGS_SHEET:
                continue
            xml = read_part(zf, part).decode("utf-8")
            old = cell_styles(xml, cells)
            new = {ref: styles.with_fill(old[ref], rgb) for ref, rgb in cells.items()}
            parts[part] = restyle_sheet_xml(xml, new).encode("utf-8")
        part = sheets.get(FINDINGS_SHEET) or _add_sheet(zf, parts)
        parts[part] = findings_sheet_xml(findings, summary_line(findings, stamp), styles.bold()).encode("utf-8")
        parts["xl/styles.xml"] = styles.render().encode("utf-8")
        write_parts(zf, out, parts)
    return Annotated(out, findings, len(marks), len(previous))


__all__ = ["annotate", "Annotated", "cell_marks", "findings_rows", "summary_line", "MARK", "FINDINGS_SHEET", "HEADER"]
