"""Hardening of the file read: refuse what is not a sound xlsx before python-calamine sees it.

A finance bureau opens a few hundred workbooks it did not make. Some are encrypted, some are
old .xls files, some were cut short by an upload, a few may be hostile. `check_file(path)` looks
at the file once, cheaply, and either returns what it learned (the sheet parts, and the cells
whose formula has no saved result) or raises `UnsafeFile` with a Chinese message for the clerk:

* OLE compound files (D0 CF 11 E0): an *encrypted* OOXML workbook (it has an EncryptionInfo
  stream) and an old binary .xls (a Workbook/Book stream) get distinct messages;
* a zip whose central directory is missing or broken (truncated upload, not a zip at all);
* a zip bomb: member and total sizes are capped from the central directory *before* anything
  is inflated, and a member that inflates beyond what its header declares fails its CRC check
  (zipfile never hands out more than the declared size), so a lying header is caught too;
* an XML entity bomb ("billion laughs") or any DTD: OOXML never contains a DOCTYPE, so one in
  any part is refused; workbook.xml, its relationships and the `_meta` sheet are parsed with
  defusedxml (entities and DTDs forbidden);
* cells whose formula was saved without its result (a workbook written by a program and never
  opened in Excel) and cells holding an error value (#DIV/0!, #REF!): calamine reads both as
  blank, so they are collected here and `formula_findings()` turns those in value cells into
  findings with sheet and cell instead of a silent blank.

Everything is measured on the central directory and one streaming pass over the XML parts
(~2 ms for the 15-sheet template), so it costs little next to reading and checking.
"""
from __future__ import annotations

import os
import posixpath
import stat
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024
MAX_MEMBER_BYTES = 100 * MiB  # any one part, inflated
MAX_TOTAL_BYTES = 250 * MiB  # all parts together, inflated
MAX_RATIO = 100  # inflated / compressed, checked on parts larger than RATIO_FLOOR
RATIO_FLOOR = 5 * MiB
MAX_MEMBERS = 10_000
# python-calamine allocates a sheet's whole rectangle from A1 to its last used cell (≈40 bytes a
# cell) before handing anything back: one value at XFD1048576 asks for 512 GiB and aborts the
# process, one at AZ1048576 costs 2.2 GB. Sheets whose used rectangle exceeds this many cells are
# refused from their XML first (a 13-table template at 5,000 rows a block has ≈100,000).
MAX_SHEET_CELLS = 2_000_000
CHUNK = 1 << 16

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # (followed by A1 B1 1A E1): encrypted OOXML and .xls alike
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

_DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")
_OVERLAP = max(len(m) for m in _DTD_MARKS)
# every sheet with a formula has "f>" somewhere: "<f>…</f>", "</x:f>", or the master cell of a
# shared formula (its dependents, "<f t="shared" si="0"/>", always come with one)
_F_MARK = b"f>"
_ERR_MARK = b't="e"'
# a <c> element: attributes, then either "/>" or its content up to </c>
_CELL = re.compile(rb"<(?:\w+:)?c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR_R = re.compile(rb"\br=\"([A-Z]{1,3}[0-9]{1,7})\"")
_ATTR_T = re.compile(rb"\bt=\"(\w+)\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_REF = re.compile(rb"\br=\"([A-Z]{1,3})([0-9]{1,8})\"")
_HAS_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>[^<]|<(?:\w+:)?is[\s>]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?v>)", re.S)


class UnsafeFile(Exception):
    """The file is refused before it is parsed. `.message` is Chinese, for the clerk."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CellProblem:
    kind: str  # "formula": a formula saved without its result; "error": an error value (#REF!…)
    text: str  # the formula (without "=") or the error value


@dataclass
class PackageInfo:
    """What the check learned: sheet name -> part, and the cells calamine would read as blank."""

    sheets: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)  # sheet name -> {A1: CellProblem}
    inflated: int = 0


# ---------------------------------------------------------------- file type

def sniff(path) -> str:
    """'zip', 'ole', 'empty' or 'other', from the first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "zip"
    return "other"


def ole_kind(path) -> str:
    """'encrypted' (an encrypted OOXML package), 'xls' (binary Excel 97-2003) or 'other'."""
    try:
        import olefile
    except ImportError:  # pragma: no cover - olefile comes with oletools; fall back to a byte check
        olefile = None
    if olefile is not None:
        try:
            with olefile.OleFileIO(str(path)) as ole:
                if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                    return "encrypted"
                if ole.exists("Workbook") or ole.exists("Book"):
                    return "xls"
                return "other"
        except Exception:
            pass  # a damaged compound file: look at the directory names directly
    data = Path(path).read_bytes()
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return "encrypted"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    return "other"


def _looks_like_text_table(path) -> str | None:
    """An “.xls” exported by some systems is really HTML or SpreadsheetML 2003 XML."""
    with open(path, "rb") as fh:
        head = fh.read(2048).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in head[:512]:
        return "网页（HTML）"
    if head.startswith(b"<?xml") and (b"urn:schemas-microsoft-com:office:spreadsheet" in head or b"<workbook" in head):
        return "XML 表格（Excel 2003 XML）"
    return None


# ---------------------------------------------------------------- the check

def check_file(path, *, max_member: int = MAX_MEMBER_BYTES, max_total: int = MAX_TOTAL_BYTES) -> PackageInfo:
    """Refuse (UnsafeFile) what is not a sound, harmless xlsx/xlsm; else describe its parts."""
    path = Path(path)
    name = path.name
    try:
        mode = os.stat(path).st_mode
    except OSError:
        raise UnsafeFile(f"无法打开「{name}」：文件不存在、无权读取，或是失效、循环的快捷方式。") from None
    if not stat.S_ISREG(mode):  # a FIFO would block the reader forever, a device never ends
        raise UnsafeFile(f"「{name}」不是普通文件（可能是管道、设备或文件夹），不能作为工作簿读取。")
    kind = sniff(path)
    if kind == "empty":
        raise UnsafeFile(f"「{name}」是空文件（0 字节），可能上传或复制没有完成。请重新提交。")
    if kind == "ole":
        sub = ole_kind(path)
        if sub == "encrypted":
            raise UnsafeFile(f"「{name}」文件已加密，请去除密码后再提交（在 Excel 中：文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码后保存）。")
        if sub == "xls" or path.suffix.lower() == ".xls":
            raise UnsafeFile(f"「{name}」是旧版 .xls 格式（Excel 97-2003），请在 Excel 中另存为 .xlsx 后再提交。")
        raise UnsafeFile(f"「{name}」是 Office 复合文档，但不是 Excel 工作簿（可能是 Word 文档或已损坏）。")
    if kind == "other":
        text = _looks_like_text_table(path)
        if text:
            raise UnsafeFile(f"「{name}」实际上是{text}，不是 .xlsx 工作簿。请在 Excel 中打开后另存为 .xlsx 再提交。")
        raise UnsafeFile(f"「{name}」不是有效的 .xlsx 文件（不是 Excel 工作簿，或已损坏）。请用模板填写后另存为 .xlsx 再提交。")

    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise UnsafeFile(f"「{name}」文件不完整或已损坏（压缩包目录缺失，常见于上传或复制中断）。请重新保存后再提交。") from None
    except OSError as exc:  # pragma: no cover - permissions and the like
        raise UnsafeFile(f"无法读取文件「{name}」：{exc.strerror or exc}。") from None
    with zf:
        return _check_zip(zf, name, max_member, max_total)


def _check_zip(zf: zipfile.ZipFile, name: str, max_member: int, max_total: int) -> PackageInfo:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeFile(f"「{name}」包含 {len(infos)} 个内部文件，远超正常工作簿，已拒绝处理（疑似恶意文件）。")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise UnsafeFile(f"「{name}」的压缩包中有重名的内部文件，结构异常，已拒绝处理。请在 Excel 中重新保存。")
    # sizes from the central directory, before anything is inflated
    total = 0
    for i in infos:
        total += i.file_size
        if i.file_size > max_member or total > max_total or (
                i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1)):
            raise UnsafeFile(
                f"「{name}」解压后体积异常（{i.filename} 为 {i.file_size / MiB:.0f} MB，压缩前 {i.compress_size / 1024:.0f} KB），"
                "疑似“压缩炸弹”，已拒绝处理。正常的预算公开工作簿解压后不超过几 MB；请在 Excel 中重新保存后提交。")
    if "xl/workbook.bin" in names:
        raise UnsafeFile(f"「{name}」是二进制工作簿（.xlsb），请在 Excel 中另存为 .xlsx 后再提交。")
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise UnsafeFile(f"「{name}」是 Word 文档，不是 Excel 工作簿。")
        if "content.xml" in names:
            raise UnsafeFile(f"「{name}」是 OpenDocument 表格（.ods），请另存为 .xlsx 后再提交。")
        raise UnsafeFile(f"「{name}」不是 Excel 工作簿（压缩包中没有 xl/workbook.xml）。")

    info = PackageInfo()
    info.sheets = _sheet_parts(zf, name)
    by_part = {part: sheet for sheet, part in info.sheets.items()}
    meta_part = info.sheets.get("_meta")
    checked = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"}  # inflated and parsed by _sheet_parts already
    for i in infos:
        if i.is_dir() or i.filename in checked:
            continue
        if not i.filename.endswith((".xml", ".rels", ".vml")):
            continue  # vbaProject.bin, images, printer settings: calamine does not read them
        data = _inflate(zf, i, name)
        info.inflated += len(data)
        if i.filename == meta_part:
            _parse_safe(data, name, i.filename)
        sheet = by_part.get(i.filename)
        if sheet is not None:
            _check_extent(data, name, sheet)
            problems = cell_problems(data)
            if problems:
                info.problems[sheet] = problems
    return info


def _inflate(zf: zipfile.ZipFile, i: zipfile.ZipInfo, name: str) -> bytes:
    """One part, inflated in chunks: never more than its declared size, CRC checked, no DTD."""
    parts = []
    tail = b""
    try:
        with zf.open(i) as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                window = tail + chunk
                if b"<!" in window and any(m in window for m in _DTD_MARKS):
                    raise UnsafeFile(
                        f"「{name}」的 {i.filename} 含有 XML 实体/文档类型声明（DTD），正常的 Excel 文件不会有，"
                        "疑似“XML 实体炸弹”，已拒绝处理。请在 Excel 中重新保存后提交。")
                tail = chunk[-_OVERLAP:]
                parts.append(chunk)
    except UnsafeFile:
        raise
    except zipfile.BadZipFile as exc:
        raise UnsafeFile(f"「{name}」已损坏（{i.filename}：{_zip_reason(exc)}）。请在 Excel 中重新保存后提交。") from None
    except Exception as exc:  # zlib.error, EOFError, an unsupported compression method…
        raise UnsafeFile(f"「{name}」已损坏或不完整（{i.filename}：{type(exc).__name__}）。请重新保存后再提交。") from None
    return b"".join(parts)


def _zip_reason(exc: Exception) -> str:
    text = str(exc)
    if "CRC" in text:
        return "校验和不符，内容被截断或篡改"
    if "magic" in text.lower():
        return "内部文件头缺失，文件可能被截断"
    return text


def _parse_safe(data: bytes, name: str, part: str):
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UnsafeFile(f"「{name}」的 {part} 含有 XML 实体/文档类型声明，疑似“XML 实体炸弹”，已拒绝处理。") from None
    except Exception as exc:
        raise UnsafeFile(f"「{name}」的 {part} 不是有效的 XML（{type(exc).__name__}），文件可能已损坏。请在 Excel 中重新保存后提交。") from None


def _sheet_parts(zf: zipfile.ZipFile, name: str) -> dict:
    """Sheet name -> worksheet part, from workbook.xml and its relationships (parsed safely)."""
    wb = _parse_safe(_inflate(zf, zf.getinfo("xl/workbook.xml"), name), name, "xl/workbook.xml")
    try:
        rels_info = zf.getinfo("xl/_rels/workbook.xml.rels")
    except KeyError:
        raise UnsafeFile(f"「{name}」缺少 xl/_rels/workbook.xml.rels，文件已损坏。请在 Excel 中重新保存后提交。") from None
    rels = _parse_safe(_inflate(zf, rels_info, name), name, "xl/_rels/workbook.xml.rels")
    return sheet_targets(wb, rels)


def sheet_targets(wb, rels) -> dict:
    """Sheet name -> worksheet part, from parsed workbook.xml and workbook.xml.rels roots."""
    targets = {r.get("Id"): r.get("Target") or "" for r in rels.iter(f"{{{NS_PKG_REL}}}Relationship")}
    out = {}
    for s in wb.iter(f"{{{NS_MAIN}}}sheet"):
        target = targets.get(s.get(f"{{{NS_REL}}}id"))
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out[s.get("name")] = part
    return out


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _col_letters(n: int) -> str:
    """1 → A, 28 → AB."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """(last row, last column) of the cells of a worksheet part that hold a value (what calamine
    sizes its rectangle by: styled empty cells, row elements and <dimension> do not count)."""
    rows = cols = 0
    for m in _CELL.finditer(xml):
        body = m.group(2)
        if not body or not _HAS_VALUE.search(body):
            continue
        r = _REF.search(m.group(1))
        if r is None:
            continue
        row = int(r.group(2))
        if row > rows:
            rows = row
        col = _col_number(r.group(1))
        if col > cols:
            cols = col
    return rows, cols


_FAR_ROW = re.compile(rb'r="[A-Z]{0,3}[0-9]{5}')  # a reference at row 10,000 or below
_WIDE_COL = re.compile(rb'r="[A-Z]{2,3}[0-9]')  # a reference at column AA or right of it


def _check_extent(data: bytes, name: str, sheet: str, limit: int | None = None) -> None:
    limit = limit or MAX_SHEET_CELLS
    if limit >= 26 * 9999 and not _FAR_ROW.search(data) and not _WIDE_COL.search(data):
        return  # every reference within Z9999: decided by two substring searches (~0.1 ms a sheet)
    rows, cols = sheet_extent(data)
    if rows * max(cols, 1) > limit:
        far = f"{_col_letters(max(cols, 1))}{rows}"
        raise UnsafeFile(
            f"「{name}」的工作表「{sheet}」用到了很远的单元格（最远到第 {rows} 行、第 {cols} 列，即 {far} 附近），"
            f"读取需要 {rows * max(cols, 1):,} 个单元格的空间，远超正常工作簿，已拒绝处理。"
            "请在 Excel 中删除表格下方和右侧多余的行列（选中后“删除”，不是“清除内容”），保存后再提交。")


# ---------------------------------------------------------------- cells calamine reads as blank

def cell_problems(xml: bytes) -> dict:
    """{A1: CellProblem} for cells of a worksheet part whose formula has no saved result, or that
    hold an error value. Plain-bytes scanning; the full pass runs only when a formula or an
    error cell is present at all."""
    if _F_MARK not in xml and _ERR_MARK not in xml:
        return {}  # the usual case, decided by a few substring searches
    out = {}
    for m in _CELL.finditer(xml):
        attrs, body = m.group(1), m.group(2) or b""
        r = _ATTR_R.search(attrs)
        if r is None:
            continue
        t = _ATTR_T.search(attrs)
        vtype = t.group(1) if t else b"n"
        v = _VALUE.search(body)
        value = (v.group(1) or b"") if v else b""
        if vtype == b"e" and value:
            out[r.group(1).decode()] = CellProblem("error", _text(value))
            continue
        f = _FORMULA.search(body) if b"f" in body else None
        if f is not None and not value and vtype != b"inlineStr":
            out[r.group(1).decode()] = CellProblem("formula", _text(f.group(1) or b""))
    return out


def _text(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})


def formula_findings(d, info: PackageInfo) -> list:
    """Findings for the value cells of a read Disclosure that calamine saw as blank because the
    cell holds a formula without a saved result, or an error value (rule F114, error)."""
    from ..findings import ERROR, Finding

    if not info.problems:
        return []
    wanted = {(sheet, cell) for sheet, cells in info.problems.items() for cell in cells}
    out = []
    for data in d.entries.values():
        for e in data.values():
            if (e.sheet, e.cell) not in wanted or e.raw not in (None, ""):
                continue
            p = info.problems[e.sheet][e.cell]
            if p.kind == "formula":
                shown = f"「={p.text}」" if p.text else "（共享公式）"
                msg = (f"「{e.sheet}」{e.cell} 是公式{shown}，但文件中没有保存计算结果，读取为空。"
                       "可能是由程序生成后未在 Excel 中打开保存；请在 Excel 中打开并保存，或直接填写数值。")
                actual = f"={p.text}" if p.text else "公式"
            else:
                msg = f"「{e.sheet}」{e.cell} 的公式结果是错误值「{p.text}」，读取为空。请改正公式或直接填写数值。"
                actual = p.text
            out.append(Finding(FORMULA_RULE, ERROR, e.sheet, e.cell, msg, "数值", actual))
    return out


FORMULA_RULE = "F114"

__all__ = ["UnsafeFile", "PackageInfo", "CellProblem", "check_file", "sniff", "ole_kind", "cell_problems",
           "formula_findings", "FORMULA_RULE", "MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES"]
