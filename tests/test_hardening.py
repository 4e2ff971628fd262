"""Hardening of the read (toolkit.io.safety, called by the reader before python-calamine).

Each broken file a bureau really receives gets a clear Chinese message naming the file, and
none of them hangs, blows memory or stops anything else.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_batch_support import SEED, corrupt_cases, generate_module

import toolkit
from toolkit.io import safety
from toolkit.io.reader import WorkbookError
from toolkit.rules import validate

from conftest import EXAMPLE, ROOT, need_tool, run


def refused(path, named: bool = True) -> str:
    with pytest.raises(WorkbookError) as info:
        toolkit.load(path)
    msg = info.value.message
    if named:  # the file-level messages name the file (structure messages name the sheet and cell)
        assert Path(path).name in msg, msg
    return msg


@pytest.fixture(scope="module")
def cases():
    return corrupt_cases()


def test_not_a_zip(cases):
    assert "不是有效的 .xlsx" in refused(cases["not_a_zip"])


def test_truncated_zip(cases):
    msg = refused(cases["truncated"])
    assert "不完整或已损坏" in msg and "中断" in msg


def test_truncated_member_data_is_caught_by_crc(tmp_path):
    """Central directory intact but a part's bytes damaged: the CRC check refuses it."""
    data = bytearray(SEED.read_bytes())
    with zipfile.ZipFile(SEED) as zf:
        info = zf.getinfo("xl/worksheets/sheet4.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 50, start + 50 + 200):
        data[k] ^= 0x5A
    p = tmp_path / "damaged.xlsx"
    p.write_bytes(bytes(data))
    assert "已损坏" in refused(p)


def test_empty_file(cases):
    assert "空文件" in refused(cases["empty"])


def test_html_disguised_as_xls(cases):
    assert "网页（HTML）" in refused(cases["html_xls"])


def test_old_xls(cases):
    if "old_xls" not in cases:
        need_tool("soffice")
    assert cases["old_xls"].read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    assert "旧版 .xls" in refused(cases["old_xls"])


def test_old_xls_content_under_xlsx_name_is_still_recognised(cases, tmp_path):
    if "old_xls" not in cases:
        need_tool("soffice")
    p = tmp_path / "改了扩展名.xlsx"
    shutil.copy(cases["old_xls"], p)
    assert "旧版 .xls" in refused(p)


def test_encrypted_workbook(cases):
    if "encrypted" not in cases:
        pytest.skip("msoffcrypto-tool not installed")
    msg = refused(cases["encrypted"])
    assert "文件已加密，请去除密码后再提交" in msg
    assert "旧版" not in msg


def test_ole_told_apart_without_olefile(cases, monkeypatch):
    """The byte check (no olefile) tells encrypted OOXML from .xls the same way."""
    import builtins

    real = builtins.__import__

    def no_olefile(name, *a, **kw):
        if name == "olefile":
            raise ImportError(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_olefile)
    if "encrypted" in cases:
        assert safety.ole_kind(cases["encrypted"]) == "encrypted"
    if "old_xls" in cases:
        assert safety.ole_kind(cases["old_xls"]) == "xls"


def test_renamed_sheet(cases):
    msg = refused(cases["renamed_sheet"], named=False)
    assert "缺少工作表 「表3 支出总表」" in msg and "支出总表" in msg


def test_deleted_sheet(cases):
    assert "「表10 三公经费表」" in refused(cases["deleted_sheet"], named=False)


def test_inserted_rows(cases):
    msg = refused(cases["inserted_rows"], named=False)
    assert "「表5 一般公共预算支出表」的结构与模板不符" in msg and "插入或删除了行" in msg


def test_formula_without_cached_value_is_a_finding_at_its_cell(tmp_path):
    gen = generate_module()
    path, sheet, cell = gen.make_uncached_formula(SEED, tmp_path / "formula.xlsx")
    findings = validate(toolkit.load(path))
    hits = [f for f in findings if f.rule == safety.FORMULA_RULE]
    assert [(f.sheet, f.cell, f.severity) for f in hits] == [(sheet, cell, "error")]
    assert "=SUM(" in hits[0].message and "没有保存计算结果" in hits[0].message
    # the cell reads as blank, so arithmetic notices too — but the cause is named at the cell
    assert any(f.rule.startswith("A3") for f in findings)


def test_formula_with_cached_value_is_fine_and_error_value_is_a_finding(tmp_path):
    """A formula Excel saved with its result reads as the result; #DIV/0! is reported."""
    d = toolkit.load(SEED)
    row = next(r for r in d.rows("t3") if r.level == 3 and r.get("basic") is not None)
    e = row.entries["basic"]
    part = generate_module()._sheet_part(SEED, e.sheet)
    with zipfile.ZipFile(SEED) as zf:
        xml = zf.read(part).decode()
    import re

    m = re.search(rf'<c r="{e.cell}"([^>]*?)(?:/>|>.*?</c>)', xml, re.S)
    style = re.search(r'\ss="\d+"', m.group(1))
    s = style.group(0) if style else ""
    cached = xml[: m.start()] + f'<c r="{e.cell}"{s}><f>57.41*1</f><v>57.41</v></c>' + xml[m.end():]
    errored = xml[: m.start()] + f'<c r="{e.cell}"{s} t="e"><f>1/0</f><v>#DIV/0!</v></c>' + xml[m.end():]
    ok = generate_module()._rezip(SEED, tmp_path / "cached.xlsx", {part: cached.encode()})
    bad = generate_module()._rezip(SEED, tmp_path / "error.xlsx", {part: errored.encode()})
    d_ok = toolkit.load(ok)
    assert d_ok.entry("t3", row.key, "basic").value == e.value
    assert not [f for f in d_ok.findings if f.rule == safety.FORMULA_RULE]
    hits = [f for f in validate(toolkit.load(bad)) if f.rule == safety.FORMULA_RULE]
    assert [(f.sheet, f.cell) for f in hits] == [(e.sheet, e.cell)] and "#DIV/0!" in hits[0].message


def test_workbook_saved_by_libreoffice_gives_the_same_findings(cases):
    if "libreoffice" not in cases:
        need_tool("soffice")
    original = validate(toolkit.load(SEED))
    resaved = validate(toolkit.load(cases["libreoffice"]))

    def key(fs):
        return [(f.rule, f.severity, f.sheet, f.cell, f.message, str(f.expected), str(f.actual)) for f in fs]

    assert key(resaved) == key(original)


def test_zip_bomb_refused_from_the_central_directory_without_inflating(cases):
    bomb = cases["zip_bomb"]
    assert bomb.stat().st_size < 1_000_000
    tracemalloc.start()
    t = time.perf_counter()
    msg = refused(bomb)
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "压缩炸弹" in msg and "120 MB" in msg
    assert elapsed < 2 and peak < 20 * 1024 * 1024


def test_zip_bomb_with_a_lying_size_header_is_caught_while_inflating(tmp_path):
    """A member that claims 1 KB but inflates to 8 MB: zipfile stops at the claimed size and the
    CRC check fails, so nothing beyond the claim is ever produced."""
    src = tmp_path / "big.xlsx"
    generate_module().make_zip_bomb(SEED, src, size=8 * 1024 * 1024)
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("xl/worksheets/sheet4.xml")
    # patch the uncompressed size of that member in its central directory entry to 1024
    import struct

    name = info.filename.encode()
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        assert pos >= 0
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46: pos + 46 + nlen]) == name:
            break
        pos += 4
    if struct.unpack_from("<I", data, pos + 24)[0] == 0xFFFFFFFF:  # zip64: the size is in the extra field
        extra = pos + 46 + nlen
        assert struct.unpack_from("<H", data, extra)[0] == 1
        struct.pack_into("<Q", data, extra + 4, 1024)
    else:
        struct.pack_into("<I", data, pos + 24, 1024)
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))
    with zipfile.ZipFile(liar) as zf:
        assert zf.getinfo("xl/worksheets/sheet4.xml").file_size == 1024
    assert "已损坏" in refused(liar)


def test_size_caps_are_enforced_on_declared_sizes(tmp_path):
    p = tmp_path / "many.xlsx"
    generate_module().make_zip_bomb(SEED, p, size=3 * 1024 * 1024)
    with pytest.raises(safety.UnsafeFile, match="压缩炸弹"):
        safety.check_file(p, max_member=2 * 1024 * 1024)
    with pytest.raises(safety.UnsafeFile, match="压缩炸弹"):
        safety.check_file(p, max_total=3 * 1024 * 1024)
    safety.check_file(p)  # under the default caps: fine


def test_xml_entity_bomb(cases):
    tracemalloc.start()
    t = time.perf_counter()
    msg = refused(cases["entity_bomb"])
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "XML 实体" in msg and "炸弹" in msg
    assert elapsed < 2 and peak < 20 * 1024 * 1024


def test_entity_bomb_in_workbook_xml_is_refused_by_defusedxml(tmp_path):
    gen = generate_module()
    with zipfile.ZipFile(SEED) as zf:
        xml = zf.read("xl/workbook.xml")
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    p = gen._rezip(SEED, tmp_path / "wb_bomb.xlsx", {"xl/workbook.xml": gen.LAUGHS + body})
    assert "实体" in refused(p)
    # and the defusedxml layer on its own (the byte check aside)
    with pytest.raises(safety.UnsafeFile, match="实体"):
        safety._parse_safe(gen.LAUGHS + b"<a>&lol9;</a>", "x.xlsx", "xl/workbook.xml")


def test_other_zip_documents_are_named(tmp_path):
    docx = tmp_path / "报告.xlsx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word 文档" in refused(docx)
    ods = tmp_path / "表格.xlsx"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    assert ".ods" in refused(ods)


def test_sound_workbook_passes_quickly():
    info = safety.check_file(SEED)
    assert "表3 支出总表" in info.sheets and info.problems == {}
    t = time.perf_counter()
    for _ in range(10):
        safety.check_file(SEED)
    assert (time.perf_counter() - t) / 10 < 0.05


def test_cell_problems_parser_edge_cases():
    xml = (b'<worksheet><sheetData><row r="1">'
           b'<c r="A1" s="1"/>'  # self-closed, then a formula cell: must not be merged
           b'<c r="B1"><f>SUM(A1:A2)</f><v></v></c>'
           b'<c r="C1"><f>1+1</f><v>2</v></c>'
           b'<c r="D1" t="str"><f>"a"</f><v>a</v></c>'
           b'<c r="E1"><f t="shared" si="0"/></c>'
           b'<x:c r="F1"><x:f>A1</x:f></x:c>'
           b'<c r="G1" t="e"><v>#REF!</v></c>'
           b'<c r="H1" t="inlineStr"><is><t>f&gt;</t></is></c>'
           b"</row></sheetData></worksheet>")
    got = {k: (v.kind, v.text) for k, v in safety.cell_problems(xml).items()}
    assert got == {"B1": ("formula", "SUM(A1:A2)"), "E1": ("formula", ""), "F1": ("formula", "A1"),
                   "G1": ("error", "#REF!")}
    assert safety.cell_problems(b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>') == {}


def test_openpyxl_fallback_still_refuses_bombs(cases, monkeypatch):
    """The safety checks run before the backend is chosen, so the pure-Python fallback is covered."""
    from toolkit.io import reader

    monkeypatch.setattr(reader, "_open", lambda path: reader._OpenpyxlBook(path))
    assert "炸弹" in refused(cases["entity_bomb"])
    d = toolkit.load(SEED)
    assert d.dept_name


def test_a_sound_workbook_written_by_openpyxl_still_reads(tmp_path):
    """openpyxl-saved (shared strings, no formulas): no false alarm from the checks."""
    p = tmp_path / "resaved.xlsx"
    openpyxl.load_workbook(SEED).save(p)
    d = toolkit.load(p)
    assert d.dept_name == toolkit.load(SEED).dept_name
    assert not [f for f in d.findings if f.rule == safety.FORMULA_RULE]


# ---------------------------------------------------------------- issue 17: rows, numbers, parts

def findings_of(path, rule):
    return [f for f in validate(toolkit.load(path)) if f.rule == rule]


def test_full_table_with_an_inserted_row_is_refused_naming_the_pushed_cells(cases):
    """60 rows of 表3 filled, one blank row inserted: the last row lands on the note row. Reading
    on would drop its amount (and fill would blank it): the workbook is refused, cells named."""
    msg = refused(cases["full_table_inserted_row"], named=False)
    assert "「表3 支出总表」第 67 行是表注行" in msg and "D67「60」" in msg and "A67「2010160」" in msg
    assert "--capacity" in msg


def test_values_outside_a_table_are_findings_at_their_cells(tmp_path):
    path, sheet, cells = generate_module().make_value_outside(SEED, tmp_path / "outside.xlsx")
    hits = findings_of(path, "F116")
    assert sorted((f.sheet, f.cell, f.severity) for f in hits) == sorted((sheet, c, "error") for c in cells)
    assert any("123.45" in f.message for f in hits) and all("不会被读取" in f.message for f in hits)


def test_fill_keeps_a_note_it_did_not_write(tmp_path):
    """The note row is derived (“注：本表无数据” or blank); a clerk's own text there is kept."""
    from toolkit.fill import fill
    from toolkit.layout import layout

    d = toolkit.load(SEED)
    note = layout(d.schema.sheet("t3")).get("_note").address
    src = generate_module()._edit_sheet(SEED, tmp_path / "note.xlsx", "表3 支出总表",
                                        {note: f'<c r="{note}" t="inlineStr"><is><t>注：单位自填的说明</t></is></c>'})
    out, plan = fill(src, out=tmp_path / "filled.xlsx")
    assert toolkit.load(out).get("t3", "_note") == "注：单位自填的说明"
    assert ("t3", "_note", "") not in plan.changes


def test_fill_refuses_a_file_changed_after_it_was_read(tmp_path):
    import os

    from toolkit.fill import fill

    src = tmp_path / "a.xlsx"
    shutil.copy(SEED, src)
    d = toolkit.load(src)
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    with pytest.raises(WorkbookError, match="读取之后被改动"):
        fill(src, out=tmp_path / "b.xlsx", disclosure=d)
    assert not (tmp_path / "b.xlsx").exists()


def test_numbers_money_cannot_hold_are_findings_and_read_as_blank(tmp_path):
    path, cells = generate_module().make_hostile_numbers(SEED, tmp_path / "numbers.xlsx")
    d = toolkit.load(path)
    findings = validate(d)  # no InvalidOperation anywhere in the rules
    hits = {(f.sheet, f.cell): f for f in findings if f.rule == "F115"}
    assert set(hits) == {(s, c) for s, c, _ in cells}
    by_cell = {e.cell: e for _, _, _, e in d.cells() if e.sheet == cells[0][0]}
    for s, c, text in cells:
        assert by_cell[c].value is None and by_cell[c].raw is not None  # not a number downstream, raw kept
    assert "1E+26" in hits[(cells[2][0], cells[2][1])].message and "1 万亿" in hits[(cells[2][0], cells[2][1])].message
    assert "无穷大" in hits[(cells[0][0], cells[0][1])].message
    from toolkit.fill import fill

    out, _ = fill(path, out=tmp_path / "filled.xlsx")  # fill works, leaves the clerk's cells alone
    assert {(f.sheet, f.cell) for f in toolkit.load(out).findings if f.rule == "F115"} == set(hits)


def test_limits_are_schema_data():
    from decimal import Decimal

    from toolkit.io.normalize import guard_number
    from toolkit.schema import load_schema

    types = load_schema().types
    assert Decimal(types["amount"].max) == Decimal("1e12") and types["text"].max_length == 32767
    ok, f1 = guard_number(Decimal("999999999999.99"), types["amount"], "s", "A1")
    bad, f2 = guard_number(Decimal("1000000000000.01"), types["amount"], "s", "A1")
    assert ok is not None and not f1 and bad is None and f2[0].rule == "F115"
    yuan, f3 = guard_number(Decimal("1e14"), types["yuan"], "s", "A1")
    assert yuan is not None and not f3


def test_control_characters_and_overlong_texts_are_findings(tmp_path):
    path, cells = generate_module().make_hostile_text(SEED, tmp_path / "ctl.xlsx")
    fs = validate(toolkit.load(path))
    assert [(f.sheet, f.cell, f.severity) for f in fs if f.rule == "F117"] == [(*cells["name"], "warning")]
    assert "U+0007" in next(f.message for f in fs if f.rule == "F117")
    assert sorted((f.sheet, f.cell, f.severity) for f in fs if f.rule == "F118") == sorted(
        [(*cells["code"], "error"), (*cells["overview"], "error")])


def test_copied_project_form_is_reported(tmp_path):
    path, copy = generate_module().make_copied_form(SEED, tmp_path / "copy.xlsx")
    hits = findings_of(path, "F119")
    assert [(f.sheet, f.severity) for f in hits] == [(copy, "error")]
    assert "副本" in hits[0].message and "项目绩效2" in hits[0].message


@pytest.mark.parametrize("case, words", [
    ("bad_shared_string", "已损坏，无法读取"),
    ("undefined_entity", "已损坏，无法读取"),
    ("far_cell", "XFD1048576"),
    ("far_cell_az", "AZ1048576"),
])
def test_malformed_parts_and_far_cells_are_the_files_fault(cases, case, words):
    """CalamineError on a sheet is an unreadable file with a Chinese message; a far cell is refused
    from the XML before calamine allocates its rectangle (512 GiB at XFD1048576)."""
    tracemalloc.start()
    msg = refused(cases[case])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert words in msg and peak < 50 * 1024 * 1024


def test_styled_empty_far_cells_do_not_count():
    xml = (b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
           b'<row r="1048576"><c r="XFD1048576" s="3"/><c r="XFC1048576"><v></v></c></row></sheetData></worksheet>')
    assert safety.sheet_extent(xml) == (1, 1)
    safety._check_extent(xml, "x.xlsx", "s")
    with pytest.raises(safety.UnsafeFile, match="B3000000"):
        safety._check_extent(b'<x:c r="B3000000"><x:v>1</x:v></x:c>', "x.xlsx", "s")


def test_fill_on_namespace_prefixed_sheets(cases, tmp_path):
    from toolkit.fill import fill

    src = cases["prefixed_sheets"]
    out, plan = fill(src, out=tmp_path / "filled.xlsx")
    assert plan.changes
    again = toolkit.load(out)
    assert [f for f in validate(again) if f.rule.startswith("A3")] == []


def test_a_crash_has_its_own_exit_status_and_every_file_is_reported(cases, monkeypatch, capsys):
    from toolkit import cli
    from toolkit.io import reader

    real = reader.read_book

    def crash_on(book, schema=None, path=None):
        if path is not None and "boom" in str(path):
            raise RuntimeError("boom")
        return real(book, schema, path)

    monkeypatch.setattr(reader, "read_book", crash_on)
    boom = Path(shutil.copy(SEED, Path(cases["empty"]).parent / "boom.xlsx"))
    rc = cli.main(["validate", str(SEED), str(boom), str(cases["bad_shared_string"]), "--format", "json"])
    out = capsys.readouterr().out
    assert rc == cli.EXIT_INTERNAL == 3
    assert out.count('"file"') == 3 and "程序内部错误" in out and "已损坏" in out
    assert cli.main(["validate", str(cases["bad_shared_string"])]) == 2


def test_fill_in_place_twice_keeps_the_original_in_bak(tmp_path):
    from toolkit.fill import fill

    src = tmp_path / "a.xlsx"
    shutil.copy(SEED, src)
    original = src.read_bytes()
    fill(src, in_place=True)
    fill(src, in_place=True)
    assert (tmp_path / "a.xlsx.bak").read_bytes() == original
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_department_names_never_become_options_or_summary_files():
    from toolkit.batch import safe_folder_name

    assert safe_folder_name("-rf") == "_-rf"
    assert safe_folder_name("summary.csv") == "_summary.csv" and safe_folder_name("Summary.HTML") == "_Summary.HTML"


def test_fill_out_equal_to_the_input_keeps_a_backup(tmp_path):
    from toolkit.fill import fill

    src = tmp_path / "a.xlsx"
    shutil.copy(SEED, src)
    original = src.read_bytes()
    fill(src, out=src)
    assert (tmp_path / "a.xlsx.bak").read_bytes() == original


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")
def test_an_inbox_with_a_fifo_link_loops_and_other_files_is_listed_not_hung(tmp_path):
    """A FIFO named *.xlsx used to hang validate and batch forever; a symbolic-link loop crashed the
    batch while listing files; files that are not workbooks were skipped without a word."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLE, inbox / "example.xlsx")
    os.mkfifo(inbox / "pipe.xlsx")
    os.symlink("loop1.xlsx", inbox / "loop2.xlsx")
    os.symlink("loop2.xlsx", inbox / "loop1.xlsx")
    os.symlink("gone.xlsx", inbox / "broken.xlsx")
    (inbox / "sub").mkdir()
    os.symlink("..", inbox / "sub" / "up")  # a folder loop
    (inbox / "说明.pdf").write_bytes(b"%PDF-1.4")
    r = run(sys.executable, "-m", "toolkit.cli", "batch", str(inbox), "--out", str(tmp_path / "out"), timeout=120,
            cwd=ROOT)
    assert r.returncode == 1, r.stderr  # the example has errors; nothing crashed
    said = r.stdout + r.stderr
    assert "pipe.xlsx」不是普通文件" in said
    assert "loop1.xlsx」无法打开" in said and "loop2.xlsx」无法打开" in said and "broken.xlsx」无法打开" in said
    assert "不是工作簿的文件未处理：说明.pdf" in said
    assert "共 1 个工作簿" in said
    r = run(sys.executable, "-m", "toolkit.cli", "validate", str(inbox / "pipe.xlsx"), timeout=60, cwd=ROOT)
    assert r.returncode == 2 and "不是普通文件" in r.stdout + r.stderr


def test_import_to_an_xlsm_name_writes_the_buttons_vba_project(tmp_path):
    """`bdt import data.yaml --out x.xlsm` used to write a plain xlsx under an .xlsm name (Excel then
    refuses to open it: the content type does not match the extension)."""
    from conftest import EXAMPLE_DATA
    from toolkit.datafile import dump

    xlsm, xlsx = tmp_path / "x.xlsm", tmp_path / "x.xlsx"
    for out in (xlsm, xlsx):
        r = run(sys.executable, "-m", "toolkit.cli", "import", str(EXAMPLE_DATA), "--out", str(out), cwd=ROOT)
        assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(xlsm) as z:
        assert "xl/vbaProject.bin" in z.namelist()
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()
    assert dump(toolkit.load(xlsm)) == dump(toolkit.load(xlsx))  # the same data, now with the buttons


@pytest.mark.parametrize("delta, words", [(-1, ["应在第 67 行，现在在第 66 行", "删除了 1 行", "插入 1 行空行"]),
                                          (-2, ["现在在第 65 行", "删除了 2 行"]),
                                          (1, ["现在在第 68 行", "插入了 1 行"])])
def test_rows_deleted_or_inserted_above_the_note_are_refused(tmp_path, delta, words):
    """Excel moves the note row's merge with the rows: a row deleted from (or inserted into) the
    last block is seen from the merge even when every moved row is blank (issue 17, point 0)."""
    path, sheet, _ = generate_module().make_shifted_rows(SEED, tmp_path / "shift.xlsx", delta=delta)
    with pytest.raises(WorkbookError) as err:
        toolkit.load(path)
    assert f"「{sheet}」" in err.value.message and all(w in err.value.message for w in words), err.value.message
    from toolkit import cli

    assert cli.main(["validate", str(path)]) == 2


def test_a_merely_unmerged_note_is_not_a_shift(tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(SEED)
    ws = wb["表3 支出总表"]
    note = next(r for r in ws.merged_cells.ranges if r.min_row == 67)
    ws.unmerge_cells(note.coord)
    wb.save(tmp_path / "unmerged.xlsx")
    assert toolkit.load(tmp_path / "unmerged.xlsx").dept_name
