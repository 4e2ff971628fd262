"""annotate(): the 校验 button's marks written headless into a copy of the file (bdt validate --annotate)."""
import zipfile

import openpyxl
import pytest

import toolkit
from toolkit.annotate import FINDINGS_SHEET, MARK, annotate, cell_marks
from toolkit.findings import ERROR
from toolkit.io.reader import WorkbookError
from toolkit.rules import validate

from conftest import EXAMPLE, TEMPLATE, edit_workbook, need_tool, rgb, run, values




def test_annotate_marks_cells_by_worst_severity_and_lists_findings(tmp_path):
    out = tmp_path / "marked.xlsx"
    result = annotate(EXAMPLE, out, stamp="2024-01-01 09:00")
    findings = validate(toolkit.load(EXAMPLE))
    assert result.counts == toolkit.findings.summary(findings)
    marks = cell_marks(findings)
    assert result.marked == len(marks) > 10
    wb = openpyxl.load_workbook(out)
    for (sheet, cell), sev in marks.items():
        assert rgb(wb[sheet], cell) == MARK[sev], (sheet, cell)
    assert any(sev == ERROR for sev in marks.values())
    ws = wb[FINDINGS_SHEET]
    assert ws["A1"].value.startswith("校验完成（2024-01-01 09:00）：错误 ")
    assert [c.value for c in ws[2]] == ["级别", "规则", "工作表", "单元格", "说明", "应为", "实际"]
    listed = [(r[2], r[3]) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert listed == [(f.sheet, f.cell or None) for f in findings]
    for row in ws.iter_rows(min_row=3):
        if row[3].value:
            assert row[3].hyperlink.location == f"'{row[2].value}'!{row[3].value}"
    # a cell without a finding keeps its template colour
    t1 = wb["表1 收支总表"]
    untouched = [c for r in t1.iter_rows(min_row=7, max_row=12) for c in r if ("表1 收支总表", c.coordinate) not in marks]
    src = openpyxl.load_workbook(EXAMPLE)["表1 收支总表"]
    assert all(rgb(t1, c.coordinate) == rgb(src, c.coordinate) for c in untouched)


def test_every_input_cell_and_untouched_part_is_identical(tmp_path):
    out = tmp_path / "marked.xlsx"
    before = EXAMPLE.read_bytes()
    annotate(EXAMPLE, out)
    assert EXAMPLE.read_bytes() == before  # the source is never changed
    old, new = values(EXAMPLE), values(out)
    assert set(new) - set(old) == {FINDINGS_SHEET}
    for sheet in old:
        assert new[sheet] == old[sheet], sheet
    with zipfile.ZipFile(EXAMPLE) as a, zipfile.ZipFile(out) as b:
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
        marked_parts = {n for n in changed if n.startswith("xl/worksheets/")}
        assert changed - marked_parts == {"xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                          "[Content_Types].xml"}
    # the annotated file reads and validates exactly like the original
    assert validate(toolkit.load(out)) == validate(toolkit.load(EXAMPLE))


def test_annotating_again_restores_cells_that_are_fixed(tmp_path):
    first = annotate(EXAMPLE, tmp_path / "a.xlsx")
    sheet, cell = next((f.sheet, f.cell) for f in first.findings if f.cell and f.sheet.startswith("表1"))
    # pretend the clerk fixed that cell: annotate again with the other findings only
    rest = [f for f in first.findings if (f.sheet, f.cell) != (sheet, cell)]
    second = annotate(tmp_path / "a.xlsx", tmp_path / "b.xlsx", findings=rest)
    assert second.restored == len(first.findings) - sum(1 for f in first.findings if not f.cell)
    wb, src = openpyxl.load_workbook(tmp_path / "b.xlsx"), openpyxl.load_workbook(EXAMPLE)
    assert rgb(wb[sheet], cell) == rgb(src[sheet], cell)  # template colour back
    assert wb.sheetnames.count(FINDINGS_SHEET) == 1
    assert wb[FINDINGS_SHEET].max_row == 2 + len(rest)
    annotate(tmp_path / "b.xlsx", tmp_path / "c.xlsx", findings=rest)
    with zipfile.ZipFile(tmp_path / "b.xlsx") as b, zipfile.ZipFile(tmp_path / "c.xlsx") as c:
        assert b.read("xl/styles.xml") == c.read("xl/styles.xml")  # formats reused, not piled up


def test_xlsm_keeps_its_macros_byte_identical(tmp_path):
    xlsm = TEMPLATE.with_suffix(".xlsm")
    out = annotate(xlsm, tmp_path / "t.xlsm").path
    with zipfile.ZipFile(xlsm) as a, zipfile.ZipFile(out) as b:
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")
    assert FINDINGS_SHEET in openpyxl.load_workbook(out, keep_vba=True).sheetnames


def test_refusals(tmp_path, example):
    with pytest.raises(ValueError):
        annotate(example, example)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(WorkbookError) as e:
        annotate(bad, tmp_path / "out.xlsx")
    assert "不是有效的 .xlsx" in e.value.message
    assert not (tmp_path / "out.xlsx").exists()


def test_cli_validate_annotate(tmp_path, example):
    edit_workbook(example, {("表1 收支总表", "B7"): 999})
    out = tmp_path / "标注.xlsx"
    r = run("python", "-m", "toolkit.cli", "validate", str(example), "--annotate", str(out))
    assert r.returncode == 1, r.stderr
    assert "已写入标注版工作簿" in r.stderr and out.exists()
    assert FINDINGS_SHEET in openpyxl.load_workbook(out).sheetnames
    r = run("python", "-m", "toolkit.cli", "validate", str(example), str(EXAMPLE), "--annotate", str(out))
    assert r.returncode == 2 and "只能用于一个工作簿" in r.stderr


def test_libreoffice_opens_the_annotated_workbook(tmp_path):
    soffice = need_tool("soffice")
    out = annotate(EXAMPLE, tmp_path / "marked.xlsx").path
    r = run(soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo-out"), str(out), timeout=240)
    again = tmp_path / "lo-out" / "marked.xlsx"
    assert again.exists(), r.stderr
    wb = openpyxl.load_workbook(again)
    assert FINDINGS_SHEET in wb.sheetnames
    f = next(f for f in validate(toolkit.load(EXAMPLE)) if f.cell and f.severity == ERROR)
    assert rgb(wb[f.sheet], f.cell) == MARK[ERROR]
