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

from defusedxml import ElementTree as SafeET

from ..findings import cell_order
from .atomic import atomic_output
from .safety import sheet_targets

MAX_PART = 200 * 1024 * 1024  # refuse to inflate a single part beyond this (zip bombs)


class WriteError(Exception):
    pass


def _escape(text: str) -> str:
    """&, < and > as XML entities (what xml.sax.saxutils.escape does; that module imports
    urllib.request, ssl and socket, ≈10 ms on every fill and validate)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


def _cell_xml(ref: str, style: str | None, value, p: str = "") -> str:
    """A `<c>` element for `value` (`p`: the namespace prefix the sheet uses, e.g. "x:")."""
    s = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return f'<{p}c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, (int, Decimal)):
        v = format(value, "f") if isinstance(value, Decimal) else value
        return f'<{p}c r="{ref}"{s}><{p}v>{v}</{p}v></{p}c>'
    if isinstance(value, float):
        return f'<{p}c r="{ref}"{s}><{p}v>{repr(value)}</{p}v></{p}c>'
    text = _escape(str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>{text}</{p}t></{p}is></{p}c>'


# One pass over <sheetData>: rows, and inside a row that has edits, its cells. Elements may carry a
# namespace prefix (<x:row>, <x:c>: valid OOXML some producers write); `r` attributes are optional
# (a row or cell without one follows its predecessor).
_NAME = r"(?P<p>(?:[A-Za-z_][\w.-]*:)?)"
_SHEETDATA = re.compile(r"<" + _NAME + r"sheetData(?=[\s/>])[^>]*?(?P<empty>/)?>")
_ROW = re.compile(r"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)row(?=[\s/>])(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</(?P=p)row>)",
                  re.S)
_CELL = re.compile(r"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)c(?=[\s/>])(?P<attrs>[^>]*?)(?:/>|>.*?</(?P=p)c>)", re.S)
_R_ROW = re.compile(r'\sr="(\d+)"')
_R_CELL = re.compile(r'\sr="([A-Z]{1,3})(\d+)"')
_STYLE = re.compile(r'\ss="(\d+)"')


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _style_of(cell_xml: str | None) -> str | None:
    if not cell_xml:
        return None
    sm = _STYLE.search(cell_xml[: cell_xml.index(">") + 1])
    return sm.group(1) if sm else None


def _scan(xml: str):
    """(sheetData match, prefix, body start, body end) of a worksheet XML string."""
    sd = _SHEETDATA.search(xml)
    if sd is None:
        raise WriteError("工作表的 XML 中没有 sheetData 元素")
    if sd.group("empty"):
        return sd, sd.group("p"), sd.end(), sd.end()
    close = xml.find(f"</{sd.group('p')}sheetData>", sd.end())
    if close < 0:
        raise WriteError("工作表的 XML 中 sheetData 元素没有结束")
    return sd, sd.group("p"), sd.end(), close


def _rows(xml: str, start: int, end: int):
    """(row number, match) of every row in sheetData, in document order."""
    prev = 0
    for m in _ROW.finditer(xml, start, end):
        rm = _R_ROW.search(m.group("attrs") or "")
        prev = int(rm.group(1)) if rm else prev + 1
        yield prev, m


def _cells(body: str, row: int):
    """(column number, match) of every cell of a row's body."""
    prev = 0
    for m in _CELL.finditer(body):
        cm = _R_CELL.search(m.group("attrs") or "")
        prev = _col_number(cm.group(1)) if cm and int(cm.group(2)) == row else prev + 1
        yield prev, m


def _edit_row(m, p: str, row: int, edits: dict) -> str:
    """A row element with its cells {column: fn(old cell xml or None, prefix) -> new xml} edited."""
    body = m.group("body")
    head = f"<{m.group('p')}row{m.group('attrs')}>"
    if body is None:
        body = ""
    pending = sorted(edits)
    out, pos, i = [], 0, 0
    for col, cm in _cells(body, row):
        while i < len(pending) and pending[i] < col:
            out.append(body[pos:cm.start()])
            pos = cm.start()
            out.append(edits[pending[i]](None, p))
            i += 1
        if i < len(pending) and pending[i] == col:
            out.append(body[pos:cm.start()])
            out.append(edits[col](cm.group(0), p))
            pos = cm.end()
            i += 1
    out.append(body[pos:])
    out.extend(edits[c](None, p) for c in pending[i:])
    return head + "".join(out) + f"</{m.group('p')}row>"


def edit_cells(xml: str, edits: dict) -> str:
    """Apply {A1: fn(old cell xml or None, prefix) -> new cell xml} to a worksheet XML string in one
    pass (linear in the size of the sheet plus the edits, whatever their number); missing rows and
    cells are inserted in order."""
    by_row: dict = {}
    for ref, fn in edits.items():
        row, col = cell_order(ref)
        if not row or not col:
            raise WriteError(f"不是单元格地址：{ref}")
        by_row.setdefault(row, {})[col] = fn
    sd, p, start, end = _scan(xml)
    pending = sorted(by_row)
    out = [xml[:sd.start()], f"<{p}sheetData>" if sd.group("empty") else xml[sd.start():start]]
    pos, i = start, 0
    for row, m in _rows(xml, start, end):
        while i < len(pending) and pending[i] < row:
            out.append(xml[pos:m.start()])
            pos = m.start()
            out.append(_new_row(p, pending[i], by_row[pending[i]]))
            i += 1
        if i < len(pending) and pending[i] == row:
            out.append(xml[pos:m.start()])
            out.append(_edit_row(m, p, row, by_row[row]))
            pos = m.end()
            i += 1
    out.append(xml[pos:end])
    out.extend(_new_row(p, r, by_row[r]) for r in pending[i:])
    out.append(f"</{p}sheetData>" + xml[end:] if sd.group("empty") else xml[end:])
    return "".join(out)


def _new_row(p: str, row: int, edits: dict) -> str:
    return f'<{p}row r="{row}">' + "".join(edits[c](None, p) for c in sorted(edits)) + f"</{p}row>"


def patch_sheet_xml(xml: str, changes: dict) -> str:
    """Replace (or insert) the given cells {A1: value} in a worksheet XML string (style kept)."""
    def put(ref, value):
        return lambda old, p: _cell_xml(ref, _style_of(old), value, p)

    return edit_cells(xml, {ref: put(ref, v) for ref, v in changes.items()})


def cell_styles(xml: str, refs) -> dict:
    """{A1: style index or None} of the given cells, in one pass over the sheet."""
    want: dict = {}
    for ref in refs:
        want.setdefault(cell_order(ref)[0], {})[cell_order(ref)[1]] = ref
    out = {ref: None for ref in refs}
    if not want:
        return out
    _, _, start, end = _scan(xml)
    for row, m in _rows(xml, start, end):
        cols = want.get(row)
        if cols and m.group("body"):
            for col, cm in _cells(m.group("body"), row):
                if col in cols:
                    out[cols[col]] = _style_of(cm.group(0))
    return out


def cell_style(xml: str, ref: str) -> str | None:
    """The style index (`s`) of cell `ref` in a worksheet XML string, or None (no cell or no style)."""
    return cell_styles(xml, [ref])[ref]


def _restyled(ref: str, style: str, old: str | None, p: str) -> str:
    if not old:
        return f'<{p}c r="{ref}" s="{style}"/>'
    end = old.index(">")
    head = old[: end + 1]
    if _STYLE.search(head):
        head = _STYLE.sub(f' s="{style}"', head, count=1)
    else:
        head = re.sub(r"^<([\w.:-]*?c)(?=[\s/>])", lambda m: f'<{m.group(1)} s="{style}"', head, count=1)
    if not _R_CELL.search(head):  # a cell without r gets its address (it may now precede inserted cells)
        head = re.sub(r"^<([\w.:-]*?c)(?=[\s/>])", lambda m: f'<{m.group(1)} r="{ref}"', head, count=1)
    return head + old[end + 1:]


def restyle_sheet_xml(xml: str, styles: dict) -> str:
    """Give the cells {A1: style index} that style, keeping their value (a missing cell is added empty)."""
    return edit_cells(xml, {ref: (lambda old, p, ref=ref, st=st: _restyled(ref, st, old, p))
                            for ref, st in styles.items()})


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
