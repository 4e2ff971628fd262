"""Write changed cells into an xlsx/xlsm by patching only the worksheet XML parts that change.

Nothing is round-tripped through a library that drops what it does not understand: every zip
member other than the patched worksheets is copied as it was (VBA project, buttons, drawings,
charts, comments, data validation, defined names, printer settings…), and inside a patched
worksheet only the `<c>` elements of the changed cells are replaced (their style index kept).
Values are written as numbers or inline strings, so sharedStrings.xml is never touched.
The new file is written next to the target and moved into place atomically.
"""
from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

from ..findings import cell_order
from .atomic import atomic_output
from .safety import sheet_targets

MAX_PART = 200 * 1024 * 1024  # refuse to inflate a single part beyond this (zip bombs)


class WriteError(Exception):
    pass


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip member path of its worksheet XML."""
    wb = SafeET.fromstring(_read(zf, "xl/workbook.xml"))
    rels = SafeET.fromstring(_read(zf, "xl/_rels/workbook.xml.rels"))
    return sheet_targets(wb, rels)


def _read(zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > MAX_PART:
        raise WriteError(f"{name} is larger than {MAX_PART} bytes when inflated")
    return zf.read(name)


def _cell_xml(ref: str, style: str | None, value) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, Decimal)):
        return f'<c r="{ref}"{s}><v>{format(value, "f") if isinstance(value, Decimal) else value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{s}><v>{repr(value)}</v></c>'
    text = escape(str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


_CELL_TMPL = r'<c r="{ref}"(?=[\s/>])[^>]*?(?:/>|>.*?</c>)'
_STYLE = re.compile(r'\ss="(\d+)"')
_ROW_TMPL = r'<row r="{row}"(?=[\s>/])[^>]*?(?:/>|>.*?</row>)'
_ROW_START = re.compile(r'<row r="(\d+)"')


def patch_sheet_xml(xml: str, changes: dict) -> str:
    """Replace (or insert) the given cells {A1: value} in a worksheet XML string."""
    for ref, value in sorted(changes.items(), key=lambda kv: cell_order(kv[0])):
        m = re.search(_CELL_TMPL.format(ref=ref), xml, flags=re.S)
        if m:
            head = xml[m.start(): xml.index(">", m.start()) + 1]
            sm = _STYLE.search(head)
            xml = xml[: m.start()] + _cell_xml(ref, sm.group(1) if sm else None, value) + xml[m.end():]
            continue
        xml = _insert_cell(xml, ref, _cell_xml(ref, None, value))
    return xml


def _insert_cell(xml: str, ref: str, cell: str) -> str:
    row, col = cell_order(ref)
    rm = re.search(_ROW_TMPL.format(row=row), xml, flags=re.S)
    if rm:
        row_xml = rm.group(0)
        if row_xml.endswith("/>"):
            new_row = row_xml[:-2] + ">" + cell + "</row>"
        else:
            pos = len(row_xml) - len("</row>")
            for cm in re.finditer(r'<c r="([A-Z]+\d+)"', row_xml):
                if cell_order(cm.group(1))[1] > col:
                    pos = cm.start()
                    break
            new_row = row_xml[:pos] + cell + row_xml[pos:]
        return xml[: rm.start()] + new_row + xml[rm.end():]
    new_row = f'<row r="{row}">{cell}</row>'
    for m in _ROW_START.finditer(xml):
        if int(m.group(1)) > row:
            return xml[: m.start()] + new_row + xml[m.start():]
    if "<sheetData/>" in xml:
        return xml.replace("<sheetData/>", f"<sheetData>{new_row}</sheetData>", 1)
    end = xml.index("</sheetData>")
    return xml[:end] + new_row + xml[end:]


def cell_style(xml: str, ref: str) -> str | None:
    """The style index (`s`) of cell `ref` in a worksheet XML string, or None (no cell or no style)."""
    m = re.search(_CELL_TMPL.format(ref=ref), xml, flags=re.S)
    if not m:
        return None
    sm = _STYLE.search(xml[m.start(): xml.index(">", m.start()) + 1])
    return sm.group(1) if sm else None


def restyle_sheet_xml(xml: str, styles: dict) -> str:
    """Give the cells {A1: style index} that style, keeping their value (a missing cell is added empty)."""
    for ref, style in sorted(styles.items(), key=lambda kv: cell_order(kv[0])):
        m = re.search(_CELL_TMPL.format(ref=ref), xml, flags=re.S)
        if not m:
            xml = _insert_cell(xml, ref, f'<c r="{ref}" s="{style}"/>')
            continue
        end = xml.index(">", m.start())
        head = xml[m.start(): end + 1]
        if _STYLE.search(head):
            head = _STYLE.sub(f' s="{style}"', head, count=1)
        else:
            head = head.replace(f'<c r="{ref}"', f'<c r="{ref}" s="{style}"', 1)
        xml = xml[: m.start()] + head + xml[end + 1:]
    return xml


def write_parts(zf: zipfile.ZipFile, dst: Path, parts: dict, backup: bool = False) -> Path:
    """Copy every member of `zf` to `dst`, replacing the members named in `parts` {name: bytes}
    and appending the new ones; atomically (a failure leaves `dst` as it was)."""
    with atomic_output(dst, backup=backup) as fh, zipfile.ZipFile(fh, "w") as out:
        for info in zf.infolist():
            data = parts.get(info.filename)
            if data is None:
                data = _read(zf, info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = info.compress_type
            zi.external_attr = info.external_attr
            zi.create_system = info.create_system
            out.writestr(zi, data)
        names = set(zf.namelist())
        for name, data in parts.items():
            if name not in names:
                zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(zi, data)
    return dst


def read_part(zf: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes (size-capped against zip bombs)."""
    return _read(zf, name)


def write_cells(src, changes: dict, dst=None, backup: bool = False) -> Path:
    """Write {sheet name: {A1: value}} into a copy of `src` at `dst` (default: in place).

    Only the worksheet parts that change are rewritten; every other member keeps its bytes.
    The result is written to a temporary file in the destination folder and renamed over the
    destination, so a failure at any point leaves the destination as it was.
    """
    src, dst = Path(src), Path(dst or src)
    with zipfile.ZipFile(src) as zf:
        parts = sheet_parts(zf)
        missing = [s for s in changes if s not in parts]
        if missing:
            raise WriteError(f"工作簿中没有工作表：{'、'.join(missing)}")
        patched = {}
        for sheet, cells in changes.items():
            if not cells:
                continue
            part = parts[sheet]
            xml = _read(zf, part).decode("utf-8")
            patched[part] = patch_sheet_xml(xml, cells).encode("utf-8")
        return write_parts(zf, dst, patched, backup=backup)
